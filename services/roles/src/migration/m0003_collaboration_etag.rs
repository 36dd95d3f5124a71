use samverkan_db::migration::ddl;
use sea_orm_migration::prelude::*;

/// Collaborations become updatable (renamed) with optimistic concurrency.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl(
            manager,
            "ALTER TABLE collaborations ADD COLUMN etag text NOT NULL DEFAULT ''",
        )
        .await
    }
}
