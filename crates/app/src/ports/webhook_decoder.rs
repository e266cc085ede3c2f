use crate::gateway::InboundDelivery;

/// Why a body could not be decoded at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not JSON, or not a JSON object with an `event` name.
    Malformed(String),
}

/// Decodes and authenticates gateway webhooks (implemented by the WAHA adapter).
pub trait WebhookDecoder: Send + Sync {
    /// The gateway's name, recorded as the `source` of the events its deliveries cause.
    fn gateway(&self) -> &'static str;

    /// Checks the signature header against the raw body with the channel's key, in
    /// constant time.
    fn verify(&self, key: &str, body: &[u8], signature: Option<&str>) -> bool;

    fn decode(&self, body: &[u8]) -> Result<InboundDelivery, DecodeError>;
}
