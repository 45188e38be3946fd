#!/usr/bin/env bash
# Builds the bench jar and runs WireBenchmark with a short configuration; prints ns/frame, the ratio to a plain copy
# of the same frame measured in the same run, and bytes allocated per frame (JMH GC profiler).
# Extra arguments are passed to JMH, e.g. bench/run-wire.sh -p payloadBytes=64
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mvn -B -q -ntp -pl bench -am package -DskipTests
exec java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.chimney.bench.WireBenchmark \
  -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc "$@"
