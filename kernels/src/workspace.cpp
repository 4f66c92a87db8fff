#include "workspace.hpp"

#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace hyda::detail {
namespace {

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

class AlignedBytes {
public:
    void* reserve(std::size_t bytes) {
        if (bytes > capacity_) {
            const std::size_t rounded = (bytes + 63) / 64 * 64;
            void* p = std::aligned_alloc(64, rounded);
            if (p == nullptr) throw std::bad_alloc();
            data_.reset(p);
            capacity_ = rounded;
        }
        return data_.get();
    }

private:
    std::unique_ptr<void, FreeDeleter> data_;
    std::size_t capacity_ = 0;
};

}  // namespace

std::span<const GemmWorkspace> gemm_workspaces(int tasks, std::size_t a_bytes, std::size_t b_bytes) {
    struct Buffers {
        AlignedBytes a, b;
    };
    thread_local std::vector<Buffers> buffers;
    thread_local std::vector<GemmWorkspace> views;
    if (buffers.size() < std::size_t(tasks)) {
        buffers.resize(std::size_t(tasks));
        views.resize(std::size_t(tasks));
    }
    for (int t = 0; t < tasks; ++t) views[std::size_t(t)] = {buffers[std::size_t(t)].a.reserve(a_bytes), buffers[std::size_t(t)].b.reserve(b_bytes)};
    return {views.data(), std::size_t(tasks)};
}

}  // namespace hyda::detail
