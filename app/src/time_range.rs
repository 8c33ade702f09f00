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

/// UTC nanoseconds since 1970 as an RFC 3339 date-time to the nanosecond (`2019-05-01T12:30:00.000000001Z`),
/// which [`TimeRange::parse`] and `--filter` read back exactly.
pub fn utc_text(ns: i64) -> String {
    match arrow_array::temporal_conversions::timestamp_ns_to_datetime(ns) {
        Some(time) => time.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
        None => format!("{ns}"),
    }
}

/// Seconds since 1970 of a UTC date or date-time as [`crate::points::format_utc`] writes it (the viewer's time
/// range boxes); `None` when it is not one.
pub fn parse_utc_seconds(text: &str) -> Option<f64> {
    parse_utc_ns(text.trim()).ok().map(|ns| ns as f64 / 1e9)
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[.fff…][Z]` (a space for the `T`, or an offset such as `+02:00`, are taken
/// too), through arrow's RFC 3339 parser; no offset means UTC.
fn parse_utc_ns(text: &str) -> anyhow::Result<i64> {
    arrow_cast::parse::string_to_timestamp_nanos(text).map_err(|_| {
        anyhow::anyhow!("--time: `{text}` is not a UTC date (2019-05-01) or date-time (2019-05-01T12:30:00Z)")
    })
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
