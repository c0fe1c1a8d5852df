// `keel run`: a session from a config, on its thread plan (replay/session/session.hpp), or a
// live paper session when the config has a feed or webhook section (live_session.hpp); with
// --check-host, a report of what on this host is not tuned for low latency instead.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace keel::tools {

class RunCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Runs the session (or the host check) and prints its summary; the exit code.
    int run();

  private:
    CLI::App* cmd_ = nullptr;
    std::string config_;
    bool check_host_ = false;
    std::string journal_;
};

}  // namespace keel::tools
