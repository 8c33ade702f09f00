//! Times as people read them: UTC nanoseconds (what every reader produces) as ISO 8601 text.

/// `2019-11-15T12:30:00.123456789Z`; a time outside chrono's range prints as nanoseconds.
pub fn utc_text(ns: i64) -> String {
    match arrow_array::temporal_conversions::timestamp_ns_to_datetime(ns) {
        Some(time) => time.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
        None => format!("{ns} ns"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nanoseconds_print_as_utc() {
        // `date -ud @1575464245` → 2019-12-04T12:57:25Z.
        assert_eq!(super::utc_text(1_575_464_245_755_481_344), "2019-12-04T12:57:25.755481344Z");
    }
}
