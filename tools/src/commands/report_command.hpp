// `keel report`: one self-contained HTML report of a journal (replay/reports/html_report.hpp
// reads the journal and renders it).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace keel::tools {

class ReportCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Writes the HTML file; the exit code.
    int run();

  private:
    CLI::App* cmd_ = nullptr;
    std::string dir_;
    std::string html_;
};

}  // namespace keel::tools
