#!/usr/bin/env bash
# Installs what hyda needs to build, test and benchmark on Debian 12 (all from Debian).
set -euo pipefail
packages=(
    cmake ninja-build g++ binutils python3
    libxsimd-dev      # SIMD kernels
    catch2            # tests (Catch2 v2)
    nlohmann-json3-dev  # the hyda command's model files and reports; tests read the trainer's JSON
    libcli11-dev      # the hyda command's option parsing
    pkgconf           # scripts/check-install.sh builds a consumer with pkg-config
    gnuplot-nox       # the plots of hyda compare
    libbenchmark-dev  # benchmarks
    libopenblas-dev   # the GEMM benchmark's reference (linked into bench/ only)
    # The Python module (python/) and its tests. PyTorch (python3-torch), against which the
    # tests also check the module's gradients where it is installed, is left out: large.
    pybind11-dev python3-dev python3-numpy
    # The fuzz targets (scripts/fuzz.sh, run by CI): libFuzzer needs clang, and its runtime
    # is only a Recommends of clang's, which --no-install-recommends leaves out.
    clang libclang-rt-14-dev
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
