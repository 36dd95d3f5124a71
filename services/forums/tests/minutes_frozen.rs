//! Issue #18, part 3, on SQLite and PostgreSQL: the minutes are signed by
//! two adjusters, frozen from the first signature and locked for good by
//! the second; a correction of adjusted minutes is a § of a later meeting
//! of the same forum, numbered in that meeting's year, and both minutes
//! show the link.
//!
//! That every write to what frozen or adjusted minutes show answers
//! `FAILED_PRECONDITION` naming the state (`MINUTES_FROZEN`,
//! `MINUTES_ADJUSTED`) and writes nothing — a correction recorded in them
//! included — is the precondition table's, in `tests/bad_input.rs`.

use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::bad_input::{Snapshots, changed_tables, paced};
use samverkan_testkit::story::{add_item, as_, forum_ids, hold, meeting, paragraph, publish};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::transport::Channel;
use tonic::{Code, Status};

const EVA: &str = "eva.dahlgren@ulricehamn.se"; // secretary of IT-styrgruppen
const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // secretary of IT-forum utveckling
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo utvecklingschef, writes notes
const ANNA: &str = "anna.aberg@tranemo.se"; // adjuster (Tranemo)
const LARS: &str = "lars.angstrom@ulricehamn.se"; // adjuster (Ulricehamn)

type Client = ForumsServiceClient<Channel>;

/// A meeting of `forum` on `day` with one item, held, with its § recorded
/// by `secretary`: the minutes are drafted and open.
async fn minuted(
    c: &mut Client,
    secretary: &str,
    forum: &str,
    title: &str,
    day: (i32, u32, u32),
) -> (pb::Meeting, pb::Paragraph) {
    let m = meeting(c, secretary, forum, title, day).await;
    let m = add_item(
        c,
        secretary,
        &m.id,
        pb::AgendaItemKind::Decision,
        "Prislista för nästa år",
        "",
    )
    .await;
    publish(c, secretary, &m).await;
    hold(c, secretary, &m).await;
    let p = paragraph(
        c,
        secretary,
        &m.id,
        &m.agenda[0].id,
        pb::ParagraphOutcome::Decided,
        "Forumet fastställer prislistan.",
    )
    .await;
    (m, p)
}

/// A meeting of `forum` on `day` with one item, held, no § yet.
async fn held(c: &mut Client, forum: &str, title: &str, day: (i32, u32, u32)) -> pb::Meeting {
    let m = meeting(c, EVA, forum, title, day).await;
    let m = add_item(
        c,
        EVA,
        &m.id,
        pb::AgendaItemKind::Information,
        "Övriga frågor",
        "",
    )
    .await;
    publish(c, EVA, &m).await;
    hold(c, EVA, &m).await;
    m
}

async fn designate(c: &mut Client, m: &pb::Meeting) {
    c.designate_adjusters(as_(
        EVA,
        pb::DesignateAdjustersRequest {
            meeting_id: m.id.clone(),
            person_ids: vec![],
        },
    ))
    .await
    .unwrap();
}

async fn adjust(c: &mut Client, who: &str, m: &pb::Meeting) -> Result<pb::Minutes, Status> {
    c.adjust_minutes(as_(
        who,
        pb::AdjustMinutesRequest {
            meeting_id: m.id.clone(),
        },
    ))
    .await
    .map(|r| r.into_inner().minutes.unwrap())
}

async fn minutes(c: &mut Client, m: &str) -> pb::Minutes {
    c.get_minutes(as_(
        EVA,
        pb::GetMinutesRequest {
            meeting_id: m.into(),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .minutes
    .unwrap()
}

async fn get_meeting(c: &mut Client, id: &str) -> pb::Meeting {
    c.get_meeting(as_(EVA, pb::GetMeetingRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .meeting
        .unwrap()
}

async fn the_second_signature_locks_the_minutes(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let mut c = ForumsServiceClient::new(server.channel().await);
    let (_, styr) = forum_ids(&server).await;
    let (m, _) = minuted(&mut c, EVA, &styr, "IT-styrgruppen 2/2027", (2027, 3, 11)).await;
    designate(&mut c, &m).await;
    // Until the first signature what the minutes show may change: a note
    // on the item is written after the adjusters are designated.
    c.create_note(as_(
        ERIK,
        pb::CreateNoteRequest {
            request_id: String::new(),
            note: Some(pb::Note {
                agenda_item_id: m.agenda[0].id.clone(),
                text: "Tranemo stöder förslaget.".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    let adjusters = minutes(&mut c, &m.id).await.adjuster_person_ids;
    assert_eq!(adjusters.len(), 2);

    // The first signature freezes the minutes, but does not lock them.
    let half = adjust(&mut c, ANNA, &m).await.unwrap();
    assert!(!half.locked, "{half:?}");
    assert_eq!(half.adjusted_by_person_ids.len(), 1, "{half:?}");
    assert_eq!(minutes(&mut c, &m.id).await, half);
    // The same adjuster signs once.
    let err = adjust(&mut c, ANNA, &m).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("already adjusted"),
        "{}",
        err.message()
    );

    // The second signature — the one write frozen minutes allow — locks
    // them: both adjusters have signed.
    let done = adjust(&mut c, LARS, &m).await.unwrap();
    assert!(done.locked, "{done:?}");
    let mut signed = done.adjusted_by_person_ids.clone();
    signed.sort();
    let mut designated = adjusters;
    designated.sort();
    assert_eq!(signed, designated);
    let shown = minutes(&mut c, &m.id).await;
    assert!(shown.locked && shown.lock_time.is_some(), "{shown:?}");
    assert_eq!(shown.adjusted_by_person_ids, done.adjusted_by_person_ids);
    assert_eq!(
        get_meeting(&mut c, &m.id).await.state,
        pb::MeetingState::Adjusted as i32
    );
    server.stop().await;
}
backend_test!(the_second_signature_locks_the_minutes);

/// `AddCorrection` of `corrected`'s § `paragraph`, recorded in `recording`.
fn correction(corrected: &str, paragraph: &str, recording: &str) -> pb::AddCorrectionRequest {
    pb::AddCorrectionRequest {
        request_id: String::new(),
        meeting_id: corrected.into(),
        corrects_paragraph_id: paragraph.into(),
        text: "Rättelse: prislistan gäller från 1 april, inte 1 januari.".into(),
        recording_meeting_id: recording.into(),
    }
}

/// A correction that must be refused: what it is, the request, as whom,
/// and the code and words of the answer.
struct Refused {
    what: &'static str,
    req: pb::AddCorrectionRequest,
    who: &'static str,
    code: Code,
    says: &'static str,
}

fn refused(
    what: &'static str,
    req: pb::AddCorrectionRequest,
    code: Code,
    says: &'static str,
) -> Refused {
    Refused {
        what,
        req,
        who: EVA,
        code,
        says,
    }
}

/// Sends each refused correction; what went otherwise than expected, or
/// wrote anything.
async fn refuse(
    c: &Client,
    db: &TestDb,
    snapshots: &Snapshots,
    cases: Vec<Refused>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let before = snapshots.take(db).await;
        let r = paced(|| {
            let mut c = c.clone();
            let req = case.req.clone();
            async move { c.add_correction(as_(case.who, req)).await.map(drop) }
        })
        .await;
        let after = snapshots.take(db).await;
        match r {
            Err(s) if s.code() == case.code && s.message().contains(case.says) => {}
            Err(s) => failures.push(format!(
                "{}: {:?}: {} (expected {:?} saying {:?})",
                case.what,
                s.code(),
                s.message(),
                case.code,
                case.says
            )),
            Ok(()) => failures.push(format!("{}: accepted", case.what)),
        }
        let changed = changed_tables(&before, &after);
        if !changed.is_empty() {
            failures.push(format!("{}: wrote to {changed:?}", case.what));
        }
    }
    failures
}

const NOT_ADJUSTED: &str = "corrections are for adjusted minutes";
const NOT_LATER: &str = "a meeting later than the corrected one";

async fn corrections_are_recorded_in_a_later_meeting(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let mut c = ForumsServiceClient::new(server.channel().await);
    let (utv, styr) = forum_ids(&server).await;
    let snapshots = Snapshots::new(&db).await;

    // December 2026: minutes with § 1/2026, to be adjusted.
    let (dec, dec_p) = minuted(&mut c, EVA, &styr, "IT-styrgruppen 6/2026", (2026, 12, 17)).await;
    assert_eq!(dec_p.reference, "§ 1/2026");
    // A meeting earlier that year, its minutes still open, with its own §.
    let (autumn, autumn_p) =
        minuted(&mut c, EVA, &styr, "IT-styrgruppen 5/2026", (2026, 10, 8)).await;
    assert_eq!(autumn_p.reference, "§ 2/2026");
    // The next meeting, in January: the correction's place.
    let january = held(&mut c, &styr, "IT-styrgruppen 1/2027", (2027, 1, 21)).await;

    let mut failures = refuse(
        &c,
        &db,
        &snapshots,
        vec![refused(
            "the corrected minutes are drafted",
            correction(&dec.id, &dec_p.id, &january.id),
            Code::FailedPrecondition,
            NOT_ADJUSTED,
        )],
    )
    .await;
    designate(&mut c, &dec).await;
    adjust(&mut c, ANNA, &dec).await.unwrap();
    failures.extend(
        refuse(
            &c,
            &db,
            &snapshots,
            vec![refused(
                "the corrected minutes are signed by one adjuster only",
                correction(&dec.id, &dec_p.id, &january.id),
                Code::FailedPrecondition,
                NOT_ADJUSTED,
            )],
        )
        .await,
    );
    adjust(&mut c, LARS, &dec).await.unwrap();
    let locked = minutes(&mut c, &dec.id).await;
    assert!(locked.locked);

    let utv_meeting = {
        let m = meeting(
            &mut c,
            SOFIA,
            &utv,
            "IT-forum utveckling 1/2027",
            (2027, 2, 4),
        )
        .await;
        let m = add_item(
            &mut c,
            SOFIA,
            &m.id,
            pb::AgendaItemKind::Information,
            "Övriga frågor",
            "",
        )
        .await;
        publish(&mut c, SOFIA, &m).await;
        hold(&mut c, SOFIA, &m).await;
        m
    };
    let planned = meeting(&mut c, EVA, &styr, "IT-styrgruppen 2/2027", (2027, 3, 11)).await;
    let nobody = "01900000-0000-7000-8000-00000000dead";
    failures.extend(
        refuse(
            &c,
            &db,
            &snapshots,
            vec![
                refused(
                    "recorded in the corrected meeting itself",
                    correction(&dec.id, &dec_p.id, &dec.id),
                    Code::FailedPrecondition,
                    NOT_LATER,
                ),
                refused(
                    "recorded in an earlier meeting",
                    correction(&dec.id, &dec_p.id, &autumn.id),
                    Code::FailedPrecondition,
                    NOT_LATER,
                ),
                refused(
                    "recorded in a meeting not yet held",
                    correction(&dec.id, &dec_p.id, &planned.id),
                    Code::FailedPrecondition,
                    "the minutes are not open",
                ),
                Refused {
                    who: SOFIA,
                    ..refused(
                        "recorded in another forum's meeting, by its secretary",
                        correction(&dec.id, &dec_p.id, &utv_meeting.id),
                        Code::FailedPrecondition,
                        "same forum",
                    )
                },
                refused(
                    "a § of another meeting",
                    correction(&dec.id, &autumn_p.id, &january.id),
                    Code::NotFound,
                    "paragraph",
                ),
                refused(
                    "a recording meeting that does not exist",
                    correction(&dec.id, &dec_p.id, nobody),
                    Code::NotFound,
                    "meeting",
                ),
                refused(
                    "a corrected meeting that does not exist",
                    correction(nobody, &dec_p.id, &january.id),
                    Code::NotFound,
                    "meeting",
                ),
                refused(
                    "no recording meeting",
                    correction(&dec.id, &dec_p.id, ""),
                    Code::InvalidArgument,
                    "recording_meeting_id",
                ),
                refused(
                    "a recording meeting that is not an id",
                    correction(&dec.id, &dec_p.id, "nästa möte"),
                    Code::InvalidArgument,
                    "recording_meeting_id",
                ),
            ],
        )
        .await,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Recorded in January 2027's minutes: § 1/2027 of IT-styrgruppen's
    // series for 2027, not the corrected meeting's year.
    let fix = c
        .add_correction(as_(EVA, correction(&dec.id, &dec_p.id, &january.id)))
        .await
        .unwrap()
        .into_inner()
        .paragraph
        .unwrap();
    assert_eq!(
        (
            fix.meeting_id.as_str(),
            fix.reference.as_str(),
            fix.year,
            fix.number
        ),
        (january.id.as_str(), "§ 1/2027", 2027, 1)
    );
    assert_eq!(fix.title, "Rättelse av § 1/2026");
    let link = fix.corrects.clone().unwrap();
    assert_eq!(
        (
            link.meeting_id.as_str(),
            link.paragraph_id.as_str(),
            link.reference.as_str(),
            link.meeting_title.as_str()
        ),
        (
            dec.id.as_str(),
            dec_p.id.as_str(),
            "§ 1/2026",
            "IT-styrgruppen 6/2026"
        )
    );
    // The series goes on after the correction.
    let next = paragraph(
        &mut c,
        EVA,
        &january.id,
        &january.agenda[0].id,
        pb::ParagraphOutcome::Noted,
        "Inga övriga frågor.",
    )
    .await;
    assert_eq!(next.reference, "§ 2/2027");

    // Both minutes show the link; the corrected minutes changed in nothing
    // else.
    let corrected = minutes(&mut c, &dec.id).await;
    let by = &corrected.paragraphs[0].corrected_by;
    assert_eq!(by.len(), 1, "{corrected:?}");
    assert_eq!(
        (
            by[0].paragraph_id.as_str(),
            by[0].meeting_id.as_str(),
            by[0].reference.as_str()
        ),
        (fix.id.as_str(), january.id.as_str(), "§ 1/2027")
    );
    let mut without_link = corrected.clone();
    without_link.paragraphs[0].corrected_by.clear();
    assert_eq!(without_link, locked);
    let recording = minutes(&mut c, &january.id).await;
    let refs: Vec<_> = recording
        .paragraphs
        .iter()
        .map(|p| p.reference.as_str())
        .collect();
    assert_eq!(refs, ["§ 1/2027", "§ 2/2027"]);
    assert_eq!(recording.paragraphs[0].corrects, Some(link));

    let export = |id: String| {
        let mut c = c.clone();
        async move {
            let r = c
                .export_meeting(as_(
                    ERIK,
                    pb::ExportMeetingRequest {
                        meeting_id: id,
                        kind: pb::ExportKind::Minutes as i32,
                        format: pb::ExportFormat::Html as i32,
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            String::from_utf8(r.content).unwrap()
        }
    };
    let html = export(dec.id.clone()).await;
    assert!(
        html.contains("<p><em>Rättad genom § 1/2027 i protokollet från sammanträdet den 21 januari 2027 (IT-styrgruppen 1/2027).</em></p>"),
        "{html}"
    );
    let html = export(january.id.clone()).await;
    assert!(
        html.contains("<h2>§ 1/2027 Rättelse av § 1/2026</h2>\n<p><em>Rättelse av § 1/2026 i protokollet från sammanträdet den 17 december 2026 (IT-styrgruppen 6/2026).</em></p>"),
        "{html}"
    );

    server.stop().await;
}
backend_test!(corrections_are_recorded_in_a_later_meeting);
