#include "operations_reader.hpp"

#include "keel/engine/config/config_reader.hpp"

namespace keel::engine {

void read_memory(const Json& j, MemoryConfig& out, std::vector<ConfigError>& errors) {
    ConfigReader r(errors, j, "memory");
    out.lock = r.boolean("lock", false).value_or(false);
    r.finish();
}

void read_shutdown(const Json& j, bool live, ShutdownPolicy& out,
                   std::vector<ConfigError>& errors) {
    ConfigReader r(errors, j, "shutdown");
    out.cancel_open_orders = r.boolean("cancel_open_orders", false).value_or(false);
    out.flatten = r.boolean("flatten", false).value_or(false);
    // Bounded well below systemd's TimeoutStopSec (config/keel.service: 30 s), which kills.
    out.deadline_ms = r.integer("deadline_ms", false, 100, 25'000, 5000).value_or(5000);
    r.finish();
    if (out.any() && !live)
        errors.push_back({"shutdown",
                          "a stop policy needs a live session (a feed or webhook "
                          "section); a session over data files ends with its data"});
}

}  // namespace keel::engine
