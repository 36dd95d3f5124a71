//! `samverkan.forums.v1.ForumsService`. `WatchMeeting` (a server stream)
//! is left out: it shares its validation with `GetMeeting`.

use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_server::ForumsService as _;

use super::{Seed, at, seed};

super::service!(forums, "samverkan.forums.v1.ForumsService", pb, [
    CreateMatter => create_matter(CreateMatterRequest),
    GetMatter => get_matter(GetMatterRequest),
    ListMatters => list_matters(ListMattersRequest),
    UpdateMatter => update_matter(UpdateMatterRequest),
    SubmitMatter => submit_matter(SubmitMatterRequest),
    WithdrawMatter => withdraw_matter(WithdrawMatterRequest),
    EscalateMatter => escalate_matter(EscalateMatterRequest),
    ListAgendaBacklog => list_agenda_backlog(ListAgendaBacklogRequest),
    CreateMeeting => create_meeting(CreateMeetingRequest),
    GetMeeting => get_meeting(GetMeetingRequest),
    ListMeetings => list_meetings(ListMeetingsRequest),
    AddAgendaItem => add_agenda_item(AddAgendaItemRequest),
    PublishAgenda => publish_agenda(PublishAgendaRequest),
    CreateNote => create_note(CreateNoteRequest),
    ListNotes => list_notes(ListNotesRequest),
    CreateDocument => create_document(CreateDocumentRequest),
    GetDocument => get_document(GetDocumentRequest),
    ListDocuments => list_documents(ListDocumentsRequest),
    RecordAttendance => record_attendance(RecordAttendanceRequest),
    AddParagraph => add_paragraph(AddParagraphRequest),
    DesignateAdjusters => designate_adjusters(DesignateAdjustersRequest),
    AdjustMinutes => adjust_minutes(AdjustMinutesRequest),
    AddCorrection => add_correction(AddCorrectionRequest),
    GetMinutes => get_minutes(GetMinutesRequest),
    ExportMeeting => export_meeting(ExportMeetingRequest),
]);

/// IT-styrgruppen's secretary.
const EVA: &str = "eva.dahlgren@ulricehamn.se";
/// Tranemo's kommunchef, a member of IT-styrgruppen who may adjust.
const ANNA: &str = "anna.aberg@tranemo.se";
/// Ulricehamn's kommunchef, the other adjuster.
const LARS: &str = "lars.angstrom@ulricehamn.se";
/// A person of Tranemo without a seat.
const SOFIA: &str = "sofia.lindstrom@tranemo.se";

fn matter(title: &str) -> Option<pb::Matter> {
    Some(pb::Matter {
        kind: pb::MatterKind::DevelopmentNeed as i32,
        title: title.into(),
        description: "Behov av **gemensam** e-tjänstplattform.\n\n- inloggning\n- ärendehantering"
            .into(),
        priority: pb::Priority::High as i32,
        ..Default::default()
    })
}

/// Valid requests, in story order: matters `@matters` (a draft),
/// `@matters.1` (submitted and on the agenda) and `@matters.2`
/// (withdrawn); meeting `@meetings` held with §§ `@paragraphs` and
/// `@paragraphs.1`, adjusted by one adjuster (frozen); meeting
/// `@meetings.1` with § `@paragraphs.2`, locked; meeting `@meetings.2`,
/// held, whose minutes record the correction of `@paragraphs.2`.
pub fn story() -> Vec<Seed> {
    vec![
        seed(
            "CreateMatter",
            SOFIA,
            pb::CreateMatterRequest {
                request_id: "seed-matter-a".into(),
                matter: matter("Gemensam e-tjänstplattform"),
            },
        ),
        seed(
            "CreateMatter",
            ANNA,
            pb::CreateMatterRequest {
                request_id: "seed-matter-b".into(),
                matter: matter("Ny modell för IT-budget"),
            },
        ),
        seed(
            "CreateMatter",
            SOFIA,
            pb::CreateMatterRequest {
                request_id: "seed-matter-c".into(),
                matter: matter("Utbildning i informationssäkerhet"),
            },
        ),
        seed(
            "UpdateMatter",
            SOFIA,
            pb::UpdateMatterRequest {
                matter: Some(pb::Matter {
                    id: "@matters".into(),
                    kind: pb::MatterKind::ImprovementNeed as i32,
                    title: "Gemensam e-tjänstplattform för båda kommunerna".into(),
                    description: "Reviderad beskrivning.".into(),
                    priority: pb::Priority::Normal as i32,
                    ..Default::default()
                }),
                etag: "#matters".into(),
            },
        ),
        seed(
            "SubmitMatter",
            ANNA,
            pb::SubmitMatterRequest {
                id: "@matters.1".into(),
                forum_id: "@forums:styrgruppen".into(),
                etag: "#matters.1".into(),
            },
        ),
        seed(
            "WithdrawMatter",
            SOFIA,
            pb::WithdrawMatterRequest {
                id: "@matters.2".into(),
                etag: "#matters.2".into(),
            },
        ),
        seed(
            "CreateDocument",
            SOFIA,
            pb::CreateDocumentRequest {
                request_id: "seed-document-matter".into(),
                document: Some(pb::Document {
                    matter_id: "@matters".into(),
                    title: "Behovsbeskrivning".into(),
                    classification: pb::Classification::Public as i32,
                    media_type: "text/markdown".into(),
                    content: b"# Behov\n\nEn plattform.\n".to_vec(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "CreateMeeting",
            EVA,
            pb::CreateMeetingRequest {
                request_id: "seed-meeting-1".into(),
                meeting: Some(pb::Meeting {
                    forum_id: "@forums:styrgruppen".into(),
                    title: "IT-styrgruppen, sammanträde 2/2026".into(),
                    start_time: at(2026, 3, 12, 12),
                    end_time: at(2026, 3, 12, 14),
                    location: "Tranemo kommunhus, sal Ätran".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "CreateMeeting",
            EVA,
            pb::CreateMeetingRequest {
                request_id: "seed-meeting-2".into(),
                meeting: Some(pb::Meeting {
                    forum_id: "@forums:styrgruppen".into(),
                    title: "IT-styrgruppen, sammanträde 3/2026".into(),
                    start_time: at(2026, 5, 20, 7),
                    end_time: at(2026, 5, 20, 9),
                    location: "https://meet.example.se/styrgruppen".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "AddAgendaItem",
            EVA,
            pb::AddAgendaItemRequest {
                request_id: "seed-item-1".into(),
                item: Some(pb::AgendaItem {
                    meeting_id: "@meetings".into(),
                    kind: pb::AgendaItemKind::Decision as i32,
                    title: "Ny modell för IT-budget".into(),
                    matter_id: "@matters.1".into(),
                    presenter: "Eva Dahlgren".into(),
                    estimated_minutes: 20,
                    ..Default::default()
                }),
            },
        ),
        seed(
            "AddAgendaItem",
            EVA,
            pb::AddAgendaItemRequest {
                request_id: "seed-item-2".into(),
                item: Some(pb::AgendaItem {
                    meeting_id: "@meetings".into(),
                    kind: pb::AgendaItemKind::Information as i32,
                    title: "Information från IT-chefen".into(),
                    presenter: "Per Håkansson".into(),
                    estimated_minutes: 10,
                    ..Default::default()
                }),
            },
        ),
        seed(
            "CreateNote",
            ANNA,
            pb::CreateNoteRequest {
                request_id: "seed-note".into(),
                note: Some(pb::Note {
                    agenda_item_id: "@agenda_items".into(),
                    text: "Tranemo vill se en kostnadsjämförelse först.".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "CreateDocument",
            EVA,
            pb::CreateDocumentRequest {
                request_id: "seed-document-item".into(),
                document: Some(pb::Document {
                    agenda_item_id: "@agenda_items".into(),
                    title: "Tjänsteskrivelse".into(),
                    classification: pb::Classification::Confidential as i32,
                    media_type: "application/pdf".into(),
                    content: b"%PDF-1.7\n%seed\n".to_vec(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "PublishAgenda",
            EVA,
            pb::PublishAgendaRequest {
                meeting_id: "@meetings".into(),
                etag: "#meetings".into(),
            },
        ),
        seed(
            "RecordAttendance",
            EVA,
            pb::RecordAttendanceRequest {
                meeting_id: "@meetings".into(),
                attendance: vec![
                    pb::Attendance {
                        person_id: "@people:anna.aberg@tranemo.se".into(),
                        name: "Anna Åberg".into(),
                        status: pb::AttendanceStatus::Present as i32,
                        ..Default::default()
                    },
                    pb::Attendance {
                        person_id: "@people:lars.angstrom@ulricehamn.se".into(),
                        name: "Lars Ängström".into(),
                        status: pb::AttendanceStatus::Present as i32,
                        ..Default::default()
                    },
                    pb::Attendance {
                        person_id: "@people:erik.ohman@tranemo.se".into(),
                        name: "Erik Öhman".into(),
                        status: pb::AttendanceStatus::Absent as i32,
                        ..Default::default()
                    },
                ],
                etag: "#meetings".into(),
            },
        ),
        seed(
            "AddParagraph",
            EVA,
            pb::AddParagraphRequest {
                request_id: "seed-paragraph-1".into(),
                paragraph: Some(pb::Paragraph {
                    meeting_id: "@meetings".into(),
                    agenda_item_id: "@agenda_items".into(),
                    title: "Ny modell för IT-budget".into(),
                    presented: "IT-strategen föredrar ärendet.".into(),
                    decision: "Styrgruppen beslutar att anta modellen.".into(),
                    outcome: pb::ParagraphOutcome::Decided as i32,
                    ..Default::default()
                }),
            },
        ),
        seed(
            "AddParagraph",
            EVA,
            pb::AddParagraphRequest {
                request_id: "seed-paragraph-2".into(),
                paragraph: Some(pb::Paragraph {
                    meeting_id: "@meetings".into(),
                    agenda_item_id: "@agenda_items.1".into(),
                    title: "Information från IT-chefen".into(),
                    presented: "IT-chefen informerar om driftläget.".into(),
                    decision: "Informationen noteras.".into(),
                    outcome: pb::ParagraphOutcome::Noted as i32,
                    ..Default::default()
                }),
            },
        ),
        seed(
            "DesignateAdjusters",
            EVA,
            pb::DesignateAdjustersRequest {
                meeting_id: "@meetings".into(),
                person_ids: vec![
                    "@people:anna.aberg@tranemo.se".into(),
                    "@people:lars.angstrom@ulricehamn.se".into(),
                ],
            },
        ),
        seed(
            "AdjustMinutes",
            ANNA,
            pb::AdjustMinutesRequest {
                meeting_id: "@meetings".into(),
            },
        ),
        // Meeting 2 is held and adjusted by both adjusters: locked.
        seed(
            "AddAgendaItem",
            EVA,
            pb::AddAgendaItemRequest {
                request_id: "seed-item-3".into(),
                item: Some(pb::AgendaItem {
                    meeting_id: "@meetings.1".into(),
                    kind: pb::AgendaItemKind::Report as i32,
                    title: "Driftläget".into(),
                    presenter: "Per Håkansson".into(),
                    estimated_minutes: 5,
                    ..Default::default()
                }),
            },
        ),
        seed(
            "PublishAgenda",
            EVA,
            pb::PublishAgendaRequest {
                meeting_id: "@meetings.1".into(),
                etag: "#meetings.1".into(),
            },
        ),
        seed(
            "RecordAttendance",
            EVA,
            pb::RecordAttendanceRequest {
                meeting_id: "@meetings.1".into(),
                attendance: vec![pb::Attendance {
                    person_id: "@people:erik.ohman@tranemo.se".into(),
                    name: "Erik Öhman".into(),
                    status: pb::AttendanceStatus::DeputyServing as i32,
                    deputy_for_person_id: "@people:anna.aberg@tranemo.se".into(),
                }],
                etag: "#meetings.1".into(),
            },
        ),
        seed(
            "AddParagraph",
            EVA,
            pb::AddParagraphRequest {
                request_id: "seed-paragraph-3".into(),
                paragraph: Some(pb::Paragraph {
                    meeting_id: "@meetings.1".into(),
                    agenda_item_id: "@agenda_items.2".into(),
                    title: "Driftläget".into(),
                    presented: "IT-chefen redogör.".into(),
                    decision: "Redogörelsen noteras.".into(),
                    outcome: pb::ParagraphOutcome::Noted as i32,
                    ..Default::default()
                }),
            },
        ),
        seed(
            "DesignateAdjusters",
            EVA,
            pb::DesignateAdjustersRequest {
                meeting_id: "@meetings.1".into(),
                person_ids: vec![
                    "@people:anna.aberg@tranemo.se".into(),
                    "@people:lars.angstrom@ulricehamn.se".into(),
                ],
            },
        ),
        seed(
            "AdjustMinutes",
            ANNA,
            pb::AdjustMinutesRequest {
                meeting_id: "@meetings.1".into(),
            },
        ),
        seed(
            "AdjustMinutes",
            LARS,
            pb::AdjustMinutesRequest {
                meeting_id: "@meetings.1".into(),
            },
        ),
        // Meeting 3, later, is held: its minutes record the correction.
        seed(
            "CreateMeeting",
            EVA,
            pb::CreateMeetingRequest {
                request_id: "seed-meeting-3".into(),
                meeting: Some(pb::Meeting {
                    forum_id: "@forums:styrgruppen".into(),
                    title: "IT-styrgruppen, sammanträde 4/2026".into(),
                    start_time: at(2026, 9, 17, 12),
                    end_time: at(2026, 9, 17, 14),
                    location: "Ulricehamns stadshus, sal Åsunden".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "AddAgendaItem",
            EVA,
            pb::AddAgendaItemRequest {
                request_id: "seed-item-4".into(),
                item: Some(pb::AgendaItem {
                    meeting_id: "@meetings.2".into(),
                    kind: pb::AgendaItemKind::Information as i32,
                    title: "Övriga frågor".into(),
                    presenter: "Eva Dahlgren".into(),
                    estimated_minutes: 5,
                    ..Default::default()
                }),
            },
        ),
        seed(
            "PublishAgenda",
            EVA,
            pb::PublishAgendaRequest {
                meeting_id: "@meetings.2".into(),
                etag: "#meetings.2".into(),
            },
        ),
        seed(
            "RecordAttendance",
            EVA,
            pb::RecordAttendanceRequest {
                meeting_id: "@meetings.2".into(),
                attendance: vec![pb::Attendance {
                    person_id: "@people:eva.dahlgren@ulricehamn.se".into(),
                    name: "Eva Dahlgren".into(),
                    status: pb::AttendanceStatus::Present as i32,
                    ..Default::default()
                }],
                etag: "#meetings.2".into(),
            },
        ),
        seed(
            "AddCorrection",
            EVA,
            pb::AddCorrectionRequest {
                request_id: "seed-correction".into(),
                meeting_id: "@meetings.1".into(),
                corrects_paragraph_id: "@paragraphs.2".into(),
                text: "Rättelse: redogörelsen gällde första kvartalet.".into(),
                recording_meeting_id: "@meetings.2".into(),
            },
        ),
        seed(
            "EscalateMatter",
            EVA,
            pb::EscalateMatterRequest {
                id: "@matters.1".into(),
                paragraph_id: "@paragraphs".into(),
                recommendation: "Styrgruppen rekommenderar bifall.".into(),
                etag: "#matters.1".into(),
            },
        ),
        seed(
            "GetMatter",
            SOFIA,
            pb::GetMatterRequest {
                id: "@matters".into(),
            },
        ),
        seed(
            "ListMatters",
            EVA,
            pb::ListMattersRequest {
                forum_id: "@forums:styrgruppen".into(),
                raising_municipality_id: "tranemo".into(),
                created_after: at(2020, 1, 1, 0),
                order_by: "create_time asc".into(),
                page_size: 1,
                ..Default::default()
            },
        ),
        seed(
            "ListAgendaBacklog",
            EVA,
            pb::ListAgendaBacklogRequest {
                forum_id: "@forums:styrgruppen".into(),
                page_size: 2,
                page_token: String::new(),
            },
        ),
        seed(
            "GetMeeting",
            EVA,
            pb::GetMeetingRequest {
                id: "@meetings".into(),
            },
        ),
        seed(
            "ListMeetings",
            EVA,
            pb::ListMeetingsRequest {
                forum_id: "@forums:styrgruppen".into(),
                start_after: at(2026, 1, 1, 0),
                order_by: "start_time desc".into(),
                page_size: 1,
                ..Default::default()
            },
        ),
        seed(
            "ListNotes",
            ANNA,
            pb::ListNotesRequest {
                meeting_id: "@meetings".into(),
            },
        ),
        seed(
            "GetDocument",
            SOFIA,
            pb::GetDocumentRequest {
                id: "@documents".into(),
            },
        ),
        seed(
            "ListDocuments",
            EVA,
            pb::ListDocumentsRequest {
                agenda_item_id: "@agenda_items".into(),
                ..Default::default()
            },
        ),
        seed(
            "GetMinutes",
            EVA,
            pb::GetMinutesRequest {
                meeting_id: "@meetings".into(),
            },
        ),
        seed(
            "ExportMeeting",
            EVA,
            pb::ExportMeetingRequest {
                meeting_id: "@meetings".into(),
                kind: pb::ExportKind::Minutes as i32,
                format: pb::ExportFormat::Html as i32,
            },
        ),
        seed(
            "ExportMeeting",
            EVA,
            pb::ExportMeetingRequest {
                meeting_id: "@meetings".into(),
                kind: pb::ExportKind::Agenda as i32,
                format: pb::ExportFormat::Markdown as i32,
            },
        ),
        seed(
            "ExportMeeting",
            EVA,
            pb::ExportMeetingRequest {
                meeting_id: "@meetings.1".into(),
                kind: pb::ExportKind::Calendar as i32,
                format: pb::ExportFormat::Unspecified as i32,
            },
        ),
    ]
}

/// The seed corpus: the story and every RPC with an empty request.
pub fn seeds() -> Vec<Seed> {
    let mut v = story();
    v.extend(empty_seeds());
    v
}
