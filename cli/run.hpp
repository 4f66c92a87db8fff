#pragma once
// The hyda command as a function, so that tests run it in-process: `args` are the words
// after the program name; results go to `out`, progress and errors to `err`. Returns the
// exit code (exit_codes.hpp).
#include <ostream>
#include <string>
#include <vector>

namespace hyda::cli {

int run(std::vector<std::string> args, std::ostream& out, std::ostream& err);

}  // namespace hyda::cli
