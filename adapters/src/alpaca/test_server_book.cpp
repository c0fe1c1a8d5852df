// ServerBook's order flow: validating new orders and replaces as Alpaca does, handing them to
// the simulator, and turning its replies into order updates and trade_updates events. The
// read-only views (orders, positions, account as JSON) are in test_server_views.cpp.
#include "test_server_book.hpp"

#include <chrono>

#include "keel/assert.hpp"
#include "keel/engine/orders/order_state.hpp"

namespace keel::adapters::alpaca {

using engine::OrderType;
using engine::Side;
using engine::TimeInForce;

namespace {

constexpr std::size_t kMaxClientOrderIdChars = 128;  // Alpaca's limit today (48 in old SDKs)

Answer invalid(std::string_view message) {
    return error_answer(422, kCodeInvalid, message);
}

std::optional<Side> side_from(std::string_view s) {
    if (s == "buy")
        return Side::buy;
    if (s == "sell")
        return Side::sell;
    return std::nullopt;
}

std::optional<OrderType> type_from(std::string_view s) {
    if (s == "market")
        return OrderType::market;
    if (s == "limit")
        return OrderType::limit;
    if (s == "stop")
        return OrderType::stop;
    if (s == "stop_limit")
        return OrderType::stop_limit;
    if (s == "trailing_stop")
        return OrderType::trailing_stop;
    return std::nullopt;
}

std::optional<TimeInForce> tif_from(std::string_view s) {
    if (s == "day")
        return TimeInForce::day;
    if (s == "gtc")
        return TimeInForce::gtc;
    if (s == "ioc")
        return TimeInForce::ioc;
    if (s == "fok")
        return TimeInForce::fok;
    return std::nullopt;
}

bool has_limit(OrderType t) {
    return t == OrderType::limit || t == OrderType::stop_limit;
}
bool has_stop(OrderType t) {
    return t == OrderType::stop || t == OrderType::stop_limit;
}

// A field that is present and not null.
const JsonScalar* field(const JsonFields& f, const char* name) {
    const auto it = f.find(name);
    return it == f.end() || it->second.kind == JsonScalar::Kind::null ? nullptr : &it->second;
}

std::string_view text_of(const JsonFields& f, const char* name) {
    const JsonScalar* s = field(f, name);
    return s != nullptr && s->kind == JsonScalar::Kind::string ? std::string_view(s->text)
                                                               : std::string_view();
}

// A positive decimal from a string or a number (Alpaca takes both); absent leaves raw as is.
std::optional<Answer> read_positive(const JsonFields& f, const char* name, std::int64_t& raw,
                                    bool required) {
    const JsonScalar* s = field(f, name);
    if (s == nullptr)
        return required ? std::optional(invalid(std::string(name) + " is required")) : std::nullopt;
    std::int64_t value = 0;
    if ((s->kind != JsonScalar::Kind::string && s->kind != JsonScalar::Kind::number) ||
        engine::parse_decimal(s->text, value) != engine::DecimalError::ok || value <= 0)
        return invalid(std::string(name) + " must be a positive number");
    raw = value;
    return std::nullopt;
}

std::optional<Answer> read_client_order_id(const JsonFields& f, std::string& out) {
    const JsonScalar* s = field(f, "client_order_id");
    if (s == nullptr)
        return std::nullopt;
    if (s->kind != JsonScalar::Kind::string)
        return invalid("client_order_id must be a string");
    if (s->text.size() > kMaxClientOrderIdChars)
        return invalid("client_order_id must be no more than 128 characters");
    out = s->text;
    return std::nullopt;
}

// limit_price, stop_price and trail_price as the order type needs them: required where the
// type uses one, refused where it does not (Alpaca refuses a limit price on a market order).
std::optional<Answer> read_prices(const JsonFields& f, OrderTerms& t) {
    const std::string type(text_of(f, "type"));
    if (has_limit(t.type)) {
        if (auto bad = read_positive(f, "limit_price", t.limit_price.raw, true))
            return bad;
    } else if (field(f, "limit_price") != nullptr) {
        return invalid("limit_price must not be given for " + type + " orders");
    }
    if (has_stop(t.type)) {
        if (auto bad = read_positive(f, "stop_price", t.stop_price.raw, true))
            return bad;
    } else if (field(f, "stop_price") != nullptr) {
        return invalid("stop_price must not be given for " + type + " orders");
    }
    if (t.type != OrderType::trailing_stop)
        return field(f, "trail_price") != nullptr || field(f, "trail_percent") != nullptr
                   ? std::optional(invalid("trail_price and trail_percent are only for "
                                           "trailing_stop orders"))
                   : std::nullopt;
    if (field(f, "trail_percent") != nullptr)
        return invalid("trail_percent is not supported by this server; use trail_price");
    return read_positive(f, "trail_price", t.stop_price.raw, true);
}

}  // namespace

Answer error_answer(unsigned status, std::uint64_t code, std::string_view message) {
    JsonWriter w;
    w.begin_object().key("code").raw(std::to_string(code)).key("message").string(message);
    return {status, w.end_object().take()};
}

ServerBook::ServerBook(const AlpacaServerOptions& options, const engine::SymbolTable& symbols,
                       AlpacaServerCounters& counters, EventSink events)
    : options_(options),
      symbols_(symbols),
      counters_(counters),
      events_(std::move(events)),
      uuids_(static_cast<std::uint64_t>(wall_clock_ns())) {
    sim_ = std::make_unique<SimVenue>(static_cast<engine::ReplySink&>(*this), options_.matching);
    account_id_ = uuids_.next();
    created_ns_ = next_time_ns();
    for (std::size_t i = 0; i < symbols_.size(); ++i) {
        Asset a;
        a.name = std::string(symbols_.name(static_cast<engine::SymbolId>(i)));
        a.asset_id = uuids_.next();
        assets_.push_back(std::move(a));
    }
}

ServerBook::~ServerBook() = default;

std::int64_t ServerBook::next_time_ns() {
    // Microseconds, as Alpaca writes them, and strictly increasing: paging by "after" relies
    // on no two orders sharing a creation time.
    std::int64_t ns = wall_clock_ns() / 1000 * 1000;
    if (ns <= last_time_ns_)
        ns = last_time_ns_ + 1000;
    last_time_ns_ = ns;
    return ns;
}

bool ServerBook::take_arrivals() noexcept {
    const bool any = arrivals_;
    arrivals_ = false;
    return any;
}

ServerOrder* ServerBook::find(std::string_view id) {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

// --- validation ---

std::optional<Answer> ServerBook::read_new_order(const JsonFields& f, OrderTerms& t) const {
    const std::string_view symbol = text_of(f, "symbol");
    if (symbol.empty())
        return invalid("symbol is required");
    const auto id = symbols_.find(symbol);
    if (!id)
        return invalid("asset \"" + std::string(symbol.substr(0, 64)) + "\" not found");
    t.symbol = *id;
    if (field(f, "notional") != nullptr)
        return invalid("notional orders are not supported by this server; use qty");
    if (auto bad = read_positive(f, "qty", t.qty.raw, true))
        return bad;
    const auto side = side_from(text_of(f, "side"));
    if (!side)
        return invalid("side must be buy or sell");
    const auto type = type_from(text_of(f, "type"));
    if (!type)
        return invalid("type must be market, limit, stop, stop_limit or trailing_stop");
    const auto tif = tif_from(text_of(f, "time_in_force"));
    if (!tif)
        return invalid(
            "time_in_force must be day, gtc, ioc or fok (opg and cls are not "
            "supported by this server)");
    t.side = *side;
    t.type = *type;
    t.tif = *tif;
    if (auto bad = read_prices(f, t))
        return bad;
    if (const JsonScalar* ext = field(f, "extended_hours")) {
        if (ext->kind != JsonScalar::Kind::boolean)
            return invalid("extended_hours must be true or false");
        t.extended_hours = ext->text == "true";
    }
    if (t.extended_hours && (t.type != OrderType::limit || t.tif != TimeInForce::day))
        return invalid("extended hours order must be DAY limit orders");
    const std::string_view order_class = text_of(f, "order_class");
    if (!order_class.empty() && order_class != "simple")
        return invalid("order_class " + std::string(order_class.substr(0, 32)) +
                       " is not supported by this server");
    return read_client_order_id(f, t.client_order_id);
}

std::optional<Answer> ServerBook::read_replace(const JsonFields& f, const ServerOrder& o,
                                               OrderTerms& t) const {
    t = {o.symbol, o.side, o.type, o.tif, o.limit_price, o.stop_price, o.qty, o.extended_hours, {}};
    if (auto bad = read_positive(f, "qty", t.qty.raw, false))
        return bad;
    if (has_limit(o.type)) {
        if (auto bad = read_positive(f, "limit_price", t.limit_price.raw, false))
            return bad;
    } else if (field(f, "limit_price") != nullptr) {
        return invalid("limit_price cannot be set on this order type");
    }
    if (has_stop(o.type)) {
        if (auto bad = read_positive(f, "stop_price", t.stop_price.raw, false))
            return bad;
    } else if (field(f, "stop_price") != nullptr) {
        return invalid("stop_price cannot be set on this order type");
    }
    if (o.type == OrderType::trailing_stop) {
        if (auto bad = read_positive(f, "trail", t.stop_price.raw, false))
            return bad;
    } else if (field(f, "trail") != nullptr) {
        return invalid("trail is only for trailing_stop orders");
    }
    if (field(f, "time_in_force") != nullptr) {
        const auto tif = tif_from(text_of(f, "time_in_force"));
        if (!tif)
            return invalid("time_in_force must be day, gtc, ioc or fok");
        if (*tif != o.tif)
            return invalid("time_in_force cannot be changed by this server");
    }
    return read_client_order_id(f, t.client_order_id);
}

std::optional<Answer> ServerBook::refuse_reused(const std::string& client_order_id) {
    if (by_client_id_.count(client_order_id) == 0)
        return std::nullopt;
    ++counters_.reused_client_order_ids;
    return invalid("client_order_id must be unique");
}

Answer ServerBook::buying_power_refusal(const OrderTerms& t) const {
    const engine::Price reference = has_limit(t.type) ? t.limit_price : assets_[t.symbol].last;
    engine::Money cost{};
    if (!engine::notional(reference, t.qty, cost))
        cost = engine::Money::from_raw(INT64_MAX);
    JsonWriter w;
    w.begin_object().key("code").raw(std::to_string(kCodeBuyingPower));
    w.key("message").string("insufficient buying power");
    w.key("buying_power").decimal(sim_->buying_power().raw).key("cost_basis").decimal(cost.raw);
    return {403, w.end_object().take()};
}

// A refusal the simulator made while the request was answered.
Answer ServerBook::sim_refusal(engine::Reason reason, const OrderTerms& t) const {
    if (reason == engine::Reason::insufficient_buying_power) {
        ++counters_.refused_buying_power;
        return buying_power_refusal(t);
    }
    ++counters_.invalid_requests;
    return invalid("order rejected: " + std::string(engine::to_string(reason)));
}

// --- orders ---

ServerOrder& ServerBook::make_order(const OrderTerms& t) {
    auto o = std::make_unique<ServerOrder>();
    o->id = uuids_.next();
    o->client_order_id = t.client_order_id.empty() ? uuids_.next() : t.client_order_id;
    o->symbol = t.symbol;
    o->side = t.side;
    o->type = t.type;
    o->tif = t.tif;
    o->limit_price = t.limit_price;
    o->stop_price = t.stop_price;
    o->qty = t.qty;
    o->extended_hours = t.extended_hours;
    o->created_ns = o->updated_ns = next_time_ns();
    o->internal = next_internal_++ << 2;  // clear of the mass-cancel bits, as FixTestVenue's
    ServerOrder& stored = *o;
    orders_.push_back(std::move(o));
    by_id_[stored.id] = &stored;
    by_client_id_[stored.client_order_id] = &stored;
    by_internal_[stored.internal] = &stored;
    return stored;
}

// Undoes make_order for a new order the simulator refused: Alpaca keeps no order (and no
// client_order_id) for a POST it refused.
void ServerBook::forget_last_order() {
    const ServerOrder& o = *orders_.back();
    by_id_.erase(o.id);
    by_client_id_.erase(o.client_order_id);
    by_internal_.erase(o.internal);
    orders_.pop_back();
}

void ServerBook::submit(const ServerOrder& o, engine::OrderAction action, const OrderTerms& t) {
    engine::Event e = engine::make_event(engine::EventType::order_sent, engine::Source::engine, 0,
                                         wall_clock_ns(), o.symbol);
    e.payload.order = {};
    e.payload.order.order_id = o.internal;
    e.payload.order.price = t.limit_price;
    e.payload.order.stop_price = t.stop_price;
    e.payload.order.quantity = t.qty;
    e.payload.order.side = t.side;
    e.payload.order.order_type = t.type;
    e.payload.order.tif = t.tif;
    e.payload.order.action = action;
    e.payload.order.status = engine::OrderStatus::sent;
    refusal_ = {};
    sim_->submit(e);
}

void ServerBook::note_placement(const std::string& client_order_id) {
    const std::uint64_t n = ++placements_[client_order_id];
    counters_.max_orders_per_client_id = std::max(counters_.max_orders_per_client_id, n);
}

Answer ServerBook::place(std::string_view body) {
    const auto fields = parse_fields(body);
    if (!fields) {
        ++counters_.invalid_requests;
        return error_answer(400, kCodeMalformed, "request body format is invalid");
    }
    OrderTerms t;
    if (auto bad = read_new_order(*fields, t)) {
        ++counters_.invalid_requests;
        return *bad;
    }
    if (auto reused = refuse_reused(t.client_order_id))
        return *reused;
    arrivals_ = true;
    const std::uint64_t every = options_.faults.reject_every;
    if (every > 0 && ++new_orders_ % every == 0) {
        ++counters_.rejects_injected;
        ++counters_.refused_buying_power;
        return buying_power_refusal(t);
    }
    ServerOrder& o = make_order(t);
    submit(o, engine::OrderAction::new_order, t);
    if (refusal_.set) {
        forget_last_order();
        return sim_refusal(refusal_.reason, t);
    }
    ++counters_.orders_placed;
    note_placement(o.client_order_id);
    JsonWriter w;
    write_order(w, o);
    return {200, w.take()};
}

Answer ServerBook::replace(std::string_view id, std::string_view body) {
    ServerOrder* old = find(id);
    if (old == nullptr) {
        ++counters_.unknown_orders;
        return error_answer(404, kCodeNotFound, "order not found");
    }
    const auto fields = parse_fields(body);
    if (!fields) {
        ++counters_.invalid_requests;
        return error_answer(400, kCodeMalformed, "request body format is invalid");
    }
    // Alpaca: not while accepted, pending_new, pending_cancel or pending_replace; and a closed
    // order has nothing left to replace.
    if (old->status != "new" && old->status != "partially_filled")
        return invalid("order is not replaceable (status " + old->status + ")");
    OrderTerms t;
    if (auto bad = read_replace(*fields, *old, t)) {
        ++counters_.invalid_requests;
        return *bad;
    }
    if (auto reused = refuse_reused(t.client_order_id))
        return *reused;
    arrivals_ = true;
    // Alpaca's replacement is an order of its own: qty is what it is to fill (absent, the
    // replaced order's qty: Alpaca-API issue #165), and it counts only its own fills. The
    // simulator's order goes on, so it is told the chain's total.
    OrderTerms total = t;
    total.qty = old->prior + old->filled + t.qty;
    submit(*old, engine::OrderAction::replace, total);
    if (refusal_.set)
        return sim_refusal(refusal_.reason, t);
    emit("pending_replace", *old, "pending_replace");
    ServerOrder& n = make_order(t);
    by_internal_.erase(n.internal);
    n.internal = old->internal;  // the simulator's order goes on under the new Alpaca order
    by_internal_[n.internal] = &n;
    n.prior = old->prior + old->filled;
    n.status = "new";
    n.replaces = old->id;
    old->status = "replaced";
    old->replaced_by = n.id;
    old->replaced_ns = old->updated_ns = n.created_ns;
    emit("replaced", *old);
    emit("new", n);
    ++counters_.replaced;
    note_placement(n.client_order_id);
    JsonWriter w;
    write_order(w, n);
    return {200, w.take()};
}

Answer ServerBook::cancel(std::string_view id) {
    ServerOrder* o = find(id);
    if (o == nullptr) {
        ++counters_.unknown_orders;
        return error_answer(404, kCodeNotFound, "order not found");
    }
    if (o->status != "new" && o->status != "partially_filled")
        return invalid("order is not cancelable");
    o->status = "pending_cancel";
    o->updated_ns = next_time_ns();
    emit("pending_cancel", *o);
    OrderTerms t{o->symbol,     o->side, o->type,           o->tif, o->limit_price,
                 o->stop_price, o->qty,  o->extended_hours, {}};
    submit(*o, engine::OrderAction::cancel, t);
    // The simulator holds every order the book holds open (both change only in its replies).
    KEEL_ASSERT(!refusal_.set, "the simulator refused to cancel an order the server holds open");
    ++counters_.canceled;
    return {204, {}};
}

void ServerBook::place_foreign_order() {
    if (assets_.empty())
        return;
    const bool part_filled = options_.faults.foreign_order == 2;
    OrderTerms t;
    t.symbol = 0;
    t.side = Side::buy;
    t.type = OrderType::limit;
    t.tif = TimeInForce::gtc;
    t.qty = engine::Quantity::from_units(part_filled ? 2 : 1);
    t.limit_price = part_filled ? engine::Price::from_units(101) : engine::Price::from_raw(100'000);
    t.client_order_id = "foreign-1";
    ServerOrder& o = make_order(t);
    submit(o, engine::OrderAction::new_order, t);
    if (refusal_.set) {
        forget_last_order();
        return;
    }
    ++counters_.foreign_orders;
    if (!part_filled)
        return;
    // It filled 1 at 101 before this server started: the simulator holds the 2 left.
    const engine::Quantity one = engine::Quantity::from_units(1);
    o.qty += one;
    o.filled = one;
    o.filled_notional = static_cast<engine::i128>(o.limit_price.raw) * one.raw;
    o.status = "partially_filled";
}

// --- the simulator's replies ---

// noexcept because the ReplySink is; the book allocates here (strings, JSON), so running out of
// memory ends the server, which for a test counterparty is the right end (FixTestVenue's too).
void ServerBook::post(const engine::Event& reply) noexcept {
    if (reply.header.type == engine::EventType::venue_fill)
        return on_fill(reply.payload.fill);
    const engine::OrderPayload& p = reply.payload.order;
    if (reply.header.type == engine::EventType::venue_reject) {
        refusal_ = {true, p.reason};
        return;
    }
    const auto it = by_internal_.find(p.order_id);
    KEEL_ASSERT(it != by_internal_.end(), "a simulator reply for an order the server never made");
    ServerOrder& o = *it->second;
    if (reply.header.type == engine::EventType::venue_cancel)
        return on_cancel(o, p.reason);
    // A replace's ack is handled by replace() once submit returns: it makes the new order.
    if (reply.header.type == engine::EventType::venue_ack &&
        p.action == engine::OrderAction::new_order) {
        o.status = "new";
        o.updated_ns = next_time_ns();
        emit("new", o);
    }
}

void ServerBook::on_cancel(ServerOrder& o, engine::Reason reason) {
    const bool expiry = engine::is_expiry(reason);
    o.status = expiry ? "expired" : "canceled";
    o.updated_ns = next_time_ns();
    (expiry ? o.expired_ns : o.canceled_ns) = o.updated_ns;
    emit(o.status, o);
}

void ServerBook::on_fill(const engine::FillPayload& fill) {
    const auto it = by_internal_.find(fill.order_id);
    KEEL_ASSERT(it != by_internal_.end(), "a simulator fill for an order the server never made");
    ServerOrder& o = *it->second;
    // Fault partial_fills: one fill as n executions at its price, the last taking what the
    // division leaves (never more executions than raw units).
    const std::int64_t wanted = static_cast<std::int64_t>(
        std::max<std::uint64_t>(1, std::min<std::uint64_t>(options_.faults.partial_fills, 1000)));
    const std::int64_t n = std::min<std::int64_t>(wanted, fill.quantity.raw);
    const std::int64_t qty_each = fill.quantity.raw / n;
    const std::int64_t fee_each = fill.fee.raw / n;
    for (std::int64_t i = 0; i < n; ++i) {
        const bool last = i == n - 1;
        execute(
            o, fill.price,
            engine::Quantity::from_raw(last ? fill.quantity.raw - qty_each * (n - 1) : qty_each),
            engine::Money::from_raw(last ? fill.fee.raw - fee_each * (n - 1) : fee_each));
    }
    KEEL_ASSERT(assets_[o.symbol].position_raw == sim_->position_raw(o.symbol),
                "the server's position differs from the simulator's after a fill");
}

}  // namespace keel::adapters::alpaca
