#!/usr/bin/env bash
# Portico build entry point.
#   ./build.sh test    restore, build (warnings are errors), check formatting, run every test, smoke-run the benchmark,
#                      then fuzz each parser for 60 s (FUZZ_SECONDS overrides; 0 skips)
#   ./build.sh build   restore and build only
#   ./build.sh format  apply dotnet format
#   ./build.sh fuzz [--time SECONDS] [--jobs N] [HARNESS...]
#                      fuzz the parsers with libFuzzer (default 60 s each, 2 at a time; see fuzz/README.md)
# Installs on a fresh Debian machine whatever the tests need (Debian packages listed in APT_PACKAGES).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the test suite needs; servers are started by the tests themselves on free loopback ports.
# prometheus scrapes a gateway in the telemetry tests. clang-14 and libclang-rt-14-dev (libclang_rt.fuzzer) build the libFuzzer driver in fuzz/driver.
APT_PACKAGES=(curl unzip redis-server rabbitmq-server prometheus clang-14 libclang-rt-14-dev)

ensure_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "build.sh: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "build.sh: the .NET SDK 10 is required (https://dot.net); 'dotnet' is not on PATH" >&2
    exit 1
  fi
}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

cmd="${1:-test}"
case "$cmd" in
  build)
    ensure_dotnet
    dotnet build Portico.sln -c Release
    ;;
  test)
    ensure_dotnet
    ensure_packages
    dotnet build Portico.sln -c Release
    dotnet format Portico.sln --verify-no-changes --no-restore
    dotnet test --solution Portico.sln -c Release --no-build
    # The library package: its assembly, XML docs and README are in it.
    rm -rf artifacts/pack && dotnet pack src/Portico/Portico.csproj -c Release --no-build -o artifacts/pack --nologo -v quiet
    # The listing is read whole first: grep -q leaving a pipe early would fail it under pipefail.
    listing=$(unzip -l artifacts/pack/Portico.*.nupkg)
    for entry in lib/net10.0/Portico.dll lib/net10.0/Portico.xml README.md; do
      grep -q " $entry\$" <<< "$listing" || { echo "pack: $entry missing from the Portico package" >&2; exit 1; }
    done
    # The benchmark in smoke mode: proves it still builds, starts every target and writes a report (no timing).
    bench/run.sh --smoke
    # Every parser fuzzed briefly from its committed seeds, two at a time on the two cores; a crash fails the build.
    if [ "${FUZZ_SECONDS:-60}" != 0 ]; then fuzz/run.sh --time "${FUZZ_SECONDS:-60}" --jobs 2; fi
    ;;
  fuzz)
    ensure_dotnet
    ensure_packages
    shift
    fuzz/run.sh "$@"
    ;;
  format)
    ensure_dotnet
    dotnet format Portico.sln
    ;;
  *)
    echo "usage: ./build.sh [test|build|format|fuzz]" >&2
    exit 2
    ;;
esac
