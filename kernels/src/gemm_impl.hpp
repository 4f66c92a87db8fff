#pragma once
// Internal, included only by the per-path translation units: the GEMM of one SIMD path.
//
// BLIS structure: five loops around one register-blocked microkernel.
//   jc over N in steps of NC   B block (KC x NC) packed into NR-wide panels (L3)
//   pc over K in steps of KC
//   ic over M in steps of MC   A block (MC x KC) read in place, or packed into MR-tall
//                              panels where in-place reads would collide in L1
//   jr over NC in steps of NR  B micro-panel (KC x NR), reused by every row tile
//   ir over MC in steps of MR  microkernel: MR x NR tile of C in registers
// Row tails use a microkernel instantiated for fewer rows (the last two tiles of a block
// share their rows evenly); column tails run the full kernel on a scratch tile. Every
// element of C is accumulated over K in the same order whatever the tile, block or
// thread it falls in, so results are thread-count independent.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <span>
#include <utility>

#include "hyda/kernels/gemm.hpp"
#include "elementwise_impl.hpp"
#include "parallel.hpp"
#include "simd.hpp"
#include "workspace.hpp"

namespace hyda::detail {

// Register and cache blocking of one path (see docs/kernels.md for the choice).
template <class T, class Arch>
struct GemmBlocking {
    static constexpr int vector_registers =
        std::is_same_v<Arch, scalar_arch> ? 16 : (Lanes<T, Arch>::width * sizeof(T) == 64 ? 32 : 16);
    static constexpr int NV = std::is_same_v<Arch, scalar_arch> ? 4 : 2;  // vectors per tile row
    static constexpr int NR = NV * Lanes<T, Arch>::width;
    // As many rows as the registers hold (MR * NV accumulators, NV for B, one broadcast),
    // but at most 12: the 2 MR lines of a C tile whose row stride is a multiple of 4 KiB
    // all fall in one L1 set, which has 12 ways.
    static constexpr int MR = std::is_same_v<Arch, scalar_arch> ? 4 : std::min(12, (vector_registers - NV - 1) / NV);
    static constexpr int KC = 1024;
    static constexpr int MC = MR * (sizeof(T) == 4 ? 14 : 7);
    static constexpr int NC = NR * (sizeof(T) == 4 ? 64 : 128);
};

template <class T, class Arch>
struct Gemm {
    using L = Lanes<T, Arch>;
    using V = typename L::V;
    using Blocking = GemmBlocking<T, Arch>;
    static constexpr int W = L::width;
    static constexpr int NV = Blocking::NV;
    static constexpr int NR = Blocking::NR;
    static constexpr int MR = Blocking::MR;
    static constexpr int KC = Blocking::KC;
    static constexpr int MC = Blocking::MC;
    static constexpr int NC = Blocking::NC;

    struct Args {
        Trans ta, tb;
        int M, N, K;
        T alpha;
        const T* A;
        int lda;
        const T* B;
        int ldb;
        T beta;
        T* C;
        int ldc;
        const T* bias;  // N elements added to every row, or nullptr
    };

    // C tile (rows x NR) = alpha * a * b + beta * C (+ bias, NR elements, if not nullptr),
    // a: rows x kc, b: packed kc x NR.
    // With kUnitRowStride, a(i, p) = a[i + p * step] (packed A, or A^T in place),
    // otherwise a(i, p) = a[i * step + p] (A in place).
    template <int rows, bool kUnitRowStride>
    static void microkernel(int kc, const T* a, std::ptrdiff_t step, const T* b, T alpha, T beta,
                            T* c, std::ptrdiff_t ldc, const T* bias) {
        V acc[rows][NV];
#pragma GCC unroll 32
        for (int i = 0; i < rows; ++i)
#pragma GCC unroll 8
            for (int j = 0; j < NV; ++j) acc[i][j] = L::splat(T(0));

        const std::ptrdiff_t a_row = kUnitRowStride ? 1 : step;
        const std::ptrdiff_t a_col = kUnitRowStride ? step : 1;
        for (int p = 0; p < kc; ++p) {
            V bv[NV];
#pragma GCC unroll 8
            for (int j = 0; j < NV; ++j) bv[j] = L::load_aligned(b + j * W);
#pragma GCC unroll 32
            for (int i = 0; i < rows; ++i) {
                const V ai = L::splat(a[i * a_row]);
#pragma GCC unroll 8
                for (int j = 0; j < NV; ++j) acc[i][j] = madd(ai, bv[j], acc[i][j]);
            }
            a += a_col;
            b += NR;
        }

        const V va = L::splat(alpha);
        const V vb = L::splat(beta);
        V add[NV];
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) add[j] = bias == nullptr ? L::splat(T(0)) : L::load(bias + j * W);
#pragma GCC unroll 32
        for (int i = 0; i < rows; ++i) {
#pragma GCC unroll 8
            for (int j = 0; j < NV; ++j) {
                T* cij = c + i * ldc + j * W;
                if (beta == T(0)) {
                    L::store(cij, madd(va, acc[i][j], add[j]));
                } else if (beta == T(1)) {
                    L::store(cij, madd(va, acc[i][j], L::load(cij) + add[j]));
                } else {
                    L::store(cij, madd(va, acc[i][j], madd(vb, L::load(cij), add[j])));
                }
            }
        }
    }

    using Microkernel = void (*)(int, const T*, std::ptrdiff_t, const T*, T, T, T*, std::ptrdiff_t, const T*);

    template <bool kUnitRowStride, std::size_t... rows>
    static constexpr std::array<Microkernel, MR + 1> make_microkernels(std::index_sequence<rows...>) {
        return {nullptr, &microkernel<int(rows) + 1, kUnitRowStride>...};
    }
    static constexpr auto kernels_unit = make_microkernels<true>(std::make_index_sequence<MR>{});
    static constexpr auto kernels_strided = make_microkernels<false>(std::make_index_sequence<MR>{});

    // Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-wide panels, zero-padded on the right.
    static void pack_b(const Args& g, int pc, int kc, int jc, int nc, T* bp) {
        if (g.tb == Trans::N) {
            // Row by row: each source row is read front to back, writing one piece into
            // every panel. Panel by panel would read kc rows ldb apart, and the hardware
            // prefetchers stop at every 4 KiB page such a walk crosses.
            const int full = nc / NR * NR;
            for (int p = 0; p < kc; ++p) {
                const T* src = g.B + std::ptrdiff_t(pc + p) * g.ldb + jc;
                T* dst = bp + std::ptrdiff_t(p) * NR;
                for (int jp = 0; jp < full; jp += NR, dst += std::ptrdiff_t(kc) * NR) {
#pragma GCC unroll 8
                    for (int j = 0; j < NV; ++j) L::store(dst + j * W, L::load(src + jp + j * W));
                }
                if (full < nc) {
                    std::copy(src + full, src + nc, dst);
                    std::fill(dst + (nc - full), dst + NR, T(0));
                }
            }
            return;
        }
        for (int jp = 0; jp < nc; jp += NR) {  // op(B)(k, j) = B[j * ldb + k]: a transpose, written contiguously
            const int nr = std::min(NR, nc - jp);
            T* dst = bp + std::ptrdiff_t(jp) * kc;
            const T* src = g.B + std::ptrdiff_t(jc + jp) * g.ldb + pc;
            for (int p = 0; p < kc; ++p, dst += NR) {
                for (int j = 0; j < nr; ++j) dst[j] = src[std::ptrdiff_t(j) * g.ldb + p];
                for (int j = nr; j < NR; ++j) dst[j] = T(0);
            }
        }
    }

    // Height of the row tile that starts with `left` rows to go. A short last tile would
    // leave too few accumulators to hide the FMA latency, so the last two share the rows.
    static int tile_rows(int left) { return left > MR && left < 2 * MR ? (left + 1) / 2 : std::min(MR, left); }

    // Packs op(A)[ic:ic+mc, pc:pc+kc] into panels of tile_rows() rows: panel[p * mr + i],
    // the panel of the tile at row ip starting at ap + ip * kc.
    static void pack_a(const Args& g, int ic, int mc, int pc, int kc, T* ap) {
        for (int ip = 0, mr; ip < mc; ip += mr) {
            mr = tile_rows(mc - ip);
            T* dst = ap + std::ptrdiff_t(ip) * kc;
            if (g.ta == Trans::N) {  // a transpose: write contiguously, read mr rows in step
                const T* src = g.A + std::ptrdiff_t(ic + ip) * g.lda + pc;
                for (int p = 0; p < kc; ++p, dst += mr)
                    for (int i = 0; i < mr; ++i) dst[i] = src[std::ptrdiff_t(i) * g.lda + p];
            } else {  // op(A)(i, k) = A[k * lda + i]: mr contiguous elements per k
                const T* src = g.A + std::ptrdiff_t(pc) * g.lda + ic + ip;
                const std::ptrdiff_t lda = g.lda;
                if (mr == MR) {  // a fixed-length copy, which the compiler inlines as vector moves
                    for (int p = 0; p < kc; ++p, src += lda, dst += MR) std::memcpy(dst, src, sizeof(T) * MR);
                } else {
                    for (int p = 0; p < kc; ++p, src += lda, dst += mr)
                        for (int i = 0; i < mr; ++i) dst[i] = src[i];
                }
            }
        }
    }

    // Packing A costs a pass over it, more than in-place reads lose on the shapes we
    // measured, except in two cases. Op N: A's rows are a multiple of 4 KiB apart, so the
    // MR rows a microkernel reads all map to one L1 set and evict each other. Op T: the
    // microkernel walks kc stored rows, one or two cache lines each; once they span 1 MiB
    // (our L2) they stop staying in L2 between row tiles, and with at least 16 column
    // panels to share it, the pack pays (TN 512x512x1024: 238 -> 252 GFLOP/s; 128x512x1024,
    // 512 KiB: in place 252 vs packed 240; 512x256x512, 8 panels: 258 vs 241).
    static bool should_pack_a(const Args& g) {
        if (g.ta == Trans::N) return (std::size_t(g.lda) * sizeof(T)) % 4096 == 0;
        return std::size_t(k_block(g)) * std::size_t(g.lda) * sizeof(T) >= (std::size_t(1) << 20) && g.N >= 16 * NR;
    }

    // Runs the tiles of one (ic, pc, jc) block: C[ic:ic+mc, jc:jc+nc] += A-block * B-block,
    // with beta and the bias (or nullptr) applied by the first K block.
    static void macro_kernel(const Args& g, int ic, int mc, int pc, int kc, int jc, int nc,
                             const T* ap, const T* bp, T beta, const T* bias) {
        alignas(64) T scratch[MR * NR];
        alignas(64) T bias_tail[NR];
        for (int jr = 0; jr < nc; jr += NR) {
            const int nr = std::min(NR, nc - jr);
            const T* bias_r = bias == nullptr ? nullptr : bias + jc + jr;
            if (bias_r != nullptr && nr < NR) {  // the kernel reads NR elements
                std::copy(bias_r, bias_r + nr, bias_tail);
                std::fill(bias_tail + nr, bias_tail + NR, T(0));
                bias_r = bias_tail;
            }
            const T* b = bp + std::ptrdiff_t(jr) * kc;
            for (int ir = 0, mr; ir < mc; ir += mr) {
                mr = tile_rows(mc - ir);
                const T* a;
                std::ptrdiff_t step;
                Microkernel kernel;
                if (ap != nullptr) {
                    a = ap + std::ptrdiff_t(ir) * kc, step = mr, kernel = kernels_unit[mr];
                } else if (g.ta == Trans::N) {
                    a = g.A + std::ptrdiff_t(ic + ir) * g.lda + pc, step = g.lda, kernel = kernels_strided[mr];
                } else {
                    a = g.A + std::ptrdiff_t(pc) * g.lda + ic + ir, step = g.lda, kernel = kernels_unit[mr];
                }
                T* c = g.C + std::ptrdiff_t(ic + ir) * g.ldc + jc + jr;
                if (nr == NR) {
                    kernel(kc, a, step, b, g.alpha, beta, c, g.ldc, bias_r);
                } else {
                    for (int i = 0; i < mr; ++i) {
                        if (beta != T(0)) std::copy(c + std::ptrdiff_t(i) * g.ldc, c + std::ptrdiff_t(i) * g.ldc + nr, scratch + i * NR);
                    }
                    kernel(kc, a, step, b, g.alpha, beta, scratch, NR, bias_r);
                    for (int i = 0; i < mr; ++i) std::copy(scratch + i * NR, scratch + i * NR + nr, c + std::ptrdiff_t(i) * g.ldc);
                }
            }
        }
    }

    // K is cut into equal blocks of at most KC: a short last block would add a pass over C
    // for little work. The cut depends on K only, never on the thread count.
    static int k_block(const Args& g) {
        const int k_blocks = (g.K + KC - 1) / KC;
        return (g.K + k_blocks - 1) / k_blocks;
    }

    // The single-threaded algorithm on C[m0:m1, n0:n1], packing into ws.
    static void run_block(const Args& g, int m0, int m1, int n0, int n1, const GemmWorkspace& ws) {
        const bool pack_a_block = should_pack_a(g);
        const int kc_max = k_block(g);
        T* ap = static_cast<T*>(ws.a);
        T* bp = static_cast<T*>(ws.b);
        for (int jc = n0; jc < n1; jc += NC) {
            const int nc = std::min(NC, n1 - jc);
            for (int pc = 0; pc < g.K; pc += kc_max) {
                const int kc = std::min(kc_max, g.K - pc);
                pack_b(g, pc, kc, jc, nc, bp);
                const T beta = pc == 0 ? g.beta : T(1);
                const T* bias = pc == 0 ? g.bias : nullptr;
                for (int ic = m0; ic < m1; ic += MC) {
                    const int mc = std::min(MC, m1 - ic);
                    if (pack_a_block) pack_a(g, ic, mc, pc, kc, ap);
                    macro_kernel(g, ic, mc, pc, kc, jc, nc, pack_a_block ? ap : nullptr, bp, beta, bias);
                }
            }
        }
    }

    // C = beta * C + bias, for alpha == 0 or K == 0 (beta == 0 ignores NaN in C).
    static void scale_c(const Args& g) {
        for (int i = 0; i < g.M; ++i) {
            T* c = g.C + std::ptrdiff_t(i) * g.ldc;
            for (int j = 0; j < g.N; ++j) c[j] = (g.beta == T(0) ? T(0) : g.beta * c[j]) + (g.bias ? g.bias[j] : T(0));
        }
    }

    // A single inner column (K == 1) is a rank-1 update, C = alpha a b^T + beta C: one
    // scaled row of op(B) per row of C, without padding or packing. Covers a contiguous
    // row of op(B) (op N, or op T with ldb 1); returns false otherwise.
    static bool outer_product(const Args& g) {
        using E = Elementwise<T, Arch>;
        if (g.tb == Trans::T && g.ldb != 1) return false;
        const std::ptrdiff_t a_step = g.ta == Trans::N ? g.lda : 1;  // op(A)(i, 0) = A[i * a_step]
        const V vbeta = L::splat(g.beta);
        auto rows = [&](int lo, int hi) {
            for (int i = lo; i < hi; ++i) {
                T* c = g.C + std::ptrdiff_t(i) * g.ldc;
                const V s = L::splat(g.alpha * g.A[i * a_step]);
                if (g.beta == T(0)) {
                    E::map_range(0, std::size_t(g.N), [&](V b) { return s * b; }, c, g.B);
                } else if (g.beta == T(1)) {
                    E::map_range(0, std::size_t(g.N), [&](V b, V cv) { return madd(s, b, cv); }, c, g.B, c);
                } else {
                    E::map_range(0, std::size_t(g.N), [&](V b, V cv) { return madd(s, b, vbeta * cv); }, c, g.B, c);
                }
            }
        };
        // Each row is computed alone, so splitting the rows keeps results thread-independent.
        const int threads = std::min({num_threads(), g.M, std::max(1, int(double(g.M) * g.N / 65536))});
        if (threads == 1) {
            rows(0, g.M);
        } else {
            auto task = [&](int t) { rows(g.M * t / threads, g.M * (t + 1) / threads); };
            parallel_for(threads, task);
        }
        return true;
    }

    // A single output column is a matrix-vector product: the blocked path would fill
    // NR - 1 columns of each tile with padding. Rows of A in place: one dot product per
    // element; A transposed with a contiguous C: one axpy per row of the stored A.
    // Returns false for the layouts it does not cover. Neither this nor outer_product
    // adds the bias: add_bias does, after them.
    static bool matrix_vector(const Args& g) {
        using E = Elementwise<T, Arch>;
        const std::ptrdiff_t b_step = g.tb == Trans::N ? g.ldb : 1;  // op(B)(k, 0) = B[k * b_step]
        if (g.ta == Trans::N && b_step == 1) {
            for (int i = 0; i < g.M; ++i) {
                T& c = g.C[std::ptrdiff_t(i) * g.ldc];
                const T ab = g.alpha * E::dot(std::size_t(g.K), g.A + std::ptrdiff_t(i) * g.lda, g.B);
                c = g.beta == T(0) ? ab : ab + g.beta * c;
            }
            return true;
        }
        if (g.ta == Trans::T && g.ldc == 1) {
            if (g.beta == T(0)) {
                std::fill(g.C, g.C + g.M, T(0));
            } else if (g.beta != T(1)) {
                E::scale(std::size_t(g.M), g.beta, g.C, g.C);
            }
            for (int k = 0; k < g.K; ++k)
                E::axpy(std::size_t(g.M), g.alpha * g.B[k * b_step], g.A + std::ptrdiff_t(k) * g.lda, g.C);
            return true;
        }
        return false;
    }

    static void add_bias(const Args& g) {
        if (g.bias == nullptr) return;
        for (int i = 0; i < g.M; ++i) {
            T* c = g.C + std::ptrdiff_t(i) * g.ldc;
            for (int j = 0; j < g.N; ++j) c[j] += g.bias[j];  // N is often 1 here: a plain loop
        }
    }

    static void gemm(Trans ta, Trans tb, int M, int N, int K, T alpha, const T* A, int lda,
                     const T* B, int ldb, T beta, T* C, int ldc, const T* bias) {
        const Args g{ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias};
        if (M <= 0 || N <= 0) return;
        if (K <= 0 || alpha == T(0)) return scale_c(g);
        if ((N == 1 && matrix_vector(g)) || (K == 1 && outer_product(g))) return add_bias(g);

        // Below ~2 MFLOP a second thread costs more than it saves.
        const double flops = 2.0 * M * N * K;
        const int tiles_m = (M + MR - 1) / MR, tiles_n = (N + NR - 1) / NR;
        // Each thread packs what it reads, so split the dimension whose packing is cheap to
        // repeat: M when A is packed (B's packing is a plain copy), else the longer one.
        const bool split_n = should_pack_a(g) ? tiles_m < 2 : tiles_n >= tiles_m;
        const int tiles = split_n ? tiles_n : tiles_m;
        const int threads = std::min({num_threads(), tiles, std::max(1, int(flops / 2e6))});
        // One set of packing buffers per task, sized here by the calling thread for the
        // whole product: tasks are claimed by whichever thread is free, so buffers owned by
        // pool threads could still have to grow long after warm-up.
        const std::size_t kc = std::size_t(k_block(g)), nc = std::size_t(std::min(NC, (N + NR - 1) / NR * NR));
        const std::span<const GemmWorkspace> ws = gemm_workspaces(threads, should_pack_a(g) ? sizeof(T) * MC * kc : 0, sizeof(T) * nc * kc);
        if (threads == 1) return run_block(g, 0, M, 0, N, ws[0]);

        // Static split into `threads` contiguous runs of whole tiles.
        auto task = [&](int t) {
            const int lo = tiles * t / threads, hi = tiles * (t + 1) / threads;
            if (split_n) {
                run_block(g, 0, M, lo * NR, std::min(N, hi * NR), ws[std::size_t(t)]);
            } else {
                run_block(g, lo * MR, std::min(M, hi * MR), 0, N, ws[std::size_t(t)]);
            }
        };
        parallel_for(threads, task);
    }
};

}  // namespace hyda::detail
