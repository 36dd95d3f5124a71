//! Rows to proto messages, and request fields to domain values.

use chrono::{DateTime, Utc};
use samverkan_core::ApiError;
use samverkan_core::dates::timestamp;
use samverkan_proto::forums::v1 as pb;
use uuid::Uuid;

use crate::domain::matter::{Kind, State};
use crate::domain::meeting::{self, Outcome};
use crate::store::{
    agenda_item, document, matter, meeting as meeting_row, meeting_change, note, paragraph,
};

pub use samverkan_core::fields::{opt_uuid, uuid};

pub fn time(
    field: &str,
    t: Option<&samverkan_proto::Timestamp>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    t.map(|t| {
        u32::try_from(t.nanos)
            .ok()
            .and_then(|n| DateTime::from_timestamp(t.seconds, n))
            .filter(|d| (1970..=9999).contains(&chrono::Datelike::year(d)))
            .ok_or_else(|| ApiError::invalid_field(field, "not a valid timestamp"))
    })
    .transpose()
}

pub fn kind_from_pb(k: i32) -> Result<Kind, ApiError> {
    Ok(match pb::MatterKind::try_from(k) {
        Ok(pb::MatterKind::DevelopmentNeed) => Kind::DevelopmentNeed,
        Ok(pb::MatterKind::ImprovementNeed) => Kind::ImprovementNeed,
        Ok(pb::MatterKind::Report) => Kind::Report,
        Ok(pb::MatterKind::FollowUp) => Kind::FollowUp,
        Ok(pb::MatterKind::Information) => Kind::Information,
        _ => {
            return Err(ApiError::invalid_field(
                "matter.kind",
                "must be one of the MatterKind values",
            ));
        }
    })
}

fn kind_pb(k: &str) -> pb::MatterKind {
    match Kind::parse(k) {
        Some(Kind::DevelopmentNeed) => pb::MatterKind::DevelopmentNeed,
        Some(Kind::ImprovementNeed) => pb::MatterKind::ImprovementNeed,
        Some(Kind::Report) => pb::MatterKind::Report,
        Some(Kind::FollowUp) => pb::MatterKind::FollowUp,
        Some(Kind::Information) => pb::MatterKind::Information,
        None => pb::MatterKind::Unspecified,
    }
}

pub fn state_pb(s: State) -> pb::MatterState {
    match s {
        State::Draft => pb::MatterState::Draft,
        State::Submitted => pb::MatterState::Submitted,
        State::OnAgenda => pb::MatterState::OnAgenda,
        State::Handled => pb::MatterState::Handled,
        State::Escalated => pb::MatterState::Escalated,
        State::Withdrawn => pb::MatterState::Withdrawn,
    }
}

pub fn state_from_pb(s: i32) -> Result<Option<State>, ApiError> {
    Ok(match pb::MatterState::try_from(s) {
        Ok(pb::MatterState::Unspecified) => None,
        Ok(pb::MatterState::Draft) => Some(State::Draft),
        Ok(pb::MatterState::Submitted) => Some(State::Submitted),
        Ok(pb::MatterState::OnAgenda) => Some(State::OnAgenda),
        Ok(pb::MatterState::Handled) => Some(State::Handled),
        Ok(pb::MatterState::Escalated) => Some(State::Escalated),
        Ok(pb::MatterState::Withdrawn) => Some(State::Withdrawn),
        Err(_) => return Err(ApiError::invalid_field("state", "not a MatterState value")),
    })
}

pub fn priority_from_pb(p: i32) -> Result<&'static str, ApiError> {
    Ok(match pb::Priority::try_from(p) {
        Ok(pb::Priority::Low) => "low",
        Ok(pb::Priority::Unspecified | pb::Priority::Normal) => "normal",
        Ok(pb::Priority::High) => "high",
        Err(_) => {
            return Err(ApiError::invalid_field(
                "matter.priority",
                "not a Priority value",
            ));
        }
    })
}

fn priority_pb(p: &str) -> pb::Priority {
    match p {
        "low" => pb::Priority::Low,
        "high" => pb::Priority::High,
        _ => pb::Priority::Normal,
    }
}

/// A matter's provenance as stored (JSON).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Step {
    pub forum_id: Uuid,
    pub forum_name: String,
    pub paragraph_id: Uuid,
    pub paragraph_ref: String,
    pub recommendation: String,
    pub escalate_time: DateTime<Utc>,
}

pub fn provenance(m: &matter::Model) -> Vec<Step> {
    serde_json::from_str(&m.provenance).unwrap_or_default()
}

pub fn matter_pb(m: matter::Model) -> pb::Matter {
    let steps = provenance(&m);
    pb::Matter {
        id: m.id.to_string(),
        kind: kind_pb(&m.kind) as i32,
        title: m.title,
        description: m.description,
        raising_municipality_id: m.raising_municipality,
        author: m.author,
        priority: priority_pb(&m.priority) as i32,
        state: State::parse(&m.state).map_or(pb::MatterState::Unspecified, state_pb) as i32,
        forum_id: m.forum_id.map(|f| f.to_string()).unwrap_or_default(),
        provenance: steps
            .into_iter()
            .map(|s| pb::ProvenanceStep {
                forum_id: s.forum_id.to_string(),
                forum_name: s.forum_name,
                paragraph_id: s.paragraph_id.to_string(),
                paragraph_ref: s.paragraph_ref,
                recommendation: s.recommendation,
                escalate_time: Some(timestamp(s.escalate_time)),
            })
            .collect(),
        create_time: Some(timestamp(m.create_time)),
        update_time: Some(timestamp(m.update_time)),
        submit_time: m.submit_time.map(timestamp),
        etag: m.etag,
        collaboration_id: m
            .collaboration_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
    }
}

pub fn item_kind_from_pb(k: i32) -> Result<&'static str, ApiError> {
    Ok(match pb::AgendaItemKind::try_from(k) {
        Ok(pb::AgendaItemKind::Decision) => "decision",
        Ok(pb::AgendaItemKind::Report) => "report",
        Ok(pb::AgendaItemKind::Information) => "information",
        _ => {
            return Err(ApiError::invalid_field(
                "item.kind",
                "must be DECISION, REPORT or INFORMATION",
            ));
        }
    })
}

pub fn item_kind_pb(k: &str) -> pb::AgendaItemKind {
    match k {
        "decision" => pb::AgendaItemKind::Decision,
        "report" => pb::AgendaItemKind::Report,
        "information" => pb::AgendaItemKind::Information,
        _ => pb::AgendaItemKind::Unspecified,
    }
}

pub fn item_kind_swedish(k: &str) -> &'static str {
    match k {
        "decision" => "Beslut",
        "report" => "Rapport",
        _ => "Information",
    }
}

pub fn item_pb(i: agenda_item::Model) -> pb::AgendaItem {
    pb::AgendaItem {
        id: i.id.to_string(),
        meeting_id: i.meeting_id.to_string(),
        number: i.number,
        kind: item_kind_pb(&i.kind) as i32,
        title: i.title,
        matter_id: i.matter_id.map(|m| m.to_string()).unwrap_or_default(),
        presenter: i.presenter,
        estimated_minutes: i.estimated_minutes,
        create_time: Some(timestamp(i.create_time)),
    }
}

pub fn meeting_state_pb(s: &str) -> pb::MeetingState {
    match meeting::State::parse(s) {
        Some(meeting::State::Planned) => pb::MeetingState::Planned,
        Some(meeting::State::AgendaPublished) => pb::MeetingState::AgendaPublished,
        Some(meeting::State::Held) => pb::MeetingState::Held,
        Some(meeting::State::MinutesDrafted) => pb::MeetingState::MinutesDrafted,
        Some(meeting::State::Adjusted) => pb::MeetingState::Adjusted,
        None => pb::MeetingState::Unspecified,
    }
}

pub fn meeting_state_from_pb(s: i32) -> Result<Option<meeting::State>, ApiError> {
    Ok(match pb::MeetingState::try_from(s) {
        Ok(pb::MeetingState::Unspecified) => None,
        Ok(pb::MeetingState::Planned) => Some(meeting::State::Planned),
        Ok(pb::MeetingState::AgendaPublished) => Some(meeting::State::AgendaPublished),
        Ok(pb::MeetingState::Held) => Some(meeting::State::Held),
        Ok(pb::MeetingState::MinutesDrafted) => Some(meeting::State::MinutesDrafted),
        Ok(pb::MeetingState::Adjusted) => Some(meeting::State::Adjusted),
        Err(_) => return Err(ApiError::invalid_field("state", "not a MeetingState value")),
    })
}

pub fn meeting_pb(m: meeting_row::Model, agenda: Vec<agenda_item::Model>) -> pb::Meeting {
    pb::Meeting {
        id: m.id.to_string(),
        forum_id: m.forum_id.to_string(),
        title: m.title,
        start_time: Some(timestamp(m.start_time)),
        end_time: Some(timestamp(m.end_time)),
        location: m.location,
        state: meeting_state_pb(&m.state) as i32,
        agenda: agenda.into_iter().map(item_pb).collect(),
        create_time: Some(timestamp(m.create_time)),
        etag: m.etag,
        collaboration_id: m.collaboration_id.to_string(),
    }
}

pub fn note_pb(n: note::Model) -> pb::Note {
    pb::Note {
        id: n.id.to_string(),
        agenda_item_id: n.agenda_item_id.to_string(),
        meeting_id: n.meeting_id.to_string(),
        text: n.text,
        author: n.author,
        municipality_id: n.owner_tenant,
        create_time: Some(timestamp(n.create_time)),
    }
}

/// A recorded meeting change as `WatchMeeting` reports it.
pub fn meeting_change_pb(c: meeting_change::Model) -> Result<pb::MeetingChange, ApiError> {
    use meeting::ChangeKind as K;
    use pb::MeetingChangeKind as P;
    let kind = match meeting::ChangeKind::parse(&c.kind) {
        Some(K::AgendaItemAdded) => P::AgendaItemAdded,
        Some(K::AgendaPublished) => P::AgendaPublished,
        Some(K::AttendanceRecorded) => P::AttendanceRecorded,
        Some(K::ParagraphAdded) => P::ParagraphAdded,
        Some(K::AdjustersDesignated) => P::AdjustersDesignated,
        Some(K::MinutesAdjusted) => P::MinutesAdjusted,
        Some(K::CorrectionAdded) => P::CorrectionAdded,
        None => {
            return Err(ApiError::internal(format!(
                "stored meeting change kind {:?}",
                c.kind
            )));
        }
    };
    Ok(pb::MeetingChange {
        kind: kind as i32,
        change_time: Some(timestamp(c.change_time)),
        actor: c.actor,
    })
}

pub fn classification_from_pb(c: i32) -> Result<&'static str, ApiError> {
    Ok(match pb::Classification::try_from(c) {
        Ok(pb::Classification::Public) => "public",
        Ok(pb::Classification::Confidential) => "confidential",
        _ => {
            return Err(ApiError::invalid_field(
                "document.classification",
                "must be PUBLIC or CONFIDENTIAL",
            ));
        }
    })
}

pub fn document_pb(d: document::Model, with_content: bool) -> pb::Document {
    pb::Document {
        id: d.id.to_string(),
        matter_id: d.matter_id.map(|m| m.to_string()).unwrap_or_default(),
        agenda_item_id: d.agenda_item_id.map(|i| i.to_string()).unwrap_or_default(),
        title: d.title,
        author: d.author,
        municipality_id: d.municipality,
        classification: match d.classification.as_str() {
            "public" => pb::Classification::Public,
            "confidential" => pb::Classification::Confidential,
            _ => pb::Classification::Unspecified,
        } as i32,
        media_type: d.media_type,
        content: if with_content { d.content } else { Vec::new() },
        sha256: d.sha256,
        size_bytes: d.size_bytes,
        create_time: Some(timestamp(d.create_time)),
    }
}

pub fn outcome_from_pb(o: i32) -> Result<Outcome, ApiError> {
    Ok(match pb::ParagraphOutcome::try_from(o) {
        Ok(pb::ParagraphOutcome::Decided) => Outcome::Decided,
        Ok(pb::ParagraphOutcome::Noted) => Outcome::Noted,
        Ok(pb::ParagraphOutcome::Escalated) => Outcome::Escalated,
        _ => {
            return Err(ApiError::invalid_field(
                "paragraph.outcome",
                "must be DECIDED, NOTED or ESCALATED",
            ));
        }
    })
}

pub fn outcome_pb(o: &str) -> pb::ParagraphOutcome {
    match Outcome::parse(o) {
        Some(Outcome::Decided) => pb::ParagraphOutcome::Decided,
        Some(Outcome::Noted) => pb::ParagraphOutcome::Noted,
        Some(Outcome::Escalated) => pb::ParagraphOutcome::Escalated,
        None => pb::ParagraphOutcome::Unspecified,
    }
}

/// What links paragraphs to other minutes: the corrections recorded of
/// them (in later meetings' minutes), and the paragraphs corrected by them
/// (in earlier meetings' minutes), each with the meeting that holds it.
#[derive(Debug, Default, Clone)]
pub struct Links {
    /// Corrections, in the order they were recorded.
    pub corrections: Vec<(paragraph::Model, meeting_row::Model)>,
    /// Corrected paragraphs.
    pub corrected: Vec<(paragraph::Model, meeting_row::Model)>,
}

impl Links {
    /// The corrections of paragraph `id`.
    pub fn corrections_of(
        &self,
        id: Uuid,
    ) -> impl Iterator<Item = &(paragraph::Model, meeting_row::Model)> {
        self.corrections
            .iter()
            .filter(move |(p, _)| p.corrects_paragraph_id == Some(id))
    }

    /// The paragraph that `p` corrects, if it is a correction.
    pub fn corrected_by(
        &self,
        p: &paragraph::Model,
    ) -> Option<&(paragraph::Model, meeting_row::Model)> {
        let id = p.corrects_paragraph_id?;
        self.corrected.iter().find(|(c, _)| c.id == id)
    }
}

pub fn paragraph_link_pb(p: &paragraph::Model, m: &meeting_row::Model) -> pb::ParagraphLink {
    pb::ParagraphLink {
        paragraph_id: p.id.to_string(),
        reference: meeting::reference(p.number, p.year),
        meeting_id: m.id.to_string(),
        meeting_title: m.title.clone(),
        meeting_start_time: Some(timestamp(m.start_time)),
    }
}

pub fn paragraph_pb(p: paragraph::Model, links: &Links) -> pb::Paragraph {
    pb::Paragraph {
        id: p.id.to_string(),
        meeting_id: p.meeting_id.to_string(),
        number: p.number,
        year: p.year,
        agenda_item_id: p.agenda_item_id.map(|i| i.to_string()).unwrap_or_default(),
        title: p.title.clone(),
        presented: p.presented.clone(),
        decision: p.decision.clone(),
        outcome: outcome_pb(&p.outcome) as i32,
        corrects_paragraph_id: p
            .corrects_paragraph_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
        create_time: Some(timestamp(p.create_time)),
        reference: meeting::reference(p.number, p.year),
        corrects: links.corrected_by(&p).map(|(c, m)| paragraph_link_pb(c, m)),
        corrected_by: links
            .corrections_of(p.id)
            .map(|(c, m)| paragraph_link_pb(c, m))
            .collect(),
    }
}

/// Attendance as stored (JSON).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Present {
    pub person_id: String,
    pub name: String,
    pub status: String,
    pub deputy_for: String,
}

pub fn attendance(m: &meeting_row::Model) -> Vec<Present> {
    serde_json::from_str(&m.attendance).unwrap_or_default()
}

/// A comma-separated list of ids as stored.
pub fn ids(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn minutes_pb(
    m: &meeting_row::Model,
    paragraphs: Vec<paragraph::Model>,
    links: &Links,
) -> pb::Minutes {
    pb::Minutes {
        meeting_id: m.id.to_string(),
        forum_id: m.forum_id.to_string(),
        attendance: attendance(m)
            .into_iter()
            .map(|a| pb::Attendance {
                person_id: a.person_id,
                name: a.name,
                status: match a.status.as_str() {
                    "present" => pb::AttendanceStatus::Present,
                    "absent" => pb::AttendanceStatus::Absent,
                    "deputy_serving" => pb::AttendanceStatus::DeputyServing,
                    _ => pb::AttendanceStatus::Unspecified,
                } as i32,
                deputy_for_person_id: a.deputy_for,
            })
            .collect(),
        // In the order of the series (year, number): a correction is a §
        // like any other of the minutes that record it.
        paragraphs: paragraphs
            .into_iter()
            .map(|p| paragraph_pb(p, links))
            .collect(),
        adjuster_person_ids: ids(&m.adjusters),
        adjusted_by_person_ids: ids(&m.adjusted_by),
        locked: m.state == meeting::State::Adjusted.as_str(),
        lock_time: m.lock_time.map(timestamp),
    }
}
