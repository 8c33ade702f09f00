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

    /// Parses `W,S,E,N` as users type it on the command line: longitudes within ±180, latitudes within ±90,
    /// west ≤ east (a box across the antimeridian is [`LonLatBox::parse_boxes`]'s).
    pub fn parse(text: &str) -> Result<Self, String> {
        let [west, south, east, north] = Self::parse_numbers(text)?;
        if west > east {
            return Err(format!(
                "bbox `{text}`: west is east of east; a box across the antimeridian is two boxes here: draw \
                 {west},{south},180,{north} and -180,{south},{east},{north}"
            ));
        }
        Ok(Self::new(west, south, east, north))
    }

    /// Parses `W,S,E,N` where west > east means a box across the antimeridian, returned as its two halves.
    pub fn parse_boxes(text: &str) -> Result<Vec<Self>, String> {
        let [west, south, east, north] = Self::parse_numbers(text)?;
        if west > east {
            return Ok(vec![Self::new(west, south, 180.0, north), Self::new(-180.0, south, east, north)]);
        }
        Ok(vec![Self::new(west, south, east, north)])
    }

    fn parse_numbers(text: &str) -> Result<[f64; 4], String> {
        let parts: Vec<f64> = text
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("bbox `{text}`: expected four numbers W,S,E,N"))?;
        let [west, south, east, north] = parts[..] else {
            return Err(format!("bbox `{text}`: expected four numbers W,S,E,N, got {}", parts.len()));
        };
        if !([west, east].iter().all(|x| (-180.0..=180.0).contains(x))) {
            return Err(format!("bbox `{text}`: longitudes must lie within -180..180 degrees"));
        }
        if !([south, north].iter().all(|y| (-90.0..=90.0).contains(y))) {
            return Err(format!("bbox `{text}`: latitudes must lie within -90..90 degrees"));
        }
        if south > north {
            return Err(format!("bbox `{text}`: south must be ≤ north"));
        }
        Ok([west, south, east, north])
    }

    /// `W,S,E,N` with up to 6 decimals (about 0.1 m), as `--bbox` takes it.
    pub fn to_text(&self) -> String {
        let round = |v: f64| format!("{:.6}", v).trim_end_matches('0').trim_end_matches('.').to_owned();
        format!("{},{},{},{}", round(self.west), round(self.south), round(self.east), round(self.north))
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
