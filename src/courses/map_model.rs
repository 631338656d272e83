//! The paper map as a document model, built from the same content as the online course. The HTML
//! and the PDF are both rendered from this model, so their order and numbering cannot differ from
//! each other or from the online course.

/// The whole printable map: a contents page, then one section per course.
#[derive(Debug, Clone)]
pub struct MapDoc {
    /// Large title on the first page, e.g. "Mijn werkmap".
    pub title: String,
    /// Line under the title, e.g. the organisation or "Volgorde van jouw plan".
    pub subtitle: String,
    pub sections: Vec<MapSection>,
}

/// One course.
#[derive(Debug, Clone)]
pub struct MapSection {
    /// The course number (1-7) as shown online ("Cursus 3").
    pub number: u32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub minutes: u32,
    pub pages: Vec<MapPage>,
}

/// One page of the online course, in the same order.
#[derive(Debug, Clone)]
pub struct MapPage {
    pub id: String,
    pub title: String,
    pub items: Vec<MapItem>,
}

#[derive(Debug, Clone)]
pub enum MapItem {
    /// Plain text; paragraphs are already split. May contain `**bold**` markers.
    Paragraph(String),
    /// One list item (the "- " lines of the content).
    Bullet(String),
    /// A numbered exercise with room to write; its instructions are paragraphs and list items.
    Exercise { label: String, title: String, instructions: Vec<MapItem>, answer_lines: u32 },
    /// A question: choice (options listed with a box to tick) or open (lines to write).
    Question { text: String, options: Vec<String>, answer_lines: u32 },
    /// A video: on paper its transcript is printed instead.
    Transcript { title: String, text: Vec<String> },
    /// A picture with its description: both maps show the drawing (the PDF at print resolution)
    /// and print the description under it. `svg` is the file's text, when it could be read;
    /// without it the description stands alone.
    Picture { alt: String, svg: Option<String> },
}
