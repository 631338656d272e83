//! Whether an item's mean and sd give back a count its distribution hides. The distribution of an
//! item hides counts of 1 to 4 people (and more, so that subtraction cannot find them), but its
//! mean and sd over the same people are more facts about the same counts: with `n`, their sum and
//! their sum of squares. For a yes/no item the mean is the share 'yes' itself; for a scale, two
//! hidden counts follow from n and the mean, three from n, mean and sd. So the hidden counts are
//! worked out as a reader could, from what the tables show (the two-decimal rounding and what
//! each mark tells included), and a figure is withheld while any hidden count comes out the same
//! in every possible answer.

use super::table::MIN_CELL;

/// What the distribution shows of one answer's count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shown {
    Count(i64),
    /// `<5`: 1 to 4 people.
    Small,
    /// `x`: hidden so that subtraction cannot find a small one. Cells are hidden smallest first
    /// and only where someone answered, so it is at least 5 and at most any count still shown
    /// that is not 0.
    Withheld,
}

/// Rounding of a shown mean or sd (two decimals), and room for the float error of computing it.
const SHOWN_WITHIN: f64 = 0.005 + 1e-9;
/// Candidate distributions tried before giving up (and treating the counts as given away).
const BUDGET: u64 = 2_000_000;

#[derive(Debug, PartialEq)]
enum Outcome {
    /// Every hidden count can be more than one number.
    Safe,
    /// Some hidden count is the same in every possible answer (or none fits at all).
    GivenAway,
    /// Too many possibilities to try.
    GaveUp,
}

/// `categories`: each answer's value with what the table shows of its count; `n`: the people the
/// mean and sd are over (the same people as the distribution).
pub fn gives_away(categories: &[(f64, Shown)], n: i64, mean: Option<f64>, sd: Option<f64>) -> bool {
    search(categories, n, mean, sd) != Outcome::Safe
}

fn search(categories: &[(f64, Shown)], n: i64, mean: Option<f64>, sd: Option<f64>) -> Outcome {
    let shown: Vec<(f64, i64)> =
        categories.iter().filter_map(|&(v, s)| if let Shown::Count(k) = s { Some((v, k)) } else { None }).collect();
    let smallest_shown = shown.iter().map(|s| s.1).filter(|&k| k > 0).min().unwrap_or(n);
    let mut hidden: Vec<Hidden> = categories
        .iter()
        .filter_map(|&(value, s)| match s {
            Shown::Count(_) => None,
            Shown::Small => Some(Hidden { value, lo: 1, hi: MIN_CELL - 1 }),
            Shown::Withheld => Some(Hidden { value, lo: MIN_CELL, hi: smallest_shown.max(MIN_CELL) }),
        })
        .collect();
    if hidden.is_empty() || (mean.is_none() && sd.is_none()) {
        return Outcome::Safe;
    }
    hidden.sort_by(|a, b| a.value.total_cmp(&b.value));
    let count: i64 = shown.iter().map(|s| s.1).sum();
    let sum: f64 = shown.iter().map(|(v, k)| v * *k as f64).sum();
    let squares: f64 = shown.iter().map(|(v, k)| v * v * *k as f64).sum();
    let mut s = Search {
        n: n as f64,
        mean,
        sd,
        counts: vec![0; hidden.len()],
        // What the cells after each one need at least and can take at most.
        min_after: (0..hidden.len()).map(|i| hidden[i + 1..].iter().map(|h| h.lo).sum()).collect(),
        max_after: (0..hidden.len()).map(|i| hidden[i + 1..].iter().map(|h| h.hi).sum()).collect(),
        hidden,
        solutions: 0,
        fixed: Vec::new(),
        tried: 0,
    };
    s.fixed = vec![Agreement::None; s.hidden.len()];
    s.fill(0, n - count, sum, squares);
    if s.tried > BUDGET {
        Outcome::GaveUp
    } else if s.solutions == 0 || s.fixed.iter().any(|f| matches!(f, Agreement::Same(_))) {
        Outcome::GivenAway
    } else {
        Outcome::Safe
    }
}

struct Hidden {
    value: f64,
    lo: i64,
    hi: i64,
}

#[derive(Clone, Copy)]
enum Agreement {
    /// No possible answer found yet.
    None,
    /// Every possible answer so far has this count.
    Same(i64),
    /// Two possible answers differ.
    Differs,
}

struct Search {
    /// The hidden answers, smallest value first.
    hidden: Vec<Hidden>,
    min_after: Vec<i64>,
    max_after: Vec<i64>,
    n: f64,
    mean: Option<f64>,
    sd: Option<f64>,
    counts: Vec<i64>,
    solutions: u64,
    fixed: Vec<Agreement>,
    tried: u64,
}

impl Search {
    /// Tries the counts of hidden answers `i..` for the `rest` people not yet placed.
    fn fill(&mut self, i: usize, rest: i64, sum: f64, squares: f64) {
        self.tried += 1;
        // Done once over budget, or once every hidden count is known to vary.
        if self.tried > BUDGET || (self.solutions > 0 && self.fixed.iter().all(|f| matches!(f, Agreement::Differs))) {
            return;
        }
        // Whether the shown mean can still be reached: the rest at the smallest and at the largest
        // value left.
        if let Some(m) = self.mean {
            let (lo, hi) = ((m - SHOWN_WITHIN) * self.n, (m + SHOWN_WITHIN) * self.n);
            let r = rest as f64;
            if sum + r * self.hidden[i].value > hi || sum + r * self.hidden[self.hidden.len() - 1].value < lo {
                return;
            }
        }
        let h = &self.hidden[i];
        let (value, from, to) = (h.value, h.lo.max(rest - self.max_after[i]), h.hi.min(rest - self.min_after[i]));
        if i + 1 == self.hidden.len() {
            // The last one takes the rest, if it may.
            if (from..=to).contains(&rest) {
                self.counts[i] = rest;
                let r = rest as f64;
                self.check(sum + r * value, squares + r * value * value);
            }
            return;
        }
        for k in from..=to {
            self.counts[i] = k;
            let kf = k as f64;
            self.fill(i + 1, rest - k, sum + kf * value, squares + kf * value * value);
        }
    }

    fn check(&mut self, sum: f64, squares: f64) {
        if self.mean.is_some_and(|m| (sum / self.n - m).abs() > SHOWN_WITHIN) {
            return;
        }
        if let Some(sd) = self.sd {
            // Sample sd, as `Stat::sd`; figures over fewer than 5 people are never shown.
            let candidate = ((squares - sum * sum / self.n) / (self.n - 1.0)).max(0.0).sqrt();
            if self.n < 2.0 || (candidate - sd).abs() > SHOWN_WITHIN {
                return;
            }
        }
        self.solutions += 1;
        for (f, &k) in self.fixed.iter_mut().zip(&self.counts) {
            *f = match *f {
                Agreement::None => Agreement::Same(k),
                Agreement::Same(same) if same == k => Agreement::Same(k),
                _ => Agreement::Differs,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{search, Outcome, Shown};

    fn shown(x: f64) -> Option<f64> {
        Some((x * 100.0).round() / 100.0)
    }

    /// n, mean and sample sd (as shown) of answers given as (value, count).
    fn figures(answers: &[(f64, i64)]) -> (i64, Option<f64>, Option<f64>) {
        let n: i64 = answers.iter().map(|a| a.1).sum();
        let sum: f64 = answers.iter().map(|(v, k)| v * *k as f64).sum();
        let mean = sum / n as f64;
        let ss: f64 = answers.iter().map(|(v, k)| (v - mean).powi(2) * *k as f64).sum();
        (n, shown(mean), shown((ss / (n - 1) as f64).sqrt()))
    }

    #[test]
    fn a_yes_no_mean_is_the_share_yes() {
        // 2 of 10 said yes: 2 shown as <5, and the 8 withheld (it would give the 2 by subtraction).
        let (n, mean, sd) = figures(&[(1.0, 2), (0.0, 8)]);
        let cats = [(1.0, Shown::Small), (0.0, Shown::Withheld)];
        assert_eq!(search(&cats, n, mean, sd), Outcome::GivenAway);
        assert_eq!(search(&cats, n, mean, None), Outcome::GivenAway);
        assert_eq!(search(&cats, n, None, None), Outcome::Safe);
    }

    #[test]
    fn a_scale_with_its_sd_and_without() {
        // Five people: 3, 4, 4, 4, 5; all three counts <5, the 1 and 2 shown as 0.
        let (n, mean, sd) = figures(&[(3.0, 1), (4.0, 3), (5.0, 1)]);
        let cats = [
            (1.0, Shown::Count(0)),
            (2.0, Shown::Count(0)),
            (3.0, Shown::Small),
            (4.0, Shown::Small),
            (5.0, Shown::Small),
        ];
        assert_eq!(search(&cats, n, mean, sd), Outcome::GivenAway, "mean 4 and sd 0.71 leave only 1-3-1");
        assert_eq!(search(&cats, n, mean, None), Outcome::Safe, "mean 4 alone: 1-3-1 or 2-1-2");
    }

    #[test]
    fn a_hidden_count_is_at_least_one() {
        // Marks 6, 7, 8, 8, 9: four counts <5 for five people, so one of them is 2; the sum 38 is
        // 6 + 7 + 8 + 9 and one more 8. A 0 among them would have been shown.
        let (n, mean, _) = figures(&[(6.0, 1), (7.0, 1), (8.0, 2), (9.0, 1)]);
        let mut cats: Vec<(f64, Shown)> = (1..=10).map(|v| (f64::from(v), Shown::Count(0))).collect();
        for v in [6, 7, 8, 9] {
            cats[v - 1].1 = Shown::Small;
        }
        assert_eq!(search(&cats, n, mean, None), Outcome::GivenAway);
    }

    #[test]
    fn two_hidden_counts_follow_from_the_mean_and_a_withheld_one_is_at_least_five() {
        // Twenty people; the 3 at '2' <5, the 3 at '5' <5 as well.
        let answers = [(2.0, 3), (3.0, 6), (4.0, 8), (5.0, 3)];
        let (n, mean, _) = figures(&answers);
        let cats = [
            (1.0, Shown::Count(0)),
            (2.0, Shown::Small),
            (3.0, Shown::Count(6)),
            (4.0, Shown::Count(8)),
            (5.0, Shown::Small),
        ];
        assert_eq!(search(&cats, n, mean, None), Outcome::GivenAway);
        // Answers 1, 1, 2 x5, 3, 3, 4 x5: the two small counts (1 and 3) together are 4, so the
        // '2' is withheld as well, the smallest shown first. A reader knows it is at least 5 and
        // at most the 5 still shown: so it is 5, and the mean (2.71) gives the rest.
        let (n, mean, _) = figures(&[(1.0, 2), (2.0, 5), (3.0, 2), (4.0, 5)]);
        let cats = [(1.0, Shown::Small), (2.0, Shown::Withheld), (3.0, Shown::Small), (4.0, Shown::Count(5))];
        assert_eq!(search(&cats, n, mean, None), Outcome::GivenAway);
    }

    #[test]
    fn nothing_hidden_is_safe_and_a_search_too_large_gives_up() {
        let (n, mean, sd) = figures(&[(1.0, 5), (2.0, 9)]);
        assert_eq!(search(&[(1.0, Shown::Count(5)), (2.0, Shown::Count(9))], n, mean, sd), Outcome::Safe);
        // Marks 1-10 all withheld over 40,000 people, with a mean and sd no answer can meet
        // exactly (so the search cannot stop early): more candidates than the budget.
        let cats: Vec<(f64, Shown)> = (1..=10).map(|v| (f64::from(v), Shown::Withheld)).collect();
        assert_eq!(search(&cats, 40_000, Some(5.5), Some(0.001)), Outcome::GaveUp);
    }
}
