//! Database errors mapped by cause, in one place.
//!
//! Every store function ends its `sea_orm` errors here. What the caller
//! sent or a concurrent caller did never answers `INTERNAL`:
//!
//! | cause | answer |
//! |---|---|
//! | unique violation no precondition caught | `ALREADY_EXISTS` |
//! | serialization failure, deadlock, lock not available, SQLite busy or locked | `ABORTED` ([`ApiError::Conflict`]: the unit of work is rerun first) |
//! | connection lost or refused, pool timed out or closed, server shutting down, I/O error | `UNAVAILABLE` |
//! | disk or quota full, out of memory | `RESOURCE_EXHAUSTED` |
//! | statement cancelled (deadline, `statement_timeout`) | `DEADLINE_EXCEEDED` |
//! | anything else (a bad statement, a type mismatch, corruption) | `INTERNAL`: a bug, logged with its chain |

use samverkan_core::ApiError;
use sea_orm::sqlx;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};

/// Why a database call failed, as far as the caller is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A unique constraint refused the row.
    Unique,
    /// A concurrent transaction won: rerunning the unit of work may succeed.
    Conflict,
    /// The database cannot be reached or is shutting down.
    Unavailable,
    /// Storage (or memory) is full.
    Full,
    /// The statement was cancelled.
    Cancelled,
    /// None of the above: a fault in our code or in the database files.
    Bug,
}

/// The sqlx error behind a sea-orm error, if there is one.
fn sqlx_error(e: &DbErr) -> Option<&sqlx::Error> {
    match e {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        _ => None,
    }
}

/// Classifies a PostgreSQL SQLSTATE.
fn postgres_cause(state: &str) -> Cause {
    match state {
        "23505" => Cause::Unique,
        // serialization_failure, deadlock_detected, lock_not_available
        "40001" | "40P01" | "55P03" => Cause::Conflict,
        // disk_full, out_of_memory, insufficient_resources (class 53)
        "53100" | "53200" | "53000" => Cause::Full,
        // too_many_connections, configuration_limit_exceeded
        "53300" | "53400" => Cause::Unavailable,
        // query_canceled: statement_timeout or a cancel request
        "57014" => Cause::Cancelled,
        // admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped
        "57P01" | "57P02" | "57P03" | "57P04" => Cause::Unavailable,
        // connection_exception (class 08)
        s if s.starts_with("08") => Cause::Unavailable,
        _ => Cause::Bug,
    }
}

/// Classifies an SQLite extended result code by its primary code.
fn sqlite_cause(extended: i32) -> Cause {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    const SQLITE_NOMEM: i32 = 7;
    const SQLITE_READONLY: i32 = 8;
    const SQLITE_IOERR: i32 = 10;
    const SQLITE_FULL: i32 = 13;
    const SQLITE_CANTOPEN: i32 = 14;
    const SQLITE_CONSTRAINT_PRIMARYKEY: i32 = 1555;
    const SQLITE_CONSTRAINT_UNIQUE: i32 = 2067;
    match extended {
        SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY => Cause::Unique,
        _ => match extended & 0xff {
            SQLITE_BUSY | SQLITE_LOCKED => Cause::Conflict,
            SQLITE_FULL | SQLITE_NOMEM => Cause::Full,
            SQLITE_IOERR | SQLITE_CANTOPEN | SQLITE_READONLY => Cause::Unavailable,
            _ => Cause::Bug,
        },
    }
}

/// Why `e` happened.
pub fn cause(e: &DbErr) -> Cause {
    if let DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) = e
    {
        return Cause::Unavailable;
    }
    let Some(e) = sqlx_error(e) else {
        return Cause::Bug;
    };
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                code.parse().map_or(Cause::Bug, sqlite_cause)
            } else {
                postgres_cause(&code)
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Cause::Unavailable,
        _ => Cause::Bug,
    }
}

/// Maps a sea-orm error to the API error by its cause. Only a bug answers
/// `INTERNAL`; the rest are logged at `warn` with the database's words and
/// answered with a message that says what the caller can do.
pub fn db_err(e: DbErr) -> ApiError {
    let c = cause(&e);
    if c != Cause::Bug {
        tracing::warn!(error = %e, cause = ?c, "database call failed");
    }
    match c {
        Cause::Unique => {
            ApiError::AlreadyExists("a record with the same key exists already".into())
        }
        Cause::Conflict => ApiError::Conflict(
            "a concurrent change to the same records won; nothing was saved, try again".into(),
        ),
        Cause::Unavailable => ApiError::Unavailable(
            "the database is not available; nothing was saved, try again shortly".into(),
        ),
        Cause::Full => ApiError::ResourceExhausted(
            "the database's storage is full; nothing was saved. Tell the operations team".into(),
        ),
        Cause::Cancelled => ApiError::DeadlineExceeded(
            "the database did not finish in time; nothing was saved".into(),
        ),
        Cause::Bug => ApiError::internal_from(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_states_by_cause() {
        for (state, want) in [
            ("23505", Cause::Unique),
            ("40001", Cause::Conflict),
            ("40P01", Cause::Conflict),
            ("55P03", Cause::Conflict),
            ("53100", Cause::Full),
            ("57014", Cause::Cancelled),
            ("57P01", Cause::Unavailable),
            ("08006", Cause::Unavailable),
            ("42P01", Cause::Bug),
            ("23503", Cause::Bug),
        ] {
            assert_eq!(postgres_cause(state), want, "{state}");
        }
    }

    #[test]
    fn sqlite_codes_by_cause() {
        for (code, want) in [
            (2067, Cause::Unique),
            (1555, Cause::Unique),
            (5, Cause::Conflict),
            (517, Cause::Conflict), // SQLITE_BUSY_SNAPSHOT
            (6, Cause::Conflict),
            (13, Cause::Full),
            (10, Cause::Unavailable),
            (778, Cause::Unavailable), // SQLITE_IOERR_WRITE
            (11, Cause::Bug),          // SQLITE_CORRUPT
            (787, Cause::Bug),         // SQLITE_CONSTRAINT_FOREIGNKEY
            (1, Cause::Bug),
        ] {
            assert_eq!(sqlite_cause(code), want, "{code}");
        }
    }

    #[test]
    fn pool_timeouts_are_unavailable() {
        let e = DbErr::ConnectionAcquire(ConnAcquireErr::Timeout);
        assert_eq!(db_err(e).code(), tonic::Code::Unavailable);
        assert_eq!(cause(&DbErr::Custom("x".into())), Cause::Bug);
    }
}
