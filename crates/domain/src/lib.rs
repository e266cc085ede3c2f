//! Ventros domain: entities, value objects, invariants and domain events. No IO, no async.

pub mod agent;
pub mod channel;
pub mod chat;
pub mod contact;
pub mod error;
pub mod event;
pub mod ids;
pub mod job;
pub mod media;
pub mod message;
pub mod message_group;
pub mod metrics;
pub mod note;
pub mod outbound;
pub mod phone;
pub mod pipeline;
pub mod rate_limit;
pub mod rbac;
pub mod secret;
pub mod session;
pub mod tenancy;
pub mod time;
pub mod timeline;
pub mod wa_id;
pub mod webhook;

pub use error::DomainError;
