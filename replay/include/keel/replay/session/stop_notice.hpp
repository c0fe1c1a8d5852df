// The facts of a live session's "session stopped" notification: why it stopped and its figures
// from an engine snapshot (every account's summed). Cold side: the monitor thread, or the main
// thread once the pipeline has drained.
#pragma once

#include <optional>
#include <string>

#include "keel/adapters/notify/notification.hpp"
#include "keel/engine/pipeline/state_snapshot.hpp"

namespace keel::replay {

[[nodiscard]] adapters::notify::SessionStop session_stop_facts(
    std::string why, adapters::notify::NotifyLevel level,
    const std::optional<engine::StateSnapshot>& snapshot);

}  // namespace keel::replay
