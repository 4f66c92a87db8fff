#!/usr/bin/env bash
# A shared build exports the public API and nothing internal (cmake/package.cmake): no
# detail or anonymous namespace, no per-SIMD-path kernel table, nothing of xsimd; and the
# public functions are there, function templates and exception typeinfo included.
# Usage: check_exports.sh LIBRARY.so...
set -euo pipefail
exports=$(nm -D --defined-only -C "$@")
status=0

internal=$(grep -E 'hyda::([A-Za-z_]+::)*detail::|\(anonymous namespace\)|xsimd::|(scalar|sse|avx2|avx512)_kernels\(' <<<"$exports" || true)
if [ -n "$internal" ]; then
    echo "internal symbols exported:"
    echo "$internal" | head -20
    status=1
fi

for public in 'hyda::set_num_threads(int)' 'hyda::gemm(' 'hyda::ad::Var<float> hyda::ad::relu<float>(' \
              'hyda::mtl::make_strategy(' 'typeinfo for hyda::mtl::DataError'; do
    if ! grep -qF "$public" <<<"$exports"; then
        echo "public symbol not exported: $public"
        status=1
    fi
done
exit $status
