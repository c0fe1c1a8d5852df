// `keel bench e2e`: the end-to-end latency harness's command line (replay/ops/latency_harness.hpp
// measures).
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace keel::tools {

class BenchCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Runs the harness on the config's thread plan and prints the figures; the exit code.
    int run();

  private:
    CLI::App* bench_ = nullptr;
    CLI::App* e2e_ = nullptr;
    std::string config_;
    std::uint64_t events_ = 1'000'000;
    std::uint64_t rate_ = 100'000;
    bool saturate_ = false;
    std::string journal_;
    std::string json_;
};

}  // namespace keel::tools
