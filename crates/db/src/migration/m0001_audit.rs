use sea_orm_migration::prelude::*;

use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::ddl(
            manager,
            "CREATE TABLE audit_log (
                id uuid PRIMARY KEY,
                owner_tenant text NOT NULL,
                chain text NOT NULL,
                seq bigint NOT NULL,
                at timestamptz NOT NULL,
                service text NOT NULL,
                actor text NOT NULL,
                rpc text NOT NULL,
                resource text NOT NULL,
                change text NOT NULL,
                change_digest text NOT NULL,
                prev_hash text NOT NULL,
                hash text NOT NULL,
                UNIQUE (chain, seq)
            );
            CREATE INDEX audit_log_owner_chain ON audit_log (owner_tenant, chain, seq);
            CREATE TABLE audit_head (
                chain text PRIMARY KEY,
                owner_tenant text NOT NULL,
                seq bigint NOT NULL,
                hash text NOT NULL
            );",
        )
        .await?;
        let conn = manager.get_connection();
        rls::install(
            conn,
            "audit_log",
            &rls::private_only(),
            &rls::private_only(),
        )
        .await?;
        rls::install(
            conn,
            "audit_head",
            &rls::private_only(),
            &rls::private_only(),
        )
        .await
    }
}
