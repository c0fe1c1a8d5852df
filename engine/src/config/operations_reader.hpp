// The readers of the operations sections (operations.hpp), for config.cpp's validate.
#pragma once

#include <vector>

#include "keel/engine/config/config.hpp"

namespace keel::engine {

void read_memory(const Json& j, MemoryConfig& out, std::vector<ConfigError>& errors);
// live: whether the session is live (a feed or webhook section); a session over data files ends
// with its data, so a stop policy there is an error.
void read_shutdown(const Json& j, bool live, ShutdownPolicy& out, std::vector<ConfigError>& errors);

}  // namespace keel::engine
