use samverkan_db::migration::run_sql;
use sea_orm_migration::prelude::*;

/// Agenda item numbers are unique per meeting (issue #17). Before, the
/// number was `max + 1` read in a READ COMMITTED transaction, and
/// concurrent `AddAgendaItem` calls on PostgreSQL could give two items the
/// same number. Meetings that got such duplicates are renumbered 1..n in
/// the order the items had (number, then creation time, then id) before
/// the index is created; meetings without duplicates keep their numbers.
/// Numbers are now taken from the meeting's counter in `number_series`.
///
/// On PostgreSQL the renumbering sees the rows its role may see: run the
/// migration as the owner (a superuser, or a role with BYPASSRLS), as the
/// operations guide says; otherwise a database with duplicates fails at
/// `CREATE UNIQUE INDEX` and nothing is changed.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A plain table, not a temporary one: the migration's statements
        // may run on different connections of the pool.
        for sql in [
            "DROP TABLE IF EXISTS agenda_renumbered",
            "CREATE TABLE agenda_renumbered AS
             SELECT a.id, (SELECT count(*) FROM agenda_items b
                            WHERE b.meeting_id = a.meeting_id
                              AND (b.number < a.number
                                   OR (b.number = a.number AND b.create_time < a.create_time)
                                   OR (b.number = a.number AND b.create_time = a.create_time AND b.id < a.id))
                          ) + 1 AS number
             FROM agenda_items a
             WHERE a.meeting_id IN (SELECT meeting_id FROM agenda_items
                                    GROUP BY meeting_id, number HAVING count(*) > 1)",
            "UPDATE agenda_items
             SET number = (SELECT r.number FROM agenda_renumbered r WHERE r.id = agenda_items.id)
             WHERE id IN (SELECT id FROM agenda_renumbered)",
            "DROP TABLE agenda_renumbered",
            "CREATE UNIQUE INDEX agenda_items_meeting_number ON agenda_items (meeting_id, number)",
        ] {
            run_sql(manager, sql, sql).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use samverkan_db::SqliteFile;
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::MigratorTrait;

    use crate::migration::Migrator;

    /// A meeting whose items got duplicate numbers before the index is
    /// renumbered in order; another meeting keeps its numbers.
    #[tokio::test]
    async fn duplicates_are_renumbered_in_order() {
        let dir = std::env::temp_dir().join("samverkan-tests");
        let path = dir.join(format!("agenda-{}.db", samverkan_core::new_uuid().simple()));
        let db = sea_orm::Database::connect(SqliteFile::url(&path).unwrap())
            .await
            .unwrap();
        samverkan_db::migration::Migrator::up(&db, None)
            .await
            .unwrap();
        Migrator::up(&db, Some(3)).await.unwrap();
        db.execute_unprepared(
            "INSERT INTO meetings (id, collaboration_id, forum_id, title, start_time, end_time, location, state,
                                   adjusters, adjusted_by, attendance, create_time, update_time, etag)
             SELECT x'01', x'aa', x'bb', 'A', '2026-01-01', '2026-01-01', '', 'planned', '', '', '', '2026-01-01', '2026-01-01', 'e'
             UNION ALL SELECT x'02', x'aa', x'bb', 'B', '2026-01-01', '2026-01-01', '', 'planned', '', '', '', '2026-01-01', '2026-01-01', 'e';
             INSERT INTO agenda_items (id, collaboration_id, meeting_id, number, kind, title, presenter, estimated_minutes, create_time) VALUES
             (x'11', x'aa', x'01', 1, 'information', 'första', '', 0, '2026-01-01T10:00:01'),
             (x'12', x'aa', x'01', 1, 'information', 'andra', '', 0, '2026-01-01T10:00:02'),
             (x'13', x'aa', x'01', 2, 'information', 'tredje', '', 0, '2026-01-01T10:00:00'),
             (x'21', x'aa', x'02', 1, 'information', 'ett', '', 0, '2026-01-01T10:00:00'),
             (x'22', x'aa', x'02', 5, 'information', 'fem', '', 0, '2026-01-01T10:00:00')",
        )
        .await
        .unwrap();
        Migrator::up(&db, None).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT title, number FROM agenda_items ORDER BY meeting_id, number",
            ))
            .await
            .unwrap();
        let got: Vec<(String, i64)> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get("", "title").unwrap(),
                    r.try_get("", "number").unwrap(),
                )
            })
            .collect();
        let want = [
            ("första", 1),
            ("andra", 2),
            ("tredje", 3),
            ("ett", 1),
            ("fem", 5),
        ];
        assert_eq!(
            got,
            want.map(|(t, n)| (t.to_owned(), n)).to_vec(),
            "renumbered in order, the other meeting unchanged"
        );
        db.close().await.ok();
        for suffix in ["", "-wal", "-shm"] {
            std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
        }
    }
}
