#include "keel/replay/reports/backtest_report.hpp"
#include "keel/replay/reports/strategy_pnl.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <utility>

#include "keel/engine/config/config.hpp"
#include "keel/replay/reports/summary.hpp"

namespace keel::replay {
namespace {

double to_double(engine::Money m) {
    return static_cast<double>(m.raw) / static_cast<double>(engine::kScale);
}

// Ratios are printed rounded to 6 decimals: enough for a percentage or a Sharpe ratio, and the
// shortest-round-trip printer then writes 12.345678 rather than 12.345678000000001.
double round6(double x) {
    if (!std::isfinite(x))
        return 0;
    return std::round(x * 1e6) / 1e6;
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

    // Every figure from the session's one curve and trip list (run_metrics.hpp).
    r.metrics = s.metrics;
    r.max_drawdown = s.metrics.max_drawdown;
    r.max_drawdown_pct = s.metrics.max_drawdown_pct;
    r.sharpe = s.metrics.sharpe;
    r.sharpe_days = s.metrics.return_days;
    r.trades = s.round_trips;
    r.equity = s.equity_curve;
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
    const RunMetrics& m = r.metrics;
    j["sortino"] = round6(m.sortino);
    j["cagr_pct"] = round6(m.cagr_pct);
    j["calmar"] = round6(m.calmar);
    j["profit_factor"] = round6(m.profit_factor);
    j["expectancy"] = money(m.expectancy);
    j["average_win"] = money(m.average_win);
    j["average_loss"] = money(m.average_loss);
    j["best_trade"] = money(m.best_trade);
    j["worst_trade"] = money(m.worst_trade);
    j["average_holding_s"] = round6(m.average_holding_s);
    j["losing_round_trips"] = m.losses;
    j["max_consecutive_losses"] = m.max_consecutive_losses;
    j["win_rate"] = round6(r.win_rate);
    j["exposure_pct"] = round6(r.exposure_pct);
    j["elapsed_s"] = round6(r.elapsed_s);
    j["events_per_s"] = std::round(r.events_per_s);
    return j;
}

// Every closed round trip, in the order closed: symbol, long or short, times (ns since the
// epoch, UTC), prices, the largest size held, P&L after fees, fees, holding time.
engine::Json trades_json(const BacktestReport& r) {
    engine::Json trades = engine::Json::array();
    for (const engine::RoundTrip& t : r.trades) {
        engine::Json o;
        o["symbol"] = t.symbol < r.symbols.size() ? r.symbols[t.symbol].symbol
                                                  : "#" + std::to_string(t.symbol);
        o["side"] = t.side == engine::Side::buy ? "long" : "short";
        o["entry_ts_ns"] = t.entry_ns;
        o["exit_ts_ns"] = t.exit_ns;
        o["holding_s"] = round6(static_cast<double>(t.holding_ns()) / 1e9);
        o["entry_price"] = engine::decimal_string(t.entry_price.raw);
        o["exit_price"] = engine::decimal_string(t.exit_price.raw);
        o["quantity"] = engine::decimal_string(t.quantity.raw);
        o["pnl"] = money(t.pnl);
        o["fees"] = money(t.fees);
        trades.push_back(std::move(o));
    }
    return trades;
}

// The equity samples every figure is computed from: time (ns since the epoch, UTC), equity.
engine::Json equity_json(const std::vector<engine::EquityPoint>& curve) {
    engine::Json points = engine::Json::array();
    for (const engine::EquityPoint& p : curve)
        points.push_back({{"ts_ns", p.ts_ns}, {"equity", money(p.equity)}});
    return points;
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
    j["trades"] = trades_json(r);
    j["equity"] = equity_json(r.equity);
    engine::Json files = engine::Json::array();
    for (const DataFileReport& f : r.data_files) {
        engine::Json o;
        o["file"] = f.name;
        o["rows"] = f.rows;
        o["skipped_rows"] = f.skipped_rows;
        o["first_skipped"] =
            f.first_skipped.empty() ? engine::Json() : engine::Json(f.first_skipped);
        o["sorted_rows"] = f.sorted_rows;
        o["unknown_size_rows"] = f.unknown_size_rows;
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

namespace {

// The run's metrics (run_metrics.hpp), two lines; the stream is in fixed, 2 decimals.
void print_metrics(std::ostream& out, const RunMetrics& m) {
    out << "  ratios    sortino " << m.sortino << "; CAGR " << m.cagr_pct << "%; calmar "
        << m.calmar << "; profit factor " << m.profit_factor << "\n";
    out << "  trades    expectancy " << money(m.expectancy) << "; average win "
        << money(m.average_win) << ", loss " << money(m.average_loss) << "; best "
        << money(m.best_trade) << ", worst " << money(m.worst_trade) << "; average holding "
        << m.average_holding_s << " s; max consecutive losses " << m.max_consecutive_losses
        << "\n";
}

}  // namespace

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
    print_metrics(out, r.metrics);
    for (const BacktestSymbolReport& s : r.symbols) {
        out << "    " << std::left << std::setw(10) << s.symbol << std::right << " total "
            << money(s.total_pnl) << ", position " << engine::decimal_string(s.position_raw)
            << ", fills " << s.fills << ", round trips " << s.round_trips << " ("
            << s.winning_round_trips << " won)\n";
    }
    for (const DataFileReport& f : r.data_files) {
        if (f.skipped_rows > 0) {
            out << "  SKIPPED   " << f.skipped_rows << " malformed row"
                << (f.skipped_rows == 1 ? "" : "s") << " of " << f.name
                << "; first: " << f.first_skipped << "\n";
        }
        print_data_file_notes(out, f, 12);
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
