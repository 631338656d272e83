//! Export tables: typed columns with Dutch and English labels, and cells that may be suppressed.

use std::collections::BTreeMap;

/// Fewer people than this in a cell: the cell is suppressed.
pub const MIN_CELL: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Integer,
    Decimal,
    Boolean,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub key: String,
    pub nl: String,
    pub en: String,
    pub kind: Kind,
}

pub fn col(key: &str, nl: &str, en: &str, kind: Kind) -> Column {
    Column { key: key.into(), nl: nl.into(), en: en.into(), kind }
}

#[derive(Debug, Clone)]
pub struct TableSpec {
    pub key: String,
    pub nl: String,
    pub en: String,
    pub columns: Vec<Column>,
}

impl TableSpec {
    pub fn new(key: &str, nl: &str, en: &str, columns: Vec<Column>) -> TableSpec {
        TableSpec { key: key.into(), nl: nl.into(), en: en.into(), columns }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Dec(f64),
    Bool(bool),
    Null,
    /// About fewer than five people: left out on purpose.
    Suppressed,
    /// Left out although it is about five people or more, so that a suppressed cell cannot be
    /// worked out from it (secondary suppression, `disclosure`).
    Withheld,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// A number of people: 1 to 4 is suppressed (0 describes nobody).
    pub fn people(n: i64) -> Cell {
        if n > 0 && n < MIN_CELL {
            Cell::Suppressed
        } else {
            Cell::Int(n)
        }
    }

    /// A figure computed over `n` people: suppressed under five, empty for nobody.
    pub fn over(n: i64, value: Option<f64>) -> Cell {
        match value {
            _ if n > 0 && n < MIN_CELL => Cell::Suppressed,
            Some(v) if n > 0 && v.is_finite() => Cell::Dec((v * 100.0).round() / 100.0),
            _ => Cell::Null,
        }
    }

    /// A whole-number figure over `n` people (e.g. a minimum age).
    pub fn int_over(n: i64, value: Option<i64>) -> Cell {
        match value {
            _ if n > 0 && n < MIN_CELL => Cell::Suppressed,
            Some(v) if n > 0 => Cell::Int(v),
            _ => Cell::Null,
        }
    }

    /// `part` of `whole` people as a percentage (one decimal); suppressed when either is 1-4.
    pub fn percent(part: i64, whole: i64) -> Cell {
        if (part > 0 && part < MIN_CELL) || (whole > 0 && whole < MIN_CELL) {
            Cell::Suppressed
        } else if whole == 0 {
            Cell::Null
        } else {
            Cell::Dec((part as f64 * 1000.0 / whole as f64).round() / 10.0)
        }
    }

    /// `part` of `whole` people, where the rest (`whole - part`) is a group too (yes and no):
    /// suppressed when either is 1-4.
    pub fn people_of(part: i64, whole: i64) -> Cell {
        Self::unless_rest_is_small(part, whole, Cell::people(part))
    }

    /// [`Cell::percent`] of a yes-or-no share: also suppressed when the rest is 1-4 people.
    pub fn share(part: i64, whole: i64) -> Cell {
        Self::unless_rest_is_small(part, whole, Cell::percent(part, whole))
    }

    fn unless_rest_is_small(part: i64, whole: i64, cell: Cell) -> Cell {
        if (1..MIN_CELL).contains(&(whole - part)) {
            Cell::Suppressed
        } else {
            cell
        }
    }

    pub fn is_suppressed(&self) -> bool {
        matches!(self, Cell::Suppressed | Cell::Withheld)
    }
}

/// Running mean, standard deviation, minimum and maximum (Welford: one pass, constant memory).
#[derive(Debug, Clone, Default)]
pub struct Stat {
    n: i64,
    mean: f64,
    m2: f64,
    min: Option<f64>,
    max: Option<f64>,
}

impl Stat {
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
        self.min = Some(self.min.map_or(x, |m| m.min(x)));
        self.max = Some(self.max.map_or(x, |m| m.max(x)));
    }

    pub fn n(&self) -> i64 {
        self.n
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// Sample standard deviation (n - 1).
    pub fn sd(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2 / (self.n - 1) as f64).sqrt())
    }

    pub fn min(&self) -> Option<f64> {
        self.min
    }

    pub fn max(&self) -> Option<f64> {
        self.max
    }

    pub fn sum(&self) -> f64 {
        self.mean * self.n as f64
    }
}

/// Answers counted per category.
#[derive(Debug, Clone, Default)]
pub struct Dist {
    pub n: i64,
    pub counts: BTreeMap<String, i64>,
}

impl Dist {
    pub fn push(&mut self, category: &str) {
        self.n += 1;
        *self.counts.entry(category.to_string()).or_insert(0) += 1;
    }

    pub fn get(&self, category: &str) -> i64 {
        self.counts.get(category).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_sd() {
        let mut s = Stat::default();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            s.push(x);
        }
        assert_eq!(s.mean(), Some(5.0));
        assert!((s.sd().unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!((s.min(), s.max()), (Some(2.0), Some(9.0)));
    }

    #[test]
    fn four_people_are_suppressed_five_are_not() {
        assert_eq!(Cell::people(4), Cell::Suppressed);
        assert_eq!(Cell::people(5), Cell::Int(5));
        assert_eq!(Cell::people(0), Cell::Int(0));
        assert_eq!(Cell::over(4, Some(3.0)), Cell::Suppressed);
        assert_eq!(Cell::over(5, Some(3.333)), Cell::Dec(3.33));
        assert_eq!(Cell::percent(5, 4), Cell::Suppressed);
        assert_eq!(Cell::percent(5, 8), Cell::Dec(62.5));
        assert_eq!(Cell::percent(0, 8), Cell::Dec(0.0));
        // A yes-or-no share: eight of ten with a buddy tells that two had none.
        assert_eq!(Cell::share(8, 10), Cell::Suppressed);
        assert_eq!(Cell::people_of(8, 10), Cell::Suppressed);
        assert_eq!(Cell::share(5, 10), Cell::Dec(50.0));
        assert_eq!(Cell::share(10, 10), Cell::Dec(100.0));
        assert_eq!(Cell::people_of(10, 10), Cell::Int(10));
    }
}
