// An epoch's batches: epoch_order (the shuffle) cut into batches, after sorting it by the
// rows' order key (ordered) or splitting it by group (grouped).
#include <algorithm>
#include <map>
#include <stdexcept>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/dataset.hpp"

namespace hyda::mtl {

namespace {

// Consecutive pieces of `rows`, of batch_size rows each but the last, appended to `out`.
void cut(const std::vector<int>& rows, int batch_size, std::vector<std::vector<int>>& out) {
    for (std::size_t start = 0; start < rows.size(); start += std::size_t(batch_size)) {
        const std::size_t end = std::min(rows.size(), start + std::size_t(batch_size));
        out.emplace_back(rows.begin() + std::ptrdiff_t(start), rows.begin() + std::ptrdiff_t(end));
    }
}

}  // namespace

template <class T>
void require_batching_metadata(const Dataset<T>& data, Batching batching, const std::string& what) {
    auto require = [&](std::size_t size, const char* needs) {
        if (size != std::size_t(data.rows))
            throw std::invalid_argument(what + ": " + needs + " per row, the data has " + std::to_string(size) + " for " + std::to_string(data.rows) + " rows");
    };
    if (batching == Batching::ordered) require(data.order_key.size(), "ordered batching needs an order key");
    if (batching == Batching::grouped) require(data.group.size(), "grouped batching needs a group");
}

template <class T>
std::vector<std::vector<int>> epoch_batches(const Dataset<T>& data, Batching batching, int batch_size, std::uint64_t seed, int epoch) {
    if (batch_size < 1) throw std::invalid_argument("epoch_batches: batch_size must be >= 1, got " + std::to_string(batch_size));
    require_batching_metadata(data, batching, "epoch_batches");
    std::vector<int> order = epoch_order(data.rows, seed, epoch);
    std::vector<std::vector<int>> batches;
    switch (batching) {
        case Batching::shuffle: cut(order, batch_size, batches); break;
        case Batching::ordered:
            std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return data.order_key[std::size_t(a)] < data.order_key[std::size_t(b)]; });
            cut(order, batch_size, batches);
            break;
        case Batching::grouped: {
            std::map<int, std::vector<int>> members;  // by group, in increasing group order
            for (int r : order) members[data.group[std::size_t(r)]].push_back(r);
            for (const auto& [group, rows] : members) cut(rows, batch_size, batches);
            // A stream of its own, seeded from a hash of the hash epoch_order seeds from:
            // the batch order does not reuse the numbers that shuffled the rows.
            const std::uint64_t rehashed = ad::Rng(ad::Rng(seed)())();
            ad::Rng rng(rehashed + std::uint64_t(epoch));
            ad::shuffle(batches.begin(), batches.end(), rng);
            break;
        }
    }
    return batches;
}

template void require_batching_metadata<float>(const Dataset<float>&, Batching, const std::string&);
template void require_batching_metadata<double>(const Dataset<double>&, Batching, const std::string&);
template std::vector<std::vector<int>> epoch_batches<float>(const Dataset<float>&, Batching, int, std::uint64_t, int);
template std::vector<std::vector<int>> epoch_batches<double>(const Dataset<double>&, Batching, int, std::uint64_t, int);

}  // namespace hyda::mtl
