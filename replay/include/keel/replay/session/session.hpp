// run_session: a whole session from a validated Config, the assembly's steps in order
// (assembly/assembly.hpp: open inputs, lock the journal, build stages, open the streams or
// recover the journal being continued, run, report). What `keel run` runs, the backtest and
// the live session too.
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "keel/engine/config/config.hpp"
#include "keel/replay/assembly/assembly.hpp"
#include "keel/replay/assembly/session_report.hpp"

namespace keel::replay {

// Runs the session; on failure to start returns nullopt with error set (kExitUsage material).
// stop: set by a signal handler to end the session; the session also sets it itself when the
// journal fails. A journal directory that holds a journal is continued (restart recovery,
// replay/recovery.hpp).
[[nodiscard]] std::optional<SessionReport> run_session(const engine::Config& config,
                                                       std::atomic<bool>& stop,
                                                       const SessionOptions& options,
                                                       std::string& error);

}  // namespace keel::replay
