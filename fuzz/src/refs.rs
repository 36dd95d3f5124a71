//! Placeholders for the ids and etags of seeded rows.
//!
//! After seeding, and again after every call that creates something, every
//! table with an `id` column is read (first rows, in insertion order): `@<table>` stands for the first row's id,
//! `@<table>.<n>` for the n-th (from 0), and `#<table>` / `#<table>.<n>`
//! for that row's etag as it is when the input runs. Rows with a natural
//! key are also named by it: `@forums:styrgruppen`, `@roles:it-chef`,
//! `@people:eva.dahlgren@ulricehamn.se`, `@cm_services:konto`.

use std::collections::HashMap;

use samverkan_db::Database;

use crate::Harness;

/// Rows per table that get a numbered placeholder.
const ROWS_PER_TABLE: usize = 8;
/// Rows per table that are read for natural keys.
const ROWS_READ: usize = 64;
/// Columns that name a row.
const NATURAL_KEYS: &[&str] = &["code", "email"];

struct Row {
    table: String,
    id: String,
    /// The id as an SQL literal.
    literal: String,
    has_etag: bool,
}

/// The placeholders of one process.
#[derive(Default)]
pub struct Refs {
    rows: Vec<Row>,
    /// `@t`, `@t.n` → index into `rows`.
    by_name: HashMap<String, usize>,
}

fn text(r: &sea_orm::QueryResult, col: &str) -> Option<String> {
    r.try_get::<String>("", col).ok()
}

impl Refs {
    /// Reads the seeded rows of every table.
    pub async fn scan(db: &Database) -> Self {
        let mut refs = Self::default();
        let tables = db
            .query_admin(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .await
            .expect("list tables");
        for t in tables {
            let Some(table) = text(&t, "name") else {
                continue;
            };
            let cols = db
                .query_admin(&format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    table.replace('\'', "''")
                ))
                .await
                .expect("table columns");
            let cols: Vec<String> = cols.iter().filter_map(|c| text(c, "name")).collect();
            if !cols.iter().any(|c| c == "id") {
                continue;
            }
            let has_etag = cols.iter().any(|c| c == "etag");
            let natural = NATURAL_KEYS
                .iter()
                .find(|k| cols.iter().any(|c| c == *k))
                .map_or_else(|| "NULL".to_owned(), |k| format!("CAST({k} AS TEXT)"));
            let rows = db
                .query_admin(&format!(
                    "SELECT typeof(id) AS kind, \
                     CASE typeof(id) WHEN 'blob' THEN lower(hex(id)) ELSE CAST(id AS TEXT) END AS id, \
                     {natural} AS nkey \
                     FROM \"{table}\" ORDER BY rowid LIMIT {ROWS_READ}"
                ))
                .await
                .expect("table ids");
            for (n, r) in rows.iter().enumerate() {
                let (Some(kind), Some(raw)) = (text(r, "kind"), text(r, "id")) else {
                    continue;
                };
                let (id, literal) = if kind == "blob" && raw.len() == 32 {
                    let id = format!(
                        "{}-{}-{}-{}-{}",
                        &raw[..8],
                        &raw[8..12],
                        &raw[12..16],
                        &raw[16..20],
                        &raw[20..]
                    );
                    (id, format!("x'{raw}'"))
                } else {
                    // A text id is its own natural key (`@municipalities:tranemo`).
                    refs.by_name
                        .entry(format!("{table}:{raw}"))
                        .or_insert(refs.rows.len());
                    let literal = format!("'{}'", raw.replace('\'', "''"));
                    (raw, literal)
                };
                let i = refs.rows.len();
                refs.rows.push(Row {
                    table: table.clone(),
                    id,
                    literal,
                    has_etag,
                });
                if n == 0 {
                    refs.by_name.insert(table.clone(), i);
                }
                if n < ROWS_PER_TABLE {
                    refs.by_name.insert(format!("{table}.{n}"), i);
                }
                if let Some(key) = text(r, "nkey") {
                    refs.by_name.entry(format!("{table}:{key}")).or_insert(i);
                }
            }
        }
        refs
    }

    /// The placeholders and what they stand for now, for the docs and for
    /// checking seeds.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.by_name.keys().map(|k| format!("@{k}")).collect();
        v.sort();
        v
    }

    /// The id `@name` stands for.
    pub fn id(&self, name: &str) -> Option<&str> {
        self.by_name.get(name).map(|&i| self.rows[i].id.as_str())
    }

    async fn etag(&self, db: &Database, name: &str) -> Option<String> {
        let row = &self.rows[*self.by_name.get(name)?];
        if !row.has_etag {
            return None;
        }
        let found = db
            .query_admin(&format!(
                "SELECT etag FROM \"{}\" WHERE id = {}",
                row.table, row.literal
            ))
            .await
            .ok()?;
        found.first().and_then(|r| text(r, "etag"))
    }

    /// The encoded message `body` with its placeholders replaced, or `None`
    /// if it has none.
    pub fn substitute(&self, h: &Harness, body: &[u8]) -> Option<Vec<u8>> {
        if !body.iter().any(|&b| b == b'@' || b == b'#') {
            return None;
        }
        crate::wire::rewrite(body, &|value| {
            let (&sigil, name) = value.split_first()?;
            if !(sigil == b'@' || sigil == b'#') || name.len() > 64 {
                return None;
            }
            let name = std::str::from_utf8(name).ok()?;
            if sigil == b'@' {
                self.id(name).map(|id| id.as_bytes().to_vec())
            } else {
                h.block_on(self.etag(&h.db, name)).map(String::into_bytes)
            }
        })
    }
}
