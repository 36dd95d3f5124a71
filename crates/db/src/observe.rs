//! The statements a pool runs, for the tests that count them (no list may
//! issue a statement per row) and for the benchmark, which replays the
//! statements an RPC issued through `pgbench` as its database floor.
//!
//! Every pool has a log; it records nothing until [`StatementLog::start`],
//! so serving pays one atomic load per statement. The log belongs to the
//! pool, not to a request: whoever reads it runs the calls it measures one
//! at a time, on a server whose background work is off.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// One statement as the database received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The SQL with its placeholders (`$1`, `?`).
    pub sql: String,
    /// The SQL with the bound values written in, runnable as it is.
    pub inlined: String,
    /// Whether the database answered with an error.
    pub failed: bool,
}

/// The statements a pool ran while recording. Cheap to clone; clones share.
#[derive(Debug, Clone, Default)]
pub struct StatementLog {
    on: Arc<AtomicBool>,
    entries: Arc<Mutex<Vec<Recorded>>>,
}

impl StatementLog {
    /// Clears the log and records from now on.
    pub fn start(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
        self.on.store(true, Ordering::SeqCst);
    }

    /// Stops recording and hands over what was recorded.
    pub fn stop(&self) -> Vec<Recorded> {
        self.on.store(false, Ordering::SeqCst);
        self.entries
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    pub(crate) fn record(&self, statement: &sea_orm::Statement, failed: bool) {
        if !self.on.load(Ordering::Relaxed) {
            return;
        }
        let entry = Recorded {
            sql: statement.sql.clone(),
            inlined: statement.to_string(),
            failed,
        };
        if let Ok(mut e) = self.entries.lock() {
            e.push(entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Database;

    #[tokio::test]
    async fn records_only_while_started() {
        let db = Database::connect("sqlite::memory:").await.expect("connect");
        db.query_admin("select 1").await.expect("unrecorded");
        db.statements().start();
        db.query_admin("select 'Åsa' as name")
            .await
            .expect("recorded");
        let log = db.statements().stop();
        db.query_admin("select 2").await.expect("unrecorded");
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0].inlined, "select 'Åsa' as name");
        assert!(!log[0].failed);
        assert!(db.statements().stop().is_empty());
    }
}
