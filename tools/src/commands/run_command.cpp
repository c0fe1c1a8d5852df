#include "run_command.hpp"

#include <filesystem>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "command_support.hpp"
#include "keel/exit_code.hpp"
#include "keel/replay/ops/host_probe.hpp"
#include "keel/replay/ops/memory_lock.hpp"
#include "keel/replay/reports/summary.hpp"
#include "keel/replay/session/live_config.hpp"
#include "keel/replay/session/live_session.hpp"
#include "keel/replay/session/session.hpp"

namespace keel::tools {
namespace {

void announce_running(const std::string& name) {
    std::cerr << "keel: session " << name << " running; SIGINT or SIGTERM stops it cleanly"
              << std::endl;
}

int run_session(const std::string& file, const std::string& journal_dir) {
    replay::LiveConfig live;
    const engine::ConfigResult result = load_and_check(file, &live);
    if (!result.ok()) {
        print_errors(file, result.errors);
        return kExitUsage;
    }
    // Before any pipeline thread, ring or arena exists (MCL_FUTURE locks those as they come).
    if (result.config.memory.lock) {
        if (const std::string why = replay::lock_memory(); !why.empty()) {
            std::cerr << "keel: memory.lock: " << why << "\n";
            return kExitUsage;
        }
        std::cerr << "keel: memory locked (mlockall MCL_CURRENT | MCL_FUTURE)\n";
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
    // The stop policy left orders open or positions not flat (stderr and the summary say which).
    if (!report->shutdown_policy.empty() && !report->shutdown_complete)
        return kExitFailed;
    return report->inputs_seen_by_last_stage == report->events_sequenced ? kExitOk : kExitFailed;
}

// ---- keel run --check-host ----------------------------------------------------------------
// The config's thread plan with the CPUs its text asks for. A CPU this host lacks fails
// validation and is left unpinned in the plan; the request is what to report, so take it from
// the config text.
engine::ThreadPlan requested_plan(const engine::ConfigResult& result) {
    engine::ThreadPlan plan = result.config.plan;
    const engine::Json& root = result.config.effective;
    const engine::Json threads =
        root.is_object() && root.contains("threads") ? root.at("threads") : engine::Json();
    for (std::size_t i = 0; threads.is_array() && i < plan.threads.size() && i < threads.size();
         ++i) {
        const engine::Json& t = threads.at(i);
        if (!plan.threads[i].cpu && t.is_object() && t.contains("cpu") &&
            t.at("cpu").is_number_integer())
            plan.threads[i].cpu = t.at("cpu").get<int>();
    }
    return plan;
}

// Reports what is not tuned for low latency, one line per setting, and exits 0: it informs,
// it does not fail. With a config, its thread plan's CPUs are checked too; the config's own
// problems (a CPU that does not exist here, say) are listed as lines of the report.
int check_host(const std::string& file) {
    std::optional<engine::ConfigResult> result;
    std::optional<engine::ThreadPlan> plan;
    if (!file.empty()) {
        result = load_and_check(file);
        plan = requested_plan(*result);
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

void RunCommand::add(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "run",
        "Run a session from a config: load the data, run the pipeline on the configured "
        "thread plan, print a summary. A config with a feed or webhook section runs a live "
        "paper session instead (market-data client, TradingView webhook, control API, "
        "notifications to Discord, Slack, Telegram or webhooks (notify[], their URLs and "
        "tokens in KEEL__NOTIFY__<i>__URL / __TOKEN); config/paper.json) until SIGINT or "
        "SIGTERM; its engine time is the wall clock "
        "(live.time wall, the default with a webhook: inputs stamped at receipt, a journaled "
        "clock tick every live.clock_tick_ms when nothing else arrives) or the data's "
        "(live.time data). "
        "SIGINT or SIGTERM first runs the config's stop policy "
        "(shutdown: cancel_open_orders, flatten, deadline_ms; exit 1 when it did not complete). "
        "A live session refuses to start (exit 2) without a webhook secret and control token of "
        "16+ characters (KEEL__WEBHOOK__SECRET, KEEL__CONTROL__TOKEN); memory.lock: true locks "
        "memory (mlockall) or refuses to start naming RLIMIT_MEMLOCK");

    cmd_->add_option("-c,--config", config_,
                     "Config file (JSON), e.g. config/demo.json or config/paper.json")
        ->check(CLI::ExistingFile);
    cmd_->add_flag("--check-host", check_host_,
                   "Do not run: report what on this host is not tuned for low latency "
                   "(governor, isolcpus, nohz_full, THP, swap, memlock, the config's thread "
                   "plan CPUs vs available and isolated ones), one line each; exit 0");
    cmd_->add_option("--journal", journal_,
                     "Journal directory (default var/journal/<session>-<UTC time>): a new or "
                     "empty one starts a session; one holding a journal of the same config "
                     "continues it (restart recovery)");
}

bool RunCommand::selected() const {
    return cmd_->parsed();
}

int RunCommand::run() {
    if (check_host_)
        return check_host(config_);
    // --config is not required() by CLI11 because --check-host runs without one.
    if (config_.empty()) {
        std::cerr << "keel run: --config is required\nRun with --help for more information.\n";
        return kExitUsage;
    }
    return run_session(config_, journal_);
}

}  // namespace keel::tools
