use samverkan_db::migration::ddl;
use sea_orm_migration::prelude::*;

/// `ListMeetings` sorts a forum's meetings by start time and id. With the
/// index on (forum_id, start_time) alone PostgreSQL fetched all of the
/// forum's meetings and sorted them: 1.6 ms for the first page at 10×
/// data, growing with the forum's history (issue #11). This index gives
/// the exact order, so the first page is read and the scan stops; it
/// replaces the old one, whose columns are its prefix.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in [
            "CREATE INDEX meetings_forum_start ON meetings (forum_id, start_time, id)",
            "DROP INDEX meetings_forum",
        ] {
            ddl(manager, sql).await?;
        }
        Ok(())
    }
}
