#!/usr/bin/env bash
# Makes the tables and plots of docs/results.md: hyda compare on both shipped data sets and
# on every synthetic setting, 20 paired seeds each, with the protocol of docs/results.md
# (the hyda command's defaults: trunk 64,64 ReLU, one linear head per task, Adam lr 1e-3,
# batch 256, early stopping on the main task's validation ROC AUC, patience 5, best epoch
# restored, at most 40 epochs).
#
# Usage: experiments/issue9_results.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, docs/results)
# Each data set's folder gets results.csv, results.md and the SVG plots; the synthetic
# CSV files are written to OUT_DIR/synthetic/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/results}
hyda="$build/cli/hyda"
[ -x "$hyda" ] || { echo "no $hyda: build the project first" >&2; exit 1; }
seeds=20
methods=stl,ew,hydalearn,hydalearn:gain=exact,gcossim,olaux,pcgrad,cagrad,uncertainty

"$hyda" compare --data examples/data/lending_club.csv --main Class=bad \
    --aux int_rate:regression --aux sub_grade:multiclass \
    --methods "$methods" --seeds "$seeds" --quiet --out "$out/lending_club"

"$hyda" compare --data examples/data/rotterdam.csv --main death=1 \
    --aux recur --aux rtime:logregression --drop pid,dtime \
    --methods "$methods" --seeds "$seeds" --quiet --out "$out/rotterdam"

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
    "$hyda" compare --data "$data" --main main=1 --aux aux=1 --aux noise=1 \
        --drop phase,relatedness_aux,relatedness_noise "${batching[@]}" \
        --methods "$methods" --seeds "$seeds" --quiet --out "$out/$setting"
done
