use samverkan_db::migration::ddl;
use samverkan_db::rls;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables of the organisation proper, all shared with their collaboration.
const TABLES: &[&str] = &[
    "roles",
    "forums",
    "forum_role_seats",
    "mandates",
    "assignments",
    "seats",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl(
            manager,
            "CREATE TABLE roles (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL REFERENCES collaborations (id),
                code text NOT NULL,
                display_name text NOT NULL,
                scope text NOT NULL,
                create_time timestamptz NOT NULL,
                UNIQUE (collaboration_id, code)
            );
            CREATE TABLE forums (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL REFERENCES collaborations (id),
                code text NOT NULL,
                name text NOT NULL,
                reports_to_forum_id uuid REFERENCES forums (id),
                create_time timestamptz NOT NULL,
                UNIQUE (collaboration_id, code)
            );
            CREATE TABLE forum_role_seats (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL REFERENCES collaborations (id),
                forum_id uuid NOT NULL REFERENCES forums (id),
                role_code text NOT NULL,
                kind text NOT NULL,
                may_adjust boolean NOT NULL,
                UNIQUE (forum_id, role_code)
            );
            CREATE TABLE mandates (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL REFERENCES collaborations (id),
                subject_kind text NOT NULL,
                subject_id uuid NOT NULL,
                version integer NOT NULL,
                text text NOT NULL,
                effective_from date NOT NULL,
                decision_ref text NOT NULL,
                created_by text NOT NULL,
                create_time timestamptz NOT NULL,
                UNIQUE (subject_id, version)
            );
            CREATE TABLE assignments (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL REFERENCES collaborations (id),
                person_id uuid NOT NULL REFERENCES people (id),
                role_id uuid NOT NULL REFERENCES roles (id),
                role_code text NOT NULL,
                municipality_id text REFERENCES municipalities (id),
                section text NOT NULL,
                valid_from date NOT NULL,
                valid_to date,
                decision_ref text NOT NULL,
                deputy_for_person_id uuid REFERENCES people (id),
                create_time timestamptz NOT NULL,
                etag text NOT NULL
            );
            CREATE INDEX assignments_person ON assignments (collaboration_id, person_id, valid_from);
            CREATE INDEX assignments_role ON assignments (collaboration_id, role_code, valid_from);
            CREATE TABLE seats (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL REFERENCES collaborations (id),
                forum_id uuid NOT NULL REFERENCES forums (id),
                person_id uuid NOT NULL REFERENCES people (id),
                kind text NOT NULL,
                may_adjust boolean NOT NULL,
                valid_from date NOT NULL,
                valid_to date,
                decision_ref text NOT NULL,
                create_time timestamptz NOT NULL,
                etag text NOT NULL
            );
            CREATE INDEX seats_forum ON seats (forum_id, valid_from);
            CREATE INDEX seats_person ON seats (collaboration_id, person_id);",
        )
        .await?;
        let conn = manager.get_connection();
        for table in TABLES {
            rls::install(conn, table, &rls::shared_only(), &rls::shared_only()).await?;
        }
        Ok(())
    }
}
