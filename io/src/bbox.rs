//! Axis-aligned lon/lat bounding boxes, used for pushdown and for "zoom to layer".

use serde::{Deserialize, Serialize};

/// A lon/lat box in degrees: west, south, east, north.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LonLatBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl Default for LonLatBox {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl LonLatBox {
    /// The empty box: extending it with a point gives that point.
    pub const EMPTY: Self =
        Self { west: f64::INFINITY, south: f64::INFINITY, east: f64::NEG_INFINITY, north: f64::NEG_INFINITY };

    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Self {
        Self { west, south, east, north }
    }

    /// Parses `W,S,E,N` as users type it on the command line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<f64> = text
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("bbox `{text}`: expected four numbers W,S,E,N"))?;
        let [west, south, east, north] = parts[..] else {
            return Err(format!("bbox `{text}`: expected four numbers W,S,E,N, got {}", parts.len()));
        };
        if !(west <= east && south <= north) {
            return Err(format!("bbox `{text}`: west must be ≤ east and south ≤ north"));
        }
        Ok(Self::new(west, south, east, north))
    }

    pub fn is_empty(&self) -> bool {
        !(self.west <= self.east && self.south <= self.north)
    }

    pub fn extend(&mut self, lon: f64, lat: f64) {
        self.west = self.west.min(lon);
        self.east = self.east.max(lon);
        self.south = self.south.min(lat);
        self.north = self.north.max(lat);
    }

    pub fn union(&self, other: &Self) -> Self {
        Self {
            west: self.west.min(other.west),
            south: self.south.min(other.south),
            east: self.east.max(other.east),
            north: self.north.max(other.north),
        }
    }

    /// The overlap of two boxes (empty when they do not meet).
    pub fn intersection(&self, other: &Self) -> Self {
        Self {
            west: self.west.max(other.west),
            south: self.south.max(other.south),
            east: self.east.min(other.east),
            north: self.north.min(other.north),
        }
    }

    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        lon >= self.west && lon <= self.east && lat >= self.south && lat <= self.north
    }

    pub fn intersects(&self, other: &Self) -> bool {
        self.west <= other.east && other.west <= self.east && self.south <= other.north && other.south <= self.north
    }

    pub fn to_array(&self) -> [f64; 4] {
        [self.west, self.south, self.east, self.north]
    }
}
