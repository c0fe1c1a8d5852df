#include "keel/adapters/feed/message_parser.hpp"

#include <simdjson.h>

#include <cstdint>
#include <cstring>

#include "keel/adapters/csv/csv_source.hpp"
#include "keel/adapters/parse/json_raw_key.hpp"
#include "keel/adapters/parse/timestamp.hpp"
#include "keel/assert.hpp"
#include "keel/engine/core/json_token.hpp"

namespace keel::adapters::feed {
namespace {

namespace od = simdjson::ondemand;
using engine::Event;
using engine::EventType;

// A field's value as read: a number's text or a string's unescaped text, and where it was.
struct Token {
    std::string_view text;
    std::uint32_t offset = 0;
    bool present = false;
    bool is_string = false;
};

bool all_digits(std::string_view s) noexcept {
    if (s.empty())
        return false;
    for (const char c : s) {
        if (c < '0' || c > '9')
            return false;
    }
    return true;
}

// A positive integer that fits in an int64. Nineteen digits fit in a uint64 without overflow,
// so the range is checked once at the end rather than per digit.
bool parse_positive_int(std::string_view s, std::int64_t& out) noexcept {
    if (!all_digits(s) || s.size() > 19)
        return false;
    std::uint64_t n = 0;
    for (const char c : s)
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (n == 0 || n > static_cast<std::uint64_t>(INT64_MAX))
        return false;
    out = static_cast<std::int64_t>(n);
    return true;
}

// The fields of keel's line format. A key is matched on its raw text (no unescaping: none of
// these names has an escape, so a key that has one is simply not among them).
enum Field : std::uint8_t {
    kType,
    kSymbol,
    kTs,
    kPrice,
    kSize,
    kSide,
    kBid,
    kAsk,
    kBidSize,
    kAskSize,
    kOpen,
    kHigh,
    kLow,
    kClose,
    kVolume,
    kInterval,
    kData,
    kFieldCount,
    kOther = kFieldCount,
};
constexpr std::string_view kFieldNames[kFieldCount] = {
    "type",     "symbol", "ts",   "price", "size",  "side",   "bid",      "ask", "bid_size",
    "ask_size", "open",   "high", "low",   "close", "volume", "interval", "data"};

Field field_of(std::string_view key) noexcept {
    // Candidates by length first; each comparison has a size known at compile time, so it is
    // a load and a compare, not a memcmp call.
    auto is = [&](Field f) {
        switch (key.size()) {
            case 2:
                return std::memcmp(key.data(), kFieldNames[f].data(), 2) == 0;
            case 3:
                return std::memcmp(key.data(), kFieldNames[f].data(), 3) == 0;
            case 4:
                return std::memcmp(key.data(), kFieldNames[f].data(), 4) == 0;
            case 5:
                return std::memcmp(key.data(), kFieldNames[f].data(), 5) == 0;
            case 6:
                return std::memcmp(key.data(), kFieldNames[f].data(), 6) == 0;
            default:
                return std::memcmp(key.data(), kFieldNames[f].data(), 8) == 0;
        }
    };
    switch (key.size()) {
        case 2:
            return is(kTs) ? kTs : kOther;
        case 3:
            return is(kBid) ? kBid : is(kAsk) ? kAsk : is(kLow) ? kLow : kOther;
        case 4:
            switch (key[0]) {
                case 't':
                    return is(kType) ? kType : kOther;
                case 's':
                    return is(kSize) ? kSize : is(kSide) ? kSide : kOther;
                case 'o':
                    return is(kOpen) ? kOpen : kOther;
                case 'h':
                    return is(kHigh) ? kHigh : kOther;
                case 'd':
                    return is(kData) ? kData : kOther;
                default:
                    return kOther;
            }
        case 5:
            return is(kPrice) ? kPrice : is(kClose) ? kClose : kOther;
        case 6:
            return is(kSymbol) ? kSymbol : is(kVolume) ? kVolume : kOther;
        case 8:
            return is(kBidSize)    ? kBidSize
                   : is(kAskSize)  ? kAskSize
                   : is(kInterval) ? kInterval
                                   : kOther;
        default:
            return kOther;
    }
}

ParseError error_at(ParseErrorKind kind, std::uint32_t offset, std::string_view field = {},
                    std::int32_t index = -1, std::string_view detail = {}) noexcept {
    ParseError e;
    e.kind = kind;
    e.offset = offset;
    e.field = field;
    e.index = index;
    e.detail = detail;
    return e;
}

// The configured symbols by name: open addressing over a power-of-two table, built once. The
// parser looks up one or more names per message, so this replaces the SymbolTable's ordered map
// (a string comparison per tree level) with a hash and usually one comparison.
class SymbolIndex {
  public:
    explicit SymbolIndex(const engine::SymbolTable& table) {
        std::size_t capacity = 16;
        while (capacity < 2 * table.size())
            capacity *= 2;
        slots_.resize(capacity);
        mask_ = capacity - 1;
        for (std::size_t id = 0; id < table.size(); ++id) {
            const std::string_view name = table.name(static_cast<engine::SymbolId>(id));
            const std::uint64_t h = hash(name);
            std::size_t i = h & mask_;
            while (slots_[i].id != engine::kNoSymbol)
                i = (i + 1) & mask_;
            Slot& slot = slots_[i];
            slot.hash = h;
            slot.id = static_cast<engine::SymbolId>(id);
            slot.size = static_cast<std::uint8_t>(name.size());
            std::memcpy(slot.name, name.data(), name.size());
        }
    }

    [[nodiscard]] bool find(std::string_view name, engine::SymbolId& id) const noexcept {
        if (name.size() > engine::kSymbolNameMax)
            return false;
        const std::uint64_t h = hash(name);
        // At most every slot once; the table is never more than half full, so this ends at an
        // empty slot long before.
        for (std::size_t n = 0, i = h & mask_; n <= mask_; ++n, i = (i + 1) & mask_) {
            const Slot& slot = slots_[i];
            if (slot.id == engine::kNoSymbol)
                return false;
            if (slot.hash == h && slot.size == name.size() &&
                std::memcmp(slot.name, name.data(), name.size()) == 0) {
                id = slot.id;
                return true;
            }
        }
        return false;
    }

  private:
    struct Slot {
        std::uint64_t hash = 0;
        engine::SymbolId id = engine::kNoSymbol;
        std::uint8_t size = 0;
        char name[engine::kSymbolNameMax + 1] = {};
    };
    static std::uint64_t hash(std::string_view s) noexcept {
        std::uint64_t h = 14695981039346656037ull;  // FNV-1a
        for (const char c : s)
            h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        return h;
    }
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
};

}  // namespace

std::string_view to_string(ParseErrorKind k) noexcept {
    switch (k) {
        case ParseErrorKind::ok:
            return "ok";
        case ParseErrorKind::too_large:
            return "too_large";
        case ParseErrorKind::invalid_json:
            return "invalid_json";
        case ParseErrorKind::not_an_object:
            return "not_an_object";
        case ParseErrorKind::trailing_content:
            return "trailing_content";
        case ParseErrorKind::missing_type:
            return "missing_type";
        case ParseErrorKind::unknown_type:
            return "unknown_type";
        case ParseErrorKind::missing_field:
            return "missing_field";
        case ParseErrorKind::wrong_type:
            return "wrong_type";
        case ParseErrorKind::bad_number:
            return "bad_number";
        case ParseErrorKind::bad_value:
            return "bad_value";
        case ParseErrorKind::bad_timestamp:
            return "bad_timestamp";
        case ParseErrorKind::bad_interval:
            return "bad_interval";
        case ParseErrorKind::inconsistent_bar:
            return "inconsistent_bar";
        case ParseErrorKind::too_many_trades:
            return "too_many_trades";
    }
    return "?";
}

std::string describe(const ParseError& e) {
    std::string s(to_string(e.kind));
    s += " at byte ";
    s += std::to_string(e.offset);
    if (!e.field.empty()) {
        s += " in '";
        if (e.index >= 0)
            s += "data[" + std::to_string(e.index) + "].";
        s += e.field;
        s += "'";
    }
    if (!e.detail.empty()) {
        s += ": ";
        s += e.detail;
    }
    return s;
}

engine::DecimalError parse_json_decimal(std::string_view text, std::int64_t& raw) noexcept {
    // A plain loop: find_first_of calls memchr once per character of text.
    std::size_t e_pos = 0;
    while (e_pos < text.size() && text[e_pos] != 'e' && text[e_pos] != 'E')
        ++e_pos;
    if (e_pos == text.size())
        return engine::parse_decimal(text, raw);
    // Rewrite mantissa x 10^exponent as a plain decimal, then parse that exactly.
    std::string_view mantissa = text.substr(0, e_pos);
    std::string_view exp_text = text.substr(e_pos + 1);
    bool exp_negative = false;
    if (!exp_text.empty() && (exp_text.front() == '+' || exp_text.front() == '-')) {
        exp_negative = exp_text.front() == '-';
        exp_text.remove_prefix(1);
    }
    if (exp_text.empty())
        return engine::DecimalError::missing_digits;
    if (!all_digits(exp_text))
        return engine::DecimalError::invalid_character;
    // Beyond 10^40 no value with at most 19 significant digits fits, nor is exact at 9
    // decimals below 10^-40: the bound keeps the rewrite inside a small buffer.
    if (exp_text.size() > 2)
        return exp_negative ? engine::DecimalError::too_many_decimals
                            : engine::DecimalError::out_of_range;
    int exponent = 0;
    for (const char c : exp_text)
        exponent = exponent * 10 + (c - '0');
    if (exponent > 40)
        return exp_negative ? engine::DecimalError::too_many_decimals
                            : engine::DecimalError::out_of_range;
    if (exp_negative)
        exponent = -exponent;

    const bool negative = !mantissa.empty() && mantissa.front() == '-';
    if (negative)
        mantissa.remove_prefix(1);
    const std::size_t dot = mantissa.find('.');
    const std::string_view int_part = mantissa.substr(0, dot);
    const std::string_view frac_part =
        dot == std::string_view::npos ? std::string_view{} : mantissa.substr(dot + 1);
    if (int_part.empty() || (dot != std::string_view::npos && frac_part.empty()))
        return engine::DecimalError::missing_digits;
    if (!all_digits(int_part) || (!frac_part.empty() && !all_digits(frac_part)))
        return engine::DecimalError::invalid_character;
    if (int_part.size() + frac_part.size() > 40)
        return engine::DecimalError::out_of_range;

    char digits[48];
    std::size_t n = 0;
    for (const char c : int_part)
        digits[n++] = c;
    for (const char c : frac_part)
        digits[n++] = c;
    // Where the decimal point falls in digits after the shift.
    const long point = static_cast<long>(int_part.size()) + exponent;

    char buf[160];
    std::size_t len = 0;
    if (negative)
        buf[len++] = '-';
    if (point <= 0) {
        buf[len++] = '0';
        buf[len++] = '.';
        for (long i = 0; i < -point; ++i)
            buf[len++] = '0';
        for (std::size_t i = 0; i < n; ++i)
            buf[len++] = digits[i];
    } else if (static_cast<std::size_t>(point) >= n) {
        for (std::size_t i = 0; i < n; ++i)
            buf[len++] = digits[i];
        for (std::size_t i = n; i < static_cast<std::size_t>(point); ++i)
            buf[len++] = '0';
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            if (i == static_cast<std::size_t>(point))
                buf[len++] = '.';
            buf[len++] = digits[i];
        }
    }
    return engine::parse_decimal(std::string_view(buf, len), raw);
}

struct MessageParser::Impl {
    Impl(const engine::SymbolTable& table, std::size_t max)
        : symbols(table), max_bytes(max), buffer(max + simdjson::SIMDJSON_PADDING) {
        // Sized once here, so parsing a message allocates nothing.
        const simdjson::error_code err = parser.allocate(max);
        KEEL_ASSERT(err == simdjson::SUCCESS, "simdjson could not allocate its buffers");
    }

    SymbolIndex symbols;
    std::size_t max_bytes;
    std::vector<char> buffer;  // the message copied in, followed by simdjson's padding
    od::parser parser;
    const char* base = nullptr;
    std::size_t size = 0;
    std::vector<std::string_view>* unknown = nullptr;

    std::uint32_t offset_of(const char* p) const noexcept {
        if (p < base || p > base + size)
            return static_cast<std::uint32_t>(size);
        return static_cast<std::uint32_t>(p - base);
    }

    // Where the document's iterator stopped: the best offset simdjson gives for an error.
    std::uint32_t location(od::document& doc) noexcept {
        const char* p = nullptr;
        if (doc.current_location().get(p) != simdjson::SUCCESS)
            return static_cast<std::uint32_t>(size);
        return offset_of(p);
    }

    ParseError json_error(simdjson::error_code err, std::uint32_t offset) const noexcept {
        return error_at(ParseErrorKind::invalid_json, offset, {}, -1, simdjson::error_message(err));
    }

    // Reads a scalar field's value (a number's text or a string's unescaped text).
    ParseError read_token(od::value& v, std::string_view name, std::int32_t index,
                          Token& t) noexcept {
        const std::string_view raw = v.raw_json_token();
        t.offset = offset_of(raw.data());
        // The type from the token's first byte, as simdjson's type() would tell it.
        const char first = raw.empty() ? '\0' : raw.front();
        if (first == '"') {
            // Without a backslash the text between the quotes is the string: no unescaping.
            const std::string_view quoted = engine::json_token_text(raw);
            const std::string_view inner = quoted.size() >= 2 && quoted.back() == '"'
                                               ? quoted.substr(1, quoted.size() - 2)
                                               : std::string_view{};
            bool escaped = false;
            for (const char c : inner)  // a short loop beats a memchr call on a few bytes
                escaped |= c == '\\';
            if (quoted.size() >= 2 && quoted.back() == '"' && !escaped) {
                t.text = inner;
            } else {
                std::string_view s;
                if (const auto err = v.get_string().get(s))
                    return json_error(err, t.offset);
                t.text = s;
            }
            t.is_string = true;
        } else if (first == '-' || (first >= '0' && first <= '9')) {
            t.text = engine::json_token_text(raw);
            t.is_string = false;
        } else {
            // "tru" must be named invalid JSON, not a boolean of the wrong type.
            const std::string_view atom = engine::json_token_text(raw);
            if (atom != "true" && atom != "false" && atom != "null" && first != '{' && first != '[')
                return error_at(ParseErrorKind::invalid_json, t.offset, name, index,
                                "not a JSON value (true, false or null misspelt)");
            return error_at(ParseErrorKind::wrong_type, t.offset, name, index,
                            "expected a number or a string");
        }
        t.present = true;
        return {};
    }

    ParseError decimal(const Token& t, std::string_view name, std::int32_t index, std::int64_t& raw,
                       bool positive) const noexcept {
        const engine::DecimalError e = parse_json_decimal(t.text, raw);
        if (e != engine::DecimalError::ok)
            return error_at(ParseErrorKind::bad_number, t.offset, name, index,
                            engine::to_string(e));
        if (positive ? raw <= 0 : raw < 0)
            return error_at(ParseErrorKind::bad_value, t.offset, name, index,
                            positive ? "must be positive" : "must not be negative");
        return {};
    }

    // Looks the symbol up; false (and noted as unknown) when the table does not have it.
    bool symbol(std::string_view name, engine::SymbolId& id) {
        if (symbols.find(name, id))
            return true;
        unknown->push_back(name);
        return false;
    }

    ParseError finnhub_trades(od::value& v, std::vector<Event>& out, od::document& doc);
    ParseError parse(std::string_view message, std::vector<Event>& out);
};

ParseError MessageParser::Impl::finnhub_trades(od::value& v, std::vector<Event>& out,
                                               od::document& doc) {
    const std::uint32_t data_offset = offset_of(v.raw_json_token().data());
    od::array array;
    if (const auto err = v.get_array().get(array)) {
        if (err == simdjson::INCORRECT_TYPE)
            return error_at(ParseErrorKind::wrong_type, data_offset, "data", -1,
                            "expected an array of trades");
        return json_error(err, location(doc));
    }
    std::int32_t index = 0;
    for (auto element_result : array) {
        od::value element;
        if (const auto err = std::move(element_result).get(element))
            return json_error(err, location(doc));
        if (static_cast<std::size_t>(index) >= kMaxTradesPerMessage)
            return error_at(ParseErrorKind::too_many_trades,
                            offset_of(element.raw_json_token().data()), "data", index);
        const std::uint32_t element_offset = offset_of(element.raw_json_token().data());
        od::object trade;
        if (const auto err = element.get_object().get(trade)) {
            if (err == simdjson::INCORRECT_TYPE)
                return error_at(ParseErrorKind::wrong_type, element_offset, "data", index,
                                "expected a trade object");
            return json_error(err, location(doc));
        }
        Token s, p, t, vol;
        for (auto field_result : trade) {
            od::field field;
            if (const auto err = std::move(field_result).get(field))
                return json_error(err, location(doc));
            const std::string_view key = raw_key(field);
            static constexpr std::string_view kNames[] = {"s", "p", "t", "v"};
            Token* const slots[] = {&s, &p, &t, &vol};
            std::size_t k = 0;
            while (k < 4 && key != kNames[k])
                ++k;
            if (k == 4)
                continue;  // "c" (trade conditions) and any future field
            Token* slot = slots[k];
            const std::string_view name = kNames[k];
            od::value value = field.value();
            if (auto e = read_token(value, name, index, *slot); !e.ok())
                return e;
        }
        if (!s.present)
            return error_at(ParseErrorKind::missing_field, element_offset, "s", index);
        if (!p.present)
            return error_at(ParseErrorKind::missing_field, element_offset, "p", index);
        if (!t.present)
            return error_at(ParseErrorKind::missing_field, element_offset, "t", index);
        if (!s.is_string)
            return error_at(ParseErrorKind::wrong_type, s.offset, "s", index, "expected a string");
        std::int64_t ms = 0;
        if (t.is_string || !parse_positive_int(t.text, ms) || ms > INT64_MAX / 1'000'000)
            return error_at(ParseErrorKind::bad_timestamp, t.offset, "t", index,
                            "expected milliseconds since the epoch");
        Event e = engine::make_event(EventType::trade, engine::Source::feed, 0, ms * 1'000'000,
                                     engine::kNoSymbol);
        if (auto err = decimal(p, "p", index, e.payload.trade.price.raw, true); !err.ok())
            return err;
        if (vol.present) {
            if (auto err = decimal(vol, "v", index, e.payload.trade.size.raw, false); !err.ok())
                return err;
        } else {
            e.payload.trade.size = engine::kSizeUnknown;  // not given: unknown, not 0
        }
        if (symbol(s.text, e.header.symbol))
            out.push_back(e);
        ++index;
    }
    return {};
}

ParseError MessageParser::Impl::parse(std::string_view message, std::vector<Event>& out) {
    if (message.size() > max_bytes)
        return error_at(ParseErrorKind::too_large, static_cast<std::uint32_t>(max_bytes), {}, -1,
                        "longer than the message size limit");
    std::memcpy(buffer.data(), message.data(), message.size());
    // The padding after the message is read but its content does not affect parsing
    // (simdjson/simdjson#1965), so it is zeroed once, at construction, not per message.
    base = buffer.data();
    size = message.size();

    od::document doc;
    if (const auto err = parser.iterate(buffer.data(), size, buffer.size()).get(doc))
        return json_error(err, 0);
    // Where the top-level value starts: the offset of errors about the object as a whole.
    std::uint32_t start = 0;
    while (start < size && (base[start] == ' ' || base[start] == '\t' || base[start] == '\r' ||
                            base[start] == '\n'))
        ++start;
    od::object object;
    if (const auto err = doc.get_object().get(object)) {
        if (err == simdjson::INCORRECT_TYPE)
            return error_at(ParseErrorKind::not_an_object, start);
        return json_error(err, location(doc));
    }

    // One pass over the fields in whatever order they come; interpreted once "type" is known.
    Token tokens[kFieldCount];
    bool has_data = false;
    for (auto field_result : object) {
        od::field field;
        if (const auto err = std::move(field_result).get(field))
            return json_error(err, location(doc));
        const Field f = field_of(raw_key(field));
        if (f == kOther)
            continue;  // other fields are ignored, so a producer may add its own
        od::value value = field.value();
        if (f == kData) {
            has_data = true;
            if (auto e = finnhub_trades(value, out, doc); !e.ok())
                return e;
            continue;
        }
        if (auto e = read_token(value, kFieldNames[f], -1, tokens[f]); !e.ok())
            return e;
    }
    const Token &type = tokens[kType], &symbol_name = tokens[kSymbol], &ts = tokens[kTs],
                &price = tokens[kPrice], &trade_size = tokens[kSize], &side = tokens[kSide],
                &bid = tokens[kBid], &ask = tokens[kAsk], &bid_size = tokens[kBidSize],
                &ask_size = tokens[kAskSize], &open = tokens[kOpen], &high = tokens[kHigh],
                &low = tokens[kLow], &close = tokens[kClose], &volume = tokens[kVolume],
                &interval = tokens[kInterval];
    // Whatever follows the object is an error, not a second message.
    {
        const char* p = nullptr;
        if (doc.current_location().get(p) == simdjson::SUCCESS && p < base + size)
            return error_at(ParseErrorKind::trailing_content, offset_of(p));
    }

    if (!type.present)
        return error_at(ParseErrorKind::missing_type, start, "type");
    if (!type.is_string)
        return error_at(ParseErrorKind::wrong_type, type.offset, "type", -1, "expected a string");
    if (type.text == "ping")
        return {};
    if (has_data) {
        if (type.text != "trade")
            return error_at(ParseErrorKind::unknown_type, type.offset, "type", -1,
                            "a message with \"data\" must be of type trade");
        return {};
    }
    EventType event_type{};
    if (type.text == "trade")
        event_type = EventType::trade;
    else if (type.text == "quote")
        event_type = EventType::quote;
    else if (type.text == "bar")
        event_type = EventType::bar;
    else
        return error_at(ParseErrorKind::unknown_type, type.offset, "type", -1,
                        "expected trade, quote, bar or ping");

    auto require = [&](const Token& t, std::string_view name) -> ParseError {
        if (!t.present)
            return error_at(ParseErrorKind::missing_field, start, name);
        return {};
    };
    if (auto e = require(symbol_name, "symbol"); !e.ok())
        return e;
    if (!symbol_name.is_string)
        return error_at(ParseErrorKind::wrong_type, symbol_name.offset, "symbol", -1,
                        "expected a string");
    if (auto e = require(ts, "ts"); !e.ok())
        return e;
    std::int64_t ts_ns = 0;
    if (ts.is_string) {
        const auto parsed = parse_timestamp_ns(ts.text);
        if (!parsed || *parsed <= 0)
            return error_at(ParseErrorKind::bad_timestamp, ts.offset, "ts", -1,
                            "expected ns since the epoch, or an ISO-8601 UTC string");
        ts_ns = *parsed;
    } else if (!parse_positive_int(ts.text, ts_ns)) {
        return error_at(ParseErrorKind::bad_timestamp, ts.offset, "ts", -1,
                        "expected a positive integer: ns since the epoch");
    }

    Event e = engine::make_event(event_type, engine::Source::feed, 0, ts_ns, engine::kNoSymbol);
    switch (event_type) {
        case EventType::trade: {
            if (auto err = require(price, "price"); !err.ok())
                return err;
            if (auto err = decimal(price, "price", -1, e.payload.trade.price.raw, true); !err.ok())
                return err;
            if (trade_size.present) {
                if (auto err = decimal(trade_size, "size", -1, e.payload.trade.size.raw, false);
                    !err.ok())
                    return err;
            } else {
                e.payload.trade.size = engine::kSizeUnknown;  // not given: unknown, not 0
            }
            if (side.present) {
                if (side.is_string && side.text == "buy")
                    e.payload.trade.aggressor = engine::Side::buy;
                else if (side.is_string && side.text == "sell")
                    e.payload.trade.aggressor = engine::Side::sell;
                else
                    return error_at(ParseErrorKind::bad_value, side.offset, "side", -1,
                                    "expected \"buy\" or \"sell\"");
            }
            break;
        }
        case EventType::quote: {
            engine::QuotePayload& q = e.payload.quote;
            if (auto err = require(bid, "bid"); !err.ok())
                return err;
            if (auto err = require(ask, "ask"); !err.ok())
                return err;
            if (auto err = decimal(bid, "bid", -1, q.bid.raw, true); !err.ok())
                return err;
            if (auto err = decimal(ask, "ask", -1, q.ask.raw, true); !err.ok())
                return err;
            q.bid_size = q.ask_size = engine::kSizeUnknown;  // unless given
            if (bid_size.present) {
                if (auto err = decimal(bid_size, "bid_size", -1, q.bid_size.raw, false); !err.ok())
                    return err;
            }
            if (ask_size.present) {
                if (auto err = decimal(ask_size, "ask_size", -1, q.ask_size.raw, false); !err.ok())
                    return err;
            }
            break;
        }
        default: {
            engine::BarPayload& b = e.payload.bar;
            struct Part {
                const Token* token;
                std::string_view name;
                std::int64_t* raw;
            };
            const Part parts[] = {{&open, "open", &b.open.raw},
                                  {&high, "high", &b.high.raw},
                                  {&low, "low", &b.low.raw},
                                  {&close, "close", &b.close.raw}};
            for (const Part& part : parts) {
                if (auto err = require(*part.token, part.name); !err.ok())
                    return err;
                if (auto err = decimal(*part.token, part.name, -1, *part.raw, true); !err.ok())
                    return err;
            }
            if (volume.present) {
                if (auto err = decimal(volume, "volume", -1, b.volume.raw, false); !err.ok())
                    return err;
            } else {
                b.volume = engine::kSizeUnknown;  // not given: unknown, not 0
            }
            if (b.high < b.low || b.open > b.high || b.open < b.low || b.close > b.high ||
                b.close < b.low)
                return error_at(ParseErrorKind::inconsistent_bar, high.offset, "high", -1,
                                "high and low do not bound open and close");
            if (auto err = require(interval, "interval"); !err.ok())
                return err;
            const auto minutes = parse_timeframe_minutes(interval.text);
            if (!minutes)
                return error_at(ParseErrorKind::bad_interval, interval.offset, "interval", -1,
                                "expected minutes, or e.g. \"30m\", \"1h\", \"1d\"");
            e.header.aux = *minutes;
            break;
        }
    }
    if (symbol(symbol_name.text, e.header.symbol))
        out.push_back(e);
    return {};
}

MessageParser::MessageParser(const engine::SymbolTable& symbols, std::size_t max_message_bytes)
    : impl_(std::make_unique<Impl>(symbols, max_message_bytes)) {
    unknown_.reserve(16);
}
MessageParser::~MessageParser() = default;
MessageParser::MessageParser(MessageParser&&) noexcept = default;
MessageParser& MessageParser::operator=(MessageParser&&) noexcept = default;

ParseError MessageParser::parse(std::string_view message, std::vector<Event>& out) {
    out.clear();
    unknown_.clear();
    impl_->unknown = &unknown_;
    ParseError e = impl_->parse(message, out);
    if (!e.ok()) {
        out.clear();
        unknown_.clear();
    }
    return e;
}

}  // namespace keel::adapters::feed
