use samverkan_db::migration::run_sql;
use samverkan_db::rls;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            "CREATE TABLE decisions (
                id BLOB PRIMARY KEY NOT NULL,
                collaboration_id BLOB NOT NULL,
                forum_id BLOB NOT NULL,
                meeting_id BLOB NOT NULL,
                paragraph_id BLOB NOT NULL,
                paragraph_ref TEXT NOT NULL,
                decision_date TEXT NOT NULL,
                year INTEGER NOT NULL,
                title TEXT NOT NULL,
                text TEXT NOT NULL,
                basis_documents TEXT NOT NULL,
                responsible_role_code TEXT NOT NULL,
                responsible_person_id BLOB,
                status TEXT NOT NULL,
                superseded_by_id BLOB,
                supersedes_id BLOB,
                is_final BOOLEAN NOT NULL,
                matter_id BLOB,
                carried_out_on TEXT,
                followed_up_on TEXT,
                create_time TEXT NOT NULL,
                update_time TEXT NOT NULL,
                etag TEXT NOT NULL
            );
            CREATE TABLE follow_ups (
                id BLOB PRIMARY KEY NOT NULL,
                collaboration_id BLOB NOT NULL,
                decision_id BLOB NOT NULL REFERENCES decisions (id),
                forum_id BLOB NOT NULL,
                due_on TEXT NOT NULL,
                title TEXT NOT NULL,
                status TEXT NOT NULL,
                meeting_id BLOB,
                paragraph_id BLOB,
                paragraph_ref TEXT NOT NULL,
                recorded_on TEXT,
                announced BOOLEAN NOT NULL,
                create_time TEXT NOT NULL,
                etag TEXT NOT NULL
            );
            CREATE TABLE action_plans (
                id BLOB PRIMARY KEY NOT NULL,
                collaboration_id BLOB NOT NULL,
                decision_id BLOB NOT NULL REFERENCES decisions (id),
                forum_id BLOB NOT NULL,
                title TEXT NOT NULL,
                create_time TEXT NOT NULL
            );
            CREATE TABLE activities (
                id BLOB PRIMARY KEY NOT NULL,
                collaboration_id BLOB NOT NULL,
                action_plan_id BLOB NOT NULL REFERENCES action_plans (id),
                forum_id BLOB NOT NULL,
                decision_id BLOB NOT NULL REFERENCES decisions (id),
                title TEXT NOT NULL,
                owner_person_id BLOB NOT NULL,
                due_on TEXT NOT NULL,
                status TEXT NOT NULL,
                progress INTEGER NOT NULL,
                weight INTEGER NOT NULL,
                create_time TEXT NOT NULL,
                update_time TEXT NOT NULL,
                etag TEXT NOT NULL
            );
            CREATE TABLE timeline_entries (
                id BLOB PRIMARY KEY NOT NULL,
                collaboration_id BLOB NOT NULL,
                activity_id BLOB NOT NULL REFERENCES activities (id),
                author TEXT NOT NULL,
                text TEXT NOT NULL,
                create_time TEXT NOT NULL
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
