use sea_orm_migration::prelude::*;

/// One counter per kind of data a process caches (`directory`: who may do
/// what), advanced by every transaction that changes that data, in that
/// transaction (see `crate::versions`). It holds no tenant's data, so it
/// has no row-level security: every process reads every counter.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::ddl(
            manager,
            "CREATE TABLE change_versions (
                name text PRIMARY KEY,
                version bigint NOT NULL
            );",
        )
        .await
    }
}
