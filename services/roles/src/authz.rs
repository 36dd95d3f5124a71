//! Loads what the permission table needs to know about a principal on the
//! request's date, and answers "may P do A on R".

use std::collections::HashMap;

use chrono::NaiveDate;
use samverkan_core::{ApiError, CollaborationId, TenantId};
use samverkan_db::Tx;
use uuid::Uuid;

use crate::domain::composition::{self, ExplicitSeat, HeldAssignment, RoleSeat};
use crate::domain::permissions::{
    self, Decision, Facts, HeldRole, HeldSeat, Newcomer, Target, administrator_roles,
};
use crate::store::{self, AssignmentFilter};

/// How many (principal, date, collaboration) facts a process keeps.
const KEPT_FACTS: usize = 8192;

/// Facts are kept by municipality, person, date and collaboration, and by
/// whether the municipality is a member of it that day.
type FactsKey = (TenantId, String, NaiveDate, CollaborationId, bool);

/// Facts about the transaction's principal within `collab` on the
/// request's date. Kept beside the pool until the registry changes (the
/// same change version the directory's callers are kept by): one read of
/// the version when kept, else five queries more, whatever the number of
/// roles and seats.
pub async fn facts(tx: &Tx, collab: CollaborationId) -> Result<Facts, ApiError> {
    let ctx = tx.ctx();
    // The version first: what is read after it is at least as new.
    let version = tx.version(store::DIRECTORY_VERSION).await?;
    let key = (
        ctx.principal.tenant.clone(),
        ctx.principal.subject.clone(),
        ctx.today,
        collab,
        ctx.scope.collaborations.contains(&collab),
    );
    let kept = tx.kept::<FactsKey, Facts>("permission facts", KEPT_FACTS);
    if let Some(facts) = kept.get(&key, |v| *v == version) {
        return Ok(facts);
    }
    let facts = read_facts(tx, collab).await?;
    kept.put(key, version, facts.clone(), |v| *v == version);
    Ok(facts)
}

/// [`facts`] from the registry: five queries.
async fn read_facts(tx: &Tx, collab: CollaborationId) -> Result<Facts, ApiError> {
    let ctx = tx.ctx();
    let mut facts = Facts {
        is_member: ctx.scope.collaborations.contains(&collab),
        tenant: ctx.principal.tenant.to_string(),
        ..Default::default()
    };
    if !facts.is_member {
        return Ok(facts);
    }
    let Some(person) = store::person_by_subject(tx, &ctx.principal.subject).await? else {
        return Ok(facts);
    };
    facts.person_id = Some(person.id);
    let filter = AssignmentFilter {
        collaboration: Some(collab.0),
        person: Some(person.id),
        on: Some(ctx.today),
        ..Default::default()
    };
    let assignments = store::list_assignments(tx, &filter, 0, 1000).await?;
    facts.roles = assignments
        .iter()
        .map(|a| HeldRole {
            code: a.role_code.clone(),
            municipality: a.municipality_id.clone(),
        })
        .collect();

    let forums = store::list_forums(tx, collab).await?;
    let forum_ids: Vec<Uuid> = forums.iter().map(|f| f.id).collect();
    let role_seats = store::role_seats(tx, &forum_ids).await?;
    let explicit = store::seats_in_force(tx, Some(&forum_ids), Some(person.id), ctx.today).await?;
    let held: Vec<HeldAssignment> = assignments.iter().map(held_assignment).collect();
    let mut by_forum: HashMap<Uuid, Vec<RoleSeat>> = HashMap::new();
    for rs in role_seats {
        by_forum
            .entry(rs.forum_id)
            .or_default()
            .push(role_seat(&rs));
    }
    for f in &forums {
        let own_explicit: Vec<ExplicitSeat> = explicit
            .iter()
            .filter(|s| s.forum_id == f.id)
            .map(explicit_seat)
            .collect();
        let seats = composition::compose(
            by_forum.get(&f.id).map_or(&[], Vec::as_slice),
            &held,
            &own_explicit,
        );
        facts.seats.extend(seats.into_iter().map(|s| HeldSeat {
            forum_id: f.id,
            forum_code: f.code.clone(),
            kind: s.kind,
        }));
    }
    Ok(facts)
}

pub(crate) fn held_assignment(a: &store::assignment::Model) -> HeldAssignment {
    HeldAssignment {
        id: a.id,
        person_id: a.person_id,
        role_code: a.role_code.clone(),
        municipality: a.municipality_id.clone(),
        deputy_for: a.deputy_for_person_id,
    }
}

pub(crate) fn role_seat(rs: &store::forum_role_seat::Model) -> RoleSeat {
    RoleSeat {
        role_code: rs.role_code.clone(),
        kind: store::seat_kind(&rs.kind),
        may_adjust: rs.may_adjust,
    }
}

pub(crate) fn explicit_seat(s: &store::seat::Model) -> ExplicitSeat {
    ExplicitSeat {
        id: s.id,
        person_id: s.person_id,
        kind: store::seat_kind(&s.kind),
        may_adjust: s.may_adjust,
    }
}

/// What `members.onboard` needs to know about `municipality` in `collab`
/// on the request's date: its memberships, and the administrator roles
/// held in it from that date on. Two queries.
pub async fn newcomer(
    tx: &Tx,
    collab: CollaborationId,
    municipality: &str,
) -> Result<Newcomer, ApiError> {
    let on = tx.ctx().today;
    let memberships = store::members(tx, collab, None)
        .await?
        .into_iter()
        .filter(|(m, _)| m.municipality_id == municipality)
        .map(|(m, _)| (m.joined_on, m.left_on))
        .collect();
    let filter = AssignmentFilter {
        collaboration: Some(collab.0),
        role_codes: administrator_roles()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        municipality: Some(municipality.to_owned()),
        ..Default::default()
    };
    let mut administrators: Vec<String> = store::list_assignments(tx, &filter, 0, 1000)
        .await?
        .into_iter()
        .filter(|a| a.valid_to.is_none_or(|to| to >= on))
        .map(|a| a.role_code)
        .collect();
    administrators.sort();
    administrators.dedup();
    Ok(Newcomer {
        on,
        memberships,
        administrators,
    })
}

/// Decides an action for the transaction's principal.
pub async fn decide(
    tx: &Tx,
    collab: CollaborationId,
    action: &str,
    target: &Target,
) -> Result<Decision, ApiError> {
    let facts = facts(tx, collab).await?;
    permissions::decide(action, &facts, target).ok_or_else(|| {
        ApiError::invalid_field(
            "action",
            format!("unknown action {action:?}; see docs/permissions.md"),
        )
    })
}

/// Fails with `PERMISSION_DENIED` and the reason unless the action is allowed.
pub async fn require(
    tx: &Tx,
    collab: CollaborationId,
    action: &str,
    target: &Target,
) -> Result<(), ApiError> {
    let d = decide(tx, collab, action, target).await?;
    if d.allowed {
        Ok(())
    } else {
        tracing::info!(action, reason = %d.reason, "permission denied");
        Err(ApiError::PermissionDenied(d.reason))
    }
}
