//! Change notifications for `WatchMeeting`. Every committed change to a
//! meeting's agenda, notes or minutes is announced here; watchers then
//! re-read the meeting in their own tenant scope. An event about a note
//! carries the note's municipality, and other municipalities' watchers
//! ignore it, so they learn nothing — not even that a note changed.
//!
//! In-process only: with several instances, a watcher hears the changes
//! made through its own instance (a shared channel such as PostgreSQL
//! LISTEN/NOTIFY is the next step when the service is scaled out).

use tokio::sync::broadcast;
use uuid::Uuid;

/// One change to a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingChanged {
    pub meeting_id: Uuid,
    /// Set when only this municipality may know of the change (a note).
    pub private_to: Option<String>,
}

/// The broadcast of meeting changes.
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
    pub fn publish(&self, meeting_id: Uuid, private_to: Option<String>) {
        let _ = self.tx.send(MeetingChanged {
            meeting_id,
            private_to,
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<MeetingChanged> {
        self.tx.subscribe()
    }
}
