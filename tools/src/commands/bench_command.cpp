#include "bench_command.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "command_support.hpp"
#include "keel/exit_code.hpp"
#include "keel/replay/ops/latency_harness.hpp"

namespace keel::tools {

void BenchCommand::add(CLI::App& app) {
    bench_ = app.add_subcommand("bench", "Benchmarks that run the real pipeline");
    bench_->require_subcommand(1);
    e2e_ = bench_->add_subcommand(
        "e2e",
        "End-to-end latency: an open-loop generator sends alerts at a fixed rate through the "
        "real stages, journal and simulated venue on the config's thread plan; prints "
        "p50..p99.99 and max from each event's intended send time to its order leaving the "
        "gateway, per stage hop, throughput, ring-full waits and a host manifest");
    e2e_->add_option("-c,--config", config_,
                     "Config file (JSON) with an alert_follower strategy; its thread plan, "
                     "journal durability, risk limits and venue are used, its data files are "
                     "not read (default config/bench.json)")
        ->check(CLI::ExistingFile);
    e2e_->add_option("--events", events_, "Events (alerts, one order each) to send")
        ->check(CLI::Range(std::uint64_t{1}, replay::kMaxBenchEvents));
    CLI::Option* rate = e2e_->add_option("--rate", rate_, "Intended events per second (open loop)")
                            ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
    e2e_->add_flag("--saturate", saturate_,
                   "No pacing: report the most events/s the pipeline sustains with the "
                   "journal on; latencies are then closed-loop")
        ->excludes(rate);
    e2e_->add_option("--journal", journal_,
                     "Journal directory to write and keep (new or empty; default: a fresh "
                     "temp directory, removed afterwards)");
    e2e_->add_option("--json", json_, "Also write the numbers as JSON to this file");
}

bool BenchCommand::selected() const {
    return e2e_->parsed();
}

int BenchCommand::run() {
    const std::string file = config_.empty() ? std::string("config/bench.json") : config_;
    if (config_.empty() && !std::filesystem::exists(file)) {
        std::cerr << "keel: no --config given and " << file
                  << " not found (run from the repository root or give --config)\n";
        return kExitUsage;
    }
    const engine::ConfigResult result = load_and_check(file);
    if (!result.ok()) {
        print_errors(file, result.errors);
        return kExitUsage;
    }
    // Opened before the run, so that an unwritable path costs no benchmark.
    std::ofstream json_file;
    if (!json_.empty()) {
        json_file.open(json_, std::ios::binary | std::ios::trunc);
        if (!json_file) {
            std::cerr << "keel: cannot write the JSON to " << json_ << "\n";
            return kExitUsage;
        }
    }
    install_stop_handlers();
    replay::E2eOptions options;
    options.events = events_;
    options.rate_eps = rate_;
    options.saturate = saturate_;
    options.journal_dir = journal_;
    std::string error;
    const auto r = replay::run_e2e_bench(result.config, options, g_stop, error);
    if (!r) {
        std::cerr << "keel: cannot run the benchmark: " << error << "\n";
        return kExitUsage;
    }
    replay::print_e2e(std::cout, *r);
    if (json_file.is_open()) {
        json_file << replay::e2e_json(*r);
        json_file.close();
        if (!json_file) {
            std::cerr << "keel: cannot write the JSON to " << json_ << "\n";
            return kExitFailed;
        }
    }
    if (!r->journal_error.empty()) {
        std::cerr << "keel: the journal failed: " << r->journal_error << "\n";
        return kExitJournal;
    }
    if (r->latency.complete != r->events) {
        std::cerr << "keel: only " << r->latency.complete << " of " << r->events
                  << " events' orders reached the venue (risk limits, the venue, or a "
                     "stop request): the figures cover those only\n";
        return kExitFailed;
    }
    return kExitOk;
}

}  // namespace keel::tools
