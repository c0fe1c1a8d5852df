// `keel report DIR --html FILE`: one self-contained HTML page (inline styles, inline SVG charts,
// no scripts, nothing fetched) summarizing a session from its journal alone.
//
// The numbers are re-derived, not copied: the journal's inputs are read in sequence order and
// every venue fill the gateway accepted, and every mark the gateway took (a trade's price, a
// bar's close), goes through an engine::Account exactly as the gateway did, with equity sampled
// as it samples (Account, config metrics.equity_sampling); every figure comes from
// compute_run_metrics over those samples and trips. So the report equals `keel run`'s summary to the last decimal. Which
// fills the gateway accepted is read from its stream: an accepted fill is followed, at the same
// sequence, by the gateway's order_state for that order (a refused one by an engine_alert).
//
// Cold tool: it runs on the caller's thread and allocates freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "keel/engine/orders/account.hpp"
#include "keel/replay/assembly/run_metrics.hpp"

namespace keel::replay {

struct HtmlReportOptions {
    // The trades table shows the first this many round trips and says how many it left out.
    std::size_t max_trade_rows = 5000;
};

struct ReportSymbol {
    std::string name;
    std::size_t account = 0;         // several accounts: whose position this is (an index)
    engine::PositionState position;  // at the end of the journal
    std::uint64_t round_trips = 0;
    std::uint64_t winning_round_trips = 0;
};

// One account of a session that traded several (config `accounts`): its own figures.
struct ReportAccount {
    std::string name;
    std::uint64_t orders_sent = 0;
    std::uint64_t risk_rejects = 0;
    std::uint64_t venue_rejects = 0;
    std::uint64_t fills = 0;
    engine::Money starting_cash{};
    engine::Money cash{};
    engine::Money equity{};
    engine::Money realized{};  // after fees
    engine::Money unrealized{};
    engine::Money fees{};
    engine::Money max_drawdown{};  // of its own equity samples
    std::uint64_t round_trip_count = 0;
    std::uint64_t winning_round_trips = 0;
};

// Everything the page shows, derived from the journal.
struct JournalReport {
    std::string journal_dir;
    std::string session_name;
    std::string config_text;  // the effective config as journaled (secrets already masked)
    std::uint64_t config_hash = 0;
    std::uint64_t seed = 0;
    std::int64_t first_ts_ns = 0;  // the first and last input event (symbol definitions aside)
    std::int64_t last_ts_ns = 0;
    std::uint64_t events_sequenced = 0;  // input records
    std::uint64_t last_seq = 0;
    std::uint64_t market_events = 0;
    std::uint64_t orders_requested = 0;  // new orders the strategies requested
    std::uint64_t orders_sent = 0;
    std::uint64_t risk_rejects = 0;
    std::uint64_t venue_rejects = 0;
    std::uint64_t fills = 0;              // applied to the account
    std::uint64_t fills_not_applied = 0;  // venue fills the gateway refused (e.g. duplicates)
    engine::Money starting_cash{};
    engine::Money cash{};
    engine::Money equity{};
    engine::Money realized{};  // after fees
    engine::Money unrealized{};
    engine::Money fees{};
    engine::Money max_drawdown{};
    // The largest fall from a peak as a fraction of that peak, in billionths (1e-9).
    std::int64_t max_drawdown_ppb = 0;
    engine::Money max_gross_exposure{};
    std::int64_t time_in_market_ns = 0;  // some position open
    std::uint64_t round_trip_count = 0;
    std::uint64_t winning_round_trips = 0;
    std::vector<engine::RoundTrip> round_trips;     // the first max_trade_rows
    std::vector<ReportSymbol> symbols;              // by symbol id
    std::vector<engine::EquityPoint> equity_curve;  // every sample, in order
    RunMetrics metrics;                             // from equity_curve and every round trip
    std::string torn_tail;                          // where the journal ended early, if it did
    // Several accounts (config `accounts`): each account's figures, the ones above being
    // every account's together, as keel run's summary has them: counts and money summed,
    // max_drawdown and equity_curve from the merged curve (at each sample time, the sum of
    // every account's latest sampled equity), round trips merged by exit time with their
    // accounts in round_trip_accounts, symbols one per account and symbol it traded. Empty
    // with one account.
    std::vector<ReportAccount> accounts;
    std::vector<std::size_t> round_trip_accounts;
};

// Reads the journal into `report`. Returns kExitOk, kExitFailed when a stream ends in a torn
// tail (the report covers what came before it; torn_tail says where), kExitUsage when the
// journal cannot be read, is corrupt (file and offset go to err) or is not a keel session
// journal (keel/exit_code.hpp).
int read_journal_report(const std::filesystem::path& dir, const HtmlReportOptions& options,
                        JournalReport& report, std::ostream& err);

// The page. Deterministic: the same report gives the same bytes. Every string from the journal
// is escaped; money, prices and quantities are exact decimals.
[[nodiscard]] std::string render_html_report(const JournalReport& report,
                                             const HtmlReportOptions& options);

// read_journal_report + render_html_report, written to html_file. Returns what reading
// returned (kExitOk or kExitFailed; the report is written either way), or kExitUsage when the
// journal cannot be read or html_file cannot be written.
int write_html_report(const std::filesystem::path& dir, const std::filesystem::path& html_file,
                      const HtmlReportOptions& options, std::ostream& out, std::ostream& err);

}  // namespace keel::replay
