// Proves the order state table: every (state, event kind) pair is checked against an
// independently written list of legal transitions, and every pair not on it is illegal.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "keel/engine/orders/order_state.hpp"

using namespace keel::engine;

namespace {

using K = OrderEventKind;
using S = OrderStatus;

struct Legal {
    S from;
    K kind;
    S to;  // for restore cells: the before_pending state passed in (accepted)
};

// The legal transitions, written out one per line. Restore cells are listed with the default
// before_pending (accepted); RestoreCellsReturnToTheStateBeforePending checks the others.
const std::vector<Legal> kLegal = {
    {S::pending_new, K::request_cancel, S::pending_cancel},
    {S::pending_new, K::ack_new, S::accepted},
    {S::pending_new, K::fill_partial, S::partially_filled},
    {S::pending_new, K::fill_final, S::filled},
    {S::pending_new, K::reject, S::rejected},
    {S::pending_new, K::cancel, S::canceled},
    {S::pending_new, K::expire, S::expired},

    {S::accepted, K::request_cancel, S::pending_cancel},
    {S::accepted, K::request_replace, S::pending_replace},
    {S::accepted, K::fill_partial, S::partially_filled},
    {S::accepted, K::fill_final, S::filled},
    {S::accepted, K::cancel, S::canceled},
    {S::accepted, K::expire, S::expired},

    {S::partially_filled, K::request_cancel, S::pending_cancel},
    {S::partially_filled, K::request_replace, S::pending_replace},
    {S::partially_filled, K::fill_partial, S::partially_filled},
    {S::partially_filled, K::fill_final, S::filled},
    {S::partially_filled, K::cancel, S::canceled},
    {S::partially_filled, K::expire, S::expired},

    {S::pending_cancel, K::ack_new, S::pending_cancel},
    {S::pending_cancel, K::ack_replace, S::pending_cancel},
    {S::pending_cancel, K::fill_partial, S::pending_cancel},
    {S::pending_cancel, K::fill_final, S::filled},
    {S::pending_cancel, K::reject, S::rejected},
    {S::pending_cancel, K::reject_cancel, S::accepted},
    {S::pending_cancel, K::reject_replace, S::pending_cancel},
    {S::pending_cancel, K::cancel, S::canceled},
    {S::pending_cancel, K::expire, S::expired},

    {S::pending_replace, K::request_cancel, S::pending_cancel},
    {S::pending_replace, K::ack_replace, S::accepted},
    {S::pending_replace, K::fill_partial, S::pending_replace},
    {S::pending_replace, K::fill_final, S::filled},
    {S::pending_replace, K::reject_replace, S::accepted},
    {S::pending_replace, K::cancel, S::canceled},
    {S::pending_replace, K::expire, S::expired},
};

std::optional<S> expected(S from, K kind) {
    for (const Legal& l : kLegal) {
        if (l.from == from && l.kind == kind)
            return l.to;
    }
    return std::nullopt;
}

}  // namespace

TEST(OrderState, EveryStateAndEventKindPairMatchesTheLegalList) {
    int checked = 0;
    int legal = 0;
    for (S from : kOrderStates) {
        for (std::size_t k = 0; k < kOrderEventKinds; ++k) {
            const K kind = static_cast<K>(k);
            const auto want = expected(from, kind);
            const auto got = next_state(from, kind);
            EXPECT_EQ(got, want) << to_string(from) << " + " << to_string(kind);
            ++checked;
            legal += want ? 1 : 0;
        }
    }
    EXPECT_EQ(checked, 9 * 12);
    EXPECT_EQ(legal, static_cast<int>(kLegal.size()));
}

TEST(OrderState, TerminalStatesAcceptNothing) {
    for (S from : {S::filled, S::canceled, S::rejected, S::expired}) {
        EXPECT_TRUE(is_terminal(from));
        for (std::size_t k = 0; k < kOrderEventKinds; ++k)
            EXPECT_FALSE(next_state(from, static_cast<K>(k))) << to_string(from);
    }
}

TEST(OrderState, RestoreCellsReturnToTheStateBeforePending) {
    for (S before : {S::pending_new, S::accepted, S::partially_filled}) {
        EXPECT_EQ(next_state(S::pending_cancel, K::reject_cancel, before), before);
    }
    for (S before : {S::accepted, S::partially_filled}) {
        EXPECT_EQ(next_state(S::pending_replace, K::reject_replace, before), before);
        EXPECT_EQ(next_state(S::pending_replace, K::ack_replace, before), before);
    }
}

TEST(OrderState, NonStatesAndReplacedAreNotInTheTable) {
    for (S s : {S::sent, S::denied, S::approved, S::replaced, S{}}) {
        EXPECT_FALSE(is_order_state(s));
        EXPECT_FALSE(next_state(s, K::ack_new));
        EXPECT_FALSE(next_state(s, K::fill_final));
    }
}

TEST(OrderState, ReplaceAckReportsReplacedAndExpiryReasonsAreExpiries) {
    EXPECT_EQ(reported_status(K::ack_replace, S::accepted), S::replaced);
    EXPECT_EQ(reported_status(K::ack_new, S::accepted), S::accepted);
    EXPECT_TRUE(is_expiry(Reason::expired_day));
    EXPECT_TRUE(is_expiry(Reason::ioc_remainder));
    EXPECT_TRUE(is_expiry(Reason::fok_unfillable));
    EXPECT_FALSE(is_expiry(Reason::canceled_on_request));
    EXPECT_FALSE(is_expiry(Reason::kill_switch_cancel));
}
