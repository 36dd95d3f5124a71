//! Conflicting writes from many callers through two `samverkan serve`
//! processes on one database, on SQLite (one file) and on PostgreSQL
//! (issue #17):
//!
//! - agenda items on one meeting: every request sent twice, once to each
//!   instance, with the same `request_id`;
//! - § on one forum and year, over two meetings, each agenda item minuted
//!   twice at once (different `request_id`s) through both instances;
//! - decisions on one §: every § registered three times at once, twice
//!   with the same `request_id` (once per instance) and once with another;
//! - an etag race: many updates of one matter with the same etag.
//!
//! Afterwards: no duplicate numbers, no gaps in the gap-free series, each
//! `request_id` made one row, one decision per §, exactly one etag winner, and no call was
//! answered `INTERNAL` or with a code outside those issue #17 names.
//! `ABORTED` and `UNAVAILABLE` are retried by the client with the same
//! `request_id`, as a client app does.
//!
//! Sizes: `SAMVERKAN_TORTURE_SCALE` multiplies them (CI runs 1).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_testkit::process::Instance;
use samverkan_testkit::story::{as_, forum_ids_via, hold, meeting, publish};
use samverkan_testkit::{TestDb, figure};
use tonic::Code;

const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // secretary of IT-forum utveckling

/// Codes a conflicting write may answer (issue #17), besides OK.
const ALLOWED: [Code; 5] = [
    Code::Aborted,
    Code::AlreadyExists,
    Code::FailedPrecondition,
    Code::Unavailable,
    Code::ResourceExhausted,
];

fn scale() -> usize {
    std::env::var("SAMVERKAN_TORTURE_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Every answer's code, for the final judgement.
#[derive(Default, Clone)]
struct Tally(Arc<Mutex<BTreeMap<String, usize>>>);

impl Tally {
    fn add(&self, what: &str, code: Code) {
        *self
            .0
            .lock()
            .unwrap()
            .entry(format!("{what} {code:?}"))
            .or_default() += 1;
    }

    fn codes(&self) -> BTreeMap<String, usize> {
        self.0.lock().unwrap().clone()
    }
}

/// Calls `call` until it answers something other than `ABORTED` or
/// `UNAVAILABLE` (at most 30 times), tallying every answer.
async fn until_answered<T, F, Fut>(
    tally: &Tally,
    what: &str,
    mut call: F,
) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    for _ in 0..30 {
        match call().await {
            Ok(r) => {
                tally.add(what, Code::Ok);
                return Ok(r.into_inner());
            }
            Err(s) => {
                tally.add(what, s.code());
                assert!(
                    ALLOWED.contains(&s.code()),
                    "{what} answered {:?}: {}",
                    s.code(),
                    s.message()
                );
                if !matches!(s.code(), Code::Aborted | Code::Unavailable) {
                    return Err(s);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    panic!("{what} was never answered");
}

async fn torture(db: TestDb) {
    let started = Instant::now();
    let n = scale();
    samverkan_roles::demo::load(&db.app).await.expect("demo");
    let mut a = Instance::spawn(env!("CARGO_BIN_EXE_samverkan"), &db.app_url);
    let mut b = Instance::spawn(env!("CARGO_BIN_EXE_samverkan"), &db.app_url);
    a.ready().await;
    b.ready().await;
    let channels = [a.channel().await, b.channel().await];
    let forums = |i: usize| ForumsServiceClient::new(channels[i % 2].clone());
    let (utveckling, _) = forum_ids_via(channels[0].clone()).await;
    let tally = Tally::default();
    let limit = Arc::new(tokio::sync::Semaphore::new(32));

    // 1. Agenda items on one meeting, every request twice, one per instance.
    let items = 60 * n;
    let m = meeting(
        &mut forums(0),
        SOFIA,
        &utveckling,
        "Kapplöpningen",
        (2027, 3, 4),
    )
    .await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..items * 2 {
        let (c, tally, limit, meeting) = (forums(i), tally.clone(), limit.clone(), m.id.clone());
        calls.spawn(async move {
            let _p = limit.acquire_owned().await.unwrap();
            let k = i / 2;
            let request = pb::AddAgendaItemRequest {
                request_id: format!("punkt-{k:04}"),
                item: Some(pb::AgendaItem {
                    meeting_id: meeting,
                    kind: pb::AgendaItemKind::Information as i32,
                    title: format!("Punkt {k:04} – åtgärder för ökad säkerhet"),
                    presenter: "Sofia Lindström".into(),
                    estimated_minutes: 5,
                    ..Default::default()
                }),
            };
            until_answered(&tally, "AddAgendaItem", || {
                let (mut c, r) = (c.clone(), request.clone());
                async move { c.add_agenda_item(as_(SOFIA, r)).await }
            })
            .await
            .expect("an agenda item is added");
        });
    }
    calls.join_all().await;
    let agenda = forums(1)
        .get_meeting(as_(SOFIA, pb::GetMeetingRequest { id: m.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .meeting
        .unwrap()
        .agenda;
    let numbers: Vec<i32> = agenda.iter().map(|x| x.number).collect();
    let titles: BTreeSet<&str> = agenda.iter().map(|x| x.title.as_str()).collect();
    assert_eq!(
        numbers,
        (1..=i32::try_from(items).unwrap()).collect::<Vec<_>>(),
        "agenda numbers 1..={items}, each once"
    );
    assert_eq!(titles.len(), items, "each request_id made one item");

    // 2. § on one forum and year: two meetings, every item minuted twice at
    // once through both instances.
    let per_meeting = 20 * n;
    let mut meetings = Vec::new();
    for (title, day) in [("Vårmötet", (2027, 4, 8)), ("Sommarmötet", (2027, 6, 10))] {
        let mut c = forums(0);
        let mt = meeting(&mut c, SOFIA, &utveckling, title, day).await;
        for k in 0..per_meeting {
            c.add_agenda_item(as_(
                SOFIA,
                pb::AddAgendaItemRequest {
                    request_id: format!("{title}-{k}"),
                    item: Some(pb::AgendaItem {
                        meeting_id: mt.id.clone(),
                        kind: pb::AgendaItemKind::Information as i32,
                        title: format!("{title}: punkt {k}"),
                        presenter: "Sofia Lindström".into(),
                        estimated_minutes: 5,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap();
        }
        let mt = publish(&mut c, SOFIA, &mt).await;
        hold(&mut c, SOFIA, &mt).await;
        meetings.push(mt);
    }
    let mut calls = tokio::task::JoinSet::new();
    for (mi, mt) in meetings.iter().enumerate() {
        for (k, item) in mt.agenda.iter().enumerate() {
            for copy in 0..2 {
                let (c, tally, limit) = (forums(k + copy), tally.clone(), limit.clone());
                let request = pb::AddParagraphRequest {
                    request_id: format!("paragraf-{mi}-{k}-{copy}"),
                    paragraph: Some(pb::Paragraph {
                        meeting_id: mt.id.clone(),
                        agenda_item_id: item.id.clone(),
                        presented: "Ärendet föredras.".into(),
                        decision: "Forumet noterar informationen.".into(),
                        outcome: pb::ParagraphOutcome::Noted as i32,
                        ..Default::default()
                    }),
                };
                calls.spawn(async move {
                    let _p = limit.acquire_owned().await.unwrap();
                    match until_answered(&tally, "AddParagraph", || {
                        let (mut c, r) = (c.clone(), request.clone());
                        async move { c.add_paragraph(as_(SOFIA, r)).await }
                    })
                    .await
                    {
                        Ok(_) => true,
                        Err(s) => {
                            assert_eq!(s.code(), Code::FailedPrecondition, "{s:?}");
                            false
                        }
                    }
                });
            }
        }
    }
    let won = calls.join_all().await.into_iter().filter(|w| *w).count();
    assert_eq!(won, 2 * per_meeting, "each agenda item minuted once");
    let mut paragraphs = Vec::new();
    let mut minuted = Vec::new();
    for mt in &meetings {
        let minutes = forums(0)
            .get_minutes(as_(
                SOFIA,
                pb::GetMinutesRequest {
                    meeting_id: mt.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .minutes
            .unwrap();
        assert_eq!(minutes.paragraphs.len(), per_meeting);
        minuted.extend(
            minutes
                .paragraphs
                .iter()
                .map(|p| (mt.id.clone(), p.id.clone())),
        );
        paragraphs.extend(minutes.paragraphs.into_iter().map(|p| (p.year, p.number)));
    }
    paragraphs.sort_unstable();
    assert_eq!(
        paragraphs,
        (1..=i32::try_from(2 * per_meeting).unwrap())
            .map(|k| (2027, k))
            .collect::<Vec<_>>(),
        "§ 1..={} of 2027, each once, no gap",
        2 * per_meeting
    );

    // 3. Decisions on one §: each § registered three times at once, twice
    // with one request_id (once per instance) and once with another.
    let mut calls = tokio::task::JoinSet::new();
    for (k, (meeting, paragraph)) in minuted.iter().enumerate() {
        for (copy, rid) in [(0, "a"), (1, "a"), (1, "b")] {
            let channel = channels[(k + copy) % 2].clone();
            let (tally, limit) = (tally.clone(), limit.clone());
            let request = dpb::RegisterDecisionRequest {
                request_id: format!("beslut-{k}-{rid}"),
                decision: Some(dpb::Decision {
                    meeting_id: meeting.clone(),
                    paragraph_id: paragraph.clone(),
                    responsible_role_code: "it-chef".into(),
                    ..Default::default()
                }),
            };
            calls.spawn(async move {
                let _p = limit.acquire_owned().await.unwrap();
                let c = DecisionsServiceClient::new(channel);
                let answer = until_answered(&tally, "RegisterDecision", || {
                    let (mut c, r) = (c.clone(), request.clone());
                    async move { c.register_decision(as_(SOFIA, r)).await }
                })
                .await;
                match answer {
                    Ok(r) => Some((k, request.request_id, r.decision.unwrap().id)),
                    Err(s) => {
                        assert_eq!(s.code(), Code::AlreadyExists, "{s:?}");
                        None
                    }
                }
            });
        }
    }
    let mut winners: BTreeMap<usize, BTreeSet<(String, String)>> = BTreeMap::new();
    for (k, rid, id) in calls.join_all().await.into_iter().flatten() {
        winners.entry(k).or_default().insert((rid, id));
    }
    for k in 0..minuted.len() {
        let w = winners.get(&k).map(BTreeSet::len).unwrap_or(0);
        assert_eq!(
            w,
            1,
            "§ {k}: one decision, one request_id won: {:?}",
            winners.get(&k)
        );
    }
    let registered = DecisionsServiceClient::new(channels[0].clone())
        .list_decisions(as_(
            SOFIA,
            dpb::ListDecisionsRequest {
                page_size: 200,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .decisions;
    let per_paragraph: BTreeSet<&str> =
        registered.iter().map(|d| d.paragraph_id.as_str()).collect();
    assert_eq!(registered.len(), minuted.len(), "one decision per §");
    assert_eq!(per_paragraph.len(), minuted.len());

    // 4. An etag race: many updates of one matter with the same etag.
    let racers = 16 * n;
    let draft = forums(0)
        .create_matter(as_(
            SOFIA,
            pb::CreateMatterRequest {
                request_id: "etag-race".into(),
                matter: Some(pb::Matter {
                    kind: pb::MatterKind::DevelopmentNeed as i32,
                    title: "Gemensam e-tjänstplattform".into(),
                    description: "Första utkastet.".into(),
                    priority: pb::Priority::Normal as i32,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..racers {
        let (mut c, tally, limit) = (forums(i), tally.clone(), limit.clone());
        let mut matter = draft.clone();
        matter.description = format!("Utkast {i} från kapplöpningen.");
        calls.spawn(async move {
            let _p = limit.acquire_owned().await.unwrap();
            let r = c
                .update_matter(as_(
                    SOFIA,
                    pb::UpdateMatterRequest {
                        etag: matter.etag.clone(),
                        matter: Some(matter),
                    },
                ))
                .await;
            let code = r.as_ref().map_or_else(tonic::Status::code, |_| Code::Ok);
            tally.add("UpdateMatter", code);
            code
        });
    }
    let codes = calls.join_all().await;
    let winners = codes.iter().filter(|c| **c == Code::Ok).count();
    assert_eq!(
        winners, 1,
        "exactly one update with the etag wins: {codes:?}"
    );
    assert!(
        codes.iter().all(|c| matches!(c, Code::Ok | Code::Aborted)),
        "the losers are told their etag is stale: {codes:?}"
    );

    let codes = tally.codes();
    assert!(
        !codes
            .keys()
            .any(|k| k.ends_with("Internal") || k.ends_with("Unknown")),
        "{codes:?}"
    );
    let calls: usize = codes.values().sum();
    figure(&format!(
        "torture ({:?}, two processes): {calls} conflicting calls, 0 duplicate numbers, 0 gaps, 0 INTERNAL, in {:.1} s; answers {codes:?}",
        db.backend,
        started.elapsed().as_secs_f64()
    ));
    drop((a, b));
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_sqlite() {
    torture(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        torture(db).await;
    }
}
