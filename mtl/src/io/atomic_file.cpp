#include "hyda/mtl/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace hyda::mtl {
namespace {

// fsync of a file or directory by path: the data (or the directory entry) reaches the
// disk before the caller goes on.
bool sync_path(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    return ::close(fd) == 0 && ok;
}

}  // namespace

void write_atomically(const std::string& path, const std::string& what, const std::function<void(std::ostream&)>& write) {
    const std::string tmp = path + ".tmp";
    auto fail = [&](const std::string& why) {
        std::remove(tmp.c_str());
        throw std::runtime_error(path + ": cannot save the " + what + ": " + why);
    };
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) fail("cannot create " + tmp + ": " + std::strerror(errno));
        try {
            write(out);
        } catch (...) {
            out.close();
            std::remove(tmp.c_str());
            throw;
        }
        out.flush();
        if (!out) fail("cannot write " + tmp);
    }
    if (!sync_path(tmp, O_RDONLY)) fail("cannot flush " + tmp + " to disk: " + std::strerror(errno));
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) fail(ec.message());
    // The rename itself reaches the disk with the directory. A failure here leaves the new
    // file in place (only its durability over a power loss is in doubt), so it is not an error.
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    sync_path(dir.empty() ? "." : dir.string(), O_RDONLY | O_DIRECTORY);
}

void write_atomically(const std::string& path, const std::string& what, std::string_view bytes) {
    write_atomically(path, what, [&](std::ostream& out) { out.write(bytes.data(), std::streamsize(bytes.size())); });
}

}  // namespace hyda::mtl
