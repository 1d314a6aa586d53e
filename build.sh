#!/usr/bin/env bash
# Portico build entry point.
#   ./build.sh test    restore, build (warnings are errors), check formatting, run every test, smoke-run the benchmark
#   ./build.sh build   restore and build only
#   ./build.sh format  apply dotnet format
# Installs on a fresh Debian machine whatever the tests need (Debian packages listed in APT_PACKAGES).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the test suite needs; servers are started by the tests themselves on free loopback ports.
APT_PACKAGES=(curl redis-server rabbitmq-server)

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
    # The benchmark in smoke mode: proves it still builds, starts every target and writes a report (no timing).
    bench/run.sh --smoke
    ;;
  format)
    ensure_dotnet
    dotnet format Portico.sln
    ;;
  *)
    echo "usage: ./build.sh [test|build|format]" >&2
    exit 2
    ;;
esac
