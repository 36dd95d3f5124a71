//! Migrations are declared once (`samverkan_db::migration::ddl`): after
//! every service's migrations both backends hold the same tables, the same
//! columns with the same nullability, the same indexes (name, columns,
//! uniqueness, partial or not; those that back a primary key or a unique
//! constraint by table, columns and uniqueness, as each backend names them
//! itself) and the same foreign keys. Only the column types are spelt each
//! backend's way.

use std::collections::BTreeSet;

use samverkan_db::Database;
use samverkan_testkit::TestDb;

/// The facts one query lists, one string each.
async fn facts(db: &Database, sql: &str) -> BTreeSet<String> {
    db.query_admin(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.try_get::<String>("", "fact").unwrap())
        .collect()
}

const SQLITE: [(&str, &str); 4] = [
    (
        "columns",
        "SELECT m.name || '.' || p.name || CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN ' not null' ELSE '' END AS fact
         FROM sqlite_master m JOIN pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    ),
    (
        "indexes",
        "SELECT m.name || ' ' || CASE WHEN il.origin = 'c' THEN il.name ELSE '(constraint)' END
                || ' (' || (SELECT group_concat(ii.name, ',') FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno) ii) || ')'
                || CASE WHEN il.\"unique\" = 1 THEN ' unique' ELSE '' END
                || CASE WHEN il.partial = 1 THEN ' partial' ELSE '' END AS fact
         FROM sqlite_master m JOIN pragma_index_list(m.name) il
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
         UNION
         SELECT m.name || ' (constraint) (' || p.name || ') unique' AS fact
         FROM sqlite_master m JOIN pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND p.pk = 1
           AND (SELECT count(*) FROM pragma_table_info(m.name) WHERE pk > 0) = 1
           AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name) WHERE origin = 'pk')",
    ),
    (
        "foreign keys",
        "SELECT m.name || '.' || f.\"from\" || ' -> ' || f.\"table\" || '.' || f.\"to\" AS fact
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
         WHERE m.type = 'table'",
    ),
    (
        "tables",
        "SELECT name AS fact FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    ),
];

const POSTGRES: [(&str, &str); 4] = [
    (
        "columns",
        "SELECT table_name || '.' || column_name || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END AS fact
         FROM information_schema.columns WHERE table_schema = 'public'",
    ),
    (
        "indexes",
        "SELECT t.relname || ' '
                || CASE WHEN EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) THEN '(constraint)' ELSE i.relname END
                || ' (' || (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                            FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
                            JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) || ')'
                || CASE WHEN ix.indisunique THEN ' unique' ELSE '' END
                || CASE WHEN ix.indpred IS NOT NULL THEN ' partial' ELSE '' END AS fact
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_class i ON i.oid = ix.indexrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public'",
    ),
    (
        "foreign keys",
        "SELECT t.relname || '.' || a.attname || ' -> ' || rt.relname || '.' || ra.attname AS fact
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_class rt ON rt.oid = c.confrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
         WHERE c.contype = 'f' AND n.nspname = 'public'",
    ),
    (
        "tables",
        "SELECT table_name::text AS fact FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    ),
];

#[tokio::test]
async fn both_backends_hold_the_same_schema() {
    let sqlite = TestDb::sqlite().await;
    let Some(postgres) = TestDb::postgres().await else {
        sqlite.cleanup().await;
        return;
    };
    let mut differences = Vec::new();
    for ((what, lite), (_, pg)) in SQLITE.iter().zip(POSTGRES.iter()) {
        let (a, b) = (
            facts(&sqlite.owner, lite).await,
            facts(&postgres.owner, pg).await,
        );
        assert!(a.len() > 5, "{what}: the SQLite query found only {a:?}");
        for only in a.difference(&b) {
            differences.push(format!("{what}, only on SQLite: {only}"));
        }
        for only in b.difference(&a) {
            differences.push(format!("{what}, only on PostgreSQL: {only}"));
        }
    }
    assert!(
        differences.is_empty(),
        "the backends' schemas differ:\n{}",
        differences.join("\n")
    );
    sqlite.cleanup().await;
    postgres.cleanup().await;
}
