#pragma once
// Writing an output file whole or not at all: the text goes to PATH.tmp in the same
// directory, which is then renamed to PATH, so a failed or interrupted write never leaves
// a half-written file where a reader expects a complete one.
#include <functional>
#include <ostream>
#include <string>

namespace hyda::cli {

// Calls `write` on a stream to PATH.tmp, then renames it to PATH. Throws
// std::runtime_error naming `what` and the file if either fails (PATH.tmp is removed).
void write_atomically(const std::string& path, const std::string& what, const std::function<void(std::ostream&)>& write);

}  // namespace hyda::cli
