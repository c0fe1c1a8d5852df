// ServerBook's executions and views: each execution's effect on the order, the position and the
// account's fills, the trade_updates event for it, and the JSON of orders, positions and the
// account (Alpaca's field names; numbers as exact decimal strings).
#include <algorithm>

#include "keel/adapters/parse/timestamp.hpp"
#include "keel/assert.hpp"
#include "test_server_book.hpp"

namespace keel::adapters::alpaca {

using engine::i128;
using engine::OrderType;
using engine::Side;

namespace {

std::string_view type_name(OrderType t) {
    switch (t) {
        case OrderType::market:
            return "market";
        case OrderType::limit:
            return "limit";
        case OrderType::stop:
            return "stop";
        case OrderType::stop_limit:
            return "stop_limit";
        case OrderType::trailing_stop:
            return "trailing_stop";
    }
    return "market";
}

std::string_view tif_name(engine::TimeInForce t) {
    switch (t) {
        case engine::TimeInForce::day:
            return "day";
        case engine::TimeInForce::gtc:
            return "gtc";
        case engine::TimeInForce::ioc:
            return "ioc";
        case engine::TimeInForce::fok:
            return "fok";
    }
    return "day";
}

std::string_view side_name(Side s) {
    return s == Side::buy ? "buy" : "sell";
}

// n / d rounded half away from zero to an int64 (d > 0); both are raw products or sums of them.
std::int64_t div_round(i128 n, i128 d) {
    const i128 q = (n >= 0 ? 2 * n + d : 2 * n - d) / (2 * d);
    KEEL_ASSERT(q <= INT64_MAX && q >= INT64_MIN, "a rounded quotient beyond int64");
    return static_cast<std::int64_t>(q);
}

// An order's average fill price, exact to the rounding: sum(price x qty) / filled.
std::int64_t average_raw(i128 notional, std::int64_t filled) {
    return div_round(notional, filled);
}

// Moves a position by a signed quantity at a price, keeping the open position's cost (raw
// price x raw quantity, signed with the position) so its average entry stays the price paid:
// an increase adds at the price, a reduction releases its share of the cost, a flip starts the
// new side at the price.
void move_position(std::int64_t& position, i128& cost, engine::Price price, std::int64_t dq) {
    if (position == 0 || (position > 0) == (dq > 0)) {
        position += dq;
        cost += static_cast<i128>(price.raw) * dq;
        return;
    }
    const std::int64_t size = position > 0 ? position : -position;
    const std::int64_t closing = std::min(size, dq > 0 ? dq : -dq);
    const std::int64_t remaining = size - closing;
    // cost * remaining / size without an overflowing product: cost can reach 1e37 raw.
    cost = cost / size * remaining + cost % size * remaining / size;
    position += dq;
    if (remaining == 0 && position != 0)
        cost = static_cast<i128>(price.raw) * position;
}

}  // namespace

// --- executions and events ---

void ServerBook::execute(ServerOrder& o, engine::Price price, engine::Quantity qty,
                         engine::Money fee) {
    o.filled += qty;
    o.filled_notional += static_cast<i128>(price.raw) * qty.raw;
    o.commission += fee;
    KEEL_ASSERT(o.filled <= o.qty, "an order filled beyond its quantity");
    const bool done = o.filled == o.qty;
    o.status = done ? "filled" : "partially_filled";
    o.updated_ns = next_time_ns();
    if (done)
        o.filled_ns = o.updated_ns;
    Asset& a = assets_[o.symbol];
    move_position(a.position_raw, a.cost, price, o.side == Side::buy ? qty.raw : -qty.raw);
    ++counters_.executions;
    const std::string execution_id = uuids_.next();
    JsonWriter f;
    f.begin_object().key("client_order_id").string(o.client_order_id).key("order_id").string(o.id);
    f.key("execution_id").string(execution_id).key("symbol").string(a.name);
    f.key("side").string(side_name(o.side)).key("qty").decimal(qty.raw);
    f.key("price").decimal(price.raw).key("fee").decimal(fee.raw);
    fills_.push_back(f.end_object().take());

    JsonWriter w;
    w.begin_object().key("stream").string("trade_updates").key("data").begin_object();
    w.key("event").string(done ? "fill" : "partial_fill").key("execution_id").string(execution_id);
    w.key("order");
    write_order(w, o);
    w.key("timestamp").string(rfc3339(o.updated_ns)).key("price").decimal(price.raw);
    w.key("qty").decimal(qty.raw).key("position_qty").decimal(a.position_raw);
    events_(w.end_object().end_object().take());
}

void ServerBook::emit(std::string_view event, const ServerOrder& o, std::string_view status) {
    JsonWriter w;
    w.begin_object().key("stream").string("trade_updates").key("data").begin_object();
    w.key("event").string(event).key("order");
    write_order(w, o, status);
    w.key("timestamp").string(rfc3339(o.updated_ns));
    events_(w.end_object().end_object().take());
}

void ServerBook::on_market_data(const engine::Event& event) {
    if (event.header.symbol < assets_.size()) {
        engine::Price& last = assets_[event.header.symbol].last;
        switch (event.header.type) {
            case engine::EventType::trade:
                last = event.payload.trade.price;
                break;
            case engine::EventType::bar:
                last = event.payload.bar.close;
                break;
            case engine::EventType::quote: {
                const engine::QuotePayload& q = event.payload.quote;
                if (q.bid.raw > 0 && q.ask.raw > 0)
                    last = engine::Price::from_raw(q.bid.raw + (q.ask.raw - q.bid.raw) / 2);
                break;
            }
            default:
                break;
        }
    }
    sim_->on_market_data(event);
}

// --- orders as JSON ---

void ServerBook::write_order(JsonWriter& w, const ServerOrder& o, std::string_view status) const {
    const Asset& a = assets_[o.symbol];
    w.begin_object().key("id").string(o.id).key("client_order_id").string(o.client_order_id);
    w.key("created_at").time_or_null(o.created_ns).key("updated_at").time_or_null(o.updated_ns);
    w.key("submitted_at").time_or_null(o.created_ns).key("filled_at").time_or_null(o.filled_ns);
    w.key("expired_at").time_or_null(o.expired_ns).key("canceled_at").time_or_null(o.canceled_ns);
    w.key("failed_at").null().key("replaced_at").time_or_null(o.replaced_ns);
    w.key("replaced_by").string_or_null(o.replaced_by).key("replaces").string_or_null(o.replaces);
    w.key("asset_id").string(a.asset_id).key("symbol").string(a.name);
    w.key("asset_class").string("us_equity").key("notional").null();
    w.key("qty").decimal(o.qty.raw).key("filled_qty").decimal(o.filled.raw);
    w.key("filled_avg_price");
    if (o.filled.raw > 0)
        w.decimal(average_raw(o.filled_notional, o.filled.raw));
    else
        w.null();
    w.key("order_class").string("").key("order_type").string(type_name(o.type));
    w.key("type").string(type_name(o.type)).key("side").string(side_name(o.side));
    w.key("time_in_force").string(tif_name(o.tif)).key("limit_price");
    if (o.type == OrderType::limit || o.type == OrderType::stop_limit)
        w.decimal(o.limit_price.raw);
    else
        w.null();
    write_stop_fields(w, o);
    w.key("status").string(status.empty() ? std::string_view(o.status) : status);
    w.key("extended_hours").boolean(o.extended_hours).key("legs").null();
    w.key("commission").decimal(o.commission.raw);
    w.end_object();
}

// stop_price, trail_percent, trail_price and hwm. A trailing stop's stop_price and hwm are its
// current level and best price, from the simulator's order while it rests (null before its
// first price, as Alpaca's before activation).
void ServerBook::write_stop_fields(JsonWriter& w, const ServerOrder& o) const {
    w.key("stop_price");
    if (o.type != OrderType::trailing_stop) {
        if (o.type == OrderType::stop || o.type == OrderType::stop_limit)
            w.decimal(o.stop_price.raw);
        else
            w.null();
        w.key("trail_percent").null().key("trail_price").null().key("hwm").null();
        return;
    }
    const auto open = sim_->open_orders();
    const auto it =
        std::lower_bound(open.begin(), open.end(), o.internal,
                         [](const SimOrder& s, std::uint64_t id) { return s.order_id < id; });
    const bool tracked =
        it != open.end() && it->order_id == o.internal && it->has_extreme && o.status != "replaced";
    const std::int64_t sign = o.side == Side::sell ? -1 : 1;
    if (tracked)
        w.decimal(it->extreme.raw + sign * o.stop_price.raw);
    else
        w.null();
    w.key("trail_percent").null().key("trail_price").decimal(o.stop_price.raw).key("hwm");
    if (tracked)
        w.decimal(it->extreme.raw);
    else
        w.null();
}

Answer ServerBook::get(std::string_view id) {
    const ServerOrder* o = find(id);
    if (o == nullptr) {
        ++counters_.unknown_orders;
        return error_answer(404, kCodeNotFound, "order not found");
    }
    JsonWriter w;
    write_order(w, *o);
    return {200, w.take()};
}

Answer ServerBook::get_by_client_order_id(const std::map<std::string, std::string>& query) {
    const auto id = query.find("client_order_id");
    if (id == query.end() || id->second.empty()) {
        ++counters_.invalid_requests;
        return error_answer(422, kCodeInvalid, "client_order_id is required");
    }
    const auto it = by_client_id_.find(id->second);
    if (it == by_client_id_.end()) {
        ++counters_.unknown_orders;
        return error_answer(404, kCodeNotFound, "order not found");
    }
    JsonWriter w;
    write_order(w, *it->second);
    return {200, w.take()};
}

namespace {

bool is_open_status(std::string_view s) {
    return s == "new" || s == "partially_filled" || s == "pending_new" || s == "accepted" ||
           s == "pending_cancel" || s == "pending_replace" || s == "held";
}

// The list's filters, as Alpaca's GET /v2/orders takes them.
struct ListQuery {
    std::string status = "open";
    std::size_t limit = 50;
    bool ascending = false;
    std::int64_t after_ns = 0, until_ns = 0;  // 0: none
    std::vector<std::string> symbols;         // empty: all
};

std::optional<std::string> read_list_query(const std::map<std::string, std::string>& q,
                                           ListQuery& out) {
    auto get = [&](const char* name) -> const std::string* {
        const auto it = q.find(name);
        return it == q.end() ? nullptr : &it->second;
    };
    if (const std::string* s = get("status")) {
        if (*s != "open" && *s != "closed" && *s != "all")
            return "status must be open, closed or all";
        out.status = *s;
    }
    if (const std::string* s = get("limit")) {
        std::int64_t raw = 0;
        if (engine::parse_decimal(*s, raw) != engine::DecimalError::ok ||
            raw % engine::kScale != 0 || raw < engine::kScale || raw > 500 * engine::kScale)
            return "limit must be a whole number from 1 to 500";
        out.limit = static_cast<std::size_t>(raw / engine::kScale);
    }
    if (const std::string* s = get("direction")) {
        if (*s != "asc" && *s != "desc")
            return "direction must be asc or desc";
        out.ascending = *s == "asc";
    }
    for (const auto& [name, target] :
         {std::pair{"after", &out.after_ns}, {"until", &out.until_ns}}) {
        if (const std::string* s = get(name)) {
            const auto ns = parse_timestamp_ns(*s);
            if (!ns)
                return std::string(name) + " must be an RFC 3339 timestamp";
            *target = *ns;
        }
    }
    if (const std::string* s = get("symbols")) {
        for (std::size_t at = 0; at <= s->size();) {
            const std::size_t comma = std::min(s->find(',', at), s->size());
            if (comma > at)
                out.symbols.push_back(s->substr(at, comma - at));
            at = comma + 1;
        }
    }
    return std::nullopt;
}

}  // namespace

Answer ServerBook::list(const std::map<std::string, std::string>& query) {
    ListQuery q;
    if (const auto bad = read_list_query(query, q)) {
        ++counters_.invalid_requests;
        return error_answer(422, kCodeInvalid, *bad);
    }
    JsonWriter w;
    w.begin_array();
    std::size_t written = 0;
    for (std::size_t i = 0; i < orders_.size() && written < q.limit; ++i) {
        const ServerOrder& o = *orders_[q.ascending ? i : orders_.size() - 1 - i];
        const bool open = is_open_status(o.status);
        if ((q.status == "open" && !open) || (q.status == "closed" && open) ||
            (q.after_ns != 0 && o.created_ns <= q.after_ns) ||
            (q.until_ns != 0 && o.created_ns >= q.until_ns))
            continue;
        if (!q.symbols.empty() && std::find(q.symbols.begin(), q.symbols.end(),
                                            assets_[o.symbol].name) == q.symbols.end())
            continue;
        write_order(w, o);
        ++written;
    }
    return {200, w.end_array().take()};
}

// --- positions and the account ---

engine::Money ServerBook::market_value(const Asset& a) const {
    return engine::Money::from_raw(
        div_round(static_cast<i128>(a.last.raw) * a.position_raw, engine::kScale));
}

engine::Money ServerBook::equity() const {
    engine::Money total = sim_->cash();
    for (const Asset& a : assets_)
        total += market_value(a);
    return total;
}

void ServerBook::write_position(JsonWriter& w, const Asset& a) const {
    const std::int64_t size = a.position_raw > 0 ? a.position_raw : -a.position_raw;
    const std::int64_t cost_basis = div_round(a.cost, engine::kScale);
    const std::int64_t value = market_value(a).raw;
    const std::int64_t pl = value - cost_basis;
    const std::int64_t basis_size = cost_basis > 0 ? cost_basis : -cost_basis;
    w.begin_object().key("asset_id").string(a.asset_id).key("symbol").string(a.name);
    w.key("exchange").string("NASDAQ").key("asset_class").string("us_equity");
    w.key("asset_marginable").boolean(true).key("qty").decimal(a.position_raw);
    w.key("qty_available").decimal(a.position_raw);
    w.key("avg_entry_price").decimal(div_round(a.cost > 0 ? a.cost : -a.cost, size));
    w.key("side").string(a.position_raw > 0 ? "long" : "short");
    w.key("market_value").decimal(value).key("cost_basis").decimal(cost_basis);
    w.key("unrealized_pl").decimal(pl).key("unrealized_plpc");
    w.decimal(basis_size > 0 ? div_round(static_cast<i128>(pl) * engine::kScale, basis_size) : 0);
    w.key("current_price").decimal(a.last.raw).key("lastday_price").decimal(a.last.raw);
    w.key("change_today").decimal(0);
    w.end_object();
}

Answer ServerBook::positions() const {
    JsonWriter w;
    w.begin_array();
    for (const Asset& a : assets_)
        if (a.position_raw != 0)
            write_position(w, a);
    return {200, w.end_array().take()};
}

Answer ServerBook::account() const {
    engine::Money long_value{}, short_value{};
    for (const Asset& a : assets_)
        (a.position_raw > 0 ? long_value : short_value) += market_value(a);
    const engine::Money bp = sim_->buying_power();
    const engine::Money eq = equity();
    JsonWriter w;
    w.begin_object().key("id").string(account_id_).key("account_number").string("PA3KEELTEST1");
    w.key("status").string("ACTIVE").key("crypto_status").string("INACTIVE");
    w.key("currency").string("USD").key("cash").decimal(sim_->cash().raw);
    w.key("buying_power").decimal(bp.raw).key("regt_buying_power").decimal(bp.raw);
    w.key("daytrading_buying_power").decimal(bp.raw);
    w.key("non_marginable_buying_power").decimal(bp.raw).key("accrued_fees").decimal(0);
    w.key("portfolio_value").decimal(eq.raw).key("equity").decimal(eq.raw);
    w.key("last_equity").decimal(options_.matching.buying_power.raw);
    w.key("long_market_value").decimal(long_value.raw);
    w.key("short_market_value").decimal(short_value.raw);
    w.key("initial_margin").decimal(0).key("maintenance_margin").decimal(0);
    w.key("last_maintenance_margin").decimal(0).key("sma").decimal(0);
    w.key("multiplier").string("1").key("shorting_enabled").boolean(true);
    w.key("trading_blocked").boolean(false).key("transfers_blocked").boolean(false);
    w.key("account_blocked").boolean(false).key("trade_suspended_by_user").boolean(false);
    w.key("created_at").string(rfc3339(created_ns_));
    return {200, w.end_object().take()};
}

void write_counters(JsonWriter& w, const AlpacaServerCounters& c) {
    const std::pair<const char*, std::uint64_t> all[] = {
        {"requests", c.requests},
        {"orders_placed", c.orders_placed},
        {"replaced", c.replaced},
        {"canceled", c.canceled},
        {"reused_client_order_ids", c.reused_client_order_ids},
        {"unknown_orders", c.unknown_orders},
        {"invalid_requests", c.invalid_requests},
        {"refused_buying_power", c.refused_buying_power},
        {"unauthorized", c.unauthorized},
        {"rate_limited", c.rate_limited},
        {"expired_key_refusals", c.expired_key_refusals},
        {"errors_injected", c.errors_injected},
        {"hung", c.hung},
        {"delayed", c.delayed},
        {"stream_connections", c.stream_connections},
        {"stream_refused", c.stream_refused},
        {"stream_drops", c.stream_drops},
        {"events_sent", c.events_sent},
        {"events_unheard", c.events_unheard},
        {"duplicates_sent", c.duplicates_sent},
        {"reordered", c.reordered},
        {"executions", c.executions},
        {"rejects_injected", c.rejects_injected},
        {"foreign_orders", c.foreign_orders},
        {"max_orders_per_client_id", c.max_orders_per_client_id},
    };
    for (const auto& [name, value] : all)
        w.key(name).raw(std::to_string(value));
}

std::string ServerBook::account_json() const {
    JsonWriter w;
    w.begin_object().key("cash").decimal(sim_->cash().raw);
    w.key("buying_power").decimal(sim_->buying_power().raw).key("equity").decimal(equity().raw);
    w.key("positions").begin_object();
    for (const Asset& a : assets_)
        w.key(a.name).decimal(a.position_raw);
    w.end_object().key("fills").begin_array();
    for (const std::string& f : fills_)
        w.raw(f);
    std::size_t chains = 0;
    for (const auto& o : orders_)
        chains += o->replaces.empty() ? 1 : 0;
    w.end_array().key("orders").raw(std::to_string(chains));
    w.key("open_orders").raw(std::to_string(sim_->open_orders().size()));
    w.key("order_states").begin_array();
    for (const auto& o : orders_) {
        w.begin_object().key("client_order_id").string(o->client_order_id).key("id").string(o->id);
        w.key("status").string(o->status).key("qty").decimal(o->qty.raw);
        w.key("filled_qty").decimal(o->filled.raw);
        w.key("replaced_by").string_or_null(o->replaced_by).end_object();
    }
    w.end_array();
    write_counters(w, counters_);
    return w.end_object().take();
}

}  // namespace keel::adapters::alpaca
