// keel replay: re-runs a journal's inputs through the stages, fused, with the journaled
// configuration and seed and the venue disconnected (its replies are among the inputs), and
// optionally checks that every derived record comes out the same.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "keel/engine/config.hpp"
#include "keel/engine/event.hpp"
#include "keel/replay/session.hpp"

namespace keel::replay {

// The journaled session: its configuration text (secrets masked, as recorded in session
// start) and its input events in sequence order.
struct JournaledSession {
    std::string config_text;
    JournaledInputs inputs;
};
// False with error set when the journal cannot be read (file and offset named) or does not
// begin with a session start.
[[nodiscard]] bool read_session(const std::filesystem::path& dir, JournaledSession& out,
                                std::string& error);

// One journal record as read back: header fields and payload bytes (for byte comparisons).
struct JournaledRecord {
    std::uint16_t type = 0;
    std::uint64_t seq = 0;
    std::int64_t ts_ns = 0;
    std::vector<unsigned char> bytes;
    bool operator==(const JournaledRecord&) const = default;
};
// The records of one stream with seq <= until, in order. False with error set ("STREAM: file
// offset N: why") at a record that fails its checks.
[[nodiscard]] bool read_records(const std::filesystem::path& dir, const std::string& stream,
                                std::vector<JournaledRecord>& out, std::string& error,
                                std::uint64_t until = UINT64_MAX);

// The starting cash in a journaled config text, read as config validation reads it (a decimal
// string or an integer; the default paper account when absent). For readers of a journal that
// do not validate its config (export, report).
[[nodiscard]] engine::Money journaled_starting_cash(std::string_view config_text);

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

// Returns 0 when the replay ran (and, with verify, every derived record matched), 1 when
// verify found a divergence (the first one is printed: sequence, stage, expected and actual),
// 2 when the journal cannot be read or replayed.
int replay_journal(const std::filesystem::path& dir, const ReplayOptions& options,
                   std::ostream& out, std::ostream& err);

}  // namespace keel::replay
