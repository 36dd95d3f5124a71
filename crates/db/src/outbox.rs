//! The transactional outbox (docs/architecture.md): cross-service effects that must
//! not be lost are written in the same transaction as the change that
//! causes them, delivered until acknowledged, and applied at most once by
//! the receiver, which records each message id in its inbox in the same
//! transaction as the effect.
//!
//! Delivery is per consumer (see [`Consumer`]): each process delivers to
//! the services it serves, so the services may run in separate processes
//! over the shared database. Delivery never holds a transaction open while
//! the receiver runs (on SQLite that would hold the write lock the receiver
//! needs): pending rows are read, each is handed to the receiver, and then
//! acknowledged. A crash or a second instance in between only causes a
//! redelivery, which the receiver's inbox turns into a no-op.

use std::future::Future;

use chrono::{SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};

use samverkan_core::{ApiError, CollaborationId, RequestContext, TenantId, TenantScope};

use crate::{Access, Database, Tx, db_err, rls};

pub mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        /// The service that wrote it.
        pub source: String,
        /// What happened, e.g. `followup.due`.
        pub topic: String,
        pub payload: String,
        pub create_time: DateTimeUtc,
        pub attempts: i32,
        pub delivered_time: Option<DateTimeUtc>,
        pub last_error: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod inbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub consumer: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub message_id: Uuid,
        pub collaboration_id: Uuid,
        pub receive_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A message as a receiver sees it.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: Uuid,
    pub collaboration: CollaborationId,
    pub source: String,
    pub topic: String,
    pub payload: serde_json::Value,
}

impl Tx {
    /// Writes a message in this transaction: it exists if and only if the
    /// change that caused it commits.
    pub async fn enqueue(
        &self,
        collaboration: CollaborationId,
        topic: &str,
        payload: &serde_json::Value,
    ) -> Result<Uuid, ApiError> {
        let id = samverkan_core::new_uuid();
        message::ActiveModel::from(message::Model {
            id,
            collaboration_id: collaboration.0,
            source: self.service().to_owned(),
            topic: topic.to_owned(),
            payload: payload.to_string(),
            create_time: Utc::now().trunc_subsecs(6),
            attempts: 0,
            delivered_time: None,
            last_error: String::new(),
        })
        .insert(self.conn())
        .await
        .map_err(db_err)?;
        Ok(id)
    }

    /// Records that `consumer` applies `message` in this transaction.
    /// `false` when it already has: the caller then skips the effect.
    pub async fn receive_once(&self, consumer: &str, message: &Message) -> Result<bool, ApiError> {
        let res = inbox::Entity::insert(inbox::ActiveModel {
            consumer: Set(consumer.to_owned()),
            message_id: Set(message.id),
            collaboration_id: Set(message.collaboration.0),
            receive_time: Set(Utc::now().trunc_subsecs(6)),
        })
        .on_conflict_do_nothing()
        .exec(self.conn())
        .await
        .map_err(db_err)?;
        Ok(matches!(res, sea_orm::TryInsertResult::Inserted(_)))
    }
}

/// The context delivery runs in: the system, within one collaboration.
pub fn system_context(collaboration: CollaborationId, acting_for: TenantId) -> RequestContext {
    RequestContext::system(
        TenantScope {
            tenant: acting_for,
            collaborations: vec![collaboration],
            peers: Vec::new(),
            former: Vec::new(),
        },
        "outbox",
    )
}

/// A service that receives outbox messages, and the topics it receives.
/// Delivery is tracked per consumer: the consumer's inbox row for a
/// message, written in the same transaction as its effect, is the record
/// that this consumer has it. So each consumer gets each message once
/// whichever process sent it, and a process delivers only to the consumers
/// it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consumer {
    /// The name its inbox rows carry (the service's name).
    pub name: &'static str,
    pub topics: &'static [&'static str],
}

impl Consumer {
    fn receives(&self, topic: &str) -> bool {
        self.topics.contains(&topic)
    }
}

/// Delivers to `consumer` the messages of one collaboration on its topics
/// that it has not applied yet, oldest first. Returns how many it
/// acknowledged. A receiver error leaves the message pending for this
/// consumer (the error recorded) for the next round. `all` is every
/// consumer of the deployment, served here or not: a message is marked
/// delivered once each consumer of its topic has applied it.
pub async fn deliver<F, Fut>(
    db: &Database,
    collaboration: CollaborationId,
    acting_for: TenantId,
    consumer: &Consumer,
    all: &[Consumer],
    mut receive: F,
) -> Result<usize, ApiError>
where
    F: FnMut(Message) -> Fut,
    Fut: Future<Output = Result<(), ApiError>>,
{
    let ctx = system_context(collaboration, acting_for);
    let tx = db.begin(&ctx, "outbox", Access::Read).await?;
    let applied = Query::select()
        .column(inbox::Column::MessageId)
        .from(inbox::Entity)
        .and_where(inbox::Column::Consumer.eq(consumer.name))
        .and_where(inbox::Column::CollaborationId.eq(collaboration.0))
        .to_owned();
    let pending = message::Entity::find()
        .filter(rls::shared(tx.scope(), message::Column::CollaborationId))
        .filter(message::Column::DeliveredTime.is_null())
        .filter(message::Column::Topic.is_in(consumer.topics.iter().copied()))
        .filter(message::Column::Id.not_in_subquery(applied))
        .order_by_asc(message::Column::CreateTime)
        .order_by_asc(message::Column::Id)
        .limit(500)
        .all(tx.conn())
        .await
        .map_err(db_err)?;
    tx.commit().await?;

    let mut delivered = 0;
    for row in pending {
        let payload = serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null);
        let msg = Message {
            id: row.id,
            collaboration,
            source: row.source.clone(),
            topic: row.topic.clone(),
            payload,
        };
        let outcome = receive(msg.clone()).await;
        let tx = db.begin(&ctx, "outbox", Access::Write).await?;
        let mut update = message::Entity::update_many()
            .col_expr(
                message::Column::Attempts,
                Expr::col(message::Column::Attempts).add(1),
            )
            .filter(message::Column::Id.eq(row.id));
        match &outcome {
            Ok(()) => {
                // The receiver recorded it with its effect; a receiver that
                // had nothing to do for it is recorded here, so it is not
                // offered again.
                tx.receive_once(consumer.name, &msg).await?;
                let subscribers: Vec<&str> = all
                    .iter()
                    .filter(|c| c.receives(&row.topic))
                    .map(|c| c.name)
                    .collect();
                let have = inbox::Entity::find()
                    .filter(inbox::Column::MessageId.eq(row.id))
                    .filter(inbox::Column::Consumer.is_in(subscribers.iter().copied()))
                    .count(tx.conn())
                    .await
                    .map_err(db_err)?;
                if have as usize >= subscribers.len() {
                    update = update.col_expr(
                        message::Column::DeliveredTime,
                        Expr::value(Some(Utc::now().trunc_subsecs(6))),
                    );
                }
                delivered += 1;
            }
            Err(e) => {
                tracing::warn!(message = %row.id, topic = %row.topic, consumer = consumer.name, error = %e, "outbox delivery failed; will retry");
                update = update.col_expr(
                    message::Column::LastError,
                    Expr::value(format!("{}: {e}", consumer.name)),
                );
            }
        }
        update.exec(tx.conn()).await.map_err(db_err)?;
        tx.commit().await?;
    }
    Ok(delivered)
}

/// The messages of `collaboration` not yet delivered to every consumer:
/// how many, and when the oldest was recorded. What the metrics report
/// after each background round (`samverkan_outbox_pending`).
pub async fn backlog(
    db: &Database,
    collaboration: CollaborationId,
    acting_for: TenantId,
) -> Result<(u64, Option<chrono::DateTime<Utc>>), ApiError> {
    let ctx = system_context(collaboration, acting_for);
    let tx = db.begin(&ctx, "outbox", Access::Read).await?;
    let pending = || {
        message::Entity::find()
            .filter(rls::shared(tx.scope(), message::Column::CollaborationId))
            .filter(message::Column::DeliveredTime.is_null())
    };
    let count = pending().count(tx.conn()).await.map_err(db_err)?;
    let oldest = pending()
        .order_by_asc(message::Column::CreateTime)
        .one(tx.conn())
        .await
        .map_err(db_err)?
        .map(|m| m.create_time);
    tx.commit().await?;
    Ok((count, oldest))
}
