#!/usr/bin/env bash
# Installs hyda into a temporary prefix and uses it the way a user's project does: builds
# examples/consumer/cpp with CMake (find_package(hyda)) and with pkg-config (a plain g++
# command), runs both and checks what they print, and runs the installed hyda command.
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
        -DHYDA_BUILD_TESTS=OFF -DHYDA_BUILD_BENCH=OFF -DHYDA_BUILD_EXAMPLES=OFF -DHYDA_BUILD_EXPERIMENTS=OFF
    cmake --build "$build"
fi

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
if grep -rl xsimd "$prefix/include" >/dev/null; then fail "an installed header includes xsimd"; fi
libdir=$(dirname "$(find "$prefix" -name 'libhyda_mtl.*' -print -quit)")
if [ $kind = shared ]; then
    ls "$libdir"/libhyda_{kernels,autodiff,mtl}.so >/dev/null || fail "no shared libraries installed from $build"
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

# Place for the C consumer (examples/consumer/c against hyda.h and hyda::c, with CMake and
# pkg-config), to come with the C API.
echo "check-install ($kind): OK"
