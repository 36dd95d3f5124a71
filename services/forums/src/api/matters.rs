//! Matters: drafted privately, submitted to a forum, escalated upward.

use prost::Message as _;
use samverkan_core::fields::{caller_set, server_set};
use samverkan_core::paging::Page;
use samverkan_core::text::required_line;
use samverkan_core::{ApiError, RequestContext};
use samverkan_db::Tx;
use samverkan_db::idempotency::Claim;
use samverkan_proto::forums::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use super::convert::{self, matter_pb};
use super::{Handlers, On};
use crate::SERVICE;
use crate::domain::matter::{self, State, Transition};
use crate::domain::meeting::{Outcome, reference};
use crate::store::{self, MatterFilter, matter as row};

/// Longest accepted matter description.
pub(crate) const MAX_DESCRIPTION_CHARS: usize = 20_000;

pub(crate) fn description(field: &str, s: &str) -> Result<String, ApiError> {
    samverkan_core::text::multiline(field, s, MAX_DESCRIPTION_CHARS, false)
}

pub(crate) fn state_of(m: &row::Model) -> Result<State, ApiError> {
    State::parse(&m.state)
        .ok_or_else(|| ApiError::internal(format!("stored matter state {:?}", m.state)))
}

/// The state after `t`, or `FAILED_PRECONDITION` saying why not.
pub(crate) fn transition(m: &row::Model, t: Transition) -> Result<State, ApiError> {
    matter::next(state_of(m)?, t).map_err(|r| r.on(format!("matters/{}", m.id)))
}

async fn visible_matter(tx: &Tx, id: &str) -> Result<row::Model, ApiError> {
    let uuid = convert::uuid("id", id)?;
    store::find_matter(tx, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", id))
}

fn is_author(ctx: &RequestContext, m: &row::Model) -> bool {
    m.author == ctx.principal.subject && m.raising_municipality == ctx.principal.tenant.as_str()
}

impl Handlers {
    pub async fn create_matter(
        &self,
        ctx: &RequestContext,
        req: pb::CreateMatterRequest,
    ) -> Result<pb::CreateMatterResponse, ApiError> {
        let m = req.matter.clone().unwrap_or_default();
        server_set("matter.id", !m.id.is_empty())?;
        caller_set(
            "matter.raising_municipality_id",
            &m.raising_municipality_id,
            ctx.principal.tenant.as_str(),
        )?;
        caller_set("matter.author", &m.author, &ctx.principal.subject)?;
        server_set("matter.state", m.state != 0)?;
        server_set("matter.provenance", !m.provenance.is_empty())?;
        server_set("matter.create_time", m.create_time.is_some())?;
        server_set("matter.update_time", m.update_time.is_some())?;
        server_set("matter.submit_time", m.submit_time.is_some())?;
        server_set("matter.etag", !m.etag.is_empty())?;
        server_set("matter.collaboration_id", !m.collaboration_id.is_empty())?;
        let kind = convert::kind_from_pb(m.kind)?;
        let title = required_line("matter.title", &m.title, 200)?;
        let description = description("matter.description", &m.description)?;
        let priority = convert::priority_from_pb(m.priority)?;
        let intended_forum = convert::opt_uuid("matter.forum_id", &m.forum_id)?;
        if intended_forum.is_some() {
            // The forum the draft is meant for: NOT_FOUND unless visible.
            self.roles.get_forum(ctx, &m.forum_id).await?;
        }
        self.require(ctx, "matters.draft", On::default()).await?;
        let author_person = self
            .roles
            .person(ctx)
            .await?
            .and_then(|p| Uuid::parse_str(&p.id).ok());
        let tx = self.write(ctx).await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                visible_matter(&tx, resource.trim_start_matches("matters/")).await?
            }
            Claim::New => {
                let now = store::now();
                let created = store::insert_matter(
                    &tx,
                    row::Model {
                        id: samverkan_core::new_uuid(),
                        owner_tenant: Some(ctx.principal.tenant.to_string()),
                        collaboration_id: None,
                        raising_municipality: ctx.principal.tenant.to_string(),
                        author: ctx.principal.subject.clone(),
                        author_person_id: author_person,
                        kind: kind.as_str().to_owned(),
                        title,
                        description,
                        priority: priority.to_owned(),
                        state: State::Draft.as_str().to_owned(),
                        forum_id: intended_forum,
                        provenance: "[]".into(),
                        create_time: now,
                        update_time: now,
                        submit_time: None,
                        etag: store::new_etag(),
                    },
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("matters/{}", created.id))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::CreateMatterResponse {
            matter: Some(matter_pb(stored)),
        })
    }

    pub async fn get_matter(
        &self,
        ctx: &RequestContext,
        req: pb::GetMatterRequest,
    ) -> Result<pb::GetMatterResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let m = visible_matter(&tx, &req.id).await?;
        tx.commit().await?;
        Ok(pb::GetMatterResponse {
            matter: Some(matter_pb(m)),
        })
    }

    pub async fn list_matters(
        &self,
        ctx: &RequestContext,
        req: pb::ListMattersRequest,
    ) -> Result<pb::ListMattersResponse, ApiError> {
        let newest_first = match req.order_by.trim() {
            "" | "create_time desc" => true,
            "create_time asc" | "create_time" => false,
            _ => {
                return Err(ApiError::invalid_field(
                    "order_by",
                    "must be \"create_time desc\" or \"create_time asc\"",
                ));
            }
        };
        let filter = MatterFilter {
            forum: convert::opt_uuid("forum_id", &req.forum_id)?,
            states: convert::state_from_pb(req.state)?
                .map(|s| vec![s.as_str().to_owned()])
                .unwrap_or_default(),
            municipality: (!req.raising_municipality_id.is_empty())
                .then(|| req.raising_municipality_id.clone()),
            created_after: convert::time("created_after", req.created_after.as_ref())?,
            created_before: convert::time("created_before", req.created_before.as_ref())?,
            newest_first,
        };
        if filter.forum.is_some() {
            // NOT_FOUND for a forum the caller may not see.
            self.roles.get_forum(ctx, &req.forum_id).await?;
        }
        let page = Page::parse(req.page_size, &req.page_token, &format!("{filter:?}"))?;
        let tx = self.read(ctx).await?;
        let mut rows = store::list_matters(&tx, &filter, page.offset, page.fetch_limit()).await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListMattersResponse {
            matters: rows.into_iter().map(matter_pb).collect(),
            next_page_token,
        })
    }

    pub async fn update_matter(
        &self,
        ctx: &RequestContext,
        req: pb::UpdateMatterRequest,
    ) -> Result<pb::UpdateMatterResponse, ApiError> {
        let m = req.matter.clone().unwrap_or_default();
        convert::uuid("matter.id", &m.id)?;
        let kind = convert::kind_from_pb(m.kind)?;
        let title = required_line("matter.title", &m.title, 200)?;
        let description = description("matter.description", &m.description)?;
        let priority = convert::priority_from_pb(m.priority)?;
        let etag = required_line("etag", &req.etag, 64)?;
        let tx = self.write(ctx).await?;
        let current = visible_matter(&tx, &m.id).await?;
        if !is_author(ctx, &current) {
            return Err(ApiError::PermissionDenied(
                "only the matter's author may change it".into(),
            ));
        }
        matter::may_edit(state_of(&current)?)
            .map_err(|r| r.on(format!("matters/{}", current.id)))?;
        let change = json!({"update": {"kind": kind.as_str(), "title": title, "description": description, "priority": priority}});
        let updated = row::Model {
            kind: kind.as_str().to_owned(),
            title,
            description,
            priority: priority.to_owned(),
            ..current
        };
        let saved = store::save_matter(&tx, updated, &etag, change).await?;
        tx.commit().await?;
        Ok(pb::UpdateMatterResponse {
            matter: Some(matter_pb(saved)),
        })
    }

    pub async fn submit_matter(
        &self,
        ctx: &RequestContext,
        req: pb::SubmitMatterRequest,
    ) -> Result<pb::SubmitMatterResponse, ApiError> {
        let forum_id = convert::uuid("forum_id", &req.forum_id)?;
        let etag = required_line("etag", &req.etag, 64)?;
        let forum = self.roles.get_forum(ctx, &req.forum_id).await?;
        let collaboration = convert::uuid("forum.collaboration_id", &forum.collaboration_id)?;
        let (tx, (current, next)) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let current = visible_matter(&tx, &req.id).await?;
                    let next = transition(&current, Transition::Submit)?;
                    let checks = if is_author(ctx, &current) {
                        Vec::new()
                    } else {
                        let on = On {
                            forum: Some(forum_id),
                            municipality: Some(current.raising_municipality.clone()),
                            owner: current.author_person_id,
                            ..Default::default()
                        };
                        vec![on.check(matter::rule(Transition::Submit).action)]
                    };
                    Ok((tx, (current, next), checks))
                })
            })
            .await?;
        let change = json!({"submit": {"forum": forum_id, "collaboration": collaboration}});
        let submitted = row::Model {
            owner_tenant: None,
            collaboration_id: Some(collaboration),
            forum_id: Some(forum_id),
            state: next.as_str().to_owned(),
            submit_time: Some(store::now()),
            ..current
        };
        let saved = store::save_matter(&tx, submitted, &etag, change).await?;
        store::share_matter_documents(&tx, saved.id, collaboration).await?;
        tx.commit().await?;
        Ok(pb::SubmitMatterResponse {
            matter: Some(matter_pb(saved)),
        })
    }

    pub async fn withdraw_matter(
        &self,
        ctx: &RequestContext,
        req: pb::WithdrawMatterRequest,
    ) -> Result<pb::WithdrawMatterResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        let tx = self.write(ctx).await?;
        let current = visible_matter(&tx, &req.id).await?;
        if !is_author(ctx, &current) {
            return Err(ApiError::PermissionDenied(
                "only the matter's author may withdraw it".into(),
            ));
        }
        let next = transition(&current, Transition::Withdraw)?;
        let saved = store::save_matter(
            &tx,
            row::Model {
                state: next.as_str().to_owned(),
                ..current
            },
            &etag,
            json!({"withdraw": {}}),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::WithdrawMatterResponse {
            matter: Some(matter_pb(saved)),
        })
    }

    pub async fn escalate_matter(
        &self,
        ctx: &RequestContext,
        req: pb::EscalateMatterRequest,
    ) -> Result<pb::EscalateMatterResponse, ApiError> {
        let paragraph_id = convert::uuid("paragraph_id", &req.paragraph_id)?;
        let recommendation = description("recommendation", &req.recommendation)?;
        if recommendation.is_empty() {
            return Err(ApiError::invalid_field(
                "recommendation",
                "must not be empty: the forum's recommendation travels with the matter",
            ));
        }
        let etag = required_line("etag", &req.etag, 64)?;
        let with_forum = |m: &row::Model| {
            m.forum_id
                .ok_or_else(|| ApiError::internal("submitted matter without forum"))
        };
        // The permission, and the forum the matter is with and where it
        // reports, asked of the roles service before the write transaction.
        let (tx, (current, next, forum_id), forum) = self
            .db
            .check_then_write(
                ctx,
                SERVICE,
                |tx| {
                    Box::pin(async {
                        let current = visible_matter(&tx, &req.id).await?;
                        let next = transition(&current, Transition::Escalate)?;
                        let forum_id = with_forum(&current)?;
                        let on = On {
                            forum: Some(forum_id),
                            ..Default::default()
                        };
                        let check = on.check(matter::rule(Transition::Escalate).action);
                        Ok((tx, (current, next, forum_id), (check, forum_id)))
                    })
                },
                |(check, forum_id)| {
                    Box::pin(async move {
                        self.roles.require(ctx, check).await?;
                        self.roles.get_forum(ctx, &forum_id.to_string()).await
                    })
                },
            )
            .await?;
        let paragraph = store::find_paragraph(&tx, paragraph_id)
            .await?
            .ok_or_else(|| ApiError::not_found("paragraph", &req.paragraph_id))?;
        let item = match paragraph.agenda_item_id {
            Some(i) => store::find_agenda_item(&tx, i).await?,
            None => None,
        };
        matter::escalated_by(
            paragraph.forum_id == forum_id,
            paragraph.outcome == Outcome::Escalated.as_str(),
            item.as_ref()
                .is_some_and(|i| i.matter_id == Some(current.id)),
        )
        .map_err(|r| r.on(format!("paragraphs/{paragraph_id}")))?;
        let reports_to =
            convert::opt_uuid("forum.reports_to_forum_id", &forum.reports_to_forum_id)?;
        let parent = matter::escalation_target(reports_to, &forum.name)
            .map_err(|r| r.on(format!("forums/{forum_id}")))?;
        let mut steps = convert::provenance(&current);
        steps.push(convert::Step {
            forum_id,
            forum_name: forum.name.clone(),
            paragraph_id,
            paragraph_ref: reference(paragraph.number, paragraph.year),
            recommendation: recommendation.clone(),
            escalate_time: store::now(),
        });
        let provenance = serde_json::to_string(&steps).map_err(ApiError::internal_from)?;
        let change = json!({"escalate": {"from": forum_id, "to": parent, "paragraph": paragraph_id, "recommendation": recommendation}});
        let saved = store::save_matter(
            &tx,
            row::Model {
                forum_id: Some(parent),
                state: next.as_str().to_owned(),
                provenance,
                ..current
            },
            &etag,
            change,
        )
        .await?;
        tx.commit().await?;
        Ok(pb::EscalateMatterResponse {
            matter: Some(matter_pb(saved)),
        })
    }

    pub async fn list_agenda_backlog(
        &self,
        ctx: &RequestContext,
        req: pb::ListAgendaBacklogRequest,
    ) -> Result<pb::ListAgendaBacklogResponse, ApiError> {
        let forum = convert::uuid("forum_id", &req.forum_id)?;
        // NOT_FOUND for a forum the caller may not see.
        self.roles.get_forum(ctx, &req.forum_id).await?;
        let page = Page::parse(req.page_size, &req.page_token, &req.forum_id)?;
        let filter = MatterFilter {
            forum: Some(forum),
            states: State::ALL
                .iter()
                .filter(|s| s.on_backlog())
                .map(|s| s.as_str().to_owned())
                .collect(),
            newest_first: false,
            ..Default::default()
        };
        let tx = self.read(ctx).await?;
        let mut rows = store::list_matters(&tx, &filter, page.offset, page.fetch_limit()).await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListAgendaBacklogResponse {
            matters: rows.into_iter().map(matter_pb).collect(),
            next_page_token,
        })
    }
}
