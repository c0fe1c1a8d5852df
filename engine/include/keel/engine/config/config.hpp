// Config: the engine's JSON configuration, validated at start-up. Every problem is collected
// (key path + what is wrong) so a user sees them all at once. Environment variables
// KEEL__SECTION__KEY=value override values before validation (double underscore = nesting,
// names match existing keys whatever their case and new keys are lower-cased, array elements
// by index).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keel/engine/config/operations.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/orders/account.hpp"
#include "keel/engine/risk/risk_limits.hpp"
#include "keel/engine/strategy/alert_order.hpp"
#include "keel/engine/strategy/sizing.hpp"
#include "keel/engine/strategy/strategies/orb.hpp"
#include "keel/engine/pipeline/thread_plan.hpp"
#include "keel/engine/core/trading_session.hpp"
#include "keel/journal/writer.hpp"

namespace keel::engine {

using Json = nlohmann::ordered_json;

struct ConfigError {
    std::string path;  // key path such as "threads[1].cpu", or "env KEEL__X" / the file
    std::string message;
};

struct DataFileConfig {
    std::string path;                // as written in the config
    std::filesystem::path resolved;  // relative paths resolve against the config's folder
    std::string symbol;              // used when the file has no symbol column
    std::optional<std::int64_t> bar_interval_s;  // required for bar files
    // Reading the file as it comes (config/README.md, "Data files"): keel's column names to the
    // file's header names, in the order given; the time format (strftime-style; empty: detected
    // from the first row); the IANA zone of times without one (empty: UTC); the delimiter; lines
    // before the header; bars' prices adjusted to an Adj Close column.
    std::vector<std::pair<std::string, std::string>> columns;
    std::string time_format;
    std::string tz;
    char delimiter = ',';
    std::uint32_t skip_rows = 0;
    bool adjusted = false;
};

struct AlertSizeConfig {
    std::string symbol;
    std::uint32_t timeframe_minutes = 0;  // 0: any
    Quantity quantity{};
    Money notional{};
};

// An alert_follower's order defaults for one of its symbols (`defaults`: {"SYMBOL": {...}}):
// order_type, time_in_force (or tif), trail and the relative bracket exits
// (take_profit_offset|ticks|percent, stop_loss_offset|ticks|percent), the same names and values
// as an alert body's (strategy/alert_order.hpp). Absolute prices are an alert's own.
struct AlertDefaultsConfig {
    std::string symbol;
    AlertOrder order{};
};

// One configured strategy. Symbols are names here; the session resolves them to ids once the
// data has defined them.
struct StrategyConfig {
    std::string type;  // sma_cross, orb, alert_follower
    std::vector<std::string> symbols;
    SizingPolicy sizing{};
    bool allow_short = false;
    // sma_cross
    std::uint32_t fast = 0;
    std::uint32_t slow = 0;
    std::uint32_t timeframe_minutes = 0;  // sma_cross: 0 = the bars as they come
    // orb (symbol left unset)
    OrbParams orb{};
    // alert_follower
    std::vector<AlertSizeConfig> alert_sizes;
    std::vector<AlertDefaultsConfig> alert_defaults;
    // The account it trades: an index into Config::accounts, from the `account` key (an
    // account's name; absent: the first account).
    std::uint8_t account = 0;
};

// One account the session trades: config `accounts: [{name, starting_cash, venue}]`, or,
// without `accounts`, the one account the `account` and `venue` sections describe.
struct AccountConfig {
    std::string name;
    Money starting_cash{};
    Json venue_json;  // validated by the venue adapter (adapters/)
    std::string venue_type;
};

struct SymbolConfig {
    std::string name;
    Price tick_size{};    // 0: not checked
    std::string session;  // a key of Config::sessions; empty: trades all day, every day
    // The live feed's sanity band for this symbol (adapters/input/price_band.hpp): prices
    // outside [min_price, max_price] (max 0: no bound) or further than max_jump_pct from the
    // last accepted one are refused and journaled as tick_refused. max_jump_pct < 0: the
    // feed section's max_jump_pct (20 unless it says otherwise); 0: no jump check.
    Price min_price{};
    Price max_price{};
    Ratio max_jump_pct = Ratio::from_raw(-1);
    // Webhook alerts: the exchange TradingView names the symbol on ("NASDAQ"; empty = any), which
    // an EXCHANGE:TICKER prefix must match, and other tickers alerts may name it by ("EURUSD"
    // for "EUR/USD", "NASDAQ:AAPL" written out). Unique across symbols.
    std::string exchange;
    std::vector<std::string> aliases;
};

// The paper account's cash when the config's account section does not say.
inline constexpr std::int64_t kDefaultStartingCashUnits = 1'000'000;

// `metrics`: how the run's equity curve is sampled. (A backtest sizes its records from its
// data; a live session hands them to a cold thread, so neither needs a horizon.)
struct MetricsConfig {
    // "auto" (bar when the first market data is a bar, else daily), "bar" or "daily".
    EquitySampling equity_sampling = EquitySampling::automatic;
};

struct Config {
    std::string session_name;
    std::vector<DataFileConfig> data_files;
    std::uint64_t pace_events_per_s = 0;  // 0 = as fast as possible
    // A malformed data row is skipped and counted (per file, the first one named) instead of
    // stopping the load.
    bool skip_bad_rows = false;
    // Rows out of time order are sorted and counted instead of stopping the load (data.sort).
    bool sort_rows = false;
    // A quote whose ask is more than this percentage above its bid is a bad row (columns swapped
    // or mislabelled: a size read as a price); 0: no check (data.max_spread_pct).
    std::uint32_t max_spread_pct = 20;
    std::vector<StrategyConfig> strategies;
    Money starting_cash{};
    std::map<std::string, TradingSession> sessions;
    std::vector<SymbolConfig> symbols;
    std::uint64_t seed = 0;  // journaled in session_start; the simulated venue draws from it
    Json venue_json;         // account 0's venue section, validated by the venue adapter
    // Every account, at least one; accounts[0] is the one `account` and `venue` describe in a
    // config without `accounts` (named "main").
    std::vector<AccountConfig> accounts;
    // Live sessions: the market-data feed, the webhook receiver and the control API sections,
    // each validated by its adapter (adapters/live_config.hpp); null when absent.
    Json feed_json;
    Json webhook_json;
    Json control_json;
    Json live_json;  // the live section (time, clock_tick_ms), validated with the others
    Json notify_json;  // the notify section (an array of targets), validated with the others
    RiskLimits risk{};  // every limit but the per-symbol ones (0 = off)
    std::vector<std::string> restricted_symbols;
    std::string venue_type;  // account 0's
    std::uint32_t symbol_capacity = 0;
    ThreadPlan plan;
    journal::WriterOptions journal;               // durability and segment size of every stream
    MemoryConfig memory;                          // `memory` (operations.hpp)
    ShutdownPolicy shutdown;                      // `shutdown`: the stop policy (operations.hpp)
    MetricsConfig metrics;                        // `metrics`: equity sampling
    std::vector<std::string> thread_stage_names;  // per thread, "ingest,strategy" etc.
    Json effective;  // after environment overrides and defaults; secrets still present
    // Zones and calendars resolved while reading (config path -> the `resolved` block);
    // parse_config moves them into `effective` and leaves this empty.
    std::vector<std::pair<std::string, Json>> resolved;
};

struct ConfigResult {
    Config config;
    std::vector<ConfigError> errors;
    [[nodiscard]] bool ok() const noexcept { return errors.empty(); }
};

// The index of the account called `name` among `names` (config order), nullopt when none is;
// and the names as an error about an unknown one lists them ("fx, stocks"). One lookup for the
// config's strategies, the control API's command bodies and the commands CSV.
[[nodiscard]] std::optional<std::size_t> account_named(const std::vector<std::string>& names,
                                                       std::string_view name);
[[nodiscard]] std::string account_list(const std::vector<std::string>& names);

// Finds a symbol's configuration (nullptr when the symbol has none).
[[nodiscard]] const SymbolConfig* find_symbol(const Config& config, std::string_view name);
// The trading session a symbol follows (all day, every day, when it names none).
[[nodiscard]] TradingSession session_for(const Config& config, std::string_view symbol);

// The pipeline's stage names in order; a thread's "stages" list names a contiguous run.
inline constexpr const char* kStageNames[] = {"ingest", "strategy", "risk", "gateway"};
inline constexpr std::size_t kStageCount = 4;

// A value set on the command line (`keel backtest --set KEY=VALUE`): key is a dotted path with
// array elements by index ("strategies.0.fast", "risk.max_order_qty"). Overrides apply after the
// environment's, in the order given (a later one wins), by the same rules: an existing key
// matches whatever its case, a missing one is created (validation then names an unknown key),
// and the value is JSON when it parses as JSON (integers, true, arrays) but not a number with a
// fraction, else a string. Errors name the override by origin (default "--set KEY", and
// "--set KEY=VALUE" on a validation problem with the value it set).
struct ConfigOverride {
    std::string key;
    std::string value;
    std::string origin;
};

// "KEY=VALUE" -> an override; nullopt when there is no '=' or nothing before it.
[[nodiscard]] std::optional<ConfigOverride> parse_override(std::string_view text);

// Loads, overrides from env (entries "NAME=value"; pass environ's contents), fills defaults
// and validates. Never throws for bad input: problems are returned in errors.
[[nodiscard]] ConfigResult load_config(const std::filesystem::path& file,
                                       const std::vector<std::string>& env);
// Same, from JSON text already in memory (base_dir resolves relative data paths).
[[nodiscard]] ConfigResult parse_config(std::string_view text, const std::string& origin,
                                        const std::filesystem::path& base_dir,
                                        const std::vector<std::string>& env);
// Both, with command-line overrides applied after the environment's and before validation.
[[nodiscard]] ConfigResult load_config(const std::filesystem::path& file,
                                       const std::vector<std::string>& env,
                                       const std::vector<ConfigOverride>& overrides);
[[nodiscard]] ConfigResult parse_config(std::string_view text, const std::string& origin,
                                        const std::filesystem::path& base_dir,
                                        const std::vector<std::string>& env,
                                        const std::vector<ConfigOverride>& overrides);


// FNV-1a 64 of text: the config hash journaled in session_start.
[[nodiscard]] std::uint64_t fnv1a64(std::string_view text) noexcept;

// The process environment as "NAME=value" strings.
[[nodiscard]] std::vector<std::string> process_environment();

}  // namespace keel::engine
