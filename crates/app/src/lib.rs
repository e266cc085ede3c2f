//! Ventros use cases and the ports (traits) they need. One use case per file.

pub mod actor;
pub mod error;
pub mod gateway;
pub mod page;
pub mod ports;
pub mod secrets;
pub mod throttle;
pub mod tokens;
pub mod usecases;
pub mod webhook_signing;

pub use error::AppError;
