//! The bill: what each member municipality pays for a period, line by line.
//!
//! Three kinds of line come from the inputs of a period:
//! - **per unit**: a volume × the unit price (2 410 accounts × 1 850 kr),
//!   rounded once per line;
//! - **allocated**: a cost pool split over the members by the service's
//!   allocation key (one largest-remainder split for all members, so the
//!   members' lines sum exactly to the pool), and then each member's part
//!   split again over its units by the key's unit driver (top-down);
//! - **direct**: a charge to the unit that caused it, the measured quantity
//!   rounded UP to the service's billing increment ("per started hour":
//!   3 h 05 min → 4 h), then × the price, rounded once.
//!
//! **Periods.** A period is a year or one month of it ([`Period`]); prices
//! and pools are yearly amounts. A month's bill applies the year's price
//! list to that one month: a volume counts × 1/12 (the month's own volume
//! if one is recorded, else the year's — [`volumes_for_period`]), and the
//! month's pool is its part of a largest-remainder split of the yearly pool
//! over the twelve months ([`Period::share_of_year`]), so that the twelve
//! months' pools sum exactly to the yearly pool. Direct charges are billed
//! in the period they are recorded for.
//!
//! A fourth kind, **correction**, comes from year-end reconciliation
//! ([`super::reconcile`]) and is added as new lines; billed lines are never
//! edited.
//!
//! Every line carries what it was computed from (quantity, unit price,
//! price-list version, key version, driver snapshots) and its rounding
//! adjustment, so that a finance officer can recompute it by hand and the
//! store can reproduce it exactly.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::allocation::{self, Component, Node};
use super::period::{MONTHS, Period};
use super::price::PriceList;
use super::{CostError, Money, Ratio};

/// How a service is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeType {
    /// Quantity × unit price.
    PerUnit,
    /// A cost pool (the price-list amount) split by an allocation key.
    Allocated,
    /// Billed to the unit that caused it; the measured quantity is rounded
    /// up to a multiple of `increment` (1 = per started hour).
    Direct { increment: Ratio },
}

/// A service of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub code: String,
    /// Swedish name shown on the bill, e.g. "Användarkonto".
    pub name: String,
    /// Unit of measure, e.g. "konto/år", "timme".
    pub unit_of_measure: String,
    pub charge: ChargeType,
}

/// What a component of a key splits by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// The same weight for every member.
    Equal,
    /// A driver's values, e.g. "invanare" (population), "konton".
    Driver(String),
}

/// One component of a mixed key: `fraction` of the pool split by `basis`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyComponent {
    pub fraction: Ratio,
    pub basis: Basis,
}

/// A version of an allocation key (fördelningsnyckel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationKey {
    /// The key version's identifier, copied onto lines.
    pub version: String,
    pub components: Vec<KeyComponent>,
    /// The driver that splits a member's part over its units (e.g.
    /// "konton"); `None` keeps the part at member level.
    pub unit_driver: Option<String>,
}

/// One measured driver value of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverValue {
    /// The snapshot's identifier (value, date measured and source live
    /// with it in the store), copied onto lines that used it.
    pub snapshot: String,
    pub member: String,
    /// `None` for the member as a whole, else a unit (förvaltning).
    pub unit: Option<String>,
    pub driver: String,
    pub value: u64,
}

/// A volume of a per-unit service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub member: String,
    pub unit: Option<String>,
    pub service: String,
    pub quantity: Ratio,
}

/// A direct charge, e.g. one on-call case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectCharge {
    /// The case's reference (ticket number), shown on the line.
    pub reference: String,
    pub member: String,
    pub unit: Option<String>,
    pub service: String,
    /// The measured quantity before rounding up, e.g. 37/12 hours.
    pub measured: Ratio,
}

/// Everything one period's bills are computed from. Stored as-is, it lets
/// a past period be recomputed to the öre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodInput {
    /// A year, or a month of it.
    pub period: Period,
    /// Member municipalities' codes: those that were members during the
    /// period ([`super::membership`]).
    pub members: Vec<String>,
    /// Members billed for fewer than the period's months (they joined or
    /// left during a year), with their billed months; everyone else pays
    /// for the whole period. Always empty for a month. Their volumes count pro rata and their key
    /// weights count per member-month.
    pub partial_months: BTreeMap<String, u32>,
    pub services: Vec<Service>,
    pub price_list: PriceList,
    /// The key of each allocated service, by service code.
    pub keys: BTreeMap<String, AllocationKey>,
    pub drivers: Vec<DriverValue>,
    pub volumes: Vec<Volume>,
    pub direct_charges: Vec<DirectCharge>,
}

/// The kind of a line; the order is the order lines appear on a bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineKind {
    PerUnit,
    Allocated,
    Direct,
    Correction,
}

/// A unit's part of an allocated line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitPart {
    pub unit: String,
    pub weight: u64,
    pub amount: Money,
    /// `amount − exact share`, in öre.
    pub adjustment: Ratio,
}

/// One line of a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    pub kind: LineKind,
    pub service: String,
    pub name: String,
    pub unit: Option<String>,
    /// Per unit: the volume. Direct: the billed quantity (rounded up).
    /// Allocated and correction: the member's share of the amount split
    /// (weight / total weight).
    pub quantity: Ratio,
    /// Direct only: the measured quantity before rounding up.
    pub measured: Option<Ratio>,
    /// Per unit and direct: the unit price. Allocated: the cost pool.
    /// Correction: the difference being split.
    pub unit_price: Money,
    /// `quantity × unit_price`, rounded once (per unit, direct), or the
    /// member's largest-remainder part (allocated, correction).
    pub amount: Money,
    /// `amount − quantity × unit_price` exactly, in öre.
    pub rounding_adjustment: Ratio,
    pub price_list_version: Option<String>,
    pub key_version: Option<String>,
    /// The driver snapshots the line was computed from, sorted.
    pub driver_snapshots: Vec<String>,
    /// Direct charges: the case reference.
    pub reference: Option<String>,
    /// Allocated lines: the second-level split over the member's units.
    /// Sums to `amount` when not empty.
    pub unit_split: Vec<UnitPart>,
}

/// One member's bill for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    pub member: String,
    pub period: Period,
    pub lines: Vec<BillLine>,
    pub total: Money,
}

impl Bill {
    /// A bill from its lines, sorted into bill order, with the total.
    pub fn new(
        member: impl Into<String>,
        period: Period,
        mut lines: Vec<BillLine>,
    ) -> Result<Bill, CostError> {
        lines.sort_by(|a, b| {
            (a.kind, &a.service, &a.unit, &a.reference).cmp(&(
                b.kind,
                &b.service,
                &b.unit,
                &b.reference,
            ))
        });
        let total =
            Money::checked_sum(lines.iter().map(|l| l.amount)).ok_or(CostError::Overflow)?;
        Ok(Bill {
            member: member.into(),
            period,
            lines,
            total,
        })
    }

    /// The bill per unit: per-unit and direct lines by their unit, allocated
    /// lines by their unit split. `None` collects what belongs to the
    /// member as a whole. Sums to the bill's total.
    pub fn unit_totals(&self) -> Result<BTreeMap<Option<String>, Money>, CostError> {
        let mut out: BTreeMap<Option<String>, Money> = BTreeMap::new();
        let mut add = |unit: Option<String>, m: Money| -> Result<(), CostError> {
            let e = out.entry(unit).or_insert(Money::ZERO);
            *e = e.checked_add(m).ok_or(CostError::Overflow)?;
            Ok(())
        };
        for l in &self.lines {
            if l.unit_split.is_empty() {
                add(l.unit.clone(), l.amount)?;
            } else {
                for p in &l.unit_split {
                    add(Some(p.unit.clone()), p.amount)?;
                }
            }
        }
        Ok(out)
    }
}

/// A key evaluated over a period's members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyWeights {
    /// One integer weight per member, sorted by member.
    pub weights: Vec<(String, u64)>,
    /// The driver snapshots the weights were computed from.
    pub snapshots: BTreeSet<String>,
}

/// The integer weights of an allocated service's key over the period's
/// members, with the snapshots they came from. Public so that
/// reconciliation splits by exactly the key billing used.
pub fn key_weights(input: &PeriodInput, key: &AllocationKey) -> Result<KeyWeights, CostError> {
    weights_of(input, &Index::new(input), key)
}

/// What a period's bills look up, found once per computation instead of
/// by a scan of the input per line: the members, the services by code,
/// and the driver values by member and driver (in input order). A bill
/// run for hundreds of members and services spent most of its time in
/// those scans.
struct Index<'a> {
    /// Each member's position in `input.members`.
    members: HashMap<&'a str, usize>,
    /// Each service with its price in the period's price list.
    services: HashMap<&'a str, (&'a Service, Option<Money>)>,
    drivers: HashMap<&'a str, HashMap<&'a str, Vec<&'a DriverValue>>>,
}

impl<'a> Index<'a> {
    fn new(input: &'a PeriodInput) -> Self {
        let mut drivers: HashMap<&str, HashMap<&str, Vec<&DriverValue>>> = HashMap::new();
        for d in &input.drivers {
            drivers
                .entry(d.member.as_str())
                .or_default()
                .entry(d.driver.as_str())
                .or_default()
                .push(d);
        }
        Index {
            members: input
                .members
                .iter()
                .enumerate()
                .map(|(i, m)| (m.as_str(), i))
                .collect(),
            // The first service of a code, as a scan would find it.
            services: input
                .services
                .iter()
                .rev()
                .map(|s| {
                    let price = input.price_list.prices.get(&s.code).copied();
                    (s.code.as_str(), (s, price))
                })
                .collect(),
            drivers,
        }
    }

    /// A member's values of a driver, member-level and per unit.
    fn driver_values(&self, member: &str, driver: &str) -> &[&'a DriverValue] {
        self.drivers
            .get(member)
            .and_then(|of| of.get(driver))
            .map_or(&[], Vec::as_slice)
    }

    fn service(&self, code: &str) -> Result<&'a Service, CostError> {
        self.services
            .get(code)
            .map(|(s, _)| *s)
            .ok_or_else(|| CostError::UnknownService {
                service: code.to_owned(),
            })
    }

    /// The price of a service the period's price list prices.
    fn price(&self, code: &str) -> Result<Money, CostError> {
        self.services
            .get(code)
            .and_then(|(_, p)| *p)
            .ok_or_else(|| CostError::MissingPrice {
                service: code.to_owned(),
            })
    }

    /// The member's position in `input.members`; an error for anyone who
    /// was not a member during the period.
    fn member(&self, input: &PeriodInput, member: &str) -> Result<usize, CostError> {
        self.members.get(member).copied().ok_or_else(|| {
            CostError::Inconsistent(format!(
                "{member} is not a member in period {}",
                input.period
            ))
        })
    }
}

fn weights_of(
    input: &PeriodInput,
    index: &Index,
    key: &AllocationKey,
) -> Result<KeyWeights, CostError> {
    let mut snapshots = BTreeSet::new();
    let mut components = Vec::with_capacity(key.components.len());
    for c in &key.components {
        let values = input
            .members
            .iter()
            .map(|m| {
                let v = match &c.basis {
                    Basis::Equal => 1,
                    Basis::Driver(d) => member_driver(index, m, d, &mut snapshots)?,
                };
                Ok((m.clone(), member_months(input, m, v)?))
            })
            .collect::<Result<Vec<_>, CostError>>()?;
        components.push(Component {
            fraction: c.fraction,
            values,
        });
    }
    Ok(KeyWeights {
        weights: allocation::combine(&key.version, &components)?,
        snapshots,
    })
}

/// A key value counted per member-month when some member was a member
/// for only part of the period: a member of 6 months weighs half of what
/// the same value weighs for a whole year. With every member there for the
/// whole period the value stands as it is (the same split, unscaled).
fn member_months(input: &PeriodInput, member: &str, value: u64) -> Result<u64, CostError> {
    if input.partial_months.is_empty() {
        return Ok(value);
    }
    let months = input.partial_months.get(member).copied().unwrap_or(MONTHS);
    value
        .checked_mul(u64::from(months))
        .ok_or(CostError::Overflow)
}

/// A volume counted for the member's billed months: yearly prices are
/// paid for the months of membership in the period only (a month's bill:
/// 1/12 of the yearly price per unit).
fn billed_volume(input: &PeriodInput, member: &str, quantity: Ratio) -> Result<Ratio, CostError> {
    let months = input
        .partial_months
        .get(member)
        .copied()
        .unwrap_or(input.period.month_count());
    if months == MONTHS {
        return Ok(quantity);
    }
    quantity
        .checked_mul(Ratio::new_i128(i128::from(months), i128::from(MONTHS))?)
        .ok_or(CostError::Overflow)
}

/// The volumes a period bills: a year's bill its yearly volumes; a month's
/// bill the month's own volume of a member, unit and service where one is
/// recorded, else the year's. Sorted by member, unit and service.
pub fn volumes_for_period(period: Period, yearly: &[Volume], monthly: &[Volume]) -> Vec<Volume> {
    let key = |v: &Volume| (v.member.clone(), v.unit.clone(), v.service.clone());
    let mut out: BTreeMap<_, Volume> = BTreeMap::new();
    if period.month().is_none() {
        return yearly.to_vec();
    }
    for v in yearly.iter().chain(monthly) {
        out.insert(key(v), v.clone());
    }
    out.into_values().collect()
}

/// The direct charges a period bills: those recorded for it, and in
/// December's bill also those recorded for the whole year (a year billed
/// per month bills its yearly charges with its last month, so none is left
/// unbilled).
pub fn charges_for_period(
    period: Period,
    own: &[DirectCharge],
    yearly: &[DirectCharge],
) -> Vec<DirectCharge> {
    let mut out = own.to_vec();
    if period.month() == Some(MONTHS) {
        out.extend_from_slice(yearly);
    }
    out
}

/// A member's value of a driver: its member-level value, or failing that
/// the sum of its units' values (a snapshot often holds only per-unit
/// counts). Two member-level values for one driver are an error: which one
/// to bill by would be a guess.
fn member_driver(
    index: &Index,
    member: &str,
    driver: &str,
    snapshots: &mut BTreeSet<String>,
) -> Result<u64, CostError> {
    let values = index.driver_values(member, driver);
    let of_member = |unit_level: bool| {
        values
            .iter()
            .copied()
            .filter(move |d| d.unit.is_some() == unit_level)
    };
    let whole: Vec<&DriverValue> = of_member(false).collect();
    match whole.as_slice() {
        [d] => {
            snapshots.insert(d.snapshot.clone());
            Ok(d.value)
        }
        [] => {
            let units: Vec<&DriverValue> = of_member(true).collect();
            if units.is_empty() {
                return Err(CostError::MissingDriverValue {
                    member: member.to_owned(),
                    unit: None,
                    driver: driver.to_owned(),
                });
            }
            let mut sum: u64 = 0;
            for d in units {
                snapshots.insert(d.snapshot.clone());
                sum = sum.checked_add(d.value).ok_or(CostError::Overflow)?;
            }
            Ok(sum)
        }
        _ => Err(CostError::Inconsistent(format!(
            "driver {driver} has several values for {member}"
        ))),
    }
}

/// The member's units' values of the unit driver, as tree children, in
/// unit order (so that the split's presentation, like its amounts, does not
/// depend on the order the snapshot was loaded in).
fn unit_nodes(
    index: &Index,
    member: &str,
    driver: &str,
    snapshots: &mut BTreeSet<String>,
) -> Vec<Node<String>> {
    let mut nodes: Vec<Node<String>> = index
        .driver_values(member, driver)
        .iter()
        .filter_map(|d| {
            let unit = d.unit.clone()?;
            snapshots.insert(d.snapshot.clone());
            Some(Node {
                key: unit,
                weight: d.value,
                children: Vec::new(),
            })
        })
        .collect();
    nodes.sort_by(|a, b| a.key.cmp(&b.key));
    nodes
}

/// The bills of all members for the period, in `input.members` order.
///
/// All members are computed together because an allocated pool is split
/// once over all of them: that is what makes their lines sum to the pool.
pub fn compute_bills(input: &PeriodInput) -> Result<Vec<Bill>, CostError> {
    let mut seen = BTreeSet::new();
    if let Some(dup) = input.members.iter().find(|m| !seen.insert(*m)) {
        return Err(CostError::DuplicateKey(dup.clone()));
    }
    let index = Index::new(input);
    for (m, months) in &input.partial_months {
        index.member(input, m)?;
        if *months == 0 || *months >= input.period.month_count() {
            return Err(CostError::Inconsistent(format!(
                "{m} is billed for {months} months of period {}",
                input.period
            )));
        }
    }
    // Each member's lines, by the member's position.
    let mut lines: Vec<Vec<BillLine>> = vec![Vec::new(); input.members.len()];
    let version = Some(input.price_list.version.clone());

    for v in &input.volumes {
        let member = index.member(input, &v.member)?;
        let s = index.service(&v.service)?;
        if s.charge != ChargeType::PerUnit {
            return Err(CostError::Inconsistent(format!(
                "a volume for {}, which is not charged per unit",
                s.code
            )));
        }
        let p = index.price(&s.code)?;
        let quantity = billed_volume(input, &v.member, v.quantity)?;
        let r = p.mul_rounded(quantity)?;
        lines[member].push(BillLine {
            kind: LineKind::PerUnit,
            service: s.code.clone(),
            name: s.name.clone(),
            unit: v.unit.clone(),
            quantity,
            measured: None,
            unit_price: p,
            amount: r.amount,
            rounding_adjustment: r.adjustment,
            price_list_version: version.clone(),
            key_version: None,
            driver_snapshots: Vec::new(),
            reference: None,
            unit_split: Vec::new(),
        });
    }

    for c in &input.direct_charges {
        let member = index.member(input, &c.member)?;
        let s = index.service(&c.service)?;
        let ChargeType::Direct { increment } = s.charge else {
            return Err(CostError::Inconsistent(format!(
                "a direct charge for {}, which is not charged directly",
                s.code
            )));
        };
        if increment.is_negative() || increment.is_zero() || c.measured.is_negative() {
            return Err(CostError::Inconsistent(format!(
                "direct charge {}: quantities must not be negative",
                c.reference
            )));
        }
        // Started increments: ⌈measured / increment⌉ × increment.
        let started = c
            .measured
            .checked_div(increment)
            .ok_or(CostError::Overflow)?
            .ceil();
        let started = i64::try_from(started).map_err(|_| CostError::Overflow)?;
        let billed = Ratio::integer(started)
            .checked_mul(increment)
            .ok_or(CostError::Overflow)?;
        let p = index.price(&s.code)?;
        let r = p.mul_rounded(billed)?;
        lines[member].push(BillLine {
            kind: LineKind::Direct,
            service: s.code.clone(),
            name: s.name.clone(),
            unit: c.unit.clone(),
            quantity: billed,
            measured: Some(c.measured),
            unit_price: p,
            amount: r.amount,
            rounding_adjustment: r.adjustment,
            price_list_version: version.clone(),
            key_version: None,
            driver_snapshots: Vec::new(),
            reference: Some(c.reference.clone()),
            unit_split: Vec::new(),
        });
    }

    // Allocated services: every allocated service with an amount in the
    // price list is split; one without an amount is not charged this period.
    for s in &input.services {
        if s.charge != ChargeType::Allocated {
            continue;
        }
        let Some(&yearly_pool) = input.price_list.prices.get(&s.code) else {
            continue;
        };
        let pool = input.period.share_of_year(yearly_pool)?;
        let key = input
            .keys
            .get(&s.code)
            .ok_or_else(|| CostError::MissingKey {
                service: s.code.clone(),
            })?;
        let KeyWeights {
            weights,
            snapshots: key_snapshots,
        } = weights_of(input, &index, key)?;
        let total_weight: u128 = weights.iter().map(|(_, w)| u128::from(*w)).sum();
        let total_weight = i128::try_from(total_weight).map_err(|_| CostError::Overflow)?;
        // Members (top level) with their units (children) split top-down.
        let mut unit_snapshots: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let nodes: Vec<Node<String>> = weights
            .iter()
            .map(|(m, w)| {
                let snaps = unit_snapshots.entry(m.clone()).or_default();
                let children = match &key.unit_driver {
                    Some(d) => unit_nodes(&index, m, d, snaps),
                    None => Vec::new(),
                };
                Node {
                    key: m.clone(),
                    weight: *w,
                    children,
                }
            })
            .collect();
        for a in allocation::allocate_tree(pool, &nodes)? {
            let member = a.part.key;
            let mut snaps = key_snapshots.clone();
            snaps.extend(unit_snapshots.remove(&member).unwrap_or_default());
            let line = BillLine {
                kind: LineKind::Allocated,
                service: s.code.clone(),
                name: s.name.clone(),
                unit: None,
                quantity: Ratio::new_i128(i128::from(a.part.weight), total_weight)?,
                measured: None,
                unit_price: pool,
                amount: a.part.amount,
                rounding_adjustment: a.part.adjustment,
                price_list_version: version.clone(),
                key_version: Some(key.version.clone()),
                driver_snapshots: snaps.into_iter().collect(),
                reference: None,
                unit_split: a
                    .children
                    .into_iter()
                    .map(|c| UnitPart {
                        unit: c.part.key,
                        weight: c.part.weight,
                        amount: c.part.amount,
                        adjustment: c.part.adjustment,
                    })
                    .collect(),
            };
            lines[index.member(input, &member)?].push(line);
        }
    }

    input
        .members
        .iter()
        .zip(lines)
        .map(|(m, lines)| Bill::new(m.clone(), input.period, lines))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kr(k: i64) -> Money {
        Money::from_kr_ore(k, 0).unwrap()
    }

    fn input() -> PeriodInput {
        PeriodInput {
            period: Period::Year(2025),
            members: vec!["a".into(), "b".into()],
            services: vec![
                Service {
                    code: "bas".into(),
                    name: "Bas".into(),
                    unit_of_measure: "år".into(),
                    charge: ChargeType::Allocated,
                },
                Service {
                    code: "jour".into(),
                    name: "IT-beredskap".into(),
                    unit_of_measure: "påbörjad timme".into(),
                    charge: ChargeType::Direct {
                        increment: Ratio::ONE,
                    },
                },
            ],
            price_list: PriceList {
                version: "pl".into(),
                prices: [
                    ("bas".to_string(), Money::from_ore(100)),
                    ("jour".to_string(), kr(700)),
                ]
                .into(),
            },
            keys: [(
                "bas".to_string(),
                AllocationKey {
                    version: "k1".into(),
                    components: vec![KeyComponent {
                        fraction: Ratio::ONE,
                        basis: Basis::Equal,
                    }],
                    unit_driver: None,
                },
            )]
            .into(),
            drivers: vec![],
            volumes: vec![],
            direct_charges: vec![],
            partial_months: BTreeMap::new(),
        }
    }

    #[test]
    fn direct_charges_are_billed_per_started_increment() {
        let mut i = input();
        for (r, h, m) in [("j1", 0, 0), ("j2", 0, 1), ("j3", 2, 0)] {
            i.direct_charges.push(DirectCharge {
                reference: r.into(),
                member: "a".into(),
                unit: None,
                service: "jour".into(),
                measured: Ratio::hours_minutes(h, m).unwrap(),
            });
        }
        let bills = compute_bills(&i).unwrap();
        let direct: Vec<i64> = bills[0]
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Direct)
            .map(|l| l.amount.ore())
            .collect();
        assert_eq!(direct, vec![0, 70_000, 140_000]);
    }

    #[test]
    fn a_pool_split_equally_sums_to_the_pool() {
        let bills = compute_bills(&input()).unwrap();
        assert_eq!(bills[0].total.ore() + bills[1].total.ore(), 100);
        assert_eq!(bills[0].lines[0].quantity, Ratio::new(1, 2).unwrap());
    }

    #[test]
    fn a_member_of_part_of_the_period_pays_for_its_months() {
        let mut i = input();
        i.services.push(Service {
            code: "konto".into(),
            name: "Användarkonto".into(),
            unit_of_measure: "konto/år".into(),
            charge: ChargeType::PerUnit,
        });
        i.price_list.prices.insert("konto".into(), kr(1_200));
        i.price_list.prices.insert("bas".into(), kr(900));
        for m in ["a", "b"] {
            i.volumes.push(Volume {
                member: m.into(),
                unit: None,
                service: "konto".into(),
                quantity: Ratio::integer(10),
            });
        }
        // b left on 30 June: 6 of 12 months.
        i.partial_months.insert("b".into(), 6);
        let bills = compute_bills(&i).unwrap();
        let amount = |b: &Bill, kind: LineKind| -> i64 {
            b.lines
                .iter()
                .find(|l| l.kind == kind)
                .unwrap()
                .amount
                .ore()
        };
        // Volumes: 10 accounts × 1 200 kr for a, half a year of them for b.
        assert_eq!(amount(&bills[0], LineKind::PerUnit), 1_200_000);
        assert_eq!(amount(&bills[1], LineKind::PerUnit), 600_000);
        assert_eq!(
            bills[1].lines[0].quantity,
            Ratio::integer(5),
            "the line shows the billed quantity"
        );
        // Equal split by member-month: 12 to 6, so a pays two thirds.
        assert_eq!(amount(&bills[0], LineKind::Allocated), 60_000);
        assert_eq!(amount(&bills[1], LineKind::Allocated), 30_000);
        // With both there all year, the split is the plain one.
        i.partial_months.clear();
        let bills = compute_bills(&i).unwrap();
        assert_eq!(amount(&bills[1], LineKind::Allocated), 45_000);
        // Months outside 1..=11, or of a non-member, are a fault.
        for (m, months) in [("b", 0), ("b", 12), ("x", 3)] {
            let mut i = input();
            i.partial_months.insert(m.into(), months);
            assert!(matches!(compute_bills(&i), Err(CostError::Inconsistent(_))));
        }
    }

    #[test]
    fn a_month_bills_a_twelfth_of_the_year() {
        let mut i = input();
        i.services.push(Service {
            code: "konto".into(),
            name: "Användarkonto".into(),
            unit_of_measure: "konto/år".into(),
            charge: ChargeType::PerUnit,
        });
        i.price_list.prices.insert("konto".into(), kr(1_850));
        // 1 000 öre a year: 84 öre for January to April, 83 after.
        i.price_list
            .prices
            .insert("bas".into(), Money::from_ore(1_000));
        let yearly = Volume {
            member: "a".into(),
            unit: None,
            service: "konto".into(),
            quantity: Ratio::integer(10),
        };
        let of_march = Volume {
            quantity: Ratio::integer(13),
            ..yearly.clone()
        };
        let mut pools = 0;
        for m in 1..=MONTHS {
            let period = Period::Month(2025, m);
            i.period = period;
            i.volumes = volumes_for_period(period, std::slice::from_ref(&yearly), &[]);
            let bills = compute_bills(&i).unwrap();
            let pool: i64 = bills
                .iter()
                .flat_map(|b| &b.lines)
                .filter(|l| l.kind == LineKind::Allocated)
                .map(|l| l.amount.ore())
                .sum();
            assert_eq!(pool, if m <= 4 { 84 } else { 83 });
            pools += pool;
            let konto = &bills[0].lines[0];
            assert_eq!(konto.quantity, Ratio::new(5, 6).unwrap());
            // 10/12 × 1 850 kr = 1 541,666… kr.
            assert_eq!(konto.amount.ore(), 154_167);
            assert_eq!(bills[0].period, period);
        }
        assert_eq!(pools, 1_000, "the twelve months pay the pool in full");
        // A month's own volume replaces the year's in that month only.
        let v = volumes_for_period(
            Period::Month(2025, 3),
            std::slice::from_ref(&yearly),
            &[of_march],
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].quantity, Ratio::integer(13));
        // A month has no partial members.
        i.partial_months.insert("b".into(), 1);
        assert!(matches!(compute_bills(&i), Err(CostError::Inconsistent(_))));
    }

    #[test]
    fn the_years_charges_go_on_december() {
        let c = |r: &str| DirectCharge {
            reference: r.into(),
            member: "a".into(),
            unit: None,
            service: "jour".into(),
            measured: Ratio::ONE,
        };
        let refs = |p| -> Vec<String> {
            charges_for_period(p, &[c("own")], &[c("year")])
                .into_iter()
                .map(|c| c.reference)
                .collect()
        };
        assert_eq!(refs(Period::Month(2025, 11)), vec!["own"]);
        assert_eq!(refs(Period::Month(2025, 12)), vec!["own", "year"]);
    }

    #[test]
    fn inconsistent_inputs_are_refused() {
        let mut i = input();
        i.volumes.push(Volume {
            member: "a".into(),
            unit: None,
            service: "bas".into(),
            quantity: Ratio::ONE,
        });
        assert!(matches!(compute_bills(&i), Err(CostError::Inconsistent(_))));
        let mut i = input();
        i.keys.clear();
        assert!(matches!(
            compute_bills(&i),
            Err(CostError::MissingKey { .. })
        ));
        let mut i = input();
        i.volumes.push(Volume {
            member: "x".into(),
            unit: None,
            service: "bas".into(),
            quantity: Ratio::ONE,
        });
        assert!(matches!(compute_bills(&i), Err(CostError::Inconsistent(_))));
        let mut i = input();
        i.keys.get_mut("bas").unwrap().components[0].basis = Basis::Driver("invanare".into());
        assert!(matches!(
            compute_bills(&i),
            Err(CostError::MissingDriverValue { .. })
        ));
    }
}
