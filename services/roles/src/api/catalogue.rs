//! Roles, mandates, assignments, forums, seats, composition and permission.

use std::collections::HashMap;

use chrono::{NaiveDate, SubsecRound};
use prost::Message as _;
use samverkan_core::dates;
use samverkan_core::paging::Page;
use samverkan_core::text::{required_line, swedish_cmp};
use samverkan_core::{ApiError, CollaborationId, RequestContext, TenantScope};
use samverkan_db::Tx;
use samverkan_db::idempotency::Claim;
use samverkan_proto::roles::v1 as pb;
use uuid::Uuid;

use super::Handlers;
use super::convert::{
    self, assignment_pb, collaboration, forum_pb, mandate_pb, person_pb, role_pb, seat_pb,
};
use crate::authz;
use crate::domain::catalogue::Scope;
use crate::domain::composition::{self, Source};
use crate::domain::membership::{self, in_force};
use crate::domain::permissions::{Target, administrator_roles};
use crate::store::{self, AssignmentFilter, assignment, forum, role, seat};
use samverkan_core::fields::server_set;

/// Longest mandate text accepted.
const MAX_MANDATE_CHARS: usize = 100_000;

fn id_of(resource: &str) -> Result<Uuid, ApiError> {
    resource
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .parse()
        .map_err(ApiError::internal_from)
}

/// A forum as a scope sees it on a date.
type ForumKey = (TenantScope, NaiveDate, Uuid);
/// How many forums a process keeps.
const KEPT_FORUMS: usize = 4096;

async fn forum_or_404(tx: &Tx, field: &str, id: &str) -> Result<forum::Model, ApiError> {
    let uuid = convert::uuid(field, id)?;
    store::find_forum(tx, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("forum", id))
}

async fn role_or_404(tx: &Tx, field: &str, id: &str) -> Result<role::Model, ApiError> {
    let uuid = convert::uuid(field, id)?;
    store::find_role(tx, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("role", id))
}

/// The action and target that govern assigning a role.
fn assign_action(role: &role::Model, municipality: Option<&str>) -> (&'static str, Target) {
    match Scope::parse(&role.scope) {
        Some(Scope::Municipality) => (
            "roles.assign_municipal",
            Target {
                municipality: municipality.map(str::to_owned),
                ..Default::default()
            },
        ),
        _ => ("roles.assign_it", Target::default()),
    }
}

impl Handlers {
    pub async fn list_roles(
        &self,
        ctx: &RequestContext,
        req: pb::ListRolesRequest,
    ) -> Result<pb::ListRolesResponse, ApiError> {
        let collab = collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let tx = self.read(ctx).await?;
        let mut roles = store::list_roles(&tx, collab).await?;
        tx.commit().await?;
        roles.sort_by(|a, b| swedish_cmp(&a.display_name, &b.display_name));
        Ok(pb::ListRolesResponse {
            roles: roles.into_iter().map(role_pb).collect(),
        })
    }

    /// The mandate's subject: (kind, id, collaboration). `prefix` is the
    /// path of the message holding the ids (`mandate.` or empty).
    async fn mandate_subject(
        tx: &Tx,
        prefix: &str,
        role_id: &str,
        forum_id: &str,
    ) -> Result<(&'static str, Uuid, Uuid), ApiError> {
        match (role_id.is_empty(), forum_id.is_empty()) {
            (false, true) => {
                let r = role_or_404(tx, &format!("{prefix}role_id"), role_id).await?;
                Ok(("role", r.id, r.collaboration_id))
            }
            (true, false) => {
                let f = forum_or_404(tx, &format!("{prefix}forum_id"), forum_id).await?;
                Ok(("forum", f.id, f.collaboration_id))
            }
            _ => Err(ApiError::invalid_field(
                format!("{prefix}role_id"),
                "set exactly one of role_id and forum_id",
            )),
        }
    }

    pub async fn create_mandate(
        &self,
        ctx: &RequestContext,
        req: pb::CreateMandateRequest,
    ) -> Result<pb::CreateMandateResponse, ApiError> {
        let m = req.mandate.clone().unwrap_or_default();
        server_set("mandate.id", !m.id.is_empty())?;
        server_set("mandate.version", m.version != 0)?;
        server_set("mandate.create_time", m.create_time.is_some())?;
        server_set("mandate.created_by", !m.created_by.is_empty())?;
        let text =
            samverkan_core::text::multiline("mandate.text", &m.text, MAX_MANDATE_CHARS, true)?;
        let effective_from = convert::date("mandate.effective_from", m.effective_from.as_ref())?;
        let decision = convert::decision_ref("mandate.decision_ref", &m.decision_ref)?;
        let tx = self.write(ctx).await?;
        let (kind, subject, collab) =
            Self::mandate_subject(&tx, "mandate.", &m.role_id, &m.forum_id).await?;
        authz::require(
            &tx,
            CollaborationId(collab),
            "forums.manage",
            &Target::default(),
        )
        .await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                let id = id_of(&resource)?;
                store::list_mandates(&tx, subject)
                    .await?
                    .into_iter()
                    .find(|x| x.id == id)
                    .ok_or_else(|| ApiError::internal("replayed mandate vanished"))?
            }
            Claim::New => {
                let created = store::insert_mandate(
                    &tx,
                    collab,
                    kind,
                    subject,
                    &text,
                    effective_from,
                    &decision,
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("mandates/{}", created.id))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::CreateMandateResponse {
            mandate: Some(mandate_pb(stored)),
        })
    }

    pub async fn list_mandates(
        &self,
        ctx: &RequestContext,
        req: pb::ListMandatesRequest,
    ) -> Result<pb::ListMandatesResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let (_, subject, _) = Self::mandate_subject(&tx, "", &req.role_id, &req.forum_id).await?;
        let mandates = store::list_mandates(&tx, subject).await?;
        tx.commit().await?;
        Ok(pb::ListMandatesResponse {
            mandates: mandates.into_iter().map(mandate_pb).collect(),
        })
    }

    pub async fn create_assignment(
        &self,
        ctx: &RequestContext,
        req: pb::CreateAssignmentRequest,
    ) -> Result<pb::CreateAssignmentResponse, ApiError> {
        let a = req.assignment.clone().unwrap_or_default();
        server_set("assignment.id", !a.id.is_empty())?;
        server_set("assignment.create_time", a.create_time.is_some())?;
        server_set("assignment.etag", !a.etag.is_empty())?;
        let person_id = convert::uuid("assignment.person_id", &a.person_id)?;
        let valid_from = convert::date("assignment.valid_from", a.valid_from.as_ref())?;
        let valid_to = convert::opt_date("assignment.valid_to", a.valid_to.as_ref())?;
        convert::interval("assignment.valid_to", valid_from, valid_to)?;
        let decision = convert::decision_ref("assignment.decision_ref", &a.decision_ref)?;
        let section = convert::opt_text("assignment.section", &a.section, 200)?;
        let deputy_for =
            convert::opt_uuid("assignment.deputy_for_person_id", &a.deputy_for_person_id)?;
        if deputy_for == Some(person_id) {
            return Err(ApiError::invalid_field(
                "assignment.deputy_for_person_id",
                "a person cannot be their own deputy",
            ));
        }

        let tx = self.write(ctx).await?;
        let role = role_or_404(&tx, "assignment.role_id", &a.role_id).await?;
        let collab = CollaborationId(role.collaboration_id);
        // Both follow from the role; a different value is not ignored.
        if !a.role_code.is_empty() && a.role_code != role.code {
            return Err(ApiError::invalid_field(
                "assignment.role_code",
                format!(
                    "follows from assignment.role_id ({}); leave it empty",
                    role.code
                ),
            ));
        }
        if !a.collaboration_id.is_empty() && a.collaboration_id != collab.to_string() {
            return Err(ApiError::invalid_field(
                "assignment.collaboration_id",
                "follows from assignment.role_id; leave it empty",
            ));
        }
        let municipality = match Scope::parse(&role.scope) {
            Some(Scope::Municipality) => {
                if a.municipality_id.is_empty() {
                    return Err(ApiError::invalid_field(
                        "assignment.municipality_id",
                        format!(
                            "required: {} is held within a municipality",
                            role.display_name
                        ),
                    ));
                }
                convert::municipality_id("assignment.municipality_id", &a.municipality_id)?;
                Some(a.municipality_id.clone())
            }
            _ => {
                if !a.municipality_id.is_empty() || !section.is_empty() {
                    return Err(ApiError::invalid_field(
                        "assignment.municipality_id",
                        format!(
                            "must be empty: {} is held in the IT department",
                            role.display_name
                        ),
                    ));
                }
                None
            }
        };
        let (action, target) = assign_action(&role, municipality.as_deref());
        let assign = authz::decide(&tx, collab, action, &target).await?;
        if !assign.allowed {
            // A collaboration administrator may give a new member's first
            // administrator their role (`members.onboard`).
            let onboarding = municipality.as_deref().filter(|m| {
                *m != ctx.principal.tenant.as_str()
                    && administrator_roles().contains(&role.code.as_str())
            });
            let Some(m) = onboarding else {
                tracing::info!(action, reason = %assign.reason, "permission denied");
                return Err(ApiError::PermissionDenied(assign.reason));
            };
            let target = Target {
                municipality: Some(m.to_owned()),
                newcomer: Some(authz::newcomer(&tx, collab, m).await?),
                ..Default::default()
            };
            let onboard = authz::decide(&tx, collab, "members.onboard", &target).await?;
            if !onboard.allowed {
                tracing::info!(action, reason = %onboard.reason, "permission denied");
                return Err(ApiError::PermissionDenied(format!(
                    "{}; {}",
                    assign.reason, onboard.reason
                )));
            }
        }

        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => store::find_assignment(&tx, id_of(&resource)?)
                .await?
                .ok_or_else(|| ApiError::internal("replayed assignment vanished"))?,
            Claim::New => {
                let person = store::find_person(&tx, person_id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("person", &a.person_id))?;
                if let Some(m) = &municipality {
                    if person.owner_tenant != *m {
                        return Err(ApiError::invalid_field(
                            "assignment.person_id",
                            format!(
                                "the person is employed by {}, not by {m}",
                                person.owner_tenant
                            ),
                        ));
                    }
                    let members = store::members(&tx, collab, Some(valid_from)).await?;
                    let member = members.iter().any(|(mm, _)| mm.municipality_id == *m);
                    membership::may_hold_roles(m, member, valid_from)
                        .map_err(|r| r.on(format!("municipalities/{m}")))?;
                }
                if let Some(d) = deputy_for
                    && store::find_person(&tx, d).await?.is_none()
                {
                    return Err(ApiError::not_found("person", d.to_string()));
                }
                // The same person cannot hold the same role in the same
                // place twice at once; different people may (documented).
                let filter = AssignmentFilter {
                    collaboration: Some(collab.0),
                    person: Some(person_id),
                    role_codes: vec![role.code.clone()],
                    ..Default::default()
                };
                let existing = store::list_assignments(&tx, &filter, 0, 1000).await?;
                let held = existing
                    .iter()
                    .map(|e| ((&e.municipality_id, &e.section), e.valid_from, e.valid_to));
                membership::may_hold(
                    &role.display_name,
                    &(&municipality, &section),
                    (valid_from, valid_to),
                    held,
                )
                .map_err(|r| r.on(format!("people/{person_id}")))?;
                let created = store::insert_assignment(
                    &tx,
                    assignment::Model {
                        id: samverkan_core::new_uuid(),
                        collaboration_id: collab.0,
                        person_id,
                        role_id: role.id,
                        role_code: role.code.clone(),
                        municipality_id: municipality,
                        section,
                        valid_from,
                        valid_to,
                        decision_ref: decision,
                        deputy_for_person_id: deputy_for,
                        create_time: chrono::Utc::now().trunc_subsecs(6),
                        etag: store::new_etag(),
                    },
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("assignments/{}", created.id))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::CreateAssignmentResponse {
            assignment: Some(assignment_pb(stored)),
        })
    }

    pub async fn end_assignment(
        &self,
        ctx: &RequestContext,
        req: pb::EndAssignmentRequest,
    ) -> Result<pb::EndAssignmentResponse, ApiError> {
        let id = convert::uuid("id", &req.id)?;
        let valid_to = convert::date("valid_to", req.valid_to.as_ref())?;
        let etag = required_line("etag", &req.etag, 64)?;
        let tx = self.write(ctx).await?;
        let current = store::find_assignment(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("assignment", &req.id))?;
        let role = store::find_role(&tx, current.role_id)
            .await?
            .ok_or_else(|| ApiError::internal("role of assignment missing"))?;
        let (action, target) = assign_action(&role, current.municipality_id.as_deref());
        authz::require(
            &tx,
            CollaborationId(current.collaboration_id),
            action,
            &target,
        )
        .await?;
        convert::interval("valid_to", current.valid_from, Some(valid_to))?;
        // A later last day must not run into the person's next assignment
        // of the same role in the same place (see create_assignment).
        let filter = AssignmentFilter {
            collaboration: Some(current.collaboration_id),
            person: Some(current.person_id),
            role_codes: vec![current.role_code.clone()],
            ..Default::default()
        };
        let others = store::list_assignments(&tx, &filter, 0, 1000).await?;
        let held = others
            .iter()
            .filter(|e| e.id != current.id)
            .map(|e| ((&e.municipality_id, &e.section), e.valid_from, e.valid_to));
        membership::may_hold(
            &role.display_name,
            &(&current.municipality_id, &current.section),
            (current.valid_from, Some(valid_to)),
            held,
        )
        .map_err(|r| r.on(format!("people/{}", current.person_id)))?;
        let updated = store::end_assignment(&tx, &current, valid_to, &etag).await?;
        tx.commit().await?;
        Ok(pb::EndAssignmentResponse {
            assignment: Some(assignment_pb(updated)),
        })
    }

    pub async fn list_assignments(
        &self,
        ctx: &RequestContext,
        req: pb::ListAssignmentsRequest,
    ) -> Result<pb::ListAssignmentsResponse, ApiError> {
        let collab = collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let on = if req.include_history {
            None
        } else {
            Some(convert::opt_date("on", req.on.as_ref())?.unwrap_or(ctx.today))
        };
        let filter = AssignmentFilter {
            collaboration: Some(collab.0),
            role_codes: if req.role_code.is_empty() {
                vec![]
            } else {
                vec![req.role_code.clone()]
            },
            municipality: (!req.municipality_id.is_empty()).then(|| req.municipality_id.clone()),
            person: convert::opt_uuid("person_id", &req.person_id)?,
            on,
        };
        let fingerprint = format!(
            "{collab}|{}|{}|{}|{on:?}",
            req.role_code, req.municipality_id, req.person_id
        );
        let page = Page::parse(req.page_size, &req.page_token, &fingerprint)?;
        let tx = self.read(ctx).await?;
        let mut rows =
            store::list_assignments(&tx, &filter, page.offset, page.fetch_limit()).await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListAssignmentsResponse {
            assignments: rows.into_iter().map(assignment_pb).collect(),
            next_page_token,
        })
    }

    pub async fn list_forums(
        &self,
        ctx: &RequestContext,
        req: pb::ListForumsRequest,
    ) -> Result<pb::ListForumsResponse, ApiError> {
        let collab = collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let tx = self.read(ctx).await?;
        let mut forums = store::list_forums(&tx, collab).await?;
        let ids: Vec<Uuid> = forums.iter().map(|f| f.id).collect();
        let role_seats = store::role_seats(&tx, &ids).await?;
        let mut mandates: HashMap<Uuid, _> = store::mandates_in_force(&tx, &ids, ctx.today)
            .await?
            .into_iter()
            .map(|m| (m.subject_id, m))
            .collect();
        tx.commit().await?;
        forums.sort_by(|a, b| {
            a.reports_to_forum_id
                .is_some()
                .cmp(&b.reports_to_forum_id.is_some())
                .then_with(|| swedish_cmp(&a.name, &b.name))
        });
        Ok(pb::ListForumsResponse {
            forums: forums
                .into_iter()
                .map(|f| {
                    let m = mandates.remove(&f.id);
                    forum_pb(f, m, &role_seats)
                })
                .collect(),
        })
    }

    pub async fn get_forum(
        &self,
        ctx: &RequestContext,
        req: pb::GetForumRequest,
    ) -> Result<pb::GetForumResponse, ApiError> {
        // Every service checks a forum through this call before reading
        // it: the answer is kept until the registry changes, for the scope
        // and date it was read with (the version first, as always).
        let id = convert::uuid("id", &req.id)?;
        let version = self.db.version(store::DIRECTORY_VERSION).await?;
        let kept = self.db.kept::<ForumKey, pb::Forum>("forums", KEPT_FORUMS);
        let key = (ctx.scope.clone(), ctx.today, id);
        if let Some(forum) = kept.get(&key, |v| *v == version) {
            return Ok(pb::GetForumResponse { forum: Some(forum) });
        }
        let tx = self.read(ctx).await?;
        let f = store::find_forum(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("forum", &req.id))?;
        let role_seats = store::role_seats(&tx, &[f.id]).await?;
        let mandate = store::mandates_in_force(&tx, &[f.id], ctx.today)
            .await?
            .into_iter()
            .next();
        tx.commit().await?;
        let forum = forum_pb(f, mandate, &role_seats);
        kept.put(key, version, forum.clone(), |v| *v == version);
        Ok(pb::GetForumResponse { forum: Some(forum) })
    }

    pub async fn create_seat(
        &self,
        ctx: &RequestContext,
        req: pb::CreateSeatRequest,
    ) -> Result<pb::CreateSeatResponse, ApiError> {
        let s = req.seat.clone().unwrap_or_default();
        server_set("seat.id", !s.id.is_empty())?;
        server_set("seat.create_time", s.create_time.is_some())?;
        server_set("seat.etag", !s.etag.is_empty())?;
        let person_id = convert::uuid("seat.person_id", &s.person_id)?;
        let kind = convert::seat_kind_from_pb(s.kind, "seat.kind")?;
        let valid_from = convert::date("seat.valid_from", s.valid_from.as_ref())?;
        let valid_to = convert::opt_date("seat.valid_to", s.valid_to.as_ref())?;
        convert::interval("seat.valid_to", valid_from, valid_to)?;
        let decision = convert::decision_ref("seat.decision_ref", &s.decision_ref)?;
        let tx = self.write(ctx).await?;
        let f = forum_or_404(&tx, "seat.forum_id", &s.forum_id).await?;
        authz::require(
            &tx,
            CollaborationId(f.collaboration_id),
            "forums.manage",
            &Target::default(),
        )
        .await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => store::find_seat(&tx, id_of(&resource)?)
                .await?
                .ok_or_else(|| ApiError::internal("replayed seat vanished"))?,
            Claim::New => {
                store::find_person(&tx, person_id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("person", &s.person_id))?;
                let created = store::insert_seat(
                    &tx,
                    seat::Model {
                        id: samverkan_core::new_uuid(),
                        collaboration_id: f.collaboration_id,
                        forum_id: f.id,
                        person_id,
                        kind: kind.as_str().to_owned(),
                        may_adjust: s.may_adjust,
                        valid_from,
                        valid_to,
                        decision_ref: decision,
                        create_time: chrono::Utc::now().trunc_subsecs(6),
                        etag: store::new_etag(),
                    },
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("seats/{}", created.id))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::CreateSeatResponse {
            seat: Some(seat_pb(stored)),
        })
    }

    pub async fn end_seat(
        &self,
        ctx: &RequestContext,
        req: pb::EndSeatRequest,
    ) -> Result<pb::EndSeatResponse, ApiError> {
        let id = convert::uuid("id", &req.id)?;
        let valid_to = convert::date("valid_to", req.valid_to.as_ref())?;
        let etag = required_line("etag", &req.etag, 64)?;
        let tx = self.write(ctx).await?;
        let current = store::find_seat(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("seat", &req.id))?;
        authz::require(
            &tx,
            CollaborationId(current.collaboration_id),
            "forums.manage",
            &Target::default(),
        )
        .await?;
        convert::interval("valid_to", current.valid_from, Some(valid_to))?;
        let updated = store::end_seat(&tx, &current, valid_to, &etag).await?;
        tx.commit().await?;
        Ok(pb::EndSeatResponse {
            seat: Some(seat_pb(updated)),
        })
    }

    pub async fn get_forum_composition(
        &self,
        ctx: &RequestContext,
        req: pb::GetForumCompositionRequest,
    ) -> Result<pb::GetForumCompositionResponse, ApiError> {
        let on = convert::opt_date("on", req.on.as_ref())?.unwrap_or(ctx.today);
        let tx = self.read(ctx).await?;
        let f = forum_or_404(&tx, "forum_id", &req.forum_id).await?;
        let role_seats = store::role_seats(&tx, &[f.id]).await?;
        let codes: Vec<String> = role_seats.iter().map(|rs| rs.role_code.clone()).collect();
        let assignments = if codes.is_empty() {
            Vec::new()
        } else {
            let filter = AssignmentFilter {
                collaboration: Some(f.collaboration_id),
                role_codes: codes,
                on: Some(on),
                ..Default::default()
            };
            store::list_assignments(&tx, &filter, 0, 10_000).await?
        };
        // Municipal roles count only while their municipality is a member.
        let members = store::members(&tx, CollaborationId(f.collaboration_id), None).await?;
        let assignments: Vec<_> = assignments
            .into_iter()
            .filter(|a| {
                a.municipality_id.as_ref().is_none_or(|m| {
                    members.iter().any(|(mm, _)| {
                        mm.municipality_id == *m && in_force(mm.joined_on, mm.left_on, on)
                    })
                })
            })
            .collect();
        let explicit = store::seats_in_force(&tx, Some(&[f.id]), None, on).await?;
        let seats = composition::compose(
            &role_seats.iter().map(authz::role_seat).collect::<Vec<_>>(),
            &assignments
                .iter()
                .map(authz::held_assignment)
                .collect::<Vec<_>>(),
            &explicit
                .iter()
                .map(authz::explicit_seat)
                .collect::<Vec<_>>(),
        );
        let mut person_ids: Vec<Uuid> = seats.iter().map(|s| s.person_id).collect();
        person_ids.sort();
        person_ids.dedup();
        let people: HashMap<Uuid, _> = store::people_by_ids(&tx, &person_ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mandate = store::mandates_in_force(&tx, &[f.id], on)
            .await?
            .into_iter()
            .next();
        tx.commit().await?;

        let mut out: Vec<pb::CompositionSeat> = seats
            .into_iter()
            .map(|s| {
                let (source, role_code, municipality_id, source_id) = match s.source {
                    Source::Role {
                        role_code,
                        municipality,
                        assignment_id,
                    } => (
                        "role",
                        role_code,
                        municipality.unwrap_or_default(),
                        assignment_id,
                    ),
                    Source::Explicit { seat_id } => ("seat", String::new(), String::new(), seat_id),
                };
                pb::CompositionSeat {
                    person: people.get(&s.person_id).cloned().map(person_pb),
                    kind: convert::seat_kind_pb(s.kind) as i32,
                    may_adjust: s.may_adjust,
                    source: source.into(),
                    role_code,
                    municipality_id,
                    source_id: source_id.to_string(),
                }
            })
            .collect();
        // Within a kind, by name in Swedish order.
        out.sort_by(|a, b| {
            let name = |s: &pb::CompositionSeat| {
                s.person
                    .as_ref()
                    .map(|p| p.display_name.clone())
                    .unwrap_or_default()
            };
            a.kind
                .cmp(&b.kind)
                .then_with(|| swedish_cmp(&name(a), &name(b)))
                .then_with(|| a.source_id.cmp(&b.source_id))
        });
        Ok(pb::GetForumCompositionResponse {
            forum: Some(forum_pb(f, mandate, &role_seats)),
            on: Some(dates::to_proto(on)),
            seats: out,
        })
    }

    pub async fn check_permission(
        &self,
        ctx: &RequestContext,
        req: pb::CheckPermissionRequest,
    ) -> Result<pb::CheckPermissionResponse, ApiError> {
        let action = required_line("action", &req.action, 100)?;
        let forum_id = convert::opt_uuid("forum_id", &req.forum_id)?;
        let owner = convert::opt_uuid("owner_person_id", &req.owner_person_id)?;
        let designated = req
            .designated_person_ids
            .iter()
            .enumerate()
            .map(|(i, d)| convert::uuid(&format!("designated_person_ids[{i}]"), d))
            .collect::<Result<Vec<_>, _>>()?;
        let tx = self.read(ctx).await?;
        let collab = match forum_id {
            Some(f) => {
                let forum = store::find_forum(&tx, f)
                    .await?
                    .ok_or_else(|| ApiError::not_found("forum", &req.forum_id))?;
                CollaborationId(forum.collaboration_id)
            }
            None => collaboration(ctx, "collaboration_id", &req.collaboration_id)?,
        };
        let municipality = (!req.municipality_id.is_empty()).then(|| req.municipality_id.clone());
        // Onboarding depends on the municipality's state, not only on the caller.
        let newcomer = match municipality.as_deref() {
            Some(m) if action == "members.onboard" => Some(authz::newcomer(&tx, collab, m).await?),
            _ => None,
        };
        let target = Target {
            forum_id,
            municipality,
            owner,
            designated,
            newcomer,
        };
        let d = authz::decide(&tx, collab, &action, &target).await?;
        tx.commit().await?;
        Ok(pb::CheckPermissionResponse {
            allowed: d.allowed,
            reason: d.reason,
        })
    }
}
