//! The demo collaboration: Tranemo and Ulricehamn, members since 2022, and
//! their people. Loading it twice changes nothing. Later parts of the
//! organisation (roles, forums, seats) extend it.

use chrono::NaiveDate;
use uuid::Uuid;

use samverkan_core::{ApiError, CollaborationId};
use samverkan_db::Database;

pub use crate::bootstrap::Loaded;
use crate::bootstrap::{self, Member, Person, Spec};

/// The demo collaboration's fixed id, so that tokens, scripts and the
/// README can name it.
pub const COLLABORATION_ID: CollaborationId =
    CollaborationId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001));
pub const COLLABORATION_NAME: &str = "IT-samverkan Tranemo–Ulricehamn";
/// The member that hosts the joint IT department in the demo.
pub const HOST: &str = "ulricehamn";

/// A demo municipality.
pub struct DemoMunicipality {
    pub id: &'static str,
    pub name: &'static str,
    pub joined_on: (i32, u32, u32),
}

pub const MUNICIPALITIES: &[DemoMunicipality] = &[
    DemoMunicipality {
        id: "tranemo",
        name: "Tranemo kommun",
        joined_on: (2022, 1, 1),
    },
    DemoMunicipality {
        id: "ulricehamn",
        name: "Ulricehamns kommun",
        joined_on: (2022, 1, 1),
    },
];

/// A demo person: who they are and the role they hold.
pub struct DemoPerson {
    pub email: &'static str,
    pub name: &'static str,
    /// The employing municipality.
    pub municipality: &'static str,
    /// The code of the role they hold (see `domain::catalogue`).
    pub role: &'static str,
    /// The section a municipal role is held in, if any.
    pub section: &'static str,
}

const fn p(
    email: &'static str,
    name: &'static str,
    municipality: &'static str,
    role: &'static str,
) -> DemoPerson {
    DemoPerson {
        email,
        name,
        municipality,
        role,
        section: "",
    }
}

const fn ps(
    email: &'static str,
    name: &'static str,
    municipality: &'static str,
    role: &'static str,
    section: &'static str,
) -> DemoPerson {
    DemoPerson {
        email,
        name,
        municipality,
        role,
        section,
    }
}

/// A person in every role of docs/domain.md. The IT department's staff work
/// from both offices and are employed by either municipality.
pub const PEOPLE: &[DemoPerson] = &[
    p(
        "per.hakansson@ulricehamn.se",
        "Per Håkansson",
        "ulricehamn",
        "it-chef",
    ),
    p(
        "eva.dahlgren@ulricehamn.se",
        "Eva Dahlgren",
        "ulricehamn",
        "it-strateg",
    ),
    p(
        "sofia.lindstrom@tranemo.se",
        "Sofia Lindström",
        "tranemo",
        "e-samordnare",
    ),
    p(
        "nils.ekstrom@ulricehamn.se",
        "Nils Ekström",
        "ulricehamn",
        "it-sakerhetsansvarig",
    ),
    p(
        "ida.nyqvist@tranemo.se",
        "Ida Nyqvist",
        "tranemo",
        "it-koordinator",
    ),
    p(
        "oskar.bjork@ulricehamn.se",
        "Oskar Björk",
        "ulricehamn",
        "supportspecialist",
    ),
    p(
        "emil.sandstrom@tranemo.se",
        "Emil Sandström",
        "tranemo",
        "it-tekniker",
    ),
    p(
        "linnea.akesson@ulricehamn.se",
        "Linnéa Åkesson",
        "ulricehamn",
        "verksamhetsutvecklare",
    ),
    p(
        "anna.aberg@tranemo.se",
        "Anna Åberg",
        "tranemo",
        "kommunchef",
    ),
    p(
        "erik.ohman@tranemo.se",
        "Erik Öhman",
        "tranemo",
        "utvecklingschef",
    ),
    p(
        "karin.strom@tranemo.se",
        "Karin Ström",
        "tranemo",
        "informationssakerhetssamordnare",
    ),
    p(
        "goran.faltskog@tranemo.se",
        "Göran Fältskog",
        "tranemo",
        "sakerhetschef",
    ),
    ps(
        "helena.ros@tranemo.se",
        "Helena Ros",
        "tranemo",
        "sektionschef",
        "Socialtjänst",
    ),
    ps(
        "mats.lof@tranemo.se",
        "Mats Löf",
        "tranemo",
        "informationssakerhetshandlaggare",
        "Socialtjänst",
    ),
    p(
        "birgitta.ek@tranemo.se",
        "Birgitta Ek",
        "tranemo",
        "registrator",
    ),
    p(
        "jonas.hall@tranemo.se",
        "Jonas Hall",
        "tranemo",
        "personalchef",
    ),
    p(
        "lars.angstrom@ulricehamn.se",
        "Lars Ängström",
        "ulricehamn",
        "kommunchef",
    ),
    p(
        "maria.sjoberg@ulricehamn.se",
        "Maria Sjöberg",
        "ulricehamn",
        "utvecklingschef",
    ),
    p(
        "johan.backstrom@ulricehamn.se",
        "Johan Bäckström",
        "ulricehamn",
        "informationssakerhetssamordnare",
    ),
    p(
        "asa.wennberg@ulricehamn.se",
        "Åsa Wennberg",
        "ulricehamn",
        "sakerhetschef",
    ),
    ps(
        "peter.lund@ulricehamn.se",
        "Peter Lund",
        "ulricehamn",
        "sektionschef",
        "Barn och utbildning",
    ),
    ps(
        "sara.kallstrom@ulricehamn.se",
        "Sara Källström",
        "ulricehamn",
        "informationssakerhetshandlaggare",
        "Barn och utbildning",
    ),
    p(
        "ulla.berg@ulricehamn.se",
        "Ulla Berg",
        "ulricehamn",
        "registrator",
    ),
    p(
        "kristian.holm@ulricehamn.se",
        "Kristian Holm",
        "ulricehamn",
        "personalchef",
    ),
];

/// The demo's collaboration administrator (samverkansadministratör) besides
/// her role as IT-koordinator: she onboards a new member municipality.
pub const COLLABORATION_ADMINISTRATOR: &str = "ida.nyqvist@tranemo.se";

/// IT-styrgruppen's chair in the demo: Tranemo's kommunchef.
pub const STYRGRUPPEN_CHAIR: &str = "anna.aberg@tranemo.se";

/// The decision the demo organisation refers to.
pub const ORGANISATION_DECISION: &str =
    "Samverkansorganisation IT och digitalisering, beslutad 2021-12-09";

/// Finds a demo person by e-mail (case-insensitive).
pub fn person(email: &str) -> Option<&'static DemoPerson> {
    PEOPLE.iter().find(|p| p.email.eq_ignore_ascii_case(email))
}

/// The demo as a spec.
pub fn spec() -> Spec {
    let d = |(y, m, day): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
    Spec {
        id: COLLABORATION_ID,
        name: COLLABORATION_NAME.into(),
        host: HOST.into(),
        since: d((2022, 1, 1)),
        decision_ref: ORGANISATION_DECISION.into(),
        members: MUNICIPALITIES
            .iter()
            .map(|m| Member {
                id: m.id.into(),
                name: m.name.into(),
                joined_on: d(m.joined_on),
            })
            .collect(),
        people: PEOPLE
            .iter()
            .map(|p| Person {
                email: p.email.into(),
                name: p.name.into(),
                municipality: p.municipality.into(),
                role: p.role.into(),
                section: p.section.into(),
            })
            .collect(),
        styrgruppen_chair: Some(STYRGRUPPEN_CHAIR.into()),
        collaboration_administrators: vec![COLLABORATION_ADMINISTRATOR.into()],
    }
}

/// Loads the demo organisation; idempotent.
pub async fn load(db: &Database) -> Result<Loaded, ApiError> {
    bootstrap::bootstrap(db, &spec()).await
}
