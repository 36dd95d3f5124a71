//! Check, then act: how a write use case asks something of another
//! service (a permission, a forum's composition, the minutes a decision
//! rests on) without asking inside its write transaction (issue #17).
//!
//! 1. `load` runs in a read transaction, which ends; it returns what the
//!    use case works on and the inputs of the question;
//! 2. `ask` runs with no transaction open;
//! 3. the write transaction begins and `load` runs again in it: the use
//!    case goes on with what this second run read. If the inputs are not
//!    the same (the record moved meanwhile), nothing is written and the
//!    unit of work is rerun ([`ApiError::Conflict`]).
//!
//! So a write transaction issues only local SQL, never waits on the
//! network while it holds locks, and a request never holds two pooled
//! connections at once. `samverkan_roles::RolesClient::check_then_write`
//! is this with `ask` = "every permission must be granted".

use std::future::Future;
use std::pin::Pin;

use samverkan_core::{ApiError, RequestContext};

use crate::{Access, Database, Tx};

/// What a use case's `load` returns: the transaction it was given back,
/// what it read, and the inputs of the question. Boxed, with the
/// transaction moved in and out, so that the future may borrow the
/// request (`'r`) and is `Send` for tonic.
pub type Loaded<'r, T, K> = Pin<Box<dyn Future<Output = Result<(Tx, T, K), ApiError>> + Send + 'r>>;

/// The answer of `ask`.
pub type Answer<'q, R> = Pin<Box<dyn Future<Output = Result<R, ApiError>> + Send + 'q>>;

impl Database {
    /// Check, then act (see the module): the write transaction, what `load`
    /// read in it, and what `ask` answered.
    pub async fn check_then_write<'r, 'q, T, K, R>(
        &self,
        ctx: &RequestContext,
        service: &'static str,
        load: impl Fn(Tx) -> Loaded<'r, T, K> + Send + Sync,
        ask: impl FnOnce(K) -> Answer<'q, R> + Send,
    ) -> Result<(Tx, T, R), ApiError>
    where
        K: Clone + PartialEq + Send,
    {
        let read = self.begin(ctx, service, Access::Read).await?;
        let (read, _, inputs) = load(read).await?;
        read.commit().await?;
        let answer = ask(inputs.clone()).await?;
        let tx = self.begin(ctx, service, Access::Write).await?;
        let (tx, loaded, again) = load(tx).await?;
        if again != inputs {
            return Err(ApiError::Conflict(
                "the record changed while it was being checked; nothing was saved, try again"
                    .into(),
            ));
        }
        Ok((tx, loaded, answer))
    }
}
