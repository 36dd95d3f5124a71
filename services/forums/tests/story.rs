//! The release story, steps 2–6, over real gRPC on SQLite and PostgreSQL: a
//! need drafted privately in Tranemo, submitted to IT-forum utveckling,
//! escalated by a § of its minutes to IT-styrgruppen's backlog, put on the
//! agenda with the sub-forums' items, prepared privately by each
//! municipality, minuted § by §, adjusted by one adjuster from each
//! municipality, and locked.

use std::time::Duration;

use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::story::{add_item, as_, forum_ids, hold, meeting, paragraph, publish};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Code;

const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // e-samordnare, secretary of IT-forum utveckling
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-strateg: chairs utveckling, secretary of IT-styrgruppen
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo utvecklingschef
const MARIA: &str = "maria.sjoberg@ulricehamn.se"; // Ulricehamn utvecklingschef
const ANNA: &str = "anna.aberg@tranemo.se"; // Tranemo kommunchef
const LARS: &str = "lars.angstrom@ulricehamn.se"; // Ulricehamn kommunchef

async fn the_story_from_need_to_locked_minutes(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let mut c = ForumsServiceClient::new(server.channel().await);
    let (utveckling, styrgruppen) = forum_ids(&server).await;

    // 2. Tranemo's e-samordnare drafts a need; Ulricehamn cannot see it.
    let draft = c
        .create_matter(as_(
            SOFIA,
            pb::CreateMatterRequest {
                request_id: "behov-1".into(),
                matter: Some(pb::Matter {
                    kind: pb::MatterKind::DevelopmentNeed as i32,
                    title: "Digital signering av protokoll i båda kommunerna".into(),
                    description:
                        "Vi behöver e-underskrift för justering – även för förtroendevalda.".into(),
                    priority: pb::Priority::High as i32,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    assert_eq!(draft.state, pb::MatterState::Draft as i32);
    let err = c
        .get_matter(as_(
            MARIA,
            pb::GetMatterRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::NotFound,
        "Ulricehamn must not see Tranemo's draft"
    );
    let listed = c
        .list_matters(as_(MARIA, pb::ListMattersRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.matters.iter().all(|m| m.id != draft.id));
    // Erik, also of Tranemo, sees his municipality's draft.
    c.get_matter(as_(
        ERIK,
        pb::GetMatterRequest {
            id: draft.id.clone(),
        },
    ))
    .await
    .unwrap();

    let submitted = c
        .submit_matter(as_(
            SOFIA,
            pb::SubmitMatterRequest {
                id: draft.id.clone(),
                forum_id: utveckling.clone(),
                etag: draft.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    assert_eq!(submitted.state, pb::MatterState::Submitted as i32);
    let seen = c
        .get_matter(as_(
            MARIA,
            pb::GetMatterRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    assert_eq!(seen.raising_municipality_id, "tranemo");
    // Submitted: no longer a draft that can be changed.
    let err = c
        .update_matter(as_(
            SOFIA,
            pb::UpdateMatterRequest {
                matter: Some(submitted.clone()),
                etag: submitted.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    // 3. IT-forum utveckling meets; a § escalates the matter.
    let m1 = meeting(
        &mut c,
        EVA,
        &utveckling,
        "IT-forum utveckling 4/2026",
        (2026, 12, 10),
    )
    .await;
    let m1 = add_item(
        &mut c,
        EVA,
        &m1.id,
        pb::AgendaItemKind::Decision,
        "",
        &submitted.id,
    )
    .await;
    assert_eq!(
        m1.agenda[0].title,
        "Digital signering av protokoll i båda kommunerna"
    );
    publish(&mut c, EVA, &m1).await;
    hold(&mut c, SOFIA, &m1).await;
    let held = c
        .get_meeting(as_(EVA, pb::GetMeetingRequest { id: m1.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .meeting
        .unwrap();
    assert_eq!(held.state, pb::MeetingState::Held as i32);
    let p1 = paragraph(
        &mut c,
        SOFIA,
        &m1.id,
        &m1.agenda[0].id,
        pb::ParagraphOutcome::Escalated,
        "Forumet rekommenderar IT-styrgruppen att prioritera e-underskrift 2027.",
    )
    .await;
    assert_eq!(p1.reference, "§ 1/2026");
    let drafting = c
        .get_meeting(as_(EVA, pb::GetMeetingRequest { id: m1.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .meeting
        .unwrap();
    assert_eq!(drafting.state, pb::MeetingState::MinutesDrafted as i32);
    let on_agenda = c
        .get_matter(as_(
            EVA,
            pb::GetMatterRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    let escalated = c
        .escalate_matter(as_(
            EVA,
            pb::EscalateMatterRequest {
                id: draft.id.clone(),
                paragraph_id: p1.id.clone(),
                recommendation: "Prioritera e-underskrift i 2027 års plan.".into(),
                etag: on_agenda.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    assert_eq!(escalated.state, pb::MatterState::Escalated as i32);
    assert_eq!(escalated.forum_id, styrgruppen);

    // 4. It lands on IT-styrgruppen's backlog with its provenance.
    let backlog = c
        .list_agenda_backlog(as_(
            EVA,
            pb::ListAgendaBacklogRequest {
                forum_id: styrgruppen.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matters;
    assert_eq!(backlog.len(), 1);
    let step = &backlog[0].provenance[0];
    assert_eq!(
        (step.forum_name.as_str(), step.paragraph_ref.as_str()),
        ("IT-forum utveckling", "§ 1/2026")
    );
    assert_eq!(
        step.recommendation,
        "Prioritera e-underskrift i 2027 års plan."
    );

    let m2 = meeting(
        &mut c,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 6/2026",
        (2026, 12, 17),
    )
    .await;
    add_item(
        &mut c,
        EVA,
        &m2.id,
        pb::AgendaItemKind::Decision,
        "",
        &backlog[0].id,
    )
    .await;
    add_item(
        &mut c,
        EVA,
        &m2.id,
        pb::AgendaItemKind::Report,
        "Informationssäkerhetsgruppens rapport, tertial 3",
        "",
    )
    .await;
    let m2 = add_item(
        &mut c,
        EVA,
        &m2.id,
        pb::AgendaItemKind::Decision,
        "Tjänstefieringsgruppens förslag till prislista 2027",
        "",
    )
    .await;
    assert_eq!(
        m2.agenda.iter().map(|i| i.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    // Only the secretary (or chair) builds the agenda.
    let err = c
        .add_agenda_item(as_(
            MARIA,
            pb::AddAgendaItemRequest {
                request_id: String::new(),
                item: Some(pb::AgendaItem {
                    meeting_id: m2.id.clone(),
                    kind: 3,
                    title: "Övrigt".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let m2 = publish(&mut c, EVA, &m2).await;
    assert!(
        c.list_agenda_backlog(as_(
            EVA,
            pb::ListAgendaBacklogRequest {
                forum_id: styrgruppen.clone(),
                ..Default::default()
            }
        ))
        .await
        .unwrap()
        .into_inner()
        .matters
        .is_empty()
    );

    // 5. Each municipality prepares privately, and a watcher of the other
    // municipality learns nothing of it.
    let mut watch = c
        .watch_meeting(as_(
            MARIA,
            pb::WatchMeetingRequest {
                meeting_id: m2.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert!(first.notes.is_empty());
    let note = |text: &str, item: &str| pb::CreateNoteRequest {
        request_id: String::new(),
        note: Some(pb::Note {
            agenda_item_id: item.into(),
            text: text.into(),
            ..Default::default()
        }),
    };
    c.create_note(as_(
        ERIK,
        note(
            "Tranemos linje: stöd förslaget, men kräv BankID för förtroendevalda.",
            &m2.agenda[0].id,
        ),
    ))
    .await
    .unwrap();
    let nothing = tokio::time::timeout(Duration::from_millis(500), watch.message()).await;
    assert!(
        nothing.is_err(),
        "Ulricehamn's watcher heard of Tranemo's note: {nothing:?}"
    );
    c.create_note(as_(
        MARIA,
        note(
            "Ulricehamn: fråga om kostnaden per användare.",
            &m2.agenda[0].id,
        ),
    ))
    .await
    .unwrap();
    let update = watch.message().await.unwrap().unwrap();
    assert_eq!(update.notes.len(), 1);
    assert!(update.notes[0].text.starts_with("Ulricehamn"));
    let theirs = c
        .list_notes(as_(
            MARIA,
            pb::ListNotesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .notes;
    assert_eq!(theirs.len(), 1);
    let ours = c
        .list_notes(as_(
            ANNA,
            pb::ListNotesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .notes;
    assert_eq!(ours.len(), 1);
    assert!(ours[0].text.starts_with("Tranemos linje"));
    // Someone without a seat or a development role writes no notes.
    let err = c
        .create_note(as_("karin.strom@tranemo.se", note("x", &m2.agenda[0].id)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // 6. The meeting is held; a § per item; adjusted by one from each municipality.
    hold(&mut c, EVA, &m2).await;
    let outcomes = [
        pb::ParagraphOutcome::Decided,
        pb::ParagraphOutcome::Noted,
        pb::ParagraphOutcome::Decided,
    ];
    let mut refs = Vec::new();
    for (item, outcome) in m2.agenda.iter().zip(outcomes) {
        refs.push(
            paragraph(
                &mut c,
                EVA,
                &m2.id,
                &item.id,
                outcome,
                "IT-styrgruppen beslutar enligt förslaget.",
            )
            .await
            .reference,
        );
    }
    assert_eq!(
        refs,
        ["§ 1/2026", "§ 2/2026", "§ 3/2026"],
        "IT-styrgruppen's own series, independent of utveckling's"
    );
    let handled = c
        .get_matter(as_(
            ANNA,
            pb::GetMatterRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    assert_eq!(handled.state, pb::MatterState::Handled as i32);

    let err = c
        .adjust_minutes(as_(
            ANNA,
            pb::AdjustMinutesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::FailedPrecondition,
        "no adjusters designated yet"
    );
    let minutes = c
        .designate_adjusters(as_(
            EVA,
            pb::DesignateAdjustersRequest {
                meeting_id: m2.id.clone(),
                person_ids: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .minutes
        .unwrap();
    assert_eq!(minutes.adjuster_person_ids.len(), 2);
    // Not an adjuster: refused.
    let err = c
        .adjust_minutes(as_(
            MARIA,
            pb::AdjustMinutesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let half = c
        .adjust_minutes(as_(
            ANNA,
            pb::AdjustMinutesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!half.minutes.unwrap().locked);
    let done = c
        .adjust_minutes(as_(
            LARS,
            pb::AdjustMinutesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let locked = done.minutes.unwrap();
    assert!(locked.locked && locked.lock_time.is_some());

    // Adjusted minutes: every mutating RPC answers FAILED_PRECONDITION and changes nothing.
    let meeting_now = c
        .get_meeting(as_(EVA, pb::GetMeetingRequest { id: m2.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .meeting
        .unwrap();
    let codes = vec![
        c.add_paragraph(as_(
            EVA,
            pb::AddParagraphRequest {
                request_id: String::new(),
                paragraph: Some(pb::Paragraph {
                    meeting_id: m2.id.clone(),
                    agenda_item_id: m2.agenda[0].id.clone(),
                    decision: "Ändrat beslut".into(),
                    outcome: 1,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err()
        .code(),
        c.record_attendance(as_(
            EVA,
            pb::RecordAttendanceRequest {
                meeting_id: m2.id.clone(),
                attendance: vec![pb::Attendance {
                    name: "X".into(),
                    status: 1,
                    ..Default::default()
                }],
                etag: meeting_now.etag.clone(),
            },
        ))
        .await
        .unwrap_err()
        .code(),
        c.designate_adjusters(as_(
            EVA,
            pb::DesignateAdjustersRequest {
                meeting_id: m2.id.clone(),
                person_ids: vec![],
            },
        ))
        .await
        .unwrap_err()
        .code(),
        c.adjust_minutes(as_(
            ANNA,
            pb::AdjustMinutesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap_err()
        .code(),
        c.add_agenda_item(as_(
            EVA,
            pb::AddAgendaItemRequest {
                request_id: String::new(),
                item: Some(pb::AgendaItem {
                    meeting_id: m2.id.clone(),
                    kind: 3,
                    title: "Sent tillägg".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err()
        .code(),
        c.publish_agenda(as_(
            EVA,
            pb::PublishAgendaRequest {
                meeting_id: m2.id.clone(),
                etag: meeting_now.etag.clone(),
            },
        ))
        .await
        .unwrap_err()
        .code(),
        c.create_note(as_(
            ANNA,
            pb::CreateNoteRequest {
                request_id: String::new(),
                note: Some(pb::Note {
                    agenda_item_id: m2.agenda[0].id.clone(),
                    text: "Sent inlägg.".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err()
        .code(),
        c.create_document(as_(
            EVA,
            pb::CreateDocumentRequest {
                request_id: String::new(),
                document: Some(pb::Document {
                    agenda_item_id: m2.agenda[0].id.clone(),
                    title: "Sen bilaga".into(),
                    classification: pb::Classification::Public as i32,
                    content: b"bilaga".to_vec(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err()
        .code(),
    ];
    assert!(
        codes.iter().all(|c| *c == Code::FailedPrecondition),
        "{codes:?}"
    );
    let after = c
        .get_minutes(as_(
            MARIA,
            pb::GetMinutesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .minutes
        .unwrap();
    assert_eq!(after, locked, "the locked minutes did not change");

    // A correction is a new § in the minutes of the forum's next meeting,
    // numbered in that meeting's year, referring to the corrected §.
    let m3 = meeting(
        &mut c,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 1/2027",
        (2027, 1, 21),
    )
    .await;
    let m3 = add_item(
        &mut c,
        EVA,
        &m3.id,
        pb::AgendaItemKind::Information,
        "Övriga frågor",
        "",
    )
    .await;
    publish(&mut c, EVA, &m3).await;
    hold(&mut c, EVA, &m3).await;
    let correction = c
        .add_correction(as_(
            EVA,
            pb::AddCorrectionRequest {
                request_id: String::new(),
                meeting_id: m2.id.clone(),
                corrects_paragraph_id: locked.paragraphs[2].id.clone(),
                text: "Prislistan gäller från 2027-01-01, inte 2026-01-01.".into(),
                recording_meeting_id: m3.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .paragraph
        .unwrap();
    assert_eq!(correction.corrects_paragraph_id, locked.paragraphs[2].id);
    assert_eq!(correction.title, "Rättelse av § 3/2026");
    assert_eq!(
        (
            correction.meeting_id.as_str(),
            correction.reference.as_str()
        ),
        (m3.id.as_str(), "§ 1/2027")
    );
    let corrects = correction.corrects.clone().unwrap();
    assert_eq!(
        (corrects.meeting_id.as_str(), corrects.reference.as_str()),
        (m2.id.as_str(), "§ 3/2026")
    );
    let corrected = c
        .get_minutes(as_(
            MARIA,
            pb::GetMinutesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .minutes
        .unwrap();
    let link = &corrected.paragraphs[2].corrected_by;
    assert_eq!(link.len(), 1, "{corrected:?}");
    assert_eq!(
        (link[0].meeting_id.as_str(), link[0].reference.as_str()),
        (m3.id.as_str(), "§ 1/2027")
    );
    assert_eq!(link[0].paragraph_id, correction.id);
    assert_eq!(corrected.paragraphs.len(), locked.paragraphs.len());

    // Exports: the minutes in Markdown; notes never appear in exports.
    let later = c
        .export_meeting(as_(
            MARIA,
            pb::ExportMeetingRequest {
                meeting_id: m3.id.clone(),
                kind: pb::ExportKind::Minutes as i32,
                format: pb::ExportFormat::Markdown as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let later = String::from_utf8(later.content).unwrap();
    assert!(
        later.contains("## § 1/2027 Rättelse av § 3/2026\n\n*Rättelse av § 3/2026 i protokollet från sammanträdet den 17 december 2026 (IT-styrgruppen 6/2026).*"),
        "{later}"
    );
    // Exports: the minutes in Markdown; notes never appear in exports.
    let md = c
        .export_meeting(as_(
            MARIA,
            pb::ExportMeetingRequest {
                meeting_id: m2.id.clone(),
                kind: pb::ExportKind::Minutes as i32,
                format: pb::ExportFormat::Markdown as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8(md.content).unwrap();
    assert!(text.starts_with("# Protokoll – IT-styrgruppen"), "{text}");
    assert!(
        text.contains("## § 1/2026 Digital signering av protokoll i båda kommunerna"),
        "{text}"
    );
    assert!(
        text.contains("*Rättad genom § 1/2027 i protokollet från sammanträdet den 21 januari 2027 (IT-styrgruppen 1/2027).*"),
        "{text}"
    );
    assert!(
        text.contains("Justerare: Anna Åberg, Lars Ängström"),
        "{text}"
    );
    assert!(!text.contains("Tranemos linje") && !text.contains("kostnaden per användare"));
    assert_eq!(md.file_name, "protokoll-it-styrgruppen-2026-12-17.md");
    server.stop().await;
}
backend_test!(the_story_from_need_to_locked_minutes);

/// Several meetings of one forum minuted at once, across a year boundary:
/// each year's series has no gaps and no duplicates.
async fn paragraph_numbers_are_gap_free_under_concurrency(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let mut c = ForumsServiceClient::new(server.channel().await);
    let (_, styrgruppen) = forum_ids(&server).await;
    let mut items = Vec::new();
    for (n, day) in [(2025, 12, 18), (2025, 12, 30), (2026, 1, 8), (2026, 1, 20)]
        .into_iter()
        .enumerate()
    {
        let m = meeting(&mut c, EVA, &styrgruppen, &format!("Sammanträde {n}"), day).await;
        let mut m = m;
        for k in 0..4 {
            m = add_item(
                &mut c,
                EVA,
                &m.id,
                pb::AgendaItemKind::Information,
                &format!("Punkt {k}"),
                "",
            )
            .await;
        }
        publish(&mut c, EVA, &m).await;
        hold(&mut c, EVA, &m).await;
        items.extend(m.agenda.iter().map(|i| (m.id.clone(), i.id.clone())));
    }
    let tasks: Vec<_> = items
        .into_iter()
        .map(|(meeting, item)| {
            let mut c = c.clone();
            tokio::spawn(async move {
                paragraph(
                    &mut c,
                    EVA,
                    &meeting,
                    &item,
                    pb::ParagraphOutcome::Noted,
                    "Noterades.",
                )
                .await
            })
        })
        .collect();
    let mut by_year: std::collections::BTreeMap<i32, Vec<i32>> = Default::default();
    for t in tasks {
        let p = t.await.unwrap();
        by_year.entry(p.year).or_default().push(p.number);
    }
    for numbers in by_year.values_mut() {
        numbers.sort();
    }
    assert_eq!(by_year.get(&2025).unwrap(), &(1..=8).collect::<Vec<_>>());
    assert_eq!(by_year.get(&2026).unwrap(), &(1..=8).collect::<Vec<_>>());
    server.stop().await;
}
backend_test!(paragraph_numbers_are_gap_free_under_concurrency);

async fn lists_page_filter_and_sort(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let mut c = ForumsServiceClient::new(server.channel().await);
    let (utveckling, _) = forum_ids(&server).await;
    for n in 0..5 {
        let m = c
            .create_matter(as_(
                SOFIA,
                pb::CreateMatterRequest {
                    request_id: format!("m{n}"),
                    matter: Some(pb::Matter {
                        kind: 1,
                        title: format!("Behov {n} – åäö"),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .matter
            .unwrap();
        if n % 2 == 0 {
            c.submit_matter(as_(
                SOFIA,
                pb::SubmitMatterRequest {
                    id: m.id,
                    forum_id: utveckling.clone(),
                    etag: m.etag,
                },
            ))
            .await
            .unwrap();
        }
    }
    // A retried create returned the first matter: still five.
    c.create_matter(as_(
        SOFIA,
        pb::CreateMatterRequest {
            request_id: "m0".into(),
            matter: Some(pb::Matter {
                kind: 1,
                title: "Behov 0 – åäö".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    let mut titles = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_matters(as_(
                SOFIA,
                pb::ListMattersRequest {
                    page_size: 2,
                    page_token: token.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        titles.extend(page.matters.into_iter().map(|m| m.title));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        titles,
        [
            "Behov 4 – åäö",
            "Behov 3 – åäö",
            "Behov 2 – åäö",
            "Behov 1 – åäö",
            "Behov 0 – åäö"
        ]
    );
    let submitted = c
        .list_matters(as_(
            MARIA,
            pb::ListMattersRequest {
                forum_id: utveckling.clone(),
                state: pb::MatterState::Submitted as i32,
                order_by: "create_time asc".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matters;
    assert_eq!(
        submitted
            .iter()
            .map(|m| m.title.as_str())
            .collect::<Vec<_>>(),
        ["Behov 0 – åäö", "Behov 2 – åäö", "Behov 4 – åäö"]
    );
    let err = c
        .list_matters(as_(
            SOFIA,
            pb::ListMattersRequest {
                order_by: "title".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    server.stop().await;
}
backend_test!(lists_page_filter_and_sort);

async fn documents_carry_their_date_and_follow_their_matter(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let mut c = ForumsServiceClient::new(server.channel().await);
    let (utveckling, _) = forum_ids(&server).await;
    let m = c
        .create_matter(as_(
            SOFIA,
            pb::CreateMatterRequest {
                request_id: String::new(),
                matter: Some(pb::Matter {
                    kind: 1,
                    title: "Behov med bilaga".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    let content = "Förstudie: e-underskrift för nämnder och styrelser."
        .as_bytes()
        .to_vec();
    let doc = c
        .create_document(as_(
            SOFIA,
            pb::CreateDocumentRequest {
                request_id: String::new(),
                document: Some(pb::Document {
                    matter_id: m.id.clone(),
                    title: "Förstudie".into(),
                    classification: pb::Classification::Public as i32,
                    media_type: "text/plain".into(),
                    content: content.clone(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .document
        .unwrap();
    assert!(doc.create_time.is_some());
    assert_eq!(doc.size_bytes, content.len() as i64);
    assert_eq!(doc.sha256.len(), 64);
    let err = c
        .get_document(as_(MARIA, pb::GetDocumentRequest { id: doc.id.clone() }))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::NotFound,
        "a draft's document is as private as the draft"
    );
    c.submit_matter(as_(
        SOFIA,
        pb::SubmitMatterRequest {
            id: m.id.clone(),
            forum_id: utveckling,
            etag: m.etag.clone(),
        },
    ))
    .await
    .unwrap();
    let seen = c
        .get_document(as_(MARIA, pb::GetDocumentRequest { id: doc.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .document
        .unwrap();
    assert_eq!(seen.content, content);
    let listed = c
        .list_documents(as_(
            MARIA,
            pb::ListDocumentsRequest {
                matter_id: m.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .documents;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].content.is_empty(), "lists leave the content out");
    // Past the size limit: a clear error naming the field, nothing stored.
    let err = c
        .create_document(as_(
            SOFIA,
            pb::CreateDocumentRequest {
                request_id: String::new(),
                document: Some(pb::Document {
                    matter_id: m.id.clone(),
                    title: "För stor".into(),
                    classification: 1,
                    content: vec![0; samverkan_forums::api::DEFAULT_MAX_DOCUMENT_BYTES + 1],
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("document.content"),
        "{}",
        err.message()
    );
    server.stop().await;
}
backend_test!(documents_carry_their_date_and_follow_their_matter);

async fn calendar_export_parses(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let mut c = ForumsServiceClient::new(server.channel().await);
    let (_, styrgruppen) = forum_ids(&server).await;
    let m = meeting(
        &mut c,
        EVA,
        &styrgruppen,
        "Sammanträde om växjö, åtgärder; övrigt",
        (2026, 6, 11),
    )
    .await;
    let m = add_item(
        &mut c,
        EVA,
        &m.id,
        pb::AgendaItemKind::Decision,
        "Budget för säkerhetsåtgärder",
        "",
    )
    .await;
    let ics = c
        .export_meeting(as_(
            ANNA,
            pb::ExportMeetingRequest {
                meeting_id: m.id.clone(),
                kind: pb::ExportKind::Calendar as i32,
                format: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ics.media_type, "text/calendar");
    let text = String::from_utf8(ics.content).unwrap();
    let unfolded = icalendar::parser::unfold(&text);
    let parsed = icalendar::parser::read_calendar(&unfolded).unwrap();
    let event = parsed
        .components
        .iter()
        .find(|c| c.name == "VEVENT")
        .expect("a VEVENT");
    let prop = |name: &str| {
        event
            .properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.val.to_string())
            .unwrap()
    };
    assert_eq!(prop("DTSTART"), "20260611T120000Z");
    // The parser undoes our escaping of ',' and ';'.
    assert_eq!(
        prop("SUMMARY"),
        "IT-styrgruppen: Sammanträde om växjö, åtgärder; övrigt"
    );
    assert!(prop("DESCRIPTION").contains("Budget för säkerhetsåtgärder"));
    let agenda = c
        .export_meeting(as_(
            ANNA,
            pb::ExportMeetingRequest {
                meeting_id: m.id.clone(),
                kind: pb::ExportKind::Agenda as i32,
                format: pb::ExportFormat::Html as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let html = String::from_utf8(agenda.content).unwrap();
    assert!(html.contains("<h1>Kallelse – IT-styrgruppen</h1>"));
    assert!(
        html.contains("torsdag 11 juni 2026 kl. 14.00–16.00"),
        "{html}"
    );
    server.stop().await;
}
backend_test!(calendar_export_parses);
