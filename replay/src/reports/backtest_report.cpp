#include "keel/replay/reports/backtest_report.hpp"
#include "keel/replay/reports/strategy_pnl.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <utility>

#include "keel/engine/config/config.hpp"

namespace keel::replay {
namespace {

constexpr std::int64_t kNsPerDay = 86'400'000'000'000;

double to_double(engine::Money m) {
    return static_cast<double>(m.raw) / static_cast<double>(engine::kScale);
}

// The UTC calendar day of an event time (floor division, so times before 1970 work too).
std::int64_t utc_day(std::int64_t ts_ns) {
    return ts_ns / kNsPerDay - (ts_ns % kNsPerDay < 0 ? 1 : 0);
}

// Ratios are printed rounded to 6 decimals: enough for a percentage or a Sharpe ratio, and the
// shortest-round-trip printer then writes 12.345678 rather than 12.345678000000001.
double round6(double x) {
    if (!std::isfinite(x))
        return 0;
    return std::round(x * 1e6) / 1e6;
}

// Sample Sharpe ratio of daily returns, annualised with sqrt(252); see replay/README.md.
std::pair<double, std::uint64_t> daily_sharpe(const std::vector<engine::EquityPoint>& curve,
                                              engine::Money starting_cash) {
    // The last sample of each UTC day is that day's closing equity.
    std::vector<double> closes;
    std::int64_t day = 0;
    for (const engine::EquityPoint& p : curve) {
        const std::int64_t d = utc_day(p.ts_ns);
        if (closes.empty() || d != day)
            closes.push_back(to_double(p.equity));
        else
            closes.back() = to_double(p.equity);
        day = d;
    }
    std::vector<double> returns;
    double previous = to_double(starting_cash);
    for (const double close : closes) {
        if (previous <= 0)
            return {0, 0};  // a return on nothing is undefined
        returns.push_back(close / previous - 1);
        previous = close;
    }
    const std::uint64_t n = returns.size();
    if (n < 2)
        return {0, n};
    double mean = 0;
    for (const double r : returns)
        mean += r;
    mean /= static_cast<double>(n);
    double var = 0;
    for (const double r : returns)
        var += (r - mean) * (r - mean);
    var /= static_cast<double>(n - 1);
    const double sd = std::sqrt(var);
    if (!(sd > 0))
        return {0, n};
    return {mean / sd * std::sqrt(252.0), n};
}

// Share of [first, last] during which some position was open: the union of the round trips'
// [entry, exit] intervals (fill times), the trips still open counted to the last event.
double exposure_pct(const SessionReport& s) {
    const std::int64_t first = s.first_market_ts_ns;
    const std::int64_t last = s.last_market_ts_ns;
    if (last <= first)
        return 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> spans;
    for (const engine::RoundTrip& t : s.round_trips)
        spans.emplace_back(t.entry_ns, t.exit_ns);
    for (const engine::RoundTrip& t : s.open_round_trips) {
        if (t.side != engine::Side::none)
            spans.emplace_back(t.entry_ns, last);
    }
    for (auto& [a, b] : spans) {
        a = std::clamp(a, first, last);
        b = std::clamp(b, first, last);
    }
    std::sort(spans.begin(), spans.end());
    engine::i128 covered = 0;
    std::int64_t start = 0;
    std::int64_t end = 0;
    bool open = false;
    for (const auto& [a, b] : spans) {
        if (open && a <= end) {
            end = std::max(end, b);
            continue;
        }
        if (open)
            covered += end - start;
        start = a;
        end = b;
        open = true;
    }
    if (open)
        covered += end - start;
    return static_cast<double>(covered) * 100.0 / static_cast<double>(last - first);
}

std::string iso_utc(std::int64_t ts_ns) {
    const std::int64_t ns_per_s = 1'000'000'000;
    const auto secs = static_cast<std::time_t>(ts_ns / ns_per_s - (ts_ns % ns_per_s < 0 ? 1 : 0));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string money(engine::Money m) {
    return engine::decimal_string(m.raw);
}

}  // namespace

BacktestReport make_backtest_report(const SessionReport& s) {
    BacktestReport r;
    r.session_name = s.session_name;
    r.journal_dir = s.journal_dir;
    r.journal_error = s.journal_error;
    r.first_ts_ns = s.first_market_ts_ns;
    r.last_ts_ns = s.last_market_ts_ns;
    r.events_in = s.events_sequenced;
    r.market_events = s.market_events;
    r.orders_requested = s.orders_requested;
    r.risk_rejects = s.risk_rejects;
    r.orders = s.orders_sent;
    r.venue_rejects = s.venue_rejects;
    r.fills = s.fills;
    r.round_trips = s.round_trip_count;
    r.winning_round_trips = s.winning_round_trips;
    r.starting_cash = s.starting_cash;
    r.realized_pnl = s.realized;
    r.unrealized_pnl = s.unrealized;
    r.fees = s.fees;
    r.total_pnl = s.realized + s.unrealized;
    r.final_equity = s.equity;
    if (s.starting_cash.raw > 0)
        r.return_pct = to_double(s.equity - s.starting_cash) * 100.0 / to_double(s.starting_cash);

    // Drawdown from the curve's samples, the peak starting at the starting cash.
    engine::Money peak = s.starting_cash;
    for (const engine::EquityPoint& p : s.equity_curve) {
        peak = std::max(peak, p.equity);
        const engine::Money fall = peak - p.equity;
        r.max_drawdown = std::max(r.max_drawdown, fall);
        if (peak.raw > 0)
            r.max_drawdown_pct =
                std::max(r.max_drawdown_pct, to_double(fall) * 100.0 / to_double(peak));
    }
    const auto [sharpe, days] = daily_sharpe(s.equity_curve, s.starting_cash);
    r.sharpe = sharpe;
    r.sharpe_days = days;
    if (s.round_trip_count > 0)
        r.win_rate =
            static_cast<double>(s.winning_round_trips) / static_cast<double>(s.round_trip_count);
    r.exposure_pct = exposure_pct(s);
    r.elapsed_s = s.elapsed_s;
    if (s.elapsed_s > 0)
        r.events_per_s = static_cast<double>(s.events_sequenced) / s.elapsed_s;

    // Symbol reports are indexed by symbol id, as round trips name them.
    for (const SymbolReport& sym : s.symbols) {
        BacktestSymbolReport b;
        b.symbol = sym.symbol;
        b.position_raw = sym.position_raw;
        b.realized_pnl = sym.realized;
        b.unrealized_pnl = sym.unrealized;
        b.total_pnl = sym.realized + sym.unrealized;
        b.fees = sym.fees;
        b.fills = sym.fills;
        r.symbols.push_back(std::move(b));
    }
    for (const engine::RoundTrip& t : s.round_trips) {
        if (t.symbol >= r.symbols.size())
            continue;
        BacktestSymbolReport& b = r.symbols[t.symbol];
        ++b.round_trips;
        b.winning_round_trips += t.pnl.raw > 0 ? 1 : 0;
    }
    for (BacktestSymbolReport& b : r.symbols) {
        if (b.round_trips > 0)
            b.win_rate =
                static_cast<double>(b.winning_round_trips) / static_cast<double>(b.round_trips);
    }
    r.data_files = s.data_files;
    r.skipped_rows = s.skipped_rows;
    r.round_trips_dropped = s.round_trips_dropped;
    r.equity_points_dropped = s.equity_points_dropped;
    for (const SessionReport& a : s.accounts)
        r.accounts.push_back(make_backtest_report(a));
    r.strategies = s.strategy_pnl;
    return r;
}

namespace {

// One account's figures (the whole session's, or one account's of several).
engine::Json account_json(const BacktestReport& r) {
    engine::Json j;
    j["report_version"] = 1;
    j["session"] = r.session_name;
    j["first_ts"] = iso_utc(r.first_ts_ns);
    j["last_ts"] = iso_utc(r.last_ts_ns);
    j["events_in"] = r.events_in;
    j["market_events"] = r.market_events;
    j["orders_requested"] = r.orders_requested;
    j["risk_rejects"] = r.risk_rejects;
    j["orders"] = r.orders;
    j["venue_rejects"] = r.venue_rejects;
    j["fills"] = r.fills;
    j["round_trips"] = r.round_trips;
    j["winning_round_trips"] = r.winning_round_trips;
    j["starting_cash"] = money(r.starting_cash);
    j["realized_pnl"] = money(r.realized_pnl);
    j["unrealized_pnl"] = money(r.unrealized_pnl);
    j["fees"] = money(r.fees);
    j["total_pnl"] = money(r.total_pnl);
    j["final_equity"] = money(r.final_equity);
    j["max_drawdown"] = money(r.max_drawdown);
    j["return_pct"] = round6(r.return_pct);
    j["max_drawdown_pct"] = round6(r.max_drawdown_pct);
    j["sharpe"] = round6(r.sharpe);
    j["sharpe_days"] = r.sharpe_days;
    j["win_rate"] = round6(r.win_rate);
    j["exposure_pct"] = round6(r.exposure_pct);
    j["elapsed_s"] = round6(r.elapsed_s);
    j["events_per_s"] = std::round(r.events_per_s);
    return j;
}

}  // namespace

std::string backtest_report_json(const BacktestReport& r) {
    engine::Json j = account_json(r);
    engine::Json symbols = engine::Json::array();
    for (const BacktestSymbolReport& s : r.symbols) {
        engine::Json o;
        o["symbol"] = s.symbol;
        o["position"] = engine::decimal_string(s.position_raw);
        o["realized_pnl"] = money(s.realized_pnl);
        o["unrealized_pnl"] = money(s.unrealized_pnl);
        o["total_pnl"] = money(s.total_pnl);
        o["fees"] = money(s.fees);
        o["fills"] = s.fills;
        o["round_trips"] = s.round_trips;
        o["winning_round_trips"] = s.winning_round_trips;
        o["win_rate"] = round6(s.win_rate);
        symbols.push_back(std::move(o));
    }
    j["symbols"] = std::move(symbols);
    engine::Json files = engine::Json::array();
    for (const DataFileReport& f : r.data_files) {
        engine::Json o;
        o["file"] = f.name;
        o["rows"] = f.rows;
        o["skipped_rows"] = f.skipped_rows;
        o["first_skipped"] =
            f.first_skipped.empty() ? engine::Json() : engine::Json(f.first_skipped);
        files.push_back(std::move(o));
    }
    j["data"] = {{"files", std::move(files)}, {"skipped_rows", r.skipped_rows}};
    j["round_trips_dropped"] = r.round_trips_dropped;
    j["equity_points_dropped"] = r.equity_points_dropped;
    j["journal"] = r.journal_dir.empty() ? engine::Json() : engine::Json(r.journal_dir);
    j["journal_error"] = r.journal_error.empty() ? engine::Json() : engine::Json(r.journal_error);
    if (!r.accounts.empty()) {
        engine::Json accounts = engine::Json::array();
        for (const BacktestReport& a : r.accounts) {
            engine::Json o = account_json(a);
            o.erase("report_version");
            o.erase("first_ts");
            o.erase("last_ts");
            o.erase("events_in");
            o.erase("market_events");
            o.erase("orders_requested");
            o.erase("elapsed_s");
            o.erase("events_per_s");
            o.erase("session");
            o["name"] = a.session_name;
            accounts.push_back(std::move(o));
        }
        j["accounts"] = std::move(accounts);
    }
    if (r.strategies.size() > 1)
        j["strategies"] = strategy_pnl_json(r.strategies);
    return j.dump(2) + "\n";
}

void print_backtest_summary(std::ostream& out, const BacktestReport& r) {
    const auto flags = out.flags();
    out << std::fixed << std::setprecision(2);
    out << "backtest " << r.session_name << ": " << iso_utc(r.first_ts_ns) << " .. "
        << iso_utc(r.last_ts_ns) << ", " << r.events_in << " events in " << std::setprecision(3)
        << r.elapsed_s << " s (" << std::setprecision(0) << r.events_per_s << " events/s)\n"
        << std::setprecision(2);
    out << "  P&L       total " << money(r.total_pnl) << " (realized " << money(r.realized_pnl)
        << " after fees " << money(r.fees) << ", unrealized " << money(r.unrealized_pnl)
        << "); return " << r.return_pct << "%\n";
    out << "  equity    " << money(r.final_equity) << " from " << money(r.starting_cash)
        << "; max drawdown " << money(r.max_drawdown) << " (" << r.max_drawdown_pct << "%)\n";
    out << "  trading   " << r.orders << " orders sent (" << r.orders_requested << " requested, "
        << r.risk_rejects << " refused by risk, " << r.venue_rejects << " by the venue), "
        << r.fills << " fills\n";
    out << "  trips     " << r.round_trips << " round trips (" << r.winning_round_trips
        << " won, win rate " << r.win_rate * 100.0 << "%); exposure " << r.exposure_pct
        << "%; sharpe " << r.sharpe << " over " << r.sharpe_days << " days\n";
    for (const BacktestSymbolReport& s : r.symbols) {
        out << "    " << std::left << std::setw(10) << s.symbol << std::right << " total "
            << money(s.total_pnl) << ", position " << engine::decimal_string(s.position_raw)
            << ", fills " << s.fills << ", round trips " << s.round_trips << " ("
            << s.winning_round_trips << " won)\n";
    }
    for (const DataFileReport& f : r.data_files) {
        if (f.skipped_rows == 0)
            continue;
        out << "  SKIPPED   " << f.skipped_rows << " malformed row"
            << (f.skipped_rows == 1 ? "" : "s") << " of " << f.name
            << "; first: " << f.first_skipped << "\n";
    }
    if (r.round_trips_dropped > 0 || r.equity_points_dropped > 0) {
        out << "  note      the account kept fewer records than it counted ("
            << r.round_trips_dropped << " round trips, " << r.equity_points_dropped
            << " equity samples not kept): the ratios cover what it kept\n";
    }
    for (const BacktestReport& a : r.accounts) {
        out << "  account   " << a.session_name << ": total " << money(a.total_pnl) << "; equity "
            << money(a.final_equity) << " from " << money(a.starting_cash) << "; max drawdown "
            << money(a.max_drawdown) << " (" << a.max_drawdown_pct << "%); " << a.orders
            << " orders sent (" << a.risk_rejects << " refused by risk, " << a.venue_rejects
            << " by the venue), " << a.fills << " fills, " << a.round_trips << " round trips ("
            << a.winning_round_trips << " won)\n";
        for (const BacktestSymbolReport& s : a.symbols) {
            if (s.fills == 0 && s.position_raw == 0)
                continue;
            out << "      " << std::left << std::setw(10) << s.symbol << std::right << " total "
                << money(s.total_pnl) << ", position " << engine::decimal_string(s.position_raw)
                << ", fills " << s.fills << "\n";
        }
    }
    print_strategy_pnl(out, r.strategies);
    if (!r.journal_dir.empty())
        out << "  journal   " << r.journal_dir << "\n";
    if (!r.journal_error.empty())
        out << "  JOURNAL FAILED: " << r.journal_error << "\n";
    out.flags(flags);
}

}  // namespace keel::replay
