// FixTestVenue: the FIX 4.4 counterparty keel's tests and demos trade against (`keel
// fix-venue`). A QuickFIX acceptor (fix_session.hpp) whose matching is the simulated venue's
// (sim_venue.hpp: the same rules, the same config), fed the market data it is given. It keeps
// its own account (orders by ClOrdID, fills, cash and positions: the simulator's books) so a
// test can compare keel's journal with it, and counts what a correct client never does: a
// ClOrdID used twice, a cancel or replace for an order it does not know.
//
// Messages: NewOrderSingle (D), OrderCancelRequest (F), OrderCancelReplaceRequest (G),
// OrderStatusRequest (H), OrderMassStatusRequest (AF), answered with ExecutionReports (8: New, Trade, Canceled, Replaced,
// Rejected, Expired, OrderStatus, Restated) and OrderCancelReject (9). A duplicate ClOrdID is
// rejected (OrdRejReason 6); a status request for an order it does not know is answered
// OrdStatus Rejected with OrdRejReason 5 (unknown order).
//
// Arrival times: every NewOrderSingle, cancel and replace it receives is recorded with the time
// it arrived and the time the client first sent it (SendingTime 52, or OrigSendingTime 122 on a
// PossDup resend); one that arrived more than max_order_age_ms after it was first sent is counted
// late (a client must never deliver a stale order after a reconnect).
//
// Faults (FixVenueFaults), each counted: drop the connection after every N application
// messages received; drop or duplicate every Nth execution report; hold every report back for
// a while; reject logons; restate every Nth accepted order; reset the sequence numbers after N
// messages; answer every status request as unknown; hold an order another client placed; drop
// the connection and ask for the last message again at the next logon (a resend, which the
// venue ignores when it has the request: PossDupFlag and a ClOrdID it knows).
//
// One thread: poll() turns the FIX session, sends reports whose delay has passed, and every
// callback runs inside it; on_market_data is called on the same thread. Reads the wall clock
// (it is a counterparty, not a stage).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keel/adapters/fix/fix_session.hpp"
#include "keel/adapters/sim_venue/sim_venue.hpp"
#include "keel/engine/core/symbol_table.hpp"

namespace keel::adapters::fix {

struct FixVenueFaults {
    std::uint64_t drop_after = 0;          // drop the connection after every N app messages in
    std::uint64_t drop_report_every = 0;   // never send every Nth execution report
    std::uint64_t duplicate_every = 0;     // send every Nth execution report twice
    std::int64_t delay_ms = 0;             // hold every report back this long
    bool reject_logon = false;             // refuse every logon
    std::uint64_t restate_every = 0;       // restate every Nth accepted order (ExecType D)
    std::uint64_t reset_after = 0;         // reset sequence numbers after N app messages in
    bool unknown_status = false;           // answer every status request: unknown order
    // Hold an order no client of this session sent: 1 a limit buy of 1 at 0.0001 (never fills),
    // 2 a limit buy of 3 at 101 of which 1 already filled at 101 (its rest fills at 101).
    std::uint32_t foreign_order = 0;
    std::uint64_t resend_after = 0;        // drop after every N app messages in, asking for
                                           // the last again at the next logon (a resend)
};

struct FixTestVenueCounters {
    std::uint64_t messages_in = 0;        // application messages received
    std::uint64_t reports_sent = 0;
    std::uint64_t duplicate_cl_ord_ids = 0;  // a ClOrdID seen before (a client bug)
    std::uint64_t unknown_orders = 0;     // a cancel, replace or status for an unknown order
    std::uint64_t malformed = 0;          // a message missing or garbling a field
    std::uint64_t late_orders = 0;        // arrived more than max_order_age_ms after first sent
    std::int64_t max_order_age_ms = 0;    // the largest arrival - first sent seen
    std::uint64_t drops = 0, dropped_reports = 0, duplicated_reports = 0, restated = 0,
                  resets = 0, logons = 0, refused_logons = 0;
    std::uint64_t resends_ignored = 0;    // PossDup resends of requests the venue has
};

struct FixTestVenueOptions {
    FixSessionSettings session;  // acceptor settings (port 0: any free port)
    SimVenueConfig matching;     // the simulator's rules
    FixVenueFaults faults;
    std::int64_t max_order_age_ms = 0;  // an order arriving later is counted late; 0: off
};

// A NewOrderSingle, cancel or replace as it arrived.
struct FixOrderArrival {
    std::string msg_type;
    std::string cl_ord_id;
    bool poss_dup = false;
    std::int64_t first_sent_ns = 0;  // SendingTime, or OrigSendingTime on a PossDup resend
    std::int64_t arrived_ns = 0;
};

// One order as the venue's account holds it.
struct FixVenueOrder {
    std::string cl_ord_id;       // the current one (a replace moves it)
    std::string first_cl_ord_id;
    std::string order_id;        // the venue's OrderID
    std::string symbol;
    engine::Side side = engine::Side::none;
    engine::OrderType type = engine::OrderType::market;
    engine::TimeInForce tif = engine::TimeInForce::day;
    engine::Price price{}, stop_price{};
    engine::Quantity quantity{}, filled{};
    engine::i128 filled_notional = 0;  // sum of raw price * raw quantity
    char ord_status = 'A';         // FIX OrdStatus
    std::string pending_cl_ord_id; // a cancel or replace in flight
    engine::Event pending{};       // its request, for the replace ack's new fields
};

class FixTestVenue final : private FixHandler, private engine::ReplySink {
  public:
    FixTestVenue(FixTestVenueOptions options, engine::SymbolTable symbols);
    ~FixTestVenue() override;

    // Opens the acceptor (binds on the first poll).
    bool open(std::string& error);
    // One turn: the session, due reports. False once stopped.
    bool poll(std::string& error);
    // A trade, quote or bar the matching sees (its symbol in the table given), stamped with
    // the wall clock as it arrives.
    void on_market_data(const engine::Event& event);
    void stop();

    [[nodiscard]] int port() const;
    [[nodiscard]] bool logged_on() const;
    [[nodiscard]] const FixTestVenueCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] const std::map<std::string, FixVenueOrder>& orders() const noexcept {
        return orders_by_first_;
    }
    [[nodiscard]] const std::vector<FixOrderArrival>& arrivals() const noexcept {
        return arrivals_;
    }
    [[nodiscard]] const SimVenue& books() const noexcept { return *sim_; }
    [[nodiscard]] const engine::SymbolTable& symbols() const noexcept { return symbols_; }
    // The account as JSON: cash, positions, fills, orders (every one, and open_orders: those
    // still working), counters.
    [[nodiscard]] std::string account_json() const;

  private:
    struct Outgoing {
        std::chrono::steady_clock::time_point due;
        FixMessage message;
    };

    // FixHandler
    void on_logon() override;
    void on_logout() override {}
    void on_app_message(const FixMessage& message) override;
    bool accept_logon(const FixMessage& logon, std::string& reason) override;
    // ReplySink: the simulator's answers, turned into reports.
    void post(const engine::Event& reply) noexcept override;

    void on_new_order(const FixMessage& m);
    void on_cancel(const FixMessage& m);
    void on_replace(const FixMessage& m);
    void on_status(const FixMessage& m);
    engine::Event* begin_request(const FixMessage& m, int response_to, bool has_qty);
    void after_message();
    void record_arrival(const FixMessage& m);
    FixVenueOrder* by_cl_ord_id(const std::string& id);
    // An execution report of the order's state; orig: OrigClOrdID (a cancel's or replace's).
    void report(FixVenueOrder& o, char exec_type, const std::string& cl_ord_id,
                const std::string& orig = {}, const std::vector<FixField>& extra = {});
    void on_mass_status(const FixMessage& m);
    void place_foreign_order();
    void fill_report(FixVenueOrder& o, const engine::FillPayload& fill);
    void cancel_reject(const FixMessage& request, const std::string& orig, int response_to,
                       const std::string& text);
    void reject_new(const FixMessage& m, int reason, const std::string& text);
    void queue(FixMessage m);
    void flush_due();

    FixTestVenueOptions options_;
    engine::SymbolTable symbols_;
    std::unique_ptr<SimVenue> sim_;
    std::unique_ptr<FixEndpoint> endpoint_;
    FixTestVenueCounters counters_;
    std::map<std::string, FixVenueOrder> orders_by_first_;     // by the first ClOrdID
    std::map<std::string, std::string> first_of_;              // every ClOrdID -> first
    std::map<std::uint64_t, std::string> first_by_internal_;   // simulator id -> first ClOrdID
    std::map<std::string, std::uint64_t> internal_by_first_;
    std::deque<Outgoing> outgoing_;
    std::uint64_t next_internal_ = 1;
    std::uint64_t next_exec_ = 1;
    std::uint64_t reports_made_ = 0;
    std::uint64_t accepted_ = 0;
    std::uint64_t since_drop_ = 0;
    std::uint64_t since_reset_ = 0;
    std::uint64_t since_resend_ = 0;
    std::vector<std::string> fills_;  // one JSON object each
    std::vector<FixOrderArrival> arrivals_;
};

}  // namespace keel::adapters::fix
