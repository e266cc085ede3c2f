use crate::support::{ChatFilter, SessionFilter, StoreExt};
use crate::support::{DynStore, Tenant, all, count, events, ingest, tenant};
use serde_json::json;
use ventros_app::usecases::ingest::IngestOutcome;
use ventros_domain::chat::ChatKind;
use ventros_domain::message::{ContentType, DeliveryStatus, Direction, Message, SenderKind};
use ventros_domain::phone::Phone;
use ventros_domain::session::SessionStatus;
use ventros_testkit::{fixture, fixture_names};
use ventros_waha::sample;

async fn messages(store: &DynStore, t: &Tenant) -> Vec<Message> {
    let mut out = Vec::new();
    for c in store
        .list_chats(t.scope, &ChatFilter::default(), all())
        .await
        .unwrap()
        .data
    {
        out.extend(
            store
                .list_messages(t.scope, c.id, all())
                .await
                .unwrap()
                .data,
        );
    }
    out
}

fn label(o: &IngestOutcome) -> &'static str {
    o.label().0
}

pub async fn text_message_creates_contact_chat_session_message_events(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let body = sample::text_message(
        Some("evt_1"),
        "5511999998888",
        "3EB0AAA",
        false,
        "Olá, quero um orçamento",
        1_700_000_000,
    );
    assert_eq!(
        ingest(&store, &t.channel, &body).await,
        IngestOutcome::Processed
    );

    let phone = Phone::parse("+5511999998888").unwrap();
    let contacts = store
        .list_contacts(t.scope, Some(&phone), all())
        .await
        .unwrap()
        .data;
    assert_eq!(contacts.len(), 1);
    let c = &contacts[0];
    assert_eq!(c.name.as_deref(), Some("Customer"));
    assert_eq!(c.push_name.as_deref(), Some("Customer"));
    assert_eq!(c.wa_id.as_deref(), Some("5511999998888@c.us"));

    let chats = store
        .list_chats(
            t.scope,
            &ChatFilter {
                contact_id: Some(c.id),
                channel_id: Some(t.channel.channel_id),
                ..Default::default()
            },
            all(),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(chats.len(), 1);
    assert_eq!(chats[0].kind, ChatKind::Individual);
    assert_eq!(chats[0].wa_chat_id, "5511999998888@c.us");
    assert_eq!(
        chats[0].last_message_at.map(|t| t.timestamp()),
        Some(1_700_000_000)
    );

    let sessions = store
        .list_sessions(
            t.scope,
            &SessionFilter {
                contact_id: Some(c.id),
                chat_id: None,
                ..Default::default()
            },
            all(),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.status, SessionStatus::Active);
    assert_eq!(
        (s.contact_messages, s.agent_messages, s.system_messages),
        (1, 0, 0)
    );
    assert_eq!(
        s.first_contact_message_at.map(|t| t.timestamp()),
        Some(1_700_000_000)
    );
    assert_eq!(s.first_agent_message_at, None);

    let msgs = store
        .list_messages(t.scope, chats[0].id, all())
        .await
        .unwrap()
        .data;
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m.body.as_deref(), Some("Olá, quero um orçamento"));
    assert_eq!(
        (m.direction, m.sender_kind, m.content_type),
        (Direction::Inbound, SenderKind::Contact, ContentType::Text)
    );
    assert_eq!(m.contact_id, Some(c.id));
    assert_eq!(m.session_id, s.id);
    assert_eq!(m.status, DeliveryStatus::Delivered);
    assert_eq!(m.raw_id, "3EB0AAA");
    assert!(!m.from_me && !m.imported);

    let ev = events(&store, t.scope).await;
    for ty in [
        "contact.created",
        "chat.created",
        "session.started",
        "message.received",
    ] {
        assert_eq!(count(&ev, ty), 1, "{ty}");
    }
    let received = ev
        .iter()
        .find(|e| e.event_type == "message.received")
        .unwrap();
    assert_eq!(received.aggregate_id, m.id.0);
    assert_eq!(received.payload["contact_id"], json!(c.id));
    assert_eq!(received.causation_id.as_deref(), Some("evt_1"));
    assert_eq!(received.version, 1);
    assert_eq!(received.source, "waha");

    // A second message goes to the same session and does not re-create anything.
    let body2 = sample::text_message(
        Some("evt_2"),
        "5511999998888",
        "3EB0BBB",
        false,
        "alô?",
        1_700_000_060,
    );
    assert_eq!(
        ingest(&store, &t.channel, &body2).await,
        IngestOutcome::Processed
    );
    let ev = events(&store, t.scope).await;
    assert_eq!(
        (
            count(&ev, "contact.created"),
            count(&ev, "session.started"),
            count(&ev, "message.received")
        ),
        (1, 1, 2)
    );
    let s = &store
        .list_sessions(t.scope, &SessionFilter::default(), all())
        .await
        .unwrap()
        .data[0];
    assert_eq!(s.contact_messages, 2);
    assert_eq!(
        s.last_message_at.map(|t| t.timestamp()),
        Some(1_700_000_060)
    );
}

pub async fn every_webhook_fixture_is_logged_and_answered(store: DynStore) {
    let t = tenant(&store, "fixtures").await;
    let expected = |name: &str| -> &'static str {
        match name {
            n if n.starts_with("webhook-call-")
                || n.starts_with("webhook-group-v2-")
                || n.starts_with("webhook-session-status-") =>
            {
                "processed"
            }
            "webhook-message-channel.json"
            | "webhook-message-document.json"
            | "webhook-message-image.json"
            | "webhook-message-image-noweb-captured.json"
            | "webhook-message-reply.json"
            | "webhook-message-text.json" => "processed",
            n if n.starts_with("webhook-message-ack-") => "unmatched",
            "webhook-message-edited.json"
            | "webhook-message-reaction.json"
            | "webhook-message-revoked.json" => "unmatched",
            "webhook-poll-vote.json"
            | "webhook-poll-vote-group.json"
            | "webhook-presence-update.json" => "unmatched",
            _ => "ignored",
        }
    };
    let names: Vec<String> = fixture_names("webhook-")
        .into_iter()
        .filter(|n| !n.contains("http-headers"))
        .collect();
    assert!(names.len() >= 50);
    for n in &names {
        // Each on its own channel, so fixtures that reuse message ids do not collide.
        let ch = crate::support::tenant_channel(&store, &t, n).await;
        let got = ingest(&store, &ch, &fixture(n)).await;
        assert_eq!(label(&got), expected(n), "{n}: {got:?}");
        // Delivered again, every fixture is a duplicate.
        assert_eq!(
            ingest(&store, &ch, &fixture(n)).await,
            IngestOutcome::Duplicate,
            "{n}"
        );
    }
    let ev = events(&store, t.scope).await;
    assert_eq!(
        count(&ev, "message.sent"),
        4,
        "text, image, document and reply are fromMe"
    );
    assert_eq!(
        count(&ev, "message.received"),
        2,
        "channel post and captured image"
    );
    assert_eq!(count(&ev, "contact.call_received"), 3);
    assert_eq!(count(&ev, "channel.status_changed"), 4);
}

pub async fn duplicate_delivery_changes_nothing(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let body = sample::text_message(
        Some("evt_dup"),
        "5511999998888",
        "RAW1",
        false,
        "hi",
        1_700_000_000,
    );
    assert_eq!(
        ingest(&store, &t.channel, &body).await,
        IngestOutcome::Processed
    );
    let before = events(&store, t.scope).await.len();
    for _ in 0..3 {
        assert_eq!(
            ingest(&store, &t.channel, &body).await,
            IngestOutcome::Duplicate
        );
    }
    assert_eq!(events(&store, t.scope).await.len(), before);
    assert_eq!(messages(&store, &t).await.len(), 1);
    // Old WAHA sends no envelope id: the body hash dedupes.
    let old = sample::text_message(None, "5511999998888", "RAW2", false, "old", 1_700_000_001);
    assert_eq!(
        ingest(&store, &t.channel, &old).await,
        IngestOutcome::Processed
    );
    assert_eq!(
        ingest(&store, &t.channel, &old).await,
        IngestOutcome::Duplicate
    );
    assert_eq!(messages(&store, &t).await.len(), 2);
}

pub async fn message_and_message_any_are_one_message(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let a = sample::text_message(
        Some("evt_msg"),
        "5511999998888",
        "RAWX",
        false,
        "hi",
        1_700_000_000,
    );
    let mut any: serde_json::Value = serde_json::from_slice(&a).unwrap();
    any["id"] = json!("evt_msg_any");
    any["event"] = json!("message.any");
    assert_eq!(
        ingest(&store, &t.channel, &a).await,
        IngestOutcome::Processed
    );
    assert_eq!(
        ingest(&store, &t.channel, any.to_string().as_bytes()).await,
        IngestOutcome::Duplicate
    );
    // The same message again through its @lid chat id (GOWS duplicate).
    let mut lid = any.clone();
    lid["id"] = json!("evt_msg_lid");
    lid["payload"]["id"] = json!("false_144444444444444@lid_RAWX");
    assert_eq!(
        ingest(&store, &t.channel, lid.to_string().as_bytes()).await,
        IngestOutcome::Duplicate
    );
    assert_eq!(messages(&store, &t).await.len(), 1);
    assert_eq!(count(&events(&store, t.scope).await, "message.received"), 1);
}

pub async fn early_ack_is_applied_and_acks_are_monotonic(store: DynStore) {
    let t = tenant(&store, "acme").await;
    assert!(matches!(
        ingest(
            &store,
            &t.channel,
            &sample::ack("evt_a1", "5511999998888", "OUT1", true, 3)
        )
        .await,
        IngestOutcome::Unmatched(_)
    ));
    let sent = sample::text_message(
        Some("evt_m1"),
        "5511999998888",
        "OUT1",
        true,
        "our offer",
        1_700_000_000,
    );
    assert_eq!(
        ingest(&store, &t.channel, &sent).await,
        IngestOutcome::Processed
    );
    let m = &messages(&store, &t).await[0];
    assert_eq!(
        m.status,
        DeliveryStatus::Read,
        "the early read ack was applied on arrival"
    );
    assert!(matches!(
        ingest(
            &store,
            &t.channel,
            &sample::ack("evt_a2", "5511999998888", "OUT1", true, 2)
        )
        .await,
        IngestOutcome::Ignored(_)
    ));
    assert_eq!(messages(&store, &t).await[0].status, DeliveryStatus::Read);
    assert_eq!(
        ingest(
            &store,
            &t.channel,
            &sample::ack("evt_a3", "5511999998888", "OUT1", true, 4)
        )
        .await,
        IngestOutcome::Processed
    );
    assert_eq!(messages(&store, &t).await[0].status, DeliveryStatus::Played);
    let ev = events(&store, t.scope).await;
    let changes: Vec<_> = ev
        .iter()
        .filter(|e| e.event_type == "message.status_changed")
        .collect();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (
            changes[0].payload["from"].as_str(),
            changes[0].payload["to"].as_str()
        ),
        (Some("read"), Some("played"))
    );
}

pub async fn revoke_edit_reaction(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let original = sample::text_message(
        Some("evt_o"),
        "1231243123",
        "AAAAAAAAAAAAAAAA",
        false,
        "Old body",
        1_700_000_000,
    );
    assert_eq!(
        ingest(&store, &t.channel, &original).await,
        IngestOutcome::Processed
    );
    assert_eq!(
        ingest(&store, &t.channel, &fixture("webhook-message-edited.json")).await,
        IngestOutcome::Processed
    );
    let m = messages(&store, &t).await.remove(0);
    assert_eq!(m.body.as_deref(), Some("New body"));
    assert!(m.edited_at.is_some());
    assert_eq!(
        ingest(&store, &t.channel, &fixture("webhook-message-revoked.json")).await,
        IngestOutcome::Processed
    );
    let m = messages(&store, &t).await.remove(0);
    assert!(m.deleted_at.is_some());
    assert_eq!(
        m.body.as_deref(),
        Some("New body"),
        "content kept for audit"
    );
    let ev = events(&store, t.scope).await;
    let edited = ev
        .iter()
        .find(|e| e.event_type == "message.edited")
        .unwrap();
    assert_eq!(edited.payload["previous_body"], json!("Old body"));
    assert_eq!(count(&ev, "message.deleted"), 1);

    // Reaction on a message we sent, then removed.
    let ours = sample::text_message(
        Some("evt_r0"),
        "79111111",
        "11111111111111111111111111111111",
        true,
        "Thanks!",
        1_700_000_100,
    );
    assert_eq!(
        ingest(&store, &t.channel, &ours).await,
        IngestOutcome::Processed
    );
    assert_eq!(
        ingest(
            &store,
            &t.channel,
            &fixture("webhook-message-reaction.json")
        )
        .await,
        IngestOutcome::Processed
    );
    let find = |ms: Vec<Message>| {
        ms.into_iter()
            .find(|m| m.raw_id == "11111111111111111111111111111111")
            .unwrap()
    };
    assert_eq!(
        find(messages(&store, &t).await).reactions,
        json!({"79111111@c.us": "🙏"})
    );
    let mut removal: serde_json::Value =
        serde_json::from_slice(&fixture("webhook-message-reaction.json")).unwrap();
    removal["payload"]["reaction"]["text"] = json!("");
    assert_eq!(
        ingest(&store, &t.channel, removal.to_string().as_bytes()).await,
        IngestOutcome::Processed
    );
    assert_eq!(find(messages(&store, &t).await).reactions, json!({}));
    assert_eq!(
        count(&events(&store, t.scope).await, "message.reaction_changed"),
        2
    );
}

/// WAHA does not promise order: an edit, a revoke, a reaction and a poll vote that come
/// before their message are kept, and applied in arrival order when it lands.
pub async fn changes_before_their_message_are_applied_when_it_lands(store: DynStore) {
    let t = tenant(&store, "acme").await;
    for name in [
        "webhook-message-edited.json",
        "webhook-message-revoked.json",
        "webhook-message-reaction.json",
        "webhook-poll-vote.json",
    ] {
        let outcome = ingest(&store, &t.channel, &fixture(name)).await;
        assert!(
            matches!(&outcome, IngestOutcome::Unmatched(r) if r.contains("kept until")),
            "{name}: {outcome:?}"
        );
    }
    assert!(messages(&store, &t).await.is_empty());
    // The edited and revoked message lands: edited, then deleted, in that order.
    let original = sample::text_message(
        Some("evt_o"),
        "1231243123",
        "AAAAAAAAAAAAAAAA",
        false,
        "Old body",
        1_700_000_000,
    );
    assert_eq!(
        ingest(&store, &t.channel, &original).await,
        IngestOutcome::Processed
    );
    let m = messages(&store, &t).await.remove(0);
    assert_eq!(m.body.as_deref(), Some("New body"));
    assert!(m.edited_at.is_some() && m.deleted_at.is_some());
    // The message reacted to (one we sent) and the poll voted on.
    for (key, chat, raw, text) in [
        (
            "evt_r0",
            "79111111",
            "11111111111111111111111111111111",
            "Thanks!",
        ),
        ("evt_poll", "1111111111", "BAE5F2EF5C69001E", "Como foi?"),
    ] {
        let ours = sample::text_message(Some(key), chat, raw, true, text, 1_700_000_100);
        assert_eq!(
            ingest(&store, &t.channel, &ours).await,
            IngestOutcome::Processed
        );
    }
    let reacted = messages(&store, &t)
        .await
        .into_iter()
        .find(|m| m.raw_id == "11111111111111111111111111111111")
        .unwrap();
    assert_eq!(reacted.reactions, json!({"79111111@c.us": "🙏"}));
    let ev = events(&store, t.scope).await;
    let order: Vec<&str> = ev
        .iter()
        .map(|e| e.event_type.as_str())
        .filter(|t| t.starts_with("message.") || t.starts_with("poll."))
        .collect();
    assert_eq!(
        order,
        vec![
            "message.received",
            "message.edited",
            "message.deleted",
            "message.sent",
            "message.reaction_changed",
            "message.sent",
            "poll.vote_received",
        ]
    );
    let vote = ev
        .iter()
        .find(|e| e.event_type == "poll.vote_received")
        .unwrap();
    assert_eq!(vote.payload["selected_options"], json!(["Awesome!"]));
    // Applied once: a later copy of the message changes nothing more.
    assert_eq!(
        ingest(&store, &t.channel, &original).await,
        IngestOutcome::Duplicate
    );
    assert_eq!(count(&events(&store, t.scope).await, "message.edited"), 1);
}

pub async fn session_status_group_call_poll_presence(store: DynStore) {
    let t = tenant(&store, "acme").await;
    assert_eq!(
        ingest(
            &store,
            &t.channel,
            &fixture("webhook-session-status-working.json")
        )
        .await,
        IngestOutcome::Processed
    );
    assert_eq!(
        store
            .get_channel(t.scope, t.channel.channel_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "WORKING"
    );
    let mut again: serde_json::Value =
        serde_json::from_slice(&fixture("webhook-session-status-working.json")).unwrap();
    again["id"] = json!("evt_again");
    assert!(matches!(
        ingest(&store, &t.channel, again.to_string().as_bytes()).await,
        IngestOutcome::Ignored(_)
    ));
    let ev = events(&store, t.scope).await;
    let sc = ev
        .iter()
        .find(|e| e.event_type == "channel.status_changed")
        .unwrap();
    assert_eq!(
        (sc.payload["from"].as_str(), sc.payload["to"].as_str()),
        (Some("UNKNOWN"), Some("WORKING"))
    );

    assert_eq!(
        ingest(&store, &t.channel, &fixture("webhook-group-v2-join.json")).await,
        IngestOutcome::Processed
    );
    let groups = store
        .list_chats(t.scope, &ChatFilter::default(), all())
        .await
        .unwrap()
        .data;
    let g = groups
        .iter()
        .find(|c| c.wa_chat_id == "1231231232@g.us")
        .unwrap();
    assert_eq!(
        (g.kind, g.subject.as_deref()),
        (ChatKind::Group, Some("Work Group"))
    );
    let parts = store.list_participants(t.scope, g.id).await.unwrap();
    assert_eq!(
        parts.iter().map(|p| p.wa_id.as_str()).collect::<Vec<_>>(),
        vec!["99999@c.us"]
    );
    assert_eq!(
        ingest(&store, &t.channel, &fixture("webhook-group-v2-update.json")).await,
        IngestOutcome::Processed
    );
    assert_eq!(
        store
            .get_chat(t.scope, g.id)
            .await
            .unwrap()
            .unwrap()
            .subject
            .as_deref(),
        Some("New Work Group Name")
    );

    assert_eq!(
        ingest(&store, &t.channel, &fixture("webhook-call-received.json")).await,
        IngestOutcome::Processed
    );
    let caller = store
        .list_contacts(t.scope, Some(&Phone::parse("+22222222222").unwrap()), all())
        .await
        .unwrap()
        .data;
    assert_eq!(caller.len(), 1);

    let poll = sample::text_message(
        Some("evt_poll"),
        "1111111111",
        "BAE5F2EF5C69001E",
        true,
        "Como foi?",
        1_700_000_000,
    );
    assert_eq!(
        ingest(&store, &t.channel, &poll).await,
        IngestOutcome::Processed
    );
    assert_eq!(
        ingest(&store, &t.channel, &fixture("webhook-poll-vote.json")).await,
        IngestOutcome::Processed
    );
    let ev = events(&store, t.scope).await;
    let vote = ev
        .iter()
        .find(|e| e.event_type == "poll.vote_received")
        .unwrap();
    assert_eq!(vote.payload["selected_options"], json!(["Awesome!"]));
    assert_eq!(count(&ev, "contact.call_received"), 1);
    assert_eq!(count(&ev, "chat.participants_changed"), 2);
    let changes: Vec<&str> = ev
        .iter()
        .filter(|e| e.event_type == "chat.participants_changed")
        .filter_map(|e| e.payload["change"].as_str())
        .collect();
    assert_eq!(changes, vec!["joined", "updated"]);
    assert_eq!(
        ingest(
            &store,
            &t.channel,
            &fixture("webhook-group-v2-participants.json")
        )
        .await,
        IngestOutcome::Processed
    );
    let last = events(&store, t.scope)
        .await
        .into_iter()
        .rfind(|e| e.event_type == "chat.participants_changed")
        .unwrap();
    assert_eq!(last.payload["change"], "participants_joined");
    assert_eq!(
        last.payload["participants"],
        json!([{"wa_id": "123456789@c.us", "role": "participant"}])
    );

    // Presence for a chat we know is published.
    let mut pres: serde_json::Value =
        serde_json::from_slice(&fixture("webhook-presence-update.json")).unwrap();
    pres["payload"]["id"] = json!("1231231232@g.us");
    assert_eq!(
        ingest(&store, &t.channel, pres.to_string().as_bytes()).await,
        IngestOutcome::Processed
    );
    assert_eq!(
        count(&events(&store, t.scope).await, "chat.presence_updated"),
        1
    );
}

pub async fn group_message_keeps_participant_as_sender(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let body = json!({
        "id": "evt_g1", "event": "message", "session": "default", "engine": "NOWEB",
        "payload": {
            "id": "false_120363000000000000@g.us_3EB0GROUP_5511988887777@c.us",
            "timestamp": 1_700_000_000, "from": "120363000000000000@g.us", "fromMe": false,
            "participant": "5511988887777@c.us", "body": "bom dia grupo", "hasMedia": false,
            "_data": {"pushName": "Ana", "message": {"conversation": "bom dia grupo"}}
        }
    });
    assert_eq!(
        ingest(&store, &t.channel, body.to_string().as_bytes()).await,
        IngestOutcome::Processed
    );
    let chats = store
        .list_chats(t.scope, &ChatFilter::default(), all())
        .await
        .unwrap()
        .data;
    assert_eq!(chats.len(), 1);
    assert_eq!(
        (chats[0].kind, chats[0].contact_id),
        (ChatKind::Group, None)
    );
    let ana = store
        .list_contacts(
            t.scope,
            Some(&Phone::parse("+5511988887777").unwrap()),
            all(),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(ana[0].name.as_deref(), Some("Ana"));
    let m = &messages(&store, &t).await[0];
    assert_eq!(m.contact_id, Some(ana[0].id));
    assert_eq!(m.sender_wa_id.as_deref(), Some("5511988887777@c.us"));
    assert_eq!(m.sender_kind, SenderKind::Contact);
}

pub async fn media_and_reply_are_stored(store: DynStore) {
    let t = tenant(&store, "acme").await;
    assert_eq!(
        ingest(
            &store,
            &t.channel,
            &fixture("webhook-message-image-noweb-captured.json")
        )
        .await,
        IngestOutcome::Processed
    );
    let m = &messages(&store, &t).await[0];
    assert_eq!(m.content_type, ContentType::Image);
    let media = m.media.as_ref().unwrap();
    assert_eq!(media.mimetype.as_deref(), Some("image/jpeg"));
    assert_eq!(
        media.url.as_deref(),
        Some("https://github.com/devlikeapro/waha/raw/core/examples/dev.likeapro.jpg")
    );
    assert_eq!(m.body.as_deref(), Some("Hi there's!"));

    // A reply to a message we have links to it.
    let quoted = sample::text_message(
        Some("evt_q"),
        "11111111111",
        "AAAAAAAAAAAAAAAAAAA",
        false,
        "Check this out!",
        1_667_561_000,
    );
    assert_eq!(
        ingest(&store, &t.channel, &quoted).await,
        IngestOutcome::Processed
    );
    let mut reply: serde_json::Value =
        serde_json::from_slice(&fixture("webhook-message-reply.json")).unwrap();
    reply["payload"]["replyTo"]["id"] = json!("AAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        ingest(&store, &t.channel, reply.to_string().as_bytes()).await,
        IngestOutcome::Processed
    );
    let all_msgs = messages(&store, &t).await;
    let q = all_msgs
        .iter()
        .find(|m| m.raw_id == "AAAAAAAAAAAAAAAAAAA")
        .unwrap();
    let r = all_msgs
        .iter()
        .find(|m| m.body.as_deref() == Some("Yes!"))
        .unwrap();
    assert_eq!(r.reply_to.as_deref(), Some("AAAAAAAAAAAAAAAAAAA"));
    assert_eq!(r.reply_to_message_id, Some(q.id));
}

pub async fn from_phone_is_outbound_without_agent(store: DynStore) {
    let t = tenant(&store, "acme").await;
    assert_eq!(
        ingest(&store, &t.channel, &fixture("webhook-message-text.json")).await,
        IngestOutcome::Processed
    );
    let m = &messages(&store, &t).await[0];
    assert_eq!(
        (m.direction, m.sender_kind),
        (Direction::Outbound, SenderKind::PhoneApp)
    );
    assert!(m.from_me);
    assert_eq!(m.sender_wa_id, None);
    let s = &store
        .list_sessions(t.scope, &SessionFilter::default(), all())
        .await
        .unwrap()
        .data[0];
    assert_eq!((s.contact_messages, s.agent_messages), (0, 1));
    assert!(s.first_agent_message_at.is_some() && s.first_contact_message_at.is_none());
    let ev = events(&store, t.scope).await;
    assert_eq!(
        (count(&ev, "message.sent"), count(&ev, "message.received")),
        (1, 0)
    );
    // The contact of a fromMe message gets no push name from us.
    let c = store
        .list_contacts(t.scope, None, all())
        .await
        .unwrap()
        .data;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].name, None);
}

/// A unit of work dropped without commit leaves nothing behind, even when other deliveries
/// committed around it (on SQLite they share a batch).
pub async fn abandoned_ingest_leaves_nothing(store: DynStore) {
    use ventros_app::ports::DeliveryRecord;
    use ventros_domain::contact::ContactSighting;
    use ventros_domain::ids::DeliveryId;
    let t = tenant(&store, "acme").await;
    let now = crate::support::clock_now();
    let record = |key: &str| DeliveryRecord {
        id: DeliveryId::new(),
        channel_id: t.channel.channel_id,
        dedupe_key: key.into(),
        event_name: "message".into(),
        outcome: "processed".into(),
        detail: None,
        body: json!({}),
        received_at: now,
    };
    let sighting = |p: &str| ContactSighting {
        phone: Phone::parse(p).ok(),
        wa_id: None,
        lid: None,
        push_name: None,
    };

    let mut a = store.begin_ingest(t.scope).await.unwrap();
    assert!(a.record_delivery(&record("evt_a")).await.unwrap());
    let ca = sighting("+5511911110001").to_new_contact(t.scope.tenant_id, t.scope.project_id, now);
    assert!(a.insert_contact(&ca).await.unwrap());
    drop(a);

    let mut b = store.begin_ingest(t.scope).await.unwrap();
    assert!(b.record_delivery(&record("evt_b")).await.unwrap());
    let cb = sighting("+5511911110002").to_new_contact(t.scope.tenant_id, t.scope.project_id, now);
    assert!(b.insert_contact(&cb).await.unwrap());
    b.commit().await.unwrap();

    let phones: Vec<String> = store
        .list_contacts(t.scope, None, all())
        .await
        .unwrap()
        .data
        .into_iter()
        .filter_map(|c| c.phone.map(String::from))
        .collect();
    assert_eq!(phones, vec!["+5511911110002".to_string()]);
    let mut c = store.begin_ingest(t.scope).await.unwrap();
    assert!(
        c.record_delivery(&record("evt_a")).await.unwrap(),
        "the abandoned delivery was not kept"
    );
    assert!(
        !c.record_delivery(&record("evt_b")).await.unwrap(),
        "the committed delivery was kept"
    );
    c.commit().await.unwrap();
}
