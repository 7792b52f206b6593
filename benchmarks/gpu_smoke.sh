#!/usr/bin/env bash
# GPU smoke test: every experiment's `paper` preset on --device cuda, with step counts
# cut so that the whole script takes a few minutes on one H100/H200 (budget: 8 minutes).
# Prints each experiment's time and the projected time of the full paper preset
# (measured training time x the cut factor x the paper's seed count, plus the rest),
# and exits non-zero if anything fails.
#
#   benchmarks/gpu_smoke.sh                    # on a GPU machine
#   DEVICE=cpu TINY=1 benchmarks/gpu_smoke.sh  # the same script on a CPU, tiny steps
#
# Environment: DEVICE (cuda), TINY (0; 1 cuts every run to a few steps and images),
# OUT (a fresh temporary folder), PER_RUN_TIMEOUT (seconds per experiment, 300),
# PYTHON (python3).
set -u
DEVICE=${DEVICE:-cuda}
TINY=${TINY:-0}
PYTHON=${PYTHON:-python3}
PER_RUN_TIMEOUT=${PER_RUN_TIMEOUT:-300}
OUT=${OUT:-$(mktemp -d -t gstheory-gpu-smoke.XXXXXX)}
cd "$(dirname "$0")/.."

if [ "$DEVICE" = "cuda" ]; then
  if ! "$PYTHON" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)"; then
    echo "gpu_smoke: error: no CUDA device is available (torch.cuda.is_available() is False);" \
         "run on a GPU machine, or check the script on a CPU with DEVICE=cpu TINY=1" >&2
    exit 2
  fi
fi

# experiment | cut factor (full steps / run steps) | overrides of the GPU run | TINY overrides
RUNS=(
"two-moons|20|steps=500 reference_steps=500 longer_steps=5000|steps=20 reference_steps=20 longer_steps=40 width=32 deep_width=32 n=60 grid=30"
"feature-dynamics|20|steps=500|steps=20 n=100"
"toy-dual|1||steps=200"
"colored-mnist|10|erm_steps=100 sd_steps=200 sd_anneal=45 plain_sd_steps=200 irm_steps=50 irm_anneal=19|erm_steps=10 sd_steps=20 sd_anneal=5 plain_sd_steps=10 irm_steps=10 irm_anneal=5 n_train=400 n_test=200 hidden=16 irm_hidden=16"
"minority-groups|20|epochs=1|epochs=1 n_train=400 n_val=100 n_test=200 hidden=16"
"margin|40|epochs=1 mc_epochs=1|epochs=1 mc_epochs=1 n_train=64 mc_n_train=64 n_attack=16 mc_n_attack=16 pgd_steps=5 bisections=2 batch=16"
)

status=0
total_start=$(date +%s%N)
printf '%-18s %8s %10s %14s  %s\n' experiment status seconds projected_h "device"
for row in "${RUNS[@]}"; do
  IFS='|' read -r name factor gpu_over tiny_over <<<"$row"
  over=$gpu_over
  [ "$TINY" = "1" ] && over=$tiny_over
  sets=()
  for kv in $over; do sets+=(--set "$kv"); done
  dev=$DEVICE
  # toy-dual runs in numpy on the CPU whatever the device
  [ "$name" = "toy-dual" ] && dev=cpu
  start=$(date +%s%N)
  log="$OUT/$name.log"
  if timeout "$PER_RUN_TIMEOUT" "$PYTHON" -m gstheory run "$name" --preset paper --seeds 1 \
      --device "$dev" --out "$OUT/results" --no-figures --fresh --no-progress \
      "${sets[@]}" >"$log" 2>&1; then
    st=ok
  else
    st=FAILED
    status=1
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  proj=$("$PYTHON" - "$OUT/results/$name/paper/result.json" "$factor" "$name" <<'PY'
import json, sys
from gstheory.empirical import harness
path, factor, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]
try:
    t = json.load(open(path))["timings"]
except (OSError, ValueError, KeyError):
    print("-")
    sys.exit(0)
seeds = harness.get(name).presets["paper"].seeds
rest = t["total_s"] - t["train_s"]
print(f"{(t['train_s'] * factor * seeds + rest) / 3600:.2f}")
PY
)
  printf '%-18s %8s %6d.%03d %14s  %s\n' "$name" "$st" $((ms / 1000)) $((ms % 1000)) "$proj" "$dev"
  if [ "$st" != ok ]; then
    tail -n 3 "$log" | sed 's/^/    /'
  fi
done
ms=$(( ($(date +%s%N) - total_start) / 1000000 ))
printf 'total %d.%03d s; logs and results in %s\n' $((ms / 1000)) $((ms % 1000)) "$OUT"
exit $status
