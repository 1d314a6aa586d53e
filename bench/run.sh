#!/usr/bin/env bash
# Portico's benchmark, one command: installs what is missing (Debian: wrk nginx haproxy redis-server; npm: the
# express-http-proxy peer), publishes the backend, bare YARP, Portico and the driver in Release, then runs every
# target and scenario side by side and writes bench/results/<stamp>.md and .tsv.
#
#   bench/run.sh                 full run: 3 rounds x 10 s, 50 connections, then the growth series (~35 min)
#   bench/run.sh --smoke         CI mode: everything once for a second, the soak for a few (results go to a temp folder)
#   bench/run.sh --soak [--duration 30m] [--warmup 2m] [--share 0.8]   soak: Portico's feature mix at a share of the most it sustains
#   bench/run.sh --rounds 5 --duration 15 --no-growth --only portico,yarp
#   bench/run.sh --baseline 502715c --only portico,yarp --no-growth   adds Portico built from that revision (portico-base)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/.out
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

missing=()
for pkg in wrk nginx haproxy redis-server curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The Debian packages start system services; the benchmark runs its own instances on its own ports.
command -v node >/dev/null || { echo "bench: Node.js (20+) is required for the express-http-proxy peer" >&2; exit 1; }
(cd bench/peers/node && npm ci --no-audit --no-fund --silent)

dotnet publish bench/Bench.Backend/Bench.Backend.csproj -c Release -o "$OUT/backend" --nologo -v quiet
dotnet publish bench/Bench.Yarp/Bench.Yarp.csproj -c Release -o "$OUT/yarp" --nologo -v quiet
dotnet publish bench/Portico.Bench/Portico.Bench.csproj -c Release -o "$OUT/driver" --nologo -v quiet
dotnet publish src/Portico.Cli/Portico.Cli.csproj -c Release -o "$OUT/portico" --nologo -v quiet

# --baseline REV: Portico of another revision, published apart, as the extra target portico-base (pure proxy).
args=()
baseline=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--baseline" ]; then baseline="$2"; shift 2; else args+=("$1"); shift; fi
done
if [ -n "$baseline" ]; then
  tree=$(mktemp -d)
  git -C "$ROOT" worktree add -q --detach "$tree" "$baseline"
  dotnet publish "$tree/src/Portico.Cli/Portico.Cli.csproj" -c Release -o "$OUT/portico-base" --nologo -v quiet
  git -C "$ROOT" worktree remove --force "$tree"
  args+=(--baseline-out "$OUT/portico-base" --baseline-revision "$(git -C "$ROOT" rev-parse --short "$baseline")")
fi

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [[ " ${args[*]} " == *" --smoke "* ]]; then
  args+=(--results "$(mktemp -d)")
fi
exec dotnet "$OUT/driver/Portico.Bench.dll" --root "$ROOT" --out "$OUT" "${args[@]}"
