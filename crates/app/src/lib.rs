//! Ventros use cases and the ports (traits) they need. One use case per file.

pub mod bench;
pub mod error;
pub mod gateway;
pub mod page;
pub mod ports;
pub mod secrets;
pub mod usecases;

pub use error::AppError;
