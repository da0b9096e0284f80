//! Numbers written the way each language writes them, from ICU4X
//! (`icu_decimal` with its compiled CLDR data): the grouping separator and
//! where it starts (German 41.380, French 41 380 with U+202F, Polish and
//! Spanish leave four digits ungrouped: 1234), and the decimal separator
//! (German 42,5).

use icu_decimal::input::Decimal;
use icu_decimal::DecimalFormatter;
use icu_locale_core::LanguageIdentifier;

use super::Language;

/// The formatter of `language`; `None` only if ICU4X's compiled data
/// lacked it (a test checks that it has all 24).
fn formatter(language: Language) -> Option<DecimalFormatter> {
    let id = LanguageIdentifier::try_from_str(language.code()).ok()?;
    DecimalFormatter::try_new((&id).into(), Default::default()).ok()
}

/// Whether ICU4X has number symbols for `language`.
pub fn has_symbols(language: Language) -> bool {
    formatter(language).is_some()
}

/// `decimal` in `language`, or as Rust writes it if the data were missing.
fn write(language: Language, decimal: &Decimal) -> String {
    formatter(language).map_or_else(|| decimal.to_string(), |f| f.format(decimal).to_string())
}

/// A whole number in `language`: `1234` is "1,234" in English, "1.234" in
/// German, "1 234" (narrow no-break space) in French.
pub fn integer(language: Language, n: u64) -> String {
    write(language, &Decimal::from(n))
}

/// `value` rounded to `fraction_digits` decimals, trailing zeros dropped,
/// in `language`: 42.5 is "42.5" in English, "42,5" in German. Values
/// that are not finite are written as 0.
pub fn decimal(language: Language, value: f64, fraction_digits: u8) -> String {
    let scale = 10f64.powi(i32::from(fraction_digits));
    let scaled = if value.is_finite() { (value * scale).round() } else { 0.0 };
    // Rounded and clamped to i64's range, so the cast only drops the (zero) fraction.
    let units = scaled.clamp(i64::MIN as f64, i64::MAX as f64) as i64;
    let mut decimal = Decimal::from(units);
    decimal.multiply_pow10(-i16::from(fraction_digits));
    decimal.absolute.trim_end();
    write(language, &decimal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_groups_by_three_with_commas() {
        assert_eq!(integer(Language::En, 0), "0");
        assert_eq!(integer(Language::En, 41_380), "41,380");
        assert_eq!(integer(Language::En, 1_234_567), "1,234,567");
        assert_eq!(decimal(Language::En, 42.46, 1), "42.5");
        assert_eq!(decimal(Language::En, 40.0, 1), "40");
        assert_eq!(decimal(Language::En, -3.25, 1), "-3.3");
    }
}
