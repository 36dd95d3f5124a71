//! Minutes: attendance, numbered paragraphs, adjusters, adjustment and
//! corrections.

use prost::Message as _;
use samverkan_core::fields::server_set;
use samverkan_core::text::required_line;
use samverkan_core::{ApiError, RequestContext};
use samverkan_db::Tx;
use samverkan_db::idempotency::Claim;
use samverkan_proto::forums::v1 as pb;
use samverkan_proto::roles::v1 as roles_pb;
use serde_json::json;
use uuid::Uuid;

use super::convert::{self, Links, minutes_pb, paragraph_pb};
use super::matters::{description, transition};
use super::meetings::{meeting_state, refused, signing, visible_meeting, writable_locked};
use super::{Handlers, On};
use crate::SERVICE;
use crate::domain::matter::Transition;
use crate::domain::meeting::{
    self as domain, ChangeKind, Eligible, Outcome, Side, State, Which, reference, series_year,
};
use crate::store::{self, matter as matter_row, meeting, paragraph};

/// The meeting locked in the write transaction, if its minutes are open
/// and nothing they show is frozen yet.
async fn minutes_open(tx: &Tx, id: Uuid) -> Result<meeting::Model, ApiError> {
    let (m, state) = writable_locked(tx, id).await?;
    domain::may_write_minutes(state).map_err(|r| refused(m.id, r))?;
    Ok(m)
}

/// The links of `paragraphs` to other minutes: their corrections, and
/// what they correct, each with the meeting that holds it.
pub(crate) async fn links(tx: &Tx, paragraphs: &[paragraph::Model]) -> Result<Links, ApiError> {
    let ids: Vec<Uuid> = paragraphs.iter().map(|p| p.id).collect();
    let corrections = store::corrections_of(tx, &ids).await?;
    let corrected_ids: Vec<Uuid> = paragraphs
        .iter()
        .filter_map(|p| p.corrects_paragraph_id)
        .collect();
    let corrected = store::paragraphs_by_id(tx, &corrected_ids).await?;
    let mut meeting_ids: Vec<Uuid> = corrections
        .iter()
        .chain(&corrected)
        .map(|p| p.meeting_id)
        .collect();
    meeting_ids.sort_unstable();
    meeting_ids.dedup();
    let meetings = store::meetings_by_id(tx, &meeting_ids).await?;
    let with_meeting = |ps: Vec<paragraph::Model>| {
        ps.into_iter()
            .filter_map(|p| {
                let m = meetings.iter().find(|m| m.id == p.meeting_id)?.clone();
                Some((p, m))
            })
            .collect()
    };
    Ok(Links {
        corrections: with_meeting(corrections),
        corrected: with_meeting(corrected),
    })
}

/// The minutes of meeting `m` as read in `tx`, with their links.
pub(crate) async fn load_minutes(tx: &Tx, m: &meeting::Model) -> Result<pb::Minutes, ApiError> {
    let paragraphs = store::paragraphs(tx, m.id).await?;
    let links = links(tx, &paragraphs).await?;
    Ok(minutes_pb(m, paragraphs, &links))
}

impl Handlers {
    pub async fn record_attendance(
        &self,
        ctx: &RequestContext,
        req: pb::RecordAttendanceRequest,
    ) -> Result<pb::RecordAttendanceResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        let mut present = Vec::with_capacity(req.attendance.len());
        for (i, a) in req.attendance.iter().enumerate() {
            let name = required_line(&format!("attendance[{i}].name"), &a.name, 200)?;
            let status = match pb::AttendanceStatus::try_from(a.status) {
                Ok(pb::AttendanceStatus::Present) => "present",
                Ok(pb::AttendanceStatus::Absent) => "absent",
                Ok(pb::AttendanceStatus::DeputyServing) => "deputy_serving",
                _ => {
                    return Err(ApiError::invalid_field(
                        format!("attendance[{i}].status"),
                        "must be PRESENT, ABSENT or DEPUTY_SERVING",
                    ));
                }
            };
            convert::opt_uuid(&format!("attendance[{i}].person_id"), &a.person_id)?;
            convert::opt_uuid(
                &format!("attendance[{i}].deputy_for_person_id"),
                &a.deputy_for_person_id,
            )?;
            present.push(convert::Present {
                person_id: a.person_id.clone(),
                name,
                status: status.into(),
                deputy_for: a.deputy_for_person_id.clone(),
            });
        }
        if present.is_empty() {
            return Err(ApiError::invalid_field(
                "attendance",
                "must list who attended",
            ));
        }
        let (tx, m) = self
            .checked_meeting(ctx, "meeting_id", &req.meeting_id, "minutes.record")
            .await?;
        let (m, state) = writable_locked(&tx, m.id).await?;
        domain::may_record_attendance(state).map_err(|r| refused(m.id, r))?;
        let attendance = serde_json::to_string(&present).map_err(ApiError::internal_from)?;
        let saved = store::save_meeting(
            &tx,
            meeting::Model {
                // Recording attendance again keeps paragraphs already drafted.
                state: if m.state == State::MinutesDrafted.as_str() { State::MinutesDrafted } else { State::Held }
                    .as_str()
                    .into(),
                attendance,
                ..m
            },
            &etag,
            json!({"attendance": present.iter().map(|p| json!({"name": p.name, "status": p.status})).collect::<Vec<_>>()}),
        )
        .await?;
        let minutes = load_minutes(&tx, &saved).await?;
        let seq = store::record_change(&tx, &saved, ChangeKind::AttendanceRecorded).await?;
        tx.commit().await?;
        self.events.publish(saved.id, seq);
        Ok(pb::RecordAttendanceResponse {
            minutes: Some(minutes),
        })
    }

    pub async fn add_paragraph(
        &self,
        ctx: &RequestContext,
        req: pb::AddParagraphRequest,
    ) -> Result<pb::AddParagraphResponse, ApiError> {
        let p = req.paragraph.clone().unwrap_or_default();
        server_set("paragraph.id", !p.id.is_empty())?;
        server_set("paragraph.number", p.number != 0)?;
        server_set("paragraph.year", p.year != 0)?;
        server_set("paragraph.reference", !p.reference.is_empty())?;
        server_set(
            "paragraph.corrects_paragraph_id",
            !p.corrects_paragraph_id.is_empty(),
        )?;
        server_set("paragraph.corrects", p.corrects.is_some())?;
        server_set("paragraph.corrected_by", !p.corrected_by.is_empty())?;
        server_set("paragraph.create_time", p.create_time.is_some())?;
        let item_id = convert::uuid("paragraph.agenda_item_id", &p.agenda_item_id)?;
        let outcome = convert::outcome_from_pb(p.outcome)?;
        let presented = description("paragraph.presented", &p.presented)?;
        let decision = description("paragraph.decision", &p.decision)?;
        if decision.is_empty() {
            return Err(ApiError::invalid_field(
                "paragraph.decision",
                "must say what was decided or noted",
            ));
        }
        let (tx, m) = self
            .checked_meeting(ctx, "paragraph.meeting_id", &p.meeting_id, "minutes.record")
            .await?;
        let mut changed = None;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                let id = convert::uuid("id", resource.trim_start_matches("paragraphs/"))?;
                store::find_paragraph(&tx, id)
                    .await?
                    .ok_or_else(|| ApiError::internal("replayed paragraph vanished"))?
            }
            Claim::New => {
                let m = minutes_open(&tx, m.id).await?;
                let item = store::find_agenda_item(&tx, item_id)
                    .await?
                    .filter(|i| i.meeting_id == m.id)
                    .ok_or_else(|| ApiError::not_found("agenda item", &p.agenda_item_id))?;
                let title = if p.title.trim().is_empty() {
                    item.title.clone()
                } else {
                    required_line("paragraph.title", &p.title, 200)?
                };
                if let Some(matter_id) = item.matter_id {
                    let mt = store::find_matter(&tx, matter_id)
                        .await?
                        .ok_or_else(|| ApiError::internal("matter of agenda item"))?;
                    if outcome == Outcome::Escalated {
                        // Stays on the agenda until EscalateMatter moves it up with this §.
                        transition(&mt, Transition::Escalate)?;
                    } else {
                        let next = transition(&mt, Transition::Handle)?;
                        let etag = mt.etag.clone();
                        store::save_matter(
                            &tx,
                            matter_row::Model {
                                state: next.as_str().into(),
                                ..mt
                            },
                            &etag,
                            json!({"handle": {"meeting": m.id, "outcome": outcome.as_str()}}),
                        )
                        .await?;
                    }
                }
                // The series follows the meeting's calendar year in Stockholm.
                let year = series_year(m.start_time);
                let number =
                    store::next_paragraph_number(&tx, m.forum_id, m.collaboration_id, year).await?;
                let created = store::insert_paragraph(
                    &tx,
                    paragraph::Model {
                        id: samverkan_core::new_uuid(),
                        collaboration_id: m.collaboration_id,
                        meeting_id: m.id,
                        forum_id: m.forum_id,
                        year,
                        number,
                        agenda_item_id: Some(item.id),
                        title,
                        presented,
                        decision,
                        outcome: outcome.as_str().into(),
                        corrects_paragraph_id: None,
                        create_time: store::now(),
                    },
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("paragraphs/{}", created.id))
                    .await?;
                if meeting_state(&m)? == State::Held {
                    let drafting = meeting::Model {
                        state: State::MinutesDrafted.as_str().into(),
                        ..m.clone()
                    };
                    store::save_meeting(&tx, drafting, "", json!({"minutes_drafted": {}})).await?;
                }
                changed = Some(store::record_change(&tx, &m, ChangeKind::ParagraphAdded).await?);
                created
            }
        };
        // A replayed § may have been corrected since.
        let links = links(&tx, std::slice::from_ref(&stored)).await?;
        tx.commit().await?;
        if let Some(seq) = changed {
            self.events.publish(m.id, seq);
        }
        Ok(pb::AddParagraphResponse {
            paragraph: Some(paragraph_pb(stored, &links)),
        })
    }

    pub async fn designate_adjusters(
        &self,
        ctx: &RequestContext,
        req: pb::DesignateAdjustersRequest,
    ) -> Result<pb::DesignateAdjustersResponse, ApiError> {
        for (i, p) in req.person_ids.iter().enumerate() {
            convert::uuid(&format!("person_ids[{i}]"), p)?;
        }
        // The permission, and the forum's composition on the meeting's date,
        // asked of the roles service before the write transaction begins.
        let (tx, m, comp) = self
            .db
            .check_then_write(
                ctx,
                SERVICE,
                |tx| {
                    Box::pin(async {
                        let m = visible_meeting(&tx, "meeting_id", &req.meeting_id).await?;
                        let on = On {
                            forum: Some(m.forum_id),
                            ..Default::default()
                        };
                        let date = samverkan_core::dates::stockholm_date(m.start_time);
                        let inputs = (on.check("minutes.record"), m.forum_id, date);
                        Ok((tx, m, inputs))
                    })
                },
                |(check, forum, date)| {
                    Box::pin(async move {
                        self.roles.require(ctx, check).await?;
                        self.roles
                            .composition(
                                ctx,
                                roles_pb::GetForumCompositionRequest {
                                    forum_id: forum.to_string(),
                                    on: Some(samverkan_core::dates::to_proto(date)),
                                },
                            )
                            .await
                    })
                },
            )
            .await?;
        let m = minutes_open(&tx, m.id).await?;
        // Eligible: seats that may adjust, in the forum on the meeting's date.
        let mut eligible: Vec<Eligible> = Vec::new();
        for s in comp.seats.iter().filter(|s| s.may_adjust) {
            if let Some(p) = &s.person
                && !eligible.iter().any(|e| e.person_id == p.id)
            {
                eligible.push(Eligible {
                    person_id: p.id.clone(),
                    municipality: p.municipality_id.clone(),
                });
            }
        }
        let chosen: Vec<String> = if req.person_ids.is_empty() {
            domain::default_adjusters(&eligible)
                .map_err(|r| r.on(format!("forums/{}", m.forum_id)))?
                .to_vec()
        } else {
            if req.person_ids.len() != 2 || req.person_ids[0] == req.person_ids[1] {
                return Err(ApiError::invalid_field(
                    "person_ids",
                    "name exactly two different people",
                ));
            }
            for (i, p) in req.person_ids.iter().enumerate() {
                if !eligible.iter().any(|e| &e.person_id == p) {
                    return Err(ApiError::invalid_field(
                        format!("person_ids[{i}]"),
                        "has no seat in the forum that may adjust minutes on the meeting's date",
                    ));
                }
            }
            req.person_ids.clone()
        };
        let saved = store::save_meeting(
            &tx,
            meeting::Model {
                adjusters: chosen.join(","),
                adjusted_by: String::new(),
                ..m
            },
            "",
            json!({"designate_adjusters": chosen}),
        )
        .await?;
        let minutes = load_minutes(&tx, &saved).await?;
        let seq = store::record_change(&tx, &saved, ChangeKind::AdjustersDesignated).await?;
        tx.commit().await?;
        self.events.publish(saved.id, seq);
        Ok(pb::DesignateAdjustersResponse {
            minutes: Some(minutes),
        })
    }

    pub async fn adjust_minutes(
        &self,
        ctx: &RequestContext,
        req: pb::AdjustMinutesRequest,
    ) -> Result<pb::AdjustMinutesResponse, ApiError> {
        // Who the caller is, asked before any write transaction begins.
        let me = self.roles.person(ctx).await?.map(|p| p.id);
        let (tx, (m, adjusters)) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let m = visible_meeting(&tx, "meeting_id", &req.meeting_id).await?;
                    let (state, signed) = signing(&m)?;
                    signed.signable(state).map_err(|r| refused(m.id, r))?;
                    let adjusters = convert::ids(&m.adjusters);
                    domain::adjusters_designated(&adjusters).map_err(|r| refused(m.id, r))?;
                    let on = On {
                        forum: Some(m.forum_id),
                        designated: adjusters.clone(),
                        ..Default::default()
                    };
                    Ok((tx, (m, adjusters), vec![on.check("minutes.adjust")]))
                })
            })
            .await?;
        let me = me.ok_or_else(|| ApiError::internal("adjuster without person"))?;
        // Read again under the meeting's lock: the other adjuster's
        // signature, if committed meanwhile, counts.
        let m = store::lock_meeting(&tx, m.id)
            .await?
            .ok_or_else(|| ApiError::not_found("meeting", &req.meeting_id))?;
        let (state, signed) = signing(&m)?;
        signed.signable(state).map_err(|r| refused(m.id, r))?;
        if convert::ids(&m.adjusters) != adjusters {
            return Err(ApiError::Conflict(
                "the adjusters changed while the signature was being checked; try again".into(),
            ));
        }
        let mut done = convert::ids(&m.adjusted_by);
        // Every item on the agenda gets its own § (an audit finding).
        let agenda = store::agenda(&tx, m.id).await?;
        let paragraphs = store::paragraphs(&tx, m.id).await?;
        let missing: Vec<String> = agenda
            .iter()
            .filter(|i| !paragraphs.iter().any(|p| p.agenda_item_id == Some(i.id)))
            .map(|i| format!("{}. {}", i.number, i.title))
            .collect();
        domain::may_sign(&adjusters, &done, &me, &missing).map_err(|r| refused(m.id, r))?;
        done.push(me);
        let locked = adjusters.iter().all(|a| done.contains(a));
        let saved = store::save_meeting(
            &tx,
            meeting::Model {
                adjusted_by: done.join(","),
                state: if locked {
                    State::Adjusted
                } else {
                    State::MinutesDrafted
                }
                .as_str()
                .into(),
                lock_time: locked.then(store::now),
                ..m
            },
            "",
            json!({"adjust": {"locked": locked}}),
        )
        .await?;
        if locked {
            // Decisions registered against these minutes become final.
            tx.enqueue(
                samverkan_core::CollaborationId(saved.collaboration_id),
                crate::inbox::MINUTES_ADJUSTED,
                &json!({"meeting_id": saved.id, "forum_id": saved.forum_id}),
            )
            .await?;
        }
        let minutes = load_minutes(&tx, &saved).await?;
        let seq = store::record_change(&tx, &saved, ChangeKind::MinutesAdjusted).await?;
        tx.commit().await?;
        self.events.publish(saved.id, seq);
        Ok(pb::AdjustMinutesResponse {
            minutes: Some(minutes),
        })
    }

    pub async fn add_correction(
        &self,
        ctx: &RequestContext,
        req: pb::AddCorrectionRequest,
    ) -> Result<pb::AddCorrectionResponse, ApiError> {
        convert::uuid("meeting_id", &req.meeting_id)?;
        let corrects = convert::uuid("corrects_paragraph_id", &req.corrects_paragraph_id)?;
        convert::uuid("recording_meeting_id", &req.recording_meeting_id)?;
        let text = description("text", &req.text)?;
        if text.is_empty() {
            return Err(ApiError::invalid_field(
                "text",
                "must say what is corrected",
            ));
        }
        // The correction is a § of the recording meeting's minutes: the
        // secretary of its forum records it (the rule below requires the
        // corrected meeting to be of the same forum).
        let (tx, (corrected, recording)) = self
            .checked(ctx, |tx| {
                Box::pin(async {
                    let corrected = visible_meeting(&tx, "meeting_id", &req.meeting_id).await?;
                    let recording =
                        visible_meeting(&tx, "recording_meeting_id", &req.recording_meeting_id)
                            .await?;
                    let on = On {
                        forum: Some(recording.forum_id),
                        ..Default::default()
                    };
                    Ok((tx, (corrected, recording), vec![on.check("minutes.record")]))
                })
            })
            .await?;
        let mut changed = None;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(resource) => {
                let id = convert::uuid("id", resource.trim_start_matches("paragraphs/"))?;
                store::find_paragraph(&tx, id)
                    .await?
                    .ok_or_else(|| ApiError::internal("replayed correction vanished"))?
            }
            Claim::New => {
                // Under the recording meeting's lock, so that no signature
                // freezes its minutes while the § is added.
                let recording = store::lock_meeting(&tx, recording.id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("meeting", &req.recording_meeting_id))?;
                let side = |m: &meeting::Model| -> Result<Side<Uuid>, ApiError> {
                    let (state, signing) = signing(m)?;
                    Ok(Side {
                        forum: m.forum_id,
                        state,
                        signing,
                        start: m.start_time,
                    })
                };
                domain::may_record_correction(&side(&corrected)?, &side(&recording)?).map_err(
                    |(which, r)| match which {
                        Which::Corrected => refused(corrected.id, r),
                        Which::Recording => refused(recording.id, r),
                    },
                )?;
                let original = store::find_paragraph(&tx, corrects)
                    .await?
                    .filter(|p| p.meeting_id == corrected.id)
                    .ok_or_else(|| ApiError::not_found("paragraph", &req.corrects_paragraph_id))?;
                // A correction is numbered like every § of the minutes that
                // record it: in the series of the recording meeting's year.
                let year = series_year(recording.start_time);
                let number = store::next_paragraph_number(
                    &tx,
                    recording.forum_id,
                    recording.collaboration_id,
                    year,
                )
                .await?;
                let created = store::insert_paragraph(
                    &tx,
                    paragraph::Model {
                        id: samverkan_core::new_uuid(),
                        collaboration_id: recording.collaboration_id,
                        meeting_id: recording.id,
                        forum_id: recording.forum_id,
                        year,
                        number,
                        agenda_item_id: None,
                        title: format!("Rättelse av {}", reference(original.number, original.year)),
                        presented: String::new(),
                        decision: text,
                        outcome: Outcome::Noted.as_str().into(),
                        corrects_paragraph_id: Some(original.id),
                        create_time: store::now(),
                    },
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("paragraphs/{}", created.id))
                    .await?;
                if meeting_state(&recording)? == State::Held {
                    let drafting = meeting::Model {
                        state: State::MinutesDrafted.as_str().into(),
                        ..recording.clone()
                    };
                    store::save_meeting(&tx, drafting, "", json!({"minutes_drafted": {}})).await?;
                }
                // Both minutes changed: the recording meeting's gained a §,
                // the corrected meeting's lists the correction.
                changed = Some([
                    (
                        recording.id,
                        store::record_change(&tx, &recording, ChangeKind::CorrectionAdded).await?,
                    ),
                    (
                        corrected.id,
                        store::record_change(&tx, &corrected, ChangeKind::CorrectionAdded).await?,
                    ),
                ]);
                created
            }
        };
        let links = links(&tx, std::slice::from_ref(&stored)).await?;
        tx.commit().await?;
        for (meeting, seq) in changed.into_iter().flatten() {
            self.events.publish(meeting, seq);
        }
        Ok(pb::AddCorrectionResponse {
            paragraph: Some(paragraph_pb(stored, &links)),
        })
    }

    pub async fn get_minutes(
        &self,
        ctx: &RequestContext,
        req: pb::GetMinutesRequest,
    ) -> Result<pb::GetMinutesResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let m = visible_meeting(&tx, "meeting_id", &req.meeting_id).await?;
        let minutes = load_minutes(&tx, &m).await?;
        tx.commit().await?;
        Ok(pb::GetMinutesResponse {
            minutes: Some(minutes),
        })
    }
}
