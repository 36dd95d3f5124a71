//! Every `google.rpc.ErrorInfo.reason` the API answers with (AIP-193): what
//! a client program may act on instead of parsing messages. Each error of a
//! Samverkan service carries one ([`crate::ApiError::reason`]), in the
//! domain [`DOMAIN`], with metadata naming what it concerns. `docs/errors.md`
//! is rendered from these tables, and a test fails when the code raises a
//! reason they do not list, or they list one nothing raises.

use tonic::Code;

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

/// The states that block a call (`FAILED_PRECONDITION`, with
/// `PreconditionFailure` whose violation `type` is the reason and `subject`
/// the resource; metadata `resource`).
pub const PRECONDITIONS: &[Reason] = &[
    r(
        "AGENDA_EMPTY",
        Code::FailedPrecondition,
        "forums",
        "the meeting's agenda has no items, so it cannot be published; add agenda items first",
    ),
    r(
        "AGENDA_NOT_PUBLISHED",
        Code::FailedPrecondition,
        "forums",
        "attendance cannot be recorded while the meeting is still planned; publish the agenda first",
    ),
    r(
        "AGENDA_PUBLISHED",
        Code::FailedPrecondition,
        "forums",
        "the meeting's agenda is already published, so it cannot be published again",
    ),
    r(
        "ALREADY_ADJUSTED",
        Code::FailedPrecondition,
        "forums",
        "the caller has already signed (adjusted) these minutes; the other adjuster must sign",
    ),
    r(
        "ALREADY_ISSUED",
        Code::FailedPrecondition,
        "costmodel",
        "the bills of this period are already issued and are never re-issued; reconcile differences instead",
    ),
    r(
        "ALREADY_MEMBER",
        Code::FailedPrecondition,
        "roles",
        "the municipality is already a member of the collaboration on the given joining date",
    ),
    r(
        "ALREADY_MINUTED",
        Code::FailedPrecondition,
        "forums",
        "the agenda item already has its § in the minutes; only one § per agenda item is allowed",
    ),
    r(
        "ALREADY_RECONCILED",
        Code::FailedPrecondition,
        "costmodel",
        "this service's cost pool for the year is already reconciled, and a reconciliation is final",
    ),
    r(
        "APPROVALS_MISSING",
        Code::FailedPrecondition,
        "agreements",
        "the new version cannot take force until every member municipality on the effective date has approved",
    ),
    r(
        "APPROVAL_RECORDED",
        Code::FailedPrecondition,
        "agreements",
        "this municipality's approval is already recorded and cannot be recorded again",
    ),
    r(
        "BILLED_MONTHLY",
        Code::FailedPrecondition,
        "costmodel",
        "the year is billed per month, so it cannot be issued as a whole year, nor reconciled yet",
    ),
    r(
        "BILLED_YEARLY",
        Code::FailedPrecondition,
        "costmodel",
        "the year's bills were issued as a whole, so its months cannot be issued or have inputs recorded separately",
    ),
    r(
        "CONFLICTING_PROPOSALS",
        Code::FailedPrecondition,
        "agreements",
        "accepted proposals conflict: one refers to a section that does not exist or another proposal deleted",
    ),
    r(
        "CORRECTION_NOT_LATER",
        Code::FailedPrecondition,
        "forums",
        "a correction must be recorded in the minutes of a meeting later than the corrected one",
    ),
    r(
        "CORRECTION_OTHER_FORUM",
        Code::FailedPrecondition,
        "forums",
        "a correction must be recorded in the minutes of a later meeting of the same forum",
    ),
    r(
        "COST_MODEL_INCOMPLETE",
        Code::FailedPrecondition,
        "costmodel",
        "the cost model lacks a price, catalogue service or allocation key needed to compute the bills; complete it first",
    ),
    r(
        "CURSOR_AHEAD",
        Code::FailedPrecondition,
        "forums",
        "`resume_after` is ahead of the meeting's recorded changes; reload the meeting and start watching afresh",
    ),
    r(
        "CURSOR_TOO_OLD",
        Code::FailedPrecondition,
        "forums",
        "too many meeting changes were missed since `resume_after`; reload the meeting and start watching afresh",
    ),
    r(
        "DECISION_FINAL",
        Code::FailedPrecondition,
        "decisions",
        "the minutes are adjusted, so the decision's text is final; register a new decision that supersedes it",
    ),
    r(
        "DECISION_STATUS",
        Code::FailedPrecondition,
        "decisions",
        "the requested status change is not allowed from the decision's current status (e.g. superseded or revoked)",
    ),
    r(
        "DRIVERS_INCOMPLETE",
        Code::FailedPrecondition,
        "costmodel",
        "driver data is missing or all zero for an allocation, so costs cannot be split; record driver snapshots first",
    ),
    r(
        "EFFECTIVE_DATE_NOT_AFTER",
        Code::FailedPrecondition,
        "costmodel",
        "a published version of that year's price list takes effect on or after this date; choose a later date",
    ),
    r(
        "FOLLOW_UP_COMPLETE",
        Code::FailedPrecondition,
        "decisions",
        "the follow-up is already recorded in minutes and complete",
    ),
    r(
        "ITEMS_WITHOUT_PARAGRAPH",
        Code::FailedPrecondition,
        "forums",
        "minutes cannot be adjusted while some agenda items lack a §; record a § for each listed item",
    ),
    r(
        "MATTER_ELSEWHERE",
        Code::FailedPrecondition,
        "forums",
        "the matter is not with this meeting's forum, so it cannot be put on this agenda",
    ),
    r(
        "MATTER_STATE",
        Code::FailedPrecondition,
        "forums",
        "the matter's current state does not allow this change or transition; only a draft can be edited",
    ),
    r(
        "MEETING_HELD",
        Code::FailedPrecondition,
        "forums",
        "the meeting is already held, so its agenda can no longer change",
    ),
    r(
        "MEMBERSHIP_ENDED",
        Code::FailedPrecondition,
        "roles",
        "the municipality's membership in the collaboration has already ended",
    ),
    r(
        "MINUTES_ADJUSTED",
        Code::FailedPrecondition,
        "forums",
        "the minutes are adjusted and locked; record a correction in a later meeting's minutes instead",
    ),
    r(
        "MINUTES_FROZEN",
        Code::FailedPrecondition,
        "forums",
        "one adjuster has signed, so nothing the minutes show may change until the second adjuster signs",
    ),
    r(
        "MINUTES_NOT_ADJUSTED",
        Code::FailedPrecondition,
        "forums",
        "only adjusted minutes can be corrected; until then the secretary amends the draft minutes",
    ),
    r(
        "MINUTES_NOT_OPEN",
        Code::FailedPrecondition,
        "forums",
        "the meeting's minutes are not open; publish the agenda and record attendance first",
    ),
    r(
        "NOT_A_MEMBER",
        Code::FailedPrecondition,
        "roles",
        "the assignment's municipality is not a member of the collaboration on the assignment's start date",
    ),
    r(
        "NOT_CONSOLIDATED",
        Code::FailedPrecondition,
        "agreements",
        "the revision cannot go to forum review before the accepted proposals are consolidated into a draft",
    ),
    r(
        "NOT_IN_FORCE",
        Code::FailedPrecondition,
        "decisions",
        "the decision to supersede is revoked or already superseded, so it cannot be superseded",
    ),
    r(
        "NOT_ISSUED",
        Code::FailedPrecondition,
        "costmodel",
        "the bills of this period are not issued yet, so issued bills cannot be read or reconciled",
    ),
    r(
        "NOT_YET_EFFECTIVE",
        Code::FailedPrecondition,
        "agreements",
        "all approvals are in but the new version's effective date has not come yet",
    ),
    r(
        "NO_ADJUSTERS",
        Code::FailedPrecondition,
        "forums",
        "the minutes cannot be adjusted before the two adjusters are designated",
    ),
    r(
        "NO_COLLABORATION",
        Code::FailedPrecondition,
        "all",
        "the caller's municipality is a member of no collaboration today, so none can be inferred",
    ),
    r(
        "NO_DECISION",
        Code::FailedPrecondition,
        "agreements",
        "the revision cannot move to approvals before IT-styrgruppen's decision is recorded",
    ),
    r(
        "NO_ELIGIBLE_ADJUSTERS",
        Code::FailedPrecondition,
        "forums",
        "no default adjusters from two municipalities can be found in the forum; name the two adjusters explicitly",
    ),
    r(
        "NO_ESCALATION_PARAGRAPH",
        Code::FailedPrecondition,
        "forums",
        "the § must be in this forum's minutes, have outcome ESCALATED and concern this matter to escalate it",
    ),
    r(
        "NO_MINUTES",
        Code::FailedPrecondition,
        "forums",
        "the meeting has no minutes yet (not held), so minutes cannot be exported",
    ),
    r(
        "NO_PUBLISHED_PRICE_LIST",
        Code::FailedPrecondition,
        "costmodel",
        "no price list is published for the year yet, so bills cannot be computed or issued from published prices",
    ),
    r(
        "NO_SUCH_PARAGRAPH",
        Code::FailedPrecondition,
        "decisions",
        "the meeting's minutes have no § with that id; record the § in the minutes first",
    ),
    r(
        "NO_VERSION_IN_FORCE",
        Code::FailedPrecondition,
        "agreements",
        "the agreement has no version in force, so a revision cannot be started",
    ),
    r(
        "OVERLAPPING_ASSIGNMENT",
        Code::FailedPrecondition,
        "roles",
        "the person already holds this role in the same place during part of the requested period",
    ),
    r(
        "PERIOD_ISSUED",
        Code::FailedPrecondition,
        "costmodel",
        "the period's bills (for a year's direct charge, December's) are issued, so inputs no longer change; reconcile instead",
    ),
    r(
        "PRICE_LIST_PUBLISHED",
        Code::FailedPrecondition,
        "costmodel",
        "the price list is published and never changes; create a new version instead",
    ),
    r(
        "PRICE_LIST_STATE",
        Code::FailedPrecondition,
        "costmodel",
        "the price list is not in the required state: draft to change or propose, proposed to decide, decided to publish",
    ),
    r(
        "PROPOSAL_STATE",
        Code::FailedPrecondition,
        "agreements",
        "only a submitted proposal can be resolved; this one is still a draft or already resolved",
    ),
    r(
        "PROPOSAL_SUBMITTED",
        Code::FailedPrecondition,
        "agreements",
        "the proposal is already submitted and cannot be submitted again",
    ),
    r(
        "REVISION_DONE",
        Code::FailedPrecondition,
        "agreements",
        "the revision is complete (in force), so it cannot advance further",
    ),
    r(
        "REVISION_PHASE",
        Code::FailedPrecondition,
        "agreements",
        "the action is not possible in the revision's current phase",
    ),
    r(
        "TOP_FORUM",
        Code::FailedPrecondition,
        "forums",
        "the forum reports to no other forum, so there is nowhere to escalate the matter",
    ),
    r(
        "VERSION_LOCKED",
        Code::FailedPrecondition,
        "agreements",
        "the version is no longer draft or in review, so its text never changes; revise it in a new version",
    ),
    r(
        "WRONG_FORUM",
        Code::FailedPrecondition,
        "decisions",
        "the follow-up belongs to another forum; name a meeting of the follow-up's own forum",
    ),
];

/// Every reason, general first.
pub fn all() -> impl Iterator<Item = &'static Reason> {
    GENERAL.iter().chain(PRECONDITIONS.iter())
}

/// Whether `reason` is listed.
pub fn listed(reason: &str) -> bool {
    all().any(|r| r.reason == reason)
}

fn code_name(code: Code) -> String {
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

/// `docs/errors.md`, rendered from [`GENERAL`] and [`PRECONDITIONS`].
pub fn render_markdown() -> String {
    let mut s = String::from(
        "# Errors\n\n\
         Generated from `crates/core/src/reasons.rs` (`SAMVERKAN_WRITE_DOCS=1 cargo test -p samverkan-core errors_doc` \
         rewrites it); a test fails when the code raises a reason this page does not list.\n\n\
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
    for r in PRECONDITIONS {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.reason, r.services, r.meaning
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn errors_doc_matches_the_tables() {
        let path = root().join("docs/errors.md");
        let rendered = render_markdown();
        if std::env::var("SAMVERKAN_WRITE_DOCS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &rendered).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "docs/errors.md differs from crates/core/src/reasons.rs; regenerate with \
             SAMVERKAN_WRITE_DOCS=1 cargo test -p samverkan-core errors_doc"
        );
    }

    #[test]
    fn reasons_are_unique() {
        let mut seen = BTreeSet::new();
        for r in all() {
            assert!(seen.insert(r.reason), "{} is listed twice", r.reason);
            assert!(
                r.reason
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{} is not UPPER_SNAKE_CASE",
                r.reason
            );
        }
        assert!(
            PRECONDITIONS
                .iter()
                .all(|r| r.code == Code::FailedPrecondition)
        );
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // Tests raise nothing the API answers.
                if path
                    .file_name()
                    .is_some_and(|n| n == "tests" || n == "target")
                {
                    continue;
                }
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The reasons the code raises: the first argument of
    /// `ApiError::precondition(…)`, a domain rule's `reason: "…"`, and the
    /// arms of a domain `fn reason`.
    fn raised() -> BTreeSet<String> {
        let mut files = Vec::new();
        rust_files(&root().join("services"), &mut files);
        rust_files(&root().join("crates/core/src"), &mut files);
        let mut found = BTreeSet::new();
        let upper = |s: &str| -> Option<String> {
            let lit = s.trim_start().strip_prefix('"')?;
            let end = lit.find('"')?;
            let word = &lit[..end];
            (word.len() > 2 && word.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
                .then(|| word.to_owned())
        };
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, _) in text.match_indices("precondition(") {
                let first = first_argument(&text[i + "precondition(".len()..]);
                found.extend(
                    first
                        .split('"')
                        .skip(1)
                        .step_by(2)
                        .filter_map(|lit| upper(&format!("\"{lit}\""))),
                );
            }
            for (i, _) in text.match_indices("reason: ") {
                if let Some(w) = upper(&text[i + "reason: ".len()..]) {
                    found.insert(w);
                }
            }
            if let Some(start) = text.find("fn reason(self) -> &'static str") {
                let body = &text[start..];
                let body = &body[..body.find("\n    }\n").unwrap_or(body.len())];
                for (i, _) in body.match_indices("=> ") {
                    if let Some(w) = upper(&body[i + 3..]) {
                        found.insert(w);
                    }
                }
            }
        }
        found
    }

    /// The text of a call's first argument: up to its first comma outside
    /// brackets and string literals.
    fn first_argument(s: &str) -> &str {
        let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
        for (i, c) in s.char_indices() {
            if in_string {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => return &s[..i],
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => return &s[..i],
                _ => {}
            }
        }
        s
    }

    #[test]
    fn every_reason_raised_is_listed_and_every_listed_one_raised() {
        let raised = raised();
        assert!(raised.len() > 40, "the scan found only {raised:?}");
        let unlisted: Vec<&String> = raised.iter().filter(|r| !listed(r)).collect();
        assert!(
            unlisted.is_empty(),
            "raised but not in crates/core/src/reasons.rs (docs/errors.md): {unlisted:?}"
        );
        let stale: Vec<&str> = PRECONDITIONS
            .iter()
            .map(|r| r.reason)
            .filter(|r| !raised.contains(*r))
            .collect();
        assert!(stale.is_empty(), "listed but raised nowhere: {stale:?}");
    }
}
