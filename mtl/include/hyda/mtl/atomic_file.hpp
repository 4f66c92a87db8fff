#pragma once
// Writing a file whole or not at all. The content goes to PATH.tmp in the same directory,
// is flushed and fsync'ed, then renamed over PATH, and the directory is fsync'ed: a crash,
// a kill or a power loss at any point leaves either the previous PATH or the new one,
// never a mix (rename within a directory is atomic on POSIX file systems).
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

// Calls `write` on a stream to PATH.tmp, then makes it PATH as above. Throws
// std::runtime_error naming `what` and the file if any step fails (PATH.tmp is removed).
void write_atomically(const std::string& path, const std::string& what, const std::function<void(std::ostream&)>& write);
void write_atomically(const std::string& path, const std::string& what, std::string_view bytes);

}  // namespace hyda::mtl
#pragma GCC visibility pop
