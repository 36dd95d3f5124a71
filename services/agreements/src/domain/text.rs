//! Agreement texts: Markdown divided into numbered sections
//! (`## 3. Kostnader`), and the readable diff between two versions — by
//! section (added, removed, moved, edited) and within a section by line.

/// One numbered section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub number: String,
    pub title: String,
    pub body: String,
}

/// A version's text: what precedes the first section, then the sections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    pub preamble: String,
    pub sections: Vec<Section>,
}

/// Trims blank lines at both ends and trailing spaces on every line.
fn tidy(lines: &[&str]) -> String {
    let lines: Vec<&str> = lines.iter().map(|l| l.trim_end()).collect();
    let start = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |e| e + 1);
    lines[start..end].join("\n")
}

/// Splits "3. Kostnader", "3 Kostnader" or "3.2 Underavsnitt" into number
/// and title; a heading without a number keeps its whole text as title.
fn split_heading(h: &str) -> (String, String) {
    let h = h.trim();
    let end = h
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(h.len());
    let number = h[..end].trim_end_matches('.');
    if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) {
        return (String::new(), h.to_owned());
    }
    (number.to_owned(), h[end..].trim().to_owned())
}

/// Parses Markdown into sections at its level-two headings.
pub fn parse(markdown: &str) -> Document {
    let text = markdown.replace("\r\n", "\n");
    let mut doc = Document::default();
    let mut current: Option<(String, String)> = None;
    let mut buf: Vec<&str> = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            let body = tidy(&buf);
            match current.take() {
                Some((number, title)) => doc.sections.push(Section {
                    number,
                    title,
                    body,
                }),
                None => doc.preamble = body,
            }
            current = Some(split_heading(h));
            buf.clear();
        } else {
            buf.push(line);
        }
    }
    let body = tidy(&buf);
    match current {
        Some((number, title)) => doc.sections.push(Section {
            number,
            title,
            body,
        }),
        None => doc.preamble = body,
    }
    doc
}

/// Canonical Markdown: the preamble, then `## {number}. {title}` and the
/// body of each section, separated by blank lines.
pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    if !doc.preamble.is_empty() {
        out.push_str(&doc.preamble);
        out.push_str("\n\n");
    }
    for s in &doc.sections {
        if s.number.is_empty() {
            out.push_str(&format!("## {}\n\n", s.title));
        } else {
            out.push_str(&format!("## {}. {}\n\n", s.number, s.title));
        }
        if !s.body.is_empty() {
            out.push_str(&s.body);
            out.push_str("\n\n");
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// Numbers the sections 1..n in order.
pub fn renumber(doc: &mut Document) {
    for (i, s) in doc.sections.iter_mut().enumerate() {
        s.number = (i + 1).to_string();
    }
}

/// The section with this number.
pub fn find<'a>(doc: &'a Document, number: &str) -> Option<&'a Section> {
    doc.sections.iter().find(|s| s.number == number)
}

/// One line of a line diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineChange {
    Same(String),
    Added(String),
    Removed(String),
}

/// Longest common subsequence table of two sequences.
fn lcs_table<T: PartialEq>(a: &[T], b: &[T]) -> Vec<Vec<usize>> {
    let mut t = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    t
}

/// Line diff by longest common subsequence.
pub fn diff_lines(old: &str, new: &str) -> Vec<LineChange> {
    let a: Vec<&str> = if old.is_empty() {
        Vec::new()
    } else {
        old.lines().collect()
    };
    let b: Vec<&str> = if new.is_empty() {
        Vec::new()
    } else {
        new.lines().collect()
    };
    let t = lcs_table(&a, &b);
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(LineChange::Same(a[i].to_owned()));
            i += 1;
            j += 1;
        } else if t[i + 1][j] >= t[i][j + 1] {
            out.push(LineChange::Removed(a[i].to_owned()));
            i += 1;
        } else {
            out.push(LineChange::Added(b[j].to_owned()));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| LineChange::Removed((*l).to_owned())));
    out.extend(b[j..].iter().map(|l| LineChange::Added((*l).to_owned())));
    out
}

/// What happened to one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionChange {
    Unchanged {
        number: String,
        title: String,
    },
    Added {
        section: Section,
    },
    Removed {
        section: Section,
    },
    Moved {
        from_number: String,
        to_number: String,
        title: String,
        lines: Vec<LineChange>,
    },
    Edited {
        number: String,
        title: String,
        lines: Vec<LineChange>,
    },
}

fn key(title: &str) -> String {
    title.trim().to_lowercase()
}

/// Section-level diff. Sections are matched by title (case-insensitive);
/// among matched sections, those outside the longest common subsequence of
/// their order have moved. The result follows the new document's order,
/// with removed sections where they stood.
pub fn diff(old: &Document, new: &Document) -> Vec<SectionChange> {
    // Index of the matching old section for each new section.
    let mut used = vec![false; old.sections.len()];
    let matched: Vec<Option<usize>> = new
        .sections
        .iter()
        .map(|n| {
            let i = old
                .sections
                .iter()
                .enumerate()
                .position(|(i, o)| !used[i] && key(&o.title) == key(&n.title))?;
            used[i] = true;
            Some(i)
        })
        .collect();
    // Old indices in new order; those in their LCS with the old order stay put.
    let order: Vec<usize> = matched.iter().flatten().copied().collect();
    let sorted: Vec<usize> = {
        let mut s = order.clone();
        s.sort_unstable();
        s
    };
    let t = lcs_table(&order, &sorted);
    let mut in_place = vec![false; old.sections.len()];
    let (mut i, mut j) = (0, 0);
    while i < order.len() && j < sorted.len() {
        if order[i] == sorted[j] {
            in_place[order[i]] = true;
            i += 1;
            j += 1;
        } else if t[i + 1][j] >= t[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }

    let mut out = Vec::new();
    let mut emitted_removed = vec![false; old.sections.len()];
    let mut emit_removed_before = |limit: usize, out: &mut Vec<SectionChange>| {
        for (k, o) in old.sections.iter().enumerate().take(limit) {
            if !used[k] && !emitted_removed[k] {
                emitted_removed[k] = true;
                out.push(SectionChange::Removed { section: o.clone() });
            }
        }
    };
    for (n, m) in new.sections.iter().zip(&matched) {
        match m {
            None => out.push(SectionChange::Added { section: n.clone() }),
            Some(oi) => {
                let o = &old.sections[*oi];
                if in_place[*oi] {
                    emit_removed_before(*oi, &mut out);
                }
                let lines = if o.body == n.body {
                    Vec::new()
                } else {
                    diff_lines(&o.body, &n.body)
                };
                out.push(if !in_place[*oi] {
                    SectionChange::Moved {
                        from_number: o.number.clone(),
                        to_number: n.number.clone(),
                        title: n.title.clone(),
                        lines,
                    }
                } else if !lines.is_empty() || o.number != n.number {
                    SectionChange::Edited {
                        number: n.number.clone(),
                        title: n.title.clone(),
                        lines,
                    }
                } else {
                    SectionChange::Unchanged {
                        number: n.number.clone(),
                        title: n.title.clone(),
                    }
                });
            }
        }
    }
    emit_removed_before(old.sections.len(), &mut out);
    out
}

fn diff_block(lines: &[LineChange]) -> String {
    let mut s = String::from("```diff\n");
    for l in lines {
        match l {
            LineChange::Same(t) => s.push_str(&format!("  {t}\n")),
            LineChange::Added(t) => s.push_str(&format!("+ {t}\n")),
            LineChange::Removed(t) => s.push_str(&format!("- {t}\n")),
        }
    }
    s.push_str("```\n\n");
    s
}

/// A readable Swedish account of the changes, as Markdown.
pub fn render_diff(old: &Document, new: &Document) -> String {
    let mut s = String::from("# Förändringar från föregående version\n\n");
    if old.preamble != new.preamble {
        s.push_str("## Inledning – ändrad\n\n");
        s.push_str(&diff_block(&diff_lines(&old.preamble, &new.preamble)));
    }
    let mut unchanged = Vec::new();
    for c in diff(old, new) {
        match c {
            SectionChange::Unchanged { number, .. } => unchanged.push(format!("§{number}")),
            SectionChange::Added { section } => {
                s.push_str(&format!(
                    "## §{} {} – ny\n\n",
                    section.number, section.title
                ));
                let lines: Vec<LineChange> = section
                    .body
                    .lines()
                    .map(|l| LineChange::Added(l.to_owned()))
                    .collect();
                s.push_str(&diff_block(&lines));
            }
            SectionChange::Removed { section } => {
                s.push_str(&format!(
                    "## §{} {} – borttagen\n\n",
                    section.number, section.title
                ));
            }
            SectionChange::Moved {
                from_number,
                to_number,
                title,
                lines,
            } => {
                s.push_str(&format!(
                    "## §{to_number} {title} – flyttad från §{from_number}\n\n"
                ));
                if !lines.is_empty() {
                    s.push_str(&diff_block(&lines));
                }
            }
            SectionChange::Edited {
                number,
                title,
                lines,
            } => {
                s.push_str(&format!("## §{number} {title} – ändrad\n\n"));
                if !lines.is_empty() {
                    s.push_str(&diff_block(&lines));
                }
            }
        }
    }
    if !unchanged.is_empty() {
        s.push_str(&format!("Oförändrade: {}\n", unchanged.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "Avtal om gemensam IT.\r\n\r\n## 1. Parter\r\n\r\nTranemo och Ulricehamn.  \r\n\r\n## 2. Syfte\r\n\r\nGemensam IT-verksamhet.\r\n\r\n## 3. Kostnader\r\n\r\nEnligt prislistan.\r\nFaktureras kvartalsvis.\r\n\r\n## 4. Uppsägning\r\n\r\nTolv månader.\r\n";

    #[test]
    fn parses_numbers_titles_and_crlf() {
        let d = parse(V1);
        assert_eq!(d.preamble, "Avtal om gemensam IT.");
        let heads: Vec<_> = d
            .sections
            .iter()
            .map(|s| (s.number.as_str(), s.title.as_str()))
            .collect();
        assert_eq!(
            heads,
            [
                ("1", "Parter"),
                ("2", "Syfte"),
                ("3", "Kostnader"),
                ("4", "Uppsägning")
            ]
        );
        assert_eq!(d.sections[0].body, "Tranemo och Ulricehamn.");
        assert_eq!(split_heading("3 Titel"), ("3".into(), "Titel".into()));
        assert_eq!(
            split_heading("3.2 Underavsnitt"),
            ("3.2".into(), "Underavsnitt".into())
        );
        assert_eq!(split_heading("Bilaga"), (String::new(), "Bilaga".into()));
        assert_eq!(parse(&render(&d)), d, "render/parse round trip");
    }

    #[test]
    fn renders_canonically() {
        let d = parse(V1);
        assert_eq!(
            render(&d),
            "Avtal om gemensam IT.\n\n## 1. Parter\n\nTranemo och Ulricehamn.\n\n## 2. Syfte\n\nGemensam IT-verksamhet.\n\n## 3. Kostnader\n\nEnligt prislistan.\nFaktureras kvartalsvis.\n\n## 4. Uppsägning\n\nTolv månader.\n"
        );
        let mut d = d;
        d.sections.remove(1);
        renumber(&mut d);
        assert_eq!(
            d.sections
                .iter()
                .map(|s| s.number.as_str())
                .collect::<Vec<_>>(),
            ["1", "2", "3"]
        );
        assert_eq!(find(&d, "2").map(|s| s.title.as_str()), Some("Kostnader"));
    }

    #[test]
    fn line_diffs() {
        assert_eq!(diff_lines("", "a"), [LineChange::Added("a".into())]);
        assert_eq!(diff_lines("a", ""), [LineChange::Removed("a".into())]);
        assert_eq!(
            diff_lines("a\nb", "a\nb"),
            [LineChange::Same("a".into()), LineChange::Same("b".into())]
        );
        assert_eq!(
            diff_lines(
                "Enligt prislistan.\nFaktureras kvartalsvis.",
                "Enligt prislistan och nyckeln.\nFaktureras kvartalsvis.\nAvräkning sker årsvis."
            ),
            [
                LineChange::Removed("Enligt prislistan.".into()),
                LineChange::Added("Enligt prislistan och nyckeln.".into()),
                LineChange::Same("Faktureras kvartalsvis.".into()),
                LineChange::Added("Avräkning sker årsvis.".into()),
            ]
        );
    }

    #[test]
    fn section_diff_golden() {
        let old = parse(V1);
        // Syfte removed, Uppsägning moved before Kostnader, Kostnader edited,
        // a new section on members added, the preamble changed.
        let new = parse(
            "Avtal om gemensam IT och digitalisering.\n\n## 1. Parter\n\nTranemo och Ulricehamn.\n\n## 2. Medlemmar\n\nNya medlemmar ansluter efter beslut.\n\n## 3. Uppsägning\n\nTolv månader.\n\n## 4. Kostnader\n\nEnligt prislistan och nyckeln.\nFaktureras kvartalsvis.\nAvräkning sker årsvis.\n",
        );
        let changes = diff(&old, &new);
        let kinds: Vec<String> = changes
            .iter()
            .map(|c| match c {
                SectionChange::Unchanged { number, .. } => format!("unchanged {number}"),
                SectionChange::Added { section } => format!("added {}", section.number),
                SectionChange::Removed { section } => format!("removed {}", section.number),
                SectionChange::Moved {
                    from_number,
                    to_number,
                    ..
                } => format!("moved {from_number}->{to_number}"),
                SectionChange::Edited { number, .. } => format!("edited {number}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "unchanged 1",
                "added 2",
                "moved 4->3",
                "removed 2",
                "edited 4"
            ]
        );
        assert_eq!(
            render_diff(&old, &new),
            "# Förändringar från föregående version\n\n\
## Inledning – ändrad\n\n```diff\n- Avtal om gemensam IT.\n+ Avtal om gemensam IT och digitalisering.\n```\n\n\
## §2 Medlemmar – ny\n\n```diff\n+ Nya medlemmar ansluter efter beslut.\n```\n\n\
## §3 Uppsägning – flyttad från §4\n\n\
## §2 Syfte – borttagen\n\n\
## §4 Kostnader – ändrad\n\n```diff\n- Enligt prislistan.\n+ Enligt prislistan och nyckeln.\n  Faktureras kvartalsvis.\n+ Avräkning sker årsvis.\n```\n\n\
Oförändrade: §1\n"
        );
    }

    #[test]
    fn moved_and_edited() {
        let old = parse("## 1. A\n\nett\n\n## 2. B\n\ntvå\n");
        let new = parse("## 1. B\n\ntvå och mer\n\n## 2. A\n\nett\n");
        let changes = diff(&old, &new);
        assert!(
            matches!(&changes[0], SectionChange::Moved { from_number, to_number, lines, .. } if from_number == "2" && to_number == "1" && !lines.is_empty())
        );
        assert!(
            matches!(&changes[1], SectionChange::Edited { number, lines, .. } if number == "2" && lines.is_empty())
        );
    }
}
