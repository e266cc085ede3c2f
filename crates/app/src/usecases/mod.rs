pub mod agents;
pub mod api_keys;
pub mod authenticate;
pub mod contacts;
pub mod create_channel;
pub mod create_tenant;
pub mod ingest_webhook;
pub mod jobs;
pub mod login;
pub mod manage_channel;
pub mod notes;
pub mod projects;
pub mod read_models;
pub mod session_lifecycle;
pub mod session_timeout;
pub mod users;

mod ingest_events;
