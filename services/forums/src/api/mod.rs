//! The thin tonic layer of the forums service.

mod convert;
mod matters;
mod meetings;
mod minutes;

use std::pin::Pin;

use futures::Stream;
use samverkan_core::{ApiError, RequestContext};
use samverkan_db::{Access, Database, Tx};
use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_server::ForumsService;
use samverkan_proto::roles::v1::CheckPermissionRequest;
use samverkan_roles::{Load, RolesClient};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::SERVICE;
use crate::events::Events;

/// Default largest accepted document, in bytes.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// The forums service's gRPC implementation.
#[derive(Clone, Debug)]
pub struct ForumsApi {
    handlers: Handlers,
}

/// The handlers behind the RPCs.
#[derive(Clone, Debug)]
pub struct Handlers {
    db: Database,
    roles: RolesClient,
    events: Events,
    max_document_bytes: usize,
}

impl Handlers {
    pub fn new(db: Database, roles: RolesClient) -> Self {
        Self {
            db,
            roles,
            events: Events::new(),
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
        }
    }
}

impl ForumsApi {
    pub fn new(db: Database, roles: RolesClient) -> Self {
        Self {
            handlers: Handlers::new(db, roles),
        }
    }

    /// The change notifications of this service's watchers; on PostgreSQL
    /// run [`Events::listen`] beside the server so that they hear every
    /// instance's changes.
    pub fn events(&self) -> Events {
        self.handlers.events.clone()
    }

    /// Sets the largest accepted document.
    pub fn with_max_document_bytes(mut self, n: usize) -> Self {
        self.handlers.max_document_bytes = n;
        self
    }

    /// The tonic server for this service. Requests may carry a document up
    /// to the configured limit plus room for its metadata, so an oversized
    /// document reaches the handler and gets a clear field error.
    pub fn into_server(self) -> pb::forums_service_server::ForumsServiceServer<Self> {
        let limit = self.handlers.max_document_bytes.saturating_add(1024 * 1024);
        pb::forums_service_server::ForumsServiceServer::new(self).max_decoding_message_size(limit)
    }
}

/// What a permission check needs to know about the resource.
#[derive(Debug, Default)]
pub(crate) struct On {
    pub forum: Option<Uuid>,
    pub municipality: Option<String>,
    pub owner: Option<Uuid>,
    pub designated: Vec<String>,
}

impl On {
    /// The question to the roles service: may the principal do `action` here?
    pub fn check(self, action: &str) -> CheckPermissionRequest {
        CheckPermissionRequest {
            action: action.to_owned(),
            forum_id: self.forum.map(|f| f.to_string()).unwrap_or_default(),
            municipality_id: self.municipality.unwrap_or_default(),
            owner_person_id: self.owner.map(|o| o.to_string()).unwrap_or_default(),
            designated_person_ids: self.designated,
            collaboration_id: String::new(),
        }
    }
}

impl Handlers {
    async fn read(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Read).await
    }

    async fn write(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Write).await
    }

    /// Asks the roles service whether the principal may; `PERMISSION_DENIED`
    /// with its reason if not. Never inside a write transaction: writes
    /// ask through [`Handlers::checked`].
    async fn require(&self, ctx: &RequestContext, action: &str, on: On) -> Result<(), ApiError> {
        self.roles.require(ctx, on.check(action)).await
    }

    /// The write transaction of a use case on one meeting that needs
    /// `action` in the meeting's forum, and the meeting as read in it
    /// (`NOT_FOUND` naming `field` if the caller may not see it).
    async fn checked_meeting(
        &self,
        ctx: &RequestContext,
        field: &str,
        meeting_id: &str,
        action: &str,
    ) -> Result<(Tx, crate::store::meeting::Model), ApiError> {
        self.checked(ctx, |tx| {
            Box::pin(async {
                let m = meetings::visible_meeting(&tx, field, meeting_id).await?;
                let on = On {
                    forum: Some(m.forum_id),
                    ..Default::default()
                };
                Ok((tx, m, vec![on.check(action)]))
            })
        })
        .await
    }

    /// Check, then act ([`RolesClient::check_then_write`]): `load` reads
    /// what the use case works on and the permissions it needs; the write
    /// transaction is returned with what `load` read inside it.
    async fn checked<'r, T>(
        &self,
        ctx: &RequestContext,
        load: impl Fn(Tx) -> Load<'r, T> + Send + Sync,
    ) -> Result<(Tx, T), ApiError> {
        self.roles
            .check_then_write(&self.db, ctx, SERVICE, load)
            .await
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchMeetingResponse, Status>> + Send>>;

samverkan_db::rpcs! {
    impl ForumsService for ForumsApi, messages pb {
        create_matter(CreateMatterRequest) -> CreateMatterResponse;
        get_matter(GetMatterRequest) -> GetMatterResponse;
        list_matters(ListMattersRequest) -> ListMattersResponse;
        update_matter(UpdateMatterRequest) -> UpdateMatterResponse;
        submit_matter(SubmitMatterRequest) -> SubmitMatterResponse;
        withdraw_matter(WithdrawMatterRequest) -> WithdrawMatterResponse;
        escalate_matter(EscalateMatterRequest) -> EscalateMatterResponse;
        list_agenda_backlog(ListAgendaBacklogRequest) -> ListAgendaBacklogResponse;
        create_meeting(CreateMeetingRequest) -> CreateMeetingResponse;
        get_meeting(GetMeetingRequest) -> GetMeetingResponse;
        list_meetings(ListMeetingsRequest) -> ListMeetingsResponse;
        add_agenda_item(AddAgendaItemRequest) -> AddAgendaItemResponse;
        publish_agenda(PublishAgendaRequest) -> PublishAgendaResponse;
        create_note(CreateNoteRequest) -> CreateNoteResponse;
        list_notes(ListNotesRequest) -> ListNotesResponse;
        create_document(CreateDocumentRequest) -> CreateDocumentResponse;
        get_document(GetDocumentRequest) -> GetDocumentResponse;
        list_documents(ListDocumentsRequest) -> ListDocumentsResponse;
        record_attendance(RecordAttendanceRequest) -> RecordAttendanceResponse;
        add_paragraph(AddParagraphRequest) -> AddParagraphResponse;
        designate_adjusters(DesignateAdjustersRequest) -> DesignateAdjustersResponse;
        adjust_minutes(AdjustMinutesRequest) -> AdjustMinutesResponse;
        add_correction(AddCorrectionRequest) -> AddCorrectionResponse;
        get_minutes(GetMinutesRequest) -> GetMinutesResponse;
        export_meeting(ExportMeetingRequest) -> ExportMeetingResponse;
    }

        type WatchMeetingStream = WatchStream;

        async fn watch_meeting(
            &self,
            request: Request<pb::WatchMeetingRequest>,
        ) -> Result<Response<Self::WatchMeetingStream>, Status> {
            let ctx = RequestContext::from_request(&request)?;
            Ok(Response::new(self.handlers.watch_meeting(ctx, request.into_inner()).await?))
        }
}
