//! The bill run: every member's bill for every month of a year, computed
//! in process from a synthetic catalogue of a stated size (issue #20's
//! "300 municipalities × 200 services × 12 months"). No database: this
//! measures the computation a bill read and a reconciliation run on.
//!
//! The catalogue, deterministic for a shape: half the services are billed
//! per unit (each member has a volume of each, on one of its units), a
//! quarter are allocated pools (30 % split equally, 70 % by population,
//! then over the member's units by accounts), a quarter are direct (one
//! case per member and service). Every member has a population and an
//! account count per unit.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use samverkan_costmodel::domain::bill::{
    AllocationKey, Basis, ChargeType, DirectCharge, DriverValue, KeyComponent, PeriodInput,
    Service, Volume, compute_bills,
};
use samverkan_costmodel::domain::period::Period;
use samverkan_costmodel::domain::price::PriceList;
use samverkan_costmodel::domain::{Money, Ratio};

/// The size of a bill run.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub members: usize,
    pub services: usize,
    /// Units (förvaltningar) per member.
    pub units: usize,
}

/// What a bill run took.
#[derive(Debug, Clone)]
pub struct Figures {
    pub shape: Shape,
    pub months: u32,
    /// Bills (members × months) and their lines.
    pub bills: usize,
    pub lines: usize,
    /// Every bill's total, summed: the same for the same shape, whatever
    /// the implementation (a check that a faster run computes the same).
    pub total: Money,
    pub elapsed: Duration,
    /// Growth of the process's peak resident memory over the run, in KiB
    /// (the input included).
    pub peak_growth_kib: u64,
}

/// A deterministic spread of `0..n` over `i` and `j`.
fn spread(i: usize, j: usize, n: u64) -> u64 {
    ((i as u64).wrapping_mul(7919) ^ (j as u64).wrapping_mul(104_729)) % n
}

/// The year's input for `shape`.
pub fn catalogue(shape: Shape) -> anyhow::Result<PeriodInput> {
    anyhow::ensure!(
        shape.members > 0 && shape.services > 0 && shape.units > 0,
        "a bill run needs at least one member, service and unit"
    );
    let members: Vec<String> = (0..shape.members)
        .map(|m| format!("kommun-{m:04}"))
        .collect();
    let unit = |u: usize| format!("förvaltning-{u:02}");
    let mut services = Vec::with_capacity(shape.services);
    let mut prices = BTreeMap::new();
    let mut keys = BTreeMap::new();
    for s in 0..shape.services {
        let code = format!("tjänst-{s:04}");
        let (charge, price) = match s % 4 {
            0 | 1 => (ChargeType::PerUnit, 100 + spread(s, 1, 250_000)),
            2 => (ChargeType::Allocated, 1_000_000 + spread(s, 2, 500_000_000)),
            _ => (
                ChargeType::Direct {
                    increment: Ratio::ONE,
                },
                50_000 + spread(s, 3, 100_000),
            ),
        };
        if charge == ChargeType::Allocated {
            keys.insert(
                code.clone(),
                AllocationKey {
                    version: format!("nyckel-{s}"),
                    components: vec![
                        KeyComponent {
                            fraction: Ratio::new(3, 10)?,
                            basis: Basis::Equal,
                        },
                        KeyComponent {
                            fraction: Ratio::new(7, 10)?,
                            basis: Basis::Driver("invanare".into()),
                        },
                    ],
                    unit_driver: Some("konton".into()),
                },
            );
        }
        prices.insert(code.clone(), Money::from_ore(price as i64));
        services.push(Service {
            name: format!("Tjänst {s}"),
            unit_of_measure: "st/år".into(),
            code,
            charge,
        });
    }
    let mut drivers = Vec::new();
    let mut volumes = Vec::new();
    let mut direct_charges = Vec::new();
    for (i, m) in members.iter().enumerate() {
        drivers.push(DriverValue {
            snapshot: "befolkning-2025".into(),
            member: m.clone(),
            unit: None,
            driver: "invanare".into(),
            value: 5_000 + spread(i, 0, 100_000),
        });
        for u in 0..shape.units {
            drivers.push(DriverValue {
                snapshot: "konton-2025".into(),
                member: m.clone(),
                unit: Some(unit(u)),
                driver: "konton".into(),
                value: 1 + spread(i, u, 2_000),
            });
        }
        for (j, s) in services.iter().enumerate() {
            let on = Some(unit(spread(i, j, shape.units as u64) as usize));
            match s.charge {
                ChargeType::PerUnit => volumes.push(Volume {
                    member: m.clone(),
                    unit: on,
                    service: s.code.clone(),
                    quantity: Ratio::integer(1 + spread(i, j, 3_000) as i64),
                }),
                ChargeType::Direct { .. } => direct_charges.push(DirectCharge {
                    reference: format!("ärende-{i}-{j}"),
                    member: m.clone(),
                    unit: on,
                    service: s.code.clone(),
                    measured: Ratio::new(1 + spread(i, j, 600) as i64, 60)?,
                }),
                ChargeType::Allocated => {}
            }
        }
    }
    Ok(PeriodInput {
        period: Period::Year(2026),
        members,
        partial_months: BTreeMap::new(),
        services,
        price_list: PriceList {
            version: "prislista-2026".into(),
            prices,
        },
        keys,
        drivers,
        volumes,
        direct_charges,
    })
}

/// Computes every member's bill for the first `months` months of the
/// year (or, with 0, the year's bill once).
pub fn run(shape: Shape, months: u32) -> anyhow::Result<Figures> {
    anyhow::ensure!(months <= 12, "--months: at most 12");
    let before = memory_kib("VmRSS:");
    let mut input = catalogue(shape)?;
    let periods: Vec<Period> = if months == 0 {
        vec![Period::Year(2026)]
    } else {
        (1..=months).map(|m| Period::Month(2026, m)).collect()
    };
    let started = Instant::now();
    let (mut bills, mut lines, mut total) = (0, 0, Money::ZERO);
    for p in periods {
        input.period = p;
        for b in compute_bills(&input).map_err(|e| anyhow::anyhow!("{p}: {e}"))? {
            bills += 1;
            lines += b.lines.len();
            total = total
                .checked_add(b.total)
                .ok_or_else(|| anyhow::anyhow!("the totals overflow"))?;
        }
    }
    let elapsed = started.elapsed();
    let peak = memory_kib("VmHWM:");
    Ok(Figures {
        shape,
        months,
        bills,
        lines,
        total,
        elapsed,
        peak_growth_kib: peak.zip(before).map_or(0, |(p, b)| p.saturating_sub(b)),
    })
}

/// A line of this process's `/proc/self/status`, in KiB.
fn memory_kib(field: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_bills_every_member_every_month() {
        let shape = Shape {
            members: 3,
            services: 8,
            units: 2,
        };
        let f = run(shape, 2).unwrap();
        assert_eq!(f.bills, 6);
        // Per member and month: 4 per-unit, 2 direct and 2 allocated lines.
        assert_eq!(f.lines, 6 * 8);
        assert!(f.total > Money::ZERO);
        // The same shape computes the same total.
        assert_eq!(run(shape, 2).unwrap().total, f.total);
    }
}
