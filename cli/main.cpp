// hyda: multi-task learning with auxiliary tasks, from a CSV file (see docs/cli.md).
#include <iostream>

#include "run.hpp"

int main(int argc, char** argv) {
    return hyda::cli::run(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
