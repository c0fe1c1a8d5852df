// `keel journal verify | inspect | dump | tail | export`: read a journal directory, never
// modifying it (replay/reports/journal_tools.hpp and export.hpp do the reading).
#pragma once

#include <cstdint>
#include <string>

#include "keel/replay/reports/journal_tools.hpp"

namespace CLI {
class App;
}

namespace keel::tools {

class JournalCommand {
  public:
    void add(CLI::App& app);
    [[nodiscard]] bool selected() const;
    // Runs the subcommand chosen; the exit code.
    int run();

  private:
    void add_verify();
    void add_inspect();
    void add_dump();
    void add_tail();
    void add_export();

    CLI::App* journal_ = nullptr;
    CLI::App* verify_ = nullptr;
    CLI::App* inspect_ = nullptr;
    CLI::App* dump_ = nullptr;
    CLI::App* tail_ = nullptr;
    CLI::App* export_ = nullptr;
    // Every subcommand's journal directory: only one of them runs.
    std::string dir_;
    bool inspect_json_ = false;
    replay::DumpOptions dump_options_;
    std::uint64_t tail_from_ = 0;
    std::string export_sqlite_file_;
};

}  // namespace keel::tools
