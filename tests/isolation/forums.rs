//! The forums service's rows of the isolation matrix. Tranemo's drafts,
//! their documents and its preparation notes are Tranemo's alone; meetings,
//! agendas, submitted matters and minutes are the collaboration's.

use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_testkit::TestServer;
use samverkan_testkit::story::{self, Forums};

use crate::harness::{Fixture, Row};

const SVC: &str = "samverkan.forums.v1.ForumsService";
const SOFIA: &str = "sofia.lindstrom@tranemo.se";
const ERIK: &str = "erik.ohman@tranemo.se";
const EMIL: &str = "emil.sandstrom@tranemo.se";
const ANNA: &str = "anna.aberg@tranemo.se";
const LARS: &str = "lars.angstrom@ulricehamn.se";
const EVA: &str = "eva.dahlgren@ulricehamn.se";
const OSKAR: &str = "oskar.bjork@ulricehamn.se";

fn as_<T>(who: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(who, msg)
}

async fn draft(c: &mut Forums, who: &str, title: &str, description: &str) -> pb::Matter {
    c.create_matter(as_(
        who,
        pb::CreateMatterRequest {
            request_id: String::new(),
            matter: Some(pb::Matter {
                kind: pb::MatterKind::DevelopmentNeed as i32,
                title: title.into(),
                description: description.into(),
                priority: pb::Priority::Normal as i32,
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

async fn submit(c: &mut Forums, who: &str, m: &pb::Matter, forum: &str) -> pb::Matter {
    c.submit_matter(as_(
        who,
        pb::SubmitMatterRequest {
            id: m.id.clone(),
            forum_id: forum.into(),
            etag: m.etag.clone(),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .matter
    .unwrap()
}

async fn matter(c: &mut Forums, id: &str) -> pb::Matter {
    c.get_matter(as_(SOFIA, pb::GetMatterRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap()
}

/// A meeting of `forum` planned by `who`, with one agenda item.
async fn planned(
    c: &mut Forums,
    who: &str,
    forum: &str,
    title: &str,
    item: &str,
    matter: &str,
) -> pb::Meeting {
    let m = story::meeting(c, who, forum, title, (2026, 12, 15)).await;
    story::add_item(c, who, &m.id, pb::AgendaItemKind::Decision, item, matter).await
}

/// A meeting held with a § for its one item: the minutes are drafted.
async fn held(c: &mut Forums, secretary: &str, forum: &str, title: &str) -> pb::Meeting {
    let m = planned(c, secretary, forum, title, "Information om läget", "").await;
    story::publish(c, secretary, &m).await;
    story::hold(c, secretary, &m).await;
    story::paragraph(
        c,
        secretary,
        &m.id,
        &m.agenda[0].id,
        pb::ParagraphOutcome::Noted,
        "Informationen noteras.",
    )
    .await;
    m
}

async fn designate(c: &mut Forums, m: &pb::Meeting) {
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

pub async fn rows(fx: &Fixture) -> Vec<Row> {
    let ch = fx.channel.clone();
    let mut c = ForumsServiceClient::new(ch.clone());
    let (utv, styr) = story::forum_ids(&fx.server).await;
    let s = &fx.secrets;

    // Tranemo's private draft with a document, and shared business.
    let draft_title = s.private("utkast");
    let d = draft(&mut c, ERIK, &draft_title, &s.private("utkastbeskrivning")).await;
    let doc_title = s.private("dokument");
    let doc = c
        .create_document(as_(
            ERIK,
            pb::CreateDocumentRequest {
                request_id: String::new(),
                document: Some(pb::Document {
                    matter_id: d.id.clone(),
                    title: doc_title.clone(),
                    classification: pb::Classification::Public as i32,
                    media_type: "text/plain; charset=utf-8".into(),
                    content: s.private("dokumentinnehåll").into_bytes(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .document
        .unwrap();
    let submitted_title = s.shared("inskickat");
    let sm = draft(
        &mut c,
        SOFIA,
        &submitted_title,
        "Gemensamt behov för båda kommunerna.",
    )
    .await;
    submit(&mut c, SOFIA, &sm, &utv).await;
    let meeting_title = s.shared("möte");
    let item_title = s.shared("punkt");
    let mu = planned(&mut c, SOFIA, &utv, &meeting_title, &item_title, "").await;
    story::publish(&mut c, SOFIA, &mu).await;
    let note_text = s.private("anteckning");
    c.create_note(as_(
        ERIK,
        pb::CreateNoteRequest {
            request_id: String::new(),
            note: Some(pb::Note {
                agenda_item_id: mu.agenda[0].id.clone(),
                text: note_text.clone(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    // IT-styrgruppen's adjusted minutes.
    let adjusted = held(&mut c, EVA, &styr, &s.shared("styrgruppsmöte")).await;
    designate(&mut c, &adjusted).await;
    for who in [ANNA, LARS] {
        c.adjust_minutes(as_(
            who,
            pb::AdjustMinutesRequest {
                meeting_id: adjusted.id.clone(),
            },
        ))
        .await
        .unwrap();
    }
    // A later meeting of IT-styrgruppen, held: its minutes record the
    // correction of the adjusted ones.
    let later = story::meeting(&mut c, EVA, &styr, "IT-styrgruppen 1/2027", (2027, 1, 20)).await;
    let later = story::add_item(
        &mut c,
        EVA,
        &later.id,
        pb::AgendaItemKind::Information,
        "Övriga frågor",
        "",
    )
    .await;
    story::publish(&mut c, EVA, &later).await;
    story::hold(&mut c, EVA, &later).await;
    let minutes = c
        .get_minutes(as_(
            EVA,
            pb::GetMinutesRequest {
                meeting_id: adjusted.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .minutes
        .unwrap();

    let any = "every person of a member municipality reads the collaboration's meetings";
    let fresh_draft = {
        let ch = ch.clone();
        move || {
            let ch = ch.clone();
            async move {
                let mut c = ForumsServiceClient::new(ch);
                draft(&mut c, ERIK, "Nytt behov", "Beskrivning av behovet.").await
            }
        }
    };
    vec![
        Row::new(SVC, "CreateMatter", ERIK)
            .any_person("every person of a member municipality may draft a matter")
            .other_member_allowed()
            .request(pb::CreateMatterRequest {
                request_id: "isolation-matter".into(),
                matter: Some(pb::Matter {
                    kind: pb::MatterKind::ImprovementNeed as i32,
                    title: "Bättre lösenordsbyte".into(),
                    description: "Självservice för lösenord.".into(),
                    forum_id: utv.clone(),
                    ..Default::default()
                }),
            }),
        Row::new(SVC, "GetMatter", ERIK)
            .any_person("a municipality's people read its drafts")
            .reveals(&draft_title)
            .request(pb::GetMatterRequest { id: d.id.clone() }),
        // Unfiltered: each caller gets what it may see (the other
        // collaboration its own matters), never ours.
        Row::new(SVC, "ListMatters", ERIK)
            .any_person(any)
            .other_member_allowed()
            .other_collaboration_allowed()
            .reveals(&draft_title)
            .reveals(&submitted_title)
            .request(pb::ListMattersRequest {
                page_size: 200,
                ..Default::default()
            }),
        Row::new(SVC, "UpdateMatter", ERIK)
            .no_role(EMIL)
            .request_with({
                let f = fresh_draft.clone();
                move || async move {
                    let m = f().await;
                    pb::UpdateMatterRequest {
                        etag: m.etag.clone(),
                        matter: Some(pb::Matter {
                            title: "Nytt behov, omformulerat".into(),
                            ..m
                        }),
                    }
                }
            }),
        Row::new(SVC, "SubmitMatter", ERIK)
            .no_role(EMIL)
            .request_with({
                let (f, utv) = (fresh_draft.clone(), utv.clone());
                move || async move {
                    let m = f().await;
                    pb::SubmitMatterRequest {
                        id: m.id,
                        forum_id: utv,
                        etag: m.etag,
                    }
                }
            }),
        Row::new(SVC, "WithdrawMatter", ERIK)
            .no_role(EMIL)
            .request_with({
                let f = fresh_draft.clone();
                move || async move {
                    let m = f().await;
                    pb::WithdrawMatterRequest {
                        id: m.id,
                        etag: m.etag,
                    }
                }
            }),
        Row::new(SVC, "EscalateMatter", SOFIA)
            .no_role(EMIL)
            .request_with({
                let (ch, utv) = (ch.clone(), utv.clone());
                move || async move {
                    let mut c = ForumsServiceClient::new(ch);
                    let m = draft(&mut c, SOFIA, "Gemensam e-tjänsteplattform", "Behov.").await;
                    let m = submit(&mut c, SOFIA, &m, &utv).await;
                    let meeting =
                        planned(&mut c, SOFIA, &utv, "IT-forum utveckling extra", "", &m.id).await;
                    story::publish(&mut c, SOFIA, &meeting).await;
                    story::hold(&mut c, SOFIA, &meeting).await;
                    let p = story::paragraph(
                        &mut c,
                        SOFIA,
                        &meeting.id,
                        &meeting.agenda[0].id,
                        pb::ParagraphOutcome::Escalated,
                        "Forumet lyfter frågan till IT-styrgruppen.",
                    )
                    .await;
                    let m = matter(&mut c, &m.id).await;
                    pb::EscalateMatterRequest {
                        id: m.id,
                        paragraph_id: p.id,
                        recommendation: "Prioritera plattformen 2027.".into(),
                        etag: m.etag,
                    }
                }
            }),
        Row::new(SVC, "ListAgendaBacklog", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .reveals(&submitted_title)
            .request(pb::ListAgendaBacklogRequest {
                forum_id: utv.clone(),
                page_size: 200,
                ..Default::default()
            }),
        Row::new(SVC, "CreateMeeting", SOFIA)
            .no_role(EMIL)
            .request(pb::CreateMeetingRequest {
                request_id: "isolation-meeting".into(),
                meeting: Some(pb::Meeting {
                    forum_id: utv.clone(),
                    title: "IT-forum utveckling 1/2027".into(),
                    start_time: story::at(2027, 2, 10, 12),
                    end_time: story::at(2027, 2, 10, 14),
                    location: "Ulricehamns stadshus".into(),
                    ..Default::default()
                }),
            }),
        Row::new(SVC, "GetMeeting", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .reveals(&meeting_title)
            .reveals(&item_title)
            .request(pb::GetMeetingRequest { id: mu.id.clone() }),
        Row::new(SVC, "ListMeetings", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .reveals(&meeting_title)
            .request(pb::ListMeetingsRequest {
                forum_id: utv.clone(),
                page_size: 200,
                ..Default::default()
            }),
        Row::new(SVC, "AddAgendaItem", SOFIA)
            .no_role(EMIL)
            .request_with({
                let (ch, utv) = (ch.clone(), utv.clone());
                move || async move {
                    let mut c = ForumsServiceClient::new(ch);
                    let m = story::meeting(&mut c, SOFIA, &utv, "Planering", (2027, 3, 3)).await;
                    pb::AddAgendaItemRequest {
                        request_id: String::new(),
                        item: Some(pb::AgendaItem {
                            meeting_id: m.id,
                            kind: pb::AgendaItemKind::Information as i32,
                            title: "Lägesrapport".into(),
                            ..Default::default()
                        }),
                    }
                }
            }),
        Row::new(SVC, "PublishAgenda", SOFIA)
            .no_role(EMIL)
            .request_with({
                let (ch, utv) = (ch.clone(), utv.clone());
                move || async move {
                    let mut c = ForumsServiceClient::new(ch);
                    let m = planned(&mut c, SOFIA, &utv, "Att publicera", "Punkt", "").await;
                    let m = c
                        .get_meeting(as_(SOFIA, pb::GetMeetingRequest { id: m.id }))
                        .await
                        .unwrap()
                        .into_inner()
                        .meeting
                        .unwrap();
                    pb::PublishAgendaRequest {
                        meeting_id: m.id,
                        etag: m.etag,
                    }
                }
            }),
        Row::new(SVC, "CreateNote", ERIK)
            .no_role(EMIL)
            .other_member_allowed()
            .request(pb::CreateNoteRequest {
                request_id: "isolation-note".into(),
                note: Some(pb::Note {
                    agenda_item_id: mu.agenda[0].id.clone(),
                    text: "Vår kommun stöder förslaget.".into(),
                    ..Default::default()
                }),
            }),
        Row::new(SVC, "ListNotes", ERIK)
            .any_person("a municipality's people read its own notes")
            .other_member_allowed()
            .reveals(&note_text)
            .request(pb::ListNotesRequest {
                meeting_id: mu.id.clone(),
            }),
        Row::new(SVC, "CreateDocument", ERIK)
            .no_role(EMIL)
            .request(pb::CreateDocumentRequest {
                request_id: "isolation-document".into(),
                document: Some(pb::Document {
                    matter_id: d.id.clone(),
                    title: "Kravlista".into(),
                    classification: pb::Classification::Public as i32,
                    content: "Krav 1: e-legitimation.".as_bytes().to_vec(),
                    ..Default::default()
                }),
            }),
        Row::new(SVC, "GetDocument", ERIK)
            .any_person("a municipality's people read its drafts' documents")
            .reveals(&doc_title)
            .request(pb::GetDocumentRequest { id: doc.id.clone() }),
        Row::new(SVC, "ListDocuments", ERIK)
            .any_person("a municipality's people read its drafts' documents")
            .reveals(&doc_title)
            .request(pb::ListDocumentsRequest {
                matter_id: d.id.clone(),
                ..Default::default()
            }),
        Row::new(SVC, "RecordAttendance", SOFIA)
            .no_role(EMIL)
            .request_with({
                let (ch, utv) = (ch.clone(), utv.clone());
                move || async move {
                    let mut c = ForumsServiceClient::new(ch);
                    let m = planned(&mut c, SOFIA, &utv, "Närvaro", "Punkt", "").await;
                    let m = story::publish(&mut c, SOFIA, &m).await;
                    pb::RecordAttendanceRequest {
                        meeting_id: m.id,
                        attendance: vec![pb::Attendance {
                            name: "Sofia Lindström".into(),
                            status: pb::AttendanceStatus::Present as i32,
                            ..Default::default()
                        }],
                        etag: m.etag,
                    }
                }
            }),
        Row::new(SVC, "AddParagraph", SOFIA)
            .no_role(EMIL)
            .request_with({
                let (ch, utv) = (ch.clone(), utv.clone());
                move || async move {
                    let mut c = ForumsServiceClient::new(ch);
                    let m = planned(&mut c, SOFIA, &utv, "Paragraf", "Punkt", "").await;
                    story::publish(&mut c, SOFIA, &m).await;
                    story::hold(&mut c, SOFIA, &m).await;
                    pb::AddParagraphRequest {
                        request_id: String::new(),
                        paragraph: Some(pb::Paragraph {
                            meeting_id: m.id,
                            agenda_item_id: m.agenda[0].id.clone(),
                            presented: "Ärendet föredras.".into(),
                            decision: "Forumet noterar informationen.".into(),
                            outcome: pb::ParagraphOutcome::Noted as i32,
                            ..Default::default()
                        }),
                    }
                }
            }),
        Row::new(SVC, "DesignateAdjusters", EVA)
            .no_role(OSKAR)
            .other_member_as(SOFIA)
            .request_with({
                let (ch, styr) = (ch.clone(), styr.clone());
                move || async move {
                    let mut c = ForumsServiceClient::new(ch);
                    let m = held(&mut c, EVA, &styr, "Justerare").await;
                    pb::DesignateAdjustersRequest {
                        meeting_id: m.id,
                        person_ids: vec![],
                    }
                }
            }),
        Row::new(SVC, "AdjustMinutes", ANNA)
            .no_role(EMIL)
            .request_with({
                let (ch, styr) = (ch.clone(), styr.clone());
                move || async move {
                    let mut c = ForumsServiceClient::new(ch);
                    let m = held(&mut c, EVA, &styr, "Justering").await;
                    designate(&mut c, &m).await;
                    pb::AdjustMinutesRequest { meeting_id: m.id }
                }
            }),
        Row::new(SVC, "AddCorrection", EVA)
            .no_role(OSKAR)
            .other_member_as(SOFIA)
            .request(pb::AddCorrectionRequest {
                request_id: "isolation-correction".into(),
                meeting_id: adjusted.id.clone(),
                corrects_paragraph_id: minutes.paragraphs[0].id.clone(),
                text: "Rättelse: informationen gällde 2027.".into(),
                recording_meeting_id: later.id.clone(),
            }),
        Row::new(SVC, "GetMinutes", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .request(pb::GetMinutesRequest {
                meeting_id: adjusted.id.clone(),
            }),
        Row::new(SVC, "WatchMeeting", ERIK)
            .streaming()
            .any_person(any)
            .other_member_allowed()
            .reveals(&meeting_title)
            .reveals(&note_text)
            .request(pb::WatchMeetingRequest {
                meeting_id: mu.id.clone(),
                ..Default::default()
            }),
        Row::new(SVC, "ExportMeeting", ERIK)
            .any_person(any)
            .other_member_allowed()
            .reveals(&item_title)
            .request(pb::ExportMeetingRequest {
                meeting_id: mu.id.clone(),
                kind: pb::ExportKind::Agenda as i32,
                format: pb::ExportFormat::Markdown as i32,
            }),
    ]
}
