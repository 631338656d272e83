//! Process-wide settings of the bundled SQLite library, made once before the first connection.

use std::sync::Once;

/// The file name that opens `path` through SQLite's `unix-excl` VFS (setting `sqlite_exclusive`).
///
/// With the default VFS every read transaction takes a lock on the database file and on a slot of
/// the WAL index, and when no other connection of the process holds them, that is an `fcntl` call
/// each, made while holding a mutex that all connections share: 1.4 `fcntl` and 0.9 `futex` calls
/// per `GET /me/courses` (strace, 64 connections), and about a tenth of its CPU time (perf).
/// `unix-excl` takes one exclusive lock on the file when the first connection opens it, keeps the
/// WAL index in the process's memory, and coordinates its own connections without the operating
/// system; no other process can open the file until the last connection closes.
pub fn exclusive_uri(path: &str) -> String {
    // A URI file name (diesel opens with SQLITE_OPEN_URI): these three would end or change it.
    let escaped = path.replace('%', "%25").replace('?', "%3f").replace('#', "%23");
    format!("file:{escaped}?vfs=unix-excl")
}

/// Before any connection is opened (SQLite refuses these settings once it is initialised):
/// - multi-thread mode: no mutex around every call on a connection. The pool hands a connection
///   to one thread at a time, which is all this mode asks; the per-call mutexes were about 5% of
///   the CPU time of `GET /me/courses`.
/// - no memory statistics: with them every allocation inside SQLite takes one global mutex,
///   shared by all connections.
pub fn configure() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called before any other SQLite function of this process
        // (guarded by `Once`, and every connection is opened after this); the variadic
        // arguments have the types these options expect (none, and an int).
        let results = unsafe {
            [
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD),
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int),
            ]
        };
        if results.iter().any(|&rc| rc != libsqlite3_sys::SQLITE_OK) {
            // Only possible when SQLite was already initialised: it then keeps its safe defaults.
            tracing::warn!(?results, "SQLite library settings not applied");
        }
    });
}

#[cfg(test)]
mod tests {
    use diesel::{Connection, RunQueryDsl, SqliteConnection};

    #[test]
    fn the_exclusive_uri_opens_the_file_at_its_path() {
        let dir = tempfile::tempdir().unwrap();
        // Characters that mean something in a URI, in a folder and a file name.
        let path = dir.path().join("a?b#c%d e").join("wilkan 100%.db");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let path = path.to_str().unwrap();
        let uri = super::exclusive_uri(path);
        assert!(uri.starts_with("file:") && uri.ends_with("?vfs=unix-excl"), "{uri}");
        let mut conn = SqliteConnection::establish(&uri).unwrap();
        diesel::sql_query("CREATE TABLE t (x INTEGER)").execute(&mut conn).unwrap();
        drop(conn);
        assert!(std::path::Path::new(path).is_file(), "the database is the file at the path itself");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "and nothing else was created");
    }
}
