//! Meetings, agendas, private preparation notes, documents, watching and
//! exports.

use prost::Message as _;
use samverkan_core::fields::{caller_set, server_set};
use samverkan_core::paging::Page;
use samverkan_core::text::required_line;
use samverkan_core::{ApiError, Refusal, RequestContext};
use samverkan_db::Tx;
use samverkan_db::idempotency::Claim;
use samverkan_proto::forums::v1 as pb;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast::error::RecvError;
use tonic::Status;
use uuid::Uuid;

use super::convert::{self, document_pb, meeting_pb, note_pb};
use super::matters::{description, transition};
use super::{Handlers, On, WatchStream};
use crate::domain::export;
use crate::domain::matter::{self, Transition};
use crate::domain::meeting::{self as domain, ChangeKind, Cursor, Signing, State};
use crate::store::{
    self, MeetingFilter, agenda_item, document, matter as matter_row, meeting, note, paragraph,
};

/// How many missed changes a resumed `WatchMeeting` sends; a client
/// further behind is told to reload.
const MAX_MISSED: u64 = 500;

pub(crate) async fn visible_meeting(
    tx: &Tx,
    field: &str,
    id: &str,
) -> Result<meeting::Model, ApiError> {
    let uuid = convert::uuid(field, id)?;
    store::find_meeting(tx, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("meeting", id))
}

pub(crate) fn meeting_state(m: &meeting::Model) -> Result<State, ApiError> {
    State::parse(&m.state)
        .ok_or_else(|| ApiError::internal(format!("stored meeting state {:?}", m.state)))
}

/// The signing of the meeting's minutes as the domain sees it.
pub(crate) fn signing(m: &meeting::Model) -> Result<(State, Signing), ApiError> {
    let s = meeting_state(m)?;
    Ok((s, Signing::of(s, convert::ids(&m.adjusted_by).len())))
}

/// A domain refusal about meeting `m`, as `FAILED_PRECONDITION`.
pub(crate) fn refused(m: Uuid, r: Refusal) -> ApiError {
    r.on(format!("meetings/{m}"))
}

/// The meeting's state if what its minutes show may still change;
/// `FAILED_PRECONDITION` naming the state from the first adjuster's
/// signature on ([`Signing::frozen`]).
pub(crate) fn writable(m: &meeting::Model) -> Result<State, ApiError> {
    let (state, signing) = signing(m)?;
    match signing.frozen() {
        Some(r) => Err(refused(m.id, r)),
        None => Ok(state),
    }
}

/// The meeting `id` read again in the write transaction and locked until it
/// ends, then [`writable`]: a signature committed meanwhile is seen, and
/// none can commit before this write does.
pub(crate) async fn writable_locked(
    tx: &Tx,
    id: Uuid,
) -> Result<(meeting::Model, State), ApiError> {
    let m = store::lock_meeting(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("meeting", id.to_string()))?;
    let state = writable(&m)?;
    Ok((m, state))
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        let c = match c {
            'å' | 'ä' => 'a',
            'ö' => 'o',
            'é' => 'e',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_owned()
}

impl Handlers {
    pub async fn create_meeting(
        &self,
        ctx: &RequestContext,
        req: pb::CreateMeetingRequest,
    ) -> Result<pb::CreateMeetingResponse, ApiError> {
        let m = req.meeting.clone().unwrap_or_default();
        server_set("meeting.id", !m.id.is_empty())?;
        server_set("meeting.state", m.state != 0)?;
        server_set("meeting.agenda", !m.agenda.is_empty())?;
        server_set("meeting.create_time", m.create_time.is_some())?;
        server_set("meeting.etag", !m.etag.is_empty())?;
        server_set("meeting.collaboration_id", !m.collaboration_id.is_empty())?;
        let forum_id = convert::uuid("meeting.forum_id", &m.forum_id)?;
        let title = required_line("meeting.title", &m.title, 200)?;
        let start = convert::time("meeting.start_time", m.start_time.as_ref())?
            .ok_or_else(|| ApiError::invalid_field("meeting.start_time", "required"))?;
        let end = convert::time("meeting.end_time", m.end_time.as_ref())?
            .ok_or_else(|| ApiError::invalid_field("meeting.end_time", "required"))?;
        if end <= start {
            return Err(ApiError::invalid_field(
                "meeting.end_time",
                "must be after the start",
            ));
        }
        let location = convert_opt_line("meeting.location", &m.location, 300)?;
        let forum = self.roles.get_forum(ctx, &m.forum_id).await?;
        let collaboration = convert::uuid("forum.collaboration_id", &forum.collaboration_id)?;
        self.require(
            ctx,
            "meetings.manage",
            On {
                forum: Some(forum_id),
                ..Default::default()
            },
        )
        .await?;
        let tx = self.write(ctx).await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                visible_meeting(&tx, "id", resource.trim_start_matches("meetings/")).await?
            }
            Claim::New => {
                let now = store::now();
                let created = store::insert_meeting(
                    &tx,
                    meeting::Model {
                        id: samverkan_core::new_uuid(),
                        collaboration_id: collaboration,
                        forum_id,
                        title,
                        start_time: start,
                        end_time: end,
                        location,
                        state: State::Planned.as_str().to_owned(),
                        adjusters: String::new(),
                        adjusted_by: String::new(),
                        attendance: "[]".into(),
                        create_time: now,
                        update_time: now,
                        lock_time: None,
                        etag: store::new_etag(),
                    },
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("meetings/{}", created.id))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::CreateMeetingResponse {
            meeting: Some(meeting_pb(stored, Vec::new())),
        })
    }

    pub async fn get_meeting(
        &self,
        ctx: &RequestContext,
        req: pb::GetMeetingRequest,
    ) -> Result<pb::GetMeetingResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let m = visible_meeting(&tx, "id", &req.id).await?;
        let agenda = store::agenda(&tx, m.id).await?;
        tx.commit().await?;
        Ok(pb::GetMeetingResponse {
            meeting: Some(meeting_pb(m, agenda)),
        })
    }

    pub async fn list_meetings(
        &self,
        ctx: &RequestContext,
        req: pb::ListMeetingsRequest,
    ) -> Result<pb::ListMeetingsResponse, ApiError> {
        let newest_first = match req.order_by.trim() {
            "" | "start_time asc" | "start_time" => false,
            "start_time desc" => true,
            _ => {
                return Err(ApiError::invalid_field(
                    "order_by",
                    "must be \"start_time asc\" or \"start_time desc\"",
                ));
            }
        };
        let filter = MeetingFilter {
            forum: convert::opt_uuid("forum_id", &req.forum_id)?,
            state: convert::meeting_state_from_pb(req.state)?.map(|s| s.as_str().to_owned()),
            start_after: convert::time("start_after", req.start_after.as_ref())?,
            start_before: convert::time("start_before", req.start_before.as_ref())?,
            newest_first,
        };
        if filter.forum.is_some() {
            // NOT_FOUND for a forum the caller may not see.
            self.roles.get_forum(ctx, &req.forum_id).await?;
        }
        let page = Page::parse(req.page_size, &req.page_token, &format!("{filter:?}"))?;
        let tx = self.read(ctx).await?;
        let mut rows = store::list_meetings(&tx, &filter, page.offset, page.fetch_limit()).await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListMeetingsResponse {
            meetings: rows
                .into_iter()
                .map(|m| meeting_pb(m, Vec::new()))
                .collect(),
            next_page_token,
        })
    }

    pub async fn add_agenda_item(
        &self,
        ctx: &RequestContext,
        req: pb::AddAgendaItemRequest,
    ) -> Result<pb::AddAgendaItemResponse, ApiError> {
        let i = req.item.clone().unwrap_or_default();
        server_set("item.id", !i.id.is_empty())?;
        server_set("item.number", i.number != 0)?;
        server_set("item.create_time", i.create_time.is_some())?;
        let kind = convert::item_kind_from_pb(i.kind)?;
        let matter_id = convert::opt_uuid("item.matter_id", &i.matter_id)?;
        let presenter = convert_opt_line("item.presenter", &i.presenter, 200)?;
        if !(0..=600).contains(&i.estimated_minutes) {
            return Err(ApiError::invalid_field(
                "item.estimated_minutes",
                "must be between 0 and 600",
            ));
        }
        let action = matter::rule(Transition::PutOnAgenda).action;
        let (tx, m) = self
            .checked_meeting(ctx, "item.meeting_id", &i.meeting_id, action)
            .await?;
        let (m, state) = writable_locked(&tx, m.id).await?;
        domain::may_change_agenda(state).map_err(|r| refused(m.id, r))?;
        let mut changed = None;
        if let Claim::New = tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            let matter = match matter_id {
                Some(id) => {
                    let mt = store::find_matter(&tx, id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("matter", id.to_string()))?;
                    matter::may_put_on_agenda(mt.forum_id, m.forum_id)
                        .map_err(|r| r.on(format!("matters/{id}")))?;
                    let next = transition(&mt, Transition::PutOnAgenda)?;
                    let etag = mt.etag.clone();
                    let on_agenda = matter_row::Model {
                        state: next.as_str().to_owned(),
                        ..mt
                    };
                    Some(
                        store::save_matter(
                            &tx,
                            on_agenda,
                            &etag,
                            json!({"put_on_agenda": {"meeting": m.id}}),
                        )
                        .await?,
                    )
                }
                None => None,
            };
            let title = if i.title.trim().is_empty() {
                matter
                    .as_ref()
                    .map(|mt| mt.title.clone())
                    .unwrap_or_default()
            } else {
                i.title.clone()
            };
            let title = required_line("item.title", &title, 200)?;
            let number = store::next_agenda_number(&tx, &m).await?;
            let item = store::insert_agenda_item(
                &tx,
                agenda_item::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: m.collaboration_id,
                    meeting_id: m.id,
                    number,
                    kind: kind.to_owned(),
                    title,
                    matter_id,
                    presenter,
                    estimated_minutes: i.estimated_minutes,
                    create_time: store::now(),
                },
            )
            .await?;
            tx.finish_request(&req.request_id, &format!("agenda-items/{}", item.id))
                .await?;
            changed = Some(store::record_change(&tx, &m, ChangeKind::AgendaItemAdded).await?);
        }
        let agenda = store::agenda(&tx, m.id).await?;
        tx.commit().await?;
        if let Some(seq) = changed {
            self.events.publish(m.id, seq);
        }
        Ok(pb::AddAgendaItemResponse {
            meeting: Some(meeting_pb(m, agenda)),
        })
    }

    pub async fn publish_agenda(
        &self,
        ctx: &RequestContext,
        req: pb::PublishAgendaRequest,
    ) -> Result<pb::PublishAgendaResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        let (tx, m) = self
            .checked_meeting(ctx, "meeting_id", &req.meeting_id, "meetings.manage")
            .await?;
        let (m, state) = writable_locked(&tx, m.id).await?;
        let agenda = store::agenda(&tx, m.id).await?;
        let published =
            domain::may_publish_agenda(state, agenda.len()).map_err(|r| refused(m.id, r))?;
        let saved = store::save_meeting(
            &tx,
            meeting::Model {
                state: published.as_str().to_owned(),
                ..m
            },
            &etag,
            json!({"publish_agenda": {"items": agenda.len()}}),
        )
        .await?;
        let seq = store::record_change(&tx, &saved, ChangeKind::AgendaPublished).await?;
        tx.commit().await?;
        self.events.publish(saved.id, seq);
        Ok(pb::PublishAgendaResponse {
            meeting: Some(meeting_pb(saved, agenda)),
        })
    }

    pub async fn create_note(
        &self,
        ctx: &RequestContext,
        req: pb::CreateNoteRequest,
    ) -> Result<pb::CreateNoteResponse, ApiError> {
        let n = req.note.clone().unwrap_or_default();
        server_set("note.id", !n.id.is_empty())?;
        server_set("note.meeting_id", !n.meeting_id.is_empty())?;
        caller_set("note.author", &n.author, &ctx.principal.subject)?;
        caller_set(
            "note.municipality_id",
            &n.municipality_id,
            ctx.principal.tenant.as_str(),
        )?;
        server_set("note.create_time", n.create_time.is_some())?;
        let item_id = convert::uuid("note.agenda_item_id", &n.agenda_item_id)?;
        let text = description("note.text", &n.text)?;
        if text.is_empty() {
            return Err(ApiError::invalid_field("note.text", "must not be empty"));
        }
        let (tx, (item, m)) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let item = store::find_agenda_item(&tx, item_id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("agenda item", &n.agenda_item_id))?;
                    let m = store::find_meeting(&tx, item.meeting_id)
                        .await?
                        .ok_or_else(|| {
                            ApiError::not_found("meeting", item.meeting_id.to_string())
                        })?;
                    let on = On {
                        forum: Some(m.forum_id),
                        municipality: Some(ctx.principal.tenant.to_string()),
                        ..Default::default()
                    };
                    Ok((tx, (item, m), vec![on.check("notes.write")]))
                })
            })
            .await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                let id = convert::uuid("id", resource.trim_start_matches("notes/"))?;
                store::find_own_note(&tx, id)
                    .await?
                    .ok_or_else(|| ApiError::internal("replayed note vanished"))?
            }
            Claim::New => {
                // Notes on the items of signed minutes are refused like
                // every other change to what the minutes show.
                writable_locked(&tx, m.id).await?;
                let created = store::insert_note(
                    &tx,
                    note::Model {
                        id: samverkan_core::new_uuid(),
                        owner_tenant: ctx.principal.tenant.to_string(),
                        meeting_id: m.id,
                        agenda_item_id: item.id,
                        text,
                        author: ctx.principal.subject.clone(),
                        create_time: store::now(),
                    },
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("notes/{}", created.id))
                    .await?;
                // Watchers look; only the note's own municipality finds it.
                store::announce(&tx, m.id, 0).await?;
                created
            }
        };
        tx.commit().await?;
        self.events.publish(m.id, 0);
        Ok(pb::CreateNoteResponse {
            note: Some(note_pb(stored)),
        })
    }

    pub async fn list_notes(
        &self,
        ctx: &RequestContext,
        req: pb::ListNotesRequest,
    ) -> Result<pb::ListNotesResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let m = visible_meeting(&tx, "meeting_id", &req.meeting_id).await?;
        let notes = ordered_notes(&tx, m.id).await?;
        tx.commit().await?;
        Ok(pb::ListNotesResponse {
            notes: notes.into_iter().map(note_pb).collect(),
        })
    }

    pub async fn create_document(
        &self,
        ctx: &RequestContext,
        req: pb::CreateDocumentRequest,
    ) -> Result<pb::CreateDocumentResponse, ApiError> {
        let d = req.document.clone().unwrap_or_default();
        server_set("document.id", !d.id.is_empty())?;
        caller_set("document.author", &d.author, &ctx.principal.subject)?;
        caller_set(
            "document.municipality_id",
            &d.municipality_id,
            ctx.principal.tenant.as_str(),
        )?;
        server_set("document.sha256", !d.sha256.is_empty())?;
        server_set("document.size_bytes", d.size_bytes != 0)?;
        server_set("document.create_time", d.create_time.is_some())?;
        let matter_id = convert::opt_uuid("document.matter_id", &d.matter_id)?;
        let item_id = convert::opt_uuid("document.agenda_item_id", &d.agenda_item_id)?;
        if matter_id.is_some() == item_id.is_some() {
            return Err(ApiError::invalid_field(
                "document.matter_id",
                "set exactly one of matter_id and agenda_item_id",
            ));
        }
        let title = required_line("document.title", &d.title, 300)?;
        let classification = convert::classification_from_pb(d.classification)?;
        let media_type = if d.media_type.trim().is_empty() {
            "application/octet-stream".to_owned()
        } else {
            required_line("document.media_type", &d.media_type, 100)?
        };
        if d.content.len() > self.max_document_bytes {
            return Err(ApiError::invalid_field(
                "document.content",
                format!(
                    "is {} bytes; the limit is {} bytes",
                    d.content.len(),
                    self.max_document_bytes
                ),
            ));
        }
        // The document follows its parent's visibility: private with a draft.
        let (tx, (owner_tenant, collaboration_id, meeting_id)) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let forum_check = |forum: Uuid| {
                        On {
                            forum: Some(forum),
                            ..Default::default()
                        }
                        .check("meetings.manage")
                    };
                    match (matter_id, item_id) {
                        (Some(id), _) => {
                            let mt = store::find_matter(&tx, id)
                                .await?
                                .ok_or_else(|| ApiError::not_found("matter", id.to_string()))?;
                            let author = mt.author == ctx.principal.subject
                                && mt.raising_municipality == ctx.principal.tenant.as_str();
                            let checks = if author {
                                Vec::new()
                            } else {
                                let forum = mt.forum_id.ok_or_else(|| {
                                    ApiError::PermissionDenied(
                                        "only the author adds documents to a draft".into(),
                                    )
                                })?;
                                vec![forum_check(forum)]
                            };
                            Ok((
                                tx,
                                (mt.owner_tenant.clone(), mt.collaboration_id, None),
                                checks,
                            ))
                        }
                        (None, Some(id)) => {
                            let item =
                                store::find_agenda_item(&tx, id).await?.ok_or_else(|| {
                                    ApiError::not_found("agenda item", id.to_string())
                                })?;
                            let m = store::find_meeting(&tx, item.meeting_id)
                                .await?
                                .ok_or_else(|| ApiError::internal("meeting of item"))?;
                            Ok((
                                tx,
                                (None, Some(item.collaboration_id), Some(m.id)),
                                vec![forum_check(m.forum_id)],
                            ))
                        }
                        (None, None) => Err(unreachable_parent()),
                    }
                })
            })
            .await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                let id = convert::uuid("id", resource.trim_start_matches("documents/"))?;
                store::find_document(&tx, id)
                    .await?
                    .ok_or_else(|| ApiError::internal("replayed document vanished"))?
            }
            Claim::New => {
                // An agenda item's documents are part of what its
                // meeting's minutes show: frozen from the first signature.
                if let Some(id) = meeting_id {
                    writable_locked(&tx, id).await?;
                }
                let created = store::insert_document(
                    &tx,
                    document::Model {
                        id: samverkan_core::new_uuid(),
                        owner_tenant,
                        collaboration_id,
                        matter_id,
                        agenda_item_id: item_id,
                        title,
                        author: ctx.principal.subject.clone(),
                        municipality: ctx.principal.tenant.to_string(),
                        classification: classification.to_owned(),
                        media_type,
                        sha256: hex::encode(Sha256::digest(&d.content)),
                        size_bytes: i64::try_from(d.content.len()).unwrap_or(i64::MAX),
                        content: d.content,
                        create_time: store::now(),
                    },
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("documents/{}", created.id))
                    .await?;
                created
            }
        };
        tx.commit().await?;
        Ok(pb::CreateDocumentResponse {
            document: Some(document_pb(stored, false)),
        })
    }

    pub async fn get_document(
        &self,
        ctx: &RequestContext,
        req: pb::GetDocumentRequest,
    ) -> Result<pb::GetDocumentResponse, ApiError> {
        let id = convert::uuid("id", &req.id)?;
        let tx = self.read(ctx).await?;
        let d = store::find_document(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("document", &req.id))?;
        tx.commit().await?;
        Ok(pb::GetDocumentResponse {
            document: Some(document_pb(d, true)),
        })
    }

    pub async fn list_documents(
        &self,
        ctx: &RequestContext,
        req: pb::ListDocumentsRequest,
    ) -> Result<pb::ListDocumentsResponse, ApiError> {
        let matter_id = convert::opt_uuid("matter_id", &req.matter_id)?;
        let item_id = convert::opt_uuid("agenda_item_id", &req.agenda_item_id)?;
        if matter_id.is_some() == item_id.is_some() {
            return Err(ApiError::invalid_field(
                "matter_id",
                "set exactly one of matter_id and agenda_item_id",
            ));
        }
        let tx = self.read(ctx).await?;
        // NOT_FOUND for a parent the caller may not see.
        if let Some(id) = matter_id {
            store::find_matter(&tx, id)
                .await?
                .ok_or_else(|| ApiError::not_found("matter", &req.matter_id))?;
        }
        if let Some(id) = item_id {
            store::find_agenda_item(&tx, id)
                .await?
                .ok_or_else(|| ApiError::not_found("agenda item", &req.agenda_item_id))?;
        }
        let docs = store::list_documents(&tx, matter_id, item_id).await?;
        tx.commit().await?;
        Ok(pb::ListDocumentsResponse {
            documents: docs.into_iter().map(|d| document_pb(d, false)).collect(),
        })
    }

    /// The meeting as one watcher sees it: its agenda, the watcher's own
    /// municipality's notes, and the minutes once opened.
    /// The meeting as `ctx` sees it, with the changes after `after` (none
    /// for a fresh stream) and the cursor the state includes. The shared
    /// cursor is read first: the state read after it includes at least
    /// those changes.
    async fn snapshot(
        &self,
        ctx: &RequestContext,
        id: Uuid,
        after: Option<Cursor>,
    ) -> Result<(pb::WatchMeetingResponse, Cursor), ApiError> {
        let tx = self.read(ctx).await?;
        let m = store::find_meeting(&tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("meeting", id.to_string()))?;
        let shared = store::last_change(&tx, m.id).await?;
        let notes = ordered_notes(&tx, m.id).await?;
        let now = Cursor {
            shared,
            notes: i64::try_from(notes.len()).map_err(ApiError::internal_from)?,
        };
        let mut changes = Vec::new();
        if let Some(a) = after {
            let missed = store::changes_after(&tx, m.id, a.shared, MAX_MISSED + 1).await?;
            let new_notes = usize::try_from(now.notes - a.notes).unwrap_or(0);
            let max = usize::try_from(MAX_MISSED).unwrap_or(usize::MAX);
            domain::may_resume(&a, &now, missed.len() + new_notes, max)
                .map_err(|r| refused(id, r))?;
            for c in missed.into_iter().filter(|c| c.seq <= shared) {
                let at = c.change_time;
                changes.push((at, convert::meeting_change_pb(c)?));
            }
            let mut by_time: Vec<&note::Model> = notes.iter().collect();
            by_time.sort_by_key(|n| (n.create_time, n.id));
            for n in by_time.into_iter().skip(notes.len() - new_notes) {
                changes.push((
                    n.create_time,
                    pb::MeetingChange {
                        kind: pb::MeetingChangeKind::NoteAdded as i32,
                        change_time: Some(samverkan_core::dates::timestamp(n.create_time)),
                        actor: n.author.clone(),
                    },
                ));
            }
            changes.sort_by_key(|(at, _)| *at);
        }
        let agenda = store::agenda(&tx, m.id).await?;
        let minutes = if meeting_state(&m)? >= State::Held {
            Some(super::minutes::load_minutes(&tx, &m).await?)
        } else {
            None
        };
        tx.commit().await?;
        Ok((
            pb::WatchMeetingResponse {
                meeting: Some(meeting_pb(m, agenda)),
                notes: notes.into_iter().map(note_pb).collect(),
                minutes,
                cursor: now.to_string(),
                changes: changes.into_iter().map(|(_, c)| c).collect(),
            },
            now,
        ))
    }

    /// The meeting now, then again after every change committed through
    /// any instance; from `resume_after`, first the changes missed. A
    /// watcher is woken by [`crate::events::Events`] and sends only what
    /// is after its cursor, so each change reaches it once, in order.
    pub async fn watch_meeting(
        &self,
        ctx: RequestContext,
        req: pb::WatchMeetingRequest,
    ) -> Result<WatchStream, ApiError> {
        let id = convert::uuid("meeting_id", &req.meeting_id)?;
        let after = match req.resume_after.trim() {
            "" => None,
            c => Some(Cursor::parse(c).ok_or_else(|| {
                ApiError::invalid_field(
                    "resume_after",
                    "must be a cursor this stream gave, or empty",
                )
            })?),
        };
        // Subscribe before the first snapshot so no change falls between.
        let rx = self.events.subscribe();
        let (first, cursor) = self.snapshot(&ctx, id, after).await?;
        let handlers = self.clone();
        let open = samverkan_telemetry::metrics().watch_stream();
        let rest = futures::stream::unfold(
            (handlers, ctx, rx, cursor, false, open),
            move |(h, ctx, mut rx, cursor, ended, open)| async move {
                if ended {
                    return None;
                }
                loop {
                    match rx.recv().await {
                        Ok(ev) if ev.concerns(id, cursor.shared) => {}
                        Ok(_) => continue,
                        // Missed some wake-ups: look.
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                    }
                    match h.snapshot(&ctx, id, Some(cursor)).await {
                        Ok((item, now)) if cursor.behind(&now) => {
                            return Some((Ok(item), (h, ctx, rx, now, false, open)));
                        }
                        // Woken for nothing new to this caller.
                        Ok(_) => continue,
                        Err(e) => {
                            return Some((Err(Status::from(e)), (h, ctx, rx, cursor, true, open)));
                        }
                    }
                }
            },
        );
        let stream =
            futures::stream::StreamExt::chain(futures::stream::once(async { Ok(first) }), rest);
        Ok(Box::pin(stream))
    }

    pub async fn export_meeting(
        &self,
        ctx: &RequestContext,
        req: pb::ExportMeetingRequest,
    ) -> Result<pb::ExportMeetingResponse, ApiError> {
        let kind = pb::ExportKind::try_from(req.kind)
            .ok()
            .filter(|k| *k != pb::ExportKind::Unspecified)
            .ok_or_else(|| {
                ApiError::invalid_field("kind", "must be AGENDA, MINUTES or CALENDAR")
            })?;
        let html = match pb::ExportFormat::try_from(req.format) {
            Ok(pb::ExportFormat::Html) => true,
            Ok(_) => false,
            Err(_) => {
                return Err(ApiError::invalid_field(
                    "format",
                    "must be MARKDOWN or HTML",
                ));
            }
        };
        let tx = self.read(ctx).await?;
        let m = visible_meeting(&tx, "meeting_id", &req.meeting_id).await?;
        let agenda = store::agenda(&tx, m.id).await?;
        let paragraphs = store::paragraphs(&tx, m.id).await?;
        let links = super::minutes::links(&tx, &paragraphs).await?;
        tx.commit().await?;
        let forum = self.roles.get_forum(ctx, &m.forum_id.to_string()).await?;
        let meeting = export::Meeting {
            id: m.id.to_string(),
            forum: forum.name.clone(),
            title: m.title.clone(),
            start: m.start_time,
            end: m.end_time,
            location: m.location.clone(),
            created: m.create_time,
            items: agenda
                .iter()
                .map(|i| export::Item {
                    number: i.number,
                    kind: convert::item_kind_swedish(&i.kind),
                    title: i.title.clone(),
                    presenter: i.presenter.clone(),
                    estimated_minutes: i.estimated_minutes,
                })
                .collect(),
        };
        let stem = format!("{}-{}", slug(&forum.name), m.start_time.format("%Y-%m-%d"));
        let (media_type, file_name, content) = match kind {
            pb::ExportKind::Calendar => (
                "text/calendar",
                format!("sammantrade-{stem}.ics"),
                export::ics(&meeting),
            ),
            pb::ExportKind::Agenda if html => (
                "text/html",
                format!("kallelse-{stem}.html"),
                export::agenda_html(&meeting),
            ),
            pb::ExportKind::Agenda => (
                "text/markdown",
                format!("kallelse-{stem}.md"),
                export::agenda_markdown(&meeting),
            ),
            _ => {
                domain::has_minutes(meeting_state(&m)?).map_err(|r| refused(m.id, r))?;
                let names = self.names(ctx, &m).await?;
                let name_of = |id: &str| {
                    names
                        .iter()
                        .find(|(i, _)| i == id)
                        .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
                };
                let link = |(p, at): &(paragraph::Model, meeting::Model)| export::Link {
                    reference: crate::domain::meeting::reference(p.number, p.year),
                    meeting_title: at.title.clone(),
                    meeting_start: at.start_time,
                };
                let minutes = export::Minutes {
                    meeting,
                    attendance: convert::attendance(&m)
                        .into_iter()
                        .map(|a| {
                            let status = match a.status.as_str() {
                                "present" => "närvarande",
                                "absent" => "frånvarande",
                                _ => "tjänstgörande ersättare",
                            };
                            (a.name, status.to_owned())
                        })
                        .collect(),
                    paragraphs: paragraphs
                        .iter()
                        .map(|p| export::Paragraph {
                            reference: crate::domain::meeting::reference(p.number, p.year),
                            title: p.title.clone(),
                            presented: p.presented.clone(),
                            decision: p.decision.clone(),
                            outcome: match convert::outcome_pb(&p.outcome) {
                                pb::ParagraphOutcome::Noted => "Noterades".into(),
                                pb::ParagraphOutcome::Escalated => {
                                    "Överlämnas till överordnat forum".into()
                                }
                                _ => "Beslut".into(),
                            },
                            corrects: links.corrected_by(p).map(link),
                            corrected_by: links.corrections_of(p.id).map(link).collect(),
                        })
                        .collect(),
                    adjusters: convert::ids(&m.adjusters)
                        .iter()
                        .map(|id| name_of(id))
                        .collect(),
                    lock_time: m.lock_time,
                };
                if html {
                    (
                        "text/html",
                        format!("protokoll-{stem}.html"),
                        export::minutes_html(&minutes),
                    )
                } else {
                    (
                        "text/markdown",
                        format!("protokoll-{stem}.md"),
                        export::minutes_markdown(&minutes),
                    )
                }
            }
        };
        Ok(pb::ExportMeetingResponse {
            media_type: media_type.into(),
            file_name,
            content: content.into_bytes(),
        })
    }

    /// (person id, name) of everyone with a seat in the meeting's forum on
    /// its date, for the minutes' adjusters.
    pub(crate) async fn names(
        &self,
        ctx: &RequestContext,
        m: &meeting::Model,
    ) -> Result<Vec<(String, String)>, ApiError> {
        let on =
            samverkan_core::dates::to_proto(samverkan_core::dates::stockholm_date(m.start_time));
        let comp = self
            .roles
            .composition(
                ctx,
                samverkan_proto::roles::v1::GetForumCompositionRequest {
                    forum_id: m.forum_id.to_string(),
                    on: Some(on),
                },
            )
            .await?;
        Ok(comp
            .seats
            .into_iter()
            .filter_map(|s| s.person)
            .map(|p| (p.id, p.display_name))
            .collect())
    }
}

fn unreachable_parent() -> ApiError {
    ApiError::invalid_field(
        "document.matter_id",
        "set exactly one of matter_id and agenda_item_id",
    )
}

/// Own notes, in agenda order then time.
async fn ordered_notes(tx: &Tx, meeting: Uuid) -> Result<Vec<note::Model>, ApiError> {
    let agenda = store::agenda(tx, meeting).await?;
    let mut notes = store::own_notes(tx, meeting).await?;
    let pos = |id: Uuid| {
        agenda
            .iter()
            .find(|i| i.id == id)
            .map_or(i32::MAX, |i| i.number)
    };
    notes.sort_by_key(|n| (pos(n.agenda_item_id), n.create_time, n.id));
    Ok(notes)
}

/// An optional single line (trimmed, length-limited).
pub(crate) fn convert_opt_line(field: &str, s: &str, max: usize) -> Result<String, ApiError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    required_line(field, t, max)
}
