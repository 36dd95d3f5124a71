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
            "CREATE TABLE matters (
                id uuid PRIMARY KEY,
                owner_tenant text,
                collaboration_id uuid,
                raising_municipality text NOT NULL,
                author text NOT NULL,
                author_person_id uuid,
                kind text NOT NULL,
                title text NOT NULL,
                description text NOT NULL,
                priority text NOT NULL,
                state text NOT NULL,
                forum_id uuid,
                provenance text NOT NULL,
                create_time timestamptz NOT NULL,
                update_time timestamptz NOT NULL,
                submit_time timestamptz,
                etag text NOT NULL
            );
            CREATE TABLE meetings (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                forum_id uuid NOT NULL,
                title text NOT NULL,
                start_time timestamptz NOT NULL,
                end_time timestamptz NOT NULL,
                location text NOT NULL,
                state text NOT NULL,
                adjusters text NOT NULL,
                adjusted_by text NOT NULL,
                attendance text NOT NULL,
                create_time timestamptz NOT NULL,
                update_time timestamptz NOT NULL,
                lock_time timestamptz,
                etag text NOT NULL
            );
            CREATE TABLE agenda_items (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                meeting_id uuid NOT NULL REFERENCES meetings (id),
                number integer NOT NULL,
                kind text NOT NULL,
                title text NOT NULL,
                matter_id uuid REFERENCES matters (id),
                presenter text NOT NULL,
                estimated_minutes integer NOT NULL,
                create_time timestamptz NOT NULL
            );
            CREATE TABLE notes (
                id uuid PRIMARY KEY,
                owner_tenant text NOT NULL,
                meeting_id uuid NOT NULL REFERENCES meetings (id),
                agenda_item_id uuid NOT NULL REFERENCES agenda_items (id),
                text text NOT NULL,
                author text NOT NULL,
                create_time timestamptz NOT NULL
            );
            CREATE TABLE documents (
                id uuid PRIMARY KEY,
                owner_tenant text,
                collaboration_id uuid,
                matter_id uuid REFERENCES matters (id),
                agenda_item_id uuid REFERENCES agenda_items (id),
                title text NOT NULL,
                author text NOT NULL,
                municipality text NOT NULL,
                classification text NOT NULL,
                media_type text NOT NULL,
                content bytea NOT NULL,
                sha256 text NOT NULL,
                size_bytes bigint NOT NULL,
                create_time timestamptz NOT NULL
            );
            CREATE TABLE paragraphs (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                meeting_id uuid NOT NULL REFERENCES meetings (id),
                forum_id uuid NOT NULL,
                year integer NOT NULL,
                number integer NOT NULL,
                agenda_item_id uuid REFERENCES agenda_items (id),
                title text NOT NULL,
                presented text NOT NULL,
                decision text NOT NULL,
                outcome text NOT NULL,
                corrects_paragraph_id uuid REFERENCES paragraphs (id),
                create_time timestamptz NOT NULL,
                UNIQUE (forum_id, year, number)
            );
            CREATE TABLE paragraph_counters (
                forum_id uuid NOT NULL,
                year integer NOT NULL,
                collaboration_id uuid NOT NULL,
                last_number integer NOT NULL,
                PRIMARY KEY (forum_id, year)
            );
            CREATE INDEX matters_forum_state ON matters (forum_id, state, create_time);
            CREATE INDEX matters_owner ON matters (owner_tenant, create_time);
            CREATE INDEX matters_collaboration ON matters (collaboration_id, create_time);
            CREATE INDEX meetings_forum ON meetings (forum_id, start_time);
            CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, number);
            CREATE INDEX notes_meeting ON notes (meeting_id, owner_tenant);
            CREATE INDEX documents_matter ON documents (matter_id);
            CREATE INDEX documents_agenda_item ON documents (agenda_item_id);
            CREATE INDEX paragraphs_meeting ON paragraphs (meeting_id, number);
            CREATE UNIQUE INDEX paragraphs_agenda_item ON paragraphs (agenda_item_id) WHERE agenda_item_id IS NOT NULL;",
        )
        .await?;
        let conn = manager.get_connection();
        // Drafts and their documents are private until submitted; notes are
        // always private; the rest is the collaboration's.
        rls::install(
            conn,
            "matters",
            &rls::shared_or_private(),
            &rls::shared_or_private(),
        )
        .await?;
        rls::install(
            conn,
            "documents",
            &rls::shared_or_private(),
            &rls::shared_or_private(),
        )
        .await?;
        rls::install(conn, "notes", &rls::private_only(), &rls::private_only()).await?;
        for table in [
            "meetings",
            "agenda_items",
            "paragraphs",
            "paragraph_counters",
        ] {
            rls::install(conn, table, &rls::shared_only(), &rls::shared_only()).await?;
        }
        Ok(())
    }
}
