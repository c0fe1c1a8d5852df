// CsvSource: recorded market data from CSV files, as an ingest InputSource.
//
// Files are read and validated when opened (start-up, cold path); a malformed row stops the
// load with the file, line and column named, or, with CsvReadOptions::skip_bad_rows, is
// skipped and counted per file (the first skipped row named in the stats). Bad rows include, as
// well as fields that do not parse: a time not in the file's format (csv_time.hpp: detected once
// or given), a row before an earlier row of its symbol (unless CsvReadOptions::sort), two bars of
// one symbol at one time (in any files), a crossed quote (ask < bid), and a price outside the
// symbol's band or above keel's largest (1e9). Columns are recognised by name, case-insensitive
// (or mapped by CsvFileSpec::columns): a time column (timestamp, date, time or datetime), an
// optional symbol/ticker column, then open,high,low,close[,adj close][,volume] (bars) or
// price[,size|volume] (trades) or bid,ask[,bid_size,ask_size] (quotes); a trade or quote without
// a size (no column, an empty cell) gets engine::kSizeUnknown, not 0; or
// action[,quantity|size,notional,price,timeframe,id,
// order_type,limit_price,stop_price,time_in_force|tif] (external alerts, for backtests of
// alert-driven strategies; the order columns travel as the alert's tail, the JSON an alert
// body would hold, checked as the webhook checks one), or command[,arg,limit,value]
// (operator commands: kill with arg 1 also flattens; limit_stage names a risk limit and its
// value, applied by a later limit_commit). Several files merge by time, ties
// broken by file order, then line. A bar row's time is the bar's open; its event is stamped at the
// bar's close (open + interval), because that is when the bar is known.
//
// Optionally paced: with pace_events_per_s > 0 events are released at that rate against the
// monotonic clock, so a paper session over recorded data runs in real time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/core/symbol_table.hpp"

namespace keel::adapters {

struct CsvFileSpec {
    std::filesystem::path path;
    std::string display_path;  // how to name the file in messages
    std::string symbol;        // when the file has no symbol column
    std::optional<std::int64_t> bar_interval_s;
    // Reading a file as it comes (config data.files[] keys, config/README.md):
    // keel's column names to the header's ({"time", "XDATE"}): a mapped name takes that column,
    // and keel's own names still find the columns not mapped.
    std::vector<std::pair<std::string, std::string>> columns{};
    std::string time_format{};  // strftime-style (csv_time.hpp); empty: detected from the first row
    std::string tz{};           // IANA zone of times without one; empty: UTC
    char delimiter = ',';
    std::uint32_t skip_rows = 0;  // lines before the header (a vendor's preamble)
    bool adjusted = false;        // bars: prices scaled to the Adj Close column's
};

// A symbol's sanity band for recorded prices (the symbol's min_price and max_price in the config;
// 0: no bound): a price outside it is a bad row.
struct CsvPriceBand {
    std::string symbol;
    engine::Price min_price{};
    engine::Price max_price{};
};

// One file's rows: loaded, and skipped as malformed (with data.skip_bad_rows), the first skipped
// one named "file:line:col: why".
struct CsvFileStats {
    std::string name;
    std::uint64_t rows = 0;
    std::uint64_t skipped_rows = 0;
    std::string first_skipped;
    // Rows before an earlier row's time (of the same symbol), sorted into place (data.sort).
    std::uint64_t sorted_rows = 0;
    // Trades or quotes without a size (no column, or an empty cell): engine::kSizeUnknown.
    std::uint64_t unknown_size_rows = 0;
};

struct CsvLoadStats {
    std::uint64_t rows = 0;  // loaded
    std::uint64_t skipped_rows = 0;
    std::uint64_t sorted_rows = 0;        // CsvFileStats::sorted_rows, every file's
    std::uint64_t unknown_size_rows = 0;  // CsvFileStats::unknown_size_rows, every file's
    std::vector<CsvFileStats> files;  // in the order given
    std::uint64_t trades = 0;
    std::uint64_t quotes = 0;
    std::uint64_t bars = 0;
    std::uint64_t alerts = 0;
    std::uint64_t commands = 0;
};

// "kill", "unkill", "pause", "resume", "limit_stage", "limit_commit", "limit_discard".
[[nodiscard]] std::optional<engine::CommandCode> parse_command_code(std::string_view text);

// "buy", "sell", "close", "close_long", "close_short" (any case).
[[nodiscard]] std::optional<engine::AlertAction> parse_alert_action(std::string_view text);
// "30", "5m", "1h", "1d" -> minutes.
[[nodiscard]] std::optional<std::uint16_t> parse_timeframe_minutes(std::string_view text);

struct CsvReadOptions {
    // A malformed row is skipped and counted instead of stopping the load. A problem with a
    // file as a whole (cannot open, no header, unknown row type, no symbol) still stops it.
    bool skip_bad_rows = false;
    // The session's accounts by index (config `accounts`): a command row's `account` column
    // names one (empty: every account).
    std::vector<std::string> accounts;
    // Rows out of time order (per file and symbol) are sorted and counted instead of stopping
    // the load (config data.sort).
    bool sort = false;
    // A quote whose ask is more than this percentage above its bid is a bad row; 0: no check
    // (config data.max_spread_pct).
    std::uint32_t max_spread_pct = 0;
    std::vector<CsvPriceBand> bands;
};

class CsvSource final : public engine::InputSource {
  public:
    // Loads every file; on a problem returns nullopt and sets error ("file:line:col: why").
    [[nodiscard]] static std::optional<CsvSource> open(const std::vector<CsvFileSpec>& files,
                                                       engine::SymbolTable& symbols,
                                                       std::uint64_t pace_events_per_s,
                                                       std::string& error,
                                                       const CsvReadOptions& options = {});

    Poll poll(engine::Event& out) noexcept override;
    // The same, with an alert row's order columns (order_type, limit_price, stop_price,
    // time_in_force) as its tail: the JSON object an alert's body would hold.
    Poll poll(engine::Event& out, engine::TailOut& tail) noexcept override;
    // Sets the tick size journaled in a symbol's definition (cold: before the session runs).
    void set_tick_size(engine::SymbolId symbol, engine::Price tick) noexcept;

    [[nodiscard]] const CsvLoadStats& stats() const noexcept { return stats_; }
    [[nodiscard]] std::size_t event_count() const noexcept { return events_.size(); }
    // Event time of the first and the last event after the symbol definitions ({0, 0} when
    // none): the span a session sizes its equity curve from (cold).
    [[nodiscard]] std::pair<std::int64_t, std::int64_t> time_span() const noexcept {
        std::size_t first = 0;
        while (first < events_.size() &&
               events_[first].header.type == engine::EventType::symbol_def)
            ++first;
        if (first == events_.size())
            return {0, 0};
        return {events_[first].header.ts_ns, events_.back().header.ts_ns};
    }
    // The next event poll would return, or nullptr at the end (cold: restart recovery checks
    // the events it skips against the journal).
    [[nodiscard]] const engine::Event* peek() const noexcept {
        return next_ < events_.size() ? &events_[next_] : nullptr;
    }
    // Skips the next n events without pacing (restart recovery: they are in the journal
    // already); pacing then continues from the first event not skipped, not from the start.
    void skip(std::size_t n) noexcept;

  private:
    CsvSource() = default;

    std::vector<engine::Event> events_;  // symbol definitions first, then data in time order
    std::size_t next_ = 0;
    std::vector<std::pair<std::size_t, std::string>> tails_;  // by event index, ascending
    std::size_t next_tail_ = 0;
    // The event index of tails_[next_tail_] (kNoTail: none left): one compare per poll.
    static constexpr std::size_t kNoTail = ~std::size_t{0};
    std::size_t next_tail_at_ = kNoTail;
    void aim_next_tail() noexcept {
        next_tail_at_ = next_tail_ < tails_.size() ? tails_[next_tail_].first : kNoTail;
    }
    CsvLoadStats stats_;
    std::uint64_t pace_events_per_s_ = 0;
    std::int64_t pace_start_ns_ = -1;
    std::size_t pace_from_ = 0;  // the first event the pacing clock counts from
};

}  // namespace keel::adapters
