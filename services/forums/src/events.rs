//! Change notifications for `WatchMeeting`.
//!
//! Every committed change to a meeting's agenda or minutes is a numbered
//! row in `meeting_changes` (`store::record_change`), written in the
//! transaction that made the change. Watchers are woken here and then
//! re-read the meeting and the changes after their cursor in their own
//! tenant scope, so an event carries nothing but the meeting and the
//! change's number.
//!
//! Who wakes them: the handler that committed, in its own process; and on
//! PostgreSQL [`Events::listen`], which hears every instance's commits
//! through `LISTEN/NOTIFY`. A watcher may be woken twice for one change
//! (once by each); it sends only what is after its cursor, so a change
//! reaches a client once.

use std::time::Duration;

use samverkan_db::Database;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::store::MEETING_CHANGES_CHANNEL;

/// One committed change to a meeting: a shared change with its number, or
/// (`seq: 0`) a note, which only its municipality's watchers will find
/// when they look. `meeting_id: None`: changes may have been missed, so
/// every watcher should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingChanged {
    pub meeting_id: Option<Uuid>,
    pub seq: i64,
}

impl MeetingChanged {
    /// Whether a watcher of `meeting` that has sent the shared changes up
    /// to `shared` should look again.
    pub fn concerns(&self, meeting: Uuid, shared: i64) -> bool {
        match self.meeting_id {
            Some(m) => m == meeting && (self.seq == 0 || self.seq > shared),
            None => true,
        }
    }
}

/// The broadcast of meeting changes in this process.
#[derive(Debug, Clone)]
pub struct Events {
    tx: broadcast::Sender<MeetingChanged>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Self { tx }
    }

    /// Announces a committed change. Nobody listening is fine.
    pub fn publish(&self, meeting_id: Uuid, seq: i64) {
        let _ = self.tx.send(MeetingChanged {
            meeting_id: Some(meeting_id),
            seq,
        });
    }

    /// Tells every watcher to look again (notifications may have been lost).
    pub fn resync(&self) {
        let _ = self.tx.send(MeetingChanged {
            meeting_id: None,
            seq: 0,
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<MeetingChanged> {
        self.tx.subscribe()
    }

    /// On PostgreSQL: relays the changes every instance commits
    /// (`NOTIFY` on [`MEETING_CHANGES_CHANNEL`]) to this process's
    /// watchers, until `stop` turns true. After the connection is lost and
    /// regained, every watcher is told to look again, since notifications
    /// sent meanwhile are gone. Returns at once on SQLite, where every
    /// change is made in this process.
    pub async fn listen(self, db: Database, mut stop: watch::Receiver<bool>) {
        let Some(pool) = db.postgres_pool().cloned() else {
            return;
        };
        let mut listener = None;
        loop {
            if *stop.borrow() {
                return;
            }
            let l = match listener.as_mut() {
                Some(l) => l,
                None => {
                    match connect(&pool).await {
                        Ok(l) => {
                            listener = Some(l);
                            // Commits made while nobody listened: look.
                            self.resync();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot listen for meeting changes; retrying");
                            if wait_or_stop(&mut stop, Duration::from_secs(1)).await {
                                return;
                            }
                        }
                    }
                    continue;
                }
            };
            tokio::select! {
                _ = stop.changed() => return,
                next = l.try_recv() => match next {
                    Ok(Some(n)) => match parse(n.payload()) {
                        Some((meeting, seq)) => self.publish(meeting, seq),
                        None => tracing::warn!(payload = n.payload(), "unreadable meeting change notification"),
                    },
                    // The connection was lost and is being regained.
                    Ok(None) => self.resync(),
                    Err(e) => {
                        tracing::warn!(error = %e, "meeting change notifications interrupted");
                        listener = None;
                        if wait_or_stop(&mut stop, Duration::from_secs(1)).await {
                            return;
                        }
                    }
                },
            }
        }
    }
}

async fn connect(
    pool: &sea_orm::sqlx::PgPool,
) -> Result<sea_orm::sqlx::postgres::PgListener, sea_orm::sqlx::Error> {
    let mut l = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    l.listen(MEETING_CHANGES_CHANNEL).await?;
    Ok(l)
}

/// Sleeps `d`; true if `stop` turned true meanwhile.
async fn wait_or_stop(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = stop.changed() => true,
        () = tokio::time::sleep(d) => *stop.borrow(),
    }
}

/// `meeting-id:seq`.
fn parse(payload: &str) -> Option<(Uuid, i64)> {
    let (m, seq) = payload.split_once(':')?;
    Some((Uuid::parse_str(m).ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_parse() {
        let m = Uuid::now_v7();
        assert_eq!(parse(&format!("{m}:17")), Some((m, 17)));
        assert_eq!(parse("nonsense"), None);
        assert_eq!(parse(&format!("{m}:x")), None);
    }

    #[test]
    fn a_change_concerns_its_meeting_after_the_cursor() {
        let (m, other) = (Uuid::now_v7(), Uuid::now_v7());
        let ev = MeetingChanged {
            meeting_id: Some(m),
            seq: 5,
        };
        assert!(ev.concerns(m, 4));
        assert!(!ev.concerns(m, 5), "already sent");
        let note = MeetingChanged {
            meeting_id: Some(m),
            seq: 0,
        };
        assert!(note.concerns(m, 99), "a note: look");
        assert!(!ev.concerns(other, 0));
        let all = MeetingChanged {
            meeting_id: None,
            seq: 0,
        };
        assert!(all.concerns(other, 99));
    }
}
