//! WAHA-shaped webhook bodies for load generation, simulation and tests.

use serde_json::json;

/// A `message` webhook as WAHA (WEBJS) sends it, for one text message.
pub fn text_message(
    event_id: Option<&str>,
    phone_digits: &str,
    raw_id: &str,
    from_me: bool,
    body: &str,
    ts_seconds: i64,
) -> Vec<u8> {
    let chat = format!("{phone_digits}@c.us");
    let mut v = json!({
        "event": "message",
        "session": "default",
        "engine": "WEBJS",
        "payload": {
            "id": format!("{from_me}_{chat}_{raw_id}"),
            "timestamp": ts_seconds,
            "from": if from_me { "444444444444@c.us".to_string() } else { chat.clone() },
            "fromMe": from_me,
            "source": "app",
            "to": if from_me { chat.clone() } else { "444444444444@c.us".to_string() },
            "body": body,
            "hasMedia": false,
            "ack": 1,
            "vCards": [],
            "_data": {"notifyName": "Customer"}
        }
    });
    if let Some(id) = event_id {
        v["id"] = json!(id);
        v["timestamp"] = json!(ts_seconds * 1000);
    }
    v.to_string().into_bytes()
}

/// A `message.ack` webhook for a message sent by us.
pub fn ack(event_id: &str, phone_digits: &str, raw_id: &str, from_me: bool, ack: i64) -> Vec<u8> {
    json!({
        "id": event_id,
        "event": "message.ack",
        "session": "default",
        "payload": {
            "id": format!("{from_me}_{phone_digits}@c.us_{raw_id}"),
            "from": format!("{phone_digits}@c.us"),
            "fromMe": from_me,
            "ack": ack
        }
    })
    .to_string()
    .into_bytes()
}
