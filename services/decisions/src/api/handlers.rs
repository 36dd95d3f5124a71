//! The RPCs of the decisions service.

use prost::Message as _;
use samverkan_core::dates;
use samverkan_core::fields::server_set;
use samverkan_core::paging::Page;
use samverkan_core::text::required_line;
use samverkan_core::{ApiError, RequestContext};
use samverkan_db::idempotency::Claim;
use samverkan_db::{Tx, db_err};
use samverkan_proto::decisions::v1 as pb;
use sea_orm::ActiveValue::Set;
use sea_orm::{EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::convert::{self, decision_pb, follow_up_pb, plan_pb};
use super::{Handlers, permission};
use crate::domain::due;
use crate::domain::follow_up::{FollowUpStatus, paragraph, present};
use crate::domain::status::{self, Status};
use crate::store::{
    self, DecisionFilter, action_plan, activity, decision, follow_up, timeline_entry,
};

const MAX_TEXT: usize = 20_000;

fn text(field: &str, s: &str, required: bool) -> Result<String, ApiError> {
    samverkan_core::text::multiline(field, s, MAX_TEXT, required)
}

/// A role code (`it-chef`): optional, one line.
fn role_code(field: &str, s: &str) -> Result<String, ApiError> {
    if s.trim().is_empty() {
        return Ok(String::new());
    }
    required_line(field, s, 100)
}

async fn visible_decision(tx: &Tx, field: &str, id: &str) -> Result<decision::Model, ApiError> {
    let uuid = convert::uuid(field, id)?;
    store::find_decision(tx, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("decision", id))
}

fn stored_status(d: &decision::Model) -> Result<Status, ApiError> {
    Status::parse(&d.status)
        .ok_or_else(|| ApiError::internal(format!("stored decision status {:?}", d.status)))
}

impl Handlers {
    pub async fn register_decision(
        &self,
        ctx: &RequestContext,
        req: pb::RegisterDecisionRequest,
    ) -> Result<pb::RegisterDecisionResponse, ApiError> {
        let d = req.decision.clone().unwrap_or_default();
        server_set("decision.id", !d.id.is_empty())?;
        // What the § and its meeting say: the server takes it from them.
        server_set("decision.collaboration_id", !d.collaboration_id.is_empty())?;
        server_set("decision.forum_id", !d.forum_id.is_empty())?;
        server_set("decision.paragraph_ref", !d.paragraph_ref.is_empty())?;
        server_set("decision.decision_date", d.decision_date.is_some())?;
        server_set("decision.matter_id", !d.matter_id.is_empty())?;
        server_set("decision.final", d.r#final)?;
        server_set("decision.status", d.status != 0)?;
        server_set("decision.superseded_by_id", !d.superseded_by_id.is_empty())?;
        server_set("decision.create_time", d.create_time.is_some())?;
        server_set("decision.etag", !d.etag.is_empty())?;
        let meeting_id = convert::uuid("decision.meeting_id", &d.meeting_id)?;
        let paragraph_id = convert::uuid("decision.paragraph_id", &d.paragraph_id)?;
        let responsible =
            convert::opt_uuid("decision.responsible_person_id", &d.responsible_person_id)?;
        let supersedes = convert::opt_uuid("decision.supersedes_id", &d.supersedes_id)?;
        let role_code = role_code("decision.responsible_role_code", &d.responsible_role_code)?;
        for (i, doc) in d.basis_document_ids.iter().enumerate() {
            convert::uuid(&format!("decision.basis_document_ids[{i}]"), doc)?;
        }
        // The § must exist in the meeting's minutes: a decision never exists without one.
        let minutes = self.forums.get_minutes(ctx, &d.meeting_id).await?;
        let paragraph = paragraph(&minutes.paragraphs, |p| &p.id, &d.paragraph_id)
            .map_err(|r| r.on(format!("meetings/{meeting_id}/paragraphs/{paragraph_id}")))?;
        let forum = convert::uuid("forum_id", &minutes.forum_id)?;
        self.require(ctx, "minutes.record", forum, None, Vec::new())
            .await?;
        let meeting = self.forums.get_meeting(ctx, &d.meeting_id).await?;
        let start = meeting.start_time.as_ref().map_or(0, |t| t.seconds);
        let decision_date =
            dates::stockholm_date(chrono::DateTime::from_timestamp(start, 0).unwrap_or_default());
        let matter = meeting
            .agenda
            .iter()
            .find(|i| i.id == paragraph.agenda_item_id)
            .and_then(|i| Uuid::parse_str(&i.matter_id).ok());
        let title = if d.title.trim().is_empty() {
            paragraph.title.clone()
        } else {
            required_line("decision.title", &d.title, 200)?
        };
        let body = if d.text.trim().is_empty() {
            paragraph.decision.clone()
        } else {
            text("decision.text", &d.text, true)?
        };
        let collaboration = convert::uuid("collaboration_id", &meeting.collaboration_id)?;

        let tx = self.write(ctx).await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                visible_decision(&tx, "id", resource.trim_start_matches("decisions/")).await?
            }
            Claim::New => {
                if let Some(existing) = store::decision_of_paragraph(&tx, paragraph_id).await? {
                    return Err(ApiError::AlreadyExists(format!(
                        "decision {} is already registered at {}",
                        existing.id, paragraph.reference
                    )));
                }
                let id = samverkan_core::new_uuid();
                if let Some(earlier) = supersedes {
                    let old = store::find_decision(&tx, earlier)
                        .await?
                        .ok_or_else(|| ApiError::not_found("decision", earlier.to_string()))?;
                    status::may_supersede(stored_status(&old)?)
                        .map_err(|r| r.on(format!("decisions/{earlier}")))?;
                    let superseded = decision::Model {
                        status: Status::Superseded.as_str().into(),
                        superseded_by_id: Some(id),
                        ..old
                    };
                    store::save_decision(&tx, superseded, "", json!({"superseded_by": id})).await?;
                }
                let now = store::now();
                let created = store::insert_decision(
                    &tx,
                    decision::Model {
                        id,
                        collaboration_id: collaboration,
                        forum_id: forum,
                        meeting_id,
                        paragraph_id,
                        paragraph_ref: paragraph.reference.clone(),
                        decision_date,
                        year: paragraph.year,
                        title,
                        text: body,
                        basis_documents: d.basis_document_ids.join(","),
                        responsible_role_code: role_code,
                        responsible_person_id: responsible,
                        status: Status::Decided.as_str().into(),
                        superseded_by_id: None,
                        supersedes_id: supersedes,
                        is_final: minutes.locked,
                        matter_id: matter,
                        carried_out_on: None,
                        followed_up_on: None,
                        create_time: now,
                        update_time: now,
                        etag: store::new_etag(),
                    },
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("decisions/{id}"))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::RegisterDecisionResponse {
            decision: Some(decision_pb(stored)),
        })
    }

    pub async fn get_decision(
        &self,
        ctx: &RequestContext,
        req: pb::GetDecisionRequest,
    ) -> Result<pb::GetDecisionResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let d = visible_decision(&tx, "id", &req.id).await?;
        tx.commit().await?;
        Ok(pb::GetDecisionResponse {
            decision: Some(decision_pb(d)),
        })
    }

    pub async fn list_decisions(
        &self,
        ctx: &RequestContext,
        req: pb::ListDecisionsRequest,
    ) -> Result<pb::ListDecisionsResponse, ApiError> {
        let newest_first = match req.order_by.trim() {
            "" | "decision_date desc" => true,
            "decision_date asc" | "decision_date" => false,
            _ => {
                return Err(ApiError::invalid_field(
                    "order_by",
                    "must be \"decision_date desc\" or \"decision_date asc\"",
                ));
            }
        };
        if req.year != 0 && !(1900..=9999).contains(&req.year) {
            return Err(ApiError::invalid_field(
                "year",
                "must be a year, or 0 for all",
            ));
        }
        let search = text("text", &req.text, false)?;
        let filter = DecisionFilter {
            forum: convert::opt_uuid("forum_id", &req.forum_id)?,
            year: (req.year != 0).then_some(req.year),
            status: convert::status_from_pb("status", req.status)?.map(|s| s.as_str().to_owned()),
            responsible: convert::opt_uuid("responsible_person_id", &req.responsible_person_id)?,
            text: (!search.is_empty()).then_some(search),
            newest_first,
        };
        let page = Page::parse(req.page_size, &req.page_token, &format!("{filter:?}"))?;
        let tx = self.read(ctx).await?;
        let mut rows = store::list_decisions(&tx, &filter, page.offset, page.fetch_limit()).await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListDecisionsResponse {
            decisions: rows.into_iter().map(decision_pb).collect(),
            next_page_token,
        })
    }

    pub async fn update_decision(
        &self,
        ctx: &RequestContext,
        req: pb::UpdateDecisionRequest,
    ) -> Result<pb::UpdateDecisionResponse, ApiError> {
        let d = req.decision.clone().unwrap_or_default();
        let title = required_line("decision.title", &d.title, 200)?;
        let body = text("decision.text", &d.text, true)?;
        let role_code = role_code("decision.responsible_role_code", &d.responsible_role_code)?;
        let responsible =
            convert::opt_uuid("decision.responsible_person_id", &d.responsible_person_id)?;
        let etag = required_line("etag", &req.etag, 64)?;
        let id = d.id.as_str();
        let (tx, current, locked) = self
            .checked_by(
                ctx,
                |tx| {
                    Box::pin(async move {
                        let c = visible_decision(&tx, "decision.id", id).await?;
                        let inputs = (c.forum_id, c.meeting_id, c.is_final);
                        Ok((tx, c, inputs))
                    })
                },
                |(forum, meeting, is_final)| {
                    Box::pin(async move {
                        self.require(ctx, "minutes.record", forum, None, Vec::new())
                            .await?;
                        // Final once the minutes are adjusted; ask forums too,
                        // in case its message has not arrived yet.
                        Ok(is_final
                            || self
                                .forums
                                .get_minutes(ctx, &meeting.to_string())
                                .await?
                                .locked)
                    })
                },
            )
            .await?;
        status::text_may_change(locked).map_err(|r| r.on(format!("decisions/{}", current.id)))?;
        let change = json!({"update": {"title": title, "text": body, "responsible": responsible, "role": role_code}});
        let updated = decision::Model {
            title,
            text: body,
            responsible_role_code: role_code,
            responsible_person_id: responsible,
            ..current
        };
        let saved = store::save_decision(&tx, updated, &etag, change).await?;
        tx.commit().await?;
        Ok(pb::UpdateDecisionResponse {
            decision: Some(decision_pb(saved)),
        })
    }

    pub async fn set_decision_status(
        &self,
        ctx: &RequestContext,
        req: pb::SetDecisionStatusRequest,
    ) -> Result<pb::SetDecisionStatusResponse, ApiError> {
        let to = convert::status_from_pb("status", req.status)?
            .ok_or_else(|| ApiError::invalid_field("status", "required"))?;
        let reason = text("reason", &req.reason, to == Status::Revoked)?;
        let etag = required_line("etag", &req.etag, 64)?;
        let id = req.id.as_str();
        let (tx, current) = self
            .checked_secretary_or(ctx, |tx| {
                Box::pin(async move {
                    let c = visible_decision(&tx, "id", id).await?;
                    let ask = (c.forum_id, c.responsible_person_id.into_iter().collect());
                    Ok((tx, c, ask))
                })
            })
            .await?;
        let by = current.superseded_by_id.map(|b| b.to_string());
        let next = status::change(stored_status(&current)?, to, by.as_deref())
            .map_err(|r| r.on(format!("decisions/{}", current.id)))?;
        let today = ctx.today;
        let updated = decision::Model {
            status: next.as_str().into(),
            carried_out_on: if next == Status::CarriedOut {
                Some(today)
            } else {
                current.carried_out_on
            },
            followed_up_on: if next == Status::FollowedUp {
                Some(today)
            } else {
                current.followed_up_on
            },
            ..current
        };
        let saved = store::save_decision(
            &tx,
            updated,
            &etag,
            json!({"status": next.as_str(), "reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::SetDecisionStatusResponse {
            decision: Some(decision_pb(saved)),
        })
    }

    pub async fn create_follow_up(
        &self,
        ctx: &RequestContext,
        req: pb::CreateFollowUpRequest,
    ) -> Result<pb::CreateFollowUpResponse, ApiError> {
        let f = req.follow_up.clone().unwrap_or_default();
        server_set("follow_up.id", !f.id.is_empty())?;
        server_set("follow_up.status", f.status != 0)?;
        // Where it was presented is RecordFollowUp's.
        server_set("follow_up.meeting_id", !f.meeting_id.is_empty())?;
        server_set("follow_up.paragraph_id", !f.paragraph_id.is_empty())?;
        server_set("follow_up.paragraph_ref", !f.paragraph_ref.is_empty())?;
        server_set("follow_up.create_time", f.create_time.is_some())?;
        server_set("follow_up.etag", !f.etag.is_empty())?;
        let due_on = convert::date("follow_up.due_on", f.due_on.as_ref())?;
        let title = required_line("follow_up.title", &f.title, 200)?;
        let decision_id = f.decision_id.as_str();
        let (tx, d) = self
            .checked(ctx, |tx| {
                Box::pin(async move {
                    let d = visible_decision(&tx, "follow_up.decision_id", decision_id).await?;
                    let ask = permission("minutes.record", d.forum_id, None, &[]);
                    Ok((tx, d, vec![ask]))
                })
            })
            .await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                let id = convert::uuid("id", resource.trim_start_matches("follow-ups/"))?;
                store::find_follow_up(&tx, id)
                    .await?
                    .ok_or_else(|| ApiError::internal("replayed follow-up vanished"))?
            }
            Claim::New => {
                let m = follow_up::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: d.collaboration_id,
                    decision_id: d.id,
                    forum_id: d.forum_id,
                    due_on,
                    title,
                    status: FollowUpStatus::Planned.as_str().into(),
                    meeting_id: None,
                    paragraph_id: None,
                    paragraph_ref: String::new(),
                    recorded_on: None,
                    announced: false,
                    create_time: store::now(),
                    etag: store::new_etag(),
                };
                let change = json!({"create": {"decision": m.decision_id, "due_on": m.due_on, "title": m.title}});
                let created = store::insert(
                    &tx,
                    format!("follow-ups/{}", m.id),
                    follow_up::ActiveModel::from(m),
                    change,
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("follow-ups/{}", created.id))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::CreateFollowUpResponse {
            follow_up: Some(follow_up_pb(stored)),
        })
    }

    pub async fn record_follow_up(
        &self,
        ctx: &RequestContext,
        req: pb::RecordFollowUpRequest,
    ) -> Result<pb::RecordFollowUpResponse, ApiError> {
        let meeting_id = convert::uuid("meeting_id", &req.meeting_id)?;
        let paragraph_id = convert::opt_uuid("paragraph_id", &req.paragraph_id)?;
        let etag = required_line("etag", &req.etag, 64)?;
        let minutes = self.forums.get_minutes(ctx, &req.meeting_id).await?;
        let forum = convert::uuid("forum_id", &minutes.forum_id)?;
        self.require(ctx, "minutes.record", forum, None, Vec::new())
            .await?;
        // Complete only with the § of that meeting's minutes that records it.
        let paragraph = match paragraph_id {
            Some(p) => Some(
                paragraph(&minutes.paragraphs, |x| &x.id, &p.to_string())
                    .map_err(|r| r.on(format!("meetings/{meeting_id}/paragraphs/{p}")))?,
            ),
            None => None,
        };
        let tx = self.write(ctx).await?;
        let id = convert::uuid("id", &req.id)?;
        let current = store::find_follow_up(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("follow-up", &req.id))?;
        let status = FollowUpStatus::parse(&current.status).ok_or_else(|| {
            ApiError::internal(format!(
                "follow-up {id} has the unknown status {:?}",
                current.status
            ))
        })?;
        let next = present(current.forum_id, status, forum, paragraph.is_some())
            .map_err(|r| r.on(format!("follow-ups/{id}")))?;
        let new_etag = store::new_etag();
        let mut am: follow_up::ActiveModel = current.clone().into();
        am.status = Set(next.as_str().into());
        am.meeting_id = Set(Some(meeting_id));
        am.paragraph_id = Set(paragraph_id);
        am.paragraph_ref = Set(paragraph.map(|p| p.reference.clone()).unwrap_or_default());
        am.recorded_on = Set(Some(ctx.today));
        am.etag = Set(new_etag);
        let update = follow_up::Entity::update_many()
            .set(am)
            .filter(sea_orm::ColumnTrait::eq(&follow_up::Column::Id, id));
        tx.save_checked(
            update,
            follow_up::Column::Etag,
            &etag,
            "follow-up",
            format!("follow-ups/{id}"),
            &json!({"record": {"meeting": meeting_id, "paragraph": paragraph_id}}),
        )
        .await?;
        let saved = store::find_follow_up(&tx, id)
            .await?
            .ok_or_else(|| ApiError::internal("follow-up vanished"))?;
        tx.commit().await?;
        Ok(pb::RecordFollowUpResponse {
            follow_up: Some(follow_up_pb(saved)),
        })
    }

    pub async fn list_follow_ups(
        &self,
        ctx: &RequestContext,
        req: pb::ListFollowUpsRequest,
    ) -> Result<pb::ListFollowUpsResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let d = visible_decision(&tx, "decision_id", &req.decision_id).await?;
        let rows = store::follow_ups_of(&tx, d.id).await?;
        tx.commit().await?;
        Ok(pb::ListFollowUpsResponse {
            follow_ups: rows.into_iter().map(follow_up_pb).collect(),
        })
    }

    async fn plan_response(&self, tx: &Tx, id: Uuid) -> Result<pb::ActionPlan, ApiError> {
        let plan = store::find_plan(tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("action plan", id.to_string()))?;
        let activities = store::activities_of(tx, id).await?;
        let timeline =
            store::timelines(tx, &activities.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
        Ok(plan_pb(plan, activities, &timeline))
    }

    pub async fn create_action_plan(
        &self,
        ctx: &RequestContext,
        req: pb::CreateActionPlanRequest,
    ) -> Result<pb::CreateActionPlanResponse, ApiError> {
        let p = req.action_plan.clone().unwrap_or_default();
        server_set("action_plan.id", !p.id.is_empty())?;
        // Activities are added one by one with AddActivity.
        server_set("action_plan.activities", !p.activities.is_empty())?;
        server_set("action_plan.progress_permille", p.progress_permille != 0)?;
        server_set("action_plan.create_time", p.create_time.is_some())?;
        let title = required_line("action_plan.title", &p.title, 200)?;
        let decision_id = p.decision_id.as_str();
        let (tx, d) = self
            .checked_secretary_or(ctx, |tx| {
                Box::pin(async move {
                    let d = visible_decision(&tx, "action_plan.decision_id", decision_id).await?;
                    let ask = (d.forum_id, d.responsible_person_id.into_iter().collect());
                    Ok((tx, d, ask))
                })
            })
            .await?;
        let id = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                convert::uuid("id", resource.trim_start_matches("action-plans/"))?
            }
            Claim::New => {
                let m = action_plan::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: d.collaboration_id,
                    decision_id: d.id,
                    forum_id: d.forum_id,
                    title,
                    create_time: store::now(),
                };
                let change = json!({"create": {"decision": d.id, "title": m.title}});
                let created = store::insert(
                    &tx,
                    format!("action-plans/{}", m.id),
                    action_plan::ActiveModel::from(m),
                    change,
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("action-plans/{}", created.id))
                    .await?;
                created.id
            }
        };
        let plan = self.plan_response(&tx, id).await?;
        tx.commit().await?;
        Ok(pb::CreateActionPlanResponse {
            action_plan: Some(plan),
        })
    }

    pub async fn get_action_plan(
        &self,
        ctx: &RequestContext,
        req: pb::GetActionPlanRequest,
    ) -> Result<pb::GetActionPlanResponse, ApiError> {
        let id = convert::uuid("id", &req.id)?;
        let tx = self.read(ctx).await?;
        let plan = self.plan_response(&tx, id).await?;
        tx.commit().await?;
        Ok(pb::GetActionPlanResponse {
            action_plan: Some(plan),
        })
    }

    pub async fn add_activity(
        &self,
        ctx: &RequestContext,
        req: pb::AddActivityRequest,
    ) -> Result<pb::AddActivityResponse, ApiError> {
        let a = req.activity.clone().unwrap_or_default();
        server_set("activity.id", !a.id.is_empty())?;
        server_set("activity.status", a.status != 0)?;
        server_set("activity.progress_percent", a.progress_percent != 0)?;
        server_set("activity.timeline", !a.timeline.is_empty())?;
        server_set("activity.etag", !a.etag.is_empty())?;
        let plan_id = convert::uuid("activity.action_plan_id", &a.action_plan_id)?;
        let title = required_line("activity.title", &a.title, 200)?;
        let owner = convert::uuid("activity.owner_person_id", &a.owner_person_id)?;
        let due_on = convert::date("activity.due_on", a.due_on.as_ref())?;
        let weight = if a.weight == 0 { 1 } else { a.weight };
        if !(1..=1000).contains(&weight) {
            return Err(ApiError::invalid_field(
                "activity.weight",
                "must be between 1 and 1000",
            ));
        }
        let plan_name = a.action_plan_id.as_str();
        let (tx, plan) = self
            .checked_secretary_or(ctx, |tx| {
                Box::pin(async move {
                    let plan = store::find_plan(&tx, plan_id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("action plan", plan_name))?;
                    let d = store::find_decision(&tx, plan.decision_id)
                        .await?
                        .ok_or_else(|| ApiError::internal("plan without decision"))?;
                    let ask = (d.forum_id, d.responsible_person_id.into_iter().collect());
                    Ok((tx, plan, ask))
                })
            })
            .await?;
        if let Claim::New = tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            let now = store::now();
            let m = activity::Model {
                id: samverkan_core::new_uuid(),
                collaboration_id: plan.collaboration_id,
                action_plan_id: plan.id,
                forum_id: plan.forum_id,
                decision_id: plan.decision_id,
                title,
                owner_person_id: owner,
                due_on,
                status: "not_started".into(),
                progress: 0,
                weight,
                create_time: now,
                update_time: now,
                etag: store::new_etag(),
            };
            let change = json!({"create": {"title": m.title, "owner": owner, "due_on": due_on, "weight": weight}});
            let created = store::insert(
                &tx,
                format!("activities/{}", m.id),
                activity::ActiveModel::from(m),
                change,
            )
            .await?;
            tx.finish_request(&req.request_id, &format!("activities/{}", created.id))
                .await?;
        }
        let resp = self.plan_response(&tx, plan.id).await?;
        tx.commit().await?;
        Ok(pb::AddActivityResponse {
            action_plan: Some(resp),
        })
    }

    pub async fn update_activity(
        &self,
        ctx: &RequestContext,
        req: pb::UpdateActivityRequest,
    ) -> Result<pb::UpdateActivityResponse, ApiError> {
        let id = convert::uuid("id", &req.id)?;
        let status = convert::activity_status_from_pb(req.status)?;
        if !(0..=100).contains(&req.progress_percent) {
            return Err(ApiError::invalid_field(
                "progress_percent",
                "must be between 0 and 100",
            ));
        }
        let progress = if status == "done" {
            100
        } else {
            req.progress_percent
        };
        let note = text("note", &req.note, false)?;
        let etag = required_line("etag", &req.etag, 64)?;
        let name = req.id.as_str();
        let (tx, current) = self
            .checked(ctx, |tx| {
                Box::pin(async move {
                    let current = store::find_activity(&tx, id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("activity", name))?;
                    let d = store::find_decision(&tx, current.decision_id)
                        .await?
                        .ok_or_else(|| ApiError::internal("activity without decision"))?;
                    // Its owner, and the decision's responsible person.
                    let designated: Vec<Uuid> = d.responsible_person_id.into_iter().collect();
                    let ask = permission(
                        "activities.update",
                        d.forum_id,
                        Some(current.owner_person_id),
                        &designated,
                    );
                    Ok((tx, current, vec![ask]))
                })
            })
            .await?;
        let new_etag = store::new_etag();
        let mut am: activity::ActiveModel = current.clone().into();
        am.status = Set(status.into());
        am.progress = Set(progress);
        am.update_time = Set(store::now());
        am.etag = Set(new_etag);
        let res = activity::Entity::update_many()
            .set(am)
            .filter(sea_orm::ColumnTrait::eq(&activity::Column::Id, id))
            .filter(sea_orm::ColumnTrait::eq(
                &activity::Column::Etag,
                etag.as_str(),
            ))
            .exec(tx.conn())
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(ApiError::Aborted(
                "the activity was changed since it was read; read it again".into(),
            ));
        }
        let line = format!(
            "Status: {}, {} %.{}",
            convert::activity_status_swedish(status),
            progress,
            if note.is_empty() {
                String::new()
            } else {
                format!(" {note}")
            }
        );
        let entry = timeline_entry::Model {
            id: samverkan_core::new_uuid(),
            collaboration_id: current.collaboration_id,
            activity_id: id,
            author: ctx.principal.subject.clone(),
            text: line,
            create_time: store::now(),
        };
        let change = json!({"update": {"status": status, "progress": progress, "note": note}});
        store::insert(
            &tx,
            format!("activities/{id}"),
            timeline_entry::ActiveModel::from(entry),
            change,
        )
        .await?;
        let resp = self.plan_response(&tx, current.action_plan_id).await?;
        tx.commit().await?;
        Ok(pb::UpdateActivityResponse {
            action_plan: Some(resp),
        })
    }

    pub async fn list_due(
        &self,
        ctx: &RequestContext,
        req: pb::ListDueRequest,
    ) -> Result<pb::ListDueResponse, ApiError> {
        if !(0..=366).contains(&req.within_days) {
            return Err(ApiError::invalid_field(
                "within_days",
                "must be between 0 and 366",
            ));
        }
        let forum = convert::opt_uuid("forum_id", &req.forum_id)?;
        let person = convert::opt_uuid("responsible_person_id", &req.responsible_person_id)?;
        let today = ctx.today;
        let until = today + chrono::Days::new(u64::try_from(req.within_days).unwrap_or(0));
        let tx = self.read(ctx).await?;
        let follow_ups = store::open_follow_ups_until(&tx, until).await?;
        let activities = store::open_activities_until(&tx, until).await?;
        let decision_ids: Vec<Uuid> = follow_ups.iter().map(|f| f.decision_id).collect();
        let decisions = store::decisions_by_ids(&tx, &decision_ids).await?;
        tx.commit().await?;
        let item = |kind: &str,
                    id: Uuid,
                    title: String,
                    decision: Uuid,
                    forum_id: Uuid,
                    who: Option<Uuid>,
                    due_on| pb::DueItem {
            kind: kind.into(),
            id: id.to_string(),
            title,
            decision_id: decision.to_string(),
            forum_id: forum_id.to_string(),
            responsible_person_id: who.map(|w| w.to_string()).unwrap_or_default(),
            due_on: Some(dates::to_proto(due_on)),
            overdue: due::overdue(today, due_on),
            days_left: i32::try_from(due::days_left(today, due_on)).unwrap_or(i32::MIN),
        };
        let mut items: Vec<pb::DueItem> = Vec::new();
        for f in follow_ups {
            let who = decisions
                .iter()
                .find(|d| d.id == f.decision_id)
                .and_then(|d| d.responsible_person_id);
            items.push(item(
                "follow_up",
                f.id,
                f.title,
                f.decision_id,
                f.forum_id,
                who,
                f.due_on,
            ));
        }
        for a in activities {
            items.push(item(
                "activity",
                a.id,
                a.title,
                a.decision_id,
                a.forum_id,
                Some(a.owner_person_id),
                a.due_on,
            ));
        }
        items.retain(|i| {
            forum.is_none_or(|f| i.forum_id == f.to_string())
                && person.is_none_or(|p| i.responsible_person_id == p.to_string())
        });
        items.sort_by(|a, b| (a.days_left, &a.kind, &a.id).cmp(&(b.days_left, &b.kind, &b.id)));
        Ok(pb::ListDueResponse { items })
    }

    pub async fn get_trail(
        &self,
        ctx: &RequestContext,
        req: pb::GetTrailRequest,
    ) -> Result<pb::GetTrailResponse, ApiError> {
        let (decision_id, matter_id) = (
            convert::opt_uuid("decision_id", &req.decision_id)?,
            convert::opt_uuid("matter_id", &req.matter_id)?,
        );
        if decision_id.is_some() == matter_id.is_some() {
            return Err(ApiError::invalid_field(
                "decision_id",
                "set exactly one of decision_id and matter_id",
            ));
        }
        let tx = self.read(ctx).await?;
        let decisions = match (decision_id, matter_id) {
            (Some(d), _) => vec![
                store::find_decision(&tx, d)
                    .await?
                    .ok_or_else(|| ApiError::not_found("decision", d.to_string()))?,
            ],
            (None, Some(m)) => store::decisions_of_matter(&tx, m).await?,
            (None, None) => Vec::new(),
        };
        // One query for all the matter's decisions, not one per decision.
        let ids: Vec<_> = decisions.iter().map(|d| d.id).collect();
        let follow_ups = store::follow_ups_of_decisions(&tx, &ids).await?;
        tx.commit().await?;
        let matter_id = matter_id.or_else(|| decisions.iter().find_map(|d| d.matter_id));
        let mut steps = Vec::new();
        let mut raising = String::new();
        if let Some(m) = matter_id {
            let matter = self.forums.get_matter(ctx, &m.to_string()).await?;
            raising = matter.raising_municipality_id.clone();
            let date_of = |t: Option<&samverkan_proto::Timestamp>| {
                t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
                    .map(|t| dates::to_proto(dates::stockholm_date(t)))
            };
            let first_forum = matter
                .provenance
                .first()
                .map_or(matter.forum_id.clone(), |p| p.forum_id.clone());
            steps.push(pb::TrailStep {
                date: date_of(matter.create_time.as_ref()),
                kind: "raised".into(),
                forum_id: String::new(),
                paragraph_ref: String::new(),
                description: format!(
                    "{} raised \"{}\"",
                    matter.raising_municipality_id, matter.title
                ),
            });
            if matter.submit_time.is_some() {
                steps.push(pb::TrailStep {
                    date: date_of(matter.submit_time.as_ref()),
                    kind: "submitted".into(),
                    forum_id: first_forum,
                    paragraph_ref: String::new(),
                    description: "submitted to the forum".into(),
                });
            }
            for p in &matter.provenance {
                steps.push(pb::TrailStep {
                    date: date_of(p.escalate_time.as_ref()),
                    kind: "escalated".into(),
                    forum_id: p.forum_id.clone(),
                    paragraph_ref: p.paragraph_ref.clone(),
                    description: format!(
                        "{} recommended at {}: {}",
                        p.forum_name, p.paragraph_ref, p.recommendation
                    ),
                });
            }
        }
        for d in &decisions {
            steps.push(pb::TrailStep {
                date: Some(dates::to_proto(d.decision_date)),
                kind: "decided".into(),
                forum_id: d.forum_id.to_string(),
                paragraph_ref: d.paragraph_ref.clone(),
                description: format!("decided at {}: {}", d.paragraph_ref, d.title),
            });
            for f in follow_ups
                .iter()
                .filter(|f| f.decision_id == d.id && f.recorded_on.is_some())
            {
                steps.push(pb::TrailStep {
                    date: f.recorded_on.map(dates::to_proto),
                    kind: "followed_up".into(),
                    forum_id: f.forum_id.to_string(),
                    paragraph_ref: f.paragraph_ref.clone(),
                    description: if f.status == FollowUpStatus::Complete.as_str() {
                        format!("follow-up \"{}\" recorded at {}", f.title, f.paragraph_ref)
                    } else {
                        format!(
                            "follow-up \"{}\" presented but not recorded in the minutes",
                            f.title
                        )
                    },
                });
            }
            if let Some(on) = d.carried_out_on {
                steps.push(pb::TrailStep {
                    date: Some(dates::to_proto(on)),
                    kind: "carried_out".into(),
                    forum_id: d.forum_id.to_string(),
                    paragraph_ref: d.paragraph_ref.clone(),
                    description: format!("\"{}\" carried out", d.title),
                });
            }
        }
        // In the chain's own order: a decision is followed up and carried
        // out after it was made, whatever dates the records carry.
        Ok(pb::GetTrailResponse {
            raising_municipality_id: raising,
            steps,
        })
    }
}
