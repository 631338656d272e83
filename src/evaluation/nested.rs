//! Protection across nested scopes. An export may be asked for all organisations, one
//! organisation or one cohort, and a figure of a wider scope is the sum of the same figure in
//! the scopes inside it. Two exports subtracted from each other would find a group that neither
//! shows: an organisation minus one of its cohorts is its other cohorts. So the figures of every
//! scope a caller may ask for are protected together, as one table with the sums between the
//! scopes added, and an export shows its own scope's part: whichever exports are put side by
//! side, a hidden count stays hidden (for the same data; a later export has other counts).

use std::collections::HashMap;

use super::dataset::{Record, Scope};
use super::disclosure::{At, Grid, Linked, Sum};
use super::table::Cell;

/// A scope figures are added up for: all organisations, one organisation or one cohort (a
/// cohort lies in one organisation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Node {
    pub organization: Option<String>,
    pub cohort: Option<String>,
}

impl Node {
    /// The scopes from `widest` down that hold `r`: itself, its organisation and its cohort.
    pub fn path(widest: &Scope, r: &Record) -> Vec<Node> {
        let org = Some(r.organization_id.clone());
        let cohort = Node { organization: org.clone(), cohort: Some(r.cohort_id.clone()) };
        match (&widest.organization, &widest.cohort) {
            (_, Some(_)) => vec![cohort],
            (Some(_), None) => vec![Node { organization: org, cohort: None }, cohort],
            (None, None) => vec![Node::default_all(), Node { organization: org, cohort: None }, cohort],
        }
    }

    fn default_all() -> Node {
        Node { organization: None, cohort: None }
    }

    /// The scope an export asked for (a cohort is known by its id alone).
    pub fn is(&self, scope: &Scope) -> bool {
        match (&scope.organization, &scope.cohort) {
            (_, Some(c)) => self.cohort.as_ref() == Some(c),
            (o, None) => self.cohort.is_none() && self.organization == *o,
        }
    }

    /// Whether `other` lies within this scope (a scope lies within itself).
    pub fn holds(&self, other: &Node) -> bool {
        (self.organization.is_none() || self.organization == other.organization)
            && (self.cohort.is_none() || self.cohort == other.cohort)
    }

    /// The scope this one lies directly within, among `nodes`.
    pub fn parent_in(&self, nodes: &[&Node]) -> Option<usize> {
        let up = match (&self.organization, &self.cohort) {
            (Some(o), Some(_)) => Node { organization: Some(o.clone()), cohort: None },
            (Some(_), None) => Node::default_all(),
            (None, _) => return None,
        };
        nodes.iter().position(|n| **n == up)
    }
}

/// One scope's table before protection.
pub struct Piece {
    pub rows: Vec<Vec<Cell>>,
    /// What each row is about (a step, a measure, a coach). A row with the same key in a scope
    /// and in the scopes within it is the same figure over nested groups; rows missing in a
    /// narrower scope count nobody.
    pub keys: Vec<String>,
    /// The people behind the cells that are counts; these add up across scopes.
    pub counts: HashMap<At, i64>,
    /// Cells that go with a count (a percentage, a row's figures next to its `n`).
    pub companions: HashMap<At, Vec<At>>,
    /// Sums within the scope's own tables.
    pub sums: Vec<Sum>,
    /// Per row, the columns shown: those after them only help the protection (the 'no' beside
    /// a count of 'yes') and are dropped.
    pub widths: Vec<usize>,
    /// Cells whose hiding hides more than itself once shown (a coach's count takes their other
    /// figures along): how many shown cells each stands for; others stand for one.
    pub weights: HashMap<At, usize>,
}

impl Piece {
    pub fn new(rows: Vec<Vec<Cell>>, keys: Vec<String>, width: usize) -> Piece {
        assert_eq!(rows.len(), keys.len(), "a key per row");
        let widths = vec![width; rows.len()];
        Piece {
            rows,
            keys,
            counts: HashMap::new(),
            companions: HashMap::new(),
            sums: Vec::new(),
            widths,
            weights: HashMap::new(),
        }
    }

    /// Adds a row shown whole.
    pub fn push(&mut self, row: Vec<Cell>, key: String) {
        self.widths.push(row.len());
        self.rows.push(row);
        self.keys.push(key);
    }

    /// Adds another table's rows after these (its keys prefixed with `table`), with its counts,
    /// companions and sums, so that tables which show the same counts are protected as one;
    /// returns the index of its first row.
    pub fn append(&mut self, table: &str, other: Piece) -> usize {
        let o = self.rows.len();
        let shift = |at: &At| (at.0 + o, at.1);
        self.rows.extend(other.rows);
        self.keys.extend(other.keys.into_iter().map(|k| format!("{table}/{k}")));
        self.widths.extend(other.widths);
        self.weights.extend(other.weights.iter().map(|(at, w)| (shift(at), *w)));
        self.counts.extend(other.counts.iter().map(|(at, n)| (shift(at), *n)));
        self.companions.extend(other.companions.iter().map(|(at, with)| (shift(at), with.iter().map(shift).collect())));
        self.sums.extend(
            other
                .sums
                .iter()
                .map(|s| Sum { total: s.total.map(|t| shift(&t)), parts: s.parts.iter().map(shift).collect() }),
        );
        o
    }
}

/// Whether a cell is shown, which is all the protection needs to know of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Shown, but empty (nobody to show a figure of): withholding it costs nothing.
    Empty,
    Value,
    /// Under five people where it stands (`Cell::Suppressed`).
    Suppressed,
    Withheld,
}

impl Shown {
    fn of(cell: &Cell) -> Shown {
        match cell {
            Cell::Null => Shown::Empty,
            Cell::Suppressed => Shown::Suppressed,
            Cell::Withheld => Shown::Withheld,
            _ => Shown::Value,
        }
    }
}

/// Every scope's cells, as whether each is shown. A table of an export of many coaches has
/// tens of thousands of rows per scope, and most scopes are not shown: their rows are let go
/// as they come in, so an export holds a byte per cell instead of the cells themselves.
struct Cells {
    shown: Vec<Shown>,
    /// Per cell, how many shown cells withholding it stands for (`Piece::weights`).
    weights: Vec<u8>,
    /// Where each row's cells begin in `shown`, and where the last one ends.
    starts: Vec<usize>,
    /// Per row, how many of its columns are shown (none for a group no child shows).
    widths: Vec<usize>,
}

impl Cells {
    fn new() -> Cells {
        Cells { shown: Vec::new(), weights: Vec::new(), starts: vec![0], widths: Vec::new() }
    }

    fn rows(&self) -> usize {
        self.widths.len()
    }

    fn row_len(&self, row: usize) -> usize {
        self.starts[row + 1] - self.starts[row]
    }

    fn push_row(&mut self, row: &[Cell], width: usize) {
        self.shown.extend(row.iter().map(Shown::of));
        self.weights.extend(std::iter::repeat_n(1, row.len()));
        self.starts.push(self.shown.len());
        self.widths.push(width);
    }

    fn index(&self, at: At) -> usize {
        assert!(at.1 < self.row_len(at.0), "a cell within its row");
        self.starts[at.0] + at.1
    }

    fn get(&self, at: At) -> Shown {
        self.shown[self.index(at)]
    }

    /// The shown cells a protection withholds (its `log`): not the helper columns, the groups
    /// no child shows, nor an empty cell; a cell with a weight counts as that many.
    fn cost(&self, log: &[(At, Shown)]) -> usize {
        log.iter()
            .filter(|(at, was)| at.1 < self.widths[at.0] && *was != Shown::Empty)
            .map(|(at, _)| usize::from(self.weights[self.index(*at)]))
            .sum()
    }
}

impl Grid for Cells {
    type Was = Shown;

    fn hidden(&self, at: At) -> bool {
        matches!(self.get(at), Shown::Suppressed | Shown::Withheld)
    }

    fn withhold(&mut self, at: At) -> Shown {
        let i = self.index(at);
        std::mem::replace(&mut self.shown[i], Shown::Withheld)
    }

    fn put_back(&mut self, at: At, was: &Shown) {
        let i = self.index(at);
        self.shown[i] = *was;
    }
}

/// Protects the pieces of every scope together. `parent[i]` is the scope that scope `i` lies
/// directly within; a scope's count is the sum of its children's, and a part of it that no
/// child shows (people outside every listed child) is a group of its own. Returns, per scope in
/// the order given, its first `keep[i]` rows as the protection leaves them (an export shows
/// one scope's tables and a row of some others); the pieces are read one by one and the rows
/// not kept let go at once.
pub fn protect(
    pieces: impl IntoIterator<Item = Piece>,
    parent: &[Option<usize>],
    keep: &[usize],
) -> Vec<Vec<Vec<Cell>>> {
    assert_eq!(keep.len(), parent.len(), "a number of rows to keep per scope");
    let mut cells = Cells::new();
    let mut counts = HashMap::new();
    let mut companions: HashMap<At, Vec<At>> = HashMap::new();
    let mut sums = Vec::new();
    let mut offsets = Vec::with_capacity(parent.len());
    let mut kept = Vec::with_capacity(parent.len());
    // Each row's key as a number: the same key in many scopes (a coach's id in every scope the
    // coach works in) is held once.
    let mut names: HashMap<String, u32> = HashMap::new();
    let mut keys: Vec<Vec<u32>> = Vec::with_capacity(parent.len());
    for (i, p) in pieces.into_iter().enumerate() {
        let o = cells.rows();
        let shift = |at: &At| (at.0 + o, at.1);
        offsets.push(o);
        for (row, width) in p.rows.iter().zip(&p.widths) {
            cells.push_row(row, *width);
        }
        for (at, w) in &p.weights {
            let c = cells.index(shift(at));
            cells.weights[c] = u8::try_from(*w).unwrap_or(u8::MAX);
        }
        counts.extend(p.counts.iter().map(|(at, n)| (shift(at), *n)));
        companions.extend(p.companions.into_iter().map(|(at, with)| (shift(&at), with.iter().map(shift).collect())));
        sums.extend(
            p.sums
                .into_iter()
                .map(|s| Sum { total: s.total.map(|t| shift(&t)), parts: s.parts.iter().map(shift).collect() }),
        );
        let key = |k: String| {
            let next = u32::try_from(names.len()).expect("fewer than 2^32 keys");
            *names.entry(k).or_insert(next)
        };
        keys.push(p.keys.into_iter().map(key).collect());
        let mut rows = p.rows;
        rows.truncate(keep.get(i).copied().unwrap_or(0));
        rows.shrink_to_fit();
        kept.push(rows);
    }
    assert_eq!(offsets.len(), parent.len(), "a parent per scope");
    drop(names);
    // The sums between scopes come after those within each.
    let within = sums.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); parent.len()];
    for (ch, up) in parent.iter().enumerate() {
        if let Some(up) = up {
            children[*up].push(ch);
        }
    }
    for node in 0..parent.len() {
        let children = &children[node];
        if children.is_empty() {
            continue;
        }
        let row_of: Vec<HashMap<u32, usize>> =
            children.iter().map(|ch| keys[*ch].iter().enumerate().map(|(r, k)| (*k, r)).collect()).collect();
        // In a fixed order (row by row, column by column): which cell `protect` hides first
        // must not differ between two runs.
        for (r, key) in keys[node].iter().enumerate() {
            let at_row = offsets[node] + r;
            for c in 0..cells.row_len(at_row) {
                let Some(&total) = counts.get(&(at_row, c)) else { continue };
                let mut parts = Vec::new();
                let mut within_children = 0;
                for (j, &ch) in children.iter().enumerate() {
                    let found = row_of[j].get(key).and_then(|rc| {
                        let at = (offsets[ch] + rc, c);
                        counts.get(&at).map(|n| (at, *n))
                    });
                    if let Some((at, n)) = found {
                        parts.push(at);
                        within_children += n;
                    }
                }
                let rest = total - within_children;
                // More in the children than in the scope: not a partition, so not a sum.
                if rest < 0 {
                    continue;
                }
                if rest > 0 {
                    // A group no child shows: known from the sum, protected if it is small.
                    let at = (cells.rows(), c);
                    let mut row = vec![Cell::Withheld; c];
                    row.push(Cell::people(rest));
                    cells.push_row(&row, 0);
                    counts.insert(at, rest);
                    parts.push(at);
                }
                sums.push(Sum { total: Some((at_row, c)), parts });
            }
        }
    }
    drop(keys);
    // Hiding the smallest part first keeps the wider scopes' figures, but a part hidden in one
    // sum may have to take more cells with it in others (a cohort's count of those without a
    // course, then its buckets, then its `n`). Hiding the wider scope's figure first may cost
    // fewer: both are worked out, and the one that withholds fewer shown cells is kept (the
    // same for every export of the caller, since both depend on the data alone).
    let mut linked = Linked { rows: &mut cells, counts, companions };
    let mut parts_first = Vec::new();
    linked.protect_with(&sums, sums.len(), &mut parts_first);
    linked.undo(&parts_first);
    let mut totals_first = Vec::new();
    linked.protect_with(&sums, within, &mut totals_first);
    if linked.rows.cost(&totals_first) >= linked.rows.cost(&parts_first) {
        linked.undo(&totals_first);
        linked.redo(&parts_first);
    }
    drop(linked);
    kept.into_iter()
        .zip(offsets)
        .map(|(mut rows, o)| {
            for (r, row) in rows.iter_mut().enumerate() {
                for (c, cell) in row.iter_mut().enumerate() {
                    if cells.get((o + r, c)) == Shown::Withheld && !cell.is_suppressed() {
                        *cell = Cell::Withheld;
                    }
                }
                row.truncate(cells.widths[o + r]);
            }
            rows
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row ("n") per scope with its count.
    fn piece(n: i64) -> Piece {
        let mut p = Piece::new(vec![vec![Cell::text("n"), Cell::people(n)]], vec!["n".into()], 2);
        p.counts.insert((0, 1), n);
        p
    }

    fn shown(out: &[Vec<Vec<Cell>>]) -> Vec<Option<i64>> {
        out.iter().map(|rows| if let Cell::Int(n) = rows[0][1] { Some(n) } else { None }).collect()
    }

    #[test]
    fn scopes_know_what_they_hold_and_lie_within() {
        let node =
            |o: Option<&str>, c: Option<&str>| Node { organization: o.map(String::from), cohort: c.map(String::from) };
        let (all, org, cohort, other) =
            (node(None, None), node(Some("o"), None), node(Some("o"), Some("c")), node(Some("p"), Some("d")));
        assert!(all.holds(&cohort) && org.holds(&cohort) && cohort.holds(&cohort));
        assert!(!org.holds(&other) && !cohort.holds(&org));
        let nodes = [&all, &org, &cohort];
        assert_eq!((all.parent_in(&nodes), org.parent_in(&nodes), cohort.parent_in(&nodes)), (None, Some(0), Some(1)));
        // Without all organisations among the scopes, an organisation is the widest.
        assert_eq!(org.parent_in(&[&org, &cohort]), None);
        // A cohort asked for by its id alone.
        let asked =
            |o: Option<&str>, c: Option<&str>| Scope { organization: o.map(String::from), cohort: c.map(String::from) };
        assert!(cohort.is(&asked(None, Some("c"))) && cohort.is(&asked(Some("o"), Some("c"))));
        assert!(org.is(&asked(Some("o"), None)) && !cohort.is(&asked(Some("o"), None)) && all.is(&asked(None, None)));
    }

    #[test]
    fn an_organisation_minus_its_cohort_does_not_give_the_other_cohort() {
        // Organisation of 12: cohorts of 9 and 3. Alone, the 9 would be shown in its own export
        // and the 12 in the organisation's: 12 - 9 = 3. Together, the 9 goes.
        let out = protect(vec![piece(12), piece(9), piece(3)], &[None, Some(0), Some(0)], &[1; 3]);
        assert_eq!(shown(&out), [Some(12), None, None]);
        // Cohorts of 6 and 6: nothing to hide.
        let out = protect(vec![piece(12), piece(6), piece(6)], &[None, Some(0), Some(0)], &[1; 3]);
        assert_eq!(shown(&out), [Some(12), Some(6), Some(6)]);
    }

    #[test]
    fn only_the_rows_asked_for_come_back_protected_as_with_all_of_them() {
        // The 9 is withheld whether or not its rows are kept.
        let out = protect(vec![piece(12), piece(9), piece(3)], &[None, Some(0), Some(0)], &[0, 1, 0]);
        assert!(out[0].is_empty() && out[2].is_empty());
        assert_eq!(out[1], [vec![Cell::text("n"), Cell::Withheld]]);
    }

    #[test]
    fn three_levels_and_a_remainder_no_child_shows() {
        // All: 30 = organisation A (20: cohorts 17 and 3) + organisation B (10, no cohort listed).
        let out = protect(
            vec![piece(30), piece(20), piece(10), piece(17), piece(3)],
            &[None, Some(0), Some(0), Some(1), Some(1)],
            &[1; 5],
        );
        let s = shown(&out);
        assert_eq!(s[4], None);
        assert_eq!(s[3], None, "17 would give the 3 from the 20");
        assert_eq!((s[0], s[1], s[2]), (Some(30), Some(20), Some(10)));
        // A scope with people outside its listed children: the rest is a hidden part. 10 = 8 + 2
        // unlisted: the 8 goes.
        let out = protect(vec![piece(10), piece(8)], &[None, Some(0)], &[1; 2]);
        assert_eq!(shown(&out), [Some(10), None]);
    }

    #[test]
    fn rows_are_matched_by_key_and_helper_columns_are_dropped() {
        let mut a = Piece::new(
            vec![
                vec![Cell::text("x"), Cell::people(7), Cell::Int(0)],
                vec![Cell::text("y"), Cell::people(5), Cell::Int(0)],
            ],
            vec!["x".into(), "y".into()],
            2,
        );
        a.counts.extend([((0, 1), 7), ((1, 1), 5)]);
        // The children list "y" only: the 7 of "x" are outside them, a group of its own.
        let mut b = Piece::new(vec![vec![Cell::text("y"), Cell::people(2), Cell::Int(0)]], vec!["y".into()], 2);
        b.counts.insert((0, 1), 2);
        let mut c = Piece::new(vec![vec![Cell::text("y"), Cell::people(3), Cell::Int(0)]], vec!["y".into()], 2);
        c.counts.insert((0, 1), 3);
        let out = protect(vec![a, b, c], &[None, Some(0), Some(0)], &[2, 1, 1]);
        assert_eq!(out[0][0], [Cell::text("x"), Cell::Int(7)]);
        // 2 + 3 hidden in the children, together 5: the 5 stays.
        assert_eq!(out[0][1], [Cell::text("y"), Cell::Int(5)]);
        assert!(out[1][0][1].is_suppressed() && out[2][0][1].is_suppressed());
    }
}
