#include "keel/tools/cli.hpp"

int main(int argc, char** argv) {
    return keel::tools::run_cli(argc, argv);
}
