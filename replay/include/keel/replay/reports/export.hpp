// `keel journal export DIR --sqlite FILE`: a SQLite read model of a journal (orders, fills,
// round-trip trades, end-of-session positions, the equity curve, risk rejects, signals, alerts
// and the session). The journal stays the truth; the database is rebuilt from it on every run.
// replay/README.md documents the schema, table by table and column by column.
#pragma once

#include <filesystem>
#include <ostream>

namespace keel::replay {

// The schema's version, stored as SQLite's `PRAGMA user_version`: a reader can tell which
// tables and columns to expect. Raised whenever a table or column changes.
inline constexpr int kExportSchemaVersion = 3;

// Reads every stream of the journal in `dir` merged by sequence and writes the database to a
// temporary file beside `file`, in one transaction, then renames it over `file`: a reader never
// sees half a database, and the same journal always gives the same file, byte for byte.
//
// Positions, round trips and equity come from replaying the gateway's accepted fills and its
// marks through an engine::Account, the class the gateway keeps its books with, so they equal
// `keel run`'s summary to the last decimal.
//
// Returns kExitOk when everything was exported; kExitFailed when a stream ends in a torn tail
// (the records before it are exported and err says where it is, as `keel journal dump` does);
// kExitUsage when the journal cannot be read (corruption: its file and byte offset) or `file`
// cannot be written (named), in which case `file` is left as it was (keel/exit_code.hpp).
int export_sqlite(const std::filesystem::path& dir, const std::filesystem::path& file,
                  std::ostream& out, std::ostream& err);

}  // namespace keel::replay
