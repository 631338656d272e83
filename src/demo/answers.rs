//! Plausible questionnaire answers for demo data, generated from the instrument definitions so
//! that they always validate.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::db::schema::questionnaire_responses;
use crate::db::text::to_json;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::evaluation::instruments::{Instrument, Item, ItemType, ItemUse};
use crate::evaluation::responses::ResponseRow;

/// Answers as the API stores them: item key to value.
type Answers = std::collections::BTreeMap<String, serde_json::Value>;

const OPEN: [&str; 4] = [
    "Ik wil weer wat doen, maar ik vind het ook spannend.",
    "Het hielp om kleine stappen te maken.",
    "De gesprekken met mijn coach gaven rust.",
    "Meer tijd voor de groepsbijeenkomsten.",
];

/// The option of a course's difficulty item that says the course was not done.
const NOT_DONE: &str = "not_done";

/// The answer to an item about a course (its difficulty): `not_done` exactly when the employee did
/// not complete it, otherwise a real difficulty. `None` when the item has no option for that.
fn course_answer(rng: &mut ChaCha8Rng, item: &Item, done: bool) -> Option<serde_json::Value> {
    let key = if done {
        let real: Vec<&str> = item.options.iter().map(|o| o.key.as_str()).filter(|k| *k != NOT_DONE).collect();
        real.choose(rng).copied()
    } else {
        item.options.iter().any(|o| o.key == NOT_DONE).then_some(NOT_DONE)
    };
    key.map(|k| serde_json::json!(k))
}

/// Answers to every item; `lift` (0-2) moves scale answers up, as after the method. `completed`:
/// the courses the respondent had completed when answering (items about a course follow it).
fn answers(rng: &mut ChaCha8Rng, inst: &Instrument, lift: i64, completed: &[String]) -> (Answers, Answers) {
    let mut coded = Answers::new();
    let mut open = Answers::new();
    for item in &inst.items {
        if item.item_type == ItemType::Choice {
            if let Some(course) = &item.course {
                let done = completed.iter().any(|c| c == course);
                if let Some(v) = course_answer(rng, item, done) {
                    coded.insert(item.key.clone(), v);
                    continue;
                }
            }
        }
        if !item.required && rng.gen_bool(0.3) {
            continue;
        }
        let v = match item.item_type {
            ItemType::Scale => {
                let top = item.points.unwrap_or(5);
                serde_json::json!((rng.gen_range(1..=top - 1) + lift).min(top))
            }
            ItemType::Mark => serde_json::json!(rng.gen_range(5..=9) + lift.min(1)),
            ItemType::YesNo if item.item_use == Some(ItemUse::Consent) => serde_json::json!(rng.gen_bool(0.8)),
            ItemType::YesNo => serde_json::json!(rng.gen_bool(0.3 + 0.25 * lift as f64)),
            ItemType::Choice => serde_json::json!(item.options.choose(rng).map(|o| o.key.clone()).unwrap_or_default()),
            ItemType::Number => {
                let (lo, hi) = (item.min.unwrap_or(0), item.max.unwrap_or(10));
                let (lo, hi) = if item.key == "age" { (22.max(lo), 63.min(hi)) } else { (lo, hi.min(lo + 30)) };
                serde_json::json!(rng.gen_range(lo..=hi))
            }
            ItemType::Open => {
                open.insert(item.key.clone(), serde_json::json!(OPEN.choose(rng).copied().unwrap_or(OPEN[0])));
                continue;
            }
        };
        coded.insert(item.key.clone(), v);
    }
    (coded, open)
}

pub struct Subject<'a> {
    pub respondent_id: &'a str,
    pub organization_id: &'a str,
    pub trajectory_id: Option<&'a str>,
    pub cohort_id: &'a str,
    pub entered_by: &'a str,
}

/// Inserts a submitted response with generated answers; `completed`: the courses the respondent
/// had completed by `at`.
pub fn insert(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    inst: &Instrument,
    who: Subject<'_>,
    lift: i64,
    completed: &[String],
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let (coded, open) = answers(rng, inst, lift, completed);
    let row = ResponseRow {
        id: super::id_at(rng, at),
        questionnaire_key: inst.key.clone(),
        version: inst.version,
        respondent_id: who.respondent_id.into(),
        organization_id: who.organization_id.into(),
        trajectory_id: who.trajectory_id.map(String::from),
        cohort_id: Some(who.cohort_id.into()),
        subject_key: who.trajectory_id.unwrap_or(who.cohort_id).into(),
        answers: to_json(&coded)?,
        open_answers: to_json(&open)?,
        status: "submitted".into(),
        on_paper: who.entered_by != who.respondent_id,
        entered_by: who.entered_by.into(),
        created_at: at,
        updated_at: at,
        submitted_at: Some(at),
    };
    diesel::insert_into(questionnaire_responses::table).values(&row).execute(c)?;
    Ok(())
}
