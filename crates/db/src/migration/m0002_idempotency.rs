use sea_orm_migration::prelude::*;

use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::ddl(
            manager,
            "CREATE TABLE idempotency_keys (
                owner_tenant text NOT NULL,
                service text NOT NULL,
                request_id text NOT NULL,
                rpc text NOT NULL,
                request_digest text NOT NULL,
                resource text NOT NULL,
                create_time timestamptz NOT NULL,
                PRIMARY KEY (owner_tenant, service, request_id)
            );",
        )
        .await?;
        rls::install(
            manager.get_connection(),
            "idempotency_keys",
            &rls::private_only(),
            &rls::private_only(),
        )
        .await
    }
}
