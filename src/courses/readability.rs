//! Dutch readability: Flesch-Douma, 206.84 - 0.77 x syllables per 100 words - 0.93 x words per
//! sentence (CONTENT.md). Syllables are counted as vowel groups, which fits Dutch spelling well
//! (ij, ei, ui, oe ... are one group); a diaeresis (ë, ï) starts a new syllable.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub flesch_douma: f64,
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
}

impl Score {
    pub fn words_per_sentence(&self) -> f64 {
        if self.sentences == 0 {
            0.0
        } else {
            self.words as f64 / self.sentences as f64
        }
    }
}

const VOWELS: &str = "aeiouyáéíóúàèâêîôû";
const DIAERESIS: &str = "ëïöü";

pub fn syllables(word: &str) -> usize {
    let mut count = 0;
    let mut in_vowel = false;
    for ch in word.to_lowercase().chars() {
        if DIAERESIS.contains(ch) {
            count += 1;
            in_vowel = true;
        } else if VOWELS.contains(ch) {
            if !in_vowel {
                count += 1;
            }
            in_vowel = true;
        } else {
            in_vowel = false;
        }
    }
    count.max(1)
}

fn is_word(token: &str) -> bool {
    token.chars().any(char::is_alphabetic)
}

/// The pieces of a text that end a sentence whatever their punctuation: paragraphs (separated by
/// a blank line), list items ("- ") and headings ("#"). The lines of one paragraph are one run of
/// text (FORMAT.md; the map joins them too), so a sentence wrapped over lines counts once.
fn units(text: &str) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            open = false;
            continue;
        }
        let item = line.starts_with("- ") || line.starts_with('#');
        let line = line.trim_start_matches("- ").trim_start_matches('#').trim().replace("**", "");
        match units.last_mut() {
            Some(last) if open && !item => {
                last.push(' ');
                last.push_str(&line);
            }
            _ => units.push(line),
        }
        // A list item is a unit of its own; the lines after it start the next.
        open = !item;
    }
    units
}

/// Scores a text. Sentences end at . ! and ? (not the dot in "2.1"), and at the end of a
/// paragraph, list item or heading (`units`).
pub fn score(text: &str) -> Score {
    let (mut words, mut sentences, mut syl) = (0, 0, 0);
    for unit in units(text) {
        let mut sentence_words = 0;
        let mut token = String::new();
        let flush = |token: &mut String, sentence_words: &mut usize, words: &mut usize, syl: &mut usize| {
            let t = token.trim_matches(|c: char| !c.is_alphanumeric());
            if is_word(t) {
                *words += 1;
                *sentence_words += 1;
                *syl += syllables(t);
            }
            token.clear();
        };
        let chars: Vec<char> = unit.chars().collect();
        for (i, &ch) in chars.iter().enumerate() {
            let between_digits =
                i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if ch.is_whitespace() {
                flush(&mut token, &mut sentence_words, &mut words, &mut syl);
            } else if ".!?".contains(ch) && !between_digits {
                flush(&mut token, &mut sentence_words, &mut words, &mut syl);
                if sentence_words > 0 {
                    sentences += 1;
                    sentence_words = 0;
                }
            } else {
                token.push(ch);
            }
        }
        flush(&mut token, &mut sentence_words, &mut words, &mut syl);
        if sentence_words > 0 {
            sentences += 1;
        }
    }
    let flesch_douma = if words == 0 {
        100.0
    } else {
        206.84 - 0.77 * (100.0 * syl as f64 / words as f64) - 0.93 * (words as f64 / sentences.max(1) as f64)
    };
    Score { flesch_douma, words, sentences, syllables: syl }
}

/// All text a reader sees on a page, title included; each text a paragraph of its own (a title,
/// a question, an answer to choose).
pub fn page_text(page: &super::content::Page) -> String {
    let mut parts = vec![page.title.as_str()];
    for b in &page.blocks {
        parts.extend(b.visible_texts());
    }
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_dutch_syllables() {
        assert_eq!(syllables("werk"), 1);
        assert_eq!(syllables("koffie"), 2);
        assert_eq!(syllables("vrijwilliger"), 4);
        assert_eq!(syllables("geëerd"), 2);
        assert_eq!(syllables("ruimte"), 2);
        assert_eq!(syllables("123"), 1);
    }

    #[test]
    fn a_sentence_ends_at_its_stop_not_at_a_line_or_a_number() {
        let wrapped = "Als je weer gaat werken maak je met je werkleider\nen je coach afspraken over je uren\nen over wat je doet als het niet lukt.";
        assert_eq!(score(wrapped).sentences, 1);
        assert_eq!(score("Kijk naar opdracht 2.1 en 2.2.").sentences, 1);
        assert_eq!(score("Bel je coach; die helpt je.").sentences, 1);
        // Paragraphs, list items and headings end a sentence without a stop.
        let list =
            "# Wat ga je doen\nDit zijn de stappen\n\nEerst dit\n- Bel je coach\n- Maak een plan\nDaarna rust je uit.";
        assert_eq!(score(list).sentences, 6, "{:?}", units(list));
    }

    #[test]
    fn scores_short_plain_sentences_high() {
        let easy = score("Je werkt in de kantine. Dat gaat goed. Je bent trots.");
        assert_eq!((easy.words, easy.sentences), (11, 3));
        assert!(easy.flesch_douma > 90.0, "{easy:?}");
        let hard = score(
            "Gedurende de reïntegratieperiode dient de werknemer zich overeenkomstig de geldende \
             verzuimprotocollen beschikbaar te houden voor arbeidsdeskundige beoordelingsgesprekken.",
        );
        assert!(hard.flesch_douma < 30.0, "{hard:?}");
    }
}
