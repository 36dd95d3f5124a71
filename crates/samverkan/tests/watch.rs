//! `WatchMeeting` across instances and across reconnects (issue #17).
//!
//! On PostgreSQL two `samverkan serve` processes share one database: a
//! watch opened through A sees, within a second, a change made through B
//! (fed by `LISTEN/NOTIFY` from the meeting's change log). On SQLite, one
//! process by design, the same steps run through one instance.
//!
//! Both: a client that reconnects with the last cursor it received gets
//! the changes it missed, each once and in order, then the next ones; a
//! note is reported to its own municipality only; a malformed cursor is
//! `INVALID_ARGUMENT`, one ahead of the meeting `FAILED_PRECONDITION`.

use std::time::{Duration, Instant};

use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_testkit::process::Instance;
use samverkan_testkit::story::{as_, forum_ids_via, meeting};
use samverkan_testkit::{TestDb, figure};
use tonic::Code;
use tonic::transport::Channel;

const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // secretary of IT-forum utveckling
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // chairs IT-forum utveckling

type Stream = tonic::Streaming<pb::WatchMeetingResponse>;
use pb::MeetingChangeKind as K;

async fn watch(
    c: &Channel,
    who: &str,
    meeting: &str,
    after: &str,
) -> Result<Stream, tonic::Status> {
    ForumsServiceClient::new(c.clone())
        .watch_meeting(as_(
            who,
            pb::WatchMeetingRequest {
                meeting_id: meeting.into(),
                resume_after: after.into(),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// The next message, within `within`.
async fn next(s: &mut Stream, within: Duration) -> pb::WatchMeetingResponse {
    tokio::time::timeout(within, s.message())
        .await
        .expect("a message in time")
        .expect("the stream is healthy")
        .expect("the stream goes on")
}

/// Nothing arrives for a while.
async fn quiet(s: &mut Stream) {
    let got = tokio::time::timeout(Duration::from_millis(600), s.message()).await;
    assert!(got.is_err(), "unexpected message: {got:?}");
}

fn kinds(r: &pb::WatchMeetingResponse) -> Vec<K> {
    r.changes
        .iter()
        .map(|c| K::try_from(c.kind).unwrap())
        .collect()
}

async fn add_item(c: &Channel, meeting: &str, title: &str) {
    ForumsServiceClient::new(c.clone())
        .add_agenda_item(as_(
            SOFIA,
            pb::AddAgendaItemRequest {
                request_id: format!("watch-{title}"),
                item: Some(pb::AgendaItem {
                    meeting_id: meeting.into(),
                    kind: pb::AgendaItemKind::Information as i32,
                    title: title.into(),
                    presenter: "Sofia Lindström".into(),
                    estimated_minutes: 10,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
}

async fn watch_meeting(db: TestDb) {
    samverkan_roles::demo::load(&db.app).await.expect("demo");
    let two = db.backend == samverkan_db::Backend::Postgres;
    let mut a = Instance::spawn(env!("CARGO_BIN_EXE_samverkan"), &db.app_url);
    a.ready().await;
    let mut b = two.then(|| Instance::spawn(env!("CARGO_BIN_EXE_samverkan"), &db.app_url));
    if let Some(b) = b.as_mut() {
        b.ready().await;
    }
    let ca = a.channel().await;
    let cb = match &b {
        Some(b) => b.channel().await,
        None => ca.clone(),
    };
    let (utveckling, _) = forum_ids_via(ca.clone()).await;
    let m = meeting(
        &mut ForumsServiceClient::new(ca.clone()),
        SOFIA,
        &utveckling,
        "Bevakningen",
        (2027, 5, 6),
    )
    .await;

    // A fresh watch through A; a change through B arrives within a second.
    let mut sofia = watch(&ca, SOFIA, &m.id, "").await.unwrap();
    let mut eva = watch(&ca, EVA, &m.id, "").await.unwrap();
    let first = next(&mut sofia, Duration::from_secs(5)).await;
    assert!(
        first.changes.is_empty(),
        "a fresh stream starts with the state"
    );
    next(&mut eva, Duration::from_secs(5)).await;
    let t = Instant::now();
    add_item(&cb, &m.id, "Lägesrapport från förvaltningen").await;
    let seen = next(&mut sofia, Duration::from_secs(1)).await;
    let latency = t.elapsed();
    assert_eq!(kinds(&seen), [K::AgendaItemAdded]);
    assert_eq!(seen.meeting.as_ref().unwrap().agenda.len(), 1);
    let eva_seen = next(&mut eva, Duration::from_secs(1)).await;
    assert_eq!(kinds(&eva_seen), [K::AgendaItemAdded]);
    let cursor = seen.cursor.clone();

    // Sofia goes away; meanwhile two items and a note of hers.
    drop(sofia);
    add_item(&cb, &m.id, "Åtgärdsplan för ärendehanteringen").await;
    add_item(&cb, &m.id, "Övriga frågor").await;
    let item = ForumsServiceClient::new(cb.clone())
        .get_meeting(as_(SOFIA, pb::GetMeetingRequest { id: m.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .meeting
        .unwrap()
        .agenda[0]
        .id
        .clone();
    ForumsServiceClient::new(cb.clone())
        .create_note(as_(
            SOFIA,
            pb::CreateNoteRequest {
                request_id: "watch-note".into(),
                note: Some(pb::Note {
                    agenda_item_id: item,
                    text: "Fråga Ulricehamn om licenserna före mötet.".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();

    // Resumed: the missed changes once, in order, then the next one only.
    let mut sofia = watch(&ca, SOFIA, &m.id, &cursor).await.unwrap();
    let resumed = next(&mut sofia, Duration::from_secs(5)).await;
    assert_eq!(
        kinds(&resumed),
        [K::AgendaItemAdded, K::AgendaItemAdded, K::NoteAdded]
    );
    assert_eq!(resumed.meeting.as_ref().unwrap().agenda.len(), 3);
    assert_eq!(resumed.notes.len(), 1);
    add_item(&cb, &m.id, "Nästa möte").await;
    let after = next(&mut sofia, Duration::from_secs(1)).await;
    assert_eq!(kinds(&after), [K::AgendaItemAdded], "nothing repeated");
    quiet(&mut sofia).await;

    // Eva, of the other municipality, heard the items but not the note.
    let mut heard = Vec::new();
    while heard.len() < 3 {
        heard.extend(kinds(&next(&mut eva, Duration::from_secs(5)).await));
    }
    assert_eq!(heard, [K::AgendaItemAdded; 3]);
    quiet(&mut eva).await;
    let resumed_again = watch(&ca, SOFIA, &m.id, &after.cursor)
        .await
        .unwrap()
        .message()
        .await
        .unwrap()
        .unwrap();
    assert!(resumed_again.changes.is_empty(), "nothing missed");

    // Cursors the stream never gave.
    let bad = watch(&ca, SOFIA, &m.id, "i morgon").await;
    assert_eq!(bad.map(|_| ()).unwrap_err().code(), Code::InvalidArgument);
    let ahead = watch(&ca, SOFIA, &m.id, "999.0").await;
    assert_eq!(
        ahead.map(|_| ()).unwrap_err().code(),
        Code::FailedPrecondition
    );
    // Eva's cursor counts none of Sofia's notes: Sofia's is ahead for her.
    let eva_cursor = watch(&ca, EVA, &m.id, &after.cursor).await;
    assert_eq!(
        eva_cursor.map(|_| ()).unwrap_err().code(),
        Code::FailedPrecondition
    );

    figure(&format!(
        "watch ({:?}{}): a change seen by a watcher in {:.0} ms; resume delivered 3 missed changes once, in order",
        db.backend,
        if two {
            ", change through B, watch through A"
        } else {
            ", one process"
        },
        latency.as_secs_f64() * 1000.0
    ));
    drop((sofia, eva, a, b));
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_on_sqlite() {
    watch_meeting(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_across_instances_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        watch_meeting(db).await;
    }
}
