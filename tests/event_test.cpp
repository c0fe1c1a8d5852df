// Proves the Event layout contract (one cache line, trivially copyable) and that every type,
// source and reason has a name usable in dumps.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

#include "keel/engine/core/event.hpp"

using namespace keel::engine;

TEST(Event, IsOneCacheLineAndTriviallyCopyable) {
    static_assert(sizeof(Event) == 64 && alignof(Event) == 64);
    static_assert(std::is_trivially_copyable_v<Event>);
    EXPECT_EQ(offsetof(Event, payload), 24u);
}

TEST(Event, MakeEventZeroesEveryByteBeyondTheHeader) {
    Event e;
    std::memset(&e, 0xAB, sizeof e);
    e = make_event(EventType::trade, Source::feed, 7, 11, 3);
    const auto* bytes = reinterpret_cast<const unsigned char*>(&e.payload);
    for (std::size_t i = 0; i < sizeof(EventPayload); ++i)
        ASSERT_EQ(bytes[i], 0) << i;
}

TEST(Event, EveryTypeHasADistinctName) {
    std::set<std::string> names;
    int count = 0;
    for (int t = 0; t < 256; ++t) {
        const auto name = to_string(static_cast<EventType>(t));
        if (name == "unknown")
            continue;
        ++count;
        names.emplace(name);
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(count));
    // The inputs and derived types ARCHITECTURE.md s.2 asks for.
    for (const char* required :
         {"trade", "quote", "bar", "alert", "command", "timer", "venue_ack", "venue_fill",
          "venue_reject", "venue_cancel", "session_start", "symbol_def", "signal", "order_request",
          "risk_reject", "order_sent", "order_state"}) {
        EXPECT_TRUE(names.contains(required)) << required;
    }
    EXPECT_TRUE(is_input(EventType::venue_fill));
    EXPECT_TRUE(is_derived(EventType::order_sent));
    EXPECT_TRUE(is_control(EventType::shutdown));
}
