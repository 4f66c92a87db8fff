// An epoch's batches: epoch_order (the shuffle) cut into batches, after sorting it by the
// rows' order key (ordered) or splitting it by group (grouped), or batches drawn from the
// groups in Dirichlet shares (mixed).
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
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

// A stream of its own for the draws after the shuffle (grouped's batch order, mixed's
// shares), seeded from a hash of the hash epoch_order seeds from: it does not reuse the
// numbers that shuffled the rows.
ad::Rng after_shuffle_rng(std::uint64_t seed, int epoch) {
    const std::uint64_t rehashed = ad::Rng(ad::Rng(seed)())();
    return ad::Rng(rehashed + std::uint64_t(epoch));
}

// `n` rows apportioned by `shares` (summing to 1) by largest remainder: each gets the
// floor of its quota share * n, the rows left over go one each to the largest fractional
// parts, ties to the lower index.
std::vector<std::size_t> apportion(const std::vector<double>& shares, std::size_t n) {
    std::vector<std::size_t> count(shares.size());
    std::vector<double> fraction(shares.size());
    std::size_t given = 0;
    for (std::size_t g = 0; g < shares.size(); ++g) {
        const double quota = shares[g] * double(n);
        count[g] = std::size_t(std::floor(quota));
        fraction[g] = quota - std::floor(quota);
        given += count[g];
    }
    std::vector<std::size_t> by_fraction(shares.size());
    std::iota(by_fraction.begin(), by_fraction.end(), 0);
    std::stable_sort(by_fraction.begin(), by_fraction.end(), [&](std::size_t a, std::size_t b) { return fraction[a] > fraction[b]; });
    // The quotas sum to n up to rounding, so fewer rows than groups are left over.
    for (std::size_t i = 0; given < n; ++i, ++given) ++count[by_fraction[i % by_fraction.size()]];
    return count;
}

// Batching::mixed (see dataset.hpp) over `members`, the groups' rows in epoch order.
void mix(const std::vector<std::vector<int>>& members, int batch_size, double concentration, ad::Rng& rng,
         std::vector<std::vector<int>>& out) {
    std::vector<std::size_t> taken(members.size(), 0);  // from the front of each group's rows
    std::size_t left = 0;
    for (const auto& rows : members) left += rows.size();
    std::vector<double> shares(members.size());
    while (left > 0) {
        const std::size_t n = std::min(left, std::size_t(batch_size));
        ad::dirichlet(shares, concentration, rng);
        std::vector<std::size_t> count = apportion(shares, n);
        std::size_t shortfall = 0;
        for (std::size_t g = 0; g < members.size(); ++g) {
            const std::size_t has = members[g].size() - taken[g];
            if (count[g] > has) {
                shortfall += count[g] - has;
                count[g] = has;
            }
        }
        for (std::size_t g = 0; g < members.size() && shortfall > 0; ++g) {
            const std::size_t extra = std::min(shortfall, members[g].size() - taken[g] - count[g]);
            count[g] += extra;
            shortfall -= extra;
        }
        std::vector<int>& batch = out.emplace_back();
        for (std::size_t g = 0; g < members.size(); ++g) {
            const auto from = members[g].begin() + std::ptrdiff_t(taken[g]);
            batch.insert(batch.end(), from, from + std::ptrdiff_t(count[g]));
            taken[g] += count[g];
        }
        left -= n;
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
    if (batching == Batching::mixed) require(data.group.size(), "mixed batching needs a group");
}

template <class T>
std::vector<std::vector<int>> epoch_batches(const Dataset<T>& data, Batching batching, int batch_size, std::uint64_t seed, int epoch,
                                            double mix_concentration) {
    if (batch_size < 1) throw std::invalid_argument("epoch_batches: batch_size must be >= 1, got " + std::to_string(batch_size));
    if (!(std::isfinite(mix_concentration) && mix_concentration > 0))
        throw std::invalid_argument("epoch_batches: mix_concentration must be finite and > 0, got " + std::to_string(mix_concentration));
    require_batching_metadata(data, batching, "epoch_batches");
    std::vector<int> order = epoch_order(data.rows, seed, epoch);
    std::vector<std::vector<int>> batches;
    switch (batching) {
        case Batching::shuffle: cut(order, batch_size, batches); break;
        case Batching::ordered:
            std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return data.order_key[std::size_t(a)] < data.order_key[std::size_t(b)]; });
            cut(order, batch_size, batches);
            break;
        case Batching::grouped:
        case Batching::mixed: {
            std::map<int, std::vector<int>> by_group;  // in increasing group order
            for (int r : order) by_group[data.group[std::size_t(r)]].push_back(r);
            ad::Rng rng = after_shuffle_rng(seed, epoch);
            if (batching == Batching::grouped) {
                for (const auto& [group, rows] : by_group) cut(rows, batch_size, batches);
                ad::shuffle(batches.begin(), batches.end(), rng);
            } else {
                std::vector<std::vector<int>> members;
                for (auto& [group, rows] : by_group) members.push_back(std::move(rows));
                mix(members, batch_size, mix_concentration, rng, batches);
            }
            break;
        }
    }
    return batches;
}

template void require_batching_metadata<float>(const Dataset<float>&, Batching, const std::string&);
template void require_batching_metadata<double>(const Dataset<double>&, Batching, const std::string&);
template std::vector<std::vector<int>> epoch_batches<float>(const Dataset<float>&, Batching, int, std::uint64_t, int, double);
template std::vector<std::vector<int>> epoch_batches<double>(const Dataset<double>&, Batching, int, std::uint64_t, int, double);

}  // namespace hyda::mtl
