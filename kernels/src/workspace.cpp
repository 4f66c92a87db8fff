#include "workspace.hpp"

#include <cstdlib>
#include <memory>
#include <new>

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

GemmWorkspace gemm_workspace(std::size_t a_bytes, std::size_t b_bytes) {
    thread_local AlignedBytes a, b;
    return {a.reserve(a_bytes), b.reserve(b_bytes)};
}

}  // namespace hyda::detail
