//! Number series that cannot collide: agenda item numbers per meeting,
//! version numbers per agreement, key or price list, and the like.
//!
//! A series has one counter row per parent in `number_series`, advanced by
//! one upsert (`INSERT … ON CONFLICT DO UPDATE SET last = last + 1 …
//! RETURNING last`) in the transaction that writes the numbered row. On
//! PostgreSQL the upsert locks the counter row until that transaction
//! ends, so a concurrent caller waits and then reads the advanced value,
//! on every instance; on SQLite a writing transaction holds the database's
//! write lock. A rolled-back transaction rolls its number back too, so a
//! series has no gaps. Each numbered table also has a unique index on
//! (parent, number): the counter is the allocation, the index the proof.

use samverkan_core::ApiError;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::{Backend, Tx, db_err};

impl Tx {
    /// Takes the next number of `series` under `parent` (e.g. `agenda`,
    /// the meeting's id), in a collaboration's shared data. `taken` is the
    /// highest number already in use as far as the caller knows: it seeds
    /// the counter the first time the series is used (rows numbered before
    /// counters existed) and is ignored afterwards.
    pub async fn next_number(
        &self,
        series: &str,
        parent: &str,
        collaboration: Uuid,
        taken: i64,
    ) -> Result<i64, ApiError> {
        let (backend, sql) = match self.backend() {
            Backend::Postgres => (
                DbBackend::Postgres,
                "INSERT INTO number_series (series, parent, collaboration_id, last) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (series, parent) DO UPDATE SET last = number_series.last + 1 \
                 WHERE number_series.collaboration_id = excluded.collaboration_id \
                 RETURNING last",
            ),
            Backend::Sqlite => (
                DbBackend::Sqlite,
                "INSERT INTO number_series (series, parent, collaboration_id, last) \
                 VALUES (?, ?, ?, ?) \
                 ON CONFLICT (series, parent) DO UPDATE SET last = number_series.last + 1 \
                 WHERE number_series.collaboration_id = excluded.collaboration_id \
                 RETURNING last",
            ),
        };
        let row = self
            .conn()
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    series.into(),
                    parent.into(),
                    collaboration.into(),
                    (taken + 1).into(),
                ],
            ))
            .await
            .map_err(db_err)?
            .ok_or_else(|| {
                ApiError::internal(format!(
                    "number series {series}/{parent} belongs to another collaboration"
                ))
            })?;
        row.try_get::<i64>("", "last").map_err(db_err)
    }
}
