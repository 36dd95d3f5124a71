//! CSV export as Swedish spreadsheet users expect it: semicolon-separated
//! (a comma is the decimal sign), decimal comma, UTF-8 with a byte-order
//! mark (without it Excel reads UTF-8 as Windows-1252 and "Användarkonto"
//! becomes "AnvÃ¤ndarkonto"), CRLF line ends and RFC 4180 quoting of fields
//! holding `;`, `"`, CR or LF — written by the `csv` crate.
//!
//! A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is what a spreadsheet would run as a formula (a service named
//! `=HYPERLINK(…)` in a catalogue is text a user typed, not a formula):
//! such a cell is written with a leading apostrophe, which spreadsheets
//! show as text. A number (`-1250,50`) is left as it is.
//!
//! Amounts are written in the plain form (`1545161,75`): exact, with no
//! thousands separator, so a spreadsheet reads them as numbers. Quantities
//! are exact when they are decimals; a share (e.g. 137405/221190) is written
//! as a decimal rounded to 10 places, and a rounding adjustment in öre to 4
//! places — display only, the amount column is the exact one. A fraction
//! like "1/3" is never written: spreadsheets turn it into a date.

use std::borrow::Cow;

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

/// A cell as it is written: text a spreadsheet would run as a formula
/// gets a leading apostrophe; numbers and other text are unchanged.
pub fn cell(s: &str) -> Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_number(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// A plain number as the exports write it: an optional sign, digits and
/// an optional decimal comma with digits.
fn is_number(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (whole, fraction) = unsigned.split_once(',').unwrap_or((unsigned, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A spreadsheet being written: the byte-order mark, the header, then the
/// rows.
struct Sheet(::csv::Writer<Vec<u8>>);

impl Sheet {
    fn new(header: &str) -> Self {
        let w = ::csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(::csv::Terminator::CRLF)
            .quote_style(::csv::QuoteStyle::Necessary)
            .from_writer(BOM.as_bytes().to_vec());
        let mut sheet = Self(w);
        let columns: Vec<String> = header.split(';').map(str::to_owned).collect();
        sheet.row(&columns);
        sheet
    }

    fn row(&mut self, fields: &[String]) {
        // Into memory, a write fails only if the record is malformed,
        // which a list of strings never is.
        let written = self
            .0
            .write_record(fields.iter().map(|f| cell(f).into_owned()));
        debug_assert!(written.is_ok(), "{written:?}");
    }

    fn finish(self) -> String {
        let bytes = self
            .0
            .into_inner()
            .unwrap_or_else(|e| e.into_inner().get_ref().clone());
        // Every cell was a `String`, so the bytes are UTF-8.
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
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
    let mut out = Sheet::new(BILL_HEADER);
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
        out.row(&[
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
        ]);
    }
    let mut total = vec![String::new(); 16];
    total[0].clone_from(&bill.member);
    total[1] = bill.period.to_string();
    total[2] = "Summa".into();
    total[10] = bill.total.to_plain();
    out.row(&total);
    out.finish()
}

/// The second-level split of a bill's allocated lines over units.
pub fn unit_split_csv(bill: &Bill) -> String {
    let mut out = Sheet::new(UNIT_SPLIT_HEADER);
    for l in &bill.lines {
        for p in &l.unit_split {
            out.row(&[
                bill.member.clone(),
                bill.period.to_string(),
                l.name.clone(),
                p.unit.clone(),
                p.weight.to_string(),
                p.amount.to_plain(),
                p.adjustment.to_decimal_sv(4),
            ]);
        }
    }
    out.finish()
}

/// An explanation: one row per service (and unit), then a total row.
pub fn explanation_csv(e: &Explanation) -> String {
    let mut out = Sheet::new(EXPLANATION_HEADER);
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
        out.row(&fields(&r.name, kind_sv(r.kind), &opt(&r.unit), r));
    }
    out.row(&fields("Summa", "", "", &e.totals));
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: &[&[&str]]) -> String {
        let mut out = Sheet::new("Kommun;Tjänst;Belopp");
        for r in rows {
            out.row(&r.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>());
        }
        out.finish()
    }

    #[test]
    fn quotes_only_what_needs_quoting() {
        let s = sheet(&[
            &["Användarkonto", "Drift; nät", "1250,50"],
            &["Skolans \"lärplattor\"", "rad 1\nrad 2", "a,b"],
        ]);
        assert_eq!(
            s,
            "\u{feff}Kommun;Tjänst;Belopp\r\n\
             Användarkonto;\"Drift; nät\";1250,50\r\n\
             \"Skolans \"\"lärplattor\"\"\";\"rad 1\nrad 2\";a,b\r\n"
        );
    }

    #[test]
    fn formulas_are_written_as_text_and_numbers_as_numbers() {
        for risky in [
            "=1+2",
            "+46 70 123",
            "-x",
            "@SUM(A1)",
            "\tTab",
            "\rCR",
            "=HYPERLINK(\"http://x\")",
        ] {
            assert_eq!(cell(risky), format!("'{risky}"), "{risky:?}");
        }
        for risky in ["-", "-,5", "--1", "+1,2,3"] {
            assert_eq!(cell(risky), format!("'{risky}"), "{risky:?}");
        }
        for kept in [
            "-1250,50",
            "+3",
            "0",
            "1250",
            "Användarkonto",
            "",
            "a=b",
            "1,",
        ] {
            assert_eq!(cell(kept), kept, "{kept:?}");
        }
        let s = sheet(&[&["=cmd|' /C calc'!A0", "Support", "-100,00"]]);
        assert!(
            s.ends_with("'=cmd|' /C calc'!A0;Support;-100,00\r\n"),
            "{s:?}"
        );
    }
}
