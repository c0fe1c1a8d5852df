// Proves the OrderBook: orders are inserted and found by id in ascending order, move only by the
// state table (partial fills, pending cancel / replace and their rejects, mass cancel), leave
// the book when terminal, refuse what does not fit or is illegal without changing anything,
// count per symbol, iterate deterministically and allocate nothing after construction.
#include <gtest/gtest.h>

#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "keel/engine/orders/order_id.hpp"

using namespace keel::engine;

namespace {

constexpr std::int64_t kUnit = 1'000'000'000;

Event request(std::uint64_t id, std::int64_t qty, Side side = Side::buy, SymbolId sym = 0,
              OrderAction action = OrderAction::new_order,
              EventType type = EventType::order_request) {
    Event e = make_event(type, Source::strategy, id, static_cast<std::int64_t>(id) * 10, sym);
    e.header.aux = 3;
    e.payload.order.order_id = id;
    e.payload.order.quantity = Quantity::from_units(qty);
    e.payload.order.price = Price::from_units(100);
    e.payload.order.side = side;
    e.payload.order.order_type = OrderType::limit;
    e.payload.order.tif = TimeInForce::gtc;
    e.payload.order.action = action;
    e.payload.order.role = OrderRole::entry;
    return e;
}

Event reply(EventType type, std::uint64_t id, OrderAction action = OrderAction::new_order,
            Reason reason = Reason::none) {
    Event e = make_event(type, Source::venue, 1000 + id, 5000, 0);
    e.payload.order.order_id = id;
    e.payload.order.action = action;
    e.payload.order.reason = reason;
    return e;
}

Event fill(std::uint64_t id, std::int64_t qty_raw, std::uint8_t flags = 0) {
    Event e = make_event(EventType::venue_fill, Source::venue, 2000 + id, 6000, 0);
    e.payload.fill.order_id = id;
    e.payload.fill.quantity = Quantity::from_raw(qty_raw);
    e.payload.fill.price = Price::from_units(100);
    e.payload.fill.flags = flags;
    return e;
}

}  // namespace

TEST(OrderBook, InsertsNewOrdersPendingNewAndFindsThemById) {
    OrderBook book(8);
    const Transition t = book.apply(request(4, 10));
    EXPECT_EQ(t.result, ApplyResult::applied);
    EXPECT_EQ(t.from, OrderStatus::pending_new);
    EXPECT_EQ(t.to, OrderStatus::pending_new);
    EXPECT_EQ(t.kind, OrderEventKind::request_new);
    const OrderRecord* r = book.find(4);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, OrderStatus::pending_new);
    EXPECT_EQ(r->strategy, 3u);
    EXPECT_EQ(r->role, OrderRole::entry);
    EXPECT_EQ(r->type, OrderType::limit);
    EXPECT_EQ(r->tif, TimeInForce::gtc);
    EXPECT_EQ(r->quantity, Quantity::from_units(10));
    EXPECT_EQ(r->created_ns, 40);
    EXPECT_EQ(book.find(5), nullptr);
    EXPECT_EQ(book.open_count(), 1u);
}

TEST(OrderBook, OrderSentIsTheSameAsTheRequestItCarries) {
    OrderBook book(8);
    EXPECT_EQ(
        book.apply(request(4, 10, Side::buy, 0, OrderAction::new_order, EventType::order_sent))
            .result,
        ApplyResult::applied);
    EXPECT_EQ(
        book.apply(request(4, 0, Side::buy, 0, OrderAction::cancel, EventType::order_sent)).to,
        OrderStatus::pending_cancel);
}

TEST(OrderBook, KeepsOrdersAscendingByIdWhateverTheArrivalOrder) {
    OrderBook book(8);
    for (std::uint64_t id : {20u, 8u, 40u, 12u, 4u})
        ASSERT_EQ(book.apply(request(id, 1)).result, ApplyResult::applied);
    std::vector<std::uint64_t> ids;
    for (const OrderRecord& r : book.open_orders())
        ids.push_back(r.order_id);
    EXPECT_EQ(ids, (std::vector<std::uint64_t>{4, 8, 12, 20, 40}));
    for (std::uint64_t id : {4u, 8u, 12u, 20u, 40u}) {
        ASSERT_NE(book.find(id), nullptr);
        EXPECT_EQ(book.find(id)->order_id, id);
    }
}

TEST(OrderBook, IterationIsTheSameForTheSameEventsInTheSameOrder) {
    auto run = [] {
        OrderBook book(16);
        for (std::uint64_t id = 1; id <= 10; ++id)
            (void)book.apply(request(id * 4, static_cast<std::int64_t>(id)));
        (void)book.apply(fill(8, 2 * kUnit));  // completes order 8: leaves the book
        (void)book.apply(fill(12, kUnit));
        (void)book.apply(reply(EventType::venue_reject, 20));
        std::vector<std::pair<std::uint64_t, OrderStatus>> out;
        for (const OrderRecord& r : book.open_orders())
            out.emplace_back(r.order_id, r.status);
        return out;
    };
    const auto a = run();
    EXPECT_EQ(a.size(), 8u);
    EXPECT_EQ(a, run());
}

TEST(OrderBook, RejectsADuplicateIdAsIllegalAndKeepsTheFirst) {
    OrderBook book(8);
    (void)book.apply(request(4, 10));
    const Transition t = book.apply(request(4, 99));
    EXPECT_EQ(t.result, ApplyResult::illegal);
    EXPECT_EQ(book.find(4)->quantity, Quantity::from_units(10));
    EXPECT_EQ(book.open_count(), 1u);
}

TEST(OrderBook, ReportsFullWhenANewOrderDoesNotFit) {
    OrderBook book(2);
    EXPECT_EQ(book.capacity(), 2u);
    (void)book.apply(request(4, 1));
    (void)book.apply(request(8, 1));
    EXPECT_EQ(book.apply(request(12, 1)).result, ApplyResult::full);
    EXPECT_EQ(book.open_count(), 2u);
    EXPECT_EQ(book.find(12), nullptr);
    // A terminal order frees its slot.
    (void)book.apply(fill(4, kUnit));
    EXPECT_EQ(book.apply(request(12, 1)).result, ApplyResult::applied);
}

TEST(OrderBook, PartialFillsAccumulateAndTheLastOneCompletesTheOrder) {
    OrderBook book(4);
    (void)book.apply(request(4, 10));
    (void)book.apply(reply(EventType::venue_ack, 4));
    EXPECT_EQ(book.find(4)->status, OrderStatus::accepted);

    Transition t = book.apply(fill(4, 3 * kUnit));
    EXPECT_EQ(t.result, ApplyResult::applied);
    EXPECT_EQ(t.kind, OrderEventKind::fill_partial);
    EXPECT_EQ(t.to, OrderStatus::partially_filled);
    EXPECT_EQ(book.find(4)->filled, Quantity::from_units(3));
    EXPECT_EQ(book.find(4)->leaves(), Quantity::from_units(7));

    t = book.apply(fill(4, 7 * kUnit));  // no final flag: leaves reaching 0 completes it
    EXPECT_EQ(t.kind, OrderEventKind::fill_final);
    EXPECT_EQ(t.to, OrderStatus::filled);
    EXPECT_EQ(t.order.filled, Quantity::from_units(10));
    EXPECT_EQ(book.find(4), nullptr);  // terminal orders leave the book
}

TEST(OrderBook, AFillFlaggedFinalCompletesTheOrderAndAFillBeforeTheAckIsLegal) {
    OrderBook book(4);
    (void)book.apply(request(4, 10));
    Transition t = book.apply(fill(4, kUnit));  // implicit accept
    EXPECT_EQ(t.from, OrderStatus::pending_new);
    EXPECT_EQ(t.to, OrderStatus::partially_filled);
    t = book.apply(fill(4, kUnit, kFillFinal));
    EXPECT_EQ(t.to, OrderStatus::filled);
    EXPECT_EQ(book.open_count(), 0u);
}

TEST(OrderBook, AFillLargerThanLeavesOrOfZeroIsIllegalAndChangesNothing) {
    OrderBook book(4);
    (void)book.apply(request(4, 10));
    (void)book.apply(fill(4, 4 * kUnit));
    Transition t = book.apply(fill(4, 6 * kUnit + 1));
    EXPECT_EQ(t.result, ApplyResult::illegal);
    EXPECT_EQ(t.from, OrderStatus::partially_filled);
    t = book.apply(fill(4, 0));
    EXPECT_EQ(t.result, ApplyResult::illegal);
    EXPECT_EQ(book.find(4)->filled, Quantity::from_units(4));
    EXPECT_EQ(book.find(4)->status, OrderStatus::partially_filled);
}

TEST(OrderBook, RepliesForUnknownOrdersAreIllegal) {
    OrderBook book(4);
    Transition t = book.apply(fill(44, kUnit, kFillFinal));
    EXPECT_EQ(t.result, ApplyResult::illegal);
    EXPECT_EQ(t.from, OrderStatus{});
    EXPECT_EQ(t.to, OrderStatus::filled);
    EXPECT_EQ(t.order.order_id, 44u);
    EXPECT_EQ(book.apply(reply(EventType::venue_ack, 44)).result, ApplyResult::illegal);
    EXPECT_EQ(book.apply(request(44, 0, Side::buy, 0, OrderAction::cancel)).result,
              ApplyResult::illegal);
}

TEST(OrderBook, AVenueAckAdoptingAnOrderKeelNeverSentInsertsItAcceptedWithItsTerms) {
    OrderBook book(8);
    const std::uint64_t id = make_adopted_order_id(0, 0);
    Event adopt = reply(EventType::venue_ack, id, OrderAction::new_order, Reason::foreign_order);
    adopt.header.aux = 0xFFFE;
    adopt.payload.order.side = Side::sell;
    adopt.payload.order.order_type = OrderType::limit;
    adopt.payload.order.tif = TimeInForce::gtc;
    adopt.payload.order.price = Price::from_units(101);
    adopt.payload.order.quantity = Quantity::from_units(5);
    const Transition t = book.apply(adopt);
    EXPECT_EQ(t.result, ApplyResult::applied);
    EXPECT_EQ(t.to, OrderStatus::accepted);
    const OrderRecord* r = book.find(id);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, OrderStatus::accepted);
    EXPECT_EQ(r->strategy, 0xFFFE);
    EXPECT_EQ(r->side, Side::sell);
    EXPECT_EQ(r->price, Price::from_units(101));
    EXPECT_EQ(r->quantity, Quantity::from_units(5));
    // From then on an order like any other: fills, and the kill switch's mass cancel.
    EXPECT_EQ(book.apply(fill(id, 2 * kUnit)).to, OrderStatus::partially_filled);
    // The same adoption again is a known order's ack: illegal, nothing changes.
    EXPECT_EQ(book.apply(adopt).result, ApplyResult::illegal);
    EXPECT_EQ(book.find(id)->filled, Quantity::from_units(2));
    Event kill = request(0, 0, Side::none, 0, OrderAction::cancel);
    EXPECT_EQ(book.apply(kill).affected, 1u);
    EXPECT_EQ(book.find(id)->status, OrderStatus::pending_cancel);
}

TEST(OrderBook, AnAckForAnUnknownOrderIsAnAdoptionOnlyFromTheVenueForAnAdoptedIdWithReasonForeignOrder) {
    OrderBook book(8);
    Event plain = reply(EventType::venue_ack, 77);
    const std::uint64_t adopted = make_adopted_order_id(0, 0);
    plain.payload.order.quantity = Quantity::from_units(5);
    EXPECT_EQ(book.apply(plain).result, ApplyResult::illegal);
    Event not_venue = plain;
    not_venue.payload.order.order_id = adopted;
    not_venue.header.source = Source::gateway;
    not_venue.payload.order.reason = Reason::foreign_order;
    EXPECT_EQ(book.apply(not_venue).result, ApplyResult::illegal);
    Event not_adopted = plain;  // a keel id (say one already closed) is never adopted
    not_adopted.payload.order.reason = Reason::foreign_order;
    EXPECT_EQ(book.apply(not_adopted).result, ApplyResult::illegal);
    Event replace = plain;
    replace.payload.order.reason = Reason::foreign_order;
    replace.payload.order.order_id = adopted;
    replace.payload.order.action = OrderAction::replace;
    EXPECT_EQ(book.apply(replace).result, ApplyResult::illegal);
    EXPECT_EQ(book.open_count(), 0u);
}

TEST(OrderBook, AFillAfterTheOrderWasCanceledIsIllegal) {
    OrderBook book(4);
    (void)book.apply(request(4, 10));
    (void)book.apply(reply(EventType::venue_ack, 4));
    (void)book.apply(request(4, 0, Side::buy, 0, OrderAction::cancel));
    const Transition c = book.apply(reply(EventType::venue_cancel, 4));
    EXPECT_EQ(c.to, OrderStatus::canceled);
    EXPECT_EQ(book.apply(fill(4, kUnit)).result, ApplyResult::illegal);
}

TEST(OrderBook, AFillRacingACancelIsLegalAndARejectedCancelRestoresTheState) {
    OrderBook book(4);
    (void)book.apply(request(4, 10));
    (void)book.apply(reply(EventType::venue_ack, 4));
    Transition t = book.apply(request(4, 0, Side::buy, 0, OrderAction::cancel));
    EXPECT_EQ(t.from, OrderStatus::accepted);
    EXPECT_EQ(t.to, OrderStatus::pending_cancel);
    t = book.apply(fill(4, 2 * kUnit));
    EXPECT_EQ(t.to, OrderStatus::pending_cancel);
    t = book.apply(reply(EventType::venue_reject, 4, OrderAction::cancel));
    EXPECT_EQ(t.kind, OrderEventKind::reject_cancel);
    EXPECT_EQ(t.to, OrderStatus::partially_filled);  // the fill moved where it returns to
    EXPECT_EQ(book.find(4)->filled, Quantity::from_units(2));
}

TEST(OrderBook, ACancelRefusedByRiskLeavesTheOrderWorking) {
    OrderBook book(4);
    (void)book.apply(request(4, 10));
    (void)book.apply(reply(EventType::venue_ack, 4));
    (void)book.apply(request(4, 0, Side::buy, 0, OrderAction::cancel));
    // Risk throttled the cancel: the denial echoed to ingest names the cancel, not the order.
    const Transition t = book.apply(reply(EventType::order_denied, 4, OrderAction::cancel));
    EXPECT_EQ(t.kind, OrderEventKind::reject_cancel);
    EXPECT_EQ(t.to, OrderStatus::accepted);
    ASSERT_NE(book.find(4), nullptr);  // still live: it is still working at the venue
    EXPECT_EQ(book.apply(reply(EventType::risk_reject, 4, OrderAction::new_order)).to,
              OrderStatus::rejected);  // a refused new order does end it
}

TEST(OrderBook, CancelBeforeTheAckThenTheAckKeepsItPendingCancel) {
    OrderBook book(4);
    (void)book.apply(request(4, 10));
    (void)book.apply(request(4, 0, Side::buy, 0, OrderAction::cancel));
    Transition t = book.apply(reply(EventType::venue_ack, 4));
    EXPECT_EQ(t.to, OrderStatus::pending_cancel);
    t = book.apply(reply(EventType::venue_reject, 4, OrderAction::cancel));
    EXPECT_EQ(t.to, OrderStatus::accepted);
}

TEST(OrderBook, ReplaceAckTakesTheNewPriceAndQuantityAndReportsReplaced) {
    OrderBook book(4);
    (void)book.apply(request(4, 10));
    (void)book.apply(reply(EventType::venue_ack, 4));
    EXPECT_EQ(book.apply(request(4, 12, Side::buy, 0, OrderAction::replace)).to,
              OrderStatus::pending_replace);
    Event ack = reply(EventType::venue_ack, 4, OrderAction::replace);
    ack.payload.order.quantity = Quantity::from_units(12);
    ack.payload.order.price = Price::from_units(101);
    const Transition t = book.apply(ack);
    EXPECT_EQ(t.result, ApplyResult::applied);
    EXPECT_EQ(t.to, OrderStatus::accepted);
    EXPECT_EQ(t.reported(), OrderStatus::replaced);
    EXPECT_EQ(book.find(4)->quantity, Quantity::from_units(12));
    EXPECT_EQ(book.find(4)->price, Price::from_units(101));
    // A replace before the ack is refused.
    (void)book.apply(request(8, 1));
    EXPECT_EQ(book.apply(request(8, 2, Side::buy, 0, OrderAction::replace)).result,
              ApplyResult::illegal);
}

TEST(OrderBook, RejectsAndCancelsEndTheOrderWithTheRightState) {
    OrderBook book(8);
    for (std::uint64_t id : {4u, 8u, 12u, 16u, 20u})
        (void)book.apply(request(id, 1));
    EXPECT_EQ(book.apply(reply(EventType::venue_reject, 4)).to, OrderStatus::rejected);
    EXPECT_EQ(book.apply(reply(EventType::order_denied, 8)).to, OrderStatus::rejected);
    EXPECT_EQ(book.apply(reply(EventType::risk_reject, 12)).to, OrderStatus::rejected);
    EXPECT_EQ(
        book.apply(reply(EventType::venue_cancel, 16, OrderAction::new_order, Reason::expired_day))
            .to,
        OrderStatus::expired);
    EXPECT_EQ(book.apply(reply(EventType::venue_cancel, 20, OrderAction::new_order,
                               Reason::canceled_on_request))
                  .to,
              OrderStatus::canceled);
    EXPECT_EQ(book.open_count(), 0u);
}

TEST(OrderBook, MassCancelMovesEveryCancelableOrderToPendingCancel) {
    OrderBook book(8);
    (void)book.apply(request(4, 1));  // pending_new
    (void)book.apply(request(8, 1));
    (void)book.apply(reply(EventType::venue_ack, 8));  // accepted
    (void)book.apply(request(12, 1));
    (void)book.apply(request(12, 0, Side::buy, 0, OrderAction::cancel));  // already pending
    const Transition t = book.apply(
        request(0, 0, Side::none, kNoSymbol, OrderAction::cancel, EventType::order_sent));
    EXPECT_EQ(t.result, ApplyResult::applied);
    EXPECT_EQ(t.order.order_id, 0u);
    EXPECT_EQ(t.affected, 2u);
    for (const OrderRecord& r : book.open_orders())
        EXPECT_EQ(r.status, OrderStatus::pending_cancel) << r.order_id;
    // A rejected cancel returns each to where it was.
    EXPECT_EQ(book.apply(reply(EventType::venue_reject, 8, OrderAction::cancel)).to,
              OrderStatus::accepted);
}

TEST(OrderBook, CountsOpenOrdersAndLeavesPerSymbolAndSide) {
    OrderBook book(8);
    (void)book.apply(request(4, 10, Side::buy, 1));
    (void)book.apply(request(8, 5, Side::buy, 1));
    (void)book.apply(request(12, 7, Side::sell, 1));
    (void)book.apply(request(16, 3, Side::buy, 2));
    (void)book.apply(fill(8, 2 * kUnit));
    EXPECT_EQ(book.open_count(1), 3u);
    EXPECT_EQ(book.open_count(2), 1u);
    EXPECT_EQ(book.open_count(3), 0u);
    EXPECT_EQ(book.open_quantity(1, Side::buy), Quantity::from_units(13));
    EXPECT_EQ(book.open_quantity(1, Side::sell), Quantity::from_units(7));
    EXPECT_EQ(book.open_quantity(2, Side::buy), Quantity::from_units(3));
}

TEST(OrderBook, IgnoresEventsThatAreNotAboutOrders) {
    OrderBook book(4);
    Event t = make_event(EventType::trade, Source::feed, 1, 1, 0);
    EXPECT_EQ(book.apply(t).result, ApplyResult::ignored);
    EXPECT_EQ(book.open_count(), 0u);
}

TEST(OrderBook, PeekReportsWithoutChangingTheBook) {
    OrderBook book(4);
    EXPECT_EQ(book.peek(request(4, 1)).result, ApplyResult::applied);
    EXPECT_EQ(book.open_count(), 0u);
    (void)book.apply(request(4, 1));
    EXPECT_EQ(book.peek(fill(4, kUnit)).to, OrderStatus::filled);
    EXPECT_EQ(book.find(4)->status, OrderStatus::pending_new);
}

TEST(OrderBook, AllocatesNothingAfterConstruction) {
    if (!alloc_guard_linked())
        GTEST_SKIP() << "built without KEEL_ALLOC_GUARD";
    OrderBook book(64);
    std::size_t applied = 0;
    {
        // The guard aborts the test binary if anything below allocates.
        HotScope hot;
        for (std::uint64_t id = 1; id <= 64; ++id)
            applied += book.apply(request(id * 4, 2)).result == ApplyResult::applied;
        for (std::uint64_t id = 1; id <= 64; id += 2)
            applied += book.apply(fill(id * 4, kUnit)).result == ApplyResult::applied;
        applied += book.apply(request(0, 0, Side::none, kNoSymbol, OrderAction::cancel)).result ==
                   ApplyResult::applied;
        for (std::uint64_t id = 1; id <= 64; ++id)
            applied +=
                book.apply(reply(EventType::venue_cancel, id * 4)).result == ApplyResult::applied;
    }
    EXPECT_EQ(applied, 64u + 32u + 1u + 64u);
    EXPECT_EQ(book.open_count(), 0u);
}
