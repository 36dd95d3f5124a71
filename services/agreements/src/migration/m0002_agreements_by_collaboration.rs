use samverkan_db::migration::ddl;
use sea_orm_migration::prelude::*;

/// `ListAgreements` filters on the collaboration and sorts by title: the
/// one list of the service whose filter had no index (issue #11), so it
/// read the whole table of every collaboration's agreements.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl(
            manager,
            "CREATE INDEX agreements_collaboration ON agreements (collaboration_id, title)",
        )
        .await
    }
}
