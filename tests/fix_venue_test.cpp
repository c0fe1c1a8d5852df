// The FIX venue adapter against the FIX test venue over a real loopback socket, both polled on
// this one thread (as the adapter thread polls its session): what it posts to ingest while the
// session is down, once it is ready, after a restart with orders in doubt, and for duplicate
// reports.
#include "keel/adapters/fix/fix_venue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fix_test_support.hpp"
#include "venue_test_support.hpp"
#include "keel/adapters/fix/fix_test_venue.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/orders/venue_id.hpp"

namespace fs = std::filesystem;
using namespace keel;
using adapters::fix::FixTestVenue;
using adapters::fix::FixTestVenueOptions;
using adapters::fix::FixVenue;
using adapters::fix::FixVenueOptions;
using engine::Event;
using engine::EventType;

namespace {

using test::Capture;
using test::order_sent;

class FixVenueTest : public test::FixVenueFixture {
  protected:
    void close_clients() override { keel_.reset(); }
    void poll_clients() override {
        if (keel_)
            (void)keel_->poll();
    }
    // A keel adapter (not started: submit records only until start()).
    void make_keel(Capture& out, bool mass_status = false, std::int64_t max_resend_age_ms = 5000,
                   std::int64_t status_retry_ms = 5000) {
        FixVenueOptions o;
        o.mass_status = mass_status;
        o.adopt_unknown = adopt_unknown_;
        o.max_resend_age_ms = max_resend_age_ms;
        o.status_retry_ms = status_retry_ms;
        o.session.sender_comp_id = "KEEL";
        o.session.target_comp_id = "VENUE";
        o.session.store_dir = (dir_ / "keel").string();
        o.session.port = venue_->port();
        o.session.reconnect_s = 1;
        o.venue_id_prefix = 12345;
        o.symbols = {"MSFT"};
        keel_ = std::make_unique<FixVenue>(o, out);
    }
    // A keel adapter for a restart: made as make_keel does, then the journal's session_start
    // restored (its venue id prefix), before the test restores the rest of the journal.
    void restart_keel(Capture& out, bool mass_status = false) {
        make_keel(out, mass_status);
        Event start = engine::make_event(EventType::session_start, engine::Source::engine, 1, 1, 0);
        start.payload.session.venue_id_prefix = 12345;
        keel_->restore(start, {});
    }
    std::unique_ptr<FixVenue> keel_;
    bool adopt_unknown_ = false;  // make_keel's reconcile.adopt_unknown
};

}  // namespace

TEST_F(FixVenueTest, OrdersAreRefusedUntilTheSessionIsReadyAndThenTradeWithTheVenuesIds) {
    open_venue();
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_NE(out.last(EventType::venue_status), nullptr);
    EXPECT_EQ(out.last(EventType::venue_status)->payload.venue_status.state,
              engine::VenueState::disconnected);
    // Not logged on yet: refused at once, never kept to be sent late.
    keel_->submit(order_sent(5));
    ASSERT_EQ(out.count(EventType::venue_reject), 1u);
    EXPECT_EQ(out.last(EventType::venue_reject)->payload.order.reason,
              engine::Reason::venue_disconnected);
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9));
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 1; }));
    trade(100);
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_fill) == 1; }));
    const Event& fill = *out.last(EventType::venue_fill);
    EXPECT_EQ(fill.payload.fill.order_id, engine::make_order_id(9, 0));
    EXPECT_EQ(fill.payload.fill.quantity, engine::Quantity::from_units(10));
    EXPECT_EQ(fill.payload.fill.price, engine::Price::from_units(100));
    EXPECT_NE(fill.payload.fill.flags & engine::kFillFinal, 0);
    // The reply's tail names the venue's ids.
    const std::string& tail = out.posted.back().second;
    EXPECT_NE(tail.find("37=V"), std::string::npos) << tail;
    EXPECT_NE(tail.find("17=E"), std::string::npos) << tail;
    EXPECT_EQ(venue_->counters().duplicate_cl_ord_ids, 0u);
    EXPECT_EQ(keel_->open_orders(), 0u);
}

TEST_F(FixVenueTest, ARestartAsksAboutEveryOpenOrderAndJournalsWhatFilledWhileAway) {
    adapters::fix::FixVenueFaults faults;
    faults.drop_report_every = 2;  // the ack goes out, the fill's report is lost
    open_venue(faults);
    Capture first;
    make_keel(first);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return first.ready(); }));
    const Event sent = order_sent(9, engine::OrderType::limit, 101);
    keel_->submit(sent);
    ASSERT_TRUE(pump([&] { return first.count(EventType::venue_ack) == 1; }));
    const auto ack = *std::find_if(first.posted.begin(), first.posted.end(), [](const auto& p) {
        return p.first.header.type == EventType::venue_ack;
    });
    // keel dies; the order fills while it is away.
    keel_.reset();
    trade(100);
    ASSERT_TRUE(pump([&] { return venue_->orders().begin()->second.ord_status == '2'; }));
    // The restart re-runs the journal: the order it sent and the venue's ack (with its tail).
    Capture second;
    restart_keel(second);
    keel_->submit(sent);
    keel_->restore(ack.first, ack.second);
    ASSERT_EQ(keel_->open_orders(), 1u);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return second.ready(); }));
    // Reconciling first (new orders refused), then the missed fill, then ready.
    ASSERT_EQ(second.count(EventType::venue_fill), 1u);
    const Event& fill = *second.last(EventType::venue_fill);
    EXPECT_EQ(fill.payload.fill.quantity, engine::Quantity::from_units(10));
    EXPECT_EQ(fill.payload.fill.price, engine::Price::from_units(101));  // a limit fills at it
    EXPECT_NE(fill.payload.fill.flags & engine::kFillFinal, 0);
    EXPECT_EQ(second.last(EventType::venue_status)->payload.venue_status.resolved, 1u);
    // One record for the order reconciled, after its fill and before ready: filled.
    const auto record = std::find_if(second.posted.begin(), second.posted.end(), [](const auto& p) {
        return p.first.header.type == EventType::venue_status &&
               p.first.payload.venue_status.state == engine::VenueState::order_reconciled;
    });
    ASSERT_NE(record, second.posted.end());
    EXPECT_EQ(record->first.payload.venue_status.order_id, engine::make_order_id(9, 0));
    EXPECT_EQ(record->first.payload.venue_status.order_status, engine::OrderStatus::filled);
    EXPECT_EQ(std::count_if(second.posted.begin(), record,
                            [](const auto& p) { return p.first.header.type == EventType::venue_fill; }),
              1);
    bool reconciling_before_fill = false;
    for (const auto& [e, tail] : second.posted) {
        if (e.header.type == EventType::venue_status &&
            e.payload.venue_status.state == engine::VenueState::reconciling)
            reconciling_before_fill = true;
        if (e.header.type == EventType::venue_fill)
            break;
    }
    EXPECT_TRUE(reconciling_before_fill);
    EXPECT_EQ(keel_->open_orders(), 0u);
    EXPECT_EQ(venue_->counters().duplicate_cl_ord_ids, 0u);
}

TEST_F(FixVenueTest, ADuplicatedExecutionReportIsPostedOnce) {
    adapters::fix::FixVenueFaults faults;
    faults.duplicate_every = 1;  // every report twice
    open_venue(faults);
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9));
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 1; }));
    trade(100);
    ASSERT_TRUE(pump([&] { return keel_->counters().duplicates.load() == 2; }));
    EXPECT_EQ(out.count(EventType::venue_ack), 1u);
    EXPECT_EQ(out.count(EventType::venue_fill), 1u);
}

TEST_F(FixVenueTest, ADroppedConnectionRefusesOrdersUntilTheSessionIsBackAndReconciled) {
    adapters::fix::FixVenueFaults faults;
    faults.drop_after = 1;  // the first order in drops the connection
    open_venue(faults);
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9, engine::OrderType::limit, 90));
    ASSERT_TRUE(pump([&] {
        const Event* s = out.last(EventType::venue_status);
        return s->payload.venue_status.state == engine::VenueState::disconnected;
    }));
    keel_->submit(order_sent(13));
    EXPECT_EQ(out.last(EventType::venue_reject)->payload.order.reason,
              engine::Reason::venue_disconnected);
    // Back: the open order is asked about (the venue acked it before dropping), then ready.
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    EXPECT_EQ(out.count(EventType::venue_ack), 1u);
    EXPECT_EQ(keel_->open_orders(), 1u);
    EXPECT_GE(keel_->counters().status_requests.load(), 1u);
}

namespace {

// The venue_status records of one kind, in order.
std::vector<Event> statuses(const Capture& out, engine::VenueState state) {
    std::vector<Event> found;
    for (const auto& [e, tail] : out.posted) {
        if (e.header.type == EventType::venue_status && e.payload.venue_status.state == state)
            found.push_back(e);
    }
    return found;
}

}  // namespace

TEST_F(FixVenueTest, AMassStatusAnswerWithAnOrderTheJournalNeverSentRefusesTrading) {
    adapters::fix::FixVenueFaults faults;
    faults.foreign_order = 1;  // another client's order rests at the venue
    open_venue(faults);
    Capture out;
    make_keel(out, /*mass_status=*/true);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return !statuses(out, engine::VenueState::refused).empty(); }));
    const std::vector<Event> foreign = statuses(out, engine::VenueState::foreign_order);
    ASSERT_EQ(foreign.size(), 1u);
    EXPECT_EQ(foreign[0].payload.venue_status.reason, engine::Reason::foreign_order);
    const auto tail = std::find_if(out.posted.begin(), out.posted.end(), [](const auto& p) {
        return p.first.payload.venue_status.state == engine::VenueState::foreign_order;
    })->second;
    EXPECT_NE(tail.find("11=foreign-1"), std::string::npos) << tail;
    const Event refused = statuses(out, engine::VenueState::refused).back();
    EXPECT_EQ(refused.payload.venue_status.reason, engine::Reason::foreign_order);
    EXPECT_EQ(refused.payload.venue_status.in_doubt, 1u);
    EXPECT_FALSE(out.ready());
    EXPECT_EQ(keel_->counters().foreign_orders.load(), 1u);
    // No order goes out while the venue holds orders keel does not account for.
    keel_->submit(order_sent(9));
    EXPECT_EQ(out.last(EventType::venue_reject)->payload.order.reason,
              engine::Reason::venue_disconnected);
    EXPECT_EQ(venue_->orders().size(), 1u);
}

namespace {

// The kill switch's cancel-all for account 0, as the gateway sends it.
Event mass_cancel(std::uint64_t seq) {
    Event e = engine::make_event(EventType::order_sent, engine::Source::gateway, seq, 1,
                                 engine::kNoSymbol);
    e.payload.order = {};
    e.payload.order.order_id = engine::with_account(0, 0);
    e.payload.order.action = engine::OrderAction::cancel;
    e.payload.order.reason = engine::Reason::kill_switch_cancel;
    return e;
}

// The adoptions among what the adapter posted.
std::vector<std::pair<Event, std::string>> adoptions(const Capture& out) {
    std::vector<std::pair<Event, std::string>> found;
    for (const auto& p : out.posted) {
        if (p.first.header.type == EventType::venue_ack &&
            p.first.payload.order.reason == engine::Reason::foreign_order)
            found.push_back(p);
    }
    return found;
}

}  // namespace

TEST_F(FixVenueTest, WithAdoptUnknownAnOrderTheJournalNeverSentIsAdoptedAndTheVenueIsReady) {
    adapters::fix::FixVenueFaults faults;
    faults.foreign_order = 1;  // another client's limit buy of 1 at 0.0001, GTC, rests there
    open_venue(faults);
    adopt_unknown_ = true;
    Capture out;
    make_keel(out, /*mass_status=*/true);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    EXPECT_TRUE(statuses(out, engine::VenueState::refused).empty());
    EXPECT_TRUE(statuses(out, engine::VenueState::foreign_order).empty());
    const auto adopted = adoptions(out);
    ASSERT_EQ(adopted.size(), 1u);
    const Event& ack = adopted[0].first;
    const engine::OrderPayload& o = ack.payload.order;
    EXPECT_TRUE(engine::is_adopted_order_id(o.order_id));
    EXPECT_EQ(engine::adopted_index(o.order_id), 0u);
    EXPECT_EQ(ack.header.source, engine::Source::venue);
    EXPECT_EQ(ack.header.aux, engine::kAdoptedOwner);
    EXPECT_EQ(ack.header.symbol, 0u);
    EXPECT_EQ(o.side, engine::Side::buy);
    EXPECT_EQ(o.order_type, engine::OrderType::limit);
    EXPECT_EQ(o.tif, engine::TimeInForce::gtc);
    EXPECT_EQ(o.price.to_string(), "0.0001");
    EXPECT_EQ(o.quantity, engine::Quantity::from_units(1));
    EXPECT_EQ(o.status, engine::OrderStatus::accepted);
    EXPECT_NE(adopted[0].second.find("11=foreign-1"), std::string::npos) << adopted[0].second;
    EXPECT_NE(adopted[0].second.find("14=0"), std::string::npos) << adopted[0].second;
    EXPECT_EQ(keel_->counters().adopted.load(), 1u);
    EXPECT_EQ(keel_->counters().foreign_orders.load(), 0u);
    EXPECT_EQ(keel_->open_orders(), 1u);
    // It is keel's now: the kill switch's cancel-all cancels it at the venue by its ClOrdID.
    keel_->submit(mass_cancel(40));
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_cancel) == 1; }));
    EXPECT_EQ(out.last(EventType::venue_cancel)->payload.order.order_id, o.order_id);
    EXPECT_EQ(out.last(EventType::venue_cancel)->payload.order.quantity,
              engine::Quantity::from_units(1));
    EXPECT_EQ(venue_->orders().at("foreign-1").ord_status, '4');
    EXPECT_EQ(keel_->open_orders(), 0u);
    // The cancel is named in keel's namespace (the adopted order's venue id), not after the
    // other client's ClOrdID.
    const std::string keel_id(engine::make_venue_id(12345, o.order_id).view());
    ASSERT_FALSE(venue_->arrivals().empty());
    EXPECT_EQ(venue_->arrivals().back().msg_type, "F");
    EXPECT_EQ(venue_->arrivals().back().cl_ord_id, keel_id + "-1");
}

TEST_F(FixVenueTest, AnAdoptedOrderIsKnownAgainAfterARestartAndNotAdoptedTwice) {
    adapters::fix::FixVenueFaults faults;
    faults.foreign_order = 1;
    open_venue(faults);
    adopt_unknown_ = true;
    Capture first;
    make_keel(first, /*mass_status=*/true);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return first.ready(); }));
    const auto adopted = adoptions(first);
    ASSERT_EQ(adopted.size(), 1u);
    keel_.reset();
    // The restart re-runs the journal: the adoption, with its tail.
    Capture second;
    restart_keel(second, /*mass_status=*/true);
    keel_->restore(adopted[0].first, adopted[0].second);
    ASSERT_EQ(keel_->open_orders(), 1u);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return second.ready(); }));
    EXPECT_TRUE(adoptions(second).empty());
    const std::vector<Event> reconciled = statuses(second, engine::VenueState::order_reconciled);
    ASSERT_EQ(reconciled.size(), 1u);
    EXPECT_EQ(reconciled[0].payload.venue_status.order_id, adopted[0].first.payload.order.order_id);
    EXPECT_EQ(reconciled[0].payload.venue_status.order_status, engine::OrderStatus::accepted);
    EXPECT_TRUE(statuses(second, engine::VenueState::refused).empty());
    // Canceled through keel after the restart: the ClOrdID came back from the journal.
    keel_->submit(mass_cancel(50));
    ASSERT_TRUE(pump([&] { return second.count(EventType::venue_cancel) == 1; }));
    EXPECT_EQ(venue_->orders().at("foreign-1").ord_status, '4');
    EXPECT_EQ(venue_->counters().unknown_orders, 0u);
    EXPECT_EQ(venue_->counters().duplicate_cl_ord_ids, 0u);
}

TEST_F(FixVenueTest, AnAdoptedPartFilledOrderIsKeelsForWhatItHasLeftAcrossARestart) {
    adapters::fix::FixVenueFaults faults;
    faults.foreign_order = 2;  // a limit buy of 3 at 101 that filled 1 before keel logged on
    open_venue(faults);
    adopt_unknown_ = true;
    Capture first;
    make_keel(first, /*mass_status=*/true);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return first.ready(); }));
    const auto adopted = adoptions(first);
    ASSERT_EQ(adopted.size(), 1u);
    EXPECT_EQ(adopted[0].first.payload.order.quantity, engine::Quantity::from_units(2));
    EXPECT_NE(adopted[0].second.find("14=1"), std::string::npos) << adopted[0].second;
    EXPECT_EQ(first.count(EventType::venue_fill), 0u);  // the earlier fill was not keel's
    keel_.reset();
    // A restart: the status answer's CumQty 1 is what the venue filled before: no fill.
    Capture second;
    restart_keel(second, /*mass_status=*/true);
    keel_->restore(adopted[0].first, adopted[0].second);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return second.ready(); }));
    EXPECT_EQ(second.count(EventType::venue_fill), 0u);
    EXPECT_TRUE(adoptions(second).empty());
    // The rest fills: keel's fill is the 2 it adopted, and it completes the order.
    trade(100);
    ASSERT_TRUE(pump([&] { return second.count(EventType::venue_fill) == 1; }));
    const Event& fill = *second.last(EventType::venue_fill);
    EXPECT_EQ(fill.payload.fill.order_id, adopted[0].first.payload.order.order_id);
    EXPECT_EQ(fill.payload.fill.quantity, engine::Quantity::from_units(2));
    EXPECT_EQ(fill.payload.fill.price, engine::Price::from_units(101));
    EXPECT_NE(fill.payload.fill.flags & engine::kFillFinal, 0);
    EXPECT_EQ(fill.header.aux, engine::kAdoptedOwner);
    EXPECT_EQ(keel_->open_orders(), 0u);
    // The venue's order is filled too: 1 before keel, 2 since.
    EXPECT_EQ(venue_->orders().at("foreign-1").ord_status, '2');
}

TEST_F(FixVenueTest, AMassStatusAnswerOfKeelsOwnOrdersEndsReconciliationReady) {
    open_venue();
    Capture first;
    make_keel(first, /*mass_status=*/true);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return first.ready(); }));  // an empty answer (911=0) ends it too
    const Event sent = order_sent(9, engine::OrderType::limit, 90);
    keel_->submit(sent);
    ASSERT_TRUE(pump([&] { return first.count(EventType::venue_ack) == 1; }));
    const auto ack = *std::find_if(first.posted.begin(), first.posted.end(), [](const auto& p) {
        return p.first.header.type == EventType::venue_ack;
    });
    keel_.reset();
    Capture second;
    restart_keel(second, /*mass_status=*/true);
    keel_->submit(sent);
    keel_->restore(ack.first, ack.second);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return second.ready(); }));
    EXPECT_TRUE(statuses(second, engine::VenueState::foreign_order).empty());
    const std::vector<Event> reconciled = statuses(second, engine::VenueState::order_reconciled);
    ASSERT_EQ(reconciled.size(), 1u);
    EXPECT_EQ(reconciled[0].payload.venue_status.order_status, engine::OrderStatus::accepted);
    EXPECT_EQ(keel_->counters().foreign_orders.load(), 0u);
    EXPECT_EQ(keel_->open_orders(), 1u);
}

TEST_F(FixVenueTest, AStaleResendIsGapFilledJournaledAndItsOrderAskedAbout) {
    adapters::fix::FixVenueFaults faults;
    faults.resend_after = 1;  // the first order in: dropped, and asked for again at the logon
    open_venue(faults);
    Capture out;
    make_keel(out, false, /*max_resend_age_ms=*/-1);  // every resend is too old
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9, engine::OrderType::limit, 90));
    ASSERT_TRUE(pump([&] { return !statuses(out, engine::VenueState::disconnected).empty() &&
                                  statuses(out, engine::VenueState::ready).size() == 2; }));
    EXPECT_EQ(keel_->counters().stale_gap_filled.load(), 1u);
    const std::vector<Event> gap = statuses(out, engine::VenueState::resend_gap_filled);
    ASSERT_EQ(gap.size(), 1u);
    EXPECT_EQ(gap[0].payload.venue_status.order_id, engine::make_order_id(9, 0));
    EXPECT_EQ(gap[0].payload.venue_status.reason, engine::Reason::stale_resend);
    // Its order was asked about (the venue has it: accepted) and it was never delivered twice.
    const std::vector<Event> reconciled = statuses(out, engine::VenueState::order_reconciled);
    ASSERT_EQ(reconciled.size(), 1u);
    EXPECT_EQ(reconciled[0].payload.venue_status.order_id, engine::make_order_id(9, 0));
    EXPECT_EQ(venue_->counters().resends_ignored, 0u);
    EXPECT_EQ(venue_->counters().duplicate_cl_ord_ids, 0u);
    EXPECT_EQ(venue_->orders().size(), 1u);
}

TEST_F(FixVenueTest, AFreshResendIsDeliveredAsAPossibleDuplicateAndTheVenueIgnoresIt) {
    adapters::fix::FixVenueFaults faults;
    faults.resend_after = 1;
    open_venue(faults);
    Capture out;
    make_keel(out, false, /*max_resend_age_ms=*/3'600'000);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9, engine::OrderType::limit, 90));
    ASSERT_TRUE(pump([&] { return statuses(out, engine::VenueState::ready).size() == 2 &&
                                  venue_->counters().resends_ignored == 1; }));
    EXPECT_EQ(keel_->counters().resent.load(), 1u);
    EXPECT_TRUE(statuses(out, engine::VenueState::resend_gap_filled).empty());
    EXPECT_EQ(venue_->counters().duplicate_cl_ord_ids, 0u);
}

// An order keel sent into a connection the venue had just dropped is lost. At the next logon the
// venue asks for everything from it on; keel gap-fills it (older than max_resend_age_ms) and,
// in the same gap fill, the TestRequest its reconciliation had just sent, which the venue then
// never answers. Unanswered for status_retry_ms, the TestRequest is sent again: the session
// ends ready, the lost order closed as unknown to the venue, the other one's fill journaled.
TEST_F(FixVenueTest, AReconciliationTestRequestLostInAGapFillIsSentAgain) {
    adapters::fix::FixVenueFaults faults;
    faults.drop_after = 1;
    open_venue(faults);
    Capture out;
    make_keel(out, false, 50, 100);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    const auto venue_only = [&](const std::function<bool()>& done) {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        std::string error;
        while (!done() && std::chrono::steady_clock::now() < give_up)
            venue_->poll(error);
        return done();
    };
    keel_->submit(order_sent(9));  // acked, then the connection dropped
    ASSERT_TRUE(venue_only([&] { return venue_->counters().drops == 1; }));
    keel_->submit(order_sent(13));  // keel has not seen the drop: lost
    ASSERT_EQ(out.count(EventType::venue_reject), 0u);
    const auto sent = std::chrono::steady_clock::now();
    trade(100);  // fills the first order while keel is away
    ASSERT_TRUE(venue_only(
        [&] { return std::chrono::steady_clock::now() - sent > std::chrono::milliseconds(80); }));
    ASSERT_TRUE(pump([&] {
        std::size_t ready = 0;
        for (const auto& [e, tail] : out.posted)
            ready += e.header.type == EventType::venue_status &&
                     e.payload.venue_status.state == engine::VenueState::ready;
        return ready == 2;
    }));
    EXPECT_EQ(keel_->counters().stale_gap_filled.load(), 1u);
    const Event* reject = out.last(EventType::venue_reject);
    ASSERT_NE(reject, nullptr);
    EXPECT_EQ(reject->payload.order.order_id, engine::make_order_id(13, 0));
    EXPECT_EQ(reject->payload.order.reason, engine::Reason::venue_unknown_order);
    EXPECT_EQ(out.count(EventType::venue_fill), 1u);
    EXPECT_EQ(keel_->open_orders(), 0u);
    EXPECT_EQ(venue_->counters().duplicate_cl_ord_ids, 0u);
}

TEST_F(FixVenueTest, AStaleCancelTheVenueNeverSawIsRefusedSoTheOrderIsNotLeftPendingCancel) {
    adapters::fix::FixVenueFaults faults;
    faults.drop_after = 1;  // the order in: the connection dropped
    open_venue(faults);
    Capture out;
    make_keel(out, false, /*max_resend_age_ms=*/-1, /*status_retry_ms=*/100);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    const Event sent = order_sent(9, engine::OrderType::limit, 90);
    keel_->submit(sent);
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 1; }));
    std::string error;
    while (venue_->counters().drops == 0 && venue_->poll(error)) {
    }
    ASSERT_EQ(venue_->counters().drops, 1u);
    // keel has not seen the drop: its cancel goes into the dead connection, lost.
    Event cancel = sent;
    cancel.payload.order.action = engine::OrderAction::cancel;
    keel_->submit(cancel);
    ASSERT_TRUE(pump([&] { return statuses(out, engine::VenueState::ready).size() == 2; }));
    // At the logon the venue asked for it again; too old, it was gap-filled and refused, so the
    // order is working again as the venue holds it (a later cancel-all would cancel it).
    const auto refused = std::find_if(out.posted.begin(), out.posted.end(), [](const auto& p) {
        return p.first.header.type == EventType::venue_reject &&
               p.first.payload.order.reason == engine::Reason::stale_resend;
    });
    ASSERT_NE(refused, out.posted.end());
    EXPECT_EQ(refused->first.payload.order.action, engine::OrderAction::cancel);
    EXPECT_EQ(keel_->open_orders(), 1u);
    EXPECT_EQ(venue_->orders().begin()->second.ord_status, '0');
    EXPECT_EQ(statuses(out, engine::VenueState::resend_gap_filled).size(), 1u);
    EXPECT_EQ(venue_->counters().duplicate_cl_ord_ids, 0u);
}
