// The `keel` command line: subcommands built with CLI11. main() is a thin wrapper so tests can
// drive the same code.
#pragma once

namespace keel::tools {

// Exit codes: 0 success; 1 the run failed after starting; 2 bad usage, invalid config or
// could not start (for example a CPU that does not exist).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

int run_cli(int argc, char** argv);

}  // namespace keel::tools
