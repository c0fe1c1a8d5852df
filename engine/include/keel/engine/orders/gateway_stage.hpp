// GatewayStage: the last stage. It turns approved order requests into order_sent events and
// hands them to the venue (write-ahead: order_sent is journaled first), keeps an OrderBook of
// what it sent and reports every change of it as an order_state event (an illegal change as an
// engine_alert, not applied), runs engine-side brackets and OCO groups, answers the kill switch
// with one mass cancel, echoes risk rejects back to ingest as order_denied inputs (so strategies
// learn of them in sequence) and tracks fills into the account. It feeds every market-data and
// timer event, and every alert with a price, to the venue, for venues that simulate matching
// and expiry (a simulator may price a symbol that has no market data by its alerts).
//
// Brackets: a strategy emits a bracket as up to three order_requests caused by one event: the
// entry (make_order_id(seq, 0), role entry), its stop_loss (k=1) and take_profit (k=2). The
// entry is sent at once; the two children are held here (not sent) until the entry is
// completely filled, then both are sent. If the entry ends without filling (canceled, rejected,
// expired) the children are dropped (order_state canceled, reason parent_not_filled). When one
// exit fills completely its sibling is canceled (reason oco_sibling_filled); standalone OCO
// pairs (role oco, ids k and k^1) are sent together and cancel each other the same way. Links
// follow from ids and roles alone (order_id.hpp), and roles are in every order event, so replaying
// the input stream from the start rebuilds the same book, held children and decisions.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/engine/orders/account.hpp"
#include "keel/engine/pipeline/emit_buffer.hpp"
#include "keel/engine/pipeline/event_log.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "keel/engine/pipeline/stage.hpp"

namespace keel::engine {

class GatewayStage final : public Stage {
  public:
    static constexpr std::size_t kDefaultOrderCapacity = 4096;
    // The kill switch drops every held child in the same input (one order_state each), next to
    // the forwarded command, the mass cancel and its order_state; the emit budget of one input
    // (kStageEmitBudget) bounds how many children may be held at once.
    static constexpr std::size_t kMaxHeldChildren = kStageEmitBudget - 4;
    // Orders held unsent at a restart (hold_sends_from) that one session_resume refuses, next
    // to the forwarded input, within the emit budget of one input; more are refused at once.
    static constexpr std::size_t kMaxUnsent = kStageEmitBudget - 2;

    GatewayStage(Venue& venue, ReplySink& replies, std::size_t symbol_capacity,
                 std::size_t order_capacity = kDefaultOrderCapacity,
                 std::size_t held_capacity = kMaxHeldChildren, Money starting_cash = Money{});

    [[nodiscard]] std::string_view name() const noexcept override { return "gateway"; }
    // Handles the event, then every kStateHashEvery inputs journals a hash of its state.
    void on_event(const Event& event, Emit& out) noexcept override;
    // Journal order_sent (before the venue sees the order), order_state and engine_alert here
    // (optional).
    void set_log(EventLog* log) noexcept { log_ = log; }
    // The account this gateway trades (config `accounts`; 0 with one): stamped in its
    // engine_alert and state_hash records and in its mass cancel's id. Cold.
    void set_account(std::uint8_t index) noexcept { account_index_ = index; }
    // Several gateways journaling into one stream (one per account, AccountStages) count
    // their records together, so hold_sends_from's thresholds count the stream's records.
    // Cold; `counter` must outlive the stage.
    void share_record_count(std::uint64_t* counter) noexcept { records_ = counter; }

    // Cash, positions, P&L, round trips and the equity curve (sampled at every fill and bar).
    [[nodiscard]] const Account& account() const noexcept { return account_; }
    // Cold, before the session runs: how the account samples equity and how many samples and
    // round trips it holds (the session sizes them from its data; Account::reserve_records).
    void reserve_records(EquitySampling sampling, std::size_t round_trips,
                         std::size_t equity_points) {
        account_.reserve_records(sampling, round_trips, equity_points);
    }
    // Cold, before and after the run only: a live session's record keeper hands the account's
    // records off and back through it (Account::hand_records_to, take_back_records).
    [[nodiscard]] Account& account_for_records() noexcept { return account_; }
    [[nodiscard]] const OrderBook& orders() const noexcept { return book_; }
    // Bracket children waiting for their entry to fill (order_request events, ascending by id).
    [[nodiscard]] const std::vector<Event>& held_children() const noexcept { return held_; }
    [[nodiscard]] std::uint64_t orders_sent() const noexcept { return orders_sent_; }
    [[nodiscard]] std::uint64_t fills() const noexcept { return fills_; }
    [[nodiscard]] std::uint64_t risk_rejects() const noexcept { return risk_rejects_; }
    [[nodiscard]] std::uint64_t venue_rejects() const noexcept { return venue_rejects_; }
    [[nodiscard]] std::uint64_t alerts() const noexcept { return alerts_; }
    void write_snapshot(StateSnapshot& s) const noexcept override;

    // Restart recovery (replay/recovery.hpp), and replay of a journal that holds restarts:
    // once this gateway has journaled thresholds[k] records (counted from the session start),
    // the orders it would send are held (neither sent nor journaled) until the k-th
    // session_resume input refuses them (Reason::unsent_at_restart): orders a crash kept from
    // being sent are never sent late. Ascending. Cold: set before the first event.
    void hold_sends_from(std::vector<std::uint64_t> thresholds);
    // Orders held now (hold_sends_from).
    [[nodiscard]] std::size_t unsent_held() const noexcept { return unsent_.size(); }
    // After a restart's re-derivation held nothing: the last threshold is dropped, and no
    // session_resume is needed (a replay, which has none, sends the same orders).
    void drop_hold_if_unused() noexcept;

  private:
    [[nodiscard]] bool holding() const noexcept {
        return next_hold_ < hold_from_.size() && *records_ >= hold_from_[next_hold_];
    }
    void on_resume(const Event& resume, Emit& out) noexcept;
    void handle(const Event& event, Emit& out) noexcept;
    [[nodiscard]] std::uint64_t state_hash() const noexcept;
    std::uint64_t inputs_seen_ = 0;
    void on_request(const Event& request, Emit& out) noexcept;
    void on_reply(const Event& reply, Emit& out) noexcept;
    // Echoes risk's reject to ingest and cancels an unfilled entry whose exit risk refused.
    void on_risk_reject(const Event& reject, Emit& out) noexcept;
    void on_kill(const Event& command, Emit& out) noexcept;
    // Journals `order` as order_sent, applies it to the book, reports the new state and hands
    // it to the venue. `cause` supplies the sequence and time. False if it was not sent.
    bool send(const Event& order, const Event& cause, Emit& out) noexcept;
    void cancel_sibling(const OrderRecord& filled, const Event& cause, Emit& out) noexcept;
    // Sends (parent filled) or drops (parent ended otherwise) the held children of `parent`.
    void release_children(const OrderRecord& parent, const Event& cause, Emit& out) noexcept;
    // Journals order_state rejected for `order` (stamped with `cause` when given, else with the
    // order's own sequence and time) and echoes the denial to ingest.
    void refuse(const Event& order, Reason reason, Emit& out,
                const Event* cause = nullptr) noexcept;
    void emit_state(const Event& cause, const Transition& t, Reason reason, Emit& out) noexcept;
    void emit_dropped(const Event& child, const Event& cause, Reason reason, Emit& out) noexcept;
    [[nodiscard]] Event alert_event(const Event& cause, std::uint64_t order_id,
                                    Reason reason) noexcept;
    void emit_alert(const Event& cause, const Transition& t, Reason reason, Emit& out) noexcept;
    // Marks the account at a market price; a refused mark is alerted (mark_out_of_range).
    void mark(const Event& event, Price price, Emit& out) noexcept;
    // A fill or mark the account refused for range: an engine alert with its figures.
    void emit_money_alert(const Event& cause, Reason reason, Price price, Quantity quantity,
                          std::uint64_t order_id, Emit& out) noexcept;
    bool journaled_emit(const Event& e, Emit& out) noexcept;

    Venue& venue_;
    const bool venue_sends_later_;  // an adapter on its own thread: its own venue_sent point
    ReplySink& replies_;
    Account account_;
    OrderBook book_;
    std::vector<Event> held_;  // capacity reserved up front; ascending by order id
    std::vector<std::uint64_t> hold_from_;
    std::size_t next_hold_ = 0;
    std::vector<Event> unsent_;  // capacity kMaxUnsent, reserved up front
    // Journaled (or, without a log, would have been) since start: own_records_, or the count
    // shared by the gateways of one stream (share_record_count).
    std::uint64_t own_records_ = 0;
    std::uint64_t* records_ = &own_records_;
    std::uint8_t account_index_ = 0;
    std::uint64_t orders_sent_ = 0;
    std::uint64_t fills_ = 0;
    std::uint64_t risk_rejects_ = 0;
    std::uint64_t venue_rejects_ = 0;
    std::uint64_t alerts_ = 0;
    EventLog* log_ = nullptr;
};

}  // namespace keel::engine
