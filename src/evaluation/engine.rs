//! Runs an export: reads the trajectories in scope batch by batch, streams the per-person
//! records (pseudonymised) to the sink as it goes, and adds up the summary tables, which are
//! written at the end. Memory holds a few batches plus the running sums.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::dataset::{self, Record, Scope};
use super::disclosure::Sum;
use super::instruments::{Audience, Instrument, Instruments, ItemType, ItemUse, Moment};
use super::output::Sink;
use super::pseudonym::Pseudonyms;
use super::table::{col, Cell, Column, Dist, Kind, Stat, TableSpec, MIN_CELL};
use crate::courses::content::Catalogue;
use crate::db::schema::{cohorts, organizations, questionnaire_responses, trajectories};
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Kirkpatrick,
    Process,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Kirkpatrick => "kirkpatrick",
            ExportKind::Process => "process",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Population {
    /// People with research consent (researchers; always pseudonymised).
    Research,
    /// Everybody in the project leader's own organisation (operational use; pseudonymised too).
    Organisation,
}

impl Population {
    pub fn as_str(self) -> &'static str {
        match self {
            Population::Research => "research_consent",
            Population::Organisation => "own_organisation",
        }
    }
}

pub struct Spec {
    pub kind: ExportKind,
    pub scope: Scope,
    /// Kirkpatrick level 1-4; `None` for all.
    pub level: Option<u8>,
    pub population: Population,
    /// Reflections and open answers (project leader, own organisation, on request).
    pub free_text: bool,
    pub pseudonyms: Pseudonyms,
    /// The organisations' date and time zone (`WILKAN_TIME_ZONE`): the day a trajectory started
    /// is the day on their calendar.
    pub today: NaiveDate,
    pub time_zone: chrono_tz::Tz,
}

impl Spec {
    pub fn wants(&self, level: u8) -> bool {
        self.level.is_none_or(|l| l == level)
    }

    /// Who the figures beyond the funnel's first steps are about: for a project leader the
    /// people who joined the method (someone approached who declined is counted in the funnel,
    /// not as a participant), for a researcher those of them with research consent. A research
    /// "yes" from someone who never joined the method counts in the funnel only, as its steps
    /// put research consent after method consent.
    fn includes(&self, r: &Record) -> bool {
        match self.population {
            Population::Organisation => r.method_consent,
            Population::Research => r.method_consent && r.research_consent,
        }
    }
}

#[derive(Debug, Default)]
pub struct Summary {
    pub row_counts: Vec<(String, usize)>,
    /// Trajectories included (after the consent filter).
    pub people: usize,
    pub coach_responses: usize,
}

/// The instruments an export reads: the employees' baseline and end, and the coaches'.
pub struct Used<'a> {
    pub baseline: &'a Instrument,
    pub end: &'a Instrument,
    pub coach: &'a Instrument,
}

pub fn used(instruments: &Instruments) -> Result<Used<'_>, AppError> {
    let get = |a, m| instruments.for_moment(a, m).ok_or_else(|| AppError::internal("a questionnaire is missing"));
    Ok(Used {
        baseline: get(Audience::Employee, Moment::Baseline)?,
        end: get(Audience::Employee, Moment::End)?,
        coach: get(Audience::Coach, Moment::Training)?,
    })
}

/// Number of trajectories in scope (for a progress bar).
pub fn count(c: &mut DbConnection, scope: &Scope) -> Result<i64, AppError> {
    Ok(dataset::scoped(trajectories::table.count().into_boxed(), scope).get_result(c)?)
}

/// Organisation and cohort names (not personal; small).
pub struct Names {
    orgs: HashMap<String, String>,
    cohorts: HashMap<String, String>,
}

impl Names {
    fn load(c: &mut DbConnection) -> Result<Names, AppError> {
        Ok(Names {
            orgs: organizations::table.select((organizations::id, organizations::name)).load(c)?.into_iter().collect(),
            cohorts: cohorts::table.select((cohorts::id, cohorts::name)).load(c)?.into_iter().collect(),
        })
    }

    pub fn org(&self, id: &str) -> String {
        self.orgs.get(id).cloned().unwrap_or_default()
    }

    pub fn cohort(&self, id: &str) -> String {
        self.cohorts.get(id).cloned().unwrap_or_default()
    }
}

/// Writes one whole table.
fn table(
    sink: &mut dyn Sink,
    counts: &mut Vec<(String, usize)>,
    spec: TableSpec,
    rows: Vec<Vec<Cell>>,
) -> Result<(), AppError> {
    sink.begin(&spec)?;
    for r in &rows {
        sink.row(r)?;
    }
    sink.end()?;
    counts.push((spec.key, rows.len()));
    Ok(())
}

fn answer_cell(item_type: ItemType, v: Option<&serde_json::Value>) -> Cell {
    match v {
        None => Cell::Null,
        Some(v) => match item_type {
            ItemType::YesNo => v.as_bool().map_or(Cell::Null, Cell::Bool),
            ItemType::Choice | ItemType::Open => v.as_str().map_or(Cell::Null, Cell::text),
            _ => v.as_i64().map_or(Cell::Null, Cell::Int),
        },
    }
}

fn kind_of(t: ItemType) -> Kind {
    match t {
        ItemType::YesNo => Kind::Boolean,
        ItemType::Choice | ItemType::Open => Kind::Text,
        _ => Kind::Integer,
    }
}

/// Runs the export into `sink`; `progress(done, total)` after every batch. With a `helper`
/// connection two threads read the batches, taking turns.
pub fn run(
    c: &mut DbConnection,
    helper: Option<&mut DbConnection>,
    spec: &Spec,
    instruments: &Instruments,
    catalogue: &Catalogue,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Summary, AppError> {
    let used = used(instruments)?;
    let names = Names::load(c)?;
    let mut summary = Summary::default();
    let mut acc: Box<dyn Accumulator> = match spec.kind {
        ExportKind::Kirkpatrick => Box::new(super::kirkpatrick::Kirkpatrick::new(spec, &used, catalogue)),
        ExportKind::Process => Box::new(super::process::Process::new(spec, &used)),
    };
    // What is read: the scope asked for, or a wider one whose figures are protected with it.
    let read = acc.widest().unwrap_or_else(|| spec.scope.clone());
    let total = count(c, &read)? as u64;
    let records = acc.record_table();
    sink.begin(&records)?;
    let mut written = 0usize;
    let mut done = 0u64;
    // Reading a batch (database and decoding) takes about four times as long as writing it
    // (pseudonyms, sums, CSV/XLSX). So readers read ahead on threads of their own, each on its own
    // connection, and take turns by page: reader i reads pages i, i + n, ... and this thread
    // writes them in page order. Each reader's channel holds one page, and n readers read pages of
    // BATCH / n: memory stays at a few BATCHes of records whatever the size of the export and the
    // number of readers.
    let mut conns: Vec<&mut DbConnection> = vec![&mut *c];
    conns.extend(helper);
    let size = dataset::BATCH / conns.len() as i64;
    let pages = dataset::pages(conns[0], &read, size)?;
    conns.truncate(pages.len());
    let readers = conns.len();
    let scope = &read;
    let items = dataset::ItemKeys::of([used.baseline, used.end]);
    let reading = dataset::Reading {
        today: spec.today,
        time_zone: spec.time_zone,
        baseline_key: &used.baseline.key,
        end_key: &used.end.key,
        items: &items,
        texts: spec.free_text,
    };
    let reading = &reading;
    std::thread::scope(|threads| -> Result<(), AppError> {
        let mut channels = Vec::with_capacity(readers);
        for (i, conn) in conns.into_iter().enumerate() {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Record>, AppError>>(1);
            channels.push(rx);
            let mine = pages.iter().skip(i).step_by(readers);
            threads.spawn(move || {
                for page in mine {
                    let batch = dataset::batch(conn, scope, page, reading);
                    let failed = batch.is_err();
                    // A closed channel means the writer stopped (an error): stop reading too.
                    if tx.send(batch).is_err() || failed {
                        break;
                    }
                }
            });
        }
        for k in 0..pages.len() {
            // A reader stops early only after sending its error, or when its thread panicked.
            let batch = channels[k % readers]
                .recv()
                .map_err(|_| AppError::internal("an export reader stopped without an answer"))??;
            done += batch.len() as u64;
            for r in &batch {
                acc.funnel(r);
                if !spec.includes(r) {
                    continue;
                }
                // Outside the scope asked for: counted in the wider scopes' figures only.
                if !spec.scope.holds(r) {
                    acc.count(r);
                    continue;
                }
                summary.people += 1;
                let person = spec.pseudonyms.of("P", &r.employee_id);
                let mut row = vec![
                    Cell::Text(person.clone()),
                    Cell::text(names.org(&r.organization_id)),
                    Cell::text(names.cohort(&r.cohort_id)),
                ];
                row.extend(acc.add(r, &person));
                sink.row(&row)?;
                written += 1;
            }
            if !batch.is_empty() {
                progress(done, total);
            }
        }
        Ok(())
    })?;
    // The readers' records were allocated in their threads' arenas and freed here; those pages
    // stay resident unless given back, beside the tables made next (at 100,000 trajectories
    // about 7 MB of the process export's peak).
    crate::http::memory::release_free();
    sink.end()?;
    summary.row_counts.push((records.key.clone(), written));
    summary.coach_responses = coach_responses(c, spec, &spec.scope, used.coach, &mut |a| acc.coach(a))?;
    if acc.compares_coaches() {
        for (i, wider) in wider_scopes(c, spec)?.iter().enumerate() {
            acc.wider_scope();
            coach_responses(c, spec, wider, used.coach, &mut |a| acc.wider_coach(i, a))?;
        }
    }
    for (t, rows) in acc.tables(&names) {
        table(sink, &mut summary.row_counts, t, rows)?;
    }
    sink.finish(&summary.row_counts)?;
    Ok(summary)
}

/// The scopes wider than the one asked for that the caller may ask for too: a cohort's
/// organisation, and for a researcher all organisations.
fn wider_scopes(c: &mut DbConnection, spec: &Spec) -> Result<Vec<Scope>, AppError> {
    let mut out = Vec::new();
    if let Some(cohort) = &spec.scope.cohort {
        let org = match &spec.scope.organization {
            Some(o) => Some(o.clone()),
            None => cohorts::table.find(cohort).select(cohorts::organization_id).first::<String>(c).optional()?,
        };
        out.extend(org.map(|o| Scope { organization: Some(o), cohort: None }));
    }
    let narrower = spec.scope.organization.is_some() || spec.scope.cohort.is_some();
    if spec.population == Population::Research && narrower {
        out.push(Scope { organization: None, cohort: None });
    }
    Ok(out)
}

/// The columns every record table starts with.
pub fn record_columns() -> Vec<Column> {
    vec![
        col("person", "Persoon (pseudoniem)", "Person (pseudonym)", Kind::Text),
        col("organization", "Organisatie", "Organisation", Kind::Text),
        col("cohort", "Ronde", "Cohort", Kind::Text),
    ]
}

/// What the two exports add up.
pub trait Accumulator {
    /// The per-person table (its first three columns are `record_columns`).
    fn record_table(&self) -> TableSpec;
    /// A scope wider than the one asked for whose figures are worked out too, so that the
    /// export's cells are hidden as they are in every scope of it (`nested`); `None`: the
    /// scope asked for alone.
    fn widest(&self) -> Option<Scope> {
        None
    }
    /// Every trajectory in scope, also those without research consent (reach counts only).
    fn funnel(&mut self, _r: &Record) {}
    /// An included trajectory outside the scope asked for (see `widest`): adds it up only.
    fn count(&mut self, r: &Record) {
        self.add(r, "");
    }
    /// An included trajectory: adds it up and returns its record cells after the first three.
    fn add(&mut self, r: &Record, person: &str) -> Vec<Cell>;
    /// A submitted coach questionnaire in scope.
    fn coach(&mut self, _answers: &dataset::Answers) {}
    /// Whether the coaches' answers in each wider scope the caller may ask for are wanted too
    /// (`wider_scope`, then `wider_coach` for each answer in it), to hide this scope's coach
    /// figures where a wider scope's would differ from them by a few coaches.
    fn compares_coaches(&self) -> bool {
        false
    }
    fn wider_scope(&mut self) {}
    fn wider_coach(&mut self, _scope: usize, _answers: &dataset::Answers) {}
    fn tables(&mut self, names: &Names) -> Vec<(TableSpec, Vec<Vec<Cell>>)>;
}

/// Coaches read at a time by `coach_responses`, each with all their answers (a coach answers
/// once per cohort).
pub const COACHES_PER_PAGE: i64 = 100;

/// Reads the coaches' submitted questionnaires in scope; for researchers only those where the
/// coach agreed to research use (an instrument without that question: nobody). A coach answers
/// once per cohort: without a cohort filter their latest answer counts, so that `n` and the rule
/// of five count people, not answers (two coaches in three cohorts are two).
///
/// Coaches are taken a page at a time, in the order of their ids, with every answer they sent
/// (for researchers in scope or not): memory holds one page, not every coach's answers (9,500
/// coaches at 100,000 trajectories held about 10 MB).
fn coach_responses(
    c: &mut DbConnection,
    spec: &Spec,
    scope: &Scope,
    coach: &Instrument,
    counted: &mut dyn FnMut(&dataset::Answers),
) -> Result<usize, AppError> {
    let consent_item = coach.items.iter().find(|i| i.item_use == Some(ItemUse::Consent)).map(|i| i.key.clone());
    let items = dataset::ItemKeys::of([coach]);
    let in_scope = |org: &str, cohort: Option<&str>| {
        scope.organization.as_deref().is_none_or(|o| o == org)
            && scope.cohort.as_deref().is_none_or(|co| Some(co) == cohort)
    };
    let mut after = String::new();
    let mut n = 0;
    loop {
        let mut q = questionnaire_responses::table
            .filter(questionnaire_responses::questionnaire_key.eq(&coach.key))
            .filter(questionnaire_responses::status.eq("submitted"))
            .filter(questionnaire_responses::respondent_id.gt(after.clone()))
            .select(questionnaire_responses::respondent_id)
            .distinct()
            .order(questionnaire_responses::respondent_id)
            .limit(COACHES_PER_PAGE)
            .into_boxed();
        if let Some(o) = &scope.organization {
            q = q.filter(questionnaire_responses::organization_id.eq(o.clone()));
        }
        if let Some(co) = &scope.cohort {
            q = q.filter(questionnaire_responses::cohort_id.eq(co.clone()));
        }
        let coaches: Vec<String> = q.load(c)?;
        let Some(last) = coaches.last() else { break };
        after = last.clone();
        type Row = (String, String, String, Option<chrono::NaiveDateTime>, String, Option<String>);
        let mut q = questionnaire_responses::table
            .filter(questionnaire_responses::questionnaire_key.eq(&coach.key))
            .filter(questionnaire_responses::status.eq("submitted"))
            .filter(crate::db::one_of::one_of(questionnaire_responses::respondent_id, &coaches))
            .select((
                questionnaire_responses::respondent_id,
                questionnaire_responses::id,
                questionnaire_responses::answers,
                questionnaire_responses::submitted_at,
                questionnaire_responses::organization_id,
                questionnaire_responses::cohort_id,
            ))
            .into_boxed();
        // Answers outside the scope matter only for a researcher's consent rule (below).
        if spec.population != Population::Research {
            if let Some(o) = &scope.organization {
                q = q.filter(questionnaire_responses::organization_id.eq(o.clone()));
            }
            if let Some(co) = &scope.cohort {
                q = q.filter(questionnaire_responses::cohort_id.eq(co.clone()));
            }
        }
        let mut rows: Vec<Row> = q.load(c)?;
        // Per coach, in the order they were given: a draft begun early and sent late is the later
        // answer (ids grow with the time an answer was begun).
        rows.sort_by(|a, b| (&a.0, a.3, &a.1).cmp(&(&b.0, b.3, &b.1)));
        for answers in rows.chunk_by(|a, b| a.0 == b.0) {
            // The latest answer in the scope asked for counts.
            let Some(answer) = answers.iter().rev().find(|r| in_scope(&r.4, r.5.as_deref())) else { continue };
            // A coach's research consent is their latest word in any of their answers, not only
            // in those of the round or organisation asked for: a "no" given with a later round
            // takes them out of the earlier one's figures too (as a withdrawal does for employees).
            if spec.population == Population::Research {
                let word = items.parse(&answers[answers.len() - 1].2)?;
                let consented =
                    consent_item.as_ref().is_some_and(|k| word.get(k).and_then(|v| v.as_bool()) == Some(true));
                if !consented {
                    continue;
                }
            }
            counted(&items.parse(&answer.2)?);
            n += 1;
        }
    }
    Ok(n)
}

/// Running figures for one questionnaire item: mean and spread, and answers per category.
#[derive(Clone)]
pub struct ItemAcc {
    pub audience: &'static str,
    pub instrument: String,
    pub item: super::instruments::Item,
    pub stat: Stat,
    pub dist: Dist,
}

impl ItemAcc {
    pub fn new(audience: &'static str, instrument: &str, item: &super::instruments::Item) -> ItemAcc {
        ItemAcc {
            audience,
            instrument: instrument.into(),
            item: item.clone(),
            stat: Stat::default(),
            dist: Dist::default(),
        }
    }

    pub fn push(&mut self, v: Option<&serde_json::Value>) {
        let Some(v) = v else { return };
        if let Some(x) = self.item.numeric(v) {
            self.stat.push(x);
        }
        if let Some(cat) = self.item.category_of(v) {
            self.dist.push(&cat);
        }
    }
}

/// Mean and sd per item (`figures`: each item's, in the same order, worked out once for this
/// table and the distribution table).
pub fn item_table(
    key: &str,
    nl: &str,
    en: &str,
    items: &[&ItemAcc],
    figures: &[ItemFigures],
) -> (TableSpec, Vec<Vec<Cell>>) {
    let spec = TableSpec::new(
        key,
        nl,
        en,
        vec![
            col("group", "Groep", "Group", Kind::Text),
            col("questionnaire", "Vragenlijst", "Questionnaire", Kind::Text),
            col("item", "Vraag", "Item", Kind::Text),
            col("text", "Tekst", "Text", Kind::Text),
            col("n", "Aantal", "n", Kind::Integer),
            col("mean", "Gemiddelde", "Mean", Kind::Decimal),
            col("sd", "Standaardafwijking", "SD", Kind::Decimal),
        ],
    );
    debug_assert_eq!(items.len(), figures.len());
    let rows = items
        .iter()
        .zip(figures)
        .filter(|(a, _)| a.item.numeric(&serde_json::json!(1)).is_some() || a.item.item_type == ItemType::YesNo)
        .map(|(a, f)| {
            vec![
                Cell::text(a.audience),
                Cell::text(&a.instrument),
                Cell::text(&a.item.key),
                Cell::text(&a.item.text),
                if f.n_withheld && a.stat.n() >= MIN_CELL { Cell::Withheld } else { Cell::people(a.stat.n()) },
                f.mean.clone(),
                f.sd.clone(),
            ]
        })
        .collect();
    (spec, rows)
}

/// An item's figures as the tables show them.
pub struct ItemFigures {
    /// Per answer: group, item, answer, n, percent; hidden counts protected.
    pub distribution: Vec<Vec<Cell>>,
    pub mean: Cell,
    pub sd: Cell,
    /// The item's `n` withheld too (`withhold`).
    pub n_withheld: bool,
}

impl ItemFigures {
    /// Withholds every figure shown (the distribution's counts and shares, the mean and sd).
    pub fn withhold(&mut self) {
        let hide = |c: &mut Cell| {
            if !matches!(c, Cell::Suppressed | Cell::Null) {
                *c = Cell::Withheld;
            }
        };
        for row in &mut self.distribution {
            row.iter_mut().skip(3).for_each(hide);
        }
        hide(&mut self.mean);
        hide(&mut self.sd);
        self.n_withheld = true;
    }
}

impl ItemAcc {
    /// The distribution with its small counts hidden, and the mean and sd unless they would give
    /// a hidden count back (`mean_disclosure`): then the sd is withheld first, and the mean too if
    /// it alone still does. The distribution is where the rule of five applies; the mean of its
    /// people is kept where it can be, as the figure a report leads with.
    pub fn figures(&self) -> ItemFigures {
        let mut rows = Vec::new();
        let (mut counts, mut companions, mut parts) = (HashMap::new(), HashMap::new(), Vec::new());
        for cat in self.item.categories() {
            let k = self.dist.get(&cat);
            let at = (rows.len(), 3);
            counts.insert(at, k);
            companions.insert(at, vec![(at.0, 4)]);
            parts.push(at);
            rows.push(vec![
                Cell::text(self.audience),
                Cell::text(&self.item.key),
                Cell::text(&cat),
                Cell::people(k),
                Cell::percent(k, self.dist.n),
            ]);
        }
        // The answers add up to n, which the percentages give away: one category hidden alone
        // is the rest.
        super::disclosure::Linked { rows: &mut rows, counts, companions }.protect(&[Sum { total: None, parts }]);
        let n = self.stat.n();
        let (mut mean, mut sd) = (Cell::over(n, self.stat.mean()), Cell::over(n, self.stat.sd()));
        let values: Option<Vec<f64>> = self.item.categories().iter().map(|c| self.item.category_value(c)).collect();
        if let Some(values) = values.filter(|v| !v.is_empty()) {
            use super::mean_disclosure::Shown;
            // Over other people than the distribution counts (an answer outside today's
            // categories): nothing can be vouched for.
            if self.dist.n != n {
                let withheld = |c: Cell| if let Cell::Dec(_) = c { Cell::Withheld } else { c };
                return ItemFigures { distribution: rows, mean: withheld(mean), sd: withheld(sd), n_withheld: false };
            }
            let categories: Vec<(f64, Shown)> = values
                .into_iter()
                .zip(&rows)
                .map(|(v, row)| {
                    let shown = match row[3] {
                        Cell::Int(k) => Shown::Count(k),
                        Cell::Suppressed => Shown::Small,
                        _ => Shown::Withheld,
                    };
                    (v, shown)
                })
                .collect();
            let shown = |c: &Cell| if let Cell::Dec(v) = c { Some(*v) } else { None };
            let gives_away =
                |mean: &Cell, sd: &Cell| super::mean_disclosure::gives_away(&categories, n, shown(mean), shown(sd));
            if gives_away(&mean, &sd) {
                sd = Cell::Withheld;
                if gives_away(&mean, &sd) {
                    mean = Cell::Withheld;
                }
            }
        }
        ItemFigures { distribution: rows, mean, sd, n_withheld: false }
    }
}

/// Answers per category of the items that have categories (`figures` as for `item_table`).
pub fn distribution_table(
    key: &str,
    nl: &str,
    en: &str,
    items: &[&ItemAcc],
    figures: Vec<ItemFigures>,
) -> (TableSpec, Vec<Vec<Cell>>) {
    let spec = TableSpec::new(
        key,
        nl,
        en,
        vec![
            col("group", "Groep", "Group", Kind::Text),
            col("item", "Vraag", "Item", Kind::Text),
            col("answer", "Antwoord", "Answer", Kind::Text),
            col("n", "Aantal", "n", Kind::Integer),
            col("percent", "Procent", "Percent", Kind::Decimal),
        ],
    );
    // Each item's answers are their own sum: protected one item at a time.
    debug_assert_eq!(items.len(), figures.len());
    let rows = items
        .iter()
        .zip(figures)
        .filter(|(a, _)| !a.item.categories().is_empty())
        .flat_map(|(_, f)| f.distribution)
        .collect();
    (spec, rows)
}

pub fn answer_column(item: &super::instruments::Item, suffix: &str) -> Column {
    let key = format!("{}{suffix}", item.key);
    Column { nl: key.clone(), en: key.clone(), key, kind: kind_of(item.item_type) }
}

pub fn answer(item: &super::instruments::Item, answers: Option<&dataset::Answers>) -> Cell {
    answer_cell(item.item_type, answers.and_then(|a| a.get(&item.key)))
}
