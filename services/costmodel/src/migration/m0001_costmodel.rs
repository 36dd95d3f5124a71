//! The cost model's tables. Everything is shared with the collaboration
//! (`collaboration_id`, `rls::shared_only`): the IT department computes
//! every member's bill from every member's inputs, so the rows cannot be
//! private to one municipality. Per-unit detail is withheld by the API
//! (permission `costdetail.read`), not by the row policy.
//!
//! Amounts are integer öre (`bigint`); quantities and fractions are stored
//! as exact text ("37/12"); prices, key formulas and driver values as JSON
//! of integers and such text; stored bills, reconciliations and scenarios
//! as their encoded protobuf messages, so what was issued is read back
//! byte for byte.

use samverkan_db::migration::ddl;
use samverkan_db::rls;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table of the service; all carry `collaboration_id`.
pub const TABLES: &[&str] = &[
    "cm_services",
    "cm_price_lists",
    "cm_allocation_keys",
    "cm_driver_snapshots",
    "cm_volumes",
    "cm_direct_charges",
    "cm_billing_runs",
    "cm_bills",
    "cm_reconciliations",
    "cm_scenarios",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ddl(
            manager,
            r#"CREATE TABLE cm_services (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    unit_of_measure text NOT NULL,
    charge_type text NOT NULL,
    billing_increment text NOT NULL,
    create_time timestamptz NOT NULL,
    UNIQUE (collaboration_id, code)
);
CREATE TABLE cm_price_lists (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    year integer NOT NULL,
    version integer NOT NULL,
    effective_date date NOT NULL,
    state text NOT NULL,
    prices text NOT NULL,
    derivation text NOT NULL,
    decision_ref text NOT NULL,
    decision_id text NOT NULL,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL,
    publish_time timestamptz,
    etag text NOT NULL,
    UNIQUE (collaboration_id, year, version)
);
CREATE TABLE cm_allocation_keys (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    service_code text NOT NULL,
    version integer NOT NULL,
    effective_date date NOT NULL,
    components text NOT NULL,
    unit_driver text NOT NULL,
    create_time timestamptz NOT NULL,
    UNIQUE (collaboration_id, service_code, version)
);
CREATE TABLE cm_driver_snapshots (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    driver text NOT NULL,
    measured_on date NOT NULL,
    source text NOT NULL,
    driver_values text NOT NULL,
    create_time timestamptz NOT NULL
);
CREATE TABLE cm_volumes (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    period text NOT NULL,
    municipality_id text NOT NULL,
    unit text NOT NULL,
    service_code text NOT NULL,
    quantity text NOT NULL,
    create_time timestamptz NOT NULL,
    UNIQUE (collaboration_id, period, municipality_id, unit, service_code)
);
CREATE TABLE cm_direct_charges (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    period text NOT NULL,
    municipality_id text NOT NULL,
    unit text NOT NULL,
    service_code text NOT NULL,
    reference text NOT NULL,
    measured text NOT NULL,
    create_time timestamptz NOT NULL
);
CREATE TABLE cm_billing_runs (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    period text NOT NULL,
    price_list_id uuid NOT NULL,
    input text NOT NULL,
    create_time timestamptz NOT NULL,
    UNIQUE (collaboration_id, period)
);
CREATE TABLE cm_bills (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    run_id uuid NOT NULL REFERENCES cm_billing_runs (id),
    period text NOT NULL,
    municipality_id text NOT NULL,
    total_ore bigint NOT NULL,
    body bytea NOT NULL,
    create_time timestamptz NOT NULL,
    UNIQUE (run_id, municipality_id)
);
CREATE TABLE cm_reconciliations (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    year integer NOT NULL,
    service_code text NOT NULL,
    body bytea NOT NULL,
    create_time timestamptz NOT NULL,
    UNIQUE (collaboration_id, year, service_code)
);
CREATE TABLE cm_scenarios (
    id uuid PRIMARY KEY,
    collaboration_id uuid NOT NULL,
    name text NOT NULL,
    period text NOT NULL,
    body bytea NOT NULL,
    create_time timestamptz NOT NULL
);
CREATE INDEX cm_price_lists_year ON cm_price_lists (collaboration_id, year, effective_date);
CREATE INDEX cm_allocation_keys_service ON cm_allocation_keys (collaboration_id, service_code, effective_date);
CREATE INDEX cm_driver_snapshots_driver ON cm_driver_snapshots (collaboration_id, driver, measured_on);
CREATE INDEX cm_direct_charges_period ON cm_direct_charges (collaboration_id, period, municipality_id);
CREATE INDEX cm_bills_period ON cm_bills (collaboration_id, period, municipality_id);"#,
        )
        .await?;
        let conn = manager.get_connection();
        for table in TABLES {
            rls::install(conn, table, &rls::shared_only(), &rls::shared_only()).await?;
        }
        Ok(())
    }
}
