//! The domain's refusals. A [`Rule`] is a precondition a service's
//! domain enforces: its stable reason code (`ErrorInfo.reason`, listed in
//! `docs/errors.md`) and what it means. Each service declares its rules in
//! `domain/rules.rs`; a domain function that finds one broken answers a
//! [`Refusal`], and the API turns that into `FAILED_PRECONDITION` about the
//! resource concerned ([`Refusal::on`]). Nothing here knows gRPC or SQL.

use std::borrow::Cow;
use std::fmt;

/// One precondition of the domain.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// The stable reason, e.g. `AGENDA_EMPTY`.
    pub reason: &'static str,
    /// What it means for a caller, as `docs/errors.md` explains it.
    pub meaning: &'static str,
}

impl Rule {
    pub const fn new(reason: &'static str, meaning: &'static str) -> Self {
        Self { reason, meaning }
    }

    /// This rule's refusal, with a message about the case at hand.
    pub fn refuse(&'static self, message: impl Into<Cow<'static, str>>) -> Refusal {
        Refusal {
            rule: self,
            message: message.into(),
        }
    }
}

/// A rule broken in one case: which rule, and why in words a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: &'static Rule,
    pub message: Cow<'static, str>,
}

impl Refusal {
    /// The reason code of the rule broken.
    pub fn reason(&self) -> &'static str {
        self.rule.reason
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

/// Declares a domain's rules: for each `NAME: "meaning";` a
/// `pub static NAME: Rule` whose reason is its own name, and `RULES`, every
/// one of them, for the catalogue (`docs/errors.md`). A rule is declared
/// nowhere else, so its reason, its name and the catalogue cannot differ.
///
/// ```
/// samverkan_core::rules! {
///     /// The agenda must have items.
///     AGENDA_EMPTY: "the meeting's agenda has no items, so it cannot be published";
/// }
/// assert_eq!(AGENDA_EMPTY.reason, "AGENDA_EMPTY");
/// assert_eq!(RULES.len(), 1);
/// ```
#[macro_export]
macro_rules! rules {
    ($($(#[$doc:meta])* $name:ident: $meaning:expr;)+) => {
        $(
            $(#[$doc])*
            pub static $name: $crate::Rule = $crate::Rule::new(stringify!($name), $meaning);
        )+

        /// Every rule of this module, for the catalogue (`docs/errors.md`).
        pub static RULES: &[&$crate::Rule] = &[$(&$name),+];
    };
}

rules! {
    /// The one rule every service shares: a call that names no
    /// collaboration is about the caller's only one, and there must be one.
    NO_COLLABORATION: "the caller's municipality is a member of no collaboration today, so none can be inferred";
}

#[cfg(test)]
mod tests {
    use super::*;

    mod declared {
        crate::rules! {
            EMPTY: "nothing to publish";
            FULL: "nothing more fits";
        }
    }
    use declared::EMPTY;

    #[test]
    fn a_refusal_names_its_rule_and_case() {
        let r = EMPTY.refuse(format!("agenda {} is empty", 7));
        assert_eq!(r.reason(), "EMPTY");
        assert_eq!(r.to_string(), "agenda 7 is empty");
        assert!(std::ptr::eq(r.rule, &EMPTY));
    }

    #[test]
    fn the_macro_names_each_rule_after_itself_and_lists_them_all() {
        let reasons: Vec<&str> = declared::RULES.iter().map(|r| r.reason).collect();
        assert_eq!(reasons, ["EMPTY", "FULL"]);
        assert_eq!(declared::FULL.meaning, "nothing more fits");
        assert_eq!(RULES, [&NO_COLLABORATION]);
    }
}
