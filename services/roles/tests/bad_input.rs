//! Bad input to every create and update of the roles service (issue #8,
//! point 8), on SQLite and PostgreSQL: empty, overlong, wrongly formatted
//! and out-of-range fields each answer `INVALID_ARGUMENT` with a
//! `google.rpc.BadRequest` naming the offending field, and write nothing —
//! every table's rows are the same before and after the call.
//!
//! Each case starts from a valid request (proved valid by sending it last,
//! as a control that must succeed) and spoils one field.

use samverkan_proto::common::v1::Date;
use samverkan_proto::roles::v1 as pb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_roles::demo;
use samverkan_server::Svc;
use samverkan_testkit::bad_input::{Snapshots, judge};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::transport::Channel;
use tonic::{Code, Status};

const ANNA: &str = "anna.aberg@tranemo.se"; // Tranemo kommunchef
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-styrgruppen's secretary
const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef

type Client = RolesServiceClient<Channel>;

fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
}

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

// ---------------------------------------------------------------------------
// The harness: a snapshot of every table, and the check of one case.

// ---------------------------------------------------------------------------
// The requests.

/// One request of the table, to any mutating RPC of the service.
#[derive(Clone)]
enum Req {
    CreateMunicipality(pb::CreateMunicipalityRequest),
    UpdateMunicipality(pb::UpdateMunicipalityRequest),
    UpdateCollaboration(pb::UpdateCollaborationRequest),
    EndMembership(pb::EndMembershipRequest),
    CreatePerson(pb::CreatePersonRequest),
    UpdatePerson(pb::UpdatePersonRequest),
    CreateMandate(pb::CreateMandateRequest),
    CreateAssignment(pb::CreateAssignmentRequest),
    EndAssignment(pb::EndAssignmentRequest),
    CreateSeat(pb::CreateSeatRequest),
    EndSeat(pb::EndSeatRequest),
    ListMunicipalities(pb::ListMunicipalitiesRequest),
    ListPeople(pb::ListPeopleRequest),
    ListAssignments(pb::ListAssignmentsRequest),
    ListMembers(pb::ListMembersRequest),
    GetForumComposition(pb::GetForumCompositionRequest),
    CheckPermission(pb::CheckPermissionRequest),
}

impl Req {
    fn rpc(&self) -> &'static str {
        match self {
            Req::CreateMunicipality(_) => "CreateMunicipality",
            Req::UpdateMunicipality(_) => "UpdateMunicipality",
            Req::UpdateCollaboration(_) => "UpdateCollaboration",
            Req::EndMembership(_) => "EndMembership",
            Req::CreatePerson(_) => "CreatePerson",
            Req::UpdatePerson(_) => "UpdatePerson",
            Req::CreateMandate(_) => "CreateMandate",
            Req::CreateAssignment(_) => "CreateAssignment",
            Req::EndAssignment(_) => "EndAssignment",
            Req::CreateSeat(_) => "CreateSeat",
            Req::EndSeat(_) => "EndSeat",
            Req::ListMunicipalities(_) => "ListMunicipalities",
            Req::ListPeople(_) => "ListPeople",
            Req::ListAssignments(_) => "ListAssignments",
            Req::ListMembers(_) => "ListMembers",
            Req::GetForumComposition(_) => "GetForumComposition",
            Req::CheckPermission(_) => "CheckPermission",
        }
    }

    /// Sends the request as a person allowed to make it.
    async fn send(self, c: &mut Client) -> Result<(), Status> {
        match self {
            Req::CreateMunicipality(r) => c.create_municipality(as_(EVA, r)).await.map(drop),
            Req::UpdateMunicipality(r) => c.update_municipality(as_(ANNA, r)).await.map(drop),
            Req::UpdateCollaboration(r) => c.update_collaboration(as_(EVA, r)).await.map(drop),
            Req::EndMembership(r) => c.end_membership(as_(EVA, r)).await.map(drop),
            Req::CreatePerson(r) => c.create_person(as_(ANNA, r)).await.map(drop),
            Req::UpdatePerson(r) => c.update_person(as_(ANNA, r)).await.map(drop),
            Req::CreateMandate(r) => c.create_mandate(as_(EVA, r)).await.map(drop),
            Req::CreateAssignment(r) => {
                // IT-department roles are assigned by the IT-chef.
                let who = if r
                    .assignment
                    .as_ref()
                    .is_some_and(|a| a.municipality_id.is_empty())
                {
                    PER
                } else {
                    ANNA
                };
                c.create_assignment(as_(who, r)).await.map(drop)
            }
            Req::EndAssignment(r) => c.end_assignment(as_(ANNA, r)).await.map(drop),
            Req::CreateSeat(r) => c.create_seat(as_(EVA, r)).await.map(drop),
            Req::EndSeat(r) => c.end_seat(as_(EVA, r)).await.map(drop),
            Req::ListMunicipalities(r) => c.list_municipalities(as_(ANNA, r)).await.map(drop),
            Req::ListPeople(r) => c.list_people(as_(ANNA, r)).await.map(drop),
            Req::ListAssignments(r) => c.list_assignments(as_(ANNA, r)).await.map(drop),
            Req::ListMembers(r) => c.list_members(as_(ANNA, r)).await.map(drop),
            Req::GetForumComposition(r) => c.get_forum_composition(as_(ANNA, r)).await.map(drop),
            Req::CheckPermission(r) => c.check_permission(as_(ANNA, r)).await.map(drop),
        }
    }
}

/// Sends `req`, waiting out the per-principal rate limit: a call refused
/// with `RESOURCE_EXHAUSTED` never reached the service, so it is retried.
async fn send_paced(c: &mut Client, req: &Req) -> Result<(), Status> {
    let mut tries = 0;
    loop {
        match req.clone().send(c).await {
            Err(s) if s.code() == Code::ResourceExhausted && tries < 10 => {
                tries += 1;
                tokio::time::sleep(samverkan_testkit::bad_input::retry_wait(&s)).await;
            }
            other => return other,
        }
    }
}

/// Ids and etags of the demo organisation the valid requests refer to.
struct Fixture {
    collab: String,
    birgitta: String,
    birgitta_etag: String,
    karin: String,
    jonas: String,
    registrator: String,
    it_tekniker: String,
    styrgruppen: String,
    tranemo_etag: String,
    collab_etag: String,
    /// An assignment of Tranemo (Karin's), and its etag.
    assignment: (String, String),
    /// An explicit seat created for the purpose, and its etag.
    seat: (String, String),
}

impl Fixture {
    async fn load(db: &TestDb, c: &mut Client) -> Self {
        let people = c
            .list_people(as_(
                ANNA,
                pb::ListPeopleRequest {
                    page_size: 200,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .people;
        let person = |email: &str| people.iter().find(|p| p.email == email).unwrap().clone();
        let collab = demo::COLLABORATION_ID.to_string();
        let roles = c
            .list_roles(as_(
                ANNA,
                pb::ListRolesRequest {
                    collaboration_id: collab.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .roles;
        let role = |code: &str| roles.iter().find(|r| r.code == code).unwrap().id.clone();
        let forums = c
            .list_forums(as_(
                ANNA,
                pb::ListForumsRequest {
                    collaboration_id: collab.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .forums;
        let styrgruppen = forums
            .iter()
            .find(|f| f.code == "styrgruppen")
            .unwrap()
            .id
            .clone();
        let karin = person("karin.strom@tranemo.se");
        let assignment = c
            .list_assignments(as_(
                ANNA,
                pb::ListAssignmentsRequest {
                    collaboration_id: collab.clone(),
                    person_id: karin.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .assignments
            .remove(0);
        // The municipality message carries no etag; read it from the store.
        let tranemo_etag = db
            .owner
            .query_admin("SELECT etag FROM municipalities WHERE id = 'tranemo'")
            .await
            .unwrap()[0]
            .try_get("", "etag")
            .unwrap();
        let collab_etag = c
            .get_collaboration(as_(EVA, pb::GetCollaborationRequest { id: collab.clone() }))
            .await
            .unwrap()
            .into_inner()
            .collaboration
            .unwrap()
            .etag;
        let birgitta = person("birgitta.ek@tranemo.se");
        let jonas = person("jonas.hall@tranemo.se");
        // An explicit seat to end.
        let seat = c
            .create_seat(as_(
                EVA,
                pb::CreateSeatRequest {
                    request_id: "plats-för-åtgärd".into(),
                    seat: Some(pb::Seat {
                        forum_id: styrgruppen.clone(),
                        person_id: jonas.id.clone(),
                        kind: pb::SeatKind::Member as i32,
                        valid_from: date(2026, 1, 1),
                        decision_ref: "IT-styrgruppen 2025-12-04 § 9".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .seat
            .unwrap();
        Self {
            collab,
            birgitta: birgitta.id,
            birgitta_etag: birgitta.etag,
            karin: karin.id,
            jonas: jonas.id,
            registrator: role("registrator"),
            it_tekniker: role("it-tekniker"),
            styrgruppen,
            tranemo_etag,
            collab_etag,
            assignment: (assignment.id, assignment.etag),
            seat: (seat.id, seat.etag),
        }
    }

    fn create_municipality(&self) -> pb::CreateMunicipalityRequest {
        pb::CreateMunicipalityRequest {
            request_id: "borås-ansluter".into(),
            municipality: Some(pb::Municipality {
                id: "boras".into(),
                name: "Borås Stad".into(),
                organisation_number: "212000-1561".into(),
                ..Default::default()
            }),
            collaboration_id: self.collab.clone(),
            joined_on: date(2027, 1, 1),
            decision_ref: "IT-styrgruppen 2026-10-01 § 12".into(),
        }
    }

    fn update_municipality(&self) -> pb::UpdateMunicipalityRequest {
        pb::UpdateMunicipalityRequest {
            municipality: Some(pb::Municipality {
                id: "tranemo".into(),
                name: "Tranemo kommun".into(),
                organisation_number: "212000-1496".into(),
                ..Default::default()
            }),
            etag: self.tranemo_etag.clone(),
        }
    }

    fn update_collaboration(&self) -> pb::UpdateCollaborationRequest {
        pb::UpdateCollaborationRequest {
            collaboration: Some(pb::Collaboration {
                id: self.collab.clone(),
                name: "IT-samverkan Tranemo–Ulricehamn–Borås".into(),
                ..Default::default()
            }),
            etag: self.collab_etag.clone(),
        }
    }

    fn end_membership(&self) -> pb::EndMembershipRequest {
        pb::EndMembershipRequest {
            collaboration_id: self.collab.clone(),
            municipality_id: "tranemo".into(),
            left_on: date(2099, 12, 31),
            decision_ref: "IT-styrgruppen 2098-06-11 § 3, utträde".into(),
        }
    }

    fn create_person(&self) -> pb::CreatePersonRequest {
        pb::CreatePersonRequest {
            request_id: "ny-medarbetare-åsa".into(),
            person: Some(pb::Person {
                display_name: "Åsa Öberg".into(),
                email: "asa.oberg@tranemo.se".into(),
                ..Default::default()
            }),
        }
    }

    fn update_person(&self) -> pb::UpdatePersonRequest {
        pb::UpdatePersonRequest {
            person: Some(pb::Person {
                id: self.birgitta.clone(),
                display_name: "Birgitta Ek Ängström".into(),
                email: "birgitta.ek@tranemo.se".into(),
                ..Default::default()
            }),
            etag: self.birgitta_etag.clone(),
        }
    }

    fn create_mandate(&self) -> pb::CreateMandateRequest {
        pb::CreateMandateRequest {
            request_id: "mandat-styrgruppen-2027".into(),
            mandate: Some(pb::Mandate {
                forum_id: self.styrgruppen.clone(),
                text: "Styrgruppen prioriterar och följer upp samverkan inom IT.".into(),
                effective_from: date(2027, 1, 1),
                decision_ref: "IT-styrgruppen 2026-11-05 § 4".into(),
                ..Default::default()
            }),
        }
    }

    fn create_assignment(&self) -> pb::CreateAssignmentRequest {
        pb::CreateAssignmentRequest {
            request_id: "registrator-karin".into(),
            assignment: Some(pb::Assignment {
                person_id: self.karin.clone(),
                role_id: self.registrator.clone(),
                municipality_id: "tranemo".into(),
                section: "Socialtjänst".into(),
                valid_from: date(2027, 1, 1),
                valid_to: date(2027, 12, 31),
                decision_ref: "KS Tranemo 2026-11-20 § 181".into(),
                deputy_for_person_id: self.birgitta.clone(),
                ..Default::default()
            }),
        }
    }

    fn create_it_assignment(&self) -> pb::CreateAssignmentRequest {
        pb::CreateAssignmentRequest {
            request_id: "it-tekniker-jonas".into(),
            assignment: Some(pb::Assignment {
                person_id: self.jonas.clone(),
                role_id: self.it_tekniker.clone(),
                valid_from: date(2027, 1, 1),
                decision_ref: "IT-chefens delegationsbeslut 2026-12-01".into(),
                ..Default::default()
            }),
        }
    }

    fn end_assignment(&self) -> pb::EndAssignmentRequest {
        pb::EndAssignmentRequest {
            id: self.assignment.0.clone(),
            valid_to: date(2099, 12, 31),
            etag: self.assignment.1.clone(),
        }
    }

    fn create_seat(&self) -> pb::CreateSeatRequest {
        pb::CreateSeatRequest {
            request_id: "plats-för-karin".into(),
            seat: Some(pb::Seat {
                forum_id: self.styrgruppen.clone(),
                person_id: self.karin.clone(),
                kind: pb::SeatKind::Deputy as i32,
                may_adjust: true,
                valid_from: date(2027, 1, 1),
                valid_to: date(2028, 12, 31),
                decision_ref: "IT-styrgruppen 2026-11-05 § 5".into(),
                ..Default::default()
            }),
        }
    }

    fn end_seat(&self) -> pb::EndSeatRequest {
        pb::EndSeatRequest {
            id: self.seat.0.clone(),
            valid_to: date(2099, 12, 31),
            etag: self.seat.1.clone(),
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

fn cases(fx: &Fixture) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |field, what, req| cases.push(Case { field, what, req });
    let bad_dates: [(&'static str, Option<Date>); 5] = [
        ("missing", None),
        ("month 13 (2025-13-01)", date(2025, 13, 1)),
        ("30 February", date(2025, 2, 30)),
        ("year 0", date(0, 6, 1)),
        ("negative day", date(2025, 6, -1)),
    ];

    // CreateMunicipality
    let cm = |f: &dyn Fn(&mut pb::CreateMunicipalityRequest)| {
        let mut r = fx.create_municipality();
        f(&mut r);
        Req::CreateMunicipality(r)
    };
    fn m(r: &mut pb::CreateMunicipalityRequest) -> &mut pb::Municipality {
        r.municipality.as_mut().unwrap()
    }
    add("municipality.id", "empty", cm(&|r| m(r).id.clear()));
    add(
        "municipality.id",
        "capitals and å",
        cm(&|r| m(r).id = "Borås".into()),
    );
    add(
        "municipality.id",
        "starts with a digit",
        cm(&|r| m(r).id = "1boras".into()),
    );
    add(
        "municipality.id",
        "64 characters",
        cm(&|r| m(r).id = "b".repeat(64)),
    );
    add(
        "municipality.id",
        "unset municipality",
        cm(&|r| r.municipality = None),
    );
    add("municipality.name", "empty", cm(&|r| m(r).name.clear()));
    add(
        "municipality.name",
        "blank",
        cm(&|r| m(r).name = " \t ".into()),
    );
    add(
        "municipality.name",
        "201 characters",
        cm(&|r| m(r).name = long(201)),
    );
    add(
        "municipality.name",
        "control character",
        cm(&|r| m(r).name = "Borås\u{7}Stad".into()),
    );
    add(
        "municipality.organisation_number",
        "no hyphen",
        cm(&|r| m(r).organisation_number = "2120001561".into()),
    );
    add(
        "municipality.organisation_number",
        "letters",
        cm(&|r| m(r).organisation_number = "21200A-1561".into()),
    );
    add(
        "municipality.organisation_number",
        "hyphen misplaced",
        cm(&|r| m(r).organisation_number = "21200-01561".into()),
    );
    add(
        "collaboration_id",
        "not a UUID",
        cm(&|r| r.collaboration_id = "it-samverkan".into()),
    );
    for (what, d) in bad_dates {
        add("joined_on", what, cm(&move |r| r.joined_on = d));
    }
    add("decision_ref", "empty", cm(&|r| r.decision_ref.clear()));
    add(
        "decision_ref",
        "201 characters",
        cm(&|r| r.decision_ref = long(201)),
    );
    add(
        "decision_ref",
        "line break",
        cm(&|r| r.decision_ref = "IT-styrgruppen\n§ 12".into()),
    );
    add(
        "request_id",
        "129 characters",
        cm(&|r| r.request_id = "ö".repeat(129)),
    );
    add(
        "request_id",
        "control character",
        cm(&|r| r.request_id = "borås\u{0}".into()),
    );

    // UpdateMunicipality
    let um = |f: &dyn Fn(&mut pb::UpdateMunicipalityRequest)| {
        let mut r = fx.update_municipality();
        f(&mut r);
        Req::UpdateMunicipality(r)
    };
    fn um_m(r: &mut pb::UpdateMunicipalityRequest) -> &mut pb::Municipality {
        r.municipality.as_mut().unwrap()
    }
    add("municipality.id", "empty", um(&|r| um_m(r).id.clear()));
    add(
        "municipality.id",
        "capitals",
        um(&|r| um_m(r).id = "Tranemo".into()),
    );
    add("municipality.name", "empty", um(&|r| um_m(r).name.clear()));
    add(
        "municipality.name",
        "201 characters",
        um(&|r| um_m(r).name = long(201)),
    );
    add(
        "municipality.name",
        "control character",
        um(&|r| um_m(r).name = "Tranemo\u{1b}kommun".into()),
    );
    add(
        "municipality.organisation_number",
        "too short",
        um(&|r| um_m(r).organisation_number = "212000-149".into()),
    );
    add(
        "municipality.organisation_number",
        "non-ASCII digits",
        um(&|r| um_m(r).organisation_number = "２１２０００-1496".into()),
    );
    add("etag", "empty", um(&|r| r.etag.clear()));
    add("etag", "65 characters", um(&|r| r.etag = "e".repeat(65)));

    // UpdateCollaboration
    let uc = |f: &dyn Fn(&mut pb::UpdateCollaborationRequest)| {
        let mut r = fx.update_collaboration();
        f(&mut r);
        Req::UpdateCollaboration(r)
    };
    fn co(r: &mut pb::UpdateCollaborationRequest) -> &mut pb::Collaboration {
        r.collaboration.as_mut().unwrap()
    }
    add(
        "collaboration.id",
        "not a UUID",
        uc(&|r| co(r).id = "samverkan-ö".into()),
    );
    add("collaboration.name", "empty", uc(&|r| co(r).name.clear()));
    add(
        "collaboration.name",
        "201 characters",
        uc(&|r| co(r).name = long(201)),
    );
    add(
        "collaboration.name",
        "control character",
        uc(&|r| co(r).name = "IT-samverkan\u{0}".into()),
    );
    add("etag", "empty", uc(&|r| r.etag.clear()));
    add("etag", "65 characters", uc(&|r| r.etag = "e".repeat(65)));

    // EndMembership
    let em = |f: &dyn Fn(&mut pb::EndMembershipRequest)| {
        let mut r = fx.end_membership();
        f(&mut r);
        Req::EndMembership(r)
    };
    add(
        "collaboration_id",
        "not a UUID",
        em(&|r| r.collaboration_id = "samverkan".into()),
    );
    add(
        "municipality_id",
        "empty",
        em(&|r| r.municipality_id.clear()),
    );
    add(
        "municipality_id",
        "wrongly formatted",
        em(&|r| r.municipality_id = "Tranemo kommun".into()),
    );
    for (what, d) in bad_dates {
        add("left_on", what, em(&move |r| r.left_on = d));
    }
    add(
        "left_on",
        "before the municipality joined",
        em(&|r| r.left_on = date(2021, 12, 31)),
    );
    add("decision_ref", "empty", em(&|r| r.decision_ref.clear()));
    add(
        "decision_ref",
        "201 characters",
        em(&|r| r.decision_ref = long(201)),
    );

    // CreatePerson
    let cp = |f: &dyn Fn(&mut pb::CreatePersonRequest)| {
        let mut r = fx.create_person();
        f(&mut r);
        Req::CreatePerson(r)
    };
    fn p(r: &mut pb::CreatePersonRequest) -> &mut pb::Person {
        r.person.as_mut().unwrap()
    }
    add(
        "person.display_name",
        "empty",
        cp(&|r| p(r).display_name.clear()),
    );
    add(
        "person.display_name",
        "unset person",
        cp(&|r| r.person = None),
    );
    add(
        "person.display_name",
        "201 characters",
        cp(&|r| p(r).display_name = long(201)),
    );
    add(
        "person.display_name",
        "control character",
        cp(&|r| p(r).display_name = "Åsa\u{8}Öberg".into()),
    );
    add("person.email", "empty", cp(&|r| p(r).email.clear()));
    add(
        "person.email",
        "no @",
        cp(&|r| p(r).email = "asa.oberg.tranemo.se".into()),
    );
    add(
        "person.email",
        "no domain",
        cp(&|r| p(r).email = "åsa@".into()),
    );
    add(
        "person.email",
        "no local part",
        cp(&|r| p(r).email = "@tranemo.se".into()),
    );
    add(
        "person.email",
        "space inside",
        cp(&|r| p(r).email = "åsa öberg@tranemo.se".into()),
    );
    add(
        "person.email",
        "255 characters",
        cp(&|r| p(r).email = format!("{}@tranemo.se", "a".repeat(244))),
    );
    add(
        "person.subject",
        "255 characters",
        cp(&|r| p(r).subject = "s".repeat(255)),
    );
    add(
        "person.subject",
        "control character",
        cp(&|r| p(r).subject = "åsa\u{0}".into()),
    );
    add(
        "request_id",
        "129 characters",
        cp(&|r| r.request_id = "ö".repeat(129)),
    );

    // UpdatePerson
    let up = |f: &dyn Fn(&mut pb::UpdatePersonRequest)| {
        let mut r = fx.update_person();
        f(&mut r);
        Req::UpdatePerson(r)
    };
    fn up_p(r: &mut pb::UpdatePersonRequest) -> &mut pb::Person {
        r.person.as_mut().unwrap()
    }
    add("person.id", "empty", up(&|r| up_p(r).id.clear()));
    add(
        "person.id",
        "not a UUID",
        up(&|r| up_p(r).id = "birgitta-ek".into()),
    );
    add(
        "person.display_name",
        "empty",
        up(&|r| up_p(r).display_name.clear()),
    );
    add(
        "person.display_name",
        "201 characters",
        up(&|r| up_p(r).display_name = long(201)),
    );
    add("person.email", "empty", up(&|r| up_p(r).email.clear()));
    add(
        "person.email",
        "no @",
        up(&|r| up_p(r).email = "birgitta.ek.tranemo.se".into()),
    );
    add(
        "person.email",
        "no dot in the domain",
        up(&|r| up_p(r).email = "birgitta@tranemo".into()),
    );
    add(
        "person.subject",
        "255 characters",
        up(&|r| up_p(r).subject = "s".repeat(255)),
    );
    add(
        "person.subject",
        "NUL character",
        up(&|r| up_p(r).subject = "åsa\u{0}".into()),
    );
    add("etag", "empty", up(&|r| r.etag.clear()));
    add("etag", "65 characters", up(&|r| r.etag = "e".repeat(65)));

    // CreateMandate
    let cmd = |f: &dyn Fn(&mut pb::CreateMandateRequest)| {
        let mut r = fx.create_mandate();
        f(&mut r);
        Req::CreateMandate(r)
    };
    fn md(r: &mut pb::CreateMandateRequest) -> &mut pb::Mandate {
        r.mandate.as_mut().unwrap()
    }
    add("mandate.text", "empty", cmd(&|r| md(r).text.clear()));
    add(
        "mandate.text",
        "blank",
        cmd(&|r| md(r).text = "\n  \n".into()),
    );
    add(
        "mandate.text",
        "100 001 characters",
        cmd(&|r| md(r).text = long(100_001)),
    );
    add(
        "mandate.text",
        "NUL character",
        cmd(&|r| md(r).text = "Styrgruppen\u{0}".into()),
    );
    for (what, d) in bad_dates {
        add(
            "mandate.effective_from",
            what,
            cmd(&move |r| md(r).effective_from = d),
        );
    }
    add(
        "mandate.decision_ref",
        "empty",
        cmd(&|r| md(r).decision_ref.clear()),
    );
    add(
        "mandate.decision_ref",
        "201 characters",
        cmd(&|r| md(r).decision_ref = long(201)),
    );
    add(
        "mandate.forum_id",
        "not a UUID",
        cmd(&|r| md(r).forum_id = "styrgruppen".into()),
    );
    add(
        "mandate.role_id",
        "not a UUID",
        cmd(&|r| {
            md(r).forum_id.clear();
            md(r).role_id = "kommunchef".into();
        }),
    );
    add(
        "mandate.role_id",
        "neither role nor forum",
        cmd(&|r| md(r).forum_id.clear()),
    );
    let role = fx.registrator.clone();
    add(
        "mandate.role_id",
        "both role and forum",
        cmd(&move |r| md(r).role_id = role.clone()),
    );
    add(
        "request_id",
        "129 characters",
        cmd(&|r| r.request_id = "ö".repeat(129)),
    );

    // CreateAssignment (a municipal role)
    let ca = |f: &dyn Fn(&mut pb::CreateAssignmentRequest)| {
        let mut r = fx.create_assignment();
        f(&mut r);
        Req::CreateAssignment(r)
    };
    fn a(r: &mut pb::CreateAssignmentRequest) -> &mut pb::Assignment {
        r.assignment.as_mut().unwrap()
    }
    add(
        "assignment.person_id",
        "empty",
        ca(&|r| a(r).person_id.clear()),
    );
    add(
        "assignment.person_id",
        "unset assignment",
        ca(&|r| r.assignment = None),
    );
    add(
        "assignment.person_id",
        "not a UUID",
        ca(&|r| a(r).person_id = "karin.strom@tranemo.se".into()),
    );
    add("assignment.role_id", "empty", ca(&|r| a(r).role_id.clear()));
    add(
        "assignment.role_id",
        "not a UUID",
        ca(&|r| a(r).role_id = "registrator".into()),
    );
    for (what, d) in bad_dates {
        add(
            "assignment.valid_from",
            what,
            ca(&move |r| a(r).valid_from = d),
        );
    }
    add(
        "assignment.valid_to",
        "month 13",
        ca(&|r| a(r).valid_to = date(2027, 13, 1)),
    );
    add(
        "assignment.valid_to",
        "before valid_from",
        ca(&|r| a(r).valid_to = date(2026, 12, 31)),
    );
    add(
        "assignment.decision_ref",
        "empty",
        ca(&|r| a(r).decision_ref.clear()),
    );
    add(
        "assignment.decision_ref",
        "201 characters",
        ca(&|r| a(r).decision_ref = long(201)),
    );
    add(
        "assignment.section",
        "201 characters",
        ca(&|r| a(r).section = long(201)),
    );
    add(
        "assignment.section",
        "control character",
        ca(&|r| a(r).section = "Social\u{7}tjänst".into()),
    );
    add(
        "assignment.deputy_for_person_id",
        "not a UUID",
        ca(&|r| a(r).deputy_for_person_id = "birgitta".into()),
    );
    let karin = fx.karin.clone();
    add(
        "assignment.deputy_for_person_id",
        "deputy for oneself",
        ca(&move |r| a(r).deputy_for_person_id = karin.clone()),
    );
    add(
        "assignment.municipality_id",
        "empty for a municipal role",
        ca(&|r| a(r).municipality_id.clear()),
    );
    add(
        "assignment.municipality_id",
        "wrongly formatted",
        ca(&|r| a(r).municipality_id = "Tranemo kommun".into()),
    );
    add(
        "request_id",
        "129 characters",
        ca(&|r| r.request_id = "ö".repeat(129)),
    );
    let it = fx.create_it_assignment();
    add(
        "assignment.municipality_id",
        "set for an IT-department role",
        Req::CreateAssignment({
            let mut r = it.clone();
            r.assignment.as_mut().unwrap().section = "Drift".into();
            r
        }),
    );

    // EndAssignment
    let ea = |f: &dyn Fn(&mut pb::EndAssignmentRequest)| {
        let mut r = fx.end_assignment();
        f(&mut r);
        Req::EndAssignment(r)
    };
    add("id", "empty", ea(&|r| r.id.clear()));
    add("id", "not a UUID", ea(&|r| r.id = "uppdrag-1".into()));
    for (what, d) in bad_dates {
        add("valid_to", what, ea(&move |r| r.valid_to = d));
    }
    add(
        "valid_to",
        "before valid_from",
        ea(&|r| r.valid_to = date(2000, 1, 1)),
    );
    add("etag", "empty", ea(&|r| r.etag.clear()));
    add("etag", "65 characters", ea(&|r| r.etag = "e".repeat(65)));

    // CreateSeat
    let cs = |f: &dyn Fn(&mut pb::CreateSeatRequest)| {
        let mut r = fx.create_seat();
        f(&mut r);
        Req::CreateSeat(r)
    };
    fn s(r: &mut pb::CreateSeatRequest) -> &mut pb::Seat {
        r.seat.as_mut().unwrap()
    }
    add("seat.forum_id", "empty", cs(&|r| s(r).forum_id.clear()));
    add(
        "seat.forum_id",
        "not a UUID",
        cs(&|r| s(r).forum_id = "styrgruppen".into()),
    );
    add("seat.person_id", "empty", cs(&|r| s(r).person_id.clear()));
    add("seat.person_id", "unset seat", cs(&|r| r.seat = None));
    add(
        "seat.person_id",
        "not a UUID",
        cs(&|r| s(r).person_id = "karin".into()),
    );
    add("seat.kind", "unspecified (0)", cs(&|r| s(r).kind = 0));
    add("seat.kind", "unknown (999)", cs(&|r| s(r).kind = 999));
    add("seat.kind", "negative", cs(&|r| s(r).kind = -1));
    for (what, d) in bad_dates {
        add("seat.valid_from", what, cs(&move |r| s(r).valid_from = d));
    }
    add(
        "seat.valid_to",
        "30 February",
        cs(&|r| s(r).valid_to = date(2028, 2, 30)),
    );
    add(
        "seat.valid_to",
        "before valid_from",
        cs(&|r| s(r).valid_to = date(2026, 12, 31)),
    );
    add(
        "seat.decision_ref",
        "empty",
        cs(&|r| s(r).decision_ref.clear()),
    );
    add(
        "seat.decision_ref",
        "201 characters",
        cs(&|r| s(r).decision_ref = long(201)),
    );
    add(
        "request_id",
        "129 characters",
        cs(&|r| r.request_id = "ö".repeat(129)),
    );

    // EndSeat
    let es = |f: &dyn Fn(&mut pb::EndSeatRequest)| {
        let mut r = fx.end_seat();
        f(&mut r);
        Req::EndSeat(r)
    };
    add("id", "empty", es(&|r| r.id.clear()));
    add("id", "not a UUID", es(&|r| r.id = "plats".into()));
    for (what, d) in bad_dates {
        add("valid_to", what, es(&move |r| r.valid_to = d));
    }
    add(
        "valid_to",
        "before valid_from",
        es(&|r| r.valid_to = date(2025, 12, 31)),
    );
    add("etag", "empty", es(&|r| r.etag.clear()));
    add("etag", "65 characters", es(&|r| r.etag = "e".repeat(65)));

    // Paging of the lists.
    add(
        "page_size",
        "negative",
        Req::ListMunicipalities(pb::ListMunicipalitiesRequest {
            page_size: -1,
            ..Default::default()
        }),
    );
    add(
        "page_token",
        "forged",
        Req::ListMunicipalities(pb::ListMunicipalitiesRequest {
            page_token: "ö-sida-2".into(),
            ..Default::default()
        }),
    );
    add(
        "page_size",
        "negative",
        Req::ListPeople(pb::ListPeopleRequest {
            page_size: i32::MIN,
            ..Default::default()
        }),
    );
    add(
        "page_token",
        "forged",
        Req::ListPeople(pb::ListPeopleRequest {
            page_token: "2.ffff".into(),
            ..Default::default()
        }),
    );
    add(
        "page_size",
        "negative",
        Req::ListAssignments(pb::ListAssignmentsRequest {
            page_size: -50,
            ..Default::default()
        }),
    );
    add(
        "on",
        "month 13",
        Req::ListAssignments(pb::ListAssignmentsRequest {
            on: date(2026, 13, 1),
            ..Default::default()
        }),
    );
    add(
        "person_id",
        "not a UUID",
        Req::ListAssignments(pb::ListAssignmentsRequest {
            person_id: "karin".into(),
            ..Default::default()
        }),
    );
    add(
        "on",
        "30 February",
        Req::ListMembers(pb::ListMembersRequest {
            on: date(2026, 2, 30),
            ..Default::default()
        }),
    );
    add(
        "on",
        "year 0",
        Req::GetForumComposition(pb::GetForumCompositionRequest {
            forum_id: fx.styrgruppen.clone(),
            on: date(0, 1, 1),
        }),
    );
    let check = |f: &dyn Fn(&mut pb::CheckPermissionRequest)| {
        let mut r = pb::CheckPermissionRequest {
            action: "minutes.record".into(),
            forum_id: fx.styrgruppen.clone(),
            owner_person_id: fx.karin.clone(),
            designated_person_ids: vec![fx.birgitta.clone(), fx.jonas.clone()],
            ..Default::default()
        };
        f(&mut r);
        Req::CheckPermission(r)
    };
    add("action", "empty", check(&|r| r.action.clear()));
    add(
        "action",
        "101 characters",
        check(&|r| r.action = "a".repeat(101)),
    );
    add(
        "forum_id",
        "not a UUID",
        check(&|r| r.forum_id = "styrgruppen".into()),
    );
    add(
        "owner_person_id",
        "not a UUID",
        check(&|r| r.owner_person_id = "karin".into()),
    );
    add(
        "designated_person_ids[1]",
        "not a UUID",
        check(&|r| r.designated_person_ids[1] = "jonas".into()),
    );
    cases
}

/// The valid requests the cases spoil, each of which must succeed.
fn controls(fx: &Fixture) -> Vec<Req> {
    vec![
        Req::CreateMunicipality(fx.create_municipality()),
        Req::UpdateMunicipality(fx.update_municipality()),
        Req::UpdateCollaboration(fx.update_collaboration()),
        Req::CreatePerson(fx.create_person()),
        Req::UpdatePerson(fx.update_person()),
        Req::CreateMandate(fx.create_mandate()),
        Req::CreateAssignment(fx.create_assignment()),
        Req::CreateAssignment(fx.create_it_assignment()),
        Req::EndAssignment(fx.end_assignment()),
        Req::CreateSeat(fx.create_seat()),
        Req::EndSeat(fx.end_seat()),
        Req::EndMembership(fx.end_membership()),
    ]
}

async fn bad_input_is_refused_and_writes_nothing(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let mut c = RolesServiceClient::new(server.channel().await);
    let fx = Fixture::load(&db, &mut c).await;
    let snapshots = Snapshots::new(&db).await;

    let cases = cases(&fx);
    let mut failures = Vec::new();
    for case in &cases {
        let before = snapshots.take(&db).await;
        let result = send_paced(&mut c, &case.req).await;
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
    for req in controls(&fx) {
        let rpc = req.rpc();
        if let Err(s) = send_paced(&mut c, &req).await {
            failures.push(format!("control {rpc}: {:?}: {}", s.code(), s.message()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs mishandled:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    samverkan_testkit::figure(&format!(
        "bad input: roles: {} cases ({:?})",
        cases.len(),
        db.backend
    ));
    server.stop().await;
}
backend_test!(bad_input_is_refused_and_writes_nothing);
