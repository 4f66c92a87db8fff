// Elementwise and reduction kernels (hyda/kernels/elementwise.hpp) against scalar
// references computed in long double with std:: functions, for float and double, on
// every SIMD path this CPU supports.
//
// Tolerances are in units of eps = std::numeric_limits<T>::epsilon() (one ulp at 1.0),
// relative to a per-element scale stated next to each kernel:
//  - ops that are one IEEE operation in T (add, sub, mul, div, scale, relu, leaky_relu,
//    relu_backward) must match the same operation done in T bit for bit;
//  - ops that may or may not fuse a multiply-add (axpy, leaky_relu_backward) are allowed
//    1 eps of the sum of the magnitudes of their terms;
//  - exp, log, softplus, sigmoid and tanh are allowed 4 eps of |f(x)| (xsimd 8.1 and libm
//    measured at 1.4 eps at most); gelu 16 to 32 eps, more far in its negative tail (see
//    gelu_tol); backward passes the same, of |dx| + |dy| * (size of the terms of f');
//  - sum and dot are allowed (2 sqrt(n) + 8) eps of sum |terms| (the rounding errors of
//    a sum grow like a random walk; the worst case n eps would hide missing elements),
//    and must be exact on integer data, which catches any element lost or counted twice.
// Results that underflow are also allowed an absolute error of the smallest normal T.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "hyda/kernels/elementwise.hpp"
#include "kernel_matrix.hpp"
#include "throws.hpp"

namespace {

using hyda::test::for_each_arch;
using R = long double;  // references are computed in this type

template <class T> constexpr T kEps = std::numeric_limits<T>::epsilon();
template <class T> constexpr T kInf = std::numeric_limits<T>::infinity();
template <class T> constexpr T kSlope = T(0.1);   // leaky_relu's slope (not a power of 2)
template <class T> constexpr T kAlpha = T(-1.7);  // scale's and axpy's factor
constexpr R kSqrt2 = 1.41421356237309504880168872420969808L;
constexpr R kInvSqrt2Pi = 0.398942280401432677939946059934381868L;

// Sizes around every vector width (1, 2, 4, 8, 16 lanes) and the 4-register unrolling,
// and large ones above the 65536 elements from which maps run on several threads.
const std::vector<std::size_t> kSizes = {0,  1,  2,  3,  4,  5,  7,  8,   9,   15,  16,   17,    31,    32,
                                         33, 47, 63, 64, 65, 97, 127, 129, 255, 1000, 4099, 65536, 200003};
constexpr std::size_t kParallelFrom = 65536;

// Runs body() on every SIMD path, on 1 thread, and for large n also on 2 threads.
template <class Body>
void for_each_config(std::size_t n, Body body) {
    for_each_arch([&](hyda::Arch) {
        for (int threads : {1, 2}) {
            if (threads > 1 && n < kParallelFrom) break;
            hyda::set_num_threads(threads);
            INFO("threads = " << threads);
            body();
        }
        hyda::set_num_threads(1);
    });
}

// ---------------------------------------------------------------------------------------
// Inputs

// Random inputs: magnitudes log-uniform in [lo, hi] (small and large values alike), with a
// random sign unless `positive`.
struct Domain {
    double lo, hi;
    bool positive = false;
};

template <class T>
std::vector<T> draw(const Domain& d, std::size_t n, std::mt19937& gen) {
    std::uniform_real_distribution<double> log_mag(std::log(d.lo), std::log(d.hi));
    std::bernoulli_distribution negative(d.positive ? 0.0 : 0.5);
    std::vector<T> v(n);
    for (T& e : v) e = T(std::exp(log_mag(gen))) * (negative(gen) ? T(-1) : T(1));
    return v;
}

template <class T>
std::vector<T> uniform(double lo, double hi, std::size_t n, std::mt19937& gen) {
    std::uniform_real_distribution<double> u(lo, hi);
    std::vector<T> v(n);
    for (T& e : v) e = T(u(gen));
    return v;
}

// Small integers: every sum and dot product of them below 2^24 is exact in float.
template <class T>
std::vector<T> integers(int lo, int hi, std::size_t n, std::mt19937& gen) {
    std::uniform_int_distribution<int> u(lo, hi);
    std::vector<T> v(n);
    for (T& e : v) e = T(u(gen));
    return v;
}

// `values` repeated to `n` elements, so each one lands both in full registers and in the
// partial last one on every path.
template <class T>
std::vector<T> cycle(const std::vector<T>& values, std::size_t n) {
    std::vector<T> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = values[i % values.size()];
    return v;
}

// ---------------------------------------------------------------------------------------
// Comparison

template <class T>
bool within(T got, R want, R scale, double tol) {
    const T want_t = T(want);
    if (std::isnan(want_t) || std::isnan(got)) return std::isnan(want_t) && std::isnan(got);
    if (tol == 0 || std::isinf(want_t)) return got == want_t;
    const R allowed = R(tol) * kEps<T> * scale + std::numeric_limits<T>::min();
    return std::fabs(R(got) - want) <= allowed;
}

// "" if every got[i] is within tol[i] eps * scale[i] of want[i], else a description of
// the first element that is not (with the inputs at that index).
template <class T>
std::string mismatch(const std::vector<T>& got, const std::vector<R>& want, const std::vector<R>& scale,
                     const std::vector<double>& tol, std::initializer_list<const std::vector<T>*> inputs = {}) {
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (within(got[i], want[i], scale[i], tol[i])) continue;
        std::ostringstream os;
        os.precision(std::numeric_limits<T>::max_digits10);
        os << "element " << i << " of " << got.size() << ": inputs (";
        for (const auto* in : inputs) os << ' ' << (*in)[i];
        os << " ) got " << got[i] << ", want " << double(want[i]) << ", error "
           << double(std::fabs(R(got[i]) - want[i]) / (kEps<T> * scale[i])) << " eps * " << double(scale[i])
           << ", allowed " << tol[i] << " eps";
        return os.str();
    }
    return "";
}

template <class T>
std::string mismatch(const std::vector<T>& got, const std::vector<R>& want, const std::vector<R>& scale,
                     double tol, std::initializer_list<const std::vector<T>*> inputs = {}) {
    return mismatch(got, want, scale, std::vector<double>(got.size(), tol), inputs);
}

template <class T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

std::vector<R> magnitudes(const std::vector<R>& v) {
    std::vector<R> m(v.size());
    std::transform(v.begin(), v.end(), m.begin(), [](R x) { return std::fabs(x); });
    return m;
}

// Allowed error of a sum of n terms, in eps, relative to the sum of their magnitudes.
double reduction_tol(std::size_t n) { return 2 * std::sqrt(double(n)) + 8; }

// ---------------------------------------------------------------------------------------
// Unary maps y = f(x)

// The tolerance of a kernel at input x, in eps (0 = bitwise equal to the reference).
template <class T>
using Tol = double (*)(T x);
template <int K, class T>
double fixed(T) { return K; }

R normal_cdf(R x) { return 0.5L * std::erfc(-x / kSqrt2); }  // erfc: no cancellation for x < 0
R normal_pdf(R x) { return kInvSqrt2Pi * std::exp(-0.5L * x * x); }

// gelu and its derivative use xsimd's erfc for Phi(x) = erfc(z) / 2, z = -x / sqrt 2.
// While z < 2.2 that is good to 16 eps in float, 32 in double (measured: 10 and 21 eps;
// xsimd 8.1's double erfc alone is off by 19 eps near z = 0.65). Beyond, in float: erfc's condition number there is
// about 2 z^2, so the rounding of z costs z^2 eps, and erfc(z) = exp(-z^2) * P(z) loses
// another z^2 / 2 eps to the rounding of z^2 (measured: 107 eps at z = 8.2, allowed 150);
// in double, xsimd 8.1's erfc beyond 2.2 is a low-order rational fit (measured: 4e-12
// relative at z = 2.2, 6e-9 at z = 26), so only 1e-8 relative is asked there. The scalar
// path (std::erfc) is far better than both.
template <class T>
double gelu_tol(T x) {
    constexpr bool f32 = std::is_same_v<T, float>;
    const double z = -double(x) / std::sqrt(2.0);
    if (z < 2.2) return f32 ? 16 : 32;
    return f32 ? 16 + 2 * z * z : 1e-8 / double(kEps<T>);
}

template <class T>
struct UnaryMap {
    const char* name;
    void (*kernel)(std::size_t, const T*, T*);
    R (*ref)(T x);          // f(x)
    Domain domain;          // where random inputs come from
    Tol<T> tol;             // relative to |f(x)|
    std::vector<T> edges;   // special inputs checked besides the random ones
};

template <class T>
std::vector<UnaryMap<T>> unary_maps() {
    constexpr bool f32 = std::is_same_v<T, float>;
    const T inf = kInf<T>;
    // exp(x) is a normal T for |x| below ~87 (float) / ~708 (double).
    const double exp_range = f32 ? 87 : 700;
    const double big = f32 ? 100 : 800;  // beyond exp's range: saturating branches
    return {
        {"scale", [](std::size_t n, const T* x, T* y) { hyda::scale(n, kAlpha<T>, x, y); },
         [](T x) -> R { return T(kAlpha<T> * x); }, {1e-6, 1e6}, fixed<0>, {0, T(-0.0), inf, -inf}},
        {"exp", hyda::exp<T>, [](T x) { return std::exp(R(x)); }, {1e-6, exp_range}, fixed<4>,
         {0, T(-0.0), 1, -1, T(1e4), T(-1e4), inf, -inf}},
        {"log", hyda::log<T>, [](T x) { return std::log(R(x)); },
         {f32 ? 1e-30 : 1e-300, f32 ? 1e30 : 1e300, true}, fixed<4>,
         {1, 2, T(0.5), 1 + kEps<T>, 1 - kEps<T> / 2, std::numeric_limits<T>::min(), 0, inf}},
        {"softplus", hyda::softplus<T>,
         [](T x) { return x > 0 ? x + std::log1p(std::exp(-R(x))) : std::log1p(std::exp(R(x))); }, {1e-6, big},
         fixed<4>, {0, T(1e4), T(-1e4), T(30), T(-30), inf, -inf}},
        {"relu", hyda::relu<T>, [](T x) -> R { return x > 0 ? x : T(0); }, {1e-6, 1e6}, fixed<0>,
         {0, T(-0.0), inf, -inf}},
        {"leaky_relu", [](std::size_t n, const T* x, T* y) { hyda::leaky_relu(n, kSlope<T>, x, y); },
         [](T x) -> R { return x > 0 ? x : T(kSlope<T> * x); }, {1e-6, 1e6}, fixed<0>, {0, T(-0.0), inf, -inf}},
        {"sigmoid", hyda::sigmoid<T>, [](T x) { return 1 / (1 + std::exp(-R(x))); }, {1e-6, big}, fixed<4>,
         {0, T(1e4), T(-1e4), T(40), T(-40), inf, -inf}},
        {"tanh", hyda::tanh<T>, [](T x) { return std::tanh(R(x)); }, {1e-6, 40}, fixed<4>,
         {0, T(-0.0), T(1e4), T(-1e4), inf, -inf}},
        {"gelu", hyda::gelu<T>, [](T x) { return R(x) * normal_cdf(x); }, {1e-6, f32 ? 12 : 36}, gelu_tol<T>,
         {0, T(1e4), T(-1e4), T(5), T(-5), T(-10)}},
    };
}

TEMPLATE_TEST_CASE("unary maps match long double references", "[elementwise]", float, double) {
    using T = TestType;
    for (const UnaryMap<T>& m : unary_maps<T>()) {
        INFO("kernel = " << m.name);
        std::mt19937 gen(12345);
        auto check = [&](const std::vector<T>& x) {
            INFO("n = " << x.size());
            std::vector<R> want(x.size());
            std::transform(x.begin(), x.end(), want.begin(), m.ref);
            const std::vector<R> scale = magnitudes(want);
            std::vector<double> tol(x.size());
            std::transform(x.begin(), x.end(), tol.begin(), m.tol);
            for_each_config(x.size(), [&] {
                std::vector<T> y(x.size(), T(-777));
                m.kernel(x.size(), x.data(), y.data());
                CHECK(mismatch(y, want, scale, tol, {&x}) == "");
            });
        };
        for (std::size_t n : kSizes) check(draw<T>(m.domain, n, gen));
        for (std::size_t n : {m.edges.size(), std::size_t(37)}) check(cycle(m.edges, n));
    }
}

TEMPLATE_TEST_CASE("softplus, sigmoid and gelu saturate without overflow", "[elementwise]", float, double) {
    using T = TestType;
    const std::vector<T> x = {T(1e4), T(-1e4)};
    std::vector<T> y(2);
    for_each_arch([&](hyda::Arch) {
        hyda::softplus(2, x.data(), y.data());
        CHECK(y[0] == T(1e4));
        CHECK(y[1] >= 0);
        CHECK(y[1] <= std::numeric_limits<T>::min());
        hyda::sigmoid(2, x.data(), y.data());
        CHECK(y[0] == 1);
        CHECK(y[1] >= 0);
        CHECK(y[1] <= std::numeric_limits<T>::min());
        hyda::gelu(2, x.data(), y.data());
        CHECK(y[0] == T(1e4));
        CHECK(y[1] == 0);
    });
}

// ---------------------------------------------------------------------------------------
// Binary maps z = x op y: one IEEE operation, so bitwise equal to the same op in T.

template <class T>
struct BinaryMap {
    const char* name;
    void (*kernel)(std::size_t, const T*, const T*, T*);
    T (*ref)(T, T);
};

template <class T>
std::vector<BinaryMap<T>> binary_maps() {
    return {
        {"add", hyda::add<T>, [](T a, T b) { return a + b; }},
        {"sub", hyda::sub<T>, [](T a, T b) { return a - b; }},
        {"mul", hyda::mul<T>, [](T a, T b) { return a * b; }},
        {"div", hyda::div<T>, [](T a, T b) { return a / b; }},
    };
}

TEMPLATE_TEST_CASE("binary maps are exact", "[elementwise]", float, double) {
    using T = TestType;
    std::mt19937 gen(777);
    for (const BinaryMap<T>& m : binary_maps<T>()) {
        INFO("kernel = " << m.name);
        for (std::size_t n : kSizes) {
            INFO("n = " << n);
            const std::vector<T> x = draw<T>({1e-3, 1e3}, n, gen), y = draw<T>({1e-3, 1e3}, n, gen);
            std::vector<R> want(n);
            for (std::size_t i = 0; i < n; ++i) want[i] = m.ref(x[i], y[i]);
            for_each_config(n, [&] {
                std::vector<T> z(n, T(-777));
                m.kernel(n, x.data(), y.data(), z.data());
                CHECK(mismatch(z, want, want, 0, {&x, &y}) == "");
            });
        }
    }
}

TEMPLATE_TEST_CASE("axpy: y += a * x, fused or not", "[elementwise]", float, double) {
    using T = TestType;
    std::mt19937 gen(31);
    for (std::size_t n : kSizes) {
        INFO("n = " << n);
        const std::vector<T> x = uniform<T>(-10, 10, n, gen), y0 = uniform<T>(-10, 10, n, gen);
        std::vector<R> want(n), scale(n);
        for (std::size_t i = 0; i < n; ++i) {
            want[i] = R(kAlpha<T>) * x[i] + y0[i];
            scale[i] = std::fabs(R(kAlpha<T>) * x[i]) + std::fabs(R(y0[i]));
        }
        for_each_config(n, [&] {
            std::vector<T> y = y0;
            hyda::axpy(n, kAlpha<T>, x.data(), y.data());
            CHECK(mismatch(y, want, scale, 1, {&x, &y0}) == "");
        });
    }
}

// ---------------------------------------------------------------------------------------
// Backward passes dx = beta dx + dy * f'(v), v the forward input (or output for sigmoid /
// tanh): beta 1 (accumulate) and 0 (overwrite).

template <class T>
struct BackwardMap {
    const char* name;
    void (*kernel)(std::size_t, const T*, const T*, T*, T beta);
    R (*ref)(T v, T dy, T dx);    // the accumulated dx
    R (*scale)(T v, T dy, T dx);  // what the tolerance is relative to
    Domain domain;                // of v
    Tol<T> tol;                   // at v, relative to scale
};

R gelu_deriv(R x) { return normal_cdf(x) + x * normal_pdf(x); }

template <class T>
std::vector<BackwardMap<T>> backward_maps() {
    return {
        {"relu_backward", hyda::relu_backward<T>,
         [](T x, T dy, T dx) -> R { return x > 0 ? T(dx + dy) : dx; },
         [](T, T, T) -> R { return 1; }, {1e-6, 1e3}, fixed<0>},
        {"leaky_relu_backward",
         [](std::size_t n, const T* x, const T* dy, T* dx, T beta) { hyda::leaky_relu_backward(n, kSlope<T>, x, dy, dx, beta); },
         [](T x, T dy, T dx) { return dx + dy * (x > 0 ? R(1) : R(kSlope<T>)); },
         [](T x, T dy, T dx) { return std::fabs(R(dx)) + std::fabs(dy * (x > 0 ? R(1) : R(kSlope<T>))); },
         {1e-6, 1e3}, fixed<1>},
        {"sigmoid_backward", hyda::sigmoid_backward<T>,
         [](T y, T dy, T dx) { return dx + R(dy) * y * (1 - R(y)); },
         [](T y, T dy, T dx) { return std::fabs(R(dx)) + std::fabs(R(dy) * y * (1 - R(y))); },
         {1e-6, 1, true}, fixed<4>},
        {"tanh_backward", hyda::tanh_backward<T>,
         [](T y, T dy, T dx) { return dx + R(dy) * (1 - R(y) * y); },
         [](T y, T dy, T dx) { return std::fabs(R(dx)) + std::fabs(R(dy)) * (1 + R(y) * y); },
         {1e-6, 1}, fixed<4>},
        {"gelu_backward", hyda::gelu_backward<T>,
         [](T x, T dy, T dx) { return dx + dy * gelu_deriv(x); },
         [](T x, T dy, T dx) {
             return std::fabs(R(dx)) + std::fabs(R(dy)) * (normal_cdf(x) + std::fabs(x * normal_pdf(x)));
         },
         {1e-6, 40}, gelu_tol<T>},
    };
}

TEMPLATE_TEST_CASE("backward passes accumulate dy * f' into dx", "[elementwise]", float, double) {
    using T = TestType;
    for (const BackwardMap<T>& m : backward_maps<T>()) {
        INFO("kernel = " << m.name);
        std::mt19937 gen(4242);
        for (std::size_t n : kSizes) {
            INFO("n = " << n);
            const std::vector<T> v = draw<T>(m.domain, n, gen);
            const std::vector<T> dy = uniform<T>(-2, 2, n, gen), dx0 = uniform<T>(-2, 2, n, gen);
            std::vector<R> want(n), scale(n);
            std::vector<double> tol(n);
            for (std::size_t i = 0; i < n; ++i) {
                want[i] = m.ref(v[i], dy[i], dx0[i]);
                scale[i] = m.scale(v[i], dy[i], dx0[i]);
                tol[i] = m.tol(v[i]);
            }
            for_each_config(n, [&] {
                std::vector<T> dx = dx0;
                m.kernel(n, v.data(), dy.data(), dx.data(), T(1));
                CHECK(mismatch(dx, want, scale, tol, {&v, &dy, &dx0}) == "");
            });
        }
    }
}

TEMPLATE_TEST_CASE("backward passes with beta == 0 overwrite dx without reading it", "[elementwise]", float, double) {
    using T = TestType;
    const std::vector<T> zeros(4099, T(0));
    for (const BackwardMap<T>& m : backward_maps<T>()) {
        INFO("kernel = " << m.name);
        std::mt19937 gen(77);
        for (std::size_t n : {std::size_t(1), std::size_t(17), std::size_t(4099)}) {
            const std::vector<T> v = draw<T>(m.domain, n, gen);
            const std::vector<T> dy = uniform<T>(-2, 2, n, gen);
            std::vector<R> want(n), scale(n);
            std::vector<double> tol(n);
            for (std::size_t i = 0; i < n; ++i) {
                want[i] = m.ref(v[i], dy[i], T(0));
                // Absolute at least: this checks the overwrite, the test above the accuracy
                // (gelu's far tail underflows early in xsimd's erfc).
                scale[i] = std::max(m.scale(v[i], dy[i], T(0)), R(1));
                tol[i] = m.tol(v[i]);
            }
            for_each_config(n, [&] {
                std::vector<T> dx(n, std::numeric_limits<T>::quiet_NaN());
                m.kernel(n, v.data(), dy.data(), dx.data(), T(0));
                CHECK(mismatch(dx, want, scale, tol, {&v, &dy, &zeros}) == "");
            });
        }
    }
}

TEMPLATE_TEST_CASE("backward passes at the edges of their domains", "[elementwise]", float, double) {
    using T = TestType;
    // Saturated sigmoid / tanh outputs and saturated gelu inputs have slope 0 or 1; relu's
    // kink at 0 takes the left slope. Slopes 0, 1/4 and 1 make dx0 + dy * slope exact in T.
    struct Edge {
        const char* name;
        void (*kernel)(std::size_t, const T*, const T*, T*, T);
        std::vector<T> inputs;
        std::vector<T> slopes;
    };
    const std::vector<Edge> edges = {
        {"sigmoid_backward", hyda::sigmoid_backward<T>, {0, 1, T(0.5)}, {0, 0, T(0.25)}},
        {"tanh_backward", hyda::tanh_backward<T>, {-1, 1, 0}, {0, 0, 1}},
        {"relu_backward", hyda::relu_backward<T>, {-1, 1, 0, T(-0.0)}, {0, 1, 0, 0}},
        {"gelu_backward", hyda::gelu_backward<T>, {T(1e4), T(-1e4)}, {1, 0}},
    };
    constexpr std::size_t n = 37;
    const std::vector<T> dy = cycle<T>({T(1.5), T(-2.5)}, n), dx0 = cycle<T>({T(0.25), T(-3)}, n);
    for (const Edge& e : edges) {
        INFO("kernel = " << e.name);
        const std::vector<T> v = cycle(e.inputs, n), slope = cycle(e.slopes, n);
        std::vector<R> want(n);
        for (std::size_t i = 0; i < n; ++i) want[i] = dx0[i] + dy[i] * slope[i];
        for_each_arch([&](hyda::Arch) {
            std::vector<T> dx = dx0;
            e.kernel(n, v.data(), dy.data(), dx.data(), T(1));
            CHECK(mismatch(dx, want, want, 0, {&v}) == "");
        });
    }
}

// ---------------------------------------------------------------------------------------
// In-place calls: outputs may alias inputs element for element.

TEMPLATE_TEST_CASE("maps give the same bits in place (y == x)", "[elementwise]", float, double) {
    using T = TestType;
    std::mt19937 gen(99);
    for (std::size_t n : {std::size_t(1), std::size_t(17), std::size_t(65), std::size_t(200003)}) {
        INFO("n = " << n);
        const std::vector<T> x = uniform<T>(0.5, 2, n, gen), y = uniform<T>(0.5, 2, n, gen);
        for (const UnaryMap<T>& m : unary_maps<T>()) {
            INFO("kernel = " << m.name);
            const std::vector<T> in = draw<T>(m.domain, n, gen);
            for_each_config(n, [&] {
                std::vector<T> out(n), in_place = in;
                m.kernel(n, in.data(), out.data());
                m.kernel(n, in_place.data(), in_place.data());
                CHECK(bitwise_equal(in_place, out));
            });
        }
        for (const BinaryMap<T>& m : binary_maps<T>()) {
            INFO("kernel = " << m.name);
            for_each_config(n, [&] {
                std::vector<T> out(n), on_x = x, on_y = y;
                m.kernel(n, x.data(), y.data(), out.data());
                m.kernel(n, on_x.data(), y.data(), on_x.data());
                m.kernel(n, x.data(), on_y.data(), on_y.data());
                CHECK(bitwise_equal(on_x, out));
                CHECK(bitwise_equal(on_y, out));
            });
        }
        INFO("kernel = axpy");
        for_each_config(n, [&] {
            std::vector<T> out = x, in_place = x;
            hyda::axpy(n, kAlpha<T>, x.data(), out.data());
            hyda::axpy(n, kAlpha<T>, in_place.data(), in_place.data());
            CHECK(bitwise_equal(in_place, out));
        });
    }
}

// ---------------------------------------------------------------------------------------
// Reductions

struct SumRef {
    R value = 0, magnitude = 0;  // sum of the terms, sum of their magnitudes
};

template <class T>
SumRef sum_ref(const std::vector<T>& x, const std::vector<T>* y = nullptr) {
    SumRef s;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const R term = y != nullptr ? R(x[i]) * (*y)[i] : R(x[i]);
        s.value += term;
        s.magnitude += std::fabs(term);
    }
    return s;
}

TEMPLATE_TEST_CASE("sum and dot are accurate", "[elementwise]", float, double) {
    using T = TestType;
    std::mt19937 gen(2024);
    for (std::size_t n : kSizes) {
        INFO("n = " << n);
        // A nonzero mean makes the partial sums, and their rounding errors, grow with n.
        const std::vector<T> x = uniform<T>(-0.5, 1.5, n, gen), y = uniform<T>(-0.5, 1.5, n, gen);
        const SumRef s = sum_ref(x), d = sum_ref(x, &y);
        const double tol = reduction_tol(n);
        for_each_arch([&](hyda::Arch) {
            // element 0: sum, element 1: dot
            const std::vector<T> got = {hyda::sum(n, x.data()), hyda::dot(n, x.data(), y.data())};
            CHECK(mismatch(got, {s.value, d.value}, {s.magnitude, d.magnitude}, tol) == "");
        });
    }
}

TEMPLATE_TEST_CASE("sum and dot are exact on small integers", "[elementwise]", float, double) {
    using T = TestType;
    std::mt19937 gen(7);
    for (std::size_t n : kSizes) {
        INFO("n = " << n);
        // |partial sums| <= 16 * 200003 < 2^24: exact in any order.
        const std::vector<T> x = integers<T>(-4, 4, n, gen), y = integers<T>(-4, 4, n, gen);
        const T s = T(sum_ref(x).value), d = T(sum_ref(x, &y).value);
        for_each_arch([&](hyda::Arch) {
            CHECK(hyda::sum(n, x.data()) == s);
            CHECK(hyda::dot(n, x.data(), y.data()) == d);
        });
    }
}

TEMPLATE_TEST_CASE("max finds the largest element wherever it is", "[elementwise]", float, double) {
    using T = TestType;
    std::mt19937 gen(5);
    for_each_arch([&](hyda::Arch) {
        CHECK(hyda::max<T>(0, nullptr) == -kInf<T>);
        const std::vector<T> all_minus_inf(9, -kInf<T>);
        CHECK(hyda::max(9, all_minus_inf.data()) == -kInf<T>);
    });
    for (std::size_t n : kSizes) {
        INFO("n = " << n);
        // All negative, so a zero-padded partial register would show up as a max of 0.
        const std::vector<T> x = uniform<T>(-100, -1, n, gen);
        const T want = n == 0 ? -kInf<T> : *std::max_element(x.begin(), x.end());
        for_each_arch([&](hyda::Arch) { CHECK(hyda::max(n, x.data()) == want); });
    }
    for (std::size_t n = 1; n <= 65; ++n) {  // the maximum at every position
        for (std::size_t at = 0; at < n; ++at) {
            std::vector<T> x = uniform<T>(-100, -1, n, gen);
            x[at] = T(-0.5);
            for_each_arch([&](hyda::Arch) {
                INFO("n = " << n << ", max at " << at);
                CHECK(hyda::max(n, x.data()) == T(-0.5));
            });
        }
    }
}

// ---------------------------------------------------------------------------------------
// Matrix reductions, on rows x cols matrices with a row stride ld >= cols. The padding
// between cols and ld holds NaN, so reading it shows; out has a guard element after it.

struct Shape {
    std::size_t rows, cols, ld;
};
const std::vector<Shape> kShapes = {{0, 0, 0},  {0, 5, 5},   {4, 0, 3},    {1, 1, 1},   {3, 5, 7},
                                    {2, 16, 16}, {7, 17, 20}, {16, 33, 40}, {5, 63, 64}, {9, 65, 67},
                                    {33, 7, 9},  {64, 65, 70}, {100, 1000, 1003}};

template <class T>
std::vector<T> matrix(const Shape& s, std::vector<T> values) {
    std::vector<T> a(s.rows * s.ld, std::numeric_limits<T>::quiet_NaN());
    for (std::size_t r = 0; r < s.rows; ++r)
        std::copy_n(values.begin() + std::ptrdiff_t(r * s.cols), s.cols, a.begin() + std::ptrdiff_t(r * s.ld));
    return a;
}

// Calls f(rows, cols, A, ld, out) on an output of `count` elements plus a guard; checks the
// guard and returns the outputs.
template <class T, class F>
std::vector<T> call_matrix(F f, const Shape& s, const std::vector<T>& a, std::size_t count) {
    constexpr T guard = T(-12345);
    std::vector<T> out(count + 1, T(-777));
    out[count] = guard;
    f(s.rows, s.cols, a.data(), s.ld, out.data());
    CHECK(out[count] == guard);
    out.pop_back();
    return out;
}

TEMPLATE_TEST_CASE("row_sums and col_sums are exact on dyadic data", "[elementwise]", float, double) {
    using T = TestType;
    std::mt19937 gen(8);
    for (const Shape& s : kShapes) {
        INFO("rows = " << s.rows << ", cols = " << s.cols << ", ld = " << s.ld);
        // Multiples of 1/8 in [-4, 4]: every partial sum here is exact in float.
        std::vector<T> values = integers<T>(-32, 32, s.rows * s.cols, gen);
        for (T& v : values) v /= 8;
        const std::vector<T> a = matrix(s, values);
        std::vector<R> rows(s.rows, 0), cols(s.cols, 0);
        for (std::size_t r = 0; r < s.rows; ++r)
            for (std::size_t c = 0; c < s.cols; ++c) {
                rows[r] += values[r * s.cols + c];
                cols[c] += values[r * s.cols + c];
            }
        const auto col_sums = [](std::size_t r, std::size_t c, const T* A, std::size_t ld, T* out) { hyda::col_sums(r, c, A, ld, out); };
        // out = beta * out + column sums, from out[j] = j / 4 (NaN for beta == 0: never read).
        std::vector<R> start(s.cols), expect_half(s.cols), expect_one(s.cols);
        for (std::size_t c = 0; c < s.cols; ++c) {
            start[c] = R(c) / 4;
            expect_half[c] = start[c] / 2 + cols[c];
            expect_one[c] = start[c] + cols[c];
        }
        auto col_sums_from = [&](T first, T beta) {
            std::vector<T> out(s.cols, first);
            if (first == T(0)) std::copy(start.begin(), start.end(), out.begin());
            hyda::col_sums(s.rows, s.cols, a.data(), s.ld, out.data(), beta);
            return out;
        };
        for_each_arch([&](hyda::Arch) {
            CHECK(mismatch(call_matrix(hyda::row_sums<T>, s, a, s.rows), rows, rows, 0) == "");
            CHECK(mismatch(call_matrix(col_sums, s, a, s.cols), cols, cols, 0) == "");
            CHECK(mismatch(col_sums_from(std::numeric_limits<T>::quiet_NaN(), T(0)), cols, cols, 0) == "");
            CHECK(mismatch(col_sums_from(T(0), T(0.5)), expect_half, expect_half, 0) == "");
            CHECK(mismatch(col_sums_from(T(0), T(1)), expect_one, expect_one, 0) == "");
        });
    }
}

// log sum_j exp(a_j) in long double, and the size of its rounding: the max m is exact, the
// rest is log of a sum of exponentials (each a few eps, the sum reduction_tol), so allow
// 4 eps of |m| + |log s| + 1 plus reduction_tol eps.
template <class T>
std::pair<R, R> logsumexp_ref(const T* a, std::size_t n) {
    if (n == 0) return {-kInf<T>, 0};
    const R m = *std::max_element(a, a + n);
    if (std::isinf(m)) return {m, 0};
    R s = 0;
    for (std::size_t j = 0; j < n; ++j) s += std::exp(R(a[j]) - m);
    const R log_s = std::log(s);
    return {m + log_s, std::fabs(m) + log_s + 1 + R(reduction_tol(n)) / 4};
}

TEMPLATE_TEST_CASE("row_logsumexp matches its reference and is stable", "[elementwise]", float, double) {
    using T = TestType;
    constexpr double tol = 4;
    std::mt19937 gen(9);
    auto check = [&](const Shape& s, const std::vector<T>& values) {
        INFO("rows = " << s.rows << ", cols = " << s.cols << ", ld = " << s.ld);
        const std::vector<T> a = matrix(s, values);
        std::vector<R> want(s.rows), scale(s.rows);
        for (std::size_t r = 0; r < s.rows; ++r)
            std::tie(want[r], scale[r]) = logsumexp_ref(values.data() + r * s.cols, s.cols);
        for_each_arch([&](hyda::Arch) {
            CHECK(mismatch(call_matrix(hyda::row_logsumexp<T>, s, a, s.rows), want, scale, tol) == "");
        });
    };
    for (const Shape& s : kShapes) check(s, uniform<T>(-20, 20, s.rows * s.cols, gen));
    for (const Shape& s : kShapes) check(s, uniform<T>(-1e4, 1e4, s.rows * s.cols, gen));

    // Rows that overflow a naive exp-sum, and rows with infinities.
    const T inf = kInf<T>, big = T(1e4);
    const std::vector<std::vector<T>> rows = {
        {big, big}, {-big, -big}, {big, -big}, {-inf, -inf}, {-inf, 0}, {inf, 0}, {T(3)}, {-big},
        std::vector<T>(17, big), std::vector<T>(33, -big)};
    for (const auto& row : rows) {
        for (std::size_t ld : {row.size(), row.size() + 3}) check({1, row.size(), ld}, row);
        check({3, row.size(), row.size() + 1}, cycle(row, 3 * row.size()));
    }
    for_each_arch([&](hyda::Arch) {
        const std::vector<T> a = {big, big};
        T out = 0;
        hyda::row_logsumexp(1, 2, a.data(), 2, &out);
        CHECK(within(out, R(big) + std::log(R(2)), R(big), 1));  // within 1 ulp
    });
}

TEMPLATE_TEST_CASE("matrix reductions reject a row stride shorter than a row", "[elementwise]", float, double) {
    using T = TestType;
    using hyda::test::invalid_argument_message;
    const std::vector<T> a(20, T(1));
    std::vector<T> out(5);
    CHECK(invalid_argument_message([&] { hyda::row_sums(2, 5, a.data(), 4, out.data()); }) == "row_sums: ld = 4 must be >= cols = 5");
    CHECK(invalid_argument_message([&] { hyda::col_sums(2, 5, a.data(), 4, out.data()); }) == "col_sums: ld = 4 must be >= cols = 5");
    CHECK(invalid_argument_message([&] { hyda::row_logsumexp(2, 5, a.data(), 0, out.data()); }) ==
          "row_logsumexp: ld = 0 must be >= cols = 5");
    CHECK_NOTHROW(hyda::row_sums(4, 5, a.data(), 5, out.data()));  // ld == cols is fine
}

TEMPLATE_TEST_CASE("sub_mul: z = x - y * w, fused or not", "[elementwise]", float, double) {
    using T = TestType;
    std::mt19937 gen(37);
    for (std::size_t n : kSizes) {
        INFO("n = " << n);
        const std::vector<T> x = uniform<T>(-10, 10, n, gen), y = uniform<T>(-10, 10, n, gen), w = uniform<T>(-10, 10, n, gen);
        std::vector<R> want(n), scale(n);
        for (std::size_t i = 0; i < n; ++i) {
            want[i] = R(x[i]) - R(y[i]) * R(w[i]);
            scale[i] = std::fabs(R(y[i]) * R(w[i])) + std::fabs(R(x[i]));
        }
        for_each_config(n, [&] {
            std::vector<T> z(n, T(-777));
            hyda::sub_mul(n, x.data(), y.data(), w.data(), z.data());
            CHECK(mismatch(z, want, scale, 1, {&x, &y, &w}) == "");
            std::vector<T> in_place = x;  // z aliasing x
            hyda::sub_mul(n, in_place.data(), y.data(), w.data(), in_place.data());
            CHECK(mismatch(in_place, want, scale, 1, {&x, &y, &w}) == "");
        });
    }
}

// ---------------------------------------------------------------------------------------
// Thread-count independence: every kernel gives the same bits on 1 and 2 threads.

TEMPLATE_TEST_CASE("results are bitwise identical on 1 and 2 threads", "[elementwise][threads]", float, double) {
    using T = TestType;
    constexpr std::size_t n = 300007;
    const Shape s{700, 450, 461};
    std::mt19937 gen(1);
    const std::vector<T> x = uniform<T>(-5, 5, n, gen), y = uniform<T>(-5, 5, n, gen), pos = uniform<T>(0.1, 5, n, gen);
    const std::vector<T> y01 = uniform<T>(0, 1, n, gen), a = matrix(s, uniform<T>(-5, 5, s.rows * s.cols, gen));

    // Every kernel, as a function returning its output.
    using Run = std::function<std::vector<T>()>;
    std::vector<std::pair<std::string, Run>> runs;
    for (const UnaryMap<T>& m : unary_maps<T>()) {
        const T* in = (m.domain.positive ? pos : x).data();
        runs.emplace_back(m.name, [in, k = m.kernel] {
            std::vector<T> out(n);
            k(n, in, out.data());
            return out;
        });
    }
    for (const BinaryMap<T>& m : binary_maps<T>()) {
        runs.emplace_back(m.name, [&, k = m.kernel] {
            std::vector<T> z(n);
            k(n, x.data(), pos.data(), z.data());
            return z;
        });
    }
    for (const BackwardMap<T>& m : backward_maps<T>()) {
        const T* in = (m.domain.positive ? y01 : x).data();
        runs.emplace_back(m.name, [&, in, k = m.kernel] {
            std::vector<T> dx = pos;
            k(n, in, y.data(), dx.data(), T(1));
            return dx;
        });
    }
    runs.emplace_back("axpy", [&] {
        std::vector<T> out = y;
        hyda::axpy(n, kAlpha<T>, x.data(), out.data());
        return out;
    });
    runs.emplace_back("sub_mul", [&] {
        std::vector<T> out(n);
        hyda::sub_mul(n, x.data(), y.data(), pos.data(), out.data());
        return out;
    });
    // The maps above split n into chunks over the threads; the reductions below run on the
    // calling thread (elementwise.hpp), and are compared all the same.
    const std::size_t maps = runs.size();
    runs.emplace_back("sum", [&] { return std::vector<T>{hyda::sum(n, x.data())}; });
    runs.emplace_back("dot", [&] { return std::vector<T>{hyda::dot(n, x.data(), y.data())}; });
    runs.emplace_back("max", [&] { return std::vector<T>{hyda::max(n, x.data())}; });
    auto on_matrix = [&](auto f, std::size_t count) -> Run {
        return [&, f, count] {
            std::vector<T> out(count);
            f(s.rows, s.cols, a.data(), s.ld, out.data());
            return out;
        };
    };
    runs.emplace_back("row_sums", on_matrix(hyda::row_sums<T>, s.rows));
    runs.emplace_back("col_sums", on_matrix([](std::size_t r, std::size_t c, const T* A, std::size_t ld, T* out) { hyda::col_sums(r, c, A, ld, out); }, s.cols));
    runs.emplace_back("row_logsumexp", on_matrix(hyda::row_logsumexp<T>, s.rows));

    for_each_arch([&](hyda::Arch) {
        std::vector<std::vector<T>> one_thread;
        for (const auto& run : runs) one_thread.push_back(run.second());
        hyda::set_num_threads(2);
        REQUIRE(hyda::num_threads() == 2);
        for (std::size_t k = 0; k < runs.size(); ++k) {
            INFO("kernel = " << runs[k].first);
            const std::uint64_t before = hyda::threaded_regions();
            const std::vector<T> two_threads = runs[k].second();
            if (k < maps) CHECK(hyda::threaded_regions() > before);  // the threaded path ran
            CHECK(bitwise_equal(two_threads, one_thread[k]));
        }
        hyda::set_num_threads(1);
    });
}

}  // namespace
