#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, with clang) and runs each for SECONDS (default 60)
# on a copy of its seed corpus and regression inputs. Fails if libFuzzer finds a crash, a
# leak, a timeout (an input slower than 10 s) or an input taking more than 2 GiB; the
# input is then in BUILD/findings/NAME/ (fix it, then keep it in fuzz/regressions/NAME/).
# SEED fixes libFuzzer's random choices (CI gives one, so that its result does not vary
# from run to run); 0, the default, draws a new seed each run.
# Usage: scripts/fuzz.sh [SECONDS [SEED]]   (BUILD: $HYDA_FUZZ_BUILD, default build-fuzz)
set -euo pipefail
seconds=${1:-60}
seed=${2:-0}
cd "$(dirname "$0")/.."
build=${HYDA_FUZZ_BUILD:-build-fuzz}

mkdir -p "$build"
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHYDA_FUZZ=ON \
    -DHYDA_BUILD_TESTS=OFF -DHYDA_BUILD_BENCH=OFF -DHYDA_BUILD_EXAMPLES=OFF -DHYDA_BUILD_EXPERIMENTS=OFF \
    -DHYDA_BUILD_CLI=OFF > "$build/configure.log" || { cat "$build/configure.log"; exit 1; }
targets=()
for source in fuzz/*_fuzz.cpp; do
    name=$(basename "$source" _fuzz.cpp)
    targets+=("$name")
done
cmake --build "$build" --target "${targets[@]/#/fuzz_}"

for name in "${targets[@]}"; do
    corpus="$build/corpus/$name" findings="$build/findings/$name"
    rm -rf "$corpus" "$findings"
    mkdir -p "$corpus" "$findings"
    cp -r fuzz/corpus/"$name"/. "$corpus"/
    if [ -d fuzz/regressions/"$name" ]; then cp -r fuzz/regressions/"$name"/. "$corpus"/; fi
    dict=()
    if [ -f fuzz/"$name".dict ]; then dict=(-dict=fuzz/"$name".dict); fi
    echo "fuzz_$name: ${seconds} s"
    "$build/fuzz/fuzz_$name" "$corpus" "${dict[@]}" -max_total_time="$seconds" -seed="$seed" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$findings/" -print_final_stats=1 2> "$build/fuzz_$name.log" || {
        tail -n 60 "$build/fuzz_$name.log"
        echo "fuzz_$name: a finding, in $findings/:" && ls "$findings"
        exit 1
    }
    grep -E "^stat::number_of_executed_units|^Done" "$build/fuzz_$name.log" || true
done
