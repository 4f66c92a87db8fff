#include "machine.hpp"

#include <fstream>
#include <thread>

#include "hyda/kernels/arch.hpp"

namespace hyda::cli {
namespace {

// The value of the first "key<tabs>: value" line of /proc/cpuinfo whose key is `key`.
std::string cpuinfo(const std::string& key) {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        name.erase(name.find_last_not_of(" \t") + 1);  // npos + 1 = 0: all blanks
        if (name != key) continue;
        const auto start = line.find_first_not_of(' ', colon + 1);
        return start == std::string::npos ? "" : line.substr(start);
    }
    return "";
}

}  // namespace

std::string cpu_description() {
    const std::string name = cpuinfo("model name"), family = cpuinfo("cpu family"), model = cpuinfo("model");
    std::string text = name.empty() ? "unknown CPU" : name;
    if (!family.empty() && !model.empty()) text += " (family " + family + ", model " + model + ")";
    text += ", " + std::string(arch_name(active_arch())) + " path";
    return text + ", " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads";
}

}  // namespace hyda::cli
