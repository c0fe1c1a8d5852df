#include "keel/replay/reports/summary.hpp"

#include <iomanip>

namespace keel::replay {
namespace {

const char* stop_text(engine::StopReason r) {
    switch (r) {
        case engine::StopReason::end_of_data:
            return "end of data";
        case engine::StopReason::stop_requested:
            return "stop requested (signal)";
        case engine::StopReason::journal_failed:
            return "stopped: the journal failed";
        case engine::StopReason::none:
            return "not stopped";
    }
    return "?";
}

// A live session's stop policy, when a signal ran it (session/stop_policy.hpp).
void print_shutdown(std::ostream& out, const SessionReport& r) {
    if (r.shutdown_policy.empty())
        return;
    out << "  shutdown    " << r.shutdown_policy << ": "
        << (r.shutdown_complete ? "done in " : "NOT COMPLETE by its deadline, after ")
        << r.shutdown_ms << " ms\n";
    for (const std::string& u : r.shutdown_unfinished)
        out << "    " << u << "\n";
}

// The run's metrics (run_metrics.hpp): from the same samples and trips as every report.
void print_metrics(std::ostream& out, const RunMetrics& m) {
    using engine::decimal_string;
    const auto flags = out.flags();
    out << std::fixed << std::setprecision(4);
    out << "  metrics     sharpe " << m.sharpe << ", sortino " << m.sortino << " over "
        << m.return_days << " days; CAGR " << m.cagr_pct << "%, calmar " << m.calmar
        << "; profit factor " << m.profit_factor << ", expectancy "
        << decimal_string(m.expectancy.raw) << ", average win "
        << decimal_string(m.average_win.raw) << ", loss " << decimal_string(m.average_loss.raw)
        << ", best " << decimal_string(m.best_trade.raw) << ", worst "
        << decimal_string(m.worst_trade.raw) << ", average holding " << m.average_holding_s
        << " s, max consecutive losses " << m.max_consecutive_losses << "\n";
    out.flags(flags);
}

// One line per account and its traded symbols (sessions with several accounts).
void print_accounts(std::ostream& out, const std::vector<SessionReport>& accounts) {
    using engine::decimal_string;
    for (const SessionReport& a : accounts) {
        out << "  account     " << a.session_name << ": equity " << decimal_string(a.equity.raw)
            << " (started " << decimal_string(a.starting_cash.raw) << "), realized "
            << decimal_string(a.realized.raw) << ", unrealized " << decimal_string(a.unrealized.raw)
            << ", max drawdown " << decimal_string(a.max_drawdown.raw) << "; " << a.orders_sent
            << " orders sent, " << a.risk_rejects << " rejected by risk, " << a.venue_rejects
            << " by venue, " << a.fills << " fills; risk "
            << ((a.risk_flags & engine::kRiskKilled) != 0   ? "killed"
                : (a.risk_flags & engine::kRiskPaused) != 0 ? "paused"
                : (a.risk_flags & engine::kRiskHalted) != 0 ? "halted"
                                                            : "active")
            << "\n";
        for (const SymbolReport& s : a.symbols) {
            if (s.fills == 0 && s.position_raw == 0)
                continue;
            out << "      " << std::left << std::setw(10) << s.symbol << std::right << " position "
                << decimal_string(s.position_raw) << ", realized " << decimal_string(s.realized.raw)
                << ", fills " << s.fills << "\n";
        }
    }
}

// Per data file: rows skipped under data.skip_bad_rows, sorted, of unknown size.
void print_data_files(std::ostream& out, const std::vector<DataFileReport>& files) {
    for (const DataFileReport& f : files) {
        if (f.skipped_rows > 0) {
            out << "  SKIPPED     " << f.skipped_rows << " malformed row"
                << (f.skipped_rows == 1 ? "" : "s") << " of " << f.name
                << " (data.skip_bad_rows); first: " << f.first_skipped << "\n";
        }
        print_data_file_notes(out, f, 14);
    }
}

// The run's metrics, and a note when they cover part of it: not seen in practice
// (replay/README.md, "Metrics"), but a figure over part of a run must say so.
void print_metrics(std::ostream& out, const SessionReport& r) {
    print_metrics(out, r.metrics);
    if (r.round_trips_dropped > 0 || r.equity_points_dropped > 0)
        out << "  note        the account kept fewer records than it counted ("
            << r.round_trips_dropped << " round trips, " << r.equity_points_dropped
            << " equity samples not kept): the ratios cover what it kept\n";
}

// One line per symbol: its position and P&L at the end.
void print_symbols(std::ostream& out, const std::vector<SymbolReport>& symbols) {
    using engine::decimal_string;
    for (const SymbolReport& s : symbols) {
        out << "    " << std::left << std::setw(10) << s.symbol << std::right << " position "
            << decimal_string(s.position_raw) << ", realized " << decimal_string(s.realized.raw)
            << ", unrealized " << decimal_string(s.unrealized.raw) << ", fees "
            << decimal_string(s.fees.raw) << ", fills " << s.fills << "\n";
    }
}

}  // namespace

void print_summary(std::ostream& out, const SessionReport& r) {
    using engine::decimal_string;
    out << "session " << r.session_name << ": " << stop_text(r.stop_reason) << " after "
        << std::fixed << std::setprecision(3) << r.elapsed_s << " s\n";
    out << "  events      " << r.events_sequenced << " sequenced (last seq " << r.last_seq << "), "
        << r.market_events << " market data; last stage saw " << r.inputs_seen_by_last_stage
        << (r.inputs_seen_by_last_stage == r.events_sequenced ? " (none lost)"
                                                              : " (MISSING EVENTS)")
        << "\n";
    out << "  orders      " << r.orders_requested << " requested, " << r.risk_rejects
        << " rejected by risk, " << r.orders_sent << " sent, " << r.venue_rejects
        << " rejected by venue\n";
    out << "  fills       " << r.fills << "\n";
    out << "  venue       duplicate order ids " << r.venue_duplicate_order_ids << "\n";
    if (r.venue_threaded) {
        out << "  venue thread " << r.venue_requests << " requests handed over, " << r.venue_wakes
            << " wakes, " << r.venue_request_full_waits << " request-ring full waits, "
            << r.venue_reply_full_waits << " reply-queue full waits; in doubt at stop "
            << r.venue_in_doubt << "\n";
    }
    if (r.restarted) {
        out << "  restart     continued the journal: " << r.restart_inputs
            << " journaled inputs re-run and verified, " << r.restart_in_doubt_replies
            << " in-doubt replies sequenced, " << r.restart_unsent_dropped
            << " unsent orders dropped, " << r.restart_reconciled
            << " orders the venue did not hold closed, " << r.restart_rederived_records
            << " derived records journaled late, " << r.restart_torn_bytes << " torn bytes cut\n";
    }
    print_shutdown(out, r);
    out << "  P&L         realized " << decimal_string(r.realized.raw) << " (after fees "
        << decimal_string(r.fees.raw) << "), unrealized " << decimal_string(r.unrealized.raw)
        << ", total " << decimal_string((r.realized + r.unrealized).raw) << "\n";
    out << "  account     equity " << decimal_string(r.equity.raw) << " (started "
        << decimal_string(r.starting_cash.raw) << "), cash " << decimal_string(r.cash.raw)
        << ", max drawdown "
        << (r.accounts.empty() ? decimal_string(r.max_drawdown.raw) : "per account (below)")
        << "; round trips "
        << r.round_trip_count << " (" << r.winning_round_trips << " won)\n";
    print_metrics(out, r);
    print_symbols(out, r.symbols);
    print_accounts(out, r.accounts);
    print_data_files(out, r.data_files);
    out << "  threads    ";
    for (const std::string& t : r.threads)
        out << " " << t << ";";
    out << "\n";
    out << "  stage latency (ns in on_event per event)   p50      p99    p99.9      max   "
           "events in  ring hwm  ring-full waits\n";
    for (const StageReport& s : r.stages) {
        out << "    " << std::left << std::setw(38) << s.name << std::right << std::setw(9)
            << s.p50_ns << std::setw(9) << s.p99_ns << std::setw(9) << s.p999_ns << std::setw(9)
            << s.max_ns << std::setw(12) << s.events_in << std::setw(10) << s.ring_high_water
            << std::setw(17) << s.ring_full_waits << "\n";
    }
    if (!r.journal_dir.empty()) {
        out << "  journal     " << r.journal_dir << " (durability " << r.journal_durability << "):";
        for (const StreamReport& st : r.streams) {
            out << " " << st.name << " " << st.records << " records";
            if (st.durable_records != st.records)
                out << " (" << st.durable_records << " durable)";
            out << ";";
        }
        out << "\n";
    }
    if (!r.journal_error.empty())
        out << "  JOURNAL FAILED: " << r.journal_error << "\n";
    if (r.reply_ring_full_waits > 0) {
        out << "  reply ring full waits " << r.reply_ring_full_waits << "\n";
    }
}

void print_data_file_notes(std::ostream& out, const DataFileReport& f, int indent) {
    const auto label = [&](const char* name) {
        out << "  " << std::left << std::setw(indent - 2) << name << std::right;
    };
    if (f.sorted_rows > 0) {
        label("SORTED");
        out << f.sorted_rows << " row" << (f.sorted_rows == 1 ? "" : "s") << " of " << f.name
            << " out of time order, sorted into place (data.sort)\n";
    }
    if (f.unknown_size_rows > 0) {
        label("NO SIZE");
        out << f.unknown_size_rows << " row" << (f.unknown_size_rows == 1 ? "" : "s") << " of "
            << f.name
            << " without a size: orders fill against them at the touch in full, and no "
               "participation cap can apply\n";
    }
}

}  // namespace keel::replay
