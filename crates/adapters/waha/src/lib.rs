//! WAHA adapter: webhook verification and decoding into Ventros' gateway events, and the typed
//! REST client behind the gateway ports.

mod client;
mod decode;
mod hmac_verify;
mod payloads;
pub mod sample;
pub mod sim;

pub use client::{ClientConfig, WahaClient, sent_message_id};
pub use decode::WahaDecoder;
pub use hmac_verify::{sign_hex, verify_hex};
