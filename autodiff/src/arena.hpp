#pragma once
// A bump allocator for one training step. reset() keeps the memory; if the last step
// needed more than one block, they are freed and the next allocation takes one block big
// enough for that whole step, so a repeated step stops allocating after its first two
// runs. reset() itself allocates nothing, so it cannot throw.
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace hyda::ad::detail {

class Arena {
public:
    static constexpr std::size_t kAlign = 64;

    void* allocate(std::size_t bytes) {
        bytes = (bytes + kAlign - 1) / kAlign * kAlign;
        if (blocks_.empty() || used_ + bytes > blocks_.back().size) {
            add_block(std::max(bytes, blocks_.empty() ? first_block_ : blocks_.back().size * 2));
        }
        void* p = blocks_.back().data.get() + used_;
        used_ += bytes;
        total_ += bytes;
        return p;
    }

    void reset() noexcept {
        if (blocks_.size() > 1) {
            first_block_ = total_;
            blocks_.clear();
        }
        used_ = 0;
        total_ = 0;
    }

private:
    struct FreeDeleter {
        void operator()(std::byte* p) const { std::free(p); }
    };
    struct Block {
        std::unique_ptr<std::byte[], FreeDeleter> data;
        std::size_t size;
    };

    void add_block(std::size_t bytes) {
        bytes = (bytes + kAlign - 1) / kAlign * kAlign;
        auto* p = static_cast<std::byte*>(std::aligned_alloc(kAlign, bytes));
        if (p == nullptr) throw std::bad_alloc();
        blocks_.push_back({std::unique_ptr<std::byte[], FreeDeleter>(p), bytes});
        used_ = 0;
    }

    std::vector<Block> blocks_;
    std::size_t used_ = 0;   // in the last block
    std::size_t total_ = 0;  // over all blocks since reset
    std::size_t first_block_ = std::size_t(1) << 16;  // size of the next block when there is none
};

}  // namespace hyda::ad::detail
