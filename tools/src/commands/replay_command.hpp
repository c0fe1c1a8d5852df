// `keel replay`: re-run a journal's inputs through the stages, to verify it byte for byte, look
// at the state at a sequence, or ask what a config change would have done
// (replay/reports/replay_report.hpp prints what replay/replay computes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/replay/replay/replay.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace keel::tools {

class ReplayCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Replays the journal and prints the summary (or the divergence, the state, the what-if);
    // the exit code.
    int run();

  private:
    CLI::App* cmd_ = nullptr;
    std::string dir_;
    replay::ReplayOptions options_;
    // --until and --at are optional in ReplayOptions: these hold the values CLI11 parses and
    // the options say whether they were given.
    std::uint64_t until_ = 0;
    CLI::Option* until_opt_ = nullptr;
    std::uint64_t at_ = 0;
    CLI::Option* at_opt_ = nullptr;
    std::vector<std::string> sets_;
};

}  // namespace keel::tools
