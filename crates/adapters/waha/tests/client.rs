//! The WAHA client against a stand-in server answering with WAHA's recorded shapes: the right
//! method, path, key and body for each call, each engine's send answer, and each kind of
//! failure sorted into refused, unreachable or unknown.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use serde_json::{Value, json};
use std::time::Duration;
use ventros_app::ports::{
    ContactGateway, FileSource, GatewayError, GatewayTarget, MessageGateway, Presence, SendBody,
    SendFile, SendRequest, SessionGateway,
};
use ventros_testkit::fixture;
use ventros_waha::{ClientConfig, WahaClient};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fx(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

fn client() -> WahaClient {
    WahaClient::new(ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(500),
    })
    .unwrap()
}

fn target(server: &MockServer) -> GatewayTarget {
    GatewayTarget {
        base_url: server.uri(),
        api_key: "waha-key".into(),
        session: "default".into(),
    }
}

fn text(chat: &str, t: &str) -> SendRequest {
    SendRequest {
        chat_id: chat.into(),
        body: SendBody::Text {
            text: t.into(),
            link_preview: true,
            mentions: vec![],
        },
        reply_to: None,
        reserved_id: None,
    }
}

#[tokio::test]
async fn a_text_send_carries_the_key_and_reads_each_engines_id() {
    let answers = [
        (
            "NOWEB",
            json!({"key": {"remoteJid": "5511999998888@s.whatsapp.net", "fromMe": true, "id": "3EB0NOWEB"}, "message": {"extendedTextMessage": {"text": "hi"}}, "messageTimestamp": "1700000000", "status": "PENDING"}),
            "true_5511999998888@c.us_3EB0NOWEB",
        ),
        (
            "GOWS",
            json!({"id": "true_5511999998888@c.us_3EB0GOWS", "_data": {"Info": {"ID": "3EB0GOWS"}}}),
            "true_5511999998888@c.us_3EB0GOWS",
        ),
        (
            "WEBJS",
            json!({"id": {"fromMe": true, "remote": "5511999998888@c.us", "id": "3EB0WEBJS", "_serialized": "true_5511999998888@c.us_3EB0WEBJS"}, "ack": 0, "body": "hi"}),
            "true_5511999998888@c.us_3EB0WEBJS",
        ),
    ];
    for (engine, answer, want) in answers {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/sendText"))
            .and(header("x-api-key", "waha-key"))
            .and(body_json(json!({"session": "default", "chatId": "5511999998888@c.us", "text": "hi", "linkPreview": true})))
            .respond_with(ResponseTemplate::new(201).set_body_json(answer))
            .expect(1)
            .mount(&server)
            .await;
        let id = client()
            .send(&target(&server), &text("5511999998888@c.us", "hi"))
            .await
            .unwrap();
        assert_eq!(id.as_deref(), Some(want), "{engine}");
    }
}

#[tokio::test]
async fn refusals_keep_wahas_reason() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/sendText"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(fx("api-error-422-session-not-working.constructed.json")),
        )
        .mount(&server)
        .await;
    match client().send(&target(&server), &text("1@c.us", "hi")).await {
        Err(GatewayError::Refused {
            status: 422,
            code: "session_not_working",
            detail,
            ..
        }) => {
            assert_eq!(detail["status"], "SCAN_QR_CODE");
        }
        other => panic!("{other:?}"),
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(fx("api-error-401-unauthorized.json")),
        )
        .mount(&server)
        .await;
    assert!(matches!(
        client().session(&target(&server)).await,
        Err(GatewayError::Refused {
            status: 401,
            code: "unauthorized",
            ..
        })
    ));
}

#[tokio::test]
async fn a_5xx_or_a_timeout_leaves_the_outcome_unknown_and_no_listener_is_unreachable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/sendText"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"statusCode": 500})))
        .mount(&server)
        .await;
    let e = client()
        .send(&target(&server), &text("1@c.us", "hi"))
        .await
        .unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");

    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(3)))
        .mount(&slow)
        .await;
    let e = client()
        .send(&target(&slow), &text("1@c.us", "hi"))
        .await
        .unwrap_err();
    assert!(e.outcome_unknown(), "a timeout: {e:?}");

    // A port nothing listens on: the request never left.
    let gone = target(&server);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let t = GatewayTarget {
        base_url: format!("http://127.0.0.1:{port}"),
        ..gone
    };
    assert!(matches!(
        client().send(&t, &text("1@c.us", "hi")).await,
        Err(GatewayError::Unreachable(_))
    ));
}

#[tokio::test]
async fn message_calls_use_wahas_paths() {
    let server = MockServer::start().await;
    let t = target(&server);
    Mock::given(method("GET"))
        .and(path("/api/default/new-message-id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "3EB0RESERVED"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/api/default/chats/123123%40c.us/messages/false_123123%40c.us_AAAAAA",
        ))
        .and(query_param("downloadMedia", "false"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fx("api-message-by-id.json")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/reaction"))
        .and(body_json(
            json!({"session": "default", "messageId": "true_1@c.us_AB", "reaction": "👍"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(
            "/api/default/chats/1%40c.us/messages/true_1%40c.us_AB",
        ))
        .and(body_json(json!({"text": "fixed", "linkPreview": false})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(
            "/api/default/chats/1%40c.us/messages/true_1%40c.us_AB",
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/sendSeen"))
        .and(body_json(
            json!({"session": "default", "chatId": "1@c.us", "messageIds": ["false_1@c.us_IN"]}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/default/presence"))
        .and(body_json(json!({"chatId": "1@c.us", "presence": "typing"})))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let c = client();
    assert_eq!(
        c.new_message_id(&t).await.unwrap().as_deref(),
        Some("3EB0RESERVED")
    );
    let m = c
        .get_message(&t, "123123@c.us", "false_123123@c.us_AAAAAA", false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (m.id.as_str(), m.from_me, m.ack, m.timestamp),
        ("false_123123@c.us_AAAAAA", false, Some(3), Some(1727745026))
    );
    assert_eq!(
        c.get_message(&t, "1@c.us", "true_1@c.us_NOPE", false)
            .await
            .unwrap(),
        None,
        "404 is absent"
    );
    c.react(&t, "true_1@c.us_AB", "👍").await.unwrap();
    c.edit(&t, "1@c.us", "true_1@c.us_AB", "fixed")
        .await
        .unwrap();
    c.delete(&t, "1@c.us", "true_1@c.us_AB").await.unwrap();
    c.send_seen(&t, "1@c.us", &["false_1@c.us_IN".to_string()])
        .await
        .unwrap();
    c.set_presence(&t, "1@c.us", Presence::Typing)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_engine_that_cannot_reserve_ids_says_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/default/new-message-id"))
        .respond_with(ResponseTemplate::new(501).set_body_json(json!({"statusCode": 501, "message": "Method not implemented by 'WEBJS' engine", "error": "Not Implemented"})))
        .mount(&server)
        .await;
    // 501 is WAHA's "not implemented by this engine": nothing happened.
    let r = client().new_message_id(&target(&server)).await;
    assert_eq!(r, Ok(None));
}

#[tokio::test]
async fn contacts_sessions_and_media() {
    let server = MockServer::start().await;
    let t = target(&server);
    Mock::given(method("GET"))
        .and(path("/api/contacts/check-exists"))
        .and(query_param("phone", "123123123"))
        .and(query_param("session", "default"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fx("api-contact-check-exists-response.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/contacts/check-exists"))
        .and(query_param("phone", "999"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"numberExists": false})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/contacts/profile-picture"))
        .and(query_param("contactId", "123123123@c.us"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fx("api-contact-profile-picture-response.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/default/lids/123123123%40lid"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fx("api-lid-get-response.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/sessions/default"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fx("api-session-get-response.json")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/sessions/default"))
        .and(body_json(
            json!({"name": "default", "config": {"webhooks": []}}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fx("api-session-create-response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/default/auth/qr"))
        .and(header("accept", "image/png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"\x89PNG....".to_vec()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/files/default/ABC.jpeg"))
        .and(header("x-api-key", "waha-key"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/jpeg")
                .set_body_bytes(vec![7u8; 1000]),
        )
        .mount(&server)
        .await;
    let c = client();
    assert_eq!(
        c.check_exists(&t, "123123123").await.unwrap().as_deref(),
        Some("123123123@c.us")
    );
    assert_eq!(c.check_exists(&t, "999").await.unwrap(), None);
    assert_eq!(
        c.profile_picture(&t, "123123123@c.us")
            .await
            .unwrap()
            .as_deref(),
        Some("https://example.com/profile.jpg")
    );
    assert_eq!(
        c.lid_phone(&t, "123123123@lid").await.unwrap().as_deref(),
        Some("123456789@c.us")
    );
    let s = c.session(&t).await.unwrap().unwrap();
    assert_eq!(
        (s.status.as_str(), s.engine.as_deref()),
        ("WORKING", Some("NOWEB"))
    );
    assert_eq!(
        s.config["webhooks"][0]["events"],
        json!(["message", "session.status"])
    );
    c.update_config(&t, &json!({"webhooks": []})).await.unwrap();
    assert!(c.qr_png(&t).await.unwrap().starts_with(b"\x89PNG"));
    let file = format!("{}/api/files/default/ABC.jpeg", server.uri());
    let d = c.download(&t, &file, 4096).await.unwrap();
    assert_eq!(
        (d.bytes.len(), d.mimetype.as_deref()),
        (1000, Some("image/jpeg"))
    );
    assert!(matches!(
        c.download(&t, &file, 999).await,
        Err(GatewayError::Refused {
            code: "too_large",
            ..
        })
    ));
}

#[tokio::test]
async fn media_bodies_are_sent_as_base64_or_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/sendFile"))
        .and(body_json(json!({"session": "default", "chatId": "1@c.us", "file": {"mimetype": "application/pdf", "data": "JVBERg==", "filename": "a.pdf"}, "caption": "the invoice"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "true_1@c.us_PDF"})))
        .expect(1)
        .mount(&server)
        .await;
    let req = SendRequest {
        chat_id: "1@c.us".into(),
        body: SendBody::File {
            file: SendFile {
                source: FileSource::Data(b"%PDF".to_vec()),
                mimetype: "application/pdf".into(),
                filename: Some("a.pdf".into()),
            },
            caption: Some("the invoice".into()),
        },
        reply_to: None,
        reserved_id: None,
    };
    let id = client().send(&target(&server), &req).await.unwrap();
    assert_eq!(id.as_deref(), Some("true_1@c.us_PDF"));
}
