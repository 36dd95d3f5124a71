//! Steps of the release story as gRPC calls, shared by the
//! services' integration tests: meetings, agendas and minutes of a forum,
//! and what a treasurer can ask about a period's bills.

use samverkan_proto::Timestamp;
use samverkan_proto::costmodel::v1 as cpb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1::ListForumsRequest;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use tonic::transport::Channel;

use crate::TestServer;

/// IT-styrgruppen's secretary in the demo.
const EVA: &str = "eva.dahlgren@ulricehamn.se";

pub type Forums = ForumsServiceClient<Channel>;

/// `msg` as a request of the demo person `email`.
pub fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
}

/// A UTC instant on a day at an hour, as a proto timestamp.
pub fn at(y: i32, mo: u32, d: u32, h: u32) -> Option<Timestamp> {
    let t = chrono::NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
        .and_utc();
    Some(Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}

/// The ids of IT-forum utveckling and IT-styrgruppen in the demo.
pub async fn forum_ids(server: &TestServer) -> (String, String) {
    forum_ids_via(server.channel().await).await
}

/// [`forum_ids`], asked through `channel` (e.g. of a `samverkan serve`
/// child process).
pub async fn forum_ids_via(channel: Channel) -> (String, String) {
    let mut roles = RolesServiceClient::new(channel);
    let forums = roles
        .list_forums(as_(EVA, ListForumsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .forums;
    let id = |code: &str| forums.iter().find(|f| f.code == code).unwrap().id.clone();
    (id("utveckling"), id("styrgruppen"))
}

/// Plans a meeting of `forum` on `day`, 13.00–15.00 Stockholm winter time.
pub async fn meeting(
    c: &mut Forums,
    who: &str,
    forum: &str,
    title: &str,
    day: (i32, u32, u32),
) -> pb::Meeting {
    c.create_meeting(as_(
        who,
        pb::CreateMeetingRequest {
            request_id: format!("{forum}-{title}"),
            meeting: Some(pb::Meeting {
                forum_id: forum.into(),
                title: title.into(),
                start_time: at(day.0, day.1, day.2, 12),
                end_time: at(day.0, day.1, day.2, 14),
                location: "Tranemo kommunhus, sal Ätran".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .meeting
    .unwrap()
}

/// Adds an agenda item (for `matter`, if not empty).
pub async fn add_item(
    c: &mut Forums,
    who: &str,
    meeting: &str,
    kind: pb::AgendaItemKind,
    title: &str,
    matter: &str,
) -> pb::Meeting {
    c.add_agenda_item(as_(
        who,
        pb::AddAgendaItemRequest {
            request_id: String::new(),
            item: Some(pb::AgendaItem {
                meeting_id: meeting.into(),
                kind: kind as i32,
                title: title.into(),
                matter_id: matter.into(),
                presenter: "Eva Dahlgren".into(),
                estimated_minutes: 15,
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .meeting
    .unwrap()
}

/// Publishes the agenda.
pub async fn publish(c: &mut Forums, who: &str, m: &pb::Meeting) -> pb::Meeting {
    let current = c
        .get_meeting(as_(who, pb::GetMeetingRequest { id: m.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .meeting
        .unwrap();
    c.publish_agenda(as_(
        who,
        pb::PublishAgendaRequest {
            meeting_id: m.id.clone(),
            etag: current.etag,
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .meeting
    .unwrap()
}

/// Holds the meeting: records attendance, opening the minutes.
pub async fn hold(c: &mut Forums, who: &str, m: &pb::Meeting) {
    let current = c
        .get_meeting(as_(who, pb::GetMeetingRequest { id: m.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .meeting
        .unwrap();
    c.record_attendance(as_(
        who,
        pb::RecordAttendanceRequest {
            meeting_id: m.id.clone(),
            attendance: vec![pb::Attendance {
                name: "Eva Dahlgren".into(),
                status: pb::AttendanceStatus::Present as i32,
                ..Default::default()
            }],
            etag: current.etag,
        },
    ))
    .await
    .unwrap();
}

/// Records a § for an agenda item.
pub async fn paragraph(
    c: &mut Forums,
    who: &str,
    m: &str,
    item: &str,
    outcome: pb::ParagraphOutcome,
    decision: &str,
) -> pb::Paragraph {
    c.add_paragraph(as_(
        who,
        pb::AddParagraphRequest {
            request_id: String::new(),
            paragraph: Some(pb::Paragraph {
                meeting_id: m.into(),
                agenda_item_id: item.into(),
                presented: "Ärendet föredras.".into(),
                decision: decision.into(),
                outcome: outcome as i32,
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .paragraph
    .unwrap()
}

/// Everything a treasurer can ask about a period's bills, as bytes, each
/// named: for every (reader, municipality), the live, issued and
/// recomputed bill, the change from issued to live, and the three CSV
/// exports. A join or a leave after the period must leave all of it as it
/// was (issue #18).
pub async fn bill_answers(
    c: &mut CostModelServiceClient<Channel>,
    period: cpb::Period,
    readers: &[(&str, &str)],
) -> Vec<(String, Vec<u8>)> {
    use prost::Message as _;
    let source = |basis: cpb::BillBasis| {
        Some(cpb::BillSource {
            period: Some(period),
            basis: basis as i32,
            ..Default::default()
        })
    };
    let mut out = Vec::new();
    for &(who, m) in readers {
        for basis in [
            cpb::BillBasis::Live,
            cpb::BillBasis::Issued,
            cpb::BillBasis::Recomputed,
        ] {
            let b = c
                .compute_bill(as_(
                    who,
                    cpb::ComputeBillRequest {
                        municipality_id: m.into(),
                        source: source(basis),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap_or_else(|e| panic!("the {basis:?} bill of {m} for {period:?}: {e}"));
            out.push((
                format!("bill {m} {basis:?}"),
                b.into_inner().encode_to_vec(),
            ));
        }
        let e = c
            .explain_change(as_(
                who,
                cpb::ExplainChangeRequest {
                    municipality_id: m.into(),
                    from: source(cpb::BillBasis::Issued),
                    to: source(cpb::BillBasis::Live),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_or_else(|e| panic!("the explanation of {m}'s bill for {period:?}: {e}"));
        out.push((format!("explanation {m}"), e.into_inner().encode_to_vec()));
        for table in [
            cpb::CsvTable::Bill,
            cpb::CsvTable::UnitSplit,
            cpb::CsvTable::Explanation,
        ] {
            let csv = c
                .export_csv(as_(
                    who,
                    cpb::ExportCsvRequest {
                        municipality_id: m.into(),
                        table: table as i32,
                        bill: source(cpb::BillBasis::Live),
                        from: source(cpb::BillBasis::Issued),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap_or_else(|e| panic!("the {table:?} export of {m} for {period:?}: {e}"))
                .into_inner();
            out.push((format!("{table:?} {m} {}", csv.filename), csv.content));
        }
    }
    out
}
