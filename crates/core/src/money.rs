//! Money as integer öre, and exact rational quantities.
//!
//! Why integers: a bill must be reproducible to the öre years later and the
//! parts of every split must sum to the whole. Floating point gives neither,
//! so there is no `f32`/`f64` anywhere here. Amounts are `i64` öre (±92
//! billion billion öre — far beyond any municipal budget); intermediate
//! products are `i128`, and every operation that could overflow is checked.
//!
//! Why a rational (`Ratio`) rather than a decimal type for quantities: the
//! quantities a bill multiplies by are not always finite decimals (3 h 05 min
//! is 37/12 hours; a share of an allocation key is 137 405/221 190), and the
//! rule is "round once per line". A rational keeps the product exact until
//! that one rounding, and needs no dependency.
//!
//! Text forms (Swedish):
//! - [`Money`]'s `Display`: `1 545 161,75 kr` where the thousands separator
//!   and the space before `kr` are NO-BREAK SPACE (U+00A0), so an amount is
//!   never broken across lines; negative amounts use ASCII `-`, which every
//!   spreadsheet parses.
//! - [`Money::to_plain`]: `1545161,75` — no separators, no unit — for CSV.
//! - [`Money::parse`] accepts both, with U+0020, U+00A0 or U+202F as
//!   thousands separator, an optional `kr`, and `-` or `−` (U+2212) as sign.
//!   A `.` is rejected: in Swedish text it is sometimes a thousands separator,
//!   and guessing would misread amounts by a factor of 1000.

use std::fmt;
use std::str::FromStr;

/// The thousands separator and the space before `kr` in [`Money`]'s display.
pub const THOUSANDS_SEPARATOR: char = '\u{a0}';

/// Why a money or quantity operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The result does not fit (i64 öre, or an i128 intermediate).
    #[error("amount out of range")]
    Overflow,
    /// A ratio with denominator zero.
    #[error("division by zero")]
    DivisionByZero,
    /// Öre outside 0..=99.
    #[error("öre must be between 0 and 99")]
    InvalidOre,
    /// Text that is not an amount or quantity in the accepted forms.
    #[error("not a valid amount or quantity: {0:?}")]
    Parse(String),
}

/// An amount of money in öre (1 kr = 100 öre).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

/// An amount rounded from an exact product, with what the rounding changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounded {
    /// The amount billed.
    pub amount: Money,
    /// `amount − exact`, in öre (so always within ±½ öre for half-away
    /// rounding). Kept so a bill can show, and an audit can check, where
    /// every fraction of an öre went.
    pub adjustment: Ratio,
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// From öre.
    pub const fn from_ore(ore: i64) -> Self {
        Money(ore)
    }

    /// From kronor and öre, e.g. `from_kr_ore(1_545_161, 75)`. The sign of
    /// `kr` applies to the whole amount (`from_kr_ore(-5, 50)` is −5,50 kr);
    /// for a negative amount under one krona use [`Money::from_ore`].
    pub fn from_kr_ore(kr: i64, ore: u8) -> Result<Self, MoneyError> {
        if ore > 99 {
            return Err(MoneyError::InvalidOre);
        }
        let whole = kr.checked_mul(100).ok_or(MoneyError::Overflow)?;
        let ore = i64::from(ore);
        let v = if kr < 0 {
            whole.checked_sub(ore)
        } else {
            whole.checked_add(ore)
        };
        v.map(Money).ok_or(MoneyError::Overflow)
    }

    /// The amount in öre.
    pub const fn ore(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_neg(self) -> Option<Money> {
        self.0.checked_neg().map(Money)
    }

    /// The sum, or `None` on overflow. (No `impl Sum`: a sum that can
    /// panic on input a caller sent is not acceptable.)
    pub fn checked_sum<I: IntoIterator<Item = Money>>(items: I) -> Option<Money> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }

    /// `self × quantity`, rounded ONCE, half away from zero, to whole öre.
    /// This is the line-amount rule: a unit price times a quantity (2 410
    /// accounts, 37/12 hours) gives one amount, never a sum of rounded parts.
    pub fn mul_rounded(self, quantity: Ratio) -> Result<Rounded, MoneyError> {
        let n = i128::from(self.0)
            .checked_mul(quantity.num)
            .ok_or(MoneyError::Overflow)?;
        let d = quantity.den;
        let q = round_half_away(n, d);
        let amount = i64::try_from(q).map_err(|_| MoneyError::Overflow)?;
        // adjustment = q − n/d = (q·d − n)/d; |q·d − n| ≤ d/2, but q·d may
        // overflow on its own, so compute it from the remainder instead.
        let rem = n - (n / d) * d; // n % d, sign of n
        let adj_num = if q == n / d {
            -rem
        } else {
            d * n.signum() - rem
        };
        Ok(Rounded {
            amount: Money(amount),
            adjustment: Ratio::new_i128(adj_num, d)?,
        })
    }

    /// Parses `1 545 161,75 kr`, `1545161,75`, `-12,5`, `7 kr` (see the
    /// module documentation for the accepted forms).
    pub fn parse(s: &str) -> Result<Money, MoneyError> {
        let err = || MoneyError::Parse(s.to_owned());
        let t = s.trim();
        let t = t
            .strip_suffix("kr")
            .map(|x| x.trim_end_matches(is_space))
            .unwrap_or(t);
        let (negative, t) = strip_sign(t);
        let (int_part, frac) = match t.split_once(',') {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        let kr = parse_grouped_digits(int_part).ok_or_else(err)?;
        let ore: i128 = match frac {
            None => 0,
            Some(f) if (1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
                let v: i128 = f.parse().map_err(|_| err())?;
                if f.len() == 1 { v * 10 } else { v }
            }
            Some(_) => return Err(err()),
        };
        let total = kr
            .checked_mul(100)
            .and_then(|v| v.checked_add(ore))
            .ok_or(MoneyError::Overflow)?;
        let total = if negative { -total } else { total };
        i64::try_from(total)
            .map(Money)
            .map_err(|_| MoneyError::Overflow)
    }

    /// The plain CSV form: `1545161,75`, `-0,50`, `0,00`. No thousands
    /// separator (spreadsheets would read it as text), decimal comma.
    pub fn to_plain(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{},{:02}", a / 100, a % 100)
    }
}

impl fmt::Display for Money {
    /// `1 545 161,75 kr` with no-break spaces (U+00A0).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let kr = group_thousands(&(a / 100).to_string(), THOUSANDS_SEPARATOR);
        write!(f, "{sign}{kr},{:02}{THOUSANDS_SEPARATOR}kr", a % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

/// An exact rational number: a quantity (2 410 accounts, 37/12 hours), a
/// share of a key, a price index (1027/1000), or a rounding adjustment in
/// öre. Always normalised: denominator positive, numerator and denominator
/// coprime, so derived equality is numeric equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i128,
    den: i128,
}

impl Ratio {
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `num / den`, normalised.
    pub fn new(num: i64, den: i64) -> Result<Ratio, MoneyError> {
        Ratio::new_i128(i128::from(num), i128::from(den))
    }

    /// `num / den` from wide integers, normalised. `i128::MIN` is refused
    /// (it has no negation), so every later sign flip is safe.
    pub fn new_i128(num: i128, den: i128) -> Result<Ratio, MoneyError> {
        if den == 0 {
            return Err(MoneyError::DivisionByZero);
        }
        if num == i128::MIN || den == i128::MIN {
            return Err(MoneyError::Overflow);
        }
        let g = gcd_u128(num.unsigned_abs(), den.unsigned_abs()) as i128;
        let (num, den) = (num / g, den / g);
        Ok(if den < 0 {
            Ratio {
                num: -num,
                den: -den,
            }
        } else {
            Ratio { num, den }
        })
    }

    /// A whole number.
    pub const fn integer(n: i64) -> Ratio {
        Ratio {
            num: n as i128,
            den: 1,
        }
    }

    /// Hours from hours and minutes: `hours_minutes(3, 5)` = 37/12 h.
    pub fn hours_minutes(hours: i64, minutes: i64) -> Result<Ratio, MoneyError> {
        let total = i128::from(hours)
            .checked_mul(60)
            .and_then(|h| h.checked_add(i128::from(minutes)))
            .ok_or(MoneyError::Overflow)?;
        Ratio::new_i128(total, 60)
    }

    pub const fn numer(self) -> i128 {
        self.num
    }

    pub const fn denom(self) -> i128 {
        self.den
    }

    pub const fn is_zero(self) -> bool {
        self.num == 0
    }

    pub const fn is_negative(self) -> bool {
        self.num < 0
    }

    pub const fn is_integer(self) -> bool {
        self.den == 1
    }

    pub fn checked_add(self, o: Ratio) -> Option<Ratio> {
        let num = self
            .num
            .checked_mul(o.den)?
            .checked_add(o.num.checked_mul(self.den)?)?;
        Ratio::new_i128(num, self.den.checked_mul(o.den)?).ok()
    }

    pub fn checked_sub(self, o: Ratio) -> Option<Ratio> {
        self.checked_add(o.checked_neg()?)
    }

    pub fn checked_neg(self) -> Option<Ratio> {
        Some(Ratio {
            num: self.num.checked_neg()?,
            den: self.den,
        })
    }

    pub fn checked_mul(self, o: Ratio) -> Option<Ratio> {
        // Cross-reduce first so that products of already-reduced values
        // overflow as late as possible.
        let g1 = gcd_u128(self.num.unsigned_abs(), o.den.unsigned_abs()).max(1) as i128;
        let g2 = gcd_u128(o.num.unsigned_abs(), self.den.unsigned_abs()).max(1) as i128;
        let num = (self.num / g1).checked_mul(o.num / g2)?;
        let den = (self.den / g2).checked_mul(o.den / g1)?;
        Ratio::new_i128(num, den).ok()
    }

    /// `None` on overflow or division by zero.
    pub fn checked_div(self, o: Ratio) -> Option<Ratio> {
        if o.num == 0 {
            return None;
        }
        self.checked_mul(Ratio::new_i128(o.den, o.num).ok()?)
    }

    /// The least integer ≥ self (e.g. started hours: ⌈37/12⌉ = 4).
    pub fn ceil(self) -> i128 {
        let q = self.num.div_euclid(self.den);
        if self.num.rem_euclid(self.den) == 0 {
            q
        } else {
            q + 1
        }
    }

    /// The greatest integer ≤ self.
    pub fn floor(self) -> i128 {
        self.num.div_euclid(self.den)
    }

    /// Rounded to an integer, half away from zero.
    pub fn round_half_away(self) -> i128 {
        round_half_away(self.num, self.den)
    }

    /// Parses `2 410`, `3,25`, `-1,5`, `37/12` (grouping spaces as for
    /// money; decimal comma; `.` rejected, for the reason given above).
    pub fn parse(s: &str) -> Result<Ratio, MoneyError> {
        let err = || MoneyError::Parse(s.to_owned());
        let t = s.trim();
        if let Some((n, d)) = t.split_once('/') {
            let (neg, n) = strip_sign(n.trim());
            let n = parse_grouped_digits(n).ok_or_else(err)?;
            let d = parse_grouped_digits(d.trim()).ok_or_else(err)?;
            return Ratio::new_i128(if neg { -n } else { n }, d);
        }
        let (neg, t) = strip_sign(t);
        let (i, f) = match t.split_once(',') {
            Some((i, f)) => (i, f),
            None => (t, ""),
        };
        if !f.bytes().all(|b| b.is_ascii_digit()) || f.len() > 30 || t.ends_with(',') {
            return Err(err());
        }
        let int = parse_grouped_digits(i).ok_or_else(err)?;
        let scale = 10i128.checked_pow(f.len() as u32).ok_or_else(err)?;
        let frac: i128 = if f.is_empty() {
            0
        } else {
            f.parse().map_err(|_| err())?
        };
        let num = int
            .checked_mul(scale)
            .and_then(|v| v.checked_add(frac))
            .ok_or(MoneyError::Overflow)?;
        Ratio::new_i128(if neg { -num } else { num }, scale)
    }

    /// Swedish decimal text with at most `max_places` decimals: exact when
    /// the value is a decimal that fits (`2410`, `3,25`), otherwise rounded
    /// half away from zero (`37/12` → `3,0833` at 4 places). For display
    /// only; the exact value stays in the `Ratio`.
    pub fn to_decimal_sv(self, max_places: u32) -> String {
        // 10^30 × |num| can still overflow for absurd values; the display
        // then saturates, which is acceptable for a display-only form.
        let max_places = max_places.min(30);
        // The fewest places that show the value exactly, else max_places.
        let places = (0..=max_places)
            .find(|&p| {
                self.num
                    .checked_mul(10i128.pow(p))
                    .is_some_and(|v| v % self.den == 0)
            })
            .unwrap_or(max_places);
        let scaled = round_half_away(self.num.saturating_mul(10i128.pow(places)), self.den);
        let sign = if scaled < 0 { "-" } else { "" };
        let a = scaled.unsigned_abs();
        if places == 0 {
            return format!("{sign}{a}");
        }
        let p = 10u128.pow(places);
        format!("{sign}{},{:0width$}", a / p, a % p, width = places as usize)
    }
}

impl fmt::Display for Ratio {
    /// `37/12`, `-3`, `2410`: exact, for logs and debugging.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// `n / d` rounded half away from zero; `d > 0`.
fn round_half_away(n: i128, d: i128) -> i128 {
    let q = n / d; // truncates toward zero
    let r = (n % d).unsigned_abs();
    // 2r ≥ d, written so that it cannot overflow.
    if r >= d.unsigned_abs() - r {
        q + n.signum()
    } else {
        q
    }
}

fn gcd_u128(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

fn strip_sign(t: &str) -> (bool, &str) {
    if let Some(r) = t.strip_prefix('-').or_else(|| t.strip_prefix('\u{2212}')) {
        (true, r)
    } else {
        (false, t)
    }
}

/// Digits, optionally grouped in threes by spaces: `1545161`, `1 545 161`.
/// A misplaced separator (`15 45`) is refused rather than guessed at.
fn parse_grouped_digits(s: &str) -> Option<i128> {
    let groups: Vec<&str> = s.split(is_space).collect();
    let first = groups.first()?;
    let ok = !first.is_empty()
        && first.len() <= if groups.len() > 1 { 3 } else { usize::MAX }
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3);
    if !ok {
        return None;
    }
    groups.concat().parse().ok()
}

fn group_thousands(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NB: char = THOUSANDS_SEPARATOR;

    fn kr(kr: i64, ore: u8) -> Money {
        Money::from_kr_ore(kr, ore).unwrap()
    }

    #[test]
    fn from_kr_ore_applies_the_sign_to_the_whole_amount() {
        assert_eq!(kr(1_545_161, 75).ore(), 154_516_175);
        assert_eq!(kr(-5, 50).ore(), -550);
        assert_eq!(Money::from_kr_ore(1, 100), Err(MoneyError::InvalidOre));
        assert_eq!(
            Money::from_kr_ore(i64::MAX / 10, 0),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn displays_in_swedish_with_no_break_spaces() {
        assert_eq!(
            kr(1_545_161, 75).to_string(),
            format!("1{NB}545{NB}161,75{NB}kr")
        );
        assert_eq!(kr(700, 0).to_string(), format!("700,00{NB}kr"));
        assert_eq!(Money::from_ore(-5).to_string(), format!("-0,05{NB}kr"));
        assert_eq!(
            Money::from_ore(i64::MIN).to_string(),
            format!("-92{NB}233{NB}720{NB}368{NB}547{NB}758,08{NB}kr")
        );
    }

    #[test]
    fn plain_form_has_no_separators() {
        assert_eq!(kr(1_545_161, 75).to_plain(), "1545161,75");
        assert_eq!(Money::from_ore(-50).to_plain(), "-0,50");
        assert_eq!(Money::ZERO.to_plain(), "0,00");
    }

    #[test]
    fn parses_display_plain_and_normal_spaces() {
        for s in [
            "1 545 161,75 kr",
            "1\u{a0}545\u{a0}161,75\u{a0}kr",
            "1\u{202f}545\u{202f}161,75",
            "1545161,75",
            " 1545161,75kr ",
        ] {
            assert_eq!(Money::parse(s), Ok(kr(1_545_161, 75)), "{s:?}");
        }
        assert_eq!(Money::parse("-12,5"), Ok(Money::from_ore(-1250)));
        assert_eq!(Money::parse("−0,05 kr"), Ok(Money::from_ore(-5)));
        assert_eq!(Money::parse("7"), Ok(kr(7, 0)));
        for m in [
            kr(1_545_161, 75),
            Money::from_ore(-1),
            Money::from_ore(i64::MAX),
            Money::from_ore(i64::MIN),
        ] {
            assert_eq!(Money::parse(&m.to_string()), Ok(m));
            assert_eq!(Money::parse(&m.to_plain()), Ok(m));
        }
    }

    #[test]
    fn refuses_ambiguous_or_malformed_text() {
        for s in [
            "",
            "kr",
            "1.545,00",
            "1545.75",
            "15 45",
            "1 5450",
            "1,755",
            "1,",
            ",5",
            "--1",
            "1 545 161,75 SEK",
            "92233720368547758,08",
        ] {
            assert!(Money::parse(s).is_err(), "{s:?} should not parse");
        }
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        let max = Money::from_ore(i64::MAX);
        assert_eq!(max.checked_add(Money::from_ore(1)), None);
        assert_eq!(Money::from_ore(i64::MIN).checked_neg(), None);
        assert_eq!(
            Money::checked_sum([kr(1, 0), kr(2, 50), Money::from_ore(-25)]),
            Some(kr(3, 25))
        );
        assert_eq!(Money::checked_sum([max, max]), None);
        assert_eq!(Money::checked_sum([]), Some(Money::ZERO));
    }

    #[test]
    fn line_amount_is_rounded_once_half_away_from_zero() {
        // 2 410 accounts × 1 850 kr: exact, no adjustment.
        let r = kr(1850, 0).mul_rounded(Ratio::integer(2410)).unwrap();
        assert_eq!(r.amount, kr(4_458_500, 0));
        assert_eq!(r.adjustment, Ratio::ZERO);
        // 3 h 05 min at 700 kr/h, if it were charged by the minute:
        // 2 158,333… kr → 2 158,33 kr, rounded down by 1/3 öre.
        let r = kr(700, 0)
            .mul_rounded(Ratio::hours_minutes(3, 5).unwrap())
            .unwrap();
        assert_eq!(r.amount, kr(2158, 33));
        assert_eq!(r.adjustment, Ratio::new(-1, 3).unwrap());
        // Exactly half an öre goes away from zero, both signs.
        let half = Ratio::new(1, 2).unwrap();
        assert_eq!(
            Money::from_ore(1).mul_rounded(half).unwrap().amount.ore(),
            1
        );
        assert_eq!(
            Money::from_ore(-1).mul_rounded(half).unwrap().amount.ore(),
            -1
        );
        let r = Money::from_ore(3).mul_rounded(half).unwrap();
        assert_eq!((r.amount.ore(), r.adjustment), (2, half));
        let r = Money::from_ore(-3).mul_rounded(half).unwrap();
        assert_eq!(
            (r.amount.ore(), r.adjustment),
            (-2, half.checked_neg().unwrap())
        );
        // Rounding once per line differs from rounding per unit: 3 × 0,333…
        let third = Money::from_ore(100).mul_rounded(Ratio::new(1, 3).unwrap());
        assert_eq!(third.unwrap().amount.ore(), 33);
        let line = Money::from_ore(100).mul_rounded(Ratio::new(3, 3).unwrap());
        assert_eq!(line.unwrap().amount.ore(), 100);
        assert_eq!(
            Money::from_ore(i64::MAX).mul_rounded(Ratio::integer(2)),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn ratio_is_normalised_and_exact() {
        assert_eq!(Ratio::new(2, -4).unwrap(), Ratio::new(-1, 2).unwrap());
        assert_eq!(Ratio::new(1, 0), Err(MoneyError::DivisionByZero));
        let h = Ratio::hours_minutes(3, 5).unwrap();
        assert_eq!(h, Ratio::new(37, 12).unwrap());
        assert_eq!(h.ceil(), 4);
        assert_eq!(h.floor(), 3);
        assert_eq!(Ratio::integer(3).ceil(), 3);
        assert_eq!(Ratio::new(-37, 12).unwrap().ceil(), -3);
        let a = Ratio::new(1, 3).unwrap();
        let b = Ratio::new(2, 3).unwrap();
        assert_eq!(a.checked_add(b), Some(Ratio::ONE));
        assert_eq!(a.checked_mul(Ratio::integer(3)), Some(Ratio::ONE));
        assert_eq!(Ratio::ONE.checked_div(b), Ratio::new(3, 2).ok());
        assert_eq!(a.checked_div(Ratio::ZERO), None);
    }

    #[test]
    fn ratio_parses_swedish_decimals_and_fractions() {
        assert_eq!(Ratio::parse("2 410"), Ok(Ratio::integer(2410)));
        assert_eq!(Ratio::parse("3,25"), Ratio::new(13, 4));
        assert_eq!(Ratio::parse("-1,5"), Ratio::new(-3, 2));
        assert_eq!(Ratio::parse("1,027"), Ratio::new(1027, 1000));
        assert_eq!(Ratio::parse("37/12"), Ratio::new(37, 12));
        for s in ["", "1.5", "1,", "a", "1/0", "1,2,3"] {
            assert!(Ratio::parse(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn ratio_decimal_text() {
        assert_eq!(Ratio::integer(2410).to_decimal_sv(4), "2410");
        assert_eq!(Ratio::new(13, 4).unwrap().to_decimal_sv(4), "3,25");
        assert_eq!(Ratio::new(37, 12).unwrap().to_decimal_sv(4), "3,0833");
        assert_eq!(Ratio::new(-2, 3).unwrap().to_decimal_sv(2), "-0,67");
        assert_eq!(Ratio::new(1, 2).unwrap().to_decimal_sv(0), "1");
    }
}
