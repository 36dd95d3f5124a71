//! The storage layer's own tables: the audit trail, idempotency keys, the
//! outbox, number series and change versions. Each service has its
//! own migrator and migration table; this one is `seaql_migrations_db`.

use sea_orm_migration::prelude::*;

use crate::rls;

mod m0001_audit;
mod m0002_idempotency;
mod m0003_outbox;
mod m0004_number_series;
mod m0005_change_versions;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_audit::Migration),
            Box::new(m0002_idempotency::Migration),
            Box::new(m0003_outbox::Migration),
            Box::new(m0004_number_series::Migration),
            Box::new(m0005_change_versions::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_db".into_iden()
    }
}

/// Runs DDL declared once, in PostgreSQL's dialect; on SQLite translated
/// by [`sqlite_dialect`]. Tables, columns, indexes and constraints are the
/// same on both backends (`tests/schema.rs` compares them); only the types
/// are spelt the way each stores them.
pub async fn ddl(manager: &SchemaManager<'_>, postgres: &str) -> Result<(), DbErr> {
    let sql = match manager.get_database_backend() {
        sea_orm::DbBackend::Postgres => postgres.to_owned(),
        _ => sqlite_dialect(postgres),
    };
    manager
        .get_connection()
        .execute_unprepared(&sql)
        .await
        .map(|_| ())
}

/// The SQLite spelling of PostgreSQL DDL written one column definition to
/// a line (`name type …`, or `… ADD COLUMN name type …`): `uuid` and
/// `bytea` are stored as `BLOB`, `date` and `timestamptz` as `TEXT` (ISO
/// 8601, as sea-orm writes them), the integers as `INTEGER`, and a
/// column's `PRIMARY KEY` gains `NOT NULL`, which SQLite does not imply.
/// Every other line — statements, table constraints, index definitions —
/// is the same in both dialects and stays as it is.
pub fn sqlite_dialect(postgres: &str) -> String {
    postgres
        .split('\n')
        .map(sqlite_line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Words that begin a line which is not a column definition.
const NOT_A_COLUMN: &[&str] = &[
    "CREATE",
    "ALTER",
    "DROP",
    "PRIMARY",
    "UNIQUE",
    "FOREIGN",
    "CHECK",
    "CONSTRAINT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "SELECT",
    "WITH",
    "ON",
    "REFERENCES",
];

fn sqlite_type(postgres: &str) -> Option<&'static str> {
    Some(match postgres {
        "uuid" | "bytea" => "BLOB",
        "text" | "date" | "timestamptz" => "TEXT",
        "integer" | "bigint" | "smallint" => "INTEGER",
        "boolean" => "BOOLEAN",
        _ => return None,
    })
}

fn sqlite_line(line: &str) -> String {
    let (head, def) = match line.to_ascii_uppercase().find("ADD COLUMN ") {
        Some(i) => line.split_at(i + "ADD COLUMN ".len()),
        None => ("", line),
    };
    let body = def.trim_start();
    let indent = &def[..def.len() - body.len()];
    let Some((name, after)) = body.split_once(' ') else {
        return line.to_owned();
    };
    if NOT_A_COLUMN.contains(&name.to_ascii_uppercase().as_str()) {
        return line.to_owned();
    }
    let after = after.trim_start();
    let end = after
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(after.len());
    let Some(ty) = sqlite_type(&after[..end]) else {
        return line.to_owned();
    };
    let mut rest = after[end..].to_owned();
    let upper = rest.to_ascii_uppercase();
    if let Some(i) = upper.find("PRIMARY KEY")
        && !upper.contains("NOT NULL")
    {
        rest.insert_str(i + "PRIMARY KEY".len(), " NOT NULL");
    }
    format!("{head}{indent}{name} {ty}{rest}")
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

#[cfg(test)]
mod tests {
    use super::sqlite_dialect;

    #[test]
    fn columns_are_spelt_as_sqlite_stores_them() {
        let pg = "CREATE TABLE notes (
                id uuid PRIMARY KEY,
                text text NOT NULL,
                seq bigint NOT NULL,
                due_on date,
                create_time timestamptz NOT NULL,
                sealed boolean NOT NULL DEFAULT false,
                UNIQUE (seq)
            );
            CREATE INDEX notes_due ON notes (due_on, create_time);
            ALTER TABLE notes ADD COLUMN etag text NOT NULL DEFAULT '';";
        let want = "CREATE TABLE notes (
                id BLOB PRIMARY KEY NOT NULL,
                text TEXT NOT NULL,
                seq INTEGER NOT NULL,
                due_on TEXT,
                create_time TEXT NOT NULL,
                sealed BOOLEAN NOT NULL DEFAULT false,
                UNIQUE (seq)
            );
            CREATE INDEX notes_due ON notes (due_on, create_time);
            ALTER TABLE notes ADD COLUMN etag TEXT NOT NULL DEFAULT '';";
        assert_eq!(sqlite_dialect(pg), want);
    }

    #[test]
    fn what_is_not_a_column_definition_stays() {
        for same in [
            "UPDATE agenda_items SET number = number + 1000;",
            "    PRIMARY KEY (owner_tenant, request_id)",
            "id BLOB PRIMARY KEY NOT NULL,",
            "    number = (SELECT count(*) FROM agenda_items b",
            "",
        ] {
            assert_eq!(sqlite_dialect(same), same);
        }
    }
}
