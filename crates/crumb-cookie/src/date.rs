//! The cookie-date algorithm, RFC 6265bis §5.1.1, as Chromium runs it.
//!
//! Browsers do not parse `Expires` as an HTTP date: they tokenise on a wide set
//! of delimiters and pick out a time, a day, a month and a year in any order.
//! That is what this module does, on bytes, without allocating.
//!
//! Chromium (`ParseCookieExpirationTime` in `net/cookies/cookie_util.cc`) is
//! the reference where it departs from §5.1.1's grammar; what it does here
//! was measured in Chromium 156 (the `expiry/chromium-date-*` scenarios of
//! the differential). It classifies each token by its first byte and length
//! rather than by the productions' shapes, and a token must be all digits
//! where §5.1.1 allows a tail: a token that starts with a digit and holds a
//! ':' can only be the time (one that starts otherwise can only be the month), and
//! only as exactly three all-digit fields of any length (`000:00:00` is a
//! time, `00:00:00:00` and `00:00:00x` are not); an all-digit token of at most
//! two bytes is the day, one of at most five the year (`01970` is 1970, `1st`
//! and `1970x` are nothing). Every such place says "Chromium". On all 70 date
//! vectors of the http-state suite both give the same answer.

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
/// and year.
fn scan(input: &[u8]) -> Fields {
    let mut fields = Fields::default();
    // §5.1.1 step 1: split the cookie-date into date-tokens (Chromium's
    // delimiter set is the same).
    for token in input.split(|&b| is_delimiter(b)).filter(|t| !t.is_empty()) {
        // Chromium: a token is numeric when its first byte is a digit; every
        // other token can only be the month (§5.1.1 step 2.3).
        if !token[0].is_ascii_digit() {
            if fields.month.is_none() {
                fields.month = match_month(token);
            }
        } else if token.contains(&b':') {
            // Chromium: a numeric token holding ':' can only be the time
            // (§5.1.1 step 2.1); one that does not read as a time is skipped
            // rather than tried as a day or a year, and the first that does
            // is kept, in range or not (the range is checked at the end).
            if fields.time.is_none() {
                fields.time = match_time(token);
            }
        } else if !token.iter().all(u8::is_ascii_digit) {
            // Chromium: a numeric token with a non-digit tail is nothing
            // (§5.1.1 steps 2.2 and 2.4 read its leading digits).
        } else if fields.day_of_month.is_none() && token.len() <= 2 {
            // Chromium: the first all-digit token of at most two bytes is the
            // day (§5.1.1 step 2.2).
            fields.day_of_month = digits_value(token);
        } else if fields.year.is_none() && token.len() <= 5 {
            // Chromium: the next one of at most five bytes is the year
            // (§5.1.1 step 2.4 wants two to four digits: `01970` and `7` are
            // years here).
            fields.year = digits_value(token);
        }
    }
    fields
}

/// The value of an all-digit field, or `None` past `i32::MAX` (Chromium
/// reads fields as `int`; a time field that overflows is not a time).
fn digits_value(digits: &[u8]) -> Option<u32> {
    const LIMIT: u32 = i32::MAX as u32;
    digits.iter().try_fold(0u32, |n, &d| {
        let n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
        (n <= LIMIT).then_some(n)
    })
}

/// §5.1.1 steps 3–4: two-digit years.
fn widen_year(year: u32) -> u32 {
    match year {
        70..=99 => year + 1900,
        0..=69 => year + 2000,
        _ => year,
    }
}

/// Parses a cookie-date (RFC 6265bis §5.1.1) as Chromium does (see the
/// module's documentation: where the two differ, Chromium's answer; so
/// `10-Dec-2007 17:02:24xyz` and `1 Jan 2000 1:2:3:4`, dates for §5.1.1, are
/// none here). `None` means "failed to parse": the `Expires` attribute is
/// then ignored (§5.6.1 step 2).
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
    // §5.1.1 step 5: range checks. A five-digit year past 9999 is no date
    // here, as §5.1.1's four-digit grammar and the http-state vectors have
    // it: Chromium reads it as a far-off time that the 400-day cap (§5.5)
    // brings back, so the cookie is persistent there and a session cookie
    // here; both send it alike until the session ends.
    if !(1..=31).contains(&day) || !(1601..=9999).contains(&year) || hour > 23 || minute > 59 || second > 59 {
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
/// §5.1.1 step 5 rejects). Chromium reads such a date as the time it names,
/// long past, when it is a real date and time (29 February 1600 is, 1500's
/// is not; a second of 60 is not); the caller makes it the earliest time.
pub(crate) fn is_before_1601(input: &[u8]) -> bool {
    let fields = scan(input);
    let (Some((hour, minute, second)), Some(day), Some(month), Some(year)) =
        (fields.time, fields.day_of_month, fields.month, fields.year)
    else {
        return false;
    };
    let year = widen_year(year);
    year < 1601 && Timestamp::from_civil(i64::from(year), month, day, hour, minute, second).is_some()
}

/// `delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E` (§5.1.1).
fn is_delimiter(b: u8) -> bool {
    matches!(b, 0x09 | 0x20..=0x2F | 0x3B..=0x40 | 0x5B..=0x60 | 0x7B..=0x7E)
}

/// Chromium: a time is exactly three fields of one or more digits, of any
/// length, separated by ':' (§5.1.1's `time-field = 1*2DIGIT` refuses
/// `000:00:00`, and its `hms-time [ non-digit *OCTET ]` takes
/// `00:00:00:00`, `0:0:0:0` and `00:00:00x`; Chromium the other way round).
fn match_time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let mut parts = token.split(|&b| b == b':');
    let mut field = || {
        let digits = parts.next().filter(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))?;
        digits_value(digits)
    };
    let time = (field()?, field()?, field()?);
    parts.next().is_none().then_some(time)
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
                if !(1..=31).contains(&day) || !(1601..=9999).contains(&year) || hour > 23 || minute > 59 || second > 59
                {
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
        if !(1..=31).contains(&day) || !(1601..=9999).contains(&year) || hour > 23 || minute > 59 || second > 59 {
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
        assert_eq!(parse_cookie_date(b"10-Decembrrr-2007 17:02:24"), at(2007, 12, 10, 17, 2, 24));
        // Chromium: a time, a day or a year with a non-digit tail is nothing
        // (§5.1.1 reads the leading digits of each).
        assert_eq!(parse_cookie_date(b"10-Dec-2007 17:02:24xyz"), None);
        assert_eq!(parse_cookie_date(b"1 Jan 2000 1:2:3:4"), None);
        assert_eq!(parse_cookie_date(b"1 Jan 2000 1:2:345"), None, "345 seconds is out of range");
    }

    /// Chromium 156, as measured by the `expiry/chromium-date-*` scenarios:
    /// where it departs from §5.1.1's grammar.
    #[test]
    fn chromium_token_classes() {
        // Time fields of any length (§5.1.1: one or two digits).
        assert_eq!(parse_cookie_date(b"01 Jan 2030 000:00:00 GMT"), at(2030, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"01 Jan 2030 00:00:0000 GMT"), at(2030, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"01 Jan 2030 0:0:059"), at(2030, 1, 1, 0, 0, 59));
        // Exactly three fields, all digits (§5.1.1 takes these).
        assert_eq!(parse_cookie_date(b"01 Jan 2030 00:00:00:00 GMT"), None);
        assert_eq!(parse_cookie_date(b"0:0:0:0 1 Jan 2030"), None);
        assert_eq!(parse_cookie_date(b"01 Jan 2030 00:00:00x"), None);
        assert_eq!(parse_cookie_date(b"01 Jan 2030 00:00:00:"), None);
        // A token that is not a time is skipped and a later one counts;
        // a time out of range is kept and fails the date.
        assert_eq!(parse_cookie_date(b"01 Jan 2030 1:2 00:00:00:00 3:4:5"), at(2030, 1, 1, 3, 4, 5));
        assert_eq!(parse_cookie_date(b"01 Jan 2030 99999999999:00:00 3:4:5"), at(2030, 1, 1, 3, 4, 5));
        assert_eq!(parse_cookie_date(b"01 Jan 2030 00:00:99 00:00:00"), None);
        // Two fields are not a time, and not a day either (§5.1.1: the day 1).
        assert_eq!(parse_cookie_date(b"1:2 Jan 2030 00:00:00 GMT"), None);
        // A second time is skipped, not taken as the day (§5.1.1: the 13th).
        assert_eq!(parse_cookie_date(b"12:00:00 13:00:00 Jan 2030"), None);
        // Years of five digits and of one (§5.1.1: two to four).
        assert_eq!(parse_cookie_date(b"01 Jan 01970 00:00:00 GMT"), at(1970, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"01 Jan 02030 00:00:00 GMT"), at(2030, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"01 Jan 5 00:00:00 GMT"), at(2005, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"01 Jan 000 00:00:00 GMT"), at(2000, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"01 Jan 12345 00:00:00 GMT"), None, "past 9999: no date (see parse_cookie_date)");
        assert_eq!(
            parse_cookie_date(b"01 Jan 2030 123456 00:00:00 GMT"),
            at(2030, 1, 1, 0, 0, 0),
            "six bytes: skipped"
        );
        // Day and year are all digits: `1st`, `1x` and `1970x` are nothing (§5.1.1: 1, 1, 1970).
        assert_eq!(parse_cookie_date(b"Thu, 1st Jan 2030 00:00:00 GMT"), None);
        assert_eq!(parse_cookie_date(b"01 Jan 1st 2030 00:00:00"), at(2030, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"1x Jan 2030 00:00:00"), None);
        assert_eq!(parse_cookie_date(b"01 Jan 2030x 00:00:00 GMT"), None);
        assert_eq!(parse_cookie_date(b"001 Jan 2030 00:00:00 GMT"), None, "001 is a year, 2030 then nothing");
        // Only the first three letters of a month count; any token after the month is ignored.
        assert_eq!(parse_cookie_date(b"01 Janissary 2030 00:00:00 Feb"), at(2030, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"01 Foo Jan 2030 00:00:00"), at(2030, 1, 1, 0, 0, 0));
        assert_eq!(parse_cookie_date(b"01 xJan 2030 00:00:00"), None);
    }

    #[test]
    fn before_1601_is_long_past_only_as_a_real_date() {
        assert!(is_before_1601(b"01 Jan 1600 00:00:00"));
        assert!(is_before_1601(b"29 Feb 1600 00:00:00"));
        assert!(is_before_1601(b"01 Jan 100 00:00:00"));
        assert!(!is_before_1601(b"29 Feb 1500 00:00:00"), "1500 is no leap year (proleptic Gregorian)");
        assert!(!is_before_1601(b"31 Feb 1500 00:00:00"));
        assert!(!is_before_1601(b"32 Jan 1500 00:00:00"));
        assert!(!is_before_1601(b"01 Jan 1500 00:00:60"));
        assert!(!is_before_1601(b"01 Jan 1500 24:00:00"));
        assert!(!is_before_1601(b"01 Jan 1601 00:00:00"));
    }
}
