#pragma once
// The hyda commands. Each adds its subcommand, with its options, to the application and
// returns what runs it once the command line has been parsed.
#include <functional>
#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace hyda::cli {

struct Io {
    std::ostream& out;  // results
    std::ostream& err;  // progress, warnings and errors
    std::string command_line;  // "hyda compare --data ...", for reports
};

using Runner = std::function<void(Io&)>;

Runner add_train(CLI::App& app);
Runner add_predict(CLI::App& app);
Runner add_eval(CLI::App& app);
Runner add_compare(CLI::App& app);
Runner add_inspect(CLI::App& app);
Runner add_synth(CLI::App& app);

}  // namespace hyda::cli
