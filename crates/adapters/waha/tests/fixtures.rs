//! Every WAHA fixture must decode, and each kind must decode to what it means.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use ventros_app::gateway::InboundEvent;
use ventros_app::ports::WebhookDecoder;
use ventros_domain::message::{ContentType, DeliveryStatus};
use ventros_testkit::{fixture, fixture_names};
use ventros_waha::WahaDecoder;

fn decode(name: &str) -> ventros_app::gateway::InboundDelivery {
    WahaDecoder
        .decode(&fixture(name))
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

#[test]
fn every_fixture_is_json_and_every_webhook_decodes() {
    let all = fixture_names("");
    assert!(all.len() > 100, "fixtures missing: {}", all.len());
    for n in &all {
        let v: serde_json::Value =
            serde_json::from_slice(&fixture(n)).unwrap_or_else(|e| panic!("{n}: {e}"));
        assert!(!v.is_null(), "{n}");
    }
    let hooks = fixture_names("webhook-");
    assert!(hooks.len() >= 50);
    for n in hooks.iter().filter(|n| !n.contains("http-headers")) {
        let d = decode(n);
        assert!(!d.dedupe_key.is_empty(), "{n}");
    }
}

#[test]
fn dedupe_key_is_envelope_id_or_body_hash() {
    assert_eq!(
        decode("webhook-envelope-structure.json").dedupe_key,
        "evt_1111111111111111111111111111"
    );
    let a = decode("webhook-message-text.json").dedupe_key;
    assert!(a.starts_with("sha256:"));
    assert_eq!(a, decode("webhook-message-text.json").dedupe_key);
    assert_ne!(a, decode("webhook-message-image.json").dedupe_key);
}

#[test]
fn messages_decode_with_content_types() {
    let cases = [
        ("webhook-message-text.json", ContentType::Text),
        ("webhook-message-image.json", ContentType::Image),
        (
            "webhook-message-image-noweb-captured.json",
            ContentType::Image,
        ),
        ("webhook-message-document.json", ContentType::Document),
        ("webhook-message-reply.json", ContentType::Text),
        ("webhook-message-channel.json", ContentType::Text),
    ];
    for (n, ct) in cases {
        match decode(n).event {
            InboundEvent::Message(m) => assert_eq!(m.content_type, ct, "{n}"),
            other => panic!("{n}: {other:?}"),
        }
    }
    match decode("webhook-message-text.json").event {
        InboundEvent::Message(m) => {
            assert!(m.from_me && !m.via_api);
            assert_eq!(m.body.as_deref(), Some("Hi there!"));
            assert_eq!(m.key.raw_id, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            assert_eq!(m.at.map(|t| t.timestamp()), Some(1667561485));
        }
        other => panic!("{other:?}"),
    }
    match decode("webhook-message-reply.json").event {
        InboundEvent::Message(m) => assert_eq!(
            m.reply_to.as_deref(),
            Some("false_22222222@c.us_AAAAAAAAAAAAAAAAAAA")
        ),
        other => panic!("{other:?}"),
    }
    // No id at all: kept, but not a message we can store.
    assert!(matches!(
        decode("webhook-message-media-not-downloaded.json").event,
        InboundEvent::Unhandled { .. }
    ));
}

#[test]
fn acks_reactions_edits_revokes_status_and_others() {
    match decode("webhook-message-ack-read-dm-gows.json").event {
        InboundEvent::Ack { key, status, .. } => {
            assert_eq!(status, DeliveryStatus::Read);
            assert_eq!(key.raw_id, "3333333333333333333333");
        }
        other => panic!("{other:?}"),
    }
    match decode("webhook-message-ack-read-by-me-other-device-noweb.json").event {
        InboundEvent::Ack { key, from_me, .. } => assert_eq!((key.from_me, from_me), (None, false)),
        other => panic!("{other:?}"),
    }
    match decode("webhook-message-reaction.json").event {
        InboundEvent::Reaction { target, text, .. } => {
            assert_eq!(text, "🙏");
            assert_eq!(target.from_me, Some(true));
        }
        other => panic!("{other:?}"),
    }
    match decode("webhook-message-edited.json").event {
        InboundEvent::Edited { raw_id, body, .. } => assert_eq!(
            (raw_id.as_str(), body.as_deref()),
            ("AAAAAAAAAAAAAAAA", Some("New body"))
        ),
        other => panic!("{other:?}"),
    }
    match decode("webhook-message-revoked.json").event {
        InboundEvent::Revoked { raw_id, chat } => {
            assert_eq!(raw_id, "AAAAAAAAAAAAAAAA");
            assert_eq!(
                chat.map(|c| c.to_string()).as_deref(),
                Some("1231243123@c.us")
            );
        }
        other => panic!("{other:?}"),
    }
    match decode("webhook-session-status-working.json").event {
        InboundEvent::SessionStatus { status } => assert_eq!(status, "WORKING"),
        other => panic!("{other:?}"),
    }
    match decode("webhook-group-v2-participants.json").event {
        InboundEvent::Group(g) => {
            assert_eq!(g.change, "participants.join");
            assert_eq!(
                g.participants,
                vec![("123456789@c.us".to_string(), "participant".to_string())]
            );
        }
        other => panic!("{other:?}"),
    }
    match decode("webhook-call-received.json").event {
        InboundEvent::Call {
            call_event, from, ..
        } => {
            assert_eq!(call_event, "call.received");
            assert_eq!(
                from.map(|f| f.to_string()).as_deref(),
                Some("22222222222@c.us")
            );
        }
        other => panic!("{other:?}"),
    }
    match decode("webhook-poll-vote.json").event {
        InboundEvent::PollVote {
            selected,
            failed,
            poll,
            ..
        } => {
            assert_eq!(selected, vec!["Awesome!".to_string()]);
            assert!(!failed);
            assert_eq!(poll.raw_id, "BAE5F2EF5C69001E");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        decode("webhook-presence-update.json").event,
        InboundEvent::Presence { .. }
    ));
    for n in [
        "webhook-label-upsert.json",
        "webhook-chat-archive.json",
        "webhook-engine-event.json",
        "webhook-event-response.json",
    ] {
        assert!(
            matches!(decode(n).event, InboundEvent::Unhandled { .. }),
            "{n}"
        );
    }
}

#[test]
fn garbage_is_malformed_and_unknown_fields_are_fine() {
    assert!(WahaDecoder.decode(b"not json").is_err());
    assert!(WahaDecoder.decode(b"[1,2]").is_err());
    let body = br#"{"event":"message","payload":{"id":"false_5511999998888@c.us_ABC","timestamp":1,"newField":{"x":1},"body":"hi"}}"#;
    assert!(matches!(
        WahaDecoder.decode(body).map(|d| d.event),
        Ok(InboundEvent::Message(_))
    ));
    let odd = br#"{"event":"message","payload":{"id":42}}"#;
    assert!(matches!(
        WahaDecoder.decode(odd).map(|d| d.event),
        Ok(InboundEvent::Unhandled { .. })
    ));
}

#[test]
fn an_envelope_without_event_is_recognised_as_ack() {
    let d = decode("webhook-message-ack-read-group-gows.json");
    assert_eq!(d.event_name, "message.ack");
    assert!(matches!(
        d.event,
        InboundEvent::Ack {
            status: DeliveryStatus::Read,
            ..
        }
    ));
}

fn with_timestamp(ts: serde_json::Value) -> InboundEvent {
    let mut v: serde_json::Value =
        serde_json::from_slice(&fixture("webhook-message-text.json")).unwrap();
    v["payload"]["timestamp"] = ts;
    WahaDecoder
        .decode(&serde_json::to_vec(&v).unwrap())
        .unwrap()
        .event
}

#[test]
fn times_outside_1970_to_2100_are_invalid_and_zero_is_unknown() {
    for bad in [
        serde_json::json!(-1),
        serde_json::json!(4_102_444_800_u64),
        serde_json::json!(1e18),
        serde_json::json!(f64::MAX),
    ] {
        assert!(
            matches!(with_timestamp(bad.clone()), InboundEvent::Invalid { ref reason } if reason.contains("timestamp")),
            "{bad}"
        );
    }
    let at = |e: InboundEvent| match e {
        InboundEvent::Message(m) => m.at.map(|t| t.timestamp_millis()),
        other => panic!("{other:?}"),
    };
    assert_eq!(at(with_timestamp(serde_json::json!(0))), None);
    assert_eq!(
        at(with_timestamp(serde_json::json!(1_700_000_000))),
        Some(1_700_000_000_000)
    );
    assert_eq!(
        at(with_timestamp(serde_json::json!(1_700_000_000_123_u64))),
        Some(1_700_000_000_123),
        "milliseconds where seconds are documented"
    );
}

#[test]
fn nul_is_removed_from_every_string_and_key() {
    let body = br#"{"event":"message","payload":{"id":"false_5511999998888@c.us_ABC","timestamp":1700000000,"body":"a\u0000b","_data":{"x\u0000":"\u0000"}}}"#;
    let d = WahaDecoder.decode(body).unwrap();
    assert!(!d.raw.to_string().contains("\\u0000"), "{}", d.raw);
    assert_eq!(d.raw["payload"]["_data"]["x"], "");
    match d.event {
        InboundEvent::Message(m) => assert_eq!(m.body.as_deref(), Some("ab")),
        other => panic!("{other:?}"),
    }
}

/// Hostile values in every numeric and string field of the real webhooks never make the
/// decoder panic: each body decodes to some event or is refused as malformed.
#[test]
fn hostile_values_in_real_webhooks_never_panic_the_decoder() {
    use ventros_testkit::hostile::{Mutator, cases, seed};
    let docs: Vec<serde_json::Value> = fixture_names("webhook-")
        .iter()
        .filter(|n| !n.contains("http-headers"))
        .map(|n| serde_json::from_slice(&fixture(n)).unwrap())
        .collect();
    let mut m = Mutator::new(seed());
    for i in 0..cases(10_000) {
        let pick = m.pick(docs.len());
        let doc = m.mutate(&docs[pick]);
        let body = serde_json::to_vec(&doc).unwrap();
        let r = std::panic::catch_unwind(|| WahaDecoder.decode(&body));
        assert!(
            r.is_ok(),
            "case {i} (seed {}) panicked on {}",
            seed(),
            String::from_utf8_lossy(&body)
        );
    }
}
