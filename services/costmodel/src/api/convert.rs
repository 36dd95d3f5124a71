//! Rows and domain values to proto messages and back, and the validation
//! of request fields. Every conversion of caller input names the field it
//! rejects; every conversion of stored data that fails is a server fault.

use std::collections::BTreeMap;

use samverkan_core::dates::{self, timestamp};
use samverkan_core::text::required_line;
use samverkan_core::{ApiError, RequestContext};
use samverkan_proto::costmodel::v1 as pb;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::bill::{
    AllocationKey, Basis, BillLine, ChargeType, KeyComponent, LineKind, Service, UnitPart,
};
use crate::domain::period::Period;
use crate::domain::price::PriceListState;
use crate::domain::{Money, Ratio};
use crate::store::{allocation_key, driver_snapshot, price_list, service};

pub use samverkan_core::fields::{date, opt_uuid, uuid};

// ---- ids, text, periods -----------------------------------------------------

/// The collaboration a request concerns ([`samverkan_core::fields::collaboration`]).
pub fn collaboration(ctx: &RequestContext, field: &str, s: &str) -> Result<Uuid, ApiError> {
    samverkan_core::fields::collaboration(ctx, field, s).map(|c| c.0)
}

/// A code (service code, driver name): lowercase letters, digits, `-` and
/// `_`, so that it reads the same in a URL, a CSV and a log.
pub fn code(field: &str, s: &str) -> Result<String, ApiError> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ApiError::invalid_field(
            field,
            "1-64 characters a-z, 0-9, '-' or '_'",
        ))
    }
}

/// An optional single line (trimmed), e.g. a unit name.
pub fn opt_line(field: &str, s: &str, max_chars: usize) -> Result<String, ApiError> {
    if s.trim().is_empty() {
        Ok(String::new())
    } else {
        required_line(field, s, max_chars)
    }
}

/// A municipality id as the roles service spells it (`tranemo`).
pub fn municipality(field: &str, s: &str) -> Result<String, ApiError> {
    samverkan_core::TenantId::parse(s.trim())
        .map(|t| t.to_string())
        .map_err(|_| ApiError::invalid_field(field, "must be a municipality id, e.g. \"tranemo\""))
}

/// A period from the wire: a year, or a year and a month. `field` names
/// it (e.g. `volume.period`), so a bad month answers `volume.period.month`.
pub fn period(field: &str, p: Option<&pb::Period>) -> Result<Period, ApiError> {
    let p =
        p.ok_or_else(|| ApiError::invalid_field(field, "required: a year, or a year and a month"))?;
    Period::new(p.year, p.month)
        .map_err(|e| ApiError::invalid_field(format!("{field}.{}", e.part), e.reason))
}

/// A period on the wire.
pub fn period_pb(p: Period) -> pb::Period {
    pb::Period {
        year: p.year(),
        month: p.month().map_or(0, |m| m as i32),
    }
}

/// A period as stored ("2025", "2025-03"); anything else is a server fault.
pub fn stored_period(s: &str) -> Result<Period, ApiError> {
    s.parse()
        .map_err(|e| ApiError::internal(format!("stored period {s:?}: {e}")))
}

pub fn year(field: &str, y: i32) -> Result<i32, ApiError> {
    if (1900..=9999).contains(&y) {
        Ok(y)
    } else {
        Err(ApiError::invalid_field(field, "must be a year 1900..9999"))
    }
}

// ---- fractions and money ----------------------------------------------------

/// A fraction from the wire; unset or 0/0 is zero, a denominator of 0 with
/// a numerator is an error.
pub fn fraction(field: &str, f: Option<&pb::Fraction>) -> Result<Ratio, ApiError> {
    let Some(f) = f else {
        return Ok(Ratio::ZERO);
    };
    let den = match (f.numerator, f.denominator) {
        (0, 0) => 1,
        (_, 0) => {
            return Err(ApiError::invalid_field(
                format!("{field}.denominator"),
                "must not be 0",
            ));
        }
        (_, d) => d,
    };
    Ratio::new(f.numerator, den).map_err(|_| ApiError::invalid_field(field, "not a valid fraction"))
}

pub fn non_negative(field: &str, r: Ratio) -> Result<Ratio, ApiError> {
    if r.is_negative() {
        Err(ApiError::invalid_field(field, "must not be negative"))
    } else {
        Ok(r)
    }
}

/// A fraction for the wire. Values beyond int64 only arise from absurd
/// inputs; they are reported rather than truncated.
pub fn fraction_pb(r: Ratio) -> Result<pb::Fraction, ApiError> {
    let n = i64::try_from(r.numer());
    let d = i64::try_from(r.denom());
    match (n, d) {
        (Ok(numerator), Ok(denominator)) => Ok(pb::Fraction {
            numerator,
            denominator,
        }),
        _ => Err(ApiError::internal(format!("fraction {r} exceeds int64"))),
    }
}

/// Exact text for storage: "37/12", "2410", "-1/3".
pub fn ratio_text(r: Ratio) -> String {
    r.to_string()
}

pub fn ratio_from_text(s: &str) -> Result<Ratio, ApiError> {
    Ratio::parse(s).map_err(|_| ApiError::internal(format!("stored fraction {s:?}")))
}

// ---- catalogue ----------------------------------------------------------------

pub fn charge_type_from_pb(t: i32) -> Result<&'static str, ApiError> {
    Ok(match pb::ChargeType::try_from(t) {
        Ok(pb::ChargeType::PerUnit) => "per_unit",
        Ok(pb::ChargeType::Allocated) => "allocated",
        Ok(pb::ChargeType::Direct) => "direct",
        _ => {
            return Err(ApiError::invalid_field(
                "service.charge_type",
                "must be PER_UNIT, ALLOCATED or DIRECT",
            ));
        }
    })
}

fn charge_type_pb(s: &str) -> pb::ChargeType {
    match s {
        "per_unit" => pb::ChargeType::PerUnit,
        "allocated" => pb::ChargeType::Allocated,
        "direct" => pb::ChargeType::Direct,
        _ => pb::ChargeType::Unspecified,
    }
}

pub fn service_pb(s: service::Model) -> Result<pb::CatalogueService, ApiError> {
    let increment = if s.billing_increment.is_empty() {
        None
    } else {
        Some(fraction_pb(ratio_from_text(&s.billing_increment)?)?)
    };
    Ok(pb::CatalogueService {
        id: s.id.to_string(),
        code: s.code,
        name: s.name,
        unit_of_measure: s.unit_of_measure,
        charge_type: charge_type_pb(&s.charge_type) as i32,
        billing_increment: increment,
        collaboration_id: s.collaboration_id.to_string(),
        create_time: Some(timestamp(s.create_time)),
    })
}

pub fn service_domain(s: &service::Model) -> Result<Service, ApiError> {
    let charge = match s.charge_type.as_str() {
        "per_unit" => ChargeType::PerUnit,
        "allocated" => ChargeType::Allocated,
        "direct" => ChargeType::Direct {
            increment: ratio_from_text(&s.billing_increment)?,
        },
        other => return Err(ApiError::internal(format!("stored charge type {other:?}"))),
    };
    Ok(Service {
        code: s.code.clone(),
        name: s.name.clone(),
        unit_of_measure: s.unit_of_measure.clone(),
        charge,
    })
}

// ---- price lists ----------------------------------------------------------------

/// Prices as stored: service code → öre, sorted by code.
pub type Prices = BTreeMap<String, i64>;

pub fn prices_from_pb(field: &str, prices: &[pb::Price]) -> Result<Prices, ApiError> {
    let mut out = Prices::new();
    for (i, p) in prices.iter().enumerate() {
        let c = code(&format!("{field}[{i}].service_code"), &p.service_code)?;
        if out.insert(c, p.amount_ore).is_some() {
            return Err(ApiError::invalid_field(
                format!("{field}[{i}].service_code"),
                "appears twice",
            ));
        }
    }
    Ok(out)
}

pub fn prices_text(p: &Prices) -> Result<String, ApiError> {
    serde_json::to_string(p).map_err(ApiError::internal_from)
}

pub fn prices_of(p: &price_list::Model) -> Result<Prices, ApiError> {
    serde_json::from_str(&p.prices).map_err(ApiError::internal_from)
}

/// A derivation as stored (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDerivation {
    pub from: Uuid,
    pub index_percent: String,
    pub rounding: String,
    pub step_ore: i64,
}

pub fn state_pb(s: &str) -> pb::PriceListState {
    match PriceListState::parse(s) {
        Some(PriceListState::Draft) => pb::PriceListState::Draft,
        Some(PriceListState::Proposed) => pb::PriceListState::Proposed,
        Some(PriceListState::Decided) => pb::PriceListState::Decided,
        Some(PriceListState::Published) => pb::PriceListState::Published,
        None => pb::PriceListState::Unspecified,
    }
}

fn rounding_pb(s: &str) -> pb::PriceRounding {
    match s {
        "ore" => pb::PriceRounding::Ore,
        "whole_kronor" => pb::PriceRounding::WholeKronor,
        "multiple" => pb::PriceRounding::Multiple,
        _ => pb::PriceRounding::Unspecified,
    }
}

pub fn rounding_from_pb(r: i32) -> Result<&'static str, ApiError> {
    Ok(match pb::PriceRounding::try_from(r) {
        Ok(pb::PriceRounding::Ore) => "ore",
        Ok(pb::PriceRounding::WholeKronor) => "whole_kronor",
        Ok(pb::PriceRounding::Multiple) => "multiple",
        _ => {
            return Err(ApiError::invalid_field(
                "derivation.rounding",
                "must be ORE, WHOLE_KRONOR or MULTIPLE",
            ));
        }
    })
}

pub fn price_list_pb(p: price_list::Model) -> Result<pb::PriceList, ApiError> {
    let prices = prices_of(&p)?
        .into_iter()
        .map(|(service_code, amount_ore)| pb::Price {
            service_code,
            amount_ore,
        })
        .collect();
    let derivation = if p.derivation.is_empty() {
        None
    } else {
        let d: StoredDerivation =
            serde_json::from_str(&p.derivation).map_err(ApiError::internal_from)?;
        Some(pb::Derivation {
            from_price_list_id: d.from.to_string(),
            index_percent: Some(fraction_pb(ratio_from_text(&d.index_percent)?)?),
            rounding: rounding_pb(&d.rounding) as i32,
            rounding_step_ore: d.step_ore,
        })
    };
    Ok(pb::PriceList {
        id: p.id.to_string(),
        collaboration_id: p.collaboration_id.to_string(),
        year: p.year,
        version: p.version,
        effective_date: Some(dates::to_proto(p.effective_date)),
        state: state_pb(&p.state) as i32,
        prices,
        derivation,
        decision_ref: p.decision_ref,
        decision_id: p.decision_id,
        create_time: Some(timestamp(p.create_time)),
        update_time: Some(timestamp(p.update_time)),
        publish_time: p.publish_time.map(timestamp),
        etag: p.etag,
    })
}

// ---- keys and drivers -------------------------------------------------------------

/// A key component as stored: the fraction as exact text, the driver
/// (empty: equally).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredComponent {
    pub fraction: String,
    pub driver: String,
}

/// Validates a key's components: fractions not negative and summing to 1,
/// drivers as codes. The domain checks the same again when it splits.
pub fn components_from_pb(
    field: &str,
    cs: &[pb::KeyComponent],
) -> Result<Vec<StoredComponent>, ApiError> {
    if cs.is_empty() {
        return Err(ApiError::invalid_field(field, "at least one component"));
    }
    let mut sum = Ratio::ZERO;
    let mut out = Vec::with_capacity(cs.len());
    for (i, c) in cs.iter().enumerate() {
        let f = non_negative(
            &format!("{field}[{i}].fraction"),
            fraction(&format!("{field}[{i}].fraction"), c.fraction.as_ref())?,
        )?;
        sum = sum
            .checked_add(f)
            .ok_or_else(|| ApiError::invalid_field(field, "fractions out of range"))?;
        let driver = if c.driver.trim().is_empty() {
            String::new()
        } else {
            code(&format!("{field}[{i}].driver"), &c.driver)?
        };
        out.push(StoredComponent {
            fraction: ratio_text(f),
            driver,
        });
    }
    if sum != Ratio::ONE {
        return Err(ApiError::invalid_field(
            field,
            format!("the fractions must sum to 1, not {sum}"),
        ));
    }
    Ok(out)
}

pub fn components_pb(cs: &[StoredComponent]) -> Result<Vec<pb::KeyComponent>, ApiError> {
    cs.iter()
        .map(|c| {
            Ok(pb::KeyComponent {
                fraction: Some(fraction_pb(ratio_from_text(&c.fraction)?)?),
                driver: c.driver.clone(),
            })
        })
        .collect()
}

pub fn components_domain(cs: &[StoredComponent]) -> Result<Vec<KeyComponent>, ApiError> {
    cs.iter()
        .map(|c| {
            Ok(KeyComponent {
                fraction: ratio_from_text(&c.fraction)?,
                basis: if c.driver.is_empty() {
                    Basis::Equal
                } else {
                    Basis::Driver(c.driver.clone())
                },
            })
        })
        .collect()
}

pub fn key_components(k: &allocation_key::Model) -> Result<Vec<StoredComponent>, ApiError> {
    serde_json::from_str(&k.components).map_err(ApiError::internal_from)
}

pub fn key_pb(k: allocation_key::Model) -> Result<pb::AllocationKey, ApiError> {
    let components = components_pb(&key_components(&k)?)?;
    Ok(pb::AllocationKey {
        id: k.id.to_string(),
        collaboration_id: k.collaboration_id.to_string(),
        service_code: k.service_code,
        version: k.version,
        effective_date: Some(dates::to_proto(k.effective_date)),
        components,
        unit_driver: k.unit_driver,
        create_time: Some(timestamp(k.create_time)),
    })
}

pub fn key_domain(k: &allocation_key::Model) -> Result<AllocationKey, ApiError> {
    Ok(AllocationKey {
        version: k.id.to_string(),
        components: components_domain(&key_components(k)?)?,
        unit_driver: (!k.unit_driver.is_empty()).then(|| k.unit_driver.clone()),
    })
}

/// A driver value as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredValue {
    pub municipality: String,
    pub unit: String,
    pub value: u64,
}

pub fn driver_value_from_pb(field: &str, v: &pb::DriverValue) -> Result<StoredValue, ApiError> {
    Ok(StoredValue {
        municipality: municipality(&format!("{field}.municipality_id"), &v.municipality_id)?,
        unit: opt_line(&format!("{field}.unit"), &v.unit, 200)?,
        value: u64::try_from(v.value).map_err(|_| {
            ApiError::invalid_field(format!("{field}.value"), "must not be negative")
        })?,
    })
}

pub fn snapshot_values(s: &driver_snapshot::Model) -> Result<Vec<StoredValue>, ApiError> {
    serde_json::from_str(&s.driver_values).map_err(ApiError::internal_from)
}

pub fn snapshot_pb(s: driver_snapshot::Model) -> Result<pb::DriverSnapshot, ApiError> {
    let values = snapshot_values(&s)?
        .into_iter()
        .map(|v| {
            Ok(pb::DriverValue {
                municipality_id: v.municipality,
                unit: v.unit,
                value: i64::try_from(v.value).map_err(ApiError::internal_from)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(pb::DriverSnapshot {
        id: s.id.to_string(),
        collaboration_id: s.collaboration_id.to_string(),
        driver: s.driver,
        measured_on: Some(dates::to_proto(s.measured_on)),
        source: s.source,
        values,
        create_time: Some(timestamp(s.create_time)),
    })
}

// ---- bill lines -------------------------------------------------------------------

pub fn kind_pb(k: LineKind) -> pb::LineKind {
    match k {
        LineKind::PerUnit => pb::LineKind::PerUnit,
        LineKind::Allocated => pb::LineKind::Allocated,
        LineKind::Direct => pb::LineKind::Direct,
        LineKind::Correction => pb::LineKind::Correction,
    }
}

fn kind_domain(k: i32) -> Result<LineKind, ApiError> {
    Ok(match pb::LineKind::try_from(k) {
        Ok(pb::LineKind::PerUnit) => LineKind::PerUnit,
        Ok(pb::LineKind::Allocated) => LineKind::Allocated,
        Ok(pb::LineKind::Direct) => LineKind::Direct,
        Ok(pb::LineKind::Correction) => LineKind::Correction,
        _ => return Err(ApiError::internal(format!("stored line kind {k}"))),
    })
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

pub fn line_pb(l: &BillLine) -> Result<pb::BillLine, ApiError> {
    Ok(pb::BillLine {
        kind: kind_pb(l.kind) as i32,
        service_code: l.service.clone(),
        name: l.name.clone(),
        unit: opt(&l.unit),
        quantity: Some(fraction_pb(l.quantity)?),
        measured: l.measured.map(fraction_pb).transpose()?,
        unit_price_ore: l.unit_price.ore(),
        amount_ore: l.amount.ore(),
        rounding_adjustment_ore: Some(fraction_pb(l.rounding_adjustment)?),
        price_list_id: opt(&l.price_list_version),
        allocation_key_id: opt(&l.key_version),
        driver_snapshot_ids: l.driver_snapshots.clone(),
        reference: opt(&l.reference),
        unit_split: l
            .unit_split
            .iter()
            .map(|p| {
                Ok(pb::UnitPart {
                    unit: p.unit.clone(),
                    weight: i64::try_from(p.weight).map_err(ApiError::internal_from)?,
                    amount_ore: p.amount.ore(),
                    rounding_adjustment_ore: Some(fraction_pb(p.adjustment)?),
                })
            })
            .collect::<Result<_, ApiError>>()?,
    })
}

/// A stored line back into the domain (to explain or extend an issued
/// bill). Stored lines were written by this service, so a bad one is a
/// server fault.
pub fn line_domain(l: &pb::BillLine) -> Result<BillLine, ApiError> {
    let stored = |f: Option<&pb::Fraction>| {
        fraction("stored", f).map_err(|_| ApiError::internal("stored fraction"))
    };
    Ok(BillLine {
        kind: kind_domain(l.kind)?,
        service: l.service_code.clone(),
        name: l.name.clone(),
        unit: non_empty(l.unit.clone()),
        quantity: stored(l.quantity.as_ref())?,
        measured: l.measured.as_ref().map(|m| stored(Some(m))).transpose()?,
        unit_price: Money::from_ore(l.unit_price_ore),
        amount: Money::from_ore(l.amount_ore),
        rounding_adjustment: stored(l.rounding_adjustment_ore.as_ref())?,
        price_list_version: non_empty(l.price_list_id.clone()),
        key_version: non_empty(l.allocation_key_id.clone()),
        driver_snapshots: l.driver_snapshot_ids.clone(),
        reference: non_empty(l.reference.clone()),
        unit_split: l
            .unit_split
            .iter()
            .map(|p| {
                Ok(UnitPart {
                    unit: p.unit.clone(),
                    weight: u64::try_from(p.weight).map_err(ApiError::internal_from)?,
                    amount: Money::from_ore(p.amount_ore),
                    adjustment: stored(p.rounding_adjustment_ore.as_ref())?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
    })
}
