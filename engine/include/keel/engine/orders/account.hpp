// Account: cash, positions with average cost, realized and unrealized P&L, fees, the equity
// curve and round-trip trades, from fills and marks. Fixed-point throughout; every product
// through 128 bits, so results are exact to the last decimal (9 places).
//
// All storage is reserved before the session runs (Account's constructor, reserve_records):
// a backtest sizes the equity curve and the round-trip list from its data, so it keeps every
// sample and every trip without allocating on the hot path. A live session (span unknown) hands
// its records instead to a cold keeper (hand_records_to: bounded SPSC rings, replay's
// RecordKeeper appending them to growable storage); a record the ring cannot take yet waits in
// the account's small pending buffer and goes with the next one, and take_back_records puts the
// whole record back once the run has stopped. Should a bound still be passed (a backtest whose
// strategies closed more trips than its data has events; a keeper starved of every slot), the
// account keeps counting (totals stay exact) and reports how many records it could not keep
// (the journal still has everything).
//
// Equity sampling (EquitySampling, config `metrics.equity_sampling`): at bar closes (a point per
// bar time, after every bar of that time marked the account; several symbols' bars at one time
// make one point) or daily (a point per UTC day with events, its equity at the day's last
// event, stamped with the day's midnight). closed_curve() adds the point for the end of the run.
//
// Rounding. Every notional (price * quantity) is computed in 128 bits and truncated toward
// zero to Money's 9 decimals, once per fill. A position carries its cost basis as Money (the
// signed notional paid to open it: positive for a long, negative for a short) rather than only
// an average price, and a reduction takes the closed share of that basis, cost * closed / held,
// truncated toward zero. So the residue of every division stays in the basis, a position closed
// to flat realizes exactly its proceeds minus its cost, and these hold exactly, to the last
// decimal, after every fill and mark:
//
//   cash + cost_basis_total == starting_cash + realized          (fees are inside realized)
//   equity - starting_cash  == realized + unrealized             (unrealized = value - basis)
//
// average_price (basis / quantity, truncated) is derived for display. Realized P&L on a
// reduction equals (exit - average) * quantity exactly whenever the average is exact; when it
// is not, the basis keeps the remainder the truncated average drops, and the remainder is
// realized with the last closing fill instead of being lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "keel/assert.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/pipeline/spsc_ring.hpp"

namespace keel::engine {

struct PositionState {
    std::int64_t quantity_raw = 0;  // signed, 9 decimals
    Price average_price{};          // of the open quantity: cost_basis / quantity, truncated
    Money cost_basis{};             // signed notional paid for the open quantity (short < 0)
    Money realized{};               // after fees
    Money fees{};
    Price last_price{};  // the last market-data mark (a fill price until the first mark)
    std::int64_t last_ts_ns = 0;
    std::int64_t opened_ns = 0;  // when the current position opened (0 when flat)
    std::uint64_t fills = 0;

    // market_value() - cost_basis: what closing at the last price would realize before fees.
    [[nodiscard]] Money unrealized() const noexcept;
    [[nodiscard]] Money market_value() const noexcept;  // signed quantity * last price
};

// One round trip: from flat to flat (or to a reversal) in one symbol. A fill that reverses a
// position splits its fee between the trip it closes and the one it opens in proportion to
// quantity (the closing share truncated toward zero, the opening share the rest), so the trips'
// P&L always sums to the account's realized P&L.
struct RoundTrip {
    SymbolId symbol = kNoSymbol;
    Side side = Side::none;  // buy = a long trade, sell = a short trade
    std::int64_t entry_ns = 0;
    std::int64_t exit_ns = 0;
    Price entry_price{};  // volume-weighted over the opening fills
    Price exit_price{};   // volume-weighted over the closing fills
    Quantity quantity{};  // the largest size held
    Money pnl{};          // realized, after the fees of its fills; a win when > 0
    Money fees{};
    [[nodiscard]] std::int64_t holding_ns() const noexcept { return exit_ns - entry_ns; }
};

struct EquityPoint {
    std::int64_t ts_ns = 0;
    Money equity{};
};

enum class EquitySampling : std::uint8_t {
    automatic,  // bar when the first market data is a bar, else daily (the default)
    bar,        // a point at each bar time
    daily,      // a point per UTC day
};
// What moves equity, as before_event is told (automatic sampling decides on the first mark).
enum class EquityEvent : std::uint8_t { fill, trade, bar };

class Account {
  public:
    Account(Money starting_cash, std::size_t symbol_capacity,
            std::size_t round_trip_capacity = 1u << 14, std::size_t equity_capacity = 1u << 16,
            EquitySampling sampling = EquitySampling::bar);
    // Cold, before any event: how equity is sampled and how many records to hold (the session
    // sizes them from its data). Records already kept stay. kUnbounded: as many as come, the
    // storage growing as they do (cold readers of a journal only: it allocates).
    void reserve_records(EquitySampling sampling, std::size_t round_trip_capacity,
                         std::size_t equity_capacity);
    // Cold, before any event, after reserve_records (whose capacities then bound the records
    // waiting here for room in the rings): every closed equity point and round trip leaves
    // through these rings, whose consumer must drain them while the account runs. The handoff
    // happens once per record (a point per bar time or day, a trip per close), never per event.
    void hand_records_to(SpscRing<EquityPoint>& points, SpscRing<RoundTrip>& trips) noexcept {
        point_ring_ = &points;
        trip_ring_ = &trips;
    }
    // Cold, once the account's thread and the rings' consumer have both stopped and the rings
    // are drained into points and trips (everything handed off, in order): the account's record
    // becomes those followed by what still waited here. The rings are let go.
    void take_back_records(std::vector<EquityPoint> points, std::vector<RoundTrip> trips);

    // A fill from the order book: symbol inside the table, side buy or sell, quantity > 0 (the
    // order book has validated it, so anything else is a programmer error and asserts). A fee
    // may be negative (a rebate). Returns false, and changes nothing, when a figure the fill
    // moves (a notional, cash, a P&L, a total) would leave kMaxMarkValue: data, not a bug, so
    // the caller alerts rather than aborts (the fill is in the journal either way).
    bool apply_fill(SymbolId symbol, Side side, Price price, Quantity quantity, Money fee,
                    std::int64_t ts_ns) noexcept;
    // Sets the last price; a symbol outside the table (market data for an instrument the
    // account has no slot for) is ignored. Returns false when the mark is refused: the
    // position's value at that price, or the account's totals, would leave kMaxMarkValue (a bad
    // tick against an open position); the mark is counted (marks_refused) and not applied.
    // Inline for the flat case (the price is only remembered): every stage marks every price.
    bool mark(SymbolId symbol, Price price, std::int64_t ts_ns) noexcept {
        if (symbol >= positions_.size())
            return true;
        PositionState& p = positions_[symbol];
        if (p.quantity_raw == 0) {
            // Flat: the price is remembered, no value or total moves.
            p.last_price = price;
            p.last_ts_ns = ts_ns;
            return true;
        }
        return mark_open(p, price, ts_ns);
    }
    // Before an event that can move equity (a mark, a fill) at ts_ns: with daily sampling, the
    // first event of a new day closes the day before. A compare and a store when no day ends.
    void before_event(std::int64_t ts_ns, EquityEvent kind) noexcept {
        if (ts_ns > last_event_ns_)
            last_event_ns_ = ts_ns;
        if (ts_ns >= next_close_ns_)
            close_day(ts_ns, kind);
    }
    // After a bar's mark: with bar sampling, the point at the bar's time (a second bar at the
    // same time updates that point rather than adding one).
    void after_bar(std::int64_t ts_ns) noexcept {
        if (sampling_ == EquitySampling::bar)
            sample_equity(ts_ns);
    }
    // A point (ts, equity()) on the curve: a new one, or the last one updated when it has the
    // same time. Updates the peak and drawdown of the points no longer open.
    void sample_equity(std::int64_t ts_ns) noexcept;
    // Cold (it copies): the curve with the end of the run's point, what every report computes
    // its figures from: the open day (daily) or the last event's time (bar sampling; the last
    // bar's point takes the final equity when it is the last event's time).
    [[nodiscard]] std::vector<EquityPoint> closed_curve() const;
    [[nodiscard]] EquitySampling sampling() const noexcept { return sampling_; }
    // Starts a trading day: day_pnl() counts from here.
    void start_day(std::int64_t ts_ns) noexcept;

    [[nodiscard]] Money starting_cash() const noexcept { return starting_cash_; }
    [[nodiscard]] Money cash() const noexcept { return cash_; }
    [[nodiscard]] Money equity() const noexcept;  // cash + market value of every position
    [[nodiscard]] Money realized() const noexcept { return realized_; }
    [[nodiscard]] Money unrealized() const noexcept;
    [[nodiscard]] Money fees() const noexcept { return fees_; }
    [[nodiscard]] Money gross_exposure() const noexcept;  // sum of |market value|
    [[nodiscard]] Money day_pnl() const noexcept { return equity() - day_start_equity_; }
    // The highest sampled equity (the starting cash before any sample; the last bar point
    // counts while still open).
    [[nodiscard]] Money peak_equity() const noexcept {
        if (sampling_ == EquitySampling::bar && !curve_.empty() &&
            curve_.back().equity > peak_equity_)
            return curve_.back().equity;
        return peak_equity_;
    }
    // The largest peak-to-trough fall of sampled equity, the equity now counted as the point
    // closed_curve() ends with; and the current fall from the peak.
    [[nodiscard]] Money max_drawdown() const noexcept;
    [[nodiscard]] Money drawdown() const noexcept;
    [[nodiscard]] Money day_start_equity() const noexcept { return day_start_equity_; }
    [[nodiscard]] std::int64_t day_start_ns() const noexcept { return day_start_ns_; }
    // Sum of every position's signed cost basis and market value (kept incrementally, O(1)).
    [[nodiscard]] Money cost_basis() const noexcept { return cost_total_; }
    [[nodiscard]] Money market_value() const noexcept { return value_total_; }

    [[nodiscard]] const PositionState& position(SymbolId symbol) const noexcept {
        KEEL_ASSERT(symbol < positions_.size(), "position of a symbol outside the table");
        return positions_[symbol];
    }
    // The round trip in progress in symbol (side none when flat): exit fields cover the
    // closing fills so far, pnl the realized P&L so far after fees.
    [[nodiscard]] RoundTrip open_round_trip(SymbolId symbol) const noexcept;
    [[nodiscard]] std::size_t symbol_capacity() const noexcept { return positions_.size(); }
    // The kept records (while records are handed off: only those still waiting here).
    [[nodiscard]] const std::vector<RoundTrip>& round_trips() const noexcept { return trips_; }
    [[nodiscard]] std::uint64_t round_trip_count() const noexcept { return trip_count_; }
    [[nodiscard]] std::uint64_t winning_round_trips() const noexcept { return wins_; }
    [[nodiscard]] std::uint64_t round_trips_dropped() const noexcept { return trips_dropped_; }
    [[nodiscard]] std::size_t round_trip_capacity() const noexcept { return trip_capacity_; }
    [[nodiscard]] const std::vector<EquityPoint>& equity_curve() const noexcept { return curve_; }
    [[nodiscard]] std::size_t equity_capacity() const noexcept { return curve_capacity_; }
    [[nodiscard]] std::uint64_t equity_points_dropped() const noexcept { return curve_dropped_; }
    // Marks refused because the position's value would leave Money's range (see mark()).
    [[nodiscard]] std::uint64_t marks_refused() const noexcept { return marks_refused_; }
    // A hash (hash_mix) of cash, totals and every touched position (quantity, cost basis, realized,
    // fees, last price): equal for equal account states, whatever the order they were reached in.
    [[nodiscard]] std::uint64_t state_hash(std::uint64_t seed) const noexcept;
    // The largest market value (and total) a mark may produce: a quarter of Money's range,
    // leaving room for cash and P&L sums.
    static constexpr std::int64_t kMaxMarkValue = INT64_MAX / 4;
    static constexpr std::size_t kUnbounded = SIZE_MAX;

  private:
    // mark() of an open position: its value and the account's totals move.
    bool mark_open(PositionState& p, Price price, std::int64_t ts_ns) noexcept;
    struct OpenTrip;
    struct FillState;
    struct Checked;
    void finish_trip(SymbolId symbol, const OpenTrip& trip, std::int64_t ts_ns) noexcept;
    void close_day(std::int64_t ts_ns, EquityEvent kind) noexcept;
    void settle_point(Money equity) noexcept;  // a point no longer open: peak and drawdown
    // A new point or trip into the reserved storage (first handing off what waits, when records
    // go to a keeper); false, counted, when there is no room.
    bool keep_point(EquityPoint point) noexcept;
    void keep_trip(const RoundTrip& trip) noexcept;

    struct OpenTrip {  // the round trip in progress per symbol
        Side side = Side::none;
        std::int64_t entry_ns = 0;
        i128 entry_cost = 0;  // sum price * qty of opening fills (raw * raw)
        std::int64_t entry_qty = 0;
        i128 exit_cost = 0;
        std::int64_t exit_qty = 0;
        std::int64_t max_qty = 0;
        Money pnl{};
        Money fees{};
    };
    // What a fill moves, copied so that a fill is applied whole or not at all.
    struct FillState {
        PositionState p;
        OpenTrip trip;
        Money cash, fees, realized, cost_total, value_total, gross_total;
        bool trip_closed = false;  // the fill closed the trip below (and may open another)
        OpenTrip closed_trip{};
    };
    static void book_fill(FillState& f, Checked& c, Side side, Price price, Quantity quantity,
                          Money fee, std::int64_t ts_ns) noexcept;

    Money starting_cash_;
    Money cash_;
    Money realized_{};
    Money fees_{};
    Money cost_total_{};
    Money value_total_{};
    Money gross_total_{};
    Money day_start_equity_;
    std::int64_t day_start_ns_ = 0;
    Money peak_equity_;
    Money max_drawdown_{};
    std::size_t trip_capacity_;
    std::size_t curve_capacity_;
    std::vector<PositionState> positions_;
    std::vector<OpenTrip> open_trips_;
    std::vector<RoundTrip> trips_;  // capacity reserved; never grows past it
    std::uint64_t trip_count_ = 0;
    std::uint64_t trips_dropped_ = 0;
    // Live: where closed records go (null in a backtest, which keeps them all here).
    SpscRing<EquityPoint>* point_ring_ = nullptr;
    SpscRing<RoundTrip>* trip_ring_ = nullptr;
    std::uint64_t wins_ = 0;
    std::vector<EquityPoint> curve_;
    std::uint64_t curve_dropped_ = 0;
    EquitySampling sampling_ = EquitySampling::bar;
    // Daily sampling: the start of the day the last event fell in, and of the next (INT64_MAX
    // with bar sampling, so before_event never closes a day; INT64_MIN while automatic sampling
    // waits for its first mark).
    std::int64_t day_open_ns_ = 0;
    std::int64_t next_close_ns_ = INT64_MAX;
    bool day_open_ = false;
    std::int64_t last_event_ns_ = 0;  // the latest event time seen (before_event, bars, fills)
    std::uint64_t marks_refused_ = 0;
};

}  // namespace keel::engine
