#include "config_command.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "command_support.hpp"
#include "keel/engine/config/secrets.hpp"
#include "keel/exit_code.hpp"

namespace keel::tools {

void ConfigCommand::add(CLI::App& app) {
    config_ = app.add_subcommand("config", "Work with configuration files");
    config_->require_subcommand(1);
    check_ = config_->add_subcommand(
        "check",
        "Validate a config (after KEEL__SECTION__KEY environment overrides) and print "
        "the effective config with secrets masked; exit 2 listing every problem");
    check_->add_option("file", file_, "Config file (JSON)")->required();
}

bool ConfigCommand::selected() const {
    return check_->parsed();
}

int ConfigCommand::run() {
    const engine::ConfigResult result = load_and_check(file_);
    if (!result.ok()) {
        print_errors(file_, result.errors);
        return kExitUsage;
    }
    std::cout << engine::mask_secrets(result.config.effective).dump(2) << "\n";
    std::cerr << "keel: " << file_ << ": configuration is valid\n";
    return kExitOk;
}

}  // namespace keel::tools
