#!/usr/bin/env bash
# Installs hyda into a temporary prefix and uses it the way a user's project does: builds
# examples/consumer/cpp with CMake (find_package(hyda)) and with pkg-config (a plain g++
# command), runs both and checks what they print, runs the installed hyda command, and
# builds the C consumer examples/consumer/c (a C-only CMake project, and a plain cc command
# with hyda-c.pc), which must predict the numbers the installed `hyda predict` prints.
#
# Usage: scripts/check-install.sh shared|static [BUILD_DIR]
#   Without BUILD_DIR it configures and builds the libraries and the hyda command alone
#   (BUILD_SHARED_LIBS=ON for shared) in a temporary directory; with BUILD_DIR it installs
#   that build tree, which must be of the same kind. CMAKE_CXX_COMPILER_LAUNCHER (e.g.
#   ccache) in the environment applies to every build here.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-}
case "$kind" in
    shared) shared=ON ;;
    static) shared=OFF ;;
    *) echo "usage: $0 shared|static [BUILD_DIR]" >&2; exit 2 ;;
esac
work=$(mktemp -d "${TMPDIR:-/tmp}/hyda-check-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "check-install ($kind): $*" >&2; exit 1; }

build=${2:-}
if [ -z "$build" ]; then
    build=$work/build
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=$shared \
        -DHYDA_BUILD_TESTS=OFF -DHYDA_BUILD_BENCH=OFF -DHYDA_BUILD_EXAMPLES=OFF -DHYDA_BUILD_EXPERIMENTS=OFF -DHYDA_BUILD_PYTHON=OFF
    cmake --build "$build"
fi

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
if grep -rl xsimd "$prefix/include" >/dev/null; then fail "an installed header includes xsimd"; fi
libdir=$(dirname "$(find "$prefix" -name 'libhyda_mtl.*' -print -quit)")
if [ $kind = shared ]; then
    ls "$libdir"/libhyda_{kernels,autodiff,mtl,c}.so >/dev/null || fail "no shared libraries installed from $build"
elif ls "$libdir"/libhyda_*.so >/dev/null 2>&1; then
    fail "$build is a shared build"
fi

# The same program built by CMake and by pkg-config must print the same line.
consumer=examples/consumer/cpp
cmake -S $consumer -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
# CMake gives its program a RUNPATH to the libraries; the pkg-config one needs LD_LIBRARY_PATH.
from_cmake=$("$work/consumer/hyda_consumer")

export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046  # pkg-config's flags are separate words
g++ -std=c++20 -O2 $consumer/main.cpp $(pkg-config --cflags --libs hyda) -o "$work/consumer-pkgconfig"
from_pkgconfig=$(LD_LIBRARY_PATH=$libdir "$work/consumer-pkgconfig")
linked_shared=no
readelf -d "$work/consumer-pkgconfig" | grep -q 'NEEDED.*libhyda_mtl\.so' && linked_shared=yes
[ $linked_shared = $([ $kind = shared ] && echo yes || echo no) ] || fail "the pkg-config program is not linked $kind"

echo "CMake:      $from_cmake"
echo "pkg-config: $from_pkgconfig"
[ "$from_cmake" = "$from_pkgconfig" ] || fail "the CMake and pkg-config programs printed different lines"
auc=$(sed -n 's/^hyda consumer: main-task test AUC \(0\.[0-9]\{6\}\)$/\1/p' <<<"$from_cmake")
[ -n "$auc" ] || fail "unexpected output: $from_cmake"
awk -v auc="$auc" 'BEGIN { exit !(auc > 0.6) }' || fail "test AUC $auc: the model did not learn"

# The installed command finds its libraries by itself (RUNPATH $ORIGIN/../lib).
"$prefix/bin/hyda" --help | grep -q "Exit codes" || fail "the installed hyda --help"

# The C consumer (examples/consumer/c: examples/c/predict.c against the installed hyda.h
# and hyda::c), built by a C-only CMake project and by a plain cc command with hyda-c.pc,
# must print the numbers the installed command's predict prints for a model it trained.
data=examples/data/lending_club.csv
"$prefix/bin/hyda" train --data $data --main Class=bad --aux int_rate:regression --aux sub_grade:multiclass \
    --epochs 1 --trunk 16 --quiet --out "$work/lending.model" >/dev/null
"$prefix/bin/hyda" predict --model "$work/lending.model" --data $data >"$work/expected.csv"
# Same header, same row count, and every value the same double (the two print them differently).
same_predictions() {
    [ "$(wc -l <"$1")" = "$(wc -l <"$2")" ] && [ "$(head -1 "$1")" = "$(head -1 "$2")" ] &&
        awk -F, 'NR == FNR { line[FNR] = $0; next }
                 FNR > 1 { n = split(line[FNR], x, ","); if (n != NF) exit 1; for (i = 1; i <= NF; i++) if (x[i] + 0 != $i + 0) exit 1 }' "$1" "$2"
}
consumer_c=examples/consumer/c
cmake -S $consumer_c -B "$work/consumer-c" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer-c" >/dev/null
"$work/consumer-c/hyda_c_consumer" "$work/lending.model" $data >"$work/c-cmake.csv"
same_predictions "$work/expected.csv" "$work/c-cmake.csv" || fail "the C consumer built by CMake does not print hyda predict's numbers"
# shellcheck disable=SC2046  # pkg-config's flags are separate words
cc -std=c11 -O2 examples/c/predict.c $(pkg-config --cflags --libs hyda-c) -o "$work/consumer-c-pkgconfig"
LD_LIBRARY_PATH=$libdir "$work/consumer-c-pkgconfig" "$work/lending.model" $data >"$work/c-pkgconfig.csv"
same_predictions "$work/expected.csv" "$work/c-pkgconfig.csv" || fail "the C consumer built with pkg-config does not print hyda predict's numbers"
linked_shared=no
readelf -d "$work/consumer-c-pkgconfig" | grep -q 'NEEDED.*libhyda_c\.so' && linked_shared=yes
[ $linked_shared = $([ $kind = shared ] && echo yes || echo no) ] || fail "the C pkg-config program is not linked $kind"
if [ $kind = shared ]; then
    tests/packaging/check_c_exports.sh c/include/hyda.h "$libdir/libhyda_c.so" >/dev/null ||
        fail "libhyda_c.so does not export exactly the functions of hyda.h"
fi
echo "C consumer: $(($(wc -l <"$work/expected.csv") - 1)) rows of $(head -1 "$work/expected.csv" | tr ',' '\n' | wc -l) columns as hyda predict prints them (CMake, pkg-config)"
echo "check-install ($kind): OK"
