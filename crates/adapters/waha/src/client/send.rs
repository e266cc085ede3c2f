//! Send calls: one WAHA endpoint per kind of message, the common fields (`session`, `chatId`,
//! `reply_to`, a reserved `id`), and the id of what was sent, read from whichever shape the
//! engine answers with.

use base64::Engine as _;
use serde_json::{Value, json};
use ventros_app::ports::{ContactCard, FileSource, SendBody, SendFile, SendRequest};
use ventros_domain::wa_id::{Jid, WaMessageKey};

/// The endpoint and JSON body of a send.
pub(super) fn send_call(session: &str, req: &SendRequest) -> (&'static str, Value) {
    let (path, mut body) = match &req.body {
        SendBody::Text {
            text,
            link_preview,
            mentions,
        } => {
            let mut b = json!({"text": text, "linkPreview": link_preview});
            if !mentions.is_empty() {
                b["mentions"] = json!(mentions);
            }
            ("sendText", b)
        }
        SendBody::Image { file, caption } => ("sendImage", with_caption(file, caption)),
        SendBody::File { file, caption } => ("sendFile", with_caption(file, caption)),
        SendBody::Video { file, caption } => {
            let mut b = with_caption(file, caption);
            b["convert"] = json!(file.mimetype != "video/mp4");
            ("sendVideo", b)
        }
        SendBody::Voice { file } => {
            let opus = file.mimetype.starts_with("audio/ogg");
            (
                "sendVoice",
                json!({"file": file_json(file), "convert": !opus}),
            )
        }
        SendBody::Location {
            latitude,
            longitude,
            title,
        } => (
            "sendLocation",
            json!({"latitude": latitude, "longitude": longitude, "title": title.clone().unwrap_or_default()}),
        ),
        SendBody::ContactCards { contacts } => {
            let contacts: Vec<Value> = contacts
                .iter()
                .map(|c| match c {
                    ContactCard::Vcard { vcard } => json!({"vcard": vcard}),
                    ContactCard::Fields { full_name, phone } => {
                        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                        json!({"fullName": full_name, "phoneNumber": phone, "whatsappId": digits})
                    }
                })
                .collect();
            ("sendContactVcard", json!({"contacts": contacts}))
        }
        SendBody::Poll {
            name,
            options,
            multiple_answers,
        } => (
            "sendPoll",
            json!({"poll": {"name": name, "options": options, "multipleAnswers": multiple_answers}}),
        ),
    };
    body["session"] = json!(session);
    body["chatId"] = json!(req.chat_id);
    if let Some(r) = &req.reply_to {
        body["reply_to"] = json!(r);
    }
    if let Some(id) = &req.reserved_id {
        body["id"] = json!(id);
    }
    (path, body)
}

fn file_json(f: &SendFile) -> Value {
    let mut v = json!({"mimetype": f.mimetype});
    match &f.source {
        FileSource::Url(u) => v["url"] = json!(u),
        FileSource::Data(d) => {
            v["data"] = json!(base64::engine::general_purpose::STANDARD.encode(d))
        }
    }
    if let Some(n) = &f.filename {
        v["filename"] = json!(n);
    }
    v
}

fn with_caption(f: &SendFile, caption: &Option<String>) -> Value {
    let mut b = json!({"file": file_json(f)});
    if let Some(c) = caption {
        b["caption"] = json!(c);
    }
    b
}

/// The serialized id (`true_{chat}_{rawId}`) of a message in a send's answer, whichever engine
/// answered: GOWS and the documented shape give `id` as that string; WEBJS gives `id` as an
/// object with `_serialized`; NOWEB gives Baileys' `key` (`remoteJid` on `s.whatsapp.net`,
/// `fromMe`, `id`), normalised here to the `…@c.us` form the webhooks use.
pub fn sent_message_id(answer: &Value) -> Option<String> {
    if let Some(id) = answer
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        return Some(id.to_string());
    }
    if let Some(id) = answer
        .pointer("/id/_serialized")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        return Some(id.to_string());
    }
    let key = answer.get("key")?;
    let raw = key
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())?;
    let chat = Jid::parse(key.get("remoteJid").and_then(Value::as_str)?).ok()?;
    let from_me = key.get("fromMe").and_then(Value::as_bool).unwrap_or(true);
    let id = format!("{from_me}_{chat}_{raw}");
    // Only what parses back as a message id is returned.
    WaMessageKey::parse(&id).ok().map(|_| id)
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "a test fails loudly on what it did not expect"
    )]
    use super::*;
    use ventros_testkit::fixture;

    fn v(name: &str) -> Value {
        serde_json::from_slice(&fixture(name)).unwrap()
    }

    #[test]
    fn the_sent_id_is_read_from_every_engines_answer() {
        // NOWEB (recorded): Baileys' WebMessageInfo.
        assert_eq!(
            sent_message_id(&v("api-send-status-response-noweb.json")).as_deref(),
            Some("true_status@broadcast_AAAAAAAAAAAAAAAAAAAAAA")
        );
        let noweb = json!({"key": {"remoteJid": "5511999998888@s.whatsapp.net", "fromMe": true, "id": "3EB0C431D5"}, "message": {"conversation": "hi"}, "messageTimestamp": "1700000000", "status": "PENDING"});
        assert_eq!(
            sent_message_id(&noweb).as_deref(),
            Some("true_5511999998888@c.us_3EB0C431D5")
        );
        // GOWS and the documented shape: the serialized id itself.
        assert_eq!(
            sent_message_id(&v("api-sendPoll-response-docs.json")).as_deref(),
            Some("true_321321321@c.us_83ACBAAAAAAAAAAAAAAAAAAAA")
        );
        let gows = json!({"id": "true_5511999998888@c.us_3EB0AB12", "_data": {"Info": {}}});
        assert_eq!(
            sent_message_id(&gows).as_deref(),
            Some("true_5511999998888@c.us_3EB0AB12")
        );
        // WEBJS: whatsapp-web.js' message, its id an object.
        let webjs = json!({"id": {"fromMe": true, "remote": "5511999998888@c.us", "id": "3EB0DD", "_serialized": "true_5511999998888@c.us_3EB0DD"}, "ack": 0, "body": "hi"});
        assert_eq!(
            sent_message_id(&webjs).as_deref(),
            Some("true_5511999998888@c.us_3EB0DD")
        );
        // Nothing to go on.
        assert_eq!(sent_message_id(&json!({})), None);
        assert_eq!(
            sent_message_id(&json!({"key": {"remoteJid": "nobody", "id": "X"}})),
            None
        );
    }

    #[test]
    fn bodies_carry_the_common_fields_and_each_kinds_own() {
        let req = SendRequest {
            chat_id: "5511999998888@c.us".into(),
            body: SendBody::Text {
                text: "hi @5511888887777".into(),
                link_preview: false,
                mentions: vec!["5511888887777@c.us".into()],
            },
            reply_to: Some("false_5511999998888@c.us_AAA".into()),
            reserved_id: Some("3EB0RESERVED".into()),
        };
        let (path, body) = send_call("default", &req);
        assert_eq!(path, "sendText");
        assert_eq!(
            body,
            json!({"session": "default", "chatId": "5511999998888@c.us", "text": "hi @5511888887777", "linkPreview": false, "mentions": ["5511888887777@c.us"], "reply_to": "false_5511999998888@c.us_AAA", "id": "3EB0RESERVED"})
        );
        // WAHA's documented request bodies, whole.
        let to = |chat: &str, body: SendBody| SendRequest {
            chat_id: chat.into(),
            body,
            reply_to: None,
            reserved_id: None,
        };
        let url_file = |url: &str, mimetype: &str, filename: Option<&str>| SendFile {
            source: FileSource::Url(url.into()),
            mimetype: mimetype.into(),
            filename: filename.map(String::from),
        };
        let cases = [
            (
                "api-sendImage-request-url.json",
                to(
                    "11111111111@c.us",
                    SendBody::Image {
                        file: url_file(
                            "https://github.com/devlikeapro/waha/raw/core/examples/dev.likeapro.jpg",
                            "image/jpeg",
                            Some("filename.jpeg"),
                        ),
                        caption: Some("string".into()),
                    },
                ),
            ),
            (
                "api-sendVoice-request-url.json",
                to(
                    "11111111111@c.us",
                    SendBody::Voice {
                        file: url_file(
                            "https://github.com/devlikeapro/waha/raw/core/examples/dev.likeapro.opus",
                            "audio/ogg; codecs=opus",
                            None,
                        ),
                    },
                ),
            ),
            (
                "api-sendPoll-request.json",
                to(
                    "123123123@c.us",
                    SendBody::Poll {
                        name: "How are you?".into(),
                        options: vec!["Awesome!".into(), "Good!".into(), "Not bad!".into()],
                        multiple_answers: false,
                    },
                ),
            ),
            (
                "api-sendLocation-request.json",
                to(
                    "11111111111@c.us",
                    SendBody::Location {
                        latitude: 38.8937255,
                        longitude: -77.0969763,
                        title: Some("Our office".into()),
                    },
                ),
            ),
        ];
        for (file, req) in cases {
            let (_, body) = send_call("default", &req);
            assert_eq!(body, v(file), "{file}");
        }
        let card = to(
            "79111111@c.us",
            SendBody::ContactCards {
                contacts: vec![ContactCard::Fields {
                    full_name: "John Doe".into(),
                    phone: "+91 11111 11111".into(),
                }],
            },
        );
        let (path, body) = send_call("default", &card);
        let doc = v("api-sendContactVcard-request-fields.json");
        assert_eq!(path, "sendContactVcard");
        for k in ["fullName", "phoneNumber", "whatsappId"] {
            assert_eq!(body["contacts"][0][k], doc["contacts"][0][k], "{k}");
        }
        let data = to(
            "1@c.us",
            SendBody::Voice {
                file: SendFile {
                    source: FileSource::Data(vec![1, 2, 3]),
                    mimetype: "audio/mpeg".into(),
                    filename: None,
                },
            },
        );
        let (_, body) = send_call("default", &data);
        assert_eq!(
            (body["file"]["data"].clone(), body["convert"].clone()),
            (json!("AQID"), json!(true))
        );
    }
}
