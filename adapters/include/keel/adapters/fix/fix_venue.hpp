// FixVenue: keel's orders to a FIX 4.4 counterparty (venue.type "fix"), on the venue adapter's
// thread behind the asynchronous seam (venue/threaded_venue.hpp). The gateway journals each
// order_sent before it reaches submit(); this adapter encodes it (fix_codec.hpp), sends it on
// the QuickFIX session (fix_session.hpp), decodes what the venue answers and posts keel's venue
// replies to ingest, each with a tail that names the venue's ids (the report's ClOrdID 11,
// OrigClOrdID 41, OrderID 37, ExecID 17 and Text 58, as FIX tag=value fields separated by SOH).
//
// Ids. A new order's ClOrdID is its session-unique venue id (orders/venue_id.hpp); the n-th
// cancel or replace of it is that id, '-', n. A cancel and a replace name the order's current
// ClOrdID as OrigClOrdID; an accepted replace makes its own ClOrdID the current one.
//
// State. The adapter keeps a mirror of the gateway's order book for its account (order_sent and
// the replies it posts), the ClOrdIDs of every order and the ExecIDs it has seen: a report is
// found by ClOrdID (or OrigClOrdID, or OrderID for a report the venue sent unprompted), mapped
// with the order as keel knows it, and dropped when its ExecID was seen before (a duplicate or
// a PossDup resend: never a fill twice). At a restart the mirror is rebuilt from the journal
// before the thread starts: submit() records without sending, restore() applies each journaled
// reply of this venue with its tail, in journal order.
//
// Connection (venue_status inputs, so risk refuses new orders until ready, and a replay does
// the same): disconnected until the logon; then reconciling: a TestRequest round trip first
// (every resend the venue asked for on logon is then answered; sent again after a resend
// request or when unanswered for status_retry_ms, as the gap fill answering a resend request
// swallows it), then an OrderStatusRequest for
// every order the mirror holds open, and with mass_status an OrderMassStatusRequest (AF) for
// every order the venue holds; their answers resolve the orders (missed fills journaled in the
// venue's order, unknown orders closed venue_unknown_order), each journaled as one
// venue_status order_reconciled record (the order's state after), and once every one is
// answered, ready (the summary: how many were resolved). A venue order whose ClOrdID this
// journal never sent (the mass status answer's) is journaled as a foreign_order record and
// the venue is refused: no new order goes out while the venue holds orders keel does not
// account for (cancel them at the venue, then restart or reconnect). With adopt_unknown it is
// adopted instead: a venue_ack input (reason foreign_order) under a new id
// (orders/order_id.hpp's make_adopted_order_id), owned by no strategy, with the report's terms
// for what it has left (LeavesQty: fills before the adoption were not keel's); from then on it
// is one of keel's orders (its fills move the account, the kill switch cancels it, a restart
// asks about it). An order keel cannot hold (a symbol it does not trade, a type or TIF it has
// no name for, no ClOrdID) is refused as without adopt_unknown.
// A logout or a dropped connection: disconnected, and the same again at the
// next logon. An order or replace that reaches the adapter while not ready is refused
// (venue_reject, venue_disconnected), never kept to be sent late; so is a cancel while
// disconnected (the reconciliation resolves the order).
//
// Never stale: a message QuickFIX would resend (a resend request) older than
// max_resend_age_ms is gap-filled instead (toApp's DoNotSend), counted and journaled (a
// venue_status resend_gap_filled record naming the order); its order is resolved by the
// status request like any other open order.
//
// Bad input: a report that does not decode, or names no order keel knows, is logged once with
// its fields (never a password: the session's credentials are in the logon only), counted,
// and dropped; the session goes on.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "keel/adapters/fix/fix_codec.hpp"
#include "keel/adapters/fix/fix_session.hpp"
#include "keel/adapters/venue/threaded_venue.hpp"
#include "keel/engine/orders/order_book.hpp"

namespace keel::adapters::fix {

struct FixVenueOptions {
    FixSessionSettings session;          // initiator settings
    std::uint64_t venue_id_prefix = 0;   // the journal's (session_start)
    std::int64_t max_resend_age_ms = 5000;
    std::int64_t status_retry_ms = 5000;  // a status request unanswered this long is asked again
    bool mass_status = false;  // the venue answers OrderMassStatusRequest (AF): ask it too
    bool adopt_unknown = false;  // a venue order keel never sent is adopted, not refused
    std::uint8_t account = 0;
    std::vector<std::string> symbols;    // names by symbol id
    std::size_t order_capacity = 4096;
};

// Counters, read from any thread (/metrics).
struct FixVenueCounters {
    std::atomic<std::uint64_t> sent{0};              // application messages sent
    std::atomic<std::uint64_t> reports{0};           // execution reports and cancel rejects in
    std::atomic<std::uint64_t> duplicates{0};        // reports dropped: ExecID seen before
    std::atomic<std::uint64_t> malformed{0};         // reports that did not decode
    std::atomic<std::uint64_t> unknown_order{0};     // reports about no order keel knows
    std::atomic<std::uint64_t> refused_offline{0};   // requests refused: not connected or ready
    std::atomic<std::uint64_t> stale_gap_filled{0};  // resends older than max_resend_age_ms
    std::atomic<std::uint64_t> resent{0};            // resends within it
    std::atomic<std::uint64_t> logons{0};
    std::atomic<std::uint64_t> disconnects{0};
    std::atomic<std::uint64_t> status_requests{0};
    std::atomic<std::uint64_t> resolved{0};          // orders reconciliation resolved
    std::atomic<std::uint64_t> foreign_orders{0};    // venue orders this journal never sent
                                                     // (refused: not adopted)
    std::atomic<std::uint64_t> adopted{0};           // venue orders adopted (adopt_unknown)
    std::atomic<std::uint64_t> sequence_gaps{0};     // resend requests sent: a message came
                                                     // numbered higher than expected
    std::atomic<std::uint64_t> session_rejects{0};   // messages QuickFIX refused (Reject sent)
};

class FixVenue final : public PolledVenue, private FixHandler {
  public:
    using Log = std::function<void(std::string_view)>;
    FixVenue(FixVenueOptions options, TailReplySink& replies, Log log = {});
    ~FixVenue() override;

    // engine::Venue, on the adapter thread (before the thread starts: recorded, not sent).
    void submit(const engine::Event& order_sent) noexcept override;
    [[nodiscard]] bool sends_on_own_thread() const noexcept override { return true; }

    // Cold, before the thread starts: every journaled input of a continued journal, in order,
    // with its tail (its session_start's id prefix; this account's venue replies).
    void restore(const engine::Event& input, std::string_view tail);

    // PolledVenue, on the adapter thread.
    void on_thread_start() override;
    bool poll() noexcept override;
    void on_thread_stop() noexcept override;

    [[nodiscard]] const FixVenueCounters& counters() const noexcept { return counters_; }
    // Orders the mirror holds open (tests; the adapter thread's view).
    [[nodiscard]] std::size_t open_orders() const noexcept { return book_.open_count(); }

  private:
    struct Ids {
        std::string current;         // the ClOrdID the venue knows the order by
        std::string pending;         // a cancel's or replace's own, in flight
        std::string venue_order_id;  // OrderID 37
        std::uint32_t requests = 0;  // cancels and replaces sent
        engine::Money notional{};    // of the fills posted
        engine::Event replace{};     // the replace in flight (its new terms)
        // An adopted order: what the venue had filled before keel adopted it (CumQty, and
        // CumQty * AvgPx), which the venue's cumulative figures still count.
        engine::Quantity adopted_filled{};
        engine::Money adopted_notional{};
    };
    enum class Link { down, syncing, reconciling, ready, refused };

    // FixHandler
    void on_logon() override;
    void on_logout() override;
    void on_app_message(const FixMessage& message) override;
    bool on_outgoing(const FixMessage& message) override;
    void on_admin(const FixMessage& message) override;
    void on_admin_sent(const FixMessage& message) override;

    std::string record(const engine::Event& e);
    void send_new(const engine::Event& e);
    void send_cancel_or_replace(const engine::Event& e);
    void cancel_all(const engine::Event& e);
    void refuse(const engine::Event& request, engine::Reason reason, std::string_view text);
    bool send(const FixMessage& m, std::string& error);
    void on_report(const FixMessage& m);
    void apply_report(const FixMessage& m);
    void on_cancel_reject(const FixMessage& m);
    std::uint64_t find_order(const FixMessage& m) const;
    KnownOrder known(std::uint64_t order_id) const;
    void post(const engine::Event& e, const FixMessage& from);
    void apply(const engine::Event& e, const FixMessage* from);
    void start_reconciliation();
    void send_sync();
    void ask_status();
    void finish_if_answered();
    void on_mass_report(const FixMessage& m, const std::string& request_id);
    void on_foreign_order(const FixMessage& m, bool closed_here);
    bool adopt(const FixMessage& m, std::string& why);
    void end_mass_status();
    void settle(std::uint64_t order_id, engine::OrderStatus status, engine::Reason reason);
    bool mass_status_refused(const FixMessage& m);
    [[nodiscard]] engine::Event status_event(engine::VenueState state,
                                             engine::Reason reason) const;
    void post_status(engine::VenueState state, engine::Reason reason);
    void post_order_record(engine::VenueState what, std::uint64_t order_id,
                           engine::OrderStatus status, engine::Reason reason,
                           const std::string& tail = {});
    void log(const std::string& what);
    [[nodiscard]] std::string symbol_of(engine::SymbolId id) const;

    FixVenueOptions options_;
    TailReplySink& replies_;
    Log log_;
    std::unique_ptr<FixEndpoint> endpoint_;
    engine::OrderBook book_;
    std::unordered_map<std::uint64_t, Ids> ids_;
    std::unordered_map<std::string, std::uint64_t> by_cl_ord_id_;
    std::unordered_map<std::string, std::uint64_t> by_venue_order_id_;
    std::unordered_set<std::string> exec_ids_;
    std::set<std::uint64_t> awaiting_status_;
    std::chrono::steady_clock::time_point asked_at_{};
    Link link_ = Link::down;
    std::string sync_id_;
    std::uint32_t syncs_ = 0;
    bool resync_ = false;       // a resend request came while syncing: sync again
    std::chrono::steady_clock::time_point synced_at_{};
    std::string mass_id_;       // the OrderMassStatusRequest in flight ("" when none)
    std::uint32_t foreign_ = 0; // venue orders this journal never sent, found by it
    std::set<std::string> foreign_ids_;  // their OrderIDs (each counted once)
    std::uint64_t mass_seen_ = 0;        // reports of the mass status answer so far
    std::uint32_t mass_asked_ = 0;       // mass status requests sent this reconciliation
    std::uint32_t resolved_ = 0;
    std::uint32_t adopted_now_ = 0;  // adopted this reconciliation
    std::uint64_t adopted_ = 0;      // the account's adoptions: the next one's index
    std::uint32_t reconnects_ = 0;
    bool started_ = false;
    FixVenueCounters counters_;
};

}  // namespace keel::adapters::fix
