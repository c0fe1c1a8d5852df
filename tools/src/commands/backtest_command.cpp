#include "backtest_command.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "command_support.hpp"
#include "keel/exit_code.hpp"
#include "keel/replay/reports/backtest_report.hpp"
#include "keel/replay/session/backtest.hpp"

namespace keel::tools {

void BacktestCommand::add(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "backtest",
        "Backtest a config over historical CSV files against the simulated venue. Every "
        "stage runs fused on one thread, whatever the config's threads say, so two runs "
        "write byte-identical journals. Prints a summary (or the JSON report with --json)");
    cmd_->add_option("-c,--config", config_, "Config file (JSON), e.g. config/backtest.json")
        ->required()
        ->check(CLI::ExistingFile);
    cmd_->add_option("--data", data_,
                     "[SYMBOL=]FILE: a CSV file to backtest on; repeatable. Given any, they "
                     "replace the config's data.files. SYMBOL names a file without a symbol "
                     "column (default: the config's strategy symbol when it trades just one)")
        ->allow_extra_args(false);
    cmd_->add_option("--bar-interval", bar_interval_,
                     "Bar interval of --data bar files (30m, 1h, 1d; default: the config's "
                     "data files' bar_interval when they name one)");
    cmd_->add_option("--set", sets_,
                     "KEY=VALUE: override a config value by its dotted path before "
                     "validation, e.g. --set strategies.0.fast=12 --set "
                     "risk.max_order_qty=500; repeatable, applied after KEEL__ environment "
                     "overrides, by the same rules")
        ->allow_extra_args(false);
    cmd_->add_option("--journal", journal_,
                     "Journal directory to create (default "
                     "var/journal/<session>-backtest-<UTC time>); a new or empty one "
                     "starts the backtest, one holding its journal continues it (README: "
                     "Restart)");
    cmd_->add_option("--report", report_, "Write the JSON report to this file");
    cmd_->add_flag("--json", json_, "Print the JSON report to stdout instead of the human summary");
}

bool BacktestCommand::selected() const {
    return cmd_->parsed();
}

int BacktestCommand::run() {
    replay::BacktestConfigOptions options;
    options.env = engine::process_environment();
    auto overrides = parse_sets(sets_);
    if (!overrides)
        return kExitUsage;
    options.overrides = std::move(*overrides);
    for (const std::string& d : data_)
        options.data.push_back(replay::parse_data_arg(d));
    options.bar_interval = bar_interval_;
    const engine::ConfigResult result = replay::load_backtest_config(config_, options);
    if (!result.ok()) {
        print_errors(config_, result.errors);
        return kExitUsage;
    }
    // Opened before the run, so that an unwritable report path costs no backtest.
    std::ofstream report_file;
    if (!report_.empty()) {
        report_file.open(report_, std::ios::binary | std::ios::trunc);
        if (!report_file) {
            std::cerr << "keel: cannot write the report to " << report_ << "\n";
            return kExitUsage;
        }
    }
    install_stop_handlers();
    const std::filesystem::path journal =
        journal_.empty() ? default_journal_dir(result.config.session_name + "-backtest")
                         : std::filesystem::path(journal_);
    std::string error;
    const auto session = replay::run_backtest(result.config, journal, g_stop, error);
    if (!session) {
        std::cerr << "keel: cannot run the backtest: " << error << "\n";
        return kExitUsage;
    }
    const replay::BacktestReport report = replay::make_backtest_report(*session);
    const std::string json = replay::backtest_report_json(report);
    if (report_file.is_open()) {
        report_file << json;
        report_file.close();
        if (!report_file) {
            std::cerr << "keel: cannot write the report to " << report_ << "\n";
            return kExitFailed;
        }
    }
    if (json_)
        std::cout << json;
    else
        replay::print_backtest_summary(std::cout, report);
    if (!session->journal_error.empty())
        return kExitJournal;
    if (session->inputs_seen_by_last_stage != session->events_sequenced) {
        std::cerr << "keel: the last stage saw " << session->inputs_seen_by_last_stage << " of "
                  << session->events_sequenced << " input events\n";
        return kExitFailed;
    }
    return kExitOk;
}

}  // namespace keel::tools
