//! CSV export as Swedish spreadsheet users expect it: semicolon-separated
//! (a comma is the decimal sign), decimal comma, UTF-8 with a byte-order
//! mark (without it Excel reads UTF-8 as Windows-1252 and "Användarkonto"
//! becomes "AnvÃ¤ndarkonto"), CRLF line ends and RFC 4180 quoting of fields
//! holding `;`, `"`, CR or LF.
//!
//! Amounts are written in the plain form (`1545161,75`): exact, with no
//! thousands separator, so a spreadsheet reads them as numbers. Quantities
//! are exact when they are decimals; a share (e.g. 137405/221190) is written
//! as a decimal rounded to 10 places, and a rounding adjustment in öre to 4
//! places — display only, the amount column is the exact one. A fraction
//! like "1/3" is never written: spreadsheets turn it into a date.

use std::fmt::Write;

use super::bill::{Bill, LineKind};
use super::explain::Explanation;
use super::{Money, Ratio};

/// The byte-order mark every export starts with.
pub const BOM: &str = "\u{feff}";

/// The bill's header row.
pub const BILL_HEADER: &str = "Kommun;Period;Tjänst;Typ;Enhet;Antal;Uppmätt;À-pris;Andel;Kostnadspool;Belopp;Avrundning (öre);Prislista;Nyckel;Drivvärden;Underlag";

/// The explanation's header row.
pub const EXPLANATION_HEADER: &str = "Kommun;Från;Till;Tjänst;Typ;Enhet;Före;Priseffekt;Volymeffekt;Nyckeleffekt;Avräkning;Efter;Förändring";

/// The unit split's header row.
pub const UNIT_SPLIT_HEADER: &str = "Kommun;Period;Tjänst;Enhet;Vikt;Belopp;Avrundning (öre)";

/// A field, quoted per RFC 4180 when it needs to be.
pub fn field(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn row(out: &mut String, fields: &[String]) {
    let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
    // Writing to a String cannot fail.
    let _ = write!(out, "{}\r\n", line.join(";"));
}

/// The Swedish name of a line kind.
pub fn kind_sv(kind: LineKind) -> &'static str {
    match kind {
        LineKind::PerUnit => "Styckpris",
        LineKind::Allocated => "Fördelad",
        LineKind::Direct => "Direkt",
        LineKind::Correction => "Avräkning",
    }
}

fn quantity(q: Ratio) -> String {
    q.to_decimal_sv(6)
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// A bill: one row per line, then a total row ("Summa").
pub fn bill_csv(bill: &Bill) -> String {
    let mut out = String::from(BOM);
    out.push_str(BILL_HEADER);
    out.push_str("\r\n");
    for l in &bill.lines {
        let shared = matches!(l.kind, LineKind::Allocated | LineKind::Correction);
        let (antal, a_pris, andel, pool) = if shared {
            (
                String::new(),
                String::new(),
                l.quantity.to_decimal_sv(10),
                l.unit_price.to_plain(),
            )
        } else {
            (
                quantity(l.quantity),
                l.unit_price.to_plain(),
                String::new(),
                String::new(),
            )
        };
        row(
            &mut out,
            &[
                bill.member.clone(),
                bill.period.to_string(),
                l.name.clone(),
                kind_sv(l.kind).into(),
                opt(&l.unit),
                antal,
                l.measured.map(quantity).unwrap_or_default(),
                a_pris,
                andel,
                pool,
                l.amount.to_plain(),
                l.rounding_adjustment.to_decimal_sv(4),
                opt(&l.price_list_version),
                opt(&l.key_version),
                l.driver_snapshots.join(","),
                opt(&l.reference),
            ],
        );
    }
    let mut total = vec![String::new(); 16];
    total[0].clone_from(&bill.member);
    total[1] = bill.period.to_string();
    total[2] = "Summa".into();
    total[10] = bill.total.to_plain();
    row(&mut out, &total);
    out
}

/// The second-level split of a bill's allocated lines over units.
pub fn unit_split_csv(bill: &Bill) -> String {
    let mut out = String::from(BOM);
    out.push_str(UNIT_SPLIT_HEADER);
    out.push_str("\r\n");
    for l in &bill.lines {
        for p in &l.unit_split {
            row(
                &mut out,
                &[
                    bill.member.clone(),
                    bill.period.to_string(),
                    l.name.clone(),
                    p.unit.clone(),
                    p.weight.to_string(),
                    p.amount.to_plain(),
                    p.adjustment.to_decimal_sv(4),
                ],
            );
        }
    }
    out
}

/// An explanation: one row per service (and unit), then a total row.
pub fn explanation_csv(e: &Explanation) -> String {
    let mut out = String::from(BOM);
    out.push_str(EXPLANATION_HEADER);
    out.push_str("\r\n");
    let fields = |name: &str, kind: &str, unit: &str, r: &super::explain::EffectRow| {
        let change = r.change().map(Money::to_plain).unwrap_or_default();
        vec![
            e.member.clone(),
            e.from_period.to_string(),
            e.to_period.to_string(),
            name.to_owned(),
            kind.to_owned(),
            unit.to_owned(),
            r.before.to_plain(),
            r.price.to_plain(),
            r.volume.to_plain(),
            r.key.to_plain(),
            r.reconciliation.to_plain(),
            r.after.to_plain(),
            change,
        ]
    };
    for r in &e.rows {
        row(
            &mut out,
            &fields(&r.name, kind_sv(r.kind), &opt(&r.unit), r),
        );
    }
    row(&mut out, &fields("Summa", "", "", &e.totals));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_quoting() {
        assert_eq!(field("Användarkonto"), "Användarkonto");
        assert_eq!(field("Drift; nät"), "\"Drift; nät\"");
        assert_eq!(
            field("Skolans \"lärplattor\""),
            "\"Skolans \"\"lärplattor\"\"\""
        );
        assert_eq!(field("rad 1\nrad 2"), "\"rad 1\nrad 2\"");
        assert_eq!(field("a,b"), "a,b");
    }
}
