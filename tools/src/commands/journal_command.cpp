#include "journal_command.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "command_support.hpp"
#include "keel/exit_code.hpp"
#include "keel/replay/reports/export.hpp"

namespace keel::tools {

// The subcommands are added in the order `keel journal --help` lists them.
void JournalCommand::add(CLI::App& app) {
    journal_ = app.add_subcommand("journal", "Read a journal directory (never modifies it)");
    journal_->require_subcommand(1);
    add_verify();
    add_inspect();
    add_dump();
    add_tail();
    add_export();
}

void JournalCommand::add_verify() {
    verify_ = journal_->add_subcommand(
        "verify",
        "Check every segment header, record CRC and sequence, and the journal's MANIFEST (every "
        "listed stream present, every sealed segment as sealed; nothing torn in a journal "
        "closed cleanly); exit 0 clean, 1 torn tail only (what recovery would cut), 2 "
        "corruption (file and offset) or unreadable. While "
        "a keel holds the journal's writer lock, a stream's incomplete last record is being "
        "written, not torn");
    verify_->add_option("dir", dir_, "Journal directory")->required();
}

void JournalCommand::add_inspect() {
    inspect_ = journal_->add_subcommand(
        "inspect",
        "Streams, segments, record counts by type, first/last sequence and time, "
        "durability, torn tails (or a record a live writer is writing)");
    inspect_->add_option("dir", dir_, "Journal directory")->required();
    inspect_->add_flag("--json", inspect_json_, "Print JSON");
}

void JournalCommand::add_dump() {
    dump_ = journal_->add_subcommand(
        "dump",
        "Print records as JSON, one per line, merged by sequence; prices and quantities "
        "as decimal strings; an alert's line shows its body (tail, secret redacted) and "
        "alert_id, alert_strategy, message, alert_time from it");
    dump_->add_option("dir", dir_, "Journal directory")->required();
    dump_->add_option("--stream", dump_options_.stream,
                      "input, strategy, risk, gateway, or all (default: all)");
    dump_->add_option("--from", dump_options_.from_seq, "First sequence to print");
    dump_->add_option("--to", dump_options_.to_seq, "Last sequence to print");
    dump_->add_option("--alert", dump_options_.alert_id,
                      "Only the alert whose body's id is ID and what it caused: its decision, "
                      "orders, risk verdicts, acks, fills (exit 1 when there is none)");
}

void JournalCommand::add_tail() {
    tail_ = journal_->add_subcommand(
        "tail",
        "Follow a journal being written, printing records like dump as they arrive; "
        "SIGINT or SIGTERM ends it");
    tail_->add_option("dir", dir_, "Journal directory")->required();
    tail_->add_option("--from", tail_from_, "First sequence to print");
}

// A SQLite read model (replay/reports/export.hpp).
void JournalCommand::add_export() {
    export_ = journal_->add_subcommand(
        "export",
        "Write a SQLite read model of a journal (orders, fills, round trips, positions, equity, "
        "risk rejects, signals, alerts, the session and its accounts, each row naming its account; "
        "schema in replay/README.md), rebuilt from "
        "scratch and renamed over FILE when complete; exit 0 ok, 1 torn tail (the records "
        "before it are exported), 2 corrupt or unreadable journal, or FILE not writable");
    export_->add_option("dir", dir_, "Journal directory")->required();
    export_->add_option("--sqlite", export_sqlite_file_, "Database file to write")->required();
}

bool JournalCommand::selected() const {
    return journal_->parsed();
}

int JournalCommand::run() {
    if (verify_->parsed())
        return replay::verify_journal(dir_, std::cout, std::cerr);
    if (inspect_->parsed())
        return replay::inspect_journal(dir_, inspect_json_, std::cout, std::cerr);
    if (tail_->parsed()) {
        install_stop_handlers();
        return replay::tail_journal(dir_, tail_from_, g_stop, std::cout, std::cerr);
    }
    if (dump_->parsed())
        return replay::dump_journal(dir_, dump_options_, std::cout, std::cerr);
    if (export_->parsed())
        return replay::export_sqlite(dir_, export_sqlite_file_, std::cout, std::cerr);
    // Unreachable: CLI11 refuses `keel journal` without a subcommand (require_subcommand).
    return kExitUsage;
}

}  // namespace keel::tools
