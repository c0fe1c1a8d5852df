// RiskStage: pre-trade checks on every order request. It sees every event in sequence order,
// forwards every event that is not an order request, and replaces each order request by
// exactly one decision: the request marked approved (source risk) or a risk_reject with the
// reason of the first check that failed. It fails closed: an input a check needs that is
// missing or stale refuses the order.
//
// Its views are its own, built from the stream: an OrderBook of what it approved (moved by
// venue replies, denials and fills), an Account (positions from fills, marks from market
// data, the trading day from session_open timers; Account's interface, kept small) and per
// symbol the last accepted price (the reference) and the last market-data time.
// So its state, the kill switch included, is rebuilt by replaying the input journal.
//
// The reference price of a symbol is its last accepted price, from market data or from an
// alert's price (alerts pass through every stage, so risk sees each before the orders derived
// from it): an alert's price is the reference unless market data came after it. An alert's
// price is accepted when it lies in the symbol's configured band (RiskStageOptions::bands,
// config symbols[].min_price/max_price) and, when the symbol has a reference that is not stale
// (max_reference_age_ns) and collar_bps is set, within the collar of that reference; the
// first alert of a symbol with no price yet is held to the band only. An alert price that is
// not accepted leaves the reference as it was, and the orders derived from that alert are
// refused with price_collar. Market-data age (max_market_data_age_ns, market_data_stale)
// counts market data only.
//
// Checks, in the order they run (the first failure is the reason):
//   shape (side, type, prices) -> invalid_order; quantity -> non_positive_qty; symbol never
//   defined -> unknown_symbol; off tick -> off_tick_price; kill switch, pause, daily-loss and
//   drawdown halts; restricted symbol; trading hours; market-data age; repeated execution;
//   max_order_qty; reference price (missing / stale); max_order_notional; price collar;
//   max_position; max_open_orders; max_gross_exposure; day-trade limit; duplicate; throttle.
// The throttle runs last so that only requests that go on to the venue take a token.
//
// Cancels of an order risk approved pass (they are throttled, nothing else); unknown ids are
// refused with unknown_order, and a cancel or replace the order's state does not allow (a
// replace before the venue's ack, a second cancel) with invalid_order. Replaces are checked like
// new orders at the new price and quantity, with the replaced order's own open quantity left out of
// the position, open-order and exposure sums.
//
// Modes, each announced by a journaled risk_state event:
// - kill (CommandCode::kill): new orders and replaces refused with kill_switch, cancels pass.
//   arg 1 also flattens: risk emits approved market orders (source risk, header.aux
//   kRiskOwner, ids make_order_id(seq, k) | kRiskOrderIdBit) closing every symbol with a position,
//   at most kMaxOrdersPerEvent per event. It emits them on the kill command and continues on later
//   command events and on the venue replies to its own flatten orders, the events from which
//   no strategy derives orders, so the per-event order budget of a cause sequence is never
//   shared. A flatten order the venue refuses or cancels is retried on the next command only
//   (an operator re-sends kill 1), never in a loop. A later kill 0 does not stop a flatten in
//   progress; unkill lifts the switch and stops flattening. Mass cancels (order id 0) are the
//   gateway's: from a strategy they are refused with unknown_order.
// - pause / resume: pause is reduce-only: a new order or replace that would add exposure is
//   refused with `paused`; one that only reduces a position passes (and goes on through the
//   other checks): a bracket's exits, and an order on the other side of the position whose
//   quantity, with every open order on its side (a bracket's two exits counted once, as only
//   one can fill), is at most the position. Cancels pass as always. Resume lifts the pause and
//   a drawdown halt (re-basing the peak at the current equity, so the halt does not trip again
//   at once).
// - daily-loss halt: when the day's P&L reaches -max_daily_loss (checked after each fill and
//   each mark of a symbol with a position); lifted only by the start of the next trading day,
//   which announces the lift (risk_state daily_loss_halt with the halted flag cleared). The
//   trading day starts at the first session_open timer of a new session day, or, with
//   limits.day_boundary_on, at the first event at or after the day boundary (a local time in
//   the boundary's zone, daylight saving included), before that event is handled.
// - drawdown halt: when equity falls max_drawdown_pct below its peak; lifted by resume.
//   With the control on and no positive peak equity (no starting cash) every new order is
//   refused with drawdown_halt: the drawdown is not defined, so risk fails closed.
//
// Limit changes: limit_stage (param = RiskLimit id, arg = raw value, header.symbol for
// per-symbol limits) changes a staged copy; limit_commit applies the staged copy at once and
// emits risk_state (reason none, value = number of values staged); limit_discard drops it. An
// invalid limit_stage (unknown id or value out of range) emits risk_state with reason
// invalid_order and value = the id, stages nothing, and poisons the batch: the next
// limit_commit applies nothing (risk_state invalid_order, value 0) and drops the batch, so a
// half-valid change is never applied.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "keel/engine/orders/account.hpp"
#include "keel/engine/risk/day_trade_counter.hpp"
#include "keel/engine/risk/duplicate_filter.hpp"
#include "keel/engine/pipeline/event_log.hpp"
#include "keel/engine/risk/fill_window.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/risk/risk_limits.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/risk/token_bucket.hpp"

namespace keel::engine {

// A symbol's price band (config symbols[].min_price / max_price): an alert's price outside it is
// never a reference. max 0: no upper bound.
struct SymbolPriceBand {
    Price min_price{};
    Price max_price{};
};

struct RiskStageOptions {
    std::size_t symbol_capacity = 1024;  // symbol ids at or above are unknown_symbol
    std::size_t order_capacity = 4096;   // live orders risk tracks; beyond: max_open_orders
    Money starting_cash{};               // cash at start (equity, drawdown, PDT)
    // The account this stage checks (config `accounts`; 0 with one): stamped in its
    // risk_state and state_hash records and in its flatten orders' ids (order_id.hpp).
    std::uint8_t account = 0;
    // Per symbol id (shorter: the rest have no band).
    std::vector<SymbolPriceBand> bands{};
    // The account's venue journals its connection (venue_status: FIX, a broker's API): new
    // orders and replaces are refused (venue_disconnected) until it says it is ready. A
    // simulated venue is always there.
    bool venue_reports_status = false;
};

class RiskStage final : public Stage {
  public:
    explicit RiskStage(const RiskLimits& limits, const RiskStageOptions& options = {});

    [[nodiscard]] std::string_view name() const noexcept override { return "risk"; }
    // Handles the event, then every kStateHashEvery inputs journals a hash of its state.
    void on_event(const Event& event, Emit& out) noexcept override;
    // Journal each decision (approval or reject) and risk_state here before emitting it.
    void set_log(EventLog* log) noexcept { log_ = log; }

    [[nodiscard]] std::uint64_t rejects() const noexcept { return rejects_; }
    [[nodiscard]] std::uint64_t approvals() const noexcept { return approvals_; }
    [[nodiscard]] const RiskLimits& limits() const noexcept { return limits_; }
    // kRiskKilled | kRiskPaused | kRiskHalted.
    [[nodiscard]] std::uint8_t flags() const noexcept;
    void write_snapshot(StateSnapshot& s) const noexcept override;
    [[nodiscard]] const OrderBook& book() const noexcept { return book_; }
    [[nodiscard]] const Account& account() const noexcept { return account_; }
    [[nodiscard]] std::int64_t day_trades() const noexcept { return day_trades_.count(); }

  private:
    void handle(const Event& event, Emit& out) noexcept;
    [[nodiscard]] std::uint64_t state_hash() const noexcept;
    std::uint64_t inputs_seen_ = 0;
    struct SymbolState {
        bool defined = false;
        bool traded = false;             // listed in traded_
        bool flatten_failed = false;     // the venue refused or canceled its flatten order
        bool day_trade_counted = false;  // the position opened at opened_ns made a day trade
        std::int64_t tick_raw = 0;       // from symbol_def
        std::int64_t ref_raw = 0;        // last accepted price (market data or alert), 0 = none
        std::int64_t ref_ts_ns = 0;
        bool market_seen = false;        // market data has come (market_ts_ns is its time)
        std::int64_t market_ts_ns = 0;
        std::uint64_t refused_alert_seq = 0;  // the last alert whose price was not accepted
        SymbolPriceBand band{};
        bool feed_stale = false;     // a feed_status said this symbol's data is stale
        std::int64_t opened_ns = 0;  // when the current position opened (from flat or reversal)
        std::uint64_t flatten_order = 0;  // risk's flatten order in flight, 0 = none
        FillWindow fills;
    };
    // What a new order or a replace asks for.
    struct OrderView {
        SymbolId symbol;
        Side side;
        OrderType type;
        Price price;
        Price stop_price;
        Quantity quantity;
        std::int64_t ts_ns;
        // A bracket's stop-loss or take-profit: it can only reduce what its entry opened, so
        // the position, exposure and open-order limits (already applied to the entry) pass it.
        bool bracket_exit = false;
        std::uint64_t cause_seq = 0;  // a new order's cause (an alert whose price was refused)
    };

    void decide(const Event& event, Emit& out) noexcept;
    [[nodiscard]] Reason check_order(const OrderView& o, const OrderRecord* replaced) noexcept;
    [[nodiscard]] Reason check_reference(SymbolId symbol, std::int64_t now_ns,
                                         std::int64_t& ref_raw) const noexcept;
    [[nodiscard]] Reason check_gross(const OrderView& o, const OrderRecord* replaced,
                                     i128 order_product) const noexcept;
    [[nodiscard]] bool day_trade_blocked(const OrderView& o) const noexcept;
    // Whether the order can only take the position toward flat (pause lets those through).
    [[nodiscard]] bool reduces_only(const OrderView& o, const OrderRecord* replaced) const noexcept;
    [[nodiscard]] bool alert_price_accepted(const SymbolState& s, std::int64_t price_raw,
                                            std::int64_t now_ns) const noexcept;

    void on_market_data(const Event& event, Emit& out) noexcept;
    void on_alert(const Event& event) noexcept;
    void on_fill(const Event& event, Emit& out) noexcept;
    void on_order_reply(const Event& event, Emit& out) noexcept;
    void on_timer(const Event& event, Emit& out) noexcept;
    void roll_day_at_boundary(const Event& event, Emit& out) noexcept;
    void start_day(const Event& cause, std::int64_t day_start_ns, Emit& out) noexcept;
    void emit_day_closed(const Event& cause, Emit& out) noexcept;
    void on_command(const Event& event, Emit& out) noexcept;
    void on_feed_status(const Event& event) noexcept;
    void on_venue_status(const Event& event) noexcept;
    void check_breakers(const Event& cause, Emit& out) noexcept;
    void flatten(const Event& cause, bool retry_failed, Emit& out) noexcept;
    void apply_limits(const RiskLimits& limits) noexcept;
    void emit_state(const Event& cause, Reason reason, std::int64_t value, CommandCode command,
                    Emit& out) noexcept;
    [[nodiscard]] bool journal(const Event& event) noexcept {
        return log_ == nullptr || log_->append(event);
    }

    RiskLimits limits_;
    RiskLimits staged_;
    std::int64_t staged_count_ = 0;
    bool staging_ = false;
    bool staged_invalid_ = false;

    OrderBook book_;
    Account account_;
    std::int64_t day_index_ = 0;  // the session day the trading day started on
    bool day_index_known_ =
        false;  // positions, cash, equity, the day's P&L (no curve, no round trips)
    std::vector<SymbolState> symbols_;
    std::vector<SymbolId> traded_;  // symbols with at least one fill, in order of first fill
    TokenBucket throttle_;
    DuplicateFilter duplicates_;
    DayTradeCounter day_trades_;
    std::int64_t day_start_ns_ = INT64_MIN;  // the last session_open; before it all is "today"
    std::uint32_t day_fills_ = 0;            // fills booked since day_start_ns_ (day_closed)
    // With a day boundary: the next one ahead of the last event, INT64_MIN before the first.
    std::int64_t next_boundary_ns_ = INT64_MIN;
    Money peak_equity_{};

    bool killed_ = false;
    bool flattening_ = false;
    bool paused_ = false;
    bool feed_down_ = false;
    bool venue_ready_ = true;  // false while a venue that reports status is not ready
    // The broker reported positions other than the journal's (venue_status
    // position_mismatch): new orders refused until CommandCode::ack_positions.
    bool positions_mismatch_ = false;
    // The broker's account as last journaled (venue_account), for the control API.
    VenueAccountPayload broker_{};
    bool broker_seen_ = false;
    std::array<std::uint64_t, 256>
        rejects_by_reason_{};  // by Reason value, for metrics  // the market-data feed is
                               // disconnected: every symbol is stale
    bool daily_loss_halt_ = false;
    bool drawdown_halt_ = false;

    std::uint64_t rejects_ = 0;
    std::uint64_t approvals_ = 0;
    std::uint8_t account_index_ = 0;
    EventLog* log_ = nullptr;
};

}  // namespace keel::engine
