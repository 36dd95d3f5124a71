//! The generated organisation: which municipalities form collaboration
//! `i`, who holds which role, and the seats the history needs. Pure
//! functions of the index, so that a load generator can name the same
//! people without a database.

use chrono::NaiveDate;
use uuid::Uuid;

use samverkan_core::CollaborationId;
use samverkan_roles::bootstrap::{Member, Person, Spec};
use samverkan_roles::demo;

/// Real Swedish municipality names (neither of the demo's two); beyond the
/// list a round number is appended, so that ids stay unique.
const MUNICIPALITIES: &[&str] = &[
    "Herrljunga",
    "Vårgårda",
    "Svenljunga",
    "Bollebygd",
    "Mark",
    "Alingsås",
    "Lerum",
    "Härryda",
    "Töreboda",
    "Götene",
    "Falköping",
    "Skövde",
    "Tidaholm",
    "Hjo",
    "Tibro",
    "Karlsborg",
    "Mullsjö",
    "Habo",
    "Gnosjö",
    "Gislaved",
    "Vaggeryd",
    "Värnamo",
    "Ljungby",
    "Älmhult",
    "Åmål",
    "Säffle",
    "Årjäng",
    "Överkalix",
    "Örkelljunga",
    "Östra Göinge",
    "Bengtsfors",
    "Dals-Ed",
    "Färgelanda",
    "Mellerud",
    "Vänersborg",
    "Trollhättan",
    "Lilla Edet",
    "Ale",
    "Kungälv",
    "Stenungsund",
    "Tjörn",
    "Orust",
    "Lysekil",
    "Sotenäs",
    "Munkedal",
    "Tanum",
    "Strömstad",
    "Essunga",
    "Grästorp",
    "Vara",
    "Lidköping",
    "Skara",
    "Mariestad",
    "Gullspång",
    "Hällefors",
    "Ljusnarsberg",
    "Söderköping",
    "Åtvidaberg",
    "Ödeshög",
    "Vadstena",
    "Boxholm",
    "Kinda",
    "Ydre",
    "Heby",
    "Älvkarleby",
    "Östhammar",
    "Sävsjö",
    "Nässjö",
    "Eksjö",
    "Aneby",
];

const FIRST_NAMES: &[&str] = &[
    "Anna", "Lars", "Karin", "Mikael", "Eva", "Anders", "Maria", "Johan", "Sara", "Per", "Lena",
    "Erik", "Kerstin", "Björn", "Åsa", "Göran", "Ingrid", "Magnus", "Linnéa", "Håkan", "Malin",
    "Jörgen", "Sofia", "Örjan", "Helena", "Nils", "Ebba", "Olof", "Maja", "Stefan",
];

const SURNAMES: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Lindström",
    "Åberg",
    "Öberg",
    "Bäckström",
    "Sjöberg",
    "Ekström",
    "Hägg",
    "Löfgren",
    "Strömberg",
    "Ängström",
    "Wallin",
    "Berg",
    "Holm",
    "Forsberg",
    "Sandström",
];

/// Roles of the shared IT department: one person each per collaboration.
pub(crate) const IT_ROLES: &[&str] = &[
    "it-chef",
    "it-strateg",
    "e-samordnare",
    "it-sakerhetsansvarig",
    "it-koordinator",
    "supportspecialist",
    "it-tekniker",
    "verksamhetsutvecklare",
];

/// Roles held in every member municipality, with the section if any.
pub(crate) const MUNICIPAL_ROLES: &[(&str, &str)] = &[
    ("kommunchef", ""),
    ("utvecklingschef", ""),
    ("informationssakerhetssamordnare", ""),
    ("sakerhetschef", ""),
    ("sektionschef", "Socialtjänst"),
    ("informationssakerhetshandlaggare", "Socialtjänst"),
    ("registrator", ""),
    ("personalchef", ""),
];

/// The first day of every generated collaboration's organisation.
pub(crate) const SINCE: (i32, u32, u32) = (2022, 1, 1);

/// Collaboration `index`'s fixed id: the demo's (index 1) pattern.
pub fn collaboration_id(index: u32) -> CollaborationId {
    CollaborationId(Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(index),
    ))
}

/// How many members generated collaboration `index` (from 2) has: 2, 3 or 4.
fn size(index: u32) -> usize {
    2 + (index % 3) as usize
}

/// A lowercase ASCII slug (the tenant id rules of `TenantId::parse`).
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            'å' | 'ä' | 'Å' | 'Ä' => out.push('a'),
            'ö' | 'Ö' => out.push('o'),
            'é' | 'É' => out.push('e'),
            ' ' | '-' => out.push('-'),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out
}

/// A municipality of a generated collaboration.
#[derive(Debug, Clone)]
pub(crate) struct Muni {
    pub id: String,
    pub name: String,
    /// Its place in the whole sequence (drives its figures).
    pub seq: usize,
}

fn muni(seq: usize) -> Muni {
    let base = MUNICIPALITIES[seq % MUNICIPALITIES.len()];
    let round = seq / MUNICIPALITIES.len();
    if round == 0 {
        Muni {
            id: slug(base),
            name: format!("{base} kommun"),
            seq,
        }
    } else {
        Muni {
            id: format!("{}-{}", slug(base), round + 1),
            name: format!("{base} {} kommun", round + 1),
            seq,
        }
    }
}

/// The members of generated collaboration `index` (from 2).
pub(crate) fn members(index: u32) -> Vec<Muni> {
    let first: usize = (2..index).map(size).sum();
    (first..first + size(index)).map(muni).collect()
}

/// A deterministic Swedish name for a person slot.
fn name(seed: usize) -> String {
    let first = FIRST_NAMES[(seed * 7 + 3) % FIRST_NAMES.len()];
    let last = SURNAMES[(seed * 11 + seed / FIRST_NAMES.len()) % SURNAMES.len()];
    format!("{first} {last}")
}

/// E-mail of a generated person: `<role>@<municipality>.se`.
pub(crate) fn email(role: &str, municipality: &str) -> String {
    format!("{role}@{municipality}.se")
}

fn joined(m: &[Muni]) -> String {
    let names: Vec<&str> = m
        .iter()
        .map(|x| x.name.trim_end_matches(" kommun"))
        .collect();
    match names.split_last() {
        Some((last, rest)) if rest.len() == 1 => format!("{}–{last}", rest[0]),
        Some((last, rest)) if !rest.is_empty() => format!("{} och {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

fn date((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Collaboration `index`'s spec: the demo's for 1, generated from 2.
pub(crate) fn spec(index: u32) -> Spec {
    if index <= 1 {
        return demo::spec();
    }
    let members = members(index);
    let mut people = Vec::new();
    for (j, role) in IT_ROLES.iter().enumerate() {
        // The IT department's staff are employed by the members in turn.
        let employer = &members[j % members.len()];
        people.push(Person {
            email: email(role, &employer.id),
            name: name(employer.seq * 31 + j),
            municipality: employer.id.clone(),
            role: (*role).into(),
            section: String::new(),
        });
    }
    for m in &members {
        for (j, (role, section)) in MUNICIPAL_ROLES.iter().enumerate() {
            people.push(Person {
                email: email(role, &m.id),
                name: name(m.seq * 31 + IT_ROLES.len() + j),
                municipality: m.id.clone(),
                role: (*role).into(),
                section: (*section).into(),
            });
        }
    }
    // IT-styrgruppen is chaired by a member's kommunchef that does not host.
    let chair = email("kommunchef", &members[1].id);
    Spec {
        id: collaboration_id(index),
        name: format!("IT-samverkan {}", joined(&members)),
        host: members[0].id.clone(),
        since: date(SINCE),
        decision_ref: format!(
            "Samverkansorganisation IT, beslutad av kommunstyrelserna {}-12-{:02}",
            SINCE.0 - 1,
            1 + index % 28
        ),
        members: members
            .iter()
            .map(|m| Member {
                id: m.id.clone(),
                name: m.name.clone(),
                joined_on: date(SINCE),
            })
            .collect(),
        people,
        styrgruppen_chair: Some(chair),
        collaboration_administrators: Vec::new(),
    }
}

/// Population of a municipality (drives the cost model): deterministic.
pub(crate) fn population(seq: usize) -> u64 {
    4_000 + (seq as u64 * 7_919 + 1_234) % 46_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_tenant_ids_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for seq in 0..2_000 {
            let m = muni(seq);
            assert!(samverkan_core::TenantId::parse(&m.id).is_ok(), "{}", m.id);
            assert!(seen.insert(m.id.clone()), "{} twice", m.id);
            assert!(m.id != "tranemo" && m.id != "ulricehamn");
        }
    }

    #[test]
    fn members_follow_each_other() {
        let a = members(2);
        let b = members(3);
        assert_eq!(a.len(), 4);
        assert_eq!(b.len(), 2);
        assert_eq!(a[0].name, "Herrljunga kommun");
        assert_eq!(b[0].seq, a[3].seq + 1);
        assert_eq!(spec(3).name, "IT-samverkan Mark–Alingsås");
    }
}
