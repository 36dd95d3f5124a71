//! Benchmark of the bill computation (the pure domain, no storage): 300
//! member municipalities × 200 services × 12 monthly periods.
//!
//! ```sh
//! cargo run --release -p samverkan-costmodel --example bench_bills
//! ```
//!
//! The catalogue is 150 per-unit services (a volume per member each), 40
//! cost pools (one third equally, two thirds by population, each member's
//! part split over 5 units by accounts) and 10 direct services (two cases
//! per member each). Every period's pools are checked to sum exactly to the
//! month's part of the pool, so the figure is for correct work, not just
//! fast work.

use std::collections::BTreeMap;
use std::time::Instant;

use samverkan_costmodel::domain::bill::{
    AllocationKey, Basis, ChargeType, DirectCharge, DriverValue, KeyComponent, LineKind,
    PeriodInput, Service, Volume, compute_bills,
};
use samverkan_costmodel::domain::period::Period;
use samverkan_costmodel::domain::price::PriceList;
use samverkan_costmodel::domain::{Money, Ratio};

const MEMBERS: usize = 300;
const PER_UNIT: usize = 150;
const POOLS: usize = 40;
const DIRECT: usize = 10;
const MONTHS: usize = 12;
const UNITS: usize = 5;

/// A small deterministic generator, so every run computes the same bills.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn input(month: usize, rng: &mut Lcg) -> Result<PeriodInput, Box<dyn std::error::Error>> {
    let members: Vec<String> = (0..MEMBERS).map(|m| format!("kommun-{m:03}")).collect();
    let mut services = Vec::new();
    let mut prices = BTreeMap::new();
    let mut keys = BTreeMap::new();
    for s in 0..PER_UNIT {
        let code = format!("styck-{s:03}");
        prices.insert(
            code.clone(),
            Money::from_ore(10_000 + rng.next(500_000) as i64),
        );
        services.push(Service {
            code,
            name: format!("Tjänst {s}"),
            unit_of_measure: "st/mån".into(),
            charge: ChargeType::PerUnit,
        });
    }
    for s in 0..POOLS {
        let code = format!("pool-{s:02}");
        prices.insert(
            code.clone(),
            Money::from_ore(1_000_000 + rng.next(100_000_000) as i64),
        );
        keys.insert(
            code.clone(),
            AllocationKey {
                version: format!("nyckel-{s}"),
                components: vec![
                    KeyComponent {
                        fraction: Ratio::new(1, 3)?,
                        basis: Basis::Equal,
                    },
                    KeyComponent {
                        fraction: Ratio::new(2, 3)?,
                        basis: Basis::Driver("invanare".into()),
                    },
                ],
                unit_driver: Some("konton".into()),
            },
        );
        services.push(Service {
            code,
            name: format!("Pool {s}"),
            unit_of_measure: "mån".into(),
            charge: ChargeType::Allocated,
        });
    }
    for s in 0..DIRECT {
        let code = format!("direkt-{s:02}");
        prices.insert(code.clone(), Money::from_ore(70_000));
        services.push(Service {
            code,
            name: format!("Direkt {s}"),
            unit_of_measure: "påbörjad timme".into(),
            charge: ChargeType::Direct {
                increment: Ratio::ONE,
            },
        });
    }
    let mut drivers = Vec::new();
    let mut volumes = Vec::new();
    let mut direct_charges = Vec::new();
    for m in &members {
        drivers.push(DriverValue {
            snapshot: "scb".into(),
            member: m.clone(),
            unit: None,
            driver: "invanare".into(),
            value: 3_000 + rng.next(100_000),
        });
        for u in 0..UNITS {
            drivers.push(DriverValue {
                snapshot: "ad".into(),
                member: m.clone(),
                unit: Some(format!("enhet-{u}")),
                driver: "konton".into(),
                value: 10 + rng.next(2_000),
            });
        }
        for s in 0..PER_UNIT {
            volumes.push(Volume {
                member: m.clone(),
                unit: None,
                service: format!("styck-{s:03}"),
                quantity: Ratio::integer(rng.next(3_000) as i64),
            });
        }
        for s in 0..DIRECT {
            for case in 0..2 {
                direct_charges.push(DirectCharge {
                    reference: format!("{m}-{s}-{case}"),
                    member: m.clone(),
                    unit: Some(format!("enhet-{}", rng.next(UNITS as u64))),
                    service: format!("direkt-{s:02}"),
                    measured: Ratio::hours_minutes(rng.next(10) as i64, rng.next(60) as i64)?,
                });
            }
        }
    }
    Ok(PeriodInput {
        period: Period::Month(2025, u32::try_from(month + 1)?),
        members,
        partial_months: Default::default(),
        services,
        price_list: PriceList {
            version: "prislista".into(),
            prices,
        },
        keys,
        drivers,
        volumes,
        direct_charges,
    })
}

/// A field of this process's `/proc/self/status`, in KiB (Linux).
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let before = memory_kib("VmRSS:");
    let mut rng = Lcg(2025);
    let inputs = (0..MONTHS)
        .map(|m| input(m, &mut rng))
        .collect::<Result<Vec<_>, _>>()?;
    let started = Instant::now();
    let mut lines = 0usize;
    let mut grand_total = Money::ZERO;
    for input in &inputs {
        let bills = compute_bills(input)?;
        // Every pool's lines sum exactly to the pool.
        let mut pools: BTreeMap<&str, Money> = BTreeMap::new();
        for b in &bills {
            lines += b.lines.len();
            grand_total = grand_total.checked_add(b.total).ok_or("overflow")?;
            for l in b.lines.iter().filter(|l| l.kind == LineKind::Allocated) {
                let e = pools.entry(l.service.as_str()).or_insert(Money::ZERO);
                *e = e.checked_add(l.amount).ok_or("overflow")?;
            }
        }
        // A month's pool is its twelfth of the yearly amount, by largest
        // remainder over the months.
        for (s, sum) in pools {
            let yearly = input.price_list.prices.get(s).ok_or("no price")?;
            if sum != input.period.share_of_year(*yearly)? {
                return Err(format!("pool {s} does not sum to the pool").into());
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{MEMBERS} municipalities × {} services × {MONTHS} months: {} bills, {lines} lines, total {grand_total}, computed in {:.3} s",
        PER_UNIT + POOLS + DIRECT,
        MEMBERS * MONTHS,
        elapsed.as_secs_f64()
    );
    // The inputs and the bills of one period at a time, at their peak.
    if let (Some(peak), Some(before)) = (memory_kib("VmHWM:"), before) {
        println!(
            "peak resident memory {} MiB ({} MiB above the process at start)",
            peak / 1024,
            peak.saturating_sub(before) / 1024
        );
    }
    Ok(())
}
