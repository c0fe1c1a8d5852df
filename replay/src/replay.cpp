#include "keel/replay/replay.hpp"

#include <unistd.h>
#include <atomic>
#include <cstring>
#include <iomanip>
#include <map>

#include <nlohmann/json.hpp>

#include "keel/adapters/venue_config.hpp"
#include "keel/journal/cursor.hpp"
#include "keel/replay/journal_tools.hpp"
#include "keel/replay/session.hpp"
#include "keel/replay/summary.hpp"

namespace keel::replay {
namespace {

namespace fs = std::filesystem;

// A scratch directory for the re-derived journal, removed when the replay ends.
class ScratchDir {
  public:
    explicit ScratchDir(std::string& error) {
        std::string pattern = (fs::temp_directory_path() / "keel-replay-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            error = "cannot create a scratch directory under " +
                    fs::temp_directory_path().string() + ": " + std::strerror(errno);
            return;
        }
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        if (!path_.empty())
            fs::remove_all(path_, ec);
    }
    [[nodiscard]] const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

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

int what_if(const SessionReport& base, const JournaledSession& session,
            const ReplayOptions& options, std::ostream& out, std::ostream& err) {
    const engine::ConfigResult changed = journaled_config(session.config_text, options.sets);
    if (!changed.ok()) {
        err << "keel: the changed configuration is not valid:\n";
        for (const engine::ConfigError& e : changed.errors)
            err << "  " << e.path << ": " << e.message << "\n";
        return 2;
    }
    std::atomic<bool> stop{false};
    SessionOptions so;
    so.plan = engine::ThreadPlan::fused(engine::kStageCount);
    so.replay_inputs = &session.inputs;
    so.what_if = true;
    std::string error;
    const std::optional<SessionReport> w = run_session(changed.config, stop, so, error);
    if (!w) {
        err << "keel: what-if run failed: " << error << "\n";
        return 2;
    }
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
        return 0;
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
    return 0;
}

}  // namespace

bool read_records(const fs::path& dir, const std::string& stream, std::vector<JournaledRecord>& out,
                  std::string& error, std::uint64_t until) {
    journal::StreamCursor c(dir, stream);
    journal::RecordView r;
    for (;;) {
        switch (c.next(r)) {
            case journal::StreamCursor::Next::record:
                if (r.header->seq <= until) {
                    out.push_back(
                        {r.header->type, r.header->seq, r.header->ts_ns,
                         std::vector<unsigned char>(r.payload, r.payload + r.header->length)});
                }
                break;
            case journal::StreamCursor::Next::end:
                return true;
            case journal::StreamCursor::Next::bad:
                error = stream + ": " +
                        (c.issue() ? c.issue()->file + " offset " +
                                         std::to_string(c.issue()->offset) + ": " + c.issue()->what
                                   : std::string("unreadable"));
                return false;
        }
    }
}

engine::Money journaled_starting_cash(std::string_view config_text) {
    engine::Money cash = engine::Money::from_units(engine::kDefaultStartingCashUnits);
    const engine::Json config = engine::Json::parse(config_text, nullptr, false);
    if (!config.is_object() || !config.contains("account") || !config["account"].is_object())
        return cash;
    const engine::Json& account = config["account"];
    if (!account.contains("starting_cash"))
        return cash;
    const engine::Json& v = account["starting_cash"];
    if (!v.is_string() && !v.is_number_integer())
        return cash;
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    std::int64_t raw = 0;
    if (engine::parse_decimal(text, raw) == engine::DecimalError::ok)
        cash = engine::Money::from_raw(raw);
    return cash;
}

bool read_session(const fs::path& dir, JournaledSession& out, std::string& error) {
    journal::StreamCursor cursor(dir, "input");
    journal::RecordView r;
    for (;;) {
        switch (cursor.next(r)) {
            case journal::StreamCursor::Next::record: {
                if (r.header->length < sizeof(engine::Event)) {
                    error = "input record seq " + std::to_string(r.header->seq) +
                            " is shorter than an event";
                    return false;
                }
                engine::Event e;
                std::memcpy(&e, r.payload, sizeof e);
                if (out.inputs.empty()) {
                    if (e.header.type != engine::EventType::session_start) {
                        error = "the input stream does not begin with a session start";
                        return false;
                    }
                    out.config_text.assign(reinterpret_cast<const char*>(r.payload) + sizeof e,
                                           r.header->length - sizeof e);
                }
                out.inputs.push_back(e);
                break;
            }
            case journal::StreamCursor::Next::end:
                if (out.inputs.empty()) {
                    error = "no input records in " + dir.string();
                    return false;
                }
                return true;
            case journal::StreamCursor::Next::bad:
                error = "input: " + (cursor.issue() ? cursor.issue()->file + " offset " +
                                                          std::to_string(cursor.issue()->offset) +
                                                          ": " + cursor.issue()->what
                                                    : std::string("unreadable"));
                return false;
        }
    }
}

engine::ConfigResult journaled_config(const std::string& config_text,
                                      const std::vector<engine::ConfigOverride>& overrides) {
    engine::ConfigResult r = engine::parse_config(config_text, "the journal's session start",
                                                  fs::current_path(), {}, overrides);
    // A replay reads the journal, not the data files: their being gone is no problem.
    std::erase_if(r.errors, [](const engine::ConfigError& e) {
        return e.path.rfind("data.files[", 0) == 0 && e.message.rfind("file not found", 0) == 0;
    });
    adapters::validate_adapter_config(r.config, r.errors);
    return r;
}

int replay_journal(const fs::path& dir, const ReplayOptions& options, std::ostream& out,
                   std::ostream& err) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        err << "keel: " << dir.string() << ": not a directory\n";
        return 2;
    }
    JournaledSession session;
    std::string error;
    if (!read_session(dir, session, error)) {
        err << "keel: " << dir.string() << ": " << error << "\n";
        return 2;
    }
    const engine::ConfigResult cr = journaled_config(session.config_text);
    if (!cr.ok()) {
        err << "keel: " << dir.string() << ": the journaled configuration is not usable:\n";
        for (const engine::ConfigError& e : cr.errors)
            err << "  " << e.path << ": " << e.message << "\n";
        return 2;
    }
    const std::uint64_t until = options.at ? *options.at : options.until.value_or(UINT64_MAX);
    JournaledInputs inputs;
    for (const engine::Event& e : session.inputs.events()) {
        if (e.header.seq <= until)
            inputs.push_back(e);
    }

    ScratchDir scratch(error);
    if (scratch.path().empty()) {
        err << "keel: " << error << "\n";
        return 2;
    }
    std::atomic<bool> stop{false};
    SessionOptions so;
    so.plan = engine::ThreadPlan::fused(engine::kStageCount);
    so.journal_dir = scratch.path() / "j";
    so.replay_inputs = &inputs;
    const std::optional<SessionReport> report = run_session(cr.config, stop, so, error);
    if (!report) {
        err << "keel: replay of " << dir.string() << " failed: " << error << "\n";
        return 2;
    }
    if (!report->journal_error.empty()) {
        err << "keel: replay of " << dir.string()
            << ": its scratch journal failed: " << report->journal_error << "\n";
        return 2;
    }

    if (!options.sets.empty())
        return what_if(*report, session, options, out, err);

    int rc = 0;
    std::string divergence;
    if (options.verify) {
        std::map<engine::SymbolId, std::string> symbols;
        for (const char* stream : {"input", "strategy", "risk", "gateway"}) {
            std::vector<JournaledRecord> expected, actual;
            if (!read_records(dir, stream, expected, error, until)) {
                err << "keel: " << dir.string() << ": " << error << "\n";
                return 2;
            }
            if (!read_records(so.journal_dir, stream, actual, error, until)) {
                err << "keel: replay: " << error << "\n";
                return 2;
            }
            const std::size_t n = std::min(expected.size(), actual.size());
            std::size_t i = 0;
            while (i < n && expected[i] == actual[i]) {
                if (std::strcmp(stream, "input") == 0)
                    (void)describe(expected[i], stream, symbols);  // learns the symbol names
                ++i;
            }
            if (i == n && expected.size() == actual.size())
                continue;
            const std::uint64_t seq = i < expected.size() ? expected[i].seq : actual[i].seq;
            std::string where = std::string(stream) + " stream, sequence " + std::to_string(seq);
            out << "DIVERGED at " << where << "\n";
            out << "  expected: "
                << (i < expected.size() ? describe(expected[i], stream, symbols)
                                        : std::string("(nothing: the journal ends here)"))
                << "\n";
            out << "  actual:   "
                << (i < actual.size() ? describe(actual[i], stream, symbols)
                                      : std::string("(nothing: the replay derived no more)"))
                << "\n";
            divergence = where;
            rc = 1;
            // Where each stage's state last hashed the same (state_hash records before it).
            for (const char* s : {"strategy", "risk", "gateway"}) {
                std::vector<JournaledRecord> e2, a2;
                if (!read_records(dir, s, e2, error, seq - 1) ||
                    !read_records(so.journal_dir, s, a2, error, seq - 1))
                    break;
                std::uint64_t last = 0;
                for (std::size_t k = 0; k < std::min(e2.size(), a2.size()); ++k) {
                    if (e2[k].type == static_cast<std::uint16_t>(engine::EventType::state_hash) &&
                        e2[k] == a2[k])
                        last = e2[k].seq;
                    if (!(e2[k] == a2[k]))
                        break;
                }
                out << "  " << s << " state last matched at sequence " << last
                    << (last == 0 ? " (no state hash before the divergence)" : "") << "\n";
            }
            break;
        }
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
            j["verified"] = rc == 0;
            if (rc != 0)
                j["first_divergence"] = divergence;
        }
        out << j.dump(2) << "\n";
    } else {
        SessionReport shown = *report;
        shown.journal_dir.clear();  // the scratch journal is gone when this returns
        shown.streams.clear();
        print_summary(out, shown);
        if (options.verify && rc == 0) {
            out << "verified: every input and derived record of " << dir.string()
                << (options.until ? " up to sequence " + std::to_string(until) : std::string())
                << " re-derived byte for byte\n";
        }
    }
    return rc;
}

}  // namespace keel::replay
