//! Hive partition keys (`year=2021/month=11/…`) and the filters that prune them before listing.

use crate::error::{IoError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// `key OP value`, e.g. `year>=2021`.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionFilter {
    pub key: String,
    pub op: CompareOp,
    pub value: String,
}

impl PartitionFilter {
    /// Parses `year>=2021`, `month=11`, `region!=3`.
    pub fn parse(text: &str) -> Result<Self> {
        const OPS: &[(&str, CompareOp)] = &[
            (">=", CompareOp::Ge),
            ("<=", CompareOp::Le),
            ("!=", CompareOp::Ne),
            ("==", CompareOp::Eq),
            ("=", CompareOp::Eq),
            (">", CompareOp::Gt),
            ("<", CompareOp::Lt),
        ];
        for (symbol, op) in OPS {
            if let Some((key, value)) = text.split_once(symbol) {
                let (key, value) = (key.trim(), value.trim());
                if key.is_empty() || value.is_empty() {
                    break;
                }
                return Ok(Self { key: key.to_owned(), op: *op, value: value.to_owned() });
            }
        }
        Err(IoError::Invalid(format!(
            "partition filter `{text}`: expected KEY OP VALUE with OP one of = != < <= > >= (e.g. year>=2021)"
        )))
    }

    /// Whether a partition value passes. Numbers compare as numbers, anything else as text.
    pub fn accepts(&self, value: &str) -> bool {
        let ordering = match (value.parse::<f64>(), self.value.parse::<f64>()) {
            (Ok(a), Ok(b)) => a.partial_cmp(&b),
            _ => Some(value.cmp(self.value.as_str())),
        };
        let Some(ordering) = ordering else { return false };
        match self.op {
            CompareOp::Eq => ordering.is_eq(),
            CompareOp::Ne => ordering.is_ne(),
            CompareOp::Lt => ordering.is_lt(),
            CompareOp::Le => ordering.is_le(),
            CompareOp::Gt => ordering.is_gt(),
            CompareOp::Ge => ordering.is_ge(),
        }
    }
}

/// `key=value` from a path segment, if it is one.
#[cfg(not(target_arch = "wasm32"))]
pub fn parse_segment(segment: &str) -> Option<(String, String)> {
    let (key, value) = segment.split_once('=')?;
    (!key.is_empty()).then(|| (key.to_owned(), value.to_owned()))
}

/// Whether every filter on `key` accepts `value` (filters on other keys do not apply).
#[cfg(not(target_arch = "wasm32"))]
pub fn passes(filters: &[PartitionFilter], key: &str, value: &str) -> bool {
    filters.iter().filter(|f| f.key == key).all(|f| f.accepts(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_compare_numbers_as_numbers() {
        let f = PartitionFilter::parse("month>=9").unwrap();
        assert_eq!(f.op, CompareOp::Ge);
        assert!(f.accepts("11"));
        assert!(!f.accepts("8"));
        assert!(PartitionFilter::parse("year = 2021").unwrap().accepts("2021"));
        assert!(PartitionFilter::parse("name!=abc").unwrap().accepts("abd"));
        assert_eq!(
            PartitionFilter::parse("year").unwrap_err().to_string(),
            "partition filter `year`: expected KEY OP VALUE with OP one of = != < <= > >= (e.g. year>=2021)"
        );
        assert_eq!(parse_segment("year=2021"), Some(("year".into(), "2021".into())));
        assert_eq!(parse_segment("data"), None);
    }
}
