#include "keel/adapters/webhook/alert_json.hpp"

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

class Parser {
  public:
    Parser(const std::string& body, od::document& doc, AlertFields& out, AlertParseResult& result)
        : body_(body), doc_(doc), out_(out), result_(result) {}

    void malformed(simdjson::error_code e, std::string_view what = {}) {
        std::size_t offset = body_.size();
        const char* loc = nullptr;
        if (!doc_.current_location().get(loc) && loc >= body_.data() &&
            loc <= body_.data() + body_.size())
            offset = static_cast<std::size_t>(loc - body_.data());
        result_.code = ApiCode::malformed_json;
        result_.message =
            "malformed JSON at byte " + std::to_string(offset) + ": " +
            (what.empty() ? std::string(simdjson::error_message(e)) : std::string(what));
    }

    void bad(std::string_view field, const std::string& why) {
        if (result_.code != ApiCode::ok)
            return;  // the first problem is the one reported
        result_.code = ApiCode::bad_field;
        result_.message = "field '" + std::string(field) + "': " + why;
    }

    // A string field; false (and a bad_field) when it is not a string.
    bool string_field(std::string_view name, od::value& v, std::string_view& s) {
        od::json_type t;
        if (const auto e = v.type().get(t); e) {
            malformed(e);
            return false;
        }
        if (t != od::json_type::string) {
            bad(name, "must be a string");
            return false;
        }
        if (v.get_string().get(s)) {
            bad(name, "is not a valid string");
            return false;
        }
        return true;
    }

    // A number or a decimal string, as its exact text.
    bool decimal_text(std::string_view name, od::value& v, std::string_view& text) {
        od::json_type t;
        if (const auto e = v.type().get(t); e) {
            malformed(e);
            return false;
        }
        if (t == od::json_type::string)
            return string_field(name, v, text);
        if (t != od::json_type::number) {
            bad(name, "must be a number or a decimal string");
            return false;
        }
        text = engine::json_token_text(v.raw_json_token());
        return true;
    }

    template <class F>
    void positive_decimal(std::string_view name, od::value& v, F& out) {
        std::string_view text;
        if (!decimal_text(name, v, text))
            return;
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

    bool seen(std::uint32_t bit, std::string_view name) {
        if (seen_ & bit) {
            bad(name, "given more than once");
            return true;
        }
        seen_ |= bit;
        return false;
    }

    void field(std::string_view key, od::value& v) {
        std::string_view s;
        if (key == "ticker") {
            if (!seen(1u << 0, key) && string_field(key, v, s)) {
                if (s.empty())
                    bad(key, "must not be empty");
                out_.ticker = std::string(s);
            }
        } else if (key == "action") {
            if (!seen(1u << 1, key) && string_field(key, v, s) &&
                !parse_alert_action(s, out_.action)) {
                bad(key, "'" + echo(s) + "' is not one of buy, sell, close, close_long, " +
                             "close_short");
            }
        } else if (key == "quantity") {
            if (!seen(1u << 2, key))
                positive_decimal(key, v, out_.quantity);
        } else if (key == "notional") {
            if (!seen(1u << 3, key))
                positive_decimal(key, v, out_.notional);
        } else if (key == "price") {
            if (!seen(1u << 4, key))
                positive_decimal(key, v, out_.price);
        } else if (key == "strategy") {
            if (!seen(1u << 5, key) && string_field(key, v, s))
                out_.strategy = std::string(s);
        } else if (key == "timeframe") {
            std::string_view text;
            std::string why;
            if (!seen(1u << 6, key) && decimal_text(key, v, text) &&
                !parse_timeframe(text, out_.timeframe_minutes, why))
                bad(key, why);
        } else if (key == "time") {
            if (!seen(1u << 7, key) && string_field(key, v, s)) {
                const auto ns = parse_timestamp_ns(s);
                if (!ns)
                    bad(key, "'" + echo(s) + "' is not an ISO-8601 time (as {{timenow}} sends)");
                else
                    out_.time_ns = *ns;
            }
        } else if (key == "id") {
            if (!seen(1u << 8, key) && decimal_text(key, v, s)) {
                if (s.empty())
                    bad(key, "must not be empty");
                else if (s.size() > kIdMax)
                    bad(key, "is longer than " + std::to_string(kIdMax) + " characters");
                else
                    out_.id = std::string(s);
            }
        } else if (key == "secret") {
            if (seen(1u << 9, key))
                return;
            std::string_view raw;
            od::json_type t;
            if (const auto e = v.type().get(t); e)
                return malformed(e);
            raw = engine::json_token_text(v.raw_json_token());
            if (raw.data() >= body_.data() &&
                raw.data() + raw.size() <= body_.data() + body_.size()) {
                out_.secret_offset = static_cast<std::size_t>(raw.data() - body_.data());
                out_.secret_length = raw.size();
            }
            // The secret's value is never echoed, not even in a type error.
            if (t != od::json_type::string || v.get_string().get(s)) {
                bad(key, "must be a string");
                return;
            }
            out_.has_secret = true;
            out_.secret = std::string(s);
        } else {
            // Anything else is ignored (alert templates often carry extra fields), but a value
            // that is not JSON at all is still malformed.
            od::json_type t;
            if (const auto e = v.type().get(t); e)
                return malformed(e);
            std::string_view sv;
            bool b = false;
            simdjson::error_code e = simdjson::SUCCESS;
            if (t == od::json_type::boolean)
                e = v.get_bool().get(b);
            else if (t == od::json_type::null)
                e = v.is_null().get(b);
            else if (t == od::json_type::string)
                e = v.get_string().get(sv);
            if (e || (t == od::json_type::null && !b))
                malformed(e ? e : simdjson::N_ATOM_ERROR);
        }
    }

    void finish() {
        if (result_.code != ApiCode::ok)
            return;
        if (out_.ticker.empty() && (seen_ & 1u) == 0)
            return bad("ticker", "is required");
        if (out_.action == engine::AlertAction::none)
            return bad("action", "is required (buy, sell, close, close_long or close_short)");
        if (out_.quantity.raw > 0 && out_.notional.raw > 0)
            return bad("notional", "give quantity or notional, not both");
    }

  private:
    const std::string& body_;
    od::document& doc_;
    AlertFields& out_;
    AlertParseResult& result_;
    std::uint32_t seen_ = 0;
};

}  // namespace

bool parse_alert_action(std::string_view text, engine::AlertAction& out) noexcept {
    using engine::AlertAction;
    if (text == "buy")
        out = AlertAction::buy;
    else if (text == "sell")
        out = AlertAction::sell;
    else if (text == "close")
        out = AlertAction::close;
    else if (text == "close_long")
        out = AlertAction::close_long;
    else if (text == "close_short")
        out = AlertAction::close_short;
    else
        return false;
    return true;
}

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
    const std::string_view unit = text.substr(digits);
    std::uint64_t per = 0;
    if (unit.empty() && digits > 0)
        per = 1;
    else if (unit == "D")
        per = 1440;
    else if (unit == "W")
        per = 10080;
    else if (unit == "M")
        per = 43200;
    else if (unit == "S") {
        why = "'" + echo(text) + "' is in seconds; timeframes are whole minutes";
        return false;
    } else {
        why = "'" + echo(text) +
              "' is not an interval (minutes like \"5\", or \"1D\", \"1W\", \"1M\")";
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

AlertParseResult parse_alert_json(od::parser& parser, const std::string& body, AlertFields& out) {
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
    Parser p(body, doc, out, result);
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
