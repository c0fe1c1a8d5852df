#include "keel/adapters/sim_venue/sim_venue.hpp"

#include "keel/adapters/venue/venue_reply.hpp"

#include <algorithm>

#include "keel/adapters/sim_venue/sim_costs.hpp"
#include "keel/engine/orders/account.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/assert.hpp"

namespace keel::adapters {

using engine::Event;
using engine::EventType;
using engine::i128;
using engine::Money;
using engine::OrderAction;
using engine::OrderStatus;
using engine::OrderType;
using engine::Price;
using engine::Quantity;
using engine::Reason;
using engine::Side;
using engine::TimeInForce;

namespace {

constexpr Quantity kUnbounded = Quantity::from_raw(INT64_MAX);

[[nodiscard]] bool has_limit(OrderType t) noexcept {
    return t == OrderType::limit || t == OrderType::stop_limit;
}
[[nodiscard]] bool has_stop(OrderType t) noexcept {
    return t == OrderType::stop || t == OrderType::stop_limit || t == OrderType::trailing_stop;
}
[[nodiscard]] bool known_type(OrderType t) noexcept {
    return t >= OrderType::market && t <= OrderType::trailing_stop;
}
[[nodiscard]] bool known_tif(TimeInForce t) noexcept {
    return t >= TimeInForce::day && t <= TimeInForce::fok;
}

// Is the order's price (and stop) usable for its type?
[[nodiscard]] bool prices_valid(OrderType t, Price price, Price stop) noexcept {
    if (has_limit(t) && price.raw <= 0)
        return false;
    return !has_stop(t) || stop.raw > 0;
}

// notional, saturated rather than failing: only reachable with absurd prices, and a saturated
// commitment is refused by the buying-power check, which is the safe outcome.
[[nodiscard]] Money notional_of(Price p, Quantity q) noexcept {
    Money m{};
    if (!engine::notional(p, q, m))
        m = Money::from_raw(INT64_MAX);
    return m;
}

[[nodiscard]] Quantity share_of(Quantity volume, Ratio share) noexcept {
    return Quantity::from_raw(
        static_cast<std::int64_t>(static_cast<i128>(volume.raw) * share.raw / engine::kScale));
}

}  // namespace

std::vector<std::string> validate(const SimVenueConfig& c) {
    std::vector<std::string> problems;
    if (c.mode != MatchMode::bars && c.mode != MatchMode::ticks && c.mode != MatchMode::per_event)
        problems.push_back("mode: must be bars, ticks or per_event");
    if (c.resting_capacity == 0)
        problems.push_back("resting_capacity: must be at least 1");
    if (c.symbol_capacity == 0)
        problems.push_back("symbol_capacity: must be at least 1");
    if (c.max_fills_per_event == 0)
        problems.push_back("max_fills_per_event: must be at least 1");
    if (c.participation.raw < 0 || c.participation.raw > engine::kScale)
        problems.push_back("participation: must be between 0 (no cap) and 1");
    if (c.slippage_bps.raw < 0 || c.slippage_bps_per_pct.raw < 0 || c.volatility_k.raw < 0)
        problems.push_back("slippage: parameters must not be negative");
    if (c.commission_per_share.raw < 0 || c.commission_bps.raw < 0 || c.commission_min.raw < 0)
        problems.push_back("commission: parameters must not be negative");
    if (c.buying_power.raw < 0)
        problems.push_back("buying_power: must not be negative");
    if (c.latency_ns < 0)
        problems.push_back("latency_ns: must not be negative");
    if (c.latency_jitter_ns < 0)
        problems.push_back("latency_jitter_ns: must not be negative");
    return problems;
}

SimVenue::SimVenue(engine::ReplySink& replies, const SimVenueConfig& config, std::uint64_t seed)
    : replies_(replies), config_(config), rng_(seed), cash_(config.buying_power) {
    KEEL_ASSERT(validate(config).empty(), "SimVenueConfig is invalid: validate() it at start-up");
    orders_.reserve(config.resting_capacity);
    symbols_.resize(config.symbol_capacity);
    seen_ids_.assign(kSeenIdSlots, 0);
}

void SimVenue::note_order_id(std::uint64_t order_id) noexcept {
    // Linear probing with a multiplicative hash; stops inserting at 3/4 load so a probe always
    // ends at an empty slot.
    const std::size_t mask = kSeenIdSlots - 1;
    std::size_t i = static_cast<std::size_t>((order_id * 0x9E3779B97F4A7C15ull) >> 48) & mask;
    for (; seen_ids_[i] != 0; i = (i + 1) & mask) {
        if (seen_ids_[i] == order_id) {
            ++duplicate_ids_;
            return;
        }
    }
    if (seen_count_ >= kSeenIdSlots / 4 * 3) {
        ++unchecked_ids_;
        return;
    }
    seen_ids_[i] = order_id;
    ++seen_count_;
}

Money SimVenue::buying_power() const noexcept {
    return cash_ - short_proceeds_ - short_proceeds_ - committed_;
}

// --- submissions ---

void SimVenue::submit(const Event& request) noexcept {
    // One draw per submission whatever it is, so the latency stream depends only on how many
    // submissions came before.
    std::int64_t latency_ns = config_.latency_ns;
    if (config_.latency_jitter_ns > 0) {
        latency_ns += static_cast<std::int64_t>(
            rng_.uniform_inclusive(static_cast<std::uint64_t>(config_.latency_jitter_ns)));
    }
    switch (request.payload.order.action) {
        case OrderAction::new_order:
            if (!engine::is_mass_cancel_id(request.payload.order.order_id))
                note_order_id(request.payload.order.order_id);
            new_order(request, latency_ns);
            return;
        case OrderAction::cancel:
            if (engine::is_mass_cancel_id(request.payload.order.order_id) &&
                request.header.symbol == engine::kNoSymbol)
                mass_cancel(request, latency_ns);
            else
                cancel(request, latency_ns);
            return;
        case OrderAction::replace:
            replace(request, latency_ns);
            return;
    }
    reject(request, request.header.ts_ns + latency_ns, Reason::invalid_order);
}

void SimVenue::new_order(const Event& request, std::int64_t latency_ns) noexcept {
    const engine::OrderPayload& p = request.payload.order;
    const std::int64_t reply_ns = request.header.ts_ns + latency_ns;
    if (!is_open(request.header.symbol)) {
        reject(request, reply_ns, Reason::venue_closed);
        return;
    }
    if (request.header.symbol >= symbols_.size()) {
        reject(request, reply_ns, Reason::unknown_symbol);
        return;
    }
    if (p.quantity.raw <= 0 || (p.side != Side::buy && p.side != Side::sell) || !known_tif(p.tif)) {
        reject(request, reply_ns, Reason::invalid_order);
        return;
    }
    if (!known_type(p.order_type)) {
        reject(request, reply_ns, Reason::unsupported_order_type);
        return;
    }
    if (!prices_valid(p.order_type, p.price, p.stop_price) || engine::is_mass_cancel_id(p.order_id)) {
        reject(request, reply_ns, Reason::invalid_order);
        return;
    }
    if (find(p.order_id) != nullptr) {
        reject(request, reply_ns, Reason::duplicate_order);
        return;
    }
    if (orders_.size() == orders_.capacity()) {
        reject(request, reply_ns, Reason::venue_full);
        return;
    }
    const bool by_alerts = alert_priced(request.header.symbol);
    const Price alert_last = symbols_[request.header.symbol].last;
    if (by_alerts && config_.no_market_data && alert_last.raw <= 0 &&
        p.order_type == OrderType::market) {
        reject(request, reply_ns, Reason::no_market_price);
        return;
    }
    SimOrder o;
    o.order_id = p.order_id;
    o.symbol = request.header.symbol;
    o.side = p.side;
    o.type = p.order_type;
    o.tif = p.tif;
    o.role = p.role;
    o.strategy = request.header.aux;
    o.price = has_limit(p.order_type) ? p.price : Price{};
    o.stop_price = has_stop(p.order_type) ? p.stop_price : Price{};
    o.quantity = p.quantity;
    o.submit_ns = request.header.ts_ns;
    o.active_ns = reply_ns;
    if (!commit(o)) {
        reject(request, reply_ns, Reason::insufficient_buying_power);
        return;
    }
    // Ids grow with the sequence, so this is nearly always an append; insert keeps the order
    // (and so the matching priority) right even when one arrives out of order.
    const auto at = std::upper_bound(
        orders_.begin(), orders_.end(), o.order_id,
        [](std::uint64_t id, const SimOrder& r) noexcept { return id < r.order_id; });
    const SimOrder& stored = *orders_.insert(at, o);
    KEEL_ASSERT(orders_.size() <= config_.resting_capacity, "resting orders beyond capacity");
    reply(EventType::venue_ack, stored, reply_ns, OrderStatus::accepted, Reason::none,
          OrderAction::new_order);
    if (by_alerts && alert_last.raw > 0) {
        // The last alert price is the market this order arrives at.
        Event print = engine::make_event(EventType::trade, engine::Source::venue, 0, reply_ns,
                                         request.header.symbol);
        print.payload.trade.price = alert_last;
        print.payload.trade.size = kUnbounded;
        match(print, p.order_id);
    }
}

void SimVenue::cancel(const Event& request, std::int64_t latency_ns) noexcept {
    const std::int64_t reply_ns = request.header.ts_ns + latency_ns;
    SimOrder* o = find(request.payload.order.order_id);
    if (o == nullptr) {
        reject(request, reply_ns, Reason::venue_unknown_order);
        return;
    }
    release(*o);
    reply(EventType::venue_cancel, *o, reply_ns, OrderStatus::canceled, Reason::canceled_on_request,
          OrderAction::cancel);
    erase(o);
}

void SimVenue::mass_cancel(const Event& request, std::int64_t latency_ns) noexcept {
    const std::int64_t reply_ns = request.header.ts_ns + latency_ns;
    for (SimOrder& o : orders_) {
        release(o);
        reply(EventType::venue_cancel, o, reply_ns, OrderStatus::canceled,
              Reason::canceled_on_request, OrderAction::cancel);
    }
    orders_.clear();
    KEEL_ASSERT(committed_.raw == 0, "commitments left after every order was canceled");
}

void SimVenue::replace(const Event& request, std::int64_t latency_ns) noexcept {
    const engine::OrderPayload& p = request.payload.order;
    const std::int64_t reply_ns = request.header.ts_ns + latency_ns;
    SimOrder* o = find(p.order_id);
    if (o != nullptr && !is_open(o->symbol)) {
        reject(request, reply_ns, Reason::venue_closed);
        return;
    }
    if (o == nullptr) {
        reject(request, reply_ns, Reason::venue_unknown_order);
        return;
    }
    // The new quantity must leave something to fill: at or below what has filled is refused.
    if (p.quantity <= o->filled || !prices_valid(o->type, p.price, p.stop_price)) {
        reject(request, reply_ns, Reason::invalid_order);
        return;
    }
    const SimOrder before = *o;
    release(*o);
    o->price = has_limit(o->type) ? p.price : Price{};
    o->stop_price = has_stop(o->type) ? p.stop_price : Price{};
    o->quantity = p.quantity;
    if (!commit(*o)) {
        *o = before;
        committed_ += before.commitment;
        reject(request, reply_ns, Reason::insufficient_buying_power);
        return;
    }
    o->submit_ns = request.header.ts_ns;
    o->active_ns = reply_ns;
    reply(EventType::venue_ack, *o, reply_ns, OrderStatus::accepted, Reason::none,
          OrderAction::replace);
}

// --- market data and timers ---

void SimVenue::on_market_data(const Event& md) noexcept {
    switch (md.header.type) {
        case EventType::timer:
            // A timer about one symbol opens or closes that symbol (each may follow its own
            // session); one without a symbol, the whole venue.
            if (md.payload.timer.kind == engine::TimerKind::session_open) {
                if (md.header.symbol == engine::kNoSymbol) {
                    open_ = true;
                    for (SymbolState& s : symbols_)
                        s.closed = false;
                } else if (md.header.symbol < symbols_.size()) {
                    symbols_[md.header.symbol].closed = false;
                }
            } else if (md.payload.timer.kind == engine::TimerKind::session_close) {
                expire_day(md.header.ts_ns, md.header.symbol);
                if (md.header.symbol == engine::kNoSymbol)
                    open_ = false;
                else if (md.header.symbol < symbols_.size())
                    symbols_[md.header.symbol].closed = true;
            }
            return;
        case EventType::alert:
            on_alert_price(md);
            return;
        case EventType::trade:
        case EventType::quote:
        case EventType::bar:
            if (md.header.symbol >= symbols_.size())
                return;
            symbols_[md.header.symbol].market_seen = true;
            update_last(md);
            if (is_open(md.header.symbol) && drives_matching(md.header.type) && !orders_.empty())
                match(md);
            return;
        default:
            return;
    }
}

void SimVenue::on_alert_price(const Event& alert) noexcept {
    const engine::SymbolId symbol = alert.header.symbol;
    const Price price = alert.payload.alert.price;
    if (symbol >= symbols_.size() || price.raw <= 0 || !alert_priced(symbol))
        return;
    symbols_[symbol].last = price;
    if (!is_open(symbol) || orders_.empty())
        return;
    Event print = engine::make_event(EventType::trade, engine::Source::venue, 0,
                                     alert.header.ts_ns, symbol);
    print.payload.trade.price = price;
    print.payload.trade.size = kUnbounded;
    match(print);
}

void SimVenue::expire_day(std::int64_t ts_ns, engine::SymbolId symbol) noexcept {
    std::size_t keep = 0;
    for (std::size_t i = 0; i < orders_.size(); ++i) {
        SimOrder& o = orders_[i];
        if (o.tif == TimeInForce::day && (symbol == engine::kNoSymbol || o.symbol == symbol)) {
            release(o);
            reply(EventType::venue_cancel, o, ts_ns, OrderStatus::expired, Reason::expired_day,
                  OrderAction::new_order);
            continue;
        }
        orders_[keep++] = o;
    }
    orders_.resize(keep);
}

bool SimVenue::drives_matching(EventType type) const noexcept {
    switch (config_.mode) {
        case MatchMode::bars:
            return type == EventType::bar;
        case MatchMode::ticks:
            return type == EventType::trade || type == EventType::quote;
        case MatchMode::per_event:
            return true;
    }
    return false;
}

void SimVenue::update_last(const Event& md) noexcept {
    SymbolState& s = symbols_[md.header.symbol];
    switch (md.header.type) {
        case EventType::trade:
            s.last = md.payload.trade.price;
            return;
        case EventType::bar:
            s.last = md.payload.bar.close;
            return;
        case EventType::quote: {
            const Price bid = md.payload.quote.bid;
            const Price ask = md.payload.quote.ask;
            if (bid.raw > 0 && ask.raw > 0)
                s.last = Price::from_raw(bid.raw + (ask.raw - bid.raw) / 2);
            else if (bid.raw > 0 || ask.raw > 0)
                s.last = bid.raw > 0 ? bid : ask;
            return;
        }
        default:
            return;
    }
}

void SimVenue::match(const Event& md, std::uint64_t only) noexcept {
    const std::int64_t ts = md.header.ts_ns;
    const EventType kind = md.header.type;
    // The event's volume per side, the pools fills draw from, and the volatility context.
    Quantity volume[2]{};  // [buy, sell]
    Price range{};
    Price level{};
    switch (kind) {
        case EventType::bar:
            volume[0] = volume[1] = md.payload.bar.volume;
            range = md.payload.bar.high - md.payload.bar.low;
            level = md.payload.bar.close;
            break;
        case EventType::trade:
            volume[0] = volume[1] = md.payload.trade.size;
            break;
        default: {  // quote
            const engine::QuotePayload& q = md.payload.quote;
            volume[0] = q.ask_size;
            volume[1] = q.bid_size;
            if (q.bid.raw > 0 && q.ask.raw > q.bid.raw) {
                range = q.ask - q.bid;
                level = Price::from_raw(q.bid.raw + range.raw / 2);
            }
            break;
        }
    }
    const bool shared_pool = kind != EventType::quote;
    Quantity pool[2];
    for (int s = 0; s < 2; ++s) {
        if (engine::size_unknown(volume[s]))
            pool[s] = kUnbounded;  // the data gives no size: the touch fills in full, uncapped
        else if (config_.participation.raw > 0)
            pool[s] = share_of(volume[s], config_.participation);
        else
            pool[s] = kind == EventType::quote ? volume[s] : kUnbounded;
    }

    std::size_t fills = 0;
    std::size_t keep = 0;
    const std::size_t n = orders_.size();
    for (std::size_t i = 0; i < n; ++i) {
        SimOrder& o = orders_[i];
        const bool eligible = o.symbol == md.header.symbol && ts >= o.active_ns &&
                              (only == 0 || o.order_id == only) &&
                              (kind != EventType::bar || ts > o.submit_ns) &&
                              fills < config_.max_fills_per_event;
        if (!eligible) {
            if (keep != i)
                orders_[keep] = o;
            ++keep;
            continue;
        }
        Offer offer;
        switch (kind) {
            case EventType::bar:
                offer = offer_bar(o, md.payload.bar);
                break;
            case EventType::trade:
                offer = offer_trade(o, md.payload.trade.price);
                break;
            default:
                offer = offer_quote(o, md.payload.quote);
                break;
        }
        const int s = o.side == Side::buy ? 0 : 1;
        Quantity& available = pool[shared_pool ? 0 : s];
        const Quantity qty = offer.fill ? std::min(o.leaves(), available) : Quantity{};
        bool done = false;
        if (o.tif == TimeInForce::fok && qty < o.leaves()) {
            release(o);
            reply(EventType::venue_cancel, o, ts, OrderStatus::canceled, Reason::fok_unfillable,
                  OrderAction::new_order);
            done = true;
        } else {
            if (qty.raw > 0) {
                const Price slip = slippage_amount(
                    config_, SlippageInput{offer.price, qty, volume[s], range, level});
                Price px = slipped_price(o.side, offer.price, slip);
                if (offer.limit_bound)
                    px = o.side == Side::buy ? std::min(px, o.price) : std::max(px, o.price);
                const Money fee = commission(config_, px, qty);
                if (!bookable(px, qty, fee)) {
                    // A price so far out of range that no account could book the fill (a bad
                    // tick): the order is canceled instead of filled.
                    release(o);
                    reply(EventType::venue_cancel, o, ts, OrderStatus::canceled,
                          Reason::unbookable_fill, OrderAction::new_order);
                    continue;  // done: not kept
                }
                available -= qty;
                apply_fill(o, px, qty, fee);
                ++fills;
                const bool complete = o.filled == o.quantity;
                Event f = engine::make_event(EventType::venue_fill, engine::Source::venue, 0, ts,
                                             o.symbol);
                f.header.aux = o.strategy;
                f.payload.fill.order_id = o.order_id;
                f.payload.fill.price = px;
                f.payload.fill.quantity = qty;
                f.payload.fill.fee = fee;
                f.payload.fill.side = o.side;
                f.payload.fill.flags = complete ? engine::kFillFinal : 0;
                replies_.post(f);
                if (complete) {
                    release(o);
                    done = true;
                }
            }
            if (!done && o.tif == TimeInForce::ioc) {
                release(o);
                reply(EventType::venue_cancel, o, ts, OrderStatus::canceled, Reason::ioc_remainder,
                      OrderAction::new_order);
                done = true;
            }
        }
        if (!done) {
            if (keep != i)
                orders_[keep] = o;
            ++keep;
        }
    }
    orders_.resize(keep);
}

// --- the matching rules (documented in sim_venue.hpp) ---

SimVenue::Offer SimVenue::offer_bar(SimOrder& o, const engine::BarPayload& bar) const noexcept {
    const bool buy = o.side == Side::buy;
    const Price open = bar.open;
    auto limit_offer = [&]() noexcept -> Offer {
        if (buy)
            return bar.low <= o.price ? Offer{true, std::min(open, o.price), true} : Offer{};
        return bar.high >= o.price ? Offer{true, std::max(open, o.price), true} : Offer{};
    };
    switch (o.type) {
        case OrderType::market:
            return {true, open, false};
        case OrderType::limit:
            return limit_offer();
        case OrderType::stop:
            if (o.triggered)
                return {true, open, false};
            if (buy ? bar.high >= o.stop_price : bar.low <= o.stop_price) {
                o.triggered = true;
                return {true, buy ? std::max(open, o.stop_price) : std::min(open, o.stop_price),
                        false};
            }
            return {};
        case OrderType::stop_limit: {
            if (o.triggered)
                return limit_offer();
            if (!(buy ? bar.high >= o.stop_price : bar.low <= o.stop_price))
                return {};
            o.triggered = true;
            // Opened through the stop: triggered at the open, which comes first, so the whole
            // bar is after the trigger.
            if (buy ? open >= o.stop_price : open <= o.stop_price)
                return limit_offer();
            // Triggered inside the bar: only the trigger price itself is known to have traded
            // after the trigger.
            if (buy ? o.price >= o.stop_price : o.price <= o.stop_price)
                return {true, o.stop_price, true};
            return {};
        }
        case OrderType::trailing_stop: {
            if (o.triggered)
                return {true, open, false};
            if (!o.has_extreme) {
                o.extreme = open;
                o.has_extreme = true;
            }
            if (buy) {
                const Price trigger = o.extreme + o.stop_price;
                if (bar.high >= trigger) {
                    o.triggered = true;
                    return {true, std::max(open, trigger), false};
                }
                o.extreme = std::min(o.extreme, bar.low);
            } else {
                const Price trigger = o.extreme - o.stop_price;
                if (bar.low <= trigger) {
                    o.triggered = true;
                    return {true, std::min(open, trigger), false};
                }
                o.extreme = std::max(o.extreme, bar.high);
            }
            return {};
        }
    }
    return {};
}

SimVenue::Offer SimVenue::offer_trade(SimOrder& o, Price px) const noexcept {
    // A trade at our limit may have been ahead of us in the queue: only a trade through it
    // proves we would have filled, and then at our limit.
    const bool through = o.side == Side::buy ? px < o.price : px > o.price;
    return offer_tick(o, px, through ? Offer{true, o.price, true} : Offer{});
}

SimVenue::Offer SimVenue::offer_quote(SimOrder& o, const engine::QuotePayload& q) const noexcept {
    const bool buy = o.side == Side::buy;
    // The side this order would take: buys lift the ask, sells hit the bid.
    const Price px = buy ? q.ask : q.bid;
    const Quantity size = buy ? q.ask_size : q.bid_size;
    // Size 0 is an empty side; an unknown size (kSizeUnknown) is taken as enough.
    if (px.raw <= 0 || size.raw == 0)
        return {};
    // The displayed price is at or better than the limit: a marketable order takes it.
    const bool marketable = buy ? px <= o.price : px >= o.price;
    return offer_tick(o, px, marketable ? Offer{true, px, true} : Offer{});
}

SimVenue::Offer SimVenue::offer_tick(SimOrder& o, Price px, Offer limit) const noexcept {
    const bool buy = o.side == Side::buy;
    switch (o.type) {
        case OrderType::market:
            return {true, px, false};
        case OrderType::limit:
            return limit;
        case OrderType::stop:
        case OrderType::stop_limit:
            if (!o.triggered && (buy ? px >= o.stop_price : px <= o.stop_price))
                o.triggered = true;
            if (!o.triggered)
                return {};
            return o.type == OrderType::stop ? Offer{true, px, false} : limit;
        case OrderType::trailing_stop:
            break;
    }
    if (o.triggered)
        return {true, px, false};
    if (!o.has_extreme) {
        o.extreme = px;
        o.has_extreme = true;
    }
    // Check against the level from earlier prices, then move the extreme.
    if (buy ? px >= o.extreme + o.stop_price : px <= o.extreme - o.stop_price) {
        o.triggered = true;
        return {true, px, false};
    }
    o.extreme = buy ? std::min(o.extreme, px) : std::max(o.extreme, px);
    return {};
}

// --- the venue's own books ---

bool SimVenue::commit(SimOrder& o) noexcept {
    const SymbolState& s = symbols_[o.symbol];
    const Price reference = has_limit(o.type) ? o.price : s.last;
    // What this order can close: the position on the other side, less what earlier resting
    // orders on this side already claim to close.
    std::int64_t closable = o.side == Side::buy ? std::max<std::int64_t>(0, -s.position_raw)
                                                : std::max<std::int64_t>(0, s.position_raw);
    for (const SimOrder& r : orders_) {
        if (r.symbol == o.symbol && r.side == o.side && r.order_id != o.order_id)
            closable -= (r.leaves() - r.open_qty).raw;
    }
    closable = std::max<std::int64_t>(0, closable);
    const Quantity open_qty =
        Quantity::from_raw(std::max<std::int64_t>(0, o.leaves().raw - closable));
    const Money need = notional_of(reference, open_qty);
    if (need > buying_power())
        return false;
    o.open_qty = open_qty;
    o.reference = reference;
    o.commitment = need;
    committed_ += need;
    return true;
}

void SimVenue::release(SimOrder& o) noexcept {
    committed_ -= o.commitment;
    o.commitment = Money{};
    KEEL_ASSERT(committed_.raw >= 0, "released more commitment than was held");
}

bool SimVenue::bookable(Price price, Quantity qty, Money fee) const noexcept {
    constexpr i128 kLimit = engine::Account::kMaxMarkValue;
    const i128 value = static_cast<i128>(price.raw) * qty.raw / engine::kScale;
    const auto within = [](i128 v) { return v <= kLimit && v >= -kLimit; };
    return within(value) && within(fee.raw) && within(cash_.raw - value - fee.raw) &&
           within(cash_.raw + value - fee.raw) && within(short_proceeds_.raw + value);
}

void SimVenue::apply_fill(SimOrder& o, Price price, Quantity qty, Money fee) noexcept {
    KEEL_ASSERT(qty.raw > 0 && qty <= o.leaves(), "a fill must be within the order's leaves");
    SymbolState& s = symbols_[o.symbol];
    const Money value = notional_of(price, qty);
    if (o.side == Side::buy) {
        cash_ -= value + fee;
        if (s.position_raw < 0) {
            // Covering: release the covered share of the short's proceeds.
            const std::int64_t covered = std::min(qty.raw, -s.position_raw);
            const Money freed = Money::from_raw(static_cast<std::int64_t>(
                static_cast<i128>(s.short_proceeds.raw) * covered / -s.position_raw));
            s.short_proceeds -= freed;
            short_proceeds_ -= freed;
        }
        s.position_raw += qty.raw;
    } else {
        cash_ += value - fee;
        const std::int64_t opening =
            qty.raw - std::min(qty.raw, std::max<std::int64_t>(0, s.position_raw));
        if (opening > 0) {
            const Money proceeds = notional_of(price, Quantity::from_raw(opening));
            s.short_proceeds += proceeds;
            short_proceeds_ += proceeds;
        }
        s.position_raw -= qty.raw;
    }
    // The closing part of an order fills first; what goes beyond it uses up the commitment.
    const Quantity closing_left = o.leaves() - o.open_qty;
    const Quantity used_open = qty > closing_left ? qty - closing_left : Quantity{};
    o.open_qty -= used_open;
    const Money remaining = notional_of(o.reference, o.open_qty);
    committed_ += remaining - o.commitment;
    o.commitment = remaining;
    o.filled += qty;
}

// --- storage and replies ---

SimOrder* SimVenue::find(std::uint64_t order_id) noexcept {
    const auto at = std::lower_bound(
        orders_.begin(), orders_.end(), order_id,
        [](const SimOrder& r, std::uint64_t id) noexcept { return r.order_id < id; });
    return at != orders_.end() && at->order_id == order_id ? &*at : nullptr;
}

void SimVenue::erase(const SimOrder* o) noexcept {
    orders_.erase(orders_.begin() + (o - orders_.data()));
}

void SimVenue::reply(EventType type, const SimOrder& o, std::int64_t ts_ns, OrderStatus status,
                     Reason reason, OrderAction action) noexcept {
    replies_.post(order_reply(type, o, o.strategy, ts_ns, status, reason, action));
}

void SimVenue::reject(const Event& request, std::int64_t ts_ns, Reason reason) noexcept {
    Event e = engine::make_event(EventType::venue_reject, engine::Source::venue, 0, ts_ns,
                                 request.header.symbol);
    e.header.aux = request.header.aux;
    e.payload.order = request.payload.order;
    e.payload.order.status = OrderStatus::rejected;
    e.payload.order.reason = reason;
    replies_.post(e);
}

}  // namespace keel::adapters
