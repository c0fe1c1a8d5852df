// Re-running a journal: its inputs through the stages, fused, with the journaled configuration
// and seed and the venue disconnected (its replies are among the inputs); optionally checking
// that every derived record comes out the same (verify), stopping at a sequence (until, at),
// or re-running under a changed configuration against the simulated venue (what-if). What
// `keel replay` computes; reports/replay_report.hpp prints it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/replay/assembly/journal_read.hpp"
#include "keel/replay/assembly/session_report.hpp"

namespace keel::replay {

// The configuration a journal was written with, as a Config. Its data files need not exist any
// more (a replay reads the journal, not the files); every other problem is an error.
[[nodiscard]] engine::ConfigResult journaled_config(
    const std::string& config_text, const std::vector<engine::ConfigOverride>& overrides = {});

struct ReplayOptions {
    bool verify = false;
    std::optional<std::uint64_t> until;  // replay inputs with seq <= until only
    // Replay up to this sequence and print the state there: positions, the account, open
    // orders, risk's mode and limits.
    std::optional<std::uint64_t> at;
    // What-if: re-run the journal's inputs (its market data, alerts, commands and timers, not
    // the venue's answers) with these changes to its configuration against the simulated venue,
    // and compare the outcome with the journaled session.
    std::vector<engine::ConfigOverride> sets;
    bool json = false;
};

// The first record where a re-derivation left the journal.
struct Divergence {
    std::string stream;
    std::uint64_t seq = 0;
    std::optional<JournaledRecord> expected;  // none: the journal ends there
    std::optional<JournaledRecord> actual;    // none: the replay derived no more
    // Per stage (strategy, risk, gateway): the last sequence where its state hash matched
    // before the divergence (0: none).
    std::vector<std::pair<std::string, std::uint64_t>> state_last_matched;
};

struct ReplayOutcome {
    // Set when the replay could not run (kExitUsage material); nothing else is then.
    std::string error;
    JournaledSession session;
    std::uint64_t until = UINT64_MAX;  // the last sequence re-run
    SessionReport report;              // the re-derived session
    std::optional<Divergence> divergence;  // verify found one
    std::optional<SessionReport> what_if;  // with sets: the changed session
};

// Reads the journal in dir, re-runs it as the options ask, and returns what it found.
[[nodiscard]] ReplayOutcome rerun_journal(const std::filesystem::path& dir,
                                          const ReplayOptions& options);

}  // namespace keel::replay
