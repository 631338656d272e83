//! Process-wide settings of the bundled SQLite library, made once before the first connection.

use std::sync::Once;

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
