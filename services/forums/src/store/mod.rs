//! Queries of the forums service. Every query runs in a tenant-scoped
//! transaction and adds its table's tenancy condition; PostgreSQL's
//! row-level security enforces the same rule again.

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, Order, QueryOrder, QuerySelect};
use serde_json::json;

use samverkan_core::ApiError;
use samverkan_db::{Tx, db_err, rls};

pub use samverkan_db::{new_etag, now};

pub use entities::{
    agenda_item, document, matter, meeting, meeting_change, note, paragraph, paragraph_counter,
};

// ---- matters --------------------------------------------------------------

pub async fn find_matter(tx: &Tx, id: Uuid) -> Result<Option<matter::Model>, ApiError> {
    matter::Entity::find_by_id(id)
        .filter(rls::visible(
            tx.scope(),
            matter::Column::OwnerTenant,
            matter::Column::CollaborationId,
        ))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn insert_matter(tx: &Tx, m: matter::Model) -> Result<matter::Model, ApiError> {
    matter::ActiveModel::from(m.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("matters/{}", m.id),
        &json!({"create": {"kind": m.kind, "title": m.title, "description": m.description, "priority": m.priority}}),
    )
    .await?;
    Ok(m)
}

/// Writes a changed matter if `etag` is still current; audits `change`.
pub async fn save_matter(
    tx: &Tx,
    m: matter::Model,
    etag: &str,
    change: serde_json::Value,
) -> Result<matter::Model, ApiError> {
    let saved = matter::Model {
        update_time: now(),
        etag: new_etag(),
        ..m
    };
    let mut am = matter::ActiveModel::from(saved.clone()).reset_all();
    am.id = sea_orm::ActiveValue::Unchanged(saved.id);
    let update = matter::Entity::update_many()
        .set(am)
        .filter(matter::Column::Id.eq(saved.id));
    tx.save_checked(
        update,
        matter::Column::Etag,
        etag,
        "matter",
        format!("matters/{}", saved.id),
        &change,
    )
    .await?;
    Ok(saved)
}

/// Filter for listing matters.
#[derive(Debug, Clone, Default)]
pub struct MatterFilter {
    pub forum: Option<Uuid>,
    pub states: Vec<String>,
    pub municipality: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub newest_first: bool,
}

pub async fn list_matters(
    tx: &Tx,
    f: &MatterFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<matter::Model>, ApiError> {
    let mut q = matter::Entity::find().filter(rls::visible(
        tx.scope(),
        matter::Column::OwnerTenant,
        matter::Column::CollaborationId,
    ));
    if let Some(forum) = f.forum {
        q = q.filter(matter::Column::ForumId.eq(forum));
    }
    if !f.states.is_empty() {
        q = q.filter(matter::Column::State.is_in(f.states.iter().cloned()));
    }
    if let Some(m) = &f.municipality {
        q = q.filter(matter::Column::RaisingMunicipality.eq(m.as_str()));
    }
    if let Some(t) = f.created_after {
        q = q.filter(matter::Column::CreateTime.gte(t));
    }
    if let Some(t) = f.created_before {
        q = q.filter(matter::Column::CreateTime.lt(t));
    }
    q = if f.newest_first {
        q.order_by_desc(matter::Column::CreateTime)
            .order_by_desc(matter::Column::Id)
    } else if !f.states.is_empty() && tx.backend() == samverkan_db::Backend::Sqlite {
        // A list by state (the agenda backlog) is a few rows of a forum's
        // history. Ordered by the bare columns, SQLite walks the forum's
        // whole history in `matters_forum_created` order to skip the sort
        // (ListAgendaBacklog at 100× data: 201 ms p99 against 13 ms at 1×);
        // the unary `+` is SQLite's documented way to keep a term from
        // using an index, so it reads `matters_forum_state` and sorts the
        // backlog. The order is the same.
        q.order_by(Expr::cust("+\"matters\".\"create_time\""), Order::Asc)
            .order_by(Expr::cust("+\"matters\".\"id\""), Order::Asc)
    } else {
        q.order_by_asc(matter::Column::CreateTime)
            .order_by_asc(matter::Column::Id)
    };
    q.offset(offset)
        .limit(limit)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

// ---- meetings and agendas -------------------------------------------------

pub async fn find_meeting(tx: &Tx, id: Uuid) -> Result<Option<meeting::Model>, ApiError> {
    meeting::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), meeting::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// [`find_meeting`], locking the row until the transaction ends
/// (`FOR UPDATE` on PostgreSQL; on SQLite the writing transaction holds the
/// database's write lock): a use case that decides on the minutes' signing
/// sees every signature committed before it, and none commits meanwhile.
pub async fn lock_meeting(tx: &Tx, id: Uuid) -> Result<Option<meeting::Model>, ApiError> {
    meeting::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), meeting::Column::CollaborationId))
        .lock_exclusive()
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn insert_meeting(tx: &Tx, m: meeting::Model) -> Result<meeting::Model, ApiError> {
    meeting::ActiveModel::from(m.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("meetings/{}", m.id),
        &json!({"create": {"forum": m.forum_id, "title": m.title, "start": m.start_time, "end": m.end_time, "location": m.location}}),
    )
    .await?;
    Ok(m)
}

/// Writes a changed meeting if `etag` is current (empty: no check, for
/// changes made as a side effect of another RPC inside its transaction).
pub async fn save_meeting(
    tx: &Tx,
    m: meeting::Model,
    etag: &str,
    change: serde_json::Value,
) -> Result<meeting::Model, ApiError> {
    let saved = meeting::Model {
        update_time: now(),
        etag: new_etag(),
        ..m
    };
    let mut am = meeting::ActiveModel::from(saved.clone()).reset_all();
    am.id = sea_orm::ActiveValue::Unchanged(saved.id);
    let update = meeting::Entity::update_many()
        .set(am)
        .filter(meeting::Column::Id.eq(saved.id));
    tx.save_checked(
        update,
        meeting::Column::Etag,
        etag,
        "meeting",
        format!("meetings/{}", saved.id),
        &change,
    )
    .await?;
    Ok(saved)
}

/// Filter for listing meetings.
#[derive(Debug, Clone, Default)]
pub struct MeetingFilter {
    pub forum: Option<Uuid>,
    pub state: Option<String>,
    pub start_after: Option<DateTime<Utc>>,
    pub start_before: Option<DateTime<Utc>>,
    pub newest_first: bool,
}

pub async fn list_meetings(
    tx: &Tx,
    f: &MeetingFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<meeting::Model>, ApiError> {
    let mut q =
        meeting::Entity::find().filter(rls::shared(tx.scope(), meeting::Column::CollaborationId));
    if let Some(forum) = f.forum {
        q = q.filter(meeting::Column::ForumId.eq(forum));
    }
    if let Some(s) = &f.state {
        q = q.filter(meeting::Column::State.eq(s.as_str()));
    }
    if let Some(t) = f.start_after {
        q = q.filter(meeting::Column::StartTime.gte(t));
    }
    if let Some(t) = f.start_before {
        q = q.filter(meeting::Column::StartTime.lt(t));
    }
    q = if f.newest_first {
        q.order_by_desc(meeting::Column::StartTime)
            .order_by_desc(meeting::Column::Id)
    } else {
        q.order_by_asc(meeting::Column::StartTime)
            .order_by_asc(meeting::Column::Id)
    };
    q.offset(offset)
        .limit(limit)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn agenda(tx: &Tx, meeting: Uuid) -> Result<Vec<agenda_item::Model>, ApiError> {
    agenda_item::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            agenda_item::Column::CollaborationId,
        ))
        .filter(agenda_item::Column::MeetingId.eq(meeting))
        .order_by_asc(agenda_item::Column::Number)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// Takes the next agenda item number of a meeting from its counter
/// (`samverkan_db::series`): concurrent callers on any instance get
/// distinct numbers, and the unique index (meeting_id, number) proves it.
pub async fn next_agenda_number(tx: &Tx, m: &meeting::Model) -> Result<i32, ApiError> {
    // The highest number in use seeds a counter the meeting does not have
    // yet (items numbered before counters existed); one aggregate row, not
    // the agenda.
    let taken: Option<i32> = agenda_item::Entity::find()
        .select_only()
        .column_as(agenda_item::Column::Number.max(), "taken")
        .filter(rls::shared(
            tx.scope(),
            agenda_item::Column::CollaborationId,
        ))
        .filter(agenda_item::Column::MeetingId.eq(m.id))
        .into_tuple::<Option<i32>>()
        .one(tx.conn())
        .await
        .map_err(db_err)?
        .flatten();
    let n = tx
        .next_number(
            "agenda",
            &m.id.to_string(),
            m.collaboration_id,
            i64::from(taken.unwrap_or(0)),
        )
        .await?;
    i32::try_from(n).map_err(ApiError::internal_from)
}

pub async fn find_agenda_item(tx: &Tx, id: Uuid) -> Result<Option<agenda_item::Model>, ApiError> {
    agenda_item::Entity::find_by_id(id)
        .filter(rls::shared(
            tx.scope(),
            agenda_item::Column::CollaborationId,
        ))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn insert_agenda_item(
    tx: &Tx,
    i: agenda_item::Model,
) -> Result<agenda_item::Model, ApiError> {
    agenda_item::ActiveModel::from(i.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("meetings/{}/agenda/{}", i.meeting_id, i.id),
        &json!({"create": {"number": i.number, "kind": i.kind, "title": i.title, "matter": i.matter_id,
                "presenter": i.presenter, "estimated_minutes": i.estimated_minutes}}),
    )
    .await?;
    Ok(i)
}

// ---- notes ---------------------------------------------------------------

pub async fn insert_note(tx: &Tx, n: note::Model) -> Result<note::Model, ApiError> {
    note::ActiveModel::from(n.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("notes/{}", n.id),
        &json!({"create": {"agenda_item": n.agenda_item_id, "text": n.text}}),
    )
    .await?;
    Ok(n)
}

/// The scope's own notes on a meeting: never another municipality's.
pub async fn own_notes(tx: &Tx, meeting: Uuid) -> Result<Vec<note::Model>, ApiError> {
    note::Entity::find()
        .filter(rls::own(tx.scope(), note::Column::OwnerTenant))
        .filter(note::Column::MeetingId.eq(meeting))
        .order_by_asc(note::Column::CreateTime)
        .order_by_asc(note::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_own_note(tx: &Tx, id: Uuid) -> Result<Option<note::Model>, ApiError> {
    note::Entity::find_by_id(id)
        .filter(rls::own(tx.scope(), note::Column::OwnerTenant))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

// ---- documents -----------------------------------------------------------

pub async fn insert_document(tx: &Tx, d: document::Model) -> Result<document::Model, ApiError> {
    document::ActiveModel::from(d.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("documents/{}", d.id),
        &json!({"create": {"title": d.title, "matter": d.matter_id, "agenda_item": d.agenda_item_id,
                "classification": d.classification, "sha256": d.sha256, "size_bytes": d.size_bytes}}),
    )
    .await?;
    Ok(d)
}

pub async fn find_document(tx: &Tx, id: Uuid) -> Result<Option<document::Model>, ApiError> {
    document::Entity::find_by_id(id)
        .filter(rls::visible(
            tx.scope(),
            document::Column::OwnerTenant,
            document::Column::CollaborationId,
        ))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// Documents of a matter or an agenda item.
pub async fn list_documents(
    tx: &Tx,
    matter: Option<Uuid>,
    item: Option<Uuid>,
) -> Result<Vec<document::Model>, ApiError> {
    let mut q = document::Entity::find().filter(rls::visible(
        tx.scope(),
        document::Column::OwnerTenant,
        document::Column::CollaborationId,
    ));
    q = match (matter, item) {
        (Some(m), _) => q.filter(document::Column::MatterId.eq(m)),
        (None, Some(i)) => q.filter(document::Column::AgendaItemId.eq(i)),
        (None, None) => return Ok(Vec::new()),
    };
    // Documents are size-limited, so a parent's few are loaded whole; the
    // API leaves the content out of the list.
    q.order_by_asc(document::Column::CreateTime)
        .order_by_asc(document::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// A matter's private documents become shared with it when it is submitted.
pub async fn share_matter_documents(
    tx: &Tx,
    matter: Uuid,
    collaboration: Uuid,
) -> Result<(), ApiError> {
    document::Entity::update_many()
        .col_expr(
            document::Column::OwnerTenant,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            document::Column::CollaborationId,
            Expr::value(Some(collaboration)),
        )
        .filter(rls::own(tx.scope(), document::Column::OwnerTenant))
        .filter(document::Column::MatterId.eq(matter))
        .exec(tx.conn())
        .await
        .map_err(db_err)?;
    Ok(())
}

// ---- minutes -------------------------------------------------------------

pub async fn paragraphs(tx: &Tx, meeting: Uuid) -> Result<Vec<paragraph::Model>, ApiError> {
    paragraph::Entity::find()
        .filter(rls::shared(tx.scope(), paragraph::Column::CollaborationId))
        .filter(paragraph::Column::MeetingId.eq(meeting))
        .order_by_asc(paragraph::Column::Year)
        .order_by_asc(paragraph::Column::Number)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_paragraph(tx: &Tx, id: Uuid) -> Result<Option<paragraph::Model>, ApiError> {
    paragraph::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), paragraph::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// The corrections of paragraphs `ids`: §§ of later meetings' minutes that
/// refer to them, in the order they were recorded.
pub async fn corrections_of(tx: &Tx, ids: &[Uuid]) -> Result<Vec<paragraph::Model>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    paragraph::Entity::find()
        .filter(rls::shared(tx.scope(), paragraph::Column::CollaborationId))
        .filter(paragraph::Column::CorrectsParagraphId.is_in(ids.iter().copied()))
        .order_by_asc(paragraph::Column::Year)
        .order_by_asc(paragraph::Column::Number)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// The paragraphs `ids` that the caller may see.
pub async fn paragraphs_by_id(tx: &Tx, ids: &[Uuid]) -> Result<Vec<paragraph::Model>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    paragraph::Entity::find()
        .filter(rls::shared(tx.scope(), paragraph::Column::CollaborationId))
        .filter(paragraph::Column::Id.is_in(ids.iter().copied()))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// The meetings `ids` that the caller may see.
pub async fn meetings_by_id(tx: &Tx, ids: &[Uuid]) -> Result<Vec<meeting::Model>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    meeting::Entity::find()
        .filter(rls::shared(tx.scope(), meeting::Column::CollaborationId))
        .filter(meeting::Column::Id.is_in(ids.iter().copied()))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// Takes the next § number of a forum's series for a year. The counter row
/// is locked until the transaction ends (`FOR UPDATE` on PostgreSQL; on
/// SQLite the writing transaction holds the database's write lock), so
/// concurrent minutes never share or skip a number.
pub async fn next_paragraph_number(
    tx: &Tx,
    forum: Uuid,
    collaboration: Uuid,
    year: i32,
) -> Result<i32, ApiError> {
    paragraph_counter::Entity::insert(paragraph_counter::ActiveModel {
        forum_id: Set(forum),
        year: Set(year),
        collaboration_id: Set(collaboration),
        last_number: Set(0),
    })
    .on_conflict_do_nothing_on([
        paragraph_counter::Column::ForumId,
        paragraph_counter::Column::Year,
    ])
    .exec(tx.conn())
    .await
    .map_err(db_err)?;
    let counter = paragraph_counter::Entity::find_by_id((forum, year))
        .filter(rls::shared(
            tx.scope(),
            paragraph_counter::Column::CollaborationId,
        ))
        .lock_exclusive()
        .one(tx.conn())
        .await
        .map_err(db_err)?
        .ok_or_else(|| ApiError::internal("paragraph counter vanished"))?;
    let next = counter.last_number + 1;
    paragraph_counter::Entity::update_many()
        .col_expr(paragraph_counter::Column::LastNumber, Expr::value(next))
        .filter(paragraph_counter::Column::ForumId.eq(forum))
        .filter(paragraph_counter::Column::Year.eq(year))
        .exec(tx.conn())
        .await
        .map_err(db_err)?;
    Ok(next)
}

pub async fn insert_paragraph(tx: &Tx, p: paragraph::Model) -> Result<paragraph::Model, ApiError> {
    paragraph::ActiveModel::from(p.clone())
        .insert(tx.conn())
        .await
        .map_err(|e| {
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) {
                crate::domain::meeting::already_minuted().on(format!(
                    "agenda-items/{}",
                    p.agenda_item_id.map(|i| i.to_string()).unwrap_or_default()
                ))
            } else {
                db_err(e)
            }
        })?;
    tx.audit(
        format!("meetings/{}/paragraphs/{}", p.meeting_id, p.id),
        &json!({"create": {"number": p.number, "year": p.year, "agenda_item": p.agenda_item_id, "title": p.title,
                "presented": p.presented, "decision": p.decision, "outcome": p.outcome, "corrects": p.corrects_paragraph_id}}),
    )
    .await?;
    Ok(p)
}

/// The channel on which PostgreSQL announces committed meeting changes to
/// every instance (payload `meeting-id:seq`).
pub const MEETING_CHANGES_CHANNEL: &str = "samverkan_meeting_changes";

/// Records a change to meeting `m` in this transaction: the next number of
/// the meeting's change series, and on PostgreSQL a notification that is
/// delivered to every instance if and only if the transaction commits.
/// Returns the change's number.
pub async fn record_change(
    tx: &Tx,
    m: &meeting::Model,
    kind: crate::domain::meeting::ChangeKind,
) -> Result<i64, ApiError> {
    let seq = tx
        .next_number("meeting_change", &m.id.to_string(), m.collaboration_id, 0)
        .await?;
    meeting_change::ActiveModel::from(meeting_change::Model {
        meeting_id: m.id,
        seq,
        collaboration_id: m.collaboration_id,
        kind: kind.as_str().to_owned(),
        actor: tx.ctx().principal.subject.clone(),
        change_time: now(),
    })
    .insert(tx.conn())
    .await
    .map_err(db_err)?;
    announce(tx, m.id, seq).await?;
    Ok(seq)
}

/// On PostgreSQL, tells every instance at commit that meeting `meeting`
/// changed (`seq`, or 0 for a note); nothing on SQLite, where the handler
/// itself wakes the watchers of its one process.
pub async fn announce(tx: &Tx, meeting: Uuid, seq: i64) -> Result<(), ApiError> {
    if tx.backend() != samverkan_db::Backend::Postgres {
        return Ok(());
    }
    tx.conn()
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [
                MEETING_CHANGES_CHANNEL.into(),
                format!("{meeting}:{seq}").into(),
            ],
        ))
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The last change number of a meeting (0 before its first change).
pub async fn last_change(tx: &Tx, meeting: Uuid) -> Result<i64, ApiError> {
    let last: Option<i64> = meeting_change::Entity::find()
        .select_only()
        .column_as(meeting_change::Column::Seq.max(), "seq")
        .filter(rls::shared(
            tx.scope(),
            meeting_change::Column::CollaborationId,
        ))
        .filter(meeting_change::Column::MeetingId.eq(meeting))
        .into_tuple::<Option<i64>>()
        .one(tx.conn())
        .await
        .map_err(db_err)?
        .flatten();
    Ok(last.unwrap_or(0))
}

/// A meeting's changes after number `after`, in order, at most `limit`.
pub async fn changes_after(
    tx: &Tx,
    meeting: Uuid,
    after: i64,
    limit: u64,
) -> Result<Vec<meeting_change::Model>, ApiError> {
    meeting_change::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            meeting_change::Column::CollaborationId,
        ))
        .filter(meeting_change::Column::MeetingId.eq(meeting))
        .filter(meeting_change::Column::Seq.gt(after))
        .order_by_asc(meeting_change::Column::Seq)
        .limit(limit)
        .all(tx.conn())
        .await
        .map_err(db_err)
}
