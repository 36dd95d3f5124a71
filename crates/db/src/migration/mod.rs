//! The storage layer's own tables: the audit trail and idempotency keys. Each service has its
//! own migrator and migration table; this one is `seaql_migrations_db`.

use sea_orm_migration::prelude::*;

mod m0001_audit;
mod m0002_idempotency;
mod m0003_outbox;
mod m0004_number_series;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_audit::Migration),
            Box::new(m0002_idempotency::Migration),
            Box::new(m0003_outbox::Migration),
            Box::new(m0004_number_series::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_db".into_iden()
    }
}

/// Runs backend-specific DDL: the types differ (uuid, timestamptz), the
/// meaning does not.
pub async fn run_sql(
    manager: &SchemaManager<'_>,
    sqlite: &str,
    postgres: &str,
) -> Result<(), DbErr> {
    let sql = match manager.get_database_backend() {
        sea_orm::DbBackend::Postgres => postgres,
        _ => sqlite,
    };
    manager
        .get_connection()
        .execute_unprepared(sql)
        .await
        .map(|_| ())
}
