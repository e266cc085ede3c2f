//! Data for the storage baselines that `ventros bench` compares the real paths against.

use chrono::{DateTime, Utc};

/// One inbound text message, as the bare-SQL baseline writes it.
#[derive(Debug, Clone)]
pub struct BaselineMessage {
    pub dedupe_key: String,
    /// E.164 phone of the sender.
    pub phone: String,
    pub wa_chat_id: String,
    pub raw_id: String,
    pub body: String,
    pub at: DateTime<Utc>,
}
