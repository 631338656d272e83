//! The evaluation report: one printable HTML page with simple SVG charts, no scripts or
//! external fonts (it must work offline and print well). Plain Dutch for project leaders.

use diesel::prelude::*;

use super::export::Plan;
use super::output::Collect;
use super::table::{Cell, TableSpec};
use crate::db::schema::{cohorts, organizations};
use crate::db::DbConnection;
use crate::error::AppError;

pub struct Names {
    pub organization: Option<String>,
    pub cohort: Option<String>,
}

impl Names {
    pub fn load(c: &mut DbConnection, plan: &Plan) -> Result<Names, AppError> {
        // A cohort names its organisation too (a researcher may ask for a cohort alone).
        let of_cohort = match (&plan.spec.scope.organization, &plan.spec.scope.cohort) {
            (None, Some(co)) => cohorts::table.find(co).select(cohorts::organization_id).first(c).optional()?,
            (o, _) => o.clone(),
        };
        let organization = match &of_cohort {
            Some(o) => organizations::table.find(o).select(organizations::name).first(c).optional()?,
            None => None,
        };
        let cohort = match &plan.spec.scope.cohort {
            Some(co) => cohorts::table.find(co).select(cohorts::name).first(c).optional()?,
            None => None,
        };
        Ok(Names { organization, cohort })
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A cell as Dutch text; a suppressed cell is marked with an asterisk note.
fn show(c: &Cell) -> String {
    match c {
        Cell::Text(s) => esc(s),
        Cell::Int(n) => n.to_string(),
        Cell::Dec(x) => format!("{x}").replace('.', ","),
        Cell::Bool(true) => "ja".into(),
        Cell::Bool(false) => "nee".into(),
        Cell::Null => "&ndash;".into(),
        Cell::Suppressed => "<span class=\"sup\" title=\"weggelaten: minder dan 5 mensen\">&lt;5*</span>".into(),
        Cell::Withheld => "<span class=\"sup\" title=\"weggelaten: anders te herleiden\">x*</span>".into(),
    }
}

fn num(c: &Cell) -> Option<f64> {
    match c {
        Cell::Int(n) => Some(*n as f64),
        Cell::Dec(x) => Some(*x),
        _ => None,
    }
}

fn html_table(t: &TableSpec, rows: &[Vec<Cell>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for c in &t.columns {
        out.push_str(&format!("<th>{}</th>", esc(&c.nl)));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let class = if matches!(c, Cell::Int(_) | Cell::Dec(_) | Cell::Suppressed | Cell::Withheld) {
                " class=\"n\""
            } else {
                ""
            };
            out.push_str(&format!("<td{class}>{}</td>", show(c)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Horizontal bars: one group per label, one bar per series (None = suppressed or empty).
fn bar_chart(title: &str, series: &[&str], groups: &[(String, Vec<Option<f64>>)], max: f64) -> String {
    const COLORS: [&str; 3] = ["#2f6f9f", "#e0a030", "#7a9a3a"];
    let bar_h = 14.0;
    let label_w = 230.0;
    let chart_w = 360.0;
    let group_h = bar_h * series.len() as f64 + 10.0;
    let legend_h = 22.0;
    let height = legend_h + group_h * groups.len() as f64 + 4.0;
    let max = if max > 0.0 { max } else { 1.0 };
    let mut svg = format!(
        "<figure><svg role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"11\">",
        t = esc(title),
        w = label_w + chart_w + 60.0,
        h = height
    );
    for (i, s) in series.iter().enumerate() {
        let x = label_w + i as f64 * 120.0;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"4\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"13\">{}</text>",
            COLORS[i % 3],
            x + 14.0,
            esc(s)
        ));
    }
    for (g, (label, values)) in groups.iter().enumerate() {
        let y0 = legend_h + g as f64 * group_h;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 6.0,
            y0 + bar_h * series.len() as f64 / 2.0 + 4.0,
            esc(label)
        ));
        for (i, v) in values.iter().enumerate() {
            let y = y0 + i as f64 * bar_h;
            match v {
                Some(v) => {
                    let w = (v / max * chart_w).clamp(0.0, chart_w);
                    svg.push_str(&format!(
                        "<rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
                        bar_h - 2.0,
                        COLORS[i % 3],
                        label_w + w + 4.0,
                        y + bar_h - 4.0,
                        format!("{}", (v * 100.0).round() / 100.0).replace('.', ",")
                    ));
                }
                None => svg.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" fill=\"#666\">&lt;5* of leeg</text>",
                    label_w + 4.0,
                    y + bar_h - 4.0
                )),
            }
        }
    }
    svg.push_str(&format!("</svg><figcaption>{}</figcaption></figure>", esc(title)));
    svg
}

fn col_index(t: &TableSpec, key: &str) -> usize {
    t.columns.iter().position(|c| c.key == key).unwrap_or(0)
}

fn section(out: &mut String, collect: &Collect, key: &str, intro: &str) {
    if let Some((t, rows)) = collect.table(key) {
        out.push_str(&format!("<h3>{}</h3><p>{}</p>{}", esc(&t.nl), intro, html_table(t, rows)));
    }
}

pub fn render(names: &Names, plan: &Plan, process: &Collect, kirkpatrick: &Collect) -> String {
    let mut body = String::new();
    let org = names.organization.clone().unwrap_or_else(|| "alle organisaties".into());
    let cohort = names.cohort.clone().unwrap_or_else(|| "alle rondes".into());
    let who = match plan.spec.population {
        super::engine::Population::Research => "Alleen mensen die toestemming gaven voor onderzoek.",
        super::engine::Population::Organisation => "Alle medewerkers van de eigen organisatie, zonder namen.",
    };
    body.push_str(&format!(
        "<header><h1>Evaluatie van de methode</h1><p><b>Organisatie:</b> {} &middot; <b>Ronde:</b> {} &middot; <b>Gemaakt op:</b> {}</p><p>{}</p>\
         <p class=\"note\">Een getal met <span class=\"sup\">&lt;5*</span> gaat over minder dan 5 mensen. Dat getal laten we weg, \
         zodat niemand te herkennen is. Ook gemiddelden en procenten over minder dan 5 mensen laten we weg. \
         Een getal met <span class=\"sup\">x*</span> laten we ook weg, al gaat het over meer mensen: \
         anders kun je een weggelaten getal uitrekenen uit het totaal, uit het gemiddelde of uit het overzicht \
         van de hele organisatie of een andere ronde.</p></header>",
        esc(&org),
        esc(&cohort),
        plan.spec.today.format("%d-%m-%Y"),
        who
    ));

    body.push_str("<h2>Bereik</h2><p>Hoeveel trajecten kwamen bij elke stap? En wie stopte waar? Wie later opnieuw begon, telt in elk traject.</p>");
    if let Some((t, rows)) = process.table("reach") {
        let (l, n) = (col_index(t, "label"), col_index(t, "n"));
        let groups: Vec<(String, Vec<Option<f64>>)> = rows
            .iter()
            .map(|r| {
                (
                    match &r[l] {
                        Cell::Text(s) => s.clone(),
                        _ => String::new(),
                    },
                    vec![num(&r[n])],
                )
            })
            .collect();
        let max = groups.first().and_then(|g| g.1[0]).unwrap_or(1.0);
        body.push_str(&bar_chart("Aantal trajecten per stap", &["trajecten"], &groups, max));
        body.push_str(&html_table(t, rows));
    }
    section(&mut body, process, "reach_stops", "Redenen om te stoppen, per stap.");
    section(
        &mut body,
        process,
        "participants",
        "Wie deden er mee? Geslacht en leeftijd komen uit de vragenlijst bij de start.",
    );
    section(
        &mut body,
        process,
        "time_invested",
        "Tijd van coaches: gesprekken en voorbereiding uit de logboeken, werving zoals genoteerd bij het traject.",
    );
    section(&mut body, process, "fidelity", "Welke onderdelen van de methode zijn gebruikt?");

    body.push_str("<h2>Niveau 1: wat vonden ze ervan?</h2>");
    section(&mut body, kirkpatrick, "l1_items", "Gemiddelde antwoorden van medewerkers en coaches.");
    if let Some((t, rows)) = kirkpatrick.table("l1_difficulty") {
        let (c, h, r, e) =
            (col_index(t, "course"), col_index(t, "too_hard"), col_index(t, "right"), col_index(t, "too_easy"));
        let groups: Vec<(String, Vec<Option<f64>>)> =
            rows.iter().map(|row| (show(&row[c]), vec![num(&row[h]), num(&row[r]), num(&row[e])])).collect();
        body.push_str(&bar_chart(
            "Moeilijkheid per cursus (%)",
            &["te moeilijk", "goed zo", "te makkelijk"],
            &groups,
            100.0,
        ));
    }

    body.push_str("<h2>Niveau 2: wat hebben ze geleerd?</h2>");
    if let Some((t, rows)) = kirkpatrick.table("l2_courses") {
        let (title, s, d) = (col_index(t, "title"), col_index(t, "started"), col_index(t, "completed"));
        let groups: Vec<(String, Vec<Option<f64>>)> =
            rows.iter().map(|r| (show(&r[title]), vec![num(&r[s]), num(&r[d])])).collect();
        let max = groups.iter().flat_map(|g| g.1.iter().flatten()).fold(0.0f64, |a, b| a.max(*b));
        body.push_str(&bar_chart("Cursussen: begonnen en afgerond", &["begonnen", "afgerond"], &groups, max));
        body.push_str(&html_table(t, rows));
    }
    section(&mut body, kirkpatrick, "l2_items", "Kennis en vertrouwen van coaches.");

    body.push_str("<h2>Niveau 3: wat doen ze anders?</h2>");
    if let Some((t, rows)) = kirkpatrick.table("l3_change") {
        let (i, a, b) = (col_index(t, "text"), col_index(t, "mean_start"), col_index(t, "mean_end"));
        let groups: Vec<(String, Vec<Option<f64>>)> =
            rows.iter().map(|r| (short(&r[i]), vec![num(&r[a]), num(&r[b])])).collect();
        let max = groups.iter().flat_map(|g| g.1.iter().flatten()).fold(0.0f64, |a, b| a.max(*b));
        body.push_str(&bar_chart("Voor en na: gemiddelde bij start en eind", &["start", "eind"], &groups, max));
        body.push_str(&html_table(t, rows));
    }
    if let Some((t, rows)) = kirkpatrick.table("l3_self_regulation") {
        let (i, a, b) = (col_index(t, "text"), col_index(t, "percent_start"), col_index(t, "percent_end"));
        let groups: Vec<(String, Vec<Option<f64>>)> =
            rows.iter().map(|r| (short(&r[i]), vec![num(&r[a]), num(&r[b])])).collect();
        body.push_str(&bar_chart("Zelfregulatie: 'ja' bij start en eind (%)", &["start", "eind"], &groups, 100.0));
        body.push_str(&html_table(t, rows));
    }
    section(&mut body, kirkpatrick, "l3_signals", "Signalen uit het logboek, de groepen en de buddy's.");

    body.push_str("<h2>Niveau 4: wat levert het op?</h2>");
    if let Some((t, rows)) = kirkpatrick.table("l4_results") {
        let (m, v) = (col_index(t, "measure"), col_index(t, "value"));
        let get = |k: &str| rows.iter().find(|r| r[m] == Cell::text(k)).and_then(|r| num(&r[v]));
        let groups = vec![
            ("Ziekmeldingen".to_string(), vec![get("sick_reports_before_mean"), get("sick_reports_after_mean")]),
            ("Verzuimdagen".to_string(), vec![get("days_absent_before_mean"), get("days_absent_after_mean")]),
        ];
        let max = groups.iter().flat_map(|g| g.1.iter().flatten()).fold(0.0f64, |a, b| a.max(*b));
        body.push_str(&bar_chart(
            "Gemiddeld per medewerker: 12 maanden ervoor en vanaf de start",
            &["ervoor", "vanaf start"],
            &groups,
            max,
        ));
        body.push_str(&html_table(t, rows));
    }
    section(&mut body, kirkpatrick, "l4_change", "Aandacht die medewerkers voelen, bij start en eind.");
    section(&mut body, kirkpatrick, "l4_items", "Werkplezier van coaches en doelen van medewerkers.");

    format!(
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Evaluatie &ndash; {}</title><style>{}</style></head><body>{}</body></html>",
        esc(&org),
        CSS,
        body
    )
}

/// Long item texts shortened for chart labels.
fn short(c: &Cell) -> String {
    let s = match c {
        Cell::Text(s) => s.clone(),
        other => show(other),
    };
    if s.chars().count() > 38 {
        format!("{}…", s.chars().take(37).collect::<String>())
    } else {
        s
    }
}

const CSS: &str = "body{font-family:sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#222;line-height:1.4}\
h1{font-size:1.6rem}h2{font-size:1.3rem;border-bottom:2px solid #2f6f9f;margin-top:2rem}h3{font-size:1.05rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}th,td{border:1px solid #bbb;padding:.2rem .4rem;text-align:left}\
td.n{text-align:right}.sup{color:#a33}.note{background:#f4f4f4;padding:.5rem}figure{margin:.5rem 0}figcaption{font-size:.8rem;color:#555}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,figure{break-inside:avoid}}";
