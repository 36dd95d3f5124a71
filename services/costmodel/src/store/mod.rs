//! Queries of the cost model service. Every query runs in a tenant-scoped
//! transaction and adds the shared-rows condition of its table
//! (`rls::shared`) besides the collaboration asked for; PostgreSQL's
//! row-level security enforces the same rule again.

pub mod entities;

use chrono::NaiveDate;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use samverkan_core::ApiError;
use samverkan_db::{Tx, db_err, rls};

use crate::domain::price::PriceListState;

pub use samverkan_db::{new_etag, now};

pub use entities::{
    allocation_key, bill, billing_run, direct_charge, driver_snapshot, price_list, reconciliation,
    scenario, service, volume,
};

/// A unique index refused the row: a concurrent writer took the same
/// version number or natural key first.
fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Inserts a row; a unique-key clash becomes `conflict()`. The caller
/// audits: what to record differs per resource.
pub async fn insert_row<A>(
    tx: &Tx,
    am: A,
    conflict: impl FnOnce() -> ApiError,
) -> Result<(), ApiError>
where
    A: ActiveModelTrait + Send,
{
    match <A::Entity as EntityTrait>::insert(am)
        .exec_without_returning(tx.conn())
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(conflict()),
        Err(e) => Err(db_err(e)),
    }
}

/// Rows of `offset..offset+limit`, or all when `page` is `None`.
fn paged<S: QuerySelect>(q: S, page: Option<(u64, u64)>) -> S {
    match page {
        Some((offset, limit)) => q.offset(offset).limit(limit),
        None => q,
    }
}

// ---- catalogue --------------------------------------------------------------

pub async fn services(
    tx: &Tx,
    collab: Uuid,
    page: Option<(u64, u64)>,
) -> Result<Vec<service::Model>, ApiError> {
    let q = service::Entity::find()
        .filter(rls::shared(tx.scope(), service::Column::CollaborationId))
        .filter(service::Column::CollaborationId.eq(collab))
        .order_by_asc(service::Column::CreateTime)
        .order_by_asc(service::Column::Id);
    paged(q, page).all(tx.conn()).await.map_err(db_err)
}

pub async fn find_service(tx: &Tx, id: Uuid) -> Result<Option<service::Model>, ApiError> {
    service::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), service::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn service_by_code(
    tx: &Tx,
    collab: Uuid,
    code: &str,
) -> Result<Option<service::Model>, ApiError> {
    service::Entity::find()
        .filter(rls::shared(tx.scope(), service::Column::CollaborationId))
        .filter(service::Column::CollaborationId.eq(collab))
        .filter(service::Column::Code.eq(code))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

// ---- price lists ------------------------------------------------------------

pub async fn find_price_list(tx: &Tx, id: Uuid) -> Result<Option<price_list::Model>, ApiError> {
    price_list::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), price_list::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// Price lists ordered by effective date, then version: the order in which
/// they apply.
pub async fn price_lists(
    tx: &Tx,
    collab: Uuid,
    year: Option<i32>,
    published_only: bool,
    page: Option<(u64, u64)>,
) -> Result<Vec<price_list::Model>, ApiError> {
    let mut q = price_list::Entity::find()
        .filter(rls::shared(tx.scope(), price_list::Column::CollaborationId))
        .filter(price_list::Column::CollaborationId.eq(collab));
    if let Some(y) = year {
        q = q.filter(price_list::Column::Year.eq(y));
    }
    if published_only {
        q = q.filter(price_list::Column::State.eq(PriceListState::Published.as_str()));
    }
    let q = q
        .order_by_asc(price_list::Column::EffectiveDate)
        .order_by_asc(price_list::Column::Version)
        .order_by_asc(price_list::Column::Id);
    paged(q, page).all(tx.conn()).await.map_err(db_err)
}

/// The next version number of a year's price list, from the year's
/// counter (`samverkan_db::series`): concurrent creates on any instance
/// get distinct versions; the unique index (collaboration, year, version)
/// proves it.
pub async fn next_price_list_version(tx: &Tx, collab: Uuid, year: i32) -> Result<i32, ApiError> {
    let all = price_lists(tx, collab, Some(year), false, None).await?;
    let taken = all.iter().map(|p| p.version).max().unwrap_or(0);
    next_version(tx, "price_list", &format!("{collab}/{year}"), collab, taken).await
}

/// The next version number of a cost pool's allocation key, from its
/// counter, as [`next_price_list_version`].
pub async fn next_key_version(tx: &Tx, collab: Uuid, service: &str) -> Result<i32, ApiError> {
    let existing = keys(tx, collab, Some(service), None).await?;
    let taken = existing.iter().map(|k| k.version).max().unwrap_or(0);
    next_version(
        tx,
        "allocation_key",
        &format!("{collab}/{service}"),
        collab,
        taken,
    )
    .await
}

async fn next_version(
    tx: &Tx,
    series: &str,
    parent: &str,
    collab: Uuid,
    taken: i32,
) -> Result<i32, ApiError> {
    let n = tx
        .next_number(series, parent, collab, i64::from(taken))
        .await?;
    i32::try_from(n).map_err(ApiError::internal_from)
}

/// Writes a changed price list if `etag` is still current.
pub async fn save_price_list(
    tx: &Tx,
    p: price_list::Model,
    etag: &str,
    change: serde_json::Value,
) -> Result<price_list::Model, ApiError> {
    let saved = price_list::Model {
        update_time: now(),
        etag: new_etag(),
        ..p
    };
    let mut am = price_list::ActiveModel::from(saved.clone()).reset_all();
    am.id = sea_orm::ActiveValue::Unchanged(saved.id);
    let update = price_list::Entity::update_many()
        .set(am)
        .filter(rls::shared(tx.scope(), price_list::Column::CollaborationId))
        .filter(price_list::Column::Id.eq(saved.id));
    tx.save_checked(
        update,
        price_list::Column::Etag,
        etag,
        "price list",
        format!("price-lists/{}", saved.id),
        &change,
    )
    .await?;
    Ok(saved)
}

// ---- keys and drivers -------------------------------------------------------

pub async fn keys(
    tx: &Tx,
    collab: Uuid,
    service_code: Option<&str>,
    page: Option<(u64, u64)>,
) -> Result<Vec<allocation_key::Model>, ApiError> {
    let mut q = allocation_key::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            allocation_key::Column::CollaborationId,
        ))
        .filter(allocation_key::Column::CollaborationId.eq(collab));
    if let Some(s) = service_code {
        q = q.filter(allocation_key::Column::ServiceCode.eq(s));
    }
    let q = q
        .order_by_asc(allocation_key::Column::EffectiveDate)
        .order_by_asc(allocation_key::Column::Version)
        .order_by_asc(allocation_key::Column::Id);
    paged(q, page).all(tx.conn()).await.map_err(db_err)
}

pub async fn snapshots(
    tx: &Tx,
    collab: Uuid,
    driver: Option<&str>,
    measured_by: Option<NaiveDate>,
    page: Option<(u64, u64)>,
) -> Result<Vec<driver_snapshot::Model>, ApiError> {
    let mut q = driver_snapshot::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            driver_snapshot::Column::CollaborationId,
        ))
        .filter(driver_snapshot::Column::CollaborationId.eq(collab));
    if let Some(d) = driver {
        q = q.filter(driver_snapshot::Column::Driver.eq(d));
    }
    if let Some(d) = measured_by {
        q = q.filter(driver_snapshot::Column::MeasuredOn.lte(d));
    }
    let q = q
        .order_by_asc(driver_snapshot::Column::MeasuredOn)
        .order_by_asc(driver_snapshot::Column::CreateTime)
        .order_by_asc(driver_snapshot::Column::Id);
    paged(q, page).all(tx.conn()).await.map_err(db_err)
}

// ---- volumes and direct charges ---------------------------------------------

pub async fn volumes(tx: &Tx, collab: Uuid, period: &str) -> Result<Vec<volume::Model>, ApiError> {
    volume::Entity::find()
        .filter(rls::shared(tx.scope(), volume::Column::CollaborationId))
        .filter(volume::Column::CollaborationId.eq(collab))
        .filter(volume::Column::Period.eq(period))
        .order_by_asc(volume::Column::CreateTime)
        .order_by_asc(volume::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_volume(tx: &Tx, id: Uuid) -> Result<Option<volume::Model>, ApiError> {
    volume::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), volume::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn direct_charges(
    tx: &Tx,
    collab: Uuid,
    period: &str,
) -> Result<Vec<direct_charge::Model>, ApiError> {
    direct_charge::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            direct_charge::Column::CollaborationId,
        ))
        .filter(direct_charge::Column::CollaborationId.eq(collab))
        .filter(direct_charge::Column::Period.eq(period))
        .order_by_asc(direct_charge::Column::CreateTime)
        .order_by_asc(direct_charge::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_direct_charge(
    tx: &Tx,
    id: Uuid,
) -> Result<Option<direct_charge::Model>, ApiError> {
    direct_charge::Entity::find_by_id(id)
        .filter(rls::shared(
            tx.scope(),
            direct_charge::Column::CollaborationId,
        ))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

// ---- issued bills and reconciliations ---------------------------------------

pub async fn run_of_period(
    tx: &Tx,
    collab: Uuid,
    period: &str,
) -> Result<Option<billing_run::Model>, ApiError> {
    billing_run::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            billing_run::Column::CollaborationId,
        ))
        .filter(billing_run::Column::CollaborationId.eq(collab))
        .filter(billing_run::Column::Period.eq(period))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// The runs of a year: the year's own ("2025") and its months'
/// ("2025-01" … "2025-12"), ordered by period.
pub async fn runs_of_year(
    tx: &Tx,
    collab: Uuid,
    year: i32,
) -> Result<Vec<billing_run::Model>, ApiError> {
    billing_run::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            billing_run::Column::CollaborationId,
        ))
        .filter(billing_run::Column::CollaborationId.eq(collab))
        .filter(
            sea_orm::Condition::any()
                .add(billing_run::Column::Period.eq(year.to_string()))
                .add(billing_run::Column::Period.like(format!("{year}-%"))),
        )
        .order_by_asc(billing_run::Column::Period)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_run(tx: &Tx, id: Uuid) -> Result<Option<billing_run::Model>, ApiError> {
    billing_run::Entity::find_by_id(id)
        .filter(rls::shared(
            tx.scope(),
            billing_run::Column::CollaborationId,
        ))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// The run's bills, ordered by municipality.
pub async fn bills_of_run(tx: &Tx, run: Uuid) -> Result<Vec<bill::Model>, ApiError> {
    bill::Entity::find()
        .filter(rls::shared(tx.scope(), bill::Column::CollaborationId))
        .filter(bill::Column::RunId.eq(run))
        .order_by_asc(bill::Column::MunicipalityId)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn reconciliations(
    tx: &Tx,
    collab: Uuid,
    year: i32,
) -> Result<Vec<reconciliation::Model>, ApiError> {
    reconciliation::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            reconciliation::Column::CollaborationId,
        ))
        .filter(reconciliation::Column::CollaborationId.eq(collab))
        .filter(reconciliation::Column::Year.eq(year))
        .order_by_asc(reconciliation::Column::ServiceCode)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_reconciliation(
    tx: &Tx,
    id: Uuid,
) -> Result<Option<reconciliation::Model>, ApiError> {
    reconciliation::Entity::find_by_id(id)
        .filter(rls::shared(
            tx.scope(),
            reconciliation::Column::CollaborationId,
        ))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_scenario(tx: &Tx, id: Uuid) -> Result<Option<scenario::Model>, ApiError> {
    scenario::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), scenario::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}
