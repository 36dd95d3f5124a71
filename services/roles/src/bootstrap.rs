//! Creating a collaboration from a spec: its municipalities and dated
//! memberships, the standard role catalogue and five forums, its people
//! with their first role assignments, and IT-styrgruppen's chair. Nobody
//! holds a role in a collaboration before it exists, so this is the
//! operator's act (`samverkan collaboration create --file spec.json`), and
//! the demo is one such spec. Running it again adds only what is missing.

use chrono::{NaiveDate, SubsecRound};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use samverkan_core::{ApiError, CollaborationId, RequestContext, TenantId, TenantScope};
use samverkan_db::{Database, db_err};

use crate::domain::catalogue;
use crate::store::{self, assignment, membership, seat};

/// A member municipality of the spec.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub joined_on: NaiveDate,
}

/// A person of the spec and the role they hold from the start.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Person {
    pub email: String,
    pub name: String,
    /// The employing municipality.
    pub municipality: String,
    /// A role code of the catalogue (see docs/permissions.md and `domain::catalogue`).
    pub role: String,
    /// The section a municipal role is held in, if any.
    #[serde(default)]
    pub section: String,
}

/// A collaboration to create.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Spec {
    pub id: CollaborationId,
    pub name: String,
    /// The member that hosts the joint IT department.
    pub host: String,
    /// The day the organisation (roles, forums, assignments) takes effect.
    pub since: NaiveDate,
    /// The decision the organisation rests on.
    pub decision_ref: String,
    pub members: Vec<Member>,
    pub people: Vec<Person>,
    /// E-mail of IT-styrgruppen's chair, if one is to be seated.
    #[serde(default)]
    pub styrgruppen_chair: Option<String>,
    /// E-mails of people (of `people`) who also hold the collaboration
    /// administrator role (samverkansadministratör) from `since`: they add
    /// members and register a new member's first administrator.
    #[serde(default)]
    pub collaboration_administrators: Vec<String>,
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

/// Creates (or completes) a collaboration from its spec; idempotent:
/// whatever exists already is left as it is.
pub async fn bootstrap(db: &Database, spec: &Spec) -> Result<Loaded, ApiError> {
    let mut loaded = Loaded::default();
    let collaboration = spec.id;
    let host = tenant(&spec.host)?;
    if !spec.members.iter().any(|m| m.id == spec.host) {
        return Err(ApiError::invalid_field(
            "host",
            "the host must be one of the members",
        ));
    }
    // Municipalities first: the host must exist before its collaboration.
    for m in &spec.members {
        let t = tenant(&m.id)?;
        let ctx = RequestContext::system(TenantScope::private(t.clone()), "demo");
        let tx = store::begin_write(db, &ctx).await?;
        if store::find_municipality(&tx, &m.id).await?.is_none() {
            store::insert_municipality(&tx, &t, &m.name, "").await?;
            loaded.municipalities += 1;
        }
        tx.commit().await?;
    }
    {
        let scope = TenantScope {
            tenant: host.clone(),
            collaborations: vec![collaboration],
            peers: vec![],
            former: Vec::new(),
        };
        let ctx = RequestContext::system(scope, "demo");
        let tx = store::begin_write(db, &ctx).await?;
        if crate::store::collaboration::Entity::find_by_id(collaboration.0)
            .one(tx.conn())
            .await
            .map_err(db_err)?
            .is_none()
        {
            store::insert_collaboration(&tx, collaboration, &spec.name, &host).await?;
            loaded.collaborations += 1;
        }
        tx.commit().await?;
    }
    for m in &spec.members {
        let t = tenant(&m.id)?;
        let scope = TenantScope {
            tenant: t.clone(),
            collaborations: vec![collaboration],
            peers: vec![],
            former: Vec::new(),
        };
        let ctx = RequestContext::system(scope, "demo");
        let tx = store::begin_write(db, &ctx).await?;
        let exists = membership::Entity::find()
            .filter(membership::Column::CollaborationId.eq(collaboration.0))
            .filter(membership::Column::MunicipalityId.eq(m.id.as_str()))
            .one(tx.conn())
            .await
            .map_err(db_err)?
            .is_some();
        if !exists {
            store::insert_membership(&tx, collaboration, &t, m.joined_on).await?;
            loaded.memberships += 1;
        }
        tx.commit().await?;
    }
    for m in &spec.members {
        let t = tenant(&m.id)?;
        let ctx = RequestContext::system(TenantScope::private(t), "demo");
        let tx = store::begin_write(db, &ctx).await?;
        for p in spec.people.iter().filter(|p| p.municipality == m.id) {
            if store::person_by_subject(&tx, &p.email).await?.is_none() {
                store::insert_person(&tx, &p.name, &p.email, &p.email, None).await?;
                loaded.people += 1;
            }
        }
        tx.commit().await?;
    }
    load_organisation(db, spec, &mut loaded).await?;
    Ok(loaded)
}

/// The role catalogue, forums, everyone's assignment and IT-styrgruppen's
/// chair. Runs as the host municipality within the collaboration.
async fn load_organisation(
    db: &Database,
    spec: &Spec,
    loaded: &mut Loaded,
) -> Result<(), ApiError> {
    let collaboration = spec.id;
    let since = spec.since;
    let peers = spec
        .members
        .iter()
        .filter(|m| m.id != spec.host)
        .map(|m| tenant(&m.id))
        .collect::<Result<_, _>>()?;
    let scope = TenantScope {
        tenant: tenant(&spec.host)?,
        collaborations: vec![collaboration],
        peers,
        former: Vec::new(),
    };
    let ctx = RequestContext::system(scope, "demo");
    let tx = store::begin_write(db, &ctx).await?;
    let mut roles = store::list_roles(&tx, collaboration).await?;
    if roles.is_empty() {
        store::seed_catalogue(&tx, collaboration, since).await?;
        loaded.catalogues += 1;
        roles = store::list_roles(&tx, collaboration).await?;
    }
    let people = store::people(&tx, None).await?;
    let existing = store::list_assignments(
        &tx,
        &store::AssignmentFilter {
            collaboration: Some(collaboration.0),
            ..Default::default()
        },
        0,
        10_000,
    )
    .await?;
    for d in &spec.people {
        let person = people
            .iter()
            .find(|x| x.subject == d.email)
            .ok_or_else(|| ApiError::internal(format!("person {} missing", d.email)))?;
        if existing.iter().any(|a| a.person_id == person.id) {
            continue;
        }
        let role = roles.iter().find(|r| r.code == d.role).ok_or_else(|| {
            ApiError::invalid_field(
                "people.role",
                format!("no role {:?} in the catalogue", d.role),
            )
        })?;
        let municipal =
            catalogue::role(&d.role).is_some_and(|r| r.scope == catalogue::Scope::Municipality);
        store::insert_assignment(
            &tx,
            assignment::Model {
                id: samverkan_core::new_uuid(),
                collaboration_id: collaboration.0,
                person_id: person.id,
                role_id: role.id,
                role_code: role.code.clone(),
                municipality_id: municipal.then(|| d.municipality.clone()),
                section: d.section.clone(),
                valid_from: since,
                valid_to: None,
                decision_ref: spec.decision_ref.clone(),
                deputy_for_person_id: None,
                create_time: chrono::Utc::now().trunc_subsecs(6),
                etag: store::new_etag(),
            },
        )
        .await?;
        loaded.assignments += 1;
    }
    for email in &spec.collaboration_administrators {
        let person = people.iter().find(|x| &x.subject == email).ok_or_else(|| {
            ApiError::invalid_field(
                "collaboration_administrators",
                format!("{email} is not one of the people"),
            )
        })?;
        let holds = existing
            .iter()
            .any(|a| a.person_id == person.id && a.role_code == catalogue::SAMVERKANSADMINISTRATOR);
        if holds {
            continue;
        }
        let role = roles
            .iter()
            .find(|r| r.code == catalogue::SAMVERKANSADMINISTRATOR)
            .ok_or_else(|| ApiError::internal("the catalogue lacks samverkansadministrator"))?;
        store::insert_assignment(
            &tx,
            assignment::Model {
                id: samverkan_core::new_uuid(),
                collaboration_id: collaboration.0,
                person_id: person.id,
                role_id: role.id,
                role_code: role.code.clone(),
                municipality_id: None,
                section: String::new(),
                valid_from: since,
                valid_to: None,
                decision_ref: spec.decision_ref.clone(),
                deputy_for_person_id: None,
                create_time: chrono::Utc::now().trunc_subsecs(6),
                etag: store::new_etag(),
            },
        )
        .await?;
        loaded.assignments += 1;
    }
    let forums = store::list_forums(&tx, collaboration).await?;
    let styrgruppen = forums
        .iter()
        .find(|f| f.code == catalogue::STYRGRUPPEN)
        .ok_or_else(|| ApiError::internal("standard forum missing"))?;
    let chair = match &spec.styrgruppen_chair {
        Some(email) => Some(people.iter().find(|x| &x.subject == email).ok_or_else(|| {
            ApiError::invalid_field("styrgruppen_chair", "not one of the people")
        })?),
        None => None,
    };
    let seats = match chair {
        Some(c) => store::seats_in_force(&tx, Some(&[styrgruppen.id]), Some(c.id), since).await?,
        None => Vec::new(),
    };
    if let Some(chair) = chair.filter(|_| seats.is_empty()) {
        store::insert_seat(
            &tx,
            seat::Model {
                id: samverkan_core::new_uuid(),
                collaboration_id: collaboration.0,
                forum_id: styrgruppen.id,
                person_id: chair.id,
                kind: catalogue::SeatKind::Chair.as_str().to_owned(),
                may_adjust: true,
                valid_from: since,
                valid_to: None,
                decision_ref: spec.decision_ref.clone(),
                create_time: chrono::Utc::now().trunc_subsecs(6),
                etag: store::new_etag(),
            },
        )
        .await?;
        loaded.seats += 1;
    }
    tx.commit().await
}
