#ifndef SWAMP_CSQLITE_SHIM_H
#define SWAMP_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer: a macro Swift
// cannot import. Binding with it makes SQLite copy the bytes.
static inline int swamp_sqlite3_bind_text_transient(sqlite3_stmt *stmt, int index,
                                                    const char *text, int length) {
    return sqlite3_bind_text(stmt, index, text, length, SQLITE_TRANSIENT);
}

static inline int swamp_sqlite3_bind_blob_transient(sqlite3_stmt *stmt, int index,
                                                    const void *bytes, int length) {
    return sqlite3_bind_blob(stmt, index, bytes, length, SQLITE_TRANSIENT);
}
#endif
