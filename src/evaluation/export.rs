//! One export from request to file: checks the filter against the caller, then runs the engine
//! into the chosen format. The API streams the result; the CLI writes it to a file.

use std::io::Write;

use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::dataset::Scope;
use super::engine::{self, ExportKind, Population, Spec, Summary};
use super::output::{CsvSink, Format, Header, JsonSink, Locale, Sink, XlsxSink};
use super::pseudonym::Pseudonyms;
use crate::db::schema::{cohorts, organizations};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::policy::{Caller, Role};
use crate::AppState;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Organisation id. A project leader exports their own organisation (the default).
    pub organization: Option<String>,
    /// Cohort (recruitment round) id.
    pub cohort: Option<String>,
    /// Kirkpatrick level 1-4; all levels when left out (Kirkpatrick export only).
    pub level: Option<u8>,
    /// json (default), csv or xlsx.
    pub format: Option<Format>,
    /// nl (default: labels in Dutch, CSV with `;` and a decimal comma) or en.
    pub locale: Option<Locale>,
    /// Export key (at least 8 characters): the same key gives the same pseudonyms in every
    /// export, another key gives pseudonyms that cannot be linked.
    pub key: Option<String>,
    /// Project leaders, own organisation only: add reflections and open answers (Kirkpatrick).
    pub free_text: Option<bool>,
    /// CSV only: just this table, as plain CSV (e.g. `records`, `reach`).
    pub table: Option<String>,
}

/// Table keys per export (for `table=`).
pub fn table_keys(kind: ExportKind) -> Vec<String> {
    let mut keys = vec!["records".to_string()];
    match kind {
        ExportKind::Kirkpatrick => {
            for l in 1..=4 {
                keys.push(format!("l{l}_items"));
                keys.push(format!("l{l}_distribution"));
            }
            keys.extend(
                [
                    "l1_difficulty",
                    "l2_courses",
                    "l3_change",
                    "l3_self_regulation",
                    "l3_signals",
                    "l4_change",
                    "l4_results",
                    "texts",
                ]
                .map(String::from),
            );
        }
        ExportKind::Process => keys.extend(
            ["reach", "reach_stops", "participants", "time_invested", "time_per_coach", "fidelity"].map(String::from),
        ),
    }
    keys
}

/// A checked export request.
pub struct Plan {
    pub spec: Spec,
    pub format: Format,
    pub locale: Locale,
    pub table: Option<String>,
    /// For the audit log and the file's header.
    pub filter: serde_json::Value,
}

fn field(name: &str, msg: &str) -> AppError {
    AppError::field(name, msg)
}

/// Checks the request against the caller: researchers see research-consented people of every
/// organisation; a project leader their own organisation. Anyone else: 403.
pub fn plan(
    c: &mut DbConnection,
    state: &AppState,
    caller: &Caller,
    kind: ExportKind,
    q: ExportQuery,
) -> Result<Plan, AppError> {
    let population = match caller.role {
        Role::Researcher => Population::Research,
        Role::ProjectLeader => Population::Organisation,
        _ => return Err(AppError::Forbidden),
    };
    let mut organization = q.organization.clone();
    if population == Population::Organisation {
        let own = caller.organization_id.clone().ok_or(AppError::Forbidden)?;
        match &organization {
            // The same answer as for one that does not exist: nothing learnt about others.
            Some(o) if *o != own => return Err(unknown_organization()),
            _ => organization = Some(own),
        }
    }
    let free_text = q.free_text.unwrap_or(false);
    if free_text && population != Population::Organisation {
        return Err(field(
            "free_text",
            "Eigen woorden van deelnemers zijn alleen voor de projectleider van de eigen organisatie.",
        ));
    }
    plan_checked(c, state, kind, q, population, organization, free_text, caller.user_id.clone())
}

fn unknown_organization() -> AppError {
    field(
        "organization",
        "Deze organisatie kennen we niet, of je mag haar cijfers niet zien. Kies een organisatie uit de lijst, of laat 'organization' weg.",
    )
}

/// The checks that do not depend on the caller (also used by the CLI).
#[allow(clippy::too_many_arguments)]
pub fn plan_checked(
    c: &mut DbConnection,
    state: &AppState,
    kind: ExportKind,
    q: ExportQuery,
    population: Population,
    organization: Option<String>,
    free_text: bool,
    requested_by: String,
) -> Result<Plan, AppError> {
    if let Some(o) = &organization {
        let found: i64 = organizations::table.filter(organizations::id.eq(o)).count().get_result(c)?;
        if found == 0 {
            return Err(unknown_organization());
        }
    }
    if let Some(co) = &q.cohort {
        let org: Option<String> = cohorts::table.find(co).select(cohorts::organization_id).first(c).optional()?;
        // Another organisation's cohort gets the same answer as one that does not exist: a
        // project leader learns nothing about other organisations from it.
        let elsewhere = matches!((&org, &organization), (Some(o), Some(want)) if o != want);
        if org.is_none() || elsewhere {
            return Err(field(
                "cohort",
                "Deze ronde bestaat niet bij de gekozen organisatie. Kies een ronde van de organisatie.",
            ));
        }
    }
    if let Some(l) = q.level {
        if kind == ExportKind::Process {
            return Err(field("level", "Het procesoverzicht heeft geen niveaus. Laat 'level' weg."));
        }
        if !(1..=4).contains(&l) {
            return Err(field("level", "Kies niveau 1, 2, 3 of 4."));
        }
    }
    if free_text && kind == ExportKind::Process {
        return Err(field("free_text", "Het procesoverzicht bevat geen eigen woorden. Laat 'free_text' weg."));
    }
    let key = q.key.clone().unwrap_or_default();
    if q.key.is_some() && !(8..=200).contains(&key.chars().count()) {
        return Err(field("key", "Een exportsleutel heeft 8 tot 200 tekens."));
    }
    // A key with a NUL (every query refuses one, the command line cannot pass one) could spell
    // out the domain of `Pseudonyms::operational`; no control character makes a useful key.
    if key.chars().any(char::is_control) {
        return Err(field("key", "Een exportsleutel bevat alleen letters, cijfers, spaties en leestekens."));
    }
    let format = q.format.unwrap_or_default();
    if let Some(t) = &q.table {
        if format != Format::Csv {
            return Err(field("table", "Eén tabel kiezen kan alleen bij format=csv."));
        }
        if !table_keys(kind).contains(t) {
            return Err(field("table", &format!("Kies een van deze tabellen: {}.", table_keys(kind).join(", "))));
        }
        // A table the export would not write would come out as an empty file.
        if t == "texts" && !free_text {
            return Err(field(
                "table",
                if population == Population::Organisation {
                    "De tabel 'texts' bevat eigen woorden. Vraag die op met free_text=true."
                } else {
                    "De tabel 'texts' bevat eigen woorden van deelnemers. Die zijn alleen voor de projectleider van de eigen organisatie."
                },
            ));
        }
        let table_level = t.strip_prefix('l').and_then(|r| r.split('_').next()).and_then(|d| d.parse::<u8>().ok());
        if let (Some(want), Some(table)) = (q.level, table_level) {
            if want != table {
                return Err(field(
                    "table",
                    &format!("De tabel '{t}' hoort bij niveau {table}. Kies level={table} of laat 'level' weg."),
                ));
            }
        }
    }
    let filter = json!({
        "export": kind.as_str(),
        "organization": organization,
        "cohort": q.cohort,
        "level": q.level,
        "format": format,
        "locale": q.locale.unwrap_or_default(),
        "population": population.as_str(),
        "free_text": free_text,
        "export_key": if q.key.is_some() { "given" } else { "default" },
        "table": q.table,
        "requested_by": requested_by,
    });
    Ok(Plan {
        spec: Spec {
            kind,
            scope: Scope { organization, cohort: q.cohort },
            level: q.level,
            population,
            free_text,
            pseudonyms: match population {
                Population::Research => Pseudonyms::new(&state.config.pseudonym_secret, &key),
                Population::Organisation => Pseudonyms::operational(&state.config.pseudonym_secret, &key),
            },
            today: crate::local_time::today(state.config.time_zone),
            time_zone: state.config.time_zone,
        },
        format,
        locale: q.locale.unwrap_or_default(),
        table: q.table,
        filter,
    })
}

pub fn header(state: &AppState, plan: &Plan) -> Header {
    let instruments = engine::used(&state.instruments)
        .map(|u| [u.baseline, u.end, u.coach].iter().map(|i| (i.key.clone(), i.version)).collect())
        .unwrap_or_default();
    Header {
        export: plan.spec.kind.as_str().into(),
        generated_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        filter: plan.filter.clone(),
        population: plan.spec.population.as_str().into(),
        instruments,
        locale: plan.locale,
    }
}

/// Runs the planned export into `out` in its format; with a `helper` connection two threads read
/// (see [`engine::run`]).
pub fn write<W: Write>(
    c: &mut DbConnection,
    helper: Option<&mut DbConnection>,
    state: &AppState,
    plan: &Plan,
    out: W,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Summary, AppError> {
    let header = header(state, plan);
    let mut sink: Box<dyn Sink> = match plan.format {
        Format::Json => Box::new(JsonSink::new(out, &header)?),
        Format::Csv => Box::new(CsvSink::new(out, plan.locale, plan.table.clone())?),
        Format::Xlsx => Box::new(XlsxSink::new(out, &header)?),
    };
    engine::run(c, helper, &plan.spec, &state.instruments, &state.content, sink.as_mut(), progress)
}

/// What the audit log keeps about an export: the filter and how many rows each table had.
pub fn audit_detail(plan: &Plan, summary: Option<&Summary>, error: Option<&str>) -> serde_json::Value {
    json!({
        "filter": plan.filter,
        "people": summary.map(|s| s.people),
        "coach_responses": summary.map(|s| s.coach_responses),
        "rows": summary.map(|s| s.row_counts.iter().map(|(k, n)| (k.clone(), json!(n))).collect::<serde_json::Map<_, _>>()),
        "error": error,
    })
}
