//! Store rows to proto messages, and request fields to domain values.

use chrono::NaiveDate;
use samverkan_core::dates::{self, timestamp};
use samverkan_core::{ApiError, TenantId};
use samverkan_proto::roles::v1 as pb;

use crate::domain::catalogue::{Scope, SeatKind};

use crate::store::{
    MembershipRow, assignment, collaboration, forum, forum_role_seat, mandate, municipality,
    person, role, seat, seat_kind,
};
pub use samverkan_core::fields::{date, opt_date, opt_uuid, uuid};

pub fn municipality_pb(m: municipality::Model) -> pb::Municipality {
    pb::Municipality {
        id: m.id,
        name: m.name,
        organisation_number: m.organisation_number,
        create_time: Some(timestamp(m.create_time)),
        etag: m.etag,
    }
}

pub fn collaboration_pb(c: collaboration::Model) -> pb::Collaboration {
    pb::Collaboration {
        id: c.id.to_string(),
        name: c.name,
        host_municipality_id: c.host_municipality_id,
        create_time: Some(timestamp(c.create_time)),
        etag: c.etag,
    }
}

pub fn membership_pb((m, c): MembershipRow) -> pb::Membership {
    pb::Membership {
        collaboration: Some(collaboration_pb(c)),
        municipality_id: m.municipality_id,
        joined_on: Some(dates::to_proto(m.joined_on)),
        left_on: m.left_on.map(dates::to_proto),
    }
}

pub fn person_pb(p: person::Model) -> pb::Person {
    pb::Person {
        id: p.id.to_string(),
        municipality_id: p.owner_tenant,
        display_name: p.display_name,
        email: p.email,
        subject: p.subject,
        create_time: Some(timestamp(p.create_time)),
        etag: p.etag,
    }
}

pub fn role_pb(r: role::Model) -> pb::Role {
    let scope = match Scope::parse(&r.scope) {
        Some(Scope::ItDepartment) => pb::RoleScope::ItDepartment,
        Some(Scope::Municipality) => pb::RoleScope::Municipality,
        None => pb::RoleScope::Unspecified,
    };
    pb::Role {
        id: r.id.to_string(),
        collaboration_id: r.collaboration_id.to_string(),
        code: r.code,
        display_name: r.display_name,
        scope: scope as i32,
        create_time: Some(timestamp(r.create_time)),
    }
}

pub fn mandate_pb(m: mandate::Model) -> pb::Mandate {
    let (role_id, forum_id) = if m.subject_kind == "role" {
        (m.subject_id.to_string(), String::new())
    } else {
        (String::new(), m.subject_id.to_string())
    };
    pb::Mandate {
        id: m.id.to_string(),
        role_id,
        forum_id,
        version: m.version,
        text: m.text,
        effective_from: Some(dates::to_proto(m.effective_from)),
        decision_ref: m.decision_ref,
        create_time: Some(timestamp(m.create_time)),
        created_by: m.created_by,
    }
}

pub fn assignment_pb(a: assignment::Model) -> pb::Assignment {
    pb::Assignment {
        id: a.id.to_string(),
        person_id: a.person_id.to_string(),
        role_id: a.role_id.to_string(),
        role_code: a.role_code,
        municipality_id: a.municipality_id.unwrap_or_default(),
        section: a.section,
        valid_from: Some(dates::to_proto(a.valid_from)),
        valid_to: a.valid_to.map(dates::to_proto),
        decision_ref: a.decision_ref,
        deputy_for_person_id: a
            .deputy_for_person_id
            .map(|p| p.to_string())
            .unwrap_or_default(),
        collaboration_id: a.collaboration_id.to_string(),
        create_time: Some(timestamp(a.create_time)),
        etag: a.etag,
    }
}

pub fn seat_kind_pb(k: SeatKind) -> pb::SeatKind {
    match k {
        SeatKind::Chair => pb::SeatKind::Chair,
        SeatKind::Secretary => pb::SeatKind::Secretary,
        SeatKind::Member => pb::SeatKind::Member,
        SeatKind::Deputy => pb::SeatKind::Deputy,
    }
}

pub fn seat_kind_from_pb(k: i32, field: &str) -> Result<SeatKind, ApiError> {
    match pb::SeatKind::try_from(k) {
        Ok(pb::SeatKind::Chair) => Ok(SeatKind::Chair),
        Ok(pb::SeatKind::Secretary) => Ok(SeatKind::Secretary),
        Ok(pb::SeatKind::Member) => Ok(SeatKind::Member),
        Ok(pb::SeatKind::Deputy) => Ok(SeatKind::Deputy),
        _ => Err(ApiError::invalid_field(
            field,
            "must be CHAIR, SECRETARY, MEMBER or DEPUTY",
        )),
    }
}

pub fn seat_pb(s: seat::Model) -> pb::Seat {
    pb::Seat {
        id: s.id.to_string(),
        forum_id: s.forum_id.to_string(),
        person_id: s.person_id.to_string(),
        kind: seat_kind_pb(seat_kind(&s.kind)) as i32,
        may_adjust: s.may_adjust,
        valid_from: Some(dates::to_proto(s.valid_from)),
        valid_to: s.valid_to.map(dates::to_proto),
        decision_ref: s.decision_ref,
        create_time: Some(timestamp(s.create_time)),
        etag: s.etag,
    }
}

pub fn forum_pb(
    f: forum::Model,
    mandate: Option<mandate::Model>,
    role_seats: &[forum_role_seat::Model],
) -> pb::Forum {
    pb::Forum {
        id: f.id.to_string(),
        collaboration_id: f.collaboration_id.to_string(),
        code: f.code,
        name: f.name,
        reports_to_forum_id: f
            .reports_to_forum_id
            .map(|p| p.to_string())
            .unwrap_or_default(),
        mandate: mandate.map(mandate_pb),
        role_seats: role_seats
            .iter()
            .filter(|rs| rs.forum_id == f.id)
            .map(|rs| pb::RoleSeat {
                role_code: rs.role_code.clone(),
                kind: seat_kind_pb(seat_kind(&rs.kind)) as i32,
                may_adjust: rs.may_adjust,
            })
            .collect(),
        create_time: Some(timestamp(f.create_time)),
    }
}

pub use samverkan_core::fields::collaboration;

/// Optional single-line free text with a length limit (trimmed).
pub fn opt_text(field: &str, s: &str, max_chars: usize) -> Result<String, ApiError> {
    if s.trim().is_empty() {
        return Ok(String::new());
    }
    samverkan_core::text::required_line(field, s, max_chars)
}

/// A required municipality id (e.g. `tranemo`), checked for its form so
/// that a malformed id answers `INVALID_ARGUMENT`, not `NOT_FOUND`.
pub fn municipality_id(field: &str, s: &str) -> Result<TenantId, ApiError> {
    if s.is_empty() {
        return Err(ApiError::invalid_field(field, "required"));
    }
    TenantId::parse(s).map_err(|e| ApiError::invalid_field(field, e.to_string()))
}

/// A decision reference ("IT-styrgruppen 2026-03-12 § 7"): required.
pub fn decision_ref(field: &str, s: &str) -> Result<String, ApiError> {
    samverkan_core::text::required_line(field, s, 200)
}

/// Checks `to` is not before `from`.
pub fn interval(field: &str, from: NaiveDate, to: Option<NaiveDate>) -> Result<(), ApiError> {
    match to {
        Some(t) if t < from => Err(ApiError::invalid_field(
            field,
            "must not be before the first day",
        )),
        _ => Ok(()),
    }
}
