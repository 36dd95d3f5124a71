//! The demo cost model: the worked example of the cost-model issue for
//! 2025. A catalogue of four services, the published 2025 price list, the
//! base pool's key (one third equally, two thirds by population, split
//! within a municipality by accounts), driver snapshots of population,
//! accounts and computers, and both municipalities' volumes. Loading it
//! twice changes nothing.
//!
//! Bills computed from it: Ulricehamn 12 775 261,75 kr and Tranemo
//! 6 238 788,25 kr; the pool of 2 487 350,00 kr splits 1 545 161,75 /
//! 942 188,25 kr, and Tranemo's part over its units 245 444,00 /
//! 411 712,51 / 285 031,74 kr.

use chrono::NaiveDate;
use sea_orm::entity::prelude::*;
use serde_json::json;

use samverkan_core::{ApiError, RequestContext, TenantId, TenantScope};
use samverkan_db::{Access, Database, Tx};
use samverkan_roles::demo::{COLLABORATION_ID, HOST, MUNICIPALITIES};

use crate::SERVICE;
use crate::api::convert::{StoredComponent, StoredValue};
use crate::domain::period::Period;
use crate::domain::price::PriceListState;
use crate::store::{self, allocation_key, driver_snapshot, price_list, service, volume};

/// The demo year.
pub const YEAR: i32 = 2025;
/// Tranemo's units (förvaltningar) in the demo.
pub const KLF: &str = "Kommunledningsförvaltningen";
pub const BUF: &str = "Barn- och utbildningsförvaltningen";
pub const SOF: &str = "Socialförvaltningen";
/// The decision that adopted the demo price list.
pub const DECISION_REF: &str = "IT-styrgruppen 2024-11-20 § 14";

/// (code, name, unit of measure, charge type, billing increment)
const SERVICES: &[(&str, &str, &str, &str, &str)] = &[
    ("konto", "Användarkonto", "konto/år", "per_unit", ""),
    ("dator", "Hanterad dator", "dator/år", "per_unit", ""),
    ("bas", "Gemensam bas", "år", "allocated", ""),
    ("beredskap", "IT-beredskap", "påbörjad timme", "direct", "1"),
];

/// Prices of 2025, in öre.
const PRICES: &[(&str, i64)] = &[
    ("konto", 185_000),
    ("dator", 342_000),
    ("bas", 248_735_000),
    ("beredskap", 70_000),
];

/// (driver, measured on, source, values: (municipality, unit, value))
type Snapshot = (
    &'static str,
    (i32, u32, u32),
    &'static str,
    &'static [(&'static str, &'static str, u64)],
);

const SNAPSHOTS: &[Snapshot] = &[
    (
        "invanare",
        (2024, 11, 1),
        "SCB, folkmängd 1 november 2024",
        &[("ulricehamn", "", 25_135), ("tranemo", "", 11_730)],
    ),
    (
        "konton",
        (2025, 1, 15),
        "Katalogtjänsten (AD), uttag 2025-01-15",
        &[
            ("ulricehamn", "", 2_410),
            ("tranemo", KLF, 310),
            ("tranemo", BUF, 520),
            ("tranemo", SOF, 360),
        ],
    ),
    (
        "datorer",
        (2025, 1, 15),
        "Klientregistret, uttag 2025-01-15",
        &[("ulricehamn", "", 1_980), ("tranemo", "", 905)],
    ),
];

/// (municipality, service, quantity) of 2025.
const VOLUMES: &[(&str, &str, i64)] = &[
    ("ulricehamn", "konto", 2_410),
    ("ulricehamn", "dator", 1_980),
    ("tranemo", "konto", 1_190),
    ("tranemo", "dator", 905),
];

/// What a load added (all zero on a second run).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub services: usize,
    pub price_lists: usize,
    pub keys: usize,
    pub snapshots: usize,
    pub volumes: usize,
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, ApiError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| ApiError::internal("demo date"))
}

/// Loads the demo cost model; idempotent. Runs as the host municipality
/// (which employs the IT department) within the demo collaboration; needs
/// the roles demo loaded first.
pub async fn load(db: &Database) -> Result<Loaded, ApiError> {
    let tenant = |id: &str| TenantId::parse(id).map_err(ApiError::internal_from);
    let peers = MUNICIPALITIES
        .iter()
        .filter(|m| m.id != HOST)
        .map(|m| tenant(m.id))
        .collect::<Result<_, _>>()?;
    let scope = TenantScope {
        tenant: tenant(HOST)?,
        collaborations: vec![COLLABORATION_ID],
        peers,
        former: Vec::new(),
    };
    let ctx = RequestContext::system(scope, "demo");
    let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
    let mut loaded = Loaded::default();
    let collab = COLLABORATION_ID.0;
    let now = store::now();

    for (code, name, unit, charge, increment) in SERVICES {
        if store::service_by_code(&tx, collab, code).await?.is_some() {
            continue;
        }
        let m = service::Model {
            id: samverkan_core::new_uuid(),
            collaboration_id: collab,
            code: (*code).into(),
            name: (*name).into(),
            unit_of_measure: (*unit).into(),
            charge_type: (*charge).into(),
            billing_increment: (*increment).into(),
            create_time: now,
        };
        insert(
            &tx,
            service::ActiveModel::from(m.clone()),
            format!("services/{}", m.id),
            json!({"create": {"code": code, "name": name}}),
        )
        .await?;
        loaded.services += 1;
    }

    if store::price_lists(&tx, collab, Some(YEAR), false, None)
        .await?
        .is_empty()
    {
        let prices: std::collections::BTreeMap<&str, i64> = PRICES.iter().copied().collect();
        let m = price_list::Model {
            id: samverkan_core::new_uuid(),
            collaboration_id: collab,
            year: YEAR,
            version: 1,
            effective_date: date(YEAR, 1, 1)?,
            state: PriceListState::Published.as_str().into(),
            prices: serde_json::to_string(&prices).map_err(ApiError::internal_from)?,
            derivation: String::new(),
            decision_ref: DECISION_REF.into(),
            decision_id: String::new(),
            create_time: now,
            update_time: now,
            publish_time: Some(now),
            etag: store::new_etag(),
        };
        insert(
            &tx,
            price_list::ActiveModel::from(m.clone()),
            format!("price-lists/{}", m.id),
            json!({"create": {"year": YEAR, "prices": prices, "published": DECISION_REF}}),
        )
        .await?;
        loaded.price_lists += 1;
    }

    if store::keys(&tx, collab, Some("bas"), None)
        .await?
        .is_empty()
    {
        let components = vec![
            StoredComponent {
                fraction: "1/3".into(),
                driver: String::new(),
            },
            StoredComponent {
                fraction: "2/3".into(),
                driver: "invanare".into(),
            },
        ];
        let m = allocation_key::Model {
            id: samverkan_core::new_uuid(),
            collaboration_id: collab,
            service_code: "bas".into(),
            version: 1,
            effective_date: date(YEAR, 1, 1)?,
            components: serde_json::to_string(&components).map_err(ApiError::internal_from)?,
            unit_driver: "konton".into(),
            create_time: now,
        };
        insert(&tx, allocation_key::ActiveModel::from(m.clone()), format!("allocation-keys/{}", m.id), json!({"create": {"service": "bas", "components": m.components, "unit_driver": "konton"}})).await?;
        loaded.keys += 1;
    }

    let existing = store::snapshots(&tx, collab, None, None, None).await?;
    for (driver, (y, mo, d), source, values) in SNAPSHOTS {
        let measured_on = date(*y, *mo, *d)?;
        if existing
            .iter()
            .any(|s| s.driver == *driver && s.measured_on == measured_on && s.source == *source)
        {
            continue;
        }
        let values: Vec<StoredValue> = values
            .iter()
            .map(|(m, u, v)| StoredValue {
                municipality: (*m).into(),
                unit: (*u).into(),
                value: *v,
            })
            .collect();
        let m = driver_snapshot::Model {
            id: samverkan_core::new_uuid(),
            collaboration_id: collab,
            driver: (*driver).into(),
            measured_on,
            source: (*source).into(),
            driver_values: serde_json::to_string(&values).map_err(ApiError::internal_from)?,
            create_time: now,
        };
        insert(&tx, driver_snapshot::ActiveModel::from(m.clone()), format!("driver-snapshots/{}", m.id), json!({"create": {"driver": driver, "measured_on": measured_on, "values": m.driver_values}})).await?;
        loaded.snapshots += 1;
    }

    // The demo bills its year as a whole: "2025".
    let period = Period::Year(YEAR).to_string();
    let volumes = store::volumes(&tx, collab, &period).await?;
    for (municipality, service_code, q) in VOLUMES {
        if volumes.iter().any(|v| {
            v.municipality_id == *municipality
                && v.service_code == *service_code
                && v.unit.is_empty()
        }) {
            continue;
        }
        let m = volume::Model {
            id: samverkan_core::new_uuid(),
            collaboration_id: collab,
            period: period.clone(),
            municipality_id: (*municipality).into(),
            unit: String::new(),
            service_code: (*service_code).into(),
            quantity: q.to_string(),
            create_time: now,
        };
        insert(&tx, volume::ActiveModel::from(m.clone()), format!("volumes/{}", m.id), json!({"create": {"period": period, "municipality": municipality, "service": service_code, "quantity": q}})).await?;
        loaded.volumes += 1;
    }
    tx.commit().await?;
    Ok(loaded)
}

async fn insert<A: ActiveModelTrait + Send>(
    tx: &Tx,
    am: A,
    resource: String,
    change: serde_json::Value,
) -> Result<(), ApiError> {
    store::insert_row(tx, am, || ApiError::internal("demo row exists")).await?;
    tx.audit(resource, &change).await
}
