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
            "CREATE TABLE decisions (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                forum_id uuid NOT NULL,
                meeting_id uuid NOT NULL,
                paragraph_id uuid NOT NULL,
                paragraph_ref text NOT NULL,
                decision_date date NOT NULL,
                year integer NOT NULL,
                title text NOT NULL,
                text text NOT NULL,
                basis_documents text NOT NULL,
                responsible_role_code text NOT NULL,
                responsible_person_id uuid,
                status text NOT NULL,
                superseded_by_id uuid,
                supersedes_id uuid,
                is_final boolean NOT NULL,
                matter_id uuid,
                carried_out_on date,
                followed_up_on date,
                create_time timestamptz NOT NULL,
                update_time timestamptz NOT NULL,
                etag text NOT NULL
            );
            CREATE TABLE follow_ups (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                decision_id uuid NOT NULL REFERENCES decisions (id),
                forum_id uuid NOT NULL,
                due_on date NOT NULL,
                title text NOT NULL,
                status text NOT NULL,
                meeting_id uuid,
                paragraph_id uuid,
                paragraph_ref text NOT NULL,
                recorded_on date,
                announced boolean NOT NULL,
                create_time timestamptz NOT NULL,
                etag text NOT NULL
            );
            CREATE TABLE action_plans (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                decision_id uuid NOT NULL REFERENCES decisions (id),
                forum_id uuid NOT NULL,
                title text NOT NULL,
                create_time timestamptz NOT NULL
            );
            CREATE TABLE activities (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                action_plan_id uuid NOT NULL REFERENCES action_plans (id),
                forum_id uuid NOT NULL,
                decision_id uuid NOT NULL REFERENCES decisions (id),
                title text NOT NULL,
                owner_person_id uuid NOT NULL,
                due_on date NOT NULL,
                status text NOT NULL,
                progress integer NOT NULL,
                weight integer NOT NULL,
                create_time timestamptz NOT NULL,
                update_time timestamptz NOT NULL,
                etag text NOT NULL
            );
            CREATE TABLE timeline_entries (
                id uuid PRIMARY KEY,
                collaboration_id uuid NOT NULL,
                activity_id uuid NOT NULL REFERENCES activities (id),
                author text NOT NULL,
                text text NOT NULL,
                create_time timestamptz NOT NULL
            );
            CREATE INDEX decisions_forum ON decisions (forum_id, decision_date);
            CREATE INDEX decisions_collaboration ON decisions (collaboration_id, decision_date);
            CREATE INDEX decisions_matter ON decisions (matter_id);
            CREATE INDEX decisions_meeting ON decisions (meeting_id);
            CREATE UNIQUE INDEX decisions_paragraph ON decisions (paragraph_id);
            CREATE INDEX follow_ups_decision ON follow_ups (decision_id, due_on);
            CREATE INDEX follow_ups_due ON follow_ups (collaboration_id, status, due_on);
            CREATE INDEX activities_plan ON activities (action_plan_id);
            CREATE INDEX activities_due ON activities (collaboration_id, status, due_on);
            CREATE INDEX timeline_activity ON timeline_entries (activity_id, create_time);",
        )
        .await?;
        // The register is a public record of the collaboration.
        let conn = manager.get_connection();
        for table in [
            "decisions",
            "follow_ups",
            "action_plans",
            "activities",
            "timeline_entries",
        ] {
            rls::install(conn, table, &rls::shared_only(), &rls::shared_only()).await?;
        }
        Ok(())
    }
}
