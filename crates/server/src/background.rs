//! Background work of a serving process: announcing due follow-ups,
//! putting approved agreement versions into force on their date, and
//! delivering the outbox to the services that receive its messages.
//!
//! Each process does the work of the services it serves, and delivers the
//! outbox to those of its consumers only; delivery is tracked per consumer
//! (see `samverkan_db::outbox::Consumer`), so whether the services share a
//! process or not, each consumer gets each message exactly once.

use std::time::Duration;

use samverkan_core::ApiError;
use samverkan_db::Database;
use samverkan_db::outbox::{self, Consumer, Message};

use crate::Svc;

/// How often the background work runs by default.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// Every consumer of the outbox in a deployment, wherever it runs: a
/// message is delivered once each consumer of its topic has applied it.
pub const CONSUMERS: &[Consumer] = &[
    samverkan_forums::inbox::CONSUMER,
    samverkan_decisions::jobs::CONSUMER,
];

/// Whether a process serving `services` has background work at all.
pub fn has_work(services: &[Svc]) -> bool {
    services
        .iter()
        .any(|s| matches!(s, Svc::Forums | Svc::Decisions | Svc::Agreements))
}

/// One round of the background work of a process serving `services`, over
/// every collaboration: announce what is due today, put what may go into
/// force into force, then deliver pending messages to the consumers served
/// here. Returns how many messages were acknowledged.
///
/// The collaborations and their hosts (and, for agreements, the members on
/// a date) come from the roles service's registry in the shared database,
/// also in a process that does not serve roles: this work acts for no
/// person, so there is no token to call the roles API with (see
/// docs/adr/0006-services-apart.md).
pub async fn run_once_for(
    db: &Database,
    services: &[Svc],
    today: chrono::NaiveDate,
) -> Result<usize, ApiError> {
    let serves = |s: Svc| services.contains(&s);
    let mut delivered = 0;
    let (mut pending, mut oldest): (u64, Option<chrono::DateTime<chrono::Utc>>) = (0, None);
    for (collaboration, host) in samverkan_roles::store::all_collaborations(db).await? {
        if serves(Svc::Decisions) {
            samverkan_decisions::jobs::announce_due(db, collaboration, host.clone(), today).await?;
        }
        if serves(Svc::Agreements) {
            samverkan_agreements::jobs::activate_due(db, collaboration, host.clone(), today)
                .await?;
        }
        if serves(Svc::Forums) {
            delivered += outbox::deliver(
                db,
                collaboration,
                host.clone(),
                &samverkan_forums::inbox::CONSUMER,
                CONSUMERS,
                |msg: Message| {
                    let host = host.clone();
                    async move { samverkan_forums::inbox::receive(db, host, &msg).await }
                },
            )
            .await?;
        }
        if serves(Svc::Decisions) {
            delivered += outbox::deliver(
                db,
                collaboration,
                host.clone(),
                &samverkan_decisions::jobs::CONSUMER,
                CONSUMERS,
                |msg: Message| {
                    let host = host.clone();
                    async move { samverkan_decisions::jobs::receive(db, host, &msg).await }
                },
            )
            .await?;
        }
        let (n, first) = outbox::backlog(db, collaboration, host.clone()).await?;
        pending += n;
        oldest = match (oldest, first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let age = oldest.map_or(0.0, |t| {
        (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
    });
    samverkan_telemetry::metrics().outbox(pending, age);
    Ok(delivered)
}

/// One round of a process serving every service.
pub async fn run_once(db: &Database, today: chrono::NaiveDate) -> Result<usize, ApiError> {
    run_once_for(db, Svc::ALL, today).await
}

/// Runs [`run_once_for`] every `every` (in production [`INTERVAL`]) until
/// `stop` fires.
pub async fn run(
    db: Database,
    services: Vec<Svc>,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = run_once_for(&db, &services, samverkan_core::dates::today()).await {
                    tracing::warn!(error = %e, "background round failed; retrying next round");
                }
            }
            _ = stop.changed() => break,
        }
    }
}
