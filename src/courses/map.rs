//! The paper map: built from the loaded courses in a given order, rendered as printable HTML
//! (and as PDF by `map_pdf`).

use super::content::{Block, Course};
use super::map_model::{MapDoc, MapItem, MapPage, MapSection};

/// Splits content text into paragraphs and list items. A numbered step ("1. Kies ...") starts a
/// paragraph of its own, as on screen.
fn text_items(text: &str, out: &mut Vec<MapItem>) {
    for para in text.split("\n\n") {
        let mut plain = Vec::new();
        for line in para.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let bullet = line.strip_prefix("- ");
            if (bullet.is_some() || numbered(line)) && !plain.is_empty() {
                out.push(MapItem::Paragraph(plain.join(" ")));
                plain.clear();
            }
            match bullet {
                Some(item) => out.push(MapItem::Bullet(item.to_string())),
                // A step starts a paragraph of its own; lines that follow it continue it.
                None => plain.push(line),
            }
        }
        if !plain.is_empty() {
            out.push(MapItem::Paragraph(plain.join(" ")));
        }
    }
}

/// "1. ", "12. ": a step of a numbered list.
fn numbered(line: &str) -> bool {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && line[digits..].starts_with(". ")
}

/// On screen the feedback of an option shows once it is chosen; on paper it follows the options.
fn feedback(options: &[super::content::ChoiceOption], items: &mut Vec<MapItem>) {
    if options.iter().all(|o| o.feedback.trim().is_empty()) {
        return;
    }
    items.push(MapItem::Paragraph("Kies eerst. Lees daarna wat er bij jouw keuze staat.".into()));
    for o in options.iter().filter(|o| !o.feedback.trim().is_empty()) {
        items.push(MapItem::Bullet(format!("**{}** {}", o.text.trim(), o.feedback.trim())));
    }
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

fn section(course: &Course) -> MapSection {
    let pages = course
        .pages
        .iter()
        .map(|page| {
            let mut items = Vec::new();
            for block in &page.blocks {
                match block {
                    Block::Celebration { text } | Block::Reflection { text } => {
                        text_items(text, &mut items);
                        items.push(MapItem::Question {
                            text: "Schrijf het hier op.".into(),
                            options: vec![],
                            answer_lines: 5,
                        });
                        if matches!(block, Block::Reflection { .. }) {
                            items.push(MapItem::Question {
                                text: "Wil je hierover praten?".into(),
                                options: vec![
                                    "Ja, met mijn coach".into(),
                                    "Ja, in een groepsgesprek".into(),
                                    "Ja, met mijn coach én in een groepsgesprek".into(),
                                    "Nu niet".into(),
                                ],
                                answer_lines: 0,
                            });
                        }
                    }
                    Block::Text { text } => text_items(text, &mut items),
                    Block::Image { alt, src, .. } => {
                        // Exercises point at the pictures ("kijk naar het plaatje"): on paper too.
                        let svg = std::fs::read_to_string(course.dir.join("images").join(src)).ok();
                        items.push(MapItem::Picture { alt: alt.clone(), svg })
                    }
                    Block::Video { title, transcript, .. } => {
                        items.push(MapItem::Transcript { title: title.clone(), text: paragraphs(transcript) })
                    }
                    Block::Exercise { label, title, instructions, answer_lines, .. } => {
                        let mut steps = Vec::new();
                        text_items(instructions, &mut steps);
                        items.push(MapItem::Exercise {
                            label: label.clone(),
                            title: title.clone(),
                            instructions: steps,
                            answer_lines: *answer_lines,
                        })
                    }
                    Block::Choice { question, options, .. } => {
                        items.push(MapItem::Question {
                            text: question.clone(),
                            options: options.iter().map(|o| o.text.clone()).collect(),
                            answer_lines: 0,
                        });
                        feedback(options, &mut items);
                    }
                    Block::OpenQuestion { question, .. } => {
                        items.push(MapItem::Question { text: question.clone(), options: vec![], answer_lines: 4 })
                    }
                    Block::Situation { title, transcript, question, options, .. } => {
                        items.push(MapItem::Transcript { title: title.clone(), text: paragraphs(transcript) });
                        items.push(MapItem::Question {
                            text: question.clone(),
                            options: options.iter().map(|o| o.text.clone()).collect(),
                            answer_lines: 0,
                        });
                        feedback(options, &mut items);
                    }
                }
            }
            MapPage { id: page.id.clone(), title: page.title.clone(), items }
        })
        .collect();
    MapSection {
        number: course.number,
        slug: course.slug.clone(),
        title: course.title.clone(),
        summary: course.summary.clone(),
        minutes: course.minutes,
        pages,
    }
}

/// The map of `courses`, in the order given.
pub fn build(courses: &[&Course], subtitle: &str) -> MapDoc {
    MapDoc {
        title: "Mijn werkmap".into(),
        subtitle: subtitle.to_string(),
        sections: courses.iter().map(|c| section(c)).collect(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Escapes and turns `**bold**` into <strong>.
fn inline(s: &str) -> String {
    esc(s)
        .split("**")
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<strong>{part}</strong>") } else { part.to_string() })
        .collect()
}

const STYLE: &str = "
@page { size: A4; margin: 18mm 18mm 20mm 18mm; @bottom-center { content: 'Pagina ' counter(page); font-size: 11pt; } }
body { font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; font-size: 16pt; line-height: 1.5; color: #111; max-width: 46em; margin: 0 auto; padding: 1em; }
h1 { font-size: 28pt; margin: 0 0 .2em; } h2 { font-size: 22pt; margin: 0 0 .3em; } h3 { font-size: 18pt; margin: 1.2em 0 .3em; }
.subtitle { font-size: 16pt; color: #444; }
.contents ol { list-style: none; padding: 0; } .contents li { font-size: 17pt; margin: .4em 0; }
.contents a { color: inherit; text-decoration: none; }
section.course { break-before: page; page-break-before: always; }
.meta { color: #444; }
.exercise { border: 2px solid #333; border-radius: 6px; padding: .6em .8em; margin: 1em 0; break-inside: avoid; }
.exercise h4 { margin: 0 0 .3em; font-size: 17pt; }
.line { border-bottom: 1px solid #666; height: 1.6em; }
.question { margin: 1em 0; break-inside: avoid; }
.box { display: inline-block; width: .9em; height: .9em; border: 2px solid #333; margin-right: .5em; vertical-align: middle; }
.options { list-style: none; padding-left: 0; } .options li { margin: .3em 0; }
.transcript { background: #f3f3f3; padding: .5em .8em; border-left: 4px solid #888; }
.picture { margin: 1em 0; break-inside: avoid; }
.picture img { display: block; max-width: 100%; max-height: 12cm; height: auto; margin: 0 auto .4em; }
.picture figcaption { color: #222; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; } }
";

fn lines(n: u32) -> String {
    "<div class=\"line\"></div>".repeat(n as usize)
}

/// Printable HTML: contents page, one section per course, exercises with room to write.
pub fn render_html(doc: &MapDoc) -> String {
    let mut h = String::with_capacity(64 * 1024);
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&doc.title)
    ));
    h.push_str(&format!(
        "<header><h1>{}</h1><p class=\"subtitle\">{}</p></header>\n",
        esc(&doc.title),
        esc(&doc.subtitle)
    ));
    h.push_str("<nav class=\"contents\"><h2>Inhoud</h2><ol>\n");
    for s in &doc.sections {
        h.push_str(&format!("<li><a href=\"#{}\">Cursus {}: {}</a></li>\n", esc(&s.slug), s.number, esc(&s.title)));
    }
    h.push_str("</ol></nav>\n");
    for s in &doc.sections {
        h.push_str(&format!(
            "<section class=\"course\" id=\"{}\" data-course=\"{}\"><h2>Cursus {}: {}</h2><p>{}</p><p class=\"meta\">Ongeveer {} minuten</p>\n",
            esc(&s.slug),
            esc(&s.slug),
            s.number,
            esc(&s.title),
            inline(&s.summary),
            s.minutes
        ));
        for p in &s.pages {
            h.push_str(&format!("<article data-page-id=\"{}\"><h3>{}</h3>\n", esc(&p.id), esc(&p.title)));
            for item in &p.items {
                h.push_str(&item_html(item));
            }
            h.push_str("</article>\n");
        }
        h.push_str("</section>\n");
    }
    h.push_str("</body></html>\n");
    h
}

fn item_html(item: &MapItem) -> String {
    match item {
        MapItem::Paragraph(t) => format!("<p>{}</p>\n", inline(t)),
        MapItem::Bullet(t) => format!("<ul><li>{}</li></ul>\n", inline(t)),
        MapItem::Exercise { label, title, instructions, answer_lines } => format!(
            "<div class=\"exercise\" data-exercise=\"{}\"><h4>{}: {}</h4>{}{}</div>\n",
            esc(label),
            esc(label),
            esc(title),
            instructions.iter().map(item_html).collect::<String>(),
            lines(*answer_lines)
        ),
        MapItem::Question { text, options, answer_lines } => format!(
            "<div class=\"question\"><p><strong>{}</strong></p>{}{}</div>\n",
            inline(text),
            if options.is_empty() {
                String::new()
            } else {
                format!(
                    "<ul class=\"options\">{}</ul>",
                    options.iter().map(|o| format!("<li><span class=\"box\"></span>{}</li>", inline(o))).collect::<String>()
                )
            },
            lines(*answer_lines)
        ),
        MapItem::Transcript { title, text } => format!(
            "<div class=\"transcript\"><p><strong>Filmpje: {}</strong><br>(Dit zie en hoor je in het filmpje.)</p>{}</div>\n",
            esc(title),
            text.iter().map(|p| format!("<p>{}</p>", inline(p))).collect::<String>()
        ),
        MapItem::Picture { alt, svg: Some(svg) } => {
            use base64::Engine;
            let data = base64::engine::general_purpose::STANDARD.encode(svg);
            format!(
                "<figure class=\"picture\"><img alt=\"{alt}\" src=\"data:image/svg+xml;base64,{data}\"><figcaption>{alt}</figcaption></figure>\n",
                alt = esc(alt)
            )
        }
        MapItem::Picture { alt, svg: None } => format!("<p class=\"picture\">Plaatje: {}</p>\n", esc(alt)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An exercise's list and numbered steps stay lines of their own on paper, as on screen.
    #[test]
    fn lists_and_steps_keep_their_own_lines() {
        let mut items = Vec::new();
        text_items("Hieronder staan voorbeelden.\n- Het weer.\n- De bus.\n\n1. Kies een kwaliteit.\n2. Vraag jezelf\nwat er gebeurt.\n\nKlaar?", &mut items);
        let shown: Vec<String> = items
            .iter()
            .map(|i| match i {
                MapItem::Paragraph(t) => format!("p:{t}"),
                MapItem::Bullet(t) => format!("b:{t}"),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "p:Hieronder staan voorbeelden.",
                "b:Het weer.",
                "b:De bus.",
                "p:1. Kies een kwaliteit.",
                "p:2. Vraag jezelf wat er gebeurt.",
                "p:Klaar?"
            ]
        );
        assert!(numbered("12. Twaalf") && !numbered("1.5 uur") && !numbered("Stap 1. Lees"));
    }
}
