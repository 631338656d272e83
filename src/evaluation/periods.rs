//! Which trajectory a person's own data belongs to. Course progress, group invitations and buddy
//! pairs are kept per employee, not per trajectory; an employee who starts a second trajectory
//! after the first ended would otherwise have them counted on both rows of an export.

use std::collections::HashMap;

use chrono::NaiveDateTime;

/// The trajectories of some employees, each employee's in the order they began.
#[derive(Debug, Default)]
pub struct Periods {
    by_employee: HashMap<String, Vec<(NaiveDateTime, String)>>,
}

impl Periods {
    /// From (trajectory id, employee id, created at) rows, in any order.
    pub fn new(rows: impl IntoIterator<Item = (String, String, NaiveDateTime)>) -> Self {
        let mut by_employee: HashMap<String, Vec<(NaiveDateTime, String)>> = HashMap::new();
        for (trajectory, employee, created) in rows {
            by_employee.entry(employee).or_default().push((created, trajectory));
        }
        for v in by_employee.values_mut() {
            v.sort();
        }
        Periods { by_employee }
    }

    /// The trajectory of `employee` that had begun at `at`: the latest one begun by then. An
    /// employee has one open trajectory at a time, so that is the one the row was made in.
    /// Something from before the first trajectory (an account used before it) belongs to the
    /// first. `None` for an employee without trajectories.
    pub fn owner(&self, employee: &str, at: NaiveDateTime) -> Option<&str> {
        let v = self.by_employee.get(employee)?;
        let begun = v.partition_point(|(created, _)| *created <= at);
        v.get(begun.saturating_sub(1)).map(|(_, id)| id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap().and_hms_opt(9, 0, 0).unwrap()
    }

    #[test]
    fn a_row_belongs_to_the_trajectory_begun_before_it() {
        let p = Periods::new([
            ("t2".to_string(), "e".to_string(), at(10)),
            ("t1".to_string(), "e".to_string(), at(1)),
            ("x".to_string(), "other".to_string(), at(5)),
        ]);
        assert_eq!(p.owner("e", at(1)), Some("t1"), "made as the trajectory began");
        assert_eq!(p.owner("e", at(9)), Some("t1"));
        assert_eq!(p.owner("e", at(10)), Some("t2"));
        assert_eq!(p.owner("e", at(20)), Some("t2"));
        assert_eq!(p.owner("e", at(1) - chrono::Duration::days(3)), Some("t1"), "before the first: the first");
        assert_eq!(p.owner("other", at(1)), Some("x"));
        assert_eq!(p.owner("nobody", at(1)), None);
    }
}
