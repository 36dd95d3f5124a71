//! The agreements service's tables, with their own migration table.

use samverkan_db::migration::{FormerHistory, Rule};
use sea_orm_migration::prelude::*;

mod m0001_agreements;
mod m0002_agreements_by_collaboration;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_agreements::Migration),
            Box::new(m0002_agreements_by_collaboration::Migration),
            Box::new(FormerHistory {
                name: "m0003_former_history",
                tables: &[
                    ("proposals", Rule::SharedOrPrivate),
                    ("approvals", Rule::SharedOrPrivate),
                    ("agreements", Rule::SharedOnly),
                    ("agreement_versions", Rule::SharedOnly),
                    ("revisions", Rule::SharedOnly),
                ],
            }),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_agreements".into_iden()
    }
}
