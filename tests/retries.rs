//! Retries and concurrent edits (issue #8, point 5), over real gRPC on
//! SQLite and PostgreSQL.
//!
//! For every create RPC that takes a `request_id` — enumerated from the
//! descriptor set, so a new one without a test here fails — a hundred
//! callers send the same request at once: exactly one row is created (counted in
//! the database), exactly one idempotency key is kept, and every caller gets
//! the same answer; a later retry gets it too; the same id with a changed
//! body answers `INVALID_ARGUMENT` naming `request_id` and writes nothing.
//!
//! For every `Update…` RPC with an `etag` — enumerated the same way — two
//! updates with the same etag are sent at once, several rounds: exactly one
//! succeeds, the other answers `ABORTED`, and what is stored afterwards is
//! the winner's.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::future::Future;
use std::time::Instant;

use chrono::Days;
use futures::future::join_all;
use prost::Message;
use samverkan_core::dates;
use samverkan_proto::agreements::v1 as apb;
use samverkan_proto::agreements::v1::agreements_service_client::AgreementsServiceClient;
use samverkan_proto::common::v1::Date;
use samverkan_proto::costmodel::v1 as cpb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::story::{add_item, as_, forum_ids, hold, meeting, paragraph, publish};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::transport::Channel;
use tonic::{Code, Response, Status};

const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-strateg, IT-styrgruppen's secretary
const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // e-samordnare
const ANNA: &str = "anna.aberg@tranemo.se"; // Tranemo kommunchef
const LARS: &str = "lars.angstrom@ulricehamn.se"; // Ulricehamn kommunchef
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo utvecklingschef
const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef
const BIRGITTA: &str = "birgitta.ek@tranemo.se"; // Tranemo registrator

/// Concurrent callers of every create.
const CALLERS: usize = 100;
/// Rounds of two concurrent updates with the same etag.
const ROUNDS: usize = 5;

const KLF: &str = "Kommunledningsförvaltningen";
const SOF: &str = "Socialförvaltningen";

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn in_days(n: u64) -> Option<Date> {
    Some(dates::to_proto(dates::today() + Days::new(n)))
}

/// The RPCs of `service` (e.g. `samverkan.roles.v1.RolesService`) whose
/// request message has a field named `field` and whose name starts with
/// `prefix`, from the descriptor set the server is built from.
fn rpcs_with(service: &str, field: &str, prefix: &str) -> BTreeSet<String> {
    let set = prost_types::FileDescriptorSet::decode(samverkan_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let mut messages = std::collections::HashMap::new();
    for f in &set.file {
        for m in &f.message_type {
            messages.insert(format!(".{}.{}", f.package(), m.name()), m);
        }
    }
    let mut out = BTreeSet::new();
    for f in &set.file {
        for s in &f.service {
            if format!("{}.{}", f.package(), s.name()) != service {
                continue;
            }
            for m in &s.method {
                let input = messages[m.input_type()];
                if m.name().starts_with(prefix) && input.field.iter().any(|x| x.name() == field) {
                    out.insert(m.name().to_owned());
                }
            }
        }
    }
    assert!(
        !out.is_empty() || prefix == "Update",
        "no RPCs found for {service}"
    );
    out
}

/// Counts rows as the owner (row-level security does not hide any).
async fn count(db: &TestDb, sql_from_where: &str) -> i64 {
    let rows = db
        .owner
        .query_admin(&format!(
            "SELECT CAST(count(*) AS BIGINT) AS n FROM {sql_from_where}"
        ))
        .await
        .unwrap();
    rows[0].try_get("", "n").unwrap()
}

/// The services with a create that takes a request_id are the five below.
#[test]
fn every_service_is_covered() {
    let set = prost_types::FileDescriptorSet::decode(samverkan_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let services: BTreeSet<String> = set
        .file
        .iter()
        .flat_map(|f| {
            f.service
                .iter()
                .map(move |s| format!("{}.{}", f.package(), s.name()))
        })
        .filter(|s| {
            !rpcs_with(s, "request_id", "").is_empty() || !rpcs_with(s, "etag", "Update").is_empty()
        })
        .collect();
    let tested: BTreeSet<String> = [
        "samverkan.agreements.v1.AgreementsService",
        "samverkan.costmodel.v1.CostModelService",
        "samverkan.decisions.v1.DecisionsService",
        "samverkan.forums.v1.ForumsService",
        "samverkan.roles.v1.RolesService",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(services, tested);
}

/// Runs the creates and races of one service and remembers which RPCs it
/// covered.
struct Hammer<'a> {
    db: &'a TestDb,
    service: &'static str,
    channels: Vec<Channel>,
    created: BTreeSet<String>,
    raced: BTreeSet<String>,
    calls: usize,
}

impl<'a> Hammer<'a> {
    async fn new(db: &'a TestDb, server: &TestServer, service: &'static str) -> Self {
        // Callers spread over a few connections, as separate clients would.
        let mut channels = Vec::new();
        for _ in 0..4 {
            channels.push(server.channel().await);
        }
        Self {
            db,
            service,
            channels,
            created: BTreeSet::new(),
            raced: BTreeSet::new(),
            calls: 0,
        }
    }

    fn channel(&self) -> Channel {
        self.channels[0].clone()
    }

    /// `callers` concurrent calls of `rpc` with the request `make(id,
    /// false)`; then a late retry; then `make(id, true)`, a changed body.
    /// `table` is where exactly one row must appear.
    async fn create<Req, Resp, M, F, Fut>(
        &mut self,
        rpc: &str,
        callers: usize,
        table: &str,
        make: M,
        call: F,
    ) -> Resp
    where
        Req: Clone,
        Resp: PartialEq + Debug,
        M: Fn(&str, bool) -> Req,
        F: Fn(Channel, Req) -> Fut,
        Fut: Future<Output = Result<Response<Resp>, Status>>,
    {
        let rid = format!("{rpc}-{}", samverkan_core::new_uuid().simple());
        let before = count(self.db, table).await;
        let req = make(&rid, false);
        let started = Instant::now();
        let answers = join_all(
            (0..callers).map(|i| call(self.channels[i % self.channels.len()].clone(), req.clone())),
        )
        .await;
        let elapsed = started.elapsed();
        let mut first: Option<Resp> = None;
        let mut failed = Vec::new();
        for a in answers {
            match a {
                Ok(r) => {
                    let r = r.into_inner();
                    match &first {
                        None => first = Some(r),
                        Some(f) => assert_eq!(&r, f, "{rpc}: two callers got different answers"),
                    }
                }
                Err(e) => failed.push(format!("{:?}: {}", e.code(), e.message())),
            }
        }
        assert!(
            failed.is_empty(),
            "{rpc}: {} of {callers} callers failed: {:?}",
            failed.len(),
            &failed[..failed.len().min(5)]
        );
        let first = first.expect("at least one caller");
        assert_eq!(
            count(self.db, table).await,
            before + 1,
            "{rpc}: {callers} callers with one request_id created other than one row in {table}"
        );
        assert_eq!(
            count(
                self.db,
                &format!("idempotency_keys WHERE request_id = '{rid}' AND resource <> ''")
            )
            .await,
            1,
            "{rpc}: the request id is kept once, finished"
        );
        // A retry long after gets the same answer.
        let late = call(self.channel(), req.clone())
            .await
            .unwrap_or_else(|e| panic!("{rpc}: late retry: {e:?}"))
            .into_inner();
        assert_eq!(late, first, "{rpc}: a late retry got another answer");
        // The same id with another body is refused and writes nothing.
        let err = call(self.channel(), make(&rid, true))
            .await
            .expect_err("the same request_id with another body was accepted");
        assert_eq!(err.code(), Code::InvalidArgument, "{rpc}: {err:?}");
        assert!(
            err.message().contains("request_id"),
            "{rpc}: {}",
            err.message()
        );
        assert_eq!(
            count(self.db, table).await,
            before + 1,
            "{rpc}: wrote a row"
        );
        println!(
            "retries: {:?}: {rpc}: {callers} concurrent callers, one row, one answer in {} ms",
            self.db.backend,
            elapsed.as_millis()
        );
        self.created.insert(rpc.to_owned());
        self.calls += callers + 2;
        first
    }

    /// Two concurrent calls with the same etag: exactly one succeeds, the
    /// other answers ABORTED. Returns which one won (0 or 1) and its answer.
    async fn race<Resp, Fa, Fb>(&mut self, rpc: &str, a: Fa, b: Fb) -> (usize, Resp)
    where
        Fa: Future<Output = Result<Response<Resp>, Status>>,
        Fb: Future<Output = Result<Response<Resp>, Status>>,
    {
        self.raced.insert(rpc.to_owned());
        self.calls += 2;
        match tokio::join!(a, b) {
            (Ok(w), Err(e)) => {
                assert_eq!(e.code(), Code::Aborted, "{rpc}: the loser: {e:?}");
                (0, w.into_inner())
            }
            (Err(e), Ok(w)) => {
                assert_eq!(e.code(), Code::Aborted, "{rpc}: the loser: {e:?}");
                (1, w.into_inner())
            }
            (Ok(_), Ok(_)) => panic!("{rpc}: both updates with the same etag succeeded"),
            (Err(a), Err(b)) => panic!("{rpc}: both failed: {a:?} / {b:?}"),
        }
    }

    /// Every create with a request_id and every update with an etag of the
    /// service was covered, and the audit trail the bursts wrote verifies.
    async fn assert_complete(&self) {
        let tenants = samverkan_roles::store::all_municipality_ids(&self.db.app)
            .await
            .unwrap();
        let audit = samverkan_db::audit::verify(&self.db.app, &tenants)
            .await
            .unwrap();
        assert!(audit.broken.is_empty(), "{:?}", audit.broken);
        let creates = rpcs_with(self.service, "request_id", "");
        assert_eq!(
            self.created, creates,
            "{}: creates with a request_id not covered",
            self.service
        );
        let updates = rpcs_with(self.service, "etag", "Update");
        assert_eq!(
            self.raced, updates,
            "{}: updates with an etag not covered",
            self.service
        );
        samverkan_testkit::figure(&format!(
            "retries: {:?}: {}: {} creates, {} updates, {} calls",
            self.db.backend,
            self.service,
            self.created.len(),
            self.raced.len(),
            self.calls
        ));
    }
}

async fn roles_retries_and_races(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let mut h = Hammer::new(&db, &server, "samverkan.roles.v1.RolesService").await;
    let mut c = RolesServiceClient::new(h.channel());
    let collab = samverkan_roles::demo::COLLABORATION_ID.to_string();
    let styrgruppen = c
        .list_forums(as_(
            EVA,
            rpb::ListForumsRequest {
                collaboration_id: collab.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .forums
        .into_iter()
        .find(|f| f.code == "styrgruppen")
        .unwrap()
        .id;
    let utvecklingschef = c
        .list_roles(as_(
            ANNA,
            rpb::ListRolesRequest {
                collaboration_id: collab.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .roles
        .into_iter()
        .find(|r| r.code == "utvecklingschef")
        .unwrap()
        .id;

    let person = h
        .create(
            "CreatePerson",
            CALLERS,
            "people",
            |rid, changed| rpb::CreatePersonRequest {
                request_id: rid.into(),
                person: Some(rpb::Person {
                    display_name: if changed {
                        "Märta Ö."
                    } else {
                        "Märta Ölund"
                    }
                    .into(),
                    email: "marta.olund@tranemo.se".into(),
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                RolesServiceClient::new(ch)
                    .create_person(as_(ANNA, r))
                    .await
            },
        )
        .await
        .person
        .unwrap();
    h.create(
        "CreateMunicipality",
        CALLERS,
        "municipalities",
        |rid, changed| rpb::CreateMunicipalityRequest {
            request_id: rid.into(),
            municipality: Some(rpb::Municipality {
                id: "boras".into(),
                name: if changed {
                    "Borås kommun"
                } else {
                    "Borås Stad"
                }
                .into(),
                organisation_number: "212000-1561".into(),
                ..Default::default()
            }),
            collaboration_id: collab.clone(),
            joined_on: Some(dates::to_proto(dates::today())),
            decision_ref: "IT-styrgruppen 2026-10-01 § 12".into(),
        },
        |ch, r| async move {
            RolesServiceClient::new(ch)
                .create_municipality(as_(EVA, r))
                .await
        },
    )
    .await;
    h.create(
        "CreateMandate",
        CALLERS,
        "mandates",
        |rid, changed| rpb::CreateMandateRequest {
            request_id: rid.into(),
            mandate: Some(rpb::Mandate {
                forum_id: styrgruppen.clone(),
                text: if changed {
                    "Ett annat uppdrag."
                } else {
                    "Strategiska beslut om IT och digitalisering."
                }
                .into(),
                effective_from: date(2030, 1, 1),
                decision_ref: "IT-styrgruppen 2029-12-01 § 1".into(),
                ..Default::default()
            }),
        },
        |ch, r| async move {
            RolesServiceClient::new(ch)
                .create_mandate(as_(EVA, r))
                .await
        },
    )
    .await;
    h.create(
        "CreateAssignment",
        CALLERS,
        "assignments",
        |rid, changed| rpb::CreateAssignmentRequest {
            request_id: rid.into(),
            assignment: Some(rpb::Assignment {
                person_id: person.id.clone(),
                role_id: utvecklingschef.clone(),
                municipality_id: "tranemo".into(),
                valid_from: date(2027, 1, 1),
                decision_ref: if changed {
                    "KS Tranemo 2026-12-01 § 2"
                } else {
                    "KS Tranemo 2026-12-01 § 1"
                }
                .into(),
                ..Default::default()
            }),
        },
        |ch, r| async move {
            RolesServiceClient::new(ch)
                .create_assignment(as_(ANNA, r))
                .await
        },
    )
    .await;
    h.create(
        "CreateSeat",
        CALLERS,
        "seats",
        |rid, changed| rpb::CreateSeatRequest {
            request_id: rid.into(),
            seat: Some(rpb::Seat {
                forum_id: styrgruppen.clone(),
                person_id: person.id.clone(),
                kind: rpb::SeatKind::Member as i32,
                may_adjust: changed,
                valid_from: date(2027, 1, 1),
                decision_ref: "IT-styrgruppen 2026-12-10 § 9".into(),
                ..Default::default()
            }),
        },
        |ch, r| async move { RolesServiceClient::new(ch).create_seat(as_(EVA, r)).await },
    )
    .await;

    for round in 0..ROUNDS {
        let current = c
            .get_person(as_(
                ANNA,
                rpb::GetPersonRequest {
                    id: person.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .person
            .unwrap();
        let update = |name: String| {
            let mut c = c.clone();
            let req = rpb::UpdatePersonRequest {
                person: Some(rpb::Person {
                    display_name: name,
                    ..current.clone()
                }),
                etag: current.etag.clone(),
            };
            async move { c.update_person(as_(ANNA, req)).await }
        };
        let (_, won) = h
            .race(
                "UpdatePerson",
                update(format!("Märta Ölund {round}a")),
                update(format!("Märta Ölund {round}b")),
            )
            .await;
        let stored = c
            .get_person(as_(
                LARS,
                rpb::GetPersonRequest {
                    id: person.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .person;
        assert_eq!(stored, won.person, "UpdatePerson: the winner is stored");
    }

    for round in 0..ROUNDS {
        let current = c
            .get_municipality(as_(
                ANNA,
                rpb::GetMunicipalityRequest {
                    id: "tranemo".into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .municipality
            .unwrap();
        let update = |name: String| {
            let mut c = c.clone();
            let req = rpb::UpdateMunicipalityRequest {
                municipality: Some(rpb::Municipality {
                    name,
                    ..current.clone()
                }),
                etag: current.etag.clone(),
            };
            async move { c.update_municipality(as_(ANNA, req)).await }
        };
        let (_, won) = h
            .race(
                "UpdateMunicipality",
                update(format!("Tranemo kommun {round}a")),
                update(format!("Tranemo kommun {round}b")),
            )
            .await;
        let stored = c
            .get_municipality(as_(
                LARS,
                rpb::GetMunicipalityRequest {
                    id: "tranemo".into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .municipality;
        assert_eq!(
            stored, won.municipality,
            "UpdateMunicipality: the winner is stored"
        );
    }

    for round in 0..ROUNDS {
        let current = c
            .get_collaboration(as_(
                EVA,
                rpb::GetCollaborationRequest { id: collab.clone() },
            ))
            .await
            .unwrap()
            .into_inner()
            .collaboration
            .unwrap();
        let update = |name: String| {
            let mut c = c.clone();
            let req = rpb::UpdateCollaborationRequest {
                collaboration: Some(rpb::Collaboration {
                    name,
                    ..current.clone()
                }),
                etag: current.etag.clone(),
            };
            async move { c.update_collaboration(as_(EVA, req)).await }
        };
        let (_, won) = h
            .race(
                "UpdateCollaboration",
                update(format!("IT-samverkan {round}a")),
                update(format!("IT-samverkan {round}b")),
            )
            .await;
        let stored = c
            .get_collaboration(as_(
                ANNA,
                rpb::GetCollaborationRequest { id: collab.clone() },
            ))
            .await
            .unwrap()
            .into_inner()
            .collaboration;
        assert_eq!(
            stored, won.collaboration,
            "UpdateCollaboration: the winner is stored"
        );
    }
    h.assert_complete().await;
    server.stop().await;
}
backend_test!(roles_retries_and_races);

async fn forums_retries_and_races(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let mut h = Hammer::new(&db, &server, "samverkan.forums.v1.ForumsService").await;
    let mut c = ForumsServiceClient::new(h.channel());
    let (_, styrgruppen) = forum_ids(&server).await;

    let matter = h
        .create(
            "CreateMatter",
            CALLERS,
            "matters",
            |rid, changed| fpb::CreateMatterRequest {
                request_id: rid.into(),
                matter: Some(fpb::Matter {
                    kind: fpb::MatterKind::DevelopmentNeed as i32,
                    title: if changed {
                        "E-arkiv"
                    } else {
                        "Digital signering"
                    }
                    .into(),
                    description: "Vi behöver e-underskrift för justering.".into(),
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                ForumsServiceClient::new(ch)
                    .create_matter(as_(SOFIA, r))
                    .await
            },
        )
        .await
        .matter
        .unwrap();
    h.create(
        "CreateDocument",
        CALLERS,
        "documents",
        |rid, changed| fpb::CreateDocumentRequest {
            request_id: rid.into(),
            document: Some(fpb::Document {
                matter_id: matter.id.clone(),
                title: "Behovsbeskrivning".into(),
                classification: fpb::Classification::Public as i32,
                media_type: "text/markdown".into(),
                content: if changed {
                    b"# Annat".to_vec()
                } else {
                    b"# Behov".to_vec()
                },
                ..Default::default()
            }),
        },
        |ch, r| async move {
            ForumsServiceClient::new(ch)
                .create_document(as_(SOFIA, r))
                .await
        },
    )
    .await;
    let m = h
        .create(
            "CreateMeeting",
            CALLERS,
            "meetings",
            |rid, changed| fpb::CreateMeetingRequest {
                request_id: rid.into(),
                meeting: Some(fpb::Meeting {
                    forum_id: styrgruppen.clone(),
                    title: "IT-styrgruppen 6/2026".into(),
                    start_time: samverkan_testkit::story::at(2026, 12, 17, 12),
                    end_time: samverkan_testkit::story::at(2026, 12, 17, 14),
                    location: if changed { "Ulricehamn" } else { "Tranemo" }.into(),
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                ForumsServiceClient::new(ch)
                    .create_meeting(as_(EVA, r))
                    .await
            },
        )
        .await
        .meeting
        .unwrap();
    let m = h
        .create(
            "AddAgendaItem",
            CALLERS,
            "agenda_items",
            |rid, changed| fpb::AddAgendaItemRequest {
                request_id: rid.into(),
                item: Some(fpb::AgendaItem {
                    meeting_id: m.id.clone(),
                    kind: fpb::AgendaItemKind::Decision as i32,
                    title: "Prislista 2027".into(),
                    presenter: "Eva Dahlgren".into(),
                    estimated_minutes: if changed { 30 } else { 15 },
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                ForumsServiceClient::new(ch)
                    .add_agenda_item(as_(EVA, r))
                    .await
            },
        )
        .await
        .meeting
        .unwrap();
    assert_eq!(m.agenda.len(), 1);
    let item = m.agenda[0].id.clone();
    publish(&mut c, EVA, &m).await;
    h.create(
        "CreateNote",
        CALLERS,
        "notes",
        |rid, changed| fpb::CreateNoteRequest {
            request_id: rid.into(),
            note: Some(fpb::Note {
                agenda_item_id: item.clone(),
                text: if changed {
                    "Avstå."
                } else {
                    "Stöd förslaget."
                }
                .into(),
                ..Default::default()
            }),
        },
        |ch, r| async move { ForumsServiceClient::new(ch).create_note(as_(ERIK, r)).await },
    )
    .await;
    hold(&mut c, EVA, &m).await;
    let p = h
        .create(
            "AddParagraph",
            CALLERS,
            "paragraphs",
            |rid, changed| fpb::AddParagraphRequest {
                request_id: rid.into(),
                paragraph: Some(fpb::Paragraph {
                    meeting_id: m.id.clone(),
                    agenda_item_id: item.clone(),
                    presented: "Ärendet föredras.".into(),
                    decision: if changed {
                        "IT-styrgruppen avslår."
                    } else {
                        "IT-styrgruppen beslutar enligt förslaget."
                    }
                    .into(),
                    outcome: fpb::ParagraphOutcome::Decided as i32,
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                ForumsServiceClient::new(ch)
                    .add_paragraph(as_(EVA, r))
                    .await
            },
        )
        .await
        .paragraph
        .unwrap();
    assert_eq!(p.reference, "§ 1/2026", "one paragraph, numbered once");
    c.designate_adjusters(as_(
        EVA,
        fpb::DesignateAdjustersRequest {
            meeting_id: m.id.clone(),
            person_ids: vec![],
        },
    ))
    .await
    .unwrap();
    for who in [ANNA, LARS] {
        c.adjust_minutes(as_(
            who,
            fpb::AdjustMinutesRequest {
                meeting_id: m.id.clone(),
            },
        ))
        .await
        .unwrap();
    }
    // The correction is recorded in a later meeting's minutes, in its
    // year's series (still 2026).
    let later = meeting(
        &mut c,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 7/2026",
        (2026, 12, 29),
    )
    .await;
    let later = add_item(
        &mut c,
        EVA,
        &later.id,
        fpb::AgendaItemKind::Information,
        "Övriga frågor",
        "",
    )
    .await;
    publish(&mut c, EVA, &later).await;
    hold(&mut c, EVA, &later).await;
    let correction = h
        .create(
            "AddCorrection",
            CALLERS,
            "paragraphs",
            |rid, changed| fpb::AddCorrectionRequest {
                request_id: rid.into(),
                meeting_id: m.id.clone(),
                recording_meeting_id: later.id.clone(),
                corrects_paragraph_id: p.id.clone(),
                text: if changed {
                    "Gäller från 2028-01-01."
                } else {
                    "Gäller från 2027-01-01."
                }
                .into(),
            },
            |ch, r| async move {
                ForumsServiceClient::new(ch)
                    .add_correction(as_(EVA, r))
                    .await
            },
        )
        .await
        .paragraph
        .unwrap();
    assert_eq!(
        (
            correction.reference.as_str(),
            correction.meeting_id.as_str()
        ),
        ("§ 2/2026", later.id.as_str()),
        "one correction, numbered once, in the later meeting's minutes"
    );

    for round in 0..ROUNDS {
        let current = c
            .get_matter(as_(
                SOFIA,
                fpb::GetMatterRequest {
                    id: matter.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .matter
            .unwrap();
        let update = |title: String| {
            let mut c = c.clone();
            let req = fpb::UpdateMatterRequest {
                matter: Some(fpb::Matter {
                    title,
                    ..current.clone()
                }),
                etag: current.etag.clone(),
            };
            async move { c.update_matter(as_(SOFIA, req)).await }
        };
        let (_, won) = h
            .race(
                "UpdateMatter",
                update(format!("Digital signering {round}a")),
                update(format!("Digital signering {round}b")),
            )
            .await;
        let stored = c
            .get_matter(as_(
                ERIK,
                fpb::GetMatterRequest {
                    id: matter.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .matter;
        assert_eq!(stored, won.matter, "UpdateMatter: the winner is stored");
    }
    h.assert_complete().await;
    server.stop().await;
}
backend_test!(forums_retries_and_races);

async fn person_id(server: &TestServer, email: &str) -> String {
    RolesServiceClient::new(server.channel().await)
        .who_am_i(as_(email, rpb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap()
        .id
}

/// A held IT-styrgruppen meeting with one decided §, not adjusted.
async fn minuted(
    f: &mut ForumsServiceClient<Channel>,
    forum: &str,
    title: &str,
    day: (i32, u32, u32),
) -> (fpb::Meeting, fpb::Paragraph) {
    let m = meeting(f, EVA, forum, title, day).await;
    let m = add_item(f, EVA, &m.id, fpb::AgendaItemKind::Decision, title, "").await;
    publish(f, EVA, &m).await;
    hold(f, EVA, &m).await;
    let p = paragraph(
        f,
        EVA,
        &m.id,
        &m.agenda[0].id,
        fpb::ParagraphOutcome::Decided,
        "IT-styrgruppen beslutar enligt förslaget.",
    )
    .await;
    (m, p)
}

async fn decisions_retries_and_races(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums, Svc::Decisions]).await;
    let mut h = Hammer::new(&db, &server, "samverkan.decisions.v1.DecisionsService").await;
    let mut f = ForumsServiceClient::new(h.channel());
    let mut d = DecisionsServiceClient::new(h.channel());
    let (_, styrgruppen) = forum_ids(&server).await;
    let per = person_id(&server, PER).await;
    let (m, p) = minuted(&mut f, &styrgruppen, "E-arkiv", (2026, 12, 10)).await;

    let decision = h
        .create(
            "RegisterDecision",
            CALLERS,
            "decisions",
            |rid, changed| dpb::RegisterDecisionRequest {
                request_id: rid.into(),
                decision: Some(dpb::Decision {
                    meeting_id: m.id.clone(),
                    paragraph_id: p.id.clone(),
                    title: if changed { "Annat" } else { "E-arkiv" }.into(),
                    responsible_role_code: "it-chef".into(),
                    responsible_person_id: per.clone(),
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                DecisionsServiceClient::new(ch)
                    .register_decision(as_(EVA, r))
                    .await
            },
        )
        .await
        .decision
        .unwrap();
    h.create(
        "CreateFollowUp",
        CALLERS,
        "follow_ups",
        |rid, changed| dpb::CreateFollowUpRequest {
            request_id: rid.into(),
            follow_up: Some(dpb::FollowUp {
                decision_id: decision.id.clone(),
                due_on: in_days(if changed { 20 } else { 10 }),
                title: "Lägesrapport e-arkiv".into(),
                ..Default::default()
            }),
        },
        |ch, r| async move {
            DecisionsServiceClient::new(ch)
                .create_follow_up(as_(EVA, r))
                .await
        },
    )
    .await;
    let plan = h
        .create(
            "CreateActionPlan",
            CALLERS,
            "action_plans",
            |rid, changed| dpb::CreateActionPlanRequest {
                request_id: rid.into(),
                action_plan: Some(dpb::ActionPlan {
                    decision_id: decision.id.clone(),
                    title: if changed {
                        "Plan B"
                    } else {
                        "Handlingsplan e-arkiv"
                    }
                    .into(),
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                DecisionsServiceClient::new(ch)
                    .create_action_plan(as_(EVA, r))
                    .await
            },
        )
        .await
        .action_plan
        .unwrap();
    let plan = h
        .create(
            "AddActivity",
            CALLERS,
            "activities",
            |rid, changed| dpb::AddActivityRequest {
                request_id: rid.into(),
                activity: Some(dpb::Activity {
                    action_plan_id: plan.id.clone(),
                    title: "Kravställning".into(),
                    owner_person_id: per.clone(),
                    due_on: in_days(20),
                    weight: if changed { 2 } else { 3 },
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                DecisionsServiceClient::new(ch)
                    .add_activity(as_(EVA, r))
                    .await
            },
        )
        .await
        .action_plan
        .unwrap();
    assert_eq!(plan.activities.len(), 1);
    let activity = plan.activities[0].id.clone();

    for round in 0..ROUNDS {
        let current = d
            .get_decision(as_(
                EVA,
                dpb::GetDecisionRequest {
                    id: decision.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .decision
            .unwrap();
        let update = |text: String| {
            let mut d = d.clone();
            let req = dpb::UpdateDecisionRequest {
                decision: Some(dpb::Decision {
                    text,
                    ..current.clone()
                }),
                etag: current.etag.clone(),
            };
            async move { d.update_decision(as_(EVA, req)).await }
        };
        let (_, won) = h
            .race(
                "UpdateDecision",
                update(format!("Upphandla e-arkiv ({round}a).")),
                update(format!("Upphandla e-arkiv ({round}b).")),
            )
            .await;
        let stored = d
            .get_decision(as_(
                LARS,
                dpb::GetDecisionRequest {
                    id: decision.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .decision;
        assert_eq!(stored, won.decision, "UpdateDecision: the winner is stored");
    }

    for round in 0..ROUNDS {
        let current = d
            .get_action_plan(as_(
                PER,
                dpb::GetActionPlanRequest {
                    id: plan.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .action_plan
            .unwrap();
        let a = current
            .activities
            .iter()
            .find(|a| a.id == activity)
            .unwrap()
            .clone();
        let update = |progress: i32| {
            let mut d = d.clone();
            let req = dpb::UpdateActivityRequest {
                id: a.id.clone(),
                status: dpb::ActivityStatus::InProgress as i32,
                progress_percent: progress,
                note: format!("Omgång {round}: {progress} %."),
                etag: a.etag.clone(),
            };
            async move { d.update_activity(as_(PER, req)).await }
        };
        let base = 10 * i32::try_from(round).unwrap();
        let (_, won) = h
            .race("UpdateActivity", update(base + 1), update(base + 2))
            .await;
        let stored = d
            .get_action_plan(as_(
                EVA,
                dpb::GetActionPlanRequest {
                    id: plan.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .action_plan;
        assert_eq!(
            stored, won.action_plan,
            "UpdateActivity: the winner is stored"
        );
    }
    h.assert_complete().await;
    server.stop().await;
}
backend_test!(decisions_retries_and_races);

fn frac(numerator: i64, denominator: i64) -> Option<cpb::Fraction> {
    Some(cpb::Fraction {
        numerator,
        denominator,
    })
}

async fn costmodel_retries_and_races(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::CostModel]).await;
    let mut h = Hammer::new(&db, &server, "samverkan.costmodel.v1.CostModelService").await;
    let mut c = CostModelServiceClient::new(h.channel());
    let v1 = c
        .list_price_lists(as_(
            PER,
            cpb::ListPriceListsRequest {
                year: 2025,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_lists
        .into_iter()
        .find(|l| l.version == 1)
        .expect("the demo's published 2025 list");

    let draft = h
        .create(
            "CreatePriceList",
            CALLERS,
            "cm_price_lists",
            |rid, changed| cpb::CreatePriceListRequest {
                request_id: rid.into(),
                year: 2025,
                effective_date: date(2025, 7, 1),
                derivation: Some(cpb::Derivation {
                    from_price_list_id: v1.id.clone(),
                    index_percent: if changed { frac(3, 1) } else { frac(27, 10) },
                    rounding: cpb::PriceRounding::WholeKronor as i32,
                    rounding_step_ore: 0,
                }),
                prices: vec![cpb::Price {
                    service_code: "bas".into(),
                    amount_ore: 250_000_000,
                }],
                ..Default::default()
            },
            |ch, r| async move {
                CostModelServiceClient::new(ch)
                    .create_price_list(as_(PER, r))
                    .await
            },
        )
        .await
        .price_list
        .unwrap();
    h.create(
        "CreateCatalogueService",
        CALLERS,
        "cm_services",
        |rid, changed| cpb::CreateCatalogueServiceRequest {
            request_id: rid.into(),
            service: Some(cpb::CatalogueService {
                code: "licens-m365".into(),
                name: if changed {
                    "Licens M365"
                } else {
                    "Licens Microsoft 365"
                }
                .into(),
                unit_of_measure: "licens/år".into(),
                charge_type: cpb::ChargeType::PerUnit as i32,
                ..Default::default()
            }),
            ..Default::default()
        },
        |ch, r| async move {
            CostModelServiceClient::new(ch)
                .create_catalogue_service(as_(PER, r))
                .await
        },
    )
    .await;
    h.create(
        "CreateAllocationKey",
        CALLERS,
        "cm_allocation_keys",
        |rid, changed| cpb::CreateAllocationKeyRequest {
            request_id: rid.into(),
            key: Some(cpb::AllocationKey {
                service_code: "bas".into(),
                effective_date: date(2026, 1, if changed { 2 } else { 1 }),
                components: vec![cpb::KeyComponent {
                    fraction: frac(1, 1),
                    driver: "konton".into(),
                }],
                ..Default::default()
            }),
            ..Default::default()
        },
        |ch, r| async move {
            CostModelServiceClient::new(ch)
                .create_allocation_key(as_(PER, r))
                .await
        },
    )
    .await;
    h.create(
        "RecordDriverSnapshot",
        CALLERS,
        "cm_driver_snapshots",
        |rid, changed| cpb::RecordDriverSnapshotRequest {
            request_id: rid.into(),
            snapshot: Some(cpb::DriverSnapshot {
                driver: "invanare".into(),
                measured_on: date(2026, 11, 1),
                source: "SCB, folkmängd 1 november 2026".into(),
                values: vec![
                    cpb::DriverValue {
                        municipality_id: "tranemo".into(),
                        unit: String::new(),
                        value: if changed { 11_900 } else { 11_800 },
                    },
                    cpb::DriverValue {
                        municipality_id: "ulricehamn".into(),
                        unit: String::new(),
                        value: 25_300,
                    },
                ],
                ..Default::default()
            }),
            ..Default::default()
        },
        |ch, r| async move {
            CostModelServiceClient::new(ch)
                .record_driver_snapshot(as_(PER, r))
                .await
        },
    )
    .await;
    h.create(
        "RecordVolume",
        CALLERS,
        "cm_volumes",
        |rid, changed| cpb::RecordVolumeRequest {
            request_id: rid.into(),
            volume: Some(cpb::Volume {
                period: Some(cpb::Period::of_year(2025)),
                municipality_id: "tranemo".into(),
                unit: KLF.into(),
                service_code: "dator".into(),
                quantity: if changed { frac(4, 1) } else { frac(3, 1) },
                ..Default::default()
            }),
            ..Default::default()
        },
        |ch, r| async move {
            CostModelServiceClient::new(ch)
                .record_volume(as_(PER, r))
                .await
        },
    )
    .await;
    h.create(
        "RecordDirectCharge",
        CALLERS,
        "cm_direct_charges",
        |rid, changed| cpb::RecordDirectChargeRequest {
            request_id: rid.into(),
            charge: Some(cpb::DirectCharge {
                period: Some(cpb::Period::of_year(2025)),
                municipality_id: "tranemo".into(),
                unit: SOF.into(),
                service_code: "beredskap".into(),
                reference: if changed {
                    "Ärende 2025-118"
                } else {
                    "Ärende 2025-117"
                }
                .into(),
                measured: frac(37, 12),
                ..Default::default()
            }),
            ..Default::default()
        },
        |ch, r| async move {
            CostModelServiceClient::new(ch)
                .record_direct_charge(as_(PER, r))
                .await
        },
    )
    .await;
    h.create(
        "CreateScenario",
        CALLERS,
        "cm_scenarios",
        |rid, changed| cpb::CreateScenarioRequest {
            request_id: rid.into(),
            scenario: Some(cpb::Scenario {
                name: if changed {
                    "Borås går med"
                } else {
                    "Svenljunga går med"
                }
                .into(),
                period: Some(cpb::Period::of_year(2025)),
                price_overrides: vec![cpb::Price {
                    service_code: "konto".into(),
                    amount_ore: 190_000,
                }],
                ..Default::default()
            }),
            ..Default::default()
        },
        |ch, r| async move {
            CostModelServiceClient::new(ch)
                .create_scenario(as_(PER, r))
                .await
        },
    )
    .await;
    h.create(
        "IssueBills",
        CALLERS,
        "cm_billing_runs",
        |rid, changed| cpb::IssueBillsRequest {
            request_id: rid.into(),
            // The same run named differently is another request.
            collaboration_id: if changed {
                samverkan_roles::demo::COLLABORATION_ID.to_string()
            } else {
                String::new()
            },
            period: Some(cpb::Period::of_year(2025)),
        },
        |ch, r| async move {
            CostModelServiceClient::new(ch)
                .issue_bills(as_(PER, r))
                .await
        },
    )
    .await;
    h.create(
        "Reconcile",
        CALLERS,
        "cm_reconciliations",
        |rid, changed| cpb::ReconcileRequest {
            request_id: rid.into(),
            year: 2025,
            service_code: "bas".into(),
            actual_ore: if changed { 1 } else { 249_000_000 },
            ..Default::default()
        },
        |ch, r| async move { CostModelServiceClient::new(ch).reconcile(as_(PER, r)).await },
    )
    .await;

    for round in 0..ROUNDS {
        let current = c
            .get_price_list(as_(
                PER,
                cpb::GetPriceListRequest {
                    id: draft.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .price_list
            .unwrap();
        let update = |konto: i64| {
            let mut c = c.clone();
            let req = cpb::UpdatePriceListRequest {
                id: current.id.clone(),
                etag: current.etag.clone(),
                prices: vec![cpb::Price {
                    service_code: "konto".into(),
                    amount_ore: konto,
                }],
                effective_date: None,
            };
            async move { c.update_price_list(as_(PER, req)).await }
        };
        let base = 190_000 + 1000 * i64::try_from(round).unwrap();
        let (_, won) = h
            .race("UpdatePriceList", update(base + 100), update(base + 200))
            .await;
        let stored = c
            .get_price_list(as_(
                ERIK,
                cpb::GetPriceListRequest {
                    id: draft.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .price_list;
        assert_eq!(
            stored, won.price_list,
            "UpdatePriceList: the winner is stored"
        );
    }
    h.assert_complete().await;
    server.stop().await;
}
backend_test!(costmodel_retries_and_races);

const AGREEMENT: &str = "Avtal om gemensam IT-verksamhet.\n\n\
## 1. Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
## 2. Syfte\n\nAtt bedriva IT-verksamhet gemensamt.\n\n\
## 3. Kostnader\n\nKostnaderna fördelas enligt prislistan.\n";

async fn advance(a: &mut AgreementsServiceClient<Channel>, id: &str) -> apb::Revision {
    let r = a
        .get_revision(as_(EVA, apb::GetRevisionRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    a.advance_revision(as_(
        EVA,
        apb::AdvanceRevisionRequest {
            id: id.into(),
            etag: r.etag,
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .revision
    .unwrap()
}

async fn agreements_retries_and_races(db: TestDb) {
    let all = [Svc::Roles, Svc::Forums, Svc::Decisions, Svc::Agreements];
    let server = TestServer::start(&db, &all).await;
    let mut h = Hammer::new(&db, &server, "samverkan.agreements.v1.AgreementsService").await;
    let mut a = AgreementsServiceClient::new(h.channel());
    let today = dates::today();

    let agreement = h
        .create(
            "CreateAgreement",
            CALLERS,
            "agreements",
            |rid, changed| apb::CreateAgreementRequest {
                request_id: rid.into(),
                kind: apb::AgreementKind::CollaborationAgreement as i32,
                title: if changed {
                    "Avtal IT"
                } else {
                    "Samverkansavtal IT"
                }
                .into(),
                version: Some(apb::Version {
                    text: AGREEMENT.into(),
                    effective_from: date(2022, 1, 1),
                    next_review_on: date(2026, 12, 31),
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                AgreementsServiceClient::new(ch)
                    .create_agreement(as_(EVA, r))
                    .await
            },
        )
        .await
        .agreement
        .unwrap();
    let revision = h
        .create(
            "OpenRevision",
            CALLERS,
            "revisions",
            |rid, changed| apb::OpenRevisionRequest {
                request_id: rid.into(),
                agreement_id: agreement.id.clone(),
                year: if changed { 2028 } else { 2027 },
                phase_ends: [50, 40, 30, 20, 1]
                    .into_iter()
                    .map(|d| dates::to_proto(today - Days::new(d)))
                    .collect(),
                effective_from: Some(dates::to_proto(today)),
            },
            |ch, r| async move {
                AgreementsServiceClient::new(ch)
                    .open_revision(as_(EVA, r))
                    .await
            },
        )
        .await
        .revision
        .unwrap();
    let proposal = h
        .create(
            "CreateProposal",
            CALLERS,
            "proposals",
            |rid, changed| apb::CreateProposalRequest {
                request_id: rid.into(),
                proposal: Some(apb::Proposal {
                    revision_id: revision.id.clone(),
                    section_number: "3".into(),
                    action: apb::ProposalAction::Amend as i32,
                    text: if changed {
                        "Kostnaderna delas lika."
                    } else {
                        "Kostnaderna fördelas enligt prislistan och fördelningsnyckeln."
                    }
                    .into(),
                    rationale: "Behovet har ändrats.".into(),
                    ..Default::default()
                }),
            },
            |ch, r| async move {
                AgreementsServiceClient::new(ch)
                    .create_proposal(as_(ERIK, r))
                    .await
            },
        )
        .await
        .proposal
        .unwrap();

    // To a consolidated draft version, which may still be edited.
    let proposal = a
        .submit_proposal(as_(
            ERIK,
            apb::SubmitProposalRequest {
                id: proposal.id.clone(),
                etag: proposal.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    advance(&mut a, &revision.id).await;
    a.resolve_proposal(as_(
        EVA,
        apb::ResolveProposalRequest {
            id: proposal.id.clone(),
            outcome: apb::ProposalState::Accepted as i32,
            reason: "Bra.".into(),
            accepted_text: String::new(),
            etag: proposal.etag.clone(),
        },
    ))
    .await
    .unwrap();
    let draft = a
        .consolidate_revision(as_(
            EVA,
            apb::ConsolidateRevisionRequest {
                id: revision.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    for round in 0..ROUNDS {
        let current = a
            .get_version(as_(
                EVA,
                apb::GetVersionRequest {
                    id: draft.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .version
            .unwrap();
        let update = |who: &str| {
            let mut a = a.clone();
            let req = apb::UpdateVersionRequest {
                version: Some(apb::Version {
                    changelog: format!("Omgång {round}, {who}."),
                    ..current.clone()
                }),
                etag: current.etag.clone(),
            };
            async move { a.update_version(as_(EVA, req)).await }
        };
        let (_, won) = h.race("UpdateVersion", update("a"), update("b")).await;
        let stored = a
            .get_version(as_(
                LARS,
                apb::GetVersionRequest {
                    id: draft.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .version;
        assert_eq!(stored, won.version, "UpdateVersion: the winner is stored");
    }

    // Through IT-styrgruppen's decision to the approvals.
    advance(&mut a, &revision.id).await; // forum review
    advance(&mut a, &revision.id).await; // decision: on the backlog through the outbox
    samverkan_server::background::run_once(&db.app, today)
        .await
        .unwrap();
    let mut f = ForumsServiceClient::new(h.channel());
    let (_, styrgruppen) = forum_ids(&server).await;
    let backlog = f
        .list_agenda_backlog(as_(
            EVA,
            fpb::ListAgendaBacklogRequest {
                forum_id: styrgruppen.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matters;
    let m = meeting(
        &mut f,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 5/2026",
        (2026, 10, 8),
    )
    .await;
    let m = add_item(
        &mut f,
        EVA,
        &m.id,
        fpb::AgendaItemKind::Decision,
        "",
        &backlog[0].id,
    )
    .await;
    publish(&mut f, EVA, &m).await;
    hold(&mut f, EVA, &m).await;
    let p = paragraph(
        &mut f,
        EVA,
        &m.id,
        &m.agenda[0].id,
        fpb::ParagraphOutcome::Decided,
        "IT-styrgruppen fastställer avtalet.",
    )
    .await;
    let decision = DecisionsServiceClient::new(h.channel())
        .register_decision(as_(
            EVA,
            dpb::RegisterDecisionRequest {
                request_id: String::new(),
                decision: Some(dpb::Decision {
                    meeting_id: m.id.clone(),
                    paragraph_id: p.id.clone(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    let rev = a
        .get_revision(as_(
            EVA,
            apb::GetRevisionRequest {
                id: revision.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    a.record_revision_decision(as_(
        EVA,
        apb::RecordRevisionDecisionRequest {
            id: revision.id.clone(),
            decision_id: decision.id.clone(),
            etag: rev.etag,
        },
    ))
    .await
    .unwrap();
    advance(&mut a, &revision.id).await; // approvals
    h.create(
        "CreateApproval",
        CALLERS,
        "approvals",
        |rid, changed| apb::CreateApprovalRequest {
            request_id: rid.into(),
            approval: Some(apb::Approval {
                revision_id: revision.id.clone(),
                body: "Kommunstyrelsen".into(),
                paragraph_ref: if changed { "§ 188" } else { "§ 187" }.into(),
                decided_on: date(2026, 11, 18),
                ..Default::default()
            }),
        },
        |ch, r| async move {
            AgreementsServiceClient::new(ch)
                .create_approval(as_(BIRGITTA, r))
                .await
        },
    )
    .await;
    h.assert_complete().await;
    server.stop().await;
}
backend_test!(agreements_retries_and_races);
