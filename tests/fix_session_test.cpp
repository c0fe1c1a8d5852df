// The QuickFIX shim over a real loopback socket: an initiator and an acceptor polled in turn on
// this one thread (the shim runs no thread of its own), each with its own file store.
#include "keel/adapters/fix/fix_session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using keel::adapters::fix::FixEndpoint;
using keel::adapters::fix::FixHandler;
using keel::adapters::fix::FixMessage;
using keel::adapters::fix::FixSessionSettings;

namespace {

class Recorder final : public FixHandler {
  public:
    void on_logon() override { ++logons; }
    void on_logout() override { ++logouts; }
    void on_app_message(const FixMessage& m) override { received.push_back(m); }
    bool on_outgoing(const FixMessage& m) override {
        if (m.poss_dup)
            ++resends_asked;
        return !(m.poss_dup && refuse_resends);
    }
    bool accept_logon(const FixMessage& logon, std::string& reason) override {
        const std::string* password = logon.find(554);
        last_password = password != nullptr ? *password : "";
        if (refuse_logon)
            reason = "not today";
        return !refuse_logon;
    }
    void on_admin_sent(const FixMessage& m) override { admin_sent.push_back(m.msg_type); }
    std::vector<std::string> admin_sent;  // session messages this end sent
    int logons = 0;
    int logouts = 0;
    int resends_asked = 0;
    bool refuse_resends = false;
    bool refuse_logon = false;
    std::string last_password;
    std::vector<FixMessage> received;
};

class FixSessionTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("keel_fix_session_" + std::to_string(::testing::UnitTest::GetInstance()
                                                         ->random_seed()) +
                "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        initiator_.reset();
        acceptor_.reset();
        fs::remove_all(dir_);
    }

    FixSessionSettings settings(const std::string& sender, const std::string& target,
                                const std::string& store) const {
        FixSessionSettings s;
        s.sender_comp_id = sender;
        s.target_comp_id = target;
        s.store_dir = (dir_ / store).string();
        s.heartbeat_s = 30;
        s.reconnect_s = 1;
        return s;
    }

    void open_acceptor() {
        std::string error;
        acceptor_ = FixEndpoint::create(FixEndpoint::Role::acceptor,
                                        settings("VENUE", "KEEL", "venue"), venue_, error);
        ASSERT_NE(acceptor_, nullptr) << error;
    }
    void open_initiator(const std::string& password = "") {
        std::string error;
        FixSessionSettings s = settings("KEEL", "VENUE", "keel");
        s.port = acceptor_->port();
        s.password = password;
        initiator_ = FixEndpoint::create(FixEndpoint::Role::initiator, s, keel_, error);
        ASSERT_NE(initiator_, nullptr) << error;
    }

    // Polls both ends until `done`; fails after a generous bound of turns (a hang guard, not a
    // timing check: every step below completes in a few turns when it works).
    bool pump(const std::function<bool()>& done) {
        // A hang guard, not a timing check: each step takes a few turns when it works.
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < give_up) {
            std::string error;
            if (acceptor_)
                acceptor_->poll(error);
            if (initiator_)
                initiator_->poll(error);
            if (!error.empty()) {
                ADD_FAILURE() << error;
                return false;
            }
            if (done())
                return true;
        }
        return false;
    }

    void lose_one_order_at_the_venue(bool refuse_resends);

    fs::path dir_;
    Recorder keel_;
    Recorder venue_;
    std::unique_ptr<FixEndpoint> acceptor_;
    std::unique_ptr<FixEndpoint> initiator_;
};

FixMessage order(const std::string& id) {
    FixMessage m;
    m.msg_type = "D";
    m.add(11, id).add(55, "MSFT").add(54, "1").add(60, "20261207-08:00:00.000");
    m.add(38, "10").add(40, "2").add(44, "101.25").add(59, "0");
    return m;
}

}  // namespace

TEST_F(FixSessionTest, AnOrderCrossesTheSessionWithItsFieldsAndSequenceNumber) {
    open_acceptor();
    open_initiator();
    ASSERT_TRUE(pump([&] { return initiator_->logged_on() && acceptor_->logged_on(); }));
    EXPECT_EQ(keel_.logons, 1);
    std::string error;
    ASSERT_TRUE(initiator_->send(order("ABC1"), error)) << error;
    ASSERT_TRUE(pump([&] { return venue_.received.size() == 1; }));
    const FixMessage& got = venue_.received.front();
    EXPECT_EQ(got.msg_type, "D");
    ASSERT_NE(got.find(11), nullptr);
    EXPECT_EQ(*got.find(11), "ABC1");
    EXPECT_EQ(*got.find(44), "101.25");
    EXPECT_EQ(got.seq_num, 2u);  // after the logon
    EXPECT_FALSE(got.poss_dup);

    FixMessage report;
    report.msg_type = "8";
    report.add(37, "V1").add(17, "E1").add(150, "0").add(39, "0").add(11, "ABC1");
    ASSERT_TRUE(acceptor_->send(report, error)) << error;
    ASSERT_TRUE(pump([&] { return keel_.received.size() == 1; }));
    EXPECT_EQ(*keel_.received.front().find(37), "V1");
}

TEST_F(FixSessionTest, SendingBeforeTheLogonIsRefusedWithAReason) {
    open_acceptor();
    open_initiator();
    std::string error;
    EXPECT_FALSE(initiator_->send(order("ABC1"), error));
    EXPECT_NE(error.find("not logged on"), std::string::npos) << error;
}

TEST_F(FixSessionTest, ARefusedLogonNeverLogsOnAndTheInitiatorSentItsPassword) {
    venue_.refuse_logon = true;
    open_acceptor();
    open_initiator("s3cret-pass");
    ASSERT_TRUE(pump([&] { return keel_.logouts > 0 || venue_.last_password.size() > 0; }));
    ASSERT_TRUE(pump([&] { return keel_.logouts > 0 || !initiator_->logged_on(); }));
    EXPECT_EQ(venue_.last_password, "s3cret-pass");
    EXPECT_EQ(keel_.logons, 0);
    EXPECT_FALSE(initiator_->logged_on());
}

// Sends one order, drops the connection, and makes the venue forget it received it: the next
// logon makes it ask for the order again.
void FixSessionTest::lose_one_order_at_the_venue(bool refuse_resends) {
    open_acceptor();
    open_initiator();
    ASSERT_TRUE(pump([&] { return initiator_->logged_on() && acceptor_->logged_on(); }));
    std::string error;
    ASSERT_TRUE(initiator_->send(order("ABC1"), error)) << error;
    ASSERT_TRUE(pump([&] { return venue_.received.size() == 1; }));
    acceptor_->disconnect();
    ASSERT_TRUE(pump([&] { return !initiator_->logged_on(); }));
    const std::uint64_t sent_next = initiator_->next_sender_seq();
    EXPECT_EQ(sent_next, 3u);  // the logon, the order
    acceptor_->set_next_target_seq(1);
    keel_.refuse_resends = refuse_resends;
    ASSERT_TRUE(pump([&] {
        return initiator_->logged_on() && acceptor_->logged_on() &&
               acceptor_->next_target_seq() >= sent_next + 1;
    }));
    EXPECT_EQ(keel_.resends_asked, 1);
    // The venue saw the gap and said so: a ResendRequest, reported to its handler.
    EXPECT_EQ(std::count(venue_.admin_sent.begin(), venue_.admin_sent.end(), "2"), 1);
    EXPECT_EQ(std::count(keel_.admin_sent.begin(), keel_.admin_sent.end(), "2"), 0);
}

TEST_F(FixSessionTest, SequenceNumbersSurviveAReconnectAndARefusedResendBecomesAGapFill) {
    lose_one_order_at_the_venue(true);
    EXPECT_EQ(venue_.received.size(), 1u) << "the refused resend must be gap-filled, not sent";
}

TEST_F(FixSessionTest, AnAcceptedResendArrivesMarkedAsAPossibleDuplicate) {
    lose_one_order_at_the_venue(false);
    ASSERT_EQ(venue_.received.size(), 2u);
    EXPECT_TRUE(venue_.received.back().poss_dup);
    EXPECT_FALSE(venue_.received.back().orig_sending_time.empty());
    EXPECT_EQ(*venue_.received.back().find(11), "ABC1");
}
