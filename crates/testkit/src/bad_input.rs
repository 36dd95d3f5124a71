//! Table-driven bad-input tests (issue #8): one case is a request with one
//! field spoiled; it must answer `INVALID_ARGUMENT` naming that field in
//! its `BadRequest` detail and leave every table exactly as it was. The
//! machinery shared by every service's `tests/bad_input.rs`.

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

/// The fields a status's `BadRequest` detail names.
fn violated_fields(s: &Status) -> Vec<String> {
    s.get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// What is wrong with one case's outcome, if anything.
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
        }
    }
    let changed: Vec<_> = after
        .iter()
        .filter(|(t, v)| before.get(*t) != Some(v))
        .map(|(t, _)| t.as_str())
        .collect();
    if !changed.is_empty() {
        wrong.push(format!("wrote to {changed:?}"));
    }
    (!wrong.is_empty()).then(|| wrong.join("; "))
}
