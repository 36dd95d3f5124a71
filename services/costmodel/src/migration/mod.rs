//! The cost model's tables, with their own migration table.

use sea_orm_migration::prelude::*;

mod m0001_costmodel;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001_costmodel::Migration)]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_costmodel".into_iden()
    }
}
