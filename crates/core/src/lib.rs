//! The vocabulary every Samverkan crate shares: identifiers, tenancy, the
//! request context, calendar dates in Europe/Stockholm, and the one error
//! type (`ApiError`) with its one mapping to `tonic::Status`.

pub mod context;
pub mod dates;
pub mod error;
pub mod fields;
pub mod ids;
pub mod money;
pub mod paging;
pub mod reasons;
pub mod remote;
pub mod rule;
pub mod text;

pub use context::{Caller, Credentials, Directory, Former, Principal, RequestContext, TenantScope};
pub use error::{ApiError, FieldViolation};
pub use ids::{CollaborationId, TenantId, new_uuid};
pub use money::Money;
pub use rule::{Refusal, Rule};
