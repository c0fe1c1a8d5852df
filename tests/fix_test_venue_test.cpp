// The FIX test venue over a real loopback socket, driven by a bare FIX initiator (the shim) on
// this one thread: its answers to every request, its account, and its faults.
#include "fix_test_support.hpp"
#include "keel/adapters/fix/fix_test_venue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace keel;
using adapters::fix::FixEndpoint;
using adapters::fix::FixHandler;
using adapters::fix::FixMessage;
using adapters::fix::FixSessionSettings;
using adapters::fix::FixTestVenue;
using adapters::fix::FixTestVenueOptions;

namespace {

class Client final : public FixHandler {
  public:
    void on_logon() override { ++logons; }
    void on_logout() override { ++logouts; }
    void on_app_message(const FixMessage& m) override { received.push_back(m); }
    int logons = 0;
    int logouts = 0;
    std::vector<FixMessage> received;
};

std::string field(const FixMessage& m, int tag) {
    const std::string* v = m.find(tag);
    return v != nullptr ? *v : "<absent>";
}

class FixTestVenueTest : public test::FixVenueFixture {
  protected:
    void close_clients() override { client_.reset(); }
    void poll_clients() override {
        std::string error;
        if (client_)
            client_->poll(error);
        EXPECT_EQ(error, "");
    }

    void start(const adapters::fix::FixVenueFaults& faults = {}) {
        open_venue(faults);
        std::string error;
        FixSessionSettings s;
        s.sender_comp_id = "KEEL";
        s.target_comp_id = "VENUE";
        s.store_dir = (dir_ / "keel").string();
        s.port = venue_->port();
        s.reconnect_s = 1;
        client_ = FixEndpoint::create(FixEndpoint::Role::initiator, s, keel_, error);
        ASSERT_NE(client_, nullptr) << error;
        ASSERT_TRUE(pump([&] { return client_->logged_on(); }));
    }

    // Sends and waits for n more messages back.
    void send_and_wait(const FixMessage& m, std::size_t n) {
        const std::size_t before = keel_.received.size();
        std::string error;
        ASSERT_TRUE(client_->send(m, error)) << error;
        ASSERT_TRUE(pump([&] { return keel_.received.size() >= before + n; }));
    }

    Client keel_;
    std::unique_ptr<FixEndpoint> client_;
};

FixMessage new_order(const std::string& id, const std::string& side, const std::string& qty,
                     const std::string& type, const std::string& price = "") {
    FixMessage m;
    m.msg_type = "D";
    m.add(11, id).add(55, "MSFT").add(54, side).add(60, "20261207-08:00:00.000");
    m.add(38, qty).add(40, type).add(59, "0");
    if (!price.empty())
        m.add(44, price);
    return m;
}

FixMessage cancel(const std::string& id, const std::string& orig) {
    FixMessage m;
    m.msg_type = "F";
    m.add(11, id).add(41, orig).add(55, "MSFT").add(54, "1").add(38, "10");
    m.add(60, "20261207-08:00:00.000");
    return m;
}

}  // namespace

TEST_F(FixTestVenueTest, AMarketOrderIsAcceptedThenFilledAndBookedInTheVenuesAccount) {
    start();
    send_and_wait(new_order("K1", "1", "10", "1"), 1);
    trade(100);  // market orders fill at the next trade
    ASSERT_TRUE(pump([&] { return keel_.received.size() >= 2; }));
    const FixMessage& ack = keel_.received[0];
    EXPECT_EQ(field(ack, 150), "0");
    EXPECT_EQ(field(ack, 11), "K1");
    const FixMessage& fill = keel_.received[1];
    EXPECT_EQ(field(fill, 150), "F");
    EXPECT_EQ(field(fill, 39), "2");
    EXPECT_EQ(field(fill, 32), "10");
    EXPECT_EQ(field(fill, 31), "100");
    EXPECT_EQ(field(fill, 14), "10");
    EXPECT_EQ(field(fill, 151), "0");
    EXPECT_EQ(field(fill, 37), field(ack, 37));
    EXPECT_NE(field(fill, 17), field(ack, 17));
    EXPECT_EQ(venue_->books().position_raw(0), engine::Quantity::from_units(10).raw);
    EXPECT_NE(venue_->account_json().find(R"("MSFT":"10")"), std::string::npos)
        << venue_->account_json();
}

TEST_F(FixTestVenueTest, AReusedClOrdIdIsRejectedAsADuplicateAndCounted) {
    start();
    send_and_wait(new_order("K1", "1", "10", "2", "90"), 1);
    send_and_wait(new_order("K1", "1", "10", "2", "90"), 1);
    const FixMessage& reject = keel_.received.back();
    EXPECT_EQ(field(reject, 150), "8");
    EXPECT_EQ(field(reject, 103), "6");
    EXPECT_EQ(venue_->counters().duplicate_cl_ord_ids, 1u);
    EXPECT_EQ(venue_->orders().size(), 1u);
}

TEST_F(FixTestVenueTest, CancelAndReplaceChainTheirClOrdIdsThroughOrigClOrdId) {
    start();
    send_and_wait(new_order("K1", "1", "10", "2", "90"), 1);  // rests below the market
    FixMessage replace;
    replace.msg_type = "G";
    replace.add(11, "K2").add(41, "K1").add(55, "MSFT").add(54, "1").add(38, "20");
    replace.add(40, "2").add(44, "95").add(59, "0").add(60, "20261207-08:00:00.000");
    send_and_wait(replace, 1);
    const FixMessage& replaced = keel_.received.back();
    EXPECT_EQ(field(replaced, 150), "5");
    EXPECT_EQ(field(replaced, 11), "K2");
    EXPECT_EQ(field(replaced, 41), "K1");
    EXPECT_EQ(field(replaced, 38), "20");
    EXPECT_EQ(field(replaced, 44), "95");
    send_and_wait(cancel("K3", "K2"), 1);
    const FixMessage& canceled = keel_.received.back();
    EXPECT_EQ(field(canceled, 150), "4");
    EXPECT_EQ(field(canceled, 39), "4");
    EXPECT_EQ(field(canceled, 11), "K3");
    EXPECT_EQ(field(canceled, 41), "K2");
    // The order is gone: cancelling it again is refused with OrderCancelReject.
    send_and_wait(cancel("K4", "K2"), 1);
    EXPECT_EQ(keel_.received.back().msg_type, "9");
    EXPECT_EQ(field(keel_.received.back(), 434), "1");
}

TEST_F(FixTestVenueTest, AStatusRequestAnswersTheOrdersStateOrUnknownOrder) {
    start();
    send_and_wait(new_order("K1", "1", "10", "2", "90"), 1);
    FixMessage status;
    status.msg_type = "H";
    status.add(11, "K1").add(55, "MSFT").add(54, "1");
    send_and_wait(status, 1);
    EXPECT_EQ(field(keel_.received.back(), 150), "I");
    EXPECT_EQ(field(keel_.received.back(), 39), "0");
    EXPECT_EQ(field(keel_.received.back(), 151), "10");
    FixMessage unknown;
    unknown.msg_type = "H";
    unknown.add(11, "NOPE").add(55, "MSFT").add(54, "1");
    send_and_wait(unknown, 1);
    EXPECT_EQ(field(keel_.received.back(), 150), "I");
    EXPECT_EQ(field(keel_.received.back(), 39), "8");
    EXPECT_EQ(field(keel_.received.back(), 103), "5");
    EXPECT_EQ(venue_->counters().unknown_orders, 1u);
}

TEST_F(FixTestVenueTest, AMalformedOrderIsRejectedWithAReasonAndCounted) {
    start();
    send_and_wait(new_order("K1", "1", "abc", "1"), 1);
    EXPECT_EQ(field(keel_.received.back(), 150), "8");
    EXPECT_NE(field(keel_.received.back(), 58).find("OrderQty"), std::string::npos);
    EXPECT_EQ(venue_->counters().malformed, 1u);
}

TEST_F(FixTestVenueTest, TheDropFaultCutsTheConnectionAndReportsArriveAfterTheReconnect) {
    adapters::fix::FixVenueFaults faults;
    faults.drop_after = 1;
    start(faults);
    std::string error;
    ASSERT_TRUE(client_->send(new_order("K1", "1", "10", "1"), error)) << error;
    ASSERT_TRUE(pump([&] { return venue_->counters().drops == 1 && client_->logged_on(); }));
    trade(100);
    ASSERT_TRUE(pump([&] { return keel_.received.size() >= 2; }));
    EXPECT_EQ(venue_->counters().drops, 1u);
    EXPECT_EQ(keel_.logons, 2);
    EXPECT_EQ(field(keel_.received[1], 150), "F");
}

TEST_F(FixTestVenueTest, TheDuplicateFaultSendsTheSameExecutionReportTwice) {
    adapters::fix::FixVenueFaults faults;
    faults.duplicate_every = 2;
    start(faults);
    send_and_wait(new_order("K1", "1", "10", "1"), 1);
    trade(100);
    ASSERT_TRUE(pump([&] { return keel_.received.size() >= 3; }));
    EXPECT_EQ(field(keel_.received[1], 17), field(keel_.received[2], 17));
    EXPECT_EQ(venue_->counters().duplicated_reports, 1u);
}

TEST_F(FixTestVenueTest, TheRejectLogonFaultNeverLetsTheClientLogOn) {
    adapters::fix::FixVenueFaults faults;
    faults.reject_logon = true;
    open_venue(faults);
    std::string error;
    FixSessionSettings s;
    s.sender_comp_id = "KEEL";
    s.target_comp_id = "VENUE";
    s.store_dir = (dir_ / "keel").string();
    s.port = venue_->port();
    client_ = FixEndpoint::create(FixEndpoint::Role::initiator, s, keel_, error);
    ASSERT_NE(client_, nullptr) << error;
    ASSERT_TRUE(pump([&] { return venue_->counters().refused_logons > 0 && keel_.logouts > 0; }));
    EXPECT_EQ(keel_.logons, 0);
}

// An order the venue never received (sent into a connection the venue had just dropped) comes
// again as a PossDup resend after the reconnect: the venue ages it from its OrigSendingTime,
// not the resend's SendingTime, and counts it late when that is more than max_order_age_ms.
// The client is not polled (so cannot reconnect) until the limit has passed since it sent the
// order: the resend is older than the limit by construction, not by the machine's speed.
TEST_F(FixTestVenueTest, APossDupResendOlderThanTheLimitIsCountedLate) {
    adapters::fix::FixVenueFaults faults;
    faults.drop_after = 1;
    max_order_age_ms_ = 100;
    start(faults);
    std::string error;
    ASSERT_TRUE(client_->send(new_order("K1", "1", "10", "2", "90"), error)) << error;
    const auto venue_only = [&](const std::function<bool()>& done) {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!done() && std::chrono::steady_clock::now() < give_up)
            venue_->poll(error);
        return done();
    };
    ASSERT_TRUE(venue_only([&] { return venue_->counters().drops == 1; }));
    // The client has not seen the drop yet: K2 goes into the closed connection and is lost.
    ASSERT_TRUE(client_->send(new_order("K2", "1", "10", "2", "90"), error)) << error;
    const auto sent = std::chrono::system_clock::now();
    ASSERT_TRUE(venue_only(
        [&] { return std::chrono::system_clock::now() - sent > std::chrono::milliseconds(150); }));
    ASSERT_TRUE(pump([&] { return venue_->arrivals().size() >= 2; }));

    const adapters::fix::FixOrderArrival& resent = venue_->arrivals()[1];
    EXPECT_EQ(resent.cl_ord_id, "K2");
    EXPECT_TRUE(resent.poss_dup);
    EXPECT_GT(resent.arrived_ns - resent.first_sent_ns, 100'000'000);
    // Every arrival older than the limit is counted, and only those: K2 always, K1 only on a
    // machine that took more than 100 ms to carry it over loopback.
    std::uint64_t older = 0;
    for (const adapters::fix::FixOrderArrival& a : venue_->arrivals())
        older += (a.arrived_ns - a.first_sent_ns) / 1'000'000 > 100 ? 1 : 0;
    EXPECT_GE(older, 1u);
    EXPECT_EQ(venue_->counters().late_orders, older);
    EXPECT_GE(venue_->counters().max_order_age_ms, 150);
    EXPECT_NE(venue_->account_json().find(R"("late_orders":)" + std::to_string(older)),
              std::string::npos)
        << venue_->account_json();
}
