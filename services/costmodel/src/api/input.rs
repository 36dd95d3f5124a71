//! What a period's bills are computed from: assembled from the stored
//! inputs in force, frozen as JSON when the bills are issued (so an issued
//! bill can be recomputed to the öre however the inputs change later), and
//! modified by a scenario's overrides.

use std::collections::{BTreeMap, BTreeSet};

use samverkan_core::ApiError;
use samverkan_db::Tx;
use samverkan_proto::costmodel::v1 as pb;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::convert::{self, ratio_from_text, ratio_text};
use crate::domain::Money;
use crate::domain::bill::{
    AllocationKey, Basis, ChargeType, DirectCharge, DriverValue, KeyComponent, PeriodInput,
    Service, Volume, charges_for_period, volumes_for_period,
};
use crate::domain::period::Period;
use crate::domain::price::{self, PriceList};
use crate::store::{self, price_list};

/// Which price list a live computation uses.
pub enum PriceChoice {
    /// The latest published version of the period's year.
    Published,
    /// This version, in any state (a preview of a draft, a scenario's base).
    Version(Uuid),
}

/// Assembles the inputs in force for `period` (a year or a month): the
/// catalogue, the year's price list, per pool the key version with the
/// latest effective date by the period's last day, per driver the snapshot
/// measured last by that day, and the period's volumes and direct charges
/// (for a month as [`volumes_for_period`] and [`charges_for_period`]
/// decide). `members` are the members during the period with their billed
/// months ([`crate::domain::membership::members_during`]).
pub async fn assemble(
    tx: &Tx,
    collab: Uuid,
    members: &BTreeMap<String, u32>,
    period: Period,
    choice: PriceChoice,
) -> Result<(PeriodInput, price_list::Model), ApiError> {
    let year = period.year();
    let end = period.last_day();
    let list = match choice {
        PriceChoice::Published => store::price_lists(tx, collab, Some(year), true, None)
            .await?
            .pop()
            .ok_or_else(|| price::none_published(year).on(format!("price-lists/{year}")))?,
        PriceChoice::Version(id) => {
            let l = store::find_price_list(tx, id)
                .await?
                .filter(|l| l.collaboration_id == collab)
                .ok_or_else(|| ApiError::not_found("price list", id.to_string()))?;
            if l.year != year {
                return Err(ApiError::invalid_field(
                    "price_list_id",
                    format!("prices {}, not the period's year {year}", l.year),
                ));
            }
            l
        }
    };
    let services = store::services(tx, collab, None)
        .await?
        .iter()
        .map(convert::service_domain)
        .collect::<Result<Vec<_>, _>>()?;
    let prices = convert::prices_of(&list)?
        .into_iter()
        .map(|(c, ore)| (c, Money::from_ore(ore)))
        .collect();
    // Keys are ordered by effective date and version, so the last one of a
    // service that is in force by the year's end wins.
    let mut keys = BTreeMap::new();
    for k in store::keys(tx, collab, None, None).await? {
        if k.effective_date <= end {
            keys.insert(k.service_code.clone(), convert::key_domain(&k)?);
        }
    }
    let mut latest = BTreeMap::new();
    for s in store::snapshots(tx, collab, None, Some(end), None).await? {
        latest.insert(s.driver.clone(), s);
    }
    let mut drivers = Vec::new();
    for s in latest.values() {
        for v in convert::snapshot_values(s)? {
            drivers.push(DriverValue {
                snapshot: s.id.to_string(),
                member: v.municipality,
                unit: (!v.unit.is_empty()).then_some(v.unit),
                driver: s.driver.clone(),
                value: v.value,
            });
        }
    }
    let own_volumes = volumes_of(tx, collab, period).await?;
    let own_charges = charges_of(tx, collab, period).await?;
    let (volumes, direct_charges) = if period.month().is_some() {
        let year = period.whole_year();
        let yearly_volumes = volumes_of(tx, collab, year).await?;
        let yearly_charges = charges_of(tx, collab, year).await?;
        (
            volumes_for_period(period, &yearly_volumes, &own_volumes),
            charges_for_period(period, &own_charges, &yearly_charges),
        )
    } else {
        (own_volumes, own_charges)
    };
    let input = PeriodInput {
        period,
        members: members.keys().cloned().collect(),
        partial_months: members
            .iter()
            .filter(|(_, m)| **m < period.month_count())
            .map(|(k, m)| (k.clone(), *m))
            .collect(),
        services,
        price_list: PriceList {
            version: list.id.to_string(),
            prices,
        },
        keys,
        drivers,
        volumes,
        direct_charges,
    };
    Ok((input, list))
}

async fn volumes_of(tx: &Tx, collab: Uuid, period: Period) -> Result<Vec<Volume>, ApiError> {
    store::volumes(tx, collab, &period.to_string())
        .await?
        .into_iter()
        .map(|v| {
            Ok(Volume {
                member: v.municipality_id,
                unit: (!v.unit.is_empty()).then_some(v.unit),
                service: v.service_code,
                quantity: ratio_from_text(&v.quantity)?,
            })
        })
        .collect()
}

async fn charges_of(tx: &Tx, collab: Uuid, period: Period) -> Result<Vec<DirectCharge>, ApiError> {
    store::direct_charges(tx, collab, &period.to_string())
        .await?
        .into_iter()
        .map(|c| {
            Ok(DirectCharge {
                reference: c.reference,
                member: c.municipality_id,
                unit: (!c.unit.is_empty()).then_some(c.unit),
                service: c.service_code,
                measured: ratio_from_text(&c.measured)?,
            })
        })
        .collect()
}

/// Applies a scenario's overrides. Every overridden input gets a reference
/// naming the scenario (`scenario/<id>`), so no line of a scenario bill can
/// be mistaken for one priced from a published list.
pub fn apply_scenario(input: &mut PeriodInput, s: &pb::Scenario) -> Result<(), ApiError> {
    let tag = format!("scenario/{}", s.id);
    let bad = |what: &str| ApiError::internal(format!("stored scenario: {what}"));
    if !s.price_overrides.is_empty() {
        input.price_list.version = tag.clone();
        for p in &s.price_overrides {
            input
                .price_list
                .prices
                .insert(p.service_code.clone(), Money::from_ore(p.amount_ore));
        }
    }
    for v in &s.volume_overrides {
        let unit = (!v.unit.is_empty()).then(|| v.unit.clone());
        let quantity =
            convert::fraction("stored", v.quantity.as_ref()).map_err(|_| bad("volume"))?;
        input.volumes.retain(|x| {
            !(x.member == v.municipality_id && x.unit == unit && x.service == v.service_code)
        });
        input.volumes.push(Volume {
            member: v.municipality_id.clone(),
            unit,
            service: v.service_code.clone(),
            quantity,
        });
    }
    for k in &s.key_overrides {
        let components = k
            .components
            .iter()
            .map(|c| {
                Ok(KeyComponent {
                    fraction: convert::fraction("stored", c.fraction.as_ref())
                        .map_err(|_| bad("key"))?,
                    basis: if c.driver.is_empty() {
                        Basis::Equal
                    } else {
                        Basis::Driver(c.driver.clone())
                    },
                })
            })
            .collect::<Result<_, ApiError>>()?;
        input.keys.insert(
            k.service_code.clone(),
            AllocationKey {
                version: format!("{tag}/{}", k.service_code),
                components,
                unit_driver: (!k.unit_driver.is_empty()).then(|| k.unit_driver.clone()),
            },
        );
    }
    for d in &s.driver_overrides {
        let v = d.value.as_ref().ok_or_else(|| bad("driver value"))?;
        let unit = (!v.unit.is_empty()).then(|| v.unit.clone());
        input
            .drivers
            .retain(|x| !(x.driver == d.driver && x.member == v.municipality_id && x.unit == unit));
        input.drivers.push(DriverValue {
            snapshot: tag.clone(),
            member: v.municipality_id.clone(),
            unit,
            driver: d.driver.clone(),
            value: u64::try_from(v.value).map_err(|_| bad("driver value"))?,
        });
    }
    let mut members: BTreeSet<String> = input.members.iter().cloned().collect();
    members.extend(s.added_municipality_ids.iter().cloned());
    input.members = members.into_iter().collect();
    Ok(())
}

// ---- the frozen form --------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FrozenService {
    code: String,
    name: String,
    unit_of_measure: String,
    /// "per_unit", "allocated", or the direct increment as "direct:1".
    charge: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FrozenKey {
    version: String,
    /// (fraction as exact text, driver or empty for equal)
    components: Vec<(String, String)>,
    unit_driver: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FrozenDriver {
    snapshot: String,
    member: String,
    unit: Option<String>,
    driver: String,
    value: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FrozenVolume {
    member: String,
    unit: Option<String>,
    service: String,
    quantity: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FrozenCharge {
    reference: String,
    member: String,
    unit: Option<String>,
    service: String,
    measured: String,
}

/// A [`PeriodInput`] as stored with an issued run: integers and exact
/// fraction text only, so reading it back gives exactly the same input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Frozen {
    period: String,
    members: Vec<String>,
    services: Vec<FrozenService>,
    price_list_version: String,
    prices: BTreeMap<String, i64>,
    keys: BTreeMap<String, FrozenKey>,
    drivers: Vec<FrozenDriver>,
    volumes: Vec<FrozenVolume>,
    direct_charges: Vec<FrozenCharge>,
    /// Absent when every member was there all period, so that inputs
    /// frozen before membership was dated read and write the same.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    partial_months: BTreeMap<String, u32>,
}

pub fn freeze(i: &PeriodInput) -> Result<String, ApiError> {
    let frozen = Frozen {
        // "2025" or "2025-03": a year reads and writes as when periods
        // were strings.
        period: i.period.to_string(),
        members: i.members.clone(),
        services: i
            .services
            .iter()
            .map(|s| FrozenService {
                code: s.code.clone(),
                name: s.name.clone(),
                unit_of_measure: s.unit_of_measure.clone(),
                charge: match s.charge {
                    ChargeType::PerUnit => "per_unit".into(),
                    ChargeType::Allocated => "allocated".into(),
                    ChargeType::Direct { increment } => format!("direct:{}", ratio_text(increment)),
                },
            })
            .collect(),
        price_list_version: i.price_list.version.clone(),
        prices: i
            .price_list
            .prices
            .iter()
            .map(|(k, v)| (k.clone(), v.ore()))
            .collect(),
        keys: i
            .keys
            .iter()
            .map(|(s, k)| {
                (
                    s.clone(),
                    FrozenKey {
                        version: k.version.clone(),
                        components: k
                            .components
                            .iter()
                            .map(|c| {
                                let d = match &c.basis {
                                    Basis::Equal => String::new(),
                                    Basis::Driver(d) => d.clone(),
                                };
                                (ratio_text(c.fraction), d)
                            })
                            .collect(),
                        unit_driver: k.unit_driver.clone(),
                    },
                )
            })
            .collect(),
        drivers: i
            .drivers
            .iter()
            .map(|d| FrozenDriver {
                snapshot: d.snapshot.clone(),
                member: d.member.clone(),
                unit: d.unit.clone(),
                driver: d.driver.clone(),
                value: d.value,
            })
            .collect(),
        volumes: i
            .volumes
            .iter()
            .map(|v| FrozenVolume {
                member: v.member.clone(),
                unit: v.unit.clone(),
                service: v.service.clone(),
                quantity: ratio_text(v.quantity),
            })
            .collect(),
        direct_charges: i
            .direct_charges
            .iter()
            .map(|c| FrozenCharge {
                reference: c.reference.clone(),
                member: c.member.clone(),
                unit: c.unit.clone(),
                service: c.service.clone(),
                measured: ratio_text(c.measured),
            })
            .collect(),
        partial_months: i.partial_months.clone(),
    };
    serde_json::to_string(&frozen).map_err(ApiError::internal_from)
}

pub fn thaw(text: &str) -> Result<PeriodInput, ApiError> {
    let f: Frozen = serde_json::from_str(text).map_err(ApiError::internal_from)?;
    let services = f
        .services
        .into_iter()
        .map(|s| {
            let charge = match s.charge.as_str() {
                "per_unit" => ChargeType::PerUnit,
                "allocated" => ChargeType::Allocated,
                other => match other.strip_prefix("direct:") {
                    Some(inc) => ChargeType::Direct {
                        increment: ratio_from_text(inc)?,
                    },
                    None => return Err(ApiError::internal(format!("frozen charge {other:?}"))),
                },
            };
            Ok(Service {
                code: s.code,
                name: s.name,
                unit_of_measure: s.unit_of_measure,
                charge,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let keys = f
        .keys
        .into_iter()
        .map(|(s, k)| {
            let components = k
                .components
                .into_iter()
                .map(|(fr, d)| {
                    Ok(KeyComponent {
                        fraction: ratio_from_text(&fr)?,
                        basis: if d.is_empty() {
                            Basis::Equal
                        } else {
                            Basis::Driver(d)
                        },
                    })
                })
                .collect::<Result<_, ApiError>>()?;
            Ok((
                s,
                AllocationKey {
                    version: k.version,
                    components,
                    unit_driver: k.unit_driver,
                },
            ))
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(PeriodInput {
        period: convert::stored_period(&f.period)?,
        members: f.members,
        partial_months: f.partial_months,
        services,
        price_list: PriceList {
            version: f.price_list_version,
            prices: f
                .prices
                .into_iter()
                .map(|(k, v)| (k, Money::from_ore(v)))
                .collect(),
        },
        keys,
        drivers: f
            .drivers
            .into_iter()
            .map(|d| DriverValue {
                snapshot: d.snapshot,
                member: d.member,
                unit: d.unit,
                driver: d.driver,
                value: d.value,
            })
            .collect(),
        volumes: f
            .volumes
            .into_iter()
            .map(|v| {
                Ok(Volume {
                    member: v.member,
                    unit: v.unit,
                    service: v.service,
                    quantity: ratio_from_text(&v.quantity)?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        direct_charges: f
            .direct_charges
            .into_iter()
            .map(|c| {
                Ok(DirectCharge {
                    reference: c.reference,
                    member: c.member,
                    unit: c.unit,
                    service: c.service,
                    measured: ratio_from_text(&c.measured)?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
    })
}
