// What the `keel` commands (tools/src/commands/*_command.cpp) share: the stop flag and its
// signal handlers, loading and checking a config, printing its problems, --set parsing and the
// default journal directory. Private to tools/.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/replay/session/live_config.hpp"

namespace keel::tools {

// Set by SIGINT or SIGTERM once install_stop_handlers() ran; a command's loop drains and
// returns when it is set.
extern std::atomic<bool> g_stop;

// SIGINT and SIGTERM set g_stop; a second signal gets the default action (exit).
void install_stop_handlers();

// "keel: FILE: N problems in the configuration:" and one line per problem, on stderr.
void print_errors(const std::string& file, const std::vector<engine::ConfigError>& errors);

// The engine's checks, then the adapters' (the venue section and the live sections: feed,
// webhook, control), so every problem is listed. The live sections go to *live when given.
engine::ConfigResult load_and_check(const std::string& file, replay::LiveConfig* live = nullptr);

// The KEY=VALUE overrides of repeated --set options, in order; nullopt after saying on stderr
// which one is not KEY=VALUE.
std::optional<std::vector<engine::ConfigOverride>> parse_sets(const std::vector<std::string>& sets);

// "HOST:PORT" (the port may be 0: any free one) into host and port; false when it is not that.
bool parse_host_port(const std::string& text, std::string& host, std::uint16_t& port);

// var/journal/<session>-<UTC start time>, with -2, -3... if that exists already; created here.
std::filesystem::path default_journal_dir(const std::string& session);

}  // namespace keel::tools
