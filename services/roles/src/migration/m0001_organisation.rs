use samverkan_db::migration::ddl;
use samverkan_db::rls;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl(
            manager,
            "CREATE TABLE municipalities (
                id text PRIMARY KEY,
                name text NOT NULL,
                organisation_number text NOT NULL,
                create_time timestamptz NOT NULL,
                etag text NOT NULL
            );
            CREATE TABLE collaborations (
                id uuid PRIMARY KEY,
                name text NOT NULL,
                host_municipality_id text NOT NULL REFERENCES municipalities (id),
                create_time timestamptz NOT NULL
            );
            CREATE TABLE memberships (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL REFERENCES collaborations (id),
                municipality_id text NOT NULL REFERENCES municipalities (id),
                joined_on date NOT NULL,
                left_on date,
                create_time timestamptz NOT NULL
            );
            CREATE INDEX memberships_municipality ON memberships (municipality_id, joined_on);
            CREATE INDEX memberships_collaboration ON memberships (collaboration_id, joined_on);
            CREATE TABLE people (
                id uuid PRIMARY KEY,
                owner_tenant text NOT NULL REFERENCES municipalities (id),
                display_name text NOT NULL,
                email text NOT NULL,
                subject text NOT NULL,
                create_time timestamptz NOT NULL,
                update_time timestamptz NOT NULL,
                etag text NOT NULL,
                UNIQUE (owner_tenant, subject)
            );",
        )
        .await?;
        let conn = manager.get_connection();
        let rule = membership_rule();
        rls::install(conn, "memberships", &rule, &rule).await?;
        rls::install(
            conn,
            "people",
            &rls::readable_by_peers(),
            &rls::private_only(),
        )
        .await
    }
}

/// A membership is seen by the member itself (so its scope can be
/// resolved at all) and by everyone in the collaboration.
pub(super) fn membership_rule() -> String {
    format!(
        "(municipality_id = {} OR collaboration_id = ANY ({}))",
        rls::TENANT,
        rls::COLLABORATIONS
    )
}
