#!/usr/bin/env bash
# Makes the tables and plots of docs/results.md: hyda compare on both shipped data sets and
# on every synthetic setting, 20 paired seeds each, with the protocol of docs/results.md
# (the hyda command's defaults: trunk 64,64 ReLU, one linear head per task, Adam lr 1e-3,
# batch 256, early stopping on the main task's validation ROC AUC, patience 5, best epoch
# restored, at most 40 epochs).
#
# Usage: experiments/issue9_results.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, docs/results)
# Each data set's folder gets results.csv, results.md and the SVG plots; the synthetic
# CSV files are written to OUT_DIR/synthetic/ (not committed: the same seed writes the same bytes).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/results}
hyda="$build/cli/hyda"
[ -x "$hyda" ] || { echo "no $hyda: build the project first" >&2; exit 1; }
seeds=20
methods=stl,ew,hydalearn,hydalearn:gain=exact,gcossim,olaux,pcgrad,cagrad,uncertainty

# compare NAME ARGS...: every method against equal weights (tables and plots in
# OUT_DIR/NAME), then HydaLearn against single-task learning (OUT_DIR/NAME/vs_stl.txt; the
# same seeds give the same runs, so these are the same models as in the first table).
compare() {
    local name=$1
    shift
    "$hyda" compare "$@" --methods "$methods" --seeds "$seeds" --quiet --out "$out/$name"
    "$hyda" compare "$@" --methods stl,hydalearn,hydalearn:gain=exact --baseline stl \
        --seeds "$seeds" --quiet > "$out/$name/vs_stl.txt"
}

compare lending_club --data examples/data/lending_club.csv --main Class=bad \
    --aux int_rate:regression --aux sub_grade:multiclass

compare rotterdam --data examples/data/rotterdam.csv --main death=1 \
    --aux recur --aux rtime:logregression --drop pid,dtime

# Synthetic settings (docs/synthetic.md): 2,000 rows, so 1,200 for training.
mkdir -p "$out/synthetic"
for setting in related noise harmful drift drift_late subgroup; do
    data="$out/synthetic/$setting.csv"
    "$hyda" synth --setting "$setting" --rows 2000 --seed 1 --out "$data" 2>/dev/null
    batching=()
    case $setting in
        drift|drift_late) batching=(--order-by phase) ;;
        subgroup) batching=(--batch-groups group) ;;
    esac
    compare "$setting" --data "$data" --main main=1 --aux aux=1 --aux noise=1 \
        --drop phase,relatedness_aux,relatedness_noise "${batching[@]}"
done
