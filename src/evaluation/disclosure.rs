//! Secondary suppression. A count of 1 to 4 is hidden where it stands (`Cell::people`), but where
//! counts add up to a total, subtraction finds it again: a cohort from the 'totaal' row minus the
//! other cohorts, a category from `n` minus the other categories, partial returns from all
//! returns minus full ones. So in every such sum more cells are hidden, the smallest first, until
//! no hidden count is the only unknown of its sum and the hidden parts together are at least five
//! people.

use std::collections::HashMap;

use super::table::{Cell, MIN_CELL};

/// A cell: row and column.
pub type At = (usize, usize);

/// `total` is the sum of `parts`. Without a total cell the total is known all the same (a
/// distribution's percentages give it away).
pub struct Sum {
    pub total: Option<At>,
    pub parts: Vec<At>,
}

/// What [`Linked`] hides cells in: a table's rows, or only whether each cell is shown, which is
/// all the protection needs of a table that is not shown itself (`nested`).
pub trait Grid {
    /// A cell as it was before it was withheld, to put it back.
    type Was;
    fn hidden(&self, at: At) -> bool;
    /// Withholds a shown cell; returns it as it was.
    fn withhold(&mut self, at: At) -> Self::Was;
    fn put_back(&mut self, at: At, was: &Self::Was);
}

impl Grid for Vec<Vec<Cell>> {
    type Was = Cell;

    fn hidden(&self, at: At) -> bool {
        self[at.0][at.1].is_suppressed()
    }

    fn withhold(&mut self, at: At) -> Cell {
        std::mem::replace(&mut self[at.0][at.1], Cell::Withheld)
    }

    fn put_back(&mut self, at: At, was: &Cell) {
        self[at.0][at.1] = was.clone();
    }
}

/// A table's cells with the counts behind the cells that take part in sums, and the cells that
/// go with them (a percentage next to its count, a row's figures next to its `n`).
pub struct Linked<'a, G: Grid = Vec<Vec<Cell>>> {
    pub rows: &'a mut G,
    pub counts: HashMap<At, i64>,
    pub companions: HashMap<At, Vec<At>>,
}

impl<G: Grid> Linked<'_, G> {
    fn hidden(&self, at: At) -> bool {
        self.rows.hidden(at)
    }

    fn count(&self, at: At) -> i64 {
        self.counts.get(&at).copied().unwrap_or(0)
    }

    /// Hides `at` and its companions; `log` gets each cell it changes, as it was.
    fn hide(&mut self, at: At, log: &mut Vec<(At, G::Was)>) {
        for c in std::iter::once(at).chain(self.companions.get(&at).cloned().unwrap_or_default()) {
            if !self.rows.hidden(c) {
                log.push((c, self.rows.withhold(c)));
            }
        }
    }

    /// Puts back the cells a protection changed (its `log`), last first.
    pub fn undo(&mut self, log: &[(At, G::Was)]) {
        for (at, was) in log.iter().rev() {
            self.rows.put_back(*at, was);
        }
    }

    /// Hides the cells in `log` again, as the protection that wrote it did.
    pub fn redo(&mut self, log: &[(At, G::Was)]) {
        for (at, _) in log {
            self.rows.withhold(*at);
        }
    }

    /// Hides cells until every sum protects its hidden parts; returns how many it hid. A cell
    /// hidden where it stands (under five people) first takes its companions with it, as a cell
    /// hidden here does: a figure over the same people would tell its count again.
    pub fn protect(&mut self, sums: &[Sum]) -> usize {
        self.protect_with(sums, sums.len(), &mut Vec::new())
    }

    /// As [`Linked::protect`], but in the sums from `totals_first` on a shown total is hidden
    /// before a part: a wider scope's figure rather than that of one of the scopes in it
    /// (`nested`), which may cost fewer cells. `log` gets every cell changed, as it was.
    pub fn protect_with(&mut self, sums: &[Sum], totals_first: usize, log: &mut Vec<(At, G::Was)>) -> usize {
        let hidden_already: Vec<At> = self.companions.keys().copied().filter(|at| self.hidden(*at)).collect();
        for at in hidden_already {
            self.hide(at, log);
        }
        let mut hid = 0;
        // Each round hides at least one more cell, so this ends.
        loop {
            let mut changed = false;
            for (i, sum) in sums.iter().enumerate() {
                if let Some(at) = self.needs_more(sum, i >= totals_first) {
                    self.hide(at, log);
                    hid += 1;
                    changed = true;
                }
            }
            if !changed {
                return hid;
            }
        }
    }

    /// The cell to hide next for `sum`, if its hidden cells could be worked out.
    fn needs_more(&self, sum: &Sum, total_first: bool) -> Option<At> {
        let hidden_parts: Vec<At> = sum.parts.iter().copied().filter(|p| self.hidden(*p)).collect();
        let total_hidden = sum.total.is_some_and(|t| self.hidden(t));
        let unknowns = hidden_parts.len() + usize::from(total_hidden);
        let exposed = match unknowns {
            0 => false,
            // One unknown in one sum: subtraction gives it (a hidden 0 may be known: it is
            // nobody).
            1 => hidden_parts.iter().copied().chain(sum.total.filter(|_| total_hidden)).any(|at| self.count(at) > 0),
            // Only parts hidden: their sum is known, and it may still be a small group.
            _ if !total_hidden => (1..MIN_CELL).contains(&hidden_parts.iter().map(|p| self.count(*p)).sum::<i64>()),
            _ => false,
        };
        if !exposed {
            return None;
        }
        if let Some(t) = sum.total.filter(|t| total_first && !self.hidden(*t)) {
            return Some(t);
        }
        let smallest_shown = sum
            .parts
            .iter()
            .copied()
            .filter(|p| !self.hidden(*p) && self.count(*p) > 0)
            .min_by_key(|p| (self.count(*p), *p));
        smallest_shown.or(sum.total.filter(|t| !total_hidden && !self.hidden(*t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of counts as `Cell::people` shows them, with their counts.
    fn table(counts: &[&[i64]]) -> (Vec<Vec<Cell>>, HashMap<At, i64>) {
        let rows = counts.iter().map(|r| r.iter().map(|n| Cell::people(*n)).collect()).collect();
        let by_cell = counts
            .iter()
            .enumerate()
            .flat_map(|(r, row)| row.iter().enumerate().map(move |(c, n)| ((r, c), *n)))
            .collect();
        (rows, by_cell)
    }

    fn shown(rows: &[Vec<Cell>]) -> Vec<Vec<Option<i64>>> {
        rows.iter().map(|r| r.iter().map(|c| if let Cell::Int(n) = c { Some(*n) } else { None }).collect()).collect()
    }

    #[test]
    fn a_single_small_cohort_cannot_be_found_from_the_total() {
        // Cohorts of 10, 3 and 7; the total row 20.
        let (mut rows, counts) = table(&[&[10], &[3], &[7], &[20]]);
        let sums = [Sum { total: Some((3, 0)), parts: vec![(0, 0), (1, 0), (2, 0)] }];
        let hid = Linked { rows: &mut rows, counts, companions: HashMap::new() }.protect(&sums);
        assert_eq!(hid, 1);
        // The 7 goes too: the total now only gives 3 + 7 = 10 together.
        assert_eq!(shown(&rows), [[Some(10)], [None], [None], [Some(20)]]);
    }

    #[test]
    fn small_hidden_parts_together_are_hidden_further_and_large_ones_are_left() {
        // Categories 1 + 2 hidden (3 together, still small): one more; 2 + 3 = 5 is enough.
        let (mut rows, counts) = table(&[&[1, 2, 6, 9, 18]]);
        let sums = [Sum { total: Some((0, 4)), parts: vec![(0, 0), (0, 1), (0, 2), (0, 3)] }];
        Linked { rows: &mut rows, counts, companions: HashMap::new() }.protect(&sums);
        assert_eq!(shown(&rows), [[None, None, None, Some(9), Some(18)]]);
        let (mut rows, counts) = table(&[&[2, 3, 6, 11]]);
        let sums = [Sum { total: Some((0, 3)), parts: vec![(0, 0), (0, 1), (0, 2)] }];
        assert_eq!(Linked { rows: &mut rows, counts, companions: HashMap::new() }.protect(&sums), 0);
    }

    #[test]
    fn rows_and_columns_together_and_companions_go_along() {
        // Two cohorts by two categories with their n, and a total row:
        //   n  a  b
        //  12  9  3
        //   8  6  2
        //  20 15  5
        let (mut rows, counts) = table(&[&[12, 9, 3], &[8, 6, 2], &[20, 15, 5]]);
        let mut sums = Vec::new();
        for r in 0..3 {
            sums.push(Sum { total: Some((r, 0)), parts: vec![(r, 1), (r, 2)] });
        }
        for c in 0..3 {
            sums.push(Sum { total: Some((2, c)), parts: vec![(0, c), (1, c)] });
        }
        Linked { rows: &mut rows, counts, companions: HashMap::new() }.protect(&sums);
        // Every sum with a hidden cell has another hidden cell, and no small group is exposed.
        let s = shown(&rows);
        for sum in &sums {
            let cells: Vec<At> = sum.parts.iter().copied().chain(sum.total).collect();
            assert_ne!(cells.iter().filter(|(r, c)| s[*r][*c].is_none()).count(), 1, "{s:?}");
        }
        assert_eq!(s[2][0], Some(20), "the grand total stays");

        // A percentage goes with its count.
        let (mut rows, counts) = table(&[&[3, 7]]);
        rows[0].push(Cell::Dec(70.0));
        let companions = HashMap::from([((0, 1), vec![(0, 2)])]);
        let sums = [Sum { total: None, parts: vec![(0, 0), (0, 1)] }];
        Linked { rows: &mut rows, counts, companions }.protect(&sums);
        assert_eq!(rows[0], [Cell::Suppressed, Cell::Withheld, Cell::Withheld]);

        // A count hidden where it stands takes its companions too (a mean over the same people
        // would repeat it in its n), also where no sum asks for more.
        let (mut rows, counts) = table(&[&[3]]);
        rows[0].extend([Cell::Int(3), Cell::Dec(12.5)]);
        let companions = HashMap::from([((0, 0), vec![(0, 1), (0, 2)])]);
        assert_eq!(Linked { rows: &mut rows, counts, companions }.protect(&[]), 0);
        assert_eq!(rows[0], [Cell::Suppressed, Cell::Withheld, Cell::Withheld]);
    }
}
