#include "keel/engine/orders/account.hpp"

namespace keel::engine {
namespace {

std::int64_t abs64(std::int64_t v) noexcept {
    return v < 0 ? -v : v;
}

std::int64_t narrow(i128 v, const char* what) noexcept {
    KEEL_ASSERT(v <= INT64_MAX && v >= INT64_MIN, what);
    return static_cast<std::int64_t>(v);
}

// a * b / kScale, truncated toward zero: in 64 bits when the product fits (the common case,
// and a 128-bit division is a library call), else in 128 bits. Both give the same result.
i128 mul_div_scale(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t p = 0;
    if (!__builtin_mul_overflow(a, b, &p))
        return p / kScale;
    // Split b = q * kScale + r (q and r share b's sign, so both terms share the product's sign
    // and truncating the second truncates the sum): a * q + a * r / kScale, exact, in 64 bits
    // when the parts fit (a price times a large whole quantity does).
    const std::int64_t q = b / kScale;
    const std::int64_t r = b % kScale;
    std::int64_t aq = 0;
    std::int64_t ar = 0;
    std::int64_t sum = 0;
    if (!__builtin_mul_overflow(a, q, &aq) && !__builtin_mul_overflow(a, r, &ar) &&
        !__builtin_add_overflow(aq, ar / kScale, &sum))
        return sum;
    return static_cast<i128>(a) * b / kScale;
}

// price * quantity_raw / kScale in 128 bits, truncated toward zero (so a negative quantity
// gives exactly the negation of the positive one).
std::int64_t notional_raw(Price price, std::int64_t quantity_raw) noexcept {
    return narrow(mul_div_scale(price.raw, quantity_raw), "notional outside Money's range");
}

std::int64_t add_checked(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t r = 0;
    KEEL_ASSERT(!__builtin_add_overflow(a, b, &r), "account balance outside Money's range");
    return r;
}

void add_to(Money& m, std::int64_t delta_raw) noexcept {
    m.raw = add_checked(m.raw, delta_raw);
}

Price vwap(i128 cost, std::int64_t quantity_raw) noexcept {
    if (quantity_raw == 0)
        return Price{};
    return Price::from_raw(narrow(cost / quantity_raw, "average price outside Price's range"));
}

}  // namespace

Money PositionState::market_value() const noexcept {
    return Money::from_raw(notional_raw(last_price, quantity_raw));
}

Money PositionState::unrealized() const noexcept {
    return market_value() - cost_basis;
}

Account::Account(Money starting_cash, std::size_t symbol_capacity, std::size_t round_trip_capacity,
                 std::size_t equity_capacity, EquitySampling sampling)
    : starting_cash_(starting_cash),
      cash_(starting_cash),
      day_start_equity_(starting_cash),
      peak_equity_(starting_cash),
      trip_capacity_(round_trip_capacity),
      curve_capacity_(equity_capacity),
      positions_(symbol_capacity),
      open_trips_(symbol_capacity) {
    reserve_records(sampling, round_trip_capacity, equity_capacity);
}

void Account::reserve_records(EquitySampling sampling, std::size_t round_trip_capacity,
                              std::size_t equity_capacity) {
    sampling_ = sampling;
    next_close_ns_ = sampling == EquitySampling::bar ? INT64_MAX : INT64_MIN;
    trip_capacity_ = round_trip_capacity;
    curve_capacity_ = equity_capacity;
    if (round_trip_capacity != kUnbounded)
        trips_.reserve(round_trip_capacity);
    if (equity_capacity != kUnbounded)
        curve_.reserve(equity_capacity);
}

// Sums and products of a fill, each checked against the range the account keeps every figure
// in (Account::kMaxMarkValue, a quarter of Money's range, so that sums of them cannot leave
// Money's range). The first figure out of range clears ok and the fill is not applied.
struct Account::Checked {
    bool ok = true;
    std::int64_t keep(i128 v) noexcept {
        if (v > Account::kMaxMarkValue || v < -Account::kMaxMarkValue) {
            ok = false;
            return 0;
        }
        return static_cast<std::int64_t>(v);
    }
    std::int64_t add(std::int64_t a, std::int64_t b) noexcept {
        return keep(static_cast<i128>(a) + b);
    }
    void add_to(Money& m, std::int64_t delta) noexcept { m.raw = add(m.raw, delta); }
    std::int64_t notional(Price price, std::int64_t quantity_raw) noexcept {
        return keep(mul_div_scale(price.raw, quantity_raw));
    }
};

bool Account::apply_fill(SymbolId symbol, Side side, Price price, Quantity quantity, Money fee,
                         std::int64_t ts_ns) noexcept {
    KEEL_ASSERT(symbol < positions_.size(), "fill for a symbol outside the account");
    KEEL_ASSERT(side == Side::buy || side == Side::sell, "fill without a side");
    KEEL_ASSERT(quantity.raw > 0, "fill quantity must be positive");
    // Worked on copies and committed at the end, so a fill whose figures would leave the
    // account's range changes nothing (whole or nothing).
    FillState f{positions_[symbol], open_trips_[symbol], cash_,        fees_,
                realized_,          cost_total_,        value_total_, gross_total_};
    Checked c;
    book_fill(f, c, side, price, quantity, fee, ts_ns);
    if (!c.ok)
        return false;
    positions_[symbol] = f.p;
    open_trips_[symbol] = f.trip;
    cash_ = f.cash;
    fees_ = f.fees;
    realized_ = f.realized;
    cost_total_ = f.cost_total;
    value_total_ = f.value_total;
    gross_total_ = f.gross_total;
    if (f.trip_closed)
        finish_trip(symbol, f.closed_trip, ts_ns);
    if (ts_ns > last_event_ns_)
        last_event_ns_ = ts_ns;
    // A fill at the time of the last bar point belongs to it (the bar's orders filling after
    // the last bar of that time): the point holds everything booked at its time.
    if (sampling_ == EquitySampling::bar && !curve_.empty() && curve_.back().ts_ns == ts_ns)
        curve_.back().equity = equity();
    return true;
}

void Account::book_fill(FillState& f, Checked& c, Side side, Price price, Quantity quantity,
                        Money fee, std::int64_t ts_ns) noexcept {
    PositionState& p = f.p;
    OpenTrip& trip = f.trip;
    const std::int64_t value_before = c.notional(p.last_price, p.quantity_raw);
    const Money basis_before = p.cost_basis;
    const std::int64_t held = p.quantity_raw;
    const std::int64_t delta = signed_qty(side, quantity);
    // Cash moves against the quantity: a buy pays, a sell receives.
    const std::int64_t cash_sign = side == Side::buy ? -1 : 1;
    const std::int64_t total = quantity.raw;
    const bool reduces = held != 0 && (held > 0) != (delta > 0);
    const std::int64_t closed = reduces ? (total < abs64(held) ? total : abs64(held)) : 0;
    const std::int64_t opened = total - closed;
    const std::int64_t fee_raw = c.keep(fee.raw);  // in range, so its negation is too

    // The notional is truncated once for the whole fill, so cash moves by exactly price * qty;
    // on a reversal the closing part is what remains after the opening part's own notional.
    const std::int64_t notional_total = c.notional(price, total);
    const std::int64_t notional_open = opened == total ? notional_total : c.notional(price, opened);
    const std::int64_t notional_closed = notional_total - notional_open;
    // The closing share of the fee is truncated; the opening share takes the remainder.
    const std::int64_t fee_closed =
        closed == 0 ? 0
                    : (opened == 0 ? fee_raw : c.keep(static_cast<i128>(fee_raw) * closed / total));
    const std::int64_t fee_opened = fee_raw - fee_closed;

    c.add_to(f.cash, c.add(cash_sign * notional_total, -fee_raw));
    c.add_to(f.fees, fee_raw);
    c.add_to(p.fees, fee_raw);
    c.add_to(f.realized, -fee_raw);
    c.add_to(p.realized, -fee_raw);
    ++p.fills;
    // Positions are marked by market data; a fill's price marks only a symbol never marked.
    // (A fill can be sequenced after later market data — a threaded plan sequences replies
    // later — so taking its price would mark the position at a stale price.)
    if (p.last_price.raw == 0)
        p.last_price = price;
    if (ts_ns > p.last_ts_ns)
        p.last_ts_ns = ts_ns;

    if (closed > 0) {
        const std::int64_t closed_cost =
            c.keep(static_cast<i128>(p.cost_basis.raw) * closed / abs64(held));
        const std::int64_t pnl = c.add(cash_sign * notional_closed, -closed_cost);
        c.add_to(p.cost_basis, -closed_cost);
        c.add_to(f.realized, pnl);
        c.add_to(p.realized, pnl);
        p.quantity_raw = held > 0 ? held - closed : held + closed;
        trip.exit_cost += static_cast<i128>(price.raw) * closed;
        trip.exit_qty = c.add(trip.exit_qty, closed);
        c.add_to(trip.pnl, c.add(pnl, -fee_closed));
        c.add_to(trip.fees, fee_closed);
        if (p.quantity_raw == 0) {
            // Exact when every figure was in range; a fill refused for range leaves nothing.
            KEEL_ASSERT(!c.ok || p.cost_basis.raw == 0, "a flat position keeps no cost basis");
            // The trip ends here; apply_fill records it once the fill is committed.
            f.trip_closed = true;
            f.closed_trip = trip;
            trip = OpenTrip{};
            p.opened_ns = 0;
        }
    }
    if (opened > 0) {
        if (p.quantity_raw == 0) {
            trip = OpenTrip{};
            trip.side = side;
            trip.entry_ns = ts_ns;
            p.opened_ns = ts_ns;
        }
        c.add_to(p.cost_basis, -cash_sign * notional_open);
        p.quantity_raw = c.add(p.quantity_raw, side == Side::buy ? opened : -opened);
        trip.entry_cost += static_cast<i128>(price.raw) * opened;
        trip.entry_qty = c.add(trip.entry_qty, opened);
        c.add_to(trip.pnl, -fee_opened);
        c.add_to(trip.fees, fee_opened);
        const std::int64_t size = abs64(p.quantity_raw);
        if (size > trip.max_qty)
            trip.max_qty = size;
    }
    KEEL_ASSERT(!c.ok || p.quantity_raw == held + delta, "fill moved the position by its quantity");

    p.average_price =
        p.quantity_raw == 0
            ? Price{}
            : Price::from_raw(c.keep(static_cast<i128>(p.cost_basis.raw) * kScale / p.quantity_raw));
    const std::int64_t value_after = c.notional(p.last_price, p.quantity_raw);
    c.add_to(f.value_total, c.add(value_after, -value_before));
    c.add_to(f.gross_total, c.add(abs64(value_after), -abs64(value_before)));
    c.add_to(f.cost_total, (p.cost_basis - basis_before).raw);
}

void Account::finish_trip(SymbolId symbol, const OpenTrip& t, std::int64_t ts_ns) noexcept {
    RoundTrip rt;
    rt.symbol = symbol;
    rt.side = t.side;
    rt.entry_ns = t.entry_ns;
    rt.exit_ns = ts_ns;
    rt.entry_price = vwap(t.entry_cost, t.entry_qty);
    rt.exit_price = vwap(t.exit_cost, t.exit_qty);
    rt.quantity = Quantity::from_raw(t.max_qty);
    rt.pnl = t.pnl;
    rt.fees = t.fees;
    ++trip_count_;
    if (rt.pnl.raw > 0)
        ++wins_;
    keep_trip(rt);
}

namespace {
// Hands records to ring from the front of pending, in order, until the ring refuses one; those
// handed off leave pending (an erase from the front: no allocation, and usually all of them).
template <class T>
void hand_off(std::vector<T>& pending, SpscRing<T>& ring) noexcept {
    std::size_t n = 0;
    while (n < pending.size() && ring.try_push(pending[n]))
        ++n;
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
}
}  // namespace

bool Account::keep_point(EquityPoint point) noexcept {
    // Every point already here is closed now that a later one comes (a bar point is only
    // updated in place until the next bar time), so all of them may go.
    if (point_ring_ != nullptr)
        hand_off(curve_, *point_ring_);
    // Full: the point is counted (its equity is journaled upstream) but not kept, so nothing
    // allocates.
    if (curve_.size() >= curve_capacity_) {
        ++curve_dropped_;
        return false;
    }
    curve_.push_back(point);
    return true;
}

void Account::keep_trip(const RoundTrip& trip) noexcept {
    if (trip_ring_ != nullptr)
        hand_off(trips_, *trip_ring_);
    if (trips_.size() >= trip_capacity_) {
        ++trips_dropped_;
        return;
    }
    trips_.push_back(trip);
}

void Account::take_back_records(std::vector<EquityPoint> points, std::vector<RoundTrip> trips) {
    points.insert(points.end(), curve_.begin(), curve_.end());
    trips.insert(trips.end(), trips_.begin(), trips_.end());
    curve_ = std::move(points);
    trips_ = std::move(trips);
    point_ring_ = nullptr;
    trip_ring_ = nullptr;
    curve_capacity_ = kUnbounded;
    trip_capacity_ = kUnbounded;
}

RoundTrip Account::open_round_trip(SymbolId symbol) const noexcept {
    KEEL_ASSERT(symbol < open_trips_.size(), "round trip of a symbol outside the table");
    const OpenTrip& t = open_trips_[symbol];
    RoundTrip rt;
    if (t.side == Side::none)
        return rt;
    rt.symbol = symbol;
    rt.side = t.side;
    rt.entry_ns = t.entry_ns;
    rt.exit_ns = positions_[symbol].last_ts_ns;
    rt.entry_price = vwap(t.entry_cost, t.entry_qty);
    rt.exit_price = vwap(t.exit_cost, t.exit_qty);
    rt.quantity = Quantity::from_raw(t.max_qty);
    rt.pnl = t.pnl;
    rt.fees = t.fees;
    return rt;
}

bool Account::mark_open(PositionState& p, Price price, std::int64_t ts_ns) noexcept {
    const Money value_before = p.market_value();
    // A mark that would take a value or a total out of Money's range (a bad tick against a
    // large position) is refused and counted, not applied: the account stays exact.
    const i128 after = mul_div_scale(price.raw, p.quantity_raw);
    const i128 total = static_cast<i128>(value_total_.raw) + after - value_before.raw;
    const i128 gross = static_cast<i128>(gross_total_.raw) + (after < 0 ? -after : after) -
                       abs64(value_before.raw);
    if (after > kMaxMarkValue || after < -kMaxMarkValue || total > kMaxMarkValue ||
        total < -kMaxMarkValue || gross > kMaxMarkValue) {
        ++marks_refused_;
        return false;
    }
    p.last_price = price;
    p.last_ts_ns = ts_ns;
    const Money value_after = Money::from_raw(static_cast<std::int64_t>(after));  // in range
    add_to(value_total_, (value_after - value_before).raw);
    add_to(gross_total_, abs64(value_after.raw) - abs64(value_before.raw));
    return true;
}

Money Account::equity() const noexcept {
    return Money::from_raw(add_checked(cash_.raw, value_total_.raw));
}

Money Account::unrealized() const noexcept {
    return value_total_ - cost_total_;
}

Money Account::gross_exposure() const noexcept {
    return gross_total_;
}

Money Account::drawdown() const noexcept {
    const Money e = equity();
    const Money peak = peak_equity();
    return e < peak ? peak - e : Money{};
}

void Account::settle_point(Money e) noexcept {
    if (e > peak_equity_)
        peak_equity_ = e;
    const Money fall = peak_equity_ - e;
    if (fall > max_drawdown_)
        max_drawdown_ = fall;
}

void Account::sample_equity(std::int64_t ts_ns) noexcept {
    if (ts_ns > last_event_ns_)
        last_event_ns_ = ts_ns;
    const Money e = equity();
    // Bars of several symbols at one time: the point holds the equity after the last of them.
    if (!curve_.empty() && curve_.back().ts_ns == ts_ns) {
        curve_.back().equity = e;
        return;
    }
    if (!curve_.empty())
        settle_point(curve_.back().equity);
    // A bounded store into memory reserved before the run: nothing allocates here. A point
    // not kept is settled now, as no later one will settle it.
    if (!keep_point(EquityPoint{ts_ns, e}))
        settle_point(e);
}

namespace {
constexpr std::int64_t kDayNs = 86'400'000'000'000;
// The UTC midnight that starts the day of ts_ns (floor, so times before 1970 work too).
std::int64_t day_start(std::int64_t ts_ns) noexcept {
    const std::int64_t d = ts_ns / kDayNs - (ts_ns % kDayNs < 0 ? 1 : 0);
    return d * kDayNs;
}
}  // namespace

void Account::close_day(std::int64_t ts_ns, EquityEvent kind) noexcept {
    if (sampling_ == EquitySampling::automatic) {
        // Decided by the first mark: bar data is sampled at its bars, anything else daily.
        if (kind == EquityEvent::fill)
            return;
        sampling_ = kind == EquityEvent::bar ? EquitySampling::bar : EquitySampling::daily;
        if (sampling_ == EquitySampling::bar) {
            next_close_ns_ = INT64_MAX;
            return;
        }
    }
    // The equity now is the closing equity of the day that ended: nothing of ts_ns is booked yet.
    if (day_open_) {
        const Money e = equity();
        keep_point(EquityPoint{day_open_ns_, e});
        settle_point(e);
    }
    day_open_ = true;
    day_open_ns_ = day_start(ts_ns);
    next_close_ns_ = day_open_ns_ + kDayNs;
}

std::vector<EquityPoint> Account::closed_curve() const {
    std::vector<EquityPoint> c = curve_;
    if (sampling_ == EquitySampling::daily || sampling_ == EquitySampling::automatic) {
        // Automatic still undecided: no market data, so fills alone (alert-priced) moved
        // equity; one point at the end.
        if (sampling_ == EquitySampling::automatic && last_event_ns_ != 0)
            c.push_back({day_start(last_event_ns_), equity()});
        if (day_open_)
            c.push_back({day_open_ns_, equity()});
        return c;
    }
    if (!c.empty() && c.back().ts_ns >= last_event_ns_)
        c.back().equity = equity();
    else if (!c.empty() || last_event_ns_ != 0)
        c.push_back({last_event_ns_, equity()});
    return c;
}

Money Account::max_drawdown() const noexcept {
    // The settled points' figures, then what closed_curve() ends with.
    Money peak = peak_equity_;
    Money worst = max_drawdown_;
    const auto fold = [&](Money e) {
        peak = e > peak ? e : peak;
        worst = peak - e > worst ? peak - e : worst;
    };
    if (sampling_ == EquitySampling::bar && !curve_.empty() &&
        curve_.back().ts_ns < last_event_ns_)
        fold(curve_.back().equity);
    fold(equity());
    return worst;
}

void Account::start_day(std::int64_t ts_ns) noexcept {
    day_start_equity_ = equity();
    day_start_ns_ = ts_ns;
}

std::uint64_t Account::state_hash(std::uint64_t h) const noexcept {
    for (const std::int64_t v : {cash_.raw, realized_.raw, fees_.raw})
        h = hash_mix(h, static_cast<std::uint64_t>(v));
    for (std::size_t i = 0; i < positions_.size(); ++i) {
        const PositionState& p = positions_[i];
        if (p.fills == 0 && p.last_price.raw == 0)
            continue;  // never touched: nothing to tell apart
        h = hash_mix(h, i);
        for (const std::int64_t v :
             {p.quantity_raw, p.cost_basis.raw, p.realized.raw, p.fees.raw, p.last_price.raw})
            h = hash_mix(h, static_cast<std::uint64_t>(v));
    }
    return h;
}

}  // namespace keel::engine
