// Strict JSON for documents keel is configured by: a repeated key in an object is an error
// (nlohmann's default keeps the last, so an appended `"risk": {}` would silently switch every
// risk limit off), nesting deeper than kMaxJsonDepth is refused before it is built (a deep
// document would otherwise exhaust the stack), and a string longer than kMaxJsonString is
// refused. Errors name where: the key's path ("risk.max_order_qty", "strategies[1].symbol").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "keel/engine/config/config.hpp"

namespace keel::engine {

inline constexpr int kMaxJsonDepth = 64;
inline constexpr std::size_t kMaxJsonString = 64 * 1024;

struct StrictJsonError {
    std::string path;     // where (empty: the document as a whole)
    std::string message;  // what
};

// Parses text into out; false with error set when it is not valid strict JSON.
[[nodiscard]] bool parse_strict_json(std::string_view text, Json& out, StrictJsonError& error);

// A value as an error message may quote it: at most kShownValueChars characters, the rest
// replaced by "... (N bytes)".
inline constexpr std::size_t kShownValueChars = 80;
[[nodiscard]] std::string shown_value(std::string_view value);
// Every run between single quotes in message longer than kShownValueChars, shortened as
// shown_value does (the config's messages quote the values they refuse).
[[nodiscard]] std::string shorten_quoted(const std::string& message);

}  // namespace keel::engine
