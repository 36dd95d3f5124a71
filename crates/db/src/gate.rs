//! How many requests hold connections at once.
//!
//! A handler that calls another service in process while its transaction
//! is open (an authorization check, a lookup) begins a second transaction
//! on the same pool. If every connection were held by such a handler, each
//! would wait for a connection the others hold, until its deadline. So the
//! first transaction a task opens takes one of `max_connections / 2`
//! permits, and the transactions it opens while that one is open (the
//! in-process calls) take none: at most half the pool is held by outer
//! transactions, and each one's nested transaction finds a connection.
//! (Every request is served in its own task; code running outside any
//! task, such as a command's main future, is not held back.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use samverkan_core::ApiError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::Id;

#[derive(Debug)]
pub(crate) struct Gate {
    permits: Arc<Semaphore>,
    /// Transactions open per task.
    open: Mutex<HashMap<Id, usize>>,
    timeout: Duration,
}

/// A transaction's place at the gate; released when the transaction ends.
#[derive(Debug)]
pub(crate) struct Slot {
    gate: Arc<Gate>,
    task: Option<Id>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Gate {
    pub(crate) fn new(max_connections: u32, timeout: Duration) -> Arc<Self> {
        let outer = usize::try_from((max_connections / 2).max(1)).unwrap_or(1);
        Arc::new(Self {
            permits: Arc::new(Semaphore::new(outer)),
            open: Mutex::new(HashMap::new()),
            timeout,
        })
    }

    fn open_in(&self, task: Option<Id>) -> usize {
        task.and_then(|t| self.open.lock().ok()?.get(&t).copied())
            .unwrap_or(0)
    }

    /// Waits for a place for a transaction of the current task.
    pub(crate) async fn enter(self: &Arc<Self>) -> Result<Slot, ApiError> {
        let task = tokio::task::try_id();
        // Outside a task (a command's main future, a test body) nothing
        // tells nested transactions apart: only tasks (requests) queue here.
        let permit = if task.is_none() || self.open_in(task) > 0 {
            None
        } else {
            let acquire = self.permits.clone().acquire_owned();
            match tokio::time::timeout(self.timeout, acquire).await {
                Ok(Ok(p)) => Some(p),
                _ => {
                    tracing::warn!("no database connection became free in time");
                    return Err(ApiError::Unavailable(
                        "the database is busy; try again shortly".into(),
                    ));
                }
            }
        };
        if let (Some(t), Ok(mut open)) = (task, self.open.lock()) {
            *open.entry(t).or_default() += 1;
        }
        Ok(Slot {
            gate: self.clone(),
            task,
            _permit: permit,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let (Some(t), Ok(mut open)) = (self.task, self.gate.open.lock())
            && let Some(n) = open.get_mut(&t)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use samverkan_core::{RequestContext, TenantId, TenantScope};

    use crate::{Access, Database, PoolOptions, SqliteFile};

    /// Every task opens a transaction and, inside it, a second one (as a
    /// handler does when it calls another service in process). With more
    /// tasks than connections, none waits for a connection another holds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nested_transactions_never_starve_the_pool() {
        let dir = std::env::temp_dir().join("samverkan-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("gate-{}.db", samverkan_core::new_uuid().simple()));
        let pool = PoolOptions {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(5),
        };
        let db = Database::connect_with(&SqliteFile::url(&path).unwrap(), &pool)
            .await
            .unwrap();
        let ctx = RequestContext::system(
            TenantScope::private(TenantId::parse("tranemo").unwrap()),
            "test",
        );
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (db, ctx) = (db.clone(), ctx.clone());
                tokio::spawn(async move {
                    let outer = db.begin(&ctx, "test", Access::Write).await?;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    let inner = db.begin(&ctx, "test", Access::Read).await?;
                    inner.commit().await?;
                    outer.commit().await
                })
            })
            .collect();
        let all = tokio::time::timeout(Duration::from_secs(20), futures_join(tasks))
            .await
            .expect("transactions starved the pool");
        for r in all {
            r.unwrap().unwrap();
        }
        db.close().await.ok();
        for suffix in ["", "-wal", "-shm"] {
            std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
        }
    }

    async fn futures_join<T>(
        tasks: Vec<tokio::task::JoinHandle<T>>,
    ) -> Vec<Result<T, tokio::task::JoinError>> {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await);
        }
        out
    }
}
