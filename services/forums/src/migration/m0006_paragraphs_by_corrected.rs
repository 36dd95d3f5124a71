use samverkan_db::migration::ddl;
use sea_orm_migration::prelude::*;

/// A correction is a § of a later meeting's minutes, and the corrected
/// meeting's minutes list the corrections of each of their §§: this index
/// finds them by the corrected §, reading only corrections (the partial
/// index holds no row for an ordinary §). The same SQL serves SQLite and
/// PostgreSQL.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = "CREATE INDEX paragraphs_corrects ON paragraphs (corrects_paragraph_id) \
                   WHERE corrects_paragraph_id IS NOT NULL";
        ddl(manager, sql).await
    }
}
