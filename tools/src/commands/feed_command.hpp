// `keel feed`: the feed simulator's command line (adapters/feed/feed_server.hpp serves).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace keel::tools {

class FeedCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Loads the files, listens, serves until the data ends (or SIGINT or SIGTERM); the exit
    // code.
    int run();

  private:
    CLI::App* cmd_ = nullptr;
    std::vector<std::string> csv_;
    std::string listen_;
    bool ws_ = false;
    double speed_ = 0;
    std::uint64_t rate_ = 0;
    std::string symbol_;
    std::string bar_interval_;
    bool loop_ = false;
};

}  // namespace keel::tools
