// The Alpaca venue adapter against the local Alpaca-compatible server over real loopback TLS
// (REST and the trade_updates stream), the adapter polled on this thread as its adapter thread
// polls it, the server on its own: what it posts to ingest before and once it is ready, after a
// restart with an order that filled meanwhile, for a POST that never gets an answer, duplicate
// events, a dropped stream, a replace, orders and positions it never made; and that the keys
// reach no tail and no log line.
#include "keel/adapters/alpaca/alpaca_venue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "keel/adapters/alpaca/alpaca_test_server.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "venue_test_support.hpp"

using namespace keel;
using adapters::alpaca::AlpacaServerFaults;
using adapters::alpaca::AlpacaServerOptions;
using adapters::alpaca::AlpacaTestServer;
using adapters::alpaca::AlpacaVenue;
using adapters::alpaca::AlpacaVenueOptions;
using engine::Event;
using engine::EventType;
using engine::VenueState;
using test::Capture;
using test::order_sent;

namespace {

constexpr const char* kKeyId = "PKTESTKEYID0123456789";
constexpr const char* kSecret = "test-secret-key-0123456789abcdefghijklmn";

class AlpacaVenueTest : public ::testing::Test {
  protected:
    void TearDown() override {
        keel_.reset();
        stop_server();
        if (HasFailure()) {
            for (const std::string& line : log_)
                std::cerr << "  keel log: " << line << "\n";
        }
    }
    // participation: the share of a trade's size fills may take (0: the whole order fills).
    void open_server(const AlpacaServerFaults& faults = {}, engine::Ratio participation = {}) {
        AlpacaServerOptions o;
        o.cert_file = std::string(KEEL_SOURCE_DIR) + "/tests/data/tls/localhost.crt";
        o.key_file = std::string(KEEL_SOURCE_DIR) + "/tests/data/tls/localhost.key";
        o.key_id = kKeyId;
        o.secret_key = kSecret;
        o.matching.mode = adapters::MatchMode::ticks;
        o.matching.participation = participation;
        o.faults = faults;
        engine::SymbolTable symbols(2);
        (void)symbols.intern("AAPL");
        server_ = std::make_unique<AlpacaTestServer>(o, std::move(symbols));
        const auto error = server_->open();
        ASSERT_FALSE(error) << *error;
        thread_ = std::thread([this] { server_->run(); });
    }
    void stop_server() {
        if (!server_ || !thread_.joinable())
            return;
        server_->stop();
        thread_.join();
    }
    // A keel adapter (not started: submit records only until on_thread_start).
    void make_keel(Capture& out, bool adopt_unknown = false) {
        AlpacaVenueOptions o;
        const std::string host = "localhost:" + std::to_string(server_->port());
        o.config.base_url = "https://" + host;
        o.config.stream_url = "wss://" + host + "/stream";
        o.config.ca_file = std::string(KEEL_SOURCE_DIR) + "/tests/data/tls/localhost.crt";
        o.config.key_id = kKeyId;
        o.config.secret_key = kSecret;
        o.config.request_timeout_ms = 400;
        o.config.account_poll_ms = 0;
        o.config.adopt_unknown = adopt_unknown;
        o.venue_id_prefix = 12345;
        o.symbols = {"AAPL"};
        keel_ = std::make_unique<AlpacaVenue>(
            o, out, [this](std::string_view line) { log_.emplace_back(line); });
    }
    // A restarted adapter: the journal so far (what `before` captured) restored into it, its
    // order_sent events recorded before its thread starts, as a restart re-runs the journal.
    void restart_keel(const Capture& before, Capture& out, const std::vector<Event>& sent) {
        keel_.reset();
        make_keel(out);
        Event start = engine::make_event(EventType::session_start, engine::Source::engine, 1, 1, 0);
        start.payload.session.venue_id_prefix = 12345;
        keel_->restore(start, {});
        for (const Event& e : sent)
            keel_->submit(e);
        for (const auto& [e, tail] : before.posted)
            keel_->restore(e, tail);
    }
    void trade(std::int64_t units, std::int64_t size = 1000) {
        Event t = engine::make_event(EventType::trade, engine::Source::feed, 0, 1, 0);
        t.payload.trade.price = engine::Price::from_units(units);
        t.payload.trade.size = engine::Quantity::from_units(size);
        server_->post_market_data(t);
    }
    // Polls the adapter until done holds (the deadline is a hang guard, not a timing check).
    bool pump(const std::function<bool()>& done) {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < give_up) {
            if (keel_)
                (void)keel_->poll();
            if (done())
                return true;
            std::this_thread::yield();
        }
        return false;
    }
    // The server's account after it has stopped.
    std::string final_account() {
        stop_server();
        return server_->account_json();
    }

    std::unique_ptr<AlpacaTestServer> server_;
    std::thread thread_;
    std::unique_ptr<AlpacaVenue> keel_;
    std::vector<std::string> log_;
};

std::size_t states(const Capture& c, VenueState s) {
    std::size_t n = 0;
    for (const auto& [e, tail] : c.posted)
        n += e.header.type == EventType::venue_status && e.payload.venue_status.state == s;
    return n;
}

}  // namespace

TEST_F(AlpacaVenueTest, OrdersAreRefusedUntilReadyThenTradeWithAlpacasIdsInTheTails) {
    open_server();
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_NE(out.last(EventType::venue_status), nullptr);
    EXPECT_EQ(out.last(EventType::venue_status)->payload.venue_status.state,
              VenueState::disconnected);
    keel_->submit(order_sent(5));  // not ready: refused at once, never kept to be sent late
    ASSERT_EQ(out.count(EventType::venue_reject), 1u);
    EXPECT_EQ(out.last(EventType::venue_reject)->payload.order.reason,
              engine::Reason::venue_disconnected);
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    EXPECT_EQ(out.count(EventType::venue_account), 1u);  // the reconciliation's GET /v2/account
    keel_->submit(order_sent(9));
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 1; }));
    trade(100);
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_fill) == 1; }));
    const Event& fill = *out.last(EventType::venue_fill);
    EXPECT_EQ(fill.payload.fill.order_id, engine::make_order_id(9, 0));
    EXPECT_EQ(fill.payload.fill.quantity, engine::Quantity::from_units(10));
    EXPECT_EQ(fill.payload.fill.price, engine::Price::from_units(100));
    EXPECT_NE(fill.payload.fill.flags & engine::kFillFinal, 0);
    const std::string& tail = out.posted.back().second;
    EXPECT_NE(tail.find("aid="), std::string::npos) << tail;
    EXPECT_NE(tail.find("eid="), std::string::npos) << tail;
    EXPECT_EQ(keel_->open_orders(), 0u);
    // The stream's new event after the POST's answer added nothing: one ack, one fill.
    EXPECT_EQ(out.count(EventType::venue_ack), 1u);
    keel_.reset();
    EXPECT_EQ(final_account().find("\"max_orders_per_client_id\":2"), std::string::npos);
    EXPECT_EQ(server_->counters().max_orders_per_client_id, 1u);
}

TEST_F(AlpacaVenueTest, ARestartAsksAboutItsOpenOrderAndJournalsTheFillItMissedOnce) {
    open_server();
    Capture first;
    make_keel(first);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return first.ready(); }));
    const Event sent = order_sent(9, engine::OrderType::limit, 90);
    keel_->submit(sent);
    ASSERT_TRUE(pump([&] { return first.count(EventType::venue_ack) == 1; }));
    keel_.reset();  // keel is gone (a crash): the order fills while it is away
    trade(85);
    Capture second;
    restart_keel(first, second, {sent});
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return second.ready(); }));
    ASSERT_EQ(second.count(EventType::venue_fill), 1u);
    const Event& fill = *second.last(EventType::venue_fill);
    EXPECT_EQ(fill.payload.fill.quantity, engine::Quantity::from_units(10));
    EXPECT_EQ(fill.payload.fill.price, engine::Price::from_units(90));  // the limit's price
    EXPECT_EQ(second.last(EventType::venue_status)->payload.venue_status.resolved, 1u);
    EXPECT_EQ(states(second, VenueState::order_reconciled), 1u);
    EXPECT_EQ(states(second, VenueState::position_mismatch), 0u);  // the fill made them equal
    EXPECT_EQ(keel_->open_orders(), 0u);
}

TEST_F(AlpacaVenueTest, APostThatIsPlacedButNeverAnsweredIsLookedUpNotSentAgain) {
    AlpacaServerFaults f;
    f.accept_then_hang_every = 1;
    open_server(f);
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9, engine::OrderType::limit, 90));
    // The stream's new event acks it; the POST's timeout is journaled, and nothing is asked or
    // sent again for an order Alpaca has named.
    ASSERT_TRUE(pump([&] { return states(out, VenueState::request_outcome) == 1; }));
    EXPECT_EQ(out.count(EventType::venue_ack), 1u);
    EXPECT_EQ(keel_->counters().in_doubt.load(), 1u);
    EXPECT_EQ(keel_->counters().reposted.load(), 0u);
    ASSERT_EQ(states(out, VenueState::request_outcome), 1u);
    keel_.reset();
    (void)final_account();
    EXPECT_EQ(server_->counters().orders_placed, 1u);
    EXPECT_EQ(server_->counters().max_orders_per_client_id, 1u);
}

TEST_F(AlpacaVenueTest, DuplicatedFillEventsAreJournaledOnce) {
    AlpacaServerFaults f;
    f.duplicate_every = 1;
    f.partial_fills = 2;
    open_server(f);
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9));
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 1; }));
    trade(100);
    ASSERT_TRUE(pump([&] { return keel_->open_orders() == 0; }));
    EXPECT_EQ(out.count(EventType::venue_fill), 2u);  // two executions of 5, each once
    EXPECT_GT(keel_->counters().duplicates.load(), 0u);
}

TEST_F(AlpacaVenueTest, ADroppedStreamStopsNewOrdersUntilReconciledAndLosesNoFill) {
    AlpacaServerFaults f;
    f.stream_drop_after = 1;  // the stream closes after each event: no replay
    open_server(f);
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9));
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 1; }));
    // The new event dropped the stream: disconnected, then reconciled back to ready.
    ASSERT_TRUE(pump([&] { return states(out, VenueState::disconnected) >= 2 && out.ready(); }));
    trade(100);  // fills: the fill event, then the stream drops again
    ASSERT_TRUE(pump([&] {
        return keel_->open_orders() == 0 && states(out, VenueState::disconnected) >= 3 &&
               out.ready();
    }));
    EXPECT_EQ(out.count(EventType::venue_fill), 1u);
    EXPECT_EQ(keel_->counters().disconnects.load(), 2u);
}

TEST_F(AlpacaVenueTest, AReplaceFollowsAlpacasNewOrderAndItsFillsCountFromTheReplacement) {
    open_server();
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9, engine::OrderType::limit, 90));
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 1; }));
    Event replace = order_sent(9, engine::OrderType::limit, 95);
    replace.payload.order.action = engine::OrderAction::replace;
    keel_->submit(replace);
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 2; }));
    const Event& ack = *out.last(EventType::venue_ack);
    EXPECT_EQ(ack.payload.order.action, engine::OrderAction::replace);
    EXPECT_EQ(ack.payload.order.price, engine::Price::from_units(95));
    EXPECT_EQ(ack.payload.order.quantity, engine::Quantity::from_units(10));
    trade(93);
    ASSERT_TRUE(pump([&] { return keel_->open_orders() == 0; }));
    ASSERT_EQ(out.count(EventType::venue_fill), 1u);
    EXPECT_EQ(out.last(EventType::venue_fill)->payload.fill.quantity,
              engine::Quantity::from_units(10));
}

TEST_F(AlpacaVenueTest, APartFilledOrdersReplacementIsSentWhatIsLeftAndItsFillsAddUp) {
    open_server({}, engine::Ratio::from_units(1));  // a trade fills at most its own size
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    keel_->submit(order_sent(9, engine::OrderType::limit, 90));
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 1; }));
    trade(85, 4);  // 4 of the 10 fill
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_fill) == 1; }));
    ASSERT_EQ(out.last(EventType::venue_fill)->payload.fill.quantity,
              engine::Quantity::from_units(4));
    Event replace = order_sent(9, engine::OrderType::limit, 95);
    replace.payload.order.action = engine::OrderAction::replace;
    keel_->submit(replace);  // keel's terms: 10 in all; Alpaca's replacement: the 6 left
    ASSERT_TRUE(pump([&] { return out.count(EventType::venue_ack) == 2; }));
    EXPECT_EQ(out.last(EventType::venue_ack)->payload.order.quantity,
              engine::Quantity::from_units(10));
    trade(93);
    ASSERT_TRUE(pump([&] { return keel_->open_orders() == 0; }));
    ASSERT_EQ(out.count(EventType::venue_fill), 2u);
    const Event& second = *out.last(EventType::venue_fill);
    EXPECT_EQ(second.payload.fill.quantity, engine::Quantity::from_units(6));
    EXPECT_EQ(second.payload.fill.price, engine::Price::from_units(95));
    EXPECT_NE(second.payload.fill.flags & engine::kFillFinal, 0);
    keel_.reset();
    const std::string account = final_account();
    EXPECT_NE(account.find(R"("AAPL":"10")"), std::string::npos) << account;
}

TEST_F(AlpacaVenueTest, AnOrderItNeverSentRefusesTheVenueUnlessAdopted) {
    AlpacaServerFaults f;
    f.foreign_order = 1;
    open_server(f);
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return states(out, VenueState::refused) == 1; }));
    EXPECT_EQ(states(out, VenueState::foreign_order), 1u);
    keel_->submit(order_sent(9));
    ASSERT_NE(out.last(EventType::venue_reject), nullptr);
    EXPECT_EQ(out.last(EventType::venue_reject)->payload.order.reason,
              engine::Reason::venue_disconnected);
    Capture adopted;
    keel_.reset();
    make_keel(adopted, true);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return adopted.ready(); }));
    const Event* ack = adopted.last(EventType::venue_ack);
    ASSERT_NE(ack, nullptr);
    EXPECT_EQ(ack->payload.order.reason, engine::Reason::foreign_order);
    EXPECT_TRUE(engine::is_adopted_order_id(ack->payload.order.order_id));
    EXPECT_EQ(keel_->counters().adopted.load(), 1u);
}

TEST_F(AlpacaVenueTest, AHoldingTheJournalDoesNotKnowIsJournaledAsAPositionMismatch) {
    open_server();
    Capture first;
    make_keel(first);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return first.ready(); }));
    keel_->submit(order_sent(9));
    ASSERT_TRUE(pump([&] { return first.count(EventType::venue_ack) == 1; }));
    trade(100);
    ASSERT_TRUE(pump([&] { return keel_->open_orders() == 0; }));
    EXPECT_EQ(states(first, VenueState::position_mismatch), 0u);
    // A new journal on the same account: the 10 bought above are a holding it never made.
    Capture out;
    keel_.reset();
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return out.ready(); }));
    ASSERT_EQ(states(out, VenueState::position_mismatch), 1u);
    const auto& rec = *std::find_if(out.posted.rbegin(), out.posted.rend(), [](const auto& p) {
        return p.first.header.type == EventType::venue_status &&
               p.first.payload.venue_status.state == VenueState::position_mismatch;
    });
    EXPECT_EQ(rec.first.payload.venue_status.reason, engine::Reason::position_mismatch);
    EXPECT_EQ(rec.first.header.symbol, 0u);
    EXPECT_NE(rec.second.find("symbol=AAPL"), std::string::npos) << rec.second;
    EXPECT_NE(rec.second.find("broker=10"), std::string::npos) << rec.second;
    EXPECT_NE(rec.second.find("journal=0"), std::string::npos) << rec.second;
    EXPECT_EQ(keel_->counters().position_mismatches.load(), 1u);
}

TEST_F(AlpacaVenueTest, TheKeysReachNoTailAndNoLogLine) {
    AlpacaServerFaults f;
    f.accept_then_hang_every = 2;
    f.foreign_order = 1;
    open_server(f);
    Capture out;
    make_keel(out);
    keel_->on_thread_start();
    ASSERT_TRUE(pump([&] { return states(out, VenueState::refused) == 1; }));
    ASSERT_FALSE(log_.empty());
    for (const auto& [e, tail] : out.posted) {
        EXPECT_EQ(tail.find(kKeyId), std::string::npos) << tail;
        EXPECT_EQ(tail.find(kSecret), std::string::npos) << tail;
    }
    for (const std::string& line : log_) {
        EXPECT_EQ(line.find(kKeyId), std::string::npos) << line;
        EXPECT_EQ(line.find(kSecret), std::string::npos) << line;
    }
}
