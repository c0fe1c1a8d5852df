// `keel config check`: validate a config file and print the effective config with secrets
// masked.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace keel::tools {

class ConfigCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Checks the file, prints the effective config or every problem; the exit code.
    int run();

  private:
    CLI::App* config_ = nullptr;
    CLI::App* check_ = nullptr;
    std::string file_;
};

}  // namespace keel::tools
