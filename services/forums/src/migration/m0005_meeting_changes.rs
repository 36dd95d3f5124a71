use samverkan_db::{migration::ddl, rls};
use sea_orm_migration::prelude::*;

/// The committed changes of each meeting, numbered per meeting (issue
/// #17). `WatchMeeting` is fed from this log: on PostgreSQL every instance
/// hears of a new row through `LISTEN/NOTIFY`, and a client that
/// reconnects with its last cursor is sent the rows it missed.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl(
            manager,
            "CREATE TABLE meeting_changes (
                meeting_id uuid NOT NULL REFERENCES meetings (id),
                seq bigint NOT NULL,
                collaboration_id uuid NOT NULL,
                kind text NOT NULL,
                actor text NOT NULL,
                change_time timestamptz NOT NULL,
                PRIMARY KEY (meeting_id, seq)
            )",
        )
        .await?;
        rls::install(
            manager.get_connection(),
            "meeting_changes",
            &rls::shared_only(),
            &rls::shared_only(),
        )
        .await
    }
}
