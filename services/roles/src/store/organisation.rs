//! Queries of the organisation proper: the role catalogue, forums, their
//! mandates and seats, and dated assignments. All rows are shared with
//! their collaboration.

use chrono::NaiveDate;
use sea_orm::entity::prelude::*;
use sea_orm::{Condition, QueryOrder, QuerySelect};
use serde_json::json;

use samverkan_core::{ApiError, CollaborationId};
use samverkan_db::{Tx, db_err, rls};

use super::{assignment, forum, forum_role_seat, mandate, membership, new_etag, role, seat};
use crate::domain::catalogue::{self, SeatKind};
use samverkan_db::now;

/// Seeds a new collaboration's role catalogue and its five forums with
/// their role seats and first mandates (effective `on`). One audit entry.
pub async fn seed_catalogue(
    tx: &Tx,
    collab: CollaborationId,
    on: NaiveDate,
) -> Result<(), ApiError> {
    let created = now();
    let roles: Vec<role::ActiveModel> = catalogue::ROLES
        .iter()
        .map(|r| {
            role::ActiveModel::from(role::Model {
                id: samverkan_core::new_uuid(),
                collaboration_id: collab.0,
                code: r.code.to_owned(),
                display_name: r.display_name.to_owned(),
                scope: r.scope.as_str().to_owned(),
                create_time: created,
            })
        })
        .collect();
    role::Entity::insert_many(roles)
        .exec(tx.conn())
        .await
        .map_err(db_err)?;

    let mut ids = std::collections::HashMap::new();
    for f in catalogue::FORUMS {
        ids.insert(f.code, samverkan_core::new_uuid());
    }
    // Parents first: the top forum has no parent.
    let mut ordered: Vec<_> = catalogue::FORUMS.iter().collect();
    ordered.sort_by_key(|f| f.reports_to.is_some());
    for f in ordered {
        let id = ids[f.code];
        forum::ActiveModel::from(forum::Model {
            id,
            collaboration_id: collab.0,
            code: f.code.to_owned(),
            name: f.name.to_owned(),
            reports_to_forum_id: f.reports_to.map(|p| ids[p]),
            create_time: created,
        })
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
        for rs in f.role_seats {
            forum_role_seat::ActiveModel::from(forum_role_seat::Model {
                id: samverkan_core::new_uuid(),
                collaboration_id: collab.0,
                forum_id: id,
                role_code: rs.role_code.to_owned(),
                kind: rs.kind.as_str().to_owned(),
                may_adjust: rs.may_adjust,
            })
            .insert(tx.conn())
            .await
            .map_err(db_err)?;
        }
        mandate::ActiveModel::from(mandate::Model {
            id: samverkan_core::new_uuid(),
            collaboration_id: collab.0,
            subject_kind: "forum".into(),
            subject_id: id,
            version: 1,
            text: f.mandate.to_owned(),
            effective_from: on,
            decision_ref: String::new(),
            created_by: tx.ctx().principal.subject.clone(),
            create_time: created,
        })
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    }
    tx.audit(
        format!("collaborations/{collab}/catalogue"),
        &json!({"seed": {"roles": catalogue::ROLES.len(), "forums": catalogue::FORUMS.len(), "effective_from": on}}),
    )
    .await
}

pub async fn list_roles(tx: &Tx, collab: CollaborationId) -> Result<Vec<role::Model>, ApiError> {
    role::Entity::find()
        .filter(rls::shared(tx.scope(), role::Column::CollaborationId))
        .filter(role::Column::CollaborationId.eq(collab.0))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_role(tx: &Tx, id: Uuid) -> Result<Option<role::Model>, ApiError> {
    role::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), role::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn list_forums(tx: &Tx, collab: CollaborationId) -> Result<Vec<forum::Model>, ApiError> {
    forum::Entity::find()
        .filter(rls::shared(tx.scope(), forum::Column::CollaborationId))
        .filter(forum::Column::CollaborationId.eq(collab.0))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_forum(tx: &Tx, id: Uuid) -> Result<Option<forum::Model>, ApiError> {
    forum::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), forum::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// Role seats of the given forums, in one query.
pub async fn role_seats(
    tx: &Tx,
    forum_ids: &[Uuid],
) -> Result<Vec<forum_role_seat::Model>, ApiError> {
    forum_role_seat::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            forum_role_seat::Column::CollaborationId,
        ))
        .filter(forum_role_seat::Column::ForumId.is_in(forum_ids.iter().copied()))
        .order_by_asc(forum_role_seat::Column::RoleCode)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// Every mandate version of a role or forum, newest first.
pub async fn list_mandates(tx: &Tx, subject: Uuid) -> Result<Vec<mandate::Model>, ApiError> {
    mandate::Entity::find()
        .filter(rls::shared(tx.scope(), mandate::Column::CollaborationId))
        .filter(mandate::Column::SubjectId.eq(subject))
        .order_by_desc(mandate::Column::Version)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// The mandate versions in force on `on` for each subject: the highest
/// version whose effective date has come. One query for all subjects.
pub async fn mandates_in_force(
    tx: &Tx,
    subjects: &[Uuid],
    on: NaiveDate,
) -> Result<Vec<mandate::Model>, ApiError> {
    let all = mandate::Entity::find()
        .filter(rls::shared(tx.scope(), mandate::Column::CollaborationId))
        .filter(mandate::Column::SubjectId.is_in(subjects.iter().copied()))
        .filter(mandate::Column::EffectiveFrom.lte(on))
        .order_by_desc(mandate::Column::Version)
        .all(tx.conn())
        .await
        .map_err(db_err)?;
    let mut seen = std::collections::HashSet::new();
    Ok(all
        .into_iter()
        .filter(|m| seen.insert(m.subject_id))
        .collect())
}

/// Adds the next version of a mandate.
pub async fn insert_mandate(
    tx: &Tx,
    collab: Uuid,
    subject_kind: &str,
    subject: Uuid,
    text: &str,
    effective_from: NaiveDate,
    decision_ref: &str,
) -> Result<mandate::Model, ApiError> {
    let last: Option<i32> = mandate::Entity::find()
        .select_only()
        .column_as(mandate::Column::Version.max(), "v")
        .filter(mandate::Column::SubjectId.eq(subject))
        .into_tuple::<Option<i32>>()
        .one(tx.conn())
        .await
        .map_err(db_err)?
        .flatten();
    // The subject's counter (`samverkan_db::series`) allocates the version:
    // concurrent writers on any instance get distinct versions.
    let version = tx
        .next_number(
            "mandate",
            &subject.to_string(),
            collab,
            i64::from(last.unwrap_or(0)),
        )
        .await?;
    let version = i32::try_from(version).map_err(ApiError::internal_from)?;
    let m = mandate::Model {
        id: samverkan_core::new_uuid(),
        collaboration_id: collab,
        subject_kind: subject_kind.to_owned(),
        subject_id: subject,
        version,
        text: text.to_owned(),
        effective_from,
        decision_ref: decision_ref.to_owned(),
        created_by: tx.ctx().principal.subject.clone(),
        create_time: now(),
    };
    mandate::ActiveModel::from(m.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("{subject_kind}s/{subject}/mandates/{}", m.version),
        &json!({"create": {"version": m.version, "text": text, "effective_from": effective_from, "decision_ref": decision_ref}}),
    )
    .await?;
    Ok(m)
}

/// An interval `[from, to]` in force on `on`, as a query condition.
fn in_force<C: ColumnTrait>(from: C, to: C, on: NaiveDate) -> Condition {
    Condition::all()
        .add(from.lte(on))
        .add(Condition::any().add(to.is_null()).add(to.gte(on)))
}

/// Filter for listing assignments.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub collaboration: Option<Uuid>,
    pub role_codes: Vec<String>,
    pub municipality: Option<String>,
    pub person: Option<Uuid>,
    /// `None`: full history.
    pub on: Option<NaiveDate>,
}

pub async fn list_assignments(
    tx: &Tx,
    f: &AssignmentFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<assignment::Model>, ApiError> {
    let mut q = assignment::Entity::find()
        .filter(rls::shared(tx.scope(), assignment::Column::CollaborationId));
    if let Some(c) = f.collaboration {
        q = q.filter(assignment::Column::CollaborationId.eq(c));
    }
    if !f.role_codes.is_empty() {
        q = q.filter(assignment::Column::RoleCode.is_in(f.role_codes.iter().cloned()));
    }
    if let Some(m) = &f.municipality {
        q = q.filter(assignment::Column::MunicipalityId.eq(m.as_str()));
    }
    if let Some(p) = f.person {
        q = q.filter(assignment::Column::PersonId.eq(p));
    }
    if let Some(on) = f.on {
        q = q.filter(in_force(
            assignment::Column::ValidFrom,
            assignment::Column::ValidTo,
            on,
        ));
    }
    q.order_by_desc(assignment::Column::ValidFrom)
        .order_by_asc(assignment::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_assignment(tx: &Tx, id: Uuid) -> Result<Option<assignment::Model>, ApiError> {
    assignment::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), assignment::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn insert_assignment(
    tx: &Tx,
    a: assignment::Model,
) -> Result<assignment::Model, ApiError> {
    assignment::ActiveModel::from(a.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("assignments/{}", a.id),
        &json!({"create": {
            "person": a.person_id, "role": a.role_code, "municipality": a.municipality_id, "section": a.section,
            "valid_from": a.valid_from, "valid_to": a.valid_to, "decision_ref": a.decision_ref,
            "deputy_for": a.deputy_for_person_id,
        }}),
    )
    .await?;
    Ok(a)
}

/// Sets an assignment's last day if `etag` is still current.
pub async fn end_assignment(
    tx: &Tx,
    a: &assignment::Model,
    valid_to: NaiveDate,
    etag: &str,
) -> Result<assignment::Model, ApiError> {
    let new_etag = new_etag();
    let update = assignment::Entity::update_many()
        .col_expr(assignment::Column::ValidTo, Expr::value(valid_to))
        .col_expr(assignment::Column::Etag, Expr::value(new_etag.clone()))
        .filter(assignment::Column::Id.eq(a.id));
    tx.save_checked(
        update,
        assignment::Column::Etag,
        etag,
        "assignment",
        format!("assignments/{}", a.id),
        &json!({"end": {"valid_to": valid_to, "previous_valid_to": a.valid_to}}),
    )
    .await?;
    Ok(assignment::Model {
        valid_to: Some(valid_to),
        etag: new_etag,
        ..a.clone()
    })
}

/// What a municipality that leaves on `left_on` holds past that day in the
/// collaboration: the role assignments held in it or by its people, and
/// its people's explicit seats, each running on after `left_on`. Two
/// statements however many there are.
pub async fn held_past(
    tx: &Tx,
    collab: CollaborationId,
    municipality: &str,
    people: &[Uuid],
    left_on: NaiveDate,
) -> Result<(Vec<assignment::Model>, Vec<seat::Model>), ApiError> {
    let assignments = assignment::Entity::find()
        .filter(rls::shared(tx.scope(), assignment::Column::CollaborationId))
        .filter(assignment::Column::CollaborationId.eq(collab.0))
        .filter(
            Condition::any()
                .add(assignment::Column::MunicipalityId.eq(municipality))
                .add(assignment::Column::PersonId.is_in(people.iter().copied())),
        )
        .filter(assignment::Column::ValidFrom.lte(left_on))
        .filter(
            Condition::any()
                .add(assignment::Column::ValidTo.is_null())
                .add(assignment::Column::ValidTo.gt(left_on)),
        )
        .order_by_asc(assignment::Column::ValidFrom)
        .order_by_asc(assignment::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)?;
    let seats = seat::Entity::find()
        .filter(rls::shared(tx.scope(), seat::Column::CollaborationId))
        .filter(seat::Column::CollaborationId.eq(collab.0))
        .filter(seat::Column::PersonId.is_in(people.iter().copied()))
        .filter(seat::Column::ValidFrom.lte(left_on))
        .filter(
            Condition::any()
                .add(seat::Column::ValidTo.is_null())
                .add(seat::Column::ValidTo.gt(left_on)),
        )
        .order_by_asc(seat::Column::ValidFrom)
        .order_by_asc(seat::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)?;
    Ok((assignments, seats))
}

/// Ends the assignments and seats [`held_past`] found on `valid_to`, in
/// one statement each, as the leaving municipality's `membership` ends,
/// with one audit entry on the membership naming them. `ABORTED` if any of
/// them changed since it was read.
pub async fn end_held(
    tx: &Tx,
    membership: &membership::Model,
    assignments: Vec<assignment::Model>,
    seats: Vec<seat::Model>,
    valid_to: NaiveDate,
) -> Result<(Vec<assignment::Model>, Vec<seat::Model>), ApiError> {
    let changed = || {
        ApiError::Aborted(
            "a role assignment or seat of the leaving municipality changed meanwhile; try again"
                .into(),
        )
    };
    let new_etag = new_etag();
    if !assignments.is_empty() {
        let read: Vec<Condition> = assignments
            .iter()
            .map(|a| {
                Condition::all()
                    .add(assignment::Column::Id.eq(a.id))
                    .add(assignment::Column::Etag.eq(a.etag.as_str()))
            })
            .collect();
        let res = assignment::Entity::update_many()
            .col_expr(assignment::Column::ValidTo, Expr::value(valid_to))
            .col_expr(assignment::Column::Etag, Expr::value(new_etag.clone()))
            .filter(read.into_iter().fold(Condition::any(), Condition::add))
            .exec(tx.conn())
            .await
            .map_err(db_err)?;
        if res.rows_affected != assignments.len() as u64 {
            return Err(changed());
        }
    }
    if !seats.is_empty() {
        let read: Vec<Condition> = seats
            .iter()
            .map(|s| {
                Condition::all()
                    .add(seat::Column::Id.eq(s.id))
                    .add(seat::Column::Etag.eq(s.etag.as_str()))
            })
            .collect();
        let res = seat::Entity::update_many()
            .col_expr(seat::Column::ValidTo, Expr::value(valid_to))
            .col_expr(seat::Column::Etag, Expr::value(new_etag.clone()))
            .filter(read.into_iter().fold(Condition::any(), Condition::add))
            .exec(tx.conn())
            .await
            .map_err(db_err)?;
        if res.rows_affected != seats.len() as u64 {
            return Err(changed());
        }
    }
    if !assignments.is_empty() || !seats.is_empty() {
        tx.audit(
            format!(
                "collaborations/{}/memberships/{}",
                membership.collaboration_id, membership.id
            ),
            &json!({"ended_with": {"valid_to": valid_to,
                    "assignments": assignments.iter().map(|a| a.id).collect::<Vec<_>>(),
                    "seats": seats.iter().map(|s| s.id).collect::<Vec<_>>()}}),
        )
        .await?;
    }
    Ok((
        assignments
            .into_iter()
            .map(|a| assignment::Model {
                valid_to: Some(valid_to),
                etag: new_etag.clone(),
                ..a
            })
            .collect(),
        seats
            .into_iter()
            .map(|s| seat::Model {
                valid_to: Some(valid_to),
                etag: new_etag.clone(),
                ..s
            })
            .collect(),
    ))
}

/// Explicit seats in force on `on`, of the given forums and optionally one person.
pub async fn seats_in_force(
    tx: &Tx,
    forum_ids: Option<&[Uuid]>,
    person: Option<Uuid>,
    on: NaiveDate,
) -> Result<Vec<seat::Model>, ApiError> {
    let mut q = seat::Entity::find()
        .filter(rls::shared(tx.scope(), seat::Column::CollaborationId))
        .filter(in_force(seat::Column::ValidFrom, seat::Column::ValidTo, on));
    if let Some(ids) = forum_ids {
        q = q.filter(seat::Column::ForumId.is_in(ids.iter().copied()));
    }
    if let Some(p) = person {
        q = q.filter(seat::Column::PersonId.eq(p));
    }
    q.order_by_asc(seat::Column::ValidFrom)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_seat(tx: &Tx, id: Uuid) -> Result<Option<seat::Model>, ApiError> {
    seat::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), seat::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn insert_seat(tx: &Tx, s: seat::Model) -> Result<seat::Model, ApiError> {
    seat::ActiveModel::from(s.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("forums/{}/seats/{}", s.forum_id, s.id),
        &json!({"create": {"person": s.person_id, "kind": s.kind, "may_adjust": s.may_adjust,
                "valid_from": s.valid_from, "valid_to": s.valid_to, "decision_ref": s.decision_ref}}),
    )
    .await?;
    Ok(s)
}

pub async fn end_seat(
    tx: &Tx,
    s: &seat::Model,
    valid_to: NaiveDate,
    etag: &str,
) -> Result<seat::Model, ApiError> {
    let new_etag = new_etag();
    let update = seat::Entity::update_many()
        .col_expr(seat::Column::ValidTo, Expr::value(valid_to))
        .col_expr(seat::Column::Etag, Expr::value(new_etag.clone()))
        .filter(seat::Column::Id.eq(s.id));
    tx.save_checked(
        update,
        seat::Column::Etag,
        etag,
        "seat",
        format!("forums/{}/seats/{}", s.forum_id, s.id),
        &json!({"end": {"valid_to": valid_to}}),
    )
    .await?;
    Ok(seat::Model {
        valid_to: Some(valid_to),
        etag: new_etag,
        ..s.clone()
    })
}

/// Parses a stored seat kind; a stored value is always one we wrote.
pub fn seat_kind(s: &str) -> SeatKind {
    SeatKind::parse(s).unwrap_or(SeatKind::Member)
}
