pub mod agents;
pub mod api_keys;
pub mod authenticate;
pub mod channel_activation;
pub mod contacts;
pub mod create_channel;
pub mod create_tenant;
pub mod ingest;
pub mod jobs;
pub mod lid_merge;
pub mod login;
pub mod manage_channel;
pub mod media;
pub mod media_download;
pub mod message_actions;
pub mod message_groups;
pub mod notes;
pub mod pipelines;
pub mod profile_picture;
pub mod projects;
pub mod read_models;
pub mod reports;
pub mod send_message;
pub mod send_saga;
pub mod session_lifecycle;
pub mod session_metrics;
pub mod session_timeout;
pub mod users;
pub mod webhook_delivery;
pub mod webhooks;

mod events;

use crate::ports::{Clock, JobHandler, MediaStore, Store, WhatsAppGateway};
use std::sync::Arc;

/// Every job handler Ventros has: session timeouts, session metrics, message groups.
pub fn job_handlers(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Vec<Arc<dyn JobHandler>> {
    vec![
        Arc::new(session_timeout::SessionTimeoutHandler {
            store: store.clone(),
            clock: clock.clone(),
        }),
        Arc::new(session_metrics::SessionMetricsHandler {
            store: store.clone(),
            clock: clock.clone(),
        }),
        Arc::new(message_groups::MessageGroupHandler { store, clock }),
    ]
}

/// The handlers that talk to the WhatsApp gateway and the media store: the send saga,
/// media downloads and profile pictures.
pub fn gateway_handlers(
    store: Arc<dyn Store>,
    gateway: Arc<dyn WhatsAppGateway>,
    media: Arc<dyn MediaStore>,
    clock: Arc<dyn Clock>,
    media_max_bytes: u64,
    picture_refresh_hours: u32,
) -> Vec<Arc<dyn JobHandler>> {
    let send = Arc::new(send_saga::SendHandler {
        store: store.clone(),
        gateway: gateway.clone(),
        media: media.clone(),
        clock: clock.clone(),
    });
    vec![
        send.clone(),
        Arc::new(send_saga::ConfirmHandler(send)),
        Arc::new(media_download::MediaDownloadHandler {
            store: store.clone(),
            gateway: gateway.clone(),
            media: media.clone(),
            clock: clock.clone(),
            max_bytes: media_max_bytes,
        }),
        Arc::new(lid_merge::LidLookupHandler {
            store: store.clone(),
            gateway: gateway.clone(),
            clock: clock.clone(),
        }),
        Arc::new(profile_picture::ProfilePictureHandler {
            store,
            gateway,
            media,
            clock,
            refresh_hours: picture_refresh_hours,
            max_bytes: media_max_bytes,
        }),
    ]
}
