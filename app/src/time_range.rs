//! `--time START..END`: UTC dates or date-times, either end open (`2019-05-01..`, `..2019-06-01T12:00:00Z`).

/// A half-open range of UTC nanoseconds since 1970.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub start_ns: i64,
    pub end_ns: i64,
}

impl TimeRange {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let (start, end) =
            text.split_once("..").ok_or_else(|| anyhow::anyhow!("--time `{text}`: expected START..END"))?;
        let bound = |part: &str, open: i64| {
            if part.trim().is_empty() { Ok(open) } else { parse_utc_ns(part.trim()) }
        };
        let range = Self { start_ns: bound(start, i64::MIN)?, end_ns: bound(end, i64::MAX)? };
        anyhow::ensure!(range.start_ns < range.end_ns, "--time `{text}`: the start must be before the end");
        Ok(range)
    }

    pub fn contains(&self, ns: i64) -> bool {
        ns >= self.start_ns && ns < self.end_ns
    }
}

/// Seconds since 1970 of a UTC date or date-time as [`crate::points::format_utc`] writes it (the viewer's time
/// range boxes); `None` when it is not one.
pub fn parse_utc_seconds(text: &str) -> Option<f64> {
    parse_utc_ns(text.trim()).ok().map(|ns| ns as f64 / 1e9)
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[.fff…][Z]`, UTC.
fn parse_utc_ns(text: &str) -> anyhow::Result<i64> {
    let bad = || anyhow::anyhow!("--time: `{text}` is not a UTC date (2019-05-01) or date-time (2019-05-01T12:30:00Z)");
    let (date, clock) = match text.split_once(['T', ' ']) {
        Some((date, clock)) => (date, Some(clock.trim_end_matches('Z'))),
        None => (text, None),
    };
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i64>());
    let (Some(Ok(year)), Some(Ok(month)), Some(Ok(day))) = (ymd.next(), ymd.next(), ymd.next()) else {
        return Err(bad());
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    let mut nanos = 0;
    if let Some(clock) = clock {
        let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
        let mut parts = hms.splitn(3, ':').map(|p| p.parse::<i64>());
        let (Some(Ok(h)), Some(Ok(m)), Some(Ok(s))) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if h > 23 || m > 59 || s > 60 || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        seconds += h * 3600 + m * 60 + s;
        nanos = format!("{fraction:0<9}").parse::<i64>().map_err(|_| bad())?;
    }
    seconds.checked_mul(1_000_000_000).and_then(|ns| ns.checked_add(nanos)).ok_or_else(bad)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_parse_to_utc_nanoseconds() {
        // 2019-05-01T00:00:00Z = 1556668800 s (date -ud 2019-05-01 +%s).
        let range = TimeRange::parse("2019-05-01..2019-05-01T12:30:00.25Z").unwrap();
        assert_eq!(range.start_ns, 1_556_668_800_000_000_000);
        assert_eq!(range.end_ns, 1_556_668_800_000_000_000 + 45_000_250_000_000);
        assert_eq!(TimeRange::parse("..1970-01-02").unwrap().end_ns, 86_400_000_000_000);
        assert_eq!(TimeRange::parse("2000-03-01..").unwrap().start_ns, 951_868_800_000_000_000);
        assert!(TimeRange::parse("2019-05-02..2019-05-01").is_err());
        assert_eq!(parse_utc_seconds("2021-11-03 10:00:00"), Some(1_635_933_600.0));
        assert_eq!(parse_utc_seconds("yesterday"), None);
        assert_eq!(
            TimeRange::parse("2019-13-01..").unwrap_err().to_string(),
            "--time: `2019-13-01` is not a UTC date (2019-05-01) or date-time (2019-05-01T12:30:00Z)"
        );
    }
}
