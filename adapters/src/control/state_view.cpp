#include "keel/adapters/control/state_view.hpp"

#include "json_out.hpp"
#include "keel/adapters/control/readiness.hpp"
#include "keel/engine/pipeline/state_snapshot.hpp"

namespace keel::adapters::control {

using engine::RiskLimit;

std::string_view to_string(RunState s) noexcept {
    switch (s) {
        case RunState::starting:
            return "starting";
        case RunState::running:
            return "running";
        case RunState::stopping:
            return "stopping";
    }
    return "unknown";
}

std::vector<std::string> Readiness::failing() const {
    std::vector<std::string> out;
    if (!journal_recovered)
        out.emplace_back("journal_recovered");
    if (!feed_connected || stale_symbols != 0)
        out.emplace_back("feed_fresh");
    if (!venue_connected)
        out.emplace_back("venue_connected");
    return out;
}

std::int64_t limit_raw(const engine::RiskLimits& l, RiskLimit id) noexcept {
    switch (id) {
        case RiskLimit::max_order_qty:
            return l.max_order_qty.raw;
        case RiskLimit::max_order_notional:
            return l.max_order_notional.raw;
        case RiskLimit::collar_bps:
            return l.collar_bps;
        case RiskLimit::max_reference_age_ns:
            return l.max_reference_age_ns;
        case RiskLimit::max_position:
            return l.max_position.raw;
        case RiskLimit::max_gross_exposure:
            return l.max_gross_exposure.raw;
        case RiskLimit::max_open_orders:
            return l.max_open_orders;
        case RiskLimit::throttle_per_s:
            return l.throttle_per_s;
        case RiskLimit::throttle_burst:
            return l.throttle_burst;
        case RiskLimit::duplicate_window_ns:
            return l.duplicate_window_ns;
        case RiskLimit::max_daily_loss:
            return l.max_daily_loss.raw;
        case RiskLimit::max_drawdown_pct:
            return l.max_drawdown_pct;
        case RiskLimit::max_fills_in_window:
            return l.max_fills_in_window;
        case RiskLimit::fill_window_ns:
            return l.fill_window_ns;
        case RiskLimit::trading_open_minute:
            return l.trading_hours.open_s / 60;
        case RiskLimit::trading_close_minute:
            return l.trading_hours.close_s / 60;
        case RiskLimit::utc_offset_minutes:
            return l.trading_hours.utc_offset_minutes;
        case RiskLimit::trading_days_mask:
            return l.trading_hours.weekdays;
        case RiskLimit::max_market_data_age_ns:
            return l.max_market_data_age_ns;
        case RiskLimit::pdt_equity_threshold:
            return l.pdt_equity_threshold.raw;
        case RiskLimit::pdt_max_day_trades:
            return l.pdt_max_day_trades;
        case RiskLimit::pdt_effective_from_ns:
            return l.pdt_effective_from_ns;
        case RiskLimit::pdt_effective_to_ns:
            return l.pdt_effective_to_ns;
        case RiskLimit::none:
        case RiskLimit::restricted_symbol:
        case RiskLimit::tick_size:
            break;
    }
    return 0;
}

namespace {

void append_bool(std::string& out, bool v) {
    out += v ? "true" : "false";
}

void append_risk(std::string& out, std::uint8_t flags) {
    out += "{\"killed\":";
    append_bool(out, (flags & engine::kRiskKilled) != 0);
    out += ",\"paused\":";
    append_bool(out, (flags & engine::kRiskPaused) != 0);
    out += ",\"halted\":";
    append_bool(out, (flags & engine::kRiskHalted) != 0);
    out += ",\"positions_mismatch\":";
    append_bool(out, (flags & engine::kRiskPositionsUnconfirmed) != 0);
    out += '}';
}

// Every global limit, as the decimal string POST /api/risk takes for it, so a value read
// here can be posted back unchanged.
void append_limits(std::string& out, const engine::RiskLimits& limits) {
    out += '{';
    bool first_limit = true;
    for (auto i = static_cast<std::uint16_t>(RiskLimit::max_order_qty);
         i < static_cast<std::uint16_t>(RiskLimit::restricted_symbol); ++i) {
        const auto id = static_cast<RiskLimit>(i);
        json::append_key(out, engine::to_string(id), first_limit);
        const std::int64_t raw = limit_raw(limits, id);
        if (engine::risk_limit_is_fixed_point(id)) {
            json::append_decimal(out, raw);
        } else {
            out += '"';
            out += std::to_string(raw);
            out += '"';
        }
    }
    out += '}';
}

// The views whose positions and orders a route lists: the accounts', or the one view.
std::vector<const StateView*> listed(const StateView& v) {
    std::vector<const StateView*> out;
    for (const StateView& a : v.accounts)
        out.push_back(&a);
    if (out.empty())
        out.push_back(&v);
    return out;
}

void append_account_key(std::string& out, const StateView& view, bool& first) {
    if (view.account_name.empty())
        return;
    json::append_key(out, "account", first);
    json::append_string(out, view.account_name);
}

// "accounts":[{"name":...,<fields(out, account, first)>},...] when there are several.
template <class Fields>
void append_accounts(std::string& out, const StateView& v, bool& first, Fields fields) {
    if (v.accounts.empty())
        return;
    json::append_key(out, "accounts", first);
    out += '[';
    for (std::size_t k = 0; k < v.accounts.size(); ++k) {
        out += k == 0 ? "{" : ",{";
        bool first_field = true;
        json::append_key(out, "name", first_field);
        json::append_string(out, v.accounts[k].account_name);
        fields(out, v.accounts[k], first_field);
        out += '}';
    }
    out += ']';
}

void append_money(std::string& out, const AccountView& a, bool& first) {
    const std::pair<std::string_view, engine::Money> fields[] = {
        {"starting_cash", a.starting_cash},
        {"cash", a.cash},
        {"equity", a.equity},
        {"realized", a.realized},
        {"unrealized", a.unrealized},
        {"fees", a.fees},
        {"max_drawdown", a.max_drawdown},
    };
    for (const auto& [name, value] : fields) {
        json::append_key(out, name, first);
        json::append_decimal(out, value.raw);
    }
    if (!a.broker)
        return;
    // The broker's own figures (polled, journaled as venue_account), beside keel's.
    json::append_key(out, "broker", first);
    bool inner = true;
    out += '{';
    for (const auto& [name, value] :
         {std::pair<std::string_view, engine::Money>{"cash", a.broker_cash},
          {"buying_power", a.broker_buying_power},
          {"equity", a.broker_equity}}) {
        json::append_key(out, name, inner);
        json::append_decimal(out, value.raw);
    }
    out += '}';
}

}  // namespace

std::string status_json(const StateView& v) {
    std::string out = "{";
    bool first = true;
    json::append_key(out, "session", first);
    json::append_string(out, v.session);
    json::append_key(out, "state", first);
    json::append_string(out, to_string(v.state));
    json::append_key(out, "last_seq", first);
    json::append_uint(out, v.last_seq);
    json::append_key(out, "events", first);
    json::append_uint(out, v.events);
    json::append_key(out, "risk", first);
    append_risk(out, v.risk_flags);
    json::append_key(out, "limits", first);
    append_limits(out, v.limits);
    json::append_key(out, "restricted_symbols", first);
    out += '[';
    for (std::size_t i = 0; i < v.restricted_symbols.size(); ++i) {
        if (i != 0)
            out += ',';
        json::append_string(out, v.restricted_symbols[i]);
    }
    out += ']';
    append_accounts(out, v, first, [](std::string& o, const StateView& a, bool& f) {
        json::append_key(o, "risk", f);
        append_risk(o, a.risk_flags);
        json::append_key(o, "limits", f);
        append_limits(o, a.limits);
    });
    out += '}';
    return out;
}

std::string positions_json(const StateView& v) {
    std::string out = "{\"positions\":[";
    bool first_position = true;
    for (const StateView* view : listed(v)) {
      for (const PositionView& p : view->positions) {
        if (!first_position)
            out += ',';
        first_position = false;
        out += '{';
        bool first = true;
        append_account_key(out, *view, first);
        json::append_key(out, "symbol", first);
        json::append_string(out, p.symbol);
        json::append_key(out, "quantity", first);
        json::append_decimal(out, p.quantity.raw);
        json::append_key(out, "average_price", first);
        json::append_decimal(out, p.average_price.raw);
        json::append_key(out, "realized", first);
        json::append_decimal(out, p.realized.raw);
        json::append_key(out, "unrealized", first);
        json::append_decimal(out, p.unrealized.raw);
        out += '}';
      }
    }
    out += "]}";
    return out;
}

std::string orders_json(const StateView& v) {
    std::string out = "{\"orders\":[";
    bool first_order = true;
    for (const StateView* view : listed(v)) {
      for (const OrderView& o : view->orders) {
        if (!first_order)
            out += ',';
        first_order = false;
        out += '{';
        bool first = true;
        append_account_key(out, *view, first);
        // A string: ids of orders the risk stage places have bit 63 set, beyond what a
        // JavaScript number holds exactly.
        json::append_key(out, "id", first);
        json::append_string(out, std::to_string(o.id));
        json::append_key(out, "symbol", first);
        json::append_string(out, o.symbol);
        json::append_key(out, "side", first);
        json::append_string(out, engine::to_string(o.side));
        json::append_key(out, "type", first);
        json::append_string(out, engine::to_string(o.type));
        json::append_key(out, "price", first);
        json::append_decimal(out, o.price.raw);
        json::append_key(out, "stop_price", first);
        json::append_decimal(out, o.stop_price.raw);
        json::append_key(out, "quantity", first);
        json::append_decimal(out, o.quantity.raw);
        json::append_key(out, "filled", first);
        json::append_decimal(out, o.filled.raw);
        json::append_key(out, "status", first);
        json::append_string(out, engine::to_string(o.status));
        out += '}';
      }
    }
    out += "]}";
    return out;
}

std::string account_json(const StateView& v) {
    std::string out = "{";
    bool first = true;
    append_money(out, v.account, first);
    append_accounts(out, v, first, [](std::string& o, const StateView& a, bool& f) {
        append_money(o, a.account, f);
    });
    out += '}';
    return out;
}

}  // namespace keel::adapters::control
