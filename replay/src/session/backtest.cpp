#include "keel/replay/session/backtest.hpp"

#include <algorithm>
#include <system_error>

#include "keel/adapters/sim_venue/venue_config.hpp"

namespace keel::replay {

DataArg parse_data_arg(std::string_view text) {
    const auto eq = text.find('=');
    std::error_code ec;
    const bool whole_is_file = std::filesystem::is_regular_file(std::string(text), ec);
    if (eq == std::string_view::npos || eq == 0 || whole_is_file ||
        text.substr(0, eq).find('/') != std::string_view::npos) {
        return {"", std::string(text)};
    }
    return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

engine::ConfigResult load_backtest_config(const std::filesystem::path& file,
                                          const BacktestConfigOptions& options) {
    engine::ConfigResult first = engine::load_config(file, options.env, options.overrides);
    if (options.data.empty() || !first.config.effective.is_object()) {
        // No --data, or the file could not be read as a JSON object (the errors say so).
        if (first.config.effective.is_object())
            adapters::validate_adapter_config(first.config, first.errors);
        return first;
    }
    // The defaults --data files take from the config: its strategies' symbol when they trade
    // exactly one, and its data files' bar interval when they name exactly one.
    std::vector<std::string> symbols;
    for (const engine::StrategyConfig& s : first.config.strategies) {
        for (const std::string& name : s.symbols) {
            if (std::find(symbols.begin(), symbols.end(), name) == symbols.end())
                symbols.push_back(name);
        }
    }
    std::string interval = options.bar_interval;
    if (interval.empty()) {
        std::vector<std::string> intervals;
        const engine::Json& root = first.config.effective;
        if (root.contains("data") && root["data"].is_object() && root["data"].contains("files") &&
            root["data"]["files"].is_array()) {
            for (const engine::Json& f : root["data"]["files"]) {
                if (!f.is_object() || !f.contains("bar_interval") || !f["bar_interval"].is_string())
                    continue;
                const std::string iv = f["bar_interval"].get<std::string>();
                if (!iv.empty() &&
                    std::find(intervals.begin(), intervals.end(), iv) == intervals.end())
                    intervals.push_back(iv);
            }
        }
        if (intervals.size() == 1)
            interval = intervals.front();
    }
    engine::Json files = engine::Json::array();
    for (const DataArg& d : options.data) {
        engine::Json f;
        std::error_code ec;
        const std::filesystem::path abs = std::filesystem::absolute(d.path, ec);
        f["path"] = (ec ? std::filesystem::path(d.path) : abs.lexically_normal()).string();
        const std::string symbol = !d.symbol.empty()     ? d.symbol
                                   : symbols.size() == 1 ? symbols.front()
                                                         : std::string();
        if (!symbol.empty())
            f["symbol"] = symbol;
        if (!interval.empty())
            f["bar_interval"] = interval;
        files.push_back(std::move(f));
    }
    std::vector<engine::ConfigOverride> overrides = options.overrides;
    overrides.push_back({"data.files", files.dump(), "--data"});
    engine::ConfigResult result = engine::load_config(file, options.env, overrides);
    if (result.config.effective.is_object())
        adapters::validate_adapter_config(result.config, result.errors);
    return result;
}

std::optional<SessionReport> run_backtest(const engine::Config& config,
                                          const std::filesystem::path& journal_dir,
                                          std::atomic<bool>& stop, std::string& error) {
    SessionOptions options;
    // Fused whatever the config's threads say: a fill is sequenced right after the event that
    // caused it, as it would be at a real venue with no pipeline latency, and nothing depends
    // on thread timing.
    options.plan = engine::ThreadPlan::fused(engine::kStageCount);
    options.plan->ring_capacity = config.plan.ring_capacity;
    options.journal_dir = journal_dir;
    return run_session(config, stop, options, error);
}

}  // namespace keel::replay
