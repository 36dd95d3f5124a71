//! The decisions service's tables, with their own migration table.

use samverkan_db::migration::{FormerHistory, Rule};
use sea_orm_migration::prelude::*;

mod m0001_decisions;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_decisions::Migration),
            Box::new(FormerHistory {
                name: "m0002_former_history",
                tables: &[
                    ("decisions", Rule::SharedOnly),
                    ("follow_ups", Rule::SharedOnly),
                    ("action_plans", Rule::SharedOnly),
                    ("activities", Rule::SharedOnly),
                    ("timeline_entries", Rule::SharedOnly),
                ],
            }),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_decisions".into_iden()
    }
}
