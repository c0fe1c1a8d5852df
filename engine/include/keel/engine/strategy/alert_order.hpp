// AlertOrder: the order an alert asks for beyond its side and size, read from the alert's body
// (its input record's tail, engine/pipeline/tail_arena.hpp): details that do not fit the
// 64-byte alert event. Fields of the body's top-level object, all optional:
//   "order_type":    "market" (default), "limit", "stop", "stop_limit", "trailing_stop"
//   "limit_price":   decimal (string or number), > 0; required by limit and stop_limit, and
//                    refused with any other type
//   "stop_price":    decimal, > 0; the trigger of stop and stop_limit, the trail distance of
//                    trailing_stop; required by those three, refused with the others
//   "time_in_force": "day" (default), "gtc", "ioc", "fok"
// Each may appear once. The webhook checks them before it answers (a problem is a 400 naming the
// field), and alert_follower reads them again from the journaled body when it places the order,
// so a replay derives the same order from the journal alone.
//
// Parsing is simdjson On-Demand in place: the body must be followed by kTailPadding readable
// bytes (the tail arena's; a std::string reserved for it). The parser (AlertOrderParser) is
// allocated for kMaxTailBytes when made, so reading allocates nothing.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "keel/engine/core/event.hpp"

namespace keel::engine {

struct AlertOrder {
    OrderType type = OrderType::market;
    TimeInForce tif = TimeInForce::day;
    Price limit{};
    Price stop{};
};

// What is wrong, if anything: the field and why (static text; empty field = fine).
struct AlertOrderProblem {
    std::string_view field;
    std::string_view why;
    [[nodiscard]] bool ok() const noexcept { return field.empty(); }
};

// A JSON parser with room for any tail, allocated when made (cold); one per thread that reads.
class AlertOrderParser {
  public:
    AlertOrderParser();
    ~AlertOrderParser();
    AlertOrderParser(AlertOrderParser&&) noexcept;
    AlertOrderParser& operator=(AlertOrderParser&&) noexcept;

    // body: the alert's JSON (at most kMaxTailBytes); readable: how many bytes from
    // body.data() may be read (at least body.size() + kTailPadding, checked).
    [[nodiscard]] AlertOrderProblem read(std::string_view body, std::size_t readable,
                                         AlertOrder& out) noexcept;
    // The same for a body held in a string (the webhook's, the CSV reader's): the padding is
    // reserved in it first, so this may allocate (cold paths only).
    [[nodiscard]] AlertOrderProblem read(std::string& body, AlertOrder& out);

  private:
    struct Impl;  // simdjson's parser, kept out of this header
    std::unique_ptr<Impl> impl_;
};

}  // namespace keel::engine
