//! Price lists and deriving next year's prices from last year's by an index.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use samverkan_core::Refusal;

use super::{CostError, Money, Ratio, rules};

/// Where a price list version is on its way to the bills: drafted by the
/// IT department, proposed to the steering group, decided there, then
/// published, after which it never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceListState {
    Draft,
    Proposed,
    Decided,
    Published,
}

/// What is done to a price list version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Its prices or dates are edited.
    Change,
    Propose,
    Decide,
    Publish,
}

impl PriceListState {
    pub const ALL: &'static [PriceListState] = &[
        PriceListState::Draft,
        PriceListState::Proposed,
        PriceListState::Decided,
        PriceListState::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PriceListState::Draft => "draft",
            PriceListState::Proposed => "proposed",
            PriceListState::Decided => "decided",
            PriceListState::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// The state after `step`, or why the step is refused: each step
    /// from exactly one state, and nothing once published.
    pub fn take(self, step: Step) -> Result<PriceListState, Refusal> {
        use PriceListState::*;
        let (from, to, action) = match step {
            Step::Change => (Draft, Draft, "changed"),
            Step::Propose => (Draft, Proposed, "proposed"),
            Step::Decide => (Proposed, Decided, "decided"),
            Step::Publish => (Decided, Published, "published"),
        };
        if self == from {
            Ok(to)
        } else if self == Published {
            Err(rules::PRICE_LIST_PUBLISHED.refuse(
                "the price list is published and never changes; create a new version instead",
            ))
        } else {
            Err(rules::PRICE_LIST_STATE.refuse(format!(
                "only a {} price list can be {action}; this one is {}",
                from.as_str(),
                self.as_str()
            )))
        }
    }
}

/// Whether a version effective `effective` may be published beside the
/// `published` versions of its year (each `(version, effective date)`):
/// versions take effect in order, so a new one starts after every
/// published one and "the version in force" is never ambiguous.
pub fn may_take_effect(
    year: i32,
    effective: NaiveDate,
    published: impl IntoIterator<Item = (i32, NaiveDate)>,
) -> Result<(), Refusal> {
    match published.into_iter().find(|(_, e)| *e >= effective) {
        Some((version, e)) => Err(rules::EFFECTIVE_DATE_NOT_AFTER.refuse(format!(
            "version {version} of {year} is published effective {e}; a new version must take effect later"
        ))),
        None => Ok(()),
    }
}

/// The refusal to bill `year` from published prices before any are.
pub fn none_published(year: i32) -> Refusal {
    rules::NO_PUBLISHED_PRICE_LIST.refuse(format!("no price list for {year} is published yet"))
}

/// One version of a year's price list: a price per service code. For a
/// per-unit or direct service the price is per unit of measure; for an
/// allocated service it is the cost pool to be split. A published version
/// never changes (the store enforces that); a change is a new version, so
/// every bill line names the version it was priced from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceList {
    /// The version's identifier (a UUID in the store), copied onto lines.
    pub version: String,
    pub prices: BTreeMap<String, Money>,
}

/// How a derived price is rounded. Always half away from zero, so that
/// 1 899,50 kr and −1 899,50 kr round symmetrically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceRounding {
    /// To whole öre.
    Ore,
    /// To whole kronor (the usual rule for a decided price list).
    WholeKronor,
    /// To a multiple of this amount (e.g. 10 kr); must be positive.
    Multiple(Money),
}

/// `1 + percent/100`: `+2,7 %` is the index 1027/1000.
pub fn index_from_percent(percent: Ratio) -> Result<Ratio, CostError> {
    percent
        .checked_div(Ratio::integer(100))
        .and_then(|p| p.checked_add(Ratio::ONE))
        .ok_or(CostError::Overflow)
}

/// `last × index`, rounded once by `rule`. E.g. 1 850 kr × 1,027 =
/// 1 899,95 kr → 1 900 kr with [`PriceRounding::WholeKronor`].
pub fn derive_price(last: Money, index: Ratio, rule: PriceRounding) -> Result<Money, CostError> {
    let step = match rule {
        PriceRounding::Ore => 1,
        PriceRounding::WholeKronor => 100,
        PriceRounding::Multiple(m) if m.ore() > 0 => m.ore(),
        PriceRounding::Multiple(_) => {
            return Err(CostError::Inconsistent(
                "a rounding step must be positive".into(),
            ));
        }
    };
    // Round (last × index / step) to an integer number of steps, then scale.
    let scaled = index
        .checked_div(Ratio::integer(step))
        .ok_or(CostError::Overflow)?;
    let steps = last.mul_rounded(scaled)?.amount.ore();
    steps
        .checked_mul(step)
        .map(Money::from_ore)
        .ok_or(CostError::Overflow)
}

/// Every price of `last` derived by `index` and `rule`, as a new version.
/// Cost pools are indexed too; replace them afterwards where the budget
/// sets them instead.
pub fn derive_price_list(
    last: &PriceList,
    version: impl Into<String>,
    index: Ratio,
    rule: PriceRounding,
) -> Result<PriceList, CostError> {
    let prices = last
        .prices
        .iter()
        .map(|(s, p)| Ok((s.clone(), derive_price(*p, index, rule)?)))
        .collect::<Result<_, CostError>>()?;
    Ok(PriceList {
        version: version.into(),
        prices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kr(k: i64) -> Money {
        Money::from_kr_ore(k, 0).unwrap()
    }

    #[test]
    fn index_of_two_point_seven_percent_rounded_to_whole_kronor() {
        let idx = index_from_percent(Ratio::parse("2,7").unwrap()).unwrap();
        assert_eq!(idx, Ratio::new(1027, 1000).unwrap());
        // 1 899,95 → 1 900; 3 512,34 → 3 512.
        assert_eq!(
            derive_price(kr(1850), idx, PriceRounding::WholeKronor),
            Ok(kr(1900))
        );
        assert_eq!(
            derive_price(kr(3420), idx, PriceRounding::WholeKronor),
            Ok(kr(3512))
        );
        assert_eq!(
            derive_price(kr(3420), idx, PriceRounding::Ore),
            Ok(Money::from_ore(351_234))
        );
        assert_eq!(
            derive_price(kr(3420), idx, PriceRounding::Multiple(kr(10))),
            Ok(kr(3510))
        );
    }

    #[test]
    fn exact_halves_round_away_from_zero() {
        // 1 000 kr × 1,0005 = 1 000,50 kr → 1 001 kr; the negative mirrors it.
        let idx = Ratio::new(10_005, 10_000).unwrap();
        assert_eq!(
            derive_price(kr(1000), idx, PriceRounding::WholeKronor),
            Ok(kr(1001))
        );
        assert_eq!(
            derive_price(kr(-1000), idx, PriceRounding::WholeKronor),
            Ok(kr(-1001))
        );
        assert!(derive_price(kr(1), idx, PriceRounding::Multiple(Money::ZERO)).is_err());
    }

    #[test]
    fn derives_a_whole_list_as_a_new_version() {
        let last = PriceList {
            version: "2024-1".into(),
            prices: [("konto".to_string(), kr(1850))].into(),
        };
        let idx = Ratio::new(1027, 1000).unwrap();
        let next = derive_price_list(&last, "2025-1", idx, PriceRounding::WholeKronor).unwrap();
        assert_eq!(next.version, "2025-1");
        assert_eq!(next.prices["konto"], kr(1900));
    }

    #[test]
    fn a_price_list_goes_draft_proposed_decided_published_once() {
        use PriceListState::*;
        assert_eq!(Draft.take(Step::Change), Ok(Draft));
        assert_eq!(Draft.take(Step::Propose), Ok(Proposed));
        assert_eq!(Proposed.take(Step::Decide), Ok(Decided));
        assert_eq!(Decided.take(Step::Publish), Ok(Published));
        assert_eq!(
            Proposed.take(Step::Change).unwrap_err().reason(),
            "PRICE_LIST_STATE"
        );
        for step in [Step::Change, Step::Propose, Step::Decide, Step::Publish] {
            assert_eq!(
                Published.take(step).unwrap_err().reason(),
                "PRICE_LIST_PUBLISHED"
            );
        }
        for s in PriceListState::ALL {
            assert_eq!(PriceListState::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn versions_take_effect_in_order() {
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
        assert!(may_take_effect(2025, d(7, 1), [(1, d(1, 1))]).is_ok());
        let e = may_take_effect(2025, d(7, 1), [(1, d(1, 1)), (2, d(7, 1))]).unwrap_err();
        assert_eq!(e.reason(), "EFFECTIVE_DATE_NOT_AFTER");
        assert!(e.message.contains("version 2"), "{e}");
    }
}
