#include "keel/adapters/alpaca/alpaca_codec.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <initializer_list>
#include <utility>

#include "keel/adapters/feed/message_parser.hpp"
#include "keel/adapters/http/http_error.hpp"
#include "keel/adapters/parse/json_raw_key.hpp"
#include "keel/adapters/venue/venue_reply.hpp"
#include "keel/assert.hpp"
#include "keel/engine/core/json_token.hpp"
#include "keel/engine/core/name_table.hpp"
#include "keel/engine/orders/order_state.hpp"

namespace keel::adapters::alpaca {

namespace od = simdjson::ondemand;
using engine::EventType;
using engine::Money;
using engine::OrderAction;
using engine::OrderStatus;
using engine::OrderType;
using engine::Price;
using engine::Quantity;
using engine::Reason;
using engine::Side;
using engine::TimeInForce;

// --- names ---

namespace {

constexpr engine::Named<Status> kStatusNames[] = {
    {Status::new_, "new"},
    {Status::partially_filled, "partially_filled"},
    {Status::filled, "filled"},
    {Status::done_for_day, "done_for_day"},
    {Status::canceled, "canceled"},
    {Status::expired, "expired"},
    {Status::replaced, "replaced"},
    {Status::pending_cancel, "pending_cancel"},
    {Status::pending_replace, "pending_replace"},
    {Status::pending_new, "pending_new"},
    {Status::accepted, "accepted"},
    {Status::accepted_for_bidding, "accepted_for_bidding"},
    {Status::stopped, "stopped"},
    {Status::rejected, "rejected"},
    {Status::suspended, "suspended"},
    {Status::calculated, "calculated"},
    {Status::held, "held"},
};

constexpr engine::Named<Event> kEventNames[] = {
    {Event::new_, "new"},
    {Event::fill, "fill"},
    {Event::partial_fill, "partial_fill"},
    {Event::canceled, "canceled"},
    {Event::expired, "expired"},
    {Event::done_for_day, "done_for_day"},
    {Event::replaced, "replaced"},
    {Event::rejected, "rejected"},
    {Event::pending_new, "pending_new"},
    {Event::pending_cancel, "pending_cancel"},
    {Event::pending_replace, "pending_replace"},
    {Event::order_cancel_rejected, "order_cancel_rejected"},
    {Event::order_replace_rejected, "order_replace_rejected"},
    {Event::stopped, "stopped"},
    {Event::suspended, "suspended"},
    {Event::calculated, "calculated"},
    {Event::held, "held"},
    {Event::accepted, "accepted"},
    {Event::trade_bust, "trade_bust"},
    {Event::trade_correct, "trade_correct"},
};

}  // namespace

std::string_view side_name(Side side) noexcept {
    switch (side) {
        case Side::buy:
            return "buy";
        case Side::sell:
            return "sell";
        case Side::none:
            break;
    }
    return {};
}

std::optional<Side> side_from(std::string_view name) noexcept {
    if (name == "buy")
        return Side::buy;
    if (name == "sell")
        return Side::sell;
    return std::nullopt;
}

std::string_view type_name(OrderType type) noexcept {
    switch (type) {
        case OrderType::market:
            return "market";
        case OrderType::limit:
            return "limit";
        case OrderType::stop:
            return "stop";
        case OrderType::stop_limit:
            return "stop_limit";
        case OrderType::trailing_stop:
            return "trailing_stop";
    }
    return {};
}

std::optional<OrderType> type_from(std::string_view name) noexcept {
    for (const OrderType t : {OrderType::market, OrderType::limit, OrderType::stop,
                              OrderType::stop_limit, OrderType::trailing_stop}) {
        if (type_name(t) == name)
            return t;
    }
    return std::nullopt;
}

std::string_view tif_name(TimeInForce tif) noexcept {
    switch (tif) {
        case TimeInForce::day:
            return "day";
        case TimeInForce::gtc:
            return "gtc";
        case TimeInForce::ioc:
            return "ioc";
        case TimeInForce::fok:
            return "fok";
    }
    return {};
}

std::optional<TimeInForce> tif_from(std::string_view name) noexcept {
    for (const TimeInForce t :
         {TimeInForce::day, TimeInForce::gtc, TimeInForce::ioc, TimeInForce::fok}) {
        if (tif_name(t) == name)
            return t;
    }
    return std::nullopt;
}

Status status_from(std::string_view name) noexcept {
    return engine::value_of(kStatusNames, name, Status::unknown);
}

std::string_view to_string(Status status) noexcept {
    return engine::name_of(kStatusNames, status, "unknown");
}

Event event_from(std::string_view name) noexcept {
    return engine::value_of(kEventNames, name, Event::unknown);
}

std::string_view to_string(Event event) noexcept {
    return engine::name_of(kEventNames, event, "unknown");
}

std::string_view to_string(Answer answer) noexcept {
    switch (answer) {
        case Answer::ok:
            return "ok";
        case Answer::rejected:
            return "rejected";
        case Answer::in_doubt:
            return "in_doubt";
        case Answer::auth_failed:
            return "auth_failed";
        case Answer::not_found:
            return "not_found";
    }
    return "?";
}

// --- encoding ---

namespace {

[[nodiscard]] bool has_limit(OrderType t) noexcept {
    return t == OrderType::limit || t == OrderType::stop_limit;
}
[[nodiscard]] bool has_stop(OrderType t) noexcept {
    return t == OrderType::stop || t == OrderType::stop_limit;
}

// A JSON object written member by member; keys and strings escaped, numbers as exact decimal
// strings (Alpaca's own form for them).
class JsonObject {
  public:
    void text(std::string_view key, std::string_view value) {
        member(key);
        http::append_json_string(json_, value);
    }
    void decimal(std::string_view key, std::int64_t raw) {
        KEEL_ASSERT(raw > 0, "the prices and quantities keel sends Alpaca are positive");
        member(key);
        char buf[engine::kMaxDecimalChars];
        const int n = engine::format_decimal(raw, buf);
        json_ += '"';
        json_.append(buf, static_cast<std::size_t>(n));
        json_ += '"';
    }
    [[nodiscard]] std::string done() && {
        json_ += '}';
        return std::move(json_);
    }

  private:
    void member(std::string_view key) {
        if (json_.size() > 1)
            json_ += ',';
        http::append_json_string(json_, key);
        json_ += ':';
    }
    std::string json_ = "{";
};

[[nodiscard]] Body refused(Reason reason, std::string why) {
    Body b;
    b.refused = reason;
    b.why = std::move(why);
    return b;
}

// Why an order's terms cannot go out as a new order or a replace; nullopt when they can.
[[nodiscard]] std::optional<Body> refuse_terms(const engine::OrderPayload& o) {
    if (type_name(o.order_type).empty())
        return refused(Reason::unsupported_order_type, "unknown order type");
    if (tif_name(o.tif).empty())
        return refused(Reason::unsupported_order_type, "unknown time in force");
    if (side_name(o.side).empty())
        return refused(Reason::invalid_order, "the order has no side");
    if (o.quantity.raw <= 0)
        return refused(Reason::invalid_order, "quantity must be positive");
    if (has_limit(o.order_type) && o.price.raw <= 0)
        return refused(Reason::invalid_order, "a limit order needs a positive limit price");
    if (has_stop(o.order_type) && o.stop_price.raw <= 0)
        return refused(Reason::invalid_order, "a stop order needs a positive stop price");
    if (o.order_type == OrderType::trailing_stop && o.stop_price.raw <= 0)
        return refused(Reason::invalid_order, "a trailing stop needs a positive trail");
    return std::nullopt;
}

// An id or symbol must be there and must be text JSON can carry.
[[nodiscard]] std::optional<Body> refuse_text(std::string_view what, std::string_view text) {
    if (text.empty())
        return refused(Reason::invalid_order, "empty " + std::string(what));
    if (!simdjson::validate_utf8(text))
        return refused(Reason::invalid_order, std::string(what) + " is not valid UTF-8");
    return std::nullopt;
}

}  // namespace

Body encode_new_order(const engine::OrderPayload& order, std::string_view client_order_id,
                      std::string_view symbol) {
    if (auto no = refuse_terms(order))
        return std::move(*no);
    if (auto no = refuse_text("client_order_id", client_order_id))
        return std::move(*no);
    if (auto no = refuse_text("symbol", symbol))
        return std::move(*no);
    JsonObject j;
    j.text("symbol", symbol);
    j.decimal("qty", order.quantity.raw);
    j.text("side", side_name(order.side));
    j.text("type", type_name(order.order_type));
    j.text("time_in_force", tif_name(order.tif));
    if (has_limit(order.order_type))
        j.decimal("limit_price", order.price.raw);
    if (has_stop(order.order_type))
        j.decimal("stop_price", order.stop_price.raw);
    if (order.order_type == OrderType::trailing_stop)
        j.decimal("trail_price", order.stop_price.raw);
    j.text("client_order_id", client_order_id);
    Body b;
    b.json = std::move(j).done();
    return b;
}

Body encode_replace(const engine::OrderPayload& new_terms, std::string_view client_order_id) {
    if (auto no = refuse_terms(new_terms))
        return std::move(*no);
    if (auto no = refuse_text("client_order_id", client_order_id))
        return std::move(*no);
    JsonObject j;
    j.decimal("qty", new_terms.quantity.raw);
    if (has_limit(new_terms.order_type))
        j.decimal("limit_price", new_terms.price.raw);
    if (has_stop(new_terms.order_type))
        j.decimal("stop_price", new_terms.stop_price.raw);
    // PATCH names a trailing stop's new distance `trail` (POST: trail_price).
    if (new_terms.order_type == OrderType::trailing_stop)
        j.decimal("trail", new_terms.stop_price.raw);
    j.text("time_in_force", tif_name(new_terms.tif));
    j.text("client_order_id", client_order_id);
    Body b;
    b.json = std::move(j).done();
    return b;
}

// --- decoding: the reader every document goes through ---

namespace {

// The largest document keel parses. GET /v2/orders answers at most 500 orders of about 1 KB;
// anything far larger is not an answer keel asked for.
constexpr std::size_t kMaxDocumentBytes = std::size_t{16} << 20;
// How much of a value an error text quotes.
constexpr std::size_t kQuoteBytes = 40;

// `field` under `path`: "qty", "data.order.qty", "[3].symbol".
[[nodiscard]] std::string join(std::string_view path, std::string_view field) {
    if (path.empty())
        return std::string(field);
    if (field.empty())
        return std::string(path);
    std::string s(path);
    if (field.front() != '[')
        s += '.';
    s += field;
    return s;
}

[[nodiscard]] std::string quote_text(std::string_view text) {
    std::string s = "'" + std::string(text.substr(0, kQuoteBytes));
    s += text.size() > kQuoteBytes ? "...'" : "'";
    return s;
}

// Collects the first problem found; every reader below stops once there is one.
class Reader {
  public:
    [[nodiscard]] bool failed() const noexcept { return error_.has_value(); }
    void fail(std::string_view path, std::string_view field, std::string what) {
        if (!error_)
            error_ = DecodeError{join(path, field), std::move(what)};
    }
    void json_error(std::string_view path, std::string_view field, simdjson::error_code e) {
        fail(path, field, std::string("is not valid JSON (") + simdjson::error_message(e) + ")");
    }
    [[nodiscard]] std::optional<DecodeError> take() { return std::move(error_); }

  private:
    std::optional<DecodeError> error_;
};

// Where a value's reader is: the reader, the path of the object and the field's name.
struct At {
    Reader& r;
    std::string_view path;
    std::string_view field;

    void fail(std::string what) const { r.fail(path, field, std::move(what)); }
};

[[nodiscard]] std::optional<od::json_type> type_of(const At& at, od::value& v) {
    od::json_type t{};
    if (const auto e = v.type().get(t)) {
        at.r.json_error(at.path, at.field, e);
        return std::nullopt;
    }
    return t;
}

// A string into out: true when one was read; false for null (when nullable) or an error.
bool read_text(const At& at, od::value& v, std::string& out, bool nullable) {
    const std::optional<od::json_type> t = type_of(at, v);
    if (!t)
        return false;
    if (*t == od::json_type::null) {
        if (!nullable)
            at.fail("is null");
        return false;
    }
    std::string_view s;
    if (*t != od::json_type::string || v.get_string().get(s) != simdjson::SUCCESS) {
        at.fail("is not a string");
        return false;
    }
    out.assign(s);
    return true;
}

// An exact decimal (a string, as Alpaca writes it, or a JSON number's token) into out; true
// when one was read, false for null (when nullable) or an error.
template <class F>
bool read_decimal(const At& at, od::value& v, F& out, bool nullable, bool non_negative) {
    const std::optional<od::json_type> t = type_of(at, v);
    if (!t)
        return false;
    if (*t == od::json_type::null) {
        if (!nullable)
            at.fail("is null");
        return false;
    }
    std::string_view text;
    engine::DecimalError e = engine::DecimalError::ok;
    std::int64_t raw = 0;
    if (*t == od::json_type::string && v.get_string().get(text) == simdjson::SUCCESS) {
        e = engine::parse_decimal(text, raw);
    } else if (*t == od::json_type::number) {
        text = engine::json_token_text(v.raw_json_token());
        e = feed::parse_json_decimal(text, raw);
    } else {
        at.fail("is not a decimal string");
        return false;
    }
    if (e != engine::DecimalError::ok) {
        at.fail(quote_text(text) + " is not a decimal (" + std::string(engine::to_string(e)) + ")");
        return false;
    }
    if (non_negative && raw < 0) {
        at.fail(quote_text(text) + " is negative");
        return false;
    }
    out = F::from_raw(raw);
    return true;
}

bool read_bool(const At& at, od::value& v, bool& out) {
    const std::optional<od::json_type> t = type_of(at, v);
    if (!t)
        return false;
    if (*t != od::json_type::boolean || v.get_bool().get(out) != simdjson::SUCCESS) {
        at.fail("is not true or false");
        return false;
    }
    return true;
}

template <std::size_t N>
using Names = std::array<std::string_view, N>;

// Reads an object's fields: on_field(index, value) for each whose key is names[index], once (a
// repeated key is an error: which of two values is meant cannot be known); any other field is
// skipped unread. Returns a bit per name seen.
template <std::size_t N, class OnField>
std::uint32_t read_fields(Reader& r, od::object& object, std::string_view path,
                          const Names<N>& names, OnField on_field) {
    static_assert(N <= 32, "a bit per name");
    std::uint32_t seen = 0;
    for (auto item : object) {
        od::field field;
        if (const auto e = std::move(item).get(field)) {
            r.json_error(path, {}, e);
            return seen;
        }
        const std::string_view key = raw_key(field);
        std::size_t i = 0;
        while (i < N && names[i] != key)
            ++i;
        if (i == N)
            continue;
        if ((seen & (1u << i)) != 0) {
            r.fail(path, key, "is repeated");
            return seen;
        }
        seen |= 1u << i;
        od::value value = field.value();
        on_field(i, value);
        if (r.failed())
            return seen;
    }
    return seen;
}

// Names every required field (a bit of `required`) that `seen` lacks; the first is the error.
template <std::size_t N>
void require(Reader& r, std::string_view path, const Names<N>& names, std::uint32_t seen,
             std::uint32_t required) {
    for (std::size_t i = 0; i < N && !r.failed(); ++i) {
        if ((required & (1u << i)) != 0 && (seen & (1u << i)) == 0)
            r.fail(path, names[i], "is missing");
    }
}

[[nodiscard]] bool get_object(Reader& r, std::string_view path, od::value& v, od::object& out) {
    const std::optional<od::json_type> t = type_of(At{r, path, {}}, v);
    if (!t)
        return false;
    if (*t != od::json_type::object || v.get_object().get(out) != simdjson::SUCCESS) {
        r.fail(path, {}, *t == od::json_type::null ? "is null, not an object" : "is not an object");
        return false;
    }
    return true;
}

// This thread's parser, reused: its buffers grow to the largest document and stay.
[[nodiscard]] od::parser& thread_parser() {
    thread_local od::parser parser;
    return parser;
}

// Parses json with this thread's parser and hands the document to read(reader, document).
// With `whole`, content after the document's value is an error (read must have consumed it).
template <class Read>
std::optional<DecodeError> with_document(std::string_view json, bool whole, Read read) {
    Reader r;
    if (json.size() > kMaxDocumentBytes) {
        r.fail({}, {},
               "is " + std::to_string(json.size()) + " bytes, above the limit of " +
                   std::to_string(kMaxDocumentBytes));
        return r.take();
    }
    const simdjson::padded_string padded(json);
    od::document doc;
    if (const auto e = thread_parser().iterate(padded).get(doc)) {
        r.json_error({}, {}, e);
        return r.take();
    }
    read(r, doc);
    // At the end of the document current_location() reports OUT_OF_BOUNDS; anything else is
    // content after the value (simdjson 3.0's document has no at_end()).
    const char* rest = nullptr;
    if (whole && !r.failed() && doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS)
        r.fail({}, {}, "has content after its JSON value");
    return r.take();
}

// Reads the document's top-level object; false (error recorded) when it is not one.
[[nodiscard]] bool top_object(Reader& r, od::document& doc, od::object& out) {
    if (doc.get_object().get(out) != simdjson::SUCCESS) {
        r.fail({}, {}, "is not a JSON object");
        return false;
    }
    return true;
}

// Calls read_one(index, path, object) for each element of the document's top-level array;
// every element must be an object.
template <class ReadOne>
void each_object(Reader& r, od::document& doc, ReadOne read_one) {
    od::array array;
    if (doc.get_array().get(array) != simdjson::SUCCESS) {
        r.fail({}, {}, "is not a JSON array");
        return;
    }
    std::size_t i = 0;
    for (auto item : array) {
        const std::string path = "[" + std::to_string(i) + "]";
        od::value v;
        od::object object;
        if (const auto e = item.get(v)) {
            r.json_error(path, {}, e);
            return;
        }
        if (!get_object(r, path, v, object))
            return;
        read_one(i++, path, object);
        if (r.failed())
            return;
    }
}

// --- orders ---

enum OrderField : std::uint8_t {
    kId,
    kClientOrderId,
    kSymbol,
    kSide,
    kType,
    kOrderType,
    kTif,
    kStatus,
    kQty,
    kFilledQty,
    kFilledAvgPrice,
    kLimitPrice,
    kStopPrice,
    kTrailPrice,
    kCommission,
    kReplacedBy,
    kReplaces,
    kOrderFields,
};
constexpr Names<kOrderFields> kOrderNames = {
    "id",         "client_order_id", "symbol",           "side",
    "type",       "order_type",      "time_in_force",    "status",
    "qty",        "filled_qty",      "filled_avg_price", "limit_price",
    "stop_price", "trail_price",     "commission",       "replaced_by",
    "replaces"};
constexpr std::uint32_t bit(OrderField f) noexcept {
    return 1u << f;
}
// type is required too, as type or order_type (checked on its own).
constexpr std::uint32_t kOrderRequired = bit(kId) | bit(kClientOrderId) | bit(kSymbol) |
                                         bit(kSide) | bit(kTif) | bit(kStatus) | bit(kQty) |
                                         bit(kFilledQty);

void read_nonempty(const At& at, od::value& v, std::string& out) {
    if (read_text(at, v, out, false) && out.empty())
        at.fail("is empty");
}

void read_side(const At& at, od::value& v, Side& out) {
    std::string text;
    if (!read_text(at, v, text, false))
        return;
    if (const std::optional<Side> side = side_from(text))
        out = *side;
    else
        at.fail(quote_text(text) + " is neither buy nor sell");
}

// Text fields of an order: ids, names and the enums keel may have no name for.
void read_order_text(const At& at, OrderField f, od::value& v, Order& o) {
    switch (f) {
        case kId:
            return read_nonempty(at, v, o.id);
        case kClientOrderId:
            read_text(at, v, o.client_order_id, false);
            return;
        case kSymbol:
            return read_nonempty(at, v, o.symbol);
        case kSide:
            return read_side(at, v, o.side);
        case kType:
        case kOrderType:
            // Alpaca writes both; `type` wins when both are there, in either order.
            if (f == kType || o.type_text.empty()) {
                if (read_text(at, v, o.type_text, false))
                    o.type = type_from(o.type_text);
            }
            return;
        case kTif:
            if (read_text(at, v, o.tif_text, false))
                o.tif = tif_from(o.tif_text);
            return;
        case kStatus:
            if (read_text(at, v, o.status_text, false))
                o.status = status_from(o.status_text);
            return;
        case kReplacedBy:
            read_text(at, v, o.replaced_by, true);
            return;
        case kReplaces:
            read_text(at, v, o.replaces, true);
            return;
        default:
            KEEL_ASSERT(false, "not a text field of an order");
    }
}

void read_order_field(const At& at, OrderField f, od::value& v, Order& o) {
    switch (f) {
        case kQty:
            o.has_qty = read_decimal(at, v, o.qty, true, true);
            return;
        case kFilledQty:
            read_decimal(at, v, o.filled_qty, false, true);
            return;
        case kFilledAvgPrice:
            o.has_filled_avg_price = read_decimal(at, v, o.filled_avg_price, true, false);
            return;
        case kLimitPrice:
            o.has_limit_price = read_decimal(at, v, o.limit_price, true, false);
            return;
        case kStopPrice:
            o.has_stop_price = read_decimal(at, v, o.stop_price, true, false);
            return;
        case kTrailPrice:
            o.has_trail_price = read_decimal(at, v, o.trail_price, true, false);
            return;
        case kCommission:
            o.has_commission = read_decimal(at, v, o.commission, true, false);
            return;
        default:
            return read_order_text(at, f, v, o);
    }
}

void read_order(Reader& r, od::object& object, std::string_view path, Order& out) {
    const std::uint32_t seen =
        read_fields(r, object, path, kOrderNames, [&](std::size_t i, od::value& v) {
            const auto f = static_cast<OrderField>(i);
            read_order_field(At{r, path, kOrderNames[i]}, f, v, out);
        });
    require(r, path, kOrderNames, seen, kOrderRequired);
    if (!r.failed() && (seen & (bit(kType) | bit(kOrderType))) == 0)
        r.fail(path, "type", "is missing");
}

}  // namespace

std::optional<DecodeError> decode_order(std::string_view json, Order& out) {
    out = Order{};
    return with_document(json, true, [&](Reader& r, od::document& doc) {
        od::object object;
        if (top_object(r, doc, object))
            read_order(r, object, {}, out);
    });
}

std::optional<DecodeError> decode_orders(std::string_view json, std::vector<Order>& out) {
    out.clear();
    auto error = with_document(json, true, [&](Reader& r, od::document& doc) {
        each_object(r, doc, [&](std::size_t, std::string_view path, od::object& object) {
            read_order(r, object, path, out.emplace_back());
        });
    });
    if (error)
        out.clear();
    return error;
}

// --- the trade_updates stream ---

namespace {

enum UpdateField : std::uint8_t {
    kEvent,
    kOrder,
    kExecutionId,
    kPrice,
    kUpdateQty,
    kTimestamp,
    kUpdateFields,
};
constexpr Names<kUpdateFields> kUpdateNames = {"event", "order", "execution_id",
                                               "price", "qty",   "timestamp"};
constexpr std::uint32_t kUpdateRequired = (1u << kEvent) | (1u << kOrder);

void read_update(Reader& r, od::object& data, std::string_view path, TradeUpdate& u) {
    const std::uint32_t seen =
        read_fields(r, data, path, kUpdateNames, [&](std::size_t i, od::value& v) {
            const At at{r, path, kUpdateNames[i]};
            switch (static_cast<UpdateField>(i)) {
                case kEvent:
                    if (read_text(at, v, u.event_text, false))
                        u.event = event_from(u.event_text);
                    return;
                case kOrder: {
                    const std::string order_path = join(path, "order");
                    od::object order;
                    if (get_object(r, order_path, v, order))
                        read_order(r, order, order_path, u.order);
                    return;
                }
                case kExecutionId:
                    read_text(at, v, u.execution_id, true);
                    return;
                case kPrice:
                    u.has_price = read_decimal(at, v, u.price, true, false);
                    return;
                case kUpdateQty:
                    u.has_qty = read_decimal(at, v, u.qty, true, true);
                    return;
                default:
                    read_text(at, v, u.timestamp, true);
                    return;
            }
        });
    require(r, path, kUpdateNames, seen, kUpdateRequired);
}

// The text of an "error" string in data (or else, with or_message, of a "message" string), when
// data is an object that has one; anything else is no error text (this reader tolerates every
// shape).
[[nodiscard]] std::optional<std::string> error_text(od::value& data, bool or_message) {
    od::object object;
    if (data.get_object().get(object) != simdjson::SUCCESS)
        return std::nullopt;
    std::optional<std::string> error;
    std::optional<std::string> message;
    for (auto item : object) {
        od::field field;
        std::string_view text;
        if (std::move(item).get(field) != simdjson::SUCCESS)
            break;
        const std::string_view key = raw_key(field);
        if ((key == "error" || (or_message && key == "message")) &&
            field.value().get_string().get(text) == simdjson::SUCCESS)
            (key == "error" ? error : message) = std::string(text);
    }
    return error ? error : message;
}

void read_authorization(Reader& r, od::value& data, StreamMessage& out) {
    out.kind = StreamMessage::authorization;
    od::object object;
    if (!get_object(r, "data", data, object))
        return;
    constexpr Names<2> names = {"status", "message"};
    std::string status;
    const std::uint32_t seen =
        read_fields(r, object, "data", names, [&](std::size_t i, od::value& v) {
            read_text(At{r, "data", names[i]}, v, i == 0 ? status : out.message, i == 1);
        });
    require(r, "data", names, seen, 1u);
    out.authorized = status == "authorized";
}

void read_listening(Reader& r, od::value& data, StreamMessage& out) {
    out.kind = StreamMessage::listening;
    od::object object;
    if (!get_object(r, "data", data, object))
        return;
    constexpr Names<2> names = {"streams", "error"};
    const std::uint32_t seen =
        read_fields(r, object, "data", names, [&](std::size_t i, od::value& v) {
            const At at{r, "data", names[i]};
            if (i == 1) {
                if (read_text(at, v, out.message, false))
                    out.kind = StreamMessage::error;
                return;
            }
            od::array streams;
            if (v.get_array().get(streams) != simdjson::SUCCESS)
                return at.fail("is not an array");
            for (auto item : streams) {
                std::string_view name;
                if (item.get_string().get(name) != simdjson::SUCCESS)
                    return at.fail("holds a value that is not a string");
                out.trade_updates |= name == "trade_updates";
            }
        });
    if (out.kind == StreamMessage::listening)
        require(r, "data", names, seen, 1u);
}

void read_stream_data(Reader& r, std::string_view stream, od::value& data, StreamMessage& out) {
    if (stream == "authorization")
        return read_authorization(r, data, out);
    if (stream == "listening")
        return read_listening(r, data, out);
    if (stream == "trade_updates") {
        out.kind = StreamMessage::trade_update;
        od::object object;
        if (get_object(r, "data", data, object))
            read_update(r, object, "data", out.update);
        return;
    }
    const bool error_stream = stream == "error";
    std::optional<std::string> error = error_text(data, error_stream);
    if (error_stream || error) {
        out.kind = StreamMessage::error;
        out.message = error.value_or("");
        return;
    }
    out.kind = StreamMessage::other;
    out.message = "stream " + quote_text(stream);
}

}  // namespace

std::optional<DecodeError> decode_stream_message(std::string_view json, StreamMessage& out) {
    out = StreamMessage{};
    // Looked up by name, so "data" may come before "stream"; the object is not read to its end,
    // so content after it is not checked (a stream message is one WebSocket frame).
    return with_document(json, false, [&](Reader& r, od::document& doc) {
        od::object top;
        if (!top_object(r, doc, top))
            return;
        std::string stream;
        od::value v;
        if (const auto e = top.find_field_unordered("stream").get(v)) {
            return e == simdjson::NO_SUCH_FIELD ? r.fail({}, "stream", "is missing")
                                                : r.json_error({}, "stream", e);
        }
        if (!read_text(At{r, {}, "stream"}, v, stream, false))
            return;
        od::value data;
        if (const auto e = top.find_field_unordered("data").get(data)) {
            if (e != simdjson::NO_SUCH_FIELD || stream != "error")
                return e == simdjson::NO_SUCH_FIELD ? r.fail({}, "data", "is missing")
                                                    : r.json_error({}, "data", e);
            out.kind = StreamMessage::error;
            return;
        }
        read_stream_data(r, stream, data, out);
    });
}

// --- error bodies, positions, account ---

namespace {

// At most max bytes of text, cut at a UTF-8 character boundary, control characters as spaces.
[[nodiscard]] std::string one_line(std::string_view text, std::size_t max) {
    std::size_t n = std::min(text.size(), max);
    while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
        --n;
    std::string s(text.substr(0, n));
    for (char& c : s) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = ' ';
    }
    return s;
}

// Alpaca's error code: a JSON number, or a string of digits from a lenient proxy.
void read_error_code(od::value& v, int& code) {
    std::int64_t n = 0;
    std::string_view text;
    if (v.get_int64().get(n) == simdjson::SUCCESS) {
        if (n >= INT32_MIN && n <= INT32_MAX)
            code = static_cast<int>(n);
    } else if (v.get_string().get(text) == simdjson::SUCCESS) {
        int parsed = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (ec == std::errc{} && end == text.data() + text.size())
            code = parsed;
    }
}

}  // namespace

ApiError decode_error(std::string_view body) {
    constexpr std::size_t kMaxMessage = 200;
    ApiError out;
    std::optional<std::string> message;
    if (body.size() <= kMaxDocumentBytes) {
        const simdjson::padded_string padded(body);
        od::document doc;
        od::object object;
        if (thread_parser().iterate(padded).get(doc) == simdjson::SUCCESS &&
            doc.get_object().get(object) == simdjson::SUCCESS) {
            for (auto item : object) {
                od::field field;
                std::string_view text;
                if (std::move(item).get(field) != simdjson::SUCCESS)
                    break;
                const std::string_view key = raw_key(field);
                if (key == "code")
                    read_error_code(field.value(), out.code);
                else if (key == "message" &&
                         field.value().get_string().get(text) == simdjson::SUCCESS)
                    message = std::string(text);
            }
        }
    }
    out.message = one_line(message ? std::string_view(*message) : body, kMaxMessage);
    return out;
}

namespace {

constexpr Names<4> kPositionNames = {"symbol", "qty", "avg_entry_price", "side"};

void read_position(Reader& r, od::object& object, std::string_view path, Position& p) {
    std::string side;
    const std::uint32_t seen =
        read_fields(r, object, path, kPositionNames, [&](std::size_t i, od::value& v) {
            const At at{r, path, kPositionNames[i]};
            if (i == 0)
                read_nonempty(at, v, p.symbol);
            else if (i == 1)
                read_decimal(at, v, p.qty, false, false);
            else if (i == 2)
                read_decimal(at, v, p.avg_entry_price, false, false);
            else
                read_text(at, v, side, true);
        });
    require(r, path, kPositionNames, seen, 0b111u);
    // Alpaca signs a short's qty; a positive one beside side "short" is read as the same short.
    if (side == "short" && p.qty.raw > 0)
        p.qty = -p.qty;
}

constexpr Names<6> kAccountNames = {"cash",   "buying_power",    "equity",
                                    "status", "trading_blocked", "account_blocked"};

}  // namespace

std::optional<DecodeError> decode_positions(std::string_view json, std::vector<Position>& out) {
    out.clear();
    auto error = with_document(json, true, [&](Reader& r, od::document& doc) {
        each_object(r, doc, [&](std::size_t, std::string_view path, od::object& object) {
            read_position(r, object, path, out.emplace_back());
        });
    });
    if (error)
        out.clear();
    return error;
}

std::optional<DecodeError> decode_account(std::string_view json, Account& out) {
    out = Account{};
    return with_document(json, true, [&](Reader& r, od::document& doc) {
        od::object object;
        if (!top_object(r, doc, object))
            return;
        const std::uint32_t seen =
            read_fields(r, object, {}, kAccountNames, [&](std::size_t i, od::value& v) {
                const At at{r, {}, kAccountNames[i]};
                Money* money[] = {&out.cash, &out.buying_power, &out.equity};
                if (i < 3)
                    read_decimal(at, v, *money[i], false, false);
                else if (i == 3)
                    read_text(at, v, out.status, false);
                else
                    read_bool(at, v, i == 4 ? out.trading_blocked : out.account_blocked);
            });
        require(r, {}, kAccountNames, seen, 0b111111u);
    });
}

// --- HTTP answers ---

namespace {

[[nodiscard]] char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether text contains needle (lower case), ignoring the case of text.
[[nodiscard]] bool contains(std::string_view text, std::string_view needle) noexcept {
    for (std::size_t at = 0; at + needle.size() <= text.size(); ++at) {
        std::size_t i = 0;
        while (i < needle.size() && lower(text[at + i]) == needle[i])
            ++i;
        if (i == needle.size())
            return true;
    }
    return false;
}

// Whether text is exactly one of the names (lower case), ignoring case, surrounding spaces and
// a final full stop.
[[nodiscard]] bool is_one_of(std::string_view text,
                             std::initializer_list<std::string_view> names) noexcept {
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '.'))
        text.remove_suffix(1);
    for (const std::string_view name : names) {
        if (name.size() == text.size() && contains(text, name))
            return true;
    }
    return false;
}

// A 403 that is about the key, not the order.
[[nodiscard]] bool names_the_key(const ApiError& e) noexcept {
    return e.code == 40110000 || e.code == 40100000 ||
           is_one_of(e.message, {"unauthorized", "forbidden", "request is not authorized"});
}

}  // namespace

Answer classify(unsigned http_status, const ApiError& error) noexcept {
    if (http_status >= 200 && http_status < 300)
        return Answer::ok;
    switch (http_status) {
        case 401:
            return Answer::auth_failed;
        case 403:
            return names_the_key(error) ? Answer::auth_failed : Answer::rejected;
        case 404:
            return Answer::not_found;
        case 422:
            return contains(error.message, "client_order_id must be unique") ? Answer::in_doubt
                                                                             : Answer::rejected;
        case 408:
        case 429:
            return Answer::in_doubt;
        default:
            break;
    }
    // Any other 4xx is a request Alpaca refused without acting on it; everything else (no
    // answer, 5xx, 1xx, 3xx) may have been acted on.
    return http_status >= 400 && http_status < 500 ? Answer::rejected : Answer::in_doubt;
}

Reason reject_reason(unsigned http_status, const ApiError& error) noexcept {
    switch (classify(http_status, error)) {
        case Answer::rejected:
            if (http_status == 403 && contains(error.message, "buying power"))
                return Reason::insufficient_buying_power;
            return http_status == 422 ? Reason::invalid_order : Reason::venue_rejected;
        case Answer::auth_failed:
            return Reason::venue_rejected;
        case Answer::not_found:
            return Reason::venue_unknown_order;
        case Answer::ok:
        case Answer::in_doubt:
            break;
    }
    return Reason::none;
}

// --- mapping ---

namespace {

// A reply about the known order, in every venue's shape (venue/venue_reply.hpp).
[[nodiscard]] engine::Event reply(EventType type, const KnownOrder& k, std::int64_t ts_ns,
                                  OrderStatus status, Reason reason, OrderAction action) noexcept {
    return order_reply(type, k, k.owner, ts_ns, status, reason, action);
}

[[nodiscard]] engine::Event ack_new(const KnownOrder& k, std::int64_t ts_ns) noexcept {
    return reply(EventType::venue_ack, k, ts_ns, OrderStatus::accepted, Reason::none,
                 OrderAction::new_order);
}

void add_note(Mapped& m, std::string_view note) {
    if (!m.note.empty())
        m.note += "; ";
    m.note += note;
}

[[nodiscard]] Mapped nothing(std::string_view note) {
    Mapped m;
    add_note(m, note);
    return m;
}

[[nodiscard]] Mapped single(const engine::Event& e) {
    Mapped m;
    m.push(e);
    return m;
}

[[nodiscard]] std::string qty_text(Quantity q) {
    return engine::decimal_string(q.raw);
}

// The fill rule (alpaca_codec.hpp): the fill of what the order's cumulative figures show beyond
// what keel journaled, priced from the event when it is exactly that execution.
void fill_rule(const Order& o, const TradeUpdate* update, const KnownOrder& k, std::int64_t ts_ns,
               Mapped& m) {
    const Quantity delta = o.filled_qty - k.filled;
    if (delta.raw < 0)
        return add_note(m, "filled_qty " + qty_text(o.filled_qty) + " is below the " +
                               qty_text(k.filled) + " keel journaled: no reply undoes a fill");
    if (delta.raw == 0) {
        if (update != nullptr &&
            (update->event == Event::fill || update->event == Event::partial_fill))
            add_note(m, "late or duplicate: keel has journaled filled_qty " +
                            qty_text(o.filled_qty) + " already");
        return;
    }
    std::optional<Price> price;
    if (update != nullptr && update->has_price && update->has_qty && update->qty == delta) {
        price = update->price;
    } else if (!o.has_filled_avg_price) {
        return add_note(m, "filled_qty " + qty_text(o.filled_qty) + " is above keel's " +
                               qty_text(k.filled) +
                               " but there is no filled_avg_price to price the missed fill");
    } else {
        price = catch_up_price(o.filled_qty, o.filled_avg_price, k.filled, k.filled_notional);
        if (!price)
            return add_note(m, "the missed fill's price is out of range");
    }
    // Alpaca's commission is the order's total so far: this fill's fee is what it adds.
    const Money fee = o.has_commission && o.commission > k.fees ? o.commission - k.fees : Money{};
    m.push(fill_reply(k, ts_ns, *price, delta, fee, o.status == Status::filled));
}

// A rejected order: a reject where the state table takes one, else Alpaca dropped an order keel
// holds working, which only a cancel can end.
[[nodiscard]] engine::Event rejected(const KnownOrder& k, std::int64_t ts_ns) noexcept {
    if (k.state == OrderStatus::pending_new || k.state == OrderStatus::pending_cancel)
        return reply(EventType::venue_reject, k, ts_ns, OrderStatus::rejected,
                     Reason::venue_rejected, OrderAction::new_order);
    return reply(EventType::venue_cancel, k, ts_ns, OrderStatus::canceled, Reason::venue_rejected,
                 OrderAction::new_order);
}

// The close for a final status (canceled, expired, done_for_day, rejected), after the fill
// rule: only for an order open in keel's view that the fills do not complete.
void close_rule(Status status, const Order& o, const KnownOrder& k, std::int64_t ts_ns, Mapped& m) {
    if (engine::is_terminal(k.state) || o.filled_qty >= k.quantity)
        return;
    switch (status) {
        case Status::canceled:
            return m.push(reply(EventType::venue_cancel, k, ts_ns, OrderStatus::canceled,
                                Reason::canceled_on_request, OrderAction::cancel));
        case Status::expired:
            return m.push(expiry_reply(k, ts_ns));
        case Status::done_for_day:
            if (k.tif == TimeInForce::day)
                return m.push(expiry_reply(k, ts_ns));
            return add_note(m, "done_for_day: the order is not a day order and rests on");
        case Status::rejected:
            return m.push(rejected(k, ts_ns));
        default:
            KEEL_ASSERT(false, "close_rule needs a final status");
    }
}

[[nodiscard]] bool is_closing(Status s) noexcept {
    return s == Status::canceled || s == Status::expired || s == Status::done_for_day ||
           s == Status::rejected;
}

// The status an event that ends the order leaves it in.
[[nodiscard]] Status closing_status(Event e) noexcept {
    switch (e) {
        case Event::canceled:
            return Status::canceled;
        case Event::expired:
            return Status::expired;
        case Event::done_for_day:
            return Status::done_for_day;
        default:
            return Status::rejected;
    }
}

[[nodiscard]] Mapped map_ending(const TradeUpdate& u, const KnownOrder& k, std::int64_t ts_ns) {
    Mapped m;
    fill_rule(u.order, &u, k, ts_ns, m);
    close_rule(closing_status(u.event), u.order, k, ts_ns, m);
    return m;
}

[[nodiscard]] Mapped map_replaced(const TradeUpdate& u, const KnownOrder& k, std::int64_t ts_ns) {
    Mapped m;
    fill_rule(u.order, &u, k, ts_ns, m);
    add_note(m, "replaced by " + quote_text(u.order.replaced_by) +
                    ": the replace is acked from the PATCH answer");
    return m;
}

[[nodiscard]] Mapped map_refused_request(OrderAction action, const KnownOrder& k,
                                         std::int64_t ts_ns) {
    return single(reject_event(action, k, Reason::venue_rejected, ts_ns));
}

}  // namespace

Mapped map_order_snapshot(const Order& o, const KnownOrder& k, std::int64_t ts_ns) {
    Mapped m;
    if (k.state == OrderStatus::pending_new && o.status != Status::rejected)
        m.push(ack_new(k, ts_ns));
    fill_rule(o, nullptr, k, ts_ns, m);
    if (is_closing(o.status))
        close_rule(o.status, o, k, ts_ns, m);
    else if (o.status == Status::replaced)
        add_note(m, "replaced by " + quote_text(o.replaced_by) + ": follow replaced_by");
    if (m.count == 0 && m.note.empty())
        m.note = "status " + quote_text(o.status_text) + " matches keel's view of the order";
    return m;
}

Mapped map_trade_update(const TradeUpdate& u, const KnownOrder& k, std::int64_t ts_ns) {
    switch (u.event) {
        case Event::new_:
            if (k.state == OrderStatus::pending_new)
                return single(ack_new(k, ts_ns));
            return nothing("new: keel holds the order acked already");
        case Event::fill:
        case Event::partial_fill: {
            Mapped m;
            fill_rule(u.order, &u, k, ts_ns, m);
            return m;
        }
        case Event::canceled:
        case Event::expired:
        case Event::done_for_day:
        case Event::rejected:
            return map_ending(u, k, ts_ns);
        case Event::replaced:
            return map_replaced(u, k, ts_ns);
        case Event::order_cancel_rejected:
            return map_refused_request(OrderAction::cancel, k, ts_ns);
        case Event::order_replace_rejected:
            return map_refused_request(OrderAction::replace, k, ts_ns);
        case Event::trade_bust:
        case Event::trade_correct:
            return nothing(std::string(to_string(u.event)) +
                           ": keel has no event for a busted or corrected trade (execution " +
                           quote_text(u.execution_id) + "); an operator must look at it");
        case Event::unknown:
            return nothing("event " + quote_text(u.event_text) + ": keel does not know it");
        default:
            return nothing(std::string(to_string(u.event)) +
                           ": keel's pending states come from its own requests");
    }
}

Mapped map_replace_ack(const Order& n, const KnownOrder& k, std::int64_t ts_ns) {
    KnownOrder now = k;
    if (n.has_qty)
        now.quantity = n.qty;
    if (n.has_limit_price && has_limit(k.type))
        now.price = n.limit_price;
    if (n.has_stop_price && has_stop(k.type))
        now.stop_price = n.stop_price;
    if (n.has_trail_price && k.type == OrderType::trailing_stop)
        now.stop_price = n.trail_price;
    return single(reply(EventType::venue_ack, now, ts_ns, OrderStatus::accepted, Reason::none,
                        OrderAction::replace));
}

engine::Event reject_event(OrderAction action, const KnownOrder& k, Reason reason,
                           std::int64_t ts_ns) noexcept {
    return reply(EventType::venue_reject, k, ts_ns, OrderStatus::rejected, reason, action);
}

}  // namespace keel::adapters::alpaca
