#include "keel/replay/reports/replay_report.hpp"

#include <iomanip>
#include <map>

#include <nlohmann/json.hpp>

#include "keel/exit_code.hpp"
#include "keel/replay/reports/journal_tools.hpp"
#include "keel/replay/reports/summary.hpp"

namespace keel::replay {
namespace {

namespace fs = std::filesystem;

std::string describe(const JournaledRecord& rec, const std::string& stream,
                     std::map<engine::SymbolId, std::string>& symbols) {
    journal::RecordHeader h{};
    h.type = rec.type;
    h.seq = rec.seq;
    h.ts_ns = rec.ts_ns;
    h.length = static_cast<std::uint32_t>(rec.bytes.size());
    journal::RecordView v;
    v.header = &h;
    v.payload = rec.bytes.data();
    return describe_record(v, stream, symbols);
}

const char* order_status_name(engine::OrderStatus s) {
    return std::string_view(engine::to_string(s)).data();
}

nlohmann::ordered_json state_json(const SessionReport& r) {
    using engine::decimal_string;
    nlohmann::ordered_json j;
    j["seq"] = r.last_seq;
    j["cash"] = decimal_string(r.cash.raw);
    j["equity"] = decimal_string(r.equity.raw);
    j["realized"] = decimal_string(r.realized.raw);
    j["unrealized"] = decimal_string(r.unrealized.raw);
    auto& positions = j["positions"] = nlohmann::ordered_json::array();
    for (const SymbolReport& s : r.symbols) {
        if (s.position_raw == 0 && s.fills == 0)
            continue;
        positions.push_back({{"symbol", s.symbol},
                             {"quantity", decimal_string(s.position_raw)},
                             {"realized", decimal_string(s.realized.raw)},
                             {"unrealized", decimal_string(s.unrealized.raw)},
                             {"fills", s.fills}});
    }
    auto& orders = j["open_orders"] = nlohmann::ordered_json::array();
    for (const engine::OrderRecord& o : r.open_orders) {
        orders.push_back(
            {{"order_id", o.order_id},
             {"symbol", o.symbol < r.symbols.size() ? r.symbols[o.symbol].symbol : "?"},
             {"side", std::string(engine::to_string(o.side))},
             {"type", std::string(engine::to_string(o.type))},
             {"tif", std::string(engine::to_string(o.tif))},
             {"role", std::string(engine::to_string(o.role))},
             {"price", decimal_string(o.price.raw)},
             {"stop_price", decimal_string(o.stop_price.raw)},
             {"quantity", decimal_string(o.quantity.raw)},
             {"filled", decimal_string(o.filled.raw)},
             {"status", order_status_name(o.status)}});
    }
    j["risk"] = {{"killed", (r.risk_flags & engine::kRiskKilled) != 0},
                 {"paused", (r.risk_flags & engine::kRiskPaused) != 0},
                 {"halted", (r.risk_flags & engine::kRiskHalted) != 0},
                 {"max_order_qty", decimal_string(r.risk_limits.max_order_qty.raw)},
                 {"max_order_notional", decimal_string(r.risk_limits.max_order_notional.raw)},
                 {"max_position", decimal_string(r.risk_limits.max_position.raw)},
                 {"max_open_orders", r.risk_limits.max_open_orders}};
    return j;
}

// One line of the what-if comparison.
void compare_line(std::ostream& out, const char* what, const std::string& was,
                  const std::string& now, const std::string& delta) {
    out << "  " << std::left << std::setw(22) << what << std::right << std::setw(16) << was
        << std::setw(16) << now << std::setw(16) << delta << "\n";
}

std::string count_delta(std::uint64_t a, std::uint64_t b) {
    const std::int64_t d = static_cast<std::int64_t>(b) - static_cast<std::int64_t>(a);
    return d > 0 ? "+" + std::to_string(d) : std::to_string(d);
}

std::string money_delta(engine::Money a, engine::Money b) {
    const std::int64_t d = (b - a).raw;
    return (d > 0 ? "+" : "") + engine::decimal_string(d);
}

// The what-if comparison: the journaled session against the changed one.
int print_what_if(const SessionReport& base, const SessionReport& changed,
                  const ReplayOptions& options, std::ostream& out) {
    const SessionReport* w = &changed;
    const engine::Money base_total = base.realized + base.unrealized;
    const engine::Money w_total = w->realized + w->unrealized;
    if (options.json) {
        nlohmann::ordered_json j;
        auto side = [](const SessionReport& r) {
            return nlohmann::ordered_json{
                {"orders_requested", r.orders_requested},
                {"orders_sent", r.orders_sent},
                {"risk_rejects", r.risk_rejects},
                {"fills", r.fills},
                {"round_trips", r.round_trip_count},
                {"realized", engine::decimal_string(r.realized.raw)},
                {"unrealized", engine::decimal_string(r.unrealized.raw)},
                {"total", engine::decimal_string((r.realized + r.unrealized).raw)}};
        };
        j["journaled"] = side(base);
        j["what_if"] = side(*w);
        auto& sets = j["set"] = nlohmann::ordered_json::array();
        for (const engine::ConfigOverride& o : options.sets)
            sets.push_back(o.key + "=" + o.value);
        j["pnl_difference"] = money_delta(base_total, w_total);
        out << j.dump(2) << "\n";
        return kExitOk;
    }
    out << "what-if over " << base.session_name << " (" << base.events_sequenced
        << " journaled events) with";
    for (const engine::ConfigOverride& o : options.sets)
        out << " " << o.key << "=" << o.value;
    out << "\n";
    compare_line(out, "", "journaled", "what-if", "difference");
    compare_line(out, "orders requested", std::to_string(base.orders_requested),
                 std::to_string(w->orders_requested),
                 count_delta(base.orders_requested, w->orders_requested));
    compare_line(out, "refused by risk", std::to_string(base.risk_rejects),
                 std::to_string(w->risk_rejects), count_delta(base.risk_rejects, w->risk_rejects));
    compare_line(out, "orders sent", std::to_string(base.orders_sent),
                 std::to_string(w->orders_sent), count_delta(base.orders_sent, w->orders_sent));
    compare_line(out, "fills", std::to_string(base.fills), std::to_string(w->fills),
                 count_delta(base.fills, w->fills));
    compare_line(out, "round trips", std::to_string(base.round_trip_count),
                 std::to_string(w->round_trip_count),
                 count_delta(base.round_trip_count, w->round_trip_count));
    compare_line(out, "realized P&L", engine::decimal_string(base.realized.raw),
                 engine::decimal_string(w->realized.raw), money_delta(base.realized, w->realized));
    compare_line(out, "total P&L", engine::decimal_string(base_total.raw),
                 engine::decimal_string(w_total.raw), money_delta(base_total, w_total));
    out << "  (the journaled column re-derives the session from its journal; the what-if runs "
           "its market data, alerts, commands and timers against the simulated venue)\n";
    return kExitOk;
}

// The first divergence, each record as dump prints it.
void print_divergence(const Divergence& d, const JournaledSession& session, std::ostream& out) {
    std::map<engine::SymbolId, std::string> symbols;
    for (const engine::Event& e : session.inputs.symbol_defs()) {
        const auto& def = e.payload.symbol_def;
        symbols[e.header.symbol] = std::string(def.name, strnlen(def.name, sizeof def.name));
    }
    const std::string where = d.stream + " stream, sequence " + std::to_string(d.seq);
    out << "DIVERGED at " << where << "\n";
    out << "  expected: "
        << (d.expected ? describe(*d.expected, d.stream, symbols)
                       : std::string("(nothing: the journal ends here)"))
        << "\n";
    out << "  actual:   "
        << (d.actual ? describe(*d.actual, d.stream, symbols)
                     : std::string("(nothing: the replay derived no more)"))
        << "\n";
    for (const auto& [stage, last] : d.state_last_matched) {
        out << "  " << stage << " state last matched at sequence " << last
            << (last == 0 ? " (no state hash before the divergence)" : "") << "\n";
    }
}

}  // namespace

int replay_journal(const fs::path& dir, const ReplayOptions& options, std::ostream& out,
                   std::ostream& err) {
    const ReplayOutcome outcome = rerun_journal(dir, options);
    if (!outcome.error.empty()) {
        err << "keel: " << outcome.error << "\n";
        return kExitUsage;
    }
    if (outcome.what_if)
        return print_what_if(outcome.report, *outcome.what_if, options, out);
    const SessionReport* report = &outcome.report;
    const std::uint64_t until = outcome.until;
    int rc = kExitOk;
    std::string divergence;
    if (outcome.divergence) {
        print_divergence(*outcome.divergence, outcome.session, out);
        divergence = outcome.divergence->stream + " stream, sequence " +
                     std::to_string(outcome.divergence->seq);
        rc = kExitFailed;
    }
    if (options.at) {
        const nlohmann::ordered_json state = state_json(*report);
        if (options.json) {
            out << state.dump(2) << "\n";
        } else {
            out << "state of " << report->session_name << " at sequence " << report->last_seq
                << "\n";
            out << "  account     cash " << state["cash"].get<std::string>() << ", equity "
                << state["equity"].get<std::string>() << ", realized "
                << state["realized"].get<std::string>() << ", unrealized "
                << state["unrealized"].get<std::string>() << "\n";
            for (const auto& p : state["positions"]) {
                out << "  position    " << p["symbol"].get<std::string>() << " "
                    << p["quantity"].get<std::string>() << " (realized "
                    << p["realized"].get<std::string>() << ", unrealized "
                    << p["unrealized"].get<std::string>() << ")\n";
            }
            for (const auto& o : state["open_orders"]) {
                out << "  open order  " << o["order_id"].get<std::uint64_t>() << " "
                    << o["symbol"].get<std::string>() << " " << o["side"].get<std::string>() << " "
                    << o["quantity"].get<std::string>() << " " << o["type"].get<std::string>()
                    << " " << o["status"].get<std::string>() << " (filled "
                    << o["filled"].get<std::string>() << ")\n";
            }
            const auto& risk = state["risk"];
            out << "  risk        " << (risk["killed"].get<bool>() ? "KILLED " : "")
                << (risk["paused"].get<bool>() ? "PAUSED " : "")
                << (risk["halted"].get<bool>() ? "HALTED " : "") << "max_order_qty "
                << risk["max_order_qty"].get<std::string>() << ", max_position "
                << risk["max_position"].get<std::string>() << ", max_open_orders "
                << risk["max_open_orders"].get<std::int64_t>() << "\n";
        }
        return rc;
    }
    if (options.json) {
        nlohmann::ordered_json j;
        j["journal"] = dir.string();
        j["session"] = report->session_name;
        j["events"] = report->events_sequenced;
        j["last_seq"] = report->last_seq;
        j["orders_sent"] = report->orders_sent;
        j["fills"] = report->fills;
        j["realized"] = engine::decimal_string(report->realized.raw);
        j["unrealized"] = engine::decimal_string(report->unrealized.raw);
        if (options.verify) {
            j["verified"] = rc == kExitOk;
            if (rc != kExitOk)
                j["first_divergence"] = divergence;
        }
        out << j.dump(2) << "\n";
    } else {
        SessionReport shown = *report;
        shown.journal_dir.clear();  // the scratch journal is gone when this returns
        shown.streams.clear();
        print_summary(out, shown);
        if (options.verify && rc == kExitOk) {
            out << "verified: every input and derived record of " << dir.string()
                << (options.until ? " up to sequence " + std::to_string(until) : std::string())
                << " re-derived byte for byte\n";
        }
    }
    return rc;
}

}  // namespace keel::replay
