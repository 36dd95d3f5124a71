//! The RPCs of the agreements service.

use chrono::NaiveDate;
use prost::Message as _;
use samverkan_core::fields::{caller_set, server_set};
use samverkan_core::paging::Page;
use samverkan_core::text::required_line;
use samverkan_core::{ApiError, CollaborationId, RequestContext};
use samverkan_db::Tx;
use samverkan_db::idempotency::Claim;
use samverkan_proto::agreements::v1 as pb;
use serde_json::json;

use super::convert::{self, agreement_pb, proposal_pb, revision_pb, version_pb};
use super::{Handlers, permission};
use crate::SERVICE;
use crate::domain::document::{self, ProposalState, VersionStatus};
use crate::domain::revision::{Change, Phase, consolidate, may_record_approval};
use crate::domain::text;
use crate::jobs::{self, DECISION_REQUESTED};
use crate::store::{self, agreement, approval, proposal, revision, version};

const MAX_TEXT: usize = 200_000;

fn long_text(field: &str, s: &str, required: bool) -> Result<String, ApiError> {
    samverkan_core::text::multiline(field, s, MAX_TEXT, required)
}

/// A version's link (a URL or a reference such as a diarienummer):
/// optional, one line.
fn link_line(field: &str, s: &str) -> Result<String, ApiError> {
    if s.trim().is_empty() {
        return Ok(String::new());
    }
    required_line(field, s, 2000)
}

/// The collaboration named in `collaboration_id`, or the caller's only one.
fn only_collaboration(ctx: &RequestContext, requested: &str) -> Result<CollaborationId, ApiError> {
    samverkan_core::fields::collaboration(ctx, "collaboration_id", requested)
}

fn phase_of(r: &revision::Model) -> Result<Phase, ApiError> {
    Phase::parse(&r.phase).ok_or_else(|| ApiError::internal(format!("stored phase {:?}", r.phase)))
}

fn in_phase(r: &revision::Model, allowed: &[Phase], what: &str) -> Result<(), ApiError> {
    phase_of(r)?
        .allows(allowed, what)
        .map_err(|e| e.on(format!("revisions/{}", r.id)))
}

fn version_status(v: &version::Model) -> Result<VersionStatus, ApiError> {
    VersionStatus::parse(&v.status)
        .ok_or_else(|| ApiError::internal(format!("stored version status {:?}", v.status)))
}

fn proposal_state(p: &proposal::Model) -> Result<ProposalState, ApiError> {
    ProposalState::parse(&p.state)
        .ok_or_else(|| ApiError::internal(format!("stored proposal state {:?}", p.state)))
}

async fn visible_revision(tx: &Tx, field: &str, id: &str) -> Result<revision::Model, ApiError> {
    let uuid = convert::uuid(field, id)?;
    store::find_revision(tx, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("revision", id))
}

async fn visible_version(tx: &Tx, field: &str, id: &str) -> Result<version::Model, ApiError> {
    let uuid = convert::uuid(field, id)?;
    store::find_version(tx, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("version", id))
}

/// What a draft's link is made of ([`Handlers::link`]).
#[derive(Debug, PartialEq)]
struct LinkFrom {
    kind: String,
    collaboration: CollaborationId,
    effective_from: NaiveDate,
    given: String,
}

/// The inputs of the link of the draft consolidated from `base` in `r`.
async fn link_from(
    tx: &Tx,
    r: &revision::Model,
    base: &version::Model,
) -> Result<LinkFrom, ApiError> {
    let kind = store::find_agreement(tx, r.agreement_id)
        .await?
        .map(|a| a.kind)
        .unwrap_or_default();
    Ok(LinkFrom {
        kind,
        collaboration: CollaborationId(r.collaboration_id),
        effective_from: r.effective_from,
        given: base.link.clone(),
    })
}

/// The answer another service gave before the write transaction began, if
/// it was asked about what the write transaction read (`None` if not):
/// otherwise `what` changed meanwhile, nothing is saved and the unit of work
/// is rerun ([`ApiError::Conflict`]).
fn asked<T>(answer: Option<Result<T, ApiError>>, what: &str) -> Result<T, ApiError> {
    answer.unwrap_or_else(|| {
        Err(ApiError::Conflict(format!(
            "{what} changed while other services were asked; nothing was saved, try again"
        )))
    })
}

impl Handlers {
    pub async fn create_agreement(
        &self,
        ctx: &RequestContext,
        req: pb::CreateAgreementRequest,
    ) -> Result<pb::CreateAgreementResponse, ApiError> {
        let v = req.version.clone().unwrap_or_default();
        server_set("version.id", !v.id.is_empty())?;
        server_set("version.agreement_id", !v.agreement_id.is_empty())?;
        server_set("version.number", v.number != 0)?;
        server_set("version.status", v.status != 0)?;
        server_set("version.decision_ids", !v.decision_ids.is_empty())?;
        if !v.changelog.is_empty() {
            return Err(ApiError::invalid_field(
                "version.changelog",
                "a first version changes no earlier one; leave it empty",
            ));
        }
        server_set("version.create_time", v.create_time.is_some())?;
        server_set("version.etag", !v.etag.is_empty())?;
        let kind = convert::kind_from_pb(req.kind)?;
        let title = required_line("title", &req.title, 200)?;
        let body = long_text("version.text", &v.text, true)?;
        let effective_from = convert::date("version.effective_from", v.effective_from.as_ref())?;
        let next_review = v
            .next_review_on
            .as_ref()
            .map(|d| samverkan_core::dates::from_proto(d, "version.next_review_on"))
            .transpose()?;
        if next_review.is_some_and(|n| n < effective_from) {
            return Err(ApiError::invalid_field(
                "version.next_review_on",
                "must not be before version.effective_from",
            ));
        }
        let link = link_line("version.link", &v.link)?;
        let collab = only_collaboration(ctx, "")?;
        self.require(ctx, "agreements.revise", collab, None).await?;
        let link = self.link(ctx, kind, collab, effective_from, &link).await?;
        let tx = self.write(ctx).await?;
        let agreement_id = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                convert::uuid("id", resource.trim_start_matches("agreements/"))?
            }
            Claim::New => {
                let now = store::now();
                let a = agreement::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: collab.0,
                    kind: kind.into(),
                    title: title.clone(),
                    create_time: now,
                };
                let a = store::insert(
                    &tx,
                    format!("agreements/{}", a.id),
                    agreement::ActiveModel::from(a),
                    json!({"create": {"kind": kind, "title": title}}),
                )
                .await?;
                let first = version::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: collab.0,
                    agreement_id: a.id,
                    number: 1,
                    text: text::render(&text::parse(&body)),
                    status: VersionStatus::InForce.as_str().into(),
                    effective_from: Some(effective_from),
                    next_review_on: next_review,
                    decision_ids: String::new(),
                    changelog: String::new(),
                    link,
                    based_on_version_id: None,
                    create_time: now,
                    update_time: now,
                    etag: store::new_etag(),
                };
                store::insert(
                    &tx,
                    format!("versions/{}", first.id),
                    version::ActiveModel::from(first),
                    json!({"create": {"number": 1, "in_force_from": effective_from}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("agreements/{}", a.id))
                    .await?;
                a.id
            }
        };
        let a = store::find_agreement(&tx, agreement_id)
            .await?
            .ok_or_else(|| ApiError::internal("agreement vanished"))?;
        let first = store::versions_of(&tx, &[a.id])
            .await?
            .into_iter()
            .last()
            .ok_or_else(|| ApiError::internal("first version vanished"))?;
        tx.commit().await?;
        Ok(pb::CreateAgreementResponse {
            agreement: Some(agreement_pb(a, Some(first.clone()))),
            version: Some(version_pb(first, true)),
        })
    }

    pub async fn list_agreements(
        &self,
        ctx: &RequestContext,
        req: pb::ListAgreementsRequest,
    ) -> Result<pb::ListAgreementsResponse, ApiError> {
        let collab = only_collaboration(ctx, &req.collaboration_id)?;
        let tx = self.read(ctx).await?;
        let all = store::agreements(&tx, collab.0).await?;
        let versions =
            store::versions_of(&tx, &all.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
        tx.commit().await?;
        let agreements = all
            .into_iter()
            .map(|a| {
                let current = versions
                    .iter()
                    .find(|v| v.agreement_id == a.id && v.status == VersionStatus::InForce.as_str())
                    .cloned();
                agreement_pb(a, current)
            })
            .collect();
        Ok(pb::ListAgreementsResponse { agreements })
    }

    pub async fn get_version(
        &self,
        ctx: &RequestContext,
        req: pb::GetVersionRequest,
    ) -> Result<pb::GetVersionResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let v = visible_version(&tx, "id", &req.id).await?;
        tx.commit().await?;
        Ok(pb::GetVersionResponse {
            version: Some(version_pb(v, true)),
        })
    }

    pub async fn list_versions(
        &self,
        ctx: &RequestContext,
        req: pb::ListVersionsRequest,
    ) -> Result<pb::ListVersionsResponse, ApiError> {
        let id = convert::uuid("agreement_id", &req.agreement_id)?;
        let tx = self.read(ctx).await?;
        store::find_agreement(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("agreement", &req.agreement_id))?;
        let versions = store::versions_of(&tx, &[id]).await?;
        tx.commit().await?;
        Ok(pb::ListVersionsResponse {
            versions: versions.into_iter().map(|v| version_pb(v, false)).collect(),
        })
    }

    pub async fn update_version(
        &self,
        ctx: &RequestContext,
        req: pb::UpdateVersionRequest,
    ) -> Result<pb::UpdateVersionResponse, ApiError> {
        let v = req.version.clone().unwrap_or_default();
        let body = long_text("version.text", &v.text, true)?;
        let changelog = long_text("version.changelog", &v.changelog, false)?;
        let link = link_line("version.link", &v.link)?;
        let etag = required_line("etag", &req.etag, 64)?;
        let (tx, current) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let current = visible_version(&tx, "version.id", &v.id).await?;
                    let collab = CollaborationId(current.collaboration_id);
                    let check = permission("agreements.revise", collab, None);
                    Ok((tx, current, vec![check]))
                })
            })
            .await?;
        version_status(&current)?
            .may_edit_text()
            .map_err(|e| e.on(format!("versions/{}", current.id)))?;
        let change =
            json!({"update": {"text_sha_len": body.len(), "changelog": changelog, "link": link}});
        let updated = version::Model {
            text: text::render(&text::parse(&body)),
            changelog,
            link,
            update_time: store::now(),
            ..current
        };
        let saved = store::save_version(&tx, updated, &etag, change).await?;
        tx.commit().await?;
        Ok(pb::UpdateVersionResponse {
            version: Some(version_pb(saved, true)),
        })
    }

    pub async fn diff_versions(
        &self,
        ctx: &RequestContext,
        req: pb::DiffVersionsRequest,
    ) -> Result<pb::DiffVersionsResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let from = visible_version(&tx, "from_version_id", &req.from_version_id).await?;
        let to = visible_version(&tx, "to_version_id", &req.to_version_id).await?;
        tx.commit().await?;
        let (old, new) = (text::parse(&from.text), text::parse(&to.text));
        let changes = text::diff(&old, &new);
        let count = |f: fn(&text::SectionChange) -> bool| {
            i32::try_from(changes.iter().filter(|c| f(c)).count()).unwrap_or(i32::MAX)
        };
        Ok(pb::DiffVersionsResponse {
            markdown: text::render_diff(&old, &new),
            added: count(|c| matches!(c, text::SectionChange::Added { .. })),
            removed: count(|c| matches!(c, text::SectionChange::Removed { .. })),
            moved: count(|c| matches!(c, text::SectionChange::Moved { .. })),
            edited: count(|c| matches!(c, text::SectionChange::Edited { .. })),
        })
    }

    pub async fn open_revision(
        &self,
        ctx: &RequestContext,
        req: pb::OpenRevisionRequest,
    ) -> Result<pb::OpenRevisionResponse, ApiError> {
        let agreement_id = convert::uuid("agreement_id", &req.agreement_id)?;
        if !(2000..=9999).contains(&req.year) {
            return Err(ApiError::invalid_field("year", "must be a year"));
        }
        if req.phase_ends.len() != 5 {
            return Err(ApiError::invalid_field(
                "phase_ends",
                "give the last day of each of the five phases, in order",
            ));
        }
        let mut ends = Vec::with_capacity(5);
        for (i, d) in req.phase_ends.iter().enumerate() {
            ends.push(samverkan_core::dates::from_proto(
                d,
                &format!("phase_ends[{i}]"),
            )?);
        }
        if ends.windows(2).any(|w| w[1] < w[0]) {
            return Err(ApiError::invalid_field(
                "phase_ends",
                "must not go backwards",
            ));
        }
        let effective_from = convert::date("effective_from", req.effective_from.as_ref())?;
        if ends.last().is_some_and(|last| effective_from <= *last) {
            return Err(ApiError::invalid_field(
                "effective_from",
                "must be after the last day of the approvals phase (phase_ends[4])",
            ));
        }
        let (tx, a) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let a = store::find_agreement(&tx, agreement_id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("agreement", &req.agreement_id))?;
                    let collab = CollaborationId(a.collaboration_id);
                    let check = permission("agreements.revise", collab, None);
                    Ok((tx, a, vec![check]))
                })
            })
            .await?;
        let id = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                convert::uuid("id", resource.trim_start_matches("revisions/"))?
            }
            Claim::New => {
                let versions = store::versions_of(&tx, &[a.id]).await?;
                let base = document::in_force(&versions, |v| &v.status)
                    .map_err(|e| e.on(format!("agreements/{}", a.id)))?;
                let now = store::now();
                let r = revision::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: a.collaboration_id,
                    agreement_id: a.id,
                    year: req.year,
                    base_version_id: base.id,
                    draft_version_id: None,
                    phase: Phase::Proposals.as_str().into(),
                    phase_ends: ends
                        .iter()
                        .map(NaiveDate::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    effective_from,
                    decision_id: None,
                    create_time: now,
                    update_time: now,
                    etag: store::new_etag(),
                };
                let change = json!({"open": {"year": r.year, "phase_ends": r.phase_ends, "effective_from": effective_from}});
                let created = store::insert(
                    &tx,
                    format!("revisions/{}", r.id),
                    revision::ActiveModel::from(r),
                    change,
                )
                .await
                .map_err(|e| match e {
                    ApiError::AlreadyExists(_) => ApiError::AlreadyExists(format!(
                        "{} already has a revision for {}",
                        a.title, req.year
                    )),
                    other => other,
                })?;
                tx.finish_request(&req.request_id, &format!("revisions/{}", created.id))
                    .await?;
                created.id
            }
        };
        let r = store::find_revision(&tx, id)
            .await?
            .ok_or_else(|| ApiError::internal("revision vanished"))?;
        tx.commit().await?;
        Ok(pb::OpenRevisionResponse {
            revision: Some(self.revision_view(ctx, r).await?),
        })
    }

    /// A revision with the members that must approve and their approvals.
    async fn revision_view(
        &self,
        ctx: &RequestContext,
        r: revision::Model,
    ) -> Result<pb::Revision, ApiError> {
        let members = self
            .roles
            .members_on(ctx, &r.collaboration_id.to_string(), r.effective_from)
            .await?;
        let tx = self.read(ctx).await?;
        let approvals = store::approvals(&tx, r.id).await?;
        tx.commit().await?;
        Ok(revision_pb(r, ctx.today, &members, approvals))
    }

    pub async fn get_revision(
        &self,
        ctx: &RequestContext,
        req: pb::GetRevisionRequest,
    ) -> Result<pb::GetRevisionResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let r = visible_revision(&tx, "id", &req.id).await?;
        tx.commit().await?;
        Ok(pb::GetRevisionResponse {
            revision: Some(self.revision_view(ctx, r).await?),
        })
    }

    /// A document's revisions, newest year first. Like `GetRevision` they are
    /// the collaboration's; the members' approvals (where a municipality's
    /// draft is its own) are left to `GetRevision`, so a page is one query.
    pub async fn list_revisions(
        &self,
        ctx: &RequestContext,
        req: pb::ListRevisionsRequest,
    ) -> Result<pb::ListRevisionsResponse, ApiError> {
        let id = convert::uuid("agreement_id", &req.agreement_id)?;
        let page = Page::parse(req.page_size, &req.page_token, &id.to_string())?;
        let tx = self.read(ctx).await?;
        store::find_agreement(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("agreement", &req.agreement_id))?;
        let mut rows = store::revisions_of(&tx, id, page.offset, page.fetch_limit()).await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListRevisionsResponse {
            revisions: rows
                .into_iter()
                .map(|r| revision_pb(r, ctx.today, &[], Vec::new()))
                .collect(),
            next_page_token,
        })
    }

    pub async fn advance_revision(
        &self,
        ctx: &RequestContext,
        req: pb::AdvanceRevisionRequest,
    ) -> Result<pb::AdvanceRevisionResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        // Going to the decision needs the collaboration's forums, going into
        // force its members on the effective date: asked of the roles service
        // with the permission, before the write transaction begins
        // (samverkan_db::check; rerun if the phase, collaboration or date
        // changed meanwhile).
        let (tx, r, (forums, members)) = self
            .db
            .check_then_write(
                ctx,
                SERVICE,
                |tx| {
                    Box::pin(async {
                        let r = visible_revision(&tx, "id", &req.id).await?;
                        let collab = CollaborationId(r.collaboration_id);
                        let check = permission("agreements.revise", collab, None);
                        let inputs = (check, r.phase.clone(), r.collaboration_id, r.effective_from);
                        Ok((tx, r, inputs))
                    })
                },
                |(check, phase, collab, effective)| {
                    Box::pin(async move {
                        self.roles.require(ctx, check).await?;
                        let collab = collab.to_string();
                        let ahead = Phase::parse(&phase).and_then(Phase::next);
                        let forums = match ahead {
                            Some(Phase::Decision) => {
                                Some(self.roles.list_forums(ctx, &collab).await?)
                            }
                            _ => None,
                        };
                        let members = match ahead {
                            Some(Phase::InForce) => {
                                Some(self.roles.members_on(ctx, &collab, effective).await?)
                            }
                            _ => None,
                        };
                        Ok((forums, members))
                    })
                },
            )
            .await?;
        let collab = CollaborationId(r.collaboration_id);
        let phase = phase_of(&r)?;
        let next = phase
            .advance(r.draft_version_id.is_some(), r.decision_id.is_some())
            .map_err(|e| e.on(format!("revisions/{}", r.id)))?;
        match next {
            Phase::ForumReview => {
                let draft = r
                    .draft_version_id
                    .ok_or_else(|| ApiError::internal("forum review without a draft"))?;
                let v = store::find_version(&tx, draft)
                    .await?
                    .ok_or_else(|| ApiError::internal("draft version vanished"))?;
                store::save_version(
                    &tx,
                    version::Model {
                        status: VersionStatus::InReview.as_str().into(),
                        ..v
                    },
                    "",
                    json!({"status": "in_review"}),
                )
                .await?;
            }
            Phase::Decision => {
                // IT-styrgruppen gets the item on its backlog through the outbox.
                let forums = forums.ok_or_else(|| ApiError::internal("forums not asked"))?;
                let styrgruppen = forums
                    .iter()
                    .find(|f| f.reports_to_forum_id.is_empty())
                    .ok_or_else(|| ApiError::internal("no top forum"))?;
                let a = store::find_agreement(&tx, r.agreement_id)
                    .await?
                    .ok_or_else(|| ApiError::internal("agreement vanished"))?;
                tx.enqueue(
                    collab,
                    DECISION_REQUESTED,
                    &json!({"forum_id": styrgruppen.id, "revision_id": r.id, "title": format!("Beslut: {} {} – konsoliderat förslag", a.title, r.year), "draft_version_id": r.draft_version_id}),
                )
                .await?;
            }
            Phase::Approvals => {}
            Phase::InForce => {
                let members = members.ok_or_else(|| ApiError::internal("members not asked"))?;
                let saved = jobs::activate(&tx, r, &members, ctx.today).await?;
                tx.commit().await?;
                return Ok(pb::AdvanceRevisionResponse {
                    revision: Some(self.revision_view(ctx, saved).await?),
                });
            }
            Phase::Proposals | Phase::Consolidation => {}
        }
        let saved = store::save_revision(
            &tx,
            revision::Model {
                phase: next.as_str().into(),
                update_time: store::now(),
                ..r
            },
            &etag,
            json!({"advance": next.as_str()}),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::AdvanceRevisionResponse {
            revision: Some(self.revision_view(ctx, saved).await?),
        })
    }

    pub async fn create_proposal(
        &self,
        ctx: &RequestContext,
        req: pb::CreateProposalRequest,
    ) -> Result<pb::CreateProposalResponse, ApiError> {
        let p = req.proposal.clone().unwrap_or_default();
        server_set("proposal.id", !p.id.is_empty())?;
        caller_set(
            "proposal.municipality_id",
            &p.municipality_id,
            ctx.principal.tenant.as_str(),
        )?;
        caller_set("proposal.author", &p.author, &ctx.principal.subject)?;
        server_set("proposal.state", p.state != 0)?;
        server_set(
            "proposal.resolution_reason",
            !p.resolution_reason.is_empty(),
        )?;
        server_set("proposal.accepted_text", !p.accepted_text.is_empty())?;
        server_set("proposal.create_time", p.create_time.is_some())?;
        server_set("proposal.etag", !p.etag.is_empty())?;
        let action = convert::action_from_pb(p.action)?;
        let section = required_line("proposal.section_number", &p.section_number, 20)?;
        let body = long_text("proposal.text", &p.text, action != "delete")?;
        let title = if action == "add" {
            required_line("proposal.title", &p.title, 200)?
        } else {
            String::new()
        };
        let rationale = long_text("proposal.rationale", &p.rationale, true)?;
        let own = ctx.principal.tenant.to_string();
        let (tx, r) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let r = visible_revision(&tx, "proposal.revision_id", &p.revision_id).await?;
                    let collab = CollaborationId(r.collaboration_id);
                    let check = permission("proposals.draft", collab, Some(&own));
                    Ok((tx, r, vec![check]))
                })
            })
            .await?;
        in_phase(&r, &[Phase::Proposals], "proposing changes")?;
        let base = store::find_version(&tx, r.base_version_id)
            .await?
            .ok_or_else(|| ApiError::internal("base version vanished"))?;
        if !(action == "add" && section == "0")
            && text::find(&text::parse(&base.text), &section).is_none()
        {
            return Err(ApiError::invalid_field(
                "proposal.section_number",
                format!("the version in force has no section {section}"),
            ));
        }
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => store::find_proposal(
                &tx,
                convert::uuid("id", resource.trim_start_matches("proposals/"))?,
            )
            .await?
            .ok_or_else(|| ApiError::internal("replayed proposal vanished"))?,
            Claim::New => {
                let now = store::now();
                let m = proposal::Model {
                    id: samverkan_core::new_uuid(),
                    owner_tenant: Some(own.clone()),
                    collaboration_id: None,
                    revision_id: r.id,
                    municipality: own,
                    author: ctx.principal.subject.clone(),
                    section_number: section,
                    action: action.into(),
                    title,
                    text: body,
                    rationale,
                    state: ProposalState::Draft.as_str().into(),
                    resolution_reason: String::new(),
                    accepted_text: String::new(),
                    create_time: now,
                    update_time: now,
                    etag: store::new_etag(),
                };
                let change = json!({"create": {"section": m.section_number, "action": m.action, "text": m.text, "rationale": m.rationale}});
                let created = store::insert(
                    &tx,
                    format!("proposals/{}", m.id),
                    proposal::ActiveModel::from(m),
                    change,
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("proposals/{}", created.id))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::CreateProposalResponse {
            proposal: Some(proposal_pb(stored)),
        })
    }

    pub async fn submit_proposal(
        &self,
        ctx: &RequestContext,
        req: pb::SubmitProposalRequest,
    ) -> Result<pb::SubmitProposalResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        let id = convert::uuid("id", &req.id)?;
        let (tx, (p, r)) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let p = store::find_proposal(&tx, id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("proposal", &req.id))?;
                    let r = store::find_revision(&tx, p.revision_id)
                        .await?
                        .ok_or_else(|| ApiError::internal("revision vanished"))?;
                    let collab = CollaborationId(r.collaboration_id);
                    let check = permission("proposals.draft", collab, Some(&p.municipality));
                    Ok((tx, (p, r), vec![check]))
                })
            })
            .await?;
        in_phase(&r, &[Phase::Proposals], "submitting proposals")?;
        let submitted = proposal_state(&p)?
            .submit()
            .map_err(|e| e.on(format!("proposals/{id}")))?;
        let shared = proposal::Model {
            owner_tenant: None,
            collaboration_id: Some(r.collaboration_id),
            state: submitted.as_str().into(),
            update_time: store::now(),
            ..p
        };
        let saved = store::save_proposal(&tx, shared, &etag, json!({"submit": {}})).await?;
        tx.commit().await?;
        Ok(pb::SubmitProposalResponse {
            proposal: Some(proposal_pb(saved)),
        })
    }

    pub async fn list_proposals(
        &self,
        ctx: &RequestContext,
        req: pb::ListProposalsRequest,
    ) -> Result<pb::ListProposalsResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let r = visible_revision(&tx, "revision_id", &req.revision_id).await?;
        let mut rows = store::proposals(&tx, r.id).await?;
        tx.commit().await?;
        rows.sort_by(|a, b| {
            section_key(&a.section_number)
                .cmp(&section_key(&b.section_number))
                .then(a.create_time.cmp(&b.create_time))
        });
        Ok(pb::ListProposalsResponse {
            proposals: rows.into_iter().map(proposal_pb).collect(),
        })
    }

    pub async fn resolve_proposal(
        &self,
        ctx: &RequestContext,
        req: pb::ResolveProposalRequest,
    ) -> Result<pb::ResolveProposalResponse, ApiError> {
        let outcome = match pb::ProposalState::try_from(req.outcome) {
            Ok(pb::ProposalState::Accepted) => ProposalState::Accepted,
            Ok(pb::ProposalState::AcceptedWithChanges) => ProposalState::AcceptedWithChanges,
            Ok(pb::ProposalState::Rejected) => ProposalState::Rejected,
            _ => {
                return Err(ApiError::invalid_field(
                    "outcome",
                    "must be ACCEPTED, ACCEPTED_WITH_CHANGES or REJECTED",
                ));
            }
        };
        let reason = long_text("reason", &req.reason, true)?;
        let accepted_text = long_text(
            "accepted_text",
            &req.accepted_text,
            outcome == ProposalState::AcceptedWithChanges,
        )?;
        let etag = required_line("etag", &req.etag, 64)?;
        let id = convert::uuid("id", &req.id)?;
        let (tx, (p, r)) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let p = store::find_proposal(&tx, id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("proposal", &req.id))?;
                    let r = store::find_revision(&tx, p.revision_id)
                        .await?
                        .ok_or_else(|| ApiError::internal("revision vanished"))?;
                    let collab = CollaborationId(r.collaboration_id);
                    let check = permission("agreements.revise", collab, None);
                    Ok((tx, (p, r), vec![check]))
                })
            })
            .await?;
        in_phase(
            &r,
            &[Phase::Proposals, Phase::Consolidation],
            "resolving proposals",
        )?;
        let outcome = proposal_state(&p)?
            .resolve(outcome)
            .map_err(|e| e.on(format!("proposals/{id}")))?
            .as_str();
        let resolved = proposal::Model {
            state: outcome.into(),
            resolution_reason: reason.clone(),
            accepted_text,
            update_time: store::now(),
            ..p
        };
        let saved = store::save_proposal(
            &tx,
            resolved,
            &etag,
            json!({"resolve": {"outcome": outcome, "reason": reason}}),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ResolveProposalResponse {
            proposal: Some(proposal_pb(saved)),
        })
    }

    pub async fn consolidate_revision(
        &self,
        ctx: &RequestContext,
        req: pb::ConsolidateRevisionRequest,
    ) -> Result<pb::ConsolidateRevisionResponse, ApiError> {
        // The draft's link may come from the cost model (the price list of
        // the effective year): asked before any transaction, from a first
        // read, and used only if the write transaction reads the same inputs
        // (else the unit of work is rerun). Its errors are answered where
        // they were when it was asked inside the transaction.
        let tx = self.read(ctx).await?;
        let pre = visible_revision(&tx, "id", &req.id).await?;
        let mut pre_from = None;
        if Phase::parse(&pre.phase) == Some(Phase::Consolidation)
            && let Some(base) = store::find_version(&tx, pre.base_version_id).await?
        {
            pre_from = Some(link_from(&tx, &pre, &base).await?);
        }
        tx.commit().await?;
        let asked_link = match pre_from {
            Some(from) => {
                let link = self
                    .link(
                        ctx,
                        &from.kind,
                        from.collaboration,
                        from.effective_from,
                        &from.given,
                    )
                    .await;
                Some((from, link))
            }
            None => None,
        };
        let (tx, r) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let r = visible_revision(&tx, "id", &req.id).await?;
                    let collab = CollaborationId(r.collaboration_id);
                    let check = permission("agreements.revise", collab, None);
                    Ok((tx, r, vec![check]))
                })
            })
            .await?;
        in_phase(&r, &[Phase::Consolidation], "consolidating")?;
        let base = store::find_version(&tx, r.base_version_id)
            .await?
            .ok_or_else(|| ApiError::internal("base version vanished"))?;
        let mut accepted: Vec<proposal::Model> = store::proposals(&tx, r.id)
            .await?
            .into_iter()
            .filter(|p| ProposalState::parse(&p.state).is_some_and(ProposalState::accepted))
            .collect();
        accepted.sort_by(|a, b| {
            section_key(&a.section_number)
                .cmp(&section_key(&b.section_number))
                .then(a.create_time.cmp(&b.create_time))
        });
        let changes: Vec<Change> = accepted
            .iter()
            .map(|p| {
                let body = if p.state == ProposalState::AcceptedWithChanges.as_str() {
                    p.accepted_text.clone()
                } else {
                    p.text.clone()
                };
                match p.action.as_str() {
                    "amend" => Change::Amend {
                        section: p.section_number.clone(),
                        text: body,
                    },
                    "delete" => Change::Delete {
                        section: p.section_number.clone(),
                    },
                    _ => Change::Add {
                        after: p.section_number.clone(),
                        title: p.title.clone(),
                        text: body,
                    },
                }
            })
            .collect();
        let old = text::parse(&base.text);
        let new = consolidate(&old, &changes).map_err(|e| e.on(format!("revisions/{}", r.id)))?;
        let diff = text::render_diff(&old, &new);
        let body = text::render(&new);
        let from = link_from(&tx, &r, &base).await?;
        let link = asked(
            asked_link
                .filter(|(asked, _)| *asked == from)
                .map(|(_, link)| link),
            "the revision",
        )?;
        let now = store::now();
        let draft = match r.draft_version_id {
            Some(d) => {
                let v = store::find_version(&tx, d)
                    .await?
                    .ok_or_else(|| ApiError::internal("draft vanished"))?;
                store::save_version(
                    &tx,
                    version::Model {
                        text: body,
                        changelog: diff.clone(),
                        link: link.clone(),
                        update_time: now,
                        ..v
                    },
                    "",
                    json!({"reconsolidate": {"proposals": accepted.len()}}),
                )
                .await?
            }
            None => {
                let number =
                    store::next_version_number(&tx, r.agreement_id, r.collaboration_id).await?;
                let v = version::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: r.collaboration_id,
                    agreement_id: r.agreement_id,
                    number,
                    text: body,
                    status: VersionStatus::Draft.as_str().into(),
                    effective_from: Some(r.effective_from),
                    next_review_on: base.next_review_on.map(|d| d + chrono::Months::new(12)),
                    decision_ids: String::new(),
                    changelog: diff.clone(),
                    link: link.clone(),
                    based_on_version_id: Some(base.id),
                    create_time: now,
                    update_time: now,
                    etag: store::new_etag(),
                };
                let created = store::insert(
                    &tx,
                    format!("versions/{}", v.id),
                    version::ActiveModel::from(v),
                    json!({"consolidate": {"number": number, "proposals": accepted.len()}}),
                )
                .await?;
                store::save_revision(
                    &tx,
                    revision::Model {
                        draft_version_id: Some(created.id),
                        update_time: now,
                        ..r
                    },
                    "",
                    json!({"draft": created.id}),
                )
                .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::ConsolidateRevisionResponse {
            version: Some(version_pb(draft, true)),
            diff_markdown: diff,
        })
    }

    pub async fn record_revision_decision(
        &self,
        ctx: &RequestContext,
        req: pb::RecordRevisionDecisionRequest,
    ) -> Result<pb::RecordRevisionDecisionResponse, ApiError> {
        let decision_id = convert::uuid("decision_id", &req.decision_id)?;
        let etag = required_line("etag", &req.etag, 64)?;
        // The decision must exist in the register (and be visible).
        let decision = self.decisions.get_decision(ctx, &req.decision_id).await?;
        let (tx, r) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let r = visible_revision(&tx, "id", &req.id).await?;
                    let collab = CollaborationId(r.collaboration_id);
                    let check = permission("agreements.revise", collab, None);
                    Ok((tx, r, vec![check]))
                })
            })
            .await?;
        in_phase(&r, &[Phase::Decision], "recording the decision")?;
        let draft = r
            .draft_version_id
            .ok_or_else(|| ApiError::internal("revision in decision without draft"))?;
        let v = store::find_version(&tx, draft)
            .await?
            .ok_or_else(|| ApiError::internal("draft vanished"))?;
        let ids = if v.decision_ids.is_empty() {
            decision_id.to_string()
        } else {
            format!("{},{decision_id}", v.decision_ids)
        };
        store::save_version(
            &tx,
            version::Model {
                status: VersionStatus::Decided.as_str().into(),
                decision_ids: ids,
                update_time: store::now(),
                ..v
            },
            "",
            json!({"decided": {"decision": decision_id, "at": decision.paragraph_ref}}),
        )
        .await?;
        let saved = store::save_revision(
            &tx,
            revision::Model {
                decision_id: Some(decision_id),
                update_time: store::now(),
                ..r
            },
            &etag,
            json!({"decision": decision_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::RecordRevisionDecisionResponse {
            revision: Some(self.revision_view(ctx, saved).await?),
        })
    }

    pub async fn create_approval(
        &self,
        ctx: &RequestContext,
        req: pb::CreateApprovalRequest,
    ) -> Result<pb::CreateApprovalResponse, ApiError> {
        let a = req.approval.clone().unwrap_or_default();
        server_set("approval.id", !a.id.is_empty())?;
        caller_set(
            "approval.municipality_id",
            &a.municipality_id,
            ctx.principal.tenant.as_str(),
        )?;
        caller_set(
            "approval.recorded_by",
            &a.recorded_by,
            &ctx.principal.subject,
        )?;
        server_set("approval.recorded", a.recorded)?;
        server_set("approval.create_time", a.create_time.is_some())?;
        server_set("approval.etag", !a.etag.is_empty())?;
        let body = required_line("approval.body", &a.body, 100)?;
        let paragraph_ref = required_line("approval.paragraph_ref", &a.paragraph_ref, 50)?;
        let decided_on = convert::date("approval.decided_on", a.decided_on.as_ref())?;
        let own = ctx.principal.tenant.to_string();
        let (tx, r) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let r = visible_revision(&tx, "approval.revision_id", &a.revision_id).await?;
                    let collab = CollaborationId(r.collaboration_id);
                    let check = permission("approvals.record", collab, Some(&own));
                    Ok((tx, r, vec![check]))
                })
            })
            .await?;
        in_phase(&r, &[Phase::Approvals], "recording approvals")?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => store::find_approval(
                &tx,
                convert::uuid("id", resource.trim_start_matches("approvals/"))?,
            )
            .await?
            .ok_or_else(|| ApiError::internal("replayed approval vanished"))?,
            Claim::New => {
                if store::approvals(&tx, r.id)
                    .await?
                    .iter()
                    .any(|x| x.municipality == own)
                {
                    return Err(ApiError::AlreadyExists(format!(
                        "{own} already has an approval for this revision"
                    )));
                }
                let m = approval::Model {
                    id: samverkan_core::new_uuid(),
                    owner_tenant: Some(own.clone()),
                    collaboration_id: None,
                    revision_id: r.id,
                    municipality: own,
                    body,
                    paragraph_ref,
                    decided_on,
                    recorded_by: ctx.principal.subject.clone(),
                    recorded: false,
                    create_time: store::now(),
                    etag: store::new_etag(),
                };
                let change = json!({"create": {"body": m.body, "paragraph": m.paragraph_ref, "decided_on": decided_on}});
                let created = store::insert(
                    &tx,
                    format!("approvals/{}", m.id),
                    approval::ActiveModel::from(m),
                    change,
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("approvals/{}", created.id))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::CreateApprovalResponse {
            approval: Some(convert::approval_pb(stored)),
        })
    }

    pub async fn record_approval(
        &self,
        ctx: &RequestContext,
        req: pb::RecordApprovalRequest,
    ) -> Result<pb::RecordApprovalResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        let id = convert::uuid("id", &req.id)?;
        // The members that must approve are those on the new version's
        // effective date: asked of the roles service with the permission,
        // before the write transaction (rerun if the revision's date moved).
        let (tx, (a, r), members) = self
            .db
            .check_then_write(
                ctx,
                SERVICE,
                |tx| {
                    Box::pin(async {
                        let a = store::find_approval(&tx, id)
                            .await?
                            .ok_or_else(|| ApiError::not_found("approval", &req.id))?;
                        let r = store::find_revision(&tx, a.revision_id)
                            .await?
                            .ok_or_else(|| ApiError::internal("revision vanished"))?;
                        let collab = CollaborationId(r.collaboration_id);
                        let check = permission("approvals.record", collab, Some(&a.municipality));
                        let inputs = (check, r.collaboration_id, r.effective_from);
                        Ok((tx, (a, r), inputs))
                    })
                },
                |(check, collab, effective)| {
                    Box::pin(async move {
                        self.roles.require(ctx, check).await?;
                        self.roles
                            .members_on(ctx, &collab.to_string(), effective)
                            .await
                    })
                },
            )
            .await?;
        in_phase(&r, &[Phase::Approvals], "recording approvals")?;
        may_record_approval(a.recorded).map_err(|e| e.on(format!("approvals/{id}")))?;
        let recorded = approval::Model {
            owner_tenant: None,
            collaboration_id: Some(r.collaboration_id),
            recorded: true,
            recorded_by: ctx.principal.subject.clone(),
            ..a
        };
        let saved = store::save_approval(&tx, recorded, &etag, json!({"record": {}})).await?;
        // The approval that completes the set puts the new version into
        // force when its date has come; otherwise the revision waits for
        // the missing approvals or for the date, as the response shows.
        let revision = match jobs::activate(&tx, r.clone(), &members, ctx.today).await {
            Ok(in_force) => in_force,
            Err(ApiError::FailedPrecondition { .. }) => r,
            Err(e) => return Err(e),
        };
        tx.commit().await?;
        Ok(pb::RecordApprovalResponse {
            approval: Some(convert::approval_pb(saved)),
            revision: Some(self.revision_view(ctx, revision).await?),
        })
    }
}

/// Sorts section numbers as numbers ("2" before "10", "3.2" after "3").
fn section_key(n: &str) -> Vec<u32> {
    n.split('.')
        .map(|p| p.trim().parse().unwrap_or(u32::MAX))
        .collect()
}
