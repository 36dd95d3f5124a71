//! Background work of a serving process: announcing due follow-ups,
//! putting approved agreement versions into force on their date, and
//! delivering the outbox to the services that receive its messages.

use std::time::Duration;

use samverkan_core::ApiError;
use samverkan_db::Database;
use samverkan_db::outbox::{self, Message};

/// How often the outbox is delivered.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// One round over every collaboration: announce what is due today, then
/// deliver pending messages. Returns how many messages were acknowledged.
pub async fn run_once(db: &Database, today: chrono::NaiveDate) -> Result<usize, ApiError> {
    let mut delivered = 0;
    for (collaboration, host) in samverkan_roles::store::all_collaborations(db).await? {
        samverkan_decisions::jobs::announce_due(db, collaboration, host.clone(), today).await?;
        samverkan_agreements::jobs::activate_due(db, collaboration, host.clone(), today).await?;
        let receiver_host = host.clone();
        delivered += outbox::deliver(db, collaboration, host, |msg: Message| {
            let host = receiver_host.clone();
            async move {
                samverkan_forums::inbox::receive(db, host.clone(), &msg).await?;
                samverkan_decisions::jobs::receive(db, host, &msg).await
            }
        })
        .await?;
    }
    Ok(delivered)
}

/// Runs [`run_once`] every [`INTERVAL`] until `stop` fires.
pub async fn run(db: Database, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = run_once(&db, samverkan_core::dates::today()).await {
                    tracing::warn!(error = %e, "outbox round failed; retrying next round");
                }
            }
            _ = stop.changed() => break,
        }
    }
}
