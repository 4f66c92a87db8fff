// The Jacobi eigen-solver behind Aligned-MTL and IMTL-G (mtl/src/strategies/
// symmetric_eigen.hpp): V diag(lambda) V^T rebuilds A and V is orthogonal, on random
// symmetric matrices (Gram matrices of every rank, indefinite ones, repeated eigenvalues);
// a 2 x 2 case by hand; the numerical rank; errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "random_gradients.hpp"
#include "strategies/symmetric_eigen.hpp"
#include "throws.hpp"

namespace {

using hyda::mtl::detail::SymmetricEigen;
using Vec = std::vector<double>;

// max |V diag(lambda) V^T - A| and max |V^T V - I|, both relative to max |A| (1 if A = 0).
void check_decomposition(const SymmetricEigen& e, const Vec& A, std::size_t n, double tolerance) {
    const auto lambda = e.values();
    const auto V = e.vectors();
    double scale = 0;
    for (double x : A) scale = std::max(scale, std::abs(x));
    if (scale == 0) scale = 1;
    double rebuild = 0, orthogonality = 0;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            double a = 0, o = 0;
            for (std::size_t k = 0; k < n; ++k) a += V[i * n + k] * lambda[k] * V[j * n + k], o += V[k * n + i] * V[k * n + j];
            rebuild = std::max(rebuild, std::abs(a - A[i * n + j]) / scale);
            orthogonality = std::max(orthogonality, std::abs(o - (i == j ? 1.0 : 0.0)));
        }
    }
    CHECK(rebuild <= tolerance);
    CHECK(orthogonality <= tolerance);
    for (std::size_t j = 1; j < n; ++j) CHECK(lambda[j - 1] >= lambda[j]);
}

}  // namespace

TEST_CASE("symmetric eigen: a 2 x 2 matrix by hand", "[eigen]") {
    // [[2, 1], [1, 2]]: eigenvalues 3 along (1, 1) / sqrt 2, and 1 along (1, -1) / sqrt 2.
    SymmetricEigen e(2);
    e.decompose(Vec{2, 1, 1, 2});
    CHECK(e.values()[0] == Approx(3).epsilon(1e-15));
    CHECK(e.values()[1] == Approx(1).epsilon(1e-15));
    const auto V = e.vectors();
    CHECK(std::abs(V[0]) == Approx(1 / std::sqrt(2.0)).epsilon(1e-15));  // column 0: +-(1, 1) / sqrt 2
    CHECK(V[0] == Approx(V[2]).epsilon(1e-15));
    CHECK(V[1] == Approx(-V[3]).epsilon(1e-15));  // column 1: +-(1, -1) / sqrt 2
    CHECK(e.rank() == 2);
}

TEST_CASE("symmetric eigen: random Gram matrices of every rank and scale rebuild, with orthogonal V", "[eigen]") {
    hyda::ad::Rng rng(5);
    for (int K : {1, 2, 3, 5, 8, 16, 32}) {
        for (int rank = 0; rank <= K; rank += std::max(1, K / 4)) {
            for (double spread : {0.0, 3.0}) {
                INFO("K " << K << ", rank " << rank << ", spread " << spread);
                const Vec G = hyda::test::gram_of(hyda::test::random_gradients(K, K + 8, rank, spread, rng));
                SymmetricEigen e{std::size_t(K)};
                e.decompose(G);
                check_decomposition(e, G, std::size_t(K), 1e-13);
                // PSD: the eigenvalues are >= 0 up to rounding of the largest.
                CHECK(e.values()[std::size_t(K - 1)] >= -1e-13 * std::max(e.values()[0], 1e-300));
                if (spread == 0) CHECK(e.rank() == std::size_t(rank));  // well separated from 0 without scaling
            }
        }
    }
}

TEST_CASE("symmetric eigen: indefinite matrices, repeated eigenvalues, diagonal and zero ones", "[eigen]") {
    hyda::ad::Rng rng(9);
    for (int trial = 0; trial < 50; ++trial) {
        const std::size_t n = 1 + std::size_t(rng.below(12));
        Vec A(n * n);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = i; j < n; ++j) A[i * n + j] = A[j * n + i] = rng.normal();
        SymmetricEigen e(n);
        e.decompose(A);
        check_decomposition(e, A, n, 1e-13);
    }
    // I + 1 1^T in 6 dimensions: eigenvalue 7 once, 1 five times (any basis of 1's complement).
    Vec A(36, 1.0);
    for (std::size_t i = 0; i < 6; ++i) A[i * 6 + i] = 2;
    SymmetricEigen e(6);
    e.decompose(A);
    check_decomposition(e, A, 6, 1e-14);
    CHECK(e.values()[0] == Approx(7));
    for (std::size_t j = 1; j < 6; ++j) CHECK(e.values()[j] == Approx(1));
    // Diagonal: no rotation, sorted; zero: all zero, rank 0.
    SymmetricEigen d(3);
    d.decompose(Vec{1, 0, 0, 0, 5, 0, 0, 0, -2});
    CHECK(Vec(d.values().begin(), d.values().end()) == Vec{5, 1, -2});
    check_decomposition(d, Vec{1, 0, 0, 0, 5, 0, 0, 0, -2}, 3, 0);
    d.decompose(Vec(9, 0.0));
    CHECK(Vec(d.values().begin(), d.values().end()) == Vec{0, 0, 0});
    CHECK(d.rank() == 0);
}

TEST_CASE("symmetric eigen: the rank counts eigenvalues above K 2^-23 lambda_max", "[eigen]") {
    // diag(1, 1e-6, 3e-7, 1e-7): the threshold is 4 * 2^-23 = 4.77e-7.
    SymmetricEigen e(4);
    e.decompose(Vec{1, 0, 0, 0, 0, 1e-6, 0, 0, 0, 0, 3e-7, 0, 0, 0, 0, 1e-7});
    CHECK(e.rank() == 2);
    SymmetricEigen negative(2);
    negative.decompose(Vec{-1, 0, 0, -2});  // no positive eigenvalue
    CHECK(negative.rank() == 0);
}

TEST_CASE("symmetric eigen rejects wrong sizes and non-finite entries", "[eigen]") {
    SymmetricEigen e(2);
    CHECK_THAT(hyda::test::invalid_argument_message([&] { e.decompose(Vec(3, 1.0)); }), Catch::Contains("symmetric_eigen: 3 entries for a 2 x 2 matrix"));
    CHECK_THAT(hyda::test::invalid_argument_message([&] { e.decompose(Vec{1, NAN, NAN, 1}); }), Catch::Contains("non-finite"));
}
