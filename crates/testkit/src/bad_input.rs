//! Table-driven bad-input tests (issue #8): one case is a request with one
//! field spoiled; it must answer `INVALID_ARGUMENT` naming that field in
//! its `BadRequest` detail and leave every table exactly as it was. The
//! machinery shared by every service's `tests/bad_input.rs`.
//!
//! Its sibling, the precondition table (issue #18): one case is a valid
//! request sent in a state that forbids it; it must answer
//! `FAILED_PRECONDITION` naming the reason as the type of a violation in
//! its `PreconditionFailure` detail (what `samverkan_core::ApiError`
//! sends) and, likewise, leave every table as it was.

use std::collections::BTreeMap;
use std::future::Future;

use samverkan_db::Backend;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::TestDb;

/// A table's row count and a digest of its contents.
pub type Snapshot = BTreeMap<String, (i64, String)>;

/// Calls `f` until it is not refused by the per-principal rate limit: a
/// call refused with `RESOURCE_EXHAUSTED` never reached the service. It
/// waits as long as the refusal's `RetryInfo` says, no guess.
pub async fn paced<T, Fut: Future<Output = Result<T, Status>>>(
    f: impl Fn() -> Fut,
) -> Result<T, Status> {
    let mut tries = 0;
    loop {
        match f().await {
            Err(s) if s.code() == Code::ResourceExhausted && tries < 10 => {
                tries += 1;
                tokio::time::sleep(retry_wait(&s)).await;
            }
            other => return other,
        }
    }
}

/// How long a refusal by the rate limit says to wait (a second if it
/// carries no `RetryInfo`, which the server always sends).
pub fn retry_wait(s: &Status) -> std::time::Duration {
    samverkan_server::limits::retry_delay(s).unwrap_or(std::time::Duration::from_secs(1))
}

/// Every table's row count and contents, read as the owner (outside
/// row-level security), so that any write by a rejected call shows.
pub struct Snapshots {
    sql: String,
}

impl Snapshots {
    pub async fn new(db: &TestDb) -> Self {
        let parts: Vec<String> = match db.backend {
            Backend::Sqlite => {
                let tables = db
                    .owner
                    .query_admin(
                        "SELECT name FROM sqlite_master WHERE type = 'table' \
                         AND name NOT LIKE 'sqlite_%' ORDER BY name",
                    )
                    .await
                    .unwrap();
                let mut parts = Vec::new();
                for t in tables {
                    let t: String = t.try_get("", "name").unwrap();
                    let cols = db
                        .owner
                        .query_admin(&format!("SELECT name FROM pragma_table_info('{t}')"))
                        .await
                        .unwrap();
                    let row = cols
                        .iter()
                        .map(|c| format!("quote(\"{}\")", c.try_get::<String>("", "name").unwrap()))
                        .collect::<Vec<_>>()
                        .join(" || ',' || ");
                    parts.push(format!(
                        "SELECT '{t}' AS t, count(*) AS n, coalesce(group_concat(r, char(10)), '') AS h \
                         FROM (SELECT {row} AS r FROM \"{t}\" ORDER BY r)"
                    ));
                }
                parts
            }
            Backend::Postgres => {
                let tables = db
                    .owner
                    .query_admin(
                        "SELECT table_name::text AS name FROM information_schema.tables \
                         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                         ORDER BY 1",
                    )
                    .await
                    .unwrap();
                tables
                    .iter()
                    .map(|t| {
                        let t: String = t.try_get("", "name").unwrap();
                        format!(
                            "SELECT '{t}'::text AS t, count(*)::bigint AS n, \
                             coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '') AS h \
                             FROM \"{t}\" x"
                        )
                    })
                    .collect()
            }
        };
        assert!(parts.len() > 5, "too few tables found: {parts:?}");
        Self {
            sql: parts.join(" UNION ALL "),
        }
    }

    pub async fn take(&self, db: &TestDb) -> Snapshot {
        db.owner
            .query_admin(&self.sql)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.try_get("", "t").unwrap(),
                    (r.try_get("", "n").unwrap(), r.try_get("", "h").unwrap()),
                )
            })
            .collect()
    }
}

/// Whether a status carries the `ErrorInfo` a program branches on, with
/// `reason`, the Samverkan domain and a reason `docs/errors.md` lists.
fn check_error_info(s: &Status, reason: &str, wrong: &mut Vec<String>) {
    match s.get_details_error_info() {
        None => wrong.push(format!("no ErrorInfo ({})", s.message())),
        Some(info) => {
            if info.reason != reason || info.domain != samverkan_core::reasons::DOMAIN {
                wrong.push(format!(
                    "ErrorInfo says {}/{}, not {}/{reason}",
                    info.domain,
                    info.reason,
                    samverkan_core::reasons::DOMAIN
                ));
            }
            if !samverkan_server::reasons::listed(&info.reason) {
                wrong.push(format!("reason {} is not in docs/errors.md", info.reason));
            }
        }
    }
}

/// The fields a status's `BadRequest` detail names.
fn violated_fields(s: &Status) -> Vec<String> {
    s.get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// The reasons (violation types) a status's `PreconditionFailure` detail
/// names.
fn precondition_reasons(s: &Status) -> Vec<String> {
    s.get_details_precondition_failure()
        .map(|p| p.violations.into_iter().map(|v| v.r#type).collect())
        .unwrap_or_default()
}

/// The tables whose rows differ between two snapshots.
pub fn changed_tables<'a>(before: &Snapshot, after: &'a Snapshot) -> Vec<&'a str> {
    after
        .iter()
        .filter(|(t, v)| before.get(*t) != Some(v))
        .map(|(t, _)| t.as_str())
        .collect()
}

/// The judgement of one case: what is wrong with its answer, and any
/// table it changed; `None` when nothing is.
fn verdict(mut wrong: Vec<String>, before: &Snapshot, after: &Snapshot) -> Option<String> {
    let changed = changed_tables(before, after);
    if !changed.is_empty() {
        wrong.push(format!("wrote to {changed:?}"));
    }
    (!wrong.is_empty()).then(|| wrong.join("; "))
}

/// What is wrong with one bad-input case's outcome, if anything: it must
/// answer `INVALID_ARGUMENT` with a `BadRequest` naming `field`, and
/// write nothing.
pub fn judge(
    field: &str,
    result: Result<(), Status>,
    before: &Snapshot,
    after: &Snapshot,
) -> Option<String> {
    let mut wrong = Vec::new();
    match result {
        Ok(()) => wrong.push("accepted".to_string()),
        Err(s) if s.code() != Code::InvalidArgument => {
            wrong.push(format!("answered {:?}: {}", s.code(), s.message()));
        }
        Err(s) => {
            let fields = violated_fields(&s);
            if !fields.iter().any(|f| f == field) {
                wrong.push(format!(
                    "BadRequest names {fields:?}, not {field:?} ({})",
                    s.message()
                ));
            }
            check_error_info(&s, "INVALID_ARGUMENT", &mut wrong);
        }
    }
    verdict(wrong, before, after)
}

/// What is wrong with one wrong-state case's outcome, if anything: it must
/// answer `FAILED_PRECONDITION` with a `PreconditionFailure` violation of
/// type `reason` (e.g. `MINUTES_FROZEN`), and write nothing.
pub fn judge_precondition(
    reason: &str,
    result: Result<(), Status>,
    before: &Snapshot,
    after: &Snapshot,
) -> Option<String> {
    let mut wrong = Vec::new();
    match result {
        Ok(()) => wrong.push("accepted".to_string()),
        Err(s) if s.code() != Code::FailedPrecondition => {
            wrong.push(format!("answered {:?}: {}", s.code(), s.message()));
        }
        Err(s) => {
            let reasons = precondition_reasons(&s);
            if !reasons.iter().any(|r| r == reason) {
                wrong.push(format!(
                    "PreconditionFailure names {reasons:?}, not {reason:?} ({})",
                    s.message()
                ));
            }
            check_error_info(&s, reason, &mut wrong);
        }
    }
    verdict(wrong, before, after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, PreconditionViolation};

    fn snapshot(rows: &[(&str, i64, &str)]) -> Snapshot {
        rows.iter()
            .map(|(t, n, h)| (t.to_string(), (*n, h.to_string())))
            .collect()
    }

    fn refused(code: Code, reason: &str) -> Result<(), Status> {
        let mut details =
            ErrorDetails::with_precondition_failure(vec![PreconditionViolation::new(
                reason,
                "meetings/1",
                "the minutes are signed",
            )]);
        details.set_error_info(
            reason,
            samverkan_core::reasons::DOMAIN,
            std::collections::HashMap::new(),
        );
        Err(Status::with_error_details(
            code,
            "the minutes are signed",
            details,
        ))
    }

    #[test]
    fn a_refusal_naming_the_reason_and_writing_nothing_passes() {
        let s = snapshot(&[("meeting", 2, "ab"), ("note", 0, "")]);
        let r = refused(Code::FailedPrecondition, "MINUTES_FROZEN");
        assert_eq!(judge_precondition("MINUTES_FROZEN", r, &s, &s), None);
    }

    #[test]
    fn every_fault_of_a_precondition_case_is_named() {
        let before = snapshot(&[("meeting", 2, "ab"), ("note", 0, "")]);
        let after = snapshot(&[("meeting", 2, "ab"), ("note", 1, "n")]);
        let wrong = |r| judge_precondition("MINUTES_FROZEN", r, &before, &before).unwrap();
        assert_eq!(wrong(Ok(())), "accepted");
        assert!(wrong(Err(Status::aborted("stale etag"))).starts_with("answered Aborted"));
        assert!(
            wrong(refused(Code::FailedPrecondition, "MINUTES_ADJUSTED"))
                .contains(r#"names ["MINUTES_ADJUSTED"], not "MINUTES_FROZEN""#)
        );
        // The reason must be in the details, not only in words.
        let bare = wrong(Err(Status::failed_precondition("MINUTES_FROZEN")));
        assert!(bare.contains("PreconditionFailure names []"), "{bare}");
        assert!(bare.contains("no ErrorInfo"), "{bare}");
        let r = refused(Code::FailedPrecondition, "MINUTES_FROZEN");
        assert_eq!(
            judge_precondition("MINUTES_FROZEN", r, &before, &after).as_deref(),
            Some(r#"wrote to ["note"]"#)
        );
        assert_eq!(
            judge_precondition("MINUTES_FROZEN", Ok(()), &before, &after).as_deref(),
            Some(r#"accepted; wrote to ["note"]"#)
        );
    }

    #[test]
    fn a_precondition_refusal_is_no_bad_input_answer() {
        let s = snapshot(&[("meeting", 2, "ab")]);
        let r = refused(Code::FailedPrecondition, "MINUTES_FROZEN");
        assert!(
            judge("meeting_id", r, &s, &s)
                .unwrap()
                .starts_with("answered FailedPrecondition")
        );
    }
}
