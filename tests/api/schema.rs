//! The SQLite and PostgreSQL migrations must describe the same schema: tables, columns, types
//! (normalised) and nullability.

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::sql_types::{Integer, Text};
use diesel::{Connection, RunQueryDsl};

use crate::helpers::postgres_base;

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
    let name = format!("wilkan_schema_{}", uuid::Uuid::new_v4().simple());
    diesel::pg::PgConnection::establish(&format!("{base}/postgres"))
        .unwrap()
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let target = wilkan::db::DbTarget::parse(&format!("{base}/{name}")).unwrap();
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
