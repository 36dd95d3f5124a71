//! Idempotent creates (the API conventions): a retry with the same `request_id`
//! returns the first result and creates nothing new.
//!
//! The key is claimed *before* the create, inside its transaction, by
//! inserting it with an empty result. A concurrent retry with the same key
//! then blocks on the unique index (PostgreSQL) or on the write lock
//! (SQLite, `BEGIN IMMEDIATE`) until the first commits, and finds the
//! finished key; if the first rolled back, the retry creates.

use chrono::{SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sha2::{Digest, Sha256};

use samverkan_core::ApiError;

use crate::{Tx, db_err};

pub mod key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub owner_tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub service: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: String,
        pub rpc: String,
        pub request_digest: String,
        /// The created resource's name; empty while the create is under way.
        pub resource: String,
        pub create_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Longest accepted `request_id`.
pub const MAX_REQUEST_ID: usize = 128;

/// The outcome of claiming a request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use (or no request id sent): create, then [`Tx::finish_request`].
    New,
    /// Seen before with the same request: return this resource.
    Replay(String),
}

/// SHA-256 of a request's encoded bytes.
pub fn digest(encoded_request: &[u8]) -> String {
    hex::encode(Sha256::digest(encoded_request))
}

impl Tx {
    /// Claims `request_id` for this RPC. `request` is the encoded request,
    /// so the same id with a different body is told apart.
    pub async fn claim_request(&self, request_id: &str, request: &[u8]) -> Result<Claim, ApiError> {
        if request_id.is_empty() {
            return Ok(Claim::New);
        }
        if request_id.chars().count() > MAX_REQUEST_ID || request_id.chars().any(char::is_control) {
            return Err(ApiError::invalid_field(
                "request_id",
                format!("at most {MAX_REQUEST_ID} printable characters (a UUID is a good choice)"),
            ));
        }
        let tenant = self.scope().tenant.to_string();
        let digest = digest(request);
        let inserted = key::Entity::insert(key::ActiveModel {
            owner_tenant: Set(tenant.clone()),
            service: Set(self.service().to_owned()),
            request_id: Set(request_id.to_owned()),
            rpc: Set(self.ctx().rpc.clone()),
            request_digest: Set(digest.clone()),
            resource: Set(String::new()),
            create_time: Set(Utc::now().trunc_subsecs(6)),
        })
        .on_conflict_do_nothing()
        .exec(self.conn())
        .await
        .map_err(db_err)?;
        if matches!(inserted, sea_orm::TryInsertResult::Inserted(_)) {
            return Ok(Claim::New);
        }
        let existing =
            key::Entity::find_by_id((tenant, self.service().to_owned(), request_id.to_owned()))
                .one(self.conn())
                .await
                .map_err(db_err)?
                .ok_or_else(|| ApiError::internal("idempotency key vanished"))?;
        if existing.request_digest != digest || existing.rpc != self.ctx().rpc {
            return Err(ApiError::invalid_field(
                "request_id",
                "already used for a different request; use a new request_id for a new create",
            ));
        }
        if existing.resource.is_empty() {
            // Only possible if the first transaction claimed and committed
            // without finishing, which the handlers never do.
            return Err(ApiError::internal(
                "idempotency key claimed but never finished",
            ));
        }
        Ok(Claim::Replay(existing.resource))
    }

    /// Records the resource a claimed create produced.
    pub async fn finish_request(&self, request_id: &str, resource: &str) -> Result<(), ApiError> {
        if request_id.is_empty() {
            return Ok(());
        }
        key::Entity::update_many()
            .col_expr(key::Column::Resource, Expr::value(resource))
            .filter(key::Column::OwnerTenant.eq(self.scope().tenant.as_str()))
            .filter(key::Column::Service.eq(self.service()))
            .filter(key::Column::RequestId.eq(request_id))
            .exec(self.conn())
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
