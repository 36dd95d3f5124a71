//! What a client command prints: a readable table (or a list of fields) for
//! people, the same data as JSON for scripts (`--json`).
//!
//! Columns are aligned by character count, not bytes, so that "Åsa Öberg"
//! lines up with "Per Håkansson". Cells longer than [`MAX_CELL`] characters
//! are shortened with "…" in tables only; JSON always carries the whole value.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Stockholm;
use serde_json::{Map, Value};

/// The widest a table cell gets before it is shortened.
const MAX_CELL: usize = 60;

/// A column: its JSON key and its heading for people.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub key: &'static str,
    pub heading: &'static str,
}

pub const fn col(key: &'static str, heading: &'static str) -> Col {
    Col { key, heading }
}

/// One part of a command's output.
#[derive(Debug)]
pub enum Block {
    /// A sentence for people; in JSON, the `message` field.
    Line(String),
    /// Named fields of one thing, printed as "Heading: value" lines.
    Fields {
        name: &'static str,
        fields: Vec<(Col, String)>,
    },
    /// Rows of things.
    Table {
        name: &'static str,
        cols: Vec<Col>,
        rows: Vec<Vec<String>>,
    },
    /// Text printed as it is (an export); in JSON, a string field.
    Raw { name: &'static str, text: String },
}

/// The whole output of a command.
#[derive(Debug, Default)]
pub struct Report {
    pub blocks: Vec<Block>,
}

impl Report {
    pub fn line(mut self, s: impl Into<String>) -> Self {
        self.blocks.push(Block::Line(s.into()));
        self
    }

    pub fn fields(mut self, name: &'static str, fields: Vec<(Col, String)>) -> Self {
        self.blocks.push(Block::Fields { name, fields });
        self
    }

    pub fn table(mut self, name: &'static str, cols: Vec<Col>, rows: Vec<Vec<String>>) -> Self {
        self.blocks.push(Block::Table { name, cols, rows });
        self
    }

    pub fn raw(mut self, name: &'static str, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Raw {
            name,
            text: text.into(),
        });
        self
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, b) in self.blocks.iter().enumerate() {
            if i > 0 && !matches!(b, Block::Line(_)) {
                out.push('\n');
            }
            match b {
                Block::Line(s) => {
                    out.push_str(s);
                    out.push('\n');
                }
                Block::Fields { fields, .. } => {
                    let w = fields
                        .iter()
                        .map(|(c, _)| width(c.heading))
                        .max()
                        .unwrap_or(0);
                    for (c, v) in fields {
                        let line = format!("{}: {}{}", c.heading, pad("", w - width(c.heading)), v);
                        let _ = writeln!(out, "{}", line.trim_end());
                    }
                }
                Block::Table { cols, rows, .. } => out.push_str(&render_table(cols, rows)),
                Block::Raw { text, .. } => {
                    out.push_str(text);
                    if !text.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    /// The report for scripts: one object; tables are arrays of objects
    /// keyed by column.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        let mut messages = Vec::new();
        for b in &self.blocks {
            match b {
                Block::Line(s) => messages.push(s.clone()),
                Block::Fields { name, fields } => {
                    let mut m = Map::new();
                    for (c, v) in fields {
                        m.insert(c.key.into(), Value::String(v.clone()));
                    }
                    obj.insert((*name).into(), Value::Object(m));
                }
                Block::Table { name, cols, rows } => {
                    let arr = rows
                        .iter()
                        .map(|r| {
                            let mut m = Map::new();
                            for (c, v) in cols.iter().zip(r) {
                                m.insert(c.key.into(), Value::String(v.clone()));
                            }
                            Value::Object(m)
                        })
                        .collect();
                    obj.insert((*name).into(), Value::Array(arr));
                }
                Block::Raw { name, text } => {
                    obj.insert((*name).into(), Value::String(text.clone()));
                }
            }
        }
        if !messages.is_empty() {
            obj.insert("message".into(), Value::String(messages.join("\n")));
        }
        Value::Object(obj)
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, n: usize) -> String {
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n(' ', n));
    out
}

fn shorten(s: &str) -> String {
    // One line per row: newlines inside a cell become spaces.
    let flat: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    if width(&flat) <= MAX_CELL {
        flat
    } else {
        let mut t: String = flat.chars().take(MAX_CELL - 1).collect();
        t.push('…');
        t
    }
}

fn render_table(cols: &[Col], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "(inga rader / no rows)\n".into();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| shorten(c)).collect())
        .collect();
    let mut widths: Vec<usize> = cols.iter().map(|c| width(c.heading)).collect();
    for r in &cells {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(width(c));
        }
    }
    let line = |vals: Vec<&str>| -> String {
        let n = vals.len();
        let mut s = String::new();
        for (i, (v, w)) in vals.into_iter().zip(&widths).enumerate() {
            if i + 1 == n {
                s.push_str(v);
            } else {
                s.push_str(&pad(v, w - width(v)));
                s.push_str("  ");
            }
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(cols.iter().map(|c| c.heading).collect());
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for r in &cells {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// A timestamp in Swedish local time, e.g. "2026-12-17 13:00".
pub fn local_time(t: Option<&samverkan_proto::Timestamp>) -> String {
    t.and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, 0))
        .map(|t| {
            t.with_timezone(&Stockholm)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A calendar date, e.g. "2026-12-17".
pub fn date(d: Option<&samverkan_proto::common::v1::Date>) -> String {
    d.and_then(|d| NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// Öre as Swedish kronor: "6 238 788,25 kr".
pub fn kronor(ore: i64) -> String {
    let neg = ore < 0;
    let ore = ore.unsigned_abs();
    let (kr, rest) = (ore / 100, ore % 100);
    let digits = kr.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(ch);
    }
    format!("{}{grouped},{rest:02} kr", if neg { "−" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_names_align_by_characters() {
        let r = Report::default().table(
            "people",
            vec![col("name", "Namn"), col("town", "Kommun")],
            vec![
                vec!["Åsa Öberg".into(), "Ulricehamn".into()],
                vec!["Per Håkansson".into(), "Tranemo".into()],
            ],
        );
        let text = r.to_text();
        let starts: Vec<usize> = text
            .lines()
            .filter(|l| !l.starts_with('─'))
            .map(|l| {
                let byte = l.find(['U', 'T', 'K']).unwrap();
                l[..byte].chars().count()
            })
            .collect();
        assert!(starts.windows(2).all(|w| w[0] == w[1]), "{text}");
    }

    #[test]
    fn json_carries_whole_values() {
        let long = "x".repeat(100);
        let r = Report::default().line("klart").table(
            "rows",
            vec![col("v", "V")],
            vec![vec![long.clone()]],
        );
        assert!(r.to_text().contains('…'));
        let j = r.to_json();
        assert_eq!(j["rows"][0]["v"], Value::String(long));
        assert_eq!(j["message"], "klart");
    }

    #[test]
    fn kronor_group_thousands() {
        assert_eq!(kronor(623_878_825), "6 238 788,25 kr");
        assert_eq!(kronor(5), "0,05 kr");
        assert_eq!(kronor(-100_380), "−1 003,80 kr");
    }
}
