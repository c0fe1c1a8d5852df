#include "keel/adapters/webhook/alert_json.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "keel/adapters/parse/json_raw_key.hpp"
#include "keel/adapters/parse/timestamp.hpp"
#include "keel/assert.hpp"
#include "keel/engine/core/json_token.hpp"

namespace keel::adapters::webhook {

namespace od = simdjson::ondemand;
using engine::ApiCode;

namespace {

// Short values are echoed whole in error messages (where the receiver can redact a secret
// pasted into the wrong field); longer ones are only described, never cut to a prefix that
// could be part of a secret.
constexpr std::size_t kEchoMax = 32;
constexpr std::size_t kIdMax = 256;

std::string echo(std::string_view v) {
    if (v.size() <= kEchoMax)
        return std::string(v);
    return "<a value of " + std::to_string(v.size()) + " characters>";
}

// Where the top-level value closes (outside strings) decides which of the two problems
// simdjson's "ended early" means: bytes after the closing brace, or no closing brace at all.
std::string unbalanced_message(std::string_view body) {
    int depth = 0;
    bool in_string = false;
    std::size_t string_start = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
            string_start = i;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) {
                return "malformed JSON at byte " + std::to_string(i + 1) +
                       ": content after the JSON object";
            }
        }
    }
    if (in_string) {
        return "malformed JSON at byte " + std::to_string(string_start) +
               ": a string opened here is never closed";
    }
    return "malformed JSON at byte " + std::to_string(body.size()) +
           ": the body ends inside an object or array";
}


char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == y; });
}

// Control characters (NUL included) in a value that names or identifies something; `lines`
// lets tab and line breaks through (a message may have several lines).
bool has_control(std::string_view s, bool lines = false) noexcept {
    return std::any_of(s.begin(), s.end(), [lines](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        if (lines && (c == '\t' || c == '\n' || c == '\r'))
            return false;
        return c < 0x20 || c == 0x7F;
    });
}

// Optimal string alignment distance (a swap of two neighbours is one edit), case ignored in
// `a` (b is a lower-case field name); anything above 2 is reported as 3.
int edit_distance(std::string_view a, std::string_view b) noexcept {
    constexpr std::size_t kMax = 48;
    if (a.size() > kMax || b.size() > kMax || (a.size() > b.size() ? a.size() - b.size()
                                                                    : b.size() - a.size()) > 2)
        return 3;
    std::array<std::array<int, kMax + 1>, kMax + 1> d{};
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = static_cast<int>(i);
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = static_cast<int>(j);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const int cost = lower(a[i - 1]) == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == b[j - 2] && lower(a[i - 2]) == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return std::min(d[a.size()][b.size()], 3);
}

// The index of name in kAlertFields, or -1.
int accepted_index(std::string_view name) noexcept {
    const auto* it = std::find(std::begin(kAlertFields), std::end(kAlertFields), name);
    return it == std::end(kAlertFields) ? -1 : static_cast<int>(it - std::begin(kAlertFields));
}

static_assert(std::size(kAlertFields) <= 64, "seen fields are a 64-bit set");

class Parser {
  public:
    Parser(const std::string& body, od::document& doc, AlertFields& out, AlertParseResult& result,
           std::span<const std::string> extra)
        : body_(body), doc_(doc), out_(out), result_(result), extra_(extra) {}

    void malformed(simdjson::error_code e, std::string_view what = {}) {
        std::size_t offset = body_.size();
        const char* loc = nullptr;
        if (!doc_.current_location().get(loc) && loc >= body_.data() &&
            loc <= body_.data() + body_.size())
            offset = static_cast<std::size_t>(loc - body_.data());
        malformed_at(offset, what.empty() ? std::string_view(simdjson::error_message(e)) : what);
    }
    void malformed_at(std::size_t offset, std::string_view what) {
        result_.code = ApiCode::malformed_json;
        result_.message = "malformed JSON at byte " + std::to_string(offset) + ": " +
                          std::string(what);
    }
    [[nodiscard]] bool stopped() const noexcept {
        return result_.code == ApiCode::malformed_json;
    }

    void bad(std::string_view field, const std::string& why,
             ApiCode code = ApiCode::bad_field) {
        if (result_.code != ApiCode::ok)
            return;  // the first problem is the one reported
        result_.code = code;
        result_.message = "field '" + std::string(field) + "': " + why;
    }

    // A number token by JSON's grammar; malformed (stopping the parse) otherwise.
    bool number_token(std::string_view text) {
        if (is_json_number(text))
            return true;
        const std::size_t at = text.data() >= body_.data() && text.data() <= body_.data() +
                                                                               body_.size()
                                   ? static_cast<std::size_t>(text.data() - body_.data())
                                   : body_.size();
        malformed_at(at, "'" + echo(text) +
                             "' is not a JSON number (no leading zeros, '+' or bare '.')");
        return false;
    }

    // Any JSON value, walked so that every number in it is held to the grammar (a field keel
    // keeps only in the body still has to be JSON).
    bool any_value(od::value v, int depth = 0) {
        od::json_type t;
        if (const auto e = v.type().get(t); e) {
            malformed(e);
            return false;
        }
        simdjson::error_code e = simdjson::SUCCESS;
        switch (t) {
            case od::json_type::number:
                return number_token(engine::json_token_text(v.raw_json_token()));
            case od::json_type::string: {
                std::string_view s;
                e = v.get_string().get(s);
                break;
            }
            case od::json_type::boolean: {
                bool b = false;
                e = v.get_bool().get(b);
                break;
            }
            case od::json_type::null: {
                bool b = false;
                e = v.is_null().get(b);
                if (!e && !b)
                    e = simdjson::N_ATOM_ERROR;
                break;
            }
            case od::json_type::array:
                return any_array(v, depth);
            case od::json_type::object:
                return any_object(v, depth);
            default:
                e = simdjson::INCORRECT_TYPE;
        }
        if (e)
            malformed(e);
        return !e;
    }
    bool any_array(od::value v, int depth) {
        od::array a;
        if (const auto e = v.get_array().get(a); e) {
            malformed(e);
            return false;
        }
        for (auto item : a) {
            od::value x;
            if (const auto e = std::move(item).get(x); e) {
                malformed(e);
                return false;
            }
            if (!any_value(x, depth + 1))
                return false;
        }
        return true;
    }
    bool any_object(od::value v, int depth) {
        od::object o;
        if (const auto e = v.get_object().get(o); e) {
            malformed(e);
            return false;
        }
        for (auto item : o) {
            od::field f;
            if (const auto e = std::move(item).get(f); e) {
                malformed(e);
                return false;
            }
            if (!any_value(f.value(), depth + 1))
                return false;
        }
        return true;
    }

    // A string field; false (and a bad_field) when it is not a string.
    bool string_field(std::string_view name, od::value& v, std::string_view& s) {
        od::json_type t;
        if (const auto e = v.type().get(t); e) {
            malformed(e);
            return false;
        }
        if (t != od::json_type::string) {
            if (!any_value(v))
                return false;
            bad(name, "must be a string");
            return false;
        }
        if (v.get_string().get(s)) {
            bad(name, "is not a valid string");
            return false;
        }
        return true;
    }

    // A number or a decimal string, as its exact text; either must be a JSON number.
    bool decimal_text(std::string_view name, od::value& v, std::string_view& text) {
        od::json_type t;
        if (const auto e = v.type().get(t); e) {
            malformed(e);
            return false;
        }
        if (t == od::json_type::string)
            return string_field(name, v, text);
        if (t != od::json_type::number) {
            if (any_value(v))
                bad(name, "must be a number or a decimal string");
            return false;
        }
        text = engine::json_token_text(v.raw_json_token());
        return number_token(text);
    }

    template <class F>
    void positive_decimal(std::string_view name, od::value& v, F& out) {
        std::string_view text;
        if (!decimal_text(name, v, text))
            return;
        if (!is_json_number(text))
            return bad(name, "'" + echo(text) + "' is not a number (as JSON writes one)");
        F parsed{};
        const engine::DecimalError e = F::parse(text, parsed);
        if (e != engine::DecimalError::ok) {
            bad(name, "'" + echo(text) + "' is not an exact decimal (" +
                          std::string(engine::to_string(e)) + "; at most 9 decimals, no exponent)");
            return;
        }
        if (parsed.raw <= 0) {
            bad(name, "must be positive, got '" + echo(text) + "'");
            return;
        }
        out = parsed;
    }

    void field(std::string_view key, od::value& v) {
        const int index = accepted_index(key);
        if (index < 0)
            return other_field(key, v);
        const std::uint64_t bit = std::uint64_t{1} << index;
        if (seen_ & bit) {
            (void)any_value(v);
            return bad(key, "given more than once");
        }
        seen_ |= bit;
        if (!keel_field(key, v) && !stopped())
            (void)any_value(v);  // a field kept only in the body: any JSON value
    }

    // A field kAlertFields does not list: extra_fields may allow it, unless it is a near miss
    // of a field that sets size, price, side or symbol.
    void other_field(std::string_view key, od::value& v) {
        if (!any_value(v))
            return;
        if (const auto near = near_miss_of(key)) {
            return bad(key,
                       "is not a field keel accepts and is within two edits of '" +
                           std::string(*near) +
                           "' (a field that sets size, price, side or symbol): refused, even "
                           "when webhook.extra_fields names it; did you mean '" +
                           std::string(*near) + "'?",
                       ApiCode::unknown_field);
        }
        if (std::find(extra_.begin(), extra_.end(), key) != extra_.end())
            return;
        bad(key,
            "is not a field keel accepts (the list is in adapters/README.md; "
            "webhook.extra_fields adds more)",
            ApiCode::unknown_field);
    }

    // The fields keel reads itself; false for the ones it only keeps in the body.
    bool keel_field(std::string_view key, od::value& v) {
        if (key == "ticker" || key == "symbol")
            ticker(key, v);
        else if (key == "action" || key == "market_position")
            side(key, v);
        else if (key == "quantity")
            positive_decimal(key, v, out_.quantity);
        else if (key == "notional")
            positive_decimal(key, v, out_.notional);
        else if (key == "price")
            positive_decimal(key, v, out_.price);
        else if (key == "timeframe" || key == "interval")
            timeframe(key, v);
        else if (key == "strategy" || key == "message" || key == "exchange")
            text(key, v);
        else if (key == "time")
            time(key, v);
        else if (key == "id")
            id(key, v);
        else if (key == "secret")
            secret(key, v);
        else
            return false;
        return true;
    }

    void ticker(std::string_view key, od::value& v) {
        std::string_view s;
        if (!string_field(key, v, s))
            return;
        if (s.empty())
            return bad(key, "must not be empty");
        if (has_control(s))
            return bad(key, "holds a control character");
        if (!out_.ticker_field.empty())
            return bad(key, "and '" + std::string(out_.ticker_field) +
                                "' both name the symbol: give one of them");
        out_.ticker_field = key == "ticker" ? "ticker" : "symbol";
        out_.ticker = std::string(s);
    }

    // action: a trade or a target; market_position ({{strategy.market_position}}): a target.
    void side(std::string_view key, od::value& v) {
        std::string_view s;
        if (!string_field(key, v, s))
            return;
        engine::AlertAction a = engine::AlertAction::none;
        if (key == "action") {
            if (!parse_alert_action(s, a))
                return bad(key, "'" + echo(s) +
                                    "' is not one of buy, sell, close, close_long, close_short, "
                                    "long, short, flat (any case)");
            action_ = a;
            return;
        }
        if (!parse_alert_action(s, a) || a < engine::AlertAction::target_long)
            return bad(key, "'" + echo(s) + "' is not one of long, short, flat (any case)");
        target_ = a;
    }

    void timeframe(std::string_view key, od::value& v) {
        std::string_view text;
        std::string why;
        if (!decimal_text(key, v, text))
            return;
        if (timeframe_given_)
            return bad(key, "and the other of timeframe/interval are both given: give one");
        timeframe_given_ = true;
        if (!parse_timeframe(text, out_.timeframe_minutes, why))
            bad(key, why);
    }

    void text(std::string_view key, od::value& v) {
        std::string_view s;
        if (!string_field(key, v, s))
            return;
        if (has_control(s, key == "message"))
            return bad(key, "holds a control character");
        if (key == "strategy")
            out_.strategy = std::string(s);
        else if (key == "exchange")
            out_.exchange = std::string(s);
    }

    void time(std::string_view key, od::value& v) {
        std::string_view s;
        if (!string_field(key, v, s))
            return;
        const auto ns = parse_timestamp_ns(s);
        if (!ns)
            return bad(key, "'" + echo(s) + "' is not an ISO-8601 time (as {{timenow}} sends)");
        out_.time_ns = *ns;
    }

    void id(std::string_view key, od::value& v) {
        std::string_view s;
        if (!decimal_text(key, v, s))
            return;
        if (s.empty())
            bad(key, "must not be empty");
        else if (s.size() > kIdMax)
            bad(key, "is longer than " + std::to_string(kIdMax) + " characters");
        else if (has_control(s))
            bad(key, "holds a control character (NUL included): ids are text");
        else
            out_.id = std::string(s);
    }

    void secret(std::string_view key, od::value& v) {
        od::json_type t;
        if (const auto e = v.type().get(t); e)
            return malformed(e);
        const std::string_view raw = engine::json_token_text(v.raw_json_token());
        if (raw.data() >= body_.data() && raw.data() + raw.size() <= body_.data() + body_.size()) {
            out_.secret_offset = static_cast<std::size_t>(raw.data() - body_.data());
            out_.secret_length = raw.size();
        }
        // The secret's value is never echoed, not even in a type error.
        std::string_view s;
        if (t != od::json_type::string || v.get_string().get(s)) {
            if (t != od::json_type::string && !any_value(v))
                return;
            return bad(key, "must be a string");
        }
        out_.has_secret = true;
        out_.secret = std::string(s);
    }

    void finish() {
        if (result_.code != ApiCode::ok)
            return;
        if (out_.ticker_field.empty())
            return bad("ticker", "is required (or 'symbol')");
        if (target_ != engine::AlertAction::none) {
            // {{strategy.market_position}} says where the strategy now is; it wins over the
            // order's buy/sell, which for a closing order would open the other side.
            if (action_ >= engine::AlertAction::target_long && action_ != target_)
                return bad("market_position", "'" + std::string(engine::to_string(target_)) +
                                                  "' contradicts action '" +
                                                  std::string(engine::to_string(action_)) + "'");
            action_ = target_;
        }
        out_.action = action_;
        if (out_.action == engine::AlertAction::none)
            return bad("action", "is required (buy, sell, close, close_long, close_short, or "
                                 "the targets long, short, flat; or give market_position)");
        if (out_.quantity.raw > 0 && out_.notional.raw > 0)
            return bad("notional", "give quantity or notional, not both");
    }

  private:
    const std::string& body_;
    od::document& doc_;
    AlertFields& out_;
    AlertParseResult& result_;
    std::span<const std::string> extra_;
    std::uint64_t seen_ = 0;
    engine::AlertAction action_ = engine::AlertAction::none;
    engine::AlertAction target_ = engine::AlertAction::none;
    bool timeframe_given_ = false;
};

}  // namespace

std::optional<std::string_view> near_miss_of(std::string_view name) {
    if (accepted_index(name) >= 0)
        return std::nullopt;
    for (const std::string_view p : kProtectedAlertFields) {
        if (iequals(name, p) || edit_distance(name, p) <= 2)
            return p;
    }
    return std::nullopt;
}

bool is_json_number(std::string_view t) noexcept {
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t from = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9')
            ++i;
        return i - from;
    };
    if (i < t.size() && t[i] == '-')
        ++i;
    if (i < t.size() && t[i] == '0')
        ++i;
    else if (i >= t.size() || t[i] < '1' || t[i] > '9' || digits() == 0)
        return false;
    if (i < t.size() && t[i] == '.') {
        ++i;
        if (digits() == 0)
            return false;
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-'))
            ++i;
        if (digits() == 0)
            return false;
    }
    return i == t.size();
}

bool parse_alert_action(std::string_view text, engine::AlertAction& out) noexcept {
    using engine::AlertAction;
    static constexpr std::pair<std::string_view, AlertAction> kNames[] = {
        {"buy", AlertAction::buy},
        {"sell", AlertAction::sell},
        {"close", AlertAction::close},
        {"close_long", AlertAction::close_long},
        {"close_short", AlertAction::close_short},
        {"long", AlertAction::target_long},
        {"short", AlertAction::target_short},
        {"flat", AlertAction::target_flat}};
    for (const auto& [name, action] : kNames) {
        if (iequals(text, name)) {
            out = action;
            return true;
        }
    }
    return false;
}

namespace {

// Minutes per unit as people write TradingView intervals; 0 when the unit is unknown. A lone
// "m" is minutes and a lone "M" a month (TradingView's "1M"); word units in any case.
std::uint64_t minutes_per(std::string_view unit) noexcept {
    if (unit == "M")
        return 43200;
    if (unit == "m")
        return 1;
    static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {
        {"min", 1},      {"mins", 1},     {"minute", 1}, {"minutes", 1}, {"h", 60},
        {"hr", 60},      {"hrs", 60},     {"hour", 60},  {"hours", 60},  {"d", 1440},
        {"day", 1440},   {"days", 1440},  {"w", 10080},  {"wk", 10080},  {"week", 10080},
        {"weeks", 10080}, {"mo", 43200},  {"month", 43200}, {"months", 43200}};
    for (const auto& [name, per] : kUnits) {
        if (iequals(unit, name))
            return per;
    }
    return 0;
}

bool is_seconds(std::string_view unit) noexcept {
    return iequals(unit, "s") || iequals(unit, "sec") || iequals(unit, "secs") ||
           iequals(unit, "second") || iequals(unit, "seconds");
}

}  // namespace

bool parse_timeframe(std::string_view text, std::uint16_t& minutes, std::string& why) {
    std::uint64_t count = 1;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    if (digits > 0) {
        const auto [p, ec] = std::from_chars(text.data(), text.data() + digits, count);
        if (ec != std::errc() || count == 0 || count > 65535) {
            why = "'" + echo(text) + "' is not a positive interval";
            return false;
        }
    }
    std::string_view unit = text.substr(digits);
    if (digits > 0)
        unit.remove_prefix(std::min(unit.find_first_not_of(' '), unit.size()));
    const std::uint64_t per = unit.empty() && digits > 0 ? 1 : minutes_per(unit);
    if (is_seconds(unit)) {
        why = "'" + echo(text) + "' is in seconds; timeframes are whole minutes";
        return false;
    }
    if (per == 0) {
        why = "'" + echo(text) +
              "' is not an interval (minutes like \"15\" or \"15 Min\", or \"1H\", \"1D\", "
              "\"1W\", \"1M\")";
        return false;
    }
    const std::uint64_t total = count * per;
    if (total > 65535) {
        why = "'" + echo(text) + "' is longer than 65535 minutes";
        return false;
    }
    minutes = static_cast<std::uint16_t>(total);
    return true;
}

AlertTrace read_alert_trace(std::string_view tail) {
    AlertTrace out;
    const simdjson::padded_string padded(tail);
    od::parser parser;
    od::document doc;
    od::object object;
    if (parser.iterate(padded).get(doc) || doc.get_object().get(object))
        return out;
    for (auto item : object) {
        od::field f;
        std::string_view key;
        if (std::move(item).get(f) || f.unescaped_key().get(key))
            return out;
        std::string* to = key == "id"         ? &out.id
                          : key == "strategy" ? &out.strategy
                          : key == "message"  ? &out.message
                          : key == "time"     ? &out.time
                                              : nullptr;
        od::value v = f.value();
        od::json_type t;
        if (to == nullptr || v.type().get(t))
            continue;
        std::string_view s;
        // A number is kept as written (the receiver keys an id by its exact text).
        if (t == od::json_type::string && !v.get_string().get(s))
            *to = std::string(s);
        else if (t == od::json_type::number)
            *to = std::string(engine::json_token_text(v.raw_json_token()));
    }
    return out;
}

AlertParseResult parse_alert_json(od::parser& parser, const std::string& body, AlertFields& out,
                                  std::span<const std::string> extra_fields) {
    KEEL_ASSERT(body.capacity() >= body.size() + simdjson::SIMDJSON_PADDING,
                "alert body needs simdjson padding");
    AlertParseResult result;
    od::document doc;
    if (const auto e = parser.iterate(body.data(), body.size(), body.capacity()).get(doc); e) {
        // simdjson's first pass found the problem and says what, not where: find where.
        result.code = ApiCode::malformed_json;
        result.message = e == simdjson::UNCLOSED_STRING
                             ? unbalanced_message(body)
                             : "malformed JSON near byte " + std::to_string(engine::json_token_text(body).size()) +
                                   ": " + simdjson::error_message(e);
        return result;
    }
    Parser p(body, doc, out, result, extra_fields);
    od::object obj;
    if (const auto e = doc.get_object().get(obj); e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
        // simdjson checks that braces balance before it iterates; say where they do not.
        result.code = ApiCode::malformed_json;
        result.message = unbalanced_message(body);
        return result;
    } else if (e) {
        p.malformed(e, e == simdjson::INCORRECT_TYPE ? "the body must be a JSON object"
                                                     : std::string_view{});
        return result;
    }
    for (auto item : obj) {
        od::field f;
        if (const auto e = std::move(item).get(f); e) {
            p.malformed(e);
            return result;
        }
        // Keys are compared as written; only one that holds an escape is unescaped first.
        std::string_view key = raw_key(f);
        if (key.find('\\') != std::string_view::npos) {
            if (const auto e = f.unescaped_key().get(key); e) {
                p.malformed(e);
                return result;
            }
        }
        od::value v = f.value();
        p.field(key, v);
        if (result.code == ApiCode::malformed_json)
            return result;
    }
    // Iteration errors end the loop through item.get(); trailing bytes are checked here.
    // A root object fully iterated leaves the iterator at the end of the input: a location
    // inside it means bytes follow the object.
    const char* rest = nullptr;
    if (!doc.current_location().get(rest)) {
        p.malformed(simdjson::TRAILING_CONTENT, "content after the JSON object");
        return result;
    }
    p.finish();
    return result;
}

}  // namespace keel::adapters::webhook
