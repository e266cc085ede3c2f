pub mod authenticate;
pub mod create_channel;
pub mod create_tenant;
pub mod ingest_webhook;
pub mod read_models;

mod ingest_events;
