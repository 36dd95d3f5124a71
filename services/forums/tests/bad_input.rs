//! Bad input to every create, update and other mutating RPC of the forums
//! service (issue #8, point 8), on SQLite and PostgreSQL: empty, overlong,
//! wrongly formatted and out-of-range fields each answer `INVALID_ARGUMENT`
//! with a `google.rpc.BadRequest` naming the offending field, and write
//! nothing — every table's rows are the same before and after the call.
//!
//! Each case starts from a valid request (proved valid by sending it after
//! the cases, as a control that must succeed) and spoils one field.
//!
//! After the controls, the precondition table (issue #18): every write to
//! what the minutes of a meeting show — attendance, agenda, §§, adjusters,
//! the items' notes and documents, a correction recorded in them — sent to
//! minutes signed by one adjuster answers `FAILED_PRECONDITION` with a
//! `PreconditionFailure` of type `MINUTES_FROZEN`, to minutes signed by
//! both `MINUTES_ADJUSTED`, and writes nothing.

use samverkan_proto::Timestamp;
use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1::ListPeopleRequest;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::bad_input::{Snapshots, judge, judge_precondition, paced};
use samverkan_testkit::story::{add_item, at, forum_ids, hold, meeting, paragraph, publish};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Status;
use tonic::transport::Channel;

const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // e-samordnare, secretary of IT-forum utveckling
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // chairs IT-forum utveckling
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo utvecklingschef, writes notes

type Client = ForumsServiceClient<Channel>;

fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
}

// ---------------------------------------------------------------------------
// The harness: a snapshot of every table, and the check of one case.

// ---------------------------------------------------------------------------
// The requests.

/// One request of the table, to any mutating RPC of the service (and the
/// paging of its lists).
#[derive(Clone)]
enum Req {
    CreateMatter(pb::CreateMatterRequest),
    UpdateMatter(pb::UpdateMatterRequest),
    SubmitMatter(pb::SubmitMatterRequest),
    WithdrawMatter(pb::WithdrawMatterRequest),
    EscalateMatter(pb::EscalateMatterRequest),
    CreateMeeting(pb::CreateMeetingRequest),
    AddAgendaItem(pb::AddAgendaItemRequest),
    PublishAgenda(pb::PublishAgendaRequest),
    CreateNote(pb::CreateNoteRequest),
    CreateDocument(pb::CreateDocumentRequest),
    RecordAttendance(pb::RecordAttendanceRequest),
    AddParagraph(pb::AddParagraphRequest),
    DesignateAdjusters(pb::DesignateAdjustersRequest),
    AdjustMinutes(pb::AdjustMinutesRequest),
    AddCorrection(pb::AddCorrectionRequest),
    ListMatters(pb::ListMattersRequest),
    ListMeetings(pb::ListMeetingsRequest),
    ListAgendaBacklog(pb::ListAgendaBacklogRequest),
    ExportMeeting(pb::ExportMeetingRequest),
}

impl Req {
    fn rpc(&self) -> &'static str {
        match self {
            Req::CreateMatter(_) => "CreateMatter",
            Req::UpdateMatter(_) => "UpdateMatter",
            Req::SubmitMatter(_) => "SubmitMatter",
            Req::WithdrawMatter(_) => "WithdrawMatter",
            Req::EscalateMatter(_) => "EscalateMatter",
            Req::CreateMeeting(_) => "CreateMeeting",
            Req::AddAgendaItem(_) => "AddAgendaItem",
            Req::PublishAgenda(_) => "PublishAgenda",
            Req::CreateNote(_) => "CreateNote",
            Req::CreateDocument(_) => "CreateDocument",
            Req::RecordAttendance(_) => "RecordAttendance",
            Req::AddParagraph(_) => "AddParagraph",
            Req::DesignateAdjusters(_) => "DesignateAdjusters",
            Req::AdjustMinutes(_) => "AdjustMinutes",
            Req::AddCorrection(_) => "AddCorrection",
            Req::ListMatters(_) => "ListMatters",
            Req::ListMeetings(_) => "ListMeetings",
            Req::ListAgendaBacklog(_) => "ListAgendaBacklog",
            Req::ExportMeeting(_) => "ExportMeeting",
        }
    }

    /// The person the tables send the request as: one allowed to make it.
    fn caller(&self) -> &'static str {
        match self {
            Req::EscalateMatter(_)
            | Req::CreateMeeting(_)
            | Req::AddAgendaItem(_)
            | Req::PublishAgenda(_) => EVA,
            Req::CreateNote(_) => ERIK,
            _ => SOFIA,
        }
    }

    /// Sends the request as `who`.
    async fn send_as(self, mut c: Client, who: &str) -> Result<(), Status> {
        match self {
            Req::CreateMatter(r) => c.create_matter(as_(who, r)).await.map(drop),
            Req::UpdateMatter(r) => c.update_matter(as_(who, r)).await.map(drop),
            Req::SubmitMatter(r) => c.submit_matter(as_(who, r)).await.map(drop),
            Req::WithdrawMatter(r) => c.withdraw_matter(as_(who, r)).await.map(drop),
            Req::EscalateMatter(r) => c.escalate_matter(as_(who, r)).await.map(drop),
            Req::CreateMeeting(r) => c.create_meeting(as_(who, r)).await.map(drop),
            Req::AddAgendaItem(r) => c.add_agenda_item(as_(who, r)).await.map(drop),
            Req::PublishAgenda(r) => c.publish_agenda(as_(who, r)).await.map(drop),
            Req::CreateNote(r) => c.create_note(as_(who, r)).await.map(drop),
            Req::CreateDocument(r) => c.create_document(as_(who, r)).await.map(drop),
            Req::RecordAttendance(r) => c.record_attendance(as_(who, r)).await.map(drop),
            Req::AddParagraph(r) => c.add_paragraph(as_(who, r)).await.map(drop),
            Req::DesignateAdjusters(r) => c.designate_adjusters(as_(who, r)).await.map(drop),
            Req::AdjustMinutes(r) => c.adjust_minutes(as_(who, r)).await.map(drop),
            Req::AddCorrection(r) => c.add_correction(as_(who, r)).await.map(drop),
            Req::ListMatters(r) => c.list_matters(as_(who, r)).await.map(drop),
            Req::ListMeetings(r) => c.list_meetings(as_(who, r)).await.map(drop),
            Req::ListAgendaBacklog(r) => c.list_agenda_backlog(as_(who, r)).await.map(drop),
            Req::ExportMeeting(r) => c.export_meeting(as_(who, r)).await.map(drop),
        }
    }
}

async fn send_paced(c: &Client, req: &Req) -> Result<(), Status> {
    send_paced_as(c, req, req.caller()).await
}

async fn send_paced_as(c: &Client, req: &Req, who: &str) -> Result<(), Status> {
    paced(|| req.clone().send_as(c.clone(), who)).await
}

/// Matters, meetings, items and a § of IT-forum utveckling that the valid
/// requests refer to.
struct Fixture {
    utveckling: String,
    /// A draft of Sofia's (to update, submit and attach documents to).
    draft: pb::Matter,
    /// Another draft of Sofia's, to withdraw.
    draft2: pb::Matter,
    /// A matter on the agenda of `held`, with a § that escalates it.
    escalating: pb::Matter,
    escalation: pb::Paragraph,
    /// A planned meeting with one item.
    planned: pb::Meeting,
    /// A held meeting whose minutes are being drafted.
    held: pb::Meeting,
    /// A later held meeting whose minutes record the correction of `held`'s.
    later: pb::Meeting,
}

async fn get_matter(c: &mut Client, id: &str) -> pb::Matter {
    c.get_matter(as_(SOFIA, pb::GetMatterRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .matter
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

async fn draft(c: &mut Client, title: &str) -> pb::Matter {
    c.create_matter(as_(
        SOFIA,
        pb::CreateMatterRequest {
            request_id: format!("utkast-{title}"),
            matter: Some(pb::Matter {
                kind: pb::MatterKind::DevelopmentNeed as i32,
                title: title.into(),
                description: "Behovet gäller båda kommunernas handläggare.".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .matter
    .unwrap()
}

impl Fixture {
    async fn load(server: &TestServer, c: &mut Client) -> Self {
        let (utveckling, _) = forum_ids(server).await;
        let draft1 = draft(c, "Gemensam e-tjänst för färdtjänst").await;
        let draft2 = draft(c, "Äldre förslag om skrivarmiljö").await;
        let esc = draft(c, "Digital signering av protokoll").await;
        c.submit_matter(as_(
            SOFIA,
            pb::SubmitMatterRequest {
                id: esc.id.clone(),
                forum_id: utveckling.clone(),
                etag: esc.etag.clone(),
            },
        ))
        .await
        .unwrap();

        let planned = meeting(
            c,
            EVA,
            &utveckling,
            "IT-forum utveckling 1/2027",
            (2027, 2, 11),
        )
        .await;
        let planned = add_item(
            c,
            EVA,
            &planned.id,
            pb::AgendaItemKind::Information,
            "Lägesrapport från e-tjänsteplattformen",
            "",
        )
        .await;

        let held = meeting(
            c,
            EVA,
            &utveckling,
            "IT-forum utveckling 2/2027",
            (2027, 3, 11),
        )
        .await;
        add_item(c, EVA, &held.id, pb::AgendaItemKind::Decision, "", &esc.id).await;
        let held = add_item(
            c,
            EVA,
            &held.id,
            pb::AgendaItemKind::Information,
            "Övriga frågor",
            "",
        )
        .await;
        publish(c, EVA, &held).await;
        hold(c, SOFIA, &held).await;
        let escalation = paragraph(
            c,
            SOFIA,
            &held.id,
            &held.agenda[0].id,
            pb::ParagraphOutcome::Escalated,
            "Forumet rekommenderar IT-styrgruppen att prioritera e-underskrift.",
        )
        .await;
        let later = meeting(
            c,
            EVA,
            &utveckling,
            "IT-forum utveckling 4/2027",
            (2027, 5, 20),
        )
        .await;
        let later = add_item(
            c,
            EVA,
            &later.id,
            pb::AgendaItemKind::Information,
            "Övriga frågor",
            "",
        )
        .await;
        publish(c, EVA, &later).await;
        hold(c, SOFIA, &later).await;
        Self {
            draft: get_matter(c, &draft1.id).await,
            later: get_meeting(c, &later.id).await,
            draft2,
            escalating: get_matter(c, &esc.id).await,
            escalation,
            planned: get_meeting(c, &planned.id).await,
            held: get_meeting(c, &held.id).await,
            utveckling,
        }
    }

    fn create_matter(&self) -> pb::CreateMatterRequest {
        pb::CreateMatterRequest {
            request_id: "behov-åtkomstloggar".into(),
            matter: Some(pb::Matter {
                kind: pb::MatterKind::ImprovementNeed as i32,
                title: "Samlad granskning av åtkomstloggar".into(),
                description: "Loggarna granskas i dag för hand – två dagar i månaden.".into(),
                priority: pb::Priority::High as i32,
                ..Default::default()
            }),
        }
    }

    fn update_matter(&self) -> pb::UpdateMatterRequest {
        pb::UpdateMatterRequest {
            matter: Some(pb::Matter {
                title: "Gemensam e-tjänst för färdtjänst och riksfärdtjänst".into(),
                priority: pb::Priority::Low as i32,
                ..self.draft.clone()
            }),
            etag: self.draft.etag.clone(),
        }
    }

    fn submit_matter(&self) -> pb::SubmitMatterRequest {
        pb::SubmitMatterRequest {
            id: self.draft.id.clone(),
            forum_id: self.utveckling.clone(),
            etag: self.draft.etag.clone(),
        }
    }

    fn withdraw_matter(&self) -> pb::WithdrawMatterRequest {
        pb::WithdrawMatterRequest {
            id: self.draft2.id.clone(),
            etag: self.draft2.etag.clone(),
        }
    }

    fn escalate_matter(&self) -> pb::EscalateMatterRequest {
        pb::EscalateMatterRequest {
            id: self.escalating.id.clone(),
            paragraph_id: self.escalation.id.clone(),
            recommendation: "Prioritera e-underskrift i 2028 års plan.".into(),
            etag: self.escalating.etag.clone(),
        }
    }

    fn create_meeting(&self) -> pb::CreateMeetingRequest {
        pb::CreateMeetingRequest {
            request_id: "möte-3-2027".into(),
            meeting: Some(pb::Meeting {
                forum_id: self.utveckling.clone(),
                title: "IT-forum utveckling 3/2027".into(),
                start_time: at(2027, 4, 15, 7),
                end_time: at(2027, 4, 15, 9),
                location: "Ulricehamns stadshus, sal Åsunden".into(),
                ..Default::default()
            }),
        }
    }

    fn add_agenda_item(&self) -> pb::AddAgendaItemRequest {
        pb::AddAgendaItemRequest {
            request_id: "punkt-öppna-data".into(),
            item: Some(pb::AgendaItem {
                meeting_id: self.planned.id.clone(),
                kind: pb::AgendaItemKind::Report as i32,
                title: "Öppna data – rapport från arbetsgruppen".into(),
                presenter: "Linnéa Åkesson".into(),
                estimated_minutes: 20,
                ..Default::default()
            }),
        }
    }

    fn publish_agenda(&self) -> pb::PublishAgendaRequest {
        pb::PublishAgendaRequest {
            meeting_id: self.planned.id.clone(),
            etag: self.planned.etag.clone(),
        }
    }

    fn create_note(&self) -> pb::CreateNoteRequest {
        pb::CreateNoteRequest {
            request_id: "anteckning-tranemo".into(),
            note: Some(pb::Note {
                agenda_item_id: self.planned.agenda[0].id.clone(),
                text: "Tranemo: fråga om driftstörningarna i höstas.".into(),
                ..Default::default()
            }),
        }
    }

    fn create_document(&self) -> pb::CreateDocumentRequest {
        pb::CreateDocumentRequest {
            request_id: "bilaga-behov".into(),
            document: Some(pb::Document {
                matter_id: self.draft.id.clone(),
                title: "Behovsbeskrivning färdtjänst".into(),
                classification: pb::Classification::Public as i32,
                media_type: "text/markdown; charset=utf-8".into(),
                content: "# Behov\n\nResenärer ska kunna boka själva."
                    .as_bytes()
                    .to_vec(),
                ..Default::default()
            }),
        }
    }

    fn record_attendance(&self) -> pb::RecordAttendanceRequest {
        pb::RecordAttendanceRequest {
            meeting_id: self.held.id.clone(),
            attendance: vec![
                pb::Attendance {
                    name: "Eva Dahlgren".into(),
                    status: pb::AttendanceStatus::Present as i32,
                    ..Default::default()
                },
                pb::Attendance {
                    name: "Sofia Lindström".into(),
                    status: pb::AttendanceStatus::Present as i32,
                    ..Default::default()
                },
                pb::Attendance {
                    name: "Erik Öhman".into(),
                    status: pb::AttendanceStatus::Absent as i32,
                    ..Default::default()
                },
            ],
            etag: self.held.etag.clone(),
        }
    }

    fn add_paragraph(&self) -> pb::AddParagraphRequest {
        pb::AddParagraphRequest {
            request_id: "paragraf-övrigt".into(),
            paragraph: Some(pb::Paragraph {
                meeting_id: self.held.id.clone(),
                agenda_item_id: self.held.agenda[1].id.clone(),
                title: "Övriga frågor".into(),
                presented: "Inga övriga frågor anmäldes.".into(),
                decision: "Forumet noterar informationen.".into(),
                outcome: pb::ParagraphOutcome::Noted as i32,
                ..Default::default()
            }),
        }
    }

    fn designate_adjusters(&self) -> pb::DesignateAdjustersRequest {
        pb::DesignateAdjustersRequest {
            meeting_id: self.held.id.clone(),
            person_ids: vec![],
        }
    }

    fn add_correction(&self) -> pb::AddCorrectionRequest {
        pb::AddCorrectionRequest {
            request_id: "rättelse-1".into(),
            meeting_id: self.held.id.clone(),
            corrects_paragraph_id: self.escalation.id.clone(),
            text: "Rättelse: rekommendationen gäller 2028 års plan.".into(),
            recording_meeting_id: self.later.id.clone(),
        }
    }
}

/// One row of the table.
struct Case {
    field: &'static str,
    what: &'static str,
    req: Req,
}

fn long(n: usize) -> String {
    "å".repeat(n)
}

fn ts(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos })
}

/// A well-formed id of nothing.
const NOBODY: &str = "01900000-0000-7000-8000-00000000dead";

fn cases(fx: &Fixture) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |field, what, req| cases.push(Case { field, what, req });
    let bad_times: [(&'static str, Option<Timestamp>); 4] = [
        ("negative nanos", ts(1_800_000_000, -1)),
        ("nanos of 1 s", ts(1_800_000_000, 1_000_000_000)),
        ("before 1970", ts(-86_400, 0)),
        ("after year 9999", ts(260_000_000_000, 0)),
    ];

    // CreateMatter
    let cm = |f: &dyn Fn(&mut pb::CreateMatterRequest)| {
        let mut r = fx.create_matter();
        f(&mut r);
        Req::CreateMatter(r)
    };
    fn cm_m(r: &mut pb::CreateMatterRequest) -> &mut pb::Matter {
        r.matter.as_mut().unwrap()
    }
    add("matter.kind", "unspecified (0)", cm(&|r| cm_m(r).kind = 0));
    add("matter.kind", "unknown (999)", cm(&|r| cm_m(r).kind = 999));
    add("matter.kind", "negative", cm(&|r| cm_m(r).kind = -1));
    add("matter.kind", "unset matter", cm(&|r| r.matter = None));
    add("matter.title", "empty", cm(&|r| cm_m(r).title.clear()));
    add(
        "matter.title",
        "blank",
        cm(&|r| cm_m(r).title = "   ".into()),
    );
    add(
        "matter.title",
        "201 characters",
        cm(&|r| cm_m(r).title = long(201)),
    );
    add(
        "matter.title",
        "line break",
        cm(&|r| cm_m(r).title = "Åtkomst-\nloggar".into()),
    );
    add(
        "matter.description",
        "20 001 characters",
        cm(&|r| cm_m(r).description = long(20_001)),
    );
    add(
        "matter.description",
        "NUL character",
        cm(&|r| cm_m(r).description = "Åtkomstloggar\u{0}".into()),
    );
    add(
        "matter.priority",
        "unknown (999)",
        cm(&|r| cm_m(r).priority = 999),
    );
    add(
        "matter.priority",
        "negative",
        cm(&|r| cm_m(r).priority = -3),
    );
    add(
        "matter.forum_id",
        "not a UUID",
        cm(&|r| cm_m(r).forum_id = "utveckling".into()),
    );
    add(
        "request_id",
        "129 characters",
        cm(&|r| r.request_id = "ö".repeat(129)),
    );
    add(
        "request_id",
        "control character",
        cm(&|r| r.request_id = "behov\u{1}".into()),
    );

    // UpdateMatter
    let um = |f: &dyn Fn(&mut pb::UpdateMatterRequest)| {
        let mut r = fx.update_matter();
        f(&mut r);
        Req::UpdateMatter(r)
    };
    fn um_m(r: &mut pb::UpdateMatterRequest) -> &mut pb::Matter {
        r.matter.as_mut().unwrap()
    }
    add("matter.id", "empty", um(&|r| um_m(r).id.clear()));
    add(
        "matter.id",
        "not a UUID",
        um(&|r| um_m(r).id = "ärende-1".into()),
    );
    add("matter.kind", "unspecified (0)", um(&|r| um_m(r).kind = 0));
    add("matter.kind", "unknown (999)", um(&|r| um_m(r).kind = 999));
    add("matter.title", "empty", um(&|r| um_m(r).title.clear()));
    add(
        "matter.title",
        "201 characters",
        um(&|r| um_m(r).title = long(201)),
    );
    add(
        "matter.description",
        "20 001 characters",
        um(&|r| um_m(r).description = long(20_001)),
    );
    add(
        "matter.description",
        "escape character",
        um(&|r| um_m(r).description = "Färdtjänst\u{1b}[31m".into()),
    );
    add(
        "matter.priority",
        "unknown (999)",
        um(&|r| um_m(r).priority = 999),
    );
    add("etag", "empty", um(&|r| r.etag.clear()));
    add("etag", "65 characters", um(&|r| r.etag = "e".repeat(65)));

    // SubmitMatter
    let sm = |f: &dyn Fn(&mut pb::SubmitMatterRequest)| {
        let mut r = fx.submit_matter();
        f(&mut r);
        Req::SubmitMatter(r)
    };
    add("id", "empty", sm(&|r| r.id.clear()));
    add("id", "not a UUID", sm(&|r| r.id = "ärende".into()));
    add("forum_id", "empty", sm(&|r| r.forum_id.clear()));
    add(
        "forum_id",
        "not a UUID",
        sm(&|r| r.forum_id = "utveckling".into()),
    );
    add("etag", "empty", sm(&|r| r.etag.clear()));
    add("etag", "65 characters", sm(&|r| r.etag = "e".repeat(65)));

    // WithdrawMatter
    let wm = |f: &dyn Fn(&mut pb::WithdrawMatterRequest)| {
        let mut r = fx.withdraw_matter();
        f(&mut r);
        Req::WithdrawMatter(r)
    };
    add("id", "empty", wm(&|r| r.id.clear()));
    add("id", "not a UUID", wm(&|r| r.id = "utkast-2".into()));
    add("etag", "empty", wm(&|r| r.etag.clear()));
    add("etag", "65 characters", wm(&|r| r.etag = "e".repeat(65)));

    // EscalateMatter
    let em = |f: &dyn Fn(&mut pb::EscalateMatterRequest)| {
        let mut r = fx.escalate_matter();
        f(&mut r);
        Req::EscalateMatter(r)
    };
    add("id", "empty", em(&|r| r.id.clear()));
    add("id", "not a UUID", em(&|r| r.id = "ärende".into()));
    add("paragraph_id", "empty", em(&|r| r.paragraph_id.clear()));
    add(
        "paragraph_id",
        "not a UUID",
        em(&|r| r.paragraph_id = "§ 1/2027".into()),
    );
    add("recommendation", "empty", em(&|r| r.recommendation.clear()));
    add(
        "recommendation",
        "blank",
        em(&|r| r.recommendation = "\n\t ".into()),
    );
    add(
        "recommendation",
        "20 001 characters",
        em(&|r| r.recommendation = long(20_001)),
    );
    add(
        "recommendation",
        "NUL character",
        em(&|r| r.recommendation = "Prioritera\u{0}".into()),
    );
    add("etag", "empty", em(&|r| r.etag.clear()));
    add("etag", "65 characters", em(&|r| r.etag = "e".repeat(65)));

    // CreateMeeting
    let cmt = |f: &dyn Fn(&mut pb::CreateMeetingRequest)| {
        let mut r = fx.create_meeting();
        f(&mut r);
        Req::CreateMeeting(r)
    };
    fn mt(r: &mut pb::CreateMeetingRequest) -> &mut pb::Meeting {
        r.meeting.as_mut().unwrap()
    }
    add(
        "meeting.forum_id",
        "empty",
        cmt(&|r| mt(r).forum_id.clear()),
    );
    add(
        "meeting.forum_id",
        "unset meeting",
        cmt(&|r| r.meeting = None),
    );
    add(
        "meeting.forum_id",
        "not a UUID",
        cmt(&|r| mt(r).forum_id = "utveckling".into()),
    );
    add("meeting.title", "empty", cmt(&|r| mt(r).title.clear()));
    add(
        "meeting.title",
        "201 characters",
        cmt(&|r| mt(r).title = long(201)),
    );
    add(
        "meeting.title",
        "control character",
        cmt(&|r| mt(r).title = "Möte\u{0}".into()),
    );
    add(
        "meeting.start_time",
        "missing",
        cmt(&|r| mt(r).start_time = None),
    );
    for (what, t) in bad_times {
        add(
            "meeting.start_time",
            what,
            cmt(&move |r| mt(r).start_time = t),
        );
    }
    add(
        "meeting.end_time",
        "missing",
        cmt(&|r| mt(r).end_time = None),
    );
    for (what, t) in bad_times {
        add("meeting.end_time", what, cmt(&move |r| mt(r).end_time = t));
    }
    add(
        "meeting.end_time",
        "before the start",
        cmt(&|r| mt(r).end_time = at(2027, 4, 15, 6)),
    );
    add(
        "meeting.end_time",
        "equal to the start",
        cmt(&|r| mt(r).end_time = at(2027, 4, 15, 7)),
    );
    add(
        "meeting.location",
        "301 characters",
        cmt(&|r| mt(r).location = long(301)),
    );
    add(
        "meeting.location",
        "control character",
        cmt(&|r| mt(r).location = "Sal\u{7}Åsunden".into()),
    );
    add(
        "request_id",
        "129 characters",
        cmt(&|r| r.request_id = "ö".repeat(129)),
    );

    // AddAgendaItem
    let ai = |f: &dyn Fn(&mut pb::AddAgendaItemRequest)| {
        let mut r = fx.add_agenda_item();
        f(&mut r);
        Req::AddAgendaItem(r)
    };
    fn it(r: &mut pb::AddAgendaItemRequest) -> &mut pb::AgendaItem {
        r.item.as_mut().unwrap()
    }
    add(
        "item.meeting_id",
        "empty",
        ai(&|r| it(r).meeting_id.clear()),
    );
    add(
        "item.meeting_id",
        "not a UUID",
        ai(&|r| it(r).meeting_id = "möte-1".into()),
    );
    add("item.kind", "unspecified (0)", ai(&|r| it(r).kind = 0));
    add("item.kind", "unknown (999)", ai(&|r| it(r).kind = 999));
    add("item.kind", "unset item", ai(&|r| r.item = None));
    add(
        "item.matter_id",
        "not a UUID",
        ai(&|r| it(r).matter_id = "ärende".into()),
    );
    add(
        "item.title",
        "empty without a matter",
        ai(&|r| it(r).title.clear()),
    );
    add(
        "item.title",
        "201 characters",
        ai(&|r| it(r).title = long(201)),
    );
    add(
        "item.title",
        "control character",
        ai(&|r| it(r).title = "Öppna\u{1b}data".into()),
    );
    add(
        "item.presenter",
        "201 characters",
        ai(&|r| it(r).presenter = long(201)),
    );
    add(
        "item.presenter",
        "control character",
        ai(&|r| it(r).presenter = "Linnéa\u{8}".into()),
    );
    add(
        "item.estimated_minutes",
        "negative",
        ai(&|r| it(r).estimated_minutes = -1),
    );
    add(
        "item.estimated_minutes",
        "601",
        ai(&|r| it(r).estimated_minutes = 601),
    );
    add(
        "item.estimated_minutes",
        "i32::MAX",
        ai(&|r| it(r).estimated_minutes = i32::MAX),
    );
    add(
        "request_id",
        "129 characters",
        ai(&|r| r.request_id = "ö".repeat(129)),
    );

    // PublishAgenda
    let pa = |f: &dyn Fn(&mut pb::PublishAgendaRequest)| {
        let mut r = fx.publish_agenda();
        f(&mut r);
        Req::PublishAgenda(r)
    };
    add("meeting_id", "empty", pa(&|r| r.meeting_id.clear()));
    add(
        "meeting_id",
        "not a UUID",
        pa(&|r| r.meeting_id = "möte".into()),
    );
    add("etag", "empty", pa(&|r| r.etag.clear()));
    add("etag", "65 characters", pa(&|r| r.etag = "e".repeat(65)));

    // CreateNote
    let cn = |f: &dyn Fn(&mut pb::CreateNoteRequest)| {
        let mut r = fx.create_note();
        f(&mut r);
        Req::CreateNote(r)
    };
    fn nt(r: &mut pb::CreateNoteRequest) -> &mut pb::Note {
        r.note.as_mut().unwrap()
    }
    add(
        "note.agenda_item_id",
        "empty",
        cn(&|r| nt(r).agenda_item_id.clear()),
    );
    add("note.agenda_item_id", "unset note", cn(&|r| r.note = None));
    add(
        "note.agenda_item_id",
        "not a UUID",
        cn(&|r| nt(r).agenda_item_id = "punkt 1".into()),
    );
    add("note.text", "empty", cn(&|r| nt(r).text.clear()));
    add("note.text", "blank", cn(&|r| nt(r).text = " \n ".into()));
    add(
        "note.text",
        "20 001 characters",
        cn(&|r| nt(r).text = long(20_001)),
    );
    add(
        "note.text",
        "NUL character",
        cn(&|r| nt(r).text = "Tranemo:\u{0}".into()),
    );
    add(
        "request_id",
        "129 characters",
        cn(&|r| r.request_id = "ö".repeat(129)),
    );

    // CreateDocument
    let cd = |f: &dyn Fn(&mut pb::CreateDocumentRequest)| {
        let mut r = fx.create_document();
        f(&mut r);
        Req::CreateDocument(r)
    };
    fn dc(r: &mut pb::CreateDocumentRequest) -> &mut pb::Document {
        r.document.as_mut().unwrap()
    }
    add(
        "document.matter_id",
        "not a UUID",
        cd(&|r| dc(r).matter_id = "ärende".into()),
    );
    add(
        "document.matter_id",
        "neither matter nor item",
        cd(&|r| dc(r).matter_id.clear()),
    );
    add(
        "document.matter_id",
        "unset document",
        cd(&|r| r.document = None),
    );
    let item = fx.planned.agenda[0].id.clone();
    add(
        "document.matter_id",
        "both matter and item",
        cd(&move |r| dc(r).agenda_item_id = item.clone()),
    );
    add(
        "document.agenda_item_id",
        "not a UUID",
        cd(&|r| {
            dc(r).matter_id.clear();
            dc(r).agenda_item_id = "punkt".into();
        }),
    );
    add("document.title", "empty", cd(&|r| dc(r).title.clear()));
    add(
        "document.title",
        "301 characters",
        cd(&|r| dc(r).title = long(301)),
    );
    add(
        "document.title",
        "line break",
        cd(&|r| dc(r).title = "Behov\r\nfärdtjänst".into()),
    );
    add(
        "document.classification",
        "unspecified (0)",
        cd(&|r| dc(r).classification = 0),
    );
    add(
        "document.classification",
        "unknown (999)",
        cd(&|r| dc(r).classification = 999),
    );
    add(
        "document.media_type",
        "101 characters",
        cd(&|r| dc(r).media_type = format!("text/{}", "x".repeat(96))),
    );
    add(
        "document.media_type",
        "control character",
        cd(&|r| dc(r).media_type = "text/plain\u{0}".into()),
    );
    add(
        "document.content",
        "one byte over the limit",
        cd(&|r| {
            dc(r).content = vec![b'a'; samverkan_forums::api::DEFAULT_MAX_DOCUMENT_BYTES + 1];
        }),
    );
    add(
        "request_id",
        "129 characters",
        cd(&|r| r.request_id = "ö".repeat(129)),
    );

    // RecordAttendance
    let ra = |f: &dyn Fn(&mut pb::RecordAttendanceRequest)| {
        let mut r = fx.record_attendance();
        f(&mut r);
        Req::RecordAttendance(r)
    };
    add("meeting_id", "empty", ra(&|r| r.meeting_id.clear()));
    add(
        "meeting_id",
        "not a UUID",
        ra(&|r| r.meeting_id = "möte".into()),
    );
    add("etag", "empty", ra(&|r| r.etag.clear()));
    add("etag", "65 characters", ra(&|r| r.etag = "e".repeat(65)));
    add("attendance", "nobody listed", ra(&|r| r.attendance.clear()));
    add(
        "attendance[0].name",
        "empty",
        ra(&|r| r.attendance[0].name.clear()),
    );
    add(
        "attendance[2].name",
        "201 characters",
        ra(&|r| r.attendance[2].name = long(201)),
    );
    add(
        "attendance[1].name",
        "control character",
        ra(&|r| r.attendance[1].name = "Sofia\u{0}".into()),
    );
    add(
        "attendance[1].status",
        "unspecified (0)",
        ra(&|r| r.attendance[1].status = 0),
    );
    add(
        "attendance[2].status",
        "unknown (999)",
        ra(&|r| r.attendance[2].status = 999),
    );
    add(
        "attendance[0].person_id",
        "not a UUID",
        ra(&|r| r.attendance[0].person_id = "eva".into()),
    );
    add(
        "attendance[2].deputy_for_person_id",
        "not a UUID",
        ra(&|r| {
            r.attendance[2].status = pb::AttendanceStatus::DeputyServing as i32;
            r.attendance[2].deputy_for_person_id = "ordinarie".into();
        }),
    );

    // AddParagraph
    let ap = |f: &dyn Fn(&mut pb::AddParagraphRequest)| {
        let mut r = fx.add_paragraph();
        f(&mut r);
        Req::AddParagraph(r)
    };
    fn pg(r: &mut pb::AddParagraphRequest) -> &mut pb::Paragraph {
        r.paragraph.as_mut().unwrap()
    }
    add(
        "paragraph.agenda_item_id",
        "empty",
        ap(&|r| pg(r).agenda_item_id.clear()),
    );
    add(
        "paragraph.agenda_item_id",
        "unset paragraph",
        ap(&|r| r.paragraph = None),
    );
    add(
        "paragraph.agenda_item_id",
        "not a UUID",
        ap(&|r| pg(r).agenda_item_id = "punkt 2".into()),
    );
    add(
        "paragraph.meeting_id",
        "empty",
        ap(&|r| pg(r).meeting_id.clear()),
    );
    add(
        "paragraph.meeting_id",
        "not a UUID",
        ap(&|r| pg(r).meeting_id = "möte".into()),
    );
    add(
        "paragraph.outcome",
        "unspecified (0)",
        ap(&|r| pg(r).outcome = 0),
    );
    add(
        "paragraph.outcome",
        "unknown (999)",
        ap(&|r| pg(r).outcome = 999),
    );
    add(
        "paragraph.presented",
        "20 001 characters",
        ap(&|r| pg(r).presented = long(20_001)),
    );
    add(
        "paragraph.presented",
        "NUL character",
        ap(&|r| pg(r).presented = "Föredras\u{0}".into()),
    );
    add(
        "paragraph.decision",
        "empty",
        ap(&|r| pg(r).decision.clear()),
    );
    add(
        "paragraph.decision",
        "20 001 characters",
        ap(&|r| pg(r).decision = long(20_001)),
    );
    add(
        "paragraph.decision",
        "NUL character",
        ap(&|r| pg(r).decision = "Noteras\u{0}".into()),
    );
    add(
        "paragraph.title",
        "201 characters",
        ap(&|r| pg(r).title = long(201)),
    );
    add(
        "paragraph.title",
        "control character",
        ap(&|r| pg(r).title = "Övrigt\u{7}".into()),
    );
    add(
        "request_id",
        "129 characters",
        ap(&|r| r.request_id = "ö".repeat(129)),
    );

    // DesignateAdjusters
    let da = |f: &dyn Fn(&mut pb::DesignateAdjustersRequest)| {
        let mut r = fx.designate_adjusters();
        f(&mut r);
        Req::DesignateAdjusters(r)
    };
    add("meeting_id", "empty", da(&|r| r.meeting_id.clear()));
    add(
        "meeting_id",
        "not a UUID",
        da(&|r| r.meeting_id = "möte".into()),
    );
    add(
        "person_ids[0]",
        "not a UUID",
        da(&|r| r.person_ids = vec!["anna".into(), NOBODY.into()]),
    );
    add(
        "person_ids[1]",
        "empty",
        da(&|r| r.person_ids = vec![NOBODY.into(), String::new()]),
    );
    add(
        "person_ids",
        "one person",
        da(&|r| r.person_ids = vec![NOBODY.into()]),
    );
    add(
        "person_ids",
        "three people",
        da(&|r| {
            r.person_ids = vec![
                NOBODY.into(),
                "01900000-0000-7000-8000-00000000beef".into(),
                "01900000-0000-7000-8000-00000000cafe".into(),
            ];
        }),
    );
    add(
        "person_ids",
        "the same person twice",
        da(&|r| r.person_ids = vec![NOBODY.into(), NOBODY.into()]),
    );
    add(
        "person_ids[0]",
        "no seat in the forum",
        da(&|r| {
            r.person_ids = vec![NOBODY.into(), "01900000-0000-7000-8000-00000000beef".into()];
        }),
    );

    // AdjustMinutes
    add(
        "meeting_id",
        "empty",
        Req::AdjustMinutes(pb::AdjustMinutesRequest::default()),
    );
    add(
        "meeting_id",
        "not a UUID",
        Req::AdjustMinutes(pb::AdjustMinutesRequest {
            meeting_id: "möte-2".into(),
        }),
    );

    // AddCorrection
    let ac = |f: &dyn Fn(&mut pb::AddCorrectionRequest)| {
        let mut r = fx.add_correction();
        f(&mut r);
        Req::AddCorrection(r)
    };
    add("meeting_id", "empty", ac(&|r| r.meeting_id.clear()));
    add(
        "meeting_id",
        "not a UUID",
        ac(&|r| r.meeting_id = "möte".into()),
    );
    add(
        "corrects_paragraph_id",
        "empty",
        ac(&|r| r.corrects_paragraph_id.clear()),
    );
    add(
        "corrects_paragraph_id",
        "not a UUID",
        ac(&|r| r.corrects_paragraph_id = "§ 1".into()),
    );
    add(
        "recording_meeting_id",
        "empty",
        ac(&|r| r.recording_meeting_id.clear()),
    );
    add(
        "recording_meeting_id",
        "not a UUID",
        ac(&|r| r.recording_meeting_id = "nästa möte".into()),
    );
    add("text", "empty", ac(&|r| r.text.clear()));
    add("text", "20 001 characters", ac(&|r| r.text = long(20_001)));
    add(
        "text",
        "NUL character",
        ac(&|r| r.text = "Rättelse\u{0}".into()),
    );

    // Lists: paging and filters.
    add(
        "page_size",
        "negative",
        Req::ListMatters(pb::ListMattersRequest {
            page_size: -1,
            ..Default::default()
        }),
    );
    add(
        "page_token",
        "forged",
        Req::ListMatters(pb::ListMattersRequest {
            page_token: "sida-två".into(),
            ..Default::default()
        }),
    );
    add(
        "order_by",
        "unknown",
        Req::ListMatters(pb::ListMattersRequest {
            order_by: "titel".into(),
            ..Default::default()
        }),
    );
    add(
        "state",
        "unknown (999)",
        Req::ListMatters(pb::ListMattersRequest {
            state: 999,
            ..Default::default()
        }),
    );
    add(
        "created_after",
        "negative nanos",
        Req::ListMatters(pb::ListMattersRequest {
            created_after: ts(0, -5),
            ..Default::default()
        }),
    );
    add(
        "forum_id",
        "not a UUID",
        Req::ListMatters(pb::ListMattersRequest {
            forum_id: "utveckling".into(),
            ..Default::default()
        }),
    );
    add(
        "page_size",
        "negative",
        Req::ListMeetings(pb::ListMeetingsRequest {
            page_size: i32::MIN,
            ..Default::default()
        }),
    );
    add(
        "state",
        "unknown (999)",
        Req::ListMeetings(pb::ListMeetingsRequest {
            state: 999,
            ..Default::default()
        }),
    );
    add(
        "start_before",
        "after year 9999",
        Req::ListMeetings(pb::ListMeetingsRequest {
            start_before: ts(i64::MAX, 0),
            ..Default::default()
        }),
    );
    add(
        "page_size",
        "negative",
        Req::ListAgendaBacklog(pb::ListAgendaBacklogRequest {
            forum_id: fx.utveckling.clone(),
            page_size: -10,
            ..Default::default()
        }),
    );
    add(
        "kind",
        "unspecified (0)",
        Req::ExportMeeting(pb::ExportMeetingRequest {
            meeting_id: fx.held.id.clone(),
            ..Default::default()
        }),
    );
    add(
        "format",
        "unknown (999)",
        Req::ExportMeeting(pb::ExportMeetingRequest {
            meeting_id: fx.held.id.clone(),
            kind: pb::ExportKind::Agenda as i32,
            format: 999,
        }),
    );

    // Fields the server sets are refused, never ignored; an owner field
    // is accepted only naming the caller's own.
    let stamp = || ts(1_767_225_600, 0);
    add(
        "matter.id",
        "set by the caller",
        cm(&|r| cm_m(r).id = fx.draft.id.clone()),
    );
    add(
        "matter.raising_municipality_id",
        "another municipality",
        cm(&|r| cm_m(r).raising_municipality_id = "ulricehamn".into()),
    );
    add(
        "matter.author",
        "someone else",
        cm(&|r| cm_m(r).author = EVA.into()),
    );
    add(
        "matter.state",
        "set by the caller",
        cm(&|r| cm_m(r).state = pb::MatterState::Submitted as i32),
    );
    add(
        "matter.provenance",
        "set by the caller",
        cm(&|r| {
            cm_m(r).provenance = vec![pb::ProvenanceStep {
                forum_id: fx.utveckling.clone(),
                ..Default::default()
            }]
        }),
    );
    add(
        "matter.update_time",
        "set by the caller",
        cm(&move |r| cm_m(r).update_time = stamp()),
    );
    add(
        "matter.etag",
        "set by the caller",
        cm(&|r| cm_m(r).etag = fx.draft.etag.clone()),
    );
    add(
        "matter.collaboration_id",
        "set by the caller",
        cm(&|r| cm_m(r).collaboration_id = fx.planned.collaboration_id.clone()),
    );
    add(
        "meeting.id",
        "set by the caller",
        cmt(&|r| mt(r).id = fx.planned.id.clone()),
    );
    add(
        "meeting.state",
        "set by the caller",
        cmt(&|r| mt(r).state = pb::MeetingState::Held as i32),
    );
    add(
        "meeting.agenda",
        "set by the caller",
        cmt(&|r| {
            mt(r).agenda = vec![pb::AgendaItem {
                title: "Föredragning".into(),
                ..Default::default()
            }]
        }),
    );
    add(
        "meeting.create_time",
        "set by the caller",
        cmt(&move |r| mt(r).create_time = stamp()),
    );
    add(
        "meeting.collaboration_id",
        "set by the caller",
        cmt(&|r| mt(r).collaboration_id = fx.planned.collaboration_id.clone()),
    );
    add(
        "item.id",
        "set by the caller",
        ai(&|r| it(r).id = fx.planned.id.clone()),
    );
    add(
        "item.number",
        "set by the caller",
        ai(&|r| it(r).number = 7),
    );
    add(
        "note.id",
        "set by the caller",
        cn(&|r| nt(r).id = fx.draft.id.clone()),
    );
    add(
        "note.meeting_id",
        "set by the caller",
        cn(&|r| nt(r).meeting_id = fx.planned.id.clone()),
    );
    add(
        "note.author",
        "someone else",
        cn(&|r| nt(r).author = EVA.into()),
    );
    add(
        "note.municipality_id",
        "another municipality",
        cn(&|r| nt(r).municipality_id = "ulricehamn".into()),
    );
    add(
        "document.id",
        "set by the caller",
        cd(&|r| dc(r).id = fx.draft.id.clone()),
    );
    add(
        "document.author",
        "someone else",
        cd(&|r| dc(r).author = EVA.into()),
    );
    add(
        "document.municipality_id",
        "another municipality",
        cd(&|r| dc(r).municipality_id = "ulricehamn".into()),
    );
    add(
        "document.sha256",
        "set by the caller",
        cd(&|r| dc(r).sha256 = "0".repeat(64)),
    );
    add(
        "document.size_bytes",
        "set by the caller",
        cd(&|r| dc(r).size_bytes = 12),
    );
    add(
        "document.create_time",
        "set by the caller",
        cd(&move |r| dc(r).create_time = stamp()),
    );
    add(
        "paragraph.id",
        "set by the caller",
        ap(&|r| pg(r).id = fx.escalation.id.clone()),
    );
    add(
        "paragraph.number",
        "set by the caller",
        ap(&|r| pg(r).number = 4),
    );
    add(
        "paragraph.year",
        "set by the caller",
        ap(&|r| pg(r).year = 2026),
    );
    add(
        "paragraph.reference",
        "set by the caller",
        ap(&|r| pg(r).reference = "§ 4/2026".into()),
    );
    add(
        "paragraph.corrects_paragraph_id",
        "set by the caller: corrections are AddCorrection's",
        ap(&|r| pg(r).corrects_paragraph_id = fx.escalation.id.clone()),
    );
    add(
        "paragraph.create_time",
        "set by the caller",
        ap(&move |r| pg(r).create_time = stamp()),
    );
    cases
}

/// Sends each valid request the cases spoil, in an order in which each
/// is allowed; every one must succeed.
async fn controls(
    fx: &Fixture,
    c: &mut Client,
    roles: &mut RolesServiceClient<Channel>,
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut check = |what: &str, r: Result<(), Status>| {
        if let Err(s) = r {
            failures.push(format!("control {what}: {:?}: {}", s.code(), s.message()));
        }
    };
    for req in [
        Req::CreateMatter(fx.create_matter()),
        Req::UpdateMatter(fx.update_matter()),
    ] {
        check(req.rpc(), send_paced(c, &req).await);
    }
    let etag = get_matter(c, &fx.draft.id).await.etag;
    for req in [
        Req::SubmitMatter(pb::SubmitMatterRequest {
            etag,
            ..fx.submit_matter()
        }),
        Req::WithdrawMatter(fx.withdraw_matter()),
        Req::EscalateMatter(fx.escalate_matter()),
        Req::CreateMeeting(fx.create_meeting()),
        Req::AddAgendaItem(fx.add_agenda_item()),
    ] {
        check(req.rpc(), send_paced(c, &req).await);
    }
    let etag = get_meeting(c, &fx.planned.id).await.etag;
    for req in [
        Req::PublishAgenda(pb::PublishAgendaRequest {
            etag,
            ..fx.publish_agenda()
        }),
        Req::CreateNote(fx.create_note()),
        Req::CreateDocument(fx.create_document()),
        Req::RecordAttendance(fx.record_attendance()),
        Req::AddParagraph(fx.add_paragraph()),
    ] {
        check(req.rpc(), send_paced(c, &req).await);
    }
    // Designate the adjusters, have both adjust, then correct a §.
    let designated = paced(|| {
        let mut c = c.clone();
        async move {
            c.designate_adjusters(as_(SOFIA, fx.designate_adjusters()))
                .await
                .map(|r| r.into_inner().minutes.unwrap_or_default())
        }
    })
    .await;
    match designated {
        Err(s) => check("DesignateAdjusters", Err(s)),
        Ok(minutes) => {
            for email in emails(roles, &minutes.adjuster_person_ids).await {
                let r = paced(|| {
                    let mut c = c.clone();
                    let email = email.clone();
                    let meeting_id = fx.held.id.clone();
                    async move {
                        c.adjust_minutes(as_(&email, pb::AdjustMinutesRequest { meeting_id }))
                            .await
                            .map(drop)
                    }
                })
                .await;
                check("AdjustMinutes", r);
            }
            let req = Req::AddCorrection(fx.add_correction());
            check(req.rpc(), send_paced(c, &req).await);
        }
    }
    failures
}

/// The emails of the people `ids`, in that order.
async fn emails(roles: &mut RolesServiceClient<Channel>, ids: &[String]) -> Vec<String> {
    let people = roles
        .list_people(as_(
            SOFIA,
            ListPeopleRequest {
                page_size: 200,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .people;
    ids.iter()
        .map(|id| people.iter().find(|p| &p.id == id).unwrap().email.clone())
        .collect()
}

// ---------------------------------------------------------------------------
// The precondition table (issue #18): from the first adjuster's signature
// no write may change what the minutes show; each answers
// `FAILED_PRECONDITION` naming the state and writes nothing.

/// How far the minutes of the meeting a case writes to are signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signed {
    /// By the first adjuster: frozen until the second signs.
    Once,
    /// By both: adjusted and locked for good.
    ByBoth,
}

impl Signed {
    /// The reason the refusal names: its `PreconditionFailure` violation's
    /// type.
    fn reason(self) -> &'static str {
        match self {
            Signed::Once => "MINUTES_FROZEN",
            Signed::ByBoth => "MINUTES_ADJUSTED",
        }
    }
}

/// Every RPC that changes what a meeting's minutes show: attendance,
/// agenda, §§, adjusters, the items' notes and documents, and a correction
/// § recorded in them. (The API has no update or removal of items, §§,
/// notes or documents.) The table tries each on minutes in both states.
const MINUTES_WRITES: [&str; 8] = [
    "RecordAttendance",
    "AddParagraph",
    "AddAgendaItem",
    "PublishAgenda",
    "CreateNote",
    "CreateDocument",
    "DesignateAdjusters",
    "AddCorrection",
];

/// A held meeting of IT-forum utveckling, its one item with its §, the
/// default adjusters designated and some of them signed.
struct SignedMeeting {
    meeting: pb::Meeting,
    /// The adjusters' emails, those who signed first.
    adjusters: Vec<String>,
}

impl SignedMeeting {
    async fn new(
        c: &mut Client,
        roles: &mut RolesServiceClient<Channel>,
        fx: &Fixture,
        title: &str,
        day: (i32, u32, u32),
        signed: Signed,
    ) -> Self {
        let m = meeting(c, EVA, &fx.utveckling, title, day).await;
        let m = add_item(
            c,
            EVA,
            &m.id,
            pb::AgendaItemKind::Information,
            "Lägesrapport från e-tjänsteplattformen",
            "",
        )
        .await;
        publish(c, EVA, &m).await;
        hold(c, SOFIA, &m).await;
        paragraph(
            c,
            SOFIA,
            &m.id,
            &m.agenda[0].id,
            pb::ParagraphOutcome::Noted,
            "Forumet noterar lägesrapporten.",
        )
        .await;
        let minutes = c
            .designate_adjusters(as_(
                SOFIA,
                pb::DesignateAdjustersRequest {
                    meeting_id: m.id.clone(),
                    person_ids: vec![],
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .minutes
            .unwrap();
        let adjusters = emails(roles, &minutes.adjuster_person_ids).await;
        let signatures = match signed {
            Signed::Once => 1,
            Signed::ByBoth => 2,
        };
        for who in &adjusters[..signatures] {
            c.adjust_minutes(as_(
                who,
                pb::AdjustMinutesRequest {
                    meeting_id: m.id.clone(),
                },
            ))
            .await
            .unwrap();
        }
        Self {
            meeting: get_meeting(c, &m.id).await,
            adjusters,
        }
    }
}

/// One row of the precondition table: a request that would be allowed
/// were the minutes it writes to not signed.
struct Refused {
    signed: Signed,
    req: Req,
    /// Who sends it, when not [`Req::caller`].
    who: Option<String>,
}

impl Refused {
    fn caller(&self) -> &str {
        self.who.as_deref().unwrap_or(self.req.caller())
    }
}

/// Every write of [`MINUTES_WRITES`] to `once`'s and `by_both`'s minutes;
/// and a third signature of `by_both`'s. Request ids are fresh: a refused
/// request is never a replay.
fn precondition_cases(fx: &Fixture, once: &SignedMeeting, by_both: &SignedMeeting) -> Vec<Refused> {
    let mut cases = Vec::new();
    for (signed, m) in [(Signed::Once, once), (Signed::ByBoth, by_both)] {
        let id = m.meeting.id.clone();
        let item = m.meeting.agenda[0].id.clone();
        let mut add = |req| {
            cases.push(Refused {
                signed,
                req,
                who: None,
            })
        };
        add(Req::RecordAttendance(pb::RecordAttendanceRequest {
            meeting_id: id.clone(),
            attendance: vec![pb::Attendance {
                name: "Erik Öhman".into(),
                status: pb::AttendanceStatus::Present as i32,
                ..Default::default()
            }],
            etag: m.meeting.etag.clone(),
        }));
        add(Req::AddParagraph(pb::AddParagraphRequest {
            request_id: format!("frusen-paragraf-{signed:?}"),
            paragraph: Some(pb::Paragraph {
                meeting_id: id.clone(),
                agenda_item_id: item.clone(),
                presented: "Lägesrapporten föredras på nytt.".into(),
                decision: "Forumet ändrar sitt beslut.".into(),
                outcome: pb::ParagraphOutcome::Decided as i32,
                ..Default::default()
            }),
        }));
        add(Req::AddAgendaItem(pb::AddAgendaItemRequest {
            request_id: format!("frusen-punkt-{signed:?}"),
            item: Some(pb::AgendaItem {
                meeting_id: id.clone(),
                kind: pb::AgendaItemKind::Information as i32,
                title: "Sent tillägg".into(),
                ..Default::default()
            }),
        }));
        add(Req::PublishAgenda(pb::PublishAgendaRequest {
            meeting_id: id.clone(),
            etag: m.meeting.etag.clone(),
        }));
        add(Req::CreateNote(pb::CreateNoteRequest {
            request_id: format!("frusen-anteckning-{signed:?}"),
            note: Some(pb::Note {
                agenda_item_id: item.clone(),
                text: "Tranemo: vi ville ha sagt något mer.".into(),
                ..Default::default()
            }),
        }));
        add(Req::CreateDocument(pb::CreateDocumentRequest {
            request_id: format!("frusen-bilaga-{signed:?}"),
            document: Some(pb::Document {
                agenda_item_id: item.clone(),
                title: "Efterhandsbilaga".into(),
                classification: pb::Classification::Public as i32,
                media_type: "text/plain; charset=utf-8".into(),
                content: "Bilaga som kom för sent.".as_bytes().to_vec(),
                ..Default::default()
            }),
        }));
        add(Req::DesignateAdjusters(pb::DesignateAdjustersRequest {
            meeting_id: id.clone(),
            person_ids: vec![],
        }));
        // A correction of the adjusted minutes of `held`, recorded in
        // these later minutes of the same forum.
        add(Req::AddCorrection(pb::AddCorrectionRequest {
            request_id: format!("frusen-rättelse-{signed:?}"),
            meeting_id: fx.held.id.clone(),
            corrects_paragraph_id: fx.escalation.id.clone(),
            text: "Rättelse: rekommendationen gäller 2029 års plan.".into(),
            recording_meeting_id: id.clone(),
        }));
        // A signature once both have signed. (While the minutes are
        // frozen, the second adjuster's signature is the one write
        // allowed: `by_both` got it.)
        if signed == Signed::ByBoth {
            cases.push(Refused {
                signed,
                req: Req::AdjustMinutes(pb::AdjustMinutesRequest { meeting_id: id }),
                who: Some(m.adjusters[0].clone()),
            });
        }
    }
    for rpc in MINUTES_WRITES {
        for signed in [Signed::Once, Signed::ByBoth] {
            assert!(
                cases
                    .iter()
                    .any(|c| c.req.rpc() == rpc && c.signed == signed),
                "the precondition table lacks {rpc} on minutes signed {signed:?}"
            );
        }
    }
    cases
}

async fn bad_input_is_refused_and_writes_nothing(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let mut c = ForumsServiceClient::new(server.channel().await);
    let mut roles = RolesServiceClient::new(server.channel().await);
    let fx = Fixture::load(&server, &mut c).await;
    let snapshots = Snapshots::new(&db).await;

    let cases = cases(&fx);
    let mut failures = Vec::new();
    for case in &cases {
        let before = snapshots.take(&db).await;
        let result = send_paced(&c, &case.req).await;
        let after = snapshots.take(&db).await;
        if let Some(wrong) = judge(case.field, result, &before, &after) {
            failures.push(format!(
                "{} {} ({}): {wrong}",
                case.req.rpc(),
                case.field,
                case.what
            ));
        }
    }
    failures.extend(controls(&fx, &mut c, &mut roles).await);

    // The precondition table, on two more meetings: one signed by the
    // first adjuster, one by both (its second signature made while frozen).
    let by_both = SignedMeeting::new(
        &mut c,
        &mut roles,
        &fx,
        "IT-forum utveckling 5/2027",
        (2027, 6, 10),
        Signed::ByBoth,
    )
    .await;
    let once = SignedMeeting::new(
        &mut c,
        &mut roles,
        &fx,
        "IT-forum utveckling 6/2027",
        (2027, 9, 16),
        Signed::Once,
    )
    .await;
    let refused = precondition_cases(&fx, &once, &by_both);
    let mut wrong_state = Vec::new();
    for case in &refused {
        let before = snapshots.take(&db).await;
        let result = send_paced_as(&c, &case.req, case.caller()).await;
        let after = snapshots.take(&db).await;
        let reason = case.signed.reason();
        if let Some(wrong) = judge_precondition(reason, result, &before, &after) {
            wrong_state.push(format!(
                "{} on minutes signed {:?} (expected {reason}): {wrong}",
                case.req.rpc(),
                case.signed
            ));
        }
    }
    let report = [
        ("bad inputs", &failures, cases.len()),
        ("writes to signed minutes", &wrong_state, refused.len()),
    ]
    .iter()
    .filter(|(_, wrong, _)| !wrong.is_empty())
    .map(|(what, wrong, of)| {
        format!(
            "{} of {of} {what} mishandled:\n{}",
            wrong.len(),
            wrong.join("\n")
        )
    })
    .collect::<Vec<_>>();
    assert!(report.is_empty(), "{}", report.join("\n"));
    samverkan_testkit::figure(&format!(
        "bad input: forums: {} cases ({:?})",
        cases.len(),
        db.backend
    ));
    samverkan_testkit::figure(&format!(
        "preconditions: forums: {} writes to signed minutes ({:?})",
        refused.len(),
        db.backend
    ));
    server.stop().await;
}
backend_test!(bad_input_is_refused_and_writes_nothing);
