// json_token_text: a value's raw text as simdjson's raw_json_token() gives it, without the JSON
// whitespace that follows the value in the document (raw_json_token keeps it). The parsers
// read numbers from this exact text into fixed point, never through a double.
#pragma once

#include <string_view>

namespace keel::engine {

[[nodiscard]] constexpr std::string_view json_token_text(std::string_view raw) noexcept {
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r'))
        raw.remove_suffix(1);
    return raw;
}

}  // namespace keel::engine
