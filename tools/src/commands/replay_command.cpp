#include "replay_command.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "command_support.hpp"
#include "keel/exit_code.hpp"
#include "keel/replay/reports/replay_report.hpp"

namespace keel::tools {

void ReplayCommand::add(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "replay",
        "Re-run a journal's inputs through the stages (fused, with its journaled config and "
        "seed, venue disconnected) and print the summary; --verify checks that every input "
        "and derived record comes out byte for byte the same: exit 0 identical, 1 the first "
        "divergence (sequence, stage, expected and actual), 2 unreadable");
    cmd_->add_option("dir", dir_, "Journal directory")->required();
    cmd_->add_flag("--verify", options_.verify, "Compare every re-derived record with the journal");
    until_opt_ = cmd_->add_option("--until", until_, "Replay inputs up to this sequence");
    at_opt_ = cmd_->add_option("--at", at_,
                               "Replay up to this sequence and print the state there: account, "
                               "positions, open orders, risk's mode and main limits");
    cmd_->add_option(
        "--set", sets_,
        "KEY=VALUE (repeatable): a what-if. Re-runs the journal's market data, alerts, "
        "commands and timers with this change to its config against the simulated venue, and "
        "compares orders, risk refusals, fills and P&L with the journaled session");
    cmd_->add_flag("--json", options_.json, "Print the result as JSON");
}

bool ReplayCommand::selected() const {
    return cmd_->parsed();
}

int ReplayCommand::run() {
    if (until_opt_->count() > 0)
        options_.until = until_;
    if (at_opt_->count() > 0)
        options_.at = at_;
    auto sets = parse_sets(sets_);
    if (!sets)
        return kExitUsage;
    options_.sets = std::move(*sets);
    return replay::replay_journal(dir_, options_, std::cout, std::cerr);
}

}  // namespace keel::tools
