//! `X-Webhook-Hmac`: lowercase hex HMAC-SHA512 of the raw body, as WAHA signs webhooks when
//! its session has an HMAC key.

use hmac::{Hmac, Mac};
use sha2::Sha512;

type HmacSha512 = Hmac<Sha512>;

pub fn sign_hex(key: &str, body: &[u8]) -> String {
    match HmacSha512::new_from_slice(key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Constant-time check of a hex signature (case-insensitive hex).
pub fn verify_hex(key: &str, body: &[u8], signature: Option<&str>) -> bool {
    let Some(sig) = signature.map(str::trim) else {
        return false;
    };
    let Ok(expected) = hex::decode(sig.to_ascii_lowercase()) else {
        return false;
    };
    let Ok(mut mac) = HmacSha512::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_documented_vector() {
        let body = br#"{"event":"message","session":"default","engine":"WEBJS"}"#;
        let sig = sign_hex("my-secret-key", body);
        assert!(
            sig.starts_with("208f8a55dde9e055") && sig.ends_with("6153fa89"),
            "{sig}"
        );
        assert!(verify_hex("my-secret-key", body, Some(&sig)));
        assert!(verify_hex("my-secret-key", body, Some(&sig.to_uppercase())));
        assert!(!verify_hex("other-key", body, Some(&sig)));
        assert!(!verify_hex("my-secret-key", b"{}", Some(&sig)));
        assert!(!verify_hex("my-secret-key", body, Some("zz")));
        assert!(!verify_hex("my-secret-key", body, None));
    }
}
