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

/// Scores a text. Sentences end at . ! ? : ; and at the end of a line (list items, headings).
pub fn score(text: &str) -> Score {
    let (mut words, mut sentences, mut syl) = (0, 0, 0);
    for line in text.lines() {
        let line = line.trim().trim_start_matches("- ").replace("**", "");
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
        for ch in line.chars() {
            if ch.is_whitespace() {
                flush(&mut token, &mut sentence_words, &mut words, &mut syl);
            } else if ".!?:;".contains(ch) {
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

/// All text a reader sees on a page, title included.
pub fn page_text(page: &super::content::Page) -> String {
    let mut parts = vec![page.title.as_str()];
    for b in &page.blocks {
        parts.extend(b.visible_texts());
    }
    parts.join("\n")
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
