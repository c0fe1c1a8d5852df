// SimVenue: a deterministic simulated exchange for paper sessions and backtests. The gateway
// hands it orders (submit) and every market-data and timer event (on_market_data); it answers
// through the ReplySink with venue_ack / venue_fill / venue_reject / venue_cancel events.
// Nothing reads a clock: times come from the events, latency jitter from a seeded SplitMix64
// (the seed is journaled in session_start), so a session replays reply for reply.
//
// Matching rules. An order is eligible for a market event of its symbol when the event's
// ts >= submit ts + latency (in bar mode also ts > submit ts: an order placed at t is active
// from the next bar stamped after t). Orders are matched in order-id order; each gets at most
// one fill per event. Only while the session is open (see timers below).
//
// Bar mode (conservative: the path inside a bar is unknown except that it starts at the open):
//   market       fills at the open.
//   limit buy    fills if low <= limit, at min(open, limit): a gap down through the limit fills
//                at the better open. Sell mirrors (high >= limit, at max(open, limit)).
//   stop buy     triggers if high >= stop, fills at max(open, stop): a gap up through the stop
//                fills at the worse open. Sell mirrors (low <= stop, at min(open, stop)).
//   stop-limit   triggers like a stop, then is a limit. In the trigger bar it fills only when
//                the limit is reachable after the trigger for certain: if the bar opened
//                through the stop (triggered at the open, which comes first), it fills as a
//                limit over the whole bar; if it triggered inside the bar, it fills only when
//                the limit is at or beyond the stop (buy: limit >= stop), at the stop price,
//                since the low may have come before the high. Otherwise it rests as a limit.
//   trailing     stop_price is the trail distance. A sell's level = the highest price seen
//                since activation - trail (buy: lowest + trail). The first active bar's open
//                starts the extreme. Each bar first checks the trigger against the level from
//                earlier prices (sell: low <= level, fills at min(open, level)), and only then
//                raises the extreme with the bar's high (buy: lowers with the low).
//   A stop or trailing stop that triggered but could not fill completely (participation cap)
//   is a market order from then on; a stop-limit a limit.
//
// Tick mode (trades and quotes; queue position is unknown, so resting orders fill only when
// the market trades through them):
//   trade        market fills at the trade price. Limit buy fills only when price < limit,
//                at the limit (a trade at the limit may have been ahead of us in the queue);
//                sell mirrors. Stops trigger when the trade reaches the stop (buy: price >=
//                stop) and fill at the trade price. Trailing: the first eligible trade starts
//                the extreme; each trade checks the level, then moves the extreme.
//   quote        an order takes the displayed liquidity only: market buy at the ask, sell at
//                the bid; limit buy when ask <= limit, at the ask (sell: bid >= limit, at the
//                bid); a buy stop triggers when ask >= stop and fills at the ask (sell: bid <=
//                stop, at the bid). Trailing sells track the bid, buys the ask. Fills are
//                bounded by the quote's size on that side. A one-sided quote (0 price or size)
//                fills nothing on the empty side.
//   unknown size a trade or quote side whose size the data does not give (engine::kSizeUnknown:
//                a file without size columns, an empty cell) is taken as enough: market and
//                marketable orders fill at the touch in full, and a participation cap cannot
//                apply to it (the backtest summary says how many rows had no size).
//
// TIF: day orders are canceled at the session_close timer (venue_cancel, expired_day). gtc
// rests. ioc is matched on its first eligible market event and the rest canceled
// (ioc_remainder). fok fills completely on its first eligible event or is canceled entirely
// (fok_unfillable).
//
// Alert prices (config fill_at_alert_price, on by default): a session without a feed (a
// webhook-only paper session) has no market to fill against, so a symbol that has had no
// market data is priced by its alerts. Each alert with a price is a trade print at that price
// (tick rules above, whatever the mode; unlimited size, so only a participation cap bounds
// it), and a new order for such a symbol is matched on arrival against the last alert price:
// a market order fills at it, a limit rests unless that price is through it, a stop triggers
// if it is at or beyond its stop. So a later alert's price can fill a resting limit or a
// bracket's exit. In a session with no market-data source at all (no_market_data: no feed, no
// data files), a market order for a symbol no alert has priced yet (an alert without a price, a
// flatten) is rejected with no_market_price: reported as not done instead of resting unfilled
// for ever; with a source it rests until the first price, as always. The first market data of
// a symbol ends alert pricing for it: from then on the feed is its market and alerts move
// nothing.
//
// Sessions: a session_close timer closes the venue until the next session_open timer; before
// the first timer it is open. While closed, new orders and replaces are rejected
// (venue_closed; cancels are still served) and nothing matches.
//
// Frictions: slippage and commission, sim_costs.hpp. Volatility slippage in tick mode uses the
// quote's spread over its mid, and is 0 for trades (one trade has no range). The
// participation cap is a share of the event's volume that all orders filled from the event
// share (a quote's bid and ask sizes are separate pools); a zero-volume bar or trade gives
// nothing under a cap.
//
// Buying power: the venue keeps its own cash and positions from its fills, starting at
// config.buying_power (the account's starting_cash unless the config's venue.buying_power is
// set). Buying power = cash - 2 x the proceeds of open short sales (a short
// is paid for by its proceeds plus an equal margin) - the commitments of resting orders. A
// new order's opening part (the part that does not close a position, after earlier resting
// orders on the same side have claimed what they close) times its reference price (limit
// price for limit and stop-limit, else the symbol's last price) is its commitment; the order
// is rejected (insufficient_buying_power) when that exceeds buying power. Closing a position
// is always allowed. With no last price yet the reference is 0: the venue cannot price the
// order and lets it through (risk's no_reference_price check covers that case).
//
// Cancels and replaces take effect when submitted (only their replies carry the latency), a
// replace gets a fresh latency before it may match again and keeps its extreme and trigger.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <optional>
#include <vector>

#include "keel/adapters/sim_venue/sim_venue_config.hpp"
#include "keel/adapters/sim_venue/split_mix64.hpp"
#include "keel/engine/pipeline/stage.hpp"

namespace keel::adapters {

// A resting order as the venue holds it. The first block is what the open-order query (restart
// recovery) reports; the rest is matching state.
struct SimOrder {
    std::uint64_t order_id = 0;
    engine::SymbolId symbol = engine::kNoSymbol;
    engine::Side side = engine::Side::none;
    engine::OrderType type = engine::OrderType::market;
    engine::TimeInForce tif = engine::TimeInForce::day;
    engine::OrderRole role = engine::OrderRole::none;
    std::uint16_t strategy = 0;  // the order's header.aux, copied onto every reply
    engine::Price price{};       // limit price
    engine::Price stop_price{};  // trigger, or trail distance for trailing stops
    engine::Quantity quantity{};
    engine::Quantity filled{};

    std::int64_t submit_ns = 0;   // when the venue took it (or its last replace)
    std::int64_t active_ns = 0;   // submit_ns + latency: the first market time it may match
    bool triggered = false;       // stop, stop-limit, trailing: the trigger has been hit
    bool has_extreme = false;     // trailing: extreme holds a price
    engine::Price extreme{};      // trailing: best price since activation (sell: highest)
    engine::Quantity open_qty{};  // the unfilled part that opens or extends a position
    engine::Price reference{};    // the price its commitment is valued at
    engine::Money commitment{};   // open_qty x reference, held against buying power

    [[nodiscard]] engine::Quantity leaves() const noexcept { return quantity - filled; }
};

class SimVenue final : public engine::Venue {
  public:
    // Allocates everything here; submit and on_market_data never allocate.
    explicit SimVenue(engine::ReplySink& replies, const SimVenueConfig& config = {},
                      std::uint64_t seed = 0);

    void submit(const engine::Event& order_sent) noexcept override;
    void on_market_data(const engine::Event& event) noexcept override;

    // The most replies one call (one submit or one on_market_data) can post: resting capacity
    // plus max_fills_per_event. A submit posts one ack or reject for a new order, a replace or
    // a cancel (a new order priced by alerts: its ack, then at most a fill or an ioc/fok
    // cancel), and a mass cancel one venue_cancel per resting order (at most capacity). A
    // market event posts at most max_fills_per_event fills, plus at most one cancel per
    // resting order (ioc remainders, fok cancels); a session_close timer one expiry per
    // resting order. Across a run, cancels and expiries total at most the orders ever
    // accepted, so a ring that holds the in-flight orders' replies, max_fills_per_event per
    // in-flight market event, and this bound, never fills.
    [[nodiscard]] std::size_t max_replies_per_event() const noexcept {
        return max_replies_per_event(config_);
    }
    // The same bound from a configuration, for sizing the reply ring before the venue exists.
    [[nodiscard]] static std::size_t max_replies_per_event(const SimVenueConfig& config) noexcept {
        return config.resting_capacity + config.max_fills_per_event;
    }

    // Resting orders, ascending by order id: what the venue would answer to an open-order
    // query after a restart. Valid until the next submit or on_market_data.
    [[nodiscard]] std::span<const SimOrder> open_orders() const noexcept { return orders_; }
    // The same, as the engine's open-order query (Venue::query_open_orders).
    [[nodiscard]] std::optional<std::vector<engine::VenueOpenOrder>> query_open_orders()
        const override {
        std::vector<engine::VenueOpenOrder> out;
        out.reserve(orders_.size());
        for (const SimOrder& o : orders_)
            out.push_back({o.order_id, o.filled});
        return out;
    }
    [[nodiscard]] std::size_t resting() const noexcept { return orders_.size(); }

    // The venue's own books, for tests and reports.
    [[nodiscard]] engine::Money cash() const noexcept { return cash_; }
    [[nodiscard]] engine::Money buying_power() const noexcept;
    [[nodiscard]] std::int64_t position_raw(engine::SymbolId symbol) const noexcept {
        return symbols_[symbol].position_raw;
    }
    // Open venue-wide (session timers without a symbol), and open for one symbol (its own
    // session timers: each symbol may follow its own session).
    [[nodiscard]] bool is_open() const noexcept { return open_; }
    [[nodiscard]] bool is_open(engine::SymbolId symbol) const noexcept {
        return open_ && (symbol >= symbols_.size() || !symbols_[symbol].closed);
    }
    [[nodiscard]] const SimVenueConfig& config() const noexcept { return config_; }

    // New-order client ids submitted more than once: always a bug (a restart must never send
    // an order twice), so the venue counts them instead of trusting the engine. The ids seen
    // are kept in a fixed open-addressing table (kSeenIdSlots); ids beyond its load limit are
    // not checked and counted in unchecked_order_ids.
    [[nodiscard]] std::uint64_t duplicate_order_ids() const noexcept { return duplicate_ids_; }
    [[nodiscard]] std::uint64_t unchecked_order_ids() const noexcept { return unchecked_ids_; }
    static constexpr std::size_t kSeenIdSlots = std::size_t{1} << 16;

  private:
    struct SymbolState {
        engine::Price last{};
        std::int64_t position_raw = 0;   // signed
        engine::Money short_proceeds{};  // what opening the open short brought in
        bool closed = false;             // between this symbol's session close and open
        bool market_seen = false;        // it has had market data: alerts no longer price it
    };
    // What one market event offers one order.
    struct Offer {
        bool fill = false;
        engine::Price price{};     // before slippage
        bool limit_bound = false;  // clamp slipped prices to the order's limit
    };

    void new_order(const engine::Event& order, std::int64_t latency_ns) noexcept;
    void note_order_id(std::uint64_t order_id) noexcept;
    void cancel(const engine::Event& request, std::int64_t latency_ns) noexcept;
    void replace(const engine::Event& request, std::int64_t latency_ns) noexcept;
    void mass_cancel(const engine::Event& request, std::int64_t latency_ns) noexcept;
    void expire_day(std::int64_t ts_ns, engine::SymbolId symbol) noexcept;
    // Matches resting orders against one market event (only: just that order; 0: all).
    void match(const engine::Event& md, std::uint64_t only = 0) noexcept;
    // An alert's price as a trade print of a symbol priced by alerts.
    void on_alert_price(const engine::Event& alert) noexcept;
    // Whether alerts price this symbol (fill_at_alert_price and no market data yet).
    [[nodiscard]] bool alert_priced(engine::SymbolId symbol) const noexcept {
        return config_.fill_at_alert_price && !symbols_[symbol].market_seen;
    }
    void update_last(const engine::Event& md) noexcept;

    [[nodiscard]] bool drives_matching(engine::EventType type) const noexcept;
    [[nodiscard]] Offer offer_bar(SimOrder& o, const engine::BarPayload& bar) const noexcept;
    [[nodiscard]] Offer offer_trade(SimOrder& o, engine::Price px) const noexcept;
    [[nodiscard]] Offer offer_quote(SimOrder& o, const engine::QuotePayload& q) const noexcept;
    // The tick rules shared by trades and quotes: px is the price the order would trade at,
    // limit what a limit order gets there (the two kinds of event differ only in that).
    [[nodiscard]] Offer offer_tick(SimOrder& o, engine::Price px, Offer limit) const noexcept;

    // Values and holds the commitment of an order's opening part; false (nothing held) when it
    // does not fit in buying power.
    [[nodiscard]] bool commit(SimOrder& o) noexcept;
    void release(SimOrder& o) noexcept;
    // Whether the venue's cash and proceeds, and the engine's account, can hold this fill
    // (every figure within engine::Account::kMaxMarkValue).
    [[nodiscard]] bool bookable(engine::Price price, engine::Quantity qty,
                                engine::Money fee) const noexcept;
    void apply_fill(SimOrder& o, engine::Price price, engine::Quantity qty,
                    engine::Money fee) noexcept;

    [[nodiscard]] SimOrder* find(std::uint64_t order_id) noexcept;
    void erase(const SimOrder* o) noexcept;
    void reply(engine::EventType type, const SimOrder& o, std::int64_t ts_ns,
               engine::OrderStatus status, engine::Reason reason,
               engine::OrderAction action) noexcept;
    void reject(const engine::Event& request, std::int64_t ts_ns, engine::Reason reason) noexcept;

    engine::ReplySink& replies_;
    SimVenueConfig config_;
    SplitMix64 rng_;
    std::vector<SimOrder> orders_;  // sorted by order id; capacity reserved, never grows
    std::vector<SymbolState> symbols_;
    engine::Money cash_{};
    engine::Money short_proceeds_{};  // sum over symbols
    engine::Money committed_{};       // sum of resting orders' commitments
    bool open_ = true;
    std::vector<std::uint64_t> seen_ids_;  // kSeenIdSlots, 0 = empty (no order id is 0)
    std::size_t seen_count_ = 0;
    std::uint64_t duplicate_ids_ = 0;
    std::uint64_t unchecked_ids_ = 0;
};

}  // namespace keel::adapters
