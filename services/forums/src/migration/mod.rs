//! The forums service's tables, with their own migration table.

use samverkan_db::migration::{FormerHistory, Rule};
use sea_orm_migration::prelude::*;

mod m0001_forums;
mod m0002_matters_by_forum_and_time;
mod m0003_meetings_by_forum_and_start;
mod m0004_agenda_numbers_unique;
mod m0005_meeting_changes;
mod m0006_paragraphs_by_corrected;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_forums::Migration),
            Box::new(m0002_matters_by_forum_and_time::Migration),
            Box::new(m0003_meetings_by_forum_and_start::Migration),
            Box::new(m0004_agenda_numbers_unique::Migration),
            Box::new(m0005_meeting_changes::Migration),
            Box::new(m0006_paragraphs_by_corrected::Migration),
            Box::new(FormerHistory {
                name: "m0007_former_history",
                tables: &[
                    ("matters", Rule::SharedOrPrivate),
                    ("documents", Rule::SharedOrPrivate),
                    ("meetings", Rule::SharedOnly),
                    ("agenda_items", Rule::SharedOnly),
                    ("paragraphs", Rule::SharedOnly),
                ],
            }),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_forums".into_iden()
    }
}
