#include "keel/tools/cli.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands/backtest_command.hpp"
#include "commands/bench_command.hpp"
#include "commands/command_support.hpp"
#include "commands/feed_command.hpp"
#include "keel/adapters/sim_venue/venue_config.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/exit_code.hpp"
#include "keel/replay/session/backtest.hpp"
#include "keel/replay/reports/backtest_report.hpp"
#include "keel/replay/reports/export.hpp"
#include "keel/replay/ops/host_probe.hpp"
#include "keel/replay/reports/html_report.hpp"
#include "keel/replay/reports/journal_tools.hpp"
#include "keel/replay/ops/latency_harness.hpp"
#include "keel/replay/session/live_config.hpp"
#include "keel/replay/session/live_session.hpp"
#include "keel/replay/reports/replay_report.hpp"
#include "keel/replay/session/session.hpp"
#include "keel/replay/reports/summary.hpp"

#ifndef KEEL_VERSION
#define KEEL_VERSION "0.0.0"
#endif

namespace keel::tools {
namespace {

int config_check(const std::string& file) {
    const engine::ConfigResult result = load_and_check(file);
    if (!result.ok()) {
        print_errors(file, result.errors);
        return kExitUsage;
    }
    std::cout << engine::mask_secrets(result.config.effective).dump(2) << "\n";
    std::cerr << "keel: " << file << ": configuration is valid\n";
    return kExitOk;
}

void announce_running(const std::string& name) {
    std::cerr << "keel: session " << name << " running; SIGINT or SIGTERM stops it cleanly"
              << std::endl;
}

int run(const std::string& file, const std::string& journal_dir) {
    replay::LiveConfig live;
    const engine::ConfigResult result = load_and_check(file, &live);
    if (!result.ok()) {
        print_errors(file, result.errors);
        return kExitUsage;
    }
    install_stop_handlers();
    replay::SessionOptions options;
    std::string name = result.config.session_name;
    options.journal_dir = journal_dir.empty() ? default_journal_dir(result.config.session_name)
                                              : std::filesystem::path(journal_dir);
    options.on_running = [&name] { announce_running(name); };
    std::string error;
    // A feed or webhook section makes it a live paper session (live_session.hpp).
    const auto report = live.live()
                            ? replay::run_live_session(result.config, live, g_stop, options, error)
                            : replay::run_session(result.config, g_stop, options, error);
    if (!report) {
        std::cerr << "keel: cannot run session: " << error << "\n";
        return kExitUsage;
    }
    replay::print_summary(std::cout, *report);
    if (!report->journal_error.empty())
        return kExitJournal;
    return report->inputs_seen_by_last_stage == report->events_sequenced ? kExitOk : kExitFailed;
}

// ---- keel run --check-host ----------------------------------------------------------------
// Reports what is not tuned for low latency, one line per setting, and exits 0: it informs,
// it does not fail. With a config, its thread plan's CPUs are checked too; the config's own
// problems (a CPU that does not exist here, say) are listed as lines of the report.
int check_host(const std::string& file) {
    std::optional<engine::ConfigResult> result;
    std::optional<engine::ThreadPlan> plan;
    if (!file.empty()) {
        result = load_and_check(file);
        plan = result->config.plan;
        // A CPU this host lacks fails validation and is left unpinned in the plan; the
        // request is what to report, so take it from the config text.
        const engine::Json& root = result->config.effective;
        const engine::Json threads =
            root.is_object() && root.contains("threads") ? root.at("threads") : engine::Json();
        for (std::size_t i = 0;
             threads.is_array() && i < plan->threads.size() && i < threads.size(); ++i) {
            const engine::Json& t = threads.at(i);
            if (!plan->threads[i].cpu && t.is_object() && t.contains("cpu") &&
                t.at("cpu").is_number_integer())
                plan->threads[i].cpu = t.at("cpu").get<int>();
        }
    }
    const replay::HostFacts facts = replay::probe_host();
    std::cout << "keel: host check (what a tuned low-latency box would have differently; "
                 "informational, exit 0)\n";
    std::size_t untuned = 0;
    for (const replay::HostCheck& c : replay::check_host(facts, plan ? &*plan : nullptr)) {
        untuned += c.tuned ? 0 : 1;
        std::cout << (c.tuned ? "  [ok]   " : "  [tune] ") << c.name << ": " << c.found;
        if (!c.tuned)
            std::cout << "; tuned: " << c.tuned_value;
        std::cout << "\n";
    }
    if (result) {
        for (const engine::ConfigError& e : result->errors) {
            // Missing CPUs are on the cpus line already.
            if (e.path.size() > 4 && e.path.compare(e.path.size() - 4, 4, ".cpu") == 0)
                continue;
            ++untuned;
            std::cout << "  [tune] config " << file << ": " << e.path << ": " << e.message << "\n";
        }
    }
    std::cout << "  " << untuned << " setting" << (untuned == 1 ? "" : "s") << " not tuned; cpu "
              << facts.cpu_model << ", kernel " << facts.kernel << "\n";
    return kExitOk;
}
// ---- end keel run --check-host ------------------------------------------------------------

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{"keel: a low-latency, deterministic trading engine"};
    app.set_version_flag("--version", std::string("keel ") + KEEL_VERSION);
    app.require_subcommand(1);

    std::string run_config;
    std::string run_journal;
    CLI::App* run_cmd = app.add_subcommand(
        "run",
        "Run a session from a config: load the data, run the pipeline on the configured "
        "thread plan, print a summary. A config with a feed or webhook section runs a live "
        "paper session instead (market-data client, TradingView webhook, control API; "
        "config/paper.json) until SIGINT or SIGTERM");
    run_cmd
        ->add_option("-c,--config", run_config,
                     "Config file (JSON), e.g. config/demo.json or config/paper.json")
        ->check(CLI::ExistingFile);
    bool run_check_host = false;
    run_cmd->add_flag("--check-host", run_check_host,
                      "Do not run: report what on this host is not tuned for low latency "
                      "(governor, isolcpus, nohz_full, THP, swap, memlock, the config's thread "
                      "plan CPUs vs available and isolated ones), one line each; exit 0");
    run_cmd->add_option("--journal", run_journal,
                        "Journal directory (default var/journal/<session>-<UTC time>): a new or "
                        "empty one starts a session; one holding a journal of the same config "
                        "continues it (restart recovery)");

    BacktestCommand backtest;
    backtest.add(app);
    BenchCommand bench;
    bench.add(app);
    FeedCommand feed;
    feed.add(app);

    CLI::App* config_cmd = app.add_subcommand("config", "Work with configuration files");
    config_cmd->require_subcommand(1);
    std::string check_file;
    CLI::App* check_cmd = config_cmd->add_subcommand(
        "check",
        "Validate a config (after KEEL__SECTION__KEY environment overrides) and print "
        "the effective config with secrets masked; exit 2 listing every problem");
    check_cmd->add_option("file", check_file, "Config file (JSON)")->required();

    CLI::App* journal_cmd =
        app.add_subcommand("journal", "Read a journal directory (never modifies it)");
    journal_cmd->require_subcommand(1);
    std::string journal_dir;
    CLI::App* verify_cmd = journal_cmd->add_subcommand(
        "verify",
        "Check every segment header, record CRC and sequence; exit 0 clean, 1 torn tail "
        "only (what recovery would cut), 2 corruption (file and offset) or unreadable. While "
        "a keel holds the journal's writer lock, a stream's incomplete last record is being "
        "written, not torn");
    verify_cmd->add_option("dir", journal_dir, "Journal directory")->required();
    bool inspect_json = false;
    CLI::App* inspect_cmd = journal_cmd->add_subcommand(
        "inspect",
        "Streams, segments, record counts by type, first/last sequence and time, "
        "durability, torn tails (or a record a live writer is writing)");
    inspect_cmd->add_option("dir", journal_dir, "Journal directory")->required();
    inspect_cmd->add_flag("--json", inspect_json, "Print JSON");
    replay::DumpOptions dump_options;
    CLI::App* dump_cmd = journal_cmd->add_subcommand(
        "dump",
        "Print records as JSON, one per line, merged by sequence; prices and quantities "
        "as decimal strings");
    dump_cmd->add_option("dir", journal_dir, "Journal directory")->required();
    dump_cmd->add_option("--stream", dump_options.stream,
                         "input, strategy, risk, gateway, or all (default: all)");
    dump_cmd->add_option("--from", dump_options.from_seq, "First sequence to print");
    dump_cmd->add_option("--to", dump_options.to_seq, "Last sequence to print");

    std::uint64_t tail_from = 0;
    CLI::App* tail_cmd = journal_cmd->add_subcommand(
        "tail",
        "Follow a journal being written, printing records like dump as they arrive; "
        "SIGINT or SIGTERM ends it");
    tail_cmd->add_option("dir", journal_dir, "Journal directory")->required();
    tail_cmd->add_option("--from", tail_from, "First sequence to print");

    // --- keel replay ---
    std::string replay_dir;
    replay::ReplayOptions replay_options;
    std::uint64_t replay_until = 0;
    CLI::App* replay_cmd = app.add_subcommand(
        "replay",
        "Re-run a journal's inputs through the stages (fused, with its journaled config and "
        "seed, venue disconnected) and print the summary; --verify checks that every input "
        "and derived record comes out byte for byte the same: exit 0 identical, 1 the first "
        "divergence (sequence, stage, expected and actual), 2 unreadable");
    replay_cmd->add_option("dir", replay_dir, "Journal directory")->required();
    replay_cmd->add_flag("--verify", replay_options.verify,
                         "Compare every re-derived record with the journal");
    CLI::Option* until_opt =
        replay_cmd->add_option("--until", replay_until, "Replay inputs up to this sequence");
    std::uint64_t replay_at = 0;
    CLI::Option* at_opt = replay_cmd->add_option(
        "--at", replay_at,
        "Replay up to this sequence and print the state there: account, positions, open "
        "orders, risk's mode and main limits");
    std::vector<std::string> replay_sets;
    replay_cmd->add_option(
        "--set", replay_sets,
        "KEY=VALUE (repeatable): a what-if. Re-runs the journal's market data, alerts, "
        "commands and timers with this change to its config against the simulated venue, and "
        "compares orders, risk refusals, fills and P&L with the journaled session");
    replay_cmd->add_flag("--json", replay_options.json, "Print the result as JSON");
    // --- keel journal export: a SQLite read model (replay/export.hpp) ---
    std::string export_sqlite_file;
    CLI::App* export_cmd = journal_cmd->add_subcommand(
        "export",
        "Write a SQLite read model of a journal (orders, fills, round trips, positions, equity, "
        "risk rejects, signals, alerts, the session; schema in replay/README.md), rebuilt from "
        "scratch and renamed over FILE when complete; exit 0 ok, 1 torn tail (the records "
        "before it are exported), 2 corrupt or unreadable journal, or FILE not writable");
    export_cmd->add_option("dir", journal_dir, "Journal directory")->required();
    export_cmd->add_option("--sqlite", export_sqlite_file, "Database file to write")->required();
    // --- end keel journal export ---
    // --- keel report: an HTML report of a journal (replay/html_report.hpp) ---
    std::string report_dir;
    std::string report_html;
    CLI::App* report_cmd = app.add_subcommand(
        "report",
        "Write one self-contained HTML report of a journal (summary, equity and drawdown "
        "charts, per-symbol results, trades), derived from the journal alone; exit 0 ok, 1 torn "
        "tail (reported up to it), 2 unreadable or corrupt journal or unwritable FILE");
    report_cmd->add_option("dir", report_dir, "Journal directory")->required();
    report_cmd->add_option("--html", report_html, "The HTML file to write")->required();
    // --- end keel report ---

    app.footer(
        "Environment: KEEL__SECTION__KEY=value overrides a config value (double underscore = "
        "nesting, array elements by index, e.g. KEEL__THREADS__0__CPU=1).\n"
        "Exit codes: 0 ok, 1 run failed, 2 bad usage, invalid config or could not start, 3 the "
        "journal failed.");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11's exit codes are its own: --help and --version are a success, anything else it
        // refuses is bad usage.
        const int rc = app.exit(e);
        return rc == static_cast<int>(CLI::ExitCodes::Success) ? kExitOk : kExitUsage;
    }
    if (*run_cmd) {
        if (run_check_host)
            return check_host(run_config);
        if (run_config.empty()) {
            std::cerr << "keel run: --config is required\nRun with --help for more information.\n";
            return kExitUsage;
        }
        return run(run_config, run_journal);
    }
    if (bench.selected())
        return bench.run();
    if (*replay_cmd) {
        if (until_opt->count() > 0)
            replay_options.until = replay_until;
        if (at_opt->count() > 0)
            replay_options.at = replay_at;
        auto sets = parse_sets(replay_sets);
        if (!sets)
            return kExitUsage;
        replay_options.sets = std::move(*sets);
        return replay::replay_journal(replay_dir, replay_options, std::cout, std::cerr);
    }
    if (backtest.selected())
        return backtest.run();
    if (feed.selected())
        return feed.run();
    if (*check_cmd)
        return config_check(check_file);
    if (*verify_cmd)
        return replay::verify_journal(journal_dir, std::cout, std::cerr);
    if (*inspect_cmd)
        return replay::inspect_journal(journal_dir, inspect_json, std::cout, std::cerr);
    if (*tail_cmd) {
        install_stop_handlers();
        return replay::tail_journal(journal_dir, tail_from, g_stop, std::cout, std::cerr);
    }
    if (*dump_cmd)
        return replay::dump_journal(journal_dir, dump_options, std::cout, std::cerr);
    if (*export_cmd)  // keel journal export
        return replay::export_sqlite(journal_dir, export_sqlite_file, std::cout, std::cerr);
    if (*report_cmd)  // keel report
        return replay::write_html_report(report_dir, report_html, {}, std::cout, std::cerr);
    return kExitUsage;
}

}  // namespace keel::tools
