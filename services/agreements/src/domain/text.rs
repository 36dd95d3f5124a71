//! Agreement texts (*Samverkansavtal IT*, *Riktlinjer för ramuppdrag IT* …):
//! Markdown divided into numbered sections, and the readable diff between two
//! versions — by section (added, removed, moved, edited) and, within a
//! section, by line.
//!
//! Pure: no I/O, std only.
//!
//! # Format
//!
//! A section starts at a level-two heading `## <number> <title>`, where the
//! number is digits separated by dots (`3`, `3.2`) optionally followed by a
//! dot (`## 3. Kostnader`). A level-two heading without a number is still a
//! section, with number `""`. Everything before the first section heading is
//! the preamble. `#` and `###`… headings, and `##` lines inside fenced code
//! blocks, belong to the surrounding text.
//!
//! [`render`] writes the canonical form:
//!
//! ```text
//! {preamble}            (omitted with its blank line when empty)
//!
//! ## {number}. {title}  ("## {title}" when the number is empty)
//!
//! {body}                (omitted with its blank line when empty)
//! ```
//!
//! with exactly one blank line between blocks and a single `\n` at the end
//! (an empty document renders as `""`).

use std::collections::{HashMap, VecDeque};

/// One numbered section: heading `## <number> <title>` (number like "3" or
/// "3.2", optionally followed by a dot: "## 3. Kostnader" → number "3",
/// title "Kostnader").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub number: String,
    pub title: String,
    pub body: String,
}

/// A version's text: what comes before the first section heading, then the
/// sections in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    pub preamble: String,
    pub sections: Vec<Section>,
}

// ---------------------------------------------------------------------------
// Parsing and rendering
// ---------------------------------------------------------------------------

/// Parses agreement Markdown. Tolerant of what Word exports and hand edits
/// leave behind: CRLF line ends, trailing whitespace (removed from every
/// line), up to three spaces before a heading, closing `##` on a heading.
/// Preamble and bodies are trimmed of leading and trailing blank lines.
#[must_use]
pub fn parse(markdown: &str) -> Document {
    let mut doc = Document::default();
    // The heading whose body is being collected; `None` while in the preamble.
    let mut current: Option<(String, String)> = None;
    let mut buf: Vec<&str> = Vec::new();
    let mut fence: Option<Fence> = None;

    // `str::lines` already strips a "\r" before "\n"; trim_end removes a lone
    // trailing "\r" and the trailing spaces hand edits leave.
    for line in markdown.lines().map(str::trim_end) {
        if let Some(open) = &fence {
            if open.is_closed_by(line) {
                fence = None;
            }
            buf.push(line);
            continue;
        }
        if let Some(open) = Fence::opened_by(line) {
            fence = Some(open);
            buf.push(line);
            continue;
        }
        if let Some(heading) = split_heading(line) {
            let text = tidy(&buf);
            buf.clear();
            match current.replace(heading) {
                Some((number, title)) => doc.sections.push(Section {
                    number,
                    title,
                    body: text,
                }),
                None => doc.preamble = text,
            }
        } else {
            buf.push(line);
        }
    }
    let text = tidy(&buf);
    match current {
        Some((number, title)) => doc.sections.push(Section {
            number,
            title,
            body: text,
        }),
        None => doc.preamble = text,
    }
    doc
}

/// Renders the canonical Markdown described in the module documentation.
///
/// `parse(&render(d)) == d` holds whenever `d` is canonical: preamble and
/// bodies without leading/trailing blank lines, trailing whitespace, `\r`, or
/// lines that would read as a `##` heading outside a code fence; numbers empty
/// or dot-separated digits without a trailing dot; titles trimmed, on one
/// line, and — when the number is empty — not starting with a number.
#[must_use]
pub fn render(doc: &Document) -> String {
    let mut blocks: Vec<String> = Vec::new();
    if !doc.preamble.is_empty() {
        blocks.push(doc.preamble.clone());
    }
    for s in &doc.sections {
        blocks.push(heading_line(s));
        if !s.body.is_empty() {
            blocks.push(s.body.clone());
        }
    }
    if blocks.is_empty() {
        return String::new();
    }
    let mut out = blocks.join("\n\n");
    out.push('\n');
    out
}

fn heading_line(s: &Section) -> String {
    let line = if s.number.is_empty() {
        format!("## {}", s.title)
    } else {
        format!("## {}. {}", s.number, s.title)
    };
    // An empty title would otherwise leave a trailing space behind.
    line.trim_end().to_owned()
}

/// Numbers the top-level sections 1..n in order.
///
/// Top-level means a number without a dot, including the empty number, so a
/// section inserted with number `""` (a proposal adding a section) gets its
/// place in the series. Subsections (`3.2`) follow their parent's new number
/// and are numbered 1..k under it, so `3.1`, `3.2` stay attached to what was
/// `3`. Subsections before the first top-level section have no parent to
/// follow and keep their numbers.
pub fn renumber(doc: &mut Document) {
    let mut counters: Vec<u32> = Vec::new();
    for s in &mut doc.sections {
        let depth = if s.number.contains('.') {
            s.number.split('.').count()
        } else {
            1
        };
        if depth > 1 && counters.is_empty() {
            continue;
        }
        counters.truncate(depth);
        // A skipped level ("3" then "3.1.1") gets 1 rather than 0, which
        // would read as a typo to officials.
        while counters.len() + 1 < depth {
            counters.push(1);
        }
        if counters.len() < depth {
            counters.push(0);
        }
        if let Some(last) = counters.last_mut() {
            *last += 1;
        }
        s.number = counters
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".");
    }
}

/// The first section with this number. The query may be written as people
/// write it: "3", "3.", "§3", "§ 3.2".
#[must_use]
pub fn find<'a>(doc: &'a Document, number: &str) -> Option<&'a Section> {
    let wanted = number.trim();
    let wanted = wanted.strip_prefix('§').unwrap_or(wanted).trim();
    let wanted = wanted.strip_suffix('.').unwrap_or(wanted);
    doc.sections.iter().find(|s| s.number == wanted)
}

/// Recognises a level-two heading and splits it into (number, title).
fn split_heading(line: &str) -> Option<(String, String)> {
    // Up to three spaces of indentation still make a heading in Markdown;
    // four make an indented code block.
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = line[indent..].strip_prefix("##")?;
    // "###" is a subheading inside the body; "##x" is not a heading at all.
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let text = strip_closing_hashes(rest.trim());
    let (token, after) = match text.split_once([' ', '\t']) {
        Some((t, a)) => (t, a.trim()),
        None => (text, ""),
    };
    Some(match section_number(token) {
        Some(number) => (number, after.to_owned()),
        None => (String::new(), text.to_owned()),
    })
}

/// "## 3 Titel ##" is a valid ATX heading; the closing run is not part of
/// the title ("C#" is, as it has no space before the hash).
fn strip_closing_hashes(text: &str) -> &str {
    let without = text.trim_end_matches('#');
    if without.len() == text.len() {
        text
    } else if without.is_empty() || without.ends_with([' ', '\t']) {
        without.trim_end()
    } else {
        text
    }
}

/// "3", "3.", "3.2", "3.2." → the number without a trailing dot.
fn section_number(token: &str) -> Option<String> {
    let t = token.strip_suffix('.').unwrap_or(token);
    let valid = !t.is_empty()
        && t.split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    valid.then(|| t.to_owned())
}

/// Joins lines, dropping blank lines at both ends.
fn tidy(lines: &[&str]) -> String {
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

/// An open code fence (three or more backticks or tildes): `##` lines
/// inside it are code, not section headings.
struct Fence {
    marker: char,
    len: usize,
}

impl Fence {
    fn opened_by(line: &str) -> Option<Fence> {
        let t = line.trim_start();
        let marker = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
        let len = t.chars().take_while(|c| *c == marker).count();
        (len >= 3).then_some(Fence { marker, len })
    }

    fn is_closed_by(&self, line: &str) -> bool {
        let t = line.trim();
        let run = t.chars().take_while(|c| *c == self.marker).count();
        run >= self.len && run == t.chars().count()
    }
}

// ---------------------------------------------------------------------------
// Line diff
// ---------------------------------------------------------------------------

/// One line of a line diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineChange {
    Same(String),
    Added(String),
    Removed(String),
}

/// The largest differing middle [`diff_lines`] diffs minimally, as the
/// product of its two line counts: about 2 000 × 2 000 lines. Texts may be
/// 200 000 characters; Myers' algorithm takes time proportional to the
/// lines times the differences, so two unrelated texts of 100 000 lines
/// would otherwise hold a request for minutes.
const MAX_DIFF_CELLS: usize = 4_000_000;

/// Line diff (Myers' algorithm, from the `similar` crate). Within each
/// changed stretch the removed lines come before the added ones, so a
/// rewritten line reads as "- old" directly followed by "+ new". An empty
/// text has no lines. A differing middle larger than [`MAX_DIFF_CELLS`] is
/// shown as all removed, then all added: still a correct diff, just not a
/// minimal one — and the same answer for the same texts, on any machine.
#[must_use]
pub fn diff_lines(old: &str, new: &str) -> Vec<LineChange> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();

    // The common head and tail are the same whatever the algorithm; only
    // the middle between them decides the cost.
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);

    let mut out: Vec<LineChange> = a[..prefix]
        .iter()
        .map(|l| LineChange::Same((*l).to_owned()))
        .collect();
    let mut stretch: Vec<LineChange> = Vec::new();
    if mid_a.len().saturating_mul(mid_b.len()) <= MAX_DIFF_CELLS {
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, mid_a, mid_b) {
            for (tag, old_range, new_range) in [op.as_tag_tuple()] {
                match tag {
                    similar::DiffTag::Equal => {
                        flush(&mut out, &mut stretch);
                        out.extend(
                            mid_a[old_range]
                                .iter()
                                .map(|l| LineChange::Same((*l).to_owned())),
                        );
                    }
                    _ => {
                        stretch.extend(
                            mid_a[old_range]
                                .iter()
                                .map(|l| LineChange::Removed((*l).to_owned())),
                        );
                        stretch.extend(
                            mid_b[new_range]
                                .iter()
                                .map(|l| LineChange::Added((*l).to_owned())),
                        );
                    }
                }
            }
        }
    } else {
        stretch.extend(mid_a.iter().map(|l| LineChange::Removed((*l).to_owned())));
        stretch.extend(mid_b.iter().map(|l| LineChange::Added((*l).to_owned())));
    }
    flush(&mut out, &mut stretch);
    out.extend(
        a[a.len() - suffix..]
            .iter()
            .map(|l| LineChange::Same((*l).to_owned())),
    );
    out
}

/// Appends a changed stretch with its removed lines first, in order, then
/// its added lines.
fn flush(out: &mut Vec<LineChange>, stretch: &mut Vec<LineChange>) {
    let (removed, added): (Vec<LineChange>, Vec<LineChange>) = stretch
        .drain(..)
        .partition(|c| matches!(c, LineChange::Removed(_)));
    out.extend(removed);
    out.extend(added);
}

/// Index pairs of one longest common subsequence of `a` and `b`, in order.
/// Ties are broken towards skipping `a` first, which makes the choice
/// deterministic. Used for the order of matched sections, a permutation of
/// a few dozen indices whose tie-breaking decides which section reads as
/// moved; the line diff is `similar`'s.
fn lcs_pairs<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(usize, usize)> {
    let width = b.len() + 1;
    // len[i * width + j] = LCS length of a[i..] and b[j..]; one flat vector
    // instead of nested ones keeps it to a single allocation.
    let mut len = vec![0usize; (a.len() + 1) * width];
    for (i, x) in a.iter().enumerate().rev() {
        for (j, y) in b.iter().enumerate().rev() {
            len[i * width + j] = if x == y {
                len[(i + 1) * width + j + 1] + 1
            } else {
                len[(i + 1) * width + j].max(len[i * width + j + 1])
            };
        }
    }
    let mut pairs = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            pairs.push((i, j));
            i += 1;
            j += 1;
        } else if len[(i + 1) * width + j] >= len[i * width + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

// ---------------------------------------------------------------------------
// Section diff
// ---------------------------------------------------------------------------

/// What happened to one section between two versions.
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
    /// Same title, different position (sections matched by title,
    /// case-insensitive, trimmed); `lines` is non-empty when the body changed
    /// too.
    Moved {
        from_number: String,
        to_number: String,
        title: String,
        lines: Vec<LineChange>,
    },
    /// In place but with a changed body, number or title spelling; `lines`
    /// is the body's line diff, empty when the body itself did not change.
    Edited {
        number: String,
        title: String,
        lines: Vec<LineChange>,
    },
}

/// How sections are matched: by title, ignoring case and surrounding or
/// repeated whitespace, since officials retype titles when they edit.
fn title_key(title: &str) -> String {
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Section-level diff. Old and new sections are matched by title (the k-th
/// old section with a title matches the k-th new one with the same title);
/// unmatched old → `Removed`, unmatched new → `Added`. Among matched
/// sections, those outside one longest common subsequence of the matched
/// order → `Moved`; the rest → `Edited` when body, number or title spelling
/// changed, else `Unchanged`.
///
/// The result follows the new document's order; a removed section comes
/// right after the section that preceded it in the old document and survives
/// (wherever that one is now), or first when none did.
#[must_use]
pub fn diff(old: &Document, new: &Document) -> Vec<SectionChange> {
    let old_of_new = match_by_title(old, new);
    let mut new_of_old: Vec<Option<usize>> = vec![None; old.sections.len()];
    for (n, o) in old_of_new.iter().enumerate() {
        if let Some(o) = o {
            new_of_old[*o] = Some(n);
        }
    }

    // Which matched sections kept their relative order: an LCS of the
    // matched old indices in old order against the same in new order.
    let in_old_order: Vec<usize> = (0..old.sections.len())
        .filter(|o| new_of_old[*o].is_some())
        .collect();
    let in_new_order: Vec<usize> = old_of_new.iter().flatten().copied().collect();
    // New order first: on a tie (two neighbours swapped) the LCS then keeps
    // the section that came first in the old text in place, so the one
    // pulled upwards is reported as moved.
    let mut in_place = vec![false; old.sections.len()];
    for (k, _) in lcs_pairs(&in_new_order, &in_old_order) {
        in_place[in_new_order[k]] = true;
    }

    // Anchor each removed section to its nearest surviving predecessor.
    let mut leading_removed: Vec<usize> = Vec::new();
    let mut removed_after: Vec<Vec<usize>> = vec![Vec::new(); new.sections.len()];
    let mut anchor: Option<usize> = None;
    for (o, n) in new_of_old.iter().enumerate() {
        match (n, anchor) {
            (Some(n), _) => anchor = Some(*n),
            (None, Some(a)) => removed_after[a].push(o),
            (None, None) => leading_removed.push(o),
        }
    }

    let removed = |o: usize| SectionChange::Removed {
        section: old.sections[o].clone(),
    };
    let mut out: Vec<SectionChange> = leading_removed.iter().map(|o| removed(*o)).collect();
    for (n, new_s) in new.sections.iter().enumerate() {
        out.push(match old_of_new[n] {
            None => SectionChange::Added {
                section: new_s.clone(),
            },
            Some(o) => classify(&old.sections[o], new_s, in_place[o]),
        });
        out.extend(removed_after[n].iter().map(|o| removed(*o)));
    }
    out
}

/// For each new section, the index of the old section with the same title:
/// the k-th old section with a title matches the k-th new one with it.
fn match_by_title(old: &Document, new: &Document) -> Vec<Option<usize>> {
    let mut by_title: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (i, s) in old.sections.iter().enumerate() {
        by_title
            .entry(title_key(&s.title))
            .or_default()
            .push_back(i);
    }
    new.sections
        .iter()
        .map(|s| {
            by_title
                .get_mut(&title_key(&s.title))
                .and_then(VecDeque::pop_front)
        })
        .collect()
}

fn classify(old: &Section, new: &Section, in_place: bool) -> SectionChange {
    let lines = if old.body == new.body {
        Vec::new()
    } else {
        diff_lines(&old.body, &new.body)
    };
    if !in_place {
        SectionChange::Moved {
            from_number: old.number.clone(),
            to_number: new.number.clone(),
            title: new.title.clone(),
            lines,
        }
    } else if !lines.is_empty() || old.number != new.number || old.title != new.title {
        SectionChange::Edited {
            number: new.number.clone(),
            title: new.title.clone(),
            lines,
        }
    } else {
        SectionChange::Unchanged {
            number: new.number.clone(),
            title: new.title.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// Readable diff
// ---------------------------------------------------------------------------

/// A readable Swedish account of the changes for officials, as Markdown:
///
/// - `# Förändringar från föregående version`;
/// - `## Inledning – ändrad` and a diff block when the preamble changed;
/// - per changed section, in the order of [`diff`], a heading
///   `## §{number} {title} – ny | borttagen | flyttad från §{from} | ändrad`
///   and a fenced `diff` block with "+ ", "- " and "  " prefixes: the body's
///   line diff for edits (and moves with edits), the whole text for new and
///   removed sections. An edit that renumbered or respelled a section says
///   first `Tidigare §{old}.` (or `Tidigare §{old} {old title}.`); when the
///   body is unchanged that line is all it says;
/// - `Oförändrade: §1, §2, …` for the unchanged sections, omitted when none;
/// - `Inga förändringar.` when nothing changed at all.
///
/// Blocks are separated by one blank line; the text ends with one `\n`.
#[must_use]
pub fn render_diff(old: &Document, new: &Document) -> String {
    let mut blocks: Vec<String> = vec!["# Förändringar från föregående version".to_owned()];
    if old.preamble != new.preamble {
        blocks.push("## Inledning – ändrad".to_owned());
        blocks.push(diff_block(&diff_lines(&old.preamble, &new.preamble)));
    }
    // The change only carries the new number; the matching tells which old
    // section an edit came from, to name its former number and title.
    let old_of_new = match_by_title(old, new);
    let mut next_new = 0;
    let mut unchanged: Vec<String> = Vec::new();
    for change in diff(old, new) {
        let prev = if matches!(change, SectionChange::Removed { .. }) {
            None
        } else {
            next_new += 1;
            old_of_new
                .get(next_new - 1)
                .copied()
                .flatten()
                .and_then(|o| old.sections.get(o))
        };
        match &change {
            SectionChange::Unchanged { number, title } => {
                unchanged.push(if number.is_empty() {
                    title.clone()
                } else {
                    format!("§{number}")
                });
            }
            SectionChange::Added { section } => {
                blocks.push(format!(
                    "## {} – ny",
                    label(&section.number, &section.title)
                ));
                if !section.body.is_empty() {
                    blocks.push(diff_block(&diff_lines("", &section.body)));
                }
            }
            SectionChange::Removed { section } => {
                blocks.push(format!(
                    "## {} – borttagen",
                    label(&section.number, &section.title)
                ));
                if !section.body.is_empty() {
                    blocks.push(diff_block(&diff_lines(&section.body, "")));
                }
            }
            SectionChange::Moved {
                from_number,
                to_number,
                title,
                lines,
            } => {
                blocks.push(format!(
                    "## {} – flyttad från §{from_number}",
                    label(to_number, title)
                ));
                if !lines.is_empty() {
                    blocks.push(diff_block(lines));
                }
            }
            SectionChange::Edited {
                number,
                title,
                lines,
            } => {
                blocks.push(format!("## {} – ändrad", label(number, title)));
                if let Some(prev) = prev {
                    if prev.title != *title {
                        blocks.push(format!("Tidigare {}.", label(&prev.number, &prev.title)));
                    } else if prev.number.is_empty() {
                        blocks.push("Tidigare utan nummer.".to_owned());
                    } else if prev.number != *number {
                        blocks.push(format!("Tidigare §{}.", prev.number));
                    }
                }
                if !lines.is_empty() {
                    blocks.push(diff_block(lines));
                }
            }
        }
    }
    if blocks.len() == 1 {
        blocks.push("Inga förändringar.".to_owned());
    }
    if !unchanged.is_empty() {
        blocks.push(format!("Oförändrade: {}", unchanged.join(", ")));
    }
    let mut out = blocks.join("\n\n");
    out.push('\n');
    out
}

/// "§3 Kostnader"; a section without a number is named by its title alone.
fn label(number: &str, title: &str) -> String {
    match (number.is_empty(), title.is_empty()) {
        // Only an empty "##" heading; the heading line still needs a name.
        (true, true) => "(utan rubrik)".to_owned(),
        (true, false) => title.to_owned(),
        (false, true) => format!("§{number}"),
        (false, false) => format!("§{number} {title}"),
    }
}

/// A fenced `diff` block. The fence is longer than any backtick run in the
/// text so agreement text that itself contains a code fence cannot end it.
fn diff_block(lines: &[LineChange]) -> String {
    let body: Vec<String> = lines
        .iter()
        .map(|l| {
            let line = match l {
                LineChange::Same(t) => format!("  {t}"),
                LineChange::Added(t) => format!("+ {t}"),
                LineChange::Removed(t) => format!("- {t}"),
            };
            // An empty line would otherwise carry the prefix's trailing space.
            line.trim_end().to_owned()
        })
        .collect();
    let longest_run = body
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    format!("{fence}diff\n{}\n{fence}", body.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Last year's agreement; every golden test diffs a variation against it.
    const OLD: &str = "# Samverkansavtal IT\n\n\
Avtal mellan Tranemo kommun och Ulricehamns kommun om en gemensam IT-avdelning.\n\
Gäller från och med 2025-01-01.\n\n\
## 1. Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
## 2. Syfte\n\nAtt bedriva IT-verksamhet gemensamt.\n\n\
## 3. Kostnader\n\nKostnaderna fördelas enligt prislistan.\nAvräkning sker vid årets slut.\n\n\
## 4. Uppsägning\n\nAvtalet kan sägas upp med tolv månaders varsel.\n";

    const PREAMBLE: &str = "# Samverkansavtal IT\n\n\
Avtal mellan Tranemo kommun och Ulricehamns kommun om en gemensam IT-avdelning.\n\
Gäller från och med 2025-01-01.";

    fn sec(number: &str, title: &str, body: &str) -> Section {
        Section {
            number: number.into(),
            title: title.into(),
            body: body.into(),
        }
    }

    fn old() -> Document {
        parse(OLD)
    }

    fn unchanged(number: &str, title: &str) -> SectionChange {
        SectionChange::Unchanged {
            number: number.into(),
            title: title.into(),
        }
    }

    fn renumbered(number: &str, title: &str) -> SectionChange {
        SectionChange::Edited {
            number: number.into(),
            title: title.into(),
            lines: vec![],
        }
    }

    fn same(t: &str) -> LineChange {
        LineChange::Same(t.into())
    }
    fn added(t: &str) -> LineChange {
        LineChange::Added(t.into())
    }
    fn removed(t: &str) -> LineChange {
        LineChange::Removed(t.into())
    }

    // --- parse / render -------------------------------------------------

    #[test]
    fn parses_the_base_agreement() {
        assert_eq!(
            old(),
            Document {
                preamble: PREAMBLE.into(),
                sections: vec![
                    sec("1", "Parter", "Tranemo kommun och Ulricehamns kommun."),
                    sec("2", "Syfte", "Att bedriva IT-verksamhet gemensamt."),
                    sec(
                        "3",
                        "Kostnader",
                        "Kostnaderna fördelas enligt prislistan.\nAvräkning sker vid årets slut."
                    ),
                    sec(
                        "4",
                        "Uppsägning",
                        "Avtalet kan sägas upp med tolv månaders varsel."
                    ),
                ],
            }
        );
    }

    #[test]
    fn parses_crlf_and_trailing_spaces() {
        let crlf = OLD.replace('\n', "  \r\n");
        assert_eq!(parse(&crlf), old());
    }

    #[test]
    fn parses_heading_variants() {
        let doc = parse(
            "## 3. Titel\n\
             ## 3 Titel\n\
             ## 3.2 Underavsnitt\n\
             ## 3.2. Med punkt\n\
             ##   7   Många   mellanslag  \n\
             ## Bilagor\n\
             ## 4. Ärenden ##\n\
             ## 5 C#\n\
             ## 6.\n\
             ##\n   ## 8 Indragen\n",
        );
        let heads: Vec<(&str, &str)> = doc
            .sections
            .iter()
            .map(|s| (s.number.as_str(), s.title.as_str()))
            .collect();
        assert_eq!(
            heads,
            [
                ("3", "Titel"),
                ("3", "Titel"),
                ("3.2", "Underavsnitt"),
                ("3.2", "Med punkt"),
                ("7", "Många   mellanslag"),
                ("", "Bilagor"),
                ("4", "Ärenden"),
                ("5", "C#"),
                ("6", ""),
                ("", ""),
                ("8", "Indragen"),
            ]
        );
        assert_eq!(doc.preamble, "");
    }

    #[test]
    fn subheadings_fences_and_indented_code_stay_in_the_body() {
        let md = "## 1. Tjänster\n\n### Drift\n\nText.\n\n```\n## 2. inte en rubrik\n```\n\n    ## inte heller\n#Inte\n##Inte\n";
        let doc = parse(md);
        assert_eq!(
            doc.sections,
            [sec(
                "1",
                "Tjänster",
                "### Drift\n\nText.\n\n```\n## 2. inte en rubrik\n```\n\n    ## inte heller\n#Inte\n##Inte"
            )]
        );
        assert_eq!(parse(&render(&doc)), doc);
    }

    #[test]
    fn parses_degenerate_inputs() {
        assert_eq!(parse(""), Document::default());
        assert_eq!(parse("\r\n  \n"), Document::default());
        assert_eq!(
            parse("Bara inledning.\n"),
            Document {
                preamble: "Bara inledning.".into(),
                sections: vec![],
            }
        );
        assert_eq!(
            parse("## 1. Tom\n\n\n## 2. Också tom"),
            Document {
                preamble: String::new(),
                sections: vec![sec("1", "Tom", ""), sec("2", "Också tom", "")],
            }
        );
    }

    #[test]
    fn renders_the_canonical_form() {
        assert_eq!(render(&parse(&OLD.replace('\n', "\r\n"))), OLD);
        let doc = Document {
            preamble: String::new(),
            sections: vec![
                sec("1", "Tom", ""),
                sec("", "Bilagor", "Prislista 2026."),
                sec("2", "", "Utan rubrik."),
            ],
        };
        assert_eq!(
            render(&doc),
            "## 1. Tom\n\n## Bilagor\n\nPrislista 2026.\n\n## 2.\n\nUtan rubrik.\n"
        );
        assert_eq!(parse(&render(&doc)), doc);
        assert_eq!(render(&Document::default()), "");
    }

    /// A small deterministic generator (linear congruential) standing in for
    /// a property-testing library: canonical documents survive render→parse.
    #[test]
    fn round_trips_generated_documents() {
        const LINES: &[&str] = &[
            "Tranemo kommun och Ulricehamns kommun.",
            "Kostnaderna fördelas enligt fördelningsnyckeln (invånare, anställda).",
            "",
            "- Avräkning sker årsvis.",
            "### Underrubrik",
            "# Rubrik",
            "Åtaganden: 1. drift 2. säkerhet",
            "  indragen rad",
            "§ 187 IT-styrgruppen",
        ];
        const NUMBERS: &[&str] = &["1", "2", "3.2", "10", "4.1.7", ""];
        const TITLES: &[&str] = &[
            "Parter",
            "Ärenden och övrigt",
            "IT-säkerhet",
            "Bilaga A",
            "",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap_or(0) % n
        };
        let text = |next: &mut dyn FnMut(usize) -> usize| {
            let lines: Vec<&str> = (0..next(5)).map(|_| LINES[next(LINES.len())]).collect();
            tidy(&lines)
        };
        for case in 0..300 {
            let preamble = text(&mut next);
            let sections = (0..next(6))
                .map(|_| Section {
                    number: NUMBERS[next(NUMBERS.len())].into(),
                    title: TITLES[next(TITLES.len())].into(),
                    body: text(&mut next),
                })
                .collect();
            let doc = Document { preamble, sections };
            let md = render(&doc);
            assert_eq!(parse(&md), doc, "case {case}:\n{md}");
            assert_eq!(parse(&md.replace('\n', "\r\n")), doc, "case {case} as CRLF");
            assert_eq!(render(&parse(&md)), md, "case {case}: render is stable");
        }
    }

    // --- renumber / find --------------------------------------------------

    #[test]
    fn renumbers_top_level_sections_in_order() {
        let mut doc = Document {
            preamble: "Inledning.".into(),
            sections: vec![
                sec("1", "Parter", ""),
                sec("", "Ny", ""),
                sec("3", "Kostnader", ""),
                sec("3.1", "Prislista", ""),
                sec("3.4", "Avräkning", ""),
                sec("7", "Uppsägning", ""),
                sec("7.2.5", "Varsel", ""),
            ],
        };
        renumber(&mut doc);
        let numbers: Vec<&str> = doc.sections.iter().map(|s| s.number.as_str()).collect();
        assert_eq!(numbers, ["1", "2", "3", "3.1", "3.2", "4", "4.1.1"]);
        assert_eq!(doc.preamble, "Inledning.");

        let mut orphan = Document {
            preamble: String::new(),
            sections: vec![sec("0.1", "Före", ""), sec("5", "Första", "")],
        };
        renumber(&mut orphan);
        let numbers: Vec<&str> = orphan.sections.iter().map(|s| s.number.as_str()).collect();
        assert_eq!(numbers, ["0.1", "1"]);
    }

    #[test]
    fn finds_sections_as_people_write_their_numbers() {
        let doc = parse("## 1. Parter\n\n## 3.2 Underavsnitt\n");
        for query in ["3.2", "3.2.", " §3.2 ", "§ 3.2"] {
            assert_eq!(
                find(&doc, query).map(|s| s.title.as_str()),
                Some("Underavsnitt")
            );
        }
        assert_eq!(find(&doc, "1").map(|s| s.title.as_str()), Some("Parter"));
        assert_eq!(find(&doc, "3"), None);
        assert_eq!(find(&doc, ""), None);
    }

    // --- diff_lines -------------------------------------------------------

    #[test]
    fn line_diff_edge_cases() {
        assert_eq!(diff_lines("", ""), []);
        assert_eq!(diff_lines("", "a\nb"), [added("a"), added("b")]);
        assert_eq!(diff_lines("a\nb", ""), [removed("a"), removed("b")]);
        assert_eq!(
            diff_lines("å\nä\nö", "å\nä\nö\n"),
            [same("å"), same("ä"), same("ö")]
        );
        assert_eq!(diff_lines("a\r\nb", "a\nb"), [same("a"), same("b")]);
        assert_eq!(
            diff_lines("a\nb\nc\nd", "a\nx\nc\ny"),
            [
                same("a"),
                removed("b"),
                added("x"),
                same("c"),
                removed("d"),
                added("y")
            ]
        );
        assert_eq!(
            diff_lines("a\nb\nc", "c\na\nb"),
            [added("c"), same("a"), same("b"), removed("c")]
        );
    }

    /// Two texts of 100 000 differing lines (within the 200 000-character
    /// limit) once asked for an 80 GB table and aborted the server through
    /// DiffVersions; past the limit the middle is removed, then added.
    #[test]
    fn huge_line_diffs_stay_bounded() {
        let old = ["a"; 100_000].join("\n");
        let new = format!("x\n{}\nx", ["b"; 100_000].join("\n"));
        let d = diff_lines(&old, &new);
        assert_eq!(d.len(), 200_002);
        assert_eq!(d[0], removed("a"));
        assert_eq!(d[100_000], added("x"));
        assert_eq!(d[200_001], added("x"));
    }

    // --- golden section diffs ---------------------------------------------

    #[test]
    fn golden_added_section() {
        let mut new = old();
        new.sections.push(sec(
            "5",
            "Tvister",
            "Tvister avgörs i första hand genom förhandling.\nDärefter i allmän domstol.",
        ));
        assert_eq!(
            diff(&old(), &new),
            [
                unchanged("1", "Parter"),
                unchanged("2", "Syfte"),
                unchanged("3", "Kostnader"),
                unchanged("4", "Uppsägning"),
                SectionChange::Added {
                    section: new.sections[4].clone()
                },
            ]
        );
        assert_eq!(
            render_diff(&old(), &new),
            "# Förändringar från föregående version

## §5 Tvister – ny

```diff
+ Tvister avgörs i första hand genom förhandling.
+ Därefter i allmän domstol.
```

Oförändrade: §1, §2, §3, §4
"
        );
    }

    #[test]
    fn golden_removed_section() {
        let mut new = old();
        new.sections.remove(1);
        renumber(&mut new);
        assert_eq!(
            diff(&old(), &new),
            [
                unchanged("1", "Parter"),
                SectionChange::Removed {
                    section: old().sections[1].clone()
                },
                renumbered("2", "Kostnader"),
                renumbered("3", "Uppsägning"),
            ]
        );
        assert_eq!(
            render_diff(&old(), &new),
            "# Förändringar från föregående version

## §2 Syfte – borttagen

```diff
- Att bedriva IT-verksamhet gemensamt.
```

## §2 Kostnader – ändrad

Tidigare §3.

## §3 Uppsägning – ändrad

Tidigare §4.

Oförändrade: §1
"
        );
    }

    #[test]
    fn golden_moved_section() {
        // Uppsägning moves up to follow Parter.
        let mut new = old();
        let moved = new.sections.remove(3);
        new.sections.insert(1, moved);
        renumber(&mut new);
        assert_eq!(
            diff(&old(), &new),
            [
                unchanged("1", "Parter"),
                SectionChange::Moved {
                    from_number: "4".into(),
                    to_number: "2".into(),
                    title: "Uppsägning".into(),
                    lines: vec![],
                },
                renumbered("3", "Syfte"),
                renumbered("4", "Kostnader"),
            ]
        );
        assert_eq!(
            render_diff(&old(), &new),
            "# Förändringar från föregående version

## §2 Uppsägning – flyttad från §4

## §3 Syfte – ändrad

Tidigare §2.

## §4 Kostnader – ändrad

Tidigare §3.

Oförändrade: §1
"
        );
    }

    #[test]
    fn golden_edited_section() {
        // One line changed, one added.
        let mut new = old();
        new.sections[2].body = "Kostnaderna fördelas enligt prislistan och fördelningsnyckeln.\n\
                                Avräkning sker vid årets slut.\n\
                                Fakturering sker per tertial."
            .into();
        assert_eq!(
            diff(&old(), &new),
            [
                unchanged("1", "Parter"),
                unchanged("2", "Syfte"),
                SectionChange::Edited {
                    number: "3".into(),
                    title: "Kostnader".into(),
                    lines: vec![
                        removed("Kostnaderna fördelas enligt prislistan."),
                        added("Kostnaderna fördelas enligt prislistan och fördelningsnyckeln."),
                        same("Avräkning sker vid årets slut."),
                        added("Fakturering sker per tertial."),
                    ],
                },
                unchanged("4", "Uppsägning"),
            ]
        );
        assert_eq!(
            render_diff(&old(), &new),
            "# Förändringar från föregående version

## §3 Kostnader – ändrad

```diff
- Kostnaderna fördelas enligt prislistan.
+ Kostnaderna fördelas enligt prislistan och fördelningsnyckeln.
  Avräkning sker vid årets slut.
+ Fakturering sker per tertial.
```

Oförändrade: §1, §2, §4
"
        );
    }

    #[test]
    fn golden_moved_and_edited_section() {
        let new = parse(
            "# Samverkansavtal IT\n\n\
Avtal mellan Tranemo kommun och Ulricehamns kommun om en gemensam IT-avdelning.\n\
Gäller från och med 2025-01-01.\n\n\
## 1. Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
## 2. uppsägning\n\nAvtalet kan sägas upp med arton månaders varsel.\nUppsägningen ska vara skriftlig.\n\n\
## 3. Syfte\n\nAtt bedriva IT-verksamhet gemensamt.\n\n\
## 4. Kostnader\n\nKostnaderna fördelas enligt prislistan.\nAvräkning sker vid årets slut.\n",
        );
        assert_eq!(
            diff(&old(), &new),
            [
                unchanged("1", "Parter"),
                SectionChange::Moved {
                    from_number: "4".into(),
                    to_number: "2".into(),
                    title: "uppsägning".into(),
                    lines: vec![
                        removed("Avtalet kan sägas upp med tolv månaders varsel."),
                        added("Avtalet kan sägas upp med arton månaders varsel."),
                        added("Uppsägningen ska vara skriftlig."),
                    ],
                },
                renumbered("3", "Syfte"),
                renumbered("4", "Kostnader"),
            ]
        );
        assert_eq!(
            render_diff(&old(), &new),
            "# Förändringar från föregående version

## §2 uppsägning – flyttad från §4

```diff
- Avtalet kan sägas upp med tolv månaders varsel.
+ Avtalet kan sägas upp med arton månaders varsel.
+ Uppsägningen ska vara skriftlig.
```

## §3 Syfte – ändrad

Tidigare §2.

## §4 Kostnader – ändrad

Tidigare §3.

Oförändrade: §1
"
        );
    }

    #[test]
    fn golden_preamble_change() {
        let mut new = old();
        new.preamble = new.preamble.replace("2025-01-01", "2026-01-01");
        assert_eq!(
            diff(&old(), &new),
            [
                unchanged("1", "Parter"),
                unchanged("2", "Syfte"),
                unchanged("3", "Kostnader"),
                unchanged("4", "Uppsägning"),
            ]
        );
        assert_eq!(
            render_diff(&old(), &new),
            "# Förändringar från föregående version

## Inledning – ändrad

```diff
  # Samverkansavtal IT

  Avtal mellan Tranemo kommun och Ulricehamns kommun om en gemensam IT-avdelning.
- Gäller från och med 2025-01-01.
+ Gäller från och med 2026-01-01.
```

Oförändrade: §1, §2, §3, §4
"
        );
    }

    #[test]
    fn golden_yearly_revision_with_every_kind_of_change() {
        // Syfte removed, a section on members inserted after Parter,
        // Uppsägning moved before Kostnader, Kostnader edited, preamble
        // changed, a title respelled.
        let new = parse(
            "# Samverkansavtal IT\n\n\
Avtal mellan Tranemo kommun och Ulricehamns kommun om en gemensam IT-avdelning.\n\
Gäller från och med 2026-01-01.\n\n\
## 1. PARTER\n\nTranemo kommun och Ulricehamns kommun.\n\n\
## 2. Anslutning av nya medlemmar\n\nNya medlemmar ansluter genom beslut i respektive kommunstyrelse.\n\n\
## 3. Uppsägning\n\nAvtalet kan sägas upp med tolv månaders varsel.\n\n\
## 4. Kostnader\n\nKostnaderna fördelas enligt prislistan och fördelningsnyckeln.\nAvräkning sker vid årets slut.\n",
        );
        assert_eq!(
            diff(&old(), &new),
            [
                renumbered("1", "PARTER"),
                SectionChange::Removed {
                    section: old().sections[1].clone()
                },
                SectionChange::Added {
                    section: new.sections[1].clone()
                },
                SectionChange::Moved {
                    from_number: "4".into(),
                    to_number: "3".into(),
                    title: "Uppsägning".into(),
                    lines: vec![],
                },
                SectionChange::Edited {
                    number: "4".into(),
                    title: "Kostnader".into(),
                    lines: vec![
                        removed("Kostnaderna fördelas enligt prislistan."),
                        added("Kostnaderna fördelas enligt prislistan och fördelningsnyckeln."),
                        same("Avräkning sker vid årets slut."),
                    ],
                },
            ]
        );
        assert_eq!(
            render_diff(&old(), &new),
            "# Förändringar från föregående version

## Inledning – ändrad

```diff
  # Samverkansavtal IT

  Avtal mellan Tranemo kommun och Ulricehamns kommun om en gemensam IT-avdelning.
- Gäller från och med 2025-01-01.
+ Gäller från och med 2026-01-01.
```

## §1 PARTER – ändrad

Tidigare §1 Parter.

## §2 Syfte – borttagen

```diff
- Att bedriva IT-verksamhet gemensamt.
```

## §2 Anslutning av nya medlemmar – ny

```diff
+ Nya medlemmar ansluter genom beslut i respektive kommunstyrelse.
```

## §3 Uppsägning – flyttad från §4

## §4 Kostnader – ändrad

Tidigare §3.

```diff
- Kostnaderna fördelas enligt prislistan.
+ Kostnaderna fördelas enligt prislistan och fördelningsnyckeln.
  Avräkning sker vid årets slut.
```
"
        );
    }

    #[test]
    fn identical_versions_say_so() {
        assert_eq!(
            diff(&old(), &old()),
            [
                unchanged("1", "Parter"),
                unchanged("2", "Syfte"),
                unchanged("3", "Kostnader"),
                unchanged("4", "Uppsägning"),
            ]
        );
        assert_eq!(
            render_diff(&old(), &old()),
            "# Förändringar från föregående version\n\nInga förändringar.\n\nOförändrade: §1, §2, §3, §4\n"
        );
        assert_eq!(
            render_diff(&Document::default(), &Document::default()),
            "# Förändringar från föregående version\n\nInga förändringar.\n"
        );
    }

    #[test]
    fn removed_first_section_leads_and_duplicate_titles_match_in_order() {
        let old = parse("## 1. Bilaga\n\nA\n\n## 2. Bilaga\n\nB\n\n## 3. Övrigt\n\nC\n");
        let new = parse("## 1. Bilaga\n\nB\n\n## 2. Övrigt\n\nC\n");
        assert_eq!(
            diff(&old, &new),
            [
                SectionChange::Edited {
                    number: "1".into(),
                    title: "Bilaga".into(),
                    lines: vec![removed("A"), added("B")],
                },
                SectionChange::Removed {
                    section: sec("2", "Bilaga", "B")
                },
                renumbered("2", "Övrigt"),
            ]
        );
        let new = parse("## 1. Övrigt\n\nC\n");
        let old = parse("## 1. Inledande\n\nX\n\n## 2. Övrigt\n\nC\n");
        assert_eq!(
            diff(&old, &new),
            [
                SectionChange::Removed {
                    section: sec("1", "Inledande", "X")
                },
                renumbered("1", "Övrigt"),
            ]
        );
    }

    #[test]
    fn swapped_neighbours_report_the_one_pulled_up_as_moved() {
        let old = parse("## 1. Ärenden\n\nA\n\n## 2. Åtgärder\n\nB\n\n## 3. Övrigt\n\nC\n");
        let new = parse("## 1. Åtgärder\n\nB\n\n## 2. Ärenden\n\nA\n\n## 3. Övrigt\n\nC\n");
        assert_eq!(
            diff(&old, &new),
            [
                SectionChange::Moved {
                    from_number: "2".into(),
                    to_number: "1".into(),
                    title: "Åtgärder".into(),
                    lines: vec![],
                },
                renumbered("2", "Ärenden"),
                unchanged("3", "Övrigt"),
            ]
        );
    }

    #[test]
    fn unnumbered_sections_are_named_by_title() {
        let old = parse("## Bilagor\n\nPrislista.\n\n## Underskrifter\n");
        let new = parse("## 1. Bilagor\n\nPrislista.\n\n## Underskrifter\n\n##\n\nText.\n");
        assert_eq!(
            render_diff(&old, &new),
            "# Förändringar från föregående version\n\n\
## §1 Bilagor – ändrad\n\nTidigare utan nummer.\n\n\
## (utan rubrik) – ny\n\n```diff\n+ Text.\n```\n\n\
Oförändrade: Underskrifter\n"
        );
    }

    #[test]
    fn diff_block_fence_outgrows_fences_in_the_text() {
        let block = diff_block(&[added("```"), same("text")]);
        assert_eq!(block, "````diff\n+ ```\n  text\n````");
        assert_eq!(diff_block(&[same("")]), "```diff\n\n```");
    }
}
