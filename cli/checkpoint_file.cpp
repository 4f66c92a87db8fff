#include "checkpoint_file.hpp"

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <type_traits>

#include "hyda/mtl/atomic_file.hpp"
#include "hyda/mtl/binary_io.hpp"
#include "hyda/mtl/data_error.hpp"

namespace hyda::cli {
namespace {

// A double as the shortest text that reads back as the same double.
std::string exact(double x) {
    char text[32];
    return std::string(text, std::to_chars(text, text + sizeof text, x).ptr);
}

template <class V>
std::string list(const std::vector<V>& values) {
    std::string out;
    for (const V& v : values) {
        if constexpr (std::is_same_v<V, std::string>) {
            out += (out.empty() ? "" : ",") + v;
        } else if constexpr (std::is_same_v<V, double>) {
            out += (out.empty() ? "" : ",") + exact(v);
        } else {
            out += (out.empty() ? "" : ",") + std::to_string(v);
        }
    }
    return out;
}

// "N bytes, CRC-32 X" of a file, read a block at a time.
std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw mtl::DataError(path, 0, "", "cannot read the file");
    std::uint32_t crc = 0;
    std::uint64_t size = 0;
    std::string block(1 << 16, '\0');
    while (in.read(block.data(), std::streamsize(block.size())) || in.gcount() > 0) {
        crc = mtl::crc32(std::string_view(block.data(), std::size_t(in.gcount())), crc);
        size += std::uint64_t(in.gcount());
    }
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", crc);
    return std::to_string(size) + " bytes, CRC-32 " + hex;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> checkpoint_identity(const DataOptions& d, const TrainingSetup& s, const Method& m) {
    return {
        {"--data", file_text(d.data)},
        {"--main", d.main},
        {"--aux", list(d.aux)},
        {"--drop", list(d.drop)},
        {"--type", list(d.types)},
        {"--relatedness", list(d.relatedness)},
        {"--split", list(d.split)},
        {"--split-rows", list(d.split_counts)},
        {"--seed", std::to_string(d.seed)},
        {"--precision", d.precision},
        {"--trunk", list(s.trunk)},
        {"--activation", s.activation},
        {"--dropout", exact(s.dropout)},
        {"--arch", s.arch},
        {"--experts", std::to_string(s.experts)},
        {"--task-experts", std::to_string(s.task_experts)},
        {"--levels", std::to_string(s.levels)},
        {"--batch", std::to_string(s.batch)},
        {"--lr", exact(s.lr)},
        {"--optimizer", s.optimizer},
        {"--weight-decay", exact(s.weight_decay)},
        {"--epochs", std::to_string(s.epochs)},
        {"--patience", std::to_string(s.patience)},
        {"--on-nan", s.on_nan},
        {"--order-by", s.order_by},
        {"--batch-groups", s.batch_groups},
        {"--batch-mix", s.batch_mix},
        {"--mix-concentration", exact(s.mix_concentration)},
        {"--method", m.label},
        {"--method-opt", list(m.options)},
    };
}

CheckpointSaver::CheckpointSaver(std::string path) : path_(std::move(path)) {
    if (const char* n = std::getenv("HYDA_TEST_KILL_DURING_CHECKPOINT")) kill_at_ = std::strtol(n, nullptr, 10);
}

void CheckpointSaver::operator()(std::string_view bytes) {
    const bool kill = ++saves_ == kill_at_;
    mtl::write_atomically(path_, "checkpoint", [&](std::ostream& out) {
        if (kill) {  // the test hook: half the file on disk, then the end
            out.write(bytes.data(), std::streamsize(bytes.size() / 2));
            out.flush();
            std::raise(SIGKILL);
        }
        out.write(bytes.data(), std::streamsize(bytes.size()));
    });
}

std::string read_checkpoint(const std::string& path) {
    return mtl::read_file_bytes(path, std::uint64_t(1) << 34);  // 16 GiB: a bound against a wrong file, not a model's size
}

}  // namespace hyda::cli
