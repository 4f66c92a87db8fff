#!/usr/bin/env bash
# The variant selection run of docs/results.md ("HydaLearn variants"): every HydaLearn
# variant tried, on seeds 101-110, which the final tables (issue11_claims.sh, seeds 1-20)
# do not use, so that the preset is not chosen on the seeds it is judged on.
# Usage: experiments/issue11_selection.sh [BUILD_DIR] [OUT_DIR]   (defaults: build docs/results/claims-selection)
set -euo pipefail
cd "$(dirname "$0")/.."
h=hydalearn
ho=hydalearn:batch=held_out
VARIANTS=$(IFS=,; echo "$h:normalize=main,$h:measure=cosine,$h:measure=cosine:normalize=main,$h:measure=cosine:normalize=main:smooth=0.9,\
$h:precondition=lr,$h:smooth=0.9,$h:prior=0.5,$h:granularity=layer,$h:gain=sample,$h:gain=sample:normalize=main,\
$h:normalize=main:prior=0.5,$h:measure=cosine:prior=0.5,$h:gain=sample:measure=cosine:normalize=main,\
$ho:normalize=main,$ho:prior=0.5,$ho:prior=0.3,$ho:normalize=main:prior=0.3,$ho:normalize=main:prior=0.5,$ho:normalize=main:prior=0.7,\
$ho:smooth=0.9,$ho:normalize=main:smooth=0.9,$ho:prior=0.5:smooth=0.9,$ho:normalize=main:prior=0.5:smooth=0.9,\
$ho:gain=sample,$ho:gain=sample:prior=0.5,$ho:gain=sample:prior=0.5:smooth=0.9,$ho:gain=sample:measure=cosine:normalize=main,\
$ho:gain=exact,$ho:granularity=layer,$ho:precondition=lr,$ho:granularity=layer:normalize=main:prior=0.5,\
$ho:measure=normalized,$ho:measure=normalized:normalize=main,$ho:measure=normalized:normalize=main:prior=0.5,\
$ho:measure=normalized:precondition=lr:normalize=main,$ho:measure=normalized:normalize=main:smooth=0.5,\
$ho:measure=normalized:granularity=layer:normalize=main,$ho:measure=normalized:granularity=layer:normalize=main:prior=0.5,\
$h:self_gain=debiased,$h:self_gain=debiased:normalize=main,$h:self_gain=debiased:prior=0.5,$h:self_gain=debiased:normalize=main:prior=0.5,\
$h:self_gain=debiased:granularity=layer:normalize=main:prior=0.5,$h:self_gain=debiased:measure=normalized:normalize=main")
export VARIANTS
experiments/issue11_claims.sh "${1:-build}" "${2:-docs/results/claims-selection}" 101 10
