//! Every `google.rpc.ErrorInfo.reason` the API answers with (AIP-193): what
//! a client program may act on instead of parsing messages. Each error of a
//! Samverkan service carries one ([`crate::ApiError::reason`]), in the
//! domain [`DOMAIN`], with metadata naming what it concerns: one per kind
//! of error ([`GENERAL`]), or for `FAILED_PRECONDITION` the reason of the
//! domain [`Rule`] that refused, which each service declares in its
//! `domain/rules.rs`. `docs/errors.md` is rendered from both
//! ([`render_markdown`]; the server crate holds the whole catalogue).

use tonic::Code;

use crate::Rule;

/// `ErrorInfo.domain` of every Samverkan error.
pub use samverkan_proto::ERROR_DOMAIN as DOMAIN;

/// One reason: the code it comes with, the services that raise it and what
/// it means.
#[derive(Debug, Clone, Copy)]
pub struct Reason {
    pub reason: &'static str,
    pub code: Code,
    /// `all`, or the services that raise it, comma-separated.
    pub services: &'static str,
    pub meaning: &'static str,
}

const fn r(
    reason: &'static str,
    code: Code,
    services: &'static str,
    meaning: &'static str,
) -> Reason {
    Reason {
        reason,
        code,
        services,
        meaning,
    }
}

/// One reason per kind of error, for every error that is not a
/// precondition; `ErrorInfo.metadata` as noted.
pub const GENERAL: &[Reason] = &[
    r(
        "INVALID_ARGUMENT",
        Code::InvalidArgument,
        "all",
        "a field of the request is invalid; `BadRequest` names each field and why, metadata `fields` lists them; nothing was changed",
    ),
    r(
        "NOT_FOUND",
        Code::NotFound,
        "all",
        "the resource does not exist or the caller may not see it (the two are not told apart); metadata `resource_type` and `resource`",
    ),
    r(
        "ETAG_MISMATCH",
        Code::Aborted,
        "all",
        "the etag sent is not the resource's current one: read it again, reapply the change, send the new etag",
    ),
    r(
        "CONCURRENT_UPDATE",
        Code::Aborted,
        "all",
        "a concurrent caller won a race the database detected, also after the server's own reruns: retry the call",
    ),
    r(
        "ALREADY_EXISTS",
        Code::AlreadyExists,
        "all",
        "a resource with the same natural key exists (or the request id was used for another request)",
    ),
    r(
        "PERMISSION_DENIED",
        Code::PermissionDenied,
        "all",
        "the caller is not registered, holds no role or seat, has left its collaborations, or lacks the permission the message names (docs/permissions.md)",
    ),
    r(
        "UNAUTHENTICATED",
        Code::Unauthenticated,
        "all",
        "no valid token: missing, expired, badly signed, from an issuer not trusted for the municipality; sign in again",
    ),
    r(
        "RATE_LIMITED",
        Code::ResourceExhausted,
        "all",
        "too many calls per second from this person; `RetryInfo` says when to try again",
    ),
    r(
        "MESSAGE_TOO_LARGE",
        Code::ResourceExhausted,
        "all",
        "the request message is larger than the server accepts (`--max-request-bytes`)",
    ),
    r(
        "RESOURCE_EXHAUSTED",
        Code::ResourceExhausted,
        "all",
        "the server is out of a resource (e.g. its disk is full); nothing was written; try later",
    ),
    r(
        "UNAVAILABLE",
        Code::Unavailable,
        "all",
        "the database or another service did not answer; nothing was acknowledged; retry shortly",
    ),
    r(
        "DEADLINE_EXCEEDED",
        Code::DeadlineExceeded,
        "all",
        "the call did not finish within its deadline or the server's limit (`--max-call-duration`)",
    ),
    r(
        "INTERNAL",
        Code::Internal,
        "all",
        "a fault in Samverkan, logged with the call's `trace_id`; report it",
    ),
];

pub fn code_name(code: Code) -> String {
    // `NotFound` → `NOT_FOUND`, as gRPC names the codes.
    let mut out = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// `docs/errors.md`: the [`GENERAL`] reasons and the preconditions
/// `rules` lists, each under the services (`all` for every one) whose
/// domain declares it.
pub fn render_markdown(rules: &[(&str, &[&Rule])]) -> String {
    let mut s = String::from(
        "# Errors\n\n\
         Generated from `crates/core/src/reasons.rs` and each service's `domain/rules.rs` \
         (`SAMVERKAN_WRITE_DOCS=1 cargo test -p samverkan-server errors_doc` rewrites it); a test fails when they and \
         this page differ.\n\n\
         Every error a Samverkan service answers carries, in `grpc-status-details-bin`, a `google.rpc.Status` whose \
         details hold a `google.rpc.ErrorInfo` with domain `samverkan.se` and one of the reasons below — the value a \
         program should branch on; the message is for people and may change. Depending on the code the details also \
         hold `BadRequest` (each invalid field), `PreconditionFailure` (type = the reason, subject = the resource), \
         `ResourceInfo` (what was not found) or `RetryInfo` (when to call again).\n\n\
         ## Every call\n\n| reason | code | meaning |\n|---|---|---|\n",
    );
    for r in GENERAL {
        s.push_str(&format!(
            "| `{}` | `{}` | {} |\n",
            r.reason,
            code_name(r.code),
            r.meaning
        ));
    }
    s.push_str(
        "\n## States that block a call (`FAILED_PRECONDITION`)\n\n| reason | service | meaning |\n|---|---|---|\n",
    );
    let mut all: Vec<(&str, &Rule)> = rules
        .iter()
        .flat_map(|(service, rules)| rules.iter().map(move |r| (*service, *r)))
        .collect();
    all.sort_by_key(|(_, r)| r.reason);
    for (service, r) in all {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.reason, service, r.meaning
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_reasons_are_unique_and_named_like_their_codes() {
        let mut seen = std::collections::BTreeSet::new();
        for r in GENERAL {
            assert!(seen.insert(r.reason), "{} twice", r.reason);
        }
        assert_eq!(code_name(Code::FailedPrecondition), "FAILED_PRECONDITION");
        assert_eq!(code_name(Code::NotFound), "NOT_FOUND");
    }

    #[test]
    fn the_page_lists_rules_in_order_under_their_service() {
        static B: Rule = Rule::new("B_RULE", "second");
        static A: Rule = Rule::new("A_RULE", "first");
        let page = render_markdown(&[("forums", &[&B]), ("roles", &[&A])]);
        let a = page.find("| `A_RULE` | roles | first |").unwrap();
        let b = page.find("| `B_RULE` | forums | second |").unwrap();
        assert!(a < b);
    }
}
