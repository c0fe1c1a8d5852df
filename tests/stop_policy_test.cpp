// run_stop_policy (replay/session/stop_policy.hpp) against a fake pipeline thread that answers
// state snapshots: the kill (with flatten) goes to every account as one engine command; when
// every account is done the kill is lifted only from the accounts it alone killed; when one is
// not done by the deadline the outcome names what is left and the kill stays; either way the
// trading inputs are stopped before the end.
#include "keel/replay/session/stop_policy.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace keel;

namespace {

using adapters::InputPort;
using engine::CommandCode;
using engine::Event;

// Every command durable at once, at sequence 100 + its index.
class FakePort final : public InputPort {
  public:
    bool submit(const Event& e) noexcept override { return submit_tracked(e).has_value(); }
    std::optional<Ticket> submit_tracked(const Event& e, std::string_view = {}) noexcept override {
        std::lock_guard<std::mutex> lock(mutex_);
        events_.push_back(e);
        return static_cast<Ticket>(events_.size() - 1);
    }
    Fate fate(Ticket) const noexcept override { return Fate::durable; }
    std::uint64_t seq(Ticket t) const noexcept override { return 100 + t; }
    void release(Ticket) noexcept override {}
    std::vector<Event> events() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return events_;
    }

  private:
    mutable std::mutex mutex_;
    std::vector<Event> events_;
};

// Two accounts, "a" holding USDCHF and "b" EURUSD (b killed before the stop when asked), each
// going flat once the kill is in when `flattens`, never otherwise.
class Pipeline {
  public:
    Pipeline(FakePort& port, bool flattens, bool b_killed_before)
        : port_(port), flattens_(flattens), b_killed_(b_killed_before) {
        thread_ = std::thread([this] { run(); });
    }
    ~Pipeline() {
        done_ = true;
        thread_.join();
    }
    engine::SnapshotExchange snapshots{2, 4, 2};

  private:
    void run() {
        std::uint64_t published = 0;
        while (!done_) {
            const std::uint64_t wanted = snapshots.requested();
            if (wanted == published) {
                std::this_thread::yield();
                continue;
            }
            const std::vector<Event> events = port_.events();
            const bool killed = !events.empty();
            engine::StateSnapshot& s = snapshots.writable();
            s.last_seq = 100 + events.size();
            for (std::size_t k = 0; k < 2; ++k) {
                engine::StateSnapshot& a = s.accounts[k];
                a.risk_flags = killed || (k == 1 && b_killed_) ? engine::kRiskKilled : 0;
                a.positions[0].quantity_raw =
                    k == 0 && !(killed && flattens_) ? 1000 * engine::kScale : 0;
                a.positions[1].quantity_raw =
                    k == 1 && !(killed && flattens_) ? 2000 * engine::kScale : 0;
                a.open_order_count = killed && !flattens_ ? 1 : 0;
            }
            published = wanted;
            snapshots.publish(wanted);
        }
    }
    FakePort& port_;
    const bool flattens_;
    const bool b_killed_;
    std::atomic<bool> done_{false};
    std::thread thread_;
};

struct PolicyRun {
    replay::StopOutcome outcome;
    std::vector<Event> commands;
    bool inputs_stopped = false;
};

PolicyRun run_policy(bool flattens, bool b_killed_before, std::int64_t deadline_ms) {
    FakePort port;
    Pipeline pipeline(port, flattens, b_killed_before);
    engine::SymbolTable symbols(2);
    (void)symbols.intern("USDCHF");
    (void)symbols.intern("EURUSD");
    PolicyRun r;
    engine::ShutdownPolicy policy;
    policy.flatten = true;
    policy.deadline_ms = deadline_ms;
    r.outcome =
        replay::run_stop_policy(policy, replay::StopPolicyDeps{port,
                                                               pipeline.snapshots,
                                                               symbols,
                                                               {"a", "b"},
                                                               [&r] { r.inputs_stopped = true; },
                                                               [] { return true; },
                                                               [] { return false; }});
    r.commands = port.events();
    return r;
}

}  // namespace

TEST(StopPolicy, FlattensEveryAccountThenLiftsTheKillOnlyWhereItAloneKilled) {
    const PolicyRun r = run_policy(true, true, 5000);
    EXPECT_TRUE(r.outcome.ran);
    EXPECT_TRUE(r.outcome.complete);
    EXPECT_TRUE(r.outcome.unfinished.empty());
    EXPECT_TRUE(r.inputs_stopped);
    ASSERT_EQ(r.commands.size(), 2u);
    EXPECT_EQ(r.commands[0].header.source, engine::Source::engine);
    EXPECT_EQ(r.commands[0].payload.command.code, CommandCode::kill);
    EXPECT_EQ(r.commands[0].payload.command.arg, 1);      // with flatten
    EXPECT_EQ(r.commands[0].payload.command.account, 0);  // every account
    // "b" was killed before the stop: only "a" (command account 1) is unkilled.
    EXPECT_EQ(r.commands[1].payload.command.code, CommandCode::unkill);
    EXPECT_EQ(r.commands[1].payload.command.account, 1);
    EXPECT_TRUE(r.outcome.unkilled);
}

TEST(StopPolicy, NothingKilledBeforeIsUnkilledWithOneCommandForEveryAccount) {
    const PolicyRun r = run_policy(true, false, 5000);
    ASSERT_EQ(r.commands.size(), 2u);
    EXPECT_EQ(r.commands[1].payload.command.code, CommandCode::unkill);
    EXPECT_EQ(r.commands[1].payload.command.account, 0);
}

TEST(StopPolicy, WhatIsNotDoneByTheDeadlineIsNamedAndTheKillStays) {
    const PolicyRun r = run_policy(false, false, 200);
    EXPECT_TRUE(r.outcome.ran);
    EXPECT_FALSE(r.outcome.complete);
    EXPECT_FALSE(r.outcome.unkilled);
    EXPECT_TRUE(r.inputs_stopped);
    ASSERT_EQ(r.commands.size(), 1u);  // the kill, no unkill
    const std::vector<std::string> want = {
        "account a: 1 order still open", "account a: USDCHF position 1000 not flat",
        "account b: 1 order still open", "account b: EURUSD position 2000 not flat"};
    EXPECT_EQ(r.outcome.unfinished, want);
}
