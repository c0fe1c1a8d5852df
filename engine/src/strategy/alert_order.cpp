#include "keel/engine/strategy/alert_order.hpp"

#include <simdjson.h>

#include "keel/assert.hpp"
#include "keel/engine/core/json_token.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"
#include "keel/engine/strategy/strategy.hpp"

namespace keel::engine {
namespace od = simdjson::ondemand;

static_assert(kTailPadding >= simdjson::SIMDJSON_PADDING,
              "the tail arena's padding lets simdjson parse a tail in place");

namespace {

constexpr std::string_view kFieldNames[] = {
    "order_type",         "limit_price",       "stop_price",        "time_in_force",
    "tif",                "trail",             "take_profit",       "take_profit_offset",
    "take_profit_ticks",  "take_profit_percent", "stop_loss",       "stop_loss_offset",
    "stop_loss_ticks",    "stop_loss_percent", "price"};
static_assert(std::size(kFieldNames) == static_cast<std::size_t>(AlertField::count));

constexpr std::int64_t kMaxExitTicks = 1'000'000;

constexpr std::uint32_t bit(AlertField f) noexcept {
    return 1u << static_cast<unsigned>(f);
}
constexpr std::uint32_t kTakeProfitBits = bit(AlertField::take_profit) |
                                          bit(AlertField::take_profit_offset) |
                                          bit(AlertField::take_profit_ticks) |
                                          bit(AlertField::take_profit_percent);
constexpr std::uint32_t kStopLossBits =
    bit(AlertField::stop_loss) | bit(AlertField::stop_loss_offset) |
    bit(AlertField::stop_loss_ticks) | bit(AlertField::stop_loss_percent);

// The text of a number (its exact token) or a string; a problem otherwise.
AlertOrderProblem scalar_text(std::string_view name, od::value& v, std::string_view& text) noexcept {
    od::json_type t;
    if (v.type().get(t))
        return {name, "is not valid JSON"};
    if (t == od::json_type::string) {
        if (v.get_string().get(text))
            return {name, "is not a valid string"};
    } else if (t == od::json_type::number) {
        text = json_token_text(v.raw_json_token());
    } else {
        return {name, "must be a number or a decimal string"};
    }
    return {};
}

// A decimal field, as a number's exact token or a string: positive, fixed point.
AlertOrderProblem price_field(std::string_view name, od::value& v, std::int64_t& out) noexcept {
    std::string_view text;
    if (const AlertOrderProblem p = scalar_text(name, v, text); !p.ok())
        return p;
    Price parsed{};
    if (Price::parse(text, parsed) != DecimalError::ok)
        return {name, "is not an exact decimal (at most 9 decimals, no exponent)"};
    if (parsed.raw <= 0)
        return {name, "must be positive"};
    out = parsed.raw;
    return {};
}

// A whole number of ticks, 1..kMaxExitTicks, as a number or a string of digits.
AlertOrderProblem ticks_field(std::string_view name, od::value& v, std::int64_t& out) noexcept {
    std::string_view text;
    if (const AlertOrderProblem p = scalar_text(name, v, text); !p.ok())
        return p;
    std::int64_t n = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return {name, "must be a whole number of ticks"};
        n = n * 10 + (c - '0');
        if (n > kMaxExitTicks)
            return {name, "must be at most 1000000 ticks"};
    }
    if (text.empty() || n == 0)
        return {name, "must be at least 1 tick"};
    out = n;
    return {};
}

AlertOrderProblem string_field(std::string_view name, od::value& v, std::string_view& out) noexcept {
    od::json_type t;
    if (v.type().get(t))
        return {name, "is not valid JSON"};
    if (t != od::json_type::string || v.get_string().get(out))
        return {name, "must be a string"};
    return {};
}

// An order type or time in force by the name to_string gives it (event.hpp keeps the names).
template <class E, std::size_t N>
bool parse_name(std::string_view s, const E (&values)[N], E& out) noexcept {
    for (const E v : values) {
        if (to_string(v) == s) {
            out = v;
            return true;
        }
    }
    return false;
}
constexpr OrderType kOrderTypes[] = {OrderType::market, OrderType::limit, OrderType::stop,
                                     OrderType::stop_limit, OrderType::trailing_stop};
constexpr TimeInForce kTimesInForce[] = {TimeInForce::day, TimeInForce::gtc, TimeInForce::ioc,
                                         TimeInForce::fok};

// One bracket exit field into its group's AlertExit.
AlertOrderProblem exit_field(AlertField f, od::value& v, AlertExit& out) noexcept {
    const std::string_view name = to_string(f);
    const auto form = (static_cast<unsigned>(f) - static_cast<unsigned>(AlertField::take_profit)) % 4;
    out.basis = static_cast<ExitBasis>(form + 1);
    if (out.basis == ExitBasis::ticks)
        return ticks_field(name, v, out.raw);
    const AlertOrderProblem p = price_field(name, v, out.raw);
    if (p.ok() && out.basis == ExitBasis::percent && out.raw >= 100 * kScale)
        return {name, "must be less than 100 (percent of the entry price)"};
    return p;
}

// One field's value into out (field is known; duplicates are the caller's).
AlertOrderProblem field_value(AlertField f, od::value& v, AlertOrder& out) noexcept {
    const std::string_view name = to_string(f);
    std::string_view s;
    AlertOrderProblem p;
    switch (f) {
        case AlertField::order_type:
            if (p = string_field(name, v, s); p.ok() && !parse_name(s, kOrderTypes, out.type))
                p = {name, "is not one of market, limit, stop, stop_limit, trailing_stop"};
            return p;
        case AlertField::time_in_force:
        case AlertField::tif:
            if (p = string_field(name, v, s); p.ok() && !parse_name(s, kTimesInForce, out.tif))
                p = {name, "is not one of day, gtc, ioc, fok"};
            return p;
        case AlertField::limit_price:
            return price_field(name, v, out.limit.raw);
        case AlertField::stop_price:
        case AlertField::trail:
            return price_field(name, v, out.stop.raw);
        case AlertField::price:
            return {};  // the webhook's field (AlertPayload::price); noted as given only
        default:
            return exit_field(f, v, f < AlertField::stop_loss ? out.take_profit : out.stop_loss);
    }
}

// Fields that name the same thing twice.
AlertOrderProblem check_aliases(std::uint32_t given, AlertField f) noexcept {
    if (f == AlertField::tif && (given & bit(AlertField::time_in_force)))
        return {"tif", "is an alias of time_in_force: give one of them"};
    if (f == AlertField::time_in_force && (given & bit(AlertField::tif)))
        return {"time_in_force", "and its alias tif are both given: give one of them"};
    if (f == AlertField::trail && (given & bit(AlertField::stop_price)))
        return {"trail", "and stop_price both give the trail distance: give one of them"};
    if (f == AlertField::stop_price && (given & bit(AlertField::trail)))
        return {"stop_price", "and trail both give the trail distance: give one of them"};
    const std::uint32_t b = bit(f);
    if ((b & kTakeProfitBits) && (given & kTakeProfitBits))
        return {to_string(f), "is a second take-profit exit: give one of take_profit, "
                              "take_profit_offset, take_profit_ticks, take_profit_percent"};
    if ((b & kStopLossBits) && (given & kStopLossBits))
        return {to_string(f), "is a second stop-loss exit: give one of stop_loss, "
                              "stop_loss_offset, stop_loss_ticks, stop_loss_percent"};
    return {};
}

std::int64_t abs_diff(std::int64_t a, std::int64_t b) noexcept {
    return a > b ? a - b : b - a;
}

// How far from the entry one exit lies (raw price units), or -1 when it cannot be told.
std::int64_t exit_distance(const AlertExit& e, Price entry, Price tick) noexcept {
    switch (e.basis) {
        case ExitBasis::price:
            return entry.raw > 0 ? abs_diff(e.raw, entry.raw) : 0;
        case ExitBasis::offset:
            return e.raw;
        case ExitBasis::ticks:
            return tick.raw > 0 ? e.raw * tick.raw : -1;
        case ExitBasis::percent:
            return static_cast<std::int64_t>(static_cast<i128>(entry.raw) * e.raw /
                                             (100 * static_cast<i128>(kScale)));
        case ExitBasis::none:
            break;
    }
    return -1;
}

// One exit's absolute price: beyond the entry by its distance (up when `above`), rounded to the
// tick toward the entry. 0 when it cannot be priced.
Price exit_price(const AlertExit& e, Price entry, Price tick, bool above) noexcept {
    if (e.basis == ExitBasis::price)
        return Price::from_raw(e.raw);
    const std::int64_t d = exit_distance(e, entry, tick);
    if (d < 0 || entry.raw <= 0)
        return Price{};
    const Price p = Price::from_raw(above ? entry.raw + d : entry.raw - d);
    return round_to_tick(p, tick, !above);
}

}  // namespace

std::string_view to_string(AlertField f) noexcept {
    const auto i = static_cast<std::size_t>(f);
    return i < std::size(kFieldNames) ? kFieldNames[i] : std::string_view("unknown");
}

AlertOrderProblem check_alert_order(const AlertOrder& o) noexcept {
    const bool wants_limit = o.type == OrderType::limit || o.type == OrderType::stop_limit;
    const bool wants_stop = o.type == OrderType::stop || o.type == OrderType::stop_limit;
    const bool trailing = o.type == OrderType::trailing_stop;
    const bool has_type = o.gave(AlertField::order_type);
    const bool limit_from_price = o.type == OrderType::limit && o.gave(AlertField::price);
    if (wants_limit && o.limit.raw == 0 && !limit_from_price)
        return {"limit_price", o.type == OrderType::limit
                                   ? "is required by order_type limit (or give price)"
                                   : "is required by order_type stop_limit"};
    if (wants_stop && o.stop.raw == 0)
        return {"stop_price", "is required by order_type stop and stop_limit"};
    if (trailing && o.stop.raw == 0)
        return {"trail", "is required by order_type trailing_stop (or its alias stop_price)"};
    if (!wants_limit && o.limit.raw != 0)
        return {"limit_price", has_type ? "is only for order_type limit and stop_limit"
                                        : "needs order_type limit or stop_limit"};
    if (o.gave(AlertField::trail) && !trailing)
        return {"trail", has_type ? "is only for order_type trailing_stop"
                                  : "needs order_type trailing_stop"};
    if (!wants_stop && !trailing && o.stop.raw != 0)
        return {"stop_price", has_type ? "is only for order_type stop, stop_limit and "
                                         "trailing_stop"
                                       : "needs order_type stop, stop_limit or trailing_stop"};
    if (o.take_profit.basis != ExitBasis::none && o.stop_loss.basis == ExitBasis::none)
        return {"stop_loss", "is required with a take-profit exit: a bracket has both exits"};
    if (o.stop_loss.basis != ExitBasis::none && o.take_profit.basis == ExitBasis::none)
        return {"take_profit", "is required with a stop-loss exit: a bracket has both exits"};
    return {};
}

AlertOrder with_defaults(const AlertOrder& body, const AlertOrder& defaults) noexcept {
    AlertOrder o = body;
    if (!body.gave(AlertField::order_type) && defaults.gave(AlertField::order_type)) {
        o.type = defaults.type;
        o.given |= bit(AlertField::order_type);
    }
    if (!body.gave(AlertField::time_in_force) && !body.gave(AlertField::tif) &&
        (defaults.gave(AlertField::time_in_force) || defaults.gave(AlertField::tif))) {
        o.tif = defaults.tif;
        o.given |= bit(AlertField::time_in_force);
    }
    if (o.type == OrderType::trailing_stop && o.stop.raw == 0 && defaults.gave(AlertField::trail)) {
        o.stop = defaults.stop;
        o.given |= bit(AlertField::trail);
    }
    if (!body.has_bracket() && defaults.has_bracket()) {
        o.take_profit = defaults.take_profit;
        o.stop_loss = defaults.stop_loss;
        o.given |= defaults.given & (kTakeProfitBits | kStopLossBits);
    }
    return o;
}

Reason exit_prices(const AlertOrder& o, Side side, Price entry, Price tick, Price& take_profit,
                   Price& stop_loss) noexcept {
    take_profit = stop_loss = Price{};
    const bool relative =
        o.take_profit.basis != ExitBasis::price || o.stop_loss.basis != ExitBasis::price;
    if (relative && entry.raw <= 0)
        return Reason::no_reference_price;
    const bool buy = side == Side::buy;
    take_profit = exit_price(o.take_profit, entry, tick, buy);
    stop_loss = exit_price(o.stop_loss, entry, tick, !buy);
    if (take_profit.raw <= 0 || stop_loss.raw <= 0)
        return Reason::invalid_order;
    // Each exit beyond the entry on its own side (an absolute one checked when the entry's price
    // is known): a stop-loss above a long's entry would fire at once.
    if (entry.raw > 0 && (buy ? !(stop_loss < entry && entry < take_profit)
                              : !(take_profit < entry && entry < stop_loss)))
        return Reason::invalid_order;
    return Reason::none;
}

struct AlertOrderParser::Impl {
    od::parser parser;
};

AlertOrderParser::AlertOrderParser() : impl_(std::make_unique<Impl>()) {
    [[maybe_unused]] const simdjson::error_code e = impl_->parser.allocate(kMaxTailBytes);
    KEEL_ASSERT(!e, "cannot allocate the alert order parser");
}
AlertOrderParser::~AlertOrderParser() = default;
AlertOrderParser::AlertOrderParser(AlertOrderParser&&) noexcept = default;
AlertOrderParser& AlertOrderParser::operator=(AlertOrderParser&&) noexcept = default;

AlertOrderProblem AlertOrderParser::parse(std::string_view body, std::size_t readable,
                                          AlertOrder& out) noexcept {
    KEEL_ASSERT(readable >= body.size() + kTailPadding,
                "reading an alert's order needs kTailPadding readable bytes after the body");
    out = AlertOrder{};
    if (body.size() > kMaxTailBytes)
        return {"body", "is longer than an alert body may be"};
    od::document doc;
    if (impl_->parser.iterate(simdjson::padded_string_view(body.data(), body.size(), readable))
            .get(doc))
        return {"body", "is not JSON"};
    od::object object;
    if (doc.get_object().get(object))
        return {"body", "is not a JSON object"};
    for (auto member : object) {
        std::string_view key;
        od::value v;
        if (member.unescaped_key().get(key) || member.value().get(v))
            return {"body", "is not valid JSON"};
        auto f = AlertField::count;
        for (std::size_t i = 0; i < std::size(kFieldNames); ++i) {
            if (kFieldNames[i] == key)
                f = static_cast<AlertField>(i);
        }
        if (f == AlertField::count)
            continue;  // the alert's other fields are the webhook's (alert_json.hpp)
        // The literal name: a problem outlives the parser's buffers.
        if (out.gave(f))
            return {to_string(f), "is given more than once"};
        if (const AlertOrderProblem p = check_aliases(out.given, f); !p.ok())
            return p;
        out.given |= bit(f);
        if (const AlertOrderProblem p = field_value(f, v, out); !p.ok())
            return p;
    }
    return {};
}

AlertOrderProblem AlertOrderParser::read(std::string_view body, std::size_t readable,
                                         AlertOrder& out) noexcept {
    if (const AlertOrderProblem p = parse(body, readable, out); !p.ok())
        return p;
    return check_alert_order(out);
}

AlertOrderProblem AlertOrderParser::read(std::string& body, AlertOrder& out) {
    body.reserve(body.size() + kTailPadding);
    return read(body, body.capacity(), out);
}

AlertOrderProblem AlertOrderParser::read_fields(std::string& body, AlertOrder& out) {
    body.reserve(body.size() + kTailPadding);
    return parse(body, body.capacity(), out);
}

}  // namespace keel::engine
