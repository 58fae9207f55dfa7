/// Which SQL a journal backend speaks, where SQLite and PostgreSQL differ; everything else the journal writes once.
public enum JournalDialect: String, Sendable {
    /// The embedded SQLite file: one writer at a time, so a row read in a write is the row written.
    case sqlite
    /// A PostgreSQL server shared by several hosts: a row read in a write is locked until the commit.
    case postgres

    /// What ends a select of rows a write goes on to change: they are locked until the commit in PostgreSQL
    /// (another host's write waits), nothing in SQLite (whose write lock holds the whole file).
    var lockingRows: String { self == .postgres ? " FOR UPDATE" : "" }

    /// What ends a select of rows to claim: rows another host is claiming right now are passed over rather than
    /// waited for (PostgreSQL's `SKIP LOCKED`).
    var skippingLockedRows: String { self == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }
}
