#!/usr/bin/env bash
# Checks that the GEMM microkernels of the AVX-512 and AVX2 paths issue fused
# multiply-adds (xsimd 8.1 lowers avx512f fma to a multiply and an add unless we take
# care: see kernels/src/simd.hpp). Arguments: the object files of hyda::kernels.
set -euo pipefail
status=0
check() {  # object file, register prefix, label
    local obj=$1 reg=$2 label=$3
    for type in float double; do
        local n
        n=$(objdump -d --no-show-raw-insn -C "$obj" |
            awk -v t="Gemm<$type" '/^[0-9a-f]+ <.*>:$/ {inside = index($0, t) && index($0, "microkernel<")} inside' |
            grep -c "vfmadd[0-9]*p[sd] .*%${reg}mm" || true)
        echo "$label $type microkernels: $n fused multiply-adds on ${reg}mm registers"
        [ "$n" -gt 0 ] || status=1
    done
}
for obj in "$@"; do
    case "$obj" in
        *path_avx512.cpp.o) check "$obj" z avx512 ;;
        *path_avx2.cpp.o) check "$obj" y avx2 ;;
    esac
done
exit $status
