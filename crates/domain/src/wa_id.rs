//! WhatsApp identifiers as WAHA sends them (the shapes are in the recorded webhooks of
//! `crates/testkit/fixtures/waha/`).
//!
//! A JID is `user@server`: `@c.us` (person; `@s.whatsapp.net` is normalised to it), `@lid`
//! (hidden linked id of a person), `@g.us` (group), `@newsletter` (channel) and
//! `status@broadcast`. A serialized message id is `{fromMe}_{chat}_{rawId}[_{participant}]`.

use crate::DomainError;
use crate::phone::Phone;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JidKind {
    Person,
    Lid,
    Group,
    Newsletter,
    Broadcast,
}

impl JidKind {
    fn server(self) -> &'static str {
        match self {
            JidKind::Person => "c.us",
            JidKind::Lid => "lid",
            JidKind::Group => "g.us",
            JidKind::Newsletter => "newsletter",
            JidKind::Broadcast => "broadcast",
        }
    }
}

/// The longest user part of a JID (phones have at most 15 digits, LIDs and group ids about
/// 20 to 30 characters).
pub const MAX_JID_USER: usize = 64;
/// The longest raw message id (real ones have 16 to 40 characters).
pub const MAX_RAW_ID: usize = 128;

/// At most 40 characters of an input, for an error message.
fn shown(input: &str) -> String {
    let mut s: String = input.chars().take(40).collect();
    if s.len() < input.len() {
        s.push('…');
    }
    format!("{s:?}")
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Jid {
    user: String,
    kind: JidKind,
}

impl Jid {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let (user, server) = input.trim().split_once('@').ok_or_else(|| {
            DomainError::invalid("whatsapp_id", format!("{} has no @server", shown(input)))
        })?;
        // `123:42@s.whatsapp.net` carries a device suffix; the person is `123`.
        let user = user.split(':').next().unwrap_or(user);
        let kind = match server {
            "c.us" | "s.whatsapp.net" => JidKind::Person,
            "lid" => JidKind::Lid,
            "g.us" => JidKind::Group,
            "newsletter" => JidKind::Newsletter,
            "broadcast" => JidKind::Broadcast,
            other => {
                return Err(DomainError::invalid(
                    "whatsapp_id",
                    format!("unknown WhatsApp server {}", shown(other)),
                ));
            }
        };
        if user.is_empty() || user.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(DomainError::invalid(
                "whatsapp_id",
                format!("{} has no user part", shown(input)),
            ));
        }
        if user.len() > MAX_JID_USER {
            return Err(DomainError::invalid(
                "whatsapp_id",
                format!("{} is longer than {MAX_JID_USER} characters", shown(input)),
            ));
        }
        Ok(Jid {
            user: user.to_string(),
            kind,
        })
    }

    pub fn kind(&self) -> JidKind {
        self.kind
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// The E.164 phone of a person JID, when its user part is a valid number.
    pub fn phone(&self) -> Option<Phone> {
        match self.kind {
            JidKind::Person => Phone::parse(&self.user).ok(),
            _ => None,
        }
    }

    pub fn is_person(&self) -> bool {
        matches!(self.kind, JidKind::Person | JidKind::Lid)
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.user, self.kind.server())
    }
}

/// A parsed serialized message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaMessageKey {
    /// `None` when the id lacks the `true_`/`false_` prefix (a NOWEB quirk).
    pub from_me: Option<bool>,
    pub chat: Jid,
    pub raw_id: String,
    pub participant: Option<Jid>,
}

impl WaMessageKey {
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let parts: Vec<&str> = input.trim().split('_').collect();
        let (from_me, rest) = match parts.first() {
            Some(&"true") => (Some(true), &parts[1..]),
            Some(&"false") => (Some(false), &parts[1..]),
            _ => (None, &parts[..]),
        };
        let (chat, raw, participant) = match rest {
            [chat, raw] => (*chat, *raw, None),
            [chat, raw, participant] => (*chat, *raw, Some(*participant)),
            _ => {
                return Err(DomainError::invalid(
                    "message_id",
                    format!(
                        "{} is not {{fromMe}}_{{chat}}_{{rawId}}[_{{participant}}]",
                        shown(input)
                    ),
                ));
            }
        };
        if raw.is_empty() {
            return Err(DomainError::invalid("message_id", "empty raw id"));
        }
        if raw.len() > MAX_RAW_ID || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DomainError::invalid(
                "message_id",
                format!(
                    "raw id {} is not 1 to {MAX_RAW_ID} visible ASCII characters",
                    shown(raw)
                ),
            ));
        }
        Ok(WaMessageKey {
            from_me,
            chat: Jid::parse(chat)?,
            raw_id: raw.to_string(),
            participant: participant.map(Jid::parse).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_person_group_lid_newsletter() {
        let j = Jid::parse("5511999998888@s.whatsapp.net").map(|j| j.to_string());
        assert_eq!(j, Ok("5511999998888@c.us".into()));
        assert_eq!(
            Jid::parse("444444444444:42@s.whatsapp.net").map(|j| j.to_string()),
            Ok("444444444444@c.us".into())
        );
        assert_eq!(Jid::parse("1@g.us").map(|j| j.kind()), Ok(JidKind::Group));
        assert_eq!(Jid::parse("9999@lid").map(|j| j.kind()), Ok(JidKind::Lid));
        assert_eq!(
            Jid::parse("1@newsletter").map(|j| j.kind()),
            Ok(JidKind::Newsletter)
        );
        assert_eq!(
            Jid::parse("status@broadcast").map(|j| j.kind()),
            Ok(JidKind::Broadcast)
        );
        assert!(Jid::parse("nobody").is_err());
        assert!(Jid::parse("1@example.com").is_err());
    }

    #[test]
    fn phone_of_person() {
        let j = Jid::parse("5511999998888@c.us")
            .ok()
            .and_then(|j| j.phone());
        assert_eq!(j.map(String::from), Some("+5511999998888".to_string()));
        assert_eq!(Jid::parse("9999@lid").ok().and_then(|j| j.phone()), None);
    }

    #[test]
    fn parses_message_ids() {
        let k = WaMessageKey::parse("true_222@g.us_AAAA_444444444444@c.us").ok();
        let k = k.as_ref();
        assert_eq!(k.map(|k| k.from_me), Some(Some(true)));
        assert_eq!(k.map(|k| k.chat.to_string()), Some("222@g.us".into()));
        assert_eq!(k.map(|k| k.raw_id.as_str()), Some("AAAA"));
        assert_eq!(
            k.and_then(|k| k.participant.as_ref())
                .map(|p| p.to_string()),
            Some("444444444444@c.us".into())
        );

        let q = WaMessageKey::parse("11111111111@c.us_AAAA").ok();
        assert_eq!(q.as_ref().map(|k| k.from_me), Some(None));
        assert!(WaMessageKey::parse("true_nochat").is_err());
        assert!(WaMessageKey::parse("").is_err());
    }

    #[test]
    fn ids_have_length_bounds() {
        let user = "1".repeat(MAX_JID_USER);
        assert!(Jid::parse(&format!("{user}@g.us")).is_ok());
        let long = Jid::parse(&format!("{user}1@g.us"));
        assert!(long.is_err());
        let msg = long.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(
            msg.len() < 160,
            "the error does not echo the whole input: {msg}"
        );
        let raw = "A".repeat(MAX_RAW_ID);
        assert!(WaMessageKey::parse(&format!("true_1@c.us_{raw}")).is_ok());
        assert!(WaMessageKey::parse(&format!("true_1@c.us_{raw}A")).is_err());
        assert!(WaMessageKey::parse("true_1@c.us_A\u{0}B").is_err());
        assert!(Jid::parse("12\u{0}3@c.us").is_err());
    }

    proptest! {
        #[test]
        fn message_id_roundtrip(from_me: bool, user in "[1-9][0-9]{7,14}", raw in "[A-F0-9]{8,32}") {
            let id = format!("{from_me}_{user}@c.us_{raw}");
            let k = WaMessageKey::parse(&id);
            prop_assert!(k.is_ok());
            if let Ok(k) = k {
                prop_assert_eq!(k.from_me, Some(from_me));
                prop_assert_eq!(k.raw_id, raw);
                prop_assert_eq!(k.chat.user(), user.as_str());
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,64}") {
            let _ = WaMessageKey::parse(&s);
            let _ = Jid::parse(&s);
        }
    }
}
