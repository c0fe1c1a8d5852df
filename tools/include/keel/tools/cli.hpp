// The `keel` command line: subcommands built with CLI11. main() is a thin wrapper so tests can
// drive the same code.
#pragma once

namespace keel::tools {

// Exit codes: 0 success; 1 the run failed after starting; 2 bad usage, invalid config or
// could not start (for example a CPU that does not exist); 3 the journal failed.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
// The journal failed (disk full, I/O error, read-only file system): the session stopped
// without acting on anything it could not journal.
inline constexpr int kExitJournal = 3;

int run_cli(int argc, char** argv);

}  // namespace keel::tools
