// AlertOrder: the order an alert asks for beyond its side and size, read from the alert's body
// (its input record's tail, engine/pipeline/tail_arena.hpp): details that do not fit the
// 64-byte alert event. Fields of the body's top-level object, all optional:
//   "order_type":    "market" (default), "limit", "stop", "stop_limit", "trailing_stop"
//   "limit_price":   decimal (string or number), > 0; the limit of limit and stop_limit, refused
//                    with any other type. A limit order without it takes the alert's "price"
//   "stop_price":    decimal, > 0; the trigger of stop and stop_limit (required by them), or the
//                    trail distance of trailing_stop; refused with the other types
//   "trail":         decimal, > 0; the trail distance of a trailing_stop (stop_price's alias
//                    for that type: giving both is refused)
//   "time_in_force": "day" (default), "gtc", "ioc", "fok"; "tif" is its alias (not both)
//   Bracket exits, placed engine-side once the entry has filled (one cancels the other):
//   "take_profit" / "stop_loss":                  an absolute price, > 0
//   "take_profit_offset" / "stop_loss_offset":    a price distance from the entry, > 0
//   "take_profit_ticks" / "stop_loss_ticks":      whole ticks from the entry, 1..1000000
//   "take_profit_percent" / "stop_loss_percent":  percent of the entry price, 0 < p < 100
//   At most one of each exit's four forms; a bracket has both exits or none.
// "price" is the webhook's (the alert's price, AlertPayload::price); the parser notes only that
// it is there, since a limit order may take it as its limit. Each field may appear once. The
// webhook checks the body before it answers (a problem is a 400 naming the field), and
// alert_follower reads it again from the journaled body when it places the order, so a replay
// derives the same order from the journal alone. A strategy's per-symbol defaults (config
// `defaults`) are AlertOrders too, merged under the body by with_defaults.
//
// The entry's reference for relative exits (exit_prices): the limit of a limit or stop_limit
// order, the trigger of a stop, else the alert's price (or the symbol's last price). Exits are
// rounded to the tick toward the entry: never further than asked.
//
// Parsing is simdjson On-Demand in place: the body must be followed by kTailPadding readable
// bytes (the tail arena's; a std::string reserved for it). The parser (AlertOrderParser) is
// allocated for kMaxTailBytes when made, so reading allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "keel/engine/core/event.hpp"

namespace keel::engine {

// The body fields the parser reads, as bits of AlertOrder::given.
enum class AlertField : std::uint8_t {
    order_type,
    limit_price,
    stop_price,
    time_in_force,
    tif,
    trail,
    take_profit,
    take_profit_offset,
    take_profit_ticks,
    take_profit_percent,
    stop_loss,
    stop_loss_offset,
    stop_loss_ticks,
    stop_loss_percent,
    price,
    count
};
[[nodiscard]] std::string_view to_string(AlertField f) noexcept;

// How one bracket exit is given: raw is a fixed-point price (price, offset), a whole number of
// ticks (ticks) or a fixed-point percent (percent).
enum class ExitBasis : std::uint8_t { none = 0, price, offset, ticks, percent };
struct AlertExit {
    ExitBasis basis = ExitBasis::none;
    std::int64_t raw = 0;
};

struct AlertOrder {
    OrderType type = OrderType::market;
    TimeInForce tif = TimeInForce::day;
    Price limit{};  // limit_price
    Price stop{};   // stop_price, or trail
    AlertExit take_profit{};
    AlertExit stop_loss{};
    std::uint32_t given = 0;  // bit per AlertField the body (or config) gave

    [[nodiscard]] bool gave(AlertField f) const noexcept {
        return (given >> static_cast<unsigned>(f) & 1u) != 0;
    }
    [[nodiscard]] bool has_bracket() const noexcept {
        return take_profit.basis != ExitBasis::none || stop_loss.basis != ExitBasis::none;
    }
};

// What is wrong, if anything: the field and why (static text; empty field = fine).
struct AlertOrderProblem {
    std::string_view field;
    std::string_view why;
    [[nodiscard]] bool ok() const noexcept { return field.empty(); }
};

// Whether the fields go together (the prices each order type needs and allows, both exits of a
// bracket). read() runs it on the body; alert_follower again after with_defaults.
[[nodiscard]] AlertOrderProblem check_alert_order(const AlertOrder& o) noexcept;

// The body's order with a strategy's per-symbol defaults under it: the order type, time in
// force and trail the body does not give, and both exits when the body gives neither.
[[nodiscard]] AlertOrder with_defaults(const AlertOrder& body, const AlertOrder& defaults) noexcept;

// The absolute exit prices of o's bracket for an entry on `side` whose reference is `entry`
// (see above), on the grid of `tick` (0: none). Reason::none and both prices set, or why not:
// no_reference_price (a relative exit with no entry price), invalid_order (ticks without a
// tick size, an exit not beyond the entry on its side, a price <= 0).
[[nodiscard]] Reason exit_prices(const AlertOrder& o, Side side, Price entry, Price tick,
                                 Price& take_profit, Price& stop_loss) noexcept;

// A JSON parser with room for any tail, allocated when made (cold); one per thread that reads.
class AlertOrderParser {
  public:
    AlertOrderParser();
    ~AlertOrderParser();
    AlertOrderParser(AlertOrderParser&&) noexcept;
    AlertOrderParser& operator=(AlertOrderParser&&) noexcept;

    // body: the alert's JSON (at most kMaxTailBytes); readable: how many bytes from
    // body.data() may be read (at least body.size() + kTailPadding, checked). Reads the fields,
    // then check_alert_order.
    [[nodiscard]] AlertOrderProblem read(std::string_view body, std::size_t readable,
                                         AlertOrder& out) noexcept;
    // The same for a body held in a string (the webhook's, the CSV reader's): the padding is
    // reserved in it first, so this may allocate (cold paths only).
    [[nodiscard]] AlertOrderProblem read(std::string& body, AlertOrder& out);
    // Each field's value only, without check_alert_order (a strategy's defaults, which an
    // alert completes). Cold.
    [[nodiscard]] AlertOrderProblem read_fields(std::string& body, AlertOrder& out);

  private:
    [[nodiscard]] AlertOrderProblem parse(std::string_view body, std::size_t readable,
                                          AlertOrder& out) noexcept;
    struct Impl;  // simdjson's parser, kept out of this header
    std::unique_ptr<Impl> impl_;
};

}  // namespace keel::engine
