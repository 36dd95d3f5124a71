//! Municipalities, collaborations, memberships and people.

use prost::Message as _;
use samverkan_core::dates;
use samverkan_core::paging::Page;
use samverkan_core::text::{required_line, swedish_cmp};
use samverkan_core::{ApiError, CollaborationId, Principal, RequestContext, TenantId, TenantScope};
use samverkan_db::Tx;
use samverkan_db::idempotency::Claim;
use samverkan_proto::roles::v1 as pb;

use super::convert::{
    self, assignment_pb, collaboration, membership_pb, municipality_pb, person_pb, seat_pb,
};
use super::{Handlers, require_any};
use crate::authz;
use crate::domain::membership;
use crate::domain::permissions::Target;
use crate::store::{self, AssignmentFilter, person};
use samverkan_core::fields::server_set;

/// The field that names the employing municipality of a new person.
const PERSON_MUNICIPALITY: &str = "person.municipality_id";
/// WhoAmI lists the caller's own assignments; no person holds more.
const MAX_OWN_ROWS: u64 = 1000;

/// Swedish organisation numbers: NNNNNN-NNNN.
fn organisation_number(field: &str, s: &str) -> Result<String, ApiError> {
    let s = s.trim();
    let ok = s.is_empty()
        || (s.len() == 11
            && s.char_indices()
                .all(|(i, c)| if i == 6 { c == '-' } else { c.is_ascii_digit() }));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ApiError::invalid_field(
            field,
            "must be of the form NNNNNN-NNNN",
        ))
    }
}

fn email(field: &str, s: &str) -> Result<String, ApiError> {
    let e = required_line(field, s, 254)?;
    match e.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') && !e.contains(' ') => {
            Ok(e)
        }
        _ => Err(ApiError::invalid_field(field, "must be an e-mail address")),
    }
}

impl Handlers {
    pub async fn who_am_i(
        &self,
        ctx: &RequestContext,
        _: pb::WhoAmIRequest,
    ) -> Result<pb::WhoAmIResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let municipality = store::find_municipality(&tx, ctx.principal.tenant.as_str())
            .await?
            .ok_or_else(|| {
                ApiError::internal("authenticated municipality missing from the registry")
            })?;
        // The authentication layer admitted only a registered person.
        let person = store::person_by_subject(&tx, &ctx.principal.subject)
            .await?
            .ok_or_else(|| ApiError::internal("authenticated person missing from the registry"))?;
        let memberships: Vec<pb::Membership> = store::memberships_in_force(&tx, ctx.today)
            .await?
            .into_iter()
            .filter(|(m, _)| m.municipality_id == ctx.principal.tenant.as_str())
            .map(membership_pb)
            .collect();
        // Those the scope still reads the history of (a collaboration left
        // and not joined again), the membership that ended last of each.
        let former_memberships = store::memberships_ended(&tx, ctx.today)
            .await?
            .into_iter()
            .filter(|(m, _)| {
                ctx.scope.former.iter().any(|f| {
                    m.left_on.map(dates::end_of_day) == Some(f.until)
                        && f.collaboration.0 == m.collaboration_id
                })
            })
            .map(membership_pb)
            .collect();
        let filter = AssignmentFilter {
            person: Some(person.id),
            on: Some(ctx.today),
            ..Default::default()
        };
        let assignments = store::list_assignments(&tx, &filter, 0, MAX_OWN_ROWS).await?;
        let seats = store::seats_in_force(&tx, None, Some(person.id), ctx.today).await?;
        tx.commit().await?;
        Ok(pb::WhoAmIResponse {
            subject: ctx.principal.subject.clone(),
            municipality: Some(municipality_pb(municipality)),
            person: Some(person_pb(person)),
            memberships,
            request_date: Some(dates::to_proto(ctx.today)),
            assignments: assignments.into_iter().map(assignment_pb).collect(),
            seats: seats.into_iter().map(seat_pb).collect(),
            former_memberships,
        })
    }

    pub async fn list_municipalities(
        &self,
        ctx: &RequestContext,
        req: pb::ListMunicipalitiesRequest,
    ) -> Result<pb::ListMunicipalitiesResponse, ApiError> {
        let collab = if req.collaboration_id.is_empty() {
            None
        } else {
            Some(collaboration(
                ctx,
                "collaboration_id",
                &req.collaboration_id,
            )?)
        };
        let page = Page::parse(req.page_size, &req.page_token, &req.collaboration_id)?;
        let tx = self.read(ctx).await?;
        let mut ids: Vec<String> = store::memberships_in_force(&tx, ctx.today)
            .await?
            .into_iter()
            .filter(|(m, _)| collab.is_none_or(|c| c.0 == m.collaboration_id))
            .map(|(m, _)| m.municipality_id)
            .collect();
        if collab.is_none() {
            // A municipality outside every collaboration still sees itself.
            ids.push(ctx.principal.tenant.to_string());
        }
        ids.sort();
        ids.dedup();
        let mut rows = store::municipalities(&tx, &ids).await?;
        tx.commit().await?;
        rows.sort_by(|a, b| swedish_cmp(&a.name, &b.name).then_with(|| a.id.cmp(&b.id)));
        let (rows, next_page_token) = page.slice(rows);
        Ok(pb::ListMunicipalitiesResponse {
            municipalities: rows.into_iter().map(municipality_pb).collect(),
            next_page_token,
        })
    }

    pub async fn get_municipality(
        &self,
        ctx: &RequestContext,
        req: pb::GetMunicipalityRequest,
    ) -> Result<pb::GetMunicipalityResponse, ApiError> {
        let visible = ctx.principal.tenant.as_str() == req.id
            || ctx.scope.peers.iter().any(|p| p.as_str() == req.id);
        if !visible {
            return Err(ApiError::not_found("municipality", req.id));
        }
        let tx = self.read(ctx).await?;
        let m = store::find_municipality(&tx, &req.id)
            .await?
            .ok_or_else(|| ApiError::not_found("municipality", &req.id))?;
        tx.commit().await?;
        Ok(pb::GetMunicipalityResponse {
            municipality: Some(municipality_pb(m)),
        })
    }

    pub async fn create_municipality(
        &self,
        ctx: &RequestContext,
        req: pb::CreateMunicipalityRequest,
    ) -> Result<pb::CreateMunicipalityResponse, ApiError> {
        let m = req.municipality.clone().unwrap_or_default();
        server_set("municipality.create_time", m.create_time.is_some())?;
        server_set("municipality.etag", !m.etag.is_empty())?;
        let id = TenantId::parse(&m.id)
            .map_err(|e| ApiError::invalid_field("municipality.id", e.to_string()))?;
        let name = required_line("municipality.name", &m.name, 200)?;
        let org = organisation_number("municipality.organisation_number", &m.organisation_number)?;
        let collab = collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let joined_on = convert::date("joined_on", req.joined_on.as_ref())?;
        let decision = convert::decision_ref("decision_ref", &req.decision_ref)?;

        let tx = self.write(ctx).await?;
        authz::require(&tx, collab, "members.manage", &Target::default()).await?;
        let replay = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(_) => true,
            Claim::New => false,
        };
        if !replay {
            let existing = store::find_municipality(&tx, id.as_str()).await?;
            if existing.is_none() {
                store::insert_municipality(&tx, &id, &name, &org).await?;
            }
            let members = store::members(&tx, collab, None).await?;
            let own = members
                .iter()
                .filter(|(mm, _)| mm.municipality_id == id.as_str())
                .map(|(mm, _)| (mm.joined_on, mm.left_on));
            membership::may_join(id.as_str(), own, joined_on)
                .map_err(|r| r.on(format!("municipalities/{id}")))?;
            store::insert_membership(&tx, collab, &id, joined_on).await?;
            tx.finish_request(&req.request_id, &format!("municipalities/{id}"))
                .await?;
        }
        let municipality = store::find_municipality(&tx, id.as_str())
            .await?
            .ok_or_else(|| ApiError::internal("municipality vanished after create"))?;
        let membership = store::members(&tx, collab, None)
            .await?
            .into_iter()
            .rev()
            .find(|(mm, _)| mm.municipality_id == id.as_str())
            .ok_or_else(|| ApiError::internal("membership vanished after create"))?;
        tx.commit().await?;
        tracing::info!(municipality = %id, %decision, "member municipality added");
        Ok(pb::CreateMunicipalityResponse {
            municipality: Some(municipality_pb(municipality)),
            membership: Some(membership_pb(membership)),
        })
    }

    pub async fn update_municipality(
        &self,
        ctx: &RequestContext,
        req: pb::UpdateMunicipalityRequest,
    ) -> Result<pb::UpdateMunicipalityResponse, ApiError> {
        let m = req.municipality.clone().unwrap_or_default();
        convert::municipality_id("municipality.id", &m.id)?;
        let name = required_line("municipality.name", &m.name, 200)?;
        let org = organisation_number("municipality.organisation_number", &m.organisation_number)?;
        let etag = required_line("etag", &req.etag, 64)?;
        if m.id != ctx.principal.tenant.as_str()
            && !ctx.scope.peers.iter().any(|p| p.as_str() == m.id)
        {
            return Err(ApiError::not_found("municipality", m.id));
        }
        let tx = self.write(ctx).await?;
        require_any(
            &tx,
            "municipalities.update",
            &Target {
                municipality: Some(m.id.clone()),
                ..Default::default()
            },
        )
        .await?;
        let current = store::find_municipality(&tx, &m.id)
            .await?
            .ok_or_else(|| ApiError::not_found("municipality", &m.id))?;
        let updated = store::update_municipality(&tx, &current, &name, &org, &etag).await?;
        tx.commit().await?;
        Ok(pb::UpdateMunicipalityResponse {
            municipality: Some(municipality_pb(updated)),
        })
    }

    pub async fn list_collaborations(
        &self,
        ctx: &RequestContext,
        _: pb::ListCollaborationsRequest,
    ) -> Result<pb::ListCollaborationsResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let memberships = store::memberships_in_force(&tx, ctx.today)
            .await?
            .into_iter()
            .filter(|(m, _)| m.municipality_id == ctx.principal.tenant.as_str())
            .map(membership_pb)
            .collect();
        tx.commit().await?;
        Ok(pb::ListCollaborationsResponse { memberships })
    }

    pub async fn get_collaboration(
        &self,
        ctx: &RequestContext,
        req: pb::GetCollaborationRequest,
    ) -> Result<pb::GetCollaborationResponse, ApiError> {
        let id = collaboration(ctx, "id", &req.id)?;
        let tx = self.read(ctx).await?;
        let c = store::find_collaboration(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("collaboration", &req.id))?;
        tx.commit().await?;
        Ok(pb::GetCollaborationResponse {
            collaboration: Some(convert::collaboration_pb(c)),
        })
    }

    pub async fn update_collaboration(
        &self,
        ctx: &RequestContext,
        req: pb::UpdateCollaborationRequest,
    ) -> Result<pb::UpdateCollaborationResponse, ApiError> {
        let c = req.collaboration.clone().unwrap_or_default();
        let id = collaboration(ctx, "collaboration.id", &c.id)?;
        let name = required_line("collaboration.name", &c.name, 200)?;
        let etag = required_line("etag", &req.etag, 64)?;
        let tx = self.write(ctx).await?;
        authz::require(&tx, id, "members.manage", &Target::default()).await?;
        let current = store::find_collaboration(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("collaboration", &c.id))?;
        let updated = store::rename_collaboration(&tx, &current, &name, &etag).await?;
        tx.commit().await?;
        Ok(pb::UpdateCollaborationResponse {
            collaboration: Some(convert::collaboration_pb(updated)),
        })
    }

    pub async fn list_members(
        &self,
        ctx: &RequestContext,
        req: pb::ListMembersRequest,
    ) -> Result<pb::ListMembersResponse, ApiError> {
        let collab = collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let on = if req.include_history {
            None
        } else {
            Some(convert::opt_date("on", req.on.as_ref())?.unwrap_or(ctx.today))
        };
        let tx = self.read(ctx).await?;
        let rows = store::members(&tx, collab, on).await?;
        tx.commit().await?;
        Ok(pb::ListMembersResponse {
            memberships: rows.into_iter().map(membership_pb).collect(),
        })
    }

    pub async fn end_membership(
        &self,
        ctx: &RequestContext,
        req: pb::EndMembershipRequest,
    ) -> Result<pb::EndMembershipResponse, ApiError> {
        let collab = collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        convert::municipality_id("municipality_id", &req.municipality_id)?;
        let left_on = convert::date("left_on", req.left_on.as_ref())?;
        let decision = convert::decision_ref("decision_ref", &req.decision_ref)?;
        let tx = self.write(ctx).await?;
        authz::require(&tx, collab, "members.manage", &Target::default()).await?;
        let (current, _) = store::members(&tx, collab, None)
            .await?
            .into_iter()
            .rev()
            .find(|(m, _)| m.municipality_id == req.municipality_id)
            .ok_or_else(|| ApiError::not_found("membership", &req.municipality_id))?;
        membership::may_end(current.left_on)
            .map_err(|r| r.on(format!("municipalities/{}", req.municipality_id)))?;
        if left_on < current.joined_on {
            return Err(ApiError::invalid_field(
                "left_on",
                "must not be before the day the municipality joined",
            ));
        }
        store::end_membership(&tx, &current, left_on, &decision).await?;
        let (ended_assignments, ended_seats) =
            end_leavers_organisation(&tx, collab, &current, left_on).await?;
        let row = store::members(&tx, collab, None)
            .await?
            .into_iter()
            .find(|(m, _)| m.id == current.id)
            .ok_or_else(|| ApiError::internal("membership vanished"))?;
        tx.commit().await?;
        tracing::info!(
            municipality = %req.municipality_id, %left_on, %decision,
            assignments = ended_assignments.len(), seats = ended_seats.len(),
            "membership ended"
        );
        Ok(pb::EndMembershipResponse {
            membership: Some(membership_pb(row)),
            ended_assignments: ended_assignments.into_iter().map(assignment_pb).collect(),
            ended_seats: ended_seats.into_iter().map(seat_pb).collect(),
        })
    }

    pub async fn list_people(
        &self,
        ctx: &RequestContext,
        req: pb::ListPeopleRequest,
    ) -> Result<pb::ListPeopleResponse, ApiError> {
        let page = Page::parse(req.page_size, &req.page_token, &req.municipality_id)?;
        let filter = (!req.municipality_id.is_empty()).then_some(req.municipality_id.as_str());
        if let Some(m) = filter
            && m != ctx.principal.tenant.as_str()
            && !ctx.scope.peers.iter().any(|p| p.as_str() == m)
        {
            return Err(ApiError::not_found("municipality", m));
        }
        let tx = self.read(ctx).await?;
        let mut rows = store::people(&tx, filter).await?;
        tx.commit().await?;
        rows.sort_by(|a, b| {
            swedish_cmp(&a.display_name, &b.display_name).then_with(|| a.id.cmp(&b.id))
        });
        let (rows, next_page_token) = page.slice(rows);
        Ok(pb::ListPeopleResponse {
            people: rows.into_iter().map(person_pb).collect(),
            next_page_token,
        })
    }

    pub async fn get_person(
        &self,
        ctx: &RequestContext,
        req: pb::GetPersonRequest,
    ) -> Result<pb::GetPersonResponse, ApiError> {
        let id = convert::uuid("id", &req.id)?;
        let tx = self.read(ctx).await?;
        let p = store::find_person(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("person", &req.id))?;
        tx.commit().await?;
        Ok(pb::GetPersonResponse {
            person: Some(person_pb(p)),
        })
    }

    pub async fn create_person(
        &self,
        ctx: &RequestContext,
        req: pb::CreatePersonRequest,
    ) -> Result<pb::CreatePersonResponse, ApiError> {
        let p = req.person.clone().unwrap_or_default();
        server_set("person.id", !p.id.is_empty())?;
        server_set("person.create_time", p.create_time.is_some())?;
        server_set("person.etag", !p.etag.is_empty())?;
        let name = required_line("person.display_name", &p.display_name, 200)?;
        let mail = email("person.email", &p.email)?;
        let subject = if p.subject.trim().is_empty() {
            mail.clone()
        } else {
            required_line("person.subject", &p.subject, 254)?
        };
        let new = NewPerson {
            name,
            mail,
            subject,
        };
        if !p.municipality_id.is_empty() && p.municipality_id != ctx.principal.tenant.as_str() {
            let municipality = TenantId::parse(&p.municipality_id)
                .map_err(|e| ApiError::invalid_field(PERSON_MUNICIPALITY, e.to_string()))?;
            return self.onboard_person(ctx, &req, municipality, new).await;
        }
        let tx = self.write(ctx).await?;
        require_any(
            &tx,
            "people.manage",
            &Target {
                municipality: Some(ctx.principal.tenant.to_string()),
                ..Default::default()
            },
        )
        .await?;
        let person = register_person(&tx, &req, &new, None).await?;
        tx.commit().await?;
        Ok(pb::CreatePersonResponse {
            person: Some(person_pb(person)),
        })
    }

    /// `CreatePerson` for another member municipality: a collaboration
    /// administrator registering its first administrator
    /// (`members.onboard`). Checked in the caller's scope; written in a
    /// transaction scoped to the new member alone, since its people are
    /// private to it (on PostgreSQL the `people` policy admits the row only
    /// there). That transaction sees the new member's own rows and the one
    /// collaboration, re-reads what the decision rested on, and writes the
    /// person, its audit entry (in the new member's chain, naming the
    /// administrator and their municipality) and the idempotency key.
    async fn onboard_person(
        &self,
        ctx: &RequestContext,
        req: &pb::CreatePersonRequest,
        municipality: TenantId,
        new: NewPerson,
    ) -> Result<pb::CreatePersonResponse, ApiError> {
        let home = ctx.principal.tenant.clone();
        let tx = self.read(ctx).await?;
        // The collaborations of the caller's that the municipality belongs
        // or belonged to; another collaboration's members stay unknown.
        let mut candidates: Vec<CollaborationId> = Vec::new();
        for c in ctx.scope.collaborations.clone() {
            if store::members(&tx, c, None)
                .await?
                .iter()
                .any(|(m, _)| m.municipality_id == municipality.as_str())
            {
                candidates.push(c);
            }
        }
        if candidates.is_empty() {
            return Err(ApiError::invalid_field(
                PERSON_MUNICIPALITY,
                format!(
                    "{municipality} is not a member municipality of your collaborations; leave it empty to register a person of {home}"
                ),
            ));
        }
        let mut granted = None;
        let mut reason = String::new();
        for c in candidates {
            let newcomer = authz::newcomer(&tx, c, municipality.as_str()).await?;
            let target = Target {
                municipality: Some(municipality.to_string()),
                newcomer: Some(newcomer.clone()),
                ..Default::default()
            };
            let d = authz::decide(&tx, c, "members.onboard", &target).await?;
            if d.allowed {
                granted = Some((c, newcomer));
                break;
            }
            reason = d.reason;
        }
        tx.commit().await?;
        let Some((collab, newcomer)) = granted else {
            tracing::info!(%municipality, %reason, "onboarding refused");
            return Err(ApiError::PermissionDenied(format!(
                "{PERSON_MUNICIPALITY} names {municipality}, not your own municipality {home}: {reason}"
            )));
        };

        let scope = TenantScope {
            tenant: municipality.clone(),
            collaborations: vec![collab],
            peers: Vec::new(),
            former: Vec::new(),
        };
        let acting = RequestContext {
            principal: Principal {
                subject: ctx.principal.subject.clone(),
                tenant: municipality.clone(),
            },
            scope,
            ..ctx.clone()
        };
        let tx = crate::store::begin_write(&self.db, &acting).await?;
        if authz::newcomer(&tx, collab, municipality.as_str()).await? != newcomer {
            return Err(ApiError::Conflict(
                "the new member's administrators changed while the request was checked; nothing was saved".into(),
            ));
        }
        let person = register_person(&tx, req, &new, Some(home.as_str())).await?;
        tx.commit().await?;
        tracing::info!(%municipality, person = %person.id, "first administrator registered");
        Ok(pb::CreatePersonResponse {
            person: Some(person_pb(person)),
        })
    }

    pub async fn update_person(
        &self,
        ctx: &RequestContext,
        req: pb::UpdatePersonRequest,
    ) -> Result<pb::UpdatePersonResponse, ApiError> {
        let p = req.person.clone().unwrap_or_default();
        let id = convert::uuid("person.id", &p.id)?;
        let name = required_line("person.display_name", &p.display_name, 200)?;
        let mail = email("person.email", &p.email)?;
        let etag = required_line("etag", &req.etag, 64)?;
        let tx = self.write(ctx).await?;
        let current = store::find_person(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("person", &p.id))?;
        // Peers read each other's people; only the employer changes them,
        // whatever IT-department role the caller holds.
        if current.owner_tenant != ctx.principal.tenant.as_str() {
            return Err(ApiError::PermissionDenied(
                "a person is registered and changed by their own municipality".into(),
            ));
        }
        if !p.municipality_id.is_empty() && p.municipality_id != current.owner_tenant {
            return Err(ApiError::invalid_field(
                PERSON_MUNICIPALITY,
                "a person cannot move to another municipality; register them there",
            ));
        }
        // Linking the person to their identity provider's stable id (e.g.
        // Entra ID's `oid` instead of an e-mail address) is this explicit,
        // audited act of the municipality's administrator; empty keeps it.
        let subject = if p.subject.trim().is_empty() {
            current.subject.clone()
        } else {
            required_line("person.subject", &p.subject, 254)?
        };
        require_any(
            &tx,
            "people.manage",
            &Target {
                municipality: Some(current.owner_tenant.clone()),
                ..Default::default()
            },
        )
        .await?;
        if subject != current.subject && store::person_by_subject(&tx, &subject).await?.is_some() {
            return Err(ApiError::AlreadyExists(format!(
                "another person of {} signs in as {subject}",
                current.owner_tenant
            )));
        }
        let updated = store::update_person(&tx, &current, &name, &mail, &subject, &etag).await?;
        tx.commit().await?;
        Ok(pb::UpdatePersonResponse {
            person: Some(person_pb(updated)),
        })
    }
}

/// A validated new person.
struct NewPerson {
    name: String,
    mail: String,
    subject: String,
}

/// Registers `new` in the transaction's own municipality, or returns the
/// person a retry of the same request registered.
async fn register_person(
    tx: &Tx,
    req: &pb::CreatePersonRequest,
    new: &NewPerson,
    onboarded_by: Option<&str>,
) -> Result<person::Model, ApiError> {
    match tx
        .claim_request(&req.request_id, &req.encode_to_vec())
        .await?
    {
        Claim::Replay(resource) => {
            let id = resource
                .trim_start_matches("people/")
                .parse()
                .map_err(ApiError::internal_from)?;
            store::find_person(tx, id)
                .await?
                .ok_or_else(|| ApiError::internal("replayed person vanished"))
        }
        Claim::New => {
            if store::person_by_subject(tx, &new.subject).await?.is_some() {
                return Err(ApiError::AlreadyExists(format!(
                    "a person with subject {:?} is already registered in this municipality",
                    new.subject
                )));
            }
            let created =
                store::insert_person(tx, &new.name, &new.mail, &new.subject, onboarded_by).await?;
            tx.finish_request(&req.request_id, &format!("people/{}", created.id))
                .await?;
            Ok(created)
        }
    }
}

/// Leaving is onboarding in reverse: the leaver's role assignments in the
/// collaboration (held in the municipality, or by its people) and its
/// people's explicit seats end on the leave date, in the membership's own
/// transaction, in a constant number of statements however many there
/// are, with one audit entry on the membership naming them. Those that
/// already end by then are left as they are; so are those that only begin
/// after it: nothing is allowed to a person of a non-member, and a
/// municipal role counts in a forum's composition only while its
/// municipality is a member.
async fn end_leavers_organisation(
    tx: &Tx,
    collab: CollaborationId,
    membership: &store::membership::Model,
    left_on: chrono::NaiveDate,
) -> Result<(Vec<store::assignment::Model>, Vec<store::seat::Model>), ApiError> {
    let municipality = membership.municipality_id.as_str();
    let people: Vec<uuid::Uuid> = store::people(tx, Some(municipality))
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let (assignments, seats) = store::held_past(tx, collab, municipality, &people, left_on).await?;
    let (assignments, seats) = store::end_held(tx, membership, assignments, seats, left_on).await?;
    Ok((assignments, seats))
}
