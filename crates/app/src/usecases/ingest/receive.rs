//! A raw gateway webhook, from the channel its URL names to what became of it: the channel is
//! looked up across tenants, the signature checked, the body decoded and ingested.

use super::{IngestOutcome, ingest_webhook};
use crate::error::AppError;
use crate::ports::{ChannelStore, Clock, IngestStore, WebhookDecoder};
use ventros_domain::event::EventContext;
use ventros_domain::ids::ChannelId;

/// A webhook as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// The channel id from the webhook URL, as sent.
    pub channel_id: &'a str,
    pub body: &'a [u8],
    /// The signature header, when there was one.
    pub signature: Option<&'a str>,
    /// The sender's correlation id, when it sent one.
    pub correlation_id: Option<&'a str>,
}

/// A delivery Ventros stored, and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub channel_id: ChannelId,
    /// The gateway's event name (`message`, `message.ack`, …).
    pub event_name: String,
    pub outcome: IngestOutcome,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// An unknown channel and a bad signature get the same answer, so a caller cannot probe
    /// which channel ids exist.
    #[error("unknown channel or invalid signature")]
    Unauthorized,
    /// Not a webhook body at all (not JSON, no event name).
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    App(#[from] AppError),
}

pub async fn receive_webhook(
    store: &(impl ChannelStore + IngestStore + ?Sized),
    decoder: &dyn WebhookDecoder,
    clock: &dyn Clock,
    req: WebhookRequest<'_>,
) -> Result<Received, ReceiveError> {
    let channel = match uuid::Uuid::parse_str(req.channel_id) {
        Ok(id) => store.webhook_channel(id.into()).await?,
        Err(_) => None,
    }
    .ok_or(ReceiveError::Unauthorized)?;
    if let Some(key) = &channel.hmac_key
        && !decoder.verify(key.expose(), req.body, req.signature)
    {
        return Err(ReceiveError::Unauthorized);
    }
    let delivery = decoder.decode(req.body).map_err(|e| match e {
        crate::ports::DecodeError::Malformed(m) => ReceiveError::Malformed(m),
    })?;
    let event_name = delivery.event_name.clone();
    let ctx = EventContext {
        source: decoder.gateway().into(),
        correlation_id: req.correlation_id.map(str::to_string),
        causation_id: None,
    };
    let outcome = ingest_webhook(store, clock, &channel, delivery, &ctx).await?;
    Ok(Received {
        channel_id: channel.channel_id,
        event_name,
        outcome,
    })
}
