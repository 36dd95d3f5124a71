//! Property tests of the money rules: allocation, mixed keys, explanations,
//! reconciliation, and the bill run against a straightforward reference.
//! Every check is exact integer arithmetic.

use std::collections::BTreeMap;

use proptest::prelude::*;
use samverkan_costmodel::domain::allocation::{Component, allocate, combine};
use samverkan_costmodel::domain::bill::{
    AllocationKey, Basis, Bill, BillLine, ChargeType, DirectCharge, DriverValue, KeyComponent,
    LineKind, PeriodInput, Service, Volume, compute_bills,
};
use samverkan_costmodel::domain::explain::explain;
use samverkan_costmodel::domain::period::Period;
use samverkan_costmodel::domain::price::PriceList;
use samverkan_costmodel::domain::reconcile::{PoolOutcome, reconcile};
use samverkan_costmodel::domain::{CostError, Money, Ratio};

/// Totals with the edge cases weighted in: zero, ±1 öre, the extremes.
fn total() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(-1),
        Just(i64::MAX),
        Just(i64::MIN + 1),
        -1_000_000i64..1_000_000,
        any::<i64>().prop_filter("negatable", |t| *t != i64::MIN),
    ]
}

/// Weights with many zeros, small values (frequent ties) and large ones.
fn weight() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        1u64..4,
        0u64..1_000_000,
        0..=u64::from(u32::MAX)
    ]
}

/// Unique keys (their order is then shuffled separately) with weights.
fn weights() -> impl Strategy<Value = Vec<(u32, u64)>> {
    prop::collection::vec(weight(), 1..12).prop_map(|ws| {
        ws.into_iter()
            .enumerate()
            .map(|(i, w)| (i as u32 * 7 % 13, w))
            .collect()
    })
}

fn as_map(parts: &[samverkan_costmodel::domain::allocation::Part<u32>]) -> BTreeMap<u32, i64> {
    parts.iter().map(|p| (p.key, p.amount.ore())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn allocation_is_exact_fair_order_independent_and_sign_symmetric(
        t in total(),
        ws in weights(),
        seed in any::<u64>(),
    ) {
        let sum: u128 = ws.iter().map(|(_, w)| u128::from(*w)).sum();
        let result = allocate(Money::from_ore(t), &ws);
        if sum == 0 {
            prop_assert_eq!(result, Err(CostError::AllZeroWeights));
            return Ok(());
        }
        let parts = result.unwrap();

        // Parts sum to the total exactly.
        let got: i128 = parts.iter().map(|p| i128::from(p.amount.ore())).sum();
        prop_assert_eq!(got, i128::from(t));

        // Each part within one öre of its exact share t·w/W:
        // |amount·W − t·w| < W, in exact integers (|t| < 2^63, w < 2^32,
        // W < 2^36, so every product fits i128).
        let w_total = sum as i128;
        for p in &parts {
            let exact_num = i128::from(t) * i128::from(p.weight);
            let diff = i128::from(p.amount.ore()) * w_total - exact_num;
            prop_assert!(diff.abs() < w_total, "part {:?} too far from its share", p);
            // The stated adjustment is that difference.
            prop_assert_eq!(p.adjustment, Ratio::new_i128(diff, w_total).unwrap());
            if p.weight == 0 {
                prop_assert_eq!(p.amount, Money::ZERO);
            }
        }

        // Independent of input order: shuffle deterministically by the seed.
        let mut shuffled = ws.clone();
        let n = shuffled.len();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let again = allocate(Money::from_ore(t), &shuffled).unwrap();
        prop_assert_eq!(as_map(&parts), as_map(&again));

        // allocate(−T) = −allocate(T).
        let neg = allocate(Money::from_ore(-t), &ws).unwrap();
        for (a, b) in parts.iter().zip(&neg) {
            prop_assert_eq!(a.amount.ore(), -b.amount.ore());
        }
    }

    #[test]
    fn huge_weights_still_sum_exactly(
        t in any::<i64>(),
        ws in prop::collection::vec(any::<u64>(), 1..8),
    ) {
        let ws: Vec<(usize, u64)> = ws.into_iter().enumerate().collect();
        match allocate(Money::from_ore(t), &ws) {
            Ok(parts) => {
                let got: i128 = parts.iter().map(|p| i128::from(p.amount.ore())).sum();
                prop_assert_eq!(got, i128::from(t));
            }
            Err(e) => prop_assert_eq!(e, CostError::AllZeroWeights),
        }
    }

    /// A combined mixed key gives every member exactly the share the key
    /// describes: w_j / W = Σ f_i · d_ij / D_i.
    #[test]
    fn combined_weights_are_the_exact_mixed_shares(
        drivers in prop::collection::vec(prop::collection::vec(1u64..100_000, 3), 1..4),
        parts in prop::collection::vec(1i64..10, 4),
    ) {
        let k = drivers.len();
        let denom: i64 = parts[..k].iter().sum();
        let components: Vec<Component<&str>> = drivers
            .iter()
            .zip(&parts)
            .map(|(d, p)| Component {
                fraction: Ratio::new(*p, denom).unwrap(),
                values: vec![("a", d[0]), ("b", d[1]), ("c", d[2])],
            })
            .collect();
        let w = combine("k", &components).unwrap();
        let total: u64 = w.iter().map(|(_, x)| *x).sum();
        for (j, (_, wj)) in w.iter().enumerate() {
            let mut expected = Ratio::ZERO;
            for c in &components {
                let d_total: u64 = c.values.iter().map(|(_, v)| *v).sum();
                let share = Ratio::new(c.values[j].1 as i64, d_total as i64).unwrap();
                expected = expected.checked_add(c.fraction.checked_mul(share).unwrap()).unwrap();
            }
            prop_assert_eq!(Ratio::new(*wj as i64, total as i64).unwrap(), expected);
        }
    }

    #[test]
    fn explanation_effects_sum_exactly_to_the_change(
        before in lines(),
        after in lines(),
    ) {
        let b0 = Bill::new("tranemo", Period::Year(2025), before).unwrap();
        let b1 = Bill::new("tranemo", Period::Year(2026), after).unwrap();
        let e = explain(&b0, &b1).unwrap();
        for r in &e.rows {
            let sum = r.before.ore() + r.price.ore() + r.volume.ore() + r.key.ore()
                + r.reconciliation.ore();
            prop_assert_eq!(sum, r.after.ore(), "row {:?}", r);
        }
        let t = &e.totals;
        prop_assert_eq!(
            t.price.ore() + t.volume.ore() + t.key.ore() + t.reconciliation.ore(),
            b1.total.ore() - b0.total.ore()
        );
    }

    #[test]
    fn reconciliation_closes_every_pool_exactly(
        actual in -10_000_000_000i64..10_000_000_000,
        billed in prop::collection::vec(-1_000_000_000i64..1_000_000_000, 1..6),
        key in prop::collection::vec(0u64..50_000, 1..6),
    ) {
        let pool = PoolOutcome {
            service: "bas".into(),
            name: "Gemensam bas".into(),
            actual: Money::from_ore(actual),
            billed: billed.iter().enumerate().map(|(i, b)| (format!("m{i}"), Money::from_ore(*b))).collect(),
            key: key.iter().enumerate().map(|(i, w)| (format!("m{i}"), *w)).collect(),
            key_version: "k".into(),
            driver_snapshots: vec![],
        };
        match reconcile(&pool) {
            Ok(r) => {
                let corrected: i64 = r.corrections.iter().map(|(_, l)| l.amount.ore()).sum();
                let billed: i64 = billed.iter().sum();
                prop_assert_eq!(billed + corrected, actual);
            }
            Err(e) => {
                prop_assert_eq!(e, CostError::AllZeroWeights);
                prop_assert!(key.iter().all(|w| *w == 0));
            }
        }
    }
}

/// Random bill lines over a few services and units: amounts as the bill
/// computes them (quantity × price rounded once), including fractional
/// quantities and shares, negative prices (credits) and duplicates of one
/// (service, unit) that the explanation must group.
fn lines() -> impl Strategy<Value = Vec<BillLine>> {
    let line = (
        prop_oneof![
            Just(LineKind::PerUnit),
            Just(LineKind::Allocated),
            Just(LineKind::Direct),
            Just(LineKind::Correction),
        ],
        0usize..3,
        prop_oneof![Just(None), Just(Some("Socialförvaltningen".to_string()))],
        0i64..5_000,
        1i64..13,
        -10_000_000i64..100_000_000,
    )
        .prop_map(|(kind, s, unit, num, den, price)| {
            let quantity = Ratio::new(num, den).unwrap();
            let r = Money::from_ore(price).mul_rounded(quantity).unwrap();
            BillLine {
                kind,
                service: ["konto", "dator", "bas"][s].into(),
                name: ["Användarkonto", "Hanterad dator", "Gemensam bas"][s].into(),
                unit,
                quantity,
                measured: None,
                unit_price: Money::from_ore(price),
                amount: r.amount,
                rounding_adjustment: r.adjustment,
                price_list_version: None,
                key_version: None,
                driver_snapshots: vec![],
                reference: None,
                unit_split: vec![],
            }
        });
    prop::collection::vec(line, 0..10)
}

// ---------------------------------------------------------------------------
// The bill run against a straightforward reference (issue #20): the
// computation looks its inputs up in maps built once; the reference below
// scans the inputs for every line and member, as the rules read. On small
// random catalogues both must give the same bills to the öre, or both
// refuse the input.

mod reference {
    use std::collections::{BTreeMap, BTreeSet};

    use samverkan_costmodel::domain::allocation::{self, Allocated, Component, Node};
    use samverkan_costmodel::domain::bill::{
        Basis, Bill, BillLine, ChargeType, LineKind, PeriodInput, UnitPart,
    };
    use samverkan_costmodel::domain::{CostError, Money, Ratio};

    fn months_of(input: &PeriodInput, member: &str) -> u32 {
        input
            .partial_months
            .get(member)
            .copied()
            .unwrap_or(input.period.month_count())
    }

    /// A member's value of a driver and the snapshots it came from.
    fn value(input: &PeriodInput, member: &str, driver: &str) -> Option<(u64, BTreeSet<String>)> {
        let of = |unit_level: bool| -> Vec<_> {
            input
                .drivers
                .iter()
                .filter(|d| d.member == member && d.driver == driver)
                .filter(|d| d.unit.is_some() == unit_level)
                .collect()
        };
        let whole = of(false);
        let values = if whole.is_empty() { of(true) } else { whole };
        if values.is_empty() {
            return None;
        }
        Some((
            values.iter().map(|d| d.value).sum(),
            values.iter().map(|d| d.snapshot.clone()).collect(),
        ))
    }

    /// One allocated service's split over all members.
    struct Split {
        code: String,
        name: String,
        pool: Money,
        key: String,
        total: u128,
        snapshots: BTreeSet<String>,
        unit_snapshots: BTreeMap<String, BTreeSet<String>>,
        parts: Vec<Allocated<String>>,
    }

    fn splits(input: &PeriodInput) -> Result<Vec<Split>, CostError> {
        let mut out = Vec::new();
        for s in input
            .services
            .iter()
            .filter(|s| s.charge == ChargeType::Allocated)
        {
            let Some(&yearly) = input.price_list.prices.get(&s.code) else {
                continue;
            };
            let pool = input.period.share_of_year(yearly)?;
            let key = input.keys.get(&s.code).expect("generated with a key");
            let mut snapshots = BTreeSet::new();
            let mut components = Vec::new();
            for c in &key.components {
                let mut values = Vec::new();
                for m in &input.members {
                    let v = match &c.basis {
                        Basis::Equal => 1,
                        Basis::Driver(d) => {
                            let (v, snaps) = value(input, m, d).expect("generated");
                            snapshots.extend(snaps);
                            v
                        }
                    };
                    // Per member-month when someone was a member for part
                    // of the period only.
                    let v = if input.partial_months.is_empty() {
                        v
                    } else {
                        v * u64::from(input.partial_months.get(m).copied().unwrap_or(12))
                    };
                    values.push((m.clone(), v));
                }
                components.push(Component {
                    fraction: c.fraction,
                    values,
                });
            }
            let weights = allocation::combine(&key.version, &components)?;
            let mut unit_snapshots = BTreeMap::new();
            let nodes: Vec<Node<String>> = weights
                .iter()
                .map(|(m, w)| {
                    let snaps: &mut BTreeSet<String> = unit_snapshots.entry(m.clone()).or_default();
                    let mut children: Vec<Node<String>> = match &key.unit_driver {
                        None => Vec::new(),
                        Some(d) => input
                            .drivers
                            .iter()
                            .filter(|v| &v.member == m && &v.driver == d)
                            .filter_map(|v| {
                                let unit = v.unit.clone()?;
                                snaps.insert(v.snapshot.clone());
                                Some(Node {
                                    key: unit,
                                    weight: v.value,
                                    children: Vec::new(),
                                })
                            })
                            .collect(),
                    };
                    children.sort_by(|a, b| a.key.cmp(&b.key));
                    Node {
                        key: m.clone(),
                        weight: *w,
                        children,
                    }
                })
                .collect();
            out.push(Split {
                code: s.code.clone(),
                name: s.name.clone(),
                pool,
                key: key.version.clone(),
                total: weights.iter().map(|(_, w)| u128::from(*w)).sum(),
                snapshots,
                unit_snapshots,
                parts: allocation::allocate_tree(pool, &nodes)?,
            });
        }
        Ok(out)
    }

    fn line(kind: LineKind, code: &str, name: &str, version: &str) -> BillLine {
        BillLine {
            kind,
            service: code.into(),
            name: name.into(),
            unit: None,
            quantity: Ratio::ZERO,
            measured: None,
            unit_price: Money::ZERO,
            amount: Money::ZERO,
            rounding_adjustment: Ratio::ZERO,
            price_list_version: Some(version.into()),
            key_version: None,
            driver_snapshots: Vec::new(),
            reference: None,
            unit_split: Vec::new(),
        }
    }

    /// Each member's bill, member by member, from scans of the input.
    pub fn bills(input: &PeriodInput) -> Result<Vec<Bill>, CostError> {
        let splits = splits(input)?;
        let version = &input.price_list.version;
        let service = |code: &str| input.services.iter().find(|s| s.code == code).unwrap();
        let price = |code: &str| input.price_list.prices[code];
        let mut out = Vec::new();
        for m in &input.members {
            let mut lines = Vec::new();
            for v in input.volumes.iter().filter(|v| &v.member == m) {
                let s = service(&v.service);
                let quantity = v
                    .quantity
                    .checked_mul(Ratio::new(i64::from(months_of(input, m)), 12)?)
                    .unwrap();
                let r = price(&s.code).mul_rounded(quantity)?;
                lines.push(BillLine {
                    unit: v.unit.clone(),
                    quantity,
                    unit_price: price(&s.code),
                    amount: r.amount,
                    rounding_adjustment: r.adjustment,
                    ..line(LineKind::PerUnit, &s.code, &s.name, version)
                });
            }
            for c in input.direct_charges.iter().filter(|c| &c.member == m) {
                let s = service(&c.service);
                let ChargeType::Direct { increment } = s.charge else {
                    unreachable!("generated for a direct service")
                };
                let started = c.measured.checked_div(increment).unwrap().ceil();
                let billed = Ratio::integer(started as i64)
                    .checked_mul(increment)
                    .unwrap();
                let r = price(&s.code).mul_rounded(billed)?;
                lines.push(BillLine {
                    unit: c.unit.clone(),
                    quantity: billed,
                    measured: Some(c.measured),
                    unit_price: price(&s.code),
                    amount: r.amount,
                    rounding_adjustment: r.adjustment,
                    reference: Some(c.reference.clone()),
                    ..line(LineKind::Direct, &s.code, &s.name, version)
                });
            }
            for s in &splits {
                let Some(a) = s.parts.iter().find(|a| &a.part.key == m) else {
                    continue;
                };
                let mut snaps = s.snapshots.clone();
                snaps.extend(s.unit_snapshots.get(m).cloned().unwrap_or_default());
                lines.push(BillLine {
                    quantity: Ratio::new_i128(
                        i128::from(a.part.weight),
                        i128::try_from(s.total).unwrap(),
                    )?,
                    unit_price: s.pool,
                    amount: a.part.amount,
                    rounding_adjustment: a.part.adjustment,
                    key_version: Some(s.key.clone()),
                    driver_snapshots: snaps.into_iter().collect(),
                    unit_split: a
                        .children
                        .iter()
                        .map(|c| UnitPart {
                            unit: c.part.key.clone(),
                            weight: c.part.weight,
                            amount: c.part.amount,
                            adjustment: c.part.adjustment,
                        })
                        .collect(),
                    ..line(LineKind::Allocated, &s.code, &s.name, version)
                });
            }
            out.push(Bill::new(m.clone(), input.period, lines)?);
        }
        Ok(out)
    }
}

/// A small catalogue of a year or a month, built from random numbers: 1–4
/// members (one of them, in a year, a member for part of it), 1–6
/// services of every charge type, keys split equally, by a driver or
/// both, with or without a unit split, driver values at member or unit
/// level, fractional volumes and measured quantities.
fn small_catalogue() -> impl Strategy<Value = PeriodInput> {
    (
        1usize..5,
        1usize..7,
        0u32..13,
        any::<bool>(),
        prop::collection::vec(0u64..5_000, 97),
    )
        .prop_map(|(members, services, month, partial, numbers)| {
            let mut numbers = numbers.into_iter().cycle();
            let mut next = move |n: u64| numbers.next().unwrap() % n;
            let members: Vec<String> = (0..members).map(|m| format!("kommun-{m}")).collect();
            let unit = |u: u64| format!("förvaltning-{u}");
            let mut input = PeriodInput {
                period: match month {
                    0 => Period::Year(2026),
                    m => Period::Month(2026, m),
                },
                members: members.clone(),
                partial_months: BTreeMap::new(),
                services: Vec::new(),
                price_list: PriceList {
                    version: "prislista".into(),
                    prices: BTreeMap::new(),
                },
                keys: BTreeMap::new(),
                drivers: Vec::new(),
                volumes: Vec::new(),
                direct_charges: Vec::new(),
            };
            if month == 0 && partial && members.len() > 1 {
                input
                    .partial_months
                    .insert(members[0].clone(), 1 + next(11) as u32);
            }
            for s in 0..services {
                let code = format!("tjänst-{s}");
                let charge = match next(3) {
                    0 => ChargeType::PerUnit,
                    1 => ChargeType::Allocated,
                    _ => ChargeType::Direct {
                        increment: Ratio::new(1 + next(4) as i64, 2).unwrap(),
                    },
                };
                // An allocated service without an amount is not charged.
                if charge != ChargeType::Allocated || next(5) > 0 {
                    let price = Money::from_ore(next(5_000) as i64 * 100 + next(100) as i64);
                    input.price_list.prices.insert(code.clone(), price);
                }
                if charge == ChargeType::Allocated {
                    let driver = || Basis::Driver("invanare".into());
                    let components = match next(3) {
                        0 => vec![(Ratio::ONE, Basis::Equal)],
                        1 => vec![(Ratio::ONE, driver())],
                        _ => vec![
                            (Ratio::new(1, 3).unwrap(), Basis::Equal),
                            (Ratio::new(2, 3).unwrap(), driver()),
                        ],
                    };
                    input.keys.insert(
                        code.clone(),
                        AllocationKey {
                            version: format!("nyckel-{s}"),
                            components: components
                                .into_iter()
                                .map(|(fraction, basis)| KeyComponent { fraction, basis })
                                .collect(),
                            unit_driver: (next(2) == 0).then(|| "konton".to_string()),
                        },
                    );
                }
                input.services.push(Service {
                    name: format!("Tjänst {s} – åtgärd"),
                    unit_of_measure: "st".into(),
                    code,
                    charge,
                });
            }
            for m in &members {
                // Population at member level, or only per unit.
                let per_unit = next(2) == 0;
                for u in 0..if per_unit { 1 + next(3) } else { 1 } {
                    input.drivers.push(DriverValue {
                        snapshot: format!("befolkning-{}", next(2)),
                        member: m.clone(),
                        unit: per_unit.then(|| unit(u)),
                        driver: "invanare".into(),
                        value: 1 + next(100_000),
                    });
                }
                // Accounts per unit, in the order a snapshot happened to
                // list them.
                let units = next(4);
                let reversed = next(2) == 0;
                for u in 0..units {
                    let u = if reversed { units - 1 - u } else { u };
                    input.drivers.push(DriverValue {
                        snapshot: "konton".into(),
                        member: m.clone(),
                        unit: Some(unit(u)),
                        driver: "konton".into(),
                        value: next(50),
                    });
                }
                for s in input.services.clone() {
                    for i in 0..next(3) {
                        let on = match next(3) {
                            0 => None,
                            u => Some(unit(u)),
                        };
                        match s.charge {
                            ChargeType::PerUnit => input.volumes.push(Volume {
                                member: m.clone(),
                                unit: on,
                                service: s.code.clone(),
                                quantity: Ratio::new(next(5_000) as i64, 1 + next(12) as i64)
                                    .unwrap(),
                            }),
                            ChargeType::Direct { .. } => input.direct_charges.push(DirectCharge {
                                reference: format!("ärende-{m}-{}-{i}", s.code),
                                member: m.clone(),
                                unit: on,
                                service: s.code.clone(),
                                measured: Ratio::new(next(600) as i64, 60).unwrap(),
                            }),
                            ChargeType::Allocated => {}
                        }
                    }
                }
            }
            input
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The bills computed with lookups are the reference's, to the öre,
    /// line by line — or both refuse the catalogue.
    #[test]
    fn bills_by_lookup_are_the_references(input in small_catalogue()) {
        let computed = compute_bills(&input);
        let expected = reference::bills(&input);
        prop_assert_eq!(computed, expected);
    }
}
