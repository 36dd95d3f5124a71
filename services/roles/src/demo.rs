//! The demo collaboration: Tranemo and Ulricehamn, members since 2022, and
//! their people. Loading it twice changes nothing. Later parts of the
//! organisation (roles, forums, seats) extend it.

use chrono::NaiveDate;
use sea_orm::EntityTrait;
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use samverkan_core::{ApiError, CollaborationId, RequestContext, TenantId, TenantScope};
use samverkan_db::{Access, Database, db_err};

use chrono::SubsecRound;

use crate::SERVICE;
use crate::domain::catalogue;
use crate::store::{self, assignment, membership, seat};

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

/// A person in every role of DESIGN.md §1. The IT department's staff work
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

/// IT-styrgruppen's chair in the demo: Tranemo's kommunchef.
pub const STYRGRUPPEN_CHAIR: &str = "anna.aberg@tranemo.se";

/// The decision the demo organisation refers to.
pub const ORGANISATION_DECISION: &str =
    "Samverkansorganisation IT och digitalisering, beslutad 2021-12-09";

/// Finds a demo person by e-mail (case-insensitive).
pub fn person(email: &str) -> Option<&'static DemoPerson> {
    PEOPLE.iter().find(|p| p.email.eq_ignore_ascii_case(email))
}

/// What a load added (all zero on a second run).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub municipalities: usize,
    pub collaborations: usize,
    pub memberships: usize,
    pub people: usize,
    pub catalogues: usize,
    pub assignments: usize,
    pub seats: usize,
}

fn tenant(id: &str) -> Result<TenantId, ApiError> {
    TenantId::parse(id).map_err(ApiError::internal_from)
}

/// Loads the demo organisation; idempotent.
pub async fn load(db: &Database) -> Result<Loaded, ApiError> {
    let mut loaded = Loaded::default();
    let host = tenant(HOST)?;
    // Municipalities first: the host must exist before its collaboration.
    for m in MUNICIPALITIES {
        let t = tenant(m.id)?;
        let ctx = RequestContext::system(TenantScope::private(t.clone()), "demo");
        let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
        if store::find_municipality(&tx, m.id).await?.is_none() {
            store::insert_municipality(&tx, &t, m.name, "").await?;
            loaded.municipalities += 1;
        }
        tx.commit().await?;
    }
    {
        let scope = TenantScope {
            tenant: host.clone(),
            collaborations: vec![COLLABORATION_ID],
            peers: vec![],
        };
        let ctx = RequestContext::system(scope, "demo");
        let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
        if crate::store::collaboration::Entity::find_by_id(COLLABORATION_ID.0)
            .one(tx.conn())
            .await
            .map_err(db_err)?
            .is_none()
        {
            store::insert_collaboration(&tx, COLLABORATION_ID, COLLABORATION_NAME, &host).await?;
            loaded.collaborations += 1;
        }
        tx.commit().await?;
    }
    for m in MUNICIPALITIES {
        let t = tenant(m.id)?;
        let scope = TenantScope {
            tenant: t.clone(),
            collaborations: vec![COLLABORATION_ID],
            peers: vec![],
        };
        let ctx = RequestContext::system(scope, "demo");
        let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
        let exists = membership::Entity::find()
            .filter(membership::Column::CollaborationId.eq(COLLABORATION_ID.0))
            .filter(membership::Column::MunicipalityId.eq(m.id))
            .one(tx.conn())
            .await
            .map_err(db_err)?
            .is_some();
        if !exists {
            let (y, mo, d) = m.joined_on;
            let joined = NaiveDate::from_ymd_opt(y, mo, d)
                .ok_or_else(|| ApiError::internal("demo join date"))?;
            store::insert_membership(&tx, COLLABORATION_ID, &t, joined).await?;
            loaded.memberships += 1;
        }
        tx.commit().await?;
    }
    for m in MUNICIPALITIES {
        let t = tenant(m.id)?;
        let ctx = RequestContext::system(TenantScope::private(t), "demo");
        let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
        for p in PEOPLE.iter().filter(|p| p.municipality == m.id) {
            if store::person_by_subject(&tx, p.email).await?.is_none() {
                store::insert_person(&tx, p.name, p.email, p.email).await?;
                loaded.people += 1;
            }
        }
        tx.commit().await?;
    }
    load_organisation(db, &mut loaded).await?;
    Ok(loaded)
}

/// The role catalogue, forums, everyone's assignment and IT-styrgruppen's
/// chair. Runs as the host municipality within the collaboration.
async fn load_organisation(db: &Database, loaded: &mut Loaded) -> Result<(), ApiError> {
    let since =
        NaiveDate::from_ymd_opt(2022, 1, 1).ok_or_else(|| ApiError::internal("demo date"))?;
    let peers = MUNICIPALITIES
        .iter()
        .filter(|m| m.id != HOST)
        .map(|m| tenant(m.id))
        .collect::<Result<_, _>>()?;
    let scope = TenantScope {
        tenant: tenant(HOST)?,
        collaborations: vec![COLLABORATION_ID],
        peers,
    };
    let ctx = RequestContext::system(scope, "demo");
    let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
    let mut roles = store::list_roles(&tx, COLLABORATION_ID).await?;
    if roles.is_empty() {
        store::seed_catalogue(&tx, COLLABORATION_ID, since).await?;
        loaded.catalogues += 1;
        roles = store::list_roles(&tx, COLLABORATION_ID).await?;
    }
    let people = store::people(&tx, None).await?;
    let existing = store::list_assignments(
        &tx,
        &store::AssignmentFilter {
            collaboration: Some(COLLABORATION_ID.0),
            ..Default::default()
        },
        0,
        10_000,
    )
    .await?;
    for d in PEOPLE {
        let person = people
            .iter()
            .find(|x| x.subject == d.email)
            .ok_or_else(|| ApiError::internal(format!("demo person {} missing", d.email)))?;
        if existing.iter().any(|a| a.person_id == person.id) {
            continue;
        }
        let role = roles
            .iter()
            .find(|r| r.code == d.role)
            .ok_or_else(|| ApiError::internal(format!("demo role {} missing", d.role)))?;
        let municipal =
            catalogue::role(d.role).is_some_and(|r| r.scope == catalogue::Scope::Municipality);
        store::insert_assignment(
            &tx,
            assignment::Model {
                id: samverkan_core::new_uuid(),
                collaboration_id: COLLABORATION_ID.0,
                person_id: person.id,
                role_id: role.id,
                role_code: role.code.clone(),
                municipality_id: municipal.then(|| d.municipality.to_owned()),
                section: d.section.to_owned(),
                valid_from: since,
                valid_to: None,
                decision_ref: ORGANISATION_DECISION.to_owned(),
                deputy_for_person_id: None,
                create_time: chrono::Utc::now().trunc_subsecs(6),
                etag: store::new_etag(),
            },
        )
        .await?;
        loaded.assignments += 1;
    }
    let forums = store::list_forums(&tx, COLLABORATION_ID).await?;
    let styrgruppen = forums
        .iter()
        .find(|f| f.code == catalogue::STYRGRUPPEN)
        .ok_or_else(|| ApiError::internal("demo forum missing"))?;
    let chair = people
        .iter()
        .find(|x| x.subject == STYRGRUPPEN_CHAIR)
        .ok_or_else(|| ApiError::internal("demo chair missing"))?;
    let seats = store::seats_in_force(&tx, Some(&[styrgruppen.id]), Some(chair.id), since).await?;
    if seats.is_empty() {
        store::insert_seat(
            &tx,
            seat::Model {
                id: samverkan_core::new_uuid(),
                collaboration_id: COLLABORATION_ID.0,
                forum_id: styrgruppen.id,
                person_id: chair.id,
                kind: catalogue::SeatKind::Chair.as_str().to_owned(),
                may_adjust: true,
                valid_from: since,
                valid_to: None,
                decision_ref: ORGANISATION_DECISION.to_owned(),
                create_time: chrono::Utc::now().trunc_subsecs(6),
                etag: store::new_etag(),
            },
        )
        .await?;
        loaded.seats += 1;
    }
    tx.commit().await
}
