//! Renders the paper map (werkmap) to PDF for readers with low literacy: large type, one course
//! per chapter, ruled lines to write on and a contents page with real page numbers.
//!
//! Rendering happens in two steps. `compose` lays every page out as a list of drawing operations
//! (so the page numbers are known before anything is written), then `write_pdf` turns those
//! operations into PDF objects with a subset of the embedded DejaVu fonts.

use std::collections::BTreeMap;
use std::sync::Arc;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Name, Pdf, Rect, Ref, Str, TextStr};
use ttf_parser::{Face, GlyphId};

use super::map_model::{MapDoc, MapItem, MapPage, MapSection};
use super::map_picture::{self, Raster};

/// Page layout computed before rendering; used by tests to check order and page numbers.
pub struct Layout {
    /// Total number of pages, contents included.
    pub pages: usize,
    /// (section slug, first page number, 1-based) in order.
    pub section_pages: Vec<(String, usize)>,
    /// Every exercise label in order with its page number.
    pub exercise_pages: Vec<(String, usize)>,
}

/// Lays the map out without writing a PDF.
pub fn layout(doc: &MapDoc, regular: &[u8], bold: &[u8]) -> Result<Layout, String> {
    let fonts = Fonts::new(regular, bold)?;
    Ok(compose(&fonts, doc).0)
}

/// Renders the map to a complete PDF file.
pub fn render_pdf(doc: &MapDoc, regular: &[u8], bold: &[u8]) -> Result<Vec<u8>, String> {
    let fonts = Fonts::new(regular, bold)?;
    let (_, pages, pictures) = compose(&fonts, doc);
    write_pdf(&fonts, &doc.title, &pages, &pictures)
}

// ---------------------------------------------------------------------------------------------
// Page geometry and text styles. All lengths are in PDF points; y runs from the top of the page.

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const MARGIN: f32 = 20.0 * MM;
const RIGHT: f32 = PAGE_W - MARGIN;
const CONTENT_W: f32 = RIGHT - MARGIN;
/// Lowest point text may reach; the footer lives in the bottom margin below it.
const BOTTOM: f32 = PAGE_H - MARGIN;
const FOOTER_BASELINE: f32 = PAGE_H - 11.0 * MM;
const LEADING: f32 = 1.45;
/// Room per handwritten line: generous, because large handwriting needs it.
const ANSWER_GAP: f32 = 10.0 * MM;
const BULLET_INDENT: f32 = 22.0;
const CHECK_INDENT: f32 = 28.0;
/// Horizontal shear for the "oblique" style; DejaVu Sans has no italic in the project.
const OBLIQUE_SKEW: f32 = 0.2;

#[derive(Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    /// Text colour as gray level: 0 is black.
    gray: f32,
    oblique: bool,
}

const fn style(size: f32, bold: bool, gray: f32, oblique: bool) -> Style {
    Style { size, bold, gray, oblique }
}

const BODY: Style = style(14.0, false, 0.0, false);
const TITLE: Style = style(28.0, true, 0.0, false);
const SUBTITLE: Style = style(16.0, false, 0.25, false);
const H1: Style = style(24.0, true, 0.0, false);
const H2: Style = style(18.0, true, 0.0, false);
const H3: Style = style(16.0, true, 0.0, false);
const MINUTES: Style = style(14.0, true, 0.3, false);
const NOTE: Style = style(14.0, false, 0.3, true);
// At the body's size and darkness: the description stands in for a picture that cannot be drawn.
const PICTURE: Style = style(14.0, false, 0.0, true);
/// A picture's width on the page, and its greatest height (a tall one is drawn narrower).
const PICTURE_W: f32 = 0.8 * CONTENT_W;
const PICTURE_MAX_H: f32 = 120.0 * MM;
const DOTS: Style = style(14.0, false, 0.5, false);
const FOOTER_NUMBER: Style = style(12.0, false, 0.0, false);
const FOOTER_LABEL: Style = style(10.0, false, 0.35, false);

fn line_height(style: Style) -> f32 {
    style.size * LEADING
}

// ---------------------------------------------------------------------------------------------
// Fonts: measuring for line breaks and glyph lookup for writing.

/// Characters up to Latin Extended-B (Dutch, Turkish, Polish names) get their widths cached,
/// because line breaking measures every character several times.
const CACHED_CHARS: usize = 0x250;

struct Font<'a> {
    data: &'a [u8],
    face: Face<'a>,
    units: f32,
    /// Advance in 1/1000 em for the first `CACHED_CHARS` code points.
    widths: Vec<f32>,
}

impl<'a> Font<'a> {
    fn parse(data: &'a [u8], what: &str) -> Result<Self, String> {
        let face = Face::parse(data, 0).map_err(|e| format!("{what} font: {e}"))?;
        let units = f32::from(face.units_per_em());
        let mut font = Self { data, face, units, widths: Vec::new() };
        font.widths =
            (0..CACHED_CHARS as u32).map(|c| char::from_u32(c).map_or(0.0, |c| font.advance(font.glyph(c)))).collect();
        Ok(font)
    }

    /// Glyph for `c`; missing characters fall back to the .notdef box instead of failing.
    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    /// Advance of a glyph in PDF glyph space (1/1000 em).
    fn advance(&self, gid: u16) -> f32 {
        let units = self.face.glyph_hor_advance(GlyphId(gid)).unwrap_or(0);
        f32::from(units) * 1000.0 / self.units
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let advance = |c: char| match self.widths.get(c as usize) {
            Some(&w) => w,
            None => self.advance(self.glyph(c)),
        };
        let total: f32 = text.chars().map(advance).sum();
        total * size / 1000.0
    }

    /// Scales a font-unit metric to PDF glyph space.
    fn scaled(&self, units: i16) -> f32 {
        f32::from(units) * 1000.0 / self.units
    }

    fn postscript_name(&self) -> String {
        let name = self
            .face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .and_then(|n| n.to_string())
            .unwrap_or_else(|| "DejaVuSans".to_string());
        name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
    }
}

struct Fonts<'a> {
    regular: Font<'a>,
    bold: Font<'a>,
    /// Distance from the top of a line box to the baseline, as a fraction of the font size.
    baseline: f32,
}

impl<'a> Fonts<'a> {
    fn new(regular: &'a [u8], bold: &'a [u8]) -> Result<Self, String> {
        let regular = Font::parse(regular, "regular")?;
        let bold = Font::parse(bold, "bold")?;
        let ascent = regular.scaled(regular.face.ascender()) / 1000.0;
        let descent = regular.scaled(regular.face.descender()) / 1000.0;
        // Centre the glyph box in the line box, so the extra leading is split above and below.
        let baseline = (LEADING - (ascent - descent)) / 2.0 + ascent;
        Ok(Self { regular, bold, baseline })
    }

    fn get(&self, bold: bool) -> &Font<'a> {
        if bold {
            &self.bold
        } else {
            &self.regular
        }
    }

    fn width(&self, text: &str, bold: bool, size: f32) -> f32 {
        self.get(bold).width(text, size)
    }
}

// ---------------------------------------------------------------------------------------------
// Rich text and line breaking.

/// A stretch of a word in one weight; `**bold**` markers switch the weight.
struct Piece {
    text: String,
    bold: bool,
}

/// Text between two breakable spaces.
struct Word {
    pieces: Vec<Piece>,
}

/// Text positioned on a line: `dx` from the start of the line.
struct Run {
    dx: f32,
    bold: bool,
    text: String,
}

type Line = Vec<Run>;

/// Breakable whitespace; a no-break space keeps e.g. "10 minuten" together.
fn is_break_space(c: char) -> bool {
    c.is_whitespace() && c != '\u{a0}'
}

/// Splits text into words and strips the `**` markers, remembering which parts were bold.
fn parse_rich(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut pieces = Vec::new();
    for (i, segment) in text.split("**").enumerate() {
        let bold = i % 2 == 1;
        for (j, chunk) in segment.split(is_break_space).enumerate() {
            if j > 0 && !pieces.is_empty() {
                words.push(Word { pieces: std::mem::take(&mut pieces) });
            }
            if !chunk.is_empty() {
                pieces.push(Piece { text: chunk.to_string(), bold });
            }
        }
    }
    if !pieces.is_empty() {
        words.push(Word { pieces });
    }
    words
}

fn word_width(fonts: &Fonts, word: &Word, style: Style) -> f32 {
    let piece = |p: &Piece| fonts.width(&p.text, style.bold || p.bold, style.size);
    word.pieces.iter().map(piece).sum()
}

/// Cuts a word wider than the line (a long web address) into line-sized chunks.
fn split_long_word(fonts: &Fonts, word: Word, style: Style, max_w: f32) -> Vec<Word> {
    if word_width(fonts, &word, style) <= max_w {
        return vec![word];
    }
    let mut words = Vec::new();
    let mut current = Word { pieces: Vec::new() };
    let mut width = 0.0;
    for piece in word.pieces {
        let bold = style.bold || piece.bold;
        for c in piece.text.chars() {
            let w = fonts.width(c.encode_utf8(&mut [0; 4]), bold, style.size);
            if width + w > max_w && !current.pieces.is_empty() {
                words.push(std::mem::replace(&mut current, Word { pieces: Vec::new() }));
                width = 0.0;
            }
            match current.pieces.last_mut() {
                Some(last) if last.bold == piece.bold => last.text.push(c),
                _ => current.pieces.push(Piece { text: c.to_string(), bold: piece.bold }),
            }
            width += w;
        }
    }
    if !current.pieces.is_empty() {
        words.push(current);
    }
    words
}

/// Greedy line breaking by measured width.
fn wrap(fonts: &Fonts, text: &str, style: Style, max_w: f32) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut line: Line = Vec::new();
    let mut x = 0.0;
    let words = parse_rich(text).into_iter();
    for word in words.flat_map(|w| split_long_word(fonts, w, style, max_w)) {
        let first_bold = style.bold || word.pieces[0].bold;
        let mut space = fonts.width(" ", first_bold, style.size);
        if line.is_empty() {
            space = 0.0;
        } else if x + space + word_width(fonts, &word, style) > max_w {
            lines.push(std::mem::take(&mut line));
            x = 0.0;
            space = 0.0;
        }
        x = push_word(fonts, &mut line, word, x, space, style);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Appends a word at `x` (after a space of width `space`, if any); returns the new line end.
fn push_word(fonts: &Fonts, line: &mut Line, word: Word, mut x: f32, space: f32, style: Style) -> f32 {
    for (k, piece) in word.pieces.into_iter().enumerate() {
        let bold = style.bold || piece.bold;
        let gap = if k == 0 && space > 0.0 { space } else { 0.0 };
        let width = fonts.width(&piece.text, bold, style.size);
        match line.last_mut() {
            // The space is measured in the weight of what follows, so merging keeps widths exact.
            Some(run) if run.bold == bold => {
                if gap > 0.0 {
                    run.text.push(' ');
                }
                run.text.push_str(&piece.text);
            }
            _ => line.push(Run { dx: x + gap, bold, text: piece.text }),
        }
        x += gap + width;
    }
    x
}

fn line_end(fonts: &Fonts, line: &Line, style: Style) -> f32 {
    line.last().map_or(0.0, |run| run.dx + fonts.width(&run.text, run.bold, style.size))
}

/// Shortens text with an ellipsis so that it fits in `max_w`.
fn truncate(fonts: &Fonts, text: &str, style: Style, max_w: f32) -> String {
    if fonts.width(text, style.bold, style.size) <= max_w {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        let candidate = format!("{out}{c}…");
        if fonts.width(&candidate, style.bold, style.size) > max_w {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

// ---------------------------------------------------------------------------------------------
// Drawing operations and the page flow.

enum Op {
    /// `y` is the baseline.
    Text { x: f32, y: f32, style: Style, text: String },
    /// Filled rectangle; `y` is its top.
    Fill { x: f32, y: f32, w: f32, h: f32, gray: f32 },
    /// Outlined square (a tick box); `y` is its top.
    Square { x: f32, y: f32, size: f32 },
    /// Horizontal line at height `y`.
    Rule { x1: f32, x2: f32, y: f32, width: f32, gray: f32 },
    /// The `picture`th picture of the map (in `Body::pictures`); `y` is its top.
    Picture { x: f32, y: f32, w: f32, h: f32, picture: usize },
}

struct Page {
    ops: Vec<Op>,
    /// Shown small in the footer, so a loose sheet can be put back in its course.
    label: String,
}

/// What is drawn to the left of a paragraph's first line.
#[derive(Clone, Copy)]
enum Marker {
    None,
    Bullet,
    Checkbox,
}

/// Places content top to bottom, starting a new page whenever the next piece would not fit.
struct Flow<'f, 'a> {
    fonts: &'f Fonts<'a>,
    pages: Vec<Page>,
    y: f32,
    label: String,
}

impl<'f, 'a> Flow<'f, 'a> {
    fn new(fonts: &'f Fonts<'a>) -> Self {
        Self { fonts, pages: Vec::new(), y: MARGIN, label: String::new() }
    }

    fn new_page(&mut self) {
        self.pages.push(Page { ops: Vec::new(), label: self.label.clone() });
        self.y = MARGIN;
    }

    /// 1-based number of the current page within this flow.
    fn page_no(&self) -> usize {
        self.pages.len()
    }

    fn page_is_blank(&self) -> bool {
        self.pages.last().is_none_or(|p| p.ops.is_empty())
    }

    /// Makes sure `h` points fit below the cursor. A piece taller than a whole page is placed
    /// anyway rather than looping over empty pages.
    fn ensure(&mut self, h: f32) {
        if self.pages.is_empty() || (self.y + h > BOTTOM && !self.page_is_blank()) {
            self.new_page();
        }
    }

    /// Vertical space that is dropped at the top of a page, where it would only look odd.
    fn gap(&mut self, h: f32) {
        if !self.page_is_blank() {
            self.y += h;
        }
    }

    fn push(&mut self, op: Op) {
        if self.pages.is_empty() {
            self.new_page();
        }
        if let Some(page) = self.pages.last_mut() {
            page.ops.push(op);
        }
    }

    fn baseline(&self, style: Style) -> f32 {
        self.y + self.fonts.baseline * style.size
    }

    /// Draws one line at the cursor and moves the cursor below it.
    fn line(&mut self, line: &Line, x: f32, style: Style) {
        let y = self.baseline(style);
        for run in line {
            let style = Style { bold: run.bold, ..style };
            self.push(Op::Text { x: x + run.dx, y, style, text: run.text.clone() });
        }
        self.y += line_height(style);
    }

    /// Places wrapped lines, breaking pages between lines. The first two lines stay together
    /// (no orphans) and the last line stays with the `keep` points that follow it.
    fn block(&mut self, lines: &[Line], x: f32, style: Style, keep: f32, marker: Marker) {
        let lh = line_height(style);
        let n = lines.len();
        self.ensure(lh * n.min(2) as f32 + if n <= 2 { keep } else { 0.0 });
        for (i, line) in lines.iter().enumerate() {
            self.ensure(if i + 1 == n { lh + keep } else { lh });
            if i == 0 {
                self.marker(marker, style);
            }
            self.line(line, x, style);
        }
    }

    fn marker(&mut self, marker: Marker, style: Style) {
        let baseline = self.baseline(style);
        match marker {
            Marker::None => {}
            Marker::Bullet => {
                let text = "•".to_string();
                self.push(Op::Text { x: MARGIN + 4.0, y: baseline, style, text });
            }
            Marker::Checkbox => {
                let size = style.size * 0.85;
                let top = baseline + 0.1 * style.size - size;
                self.push(Op::Square { x: MARGIN + 2.0, y: top, size });
            }
        }
    }

    /// A heading is never split and never left alone at the bottom of a page.
    fn heading(&mut self, text: &str, style: Style, keep: f32) {
        let lines = wrap(self.fonts, text, style, CONTENT_W);
        self.ensure(line_height(style) * lines.len() as f32 + keep);
        self.block(&lines, MARGIN, style, keep, Marker::None);
    }

    fn paragraph(&mut self, text: &str, x: f32, style: Style, marker: Marker) {
        let lines = wrap(self.fonts, text, style, RIGHT - x);
        self.block(&lines, x, style, 0.0, marker);
        self.y += style.size * 0.5;
    }

    fn answer_lines(&mut self, count: u32) {
        for _ in 0..count {
            self.ensure(ANSWER_GAP);
            self.y += ANSWER_GAP;
            let y = self.y;
            self.push(Op::Rule { x1: MARGIN, x2: RIGHT, y, width: 0.75, gray: 0.55 });
        }
        if count > 0 {
            self.y += BODY.size;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The course sections.

/// What the contents page needs to know about each section.
struct Entry {
    number: u32,
    title: String,
    slug: String,
    page: usize,
}

struct Body<'f, 'a> {
    flow: Flow<'f, 'a>,
    entries: Vec<Entry>,
    exercises: Vec<(String, usize)>,
    /// Each picture once, in the order of first use.
    pictures: Vec<Arc<Raster>>,
}

fn layout_body<'f, 'a>(fonts: &'f Fonts<'a>, doc: &MapDoc) -> Body<'f, 'a> {
    let mut body = Body { flow: Flow::new(fonts), entries: Vec::new(), exercises: Vec::new(), pictures: Vec::new() };
    for section in &doc.sections {
        body.section(section);
    }
    body
}

impl Body<'_, '_> {
    fn section(&mut self, section: &MapSection) {
        let heading = format!("Cursus {}: {}", section.number, section.title);
        let flow = &mut self.flow;
        flow.label = heading.clone();
        // Every course starts on a fresh sheet, so it can be handed out on its own.
        flow.new_page();
        self.entries.push(Entry {
            number: section.number,
            title: section.title.clone(),
            slug: section.slug.clone(),
            page: flow.page_no(),
        });
        flow.heading(&heading, H1, 0.0);
        flow.y += 6.0;
        if !section.summary.trim().is_empty() {
            flow.paragraph(&section.summary, MARGIN, BODY, Marker::None);
        }
        let minutes = format!("Ongeveer {} minuten", section.minutes);
        flow.paragraph(&minutes, MARGIN, MINUTES, Marker::None);
        flow.y += 4.0;
        let y = flow.y;
        flow.push(Op::Rule { x1: MARGIN, x2: RIGHT, y, width: 1.5, gray: 0.3 });
        flow.y += 14.0;
        for page in &section.pages {
            self.page(page);
        }
    }

    fn page(&mut self, page: &MapPage) {
        self.flow.gap(14.0);
        self.flow.heading(&page.title, H2, 2.0 * line_height(BODY));
        self.flow.y += 4.0;
        for item in &page.items {
            self.item(item);
        }
    }

    fn item(&mut self, item: &MapItem) {
        let flow = &mut self.flow;
        match item {
            MapItem::Paragraph(text) => flow.paragraph(text, MARGIN, BODY, Marker::None),
            MapItem::Bullet(text) => {
                flow.paragraph(text, MARGIN + BULLET_INDENT, BODY, Marker::Bullet);
                flow.y -= BODY.size * 0.25;
            }
            MapItem::Exercise { label, title, instructions, answer_lines } => {
                let page = self.exercise(label, title, instructions, *answer_lines);
                self.exercises.push((label.clone(), page));
            }
            MapItem::Question { text, options, answer_lines } => {
                self.question(text, options, *answer_lines);
            }
            MapItem::Transcript { title, text } => {
                flow.gap(6.0);
                let keep = line_height(NOTE) + line_height(BODY);
                flow.heading(&format!("Filmpje: {title}"), H3, keep);
                flow.paragraph("(Dit zie en hoor je in het filmpje.)", MARGIN, NOTE, Marker::None);
                for paragraph in text {
                    flow.paragraph(paragraph, MARGIN, BODY, Marker::None);
                }
            }
            MapItem::Picture { alt, svg } => {
                let fonts = flow.fonts;
                match svg.as_deref().and_then(|svg| map_picture::raster(svg, fonts.regular.data, fonts.bold.data)) {
                    Some(raster) => self.picture(raster, alt),
                    None => flow.paragraph(&format!("Plaatje: {alt}"), MARGIN, PICTURE, Marker::None),
                }
            }
        }
    }

    /// Draws the exercise heading on a light band and returns the page it landed on.
    fn exercise(&mut self, label: &str, title: &str, instructions: &[MapItem], answers: u32) -> usize {
        const PAD: f32 = 8.0;
        const TEXT_X: f32 = MARGIN + 16.0;
        let flow = &mut self.flow;
        let lines = wrap(flow.fonts, &format!("{label}: {title}"), H3, RIGHT - PAD - TEXT_X);
        let band = line_height(H3) * lines.len() as f32 + 2.0 * PAD;
        // Keep the heading with the first line of what follows it.
        let first = match (instructions.first(), answers) {
            (Some(_), _) => 2.0 * line_height(BODY),
            (None, 0) => 0.0,
            (None, _) => 2.0 * ANSWER_GAP,
        };
        flow.gap(10.0);
        flow.ensure(band + PAD + first);
        let y = flow.y;
        flow.push(Op::Fill { x: MARGIN, y, w: CONTENT_W, h: band, gray: 0.9 });
        flow.push(Op::Fill { x: MARGIN, y, w: 5.0, h: band, gray: 0.35 });
        flow.y += PAD;
        for line in &lines {
            flow.line(line, TEXT_X, H3);
        }
        flow.y += 2.0 * PAD;
        let page = flow.page_no();
        for item in instructions {
            self.item(item);
        }
        self.flow.answer_lines(answers);
        page
    }

    /// The picture, centred, with its description under it (its first two lines on the same
    /// page): the description is what a screen reader or a reader unsure of the drawing reads.
    fn picture(&mut self, raster: Arc<Raster>, alt: &str) {
        let index = match self.pictures.iter().position(|p| Arc::ptr_eq(p, &raster)) {
            Some(i) => i,
            None => {
                self.pictures.push(raster.clone());
                self.pictures.len() - 1
            }
        };
        let mut w = PICTURE_W;
        let mut h = w * raster.aspect();
        if h > PICTURE_MAX_H {
            (w, h) = (w * PICTURE_MAX_H / h, PICTURE_MAX_H);
        }
        let flow = &mut self.flow;
        // The picture with the first two lines of its description (a paragraph never starts
        // with a single line at the bottom of a page).
        let lines = wrap(flow.fonts, alt, BODY, CONTENT_W).len().min(2);
        flow.gap(6.0);
        flow.ensure(h + 8.0 + line_height(BODY) * lines as f32);
        let (x, y) = (MARGIN + (CONTENT_W - w) / 2.0, flow.y);
        flow.push(Op::Picture { x, y, w, h, picture: index });
        flow.y += h + 8.0;
        flow.paragraph(alt, MARGIN, BODY, Marker::None);
    }

    fn question(&mut self, text: &str, options: &[String], answers: u32) {
        let flow = &mut self.flow;
        let keep = match (options.is_empty(), answers) {
            (false, _) => line_height(BODY),
            (true, 0) => 0.0,
            (true, _) => ANSWER_GAP,
        };
        flow.gap(6.0);
        let lines = wrap(flow.fonts, text, BODY, CONTENT_W);
        flow.block(&lines, MARGIN, BODY, keep, Marker::None);
        flow.y += 4.0;
        for option in options {
            flow.paragraph(option, MARGIN + CHECK_INDENT, BODY, Marker::Checkbox);
        }
        if options.is_empty() {
            flow.answer_lines(answers);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Title and contents page.

/// Lays out page 1 (title, subtitle, contents). `offset` is added to the body page numbers; the
/// page count does not depend on it, because the number column has a fixed width.
fn contents(fonts: &Fonts, doc: &MapDoc, entries: &[Entry], offset: usize) -> Vec<Page> {
    let mut flow = Flow::new(fonts);
    flow.heading(&doc.title, TITLE, 0.0);
    if !doc.subtitle.trim().is_empty() {
        flow.paragraph(&doc.subtitle, MARGIN, SUBTITLE, Marker::None);
    }
    flow.y += 24.0;
    flow.label = "Inhoud".to_string();
    flow.heading("Inhoud", H1, line_height(BODY));
    flow.y += 8.0;
    let label_w =
        entries.iter().map(|e| fonts.width(&format!("Cursus {}", e.number), true, BODY.size)).fold(0.0, f32::max);
    let title_x = MARGIN + label_w + 14.0;
    for entry in entries {
        contents_entry(&mut flow, entry, title_x, entry.page + offset);
    }
    flow.pages
}

/// "Cursus N   Title . . . . . page", with the title wrapped in its own column.
fn contents_entry(flow: &mut Flow, entry: &Entry, title_x: f32, page: usize) {
    let fonts = flow.fonts;
    let number_w = fonts.width("0000", false, BODY.size);
    let dots_end = RIGHT - number_w;
    let mut lines = wrap(fonts, &entry.title, BODY, dots_end - 12.0 - title_x);
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    flow.ensure(line_height(BODY) * lines.len() as f32);
    let label = format!("Cursus {}", entry.number);
    let y = flow.baseline(BODY);
    flow.push(Op::Text { x: MARGIN, y, style: Style { bold: true, ..BODY }, text: label });
    for line in &lines {
        flow.line(line, title_x, BODY);
    }
    let y = flow.y - line_height(BODY) + fonts.baseline * BODY.size;
    let last = lines.last().map_or(0.0, |l| line_end(fonts, l, BODY));
    // Dots end at a fixed x so that they line up from entry to entry.
    let dot = fonts.width(" .", false, DOTS.size);
    let count = ((dots_end - 6.0 - title_x - last - 6.0) / dot).max(0.0) as usize;
    let dots = " .".repeat(count);
    flow.push(Op::Text { x: dots_end - 6.0 - count as f32 * dot, y, style: DOTS, text: dots });
    let number = page.to_string();
    let x = RIGHT - fonts.width(&number, true, BODY.size);
    flow.push(Op::Text { x, y, style: Style { bold: true, ..BODY }, text: number });
    flow.y += 6.0;
}

// ---------------------------------------------------------------------------------------------
// Putting it together.

fn compose(fonts: &Fonts, doc: &MapDoc) -> (Layout, Vec<Page>, Vec<Arc<Raster>>) {
    let body = layout_body(fonts, doc);
    // Two passes: the body page numbers depend on how many pages the contents take.
    let offset = contents(fonts, doc, &body.entries, 0).len();
    let mut pages = contents(fonts, doc, &body.entries, offset);
    debug_assert_eq!(pages.len(), offset);
    pages.extend(body.flow.pages);
    for (i, page) in pages.iter_mut().enumerate().skip(1) {
        add_footer(fonts, page, i + 1);
    }
    let layout = Layout {
        pages: pages.len(),
        section_pages: body.entries.iter().map(|e| (e.slug.clone(), e.page + offset)).collect(),
        exercise_pages: body.exercises.into_iter().map(|(l, p)| (l, p + offset)).collect(),
    };
    (layout, pages, body.pictures)
}

fn add_footer(fonts: &Fonts, page: &mut Page, number: usize) {
    let text = format!("Pagina {number}");
    let width = fonts.width(&text, false, FOOTER_NUMBER.size);
    let x = (PAGE_W - width) / 2.0;
    let y = FOOTER_BASELINE;
    page.ops.push(Op::Text { x, y, style: FOOTER_NUMBER, text });
    let text = truncate(fonts, &page.label, FOOTER_LABEL, x - 16.0 - MARGIN);
    page.ops.push(Op::Text { x: MARGIN, y, style: FOOTER_LABEL, text });
}

// ---------------------------------------------------------------------------------------------
// PDF output.

const FONT_NAMES: [Name<'static>; 2] = [Name(b"F0"), Name(b"F1")];
const IDENTITY: SystemInfo<'static> = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

/// Glyphs used per font, with the character each stands for (for copy-paste and search).
type GlyphSet = BTreeMap<u16, char>;

fn write_pdf(fonts: &Fonts, title: &str, pages: &[Page], pictures: &[Arc<Raster>]) -> Result<Vec<u8>, String> {
    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let catalog = next.bump();
    let tree = next.bump();
    let info = next.bump();
    let font_refs = [next.bump(), next.bump()];
    let picture_refs: Vec<Ref> = pictures.iter().map(|_| next.bump()).collect();
    for (raster, &id) in pictures.iter().zip(&picture_refs) {
        let mut image = pdf.image_xobject(id, &raster.rgb_deflated);
        image.filter(Filter::FlateDecode);
        image.width(raster.width as i32).height(raster.height as i32);
        image.color_space().device_rgb();
        image.bits_per_component(8);
    }
    let mut used = [GlyphSet::new(), GlyphSet::new()];
    let mut page_refs = Vec::with_capacity(pages.len());
    for page in pages {
        let (page_ref, content_ref) = (next.bump(), next.bump());
        page_refs.push(page_ref);
        let content = deflate(&page_content(fonts, page, &mut used));
        pdf.stream(content_ref, &content).filter(Filter::FlateDecode);
        let mut writer = pdf.page(page_ref);
        writer.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        writer.parent(tree).contents(content_ref);
        let mut resources = writer.resources();
        resources.fonts().pair(FONT_NAMES[0], font_refs[0]).pair(FONT_NAMES[1], font_refs[1]);
        let mut on_page: Vec<usize> = page
            .ops
            .iter()
            .filter_map(|op| if let Op::Picture { picture, .. } = op { Some(*picture) } else { None })
            .collect();
        on_page.sort_unstable();
        on_page.dedup();
        if !on_page.is_empty() {
            let mut x_objects = resources.x_objects();
            for i in on_page {
                x_objects.pair(Name(picture_name(i).as_bytes()), picture_refs[i]);
            }
        }
    }
    let faces = [(&fonts.regular, "WKNREG"), (&fonts.bold, "WKNBLD")];
    for (i, (font, tag)) in faces.into_iter().enumerate() {
        write_font(&mut pdf, &mut next, font_refs[i], font, &used[i], tag)?;
    }
    let count = page_refs.len() as i32;
    pdf.pages(tree).kids(page_refs).count(count);
    pdf.catalog(catalog).pages(tree).lang(TextStr("nl"));
    pdf.document_info(info).title(TextStr(title)).creator(TextStr("Wilkan"));
    Ok(pdf.finish())
}

fn picture_name(index: usize) -> String {
    format!("Im{index}")
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

fn page_content(fonts: &Fonts, page: &Page, used: &mut [GlyphSet; 2]) -> Vec<u8> {
    let mut c = Content::new();
    for op in &page.ops {
        match *op {
            Op::Text { x, y, style, ref text } => {
                let index = usize::from(style.bold);
                let glyphs = encode(fonts.get(style.bold), text, &mut used[index]);
                let skew = if style.oblique { OBLIQUE_SKEW } else { 0.0 };
                c.begin_text();
                c.set_fill_gray(style.gray);
                c.set_font(FONT_NAMES[index], style.size);
                c.set_text_matrix([1.0, 0.0, skew, 1.0, x, PAGE_H - y]);
                c.show(Str(&glyphs));
                c.end_text();
            }
            Op::Fill { x, y, w, h, gray } => {
                c.set_fill_gray(gray);
                c.rect(x, PAGE_H - y - h, w, h).fill_nonzero();
            }
            Op::Square { x, y, size } => {
                c.set_stroke_gray(0.0).set_line_width(1.3);
                c.rect(x, PAGE_H - y - size, size, size).stroke();
            }
            Op::Rule { x1, x2, y, width, gray } => {
                c.set_stroke_gray(gray).set_line_width(width);
                c.move_to(x1, PAGE_H - y).line_to(x2, PAGE_H - y).stroke();
            }
            Op::Picture { x, y, w, h, picture } => {
                // An image fills the unit square: scaled to its size and moved to its place.
                c.save_state();
                c.transform([w, 0.0, 0.0, h, x, PAGE_H - y - h]);
                c.x_object(Name(picture_name(picture).as_bytes()));
                c.restore_state();
            }
        }
    }
    c.finish().to_vec()
}

/// Text as two-byte glyph ids (Identity-H encoding), recording which glyphs were used.
fn encode(font: &Font, text: &str, used: &mut GlyphSet) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2);
    for c in text.chars() {
        let gid = font.glyph(c);
        used.entry(gid).or_insert(c);
        out.extend_from_slice(&gid.to_be_bytes());
    }
    out
}

/// Embeds a subset of `font` as a Type 0 font with a TrueType CID font underneath.
fn write_font(
    pdf: &mut Pdf,
    next: &mut Ref,
    type0: Ref,
    font: &Font,
    used: &GlyphSet,
    tag: &str,
) -> Result<(), String> {
    let (cid, descriptor, cmap, file) = (next.bump(), next.bump(), next.bump(), next.bump());
    let base = format!("{tag}+{}", font.postscript_name());
    let base = Name(base.as_bytes());
    pdf.type0_font(type0)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    write_cid_font(pdf, cid, descriptor, base, font, used);
    write_descriptor(pdf, descriptor, file, base, font);
    let mut unicode = UnicodeCmap::new(Name(b"Custom"), IDENTITY);
    for (&gid, &c) in used.iter().filter(|(gid, _)| **gid != 0) {
        unicode.pair(gid, c);
    }
    pdf.cmap(cmap, &deflate(&unicode.finish())).filter(Filter::FlateDecode);
    // The subsetter keeps glyph ids, so the ids in the content streams stay valid.
    let glyphs: Vec<u16> = std::iter::once(0).chain(used.keys().copied()).collect();
    let subset =
        subsetter::subset(font.data, 0, subsetter::Profile::pdf(&glyphs)).map_err(|e| format!("font subset: {e}"))?;
    pdf.stream(file, &deflate(&subset)).filter(Filter::FlateDecode).pair(Name(b"Length1"), subset.len() as i32);
    Ok(())
}

fn write_cid_font(pdf: &mut Pdf, id: Ref, descriptor: Ref, base: Name, font: &Font, used: &GlyphSet) {
    let mut cid = pdf.cid_font(id);
    cid.subtype(CidFontType::Type2)
        .base_font(base)
        .system_info(IDENTITY)
        .font_descriptor(descriptor)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut widths = cid.widths();
    // One entry per run of consecutive glyph ids keeps the array short.
    let gids: Vec<u16> = used.keys().copied().collect();
    for run in gids.chunk_by(|a, b| b.checked_sub(*a) == Some(1)) {
        widths.consecutive(run[0], run.iter().map(|&g| font.advance(g)));
    }
}

fn write_descriptor(pdf: &mut Pdf, id: Ref, file: Ref, base: Name, font: &Font) {
    let face = &font.face;
    let bbox = face.global_bounding_box();
    let s = |v: i16| font.scaled(v);
    let bold = face.is_bold();
    pdf.font_descriptor(id)
        .name(base)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(s(bbox.x_min), s(bbox.y_min), s(bbox.x_max), s(bbox.y_max)))
        .italic_angle(0.0)
        .ascent(s(face.ascender()))
        .descent(s(face.descender()))
        .cap_height(s(face.capital_height().unwrap_or(face.ascender())))
        .stem_v(if bold { 140.0 } else { 80.0 })
        .font_file2(file);
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGULAR: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DejaVuSans.ttf"));
    const BOLD: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DejaVuSans-Bold.ttf"));

    const PHONE: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 200">
        <rect x="20" y="20" width="120" height="160" rx="10" fill="#dbeafe" stroke="#1e3a8a" stroke-width="4"/>
        <text x="220" y="110" font-size="28" text-anchor="middle" font-family="Arial, sans-serif">Hallo?</text>
    </svg>"##;

    fn long_text(n: usize) -> String {
        let sentence = "Dit is een **lange** zin over ziekteverzuim, één reïntegratie en de coach \
                        die je helpt als je ziek bent of je niet goed voelt op je werk.";
        vec![sentence; n].join(" ")
    }

    fn section(number: u32, exercises: u32) -> MapSection {
        let pages = (1..=3)
            .map(|p| MapPage {
                id: format!("p{p}"),
                title: format!("Stap {p}: wat doe je als je ziek bent?"),
                items: page_items(number, p, exercises),
            })
            .collect();
        MapSection {
            number,
            slug: format!("cursus-{number}"),
            title: format!("Ziek melden en beter melden {number}"),
            summary: "In deze cursus leer je hoe je je ziek meldt. Ook leer je wat de \
                      bedrijfsarts doet."
                .to_string(),
            minutes: 20,
            pages,
        }
    }

    fn page_items(number: u32, page: u32, exercises: u32) -> Vec<MapItem> {
        let mut items = vec![
            MapItem::Paragraph(long_text(12)),
            MapItem::Bullet("Bel je leidinggevende vóór 9 uur.".to_string()),
            MapItem::Bullet(long_text(2)),
            // The first page's picture cannot be read: its description stands in for it.
            MapItem::Picture {
                alt: "Een man belt met zijn baas.".to_string(),
                svg: (page > 1).then(|| PHONE.to_string()),
            },
            MapItem::Transcript {
                title: "Ziek melden".to_string(),
                text: vec![long_text(3), "Ayşe zegt: ik ben ziek.".to_string()],
            },
            MapItem::Question {
                text: "Wie bel je als je ziek bent?".to_string(),
                options: vec!["Mijn leidinggevende".to_string(), "Mijn buurman".to_string()],
                answer_lines: 0,
            },
            MapItem::Question { text: "Wat zeg je?".to_string(), options: vec![], answer_lines: 3 },
        ];
        for e in 1..=exercises {
            items.push(MapItem::Exercise {
                label: format!("Opdracht {number}.{}", (page - 1) * exercises + e),
                title: "Oefen het gesprek".to_string(),
                instructions: vec![
                    MapItem::Paragraph(long_text(1)),
                    MapItem::Bullet("Schrijf op wat je zegt.".to_string()),
                ],
                answer_lines: 8,
            });
        }
        items
    }

    fn doc(sections: u32) -> MapDoc {
        MapDoc {
            title: "Mijn werkmap".to_string(),
            subtitle: "Volgorde van jouw plan".to_string(),
            sections: (1..=sections).map(|n| section(n, 2)).collect(),
        }
    }

    fn count_pages(pdf: &[u8]) -> usize {
        let needle = b"/Type /Page";
        pdf.windows(needle.len() + 1).filter(|w| w.starts_with(needle) && w[needle.len()] != b's').count()
    }

    #[test]
    fn renders_valid_pdf_with_matching_layout() {
        let doc = doc(2);
        let pdf = render_pdf(&doc, REGULAR, BOLD).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        let layout = layout(&doc, REGULAR, BOLD).unwrap();
        assert_eq!(layout.pages, count_pages(&pdf));

        let slugs: Vec<_> = layout.section_pages.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(slugs, ["cursus-1", "cursus-2"]);
        assert!(layout.section_pages[0].1 >= 2);
        assert!(layout.section_pages.windows(2).all(|w| w[0].1 < w[1].1));
        // Long paragraphs and exercises must have pushed the first section over several pages.
        assert!(layout.section_pages[1].1 > layout.section_pages[0].1 + 2);

        let expected: Vec<String> = doc
            .sections
            .iter()
            .flat_map(|s| &s.pages)
            .flat_map(|p| &p.items)
            .filter_map(|i| match i {
                MapItem::Exercise { label, .. } => Some(label.clone()),
                _ => None,
            })
            .collect();
        let labels: Vec<_> = layout.exercise_pages.iter().map(|(l, _)| l.clone()).collect();
        assert_eq!(labels, expected);
        assert!(layout.exercise_pages.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(layout.exercise_pages.iter().all(|(_, p)| *p <= layout.pages));
    }

    #[test]
    fn long_contents_shift_page_numbers() {
        let mut doc = doc(0);
        doc.sections = (1..=40).map(|n| MapSection { pages: vec![], ..section(n, 0) }).collect();
        let layout = layout(&doc, REGULAR, BOLD).unwrap();
        // 40 entries do not fit on the title page, so the first course moves to page 3.
        assert_eq!(layout.section_pages[0].1, 3);
        let pdf = render_pdf(&doc, REGULAR, BOLD).unwrap();
        assert_eq!(layout.pages, count_pages(&pdf));
    }

    #[test]
    fn empty_map_is_just_the_contents_page() {
        let doc = MapDoc { title: "Mijn werkmap".into(), subtitle: String::new(), sections: vec![] };
        let pdf = render_pdf(&doc, REGULAR, BOLD).unwrap();
        assert_eq!(count_pages(&pdf), 1);
    }

    #[test]
    fn nothing_runs_into_the_bottom_margin() {
        let fonts = Fonts::new(REGULAR, BOLD).unwrap();
        let (_, pages, _) = compose(&fonts, &doc(2));
        for op in pages.iter().flat_map(|p| &p.ops) {
            let bottom = match *op {
                Op::Text { y, .. } if y == FOOTER_BASELINE => continue,
                Op::Text { y, style, .. } => y + (LEADING - fonts.baseline) * style.size,
                Op::Fill { y, h, .. } => y + h,
                Op::Square { y, size, .. } => y + size,
                Op::Rule { y, .. } => y,
                Op::Picture { y, h, .. } => y + h,
            };
            assert!(bottom <= BOTTOM + 0.01, "content ends at {bottom}, limit {BOTTOM}");
        }
    }

    #[test]
    fn pictures_are_drawn_once_and_shown_where_they_stand() {
        let fonts = Fonts::new(REGULAR, BOLD).unwrap();
        let (_, pages, pictures) = compose(&fonts, &doc(2));
        // Pages 2 and 3 of each course show the same drawing: one image, placed four times.
        assert_eq!(pictures.len(), 1);
        let placed: Vec<(f32, f32)> = pages
            .iter()
            .flat_map(|p| &p.ops)
            .filter_map(|op| if let Op::Picture { w, h, .. } = *op { Some((w, h)) } else { None })
            .collect();
        assert_eq!(placed.len(), 4);
        assert!(placed.iter().all(|&(w, h)| (w - PICTURE_W).abs() < 0.01 && (h - PICTURE_W * 2.0 / 3.0).abs() < 0.5));
        let described = pages
            .iter()
            .flat_map(|p| &p.ops)
            .filter(|op| matches!(op, Op::Text { text, .. } if text.starts_with("Plaatje:")))
            .count();
        assert_eq!(described, 2, "the unreadable picture of page 1, in each course, in words");
        let pdf = render_pdf(&doc(2), REGULAR, BOLD).unwrap();
        let images = pdf.windows(15).filter(|w| w == b"/Subtype /Image").count();
        assert_eq!(images, 1, "the drawing is embedded once");
        // Every page that shows it names it among its resources.
        // (Content streams are compressed: the name is only readable in the resources.)
        let named = pdf.windows(5).filter(|w| w == b"/Im0 ").count();
        let pages_with_it = pages.iter().filter(|p| p.ops.iter().any(|op| matches!(op, Op::Picture { .. }))).count();
        assert_eq!(named, pages_with_it);
    }

    #[test]
    fn bold_markers_are_stripped() {
        let words = parse_rich("Bel **vóór 9 uur** je baas**!**");
        let text: Vec<String> = words.iter().map(|w| w.pieces.iter().map(|p| p.text.as_str()).collect()).collect();
        assert_eq!(text, ["Bel", "vóór", "9", "uur", "je", "baas!"]);
        assert!(words[1].pieces[0].bold && !words[0].pieces[0].bold);
        assert!(!words[5].pieces[0].bold && words[5].pieces[1].bold);
    }

    #[test]
    fn lines_fit_the_width() {
        let fonts = Fonts::new(REGULAR, BOLD).unwrap();
        let url = "https://www.example.nl/".to_string() + &"heel-lang-".repeat(30);
        let text = format!("{} {url}", long_text(4));
        for line in wrap(&fonts, &text, BODY, CONTENT_W) {
            assert!(line_end(&fonts, &line, BODY) <= CONTENT_W + 0.01);
        }
    }

    #[test]
    fn bad_font_is_an_error() {
        assert!(layout(&doc(1), b"not a font", BOLD).is_err());
    }
}
