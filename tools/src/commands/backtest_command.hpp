// `keel backtest`: a config over historical CSV files against the simulated venue, every stage
// fused on one thread (replay/session/backtest.hpp runs it).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace keel::tools {

class BacktestCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Loads the config with its --set and --data overrides, runs the backtest, prints the
    // summary or the JSON report; the exit code.
    int run();

  private:
    CLI::App* cmd_ = nullptr;
    std::string config_;
    std::vector<std::string> data_;
    std::string bar_interval_;
    std::vector<std::string> sets_;
    std::string journal_;
    std::string report_;
    bool json_ = false;
};

}  // namespace keel::tools
