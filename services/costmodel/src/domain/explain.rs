//! Why did our bill change? The change between two bills of one member
//! (two years, or two versions of one year) decomposed into price effect,
//! volume effect, key effect and reconciliation, summing EXACTLY to the
//! change, row by row and in total.
//!
//! Lines are matched by (kind, service, unit); lines of one group (e.g.
//! several on-call cases) are summed: quantity Σq, amount Σa, price p.
//!
//! The decomposition substitutes one factor at a time, in this order, and
//! every intermediate state is a real amount in whole öre (rounded once,
//! half away from zero, like a line):
//!
//! 1. **price effect** = round(q₀ × p₁) − a₀ — the old quantity at the new
//!    price (for an allocated line: the old share of the new pool);
//! 2. **volume effect** (per-unit and direct lines) or **key effect**
//!    (allocated lines) = a₁ − round(q₀ × p₁) — the move from the old to
//!    the new quantity or share at the new price. A share moves when the
//!    key's formula or its drivers (population, accounts) change; both are
//!    reported as key effect, because to the member both are "the key";
//! 3. **reconciliation** = a₁ − a₀ of correction lines (year-end
//!    avräkning), which have no price or volume of their own.
//!
//! Because each effect is a difference of consecutive states, the effects
//! telescope: a₀ + price + volume/key = a₁ exactly, with no remainder to
//! hide. The price is taken first (at the old volume) by convention, the
//! Laspeyres order most finance officers expect; the other order would move
//! the cross term (Δp × Δq) from the volume to the price effect. Each effect
//! is within 1½ öre of its exact rational value (the old allocated amount
//! may differ from q₀ × p₀ by under one öre, the intermediate by ½ öre).
//!
//! A service only in the new bill is all volume (or key) effect; one only in
//! the old bill is priced at its old price, so its removal is all volume
//! (or key) effect too.

use std::collections::BTreeMap;

use super::bill::{Bill, BillLine, LineKind};
use super::period::Period;
use super::{CostError, Money, Ratio};

/// One row of an explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectRow {
    pub kind: LineKind,
    pub service: String,
    pub name: String,
    pub unit: Option<String>,
    pub before: Money,
    pub price: Money,
    pub volume: Money,
    pub key: Money,
    pub reconciliation: Money,
    pub after: Money,
}

impl EffectRow {
    /// `after − before`, which equals the sum of the effects.
    pub fn change(&self) -> Option<Money> {
        self.after.checked_sub(self.before)
    }
}

/// The change of one member's bill, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub member: String,
    pub from_period: Period,
    pub to_period: Period,
    pub rows: Vec<EffectRow>,
    /// Totals over the rows; `before` and `after` are the bills' totals.
    pub totals: EffectRow,
}

impl Explanation {
    pub fn change(&self) -> Option<Money> {
        self.totals.change()
    }
}

#[derive(Default)]
struct Group {
    name: String,
    quantity: Option<Ratio>,
    price: Option<Money>,
    amount: Money,
}

type GroupKey = (LineKind, String, Option<String>);

fn groups(lines: &[BillLine]) -> Result<BTreeMap<GroupKey, Group>, CostError> {
    let mut out: BTreeMap<GroupKey, Group> = BTreeMap::new();
    for l in lines {
        let g = out
            .entry((l.kind, l.service.clone(), l.unit.clone()))
            .or_default();
        g.name.clone_from(&l.name);
        g.quantity = Some(
            g.quantity
                .unwrap_or(Ratio::ZERO)
                .checked_add(l.quantity)
                .ok_or(CostError::Overflow)?,
        );
        // One service has one price per price list, so the lines of a
        // group share it; the first line's is taken.
        g.price.get_or_insert(l.unit_price);
        g.amount = g.amount.checked_add(l.amount).ok_or(CostError::Overflow)?;
    }
    Ok(out)
}

fn sub(a: Money, b: Money) -> Result<Money, CostError> {
    a.checked_sub(b).ok_or(CostError::Overflow)
}

fn add(a: Money, b: Money) -> Result<Money, CostError> {
    a.checked_add(b).ok_or(CostError::Overflow)
}

/// Explains `after − before` for one member. Both bills must be the same
/// member's.
pub fn explain(before: &Bill, after: &Bill) -> Result<Explanation, CostError> {
    if before.member != after.member {
        return Err(CostError::Inconsistent(format!(
            "cannot explain {}'s bill by {}'s",
            after.member, before.member
        )));
    }
    let old = groups(&before.lines)?;
    let new = groups(&after.lines)?;
    let mut keys: Vec<&GroupKey> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();

    let mut rows = Vec::with_capacity(keys.len());
    for k in keys {
        let (o, n) = (old.get(k), new.get(k));
        let a0 = o.map_or(Money::ZERO, |g| g.amount);
        let a1 = n.map_or(Money::ZERO, |g| g.amount);
        let mut row = EffectRow {
            kind: k.0,
            service: k.1.clone(),
            name: n.or(o).map(|g| g.name.clone()).unwrap_or_default(),
            unit: k.2.clone(),
            before: a0,
            price: Money::ZERO,
            volume: Money::ZERO,
            key: Money::ZERO,
            reconciliation: Money::ZERO,
            after: a1,
        };
        if k.0 == LineKind::Correction {
            row.reconciliation = sub(a1, a0)?;
        } else {
            // Step 1: old quantity at the new price (the old price when the
            // service is gone). No old line: nothing to reprice.
            let mid = match o {
                Some(g) => {
                    let p1 = n.and_then(|g| g.price).or(g.price).unwrap_or(Money::ZERO);
                    p1.mul_rounded(g.quantity.unwrap_or(Ratio::ZERO))?.amount
                }
                None => Money::ZERO,
            };
            row.price = sub(mid, a0)?;
            // Step 2: to the new quantity or share.
            let rest = sub(a1, mid)?;
            if k.0 == LineKind::Allocated {
                row.key = rest;
            } else {
                row.volume = rest;
            }
        }
        rows.push(row);
    }

    let mut totals = EffectRow {
        kind: LineKind::PerUnit,
        service: String::new(),
        name: "Summa".into(),
        unit: None,
        before: before.total,
        price: Money::ZERO,
        volume: Money::ZERO,
        key: Money::ZERO,
        reconciliation: Money::ZERO,
        after: after.total,
    };
    for r in &rows {
        totals.price = add(totals.price, r.price)?;
        totals.volume = add(totals.volume, r.volume)?;
        totals.key = add(totals.key, r.key)?;
        totals.reconciliation = add(totals.reconciliation, r.reconciliation)?;
    }
    Ok(Explanation {
        member: after.member.clone(),
        from_period: before.period,
        to_period: after.period,
        rows,
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: LineKind, service: &str, q: Ratio, p: i64) -> BillLine {
        let r = Money::from_ore(p).mul_rounded(q).unwrap();
        BillLine {
            kind,
            service: service.into(),
            name: service.into(),
            unit: None,
            quantity: q,
            measured: None,
            unit_price: Money::from_ore(p),
            amount: r.amount,
            rounding_adjustment: r.adjustment,
            price_list_version: None,
            key_version: None,
            driver_snapshots: vec![],
            reference: None,
            unit_split: vec![],
        }
    }

    #[test]
    fn price_then_volume_then_key() {
        let q = Ratio::integer;
        let before = Bill::new(
            "tranemo",
            Period::Year(2025),
            vec![
                line(LineKind::PerUnit, "konto", q(1190), 185_000),
                line(
                    LineKind::Allocated,
                    "bas",
                    Ratio::new(1, 3).unwrap(),
                    300_000,
                ),
            ],
        )
        .unwrap();
        let after = Bill::new(
            "tranemo",
            Period::Year(2026),
            vec![
                line(LineKind::PerUnit, "konto", q(1200), 190_000),
                line(
                    LineKind::Allocated,
                    "bas",
                    Ratio::new(1, 2).unwrap(),
                    330_000,
                ),
                line(
                    LineKind::Correction,
                    "bas",
                    Ratio::new(1, 2).unwrap(),
                    -1_000,
                ),
            ],
        )
        .unwrap();
        let e = explain(&before, &after).unwrap();
        let konto = &e.rows[0];
        // 1 190 × (1 900 − 1 850) kr = 59 500 kr; 10 × 1 900 kr = 19 000 kr.
        assert_eq!(konto.price.ore(), 5_950_000);
        assert_eq!(konto.volume.ore(), 1_900_000);
        let bas = &e.rows[1];
        // ⅓ × 3 300 − ⅓ × 3 000 = 100 kr; (½ − ⅓) × 3 300 = 550 kr.
        assert_eq!(bas.price.ore(), 10_000);
        assert_eq!(bas.key.ore(), 55_000);
        assert_eq!(e.rows[2].reconciliation.ore(), -500);
        let t = &e.totals;
        let sum = t.price.ore() + t.volume.ore() + t.key.ore() + t.reconciliation.ore();
        assert_eq!(Some(Money::from_ore(sum)), e.change());
    }

    #[test]
    fn other_members_bills_are_refused() {
        let a = Bill::new("a", Period::Year(2025), vec![]).unwrap();
        let b = Bill::new("b", Period::Year(2025), vec![]).unwrap();
        assert!(explain(&a, &b).is_err());
    }
}
