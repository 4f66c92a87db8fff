#!/usr/bin/env bash
# Makes the tables and plots of docs/results.md's sections "HydaLearn's claims" and
# "HydaLearn variants": hyda compare on the synthetic settings with small training sets
# (200 and 600 rows) and a 10,000-row test set, and on both shipped data sets, every method
# paired over the seeds (same split, initial weights and batch order per seed).
#
# Usage: experiments/issue11_claims.sh [BUILD_DIR] [OUT_DIR] [FIRST_SEED] [SEEDS] [METHODS]
#   defaults: build docs/results/claims 1 20 and the methods below.
# The variant selection (experiments/issue11_selection.sh: FIRST_SEED 101, SEEDS 10, OUT_DIR
# docs/results/claims-selection) ran on other seeds than the final tables, so that the
# best variant is not chosen on the seeds it is judged on.
# Each data set's folder gets results.csv, results.md and the SVG plots; OUT_DIR/tables.md
# gets the tables of experiments/claims_tables.py. The synthetic CSV files go to
# OUT_DIR/synthetic/ (not committed: the same seed writes the same bytes).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/results/claims}
first_seed=${3:-1}
seeds=${4:-20}
baselines=stl,ew,hydalearn,hydalearn:gain=exact,hydalearn:batch=held_out,gcossim,olaux,slgrad,pcgrad,cagrad
# The variants of docs/hydalearn.md: each option alone, the held-out combinations, and the
# preset the selection run picked (VARIANTS overrides the list, e.g. for the selection run).
variants=${VARIANTS-hydalearn:normalize=main,hydalearn:measure=cosine,hydalearn:precondition=lr,hydalearn:smooth=0.9,hydalearn:prior=0.5,hydalearn:granularity=layer,hydalearn:gain=sample,hydalearn:self_gain=debiased,hydalearn:self_gain=debiased:prior=0.5,hydalearn:batch=held_out:gain=sample,hydalearn:batch=held_out:normalize=main,hydalearn:batch=held_out:prior=0.5,hydalearn:batch=held_out:normalize=main:prior=0.5,hydalearn:preset=held_out_prior}
methods=${5:-$baselines${variants:+,$variants}}
hyda="$build/cli/hyda"
[ -x "$hyda" ] || { echo "no $hyda: build the project first" >&2; exit 1; }
mkdir -p "$out/synthetic"

run() {  # run NAME ARGS...: one compare into OUT_DIR/NAME
    local name=$1
    shift
    echo "== $name" >&2
    "$hyda" compare "$@" --seed "$first_seed" --seeds "$seeds" --quiet --out "$out/$name" > /dev/null
}

# Synthetic: train rows n, validation n/2 (early stopping), test the remaining 10,000.
synthetic=()
for n in 200 600; do
    for setting in related noise drift drift_late subgroup subgroup_pure; do
        preset=${setting%_pure}
        data="$out/synthetic/${preset}_$n.csv"
        [ -f "$data" ] || "$hyda" synth --setting "$preset" --rows $((n + n / 2 + 10000)) --seed 1 --out "$data" 2>/dev/null
        case $setting in
            drift|drift_late) batching=(--order-by phase) ;;
            subgroup) batching=(--batch-mix group) ;;    # share of group 1 per batch ~ Beta(0.3, 0.3)
            subgroup_pure) batching=(--batch-groups group) ;;  # every batch from one group
            *) batching=() ;;
        esac
        run "${setting}_$n" --data "$data" --main main=1 --aux aux=1 --aux noise=1 \
            --drop phase --relatedness aux=relatedness_aux --relatedness noise=relatedness_noise \
            --split-rows "$n,$((n / 2))" --batch 32 --epochs 100 --patience 10 \
            --methods "$methods,oracle" "${batching[@]}"
        synthetic+=("${setting}_$n")
    done
done

# The shipped data sets, with the protocol of docs/results.md (issue9_results.sh).
run lending_club --data examples/data/lending_club.csv --main Class=bad \
    --aux int_rate:regression --aux sub_grade:multiclass --methods "$methods"
run rotterdam --data examples/data/rotterdam.csv --main death=1 \
    --aux recur --aux rtime:logregression --drop pid,dtime --methods "$methods"

all=$(IFS=,; echo "${synthetic[*]}"),lending_club,rotterdam
tables() { /usr/bin/python3 experiments/claims_tables.py "$out" "$all" "$@"; }
{
    echo "# Tables of the HydaLearn claims study (experiments/issue11_claims.sh; seeds $first_seed..$((first_seed + seeds - 1)))"
    tables --no-methods --versus hydalearn --versus hydalearn:gain=exact --versus hydalearn:batch=held_out
    tables --no-methods --grid --grid-methods "$baselines,oracle"
    tables --no-methods --grid --grid-methods "stl,ew,hydalearn,$variants,oracle"
    tables --no-methods --goal hydalearn --goal hydalearn:preset=held_out_prior --versus hydalearn:preset=held_out_prior
    echo
    echo "## Every data set"
    tables
} > "$out/tables.md"
echo "tables: $out/tables.md" >&2
