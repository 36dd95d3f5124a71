//! `samverkan.roles.v1.RolesService`.

use samverkan_proto::roles::v1 as pb;
use samverkan_proto::roles::v1::roles_service_server::RolesService as _;

use super::{Seed, date, seed};

super::service!(roles, "samverkan.roles.v1.RolesService", pb, [
    WhoAmI => who_am_i(WhoAmIRequest),
    ListMunicipalities => list_municipalities(ListMunicipalitiesRequest),
    GetMunicipality => get_municipality(GetMunicipalityRequest),
    CreateMunicipality => create_municipality(CreateMunicipalityRequest),
    UpdateMunicipality => update_municipality(UpdateMunicipalityRequest),
    ListCollaborations => list_collaborations(ListCollaborationsRequest),
    GetCollaboration => get_collaboration(GetCollaborationRequest),
    UpdateCollaboration => update_collaboration(UpdateCollaborationRequest),
    ListMembers => list_members(ListMembersRequest),
    EndMembership => end_membership(EndMembershipRequest),
    ListPeople => list_people(ListPeopleRequest),
    GetPerson => get_person(GetPersonRequest),
    CreatePerson => create_person(CreatePersonRequest),
    UpdatePerson => update_person(UpdatePersonRequest),
    ListRoles => list_roles(ListRolesRequest),
    CreateMandate => create_mandate(CreateMandateRequest),
    ListMandates => list_mandates(ListMandatesRequest),
    CreateAssignment => create_assignment(CreateAssignmentRequest),
    EndAssignment => end_assignment(EndAssignmentRequest),
    ListAssignments => list_assignments(ListAssignmentsRequest),
    ListForums => list_forums(ListForumsRequest),
    GetForum => get_forum(GetForumRequest),
    CreateSeat => create_seat(CreateSeatRequest),
    EndSeat => end_seat(EndSeatRequest),
    GetForumComposition => get_forum_composition(GetForumCompositionRequest),
    CheckPermission => check_permission(CheckPermissionRequest),
]);

/// IT-styrgruppen's secretary: manages members, forums and mandates.
const EVA: &str = "eva.dahlgren@ulricehamn.se";
/// Tranemo's kommunchef: people and municipal roles of Tranemo.
const ANNA: &str = "anna.aberg@tranemo.se";
/// The IT manager: IT-department roles.
const PER: &str = "per.hakansson@ulricehamn.se";
const DECISION: &str = "IT-styrgruppen 2026-02-11 § 9";

/// Valid requests, in an order that works as a story (the harness runs
/// them at start-up, so later ones find what earlier ones made).
pub fn story() -> Vec<Seed> {
    vec![
        seed(
            "CreateMunicipality",
            EVA,
            pb::CreateMunicipalityRequest {
                request_id: "seed-svenljunga".into(),
                municipality: Some(pb::Municipality {
                    id: "svenljunga".into(),
                    name: "Svenljunga kommun".into(),
                    organisation_number: "212000-1504".into(),
                    ..Default::default()
                }),
                collaboration_id: "@collaborations".into(),
                joined_on: date(2027, 1, 1),
                decision_ref: DECISION.into(),
            },
        ),
        seed(
            "UpdateMunicipality",
            ANNA,
            pb::UpdateMunicipalityRequest {
                municipality: Some(pb::Municipality {
                    id: "tranemo".into(),
                    name: "Tranemo kommun".into(),
                    organisation_number: "212000-1488".into(),
                    ..Default::default()
                }),
                etag: "#municipalities:tranemo".into(),
            },
        ),
        seed(
            "UpdateCollaboration",
            EVA,
            pb::UpdateCollaborationRequest {
                collaboration: Some(pb::Collaboration {
                    id: "@collaborations".into(),
                    name: "IT-samverkan Tranemo–Ulricehamn".into(),
                    host_municipality_id: "ulricehamn".into(),
                    ..Default::default()
                }),
                etag: "#collaborations".into(),
            },
        ),
        seed(
            "CreatePerson",
            ANNA,
            pb::CreatePersonRequest {
                request_id: "seed-greta".into(),
                person: Some(pb::Person {
                    municipality_id: "tranemo".into(),
                    display_name: "Greta Lund".into(),
                    email: "greta.lund@tranemo.se".into(),
                    subject: "greta.lund@tranemo.se".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "UpdatePerson",
            ANNA,
            pb::UpdatePersonRequest {
                person: Some(pb::Person {
                    id: "@people:ida.nyqvist@tranemo.se".into(),
                    municipality_id: "tranemo".into(),
                    display_name: "Ida Nyqvist".into(),
                    email: "ida.nyqvist@tranemo.se".into(),
                    subject: "ida.nyqvist@tranemo.se".into(),
                    ..Default::default()
                }),
                etag: "#people:ida.nyqvist@tranemo.se".into(),
            },
        ),
        seed(
            "CreateMandate",
            EVA,
            pb::CreateMandateRequest {
                request_id: "seed-mandate-it-chef".into(),
                mandate: Some(pb::Mandate {
                    role_id: "@roles:it-chef".into(),
                    text: "Leder IT-avdelningen och ansvarar för driften.".into(),
                    effective_from: date(2026, 3, 1),
                    decision_ref: DECISION.into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "CreateMandate",
            EVA,
            pb::CreateMandateRequest {
                request_id: "seed-mandate-styrgruppen".into(),
                mandate: Some(pb::Mandate {
                    forum_id: "@forums:styrgruppen".into(),
                    text: "Styr samverkans inriktning, budget och prioriteringar.".into(),
                    effective_from: date(2026, 3, 1),
                    decision_ref: DECISION.into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "CreateAssignment",
            PER,
            pb::CreateAssignmentRequest {
                request_id: "seed-assignment-it".into(),
                assignment: Some(pb::Assignment {
                    person_id: "@people:oskar.bjork@ulricehamn.se".into(),
                    role_id: "@roles:it-tekniker".into(),
                    valid_from: date(2026, 1, 1),
                    decision_ref: "Delegationsbeslut IT-chef 2026-01".into(),
                    collaboration_id: "@collaborations".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "CreateAssignment",
            ANNA,
            pb::CreateAssignmentRequest {
                request_id: "seed-assignment-muni".into(),
                assignment: Some(pb::Assignment {
                    person_id: "@people:jonas.hall@tranemo.se".into(),
                    role_id: "@roles:registrator".into(),
                    municipality_id: "tranemo".into(),
                    valid_from: date(2026, 1, 1),
                    valid_to: date(2026, 12, 31),
                    decision_ref: "KS 2025-12-01 § 200".into(),
                    collaboration_id: "@collaborations".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "EndAssignment",
            PER,
            pb::EndAssignmentRequest {
                id: "@assignments".into(),
                valid_to: date(2040, 12, 31),
                etag: "#assignments".into(),
            },
        ),
        seed(
            "CreateSeat",
            EVA,
            pb::CreateSeatRequest {
                request_id: "seed-seat".into(),
                seat: Some(pb::Seat {
                    forum_id: "@forums:utveckling".into(),
                    person_id: "@people:linnea.akesson@ulricehamn.se".into(),
                    kind: pb::SeatKind::Member as i32,
                    may_adjust: true,
                    valid_from: date(2026, 1, 1),
                    decision_ref: DECISION.into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "EndSeat",
            EVA,
            pb::EndSeatRequest {
                id: "@seats".into(),
                valid_to: date(2040, 12, 31),
                etag: "#seats".into(),
            },
        ),
        seed(
            "EndMembership",
            EVA,
            pb::EndMembershipRequest {
                collaboration_id: "@collaborations".into(),
                municipality_id: "svenljunga".into(),
                left_on: date(2040, 12, 31),
                decision_ref: DECISION.into(),
            },
        ),
        seed("WhoAmI", EVA, pb::WhoAmIRequest {}),
        seed(
            "ListMunicipalities",
            EVA,
            pb::ListMunicipalitiesRequest {
                collaboration_id: "@collaborations".into(),
                page_size: 1,
                page_token: String::new(),
            },
        ),
        seed(
            "GetMunicipality",
            EVA,
            pb::GetMunicipalityRequest {
                id: "tranemo".into(),
            },
        ),
        seed(
            "GetCollaboration",
            EVA,
            pb::GetCollaborationRequest {
                id: "@collaborations".into(),
            },
        ),
        seed(
            "ListMembers",
            EVA,
            pb::ListMembersRequest {
                collaboration_id: "@collaborations".into(),
                on: date(2026, 6, 1),
                include_history: true,
            },
        ),
        seed(
            "ListPeople",
            ANNA,
            pb::ListPeopleRequest {
                municipality_id: "tranemo".into(),
                page_size: 3,
                page_token: String::new(),
            },
        ),
        seed(
            "GetPerson",
            ANNA,
            pb::GetPersonRequest {
                id: "@people".into(),
            },
        ),
        seed(
            "ListRoles",
            EVA,
            pb::ListRolesRequest {
                collaboration_id: "@collaborations".into(),
            },
        ),
        seed(
            "ListMandates",
            EVA,
            pb::ListMandatesRequest {
                role_id: "@roles:it-chef".into(),
                forum_id: String::new(),
            },
        ),
        seed(
            "ListAssignments",
            EVA,
            pb::ListAssignmentsRequest {
                collaboration_id: "@collaborations".into(),
                municipality_id: "tranemo".into(),
                on: date(2026, 6, 1),
                page_size: 5,
                ..Default::default()
            },
        ),
        seed(
            "ListForums",
            EVA,
            pb::ListForumsRequest {
                collaboration_id: "@collaborations".into(),
            },
        ),
        seed(
            "GetForum",
            EVA,
            pb::GetForumRequest {
                id: "@forums:styrgruppen".into(),
            },
        ),
        seed(
            "GetForumComposition",
            EVA,
            pb::GetForumCompositionRequest {
                forum_id: "@forums:styrgruppen".into(),
                on: date(2026, 6, 1),
            },
        ),
        seed(
            "CheckPermission",
            EVA,
            pb::CheckPermissionRequest {
                action: "minutes.record".into(),
                forum_id: "@forums:styrgruppen".into(),
                ..Default::default()
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
