//! Exports officials read and file: the notice with agenda (kallelse med
//! dagordning) and the minutes (protokoll) as Markdown and HTML with
//! Swedish headings and dates, and a meeting as an iCalendar event.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Europe::Stockholm;
use samverkan_core::dates::MONTHS_SV;

/// An agenda item as exported.
#[derive(Debug, Clone)]
pub struct Item {
    pub number: i32,
    /// Swedish kind: "Beslut", "Rapport", "Information".
    pub kind: &'static str,
    pub title: String,
    pub presenter: String,
    pub estimated_minutes: i32,
}

/// A meeting as exported.
#[derive(Debug, Clone)]
pub struct Meeting {
    pub id: String,
    pub forum: String,
    pub title: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub location: String,
    pub created: DateTime<Utc>,
    pub items: Vec<Item>,
}

/// A paragraph as exported.
#[derive(Debug, Clone)]
pub struct Paragraph {
    /// "§ 4/2026".
    pub reference: String,
    pub title: String,
    pub presented: String,
    pub decision: String,
    /// "Beslut", "Noterades", "Överlämnas till …".
    pub outcome: String,
    /// For a correction: the corrected paragraph, in an earlier meeting's
    /// minutes.
    pub corrects: Option<Link>,
    /// The corrections of this paragraph, each in a later meeting's
    /// minutes.
    pub corrected_by: Vec<Link>,
}

/// A paragraph of another meeting's minutes, as the minutes cite it.
#[derive(Debug, Clone)]
pub struct Link {
    /// "§ 1/2027".
    pub reference: String,
    pub meeting_title: String,
    pub meeting_start: DateTime<Utc>,
}

impl Link {
    /// "§ 3/2026 i protokollet från sammanträdet den 17 december 2026
    /// (Sammanträde 4/2026)".
    fn cite(&self) -> String {
        format!(
            "{} i protokollet från sammanträdet den {} ({})",
            self.reference,
            swedish_day(self.meeting_start),
            self.meeting_title
        )
    }
}

/// The lines a paragraph's links add to the minutes: what it corrects,
/// and by which later §§ it is corrected.
fn link_lines(p: &Paragraph) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = &p.corrects {
        out.push(format!("Rättelse av {}.", c.cite()));
    }
    for c in &p.corrected_by {
        out.push(format!("Rättad genom {}.", c.cite()));
    }
    out
}

/// Minutes as exported.
#[derive(Debug, Clone)]
pub struct Minutes {
    pub meeting: Meeting,
    /// (name, "närvarande" / "frånvarande" / "tjänstgörande ersättare").
    pub attendance: Vec<(String, String)>,
    pub paragraphs: Vec<Paragraph>,
    pub adjusters: Vec<String>,
    pub lock_time: Option<DateTime<Utc>>,
}

const WEEKDAYS: [&str; 7] = [
    "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag",
];

/// "torsdag 12 mars 2026" in Stockholm.
pub fn swedish_date(t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&Stockholm);
    format!(
        "{} {} {} {}",
        WEEKDAYS[l.weekday().num_days_from_monday() as usize],
        l.day(),
        MONTHS_SV[l.month0() as usize],
        l.year()
    )
}

/// "12 mars 2026" in Stockholm.
pub fn swedish_day(t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&Stockholm);
    format!(
        "{} {} {}",
        l.day(),
        MONTHS_SV[l.month0() as usize],
        l.year()
    )
}

/// "13.00" in Stockholm (Swedish style).
pub fn swedish_time(t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&Stockholm);
    format!("{:02}.{:02}", l.hour(), l.minute())
}

/// "torsdag 12 mars 2026 kl. 13.00–15.00".
pub fn when(m: &Meeting) -> String {
    format!(
        "{} kl. {}–{}",
        swedish_date(m.start),
        swedish_time(m.start),
        swedish_time(m.end)
    )
}

fn or_dash(s: &str) -> &str {
    if s.trim().is_empty() { "–" } else { s }
}

/// The notice with agenda in Markdown.
pub fn agenda_markdown(m: &Meeting) -> String {
    let mut s = format!("# Kallelse – {}\n\n", m.forum);
    s.push_str(&format!("**{}**\n\n", m.title));
    s.push_str(&format!(
        "- **Tid:** {}\n- **Plats:** {}\n\n",
        when(m),
        or_dash(&m.location)
    ));
    s.push_str("## Dagordning\n\n");
    s.push_str("| Nr | Ärende | Typ | Föredragande | Tid (min) |\n|---:|---|---|---|---:|\n");
    for i in &m.items {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            i.number,
            md_cell(&i.title),
            i.kind,
            md_cell(or_dash(&i.presenter)),
            i.estimated_minutes
        ));
    }
    s.push_str(&format!(
        "\nKallelsen upprättad {}.\n",
        swedish_date(m.created)
    ));
    s
}

/// The minutes in Markdown.
pub fn minutes_markdown(p: &Minutes) -> String {
    let m = &p.meeting;
    let mut s = format!("# Protokoll – {}\n\n", m.forum);
    s.push_str(&format!("**{}**\n\n", m.title));
    s.push_str(&format!(
        "- **Tid:** {}\n- **Plats:** {}\n\n",
        when(m),
        or_dash(&m.location)
    ));
    s.push_str("## Närvaro\n\n");
    for (name, status) in &p.attendance {
        s.push_str(&format!("- {name} ({status})\n"));
    }
    s.push('\n');
    for par in &p.paragraphs {
        s.push_str(&format!("## {} {}\n\n", par.reference, par.title));
        for line in link_lines(par) {
            s.push_str(&format!("*{line}*\n\n"));
        }
        if !par.presented.trim().is_empty() {
            s.push_str(&format!("**Föredragning:** {}\n\n", par.presented));
        }
        s.push_str(&format!("**{}:** {}\n\n", par.outcome, par.decision));
    }
    s.push_str("## Justering\n\n");
    s.push_str(&format!(
        "Justerare: {}\n\n",
        if p.adjusters.is_empty() {
            "–".into()
        } else {
            p.adjusters.join(", ")
        }
    ));
    match p.lock_time {
        Some(t) => s.push_str(&format!("Protokollet justerat {}.\n", swedish_date(t))),
        None => s.push_str("Protokollet är ännu inte justerat.\n"),
    }
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n{}</body>\n</html>\n",
        html_escape(title),
        body
    )
}

/// The notice with agenda in HTML.
pub fn agenda_html(m: &Meeting) -> String {
    let e = html_escape;
    let mut b = format!(
        "<h1>Kallelse – {}</h1>\n<p><strong>{}</strong></p>\n",
        e(&m.forum),
        e(&m.title)
    );
    b.push_str(&format!(
        "<dl>\n<dt>Tid</dt><dd>{}</dd>\n<dt>Plats</dt><dd>{}</dd>\n</dl>\n",
        e(&when(m)),
        e(or_dash(&m.location))
    ));
    b.push_str("<h2>Dagordning</h2>\n<table>\n<thead><tr><th>Nr</th><th>Ärende</th><th>Typ</th><th>Föredragande</th><th>Tid (min)</th></tr></thead>\n<tbody>\n");
    for i in &m.items {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            i.number,
            e(&i.title),
            i.kind,
            e(or_dash(&i.presenter)),
            i.estimated_minutes
        ));
    }
    b.push_str(&format!(
        "</tbody>\n</table>\n<p>Kallelsen upprättad {}.</p>\n",
        e(&swedish_date(m.created))
    ));
    html_page(&format!("Kallelse – {}", m.forum), &b)
}

/// The minutes in HTML.
pub fn minutes_html(p: &Minutes) -> String {
    let e = html_escape;
    let m = &p.meeting;
    let mut b = format!(
        "<h1>Protokoll – {}</h1>\n<p><strong>{}</strong></p>\n",
        e(&m.forum),
        e(&m.title)
    );
    b.push_str(&format!(
        "<dl>\n<dt>Tid</dt><dd>{}</dd>\n<dt>Plats</dt><dd>{}</dd>\n</dl>\n<h2>Närvaro</h2>\n<ul>\n",
        e(&when(m)),
        e(or_dash(&m.location))
    ));
    for (name, status) in &p.attendance {
        b.push_str(&format!("<li>{} ({})</li>\n", e(name), e(status)));
    }
    b.push_str("</ul>\n");
    for par in &p.paragraphs {
        b.push_str(&format!(
            "<h2>{} {}</h2>\n",
            e(&par.reference),
            e(&par.title)
        ));
        for line in link_lines(par) {
            b.push_str(&format!("<p><em>{}</em></p>\n", e(&line)));
        }
        if !par.presented.trim().is_empty() {
            b.push_str(&format!(
                "<p><strong>Föredragning:</strong> {}</p>\n",
                e(&par.presented)
            ));
        }
        b.push_str(&format!(
            "<p><strong>{}:</strong> {}</p>\n",
            e(&par.outcome),
            e(&par.decision)
        ));
    }
    b.push_str(&format!(
        "<h2>Justering</h2>\n<p>Justerare: {}</p>\n<p>{}</p>\n",
        e(&if p.adjusters.is_empty() {
            "–".into()
        } else {
            p.adjusters.join(", ")
        }),
        match p.lock_time {
            Some(t) => format!("Protokollet justerat {}.", e(&swedish_date(t))),
            None => "Protokollet är ännu inte justerat.".into(),
        }
    ));
    html_page(&format!("Protokoll – {}", m.forum), &b)
}

fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a
/// UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in line.chars() {
        let w = c.len_utf8();
        if len + w > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += w;
    }
    out.push_str("\r\n");
    out
}

fn ics_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The meeting as an iCalendar (RFC 5545) event, times in UTC.
pub fn ics(m: &Meeting) -> String {
    let mut description = format!("Dagordning – {}\n", m.forum);
    for i in &m.items {
        description.push_str(&format!("{}. {} ({})\n", i.number, i.title, i.kind));
    }
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Samverkan//Forums//SV".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:{}@samverkan", m.id),
        format!("DTSTAMP:{}", ics_time(m.created)),
        format!("DTSTART:{}", ics_time(m.start)),
        format!("DTEND:{}", ics_time(m.end)),
        format!("SUMMARY:{}", ics_text(&format!("{}: {}", m.forum, m.title))),
        format!("LOCATION:{}", ics_text(&m.location)),
        format!("DESCRIPTION:{}", ics_text(description.trim_end())),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ];
    lines.iter().map(|l| fold(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn meeting() -> Meeting {
        Meeting {
            id: "01900000-0000-7000-8000-00000000abcd".into(),
            forum: "IT-styrgruppen".into(),
            title: "Sammanträde 2/2026".into(),
            // 12 March 2026, 13.00–15.00 in Stockholm (CET, UTC+1).
            start: t(2026, 3, 12, 12, 0),
            end: t(2026, 3, 12, 14, 0),
            location: "Ulricehamns stadshus, sal Åsunden".into(),
            created: t(2026, 2, 20, 8, 30),
            items: vec![
                Item {
                    number: 1,
                    kind: "Beslut",
                    title: "Gemensam e-tjänsteplattform för äldreomsorgen".into(),
                    presenter: "Eva Dahlgren".into(),
                    estimated_minutes: 20,
                },
                Item {
                    number: 2,
                    kind: "Rapport",
                    title: "Informationssäkerhetsgruppens rapport, tertial 3".into(),
                    presenter: "Nils Ekström".into(),
                    estimated_minutes: 15,
                },
            ],
        }
    }

    #[test]
    fn agenda_markdown_golden() {
        let expected = "# Kallelse – IT-styrgruppen\n\n**Sammanträde 2/2026**\n\n\
- **Tid:** torsdag 12 mars 2026 kl. 13.00–15.00\n- **Plats:** Ulricehamns stadshus, sal Åsunden\n\n\
## Dagordning\n\n| Nr | Ärende | Typ | Föredragande | Tid (min) |\n|---:|---|---|---|---:|\n\
| 1 | Gemensam e-tjänsteplattform för äldreomsorgen | Beslut | Eva Dahlgren | 20 |\n\
| 2 | Informationssäkerhetsgruppens rapport, tertial 3 | Rapport | Nils Ekström | 15 |\n\
\nKallelsen upprättad fredag 20 februari 2026.\n";
        assert_eq!(agenda_markdown(&meeting()), expected);
    }

    #[test]
    fn minutes_html_golden() {
        let minutes = Minutes {
            meeting: meeting(),
            attendance: vec![("Anna Åberg".into(), "närvarande".into()), ("Lars Ängström".into(), "frånvarande".into())],
            paragraphs: vec![Paragraph {
                reference: "§ 7/2026".into(),
                title: "Gemensam e-tjänsteplattform för äldreomsorgen".into(),
                presented: "IT-strategen redogör för förslaget <utkast>.".into(),
                decision: "IT-styrgruppen beslutar att ge IT-avdelningen i uppdrag att upphandla plattformen.".into(),
                outcome: "Beslut".into(),
                corrects: None,
                corrected_by: Vec::new(),
            }],
            adjusters: vec!["Anna Åberg".into(), "Maria Sjöberg".into()],
            lock_time: Some(t(2026, 3, 16, 9, 0)),
        };
        let html = minutes_html(&minutes);
        let expected = "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n<title>Protokoll – IT-styrgruppen</title>\n</head>\n<body>\n\
<h1>Protokoll – IT-styrgruppen</h1>\n<p><strong>Sammanträde 2/2026</strong></p>\n\
<dl>\n<dt>Tid</dt><dd>torsdag 12 mars 2026 kl. 13.00–15.00</dd>\n<dt>Plats</dt><dd>Ulricehamns stadshus, sal Åsunden</dd>\n</dl>\n\
<h2>Närvaro</h2>\n<ul>\n<li>Anna Åberg (närvarande)</li>\n<li>Lars Ängström (frånvarande)</li>\n</ul>\n\
<h2>§ 7/2026 Gemensam e-tjänsteplattform för äldreomsorgen</h2>\n\
<p><strong>Föredragning:</strong> IT-strategen redogör för förslaget &lt;utkast&gt;.</p>\n\
<p><strong>Beslut:</strong> IT-styrgruppen beslutar att ge IT-avdelningen i uppdrag att upphandla plattformen.</p>\n\
<h2>Justering</h2>\n<p>Justerare: Anna Åberg, Maria Sjöberg</p>\n<p>Protokollet justerat måndag 16 mars 2026.</p>\n</body>\n</html>\n";
        assert_eq!(html, expected);
        assert!(
            minutes_markdown(&minutes)
                .contains("## § 7/2026 Gemensam e-tjänsteplattform för äldreomsorgen")
        );
    }

    #[test]
    fn corrections_link_both_minutes() {
        let paragraph = |reference: &str| Paragraph {
            reference: reference.into(),
            title: "Prislista 2027".into(),
            presented: String::new(),
            decision: "Prislistan fastställs.".into(),
            outcome: "Beslut".into(),
            corrects: None,
            corrected_by: Vec::new(),
        };
        let corrected = Minutes {
            meeting: meeting(),
            attendance: Vec::new(),
            paragraphs: vec![Paragraph {
                corrected_by: vec![Link {
                    reference: "§ 1/2027".into(),
                    meeting_title: "Sammanträde 1/2027".into(),
                    meeting_start: t(2027, 1, 21, 12, 0),
                }],
                ..paragraph("§ 7/2026")
            }],
            adjusters: Vec::new(),
            lock_time: None,
        };
        let md = minutes_markdown(&corrected);
        assert!(
            md.contains("## § 7/2026 Prislista 2027\n\n*Rättad genom § 1/2027 i protokollet från sammanträdet den 21 januari 2027 (Sammanträde 1/2027).*\n\n"),
            "{md}"
        );
        let recording = Minutes {
            paragraphs: vec![Paragraph {
                title: "Rättelse av § 7/2026".into(),
                corrects: Some(Link {
                    reference: "§ 7/2026".into(),
                    meeting_title: "Sammanträde 2/2026 <extra>".into(),
                    meeting_start: t(2026, 3, 12, 12, 0),
                }),
                ..paragraph("§ 1/2027")
            }],
            ..corrected
        };
        let html = minutes_html(&recording);
        assert!(
            html.contains("<h2>§ 1/2027 Rättelse av § 7/2026</h2>\n<p><em>Rättelse av § 7/2026 i protokollet från sammanträdet den 12 mars 2026 (Sammanträde 2/2026 &lt;extra&gt;).</em></p>\n"),
            "{html}"
        );
    }

    #[test]
    fn summer_time_is_honoured() {
        // 10 June 2026 07.00 UTC is 09.00 in Stockholm (CEST, UTC+2).
        assert_eq!(swedish_time(t(2026, 6, 10, 7, 0)), "09.00");
        assert_eq!(swedish_date(t(2026, 6, 10, 7, 0)), "onsdag 10 juni 2026");
    }

    #[test]
    fn ics_lines_are_folded_and_escaped() {
        let ics = ics(&meeting());
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART:20260312T120000Z\r\n"));
        assert!(ics.contains("LOCATION:Ulricehamns stadshus\\, sal Åsunden\r\n"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "line longer than 75 octets: {line:?}");
        }
    }
}
