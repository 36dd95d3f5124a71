use sea_orm_migration::prelude::*;

use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::ddl(
            manager,
            "CREATE TABLE outbox (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                source text NOT NULL,
                topic text NOT NULL,
                payload text NOT NULL,
                create_time timestamptz NOT NULL,
                attempts integer NOT NULL,
                delivered_time timestamptz,
                last_error text NOT NULL
            );
            CREATE INDEX outbox_pending ON outbox (collaboration_id, delivered_time, create_time);
            CREATE TABLE inbox (
                consumer text NOT NULL,
                message_id uuid NOT NULL,
                collaboration_id uuid NOT NULL,
                receive_time timestamptz NOT NULL,
                PRIMARY KEY (consumer, message_id)
            );",
        )
        .await?;
        let conn = manager.get_connection();
        rls::install(conn, "outbox", &rls::shared_only(), &rls::shared_only()).await?;
        rls::install(conn, "inbox", &rls::shared_only(), &rls::shared_only()).await
    }
}
