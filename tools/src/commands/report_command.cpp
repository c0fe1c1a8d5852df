#include "report_command.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "keel/replay/reports/html_report.hpp"

namespace keel::tools {

void ReportCommand::add(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "report",
        "Write one self-contained HTML report of a journal (summary, equity and drawdown "
        "charts, per-symbol results, trades), derived from the journal alone; exit 0 ok, 1 torn "
        "tail (reported up to it), 2 unreadable or corrupt journal or unwritable FILE");
    cmd_->add_option("dir", dir_, "Journal directory")->required();
    cmd_->add_option("--html", html_, "The HTML file to write")->required();
}

bool ReportCommand::selected() const {
    return cmd_->parsed();
}

int ReportCommand::run() {
    return replay::write_html_report(dir_, html_, {}, std::cout, std::cerr);
}

}  // namespace keel::tools
