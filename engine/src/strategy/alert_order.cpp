#include "keel/engine/strategy/alert_order.hpp"

#include <simdjson.h>

#include "keel/assert.hpp"
#include "keel/engine/core/json_token.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"

namespace keel::engine {
namespace od = simdjson::ondemand;

static_assert(kTailPadding >= simdjson::SIMDJSON_PADDING,
              "the tail arena's padding lets simdjson parse a tail in place");

namespace {

// A decimal field, as a number's exact token or a string: positive, fixed point.
AlertOrderProblem price_field(std::string_view name, od::value& v, Price& out) noexcept {
    od::json_type t;
    if (v.type().get(t))
        return {name, "is not valid JSON"};
    std::string_view text;
    if (t == od::json_type::string) {
        if (v.get_string().get(text))
            return {name, "is not a valid string"};
    } else if (t == od::json_type::number) {
        text = json_token_text(v.raw_json_token());
    } else {
        return {name, "must be a number or a decimal string"};
    }
    if (Price::parse(text, out) != DecimalError::ok)
        return {name, "is not an exact decimal (at most 9 decimals, no exponent)"};
    if (out.raw <= 0)
        return {name, "must be positive"};
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

// The prices each order type needs, and allows.
AlertOrderProblem check(const AlertOrder& o, bool has_type) noexcept {
    const bool wants_limit = o.type == OrderType::limit || o.type == OrderType::stop_limit;
    const bool wants_stop = o.type == OrderType::stop || o.type == OrderType::stop_limit ||
                            o.type == OrderType::trailing_stop;
    if (wants_limit && o.limit.raw == 0)
        return {"limit_price", "is required by order_type limit and stop_limit"};
    if (wants_stop && o.stop.raw == 0)
        return {"stop_price", "is required by order_type stop, stop_limit and trailing_stop"};
    if (!wants_limit && o.limit.raw != 0)
        return {"limit_price", has_type ? "is only for order_type limit and stop_limit"
                                        : "needs order_type limit or stop_limit"};
    if (!wants_stop && o.stop.raw != 0)
        return {"stop_price", has_type ? "is only for order_type stop, stop_limit and "
                                         "trailing_stop"
                                       : "needs order_type stop, stop_limit or trailing_stop"};
    return {};
}

}  // namespace

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

AlertOrderProblem AlertOrderParser::read(std::string_view body, std::size_t readable,
                                         AlertOrder& out) noexcept {
    KEEL_ASSERT(readable >= body.size() + kTailPadding,
                "reading an alert's order needs kTailPadding readable bytes after the body");
    if (body.size() > kMaxTailBytes)
        return {"body", "is longer than an alert body may be"};
    od::parser& parser = impl_->parser;
    out = AlertOrder{};
    od::document doc;
    if (parser.iterate(simdjson::padded_string_view(body.data(), body.size(), readable)).get(doc))
        return {"body", "is not JSON"};
    od::object object;
    if (doc.get_object().get(object))
        return {"body", "is not a JSON object"};
    unsigned seen = 0;
    for (auto member : object) {
        std::string_view key;
        od::value v;
        if (member.unescaped_key().get(key) || member.value().get(v))
            return {"body", "is not valid JSON"};
        unsigned bit = 0;
        std::string_view field;  // the literal name: a problem outlives the parser's buffers
        AlertOrderProblem p;
        std::string_view s;
        if (key == "order_type") {
            bit = 1;
            field = "order_type";
            if (p = string_field(field, v, s); p.ok() && !parse_name(s, kOrderTypes, out.type))
                p = {field, "is not one of market, limit, stop, stop_limit, trailing_stop"};
        } else if (key == "limit_price") {
            bit = 2;
            field = "limit_price";
            p = price_field(field, v, out.limit);
        } else if (key == "stop_price") {
            bit = 4;
            field = "stop_price";
            p = price_field(field, v, out.stop);
        } else if (key == "time_in_force") {
            bit = 8;
            field = "time_in_force";
            if (p = string_field(field, v, s); p.ok() && !parse_name(s, kTimesInForce, out.tif))
                p = {field, "is not one of day, gtc, ioc, fok"};
        } else {
            continue;  // the alert's other fields are the webhook's (alert_json.hpp)
        }
        if (seen & bit)
            return {field, "is given more than once"};
        seen |= bit;
        if (!p.ok())
            return p;
    }
    return check(out, (seen & 1) != 0);
}

AlertOrderProblem AlertOrderParser::read(std::string& body, AlertOrder& out) {
    body.reserve(body.size() + kTailPadding);
    return read(body, body.capacity(), out);
}

}  // namespace keel::engine
