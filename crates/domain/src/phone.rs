//! Phone numbers in E.164 (`+` followed by 8 to 15 digits, no leading zero).

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Shown in the API as a string such as `+5511999998888`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "+5511999998888")]
pub struct Phone(String);

impl Phone {
    /// Normalises user or WhatsApp input: spaces, dashes, dots, parentheses and a leading `+`
    /// or `00` are accepted; anything else is rejected.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let trimmed = input.trim();
        let mut rest = trimmed.strip_prefix('+').unwrap_or(trimmed);
        if !trimmed.starts_with('+')
            && let Some(r) = rest.strip_prefix("00")
        {
            rest = r;
        }
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(DomainError::invalid(
                        "phone",
                        format!(
                            "unexpected character {c:?}; use digits with an optional leading +"
                        ),
                    ));
                }
            }
        }
        if digits.len() < 8 || digits.len() > 15 {
            return Err(DomainError::invalid(
                "phone",
                "an E.164 number has 8 to 15 digits including the country code",
            ));
        }
        if digits.starts_with('0') {
            return Err(DomainError::invalid(
                "phone",
                "the country code cannot start with 0",
            ));
        }
        Ok(Phone(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits without the `+`, as WhatsApp uses them in `…@c.us`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Phone {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_common_forms() {
        for s in ["+55 11 99999-8888", "5511999998888", "0055 (11) 99999.8888"] {
            assert_eq!(
                Phone::parse(s).map(String::from),
                Ok("+5511999998888".into())
            );
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(Phone::parse("abc").is_err());
        assert!(Phone::parse("+123").is_err());
        assert!(Phone::parse("+0123456789").is_err());
        assert!(Phone::parse("+1234567890123456").is_err());
    }

    proptest! {
        #[test]
        fn parse_is_idempotent(s in "\\PC{0,24}") {
            if let Ok(p) = Phone::parse(&s) {
                prop_assert_eq!(Phone::parse(p.as_str()), Ok(p.clone()));
                prop_assert!(p.digits().chars().all(|c| c.is_ascii_digit()));
            }
        }
    }
}
