#include "run.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "hyda/mtl/data_error.hpp"

namespace hyda::cli {

int run(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    CLI::App app("hyda: multi-task learning with auxiliary tasks on the CPU.\n"
                 "Train a model on a CSV file, predict and evaluate with it, compare weighting methods over seeds,\n"
                 "look inside one training step, or write synthetic data. `hyda COMMAND --help` lists a command's options.",
                 "hyda");
    app.footer("Exit codes: 0 success, 1 internal failure, 2 usage error (bad option or value), 3 bad data (the message names\n"
               "the file, line and column). Documentation: docs/cli.md.");
    app.require_subcommand(1);
    app.option_defaults()->always_capture_default();
    const std::vector<Runner> runners = {add_train(app), add_predict(app), add_eval(app), add_compare(app), add_inspect(app), add_synth(app)};
    const std::vector<CLI::App*> commands = app.get_subcommands([](CLI::App*) { return true; });
    for (CLI::App* c : commands) c->footer("Exit codes: 0 success, 1 internal failure, 2 usage error, 3 bad data.");

    std::string command_line = "hyda";
    for (const std::string& a : args)
        command_line += ' ' + (a.find_first_of(" \t'\"$") == std::string::npos && !a.empty() ? a : "'" + a + "'");
    const std::string first = args.empty() ? std::string() : args.front();
    std::reverse(args.begin(), args.end());  // CLI11 takes the words last first
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        // --help prints to `out` and succeeds; any other parse error is a usage error.
        if (e.get_exit_code() == 0) return app.exit(e, out, err);
        const bool known = first.empty() || first[0] == '-' ||
                           std::any_of(commands.begin(), commands.end(), [&](CLI::App* c) { return c->get_name() == first; });
        err << "hyda: " << (known ? std::string(e.what()) : "unknown command '" + first + "'") << "\n(run hyda --help for usage)\n";
        return exit_usage;
    }
    Io io{out, err, command_line};
    try {
        for (std::size_t i = 0; i < commands.size(); ++i)
            if (commands[i]->parsed()) runners[i](io);
    } catch (const UsageError& e) {
        err << "hyda: " << e.what() << "\n(run hyda --help for usage)\n";
        return exit_usage;
    } catch (const mtl::DataError& e) {
        err << "hyda: bad data: " << e.what() << '\n';
        return exit_bad_data;
    } catch (const std::exception& e) {
        err << "hyda: error: " << e.what() << '\n';
        return exit_internal;
    }
    return exit_ok;
}

}  // namespace hyda::cli
