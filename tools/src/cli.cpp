#include "keel/tools/cli.hpp"

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "commands/alpaca_venue_command.hpp"
#include "commands/backtest_command.hpp"
#include "commands/bench_command.hpp"
#include "commands/config_command.hpp"
#include "commands/feed_command.hpp"
#include "commands/fix_venue_command.hpp"
#include "commands/journal_command.hpp"
#include "commands/replay_command.hpp"
#include "commands/report_command.hpp"
#include "commands/run_command.hpp"
#include "keel/engine/core/crash_point.hpp"
#include "keel/exit_code.hpp"

#ifndef KEEL_VERSION
#define KEEL_VERSION "0.0.0"
#endif

namespace keel::tools {

// Each command is one class in src/commands/ holding its options: add() registers it, selected()
// says whether the user chose it, run() runs it and returns the exit code.
int run_cli(int argc, char** argv) {
    CLI::App app{"keel: a low-latency, deterministic trading engine"};
    app.set_version_flag("--version", std::string("keel ") + KEEL_VERSION);
    // Set before the commands are added: CLI11 copies some of a parent's settings (the most
    // subcommands allowed, for one) into each subcommand it creates, and the commands are to
    // get the settings they always had.
    app.require_subcommand(1);

    // Added in the order `keel --help` lists them.
    RunCommand run;
    run.add(app);
    BacktestCommand backtest;
    backtest.add(app);
    BenchCommand bench;
    bench.add(app);
    FeedCommand feed;
    feed.add(app);
    FixVenueCommand fix_venue;
    fix_venue.add(app);
    AlpacaVenueCommand alpaca_venue;
    alpaca_venue.add(app);
    ConfigCommand config;
    config.add(app);
    JournalCommand journal;
    journal.add(app);
    ReplayCommand replay;
    replay.add(app);
    ReportCommand report;
    report.add(app);

    // Set after the commands are added, so that only `keel --help` shows it (a subcommand
    // would inherit a footer set before it was created).
    app.footer(
        "Environment: KEEL__SECTION__KEY=value overrides a config value (double underscore = "
        "nesting, array elements by index, e.g. KEEL__THREADS__0__CPU=1).\n"
        "Exit codes: 0 ok, 1 run failed, 2 bad usage, invalid config or could not start, 3 the "
        "journal failed.");

    // Before any command runs (and any thread starts): a set KEEL_CRASH_AT is armed or refused.
    if (const auto crash_error = engine::arm_crash_point_from_env()) {
        std::fprintf(stderr, "keel: %s\n", crash_error->c_str());
        return kExitUsage;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11's exit codes are its own: --help and --version are a success, anything else it
        // refuses is bad usage.
        const int rc = app.exit(e);
        return rc == static_cast<int>(CLI::ExitCodes::Success) ? kExitOk : kExitUsage;
    }
    if (run.selected())
        return run.run();
    if (backtest.selected())
        return backtest.run();
    if (bench.selected())
        return bench.run();
    if (feed.selected())
        return feed.run();
    if (fix_venue.selected())
        return fix_venue.run();
    if (alpaca_venue.selected())
        return alpaca_venue.run();
    if (config.selected())
        return config.run();
    if (journal.selected())
        return journal.run();
    if (replay.selected())
        return replay.run();
    if (report.selected())
        return report.run();
    // Unreachable: CLI11 refuses a command line without a command (require_subcommand).
    return kExitUsage;
}

}  // namespace keel::tools
