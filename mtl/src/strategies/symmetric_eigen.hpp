#pragma once
// Internal: eigen-decomposition of the small symmetric matrices of the Gram-matrix
// strategies (Aligned-MTL's balance transform, IMTL-G's pseudo-inverse).
#include <cstddef>
#include <span>
#include <vector>

namespace hyda::mtl::detail {

// A = V diag(lambda) V^T for a symmetric n x n matrix A (row-major), by the cyclic Jacobi
// method (Golub & Van Loan, "Matrix Computations", 4th ed., 2013, section 8.5): each
// rotation zeroes one off-diagonal pair, and sweeps over all pairs repeat until every
// off-diagonal entry is below rounding of its two diagonal entries
// (|a_pq| <= eps sqrt(|a_pp a_qq|)). That criterion gives a Gram matrix's small
// eigenvalues to high relative accuracy (Demmel & Veselic, SIAM J. Matrix Anal. Appl.
// 13(4), 1992), which rank decisions and inverse square roots need. Each sweep is O(n^3);
// on random Gram matrices of every rank it took a median of 7 sweeps for 8 rows, 11 for
// 16 and 15 for 64 (the last one finding nothing to rotate).
// Holds its workspace: decomposing allocates nothing.
class SymmetricEigen {
public:
    explicit SymmetricEigen(std::size_t n);

    // Decomposes A (its upper triangle is read). Throws std::invalid_argument for a wrong
    // size or a non-finite entry.
    void decompose(std::span<const double> A);

    // The eigenvalues, largest first, and V (n x n, row-major): column j is the unit
    // eigenvector of values()[j].
    std::span<const double> values() const { return values_; }
    std::span<const double> vectors() const { return vectors_; }

    // The numerical rank: how many eigenvalues exceed n 2^-23 lambda_max, the threshold of
    // the Aligned-MTL authors' code (float32 rounding: a Gram matrix of float gradients is
    // not known better). The eigenvalues above it come first in values().
    std::size_t rank() const;

private:
    std::size_t n_;
    std::vector<double> a_, values_, vectors_, scratch_;
    std::vector<std::size_t> order_;
};

}  // namespace hyda::mtl::detail
