#!/usr/bin/env bash
# Every weighting strategy end to end: hyda compare with all of them (each with its
# defaults) on both shipped data sets and every synthetic setting, 20 paired seeds, the
# protocol of docs/results.md; then the gated architectures (MMoE, PLE) with a few methods.
# Tables (results.md, results.csv) and plots go to OUT_DIR/<data set>/; docs/results.md
# summarises them.
#
# Usage: experiments/issue10_methods.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, docs/results/methods)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/results/methods}
hyda="$build/cli/hyda"
[ -x "$hyda" ] || { echo "no $hyda: build the project first" >&2; exit 1; }
seeds=20
# Every strategy but static (its weights are the user's) under its registry name, with
# stl and ew first.
methods=stl,ew,hydalearn,uncertainty,dwa,gradnorm,gcossim,olaux,pcgrad,mgda,cagrad,slgrad,rlw,gls,dbmtl,stch,famo,metabalance,gradvac,moco,imtl,nashmtl,fairgrad,alignedmtl,upgrad,dualproj

run() {
    local name=$1
    shift
    "$hyda" compare "$@" --methods "$methods" --seeds "$seeds" --jobs 2 --quiet --out "$out/$name"
}

lending_club=(--data examples/data/lending_club.csv --main Class=bad --aux int_rate:regression --aux sub_grade:multiclass)
rotterdam=(--data examples/data/rotterdam.csv --main death=1 --aux recur --aux rtime:logregression --drop pid,dtime)
run lending_club "${lending_club[@]}"
run rotterdam "${rotterdam[@]}"

mkdir -p "$out/synthetic"
for setting in related noise harmful drift drift_late subgroup; do
    data="$out/synthetic/$setting.csv"
    "$hyda" synth --setting "$setting" --rows 2000 --seed 1 --out "$data" 2>/dev/null
    batching=()
    case $setting in
        drift|drift_late) batching=(--order-by phase) ;;
        subgroup) batching=(--batch-groups group) ;;
    esac
    run "$setting" --data "$data" --main main=1 --aux aux=1 --aux noise=1 \
        --drop phase,relatedness_aux,relatedness_noise "${batching[@]}"
done

# The gated architectures on Lending Club (4 experts of the default trunk's shape).
methods=stl,ew,hydalearn,pcgrad,upgrad,famo
for arch in mmoe ple; do
    run "lending_club_$arch" "${lending_club[@]}" --arch "$arch" --experts 4
done
