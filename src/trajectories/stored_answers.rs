//! The inclusion answers stored with each trajectory, parsed once per distinct text.
//!
//! Every trajectory keeps its answers as JSON, and every answer about a trajectory shows them, so
//! a list of ten parsed ten of them: under callgrind more than half the work of turning a coach's
//! list row into its answer, for eight yes/no answers. Eight answers give at most 256 texts per way
//! of writing them, so each thread keeps what it parsed, found by the stored text. The result is
//! the parse's own (a pure function, remembered), whatever the text's layout.

use std::cell::RefCell;
use std::collections::HashMap;

use super::api::InclusionAnswers;

/// Texts kept per thread at most; past it the memory starts over (text written by other means
/// than the API and the demo data could otherwise make it grow without end).
const KEPT: usize = 1024;

thread_local! {
    static PARSED: RefCell<HashMap<Box<str>, InclusionAnswers>> = RefCell::new(HashMap::new());
}

/// `serde_json::from_str(text)`, remembered per thread.
pub fn parse(text: &str) -> serde_json::Result<InclusionAnswers> {
    PARSED.with(|cell| {
        let mut parsed = cell.borrow_mut();
        if let Some(answers) = parsed.get(text) {
            return Ok(answers.clone());
        }
        let answers: InclusionAnswers = serde_json::from_str(text)?;
        if parsed.len() >= KEPT {
            parsed.clear();
        }
        parsed.insert(text.into(), answers.clone());
        Ok(answers)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(bits: u8) -> String {
        let a = InclusionAnswers {
            absent_over_4_weeks: bits & 1 != 0,
            frequent_absence: bits & 2 != 0,
            expected_absence_over_2_months: bits & 4 != 0,
            expected_return_within_2_to_12_months: bits & 8 != 0,
            return_within_24_months_of_sick_report: bits & 16 != 0,
            device_at_home: bits & 32 != 0,
            reading_and_digital_skills_sufficient: bits & 64 != 0,
            paper_route_chosen: bits & 128 != 0,
        };
        serde_json::to_string(&a).expect("serialises")
    }

    fn same(a: &InclusionAnswers, b: &InclusionAnswers) -> bool {
        serde_json::to_value(a).expect("serialises") == serde_json::to_value(b).expect("serialises")
    }

    #[test]
    fn gives_what_serde_json_gives_the_first_time_and_after() {
        for bits in 0..=255u8 {
            let text = stored(bits);
            let direct: InclusionAnswers = serde_json::from_str(&text).expect("parses");
            assert!(same(&parse(&text).expect("parses"), &direct), "first parse of {text}");
            assert!(same(&parse(&text).expect("parses"), &direct), "remembered parse of {text}");
        }
        // Another layout of the same answers (keys in another order, spaces): parsed all the same.
        let other = " { \"paper_route_chosen\": true, \"absent_over_4_weeks\": true, \"frequent_absence\": false,
            \"expected_absence_over_2_months\": true, \"expected_return_within_2_to_12_months\": false,
            \"return_within_24_months_of_sick_report\": false, \"device_at_home\": true,
            \"reading_and_digital_skills_sufficient\": false } ";
        let direct: InclusionAnswers = serde_json::from_str(other).expect("parses");
        assert!(same(&parse(other).expect("parses"), &direct));
        assert!(same(&parse(other).expect("parses"), &parse(&stored(0b1010_0101)).expect("parses")));
    }

    #[test]
    fn text_that_does_not_parse_is_an_error_every_time() {
        for _ in 0..2 {
            assert!(parse("{\"absent_over_4_weeks\":true}").is_err());
            assert!(parse("not json").is_err());
        }
    }

    #[test]
    fn keeps_at_most_its_limit() {
        // Distinct texts of the same answers: the one text padded with more and more spaces.
        let text = stored(3);
        for n in 0..KEPT + 10 {
            parse(&format!("{text}{}", " ".repeat(n))).expect("parses");
            assert!(PARSED.with(|cell| cell.borrow().len()) <= KEPT);
        }
    }
}
