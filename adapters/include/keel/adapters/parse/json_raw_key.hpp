// raw_key: an On-Demand object field's key as it stands in the input, between its quotes,
// without unescaping (unescaped_key() copies every key into the parser's string buffer). A key
// holding an escape comes back with its backslash, so it matches no plain name; a caller that
// must honour escaped spellings unescapes when the result contains '\\'.
#pragma once

#include <simdjson.h>

#include <string_view>

namespace keel::adapters {

inline std::string_view raw_key(simdjson::ondemand::field& field) noexcept {
    const char* start = field.key().raw();
    const char* end = start;
    while (*end != '"')
        ++end;
    return {start, static_cast<std::size_t>(end - start)};
}

}  // namespace keel::adapters
