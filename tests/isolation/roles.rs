//! The roles service's rows of the isolation matrix. The organisation is
//! the collaboration's: its members read it, another collaboration reads
//! none of it, and only the roles named in docs/permissions.md change it.

use samverkan_proto::common::v1::Date;
use samverkan_proto::roles::v1 as pb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_testkit::TestServer;
use tonic::transport::Channel;

use crate::DEMO_COLLABORATION;
use crate::harness::{Fixture, Row};

const SVC: &str = "samverkan.roles.v1.RolesService";
const SOFIA: &str = "sofia.lindstrom@tranemo.se";
const ANNA: &str = "anna.aberg@tranemo.se";
const EMIL: &str = "emil.sandstrom@tranemo.se";
const EVA: &str = "eva.dahlgren@ulricehamn.se";
const OSKAR: &str = "oskar.bjork@ulricehamn.se";
const LARS: &str = "lars.angstrom@ulricehamn.se";
const PER: &str = "per.hakansson@ulricehamn.se";

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn client(ch: &Channel) -> RolesServiceClient<Channel> {
    RolesServiceClient::new(ch.clone())
}

fn collab() -> String {
    DEMO_COLLABORATION.to_owned()
}

/// A future member municipality, added by IT-styrgruppen's secretary.
async fn join(ch: Channel, id: &str, name: &str) {
    client(&ch)
        .create_municipality(TestServer::as_person(
            EVA,
            pb::CreateMunicipalityRequest {
                request_id: format!("join-{id}"),
                municipality: Some(pb::Municipality {
                    id: id.into(),
                    name: name.into(),
                    ..Default::default()
                }),
                collaboration_id: collab(),
                joined_on: date(2099, 1, 1),
                decision_ref: "IT-styrgruppen 2026-11-20 § 40".into(),
            },
        ))
        .await
        .unwrap();
}

async fn assignment(ch: Channel, person: &str, role: &str, from: i32) -> pb::Assignment {
    client(&ch)
        .create_assignment(TestServer::as_person(
            ANNA,
            pb::CreateAssignmentRequest {
                request_id: String::new(),
                assignment: Some(pb::Assignment {
                    person_id: person.into(),
                    role_id: role.into(),
                    municipality_id: "tranemo".into(),
                    valid_from: date(from, 1, 1),
                    decision_ref: "KS Tranemo 2026-11-10 § 150".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .assignment
        .unwrap()
}

async fn seat(ch: Channel, forum: &str, person: &str) -> pb::Seat {
    client(&ch)
        .create_seat(TestServer::as_person(
            EVA,
            pb::CreateSeatRequest {
                request_id: String::new(),
                seat: Some(pb::Seat {
                    forum_id: forum.into(),
                    person_id: person.into(),
                    kind: pb::SeatKind::Member as i32,
                    valid_from: date(2027, 1, 1),
                    decision_ref: "IT-styrgruppen 2026-11-20 § 41".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .seat
        .unwrap()
}

pub async fn rows(fx: &Fixture) -> Vec<Row> {
    let ch = fx.channel.clone();
    let mut c = client(&ch);
    let forums = c
        .list_forums(TestServer::as_person(EVA, pb::ListForumsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .forums;
    let forum = |code: &str| forums.iter().find(|f| f.code == code).unwrap().id.clone();
    let (styr, utv) = (forum("styrgruppen"), forum("utveckling"));
    let roles = c
        .list_roles(TestServer::as_person(
            EVA,
            pb::ListRolesRequest {
                collaboration_id: collab(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .roles;
    let role = |code: &str| roles.iter().find(|r| r.code == code).unwrap().id.clone();
    let utvecklingschef = role("utvecklingschef");

    // A newly registered Tranemo person: the collaboration may read them.
    let name = fx.secrets.shared("person");
    let person = c
        .create_person(TestServer::as_person(
            ANNA,
            pb::CreatePersonRequest {
                request_id: "isolation-person".into(),
                person: Some(pb::Person {
                    display_name: name.clone(),
                    email: "ny.handlaggare@tranemo.se".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    let mandate_text = fx.secrets.shared("mandat");
    c.create_mandate(TestServer::as_person(
        EVA,
        pb::CreateMandateRequest {
            request_id: String::new(),
            mandate: Some(pb::Mandate {
                forum_id: utv.clone(),
                text: format!(
                    "IT-forum utveckling bereder frågor om digitalisering. {mandate_text}"
                ),
                effective_from: date(2026, 1, 1),
                decision_ref: "IT-styrgruppen 2025-12-01 § 90".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();

    let any = "every person of a member municipality reads the organisation";
    vec![
        Row::new(SVC, "WhoAmI", SOFIA)
            .any_person("every signed-in person may ask who they are")
            .other_member_allowed()
            .other_collaboration_allowed()
            .request(pb::WhoAmIRequest {}),
        Row::new(SVC, "ListMunicipalities", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .request(pb::ListMunicipalitiesRequest {
                collaboration_id: collab(),
                ..Default::default()
            }),
        Row::new(SVC, "GetMunicipality", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .request(pb::GetMunicipalityRequest {
                id: "tranemo".into(),
            }),
        Row::new(SVC, "CreateMunicipality", EVA)
            .no_role(OSKAR)
            .other_member_as(ANNA)
            .request(pb::CreateMunicipalityRequest {
                request_id: "isolation-join".into(),
                municipality: Some(pb::Municipality {
                    id: "gislaved".into(),
                    name: "Gislaveds kommun".into(),
                    ..Default::default()
                }),
                collaboration_id: collab(),
                joined_on: date(2099, 1, 1),
                decision_ref: "IT-styrgruppen 2026-11-20 § 42".into(),
            }),
        Row::new(SVC, "UpdateMunicipality", ANNA)
            .no_role(EMIL)
            .other_member_as(LARS)
            .request_with({
                let ch = ch.clone();
                move || async move {
                    let m = client(&ch)
                        .get_municipality(TestServer::as_person(
                            ANNA,
                            pb::GetMunicipalityRequest {
                                id: "tranemo".into(),
                            },
                        ))
                        .await
                        .unwrap()
                        .into_inner()
                        .municipality
                        .unwrap();
                    pb::UpdateMunicipalityRequest {
                        etag: m.etag.clone(),
                        municipality: Some(pb::Municipality {
                            organisation_number: "212000-1470".into(),
                            ..m
                        }),
                    }
                }
            }),
        Row::new(SVC, "ListCollaborations", SOFIA)
            .any_person("every signed-in person may list their own collaborations")
            .other_member_allowed()
            .other_collaboration_allowed()
            .request(pb::ListCollaborationsRequest {}),
        Row::new(SVC, "GetCollaboration", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .request(pb::GetCollaborationRequest { id: collab() }),
        Row::new(SVC, "UpdateCollaboration", EVA)
            .no_role(OSKAR)
            .other_member_as(ANNA)
            .request_with({
                let ch = ch.clone();
                move || async move {
                    let c = client(&ch)
                        .get_collaboration(TestServer::as_person(
                            EVA,
                            pb::GetCollaborationRequest { id: collab() },
                        ))
                        .await
                        .unwrap()
                        .into_inner()
                        .collaboration
                        .unwrap();
                    pb::UpdateCollaborationRequest {
                        etag: c.etag.clone(),
                        collaboration: Some(c),
                    }
                }
            }),
        Row::new(SVC, "ListMembers", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .request(pb::ListMembersRequest {
                collaboration_id: collab(),
                ..Default::default()
            }),
        Row::new(SVC, "EndMembership", EVA)
            .no_role(OSKAR)
            .other_member_as(ANNA)
            .request_with({
                let ch = ch.clone();
                move || async move {
                    join(ch, "mark", "Marks kommun").await;
                    pb::EndMembershipRequest {
                        collaboration_id: collab(),
                        municipality_id: "mark".into(),
                        left_on: date(2099, 12, 31),
                        decision_ref: "IT-styrgruppen 2026-11-20 § 43".into(),
                    }
                }
            }),
        Row::new(SVC, "ListPeople", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .reveals(&name)
            .request(pb::ListPeopleRequest {
                municipality_id: "tranemo".into(),
                page_size: 200,
                ..Default::default()
            }),
        Row::new(SVC, "GetPerson", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .reveals(&name)
            .request(pb::GetPersonRequest {
                id: person.id.clone(),
            }),
        Row::new(SVC, "CreatePerson", ANNA)
            .no_role(EMIL)
            .request(pb::CreatePersonRequest {
                request_id: "isolation-create-person".into(),
                person: Some(pb::Person {
                    display_name: "Åke Ström".into(),
                    email: "ake.strom@tranemo.se".into(),
                    ..Default::default()
                }),
            }),
        // Ulricehamn's IT-chef may manage people of Ulricehamn, not Tranemo's.
        Row::new(SVC, "UpdatePerson", ANNA)
            .no_role(EMIL)
            .other_member_as(PER)
            .request(pb::UpdatePersonRequest {
                etag: person.etag.clone(),
                person: Some(pb::Person {
                    display_name: format!("{name} (ändrad)"),
                    ..person.clone()
                }),
            }),
        Row::new(SVC, "ListRoles", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .request(pb::ListRolesRequest {
                collaboration_id: collab(),
            }),
        Row::new(SVC, "CreateMandate", EVA)
            .no_role(OSKAR)
            .other_member_as(ANNA)
            .request(pb::CreateMandateRequest {
                request_id: "isolation-mandate".into(),
                mandate: Some(pb::Mandate {
                    forum_id: styr.clone(),
                    text: "IT-styrgruppen beslutar om den gemensamma IT-verksamheten.".into(),
                    effective_from: date(2027, 1, 1),
                    decision_ref: "IT-styrgruppen 2026-11-20 § 44".into(),
                    ..Default::default()
                }),
            }),
        Row::new(SVC, "ListMandates", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .reveals(&mandate_text)
            .request(pb::ListMandatesRequest {
                forum_id: utv.clone(),
                ..Default::default()
            }),
        Row::new(SVC, "CreateAssignment", ANNA)
            .no_role(EMIL)
            .other_member_as(LARS)
            .request(pb::CreateAssignmentRequest {
                request_id: "isolation-assignment".into(),
                assignment: Some(pb::Assignment {
                    person_id: person.id.clone(),
                    role_id: utvecklingschef.clone(),
                    municipality_id: "tranemo".into(),
                    valid_from: date(2027, 1, 1),
                    valid_to: date(2027, 12, 31),
                    decision_ref: "KS Tranemo 2026-11-10 § 151".into(),
                    ..Default::default()
                }),
            }),
        Row::new(SVC, "EndAssignment", ANNA)
            .no_role(EMIL)
            .other_member_as(LARS)
            .request_with({
                let (ch, person, role) = (ch.clone(), person.id.clone(), utvecklingschef.clone());
                move || async move {
                    let a = assignment(ch, &person, &role, 2028).await;
                    pb::EndAssignmentRequest {
                        id: a.id,
                        valid_to: date(2028, 6, 30),
                        etag: a.etag,
                    }
                }
            }),
        Row::new(SVC, "ListAssignments", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .request(pb::ListAssignmentsRequest {
                collaboration_id: collab(),
                municipality_id: "tranemo".into(),
                page_size: 200,
                ..Default::default()
            }),
        Row::new(SVC, "ListForums", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .request(pb::ListForumsRequest {
                collaboration_id: collab(),
            }),
        Row::new(SVC, "GetForum", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .reveals(&mandate_text)
            .request(pb::GetForumRequest { id: utv.clone() }),
        Row::new(SVC, "CreateSeat", EVA)
            .no_role(OSKAR)
            .other_member_as(ANNA)
            .request(pb::CreateSeatRequest {
                request_id: "isolation-seat".into(),
                seat: Some(pb::Seat {
                    forum_id: utv.clone(),
                    person_id: person.id.clone(),
                    kind: pb::SeatKind::Member as i32,
                    valid_from: date(2027, 1, 1),
                    decision_ref: "IT-styrgruppen 2026-11-20 § 45".into(),
                    ..Default::default()
                }),
            }),
        Row::new(SVC, "EndSeat", EVA)
            .no_role(OSKAR)
            .other_member_as(ANNA)
            .request_with({
                let (ch, forum, person) = (ch.clone(), styr.clone(), person.id.clone());
                move || async move {
                    let s = seat(ch, &forum, &person).await;
                    pb::EndSeatRequest {
                        id: s.id,
                        valid_to: date(2027, 6, 30),
                        etag: s.etag,
                    }
                }
            }),
        Row::new(SVC, "GetForumComposition", SOFIA)
            .any_person(any)
            .other_member_allowed()
            .request(pb::GetForumCompositionRequest {
                forum_id: styr.clone(),
                on: date(2026, 6, 1),
            }),
        Row::new(SVC, "CheckPermission", SOFIA)
            .any_person("every person may ask what they may do")
            .other_member_allowed()
            .request(pb::CheckPermissionRequest {
                action: "meetings.manage".into(),
                forum_id: utv.clone(),
                ..Default::default()
            }),
    ]
}

/// Tranemo's IT-koordinator, the demo's samverkansadministratör.
const IDA: &str = "ida.nyqvist@tranemo.se";
const MARIA: &str = crate::harness::OTHER_MEMBER;
const OLLE: &str = crate::harness::OTHER_COLLABORATION;

/// One refusal: who sends which CreatePerson or CreateAssignment, the code
/// it must get, and the text its message must carry (the field it names,
/// or the reason).
struct Refusal {
    what: &'static str,
    token: String,
    call: Call,
    code: tonic::Code,
    needle: &'static str,
}

enum Call {
    Person(pb::CreatePersonRequest),
    Assignment(pb::CreateAssignmentRequest),
}

fn person_in(municipality: &str, email: &str) -> Call {
    Call::Person(pb::CreatePersonRequest {
        request_id: format!("refused-{municipality}-{email}"),
        person: Some(pb::Person {
            display_name: "Vem Som Helst".into(),
            email: email.into(),
            municipality_id: municipality.into(),
            ..Default::default()
        }),
    })
}

/// Fields a caller may not set are refused, never ignored (issue 18): a
/// person registered in another municipality by anyone but a collaboration
/// administrator onboarding a new member, and that administrator beyond a
/// member's first administrator. Nothing refused is written, and a
/// municipality of another collaboration is answered exactly as one that
/// does not exist. Returns the failures.
pub async fn refusals(fx: &Fixture) -> Vec<String> {
    let ch = fx.channel.clone();
    let mut c = client(&ch);
    let roles = c
        .list_roles(TestServer::as_person(
            ANNA,
            pb::ListRolesRequest {
                collaboration_id: collab(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .roles;
    let kommunchef = roles
        .iter()
        .find(|r| r.code == "kommunchef")
        .unwrap()
        .id
        .clone();
    let lars = c
        .who_am_i(TestServer::as_person(LARS, pb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    let as_ = |who: &str| TestServer::token(who);
    let olle = TestServer::token_for(OLLE, crate::harness::OTHER_COLLABORATION_TENANT);
    use tonic::Code::{InvalidArgument, PermissionDenied};
    let cases = vec![
        Refusal {
            what: "another member's colleague registers a person of Tranemo",
            token: as_(MARIA),
            call: person_in("tranemo", "inkraktare@tranemo.se"),
            code: PermissionDenied,
            needle: "person.municipality_id",
        },
        Refusal {
            what: "Tranemo's kommunchef registers a person of Ulricehamn",
            token: as_(ANNA),
            call: person_in("ulricehamn", "inkraktare@ulricehamn.se"),
            code: PermissionDenied,
            needle: "person.municipality_id",
        },
        Refusal {
            what: "the IT-chef's people.manage does not reach another municipality",
            token: as_(PER),
            call: person_in("tranemo", "inkraktare2@tranemo.se"),
            code: PermissionDenied,
            needle: "person.municipality_id",
        },
        Refusal {
            what: "the collaboration administrator registers a person of a member with administrators",
            token: as_(IDA),
            call: person_in("ulricehamn", "inkraktare3@ulricehamn.se"),
            code: PermissionDenied,
            needle: "already has an administrator",
        },
        Refusal {
            what: "the collaboration administrator names another collaboration's member",
            token: as_(IDA),
            call: person_in("svenljunga", "inkraktare@svenljunga.se"),
            code: InvalidArgument,
            needle: "svenljunga is not a member municipality of your collaborations",
        },
        Refusal {
            what: "the collaboration administrator names a municipality that exists nowhere",
            token: as_(IDA),
            call: person_in("gnosjo", "inkraktare@gnosjo.se"),
            code: InvalidArgument,
            needle: "gnosjo is not a member municipality of your collaborations",
        },
        Refusal {
            what: "another collaboration's person names Tranemo",
            token: olle,
            call: person_in("tranemo", "inkraktare4@tranemo.se"),
            code: InvalidArgument,
            needle: "person.municipality_id",
        },
        Refusal {
            what: "the collaboration administrator gives a kommunchef role in a member with administrators",
            token: as_(IDA),
            call: Call::Assignment(pb::CreateAssignmentRequest {
                request_id: "refused-kommunchef-ulricehamn".into(),
                assignment: Some(pb::Assignment {
                    person_id: lars.id.clone(),
                    role_id: kommunchef.clone(),
                    municipality_id: "ulricehamn".into(),
                    valid_from: date(2027, 1, 1),
                    decision_ref: "KS Ulricehamn 2026-11-10 § 9".into(),
                    ..Default::default()
                }),
            }),
            code: PermissionDenied,
            needle: "already has an administrator",
        },
        Refusal {
            what: "a caller sets the id of a new person",
            token: as_(ANNA),
            call: Call::Person(pb::CreatePersonRequest {
                request_id: String::new(),
                person: Some(pb::Person {
                    id: "0190c0de-0000-7000-8000-000000000009".into(),
                    display_name: "Vem Som Helst".into(),
                    email: "vem@tranemo.se".into(),
                    ..Default::default()
                }),
            }),
            code: InvalidArgument,
            needle: "person.id",
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let answer = match case.call {
            Call::Person(r) => c
                .create_person(TestServer::request(&case.token, r))
                .await
                .map(|_| ()),
            Call::Assignment(r) => c
                .create_assignment(TestServer::request(&case.token, r))
                .await
                .map(|_| ()),
        };
        match answer {
            Err(s) if s.code() == case.code && s.message().contains(case.needle) => {}
            other => failures.push(format!(
                "refusal: {}: expected {:?} naming {:?}, got {other:?}",
                case.what, case.code, case.needle
            )),
        }
    }
    // Nothing refused was registered anywhere the callers could look.
    let people = c
        .list_people(TestServer::as_person(
            ANNA,
            pb::ListPeopleRequest {
                page_size: 1000,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .people;
    for p in people.iter().filter(|p| p.email.starts_with("inkraktare")) {
        failures.push(format!("refusal: {} was registered after all", p.email));
    }
    failures
}
