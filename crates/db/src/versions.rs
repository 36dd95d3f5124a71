//! Change versions: a counter per kind of data that processes cache, so a
//! cache is never stale.
//!
//! A transaction that changes such data advances the counter when it
//! commits ([`Tx::advance_on_commit`]), in the same transaction: the change
//! and the new version become visible together, on every instance, or not
//! at all. A cache keeps, beside each answer, the version it read *before*
//! reading the data the answer came from, and trusts the answer only while
//! [`Database::version`] still returns that version. One indexed read of
//! one row per request replaces the queries the answer needs; a change
//! committed on any instance is seen by the next request on every other.
//!
//! [`Kept`] is such a cache; a pool carries its kept caches by name
//! ([`Database::kept`]), so every handler over one pool shares them.

use std::any::Any;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use samverkan_core::ApiError;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::{Backend, Database, Tx, db_err};

/// Answers kept under keys, each with the stamp that says whether it may
/// still be used: the change version it was computed at (`S = i64`), or
/// for a cache that cannot ask the database, when it was computed.
/// Bounded: when full, the entries no longer usable go first, then all.
#[derive(Debug)]
pub struct Kept<K, V, S = i64> {
    entries: Mutex<HashMap<K, (S, V)>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone, S> Kept<K, V, S> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The answer kept under `key`, if `usable` accepts its stamp.
    pub fn get(&self, key: &K, usable: impl Fn(&S) -> bool) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(stamp, _)| usable(stamp))
            .map(|(_, v)| v.clone())
    }

    /// Keeps `value` under `key` with `stamp`; `usable` tells which
    /// entries may go when the cache is full.
    pub fn put(&self, key: K, stamp: S, value: V, usable: impl Fn(&S) -> bool) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, (stamp, _)| usable(stamp));
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (stamp, value));
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The kept caches of a pool, by name.
#[derive(Clone, Default)]
pub(crate) struct Shelf(Arc<Mutex<HashMap<&'static str, Arc<dyn Any + Send + Sync>>>>);

impl std::fmt::Debug for Shelf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shelf")
    }
}

impl Shelf {
    fn get<K, V>(&self, name: &'static str, capacity: usize) -> Arc<Kept<K, V>>
    where
        K: Eq + Hash + Send + 'static,
        V: Clone + Send + 'static,
    {
        let mut shelf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let slot = shelf
            .entry(name)
            .or_insert_with(|| Arc::new(Kept::<K, V>::new(capacity)));
        match slot.clone().downcast::<Kept<K, V>>() {
            Ok(kept) => kept,
            Err(_) => {
                // Two kinds of answer under one name: a bug. The second
                // kind gets a cache of its own rather than the first's.
                tracing::error!(name, "a kept cache is asked for with another type");
                Arc::new(Kept::new(capacity))
            }
        }
    }
}

impl Database {
    /// The cache `name` kept beside this pool, shared by every clone of it
    /// (so by every handler of a process over this database); made with
    /// room for `capacity` answers on first use.
    pub fn kept<K, V>(&self, name: &'static str, capacity: usize) -> Arc<Kept<K, V>>
    where
        K: Eq + Hash + Send + 'static,
        V: Clone + Send + 'static,
    {
        self.kept.get(name, capacity)
    }
}

fn backend(b: Backend) -> DbBackend {
    match b {
        Backend::Postgres => DbBackend::Postgres,
        Backend::Sqlite => DbBackend::Sqlite,
    }
}

fn version_query(b: Backend, name: &str) -> Statement {
    let sql = match b {
        Backend::Postgres => "SELECT version FROM change_versions WHERE name = $1",
        Backend::Sqlite => "SELECT version FROM change_versions WHERE name = ?",
    };
    Statement::from_sql_and_values(backend(b), sql, [name.into()])
}

/// A version's row, or 0 before anything advanced it.
fn version_of(row: Option<sea_orm::QueryResult>) -> Result<i64, ApiError> {
    match row {
        Some(r) => r.try_get::<i64>("", "version").map_err(db_err),
        None => Ok(0),
    }
}

impl Database {
    /// The current version of `name`: 0 until a transaction advanced it.
    /// Read outside any transaction, so it is the latest committed one.
    pub async fn version(&self, name: &str) -> Result<i64, ApiError> {
        let row = self
            .conn
            .query_one_raw(version_query(self.backend(), name))
            .await
            .map_err(|e| match crate::cause(&e) {
                crate::Cause::Bug => crate::tx::unavailable(e),
                _ => db_err(e),
            })?;
        version_of(row)
    }
}

impl Tx {
    /// The pool's cache `name` (see [`Database::kept`]).
    pub fn kept<K, V>(&self, name: &'static str, capacity: usize) -> Arc<Kept<K, V>>
    where
        K: Eq + Hash + Send + 'static,
        V: Clone + Send + 'static,
    {
        self.kept.get(name, capacity)
    }

    /// The version `name` as this transaction sees it (read before what a
    /// kept answer would be computed from; see the module's notes).
    pub async fn version(&self, name: &str) -> Result<i64, ApiError> {
        let row = self
            .conn()
            .query_one_raw(version_query(self.backend(), name))
            .await
            .map_err(db_err)?;
        version_of(row)
    }

    /// Advances the version `name` when this transaction commits, just
    /// before COMMIT: on PostgreSQL the counter's row is locked only for
    /// that moment, and a transaction that rolls back leaves it alone.
    pub fn advance_on_commit(&mut self, name: &'static str) {
        if !self.advances.contains(&name) {
            self.advances.push(name);
        }
    }

    /// Runs the advances [`Tx::advance_on_commit`] asked for.
    pub(crate) async fn advance_versions(&self) -> Result<(), ApiError> {
        let sql = match self.backend() {
            Backend::Postgres => {
                "INSERT INTO change_versions (name, version) VALUES ($1, 1) \
                 ON CONFLICT (name) DO UPDATE SET version = change_versions.version + 1"
            }
            Backend::Sqlite => {
                "INSERT INTO change_versions (name, version) VALUES (?, 1) \
                 ON CONFLICT (name) DO UPDATE SET version = change_versions.version + 1"
            }
        };
        for name in &self.advances {
            self.conn()
                .execute_raw(Statement::from_sql_and_values(
                    backend(self.backend()),
                    sql,
                    [(*name).into()],
                ))
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_answers_are_bounded_and_unusable_ones_go_first() {
        let kept: Kept<&str, String> = Kept::new(2);
        let current = |v: &i64| *v == 2;
        kept.put("tranemo", 1, "T".into(), current);
        kept.put("ulricehamn", 2, "U".into(), current);
        assert_eq!(kept.get(&"tranemo", |v| *v == 1), Some("T".into()));
        assert_eq!(kept.get(&"tranemo", current), None);
        // Full: the entry of the old version goes, the current one stays.
        kept.put("boras", 2, "B".into(), current);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.get(&"ulricehamn", current), Some("U".into()));
        // Full of usable entries: all go.
        kept.put("svenljunga", 2, "S".into(), current);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept.get(&"svenljunga", current), Some("S".into()));
    }

    #[test]
    fn a_shelf_hands_every_clone_the_same_cache() {
        let shelf = Shelf::default();
        let one: Arc<Kept<String, i64>> = shelf.get("callers", 8);
        one.put("tranemo".into(), 1, 7, |_| true);
        let again: Arc<Kept<String, i64>> = shelf.clone().get("callers", 8);
        assert_eq!(again.get(&"tranemo".to_string(), |v| *v == 1), Some(7));
        // Another type under the same name gets a cache of its own.
        let other: Arc<Kept<String, String>> = shelf.get("callers", 8);
        assert!(other.is_empty());
    }
}
