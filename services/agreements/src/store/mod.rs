//! Queries of the agreements service.

pub mod entities;

use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use samverkan_core::ApiError;
pub use samverkan_db::insert_audited as insert;
use samverkan_db::{Tx, db_err, rls};

pub use samverkan_db::{new_etag, now};

pub use entities::{agreement, approval, proposal, revision, version};

pub async fn agreements(tx: &Tx, collaboration: Uuid) -> Result<Vec<agreement::Model>, ApiError> {
    agreement::Entity::find()
        .filter(rls::shared(tx.scope(), agreement::Column::CollaborationId))
        .filter(agreement::Column::CollaborationId.eq(collaboration))
        .order_by_asc(agreement::Column::Title)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_agreement(tx: &Tx, id: Uuid) -> Result<Option<agreement::Model>, ApiError> {
    agreement::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), agreement::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_version(tx: &Tx, id: Uuid) -> Result<Option<version::Model>, ApiError> {
    version::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), version::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// The next version number of an agreement, from its counter
/// (`samverkan_db::series`): concurrent consolidations on any instance get
/// distinct numbers; the unique index (agreement, number) proves it.
pub async fn next_version_number(
    tx: &Tx,
    agreement: Uuid,
    collaboration: Uuid,
) -> Result<i32, ApiError> {
    let taken = versions_of(tx, &[agreement])
        .await?
        .iter()
        .map(|v| v.number)
        .max()
        .unwrap_or(0);
    let n = tx
        .next_number(
            "agreement_version",
            &agreement.to_string(),
            collaboration,
            i64::from(taken),
        )
        .await?;
    i32::try_from(n).map_err(ApiError::internal_from)
}

/// Versions of the given agreements, newest first (one query).
pub async fn versions_of(tx: &Tx, agreements: &[Uuid]) -> Result<Vec<version::Model>, ApiError> {
    version::Entity::find()
        .filter(rls::shared(tx.scope(), version::Column::CollaborationId))
        .filter(version::Column::AgreementId.is_in(agreements.iter().copied()))
        .order_by_desc(version::Column::Number)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_revision(tx: &Tx, id: Uuid) -> Result<Option<revision::Model>, ApiError> {
    revision::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), revision::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// One page of a document's revisions, newest year first (one query, on the
/// `(agreement_id, year)` unique index).
pub async fn revisions_of(
    tx: &Tx,
    agreement: Uuid,
    offset: u64,
    limit: u64,
) -> Result<Vec<revision::Model>, ApiError> {
    revision::Entity::find()
        .filter(rls::shared(tx.scope(), revision::Column::CollaborationId))
        .filter(revision::Column::AgreementId.eq(agreement))
        .order_by_desc(revision::Column::Year)
        .offset(offset)
        .limit(limit)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// Revisions of a collaboration in one phase.
pub async fn revisions_in_phase(
    tx: &Tx,
    collaboration: Uuid,
    phase: &str,
) -> Result<Vec<revision::Model>, ApiError> {
    revision::Entity::find()
        .filter(rls::shared(tx.scope(), revision::Column::CollaborationId))
        .filter(revision::Column::CollaborationId.eq(collaboration))
        .filter(revision::Column::Phase.eq(phase))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// Proposals of a revision the scope may see: its own drafts and every
/// submitted one.
pub async fn proposals(tx: &Tx, revision: Uuid) -> Result<Vec<proposal::Model>, ApiError> {
    proposal::Entity::find()
        .filter(rls::visible(
            tx.scope(),
            proposal::Column::OwnerTenant,
            proposal::Column::CollaborationId,
        ))
        .filter(proposal::Column::RevisionId.eq(revision))
        .order_by_asc(proposal::Column::CreateTime)
        .order_by_asc(proposal::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_proposal(tx: &Tx, id: Uuid) -> Result<Option<proposal::Model>, ApiError> {
    proposal::Entity::find_by_id(id)
        .filter(rls::visible(
            tx.scope(),
            proposal::Column::OwnerTenant,
            proposal::Column::CollaborationId,
        ))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// Approvals of a revision the scope may see: recorded ones and its own draft.
pub async fn approvals(tx: &Tx, revision: Uuid) -> Result<Vec<approval::Model>, ApiError> {
    approval::Entity::find()
        .filter(rls::visible(
            tx.scope(),
            approval::Column::OwnerTenant,
            approval::Column::CollaborationId,
        ))
        .filter(approval::Column::RevisionId.eq(revision))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_approval(tx: &Tx, id: Uuid) -> Result<Option<approval::Model>, ApiError> {
    approval::Entity::find_by_id(id)
        .filter(rls::visible(
            tx.scope(),
            approval::Column::OwnerTenant,
            approval::Column::CollaborationId,
        ))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// Replaces a row if its etag is still `etag` (empty: unconditionally, for
/// a side effect within another change), with a fresh etag; audits `change`.
macro_rules! save {
    ($fn_name:ident, $module:ident, $what:literal) => {
        pub async fn $fn_name(
            tx: &Tx,
            m: $module::Model,
            etag: &str,
            change: serde_json::Value,
        ) -> Result<$module::Model, ApiError> {
            let saved = $module::Model {
                etag: new_etag(),
                ..m
            };
            let mut am = $module::ActiveModel::from(saved.clone()).reset_all();
            am.id = sea_orm::ActiveValue::Unchanged(saved.id);
            let update = $module::Entity::update_many()
                .set(am)
                .filter($module::Column::Id.eq(saved.id));
            tx.save_checked(
                update,
                $module::Column::Etag,
                etag,
                $what,
                format!(concat!($what, "s/{}"), saved.id),
                &change,
            )
            .await?;
            Ok(saved)
        }
    };
}

save!(save_version, version, "version");
save!(save_revision, revision, "revision");
save!(save_proposal, proposal, "proposal");
save!(save_approval, approval, "approval");
