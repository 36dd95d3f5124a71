//! The roles service's tables, with their own migration table.

use samverkan_db::migration::{FormerHistory, Rule};
use sea_orm_migration::prelude::*;

mod m0001_organisation;
mod m0002_catalogue;
mod m0003_collaboration_etag;
mod m0004_collaboration_administrator;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_organisation::Migration),
            Box::new(m0002_catalogue::Migration),
            Box::new(m0003_collaboration_etag::Migration),
            Box::new(m0004_collaboration_administrator::Migration),
            Box::new(FormerHistory {
                name: "m0005_former_history",
                tables: &[
                    (
                        "memberships",
                        Rule::Own(m0001_organisation::membership_rule),
                    ),
                    ("roles", Rule::SharedOnly),
                    ("forums", Rule::SharedOnly),
                    ("mandates", Rule::SharedOnly),
                    ("assignments", Rule::SharedOnly),
                    ("seats", Rule::SharedOnly),
                ],
            }),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_roles".into_iden()
    }
}
