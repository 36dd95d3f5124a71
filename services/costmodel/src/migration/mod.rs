//! The cost model's tables, with their own migration table.

use samverkan_db::migration::{FormerHistory, Rule};
use sea_orm_migration::prelude::*;

mod m0001_costmodel;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_costmodel::Migration),
            Box::new(FormerHistory {
                name: "m0002_former_history",
                tables: &[
                    ("cm_services", Rule::SharedOnly),
                    ("cm_price_lists", Rule::SharedOnly),
                    ("cm_allocation_keys", Rule::SharedOnly),
                    ("cm_driver_snapshots", Rule::SharedOnly),
                    ("cm_volumes", Rule::SharedOnly),
                    ("cm_direct_charges", Rule::SharedOnly),
                    ("cm_billing_runs", Rule::SharedOnly),
                    ("cm_bills", Rule::SharedOnly),
                    ("cm_reconciliations", Rule::SharedOnly),
                    ("cm_scenarios", Rule::SharedOnly),
                ],
            }),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_costmodel".into_iden()
    }
}
