use samverkan_db::migration::ddl;
use sea_orm_migration::prelude::*;

/// Agenda item numbers are unique per meeting (issue #17). Before, the
/// number was `max + 1` read in a READ COMMITTED transaction, and
/// concurrent `AddAgendaItem` calls on PostgreSQL could give two items the
/// same number. Meetings that got such duplicates are renumbered 1..n in
/// the order the items had (number, then creation time, then id) before
/// the index is created; meetings without duplicates keep their numbers.
/// Numbers are now taken from the meeting's counter in `number_series`.
/// `tests/migrations.rs` runs it on duplicates, on both backends.
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
            ddl(manager, sql).await?;
        }
        Ok(())
    }
}
