//! Whether an item's mean and sd give back a count its distribution hides. The distribution of an
//! item hides counts of 1 to 4 people (and more, so that subtraction cannot find them), but its
//! mean and sd over the same people are three more facts about the same counts: the count of
//! people, their sum and their sum of squares. For a yes/no item the mean is the share 'yes'
//! itself; for a scale, two hidden counts follow from n and the mean, three from n, mean and sd.
//! So the hidden counts are worked out as a reader could, from what the tables show (the
//! two-decimal rounding included), and a figure is withheld while any hidden count comes out the
//! same in every possible answer.

/// Rounding of a shown mean or sd (two decimals), and room for the float error of computing it.
const SHOWN_WITHIN: f64 = 0.005 + 1e-9;
/// Candidate distributions tried before giving up and treating the counts as given away.
const BUDGET: u64 = 2_000_000;

/// `categories`: each answer's value, with its count where the table shows it (`None`: hidden).
/// `n`: the people the mean and sd are over (the same people as the distribution).
pub fn gives_away(categories: &[(f64, Option<i64>)], n: i64, mean: Option<f64>, sd: Option<f64>) -> bool {
    let mut hidden: Vec<f64> = categories.iter().filter(|(_, k)| k.is_none()).map(|(v, _)| *v).collect();
    if hidden.is_empty() || (mean.is_none() && sd.is_none()) {
        return false;
    }
    hidden.sort_by(f64::total_cmp);
    let shown = categories.iter().filter_map(|(v, k)| k.map(|k| (*v, k as f64)));
    let (count, sum, squares) = shown.fold((0.0, 0.0, 0.0), |(c, s, q), (v, k)| (c + k, s + k * v, q + k * v * v));
    let rest = n - count as i64;
    if rest < 0 {
        return true; // the figures do not fit together: nothing can be vouched for
    }
    let mut search = Search {
        hidden: &hidden,
        n: n as f64,
        mean,
        sd,
        counts: vec![0; hidden.len()],
        solutions: 0,
        fixed: vec![None; hidden.len()],
        tried: 0,
    };
    search.fill(0, rest, sum, squares);
    if search.tried > BUDGET {
        return true;
    }
    // No possible answer at all means the check cannot follow the rounding: treat as given away.
    search.solutions == 0 || search.fixed.iter().any(|f| matches!(f, Some(Some(_))))
}

struct Search<'a> {
    /// The hidden answers' values, smallest first.
    hidden: &'a [f64],
    n: f64,
    mean: Option<f64>,
    sd: Option<f64>,
    counts: Vec<i64>,
    solutions: u64,
    /// Per hidden answer: `None` before the first solution, then `Some(Some(count))` while every
    /// solution agrees on its count, `Some(None)` once two differ.
    fixed: Vec<Option<Option<i64>>>,
    tried: u64,
}

impl Search<'_> {
    fn fill(&mut self, i: usize, rest: i64, sum: f64, squares: f64) {
        self.tried += 1;
        if self.tried > BUDGET {
            return;
        }
        // The sum the shown mean allows, and whether `rest` people on answers i.. can still reach it.
        if let Some(m) = self.mean {
            let (lo, hi) = ((m - SHOWN_WITHIN) * self.n, (m + SHOWN_WITHIN) * self.n);
            let r = rest as f64;
            if sum + r * self.hidden[i] > hi || sum + r * self.hidden[self.hidden.len() - 1] < lo {
                return;
            }
        }
        if i + 1 == self.hidden.len() {
            self.counts[i] = rest;
            let v = self.hidden[i];
            let r = rest as f64;
            self.check(sum + r * v, squares + r * v * v);
            return;
        }
        for k in 0..=rest {
            self.counts[i] = k;
            let (v, kf) = (self.hidden[i], k as f64);
            self.fill(i + 1, rest - k, sum + kf * v, squares + kf * v * v);
        }
    }

    fn check(&mut self, sum: f64, squares: f64) {
        let mean = sum / self.n;
        if self.mean.is_some_and(|m| (mean - m).abs() > SHOWN_WITHIN) {
            return;
        }
        if let Some(sd) = self.sd {
            if self.n < 2.0 {
                return;
            }
            let candidate = ((squares - sum * sum / self.n) / (self.n - 1.0)).max(0.0).sqrt();
            if (candidate - sd).abs() > SHOWN_WITHIN {
                return;
            }
        }
        self.solutions += 1;
        for (f, &k) in self.fixed.iter_mut().zip(&self.counts) {
            *f = match *f {
                None => Some(Some(k)),
                Some(Some(same)) if same == k => Some(Some(k)),
                _ => Some(None),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::gives_away;

    fn shown(x: f64) -> Option<f64> {
        Some((x * 100.0).round() / 100.0)
    }

    /// Mean and sample sd of answers given as (value, count).
    fn figures(answers: &[(f64, i64)]) -> (i64, Option<f64>, Option<f64>) {
        let n: i64 = answers.iter().map(|a| a.1).sum();
        let sum: f64 = answers.iter().map(|(v, k)| v * *k as f64).sum();
        let mean = sum / n as f64;
        let ss: f64 = answers.iter().map(|(v, k)| (v - mean).powi(2) * *k as f64).sum();
        (n, shown(mean), shown((ss / (n - 1) as f64).sqrt()))
    }

    #[test]
    fn a_yes_no_mean_is_the_share_yes() {
        // 2 of 10 said yes: both counts hidden (2, and 8 by subtraction).
        let (n, mean, sd) = figures(&[(1.0, 2), (0.0, 8)]);
        let cats = [(1.0, None), (0.0, None)];
        assert!(gives_away(&cats, n, mean, sd));
        assert!(gives_away(&cats, n, mean, None));
        assert!(!gives_away(&cats, n, None, None));
    }

    #[test]
    fn a_scale_with_its_sd_and_without() {
        // Five people: 3, 4, 4, 4, 5; all three counts hidden, the 1 and 2 shown as 0.
        let (n, mean, sd) = figures(&[(3.0, 1), (4.0, 3), (5.0, 1)]);
        let cats = [(1.0, Some(0)), (2.0, Some(0)), (3.0, None), (4.0, None), (5.0, None)];
        assert!(gives_away(&cats, n, mean, sd), "mean 4 and sd 0.71 leave only 1, 3, 1");
        assert!(!gives_away(&cats, n, mean, None), "mean 4 alone: 0-5-0, 1-3-1 or 2-1-2");
    }

    #[test]
    fn two_hidden_counts_follow_from_the_mean() {
        // Twenty people; the 3 at '2' and the 3 at '5' hidden.
        let answers = [(2.0, 3), (3.0, 6), (4.0, 8), (5.0, 3)];
        let (n, mean, _) = figures(&answers);
        let cats = [(1.0, Some(0)), (2.0, None), (3.0, Some(6)), (4.0, Some(8)), (5.0, None)];
        assert!(gives_away(&cats, n, mean, None));
        // With a third count hidden (the 6), the mean leaves several answers open.
        let cats = [(1.0, Some(0)), (2.0, None), (3.0, None), (4.0, Some(8)), (5.0, None)];
        assert!(!gives_away(&cats, n, mean, None));
    }

    #[test]
    fn nothing_hidden_nothing_given_away_and_a_large_search_gives_up_safely() {
        let (n, mean, sd) = figures(&[(1.0, 5), (2.0, 9)]);
        assert!(!gives_away(&[(1.0, Some(5)), (2.0, Some(9))], n, mean, sd));
        // Marks 1-10, all hidden, 4,000 people: more candidates than the budget.
        let cats: Vec<(f64, Option<i64>)> = (1..=10).map(|v| (f64::from(v), None)).collect();
        assert!(gives_away(&cats, 4000, Some(5.5), Some(2.0)));
    }
}
