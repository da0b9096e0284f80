//! The cookie-date algorithm, RFC 6265bis §5.1.1.
//!
//! Browsers do not parse `Expires` as an HTTP date: they tokenise on a wide set
//! of delimiters and pick out a time, a day, a month and a year in any order.
//! That is what this module does, on bytes, without allocating.

use crate::time::Timestamp;

/// The fields §5.1.1 step 2 finds, before the year is widened and checked.
#[derive(Default)]
struct Fields {
    time: Option<(u32, u32, u32)>,
    day_of_month: Option<u32>,
    month: Option<u32>,
    year: Option<u32>,
}

/// §5.1.1 steps 1–2: tokenise and pick the first time, day-of-month, month
/// and year, in that order of preference for each token.
fn scan(input: &[u8]) -> Fields {
    let mut fields = Fields::default();
    // §5.1.1 step 1: split the cookie-date into date-tokens.
    for token in input.split(|&b| is_delimiter(b)).filter(|t| !t.is_empty()) {
        // §5.1.1 step 2.1: the first token matching the time production.
        if fields.time.is_none() {
            if let Some(hms) = match_time(token) {
                fields.time = Some(hms);
                continue;
            }
        }
        // §5.1.1 step 2.2: day-of-month.
        if fields.day_of_month.is_none() {
            if let Some(day) = match_digits_prefix(token, 1, 2) {
                fields.day_of_month = Some(day);
                continue;
            }
        }
        // §5.1.1 step 2.3: month.
        if fields.month.is_none() {
            if let Some(m) = match_month(token) {
                fields.month = Some(m);
                continue;
            }
        }
        // §5.1.1 step 2.4: year.
        if fields.year.is_none() {
            fields.year = match_digits_prefix(token, 2, 4);
        }
    }
    fields
}

/// §5.1.1 steps 3–4: two-digit years.
fn widen_year(year: u32) -> u32 {
    match year {
        70..=99 => year + 1900,
        0..=69 => year + 2000,
        _ => year,
    }
}

/// Parses a cookie-date (RFC 6265bis §5.1.1). `None` means "failed to parse":
/// the `Expires` attribute is then ignored (§5.6.1 step 2).
pub fn parse_cookie_date(input: &[u8]) -> Option<Timestamp> {
    if let Some(fixed) = parse_fixed_layout(input) {
        return fixed;
    }
    let fields = scan(input);
    // §5.1.1 step 5: every field must have been found.
    let (hour, minute, second) = fields.time?;
    let day = fields.day_of_month?;
    let month = fields.month?;
    let year = widen_year(fields.year?);
    // §5.1.1 step 5: range checks.
    if !(1..=31).contains(&day) || year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // §5.1.1 step 6: the date must exist (no 31 April); from_civil checks it.
    Timestamp::from_civil(i64::from(year), month, day, hour, minute, second)
}

/// A fast path for what servers almost always send, `Wdy, DD Mon YYYY
/// HH:MM:SS GMT` (IMF-fixdate) or `Wdy, DD-Mon-YYYY HH:MM:SS GMT`, and the
/// same with a two-digit year (`Wdy, DD-Mon-YY HH:MM:SS GMT`): the general
/// algorithm gives the same answer for these (the weekday token matches no
/// production, the others in the order the layout has them, and a two-digit
/// year is widened by steps 3–4 as there), so this returns `Some(answer)` for
/// an exact layout match and `None` to fall back to the general algorithm
/// for anything else.
fn parse_fixed_layout(input: &[u8]) -> Option<Option<Timestamp>> {
    if let Ok(input) = <&[u8; 29]>::try_from(input) {
        parse_layout(input)
    } else if let Ok(input) = <&[u8; 27]>::try_from(input) {
        parse_layout(input)
    } else {
        None
    }
}

/// [`parse_fixed_layout`] for one length: 29 bytes for a four-digit year,
/// 27 for a two-digit one. With the length fixed, every index is a constant.
#[inline(always)]
fn parse_layout<const N: usize>(input: &[u8; N]) -> Option<Option<Timestamp>> {
    // How far the time moves right for a four-digit year.
    let o = N - 27;
    let separator = input[7];
    let layout_ok = input[3] == b','
        && input[4] == b' '
        && (separator == b' ' || separator == b'-')
        && input[11] == separator
        && input[14 + o] == b' '
        && input[17 + o] == b':'
        && input[20 + o] == b':'
        && input[23 + o..] == *b" GMT"
        && is_weekday(&input[..3]);
    if !layout_ok {
        return None;
    }
    let two_digits = |at: usize| two_digits(input[at], input[at + 1]);
    let year = if o == 2 { two_digits(12)? * 100 + two_digits(14)? } else { two_digits(12)? };
    let (day, hour, minute, second) = (two_digits(5)?, two_digits(15 + o)?, two_digits(18 + o)?, two_digits(21 + o)?);
    let month = match_month(&input[8..11])?;
    // §5.1.1 steps 3–4 widen a year value below 100, however many digits
    // it was written with ("0009" is 2009, as in the general algorithm);
    // then the same range checks as step 5, and the date must exist (step 6).
    let year = widen_year(year);
    if !(1..=31).contains(&day) || year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return Some(None);
    }
    Some(Timestamp::from_civil(i64::from(year), month, day, hour, minute, second))
}

/// The value of two ASCII digits, or `None`.
#[inline(always)]
fn two_digits(tens: u8, ones: u8) -> Option<u32> {
    let (tens, ones) = (tens.wrapping_sub(b'0'), ones.wrapping_sub(b'0'));
    (tens < 10 && ones < 10).then(|| u32::from(tens) * 10 + u32::from(ones))
}

/// Whether `token` is a three-letter English weekday name, in any case.
/// `| 0x20` maps an ASCII letter to its lower case and no other byte onto a
/// lower-case letter, so the comparison is exactly `eq_ignore_ascii_case`.
fn is_weekday(token: &[u8]) -> bool {
    let &[a, b, c] = token else {
        return false;
    };
    matches!(&[a | 0x20, b | 0x20, c | 0x20], b"mon" | b"tue" | b"wed" | b"thu" | b"fri" | b"sat" | b"sun")
}

/// Whether the cookie-date has every field and a year before 1601 (which
/// §5.1.1 step 5 rejects; Chromium saturates such dates to the earliest
/// time instead).
pub(crate) fn is_before_1601(input: &[u8]) -> bool {
    let fields = scan(input);
    fields.time.is_some()
        && fields.day_of_month.is_some()
        && fields.month.is_some()
        && fields.year.is_some_and(|year| widen_year(year) < 1601)
}

/// `delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E` (§5.1.1).
fn is_delimiter(b: u8) -> bool {
    matches!(b, 0x09 | 0x20..=0x2F | 0x3B..=0x40 | 0x5B..=0x60 | 0x7B..=0x7E)
}

/// `1*N DIGIT [ non-digit *OCTET ]` with between `min` and `max` digits.
fn match_digits_prefix(token: &[u8], min: usize, max: usize) -> Option<u32> {
    let digits = token.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits < min || digits > max {
        return None;
    }
    Some(token[..digits].iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// `time = hms-time [ non-digit *OCTET ]`, `hms-time = time-field ":" time-field ":" time-field`,
/// `time-field = 1*2DIGIT`.
fn match_time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let mut rest = token;
    let mut fields = [0u32; 3];
    for (i, field) in fields.iter_mut().enumerate() {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=2).contains(&digits) {
            return None;
        }
        *field = rest[..digits].iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0'));
        rest = &rest[digits..];
        if i < 2 {
            rest = rest.strip_prefix(b":")?;
        }
    }
    // After the third field only a non-digit may follow; the digit case was
    // already excluded by the 2-digit limit above.
    Some((fields[0], fields[1], fields[2]))
}

/// `month = ( "jan" / "feb" / ... / "dec" ) *OCTET`, case-insensitive.
/// `| 0x20` maps an ASCII letter to its lower case and no other byte onto a
/// lower-case letter, so the comparison is exactly `eq_ignore_ascii_case`.
fn match_month(token: &[u8]) -> Option<u32> {
    let &[a, b, c, ..] = token else {
        return None;
    };
    Some(match &[a | 0x20, b | 0x20, c | 0x20] {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<Timestamp> {
        Timestamp::from_civil(y, mo, d, h, mi, s)
    }

    #[test]
    fn tokens_in_any_order() {
        assert_eq!(parse_cookie_date(b"Wed, 09 Dec 2009 16:27:23 GMT"), at(2009, 12, 9, 16, 27, 23));
        assert_eq!(parse_cookie_date(b"16:27:23 2009 Dec 09"), at(2009, 12, 9, 16, 27, 23));
    }

    #[test]
    fn two_digit_years_step_3_and_4() {
        assert_eq!(parse_cookie_date(b"1 Jan 70 00:00:00"), at(1970, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"1 Jan 69 00:00:00"), at(2069, 1, 1, 0, 0, 0));
    }

    #[test]
    fn range_checks_step_5() {
        assert_eq!(parse_cookie_date(b"1 Jan 1600 00:00:00"), None);
        assert_eq!(parse_cookie_date(b"32 Jan 2000 00:00:00"), None);
        assert_eq!(parse_cookie_date(b"1 Jan 2000 24:00:00"), None);
        assert_eq!(parse_cookie_date(b"1 Jan 2000 00:60:00"), None);
        assert_eq!(parse_cookie_date(b"1 Jan 2000 00:00:60"), None);
        assert_eq!(parse_cookie_date(b"1 Jan 2000"), None, "no time");
    }

    #[test]
    fn fixed_layout_fast_path_agrees_with_the_general_algorithm() {
        for input in [
            "Wed, 09 Dec 2009 16:27:23 GMT",
            "Thu, 01-Jan-2026 00:00:00 GMT",
            "sat, 31 Apr 2026 00:00:00 GMT",
            "Sun, 01 Jan 1600 00:00:00 GMT",
            "Mon, 10 Dec 2007 24:00:00 GMT",
            "Tue, 29 Feb 2028 23:59:59 GMT",
            "Fri, 1x Dec 2009 16:27:23 GMT",
            "Wed, 09 Dec 0009 16:27:23 GMT",
            "Wed, 09 Dec 0070 16:27:23 GMT",
        ] {
            let fields = scan(input.as_bytes());
            let general = (|| {
                let (hour, minute, second) = fields.time?;
                let (day, month, year) = (fields.day_of_month?, fields.month?, widen_year(fields.year?));
                if !(1..=31).contains(&day) || year < 1601 || hour > 23 || minute > 59 || second > 59 {
                    return None;
                }
                Timestamp::from_civil(i64::from(year), month, day, hour, minute, second)
            })();
            assert_eq!(parse_cookie_date(input.as_bytes()), general, "{input}");
        }
        assert!(parse_fixed_layout(b"Jan, 09 Dec 2009 16:27:23 GMT").is_none(), "not a weekday: general path");
    }

    /// §5.1.1 without the fast path.
    fn general(input: &[u8]) -> Option<Timestamp> {
        let fields = scan(input);
        let (hour, minute, second) = fields.time?;
        let (day, month, year) = (fields.day_of_month?, fields.month?, widen_year(fields.year?));
        if !(1..=31).contains(&day) || year < 1601 || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Timestamp::from_civil(i64::from(year), month, day, hour, minute, second)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        #[test]
        fn fast_path_agrees_with_the_general_algorithm_on_near_layouts(
            template in proptest::sample::select(vec![
                "Wed, 09 Dec 2009 16:27:23 GMT",
                "Thu, 01-Jan-2026 00:00:00 GMT",
                "Thu, 01-Jan-26 00:30:00 GMT",
                "Fri, 01 Jan 70 23:59:59 GMT",
            ]),
            edits in proptest::collection::vec((0usize..29, proptest::sample::select(
                b"0123456789 -:,;aAjJnNmMoOtTwWdDeEcCfFrRsSuUgGyYpPvVlLbB\x00\xff\x80".to_vec())), 0..3),
        ) {
            let mut input = template.as_bytes().to_vec();
            for (at, byte) in edits {
                if let Some(b) = input.get_mut(at) {
                    *b = byte;
                }
            }
            proptest::prop_assert_eq!(parse_cookie_date(&input), general(&input), "{:?}", String::from_utf8_lossy(&input));
        }
    }

    #[test]
    fn month_and_weekday_names_match_exactly_in_any_case() {
        for a in 0..=255u8 {
            for (b, c) in [(b'a', b'n'), (b'A', b'N'), (b'e', b'c'), (b'O', b'v'), (b'u', b'n'), (b'h', b'u')] {
                let token = [a, b, c];
                let expected = [b"jan", b"dec", b"nov", b"jun"].iter().any(|m| token.eq_ignore_ascii_case(&m[..]));
                assert_eq!(match_month(&token).is_some(), expected, "{token:?}");
                let weekday = [b"sun", b"thu"].iter().any(|w| token.eq_ignore_ascii_case(&w[..]));
                assert_eq!(is_weekday(&token), weekday, "{token:?}");
            }
        }
    }

    #[test]
    fn nonexistent_date_step_6() {
        assert_eq!(parse_cookie_date(b"31 Apr 2000 00:00:00"), None);
        assert_eq!(parse_cookie_date(b"29 Feb 2001 00:00:00"), None);
    }

    #[test]
    fn trailing_octets_after_fields() {
        assert_eq!(parse_cookie_date(b"10-Decembrrr-2007 17:02:24xyz"), at(2007, 12, 10, 17, 2, 24));
        // `time = hms-time [ non-digit *OCTET ]`: ":4" is a non-digit tail.
        assert_eq!(parse_cookie_date(b"1 Jan 2000 1:2:3:4"), at(2000, 1, 1, 1, 2, 3));
        assert_eq!(parse_cookie_date(b"1 Jan 2000 1:2:345"), None, "three-digit time-field");
    }
}
