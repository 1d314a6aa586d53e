#!/usr/bin/env bash
# Side-by-side proxy benchmark: Portico (pure-proxy route, bench/portico.bench.yaml) as the harness's extra
# target, against the same backend behind bare YARP, nginx and direct, in one interleaved run.
#
#   bench/run.sh [duration_s=10] [connections=50]
#
# Environment: TARGETS (harness peers, default "direct yarp nginx"), ROUNDS (3), WARMUP (10), PATHS,
# HARNESS (path of the shared harness, default ../shared/bench beside the repo).
# Results: bench/results/<timestamp>.md and .tsv (the harness's report, Portico as "portico").
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
# Outside the repo: the harness projects must not inherit our Directory.Build/Packages props.
WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/portico-bench}
DUR=${1:-10}
CONNS=${2:-50}
export TARGETS=${TARGETS:-"direct yarp nginx"}
export ROUNDS=${ROUNDS:-3} WARMUP=${WARMUP:-10}

[[ -d $HARNESS ]] || { echo "harness not found at $HARNESS (set HARNESS=...)" >&2; exit 1; }
mkdir -p "$WORK"
if [[ ! -f $WORK/harness/run.sh ]]; then
  rm -rf "$WORK/harness"
  cp -r "$HARNESS" "$WORK/harness"
  chmod -R u+w "$WORK/harness"
fi
(cd "$WORK/harness" && ./setup.sh)

echo "[bench] publishing Portico (Release)"
dotnet publish "$ROOT/src/Portico.Cli/Portico.Cli.csproj" -c Release -o "$WORK/portico" --nologo -v quiet

"$WORK/portico/Portico.Cli" run -c "$ROOT/bench/portico.bench.yaml" --no-watch > "$WORK/portico.log" 2>&1 &
PORTICO_PID=$!
trap 'kill -TERM $PORTICO_PID 2>/dev/null || true; wait $PORTICO_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null http://127.0.0.1:8091/ 2>/dev/null && break
  kill -0 $PORTICO_PID 2>/dev/null || { cat "$WORK/portico.log"; exit 1; }
  sleep 0.1
done

EXTRA_NAME=portico EXTRA_URL=http://127.0.0.1:8091 EXTRA_PID=$PORTICO_PID RESULTS_DIR="${RESULTS_DIR:-$ROOT/bench/results}" \
  "$WORK/harness/run.sh" "$DUR" "$CONNS"
