// `keel fix-venue`: the FIX test venue's command line (adapters/fix/fix_test_venue.hpp): a FIX
// 4.4 acceptor over the simulated venue's matching, priced by a `keel feed`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace keel::tools {

class FixVenueCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Listens and answers until SIGINT or SIGTERM; writes the account; the exit code.
    int run();

  private:
    CLI::App* cmd_ = nullptr;
    std::string listen_;
    std::string sender_ = "VENUE";
    std::string target_ = "KEEL";
    std::string store_ = "var/fix-venue";
    std::string feed_;
    std::vector<std::string> symbols_;
    std::string mode_ = "per_event";
    std::vector<std::string> faults_;
    std::string account_;
    std::string buying_power_ = "1000000000";
    std::int64_t max_age_ms_ = 0;
};

}  // namespace keel::tools
