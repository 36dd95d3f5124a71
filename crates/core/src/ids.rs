//! Identifiers. Rows are keyed by UUIDv7 (time-ordered, so inserts stay
//! local in indexes); municipalities by a stable lowercase code, which is
//! also the tenant key that row-level security compares against.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A new UUIDv7.
pub fn new_uuid() -> Uuid {
    Uuid::now_v7()
}

/// A member municipality's code, e.g. `tranemo`: 2–63 characters of
/// lowercase ASCII letters, digits and `-`, starting with a letter.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

/// Why a string is not a valid tenant id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a municipality id is 2-63 characters of a-z, 0-9 and '-', starting with a letter")]
pub struct InvalidTenantId;

impl TenantId {
    /// Parses and validates a municipality code.
    pub fn parse(s: &str) -> Result<Self, InvalidTenantId> {
        let ok = (2..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidTenantId)
        }
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TenantId {
    type Err = InvalidTenantId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for TenantId {
    type Error = InvalidTenantId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}

/// A collaboration's id (UUIDv7).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct CollaborationId(pub Uuid);

impl fmt::Display for CollaborationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for CollaborationId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids() {
        assert!(TenantId::parse("tranemo").is_ok());
        assert!(TenantId::parse("ulricehamn-2").is_ok());
        for bad in [
            "",
            "t",
            "Tranemo",
            "2tranemo",
            "tr anemo",
            "tranemö",
            &"a".repeat(64),
        ] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn uuids_are_v7_and_ordered() {
        let a = new_uuid();
        let b = new_uuid();
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b);
    }
}
