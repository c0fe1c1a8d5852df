// JsonOut: the few pieces of JSON writing the control API needs (Boost 1.74 has no Boost.JSON
// and the bodies are small): escaped strings, exact decimals as strings, and commas handled by
// the caller's structure. Internal to the control API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/adapters/http/http_error.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::adapters::control::json {

// One JSON string escaper for every body keel writes (http_error.hpp).
inline void append_string(std::string& out, std::string_view s) {
    http::append_json_string(out, s);
}

// "key": (with a leading comma unless first)
inline void append_key(std::string& out, std::string_view key, bool& first) {
    if (!first)
        out += ',';
    first = false;
    append_string(out, key);
    out += ':';
}

// A fixed-point raw value as an exact decimal string ("12.5").
inline void append_decimal(std::string& out, std::int64_t raw) {
    char buf[engine::kMaxDecimalChars];
    const int n = engine::format_decimal(raw, buf);
    out += '"';
    out.append(buf, static_cast<std::size_t>(n));
    out += '"';
}

inline void append_uint(std::string& out, std::uint64_t v) {
    out += std::to_string(v);
}

// {"error":"<code>","message":"..."}
inline std::string error_body(std::string_view code, std::string_view message) {
    std::string out = "{\"error\":";
    append_string(out, code);
    out += ",\"message\":";
    append_string(out, message);
    out += '}';
    return out;
}

}  // namespace keel::adapters::control::json
