//! Writing export tables as they are produced: JSON (typed, self-describing), CSV (Dutch Excel
//! with `locale=nl`) and XLSX (one sheet per table). Nothing is held back except by XLSX, which
//! spills to temporary files (rust_xlsxwriter's constant-memory mode).

use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::table::{Cell, TableSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Csv,
    Xlsx,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    /// Dutch labels; CSV with `;` and a decimal comma.
    #[default]
    Nl,
    /// English labels; CSV with `,` and a decimal point.
    En,
}

/// The CSV and XLSX marker of a suppressed cell (fewer than five people).
pub const SUPPRESSED: &str = "<5";
/// The CSV and XLSX marker of a cell withheld so that a suppressed one cannot be worked out (as
/// Statistics Netherlands marks a figure kept secret).
pub const WITHHELD: &str = "x";

/// What every export says about itself.
#[derive(Debug, Clone)]
pub struct Header {
    pub export: String,
    pub generated_at: String,
    pub filter: serde_json::Value,
    pub population: String,
    pub instruments: Vec<(String, i32)>,
    pub locale: Locale,
}

pub trait Sink {
    fn begin(&mut self, table: &TableSpec) -> io::Result<()>;
    fn row(&mut self, cells: &[Cell]) -> io::Result<()>;
    fn end(&mut self) -> io::Result<()>;
    /// After the last table: the row count per table.
    fn finish(&mut self, row_counts: &[(String, usize)]) -> io::Result<()>;
}

fn label(locale: Locale, nl: &str, en: &str) -> String {
    match locale {
        Locale::Nl => nl.to_string(),
        Locale::En => en.to_string(),
    }
}

pub struct JsonSink<W: Write> {
    out: W,
    locale: Locale,
    columns: Vec<String>,
    first_table: bool,
    first_row: bool,
}

impl<W: Write> JsonSink<W> {
    pub fn new(mut out: W, header: &Header) -> io::Result<Self> {
        let head = json!({
            "export": header.export,
            "generated_at": header.generated_at,
            "filter": header.filter,
            "population": header.population,
            "instruments": header.instruments.iter().map(|(k, v)| json!({"key": k, "version": v})).collect::<Vec<_>>(),
            "suppression": {"min_people": super::table::MIN_CELL, "marker": "a suppressed cell is null and its column is listed in the row's \"suppressed\""},
        });
        let text = serde_json::to_string(&head)?;
        // Open the object again to append the tables as they come.
        out.write_all(&text.as_bytes()[..text.len() - 1])?;
        out.write_all(b",\"tables\":[")?;
        Ok(JsonSink { out, locale: header.locale, columns: Vec::new(), first_table: true, first_row: true })
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn begin(&mut self, t: &TableSpec) -> io::Result<()> {
        if !self.first_table {
            self.out.write_all(b",")?;
        }
        self.first_table = false;
        self.first_row = true;
        self.columns = t.columns.iter().map(|c| c.key.clone()).collect();
        let head = json!({
            "key": t.key,
            "title": label(self.locale, &t.nl, &t.en),
            "columns": t.columns.iter().map(|c| json!({"key": c.key, "label": label(self.locale, &c.nl, &c.en), "type": c.kind})).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string(&head)?;
        self.out.write_all(&text.as_bytes()[..text.len() - 1])?;
        self.out.write_all(b",\"rows\":[")
    }

    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        let mut obj = serde_json::Map::new();
        let mut suppressed = Vec::new();
        for (key, cell) in self.columns.iter().zip(cells) {
            let v = match cell {
                Cell::Text(s) => json!(s),
                Cell::Int(n) => json!(n),
                Cell::Dec(x) => json!(x),
                Cell::Bool(b) => json!(b),
                Cell::Null => serde_json::Value::Null,
                Cell::Suppressed | Cell::Withheld => {
                    suppressed.push(key.clone());
                    serde_json::Value::Null
                }
            };
            obj.insert(key.clone(), v);
        }
        // EVALUATION.md's marker (`suppressed: true`), and which cells it is about.
        if !suppressed.is_empty() {
            obj.insert("suppressed".into(), json!(true));
            obj.insert("suppressed_columns".into(), json!(suppressed));
        }
        if !self.first_row {
            self.out.write_all(b",")?;
        }
        self.first_row = false;
        serde_json::to_writer(&mut self.out, &obj)?;
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        self.out.write_all(b"]}")
    }

    fn finish(&mut self, row_counts: &[(String, usize)]) -> io::Result<()> {
        let counts: serde_json::Map<String, serde_json::Value> =
            row_counts.iter().map(|(k, n)| (k.clone(), json!(n))).collect();
        write!(self.out, "],\"row_counts\":{}}}", serde_json::Value::Object(counts))?;
        self.out.flush()
    }
}

/// CSV for spreadsheets. All tables follow each other (title line, header, rows, empty line);
/// with `only` set, just that table, header and rows: plain CSV for statistics software.
pub struct CsvSink<W: Write> {
    out: W,
    delimiter: u8,
    locale: Locale,
    only: Option<String>,
    active: bool,
}

impl<W: Write> CsvSink<W> {
    pub fn new(mut out: W, locale: Locale, only: Option<String>) -> io::Result<Self> {
        // The byte order mark makes Excel read UTF-8 (é, ë) correctly.
        out.write_all("\u{feff}".as_bytes())?;
        let delimiter = if locale == Locale::Nl { b';' } else { b',' };
        Ok(CsvSink { out, delimiter, locale, only, active: false })
    }

    /// One record, quoted as CSV needs (a writer per record: the csv crate cannot interleave
    /// the raw empty line between tables otherwise).
    fn record<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(&mut self, fields: I) -> io::Result<()> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .buffer_capacity(1024)
            .from_writer(&mut self.out);
        w.write_record(fields)?;
        w.flush()
    }

    fn number(&self, x: f64) -> String {
        let s = format!("{x}");
        if self.locale == Locale::Nl {
            s.replace('.', ",")
        } else {
            s
        }
    }
}

/// A text as a spreadsheet will not run it: Excel and LibreOffice take a cell that starts with
/// `=`, `+`, `-`, `@` or a tab as a formula, and free text (a reflection) is the employee's
/// writing. A leading apostrophe makes it text (OWASP's advice for CSV).
fn inert(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn begin(&mut self, t: &TableSpec) -> io::Result<()> {
        self.active = self.only.as_ref().is_none_or(|k| *k == t.key);
        if !self.active {
            return Ok(());
        }
        if self.only.is_none() {
            self.record([label(self.locale, &t.nl, &t.en)])?;
        }
        let labels: Vec<String> = t.columns.iter().map(|c| label(self.locale, &c.nl, &c.en)).collect();
        self.record(&labels)?;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        if !self.active {
            return Ok(());
        }
        let fields: Vec<String> = cells
            .iter()
            .map(|c| match c {
                Cell::Text(s) => inert(s),
                Cell::Int(n) => n.to_string(),
                Cell::Dec(x) => self.number(*x),
                Cell::Bool(b) => match (b, self.locale) {
                    (true, Locale::Nl) => "ja".into(),
                    (false, Locale::Nl) => "nee".into(),
                    (true, Locale::En) => "yes".into(),
                    (false, Locale::En) => "no".into(),
                },
                Cell::Null => String::new(),
                Cell::Suppressed => SUPPRESSED.into(),
                Cell::Withheld => WITHHELD.into(),
            })
            .collect();
        self.record(&fields)
    }

    fn end(&mut self) -> io::Result<()> {
        if self.active && self.only.is_none() {
            // An empty line between tables (a record with no fields would be written as "").
            self.out.write_all(b"\r\n")?;
        }
        self.active = false;
        Ok(())
    }

    fn finish(&mut self, _: &[(String, usize)]) -> io::Result<()> {
        self.out.flush()
    }
}

/// XLSX: one sheet per table, numbers as numbers. Sheets spill to temporary files as they are
/// written; the finished workbook is then copied to `out`.
pub struct XlsxSink<W: Write> {
    out: W,
    workbook: rust_xlsxwriter::Workbook,
    locale: Locale,
    sheet: Option<usize>,
    row: u32,
    header: Header,
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> io::Error {
    io::Error::other(e.to_string())
}

impl<W: Write> XlsxSink<W> {
    pub fn new(out: W, header: &Header) -> io::Result<Self> {
        Ok(XlsxSink {
            out,
            workbook: rust_xlsxwriter::Workbook::new(),
            locale: header.locale,
            sheet: None,
            row: 0,
            header: header.clone(),
        })
    }
}

impl<W: Write> Sink for XlsxSink<W> {
    fn begin(&mut self, t: &TableSpec) -> io::Result<()> {
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let sheet = self.workbook.add_worksheet_with_constant_memory().map_err(xlsx_err)?;
        // Sheet names: at most 31 characters.
        sheet.set_name(t.key.chars().take(31).collect::<String>()).map_err(xlsx_err)?;
        for (i, c) in t.columns.iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, label(self.locale, &c.nl, &c.en), &bold).map_err(xlsx_err)?;
        }
        self.sheet = Some(self.workbook.worksheets().len() - 1);
        self.row = 1;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        let Some(index) = self.sheet else { return Ok(()) };
        let sheet = self.workbook.worksheet_from_index(index).map_err(xlsx_err)?;
        for (i, cell) in cells.iter().enumerate() {
            let col = i as u16;
            match cell {
                Cell::Text(s) => sheet.write_string(self.row, col, s).map(|_| ()),
                Cell::Int(n) => sheet.write_number(self.row, col, *n as f64).map(|_| ()),
                Cell::Dec(x) => sheet.write_number(self.row, col, *x).map(|_| ()),
                Cell::Bool(b) => sheet.write_boolean(self.row, col, *b).map(|_| ()),
                Cell::Null => Ok(()),
                Cell::Suppressed => sheet.write_string(self.row, col, SUPPRESSED).map(|_| ()),
                Cell::Withheld => sheet.write_string(self.row, col, WITHHELD).map(|_| ()),
            }
            .map_err(xlsx_err)?;
        }
        self.row += 1;
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        self.sheet = None;
        Ok(())
    }

    fn finish(&mut self, row_counts: &[(String, usize)]) -> io::Result<()> {
        // A last sheet says what the file is: filter, population, instrument versions.
        let sheet = self.workbook.add_worksheet();
        sheet.set_name("about").map_err(xlsx_err)?;
        let mut lines: Vec<(String, String)> = vec![
            ("export".into(), self.header.export.clone()),
            ("generated_at".into(), self.header.generated_at.clone()),
            ("filter".into(), self.header.filter.to_string()),
            ("population".into(), self.header.population.clone()),
            ("suppressed".into(), format!("{SUPPRESSED}: fewer than {} people", super::table::MIN_CELL)),
        ];
        lines.extend(self.header.instruments.iter().map(|(k, v)| (format!("instrument {k}"), format!("version {v}"))));
        lines.extend(row_counts.iter().map(|(k, n)| (format!("rows {k}"), n.to_string())));
        for (i, (k, v)) in lines.iter().enumerate() {
            sheet.write_string(i as u32, 0, k).map_err(xlsx_err)?;
            sheet.write_string(i as u32, 1, v).map_err(xlsx_err)?;
        }
        let mut file = tempfile::tempfile()?;
        self.workbook.save_to_writer(&mut file).map_err(xlsx_err)?;
        use std::io::Seek;
        file.seek(io::SeekFrom::Start(0))?;
        io::copy(&mut file, &mut self.out)?;
        self.out.flush()
    }
}

/// Keeps the summary tables in memory (for the HTML report); record tables are skipped.
#[derive(Default)]
pub struct Collect {
    pub tables: Vec<(TableSpec, Vec<Vec<Cell>>)>,
    skip: bool,
}

impl Collect {
    pub fn table(&self, key: &str) -> Option<&(TableSpec, Vec<Vec<Cell>>)> {
        self.tables.iter().find(|(t, _)| t.key == key)
    }
}

impl Sink for Collect {
    fn begin(&mut self, t: &TableSpec) -> io::Result<()> {
        self.skip = t.key.ends_with("records") || t.key.ends_with("texts");
        if !self.skip {
            self.tables.push((t.clone(), Vec::new()));
        }
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        if !self.skip {
            if let Some(last) = self.tables.last_mut() {
                last.1.push(cells.to_vec());
            }
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _: &[(String, usize)]) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn texts_that_a_spreadsheet_would_run_are_kept_as_text() {
        for formula in ["=HYPERLINK(\"https://example.org\")", "+31 6", "-2+3", "@SUM(A1)", "\tx"] {
            assert_eq!(inert(formula), format!("'{formula}"));
        }
        for plain in ["Het ging goed.", "", "3 = drie", "'al tekst"] {
            assert_eq!(inert(plain), plain);
        }
    }
}
