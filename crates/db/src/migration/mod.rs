//! The storage layer's own tables: the audit trail and idempotency keys. Each service has its
//! own migrator and migration table; this one is `seaql_migrations_db`.

use sea_orm_migration::prelude::*;

use crate::rls;

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

/// A table's tenancy rule, as its migration installed it (see [`rls`]).
#[derive(Clone, Copy)]
pub enum Rule {
    /// [`rls::shared_only`].
    SharedOnly,
    /// [`rls::shared_or_private`].
    SharedOrPrivate,
    /// A service's own rule.
    Own(fn() -> String),
}

impl Rule {
    fn sql(self) -> String {
        match self {
            Rule::SharedOnly => rls::shared_only(),
            Rule::SharedOrPrivate => rls::shared_or_private(),
            Rule::Own(rule) => rule(),
        }
    }
}

/// The migration that lets a former member read what it took part in
/// (issue #18): each table's reading rule is widened by
/// [`rls::former_history`], its writing rule stays as it was. A service
/// lists its shared tables that have `create_time`; the others show a
/// former member nothing, as the application filter ([`rls::shared`]) does.
pub struct FormerHistory {
    /// The migration's name in the service's migration table.
    pub name: &'static str,
    pub tables: &'static [(&'static str, Rule)],
}

impl MigrationName for FormerHistory {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FormerHistory {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for (table, rule) in self.tables {
            let rule = rule.sql();
            rls::install(conn, table, &rls::or_former_history(&rule), &rule).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for (table, rule) in self.tables {
            let rule = rule.sql();
            rls::install(conn, table, &rule, &rule).await?;
        }
        Ok(())
    }
}
