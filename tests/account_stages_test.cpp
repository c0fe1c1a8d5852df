// AccountStages: one stage per account behind one pipeline stage. Events that name an account
// (through the order id, or a command's account) reach that account's stage only; the rest
// reach every account's; each event is forwarded exactly once. With real risk stages: one
// account's kill switch leaves the other trading.
#include <gtest/gtest.h>

#include <vector>

#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/pipeline/account_stages.hpp"
#include "keel/engine/risk/risk_stage.hpp"

namespace keel::engine {
namespace {

struct Recorder final : Emit {
    void emit(const Event& e) noexcept override { events.push_back(e); }
    std::vector<Event> events;
};

// Forwards every event, derives one signal per market event, and remembers what it saw.
class Probe final : public Stage {
  public:
    [[nodiscard]] std::string_view name() const noexcept override { return "probe"; }
    void on_event(const Event& event, Emit& out) noexcept override {
        seen.push_back(event);
        if (is_control(event.header.type)) {  // derives first, forwards last (runner's rule)
            out.emit(make_event(EventType::signal, Source::strategy, 0, 0, kNoSymbol));
            out.emit(event);
            return;
        }
        out.emit(event);
        if (event.header.type == EventType::trade) {
            Event s = make_event(EventType::signal, Source::strategy, event.header.seq,
                                 event.header.ts_ns, event.header.symbol);
            s.payload.signal.value = static_cast<std::int64_t>(seen.size());
            out.emit(s);
        }
    }
    std::vector<Event> seen;
};

Event order_event(EventType type, std::uint64_t seq, std::size_t account) {
    Event e = make_event(type, Source::strategy, seq, 1, 0);
    e.payload.order.order_id = with_account(make_order_id(seq, 0), account);
    return e;
}

Event command(CommandCode code, std::uint8_t account, std::uint64_t seq, std::int64_t arg = 0) {
    Event e = make_event(EventType::command, Source::control, seq, 1, kNoSymbol);
    e.payload.command.code = code;
    e.payload.command.arg = arg;
    e.payload.command.account = account;
    return e;
}

TEST(AccountStages, OrderEventsAndFillsReachOnlyTheAccountTheirIdNames) {
    Probe a, b;
    AccountStages stages({&a, &b});
    Recorder out;
    stages.on_event(order_event(EventType::order_request, 5, 1), out);
    stages.on_event(order_event(EventType::venue_ack, 6, 0), out);
    Event fill = make_event(EventType::venue_fill, Source::venue, 7, 1, 0);
    fill.payload.fill.order_id = with_account(make_order_id(5, 0), 1);
    stages.on_event(fill, out);
    ASSERT_EQ(a.seen.size(), 1u);
    EXPECT_EQ(a.seen[0].header.type, EventType::venue_ack);
    ASSERT_EQ(b.seen.size(), 2u);
    EXPECT_EQ(b.seen[0].header.type, EventType::order_request);
    EXPECT_EQ(b.seen[1].header.type, EventType::venue_fill);
    EXPECT_EQ(out.events.size(), 3u);  // each forwarded once
}

TEST(AccountStages, EverythingElseReachesEveryAccountAndIsForwardedOnce) {
    Probe a, b, c;
    AccountStages stages({&a, &b, &c});
    Recorder out;
    Event t = make_event(EventType::trade, Source::feed, 9, 1, 0);
    stages.on_event(t, out);
    EXPECT_EQ(a.seen.size(), 1u);
    EXPECT_EQ(b.seen.size(), 1u);
    EXPECT_EQ(c.seen.size(), 1u);
    // The trade once, then each account's signal in account order.
    ASSERT_EQ(out.events.size(), 4u);
    EXPECT_EQ(out.events[0].header.type, EventType::trade);
    for (std::size_t k = 1; k < 4; ++k)
        EXPECT_EQ(out.events[k].header.type, EventType::signal) << k;
}

TEST(AccountStages, AControlEventIsForwardedOnceAndLast) {
    Probe a, b;
    AccountStages stages({&a, &b});
    Recorder out;
    Event flush = make_event(EventType::flush, Source::engine, 0, 0, kNoSymbol);
    flush.payload.control_token = 7;
    stages.on_event(flush, out);
    ASSERT_EQ(out.events.size(), 3u);  // each account's signal, then the flush once
    EXPECT_EQ(out.events[0].header.type, EventType::signal);
    EXPECT_EQ(out.events[1].header.type, EventType::signal);
    EXPECT_EQ(out.events[2].header.type, EventType::flush);
    EXPECT_EQ(out.events[2].payload.control_token, 7u);
}

TEST(AccountStages, ACommandNamingAnAccountReachesItAloneAndOneNamingNoneReachesAll) {
    Probe a, b;
    AccountStages stages({&a, &b});
    Recorder out;
    stages.on_event(command(CommandCode::pause, 2, 1), out);  // 1-based: account 1
    EXPECT_TRUE(a.seen.empty());
    EXPECT_EQ(b.seen.size(), 1u);
    stages.on_event(command(CommandCode::resume, 0, 2), out);
    EXPECT_EQ(a.seen.size(), 1u);
    EXPECT_EQ(b.seen.size(), 2u);
    EXPECT_EQ(out.events.size(), 2u);
}

TEST(AccountStages, ACommandForAnAccountTheSessionDoesNotHaveActsOnNone) {
    Probe a, b;
    AccountStages stages({&a, &b});
    Recorder out;
    stages.on_event(command(CommandCode::kill, 5, 1), out);  // a damaged journal's
    EXPECT_TRUE(a.seen.empty());
    EXPECT_TRUE(b.seen.empty());
    ASSERT_EQ(out.events.size(), 1u);  // forwarded all the same
    EXPECT_EQ(out.events[0].payload.command.account, 5);
    EXPECT_EQ(stages.emit_budget(), 2 * kStageEmitBudget);
}

TEST(AccountStages, OneAccountsKillLeavesTheOtherTrading) {
    RiskStageOptions options;
    options.symbol_capacity = 4;
    RiskStage first(RiskLimits{}, options);
    options.account = 1;
    RiskStage second(RiskLimits{}, options);
    AccountStages stages({&first, &second});
    Recorder out;
    Event def = make_event(EventType::symbol_def, Source::feed, 1, 1, 0);
    stages.on_event(def, out);
    stages.on_event(make_event(EventType::trade, Source::feed, 2, 1, 0), out);
    out.events.clear();
    stages.on_event(command(CommandCode::kill, 2, 3), out);  // account 1 only
    ASSERT_EQ(out.events.size(), 2u);
    EXPECT_EQ(out.events[1].header.type, EventType::risk_state);
    EXPECT_EQ(out.events[1].payload.risk_state.account, 1);
    EXPECT_NE(out.events[1].payload.risk_state.flags & kRiskKilled, 0);
    EXPECT_EQ(first.flags(), 0);
    EXPECT_EQ(second.flags(), kRiskKilled);

    const auto decide = [&](std::uint64_t seq, std::size_t account) {
        out.events.clear();
        Event o = order_event(EventType::order_request, seq, account);
        o.payload.order.side = Side::buy;
        o.payload.order.order_type = OrderType::market;
        o.payload.order.tif = TimeInForce::day;
        o.payload.order.action = OrderAction::new_order;
        o.payload.order.quantity = Quantity::from_units(1);
        stages.on_event(o, out);
        EXPECT_EQ(out.events.size(), 1u);
        return out.events.front();
    };
    const Event kept = decide(4, 0);
    EXPECT_EQ(kept.header.type, EventType::order_request);
    EXPECT_EQ(kept.payload.order.status, OrderStatus::approved);
    const Event refused = decide(5, 1);
    EXPECT_EQ(refused.header.type, EventType::risk_reject);
    EXPECT_EQ(refused.payload.order.reason, Reason::kill_switch);
    EXPECT_EQ(order_id_account(refused.payload.order.order_id), 1u);
}

TEST(OrderIds, TheAccountRidesInBits55To62AndAccountZeroChangesNothing) {
    const std::uint64_t id = make_order_id(123456, 2);
    EXPECT_EQ(with_account(id, 0), id);
    const std::uint64_t other = with_account(id | kRiskOrderIdBit, 7);
    EXPECT_EQ(order_id_account(other), 7u);
    EXPECT_EQ(order_id_seq(other), 123456u);
    EXPECT_EQ(order_id_index(other), 2u);
    EXPECT_NE(other & kRiskOrderIdBit, 0u);
    EXPECT_TRUE(is_mass_cancel_id(with_account(0, 3)));
    EXPECT_FALSE(is_mass_cancel_id(other));
}

}  // namespace
}  // namespace keel::engine
