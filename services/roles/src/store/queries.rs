use chrono::{NaiveDate, SubsecRound, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{Condition, QueryOrder};
use serde_json::json;

use samverkan_core::{ApiError, CollaborationId, TenantId};
use samverkan_db::{Tx, db_err, rls};

use super::{collaboration, membership, municipality, person};

pub use samverkan_db::new_etag;

/// A membership with its collaboration.
pub type MembershipRow = (membership::Model, collaboration::Model);

fn in_force_on(on: NaiveDate) -> Condition {
    Condition::all()
        .add(membership::Column::JoinedOn.lte(on))
        .add(
            Condition::any()
                .add(membership::Column::LeftOn.is_null())
                .add(membership::Column::LeftOn.gte(on)),
        )
}

/// A municipality's own memberships, and those of the collaborations it
/// belongs to (or, recorded before it left, belonged to).
fn membership_visible(tx: &Tx) -> Condition {
    let scope = tx.scope();
    Condition::any()
        .add(membership::Column::MunicipalityId.eq(scope.tenant.as_str()))
        .add(rls::shared(scope, membership::Column::CollaborationId))
}

/// The municipality with this id, if the deployment knows it.
pub async fn find_municipality(tx: &Tx, id: &str) -> Result<Option<municipality::Model>, ApiError> {
    municipality::Entity::find_by_id(id.to_owned())
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// Municipalities by id, in no particular order.
pub async fn municipalities(tx: &Tx, ids: &[String]) -> Result<Vec<municipality::Model>, ApiError> {
    municipality::Entity::find()
        .filter(municipality::Column::Id.is_in(ids.iter().cloned()))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// Memberships in force on `on` that the transaction's scope may see, with
/// their collaborations (one query each, not one per membership).
pub async fn memberships_in_force(tx: &Tx, on: NaiveDate) -> Result<Vec<MembershipRow>, ApiError> {
    let rows = membership::Entity::find()
        .filter(membership_visible(tx))
        .filter(in_force_on(on))
        .order_by_asc(membership::Column::JoinedOn)
        .order_by_asc(membership::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)?;
    with_collaborations(tx, rows).await
}

/// Memberships with their collaborations, in one more query.
async fn with_collaborations(
    tx: &Tx,
    rows: Vec<membership::Model>,
) -> Result<Vec<MembershipRow>, ApiError> {
    let mut ids: Vec<Uuid> = rows.iter().map(|m| m.collaboration_id).collect();
    ids.sort();
    ids.dedup();
    let collabs = collaboration::Entity::find()
        .filter(collaboration::Column::Id.is_in(ids))
        .all(tx.conn())
        .await
        .map_err(db_err)?;
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            let c = collabs.iter().find(|c| c.id == m.collaboration_id)?.clone();
            Some((m, c))
        })
        .collect())
}

/// The scope's own memberships whose last day is before `on`, with their
/// collaborations: what a former member may still read the history of.
pub async fn memberships_ended(tx: &Tx, on: NaiveDate) -> Result<Vec<MembershipRow>, ApiError> {
    let rows = membership::Entity::find()
        .filter(membership::Column::MunicipalityId.eq(tx.scope().tenant.as_str()))
        .filter(membership::Column::LeftOn.lt(on))
        .order_by_asc(membership::Column::JoinedOn)
        .order_by_asc(membership::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)?;
    with_collaborations(tx, rows).await
}

/// The person with this identity-provider subject in the scope's own municipality.
pub async fn person_by_subject(tx: &Tx, subject: &str) -> Result<Option<person::Model>, ApiError> {
    person::Entity::find()
        .filter(rls::own(tx.scope(), person::Column::OwnerTenant))
        .filter(person::Column::Subject.eq(subject))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// Registers a municipality (a new tenant of the deployment). Audited in
/// the new municipality's own chain.
pub async fn insert_municipality(
    tx: &Tx,
    id: &TenantId,
    name: &str,
    organisation_number: &str,
) -> Result<municipality::Model, ApiError> {
    let m = municipality::Model {
        id: id.to_string(),
        name: name.to_owned(),
        organisation_number: organisation_number.to_owned(),
        create_time: Utc::now().trunc_subsecs(6),
        etag: new_etag(),
    };
    municipality::ActiveModel::from(m.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("municipalities/{id}"),
        &json!({"create": {"name": name, "organisation_number": organisation_number}}),
    )
    .await?;
    Ok(m)
}

/// Registers a collaboration hosted by `host`.
pub async fn insert_collaboration(
    tx: &Tx,
    id: CollaborationId,
    name: &str,
    host: &TenantId,
) -> Result<collaboration::Model, ApiError> {
    let c = collaboration::Model {
        id: id.0,
        name: name.to_owned(),
        host_municipality_id: host.to_string(),
        create_time: Utc::now().trunc_subsecs(6),
        etag: new_etag(),
    };
    collaboration::ActiveModel::from(c.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("collaborations/{id}"),
        &json!({"create": {"name": name, "host": host}}),
    )
    .await?;
    Ok(c)
}

/// Records that `municipality` joins `collaboration` on `joined_on`.
pub async fn insert_membership(
    tx: &Tx,
    collaboration: CollaborationId,
    municipality: &TenantId,
    joined_on: NaiveDate,
) -> Result<membership::Model, ApiError> {
    let m = membership::Model {
        id: samverkan_core::new_uuid(),
        collaboration_id: collaboration.0,
        municipality_id: municipality.to_string(),
        joined_on,
        left_on: None,
        create_time: Utc::now().trunc_subsecs(6),
    };
    membership::ActiveModel::from(m.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("collaborations/{collaboration}/memberships/{}", m.id),
        &json!({"create": {"municipality": municipality, "joined_on": joined_on}}),
    )
    .await?;
    Ok(m)
}

/// Registers a person employed by the scope's own municipality.
/// `onboarded_by`: the municipality of a collaboration administrator who
/// registers the person for a new member (recorded in the audit entry).
pub async fn insert_person(
    tx: &Tx,
    display_name: &str,
    email: &str,
    subject: &str,
    onboarded_by: Option<&str>,
) -> Result<person::Model, ApiError> {
    let now = Utc::now().trunc_subsecs(6);
    let p = person::Model {
        id: samverkan_core::new_uuid(),
        owner_tenant: tx.scope().tenant.to_string(),
        display_name: display_name.to_owned(),
        email: email.to_owned(),
        subject: subject.to_owned(),
        create_time: now,
        update_time: now,
        etag: new_etag(),
    };
    person::ActiveModel::from(p.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    let mut change =
        json!({"create": {"display_name": display_name, "email": email, "subject": subject}});
    if let Some(by) = onboarded_by {
        change["onboarded_by"] = json!({"subject": tx.ctx().principal.subject, "municipality": by});
    }
    tx.audit(format!("people/{}", p.id), &change).await?;
    Ok(p)
}

/// Every municipality id the deployment knows, for operational commands
/// that walk each tenant (audit verification). Reads the registry, which is
/// not tenant data.
pub async fn all_municipality_ids(db: &samverkan_db::Database) -> Result<Vec<TenantId>, ApiError> {
    let rows = db
        .query_admin("SELECT id FROM municipalities ORDER BY id")
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("", "id").map_err(db_err)?;
            TenantId::parse(&id).map_err(ApiError::internal_from)
        })
        .collect()
}

/// A municipality's memberships of one collaboration, all of them or those
/// in force on a date, ordered by join date.
pub async fn members(
    tx: &Tx,
    collab: CollaborationId,
    on: Option<NaiveDate>,
) -> Result<Vec<MembershipRow>, ApiError> {
    let mut q = membership::Entity::find()
        .filter(membership_visible(tx))
        .filter(membership::Column::CollaborationId.eq(collab.0));
    if let Some(on) = on {
        q = q.filter(in_force_on(on));
    }
    let rows = q
        .order_by_asc(membership::Column::JoinedOn)
        .order_by_asc(membership::Column::MunicipalityId)
        .all(tx.conn())
        .await
        .map_err(db_err)?;
    let Some(c) = collaboration::Entity::find_by_id(collab.0)
        .one(tx.conn())
        .await
        .map_err(db_err)?
    else {
        return Ok(Vec::new());
    };
    Ok(rows.into_iter().map(|m| (m, c.clone())).collect())
}

/// Sets the last day of a membership.
pub async fn end_membership(
    tx: &Tx,
    m: &membership::Model,
    left_on: NaiveDate,
    decision_ref: &str,
) -> Result<membership::Model, ApiError> {
    let mut am: membership::ActiveModel = m.clone().into();
    am.left_on = sea_orm::ActiveValue::Set(Some(left_on));
    let updated = am.update(tx.conn()).await.map_err(db_err)?;
    tx.audit(
        format!("collaborations/{}/memberships/{}", m.collaboration_id, m.id),
        &json!({"end": {"municipality": m.municipality_id, "left_on": left_on, "decision_ref": decision_ref}}),
    )
    .await?;
    Ok(updated)
}

pub async fn find_collaboration(
    tx: &Tx,
    id: CollaborationId,
) -> Result<Option<collaboration::Model>, ApiError> {
    if !tx.scope().reads(&id) {
        return Ok(None);
    }
    collaboration::Entity::find_by_id(id.0)
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// People visible to the scope (own and peers'), optionally of one
/// municipality. Sorted in Swedish order by the caller.
pub async fn people(tx: &Tx, municipality: Option<&str>) -> Result<Vec<person::Model>, ApiError> {
    let mut q =
        person::Entity::find().filter(rls::own_or_peers(tx.scope(), person::Column::OwnerTenant));
    if let Some(m) = municipality {
        q = q.filter(person::Column::OwnerTenant.eq(m));
    }
    q.all(tx.conn()).await.map_err(db_err)
}

/// People by id, visible to the scope (one query).
pub async fn people_by_ids(tx: &Tx, ids: &[Uuid]) -> Result<Vec<person::Model>, ApiError> {
    person::Entity::find()
        .filter(rls::own_or_peers(tx.scope(), person::Column::OwnerTenant))
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_person(tx: &Tx, id: Uuid) -> Result<Option<person::Model>, ApiError> {
    Ok(people_by_ids(tx, &[id]).await?.into_iter().next())
}

/// Updates a person of the scope's own municipality if `etag` is current.
pub async fn update_person(
    tx: &Tx,
    p: &person::Model,
    display_name: &str,
    email: &str,
    subject: &str,
    etag: &str,
) -> Result<person::Model, ApiError> {
    let new_etag = new_etag();
    let now = Utc::now().trunc_subsecs(6);
    let update = person::Entity::update_many()
        .col_expr(person::Column::DisplayName, Expr::value(display_name))
        .col_expr(person::Column::Email, Expr::value(email))
        .col_expr(person::Column::Subject, Expr::value(subject))
        .col_expr(person::Column::UpdateTime, Expr::value(now))
        .col_expr(person::Column::Etag, Expr::value(new_etag.clone()))
        .filter(rls::own(tx.scope(), person::Column::OwnerTenant))
        .filter(person::Column::Id.eq(p.id));
    tx.save_checked(
        update,
        person::Column::Etag,
        etag,
        "person",
        format!("people/{}", p.id),
        &json!({"update": {"display_name": display_name, "email": email, "subject": subject}, "before": {"display_name": p.display_name, "email": p.email, "subject": p.subject}}),
    )
    .await?;
    Ok(person::Model {
        display_name: display_name.to_owned(),
        email: email.to_owned(),
        subject: subject.to_owned(),
        update_time: now,
        etag: new_etag,
        ..p.clone()
    })
}

/// Updates a municipality's name and organisation number if `etag` is current.
pub async fn update_municipality(
    tx: &Tx,
    m: &municipality::Model,
    name: &str,
    organisation_number: &str,
    etag: &str,
) -> Result<municipality::Model, ApiError> {
    let new_etag = new_etag();
    let update = municipality::Entity::update_many()
        .col_expr(municipality::Column::Name, Expr::value(name))
        .col_expr(
            municipality::Column::OrganisationNumber,
            Expr::value(organisation_number),
        )
        .col_expr(municipality::Column::Etag, Expr::value(new_etag.clone()))
        .filter(municipality::Column::Id.eq(m.id.as_str()));
    tx.save_checked(
        update,
        municipality::Column::Etag,
        etag,
        "municipality",
        format!("municipalities/{}", m.id),
        &json!({"update": {"name": name, "organisation_number": organisation_number}}),
    )
    .await?;
    Ok(municipality::Model {
        name: name.to_owned(),
        organisation_number: organisation_number.to_owned(),
        etag: new_etag,
        ..m.clone()
    })
}

/// Every collaboration with its host municipality, for background work
/// that runs per collaboration (outbox delivery). Reads the registry.
pub async fn all_collaborations(
    db: &samverkan_db::Database,
) -> Result<Vec<(CollaborationId, TenantId)>, ApiError> {
    let rows = db
        .query_admin("SELECT id, host_municipality_id FROM collaborations ORDER BY id")
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id").map_err(db_err)?;
            let host: String = r.try_get("", "host_municipality_id").map_err(db_err)?;
            Ok((
                CollaborationId(id),
                TenantId::parse(&host).map_err(ApiError::internal_from)?,
            ))
        })
        .collect()
}

/// Renames a collaboration if `etag` is current.
pub async fn rename_collaboration(
    tx: &Tx,
    c: &collaboration::Model,
    name: &str,
    etag: &str,
) -> Result<collaboration::Model, ApiError> {
    let new_etag = new_etag();
    let update = collaboration::Entity::update_many()
        .col_expr(collaboration::Column::Name, Expr::value(name))
        .col_expr(collaboration::Column::Etag, Expr::value(new_etag.clone()))
        .filter(collaboration::Column::Id.eq(c.id));
    tx.save_checked(
        update,
        collaboration::Column::Etag,
        etag,
        "collaboration",
        format!("collaborations/{}", c.id),
        &json!({"update": {"name": name, "before": c.name}}),
    )
    .await?;
    Ok(collaboration::Model {
        name: name.to_owned(),
        etag: new_etag,
        ..c.clone()
    })
}
