//! The JSON of a page of trajectories (`GET /trajectories`, a coach's and a project leader's
//! list), written with `http::json_writer` rather than the derived `Serialize`. Through the derived
//! version, writing a coach's page (the benchmark's ten trajectories) took 17% of the instructions
//! per request (callgrind), two thirds of it serde_json checking every key, id and enum name for
//! characters to escape. Written here: 0.88x instructions per request.

use super::api::{Advice, InclusionAnswers, PersonRef, StopReason, TrajectoryOut};
use crate::error::AppError;
use crate::http::json_writer::{field, flag, literal, moment, optional_text, text, texts};

/// A little over the size of one trajectory without notes, reasons or history.
const BYTES_PER_ITEM: usize = 1024;

/// Writes a page of trajectories one item at a time, as the rows are read, so that a list needs
/// no vector of rows or of answers: the same bytes as `serde_json::to_vec` of a `Page` of the same
/// items (checked by the property test below).
pub struct PageWriter {
    out: Vec<u8>,
    items: usize,
}

impl PageWriter {
    /// For about `expected` items (the buffer grows past them).
    pub fn new(expected: usize) -> PageWriter {
        let mut out = Vec::with_capacity(64 + BYTES_PER_ITEM * expected);
        out.extend_from_slice(b"{\"items\":[");
        PageWriter { out, items: 0 }
    }

    pub fn push(&mut self, t: &TrajectoryOut) -> Result<(), AppError> {
        if self.items > 0 {
            self.out.push(b',');
        }
        self.items += 1;
        write_trajectory(&mut self.out, t).map_err(serialising)
    }

    /// Items pushed so far.
    pub fn written(&self) -> usize {
        self.items
    }

    pub fn finish(mut self, next_cursor: Option<&str>) -> Result<Vec<u8>, AppError> {
        self.out.push(b']');
        optional_text(&mut self.out, b",\"next_cursor\":", next_cursor).map_err(serialising)?;
        self.out.push(b'}');
        Ok(self.out)
    }
}

fn serialising(e: serde_json::Error) -> AppError {
    AppError::internal(format!("serialising trajectories: {e}"))
}

fn write_trajectory(out: &mut Vec<u8>, t: &TrajectoryOut) -> serde_json::Result<()> {
    text(out, b"{\"id\":", &t.id)?;
    text(out, b",\"organization_id\":", &t.organization_id)?;
    text(out, b",\"cohort_id\":", &t.cohort_id)?;
    person(out, b",\"employee\":", &t.employee)?;
    person(out, b",\"coach\":", &t.coach)?;
    literal(out, b",\"status\":\"", t.status.as_str().as_bytes());
    out.push(b'"');
    match t.stop_reason {
        Some(r) => {
            literal(out, b",\"stop_reason\":\"", StopReason::as_str(r).as_bytes());
            out.push(b'"');
        }
        None => literal(out, b",\"stop_reason\":", b"null"),
    }
    optional_text(out, b",\"stop_note\":", t.stop_note.as_deref())?;
    out.extend_from_slice(b",\"inclusion\":");
    answers(out, b"{\"answers\":", &t.inclusion.answers);
    literal(
        out,
        b",\"advice\":",
        match t.inclusion.advice {
            Advice::Include => b"\"include\"",
            Advice::Exclude => b"\"exclude\"",
        },
    );
    texts(out, b",\"unmet_criteria\":", &t.inclusion.unmet_criteria)?;
    optional_text(out, b",\"override_reason\":", t.inclusion.override_reason.as_deref())?;
    // Not on lists (single answers only), but written as serde would if it is there.
    if let Some(records) = &t.inclusion.absence_records {
        field(out, b",\"absence_records\":", records)?;
    }
    out.push(b'}');
    field(out, b",\"recruitment_minutes\":", &t.recruitment_minutes)?;
    flag(out, b",\"consent\":{\"method\":", t.consent.method);
    flag(out, b",\"research\":", t.consent.research);
    out.push(b'}');
    if let Some(history) = &t.history {
        field(out, b",\"history\":", history)?;
    }
    moment(out, b",\"created_at\":", &t.created_at)?;
    moment(out, b",\"updated_at\":", &t.updated_at)?;
    out.push(b'}');
    Ok(())
}

fn person(out: &mut Vec<u8>, key: &[u8], p: &PersonRef) -> serde_json::Result<()> {
    out.extend_from_slice(key);
    text(out, b"{\"id\":", &p.id)?;
    text(out, b",\"first_name\":", &p.first_name)?;
    optional_text(out, b",\"last_name\":", p.last_name.as_deref())?;
    out.push(b'}');
    Ok(())
}

fn answers(out: &mut Vec<u8>, key: &[u8], a: &InclusionAnswers) {
    out.extend_from_slice(key);
    flag(out, b"{\"absent_over_4_weeks\":", a.absent_over_4_weeks);
    flag(out, b",\"frequent_absence\":", a.frequent_absence);
    flag(out, b",\"expected_absence_over_2_months\":", a.expected_absence_over_2_months);
    flag(out, b",\"expected_return_within_2_to_12_months\":", a.expected_return_within_2_to_12_months);
    flag(out, b",\"return_within_24_months_of_sick_report\":", a.return_within_24_months_of_sick_report);
    flag(out, b",\"device_at_home\":", a.device_at_home);
    flag(out, b",\"reading_and_digital_skills_sufficient\":", a.reading_and_digital_skills_sufficient);
    flag(out, b",\"paper_route_chosen\":", a.paper_route_chosen);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::http::json_writer::strategies::{text, time};
    use crate::http::pagination::Page;

    /// The page as `PageWriter` writes it, item by item.
    fn written(page: &Page<TrajectoryOut>) -> Vec<u8> {
        let mut writer = PageWriter::new(page.items.len());
        for t in &page.items {
            writer.push(t).expect("writes");
        }
        writer.finish(page.next_cursor.as_deref()).expect("writes")
    }
    use crate::trajectories::api::{AbsenceRecords, ConsentState, EventOut, InclusionOut, Status};

    fn status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    fn stop_reason() -> impl Strategy<Value = Option<StopReason>> {
        proptest::option::of(proptest::sample::select(vec![
            StopReason::Medical,
            StopReason::TooDifficult,
            StopReason::NotBehaviourRelated,
            StopReason::PrivacyResearch,
            StopReason::Other,
        ]))
    }

    fn person() -> impl Strategy<Value = PersonRef> {
        (text(), text(), proptest::option::of(text())).prop_map(|(id, first_name, last_name)| PersonRef {
            id,
            first_name,
            last_name,
        })
    }

    /// Lists carry none, but a single answer written this way would.
    fn absence_records() -> impl Strategy<Value = Option<AbsenceRecords>> {
        let records = (0i64..4_000_000_000, 0i64..30, any::<[bool; 3]>(), proptest::collection::vec(text(), 0..3));
        proptest::option::of(records.prop_map(|(at, absences_last_12_months, flags, differences)| AbsenceRecords {
            as_of: time(at).date(),
            absence_running: flags[0],
            absences_last_12_months,
            absent_over_4_weeks: flags[1],
            frequent_absence: flags[2],
            differences,
        }))
    }

    fn inclusion() -> impl Strategy<Value = InclusionOut> {
        (
            proptest::array::uniform8(any::<bool>()),
            any::<bool>(),
            proptest::collection::vec(text(), 0..3),
            proptest::option::of(text()),
            absence_records(),
        )
            .prop_map(|(a, include, unmet_criteria, override_reason, absence_records)| InclusionOut {
                answers: InclusionAnswers {
                    absent_over_4_weeks: a[0],
                    frequent_absence: a[1],
                    expected_absence_over_2_months: a[2],
                    expected_return_within_2_to_12_months: a[3],
                    return_within_24_months_of_sick_report: a[4],
                    device_at_home: a[5],
                    reading_and_digital_skills_sufficient: a[6],
                    paper_route_chosen: a[7],
                },
                advice: if include { Advice::Include } else { Advice::Exclude },
                unmet_criteria,
                override_reason,
                absence_records,
            })
    }

    fn history() -> impl Strategy<Value = Option<Vec<EventOut>>> {
        proptest::option::of(proptest::collection::vec(
            (
                proptest::option::of(status()),
                status(),
                stop_reason(),
                proptest::option::of(text()),
                text(),
                0i64..4_000_000_000,
            )
                .prop_map(|(from_status, to_status, reason, note, actor_id, at)| EventOut {
                    from_status,
                    to_status,
                    reason,
                    note,
                    actor_id,
                    at: time(at),
                }),
            0..3,
        ))
    }

    fn trajectory() -> impl Strategy<Value = TrajectoryOut> {
        (
            (text(), text(), text(), person(), person()),
            (status(), stop_reason(), proptest::option::of(text()), inclusion()),
            (proptest::option::of(any::<i32>()), any::<bool>(), any::<bool>(), history()),
            (-62_000_000_000i64..250_000_000_000, -62_000_000_000i64..250_000_000_000),
        )
            .prop_map(
                |(
                    (id, organization_id, cohort_id, employee, coach),
                    (status, stop_reason, stop_note, inclusion),
                    (recruitment_minutes, method, research, history),
                    (created, updated),
                )| TrajectoryOut {
                    id,
                    organization_id,
                    cohort_id,
                    employee,
                    coach,
                    status,
                    stop_reason,
                    stop_note,
                    inclusion,
                    recruitment_minutes,
                    consent: ConsentState { method, research },
                    history,
                    created_at: time(created),
                    updated_at: time(updated),
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn writes_the_same_bytes_as_the_derived_serialize(
            items in proptest::collection::vec(trajectory(), 0..4),
            next_cursor in proptest::option::of(text()),
        ) {
            let page = Page { items, next_cursor };
            let derived = serde_json::to_vec(&page).expect("serialises");
            prop_assert_eq!(String::from_utf8(written(&page)).expect("UTF-8"),
                String::from_utf8(derived).expect("UTF-8"));
        }
    }

    #[test]
    fn an_empty_page_is_an_empty_array() {
        let page: Page<TrajectoryOut> = Page { items: vec![], next_cursor: None };
        assert_eq!(String::from_utf8(written(&page)).expect("UTF-8"), r#"{"items":[],"next_cursor":null}"#);
    }
}
