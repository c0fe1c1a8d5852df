// ConfigReader: reads one JSON object of a configuration, collecting every problem with its key
// path (and each unknown key once, at finish()) instead of stopping at the first. The engine's
// config and the adapters' sections (live_config.hpp) validate with it, so every section's
// errors read alike.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "keel/assert.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/config/secrets.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine {

// The range of every decimal setting (prices, quantities, amounts, percentages): a billion
// units either way, within what the account can hold (Account::kMaxMarkValue is 2.3e9 units).
inline constexpr std::int64_t kMaxConfigDecimalRaw = 1'000'000'000LL * kScale;
inline constexpr const char* kConfigDecimalRange = "-1000000000 .. 1000000000";
// The largest integer risk limit (ns windows, counts): ~3 years in ns, so that adding one to
// any timestamp cannot overflow.
inline constexpr std::int64_t kMaxConfigInteger = 100'000'000'000'000'000LL;

// How a JSON value's type is named in an error message.
inline const char* type_name(const Json& j) {
    switch (j.type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::object:
            return "object";
        case Json::value_t::array:
            return "array";
        case Json::value_t::string:
            return "string";
        case Json::value_t::boolean:
            return "boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            return "integer";
        case Json::value_t::number_float:
            return "number with a fraction";
        default:
            return "value";
    }
}

// Collects errors while reading one object, reporting unknown keys once at the end.
class ConfigReader {
  public:
    ConfigReader(std::vector<ConfigError>& errors, const Json& obj, std::string path)
        : errors_(errors), obj_(obj), path_(std::move(path)) {}

    const Json* get(const std::string& key, bool required) {
        seen_.insert(key);
        const auto it = obj_.find(key);
        if (it == obj_.end() || it->is_null()) {
            if (required)
                error(key, "is required");
            return nullptr;
        }
        return &*it;
    }
    std::string at(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
    void error(const std::string& key, const std::string& message) {
        errors_.push_back({at(key), message});
    }
    void wrong_type(const std::string& key, const char* expected, const Json& got) {
        error(key, std::string("expected ") + expected + ", got " + type_name(got));
    }

    std::optional<std::string> string(const std::string& key, bool required,
                                      const std::string& fallback = {}) {
        const Json* v = get(key, required);
        if (v == nullptr)
            return required ? std::nullopt : std::optional(fallback);
        if (!v->is_string()) {
            wrong_type(key, "a string", *v);
            return std::nullopt;
        }
        return v->get<std::string>();
    }
    // A secret (a string): its path must be declared in kSecretPaths (secrets.hpp), so that it
    // is masked wherever the config is shown or journaled.
    std::optional<std::string> secret(const std::string& key, bool required) {
        KEEL_ASSERT(is_secret_path(at(key)), "a secret read from an undeclared path (secrets.hpp)");
        return string(key, required);
    }
    std::optional<std::int64_t> integer(const std::string& key, bool required, std::int64_t lo,
                                        std::int64_t hi, std::int64_t fallback = 0) {
        const Json* v = get(key, required);
        if (v == nullptr)
            return required ? std::nullopt : std::optional(fallback);
        if (!v->is_number_integer()) {
            wrong_type(key, "an integer", *v);
            return std::nullopt;
        }
        if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
            error(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
            return std::nullopt;
        }
        const auto n = v->get<std::int64_t>();
        if (n < lo || n > hi) {
            error(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                           ", got " + std::to_string(n));
            return std::nullopt;
        }
        return n;
    }
    std::optional<bool> boolean(const std::string& key, bool fallback) {
        const Json* v = get(key, false);
        if (v == nullptr)
            return fallback;
        if (!v->is_boolean()) {
            wrong_type(key, "true or false", *v);
            return std::nullopt;
        }
        return v->get<bool>();
    }
    // Decimal quantities: a string ("0.5") or an integer. Floats are refused because a binary
    // double cannot say exactly which decimal the user meant. Every decimal setting lies within
    // +-kMaxConfigDecimalRaw (a billion units): a price, quantity or amount past it could not be
    // held by the account (Money's range is 9.2e9 units), so it is refused here, not at run time.
    std::optional<std::int64_t> decimal(const std::string& key, bool required) {
        const Json* v = get(key, required);
        if (v == nullptr)
            return std::nullopt;
        std::string text;
        if (v->is_string()) {
            text = v->get<std::string>();
        } else if (v->is_number_integer()) {
            text = v->dump();
        } else {
            error(key,
                  std::string("expected a decimal string such as \"0.5\" or an integer, got ") +
                      type_name(*v));
            return std::nullopt;
        }
        std::int64_t raw = 0;
        const DecimalError e = parse_decimal(text, raw);
        if (e != DecimalError::ok) {
            error(key, "'" + text + "': " + std::string(to_string(e)));
            return std::nullopt;
        }
        if (raw > kMaxConfigDecimalRaw || raw < -kMaxConfigDecimalRaw) {
            error(key, "'" + text + "' is outside the range of a decimal setting (" +
                           kConfigDecimalRange + ")");
            return std::nullopt;
        }
        return raw;
    }
    const Json* array(const std::string& key, bool required) {
        const Json* v = get(key, required);
        if (v != nullptr && !v->is_array()) {
            wrong_type(key, "an array", *v);
            return nullptr;
        }
        return v;
    }
    const Json* object(const std::string& key, bool required) {
        const Json* v = get(key, required);
        if (v != nullptr && !v->is_object()) {
            wrong_type(key, "an object", *v);
            return nullptr;
        }
        return v;
    }

    void finish() {
        for (const auto& [key, _] : obj_.items()) {
            if (!seen_.contains(key))
                errors_.push_back({at(key), "unknown key"});
        }
    }

  private:
    std::vector<ConfigError>& errors_;
    const Json& obj_;
    std::string path_;
    std::set<std::string> seen_;
};

}  // namespace keel::engine
