use sea_orm_migration::prelude::*;

use crate::rls;

/// One counter row per number series and parent (agenda items of a
/// meeting, versions of an agreement, …): numbers are taken from it with
/// one upsert in the transaction that writes the numbered row.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::ddl(
            manager,
            "CREATE TABLE number_series (
                series text NOT NULL,
                parent text NOT NULL,
                collaboration_id uuid NOT NULL,
                last bigint NOT NULL,
                PRIMARY KEY (series, parent)
            );",
        )
        .await?;
        rls::install(
            manager.get_connection(),
            "number_series",
            &rls::shared_only(),
            &rls::shared_only(),
        )
        .await
    }
}
