// The `keel journal` commands: verify, inspect and dump a journal directory. They read only;
// they never modify a journal (recovery is keel run's job).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "keel/engine/core/symbol_id.hpp"
#include "keel/journal/reader.hpp"

namespace keel::replay {

// Checks every stream: segment headers, every record's length and CRC, sequence order.
// Returns kExitOk clean, kExitFailed torn tail only (what recovery would cut), kExitUsage
// corruption or unreadable (keel/exit_code.hpp).
int verify_journal(const std::filesystem::path& dir, std::ostream& out, std::ostream& err);

// Streams, segments, record counts by type, first/last sequence and time, durability, torn
// tails. Returns kExitOk, or kExitUsage when the journal cannot be read.
int inspect_journal(const std::filesystem::path& dir, bool json, std::ostream& out,
                    std::ostream& err);

struct DumpOptions {
    std::string stream = "all";  // one stream, or all merged by sequence
    std::uint64_t from_seq = 0;
    std::uint64_t to_seq = UINT64_MAX;
    // Not empty: only the alert(s) whose body's `id` is this, and what each caused (its
    // decision, orders, risk verdicts, sends, acks, fills, and audits of its duplicates).
    std::string alert_id;
};
// One JSON object per line, fields named, prices and quantities as decimal strings; an alert's
// line adds alert_id, alert_strategy, message and alert_time from its body (the record's tail,
// shown whole as "tail"). With alert_id set and no such alert: kExitFailed. Returns
// kExitOk, kExitFailed when it stopped at a torn tail or corruption (after printing everything
// before it), kExitUsage when it cannot read the journal.
int dump_journal(const std::filesystem::path& dir, const DumpOptions& options, std::ostream& out,
                 std::ostream& err);

// Before deriving something from a journal (export, report): is it a journal, and is every
// stream whole? Every stream is scanned as verify does. Returns kExitUsage with the reason on
// err when the directory holds no journal or a stream is unreadable or corrupt (a read model or
// report over a journal with a hole in the middle would mislead); otherwise kExitOk, with the
// streams, each one's scan, and the streams that end in a torn tail (to be read up to it).
// A journal a keel is writing (it holds the writer lock) is read as a snapshot: up to the
// input stream's last sequence when it was scanned (read_to_seq), and a stream's incomplete
// last record is being written, not torn.
struct ReadableJournal {
    std::vector<std::string> streams;
    std::map<std::string, journal::StreamScan> scans;
    std::vector<std::pair<std::string, journal::ScanIssue>> torn;
    bool live = false;
    std::uint64_t read_to_seq = UINT64_MAX;
};
int scan_before_reading(const std::filesystem::path& dir, ReadableJournal& out, std::ostream& err);

// One record as dump prints it (a JSON object on one line). symbols maps ids to names; a
// symbol_def record adds to it.
[[nodiscard]] std::string describe_record(const journal::RecordView& record,
                                          const std::string& stream,
                                          std::map<engine::SymbolId, std::string>& symbols);

// Follows a journal that is being written, printing like dump as records arrive, until stop
// is set (SIGINT/SIGTERM). Returns kExitOk, or kExitUsage on corruption or an unreadable
// journal.
int tail_journal(const std::filesystem::path& dir, std::uint64_t from_seq,
                 const std::atomic<bool>& stop, std::ostream& out, std::ostream& err);

}  // namespace keel::replay
