//! WAHA adapter: webhook verification and decoding into Ventros' gateway events.

mod decode;
mod hmac_verify;
mod payloads;
pub mod sample;

pub use decode::WahaDecoder;
pub use hmac_verify::{sign_hex, verify_hex};
