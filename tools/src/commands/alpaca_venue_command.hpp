// `keel alpaca-venue`: the local Alpaca-compatible server's command line
// (adapters/alpaca/alpaca_test_server.hpp): Alpaca's REST v2 and trade_updates stream over TLS,
// matching through the simulated venue, priced by a `keel feed` and/or fixed --price values.
// The account's keys come from the environment (KEEL_ALPACA_VENUE_KEY_ID,
// KEEL_ALPACA_VENUE_SECRET_KEY), never from flags: a command line is visible to every user.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}
namespace keel::adapters::alpaca {
struct AlpacaServerOptions;
}

namespace keel::tools {

class AlpacaVenueCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Serves until SIGINT or SIGTERM; writes the account; the exit code.
    int run();

  private:
    // The flags and the environment onto options; kExitOk, or kExitUsage after saying why.
    [[nodiscard]] int read_options(adapters::alpaca::AlpacaServerOptions& options) const;

    CLI::App* cmd_ = nullptr;
    std::string listen_;
    std::string cert_;
    std::string key_;
    std::string feed_;
    std::vector<std::string> symbols_;
    std::vector<std::string> prices_;
    std::string mode_ = "per_event";
    std::vector<std::string> faults_;
    std::string account_;
    std::string buying_power_ = "1000000000";
    bool text_frames_ = false;
};

}  // namespace keel::tools
