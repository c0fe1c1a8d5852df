// keel's market-data line format, written: one JSON object per trade, quote or bar, as the feed
// simulator serves it and MessageParser reads it back (adapters/README.md has the fields).
// Prices and sizes are decimal strings, so nothing passes through a double on either side.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/engine/core/event.hpp"

namespace keel::adapters::feed {

// Appends e (a trade, quote or bar) as one JSON object, without a newline. symbol is the
// instrument's name. Returns false, appending nothing, for any other event type.
bool append_message(std::string& out, const engine::Event& e, std::string_view symbol);

// A bar interval in minutes as the line format writes it: "30m", "4h", "1d".
[[nodiscard]] std::string interval_text(std::uint32_t minutes);

}  // namespace keel::adapters::feed
