//! The append-only audit trail (the API conventions).
//!
//! Every mutation writes, in its own transaction, one entry: who, which
//! municipality, when, which RPC, which resource, and the change with its
//! SHA-256 digest. Entries form one hash chain per service and municipality
//! (the acting principal's), so writers of different chains never wait for
//! each other; within a chain the head row is locked (`FOR UPDATE` on
//! PostgreSQL, the write lock on SQLite) so sequence numbers have no gaps.
//! Each entry's hash covers the previous entry's hash: altering, deleting or
//! reordering any entry breaks the chain at exactly that entry.

use chrono::{SubsecRound, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect};
use sha2::{Digest, Sha256};

use samverkan_core::{ApiError, RequestContext, TenantId, TenantScope};

use crate::{Access, Database, Tx, db_err};

pub mod log {
    use sea_orm::entity::prelude::*;

    /// One audit entry.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner_tenant: String,
        pub chain: String,
        pub seq: i64,
        pub at: DateTimeUtc,
        pub service: String,
        pub actor: String,
        pub rpc: String,
        pub resource: String,
        pub change: String,
        pub change_digest: String,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod head {
    use sea_orm::entity::prelude::*;

    /// The last entry of one chain; locked while an entry is appended.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub chain: String,
        pub owner_tenant: String,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The hash of an entry: SHA-256 over the previous entry's hash and the
/// entry's fields, in a fixed order (docs/adr/0002-audit-chains.md).
pub fn entry_hash(e: &log::Model) -> String {
    let text = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
        e.prev_hash,
        e.id,
        e.chain,
        e.seq,
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.service,
        e.owner_tenant,
        e.actor,
        e.rpc,
        e.resource,
        e.change_digest,
    );
    sha256_hex(text.as_bytes())
}

/// The chain an actor's entries go to.
pub fn chain_name(service: &str, tenant: &TenantId) -> String {
    format!("{service}/{tenant}")
}

impl Tx {
    /// The one way a row changes under optimistic concurrency: `update`
    /// (already filtered to the row) runs only where `etag_column` still
    /// holds `etag` — an empty `etag` skips that check, for a side effect
    /// inside another change's transaction — a row changed meanwhile
    /// answers `ABORTED` naming `what`, and the change is audited under
    /// `resource` in the same transaction.
    pub async fn save_checked<E: EntityTrait>(
        &self,
        update: sea_orm::UpdateMany<E>,
        etag_column: E::Column,
        etag: &str,
        what: &str,
        resource: impl Into<String>,
        change: &serde_json::Value,
    ) -> Result<(), ApiError> {
        let update = if etag.is_empty() {
            update
        } else {
            update.filter(etag_column.eq(etag))
        };
        let res = update.exec(self.conn()).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(ApiError::Aborted(format!(
                "the {what} was changed since it was read; read it again"
            )));
        }
        self.audit(resource, change).await
    }

    /// Appends an audit entry for a mutation of `resource` (e.g.
    /// `people/0192…`) in this transaction: if the transaction rolls back,
    /// so does the entry. `change` is what was written.
    pub async fn audit(
        &self,
        resource: impl Into<String>,
        change: &serde_json::Value,
    ) -> Result<(), ApiError> {
        let ctx = self.ctx();
        let tenant = ctx.principal.tenant.to_string();
        let chain = chain_name(self.service(), &ctx.principal.tenant);
        head::Entity::insert(head::ActiveModel {
            chain: Set(chain.clone()),
            owner_tenant: Set(tenant.clone()),
            seq: Set(0),
            hash: Set(String::new()),
        })
        .on_conflict_do_nothing_on([head::Column::Chain])
        .exec(self.conn())
        .await
        .map_err(db_err)?;
        let current = head::Entity::find_by_id(chain.clone())
            .lock_exclusive()
            .one(self.conn())
            .await
            .map_err(db_err)?
            .ok_or_else(|| ApiError::internal("audit head vanished inside its transaction"))?;

        let change = serde_json::to_string(change).map_err(ApiError::internal_from)?;
        let mut entry = log::Model {
            id: samverkan_core::new_uuid(),
            owner_tenant: tenant,
            chain: chain.clone(),
            seq: current.seq + 1,
            // Stored with microsecond precision on both backends, so the
            // hash is computed over exactly what is read back.
            at: Utc::now().trunc_subsecs(6),
            service: self.service().to_owned(),
            actor: ctx.principal.subject.clone(),
            rpc: ctx.rpc.clone(),
            resource: resource.into(),
            change_digest: sha256_hex(change.as_bytes()),
            change,
            prev_hash: current.hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry_hash(&entry);
        let seq = entry.seq;
        let hash = entry.hash.clone();
        log::ActiveModel::from(entry)
            .insert(self.conn())
            .await
            .map_err(db_err)?;
        head::ActiveModel {
            chain: Set(chain),
            owner_tenant: Set(current.owner_tenant),
            seq: Set(seq),
            hash: Set(hash),
        }
        .update(self.conn())
        .await
        .map_err(db_err)?;
        Ok(())
    }
}

/// Where a chain first fails to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub chain: String,
    /// The sequence number expected or found at the break.
    pub seq: i64,
    /// The entry's id, when there is an entry at the break.
    pub entry_id: Option<Uuid>,
    pub reason: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chain {} breaks at entry #{}", self.chain, self.seq)?;
        if let Some(id) = self.entry_id {
            write!(f, " (id {id})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// The outcome of walking the chains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub chains: usize,
    pub entries: usize,
    /// The first broken entry of each broken chain.
    pub broken: Vec<Broken>,
}

/// Walks every chain of the given municipalities (row-level security shows
/// each municipality only its own chains, so the walk is per municipality)
/// and reports, per chain, the first entry that does not match.
pub async fn verify(db: &Database, tenants: &[TenantId]) -> Result<Report, ApiError> {
    let mut report = Report::default();
    for tenant in tenants {
        let ctx = RequestContext::system(TenantScope::private(tenant.clone()), "audit verify");
        let tx = db.begin(&ctx, "audit", Access::Read).await?;
        let entries = log::Entity::find()
            .filter(log::Column::OwnerTenant.eq(tenant.as_str()))
            .order_by_asc(log::Column::Chain)
            .order_by_asc(log::Column::Seq)
            .all(tx.conn())
            .await
            .map_err(db_err)?;
        let heads = head::Entity::find()
            .filter(head::Column::OwnerTenant.eq(tenant.as_str()))
            .order_by_asc(head::Column::Chain)
            .all(tx.conn())
            .await
            .map_err(db_err)?;
        tx.commit().await?;
        report.entries += entries.len();
        for h in &heads {
            report.chains += 1;
            let chain: Vec<&log::Model> = entries.iter().filter(|e| e.chain == h.chain).collect();
            if let Some(b) = verify_chain(h, &chain) {
                report.broken.push(b);
            }
        }
        // Entries whose chain has no head were written around the trail.
        if let Some(e) = entries
            .iter()
            .find(|e| !heads.iter().any(|h| h.chain == e.chain))
        {
            report.broken.push(Broken {
                chain: e.chain.clone(),
                seq: e.seq,
                entry_id: Some(e.id),
                reason: "entry belongs to a chain with no head".into(),
            });
        }
    }
    Ok(report)
}

/// Checks one chain (entries ordered by seq) against its head and names the
/// first entry that was altered, deleted or moved:
///
/// - a gap in the sequence numbers is the entry deleted (or renumbered) there;
/// - an entry whose change does not match its digest, or whose fields do not
///   match its hash, was altered (or moved: the hash covers the sequence
///   number and the previous entry's hash);
/// - an entry that matches its own hash but does not follow its predecessor
///   was rewritten with a recomputed hash, or its predecessor was. The
///   successor (the next entry's `prev_hash`, or the head for the last
///   entry) decides which: if it agrees with this entry, this entry is
///   original and the predecessor was rewritten;
/// - a last entry whose hash the head does not know was rewritten; a head
///   that counts more entries than there are lost its last ones.
pub fn verify_chain(h: &head::Model, entries: &[&log::Model]) -> Option<Broken> {
    let at = |i: usize, reason: &str| Broken {
        chain: h.chain.clone(),
        seq: i as i64 + 1,
        entry_id: entries.get(i).map(|e| e.id),
        reason: reason.to_owned(),
    };
    let n = entries.len();
    // What the entry after position i recorded as i's hash.
    let successor_says = |i: usize| -> Option<&str> {
        if i + 1 < n {
            Some(entries[i + 1].prev_hash.as_str())
        } else if h.seq == n as i64 {
            Some(h.hash.as_str())
        } else {
            None
        }
    };
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if e.seq != expected_seq {
            return Some(Broken {
                chain: h.chain.clone(),
                seq: expected_seq,
                entry_id: None,
                reason: format!(
                    "entry #{expected_seq} is missing (deleted or renumbered; the next present is #{})",
                    e.seq
                ),
            });
        }
        let prev = if i == 0 {
            ""
        } else {
            entries[i - 1].hash.as_str()
        };
        let follows = e.prev_hash == prev;
        if sha256_hex(e.change.as_bytes()) != e.change_digest {
            return Some(at(
                i,
                "the recorded change does not match its digest (altered)",
            ));
        }
        if entry_hash(e) != e.hash {
            return Some(at(
                i,
                if follows {
                    "the entry's content does not match its hash (altered)"
                } else {
                    "does not follow the previous entry and does not match its own hash (moved or altered)"
                },
            ));
        }
        if !follows {
            if i > 0 && successor_says(i) == Some(e.hash.as_str()) {
                return Some(at(
                    i - 1,
                    "rewritten: its hash is not the one the next entry recorded",
                ));
            }
            return Some(at(
                i,
                "rewritten: does not follow the previous entry (entries removed, reordered or re-hashed)",
            ));
        }
    }
    let last_seq = n as i64;
    if h.seq > last_seq {
        return Some(Broken {
            chain: h.chain.clone(),
            seq: last_seq + 1,
            entry_id: None,
            reason: format!(
                "the chain's head says {} entries; entries after #{last_seq} are missing",
                h.seq
            ),
        });
    }
    if h.seq < last_seq {
        return Some(at(
            h.seq.max(0) as usize,
            "written around the trail: the chain's head ends before this entry",
        ));
    }
    let last_hash = entries.last().map_or("", |e| e.hash.as_str());
    if n > 0 && h.hash != last_hash {
        return Some(at(
            n - 1,
            "rewritten: its hash is not the one the chain's head recorded",
        ));
    }
    None
}
