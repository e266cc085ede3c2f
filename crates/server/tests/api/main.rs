//! Ventros over HTTP, on SQLite and (when configured) PostgreSQL: one module per resource,
//! one behaviour per test, so a failing test's name says what broke
//! (`contacts::postgres::a_taken_phone_is_409`). Each test runs against its own Ventros on
//! port 0 and its own database, which goes away with it, also when the test fails.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on what it did not expect"
)]

mod helpers;

mod activation;
mod agents;
mod api_keys;
mod auth;
mod backup;
mod channels;
mod cli;
mod connections;
mod contacts;
mod conversations;
mod correlation;
mod event_feed;
mod hostile_input;
mod idempotency;
mod jobs;
mod kill;
mod lid_merge;
mod logs;
mod media;
mod metrics;
mod notes;
mod openapi;
mod outbound_webhooks;
mod pictures;
mod pipelines;
mod postgres_tls;
mod process;
mod projects;
mod rabbitmq;
mod rbac;
mod redis_sink;
mod reports;
mod sending;
mod sessions;
mod shared_limits;
mod tenancy;
mod users;
mod validation;
mod webhooks;
