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
            "CREATE TABLE agreements (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                kind text NOT NULL,
                title text NOT NULL,
                create_time timestamptz NOT NULL
            );
            CREATE TABLE agreement_versions (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                agreement_id uuid NOT NULL REFERENCES agreements (id),
                number integer NOT NULL,
                text text NOT NULL,
                status text NOT NULL,
                effective_from date,
                next_review_on date,
                decision_ids text NOT NULL,
                changelog text NOT NULL,
                link text NOT NULL,
                based_on_version_id uuid,
                create_time timestamptz NOT NULL,
                update_time timestamptz NOT NULL,
                etag text NOT NULL,
                UNIQUE (agreement_id, number)
            );
            CREATE TABLE revisions (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                agreement_id uuid NOT NULL REFERENCES agreements (id),
                year integer NOT NULL,
                base_version_id uuid NOT NULL,
                draft_version_id uuid,
                phase text NOT NULL,
                phase_ends text NOT NULL,
                effective_from date NOT NULL,
                decision_id uuid,
                create_time timestamptz NOT NULL,
                update_time timestamptz NOT NULL,
                etag text NOT NULL,
                UNIQUE (agreement_id, year)
            );
            CREATE TABLE proposals (
                id uuid PRIMARY KEY,
                owner_tenant text,
                collaboration_id uuid,
                revision_id uuid NOT NULL REFERENCES revisions (id),
                municipality text NOT NULL,
                author text NOT NULL,
                section_number text NOT NULL,
                action text NOT NULL,
                title text NOT NULL,
                text text NOT NULL,
                rationale text NOT NULL,
                state text NOT NULL,
                resolution_reason text NOT NULL,
                accepted_text text NOT NULL,
                create_time timestamptz NOT NULL,
                update_time timestamptz NOT NULL,
                etag text NOT NULL
            );
            CREATE TABLE approvals (
                id uuid PRIMARY KEY,
                owner_tenant text,
                collaboration_id uuid,
                revision_id uuid NOT NULL REFERENCES revisions (id),
                municipality text NOT NULL,
                body text NOT NULL,
                paragraph_ref text NOT NULL,
                decided_on date NOT NULL,
                recorded_by text NOT NULL,
                recorded boolean NOT NULL,
                create_time timestamptz NOT NULL,
                etag text NOT NULL,
                UNIQUE (revision_id, municipality)
            );
            CREATE INDEX agreement_versions_agreement ON agreement_versions (agreement_id, number);
            CREATE INDEX proposals_revision ON proposals (revision_id, section_number);
            CREATE INDEX revisions_phase ON revisions (collaboration_id, phase);",
        )
        .await?;
        let conn = manager.get_connection();
        // A municipality's proposal drafts and its draft approval are private
        // until submitted or recorded; the rest is the collaboration's.
        for table in ["proposals", "approvals"] {
            rls::install(
                conn,
                table,
                &rls::shared_or_private(),
                &rls::shared_or_private(),
            )
            .await?;
        }
        for table in ["agreements", "agreement_versions", "revisions"] {
            rls::install(conn, table, &rls::shared_only(), &rls::shared_only()).await?;
        }
        Ok(())
    }
}
