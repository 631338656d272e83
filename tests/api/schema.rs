//! The SQLite and PostgreSQL migrations must describe the same schema: tables, columns, types
//! (normalised) and nullability.

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::sql_types::{Integer, Text};
use diesel::{Connection, RunQueryDsl};

use crate::helpers::{postgres_base, postgres_database};

type Schema = BTreeMap<String, BTreeMap<String, (String, bool)>>;

#[derive(diesel::QueryableByName)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
}

fn normalise(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "text" | "character varying" => "text",
        "integer" | "int" | "int4" => "integer",
        "bigint" | "int8" => "bigint",
        "smallint" => "smallint",
        "boolean" | "bool" => "bool",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "date" => "date",
        "double precision" | "double" | "real" | "float8" => "double",
        other => return format!("unmapped:{other}"),
    }
    .to_string()
}

fn collect(cols: Vec<Col>) -> Schema {
    let mut schema = Schema::new();
    for c in cols {
        if c.table_name.starts_with("__diesel") {
            continue;
        }
        schema.entry(c.table_name).or_default().insert(c.column_name, (normalise(&c.data_type), c.not_null != 0));
    }
    schema
}

pub fn sqlite_schema() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    let target = wilkan::db::DbTarget::parse(&format!("sqlite://{}", dir.path().join("s.db").display())).unwrap();
    wilkan::db::migrate(&target).unwrap();
    let mut conn = diesel::sqlite::SqliteConnection::establish(&target.location).unwrap();
    let cols: Vec<Col> = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, p.\"notnull\" AS not_null \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .load(&mut conn)
    .unwrap();
    collect(cols)
}

pub fn postgres_schema(base: &str) -> Schema {
    let db = postgres_database(base);
    let target = wilkan::db::DbTarget::parse(&format!("{base}/{}", db.name)).unwrap();
    wilkan::db::migrate(&target).unwrap();
    let mut conn = diesel::pg::PgConnection::establish(&target.location).unwrap();
    let cols: Vec<Col> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type, \
         CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS not_null \
         FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .load(&mut conn)
    .unwrap();
    collect(cols)
}

#[test]
fn sqlite_schema_uses_only_portable_types() {
    let schema = sqlite_schema();
    assert!(schema.contains_key("users"));
    for (table, cols) in &schema {
        for (col, (ty, _)) in cols {
            assert!(!ty.starts_with("unmapped"), "{table}.{col} has a non-portable type {ty}");
        }
    }
}

#[test]
fn both_backends_have_the_same_schema() {
    let Some(base) = postgres_base() else {
        eprintln!("both_backends_have_the_same_schema runs in the PostgreSQL pass (WILKAN_TEST_POSTGRES)");
        return;
    };
    let sqlite = sqlite_schema();
    let pg = postgres_schema(&base);
    assert_eq!(sqlite.keys().collect::<Vec<_>>(), pg.keys().collect::<Vec<_>>(), "same tables");
    for (table, cols) in &sqlite {
        assert_eq!(cols, &pg[table], "columns of {table} (type, not null)");
    }
}

/// Column names that would invite medical data. Wilkan never stores a diagnosis.
const MEDICAL: [&str; 9] =
    ["diagnos", "medic", "symptom", "ziekte", "klacht", "illness", "condition", "health", "treatment"];

fn assert_no_medical_columns(schema: &Schema, backend: &str) {
    for (table, cols) in schema {
        for col in cols.keys() {
            let name = col.to_lowercase();
            assert!(!MEDICAL.iter().any(|m| name.contains(m)), "{backend}: {table}.{col} looks like a medical field");
        }
    }
}

#[test]
fn no_schema_has_a_medical_field() {
    assert_no_medical_columns(&sqlite_schema(), "sqlite");
    if let Some(base) = postgres_base() {
        assert_no_medical_columns(&postgres_schema(&base), "postgres");
    }
    // The only absence detail is a coarse category with a closed list of values.
    let absences = &sqlite_schema()["absences"];
    let text_columns: Vec<&String> = absences.iter().filter(|(_, (t, _))| t == "text").map(|(c, _)| c).collect();
    assert_eq!(text_columns, ["category", "employee_id", "id", "recorded_by"]);
}

/// The SQLite migration that stores progress rows in key order rebuilds both tables: rows saved
/// before it must come through unchanged, and the tables must end up clustered on their key.
#[test]
fn sqlite_progress_tables_are_rebuilt_in_key_order_with_their_rows() {
    use diesel_migrations::MigrationHarness;
    let dir = tempfile::tempdir().unwrap();
    let mut conn = diesel::sqlite::SqliteConnection::establish(&dir.path().join("m.db").display().to_string()).unwrap();
    for _ in 0..6 {
        conn.run_next_migration(wilkan::db::SQLITE_MIGRATIONS).unwrap();
    }
    conn.batch_execute(
        "INSERT INTO users (id, email, first_name, role, active, created_at, updated_at) \
           VALUES ('u1', 'a@example.org', 'Anna', 'researcher', 1, '2026-01-01 08:00:00', '2026-01-01 08:00:00'); \
         INSERT INTO course_progress (user_id, course_slug, started_at, celebration, completed_at, completed_via, updated_at) \
           VALUES ('u1', 'kwaliteiten', '2026-01-02 09:00:00', 'Ik liep een rondje.', '2026-01-03 10:00:00', 'paper', '2026-01-03 10:00:00'); \
         INSERT INTO page_progress (user_id, course_slug, page_id, page_hash, visited_at, done_at, answers, updated_at) \
           VALUES ('u1', 'kwaliteiten', 'welkom', 'h1', '2026-01-02 09:00:00', NULL, NULL, '2026-01-02 09:00:00'), \
                  ('u1', 'kwaliteiten', 'terugblik', 'h2', '2026-01-02 09:05:00', '2026-01-02 09:06:00', '{\"answers\":{\"q\":1}}', '2026-01-02 09:06:00');",
    )
    .unwrap();
    let applied = conn.run_pending_migrations(wilkan::db::SQLITE_MIGRATIONS).unwrap();
    assert!(!applied.is_empty(), "the clustering migration ran");

    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let rows = |conn: &mut diesel::sqlite::SqliteConnection, sql: &str| -> Vec<String> {
        diesel::sql_query(sql).load::<Row>(conn).unwrap().into_iter().map(|r| r.v).collect()
    };
    assert_eq!(
        rows(&mut conn, "SELECT user_id || '|' || celebration || '|' || completed_at || '|' || completed_via AS v FROM course_progress"),
        ["u1|Ik liep een rondje.|2026-01-03 10:00:00|paper"]
    );
    assert_eq!(
        rows(
            &mut conn,
            "SELECT page_id || '|' || page_hash || '|' || coalesce(done_at, '-') || '|' || coalesce(answers, '-') AS v \
             FROM page_progress ORDER BY page_id"
        ),
        ["terugblik|h2|2026-01-02 09:06:00|{\"answers\":{\"q\":1}}", "welkom|h1|-|-"]
    );
    for table in ["course_progress", "page_progress"] {
        let sql =
            rows(&mut conn, &format!("SELECT sql AS v FROM sqlite_master WHERE type = 'table' AND name = '{table}'"));
        assert!(sql[0].ends_with("WITHOUT ROWID"), "{table} is stored in key order: {}", sql[0]);
    }
    // The key constraints survive the rebuild.
    let duplicate = conn.batch_execute(
        "INSERT INTO page_progress (user_id, course_slug, page_id, page_hash, visited_at, updated_at) \
         VALUES ('u1', 'kwaliteiten', 'welkom', 'h3', '2026-01-04 09:00:00', '2026-01-04 09:00:00')",
    );
    assert!(duplicate.is_err(), "one row per user, course and page");
}
