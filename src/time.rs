//! Capture time.
//!
//! Every clock in tlssniff is the capture's: timeouts, the fallback window and
//! handshake latency are computed from packet timestamps, never from the wall
//! clock, so the same capture gives the same report on any machine. (Live
//! capture alone lets capture time run on while no packet comes; see
//! `pipeline::input`.)

use std::fmt;

/// A packet timestamp: nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);

    pub fn from_parts(secs: u64, nanos: u64) -> Timestamp {
        Timestamp(secs.saturating_mul(1_000_000_000).saturating_add(nanos))
    }

    pub fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

/// A span of capture time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    pub fn from_secs(s: u64) -> Duration {
        Duration(s.saturating_mul(1_000_000_000))
    }

    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    pub fn as_micros(self) -> u64 {
        self.0 / 1_000
    }
}

/// RFC 3339 in UTC with microseconds: `2026-11-21T23:01:42.123456Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.secs();
        let micros = (self.0 % 1_000_000_000) / 1_000;
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        let rem = secs % 86_400;
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            rem / 3600,
            (rem / 60) % 60,
            rem % 60
        )
    }
}

/// Seconds since 1970 (UTC; before 1970 negative), RFC 3339 to the second:
/// `2021-01-01T00:00:00Z` (certificate validity).
pub fn format_unix_secs(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// A (year, month, day) to days since 1970-01-01: the inverse of
/// [`civil_from_days`] (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An ISO 8601 / RFC 3339 date-time with a UTC offset (or `Z`), as .NET
/// writes it: `2020-09-01T13:57:56.7065849-06:00` (any number of fraction
/// digits; beyond nine ignored). `None` for anything else, or before 1970.
pub fn parse_iso8601(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let num = |t: &str| -> Option<u32> {
        t.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| t.parse().ok())
            .flatten()
    };
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, mo, da) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let (clock, offset_secs) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0i64)
    } else {
        let at = time.rfind(['+', '-'])?;
        let (c, off) = time.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off.get(1..)?.split_once(':')?;
        (
            c,
            sign * (i64::from(num(oh)?) * 3600 + i64::from(num(om)?) * 60),
        )
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.splitn(3, ':');
    let (h, mi, se) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let digits = frac.get(..frac.len().min(9)).unwrap_or_default();
    let mut nanos = if digits.is_empty() { 0 } else { num(digits)? };
    for _ in digits.len()..9 {
        nanos *= 10;
    }
    let days = days_from_civil(i64::from(y), mo, da);
    let secs =
        days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(se) - offset_secs;
    Some(Timestamp::from_parts(
        u64::try_from(secs).ok()?,
        u64::from(nanos),
    ))
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
/// Howard Hinnant's `civil_from_days` algorithm (public domain description).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_with_microseconds() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        // 2026-11-21T23:01:42.123456789Z, checked with `date -u -d @1795302102`.
        let ts = Timestamp::from_parts(1_795_302_102, 123_456_789);
        assert_eq!(ts.to_string(), "2026-11-21T23:01:42.123456Z");
        // Leap day.
        assert_eq!(
            Timestamp::from_parts(951_782_400, 0).to_string(),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn unix_seconds_either_side_of_1970() {
        assert_eq!(format_unix_secs(1_609_459_200), "2021-01-01T00:00:00Z");
        assert_eq!(format_unix_secs(-1), "1969-12-31T23:59:59Z");
        // 9999-12-31T23:59:59Z, the largest GeneralizedTime (RFC 5280 §4.1.2.5).
        assert_eq!(format_unix_secs(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn iso8601_with_offsets_reads_as_utc() {
        // `date -u -d 2020-09-01T13:57:56.7065849-06:00 +%s.%N` = 1598990276.706584900
        assert_eq!(
            parse_iso8601("2020-09-01T13:57:56.7065849-06:00"),
            Some(Timestamp::from_parts(1_598_990_276, 706_584_900))
        );
        assert_eq!(
            parse_iso8601("2023-04-06T14:35:55.0103679+02:00").map(|t| t.to_string()),
            Some("2023-04-06T12:35:55.010367Z".into())
        );
        assert_eq!(
            parse_iso8601("2000-02-29T00:00:00Z"),
            Some(Timestamp::from_parts(951_782_400, 0))
        );
        // .NET's "no time" value, and garbage, are no time.
        assert_eq!(parse_iso8601("0001-01-01T00:00:00"), None);
        assert_eq!(parse_iso8601("yesterday"), None);
        assert_eq!(parse_iso8601("2020-13-01T00:00:00Z"), None);
    }

    #[test]
    fn since_saturates() {
        assert_eq!(Timestamp(5).since(Timestamp(9)), Duration(0));
        assert_eq!(Timestamp(9).since(Timestamp(5)), Duration(4));
    }
}
