//! The process evaluation: reach funnel with stop reasons, participants, time invested and
//! fidelity (which parts of the method each trajectory used).

use std::collections::{BTreeMap, HashMap};

use super::dataset::{Record, Scope};
use super::disclosure::{At, Sum};
use super::engine::{record_columns, Accumulator, Names, Population, Spec, Used};
use super::instruments::{Item, ItemType, ItemUse};
use super::nested::{self, Node, Piece};
use super::table::{col, Cell, Dist, Kind, Stat, TableSpec};

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

/// What one scope (all organisations, one, or a cohort) adds up.
#[derive(Default)]
struct Figures {
    reached: [i64; 7],
    stops: HashMap<(usize, String), i64>,
    participants: Participants,
    n: i64,
    session_minutes: Stat,
    preparation_minutes: Stat,
    intake_minutes: Stat,
    /// Over everyone approached with a recorded time, like the funnel (recruiting people who
    /// then declined is time invested too); for a researcher over the people in the export only.
    recruitment_minutes: Stat,
    sessions: i64,
    long_preparations: i64,
    /// Per coach, by their number in `Process::coach_ids`: a coach counts in up to four
    /// scopes, and an export of many coaches would hold their ids four times over.
    coaches: HashMap<u32, CoachTime>,
    parts: [i64; 9],
    courses_completed: Dist,
}

pub struct Process<'a> {
    spec: &'a Spec,
    participant_items: Vec<Item>,
    /// The widest scope the caller may ask for (the organisation for a project leader, all of
    /// them for a researcher): every scope in it is added up and protected together, so that
    /// two exports cannot be subtracted from each other (`nested`).
    widest: Scope,
    nodes: BTreeMap<Node, Figures>,
    /// Per cohort id, the scopes a trajectory of it counts in (looked up once per cohort, not
    /// built per trajectory).
    paths: HashMap<String, Vec<Node>>,
    /// The coaches' ids by their numbers in `Figures::coaches`, and the numbers by id.
    coach_ids: Vec<String>,
    coach_numbers: HashMap<String, u32>,
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
        let widest = match spec.population {
            Population::Organisation => Scope { organization: spec.scope.organization.clone(), cohort: None },
            Population::Research => Scope { organization: None, cohort: None },
        };
        Process {
            spec,
            participant_items: used
                .baseline
                .items
                .iter()
                .filter(|i| i.item_use == Some(ItemUse::Participants))
                .cloned()
                .collect(),
            widest,
            nodes: BTreeMap::new(),
            paths: HashMap::new(),
            coach_ids: Vec::new(),
            coach_numbers: HashMap::new(),
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

    /// The coach's number in `coach_ids`, given on first sight.
    fn coach(&mut self, id: &str) -> u32 {
        if let Some(n) = self.coach_numbers.get(id) {
            return *n;
        }
        let n = u32::try_from(self.coach_ids.len()).expect("fewer than 2^32 coaches");
        self.coach_ids.push(id.to_string());
        self.coach_numbers.insert(id.to_string(), n);
        n
    }

    /// Whether a record shows part `i` of the method: researchers get buddy pairs as counts only
    /// (DOMAIN.md), since two records marked in a cohort would show which two are a pair.
    fn shows_part(&self, i: usize) -> bool {
        PARTS[i].0 != "buddy" || self.spec.population != Population::Research
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
        cols.extend(
            PARTS
                .iter()
                .enumerate()
                .filter(|(i, _)| self.shows_part(*i))
                .map(|(_, (k, nl, en))| col(&format!("used_{k}"), nl, en, Kind::Boolean)),
        );
        TableSpec::new("records", "Per traject (pseudoniem)", "Per trajectory (pseudonymised)", cols)
    }

    fn widest(&self) -> Option<Scope> {
        Some(self.widest.clone())
    }

    fn funnel(&mut self, r: &Record) {
        // Everyone approached counts in the first two steps (numbers only); further steps only
        // count people who are included in this export.
        let org_mode = self.spec.population == Population::Organisation;
        let included = org_mode || r.research_consent;
        let top = if included { self.furthest(r) } else { self.furthest(r).min(1) };
        if !self.paths.contains_key(&r.cohort_id) {
            self.paths.insert(r.cohort_id.clone(), Node::path(&self.widest, r));
        }
        let coach = self.coach(&r.coach_id);
        for node in &self.paths[&r.cohort_id] {
            node_figures(&mut self.nodes, node).funnel(r, coach, org_mode, top);
        }
    }

    fn count(&mut self, r: &Record) {
        let parts = Self::parts_of(r);
        let done = r.courses_completed.len();
        if !self.paths.contains_key(&r.cohort_id) {
            self.paths.insert(r.cohort_id.clone(), Node::path(&self.widest, r));
        }
        let coach = self.coach(&r.coach_id);
        for node in &self.paths[&r.cohort_id] {
            node_figures(&mut self.nodes, node).add(r, coach, &self.participant_items, &parts, done);
        }
    }

    fn add(&mut self, r: &Record, _person: &str) -> Vec<Cell> {
        self.count(r);
        let parts = Self::parts_of(r);
        let done = r.courses_completed.len();
        let l = &r.logbook;
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
        row.extend(parts.iter().enumerate().filter(|(i, _)| self.shows_part(*i)).map(|(_, b)| Cell::Bool(*b)));
        row
    }

    fn tables(&mut self, names: &Names) -> Vec<(TableSpec, Vec<Vec<Cell>>)> {
        // The scope asked for, also when nobody is in it.
        if !self.nodes.keys().any(|n| n.is(&self.spec.scope)) {
            let asked =
                Node { organization: self.spec.scope.organization.clone(), cohort: self.spec.scope.cohort.clone() };
            self.nodes.insert(asked, Figures::default());
        }
        let figures = std::mem::take(&mut self.nodes);
        let nodes: Vec<Node> = figures.keys().cloned().collect();
        let refs: Vec<&Node> = nodes.iter().collect();
        let parent: Vec<Option<usize>> = nodes.iter().map(|n| n.parent_in(&refs)).collect();
        let asked = nodes.iter().position(|n| n.is(&self.spec.scope)).unwrap_or_default();
        // Shown: the scope asked for, and the participants row of each cohort in it.
        let keep: Vec<usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| match i {
                _ if i == asked => usize::MAX,
                _ if n.cohort.is_some() && nodes[asked].holds(n) => PARTICIPANTS + 1,
                _ => 0,
            })
            .collect();
        let (items, ids) = (&self.participant_items, &self.coach_ids);
        // Every table of every scope, protected together; the scope asked for is shown. Each
        // scope's figures go once its piece is made, and each piece once it is read.
        let (mut coaches_from, mut asked_figures) = (0, Figures::default());
        let pieces = figures.into_values().enumerate().map(|(i, f)| {
            let (piece, from) = f.piece(items, ids);
            if i == asked {
                coaches_from = from;
                asked_figures = f;
            }
            piece
        });
        let mut out = nested::protect(pieces, &parent, &keep);
        // The cohorts in the scope asked for, then the scope itself as the total.
        let mut participants: Vec<Vec<Cell>> = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            if n.cohort.is_some() && nodes[asked].holds(n) {
                participants.push(named(
                    &out[i][PARTICIPANTS],
                    names.org(n.organization.as_deref().unwrap_or_default()),
                    names.cohort(n.cohort.as_deref().unwrap_or_default()),
                ));
            }
        }
        let mut mine = out.swap_remove(asked);
        participants.push(named(&mine[PARTICIPANTS], "totaal".into(), String::new()));
        let protected = mine.split_off(coaches_from);
        let asked_coaches = asked_figures.coaches_by_id(ids);
        let coaches = coach_table(&self.spec.pseudonyms, &asked_coaches, &protected);
        let stops = mine.split_off(STOPS);
        let reach = mine.split_off(REACH);
        let fidelity = mine.split_off(FIDELITY);
        let time = mine.split_off(TIME);
        vec![
            (reach_spec(), reach),
            (stops_spec(), stops),
            (participants_spec(items), participants),
            (time_spec(), time),
            (time_per_coach_spec(), coaches),
            (fidelity_spec(), fidelity),
        ]
    }
}

/// A coach's whole row as shown but for the pseudonym.
fn coach_row(t: &CoachTime) -> Vec<Cell> {
    let n = t.trajectories;
    let hide = |c: Cell| if n < super::table::MIN_CELL { Cell::Suppressed } else { c };
    vec![
        Cell::Null,
        Cell::people(n),
        hide(Cell::Int(t.sessions)),
        hide(Cell::Int(t.minutes)),
        hide(Cell::Int(t.preparation)),
        hide(Cell::Int(t.recruitment)),
        Cell::over(n, Some((t.minutes + t.preparation) as f64 / n as f64)),
    ]
}

/// The coaches' rows as shown: a coach whose number of trajectories is hidden has their other
/// figures hidden too. Protected in the order of the coaches' ids, shown in that of their
/// pseudonyms: which coach is hidden must not depend on the export key the caller chose.
fn coach_table(
    pseudonyms: &super::pseudonym::Pseudonyms,
    coaches: &[(&String, &CoachTime)],
    protected: &[Vec<Cell>],
) -> Vec<Vec<Cell>> {
    let mut out: Vec<Vec<Cell>> = coaches
        .iter()
        .zip(protected)
        .map(|((id, t), shown)| {
            let mut row = coach_row(t);
            row[0] = Cell::Text(pseudonyms.of("C", id));
            if shown[1].is_suppressed() {
                row[1] = shown[1].clone();
                for c in row.iter_mut().skip(2).filter(|c| !c.is_suppressed()) {
                    *c = Cell::Withheld;
                }
            }
            row
        })
        .collect();
    out.sort_by(|a, b| text(&a[0]).cmp(text(&b[0])));
    out
}

fn text(c: &Cell) -> &str {
    if let Cell::Text(t) = c {
        t
    } else {
        ""
    }
}

/// Where each table's rows begin in a scope's piece (`Figures::piece`): the stop reasons and
/// the coaches, whose number varies, come last.
const PARTICIPANTS: usize = 0;
const TIME: usize = 1;
const FIDELITY: usize = TIME + 9;
const REACH: usize = FIDELITY + PARTS.len() + 4;
const STOPS: usize = REACH + STEPS.len();

/// A scope's figures, begun when its first trajectory comes.
fn node_figures<'n>(nodes: &'n mut BTreeMap<Node, Figures>, node: &Node) -> &'n mut Figures {
    if !nodes.contains_key(node) {
        nodes.insert(node.clone(), Figures::default());
    }
    nodes.get_mut(node).expect("just inserted")
}

/// A participants row with its organisation and cohort named.
fn named(row: &[Cell], org: String, cohort: String) -> Vec<Cell> {
    let mut r = vec![Cell::Text(org), Cell::Text(cohort)];
    r.extend(row.iter().skip(2).cloned());
    r
}

impl Figures {
    /// All of this scope's tables as one piece (see the offsets above), with the sums that tie
    /// the same count in different tables together: the number of trajectories is the
    /// participants' `n`, the time table's, each part's used and not used in fidelity, the
    /// course-count buckets and the coaches' trajectories. Each table alone would hide its own
    /// cells, and a count hidden in one could stand in another. Returns where the coaches begin.
    fn piece(&self, items: &[Item], coach_ids: &[String]) -> (Piece, usize) {
        let mut piece = participants_piece(items, &self.participants);
        let n = (PARTICIPANTS, 2);
        assert_eq!(piece.append("time", self.time()), TIME);
        assert_eq!(piece.append("fidelity", self.fidelity()), FIDELITY);
        assert_eq!(piece.append("reach", self.reach_with_stops()), REACH);
        let coaches_from = piece.append("coaches", self.time_per_coach(coach_ids));
        let buckets: Vec<At> = (FIDELITY + PARTS.len()..REACH).map(|r| (r, 2)).collect();
        piece.sums.push(Sum { total: Some(n), parts: vec![(TIME, 2)] });
        piece.sums.push(Sum { total: Some(n), parts: buckets.clone() });
        piece.sums.push(Sum { total: Some(n), parts: (coaches_from..piece.rows.len()).map(|r| (r, 1)).collect() });
        for i in 0..PARTS.len() {
            piece.sums.push(Sum { total: Some(n), parts: vec![(FIDELITY + i, 2), (FIDELITY + i, 4)] });
        }
        // At least one course completed: the buckets from one up; not: the bucket of none.
        let course = FIDELITY + 2;
        piece.sums.push(Sum { total: Some((course, 2)), parts: buckets[1..].to_vec() });
        piece.sums.push(Sum { total: Some((course, 4)), parts: vec![buckets[0]] });
        // The funnel step that counts those included (method consent for a project leader,
        // research consent for a researcher) is `n` again. Other steps are left untied to the
        // parts in fidelity: the funnel shows how many go on from step to step by design, so the
        // rule that a small 'not used' hides its 'used' does not hold there.
        for step in [(REACH + 1, 2), (REACH + 2, 2)] {
            if piece.counts.get(&step) == piece.counts.get(&n) {
                piece.sums.push(Sum { total: Some(n), parts: vec![step] });
            }
        }
        // A share of `n` beside its count gives `n` back: hidden with it.
        let shares = (FIDELITY..REACH).map(|r| (r, 3));
        piece.companions.entry(n).or_default().extend(shares);
        // Hiding a coach's count hides their five other figures too (`coach_table`).
        piece.weights = (coaches_from..piece.rows.len()).map(|r| ((r, 1), 6)).collect();
        (piece, coaches_from)
    }

    fn funnel(&mut self, r: &Record, coach: u32, org_mode: bool, top: usize) {
        // The time spent on everyone approached who counts in this export (for a researcher those
        // in its records: another's time is theirs to withhold, and the total less the records'
        // minutes would give it away), per coach too, so that the coaches add up to it.
        if let Some(m) = r.recruitment_minutes.filter(|_| org_mode || (r.method_consent && r.research_consent)) {
            self.recruitment_minutes.push(m as f64);
            self.coaches.entry(coach).or_default().recruitment += m;
        }
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

    fn add(&mut self, r: &Record, coach: u32, items: &[Item], parts: &[bool; 9], done: usize) {
        self.n += 1;
        add_participant(&mut self.participants, r, items);
        let l = &r.logbook;
        self.session_minutes.push(l.session_minutes as f64);
        self.preparation_minutes.push(l.preparation_minutes as f64);
        self.intake_minutes.push(l.intake_minutes as f64);
        self.sessions += l.sessions;
        self.long_preparations += l.long_preparations;
        let c = self.coaches.entry(coach).or_default();
        c.trajectories += 1;
        c.sessions += l.sessions;
        c.minutes += l.session_minutes;
        c.preparation += l.preparation_minutes;
        for (i, used) in parts.iter().enumerate() {
            self.parts[i] += i64::from(*used);
        }
        self.courses_completed.push(match done {
            0 => "0",
            1..=3 => "1-3",
            4..=6 => "4-6",
            _ => "7",
        });
    }

    /// The funnel and its stop reasons. Each step's `stopped_here` is the sum of its reasons in
    /// the second table: a reason hidden alone would be that total minus the others (and people
    /// without research consent count in the first steps), so both tables are protected as one:
    /// the stop rows follow the steps.
    fn reach_with_stops(&self) -> Piece {
        let mut rows = Vec::new();
        let mut keys = Vec::new();
        for (i, (k, nl, _)) in STEPS.iter().enumerate() {
            keys.push(k.to_string());
            rows.push(vec![
                Cell::text(*k),
                Cell::text(*nl),
                Cell::people(self.reached[i]),
                Cell::people(self.stopped_at(i)),
                Cell::percent(self.reached[i], self.reached[0]),
            ]);
        }
        let mut piece = Piece::new(rows, keys, 5);
        for i in 0..STEPS.len() {
            piece.counts.insert((i, 2), self.reached[i]);
            piece.counts.insert((i, 3), self.stopped_at(i));
            // A step's share of those approached is its count again; with any share and its
            // count, the number approached follows.
            let with: Vec<At> = if i == 0 { (0..STEPS.len()).map(|r| (r, 4)).collect() } else { vec![(i, 4)] };
            piece.companions.insert((i, 2), with);
        }
        for (i, (k, _, _)) in STEPS.iter().enumerate() {
            let mut parts = Vec::new();
            for reason in STOP_REASONS {
                let n = self.stops.get(&(i, reason.to_string())).copied().unwrap_or(0);
                if n > 0 {
                    let at = (piece.rows.len(), 2);
                    piece.counts.insert(at, n);
                    parts.push(at);
                    piece.push(vec![Cell::text(*k), Cell::text(reason), Cell::people(n)], format!("{k}/{reason}"));
                }
            }
            piece.sums.push(Sum { total: Some((i, 3)), parts });
        }
        piece
    }

    /// Everyone who stopped at funnel step `i`, whatever the reason.
    fn stopped_at(&self, i: usize) -> i64 {
        self.stops.iter().filter(|((s, _), _)| *s == i).map(|(_, n)| n).sum()
    }

    fn time(&self) -> Piece {
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
                "Minuten werving, samen (iedereen die benaderd is en in deze export meetelt)",
                recruited,
                Cell::over(recruited, Some(self.recruitment_minutes.sum())),
            ),
            (
                "recruitment_minutes_per_approached",
                "Minuten werving per benaderde medewerker die in deze export meetelt",
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
        let keys = measures.iter().map(|m| m.0.to_string()).collect();
        let rows = measures
            .into_iter()
            .map(|(key, label, n, value)| vec![Cell::text(key), Cell::text(label), Cell::people(n), value])
            .collect();
        let mut piece = Piece::new(rows, keys, 4);
        // Two groups: the trajectories (every row but the recruitment ones) and everyone
        // approached with a recorded time who counts here (for a researcher, those in the export). Each group's count stands in several rows: one of
        // them is the count, hidden with every figure over the same group.
        for (first, group) in [(0, vec![0, 1, 2, 3, 4, 7, 8]), (5, vec![5, 6])] {
            piece.counts.insert((first, 2), if first == 0 { n } else { recruited });
            piece.companions.insert((first, 2), group.iter().flat_map(|r| [(*r, 2), (*r, 3)]).collect());
        }
        piece
    }

    /// The coaches listed in `time_per_coach`, in its order: those with someone in the export
    /// (a row about nobody would still tell that they recruited), by id.
    /// The coaches with trajectories in this scope, in the order of their ids (`ids` by their
    /// numbers).
    fn coaches_by_id<'a>(&'a self, ids: &'a [String]) -> Vec<(&'a String, &'a CoachTime)> {
        let mut coaches: Vec<(&String, &CoachTime)> =
            self.coaches.iter().filter(|(_, t)| t.trajectories > 0).map(|(n, t)| (&ids[*n as usize], t)).collect();
        coaches.sort_by_key(|(id, _)| *id);
        coaches
    }

    /// Per coach, for the protection: their number of trajectories. The coaches add up to the
    /// number in `time_invested` (a sum in `piece`): one coach hidden alone would be that total
    /// minus the others. Their other figures go with it (`coach_table`): in no sum themselves,
    /// they need not be in the piece, which keeps an export of many coaches small.
    fn time_per_coach(&self, ids: &[String]) -> Piece {
        let coaches = self.coaches_by_id(ids);
        let rows = coaches.iter().map(|(_, t)| vec![Cell::Null, Cell::people(t.trajectories)]).collect();
        let counts = coaches.iter().enumerate().map(|(r, (_, t))| ((r, 1), t.trajectories)).collect();
        let mut piece = Piece::new(rows, coaches.into_iter().map(|(id, _)| id.clone()).collect(), 2);
        piece.counts = counts;
        piece
    }

    fn fidelity(&self) -> Piece {
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        let mut keys = Vec::new();
        let mut counts = HashMap::new();
        let mut companions: HashMap<At, Vec<At>> = HashMap::new();
        for (i, (k, nl, _)) in PARTS.iter().enumerate() {
            // Used or not: the trajectories that did not use a part are a group too. Their
            // count goes in a column of its own for the protection (across scopes they add up
            // as well), hidden with the count of those who did and dropped after.
            let (yes, no) = (self.parts[i], self.n - self.parts[i]);
            rows.push(vec![
                Cell::text(*k),
                Cell::text(*nl),
                Cell::people_of(yes, self.n),
                Cell::share(yes, self.n),
                Cell::Int(no),
            ]);
            keys.push(k.to_string());
            counts.extend([((i, 2), yes), ((i, 4), no)]);
            companions.insert((i, 2), vec![(i, 3), (i, 4)]);
            companions.insert((i, 4), vec![(i, 2), (i, 3)]);
        }
        for bucket in ["0", "1-3", "4-6", "7"] {
            let k = self.courses_completed.get(bucket);
            rows.push(vec![
                Cell::text(format!("courses_completed_{bucket}")),
                Cell::text(format!("{bucket} cursussen afgerond")),
                Cell::people(k),
                Cell::percent(k, self.n),
            ]);
            keys.push(format!("courses_completed_{bucket}"));
            counts.insert((rows.len() - 1, 2), k);
            companions.insert((rows.len() - 1, 2), vec![(rows.len() - 1, 3)]);
        }
        // The buckets add up to n (a sum in `piece`), so one hidden alone is n minus the others.
        let mut piece = Piece::new(rows, keys, 4);
        piece.counts = counts;
        piece.companions = companions;
        piece
    }
}

fn reach_spec() -> TableSpec {
    TableSpec::new(
        "reach",
        "Bereik: van benaderd tot aan het werk",
        "Reach: from approached to back at work",
        vec![
            col("step", "Stap", "Step", Kind::Text),
            col("label", "Omschrijving", "Label", Kind::Text),
            col("n", "Aantal trajecten", "Trajectories", Kind::Integer),
            col("stopped_here", "Gestopt bij deze stap", "Stopped at this step", Kind::Integer),
            col("percent_of_approached", "% van benaderd", "% of approached", Kind::Decimal),
        ],
    )
}

fn stops_spec() -> TableSpec {
    TableSpec::new(
        "reach_stops",
        "Gestopt: bij welke stap en waarom",
        "Stopped: at which step and why",
        vec![
            col("step", "Stap", "Step", Kind::Text),
            col("reason", "Reden", "Reason", Kind::Text),
            col("n", "Aantal trajecten", "Trajectories", Kind::Integer),
        ],
    )
}

fn participants_spec(items: &[Item]) -> TableSpec {
    let mut cols = vec![
        col("organization", "Organisatie", "Organisation", Kind::Text),
        col("cohort", "Ronde", "Cohort", Kind::Text),
        // Trajectories: someone approached again in a later round counts in each.
        col("n", "Aantal trajecten", "Trajectories", Kind::Integer),
    ];
    for item in items {
        match item.item_type {
            ItemType::Number => {
                for (s, nl, en) in [("mean", "gemiddeld", "mean"), ("min", "laagst", "min"), ("max", "hoogst", "max")] {
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
    TableSpec::new("participants", "Deelnemers", "Participants", cols)
}

fn time_spec() -> TableSpec {
    TableSpec::new(
        "time_invested",
        "Tijd van coaches",
        "Coach time invested",
        vec![
            col("measure", "Maat", "Measure", Kind::Text),
            col("label", "Omschrijving", "Label", Kind::Text),
            col("n", "Aantal trajecten", "Trajectories", Kind::Integer),
            col("value", "Waarde", "Value", Kind::Decimal),
        ],
    )
}

fn time_per_coach_spec() -> TableSpec {
    TableSpec::new(
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
    )
}

fn fidelity_spec() -> TableSpec {
    TableSpec::new(
        "fidelity",
        "Welke onderdelen van de methode werden gebruikt",
        "Which parts of the method were used",
        vec![
            col("part", "Onderdeel", "Part", Kind::Text),
            col("label", "Omschrijving", "Label", Kind::Text),
            col("n", "Aantal trajecten", "Trajectories", Kind::Integer),
            col("percent", "Procent", "Percent", Kind::Decimal),
        ],
    )
}

/// One scope's row of the participants table (organisation and cohort are named when it is
/// shown), with the sums within it: each choice item's categories and the absence reasons add
/// up to `n`. A row whose `n` is hidden hides its figures too. Across scopes, every count adds up.
fn participants_piece(items: &[Item], p: &Participants) -> Piece {
    let mut r = vec![Cell::Null, Cell::Null, Cell::people(p.n)];
    let mut counts: Vec<Option<i64>> = vec![None, None, Some(p.n)];
    let whole = |cell: Cell| if p.n > 0 && p.n < super::table::MIN_CELL { Cell::Suppressed } else { cell };
    let people = |r: &mut Vec<Cell>, counts: &mut Vec<Option<i64>>, n: i64| {
        r.push(whole(Cell::people(n)));
        counts.push(Some(n));
    };
    let mut families: Vec<Vec<usize>> = Vec::new();
    for item in items {
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
                let first = r.len();
                for cat in item.categories().into_iter().chain(["unknown".to_string()]) {
                    people(&mut r, &mut counts, d.get(&cat));
                }
                families.push((first..r.len()).collect());
            }
        }
    }
    // Long-term or not, frequent or not: the rest is a group too.
    let yes_at = r.len();
    for yes in [p.long_term, p.frequent] {
        r.push(whole(Cell::people_of(yes, p.n)));
        counts.push(Some(yes));
    }
    let first = r.len();
    for c in CATEGORIES {
        people(&mut r, &mut counts, p.category.get(c));
    }
    families.push((first..r.len()).collect());
    let width = r.len();
    // Hidden "yes" cells of 14 among 16 people leave 2 "no" to be found from the n's. So each
    // yes-or-no count gets a column of its "no" for the sums (across scopes too), hidden with
    // its "yes" and dropped after.
    let mut companions: HashMap<At, Vec<At>> = HashMap::new();
    for yes in [yes_at, yes_at + 1] {
        let no = r.len();
        let rest = p.n - counts[yes].unwrap_or(0);
        // Hidden with its "yes" by `protect` when that is hidden already.
        r.push(Cell::Int(rest));
        counts.push(Some(rest));
        companions.insert((0, yes), vec![(0, no)]);
        companions.insert((0, no), vec![(0, yes)]);
    }
    companions.insert((0, 2), (3..r.len()).map(|c| (0, c)).collect());
    let mut piece = Piece::new(vec![r], vec![String::new()], width);
    piece.counts = counts.iter().enumerate().filter_map(|(c, n)| n.map(|n| ((0, c), n))).collect();
    piece.companions = companions;
    piece.sums =
        families.iter().map(|f| Sum { total: Some((0, 2)), parts: f.iter().map(|c| (0, *c)).collect() }).collect();
    piece
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scope's participants: `n`, of whom `long_term` long-term, all with the first absence cause.
    fn participants(n: i64, long_term: i64) -> Participants {
        let mut p = Participants { n, long_term, ..Participants::default() };
        for _ in 0..n {
            p.category.push(CATEGORIES[0]);
        }
        p
    }

    #[test]
    fn the_no_side_of_hidden_yes_cells_is_no_small_group_either() {
        // Cohorts with 8 of 10 long-term (2 not: hidden), 6 of 6, 7 of 20; 21 of 36 in the
        // organisation. Hiding the 6 with the 8 would leave 14 of 16 hidden: 2 "not long-term",
        // found from the n's and the total; so a third cohort would go too. Hiding the
        // organisation's 21 instead costs one figure.
        let groups = [(10, 8), (6, 6), (20, 7)];
        let mut pieces = vec![participants_piece(&[], &participants(36, 21))];
        pieces.extend(groups.iter().map(|(n, l)| participants_piece(&[], &participants(*n, *l))));
        let rows = nested::protect(pieces, &[None, Some(0), Some(0), Some(0)], &[usize::MAX; 4]);
        let long_term = |g: usize| rows[g + 1][0][3].clone();
        assert!(long_term(0).is_suppressed());
        assert_eq!((long_term(1), long_term(2)), (Cell::Int(6), Cell::Int(7)));
        assert_eq!(rows[0][0][3], Cell::Withheld, "the organisation's 21 goes instead");
        assert_eq!(rows[0][0][2], Cell::Int(36));
        let width = participants_spec(&[]).columns.len();
        assert!(rows.iter().all(|r| r[0].len() == width), "no helper column is left");
    }

    /// A scope of `n` with `buckets` people per course-count bucket ("0", "1-3", "4-6", "7").
    fn scope(n: i64, buckets: [i64; 4]) -> Figures {
        let mut f = Figures { n, participants: participants(n, 0), ..Figures::default() };
        for (b, k) in ["0", "1-3", "4-6", "7"].iter().zip(buckets) {
            for _ in 0..k {
                f.courses_completed.push(b);
            }
        }
        f.parts[2] = buckets[1] + buckets[2] + buckets[3];
        f
    }

    #[test]
    fn a_share_does_not_give_back_a_hidden_n() {
        // An organisation of 15: cohort A has 3 (hidden), so B's 12 goes too. B's buckets of 6
        // and 6 need only one of them hidden for the sum; the other, at 50%, would give 12.
        let pieces = [scope(15, [3, 6, 6, 0]), scope(3, [3, 0, 0, 0]), scope(12, [0, 6, 6, 0])];
        let out =
            nested::protect(pieces.iter().map(|f| f.piece(&[], &[]).0), &[None, Some(0), Some(0)], &[usize::MAX; 3]);
        for (scope, rows) in out.iter().enumerate() {
            if rows[PARTICIPANTS][2].is_suppressed() {
                for row in &rows[FIDELITY..REACH] {
                    let counted = matches!(row[2], Cell::Int(k) if k > 0);
                    assert!(!(counted && matches!(row[3], Cell::Dec(_))), "scope {scope}: {row:?}");
                }
            }
        }
        assert!(out[2][PARTICIPANTS][2].is_suppressed(), "B's n is withheld");
    }
}
