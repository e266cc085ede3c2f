//! Test doubles for the job handlers that talk to the outside: a WhatsApp gateway that has
//! nothing (every call is refused as not found) and a media store in memory.

use async_trait::async_trait;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;
use ventros_app::error::AppResult;
use ventros_app::ports::{
    ContactGateway, Downloaded, GatewayError, GatewayMessage, GatewayResult, GatewaySession,
    GatewayTarget, MediaBytes, MediaStore, MessageGateway, Presence, SendRequest, SessionGateway,
};

/// A gateway whose every answer is 404: nothing there, nothing sent.
pub struct EmptyGateway;

fn gone<T>() -> GatewayResult<T> {
    Err(GatewayError::Refused {
        status: 404,
        code: "not_found",
        message: "the test gateway has nothing".into(),
        detail: serde_json::Value::Null,
    })
}

#[async_trait]
impl MessageGateway for EmptyGateway {
    async fn send(&self, _: &GatewayTarget, _: &SendRequest) -> GatewayResult<Option<String>> {
        gone()
    }
    async fn new_message_id(&self, _: &GatewayTarget) -> GatewayResult<Option<String>> {
        Ok(None)
    }
    async fn get_message(
        &self,
        _: &GatewayTarget,
        _: &str,
        _: &str,
        _: bool,
    ) -> GatewayResult<Option<GatewayMessage>> {
        Ok(None)
    }
    async fn react(&self, _: &GatewayTarget, _: &str, _: &str) -> GatewayResult<()> {
        gone()
    }
    async fn edit(&self, _: &GatewayTarget, _: &str, _: &str, _: &str) -> GatewayResult<()> {
        gone()
    }
    async fn delete(&self, _: &GatewayTarget, _: &str, _: &str) -> GatewayResult<()> {
        gone()
    }
    async fn send_seen(&self, _: &GatewayTarget, _: &str, _: &[String]) -> GatewayResult<()> {
        gone()
    }
    async fn set_presence(&self, _: &GatewayTarget, _: &str, _: Presence) -> GatewayResult<()> {
        gone()
    }
}

#[async_trait]
impl ContactGateway for EmptyGateway {
    async fn check_exists(&self, _: &GatewayTarget, _: &str) -> GatewayResult<Option<String>> {
        Ok(None)
    }
    async fn profile_picture(&self, _: &GatewayTarget, _: &str) -> GatewayResult<Option<String>> {
        Ok(None)
    }
    async fn lid_phone(&self, _: &GatewayTarget, _: &str) -> GatewayResult<Option<String>> {
        Ok(None)
    }
    async fn download(&self, _: &GatewayTarget, _: &str, _: usize) -> GatewayResult<Downloaded> {
        gone()
    }
}

#[async_trait]
impl SessionGateway for EmptyGateway {
    async fn session(&self, _: &GatewayTarget) -> GatewayResult<Option<GatewaySession>> {
        Ok(None)
    }
    async fn update_config(&self, _: &GatewayTarget, _: &serde_json::Value) -> GatewayResult<()> {
        gone()
    }
    async fn qr_png(&self, _: &GatewayTarget) -> GatewayResult<Vec<u8>> {
        gone()
    }
}

/// Files in memory.
#[derive(Default)]
pub struct MemoryMedia(Mutex<HashMap<String, Vec<u8>>>);

#[async_trait]
impl MediaStore for MemoryMedia {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> AppResult<()> {
        if let Ok(mut m) = self.0.lock() {
            m.insert(key.to_string(), bytes);
        }
        Ok(())
    }
    async fn get(&self, key: &str, range: Option<Range<u64>>) -> AppResult<Option<MediaBytes>> {
        let m = self.0.lock().map(|m| m.get(key).cloned()).unwrap_or(None);
        Ok(m.map(|b| {
            let total = b.len() as u64;
            let r = range.unwrap_or(0..total);
            let (s, e) = (r.start.min(total) as usize, r.end.min(total) as usize);
            MediaBytes {
                bytes: b.get(s..e).map(<[u8]>::to_vec).unwrap_or_default(),
                total,
            }
        }))
    }
    async fn delete(&self, key: &str) -> AppResult<()> {
        if let Ok(mut m) = self.0.lock() {
            m.remove(key);
        }
        Ok(())
    }
}
