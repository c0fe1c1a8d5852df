// The `keel` command line: subcommands built with CLI11. main() is a thin wrapper so tests can
// drive the same code. Its exit codes are keel/exit_code.hpp's, the ones replay/ returns.
#pragma once

namespace keel::tools {

int run_cli(int argc, char** argv);

}  // namespace keel::tools
