// `keel replay`: re-runs a journal (replay/replay.hpp) and prints what it found: the summary,
// the first divergence (sequence, stage, expected and actual), the state at a sequence, or the
// what-if comparison; as text or JSON.
#pragma once

#include <filesystem>
#include <ostream>

#include "keel/replay/replay/replay.hpp"

namespace keel::replay {

// Returns kExitOk when the replay ran (and, with verify, every derived record matched),
// kExitFailed when verify found a divergence (the first one is printed), kExitUsage when the
// journal cannot be read or replayed.
int replay_journal(const std::filesystem::path& dir, const ReplayOptions& options,
                   std::ostream& out, std::ostream& err);

}  // namespace keel::replay
