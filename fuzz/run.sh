#!/usr/bin/env bash
# Fuzzes Portico's parsers with libFuzzer through SharpFuzz (see fuzz/README.md).
#   fuzz/run.sh [--time SECONDS] [--jobs N] [HARNESS...]
# Each harness runs for --time seconds (default $FUZZ_SECONDS or 60), --jobs at a time (default 2), starting from
# its committed seeds in fuzz/corpus/HARNESS. Exits non-zero when any harness found a crash, naming its input file.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_HARNESSES=(config xml2json json2xml json2proto path rewrite)
seconds="${FUZZ_SECONDS:-60}"
jobs=2
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -eq 0 ] && harnesses=("${ALL_HARNESSES[@]}")
case "$seconds" in ''|*[!0-9]*) echo "fuzz: --time takes whole seconds, not '$seconds'" >&2; exit 2 ;; esac

out="$PWD/artifacts/fuzz"
mkdir -p "$out"

# The driver: libFuzzer's main and mutator, relaying each input to the .NET harness.
cc="$(command -v clang-14 || command -v clang || true)"
if [ -z "$cc" ]; then echo "fuzz: clang is required (Debian: clang-14 libclang-rt-14-dev)" >&2; exit 1; fi
"$cc" -O2 -g -Wall -Werror -fsanitize=fuzzer -o "$out/portico-libfuzzer" fuzz/driver/portico-libfuzzer.c

# The harness, built normally, then copied so that only the copy of Portico.dll is instrumented.
dotnet build fuzz/Portico.Fuzz -c Release --nologo -v quiet
rm -rf "$out/bin"
cp -r fuzz/Portico.Fuzz/bin/Release/net10.0 "$out/bin"
dotnet tool restore >/dev/null
dotnet sharpfuzz "$out/bin/Portico.dll"

run_one() {
  local name="$1" work="$out/corpus/$1" crashes="$out/crashes/$1"
  mkdir -p "$work" "$crashes"
  # New inputs go to the working corpus (first directory); the committed seeds are only read.
  # -timeout: one input taking longer is a hang worth a report; the .NET runtime adds GC pauses, hence the margin.
  (cd "$out/bin" && "$out/portico-libfuzzer" -max_total_time="$seconds" -timeout=20 -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="$crashes/" "$work" "$OLDPWD/fuzz/corpus/$name" -- ./Portico.Fuzz "$name") >"$out/$name.log" 2>&1
  local rc=$?
  local stats
  stats="$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added):' "$out/$name.log" | sed 's/^stat:://' | tr '\n' ' ')"
  if [ $rc -eq 0 ]; then
    echo "fuzz: $name ok: $stats"
  else
    echo "fuzz: $name FAILED (exit $rc): $stats"
    grep -E 'Test unit written to|harness (threw|died)|Exception' "$out/$name.log" | head -5 | sed "s/^/fuzz:   $name: /"
    echo "fuzz:   $name: full log $out/$name.log; replay: artifacts/fuzz/bin/Portico.Fuzz $name <crash file>"
  fi
  return $rc
}
export -f run_one
export out seconds

echo "fuzz: ${harnesses[*]} for ${seconds}s each, $jobs at a time (logs in artifacts/fuzz/)"
if printf '%s\n' "${harnesses[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}; then
  echo "fuzz: no crash found"
else
  echo "fuzz: crash found (inputs under artifacts/fuzz/crashes/)" >&2
  exit 1
fi
