#!/usr/bin/env bash
# TAP vs veth frames-per-second benchmark. Needs root; creates and deletes its own network namespace
# (chy-bench-PID) and never configures the root namespace. Usage: bench/run-tap.sh [seconds-per-case]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
if [ "$(id -u)" != 0 ]; then
  echo "run-tap.sh: needs root (CAP_NET_ADMIN) to create namespaces and TAP devices" >&2
  exit 1
fi
if [ ! -f bench/target/benchmarks.jar ] || [ -n "${REBUILD:-}" ]; then
  mvn -B -q -ntp -pl bench -am package -DskipTests
fi
exec java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.chimney.bench.TapVsVethBench "$@"
