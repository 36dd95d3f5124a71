//! The tenancy rule (docs/domain.md, *Tenancy*), twice: as PostgreSQL row-level-security
//! policies that migrations install, and as the sea-orm condition that
//! every query of a tenant-scoped table adds. Both read the same four
//! values of the request: tenant, collaborations, peers and the
//! collaborations the tenant has left (`former`).

use samverkan_core::TenantScope;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr};

/// The request's municipality; NULL when unset, so an unset tenant sees
/// nothing (`current_setting` answers '' after a transaction ends).
pub const TENANT: &str = "nullif(current_setting('samverkan.tenant', true), '')";
/// The collaborations the municipality belongs to on the request's date.
pub const COLLABORATIONS: &str =
    "string_to_array(nullif(current_setting('samverkan.collaborations', true), ''), ',')::uuid[]";
/// Municipalities sharing a collaboration with the request's municipality.
pub const PEERS: &str =
    "string_to_array(nullif(current_setting('samverkan.peers', true), ''), ',')";

/// Collaborations the municipality has left, each as `uuid@instant`: the
/// collaboration and the first instant after its last day of membership.
pub const FORMER: &str =
    "string_to_array(nullif(current_setting('samverkan.former', true), ''), ',')";

/// A former member's history: rows of a collaboration it has left that
/// were created before it left. Only for tables with `create_time`; a
/// reading rule, never a writing one.
pub fn former_history() -> String {
    format!(
        "(EXISTS (SELECT 1 FROM unnest({FORMER}) AS f(v) \
           WHERE split_part(f.v, '@', 1)::uuid = collaboration_id \
             AND create_time < split_part(f.v, '@', 2)::timestamptz))"
    )
}

/// A table's reading rule widened to the history of collaborations left.
pub fn or_former_history(rule: &str) -> String {
    format!("({rule} OR {})", former_history())
}

/// The one rule: private to the tenant, or shared with one of its
/// collaborations. `owner_tenant` and `collaboration_id` are the columns.
pub fn shared_or_private() -> String {
    format!("(owner_tenant = {TENANT} OR collaboration_id = ANY ({COLLABORATIONS}))")
}

/// Rows always shared with a collaboration (the organisation itself:
/// roles, forums, assignments, seats, mandates).
pub fn shared_only() -> String {
    format!("(collaboration_id = ANY ({COLLABORATIONS}))")
}

/// Rows private to the tenant, with no sharing (e.g. its audit chain).
pub fn private_only() -> String {
    format!("(owner_tenant = {TENANT})")
}

/// Directory rows of a municipality (its people) that the municipalities it
/// collaborates with may read; only the municipality itself may write them.
pub fn readable_by_peers() -> String {
    format!("(owner_tenant = {TENANT} OR owner_tenant = ANY ({PEERS}))")
}

/// Statements that enable and force row-level security on `table` with one
/// policy: rows satisfy `using` to be seen and `check` to be written.
pub fn policy_statements(table: &str, using: &str, check: &str) -> Vec<String> {
    vec![
        format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"),
        format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"),
        format!("DROP POLICY IF EXISTS {table}_tenancy ON {table}"),
        format!("CREATE POLICY {table}_tenancy ON {table} USING {using} WITH CHECK {check}"),
    ]
}

/// In a migration: installs the policy on PostgreSQL; a no-op on SQLite,
/// where the application filter alone enforces the rule.
pub async fn install<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    using: &str,
    check: &str,
) -> Result<(), DbErr> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for sql in policy_statements(table, using, check) {
        conn.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// The application half of [`shared_or_private`] (and of
/// [`former_history`]): the condition every query of a shared-or-private
/// table adds.
pub fn visible<O: ColumnTrait, C: ColumnTrait>(
    scope: &TenantScope,
    owner: O,
    collaboration: C,
) -> Condition {
    Condition::any()
        .add(owner.eq(scope.tenant.as_str()))
        .add(shared(scope, collaboration))
}

/// The application half of [`shared_only`] (and of [`former_history`]).
pub fn shared<C: ColumnTrait>(scope: &TenantScope, collaboration: C) -> Condition {
    let now = collaboration.is_in(scope.collaborations.iter().map(|c| c.0));
    // The history of collaborations left, read through the table's own
    // `create_time`; a table without one shows a former member nothing.
    let Some(created) = (!scope.former.is_empty())
        .then(|| C::from_str("create_time").ok())
        .flatten()
    else {
        return Condition::any().add(now);
    };
    scope
        .former
        .iter()
        .fold(Condition::any().add(now), |any, f| {
            any.add(
                Condition::all()
                    .add(collaboration.eq(f.collaboration.0))
                    .add(created.lt(f.until)),
            )
        })
}

/// The application half of [`private_only`].
pub fn own<O: ColumnTrait>(scope: &TenantScope, owner: O) -> Condition {
    Condition::all().add(owner.eq(scope.tenant.as_str()))
}

/// The application half of [`readable_by_peers`].
pub fn own_or_peers<O: ColumnTrait>(scope: &TenantScope, owner: O) -> Condition {
    Condition::any()
        .add(owner.eq(scope.tenant.as_str()))
        .add(owner.is_in(scope.peers.iter().map(|t| t.as_str().to_owned())))
}
