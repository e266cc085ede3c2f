//! The gateway ports on WAHA's endpoints.

use super::send::{send_call, sent_message_id};
use super::{WahaClient, transport};
use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use ventros_app::ports::{
    ContactGateway, Downloaded, GatewayError, GatewayMessage, GatewayResult, GatewaySession,
    GatewayTarget, MessageGateway, Presence, SendRequest, SessionGateway,
};

#[async_trait]
impl MessageGateway for WahaClient {
    async fn send(&self, t: &GatewayTarget, req: &SendRequest) -> GatewayResult<Option<String>> {
        let (path, body) = send_call(&t.session, req);
        let url = Self::url(t, &["api", path])?;
        let answer = self
            .json(self.request(t, Method::POST, url).json(&body))
            .await?;
        Ok(sent_message_id(&answer))
    }

    async fn new_message_id(&self, t: &GatewayTarget) -> GatewayResult<Option<String>> {
        let url = Self::url(t, &["api", &t.session, "new-message-id"])?;
        match self.json(self.request(t, Method::GET, url)).await {
            Ok(v) => Ok(v.get("id").and_then(Value::as_str).map(str::to_string)),
            // WEBJS (and WAHA before 2026.4.3) cannot reserve ids.
            Err(GatewayError::Refused {
                status: 404 | 501, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn get_message(
        &self,
        t: &GatewayTarget,
        chat_id: &str,
        message_id: &str,
        download_media: bool,
    ) -> GatewayResult<Option<GatewayMessage>> {
        let mut url = Self::url(
            t,
            &["api", &t.session, "chats", chat_id, "messages", message_id],
        )?;
        url.query_pairs_mut().append_pair(
            "downloadMedia",
            if download_media { "true" } else { "false" },
        );
        let Some(v) = self
            .json_or_absent(self.request(t, Method::GET, url))
            .await?
        else {
            return Ok(None);
        };
        // Some engines answer 200 with `null` (or `{}`) for a message they do not have.
        let Some(id) = sent_message_id(&v) else {
            return Ok(None);
        };
        Ok(Some(GatewayMessage {
            from_me: v
                .get("fromMe")
                .and_then(Value::as_bool)
                .unwrap_or_else(|| id.starts_with("true_")),
            id,
            ack: v.get("ack").and_then(Value::as_i64),
            timestamp: v.get("timestamp").and_then(Value::as_i64),
            media_url: v
                .pointer("/media/url")
                .and_then(Value::as_str)
                .map(str::to_string),
        }))
    }

    async fn react(&self, t: &GatewayTarget, message_id: &str, emoji: &str) -> GatewayResult<()> {
        let url = Self::url(t, &["api", "reaction"])?;
        let body = json!({"session": t.session, "messageId": message_id, "reaction": emoji});
        self.json(self.request(t, Method::PUT, url).json(&body))
            .await?;
        Ok(())
    }

    async fn edit(
        &self,
        t: &GatewayTarget,
        chat_id: &str,
        message_id: &str,
        text: &str,
    ) -> GatewayResult<()> {
        let url = Self::url(
            t,
            &["api", &t.session, "chats", chat_id, "messages", message_id],
        )?;
        let body = json!({"text": text, "linkPreview": false});
        self.json(self.request(t, Method::PUT, url).json(&body))
            .await?;
        Ok(())
    }

    async fn delete(
        &self,
        t: &GatewayTarget,
        chat_id: &str,
        message_id: &str,
    ) -> GatewayResult<()> {
        let url = Self::url(
            t,
            &["api", &t.session, "chats", chat_id, "messages", message_id],
        )?;
        self.json(self.request(t, Method::DELETE, url)).await?;
        Ok(())
    }

    async fn send_seen(
        &self,
        t: &GatewayTarget,
        chat_id: &str,
        message_ids: &[String],
    ) -> GatewayResult<()> {
        let url = Self::url(t, &["api", "sendSeen"])?;
        let mut body = json!({"session": t.session, "chatId": chat_id});
        if !message_ids.is_empty() {
            body["messageIds"] = json!(message_ids);
        }
        self.json(self.request(t, Method::POST, url).json(&body))
            .await?;
        Ok(())
    }

    async fn set_presence(
        &self,
        t: &GatewayTarget,
        chat_id: &str,
        presence: Presence,
    ) -> GatewayResult<()> {
        let url = Self::url(t, &["api", &t.session, "presence"])?;
        let p = match presence {
            Presence::Typing => "typing",
            Presence::Paused => "paused",
            Presence::Recording => "recording",
        };
        let body = json!({"chatId": chat_id, "presence": p});
        self.json(self.request(t, Method::POST, url).json(&body))
            .await?;
        Ok(())
    }
}

#[async_trait]
impl ContactGateway for WahaClient {
    async fn check_exists(&self, t: &GatewayTarget, phone: &str) -> GatewayResult<Option<String>> {
        let mut url = Self::url(t, &["api", "contacts", "check-exists"])?;
        url.query_pairs_mut()
            .append_pair("phone", phone)
            .append_pair("session", &t.session);
        let v = self.json(self.request(t, Method::GET, url)).await?;
        if v.get("numberExists").and_then(Value::as_bool) != Some(true) {
            return Ok(None);
        }
        Ok(Some(
            v.get("chatId")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{phone}@c.us"), str::to_string),
        ))
    }

    async fn profile_picture(
        &self,
        t: &GatewayTarget,
        contact_id: &str,
    ) -> GatewayResult<Option<String>> {
        let mut url = Self::url(t, &["api", "contacts", "profile-picture"])?;
        url.query_pairs_mut()
            .append_pair("contactId", contact_id)
            .append_pair("session", &t.session)
            .append_pair("refresh", "true");
        let v = self
            .json_or_absent(self.request(t, Method::GET, url))
            .await?;
        Ok(v.and_then(|v| {
            v.get("profilePictureURL")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        }))
    }

    async fn lid_phone(&self, t: &GatewayTarget, lid: &str) -> GatewayResult<Option<String>> {
        let url = Self::url(t, &["api", &t.session, "lids", lid])?;
        let v = self
            .json_or_absent(self.request(t, Method::GET, url))
            .await?;
        Ok(v.and_then(|v| v.get("pn").and_then(Value::as_str).map(str::to_string)))
    }

    async fn download(
        &self,
        t: &GatewayTarget,
        url: &str,
        max_bytes: usize,
    ) -> GatewayResult<Downloaded> {
        let url = reqwest::Url::parse(url).map_err(|e| GatewayError::Refused {
            status: 400,
            code: "invalid_request",
            message: format!("not a URL: {e}"),
            detail: Value::Null,
        })?;
        // The key goes only to WAHA itself: a profile picture lives on WhatsApp's servers.
        let own = reqwest::Url::parse(&t.base_url).is_ok_and(|b| b.origin() == url.origin());
        let req = match own {
            true => self.request(t, Method::GET, url),
            false => self.http.get(url),
        };
        let mut resp = req
            .header(reqwest::header::ACCEPT, "*/*")
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.bytes().await.map_err(transport)?;
            return Err(super::refusal_or_unknown(status, &body));
        }
        if resp.content_length().is_some_and(|n| n > max_bytes as u64) {
            return Err(too_large(max_bytes));
        }
        let mimetype = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(too_large(max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Downloaded { bytes, mimetype })
    }
}

fn too_large(max: usize) -> GatewayError {
    GatewayError::Refused {
        status: 413,
        code: "too_large",
        message: format!("the file is larger than {max} bytes"),
        detail: Value::Null,
    }
}

#[async_trait]
impl SessionGateway for WahaClient {
    async fn session(&self, t: &GatewayTarget) -> GatewayResult<Option<GatewaySession>> {
        let url = Self::url(t, &["api", "sessions", &t.session])?;
        let Some(v) = self
            .json_or_absent(self.request(t, Method::GET, url))
            .await?
        else {
            return Ok(None);
        };
        let status = v
            .get("status")
            .and_then(Value::as_str)
            .ok_or_else(|| GatewayError::Unknown("WAHA's session answer has no status".into()))?;
        Ok(Some(GatewaySession {
            name: v
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&t.session)
                .to_string(),
            status: status.to_string(),
            engine: v
                .pointer("/engine/engine")
                .or_else(|| v.get("engine"))
                .and_then(Value::as_str)
                .map(str::to_string),
            config: v.get("config").cloned().unwrap_or(Value::Null),
        }))
    }

    async fn update_config(&self, t: &GatewayTarget, config: &Value) -> GatewayResult<()> {
        let url = Self::url(t, &["api", "sessions", &t.session])?;
        let body = json!({"name": t.session, "config": config});
        self.json(self.request(t, Method::PUT, url).json(&body))
            .await?;
        Ok(())
    }

    async fn qr_png(&self, t: &GatewayTarget) -> GatewayResult<Vec<u8>> {
        let url = Self::url(t, &["api", &t.session, "auth", "qr"])?;
        let req = self
            .request(t, Method::GET, url)
            .header(reqwest::header::ACCEPT, "image/png");
        let (_, body) = self.exchange(req).await?;
        Ok(body)
    }
}
