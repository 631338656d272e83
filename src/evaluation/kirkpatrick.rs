//! The Kirkpatrick export: reaction (1), learning (2), behaviour (3) and results (4), for
//! employees and coaches, as EVALUATION.md lists them.

use std::collections::{BTreeMap, HashMap};

use super::dataset::{Answers, Record};
use super::disclosure::{At, Linked, Sum};
use super::engine::{
    answer, answer_column, distribution_table, item_table, record_columns, Accumulator, ItemAcc, Names, Population,
    Spec, Used,
};
use super::instruments::{Item, ItemType};
use super::table::{col, Cell, Dist, Kind, Stat, TableSpec, MIN_CELL};
use crate::courses::content::Catalogue;

/// Change from the start to the end for one paired item (people with both answers only).
struct Pair {
    item: Item,
    before: Stat,
    after: Stat,
    change: Stat,
}

#[derive(Default)]
struct CourseAcc {
    started: i64,
    completed: i64,
    reflected: i64,
    choices: Dist,
}

#[derive(Default)]
struct Signals {
    n: i64,
    sessions: Stat,
    agreements: Stat,
    led_by_employee: i64,
    led_by_coach: i64,
    led_together: i64,
    group_attended: Stat,
    with_group: i64,
    with_buddy: i64,
}

#[derive(Default)]
struct Results {
    n: i64,
    reports_before: Stat,
    reports_after: Stat,
    days_before: Stat,
    days_after: Stat,
    follow_up: Stat,
    returned: i64,
    partial: i64,
    full: i64,
    /// Returned, and since then absent again (a relapse with no return after it).
    absent_again: i64,
    days_to_return: Stat,
    first_hours: Stat,
    latest_hours: Stat,
}

pub struct Kirkpatrick<'a> {
    spec: &'a Spec,
    courses: Vec<(String, String)>,
    /// Employees' end answers (not paired, not per course) and coaches' answers, per level.
    employee_items: Vec<ItemAcc>,
    coach_items: Vec<ItemAcc>,
    /// The same coach items over each wider scope the caller may ask for (`compares_coaches`).
    wider_coach_items: Vec<Vec<ItemAcc>>,
    /// The items shown per person in the record table.
    record_items: Vec<Item>,
    pairs: Vec<Pair>,
    difficulty: Vec<(String, Item, Dist)>,
    course_acc: BTreeMap<String, CourseAcc>,
    signals: Signals,
    results: Results,
    /// Free text, only when asked for (project leader, own organisation): bounded by its size.
    texts: Vec<Vec<Cell>>,
}

impl<'a> Kirkpatrick<'a> {
    pub fn new(spec: &'a Spec, used: &Used<'_>, catalogue: &Catalogue) -> Kirkpatrick<'a> {
        let wants = |i: &Item| i.level.is_some_and(|l| spec.level.is_none_or(|s| s == l));
        let plain = |i: &&Item| i.item_type != ItemType::Open && i.item_use.is_none();
        let employee_items = used
            .end
            .items
            .iter()
            .filter(plain)
            .filter(|i| wants(i) && !i.paired && i.course.is_none())
            .map(|i| ItemAcc::new("employee", &used.end.key, i))
            .collect();
        let coach_items = used
            .coach
            .items
            .iter()
            .filter(plain)
            .filter(|i| wants(i))
            .map(|i| ItemAcc::new("coach", &used.coach.key, i))
            .collect();
        let pairs = used
            .end
            .items
            .iter()
            .filter(|i| i.paired && wants(i))
            .map(|i| Pair { item: i.clone(), before: Stat::default(), after: Stat::default(), change: Stat::default() })
            .collect();
        let difficulty = used
            .end
            .items
            .iter()
            .filter(|i| wants(i) && i.item_type == ItemType::Choice)
            .filter_map(|i| i.course.clone().map(|c| (c, i.clone(), Dist::default())))
            .collect();
        let record_items = used.end.items.iter().filter(plain).filter(|i| wants(i) && !i.paired).cloned().collect();
        Kirkpatrick {
            spec,
            courses: catalogue.courses.iter().map(|c| (c.slug.clone(), c.title.clone())).collect(),
            employee_items,
            coach_items,
            wider_coach_items: Vec::new(),
            record_items,
            pairs,
            difficulty,
            course_acc: BTreeMap::new(),
            signals: Signals::default(),
            results: Results::default(),
            texts: Vec::new(),
        }
    }

    fn text(&mut self, person: &str, what: String, text: &str) {
        self.texts.push(vec![Cell::text(person), Cell::text(what), Cell::text(text)]);
    }
}

fn numeric_pair(p: &Pair) -> bool {
    p.item.item_type != ItemType::YesNo
}

impl Accumulator for Kirkpatrick<'_> {
    fn record_table(&self) -> TableSpec {
        let s = self.spec;
        let mut cols = record_columns();
        cols.push(col("status", "Status", "Status", Kind::Text));
        // Which version of each questionnaire the person answered: answers of two versions may
        // not mean the same.
        cols.push(col("baseline_version", "Versie beginvragenlijst", "Baseline questionnaire version", Kind::Integer));
        cols.push(col("end_version", "Versie eindvragenlijst", "End questionnaire version", Kind::Integer));
        cols.extend(self.record_items.iter().map(|i| answer_column(i, "")));
        if s.wants(2) {
            cols.push(col("courses_completed", "Cursussen afgerond", "Courses completed", Kind::Integer));
        }
        for p in &self.pairs {
            cols.push(answer_column(&p.item, "_start"));
            cols.push(answer_column(&p.item, "_end"));
        }
        if s.wants(3) {
            cols.extend([
                col("sessions", "Gesprekken", "Sessions", Kind::Integer),
                col("agreements", "Gesprekken met afspraken", "Sessions with agreements", Kind::Integer),
                col("group_attended", "Groepsbijeenkomsten bijgewoond", "Group sessions attended", Kind::Integer),
            ]);
            if s.population != Population::Research {
                cols.push(col("buddy", "Buddy", "Buddy", Kind::Boolean));
            }
        }
        if s.wants(4) {
            cols.extend([
                col("reports_before", "Ziekmeldingen 12 mnd ervoor", "Sick reports 12 months before", Kind::Integer),
                col("reports_after", "Ziekmeldingen vanaf start", "Sick reports from start", Kind::Integer),
                col("days_before", "Verzuimdagen 12 mnd ervoor", "Days absent 12 months before", Kind::Integer),
                col("days_after", "Verzuimdagen vanaf start", "Days absent from start", Kind::Integer),
                col("follow_up_days", "Dagen gevolgd na start", "Days followed after start", Kind::Integer),
                col("returned", "Werkhervatting", "Return to work", Kind::Text),
                col("days_to_return", "Dagen tot hervatting", "Days to return", Kind::Integer),
                col("hours_first", "Uren per week bij hervatting", "Hours per week at return", Kind::Decimal),
                col("hours_latest", "Uren per week nu", "Hours per week latest", Kind::Decimal),
            ]);
        }
        TableSpec::new("records", "Per persoon (pseudoniem)", "Per person (pseudonymised)", cols)
    }

    fn add(&mut self, r: &Record, person: &str) -> Vec<Cell> {
        let s = self.spec;
        let end = r.end.as_ref().map(|e| &e.answers);
        let base = r.baseline.as_ref().map(|b| &b.answers);
        let version = |r: Option<&super::dataset::Response>| r.map_or(Cell::Null, |r| Cell::Int(i64::from(r.version)));
        let mut row = vec![Cell::text(&r.status), version(r.baseline.as_ref()), version(r.end.as_ref())];
        for acc in &mut self.employee_items {
            acc.push(end.and_then(|a| a.get(&acc.item.key)));
        }
        row.extend(self.record_items.iter().map(|i| answer(i, end)));
        for (_, item, dist) in &mut self.difficulty {
            if let Some(cat) = end.and_then(|a| a.get(&item.key)).and_then(|v| item.category_of(v)) {
                dist.push(&cat);
            }
        }
        if s.wants(2) {
            for slug in &r.courses_started {
                self.course_acc.entry(slug.clone()).or_default().started += 1;
            }
            for slug in &r.courses_completed {
                self.course_acc.entry(slug.clone()).or_default().completed += 1;
            }
            for refl in &r.reflections {
                let c = self.course_acc.entry(refl.course.clone()).or_default();
                if refl.written {
                    c.reflected += 1;
                }
                if let Some(ch) = &refl.choice {
                    c.choices.push(ch);
                }
            }
            row.push(Cell::Int(r.courses_completed.len() as i64));
        }
        for p in &mut self.pairs {
            let b = base.and_then(|a| a.get(&p.item.key)).and_then(|v| p.item.numeric(v));
            let e = end.and_then(|a| a.get(&p.item.key)).and_then(|v| p.item.numeric(v));
            if let (Some(b), Some(e)) = (b, e) {
                p.before.push(b);
                p.after.push(e);
                p.change.push(e - b);
            }
            row.push(answer(&p.item, base));
            row.push(answer(&p.item, end));
        }
        if s.wants(3) {
            let l = &r.logbook;
            let g = &mut self.signals;
            g.n += 1;
            g.sessions.push(l.sessions as f64);
            g.agreements.push(l.agreements as f64);
            g.led_by_employee += l.led_by_employee;
            g.led_by_coach += l.led_by_coach;
            g.led_together += l.led_together;
            g.group_attended.push(r.group_attended as f64);
            g.with_group += i64::from(r.group_attended > 0);
            g.with_buddy += i64::from(r.buddy);
            row.extend([Cell::Int(l.sessions), Cell::Int(l.agreements), Cell::Int(r.group_attended)]);
            // Researchers get buddy pairs as counts only (DOMAIN.md): two records marked in a
            // cohort would show which two pseudonyms are a pair.
            if s.population != Population::Research {
                row.push(Cell::Bool(r.buddy));
            }
        }
        if s.wants(4) {
            let a = &r.absence;
            let x = &mut self.results;
            x.n += 1;
            x.reports_before.push(a.reports_before as f64);
            x.reports_after.push(a.reports_after as f64);
            x.days_before.push(a.days_before as f64);
            x.days_after.push(a.days_after as f64);
            x.follow_up.push(a.follow_up_days as f64);
            if let Some(w) = &r.work_return {
                x.returned += 1;
                match w.latest_extent.as_str() {
                    "full" => x.full += 1,
                    "absent_again" => x.absent_again += 1,
                    _ => x.partial += 1,
                }
                x.first_hours.push(w.first_hours);
                x.latest_hours.push(w.latest_hours);
            }
            if let Some(d) = r.days_to_return() {
                x.days_to_return.push(d as f64);
            }
            row.extend([
                Cell::Int(a.reports_before),
                Cell::Int(a.reports_after),
                Cell::Int(a.days_before),
                Cell::Int(a.days_after),
                Cell::Int(a.follow_up_days),
                r.work_return.as_ref().map_or(Cell::text("none"), |w| Cell::text(&w.latest_extent)),
                r.days_to_return().map_or(Cell::Null, Cell::Int),
                r.work_return.as_ref().map_or(Cell::Null, |w| Cell::Dec(w.first_hours)),
                r.work_return.as_ref().map_or(Cell::Null, |w| Cell::Dec(w.latest_hours)),
            ]);
        }
        // Own words only while the person is in the method: a withdrawal takes them back.
        if s.free_text && r.method_consent_now {
            if s.wants(2) {
                for refl in &r.reflections {
                    if let Some(t) = &refl.text {
                        self.text(person, format!("reflectie {}", refl.course), t);
                    }
                }
            }
            for e in [&r.baseline, &r.end].into_iter().flatten() {
                for (k, t) in &e.open {
                    self.text(person, format!("{} {k}", e.key), t);
                }
            }
        }
        row
    }

    fn coach(&mut self, answers: &Answers) {
        for acc in &mut self.coach_items {
            acc.push(answers.get(&acc.item.key));
        }
    }

    fn compares_coaches(&self) -> bool {
        true
    }

    fn wider_scope(&mut self) {
        let empty = self.coach_items.iter().map(|a| ItemAcc::new(a.audience, &a.instrument, &a.item)).collect();
        self.wider_coach_items.push(empty);
    }

    fn wider_coach(&mut self, scope: usize, answers: &Answers) {
        for acc in &mut self.wider_coach_items[scope] {
            acc.push(answers.get(&acc.item.key));
        }
    }

    fn tables(&mut self, _names: &Names) -> Vec<(TableSpec, Vec<Vec<Cell>>)> {
        let s = self.spec;
        let mut out = Vec::new();
        let by_level = |items: &[ItemAcc], level: u8| -> Vec<ItemAcc> {
            items.iter().filter(|a| a.item.level == Some(level)).cloned().collect()
        };
        for level in 1..=4u8 {
            if !s.wants(level) {
                continue;
            }
            let mut items = by_level(&self.employee_items, level);
            items.extend(by_level(&self.coach_items, level));
            let refs: Vec<&ItemAcc> = items.iter().collect();
            let figures: Vec<_> = refs
                .iter()
                .map(|a| {
                    let mut f = a.figures();
                    if a.audience == "coach" && self.a_few_coaches_away(a) {
                        f.withhold();
                    }
                    f
                })
                .collect();
            out.push(item_table(
                &format!("l{level}_items"),
                &format!("Niveau {level}: vragen (gemiddelde en spreiding)"),
                &format!("Level {level}: items (mean and spread)"),
                &refs,
                &figures,
            ));
            out.push(distribution_table(
                &format!("l{level}_distribution"),
                &format!("Niveau {level}: verdeling van de antwoorden"),
                &format!("Level {level}: distribution of answers"),
                &refs,
                figures,
            ));
            match level {
                1 => out.push(self.difficulty_table()),
                2 => out.push(self.courses_table()),
                3 => {
                    out.push(self.change_table(3));
                    out.push(self.self_regulation_table());
                    out.push(self.signals_table());
                }
                _ => {
                    out.push(self.change_table(4));
                    out.push(results_table(&self.results));
                }
            }
        }
        if s.free_text {
            let spec = TableSpec::new(
                "texts",
                "Eigen woorden (reflecties en open antwoorden)",
                "Own words (reflections and open answers)",
                vec![
                    col("person", "Persoon (pseudoniem)", "Person (pseudonym)", Kind::Text),
                    col("about", "Over", "About", Kind::Text),
                    col("text", "Tekst", "Text", Kind::Text),
                ],
            );
            out.push((spec, std::mem::take(&mut self.texts)));
        }
        out
    }
}

impl Kirkpatrick<'_> {
    /// Whether a wider scope the caller may ask for too (this cohort's organisation, all
    /// organisations) shows 1 to 4 coaches more for this item, or for one of its answers, than
    /// this scope shows: that export less this one would be their answers. Such an item's
    /// figures are withheld here, in the narrower scope; the wider one shows them. Counts hidden
    /// under five in either export give nothing to subtract. (Scopes beside this one, such as
    /// the other cohorts, are not compared: see the README.)
    fn a_few_coaches_away(&self, mine: &ItemAcc) -> bool {
        let shown = |n: i64| !(1..MIN_CELL).contains(&n);
        let few = |wider: i64, here: i64| shown(wider) && shown(here) && (1..MIN_CELL).contains(&(wider - here));
        self.wider_coach_items.iter().filter_map(|w| w.iter().find(|a| a.item.key == mine.item.key)).any(|w| {
            few(w.stat.n(), mine.stat.n())
                || few(w.dist.n, mine.dist.n)
                || mine.item.categories().iter().any(|c| few(w.dist.get(c), mine.dist.get(c)))
        })
    }

    fn difficulty_table(&self) -> (TableSpec, Vec<Vec<Cell>>) {
        let spec = TableSpec::new(
            "l1_difficulty",
            "Niveau 1: hoe moeilijk was elke cursus",
            "Level 1: difficulty per course",
            vec![
                col("course", "Cursus", "Course", Kind::Text),
                col("n", "Aantal", "n", Kind::Integer),
                col("too_hard", "Te moeilijk (%)", "Too hard (%)", Kind::Decimal),
                col("right", "Goed zo (%)", "Right (%)", Kind::Decimal),
                col("too_easy", "Te makkelijk (%)", "Too easy (%)", Kind::Decimal),
            ],
        );
        let mut counts = HashMap::new();
        let mut rows: Vec<Vec<Cell>> = self
            .difficulty
            .iter()
            .enumerate()
            .map(|(r, (course, _, d))| {
                for (c, answer) in [(1, ""), (2, "too_hard"), (3, "right"), (4, "too_easy")] {
                    let n = if answer.is_empty() {
                        d.get("too_hard") + d.get("right") + d.get("too_easy")
                    } else {
                        d.get(answer)
                    };
                    counts.insert((r, c), n);
                }
                // 'Not done' answers do not count in the shares.
                let n = d.get("too_hard") + d.get("right") + d.get("too_easy");
                vec![
                    Cell::text(course),
                    Cell::people(n),
                    Cell::percent(d.get("too_hard"), n),
                    Cell::percent(d.get("right"), n),
                    Cell::percent(d.get("too_easy"), n),
                ]
            })
            .collect();
        // The three shares add up to n: one hidden alone is the rest.
        let sums: Vec<Sum> =
            (0..rows.len()).map(|r| Sum { total: Some((r, 1)), parts: vec![(r, 2), (r, 3), (r, 4)] }).collect();
        Linked { rows: &mut rows, counts, companions: HashMap::new() }.protect(&sums);
        (spec, rows)
    }

    fn courses_table(&self) -> (TableSpec, Vec<Vec<Cell>>) {
        let spec = TableSpec::new(
            "l2_courses",
            "Niveau 2: cursussen en reflecties",
            "Level 2: courses and reflections",
            vec![
                col("course", "Cursus", "Course", Kind::Text),
                col("title", "Titel", "Title", Kind::Text),
                col("started", "Begonnen", "Started", Kind::Integer),
                col("completed", "Afgerond", "Completed", Kind::Integer),
                col("reflections", "Reflecties geschreven", "Reflections written", Kind::Integer),
                col("talk_coach", "Wil praten met coach", "Wants to talk with coach", Kind::Integer),
                col("talk_group", "Wil praten in groep", "Wants to talk in group", Kind::Integer),
            ],
        );
        let empty = CourseAcc::default();
        let mut rows: Vec<Vec<Cell>> = self
            .courses
            .iter()
            .map(|(slug, title)| {
                let c = self.course_acc.get(slug).unwrap_or(&empty);
                // Each count is of people who began the course: beside `started` it also tells
                // how many did not (finish, write, ask), which may be a small group.
                let of_started = |n: i64| Cell::people_of(n, c.started);
                vec![
                    Cell::text(slug),
                    Cell::text(title),
                    Cell::people(c.started),
                    of_started(c.completed),
                    of_started(c.reflected),
                    // Who asked for both counts in both columns.
                    of_started(c.choices.get("coach_talk") + c.choices.get("both")),
                    of_started(c.choices.get("group_session") + c.choices.get("both")),
                ]
            })
            .collect();
        // The records give each person's number of courses completed, so the column's total is
        // known: one course's count hidden alone would be that total minus the others.
        let completed: Vec<At> = (0..rows.len()).map(|r| (r, 3)).collect();
        let counts = self
            .courses
            .iter()
            .zip(&completed)
            .map(|((slug, _), at)| (*at, self.course_acc.get(slug).map_or(0, |c| c.completed)))
            .collect();
        // Reflections and the wishes to talk are made as a course is completed: hidden with its
        // count, which they would otherwise bound from below (a 0 bounds nothing: it stays).
        let companions = self
            .courses
            .iter()
            .zip(&completed)
            .map(|((slug, _), &(r, c))| {
                let acc = self.course_acc.get(slug).unwrap_or(&empty);
                let bounds = [
                    (4, acc.reflected),
                    (5, acc.choices.get("coach_talk") + acc.choices.get("both")),
                    (6, acc.choices.get("group_session") + acc.choices.get("both")),
                ];
                ((r, c), bounds.into_iter().filter(|(_, n)| *n > 0).map(|(col, _)| (r, col)).collect())
            })
            .collect();
        Linked { rows: &mut rows, counts, companions }.protect(&[Sum { total: None, parts: completed }]);
        (spec, rows)
    }

    fn change_table(&self, level: u8) -> (TableSpec, Vec<Vec<Cell>>) {
        let spec = TableSpec::new(
            &format!("l{level}_change"),
            &format!("Niveau {level}: verandering van start tot eind (alleen wie beide invulde)"),
            &format!("Level {level}: change from start to end (paired)"),
            vec![
                col("item", "Vraag", "Item", Kind::Text),
                col("text", "Tekst", "Text", Kind::Text),
                col("n_pairs", "Aantal paren", "Pairs", Kind::Integer),
                col("mean_start", "Gemiddelde start", "Mean start", Kind::Decimal),
                col("mean_end", "Gemiddelde eind", "Mean end", Kind::Decimal),
                col("mean_change", "Gemiddelde verandering", "Mean change", Kind::Decimal),
                col("sd_change", "Spreiding verandering", "SD change", Kind::Decimal),
            ],
        );
        let rows = self
            .pairs
            .iter()
            .filter(|p| p.item.level == Some(level) && numeric_pair(p))
            .map(|p| {
                let n = p.change.n();
                vec![
                    Cell::text(&p.item.key),
                    Cell::text(&p.item.text),
                    Cell::people(n),
                    Cell::over(n, p.before.mean()),
                    Cell::over(n, p.after.mean()),
                    Cell::over(n, p.change.mean()),
                    Cell::over(n, p.change.sd()),
                ]
            })
            .collect();
        (spec, rows)
    }

    fn self_regulation_table(&self) -> (TableSpec, Vec<Vec<Cell>>) {
        let spec = TableSpec::new(
            "l3_self_regulation",
            "Niveau 3: zelfregulatie herkend bij start en eind (alleen wie beide invulde)",
            "Level 3: self-regulation statements recognised at start and end (paired)",
            vec![
                col("item", "Uitspraak", "Statement", Kind::Text),
                col("text", "Tekst", "Text", Kind::Text),
                col("n_pairs", "Aantal paren", "Pairs", Kind::Integer),
                col("yes_start", "Ja bij start", "Yes at start", Kind::Integer),
                col("yes_end", "Ja bij eind", "Yes at end", Kind::Integer),
                col("percent_start", "Ja bij start (%)", "Yes at start (%)", Kind::Decimal),
                col("percent_end", "Ja bij eind (%)", "Yes at end (%)", Kind::Decimal),
            ],
        );
        let rows = self
            .pairs
            .iter()
            .filter(|p| p.item.level == Some(3) && !numeric_pair(p))
            .map(|p| {
                let n = p.change.n();
                let yes_start = p.before.sum().round() as i64;
                let yes_end = p.after.sum().round() as i64;
                vec![
                    Cell::text(&p.item.key),
                    Cell::text(&p.item.text),
                    Cell::people(n),
                    Cell::people_of(yes_start, n),
                    Cell::people_of(yes_end, n),
                    Cell::share(yes_start, n),
                    Cell::share(yes_end, n),
                ]
            })
            .collect();
        (spec, rows)
    }

    fn signals_table(&self) -> (TableSpec, Vec<Vec<Cell>>) {
        let g = &self.signals;
        let spec = TableSpec::new(
            "l3_signals",
            "Niveau 3: signalen uit logboek, groepen en buddy's",
            "Level 3: signals from logbook, groups and buddies",
            vec![
                col("measure", "Maat", "Measure", Kind::Text),
                col("n", "Aantal trajecten", "Trajectories", Kind::Integer),
                col("value", "Waarde", "Value", Kind::Decimal),
            ],
        );
        let n = g.n;
        let led_total = g.led_by_employee + g.led_by_coach + g.led_together;
        // The mean times n is the number of attendances: 1 to 4 of them are 1 to 4 people at most,
        // whose share beside it is hidden.
        let attended = g.group_attended.sum().round() as i64;
        let attended_mean =
            if (1..MIN_CELL).contains(&attended) { Cell::Withheld } else { Cell::over(n, g.group_attended.mean()) };
        let mut rows = vec![
            vec![Cell::text("sessions_mean"), Cell::people(n), Cell::over(n, g.sessions.mean())],
            vec![Cell::text("sessions_total"), Cell::people(n), Cell::over(n, Some(g.sessions.sum()))],
            vec![Cell::text("agreements_mean"), Cell::people(n), Cell::over(n, g.agreements.mean())],
            vec![
                Cell::text("led_by_employee_percent"),
                Cell::people(n),
                gated(n, Cell::percent(g.led_by_employee, led_total)),
            ],
            vec![
                Cell::text("led_by_coach_percent"),
                Cell::people(n),
                gated(n, Cell::percent(g.led_by_coach, led_total)),
            ],
            vec![
                Cell::text("led_together_percent"),
                Cell::people(n),
                gated(n, Cell::percent(g.led_together, led_total)),
            ],
            vec![Cell::text("group_sessions_attended_mean"), Cell::people(n), attended_mean],
            vec![Cell::text("with_group_session_percent"), Cell::people(n), Cell::share(g.with_group, n)],
            vec![Cell::text("with_buddy_percent"), Cell::people(n), Cell::share(g.with_buddy, n)],
        ];
        // Who led: the three shares add up to 100%, so one hidden alone is the rest.
        let led = [(3, 2), (4, 2), (5, 2)];
        let counts = HashMap::from([(led[0], g.led_by_employee), (led[1], g.led_by_coach), (led[2], g.led_together)]);
        Linked { rows: &mut rows, counts, companions: HashMap::new() }
            .protect(&[Sum { total: None, parts: led.to_vec() }]);
        (spec, rows)
    }
}

/// Level 4: absence before and after, and the returns (partial, full, absent again since).
fn results_table(x: &Results) -> (TableSpec, Vec<Vec<Cell>>) {
    let spec = TableSpec::new(
        "l4_results",
        "Niveau 4: verzuim en werkhervatting",
        "Level 4: absence and return to work",
        vec![
            col("measure", "Maat", "Measure", Kind::Text),
            col("n", "Aantal", "n", Kind::Integer),
            col("value", "Waarde", "Value", Kind::Decimal),
        ],
    );
    let n = x.n;
    let mean = |s: &Stat| Cell::over(s.n(), s.mean());
    let mut rows = vec![
        vec![Cell::text("sick_reports_before_mean"), Cell::people(n), mean(&x.reports_before)],
        vec![Cell::text("sick_reports_after_mean"), Cell::people(n), mean(&x.reports_after)],
        vec![Cell::text("days_absent_before_mean"), Cell::people(n), mean(&x.days_before)],
        vec![Cell::text("days_absent_after_mean"), Cell::people(n), mean(&x.days_after)],
        vec![Cell::text("follow_up_days_mean"), Cell::people(n), mean(&x.follow_up)],
        // Returned or not: next to n, the count gives the rest too.
        vec![Cell::text("returned_percent"), Cell::people_of(x.returned, n), Cell::share(x.returned, n)],
        vec![Cell::text("returned_partial"), Cell::people(x.partial), Cell::over(x.partial, Some(x.partial as f64))],
        vec![Cell::text("returned_full"), Cell::people(x.full), Cell::over(x.full, Some(x.full as f64))],
        vec![
            Cell::text("returned_absent_again"),
            Cell::people(x.absent_again),
            Cell::over(x.absent_again, Some(x.absent_again as f64)),
        ],
        vec![Cell::text("days_to_return_mean"), Cell::people(x.days_to_return.n()), mean(&x.days_to_return)],
        vec![Cell::text("hours_at_return_mean"), Cell::people(x.first_hours.n()), mean(&x.first_hours)],
        vec![Cell::text("hours_latest_mean"), Cell::people(x.latest_hours.n()), mean(&x.latest_hours)],
    ];
    // Partial and full returns, and those absent again since, add up to all returns.
    let counts = HashMap::from([((5, 1), x.returned), ((6, 1), x.partial), ((7, 1), x.full), ((8, 1), x.absent_again)]);
    // The figures about those who returned count them in their `n`: hidden with them.
    let returned: Vec<At> = (9..=11).flat_map(|r| [(r, 1), (r, 2)]).chain([(5, 2)]).collect();
    let companions =
        HashMap::from([((5, 1), returned), ((6, 1), vec![(6, 2)]), ((7, 1), vec![(7, 2)]), ((8, 1), vec![(8, 2)])]);
    let sum = Sum { total: Some((5, 1)), parts: vec![(6, 1), (7, 1), (8, 1)] };
    Linked { rows: &mut rows, counts, companions }.protect(&[sum]);
    (spec, rows)
}

/// A share among the sessions of fewer than five people is suppressed too.
fn gated(people: i64, cell: Cell) -> Cell {
    if people > 0 && people < super::table::MIN_CELL {
        Cell::Suppressed
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` people of whom `partial`, `full` and `again` returned (each with hours and days).
    fn results(n: i64, partial: i64, full: i64, again: i64) -> Vec<Vec<Cell>> {
        let mut x = Results { n, partial, full, absent_again: again, ..Results::default() };
        x.returned = partial + full + again;
        for _ in 0..n {
            for s in [&mut x.reports_before, &mut x.reports_after, &mut x.days_before, &mut x.days_after] {
                s.push(1.0);
            }
            x.follow_up.push(100.0);
        }
        for _ in 0..x.returned {
            for s in [&mut x.days_to_return, &mut x.first_hours, &mut x.latest_hours] {
                s.push(8.0);
            }
        }
        results_table(&x).1
    }

    fn measure(rows: &[Vec<Cell>], i: usize) -> &str {
        match &rows[i][0] {
            Cell::Text(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn those_absent_again_are_a_part_of_the_returns_protected_with_them() {
        // 12 returned: 6 partial, 4 full, 2 absent again. The 2 are hidden, and one more part with
        // them, or subtraction from the 12 would find them; the figures over all 12 stay.
        let rows = results(20, 6, 4, 2);
        assert_eq!(measure(&rows, 8), "returned_absent_again");
        assert!(rows[8][1].is_suppressed() && rows[8][2].is_suppressed());
        let hidden = (6..=7).filter(|r| rows[*r][1].is_suppressed()).count();
        assert_eq!(hidden, 1, "{rows:?}");
        assert_eq!(rows[5][1], Cell::Int(12));
        for r in 9..=11 {
            assert_eq!(rows[r][1], Cell::Int(12), "{}", measure(&rows, r));
        }
        // 3 returned: the figures about them are hidden with them.
        let rows = results(20, 1, 1, 1);
        assert!((5..=11).all(|r| rows[r][1].is_suppressed()), "{rows:?}");
        assert!(rows[5][2].is_suppressed());
        // Nobody absent again: a 0 is no small group, and nothing else is hidden for it.
        let rows = results(20, 6, 6, 0);
        assert_eq!(
            (rows[6][1].clone(), rows[7][1].clone(), rows[8][1].clone()),
            (Cell::Int(6), Cell::Int(6), Cell::Int(0))
        );
    }
}
