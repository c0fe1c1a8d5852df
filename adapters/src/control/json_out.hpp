// JsonOut: the few pieces of JSON writing the control API needs (Boost 1.74 has no Boost.JSON
// and the bodies are small): escaped strings, exact decimals as strings, and commas handled by
// the caller's structure. Internal to the control API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/engine/fixed_point.hpp"

namespace keel::adapters::control::json {

inline void append_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (u < 0x20) {
                    out += "\\u00";
                    out += kHex[u >> 4];
                    out += kHex[u & 0xF];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
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
