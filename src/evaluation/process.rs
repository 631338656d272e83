//! The process evaluation: reach funnel with stop reasons, participants, time invested and
//! fidelity (which parts of the method each trajectory used).

use std::collections::HashMap;

use super::dataset::Record;
use super::disclosure::{At, Linked, Sum};
use super::engine::{record_columns, Accumulator, Grouped, Names, Population, Spec, Used};
use super::instruments::{Item, ItemType, ItemUse};
use super::table::{col, Cell, Dist, Kind, Stat, TableSpec};

/// A table's spec and rows.
type Table = (TableSpec, Vec<Vec<Cell>>);

/// The funnel's steps, in order (key, Dutch, English).
pub const STEPS: [(&str, &str, &str); 7] = [
    ("approached", "Benaderd", "Approached"),
    ("method_consent", "Toestemming methode", "Consented (method)"),
    ("research_consent", "Toestemming onderzoek", "Consented (research)"),
    ("intake_done", "Intake gedaan", "Intake done"),
    ("course_started", "Cursus begonnen", "Started a course"),
    ("course_completed", "Cursus afgerond", "Completed a course"),
    ("returned", "Aan het werk", "Returned to work"),
];

pub const STOP_REASONS: [&str; 5] = ["medical", "too_difficult", "not_behaviour_related", "privacy_research", "other"];

#[derive(Default)]
struct Participants {
    n: i64,
    /// Per participants item: answers per category (choice) or the numbers (number).
    choices: HashMap<String, Dist>,
    numbers: HashMap<String, Stat>,
    long_term: i64,
    frequent: i64,
    category: Dist,
}

#[derive(Default)]
struct CoachTime {
    trajectories: i64,
    sessions: i64,
    minutes: i64,
    preparation: i64,
    recruitment: i64,
}

pub struct Process<'a> {
    spec: &'a Spec,
    participant_items: Vec<Item>,
    reached: [i64; 7],
    stops: HashMap<(usize, String), i64>,
    groups: Grouped<Participants>,
    total: Participants,
    n: i64,
    session_minutes: Stat,
    preparation_minutes: Stat,
    intake_minutes: Stat,
    /// Over everyone approached with a recorded time, like the funnel: recruiting people who
    /// then declined is time invested too.
    recruitment_minutes: Stat,
    sessions: i64,
    long_preparations: i64,
    coaches: HashMap<String, CoachTime>,
    parts: [i64; 9],
    courses_completed: Dist,
}

/// Parts of the method counted for fidelity (key, Dutch, English).
const PARTS: [(&str, &str, &str); 9] = [
    ("intake", "Intake", "Intake"),
    ("plan", "Plan van aanpak", "Plan"),
    ("course", "Minstens één cursus afgerond", "At least one course completed"),
    ("coaching", "Coachgesprekken", "Coaching talks"),
    ("group", "Groepsbijeenkomst bijgewoond", "Group session attended"),
    ("buddy", "Buddy", "Buddy"),
    ("visit", "Op de koffie", "Workplace visit"),
    ("cards", "Kaartjes ontvangen", "Cards received"),
    ("aftercare", "Nazorg", "Aftercare"),
];

impl<'a> Process<'a> {
    pub fn new(spec: &'a Spec, used: &Used<'_>) -> Process<'a> {
        Process {
            spec,
            participant_items: used
                .baseline
                .items
                .iter()
                .filter(|i| i.item_use == Some(ItemUse::Participants))
                .cloned()
                .collect(),
            reached: [0; 7],
            stops: HashMap::new(),
            groups: Grouped::new(),
            total: Participants::default(),
            n: 0,
            session_minutes: Stat::default(),
            preparation_minutes: Stat::default(),
            intake_minutes: Stat::default(),
            recruitment_minutes: Stat::default(),
            sessions: 0,
            long_preparations: 0,
            coaches: HashMap::new(),
            parts: [0; 9],
            courses_completed: Dist::default(),
        }
    }

    /// The furthest step reached without skipping one. For a project leader's own-organisation
    /// export research consent is counted but does not gate the later steps.
    fn furthest(&self, r: &Record) -> usize {
        let flags = [
            true,
            r.method_consent,
            r.research_consent,
            r.intake_done,
            !r.courses_started.is_empty(),
            !r.courses_completed.is_empty(),
            r.work_return.is_some(),
        ];
        let mut furthest = 0;
        for (i, ok) in flags.iter().enumerate().skip(1) {
            if i == 2 && self.spec.population == Population::Organisation {
                continue;
            }
            if !ok {
                break;
            }
            furthest = i;
        }
        furthest
    }

    fn parts_of(r: &Record) -> [bool; 9] {
        [
            r.intake_done,
            r.plan_done,
            !r.courses_completed.is_empty(),
            r.logbook.coaching_talks > 0,
            r.group_attended > 0,
            r.buddy,
            r.visits_done > 0,
            r.cards_received > 0,
            r.aftercare_done > 0,
        ]
    }
}

fn add_participant(p: &mut Participants, r: &Record, items: &[Item]) {
    p.n += 1;
    let base = r.baseline.as_ref().map(|b| &b.answers);
    for item in items {
        let Some(v) = base.and_then(|a| a.get(&item.key)) else {
            if item.item_type == ItemType::Choice {
                p.choices.entry(item.key.clone()).or_default().push("unknown");
            }
            continue;
        };
        match item.item_type {
            ItemType::Number => {
                if let Some(x) = v.as_f64() {
                    p.numbers.entry(item.key.clone()).or_default().push(x);
                }
            }
            _ => {
                if let Some(cat) = item.category_of(v) {
                    p.choices.entry(item.key.clone()).or_default().push(&cat);
                }
            }
        }
    }
    p.long_term += i64::from(r.absence.long_term);
    p.frequent += i64::from(r.absence.frequent);
    p.category.push(r.absence.category.as_deref().unwrap_or("none"));
}

const CATEGORIES: [&str; 5] = ["physical", "psychological", "both", "unknown", "none"];

impl Accumulator for Process<'_> {
    fn record_table(&self) -> TableSpec {
        let mut cols = record_columns();
        cols.extend([
            col("status", "Status", "Status", Kind::Text),
            col("stop_reason", "Reden van stoppen", "Stop reason", Kind::Text),
            col("furthest_step", "Verste stap", "Furthest step", Kind::Text),
            col("sessions", "Gesprekken", "Sessions", Kind::Integer),
            col("session_minutes", "Minuten gesprekken", "Session minutes", Kind::Integer),
            col("preparation_minutes", "Minuten voorbereiding", "Preparation minutes", Kind::Integer),
            col("recruitment_minutes", "Minuten werving", "Recruitment minutes", Kind::Integer),
            col("courses_completed", "Cursussen afgerond", "Courses completed", Kind::Integer),
        ]);
        cols.extend(PARTS.iter().map(|(k, nl, en)| col(&format!("used_{k}"), nl, en, Kind::Boolean)));
        TableSpec::new("records", "Per traject (pseudoniem)", "Per trajectory (pseudonymised)", cols)
    }

    fn funnel(&mut self, r: &Record) {
        // Everyone approached counts in the first two steps (numbers only); further steps only
        // count people who are included in this export.
        let org_mode = self.spec.population == Population::Organisation;
        let included = org_mode || r.research_consent;
        if let Some(m) = r.recruitment_minutes {
            self.recruitment_minutes.push(m as f64);
            // Per coach too, for everyone approached, so that the coaches add up to the total.
            self.coaches.entry(r.coach_id.clone()).or_default().recruitment += m;
        }
        let furthest = self.furthest(r);
        let top = if included { furthest } else { furthest.min(1) };
        for step in 0..=top {
            // In an own-organisation export research consent is counted but is no gate.
            if step == 2 && org_mode && !r.research_consent {
                continue;
            }
            self.reached[step] += 1;
        }
        if org_mode && r.research_consent && top < 2 {
            self.reached[2] += 1;
        }
        if r.status == "stopped" {
            let reason = r.stop_reason.clone().unwrap_or_else(|| "other".into());
            *self.stops.entry((top, reason)).or_insert(0) += 1;
        }
    }

    fn add(&mut self, r: &Record, _person: &str) -> Vec<Cell> {
        self.n += 1;
        let key = (r.organization_id.clone(), r.cohort_id.clone());
        add_participant(self.groups.entry(key).or_default(), r, &self.participant_items);
        add_participant(&mut self.total, r, &self.participant_items);
        let l = &r.logbook;
        self.session_minutes.push(l.session_minutes as f64);
        self.preparation_minutes.push(l.preparation_minutes as f64);
        self.intake_minutes.push(l.intake_minutes as f64);
        self.sessions += l.sessions;
        self.long_preparations += l.long_preparations;
        let c = self.coaches.entry(r.coach_id.clone()).or_default();
        c.trajectories += 1;
        c.sessions += l.sessions;
        c.minutes += l.session_minutes;
        c.preparation += l.preparation_minutes;
        let parts = Self::parts_of(r);
        for (i, used) in parts.iter().enumerate() {
            self.parts[i] += i64::from(*used);
        }
        let done = r.courses_completed.len();
        self.courses_completed.push(match done {
            0 => "0",
            1..=3 => "1-3",
            4..=6 => "4-6",
            _ => "7",
        });
        let mut row = vec![
            Cell::text(&r.status),
            r.stop_reason.as_ref().map_or(Cell::Null, Cell::text),
            Cell::text(STEPS[self.furthest(r)].0),
            Cell::Int(l.sessions),
            Cell::Int(l.session_minutes),
            Cell::Int(l.preparation_minutes),
            r.recruitment_minutes.map_or(Cell::Null, Cell::Int),
            Cell::Int(done as i64),
        ];
        row.extend(parts.iter().map(|b| Cell::Bool(*b)));
        row
    }

    fn tables(&mut self, names: &Names) -> Vec<(TableSpec, Vec<Vec<Cell>>)> {
        let (reach, stops) = self.reach_with_stops();
        vec![reach, stops, self.participants(names), self.time(), self.time_per_coach(), self.fidelity()]
    }
}

impl Process<'_> {
    fn reach(&self) -> (TableSpec, Vec<Vec<Cell>>) {
        let spec = TableSpec::new(
            "reach",
            "Bereik: van benaderd tot aan het werk",
            "Reach: from approached to back at work",
            vec![
                col("step", "Stap", "Step", Kind::Text),
                col("label", "Omschrijving", "Label", Kind::Text),
                col("n", "Aantal", "n", Kind::Integer),
                col("stopped_here", "Gestopt bij deze stap", "Stopped at this step", Kind::Integer),
                col("percent_of_approached", "% van benaderd", "% of approached", Kind::Decimal),
            ],
        );
        let rows = STEPS
            .iter()
            .enumerate()
            .map(|(i, (k, nl, _))| {
                vec![
                    Cell::text(*k),
                    Cell::text(*nl),
                    Cell::people(self.reached[i]),
                    Cell::people(self.stopped_at(i)),
                    Cell::percent(self.reached[i], self.reached[0]),
                ]
            })
            .collect();
        (spec, rows)
    }

    /// The funnel and its stop reasons. Each step's `stopped_here` is the sum of its reasons in
    /// the second table: a reason hidden alone would be that total minus the others (and people
    /// without research consent count in the first steps), so both tables are protected as one.
    fn reach_with_stops(&self) -> (Table, Table) {
        let (reach_spec, mut all) = self.reach();
        let stops_spec = TableSpec::new(
            "reach_stops",
            "Gestopt: bij welke stap en waarom",
            "Stopped: at which step and why",
            vec![
                col("step", "Stap", "Step", Kind::Text),
                col("reason", "Reden", "Reason", Kind::Text),
                col("n", "Aantal", "n", Kind::Integer),
            ],
        );
        // The stop rows follow the funnel's in one table while they are protected together.
        let steps = all.len();
        let mut counts: HashMap<At, i64> = HashMap::new();
        let mut sums = Vec::new();
        for (i, (k, _, _)) in STEPS.iter().enumerate() {
            counts.insert((i, 3), self.stopped_at(i));
            let mut parts = Vec::new();
            for reason in STOP_REASONS {
                let n = self.stops.get(&(i, reason.to_string())).copied().unwrap_or(0);
                if n > 0 {
                    counts.insert((all.len(), 2), n);
                    parts.push((all.len(), 2));
                    all.push(vec![Cell::text(*k), Cell::text(reason), Cell::people(n)]);
                }
            }
            sums.push(Sum { total: Some((i, 3)), parts });
        }
        Linked { rows: &mut all, counts, companions: HashMap::new() }.protect(&sums);
        let stops_rows = all.split_off(steps);
        ((reach_spec, all), (stops_spec, stops_rows))
    }

    /// Everyone who stopped at funnel step `i`, whatever the reason.
    fn stopped_at(&self, i: usize) -> i64 {
        self.stops.iter().filter(|((s, _), _)| *s == i).map(|(_, n)| n).sum()
    }

    fn participants(&self, names: &Names) -> (TableSpec, Vec<Vec<Cell>>) {
        let mut cols = vec![
            col("organization", "Organisatie", "Organisation", Kind::Text),
            col("cohort", "Ronde", "Cohort", Kind::Text),
            col("n", "Aantal", "n", Kind::Integer),
        ];
        for item in &self.participant_items {
            match item.item_type {
                ItemType::Number => {
                    for (s, nl, en) in
                        [("mean", "gemiddeld", "mean"), ("min", "laagst", "min"), ("max", "hoogst", "max")]
                    {
                        cols.push(col(
                            &format!("{}_{s}", item.key),
                            &format!("{} {nl}", item.key),
                            &format!("{} {en}", item.key),
                            Kind::Decimal,
                        ));
                    }
                }
                _ => {
                    for cat in item.categories().into_iter().chain(["unknown".to_string()]) {
                        let k = format!("{}_{cat}", item.key);
                        cols.push(col(&k, &k, &k, Kind::Integer));
                    }
                }
            }
        }
        cols.push(col("long_term", "Langdurig verzuim", "Long-term absence", Kind::Integer));
        cols.push(col("frequent", "Frequent verzuim", "Frequent absence", Kind::Integer));
        for c in CATEGORIES {
            cols.push(col(&format!("reason_{c}"), &format!("Oorzaak: {c}"), &format!("Cause: {c}"), Kind::Integer));
        }
        let spec = TableSpec::new("participants", "Deelnemers", "Participants", cols);
        // Each row's cells, and the count behind each cell that is a number of people (the
        // figures of number items are not): secondary suppression works on those below.
        let row = |org: String, cohort: String, p: &Participants| {
            let mut r = vec![Cell::text(org), Cell::text(cohort), Cell::people(p.n)];
            let mut counts: Vec<Option<i64>> = vec![None, None, Some(p.n)];
            let whole = |cell: Cell| if p.n > 0 && p.n < super::table::MIN_CELL { Cell::Suppressed } else { cell };
            let people = |r: &mut Vec<Cell>, counts: &mut Vec<Option<i64>>, n: i64| {
                r.push(whole(Cell::people(n)));
                counts.push(Some(n));
            };
            for item in &self.participant_items {
                match item.item_type {
                    ItemType::Number => {
                        let s = p.numbers.get(&item.key).cloned().unwrap_or_default();
                        r.push(whole(Cell::over(s.n(), s.mean())));
                        r.push(whole(Cell::over(s.n(), s.min())));
                        r.push(whole(Cell::over(s.n(), s.max())));
                        counts.extend([None, None, None]);
                    }
                    _ => {
                        let d = p.choices.get(&item.key).cloned().unwrap_or_default();
                        for cat in item.categories().into_iter().chain(["unknown".to_string()]) {
                            people(&mut r, &mut counts, d.get(&cat));
                        }
                    }
                }
            }
            // Long-term or not, frequent or not: the rest is a group too.
            for yes in [p.long_term, p.frequent] {
                r.push(whole(Cell::people_of(yes, p.n)));
                counts.push(Some(yes));
            }
            for c in CATEGORIES {
                people(&mut r, &mut counts, p.category.get(c));
            }
            (r, counts)
        };
        let (mut rows, mut counts): (Vec<Vec<Cell>>, Vec<Vec<Option<i64>>>) =
            self.groups.iter().map(|((o, c), p)| row(names.org(o), names.cohort(c), p)).unzip();
        let (total_row, total_counts) = row("totaal".into(), String::new(), &self.total);
        rows.push(total_row);
        counts.push(total_counts);
        protect_participants(&self.participant_items, &mut rows, &counts);
        (spec, rows)
    }

    fn time(&self) -> (TableSpec, Vec<Vec<Cell>>) {
        let spec = TableSpec::new(
            "time_invested",
            "Tijd van coaches",
            "Coach time invested",
            vec![
                col("measure", "Maat", "Measure", Kind::Text),
                col("label", "Omschrijving", "Label", Kind::Text),
                col("n", "Aantal trajecten", "Trajectories", Kind::Integer),
                col("value", "Waarde", "Value", Kind::Decimal),
            ],
        );
        let n = self.n;
        let recruited = self.recruitment_minutes.n();
        let long_preparations = if n > 0 && n < super::table::MIN_CELL {
            Cell::Suppressed
        } else {
            Cell::percent(self.long_preparations, self.sessions)
        };
        let measures = [
            ("session_minutes_total", "Minuten gesprekken, samen", n, Cell::over(n, Some(self.session_minutes.sum()))),
            (
                "preparation_minutes_total",
                "Minuten voorbereiding, samen",
                n,
                Cell::over(n, Some(self.preparation_minutes.sum())),
            ),
            (
                "session_minutes_per_trajectory",
                "Minuten gesprekken per traject",
                n,
                Cell::over(n, self.session_minutes.mean()),
            ),
            (
                "preparation_minutes_per_trajectory",
                "Minuten voorbereiding per traject",
                n,
                Cell::over(n, self.preparation_minutes.mean()),
            ),
            (
                "intake_minutes_per_trajectory",
                "Minuten intake per traject",
                n,
                Cell::over(n, self.intake_minutes.mean()),
            ),
            (
                "recruitment_minutes_total",
                "Minuten werving, samen (iedereen die benaderd is)",
                recruited,
                Cell::over(recruited, Some(self.recruitment_minutes.sum())),
            ),
            (
                "recruitment_minutes_per_approached",
                "Minuten werving per benaderde medewerker",
                recruited,
                Cell::over(recruited, self.recruitment_minutes.mean()),
            ),
            ("sessions_total", "Aantal gesprekken", n, Cell::over(n, Some(self.sessions as f64))),
            (
                "long_preparation_percent_of_sessions",
                "Procent gesprekken korter dan 60 minuten met meer dan 30 minuten voorbereiding",
                n,
                long_preparations,
            ),
        ];
        let rows = measures
            .into_iter()
            .map(|(key, label, n, value)| vec![Cell::text(key), Cell::text(label), Cell::people(n), value])
            .collect();
        (spec, rows)
    }

    fn time_per_coach(&self) -> (TableSpec, Vec<Vec<Cell>>) {
        let spec = TableSpec::new(
            "time_per_coach",
            "Tijd per coach (pseudoniem; coaches met minder dan 5 trajecten onderdrukt)",
            "Time per coach (pseudonymised; coaches with fewer than 5 trajectories suppressed)",
            vec![
                col("coach", "Coach (pseudoniem)", "Coach (pseudonym)", Kind::Text),
                col("trajectories", "Trajecten", "Trajectories", Kind::Integer),
                col("sessions", "Gesprekken", "Sessions", Kind::Integer),
                col("session_minutes", "Minuten gesprekken", "Session minutes", Kind::Integer),
                col("preparation_minutes", "Minuten voorbereiding", "Preparation minutes", Kind::Integer),
                col("recruitment_minutes", "Minuten werving", "Recruitment minutes", Kind::Integer),
                col("minutes_per_trajectory", "Minuten per traject", "Minutes per trajectory", Kind::Decimal),
            ],
        );
        // A coach with no one in the export (all they approached declined, or gave no research
        // consent) is not listed: a row about nobody would still tell that they recruited.
        let mut coaches: Vec<(String, &CoachTime)> = self
            .coaches
            .iter()
            .filter(|(_, t)| t.trajectories > 0)
            .map(|(id, t)| (self.spec.pseudonyms.of("C", id), t))
            .collect();
        coaches.sort_by(|a, b| a.0.cmp(&b.0));
        let counts: HashMap<At, i64> = coaches.iter().enumerate().map(|(r, (_, t))| ((r, 1), t.trajectories)).collect();
        let mut rows: Vec<Vec<Cell>> = coaches
            .into_iter()
            .map(|(p, t)| {
                let n = t.trajectories;
                let hide = |c: Cell| if n < super::table::MIN_CELL { Cell::Suppressed } else { c };
                vec![
                    Cell::text(p),
                    Cell::people(n),
                    hide(Cell::Int(t.sessions)),
                    hide(Cell::Int(t.minutes)),
                    hide(Cell::Int(t.preparation)),
                    hide(Cell::Int(t.recruitment)),
                    Cell::over(n, Some((t.minutes + t.preparation) as f64 / n as f64)),
                ]
            })
            .collect();
        // The coaches add up to the totals of `time_invested`: one coach hidden alone would be
        // those totals minus the others.
        let sum = Sum { total: None, parts: (0..rows.len()).map(|r| (r, 1)).collect() };
        let companions = (0..rows.len()).map(|r| ((r, 1), (2..7).map(|c| (r, c)).collect())).collect();
        Linked { rows: &mut rows, counts, companions }.protect(&[sum]);
        (spec, rows)
    }

    fn fidelity(&self) -> (TableSpec, Vec<Vec<Cell>>) {
        let spec = TableSpec::new(
            "fidelity",
            "Welke onderdelen van de methode werden gebruikt",
            "Which parts of the method were used",
            vec![
                col("part", "Onderdeel", "Part", Kind::Text),
                col("label", "Omschrijving", "Label", Kind::Text),
                col("n", "Aantal trajecten", "Trajectories", Kind::Integer),
                col("percent", "Procent", "Percent", Kind::Decimal),
            ],
        );
        let mut rows: Vec<Vec<Cell>> = PARTS
            .iter()
            .enumerate()
            // Used or not: the trajectories that did not use a part are a group too.
            .map(|(i, (k, nl, _))| {
                vec![
                    Cell::text(*k),
                    Cell::text(*nl),
                    Cell::people_of(self.parts[i], self.n),
                    Cell::share(self.parts[i], self.n),
                ]
            })
            .collect();
        let first_bucket = rows.len();
        for bucket in ["0", "1-3", "4-6", "7"] {
            let k = self.courses_completed.get(bucket);
            rows.push(vec![
                Cell::text(format!("courses_completed_{bucket}")),
                Cell::text(format!("{bucket} cursussen afgerond")),
                Cell::people(k),
                Cell::percent(k, self.n),
            ]);
        }
        // The buckets add up to n (in `time_invested`), so one hidden alone is n minus the others.
        let buckets: Vec<At> = (first_bucket..rows.len()).map(|r| (r, 2)).collect();
        let counts: HashMap<At, i64> = buckets
            .iter()
            .zip(["0", "1-3", "4-6", "7"])
            .map(|(at, bucket)| (*at, self.courses_completed.get(bucket)))
            .collect();
        let companions = buckets.iter().map(|(r, c)| ((*r, *c), vec![(*r, 3)])).collect();
        Linked { rows: &mut rows, counts, companions }.protect(&[Sum { total: None, parts: buckets }]);
        (spec, rows)
    }
}

/// The sums in the participants table: per row, each choice item's categories and the
/// absence reasons add up to `n`; per column, the groups add up to the total row. A row whose
/// `n` is hidden hides its figures too.
fn protect_participants(items: &[Item], rows: &mut [Vec<Cell>], counts: &[Vec<Option<i64>>]) {
    let total = rows.len() - 1;
    let width = counts[total].len();
    let mut families: Vec<Vec<usize>> = Vec::new();
    let mut c = 3;
    for item in items {
        if item.item_type == ItemType::Number {
            c += 3;
        } else {
            let k = item.categories().len() + 1;
            families.push((c..c + k).collect());
            c += k;
        }
    }
    // long_term and frequent stand alone; the absence reasons are one family.
    families.push((c + 2..c + 2 + CATEGORIES.len()).collect());
    let mut sums = Vec::new();
    for r in 0..rows.len() {
        for f in &families {
            sums.push(Sum { total: Some((r, 2)), parts: f.iter().map(|c| (r, *c)).collect() });
        }
    }
    let mut by_cell: HashMap<At, i64> = counts
        .iter()
        .enumerate()
        .flat_map(|(r, row)| row.iter().enumerate().filter_map(move |(c, n)| n.map(|n| ((r, c), n))))
        .collect();
    // Long-term and frequent are yes-or-no: the groups' "no" (n minus yes) add up to the
    // total's too, and hidden "yes" cells of 14 among 16 people leave 2 "no" to be found. So
    // each gets a column of its "no" for the sums, hidden with its "yes" and dropped after.
    let mut companions: HashMap<At, Vec<At>> = HashMap::new();
    let mut width_all = width;
    for yes in [c, c + 1] {
        let no = width_all;
        width_all += 1;
        for (r, row) in rows.iter_mut().enumerate() {
            let n = by_cell.get(&(r, 2)).copied().unwrap_or(0);
            let rest = n - by_cell.get(&(r, yes)).copied().unwrap_or(0);
            // Hidden with its "yes" by `protect` when that is hidden already.
            row.push(Cell::Int(rest));
            by_cell.insert((r, no), rest);
            companions.insert((r, yes), vec![(r, no)]);
            companions.insert((r, no), vec![(r, yes)]);
        }
        sums.push(Sum { total: Some((total, no)), parts: (0..total).map(|r| (r, no)).collect() });
    }
    for c in (2..width).filter(|c| counts[total][*c].is_some()) {
        sums.push(Sum { total: Some((total, c)), parts: (0..total).map(|r| (r, c)).collect() });
    }
    for r in 0..rows.len() {
        companions.insert((r, 2), (3..width_all).map(|c| (r, c)).collect());
    }
    Linked { rows, counts: by_cell, companions }.protect(&sums);
    for row in rows.iter_mut() {
        row.truncate(width);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three cohorts and the total, with n, long-term and frequent, and all in one absence cause.
    fn participants(groups: &[(i64, i64)]) -> (Vec<Vec<Cell>>, Vec<Vec<Option<i64>>>) {
        let total = groups.iter().fold((0, 0), |t, g| (t.0 + g.0, t.1 + g.1));
        groups
            .iter()
            .chain([&total])
            .map(|&(n, long_term)| {
                let mut cells = vec![Cell::text("org"), Cell::text("cohort"), Cell::people(n)];
                cells.extend([Cell::people_of(long_term, n), Cell::people_of(0, n)]);
                cells.extend(CATEGORIES.iter().enumerate().map(|(i, _)| Cell::people(if i == 0 { n } else { 0 })));
                let mut counts = vec![None, None, Some(n), Some(long_term), Some(0)];
                counts.extend(CATEGORIES.iter().enumerate().map(|(i, _)| Some(if i == 0 { n } else { 0 })));
                (cells, counts)
            })
            .unzip()
    }

    #[test]
    fn the_no_side_of_hidden_yes_cells_is_no_small_group_either() {
        // 8 of 10 long-term (2 not: hidden), 6 of 6, 7 of 20; 21 of 36 in all. Hiding the 6 with
        // the 8 leaves 14 of 16 hidden: 2 "not long-term", found from the n's and the total.
        let (mut rows, counts) = participants(&[(10, 8), (6, 6), (20, 7)]);
        protect_participants(&[], &mut rows, &counts);
        let hidden: Vec<usize> = (0..3).filter(|r| rows[*r][3].is_suppressed()).collect();
        assert!(hidden.contains(&0) && hidden.len() >= 2, "{hidden:?}");
        let sum = |f: &dyn Fn(usize) -> i64| hidden.iter().map(|r| f(*r)).sum::<i64>();
        let (yes, no) = (sum(&|r| counts[r][3].unwrap()), sum(&|r| counts[r][2].unwrap() - counts[r][3].unwrap()));
        assert!(!(1..5).contains(&yes) && !(1..5).contains(&no), "hidden: {yes} yes, {no} no");
        assert!(rows.iter().all(|r| r.len() == counts[0].len()), "no helper column is left");
    }
}
