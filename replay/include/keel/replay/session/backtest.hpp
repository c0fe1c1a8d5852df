// Backtest: a session over historical CSV files against the simulated venue, with every stage
// fused on one thread whatever the config's thread plan says (so a fill comes in right after
// the event that caused it, and two runs write byte-identical journals). What `keel backtest`
// runs; the report is computed by backtest_report.hpp.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/replay/session/session.hpp"

namespace keel::replay {

// A `--data [SYMBOL=]FILE` argument. SYMBOL names the file's symbol when it has no symbol
// column; text before the first '=' is taken as a symbol only when it contains no '/' and the
// whole text is not an existing file.
struct DataArg {
    std::string symbol;  // empty: the config's single strategy symbol, if it has exactly one
    std::string path;
};
[[nodiscard]] DataArg parse_data_arg(std::string_view text);

struct BacktestConfigOptions {
    std::vector<std::string> env;                   // "NAME=value" (KEEL__ overrides)
    std::vector<engine::ConfigOverride> overrides;  // --set, in order
    // --data: when non-empty, these files replace the config's data.files (paths relative to
    // the current directory).
    std::vector<DataArg> data;
    // The bar interval of --data bar files; empty: the config's data files' bar_interval when
    // they name exactly one.
    std::string bar_interval;
};

// Loads and validates a backtest's config: the file, KEEL__ environment overrides, --set
// overrides, then --data (which replaces data.files, as an override named "--data"), then the
// adapters' checks (the venue section). Problems are returned in errors, never thrown.
[[nodiscard]] engine::ConfigResult load_backtest_config(const std::filesystem::path& file,
                                                        const BacktestConfigOptions& options);

// Runs the backtest fused on one thread (the config's `threads` are ignored; its ring capacity
// is kept). journal_dir as SessionOptions::journal_dir (empty: no journal). nullopt with error
// set when it could not start.
[[nodiscard]] std::optional<SessionReport> run_backtest(const engine::Config& config,
                                                        const std::filesystem::path& journal_dir,
                                                        std::atomic<bool>& stop,
                                                        std::string& error);

}  // namespace keel::replay
