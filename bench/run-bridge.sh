#!/usr/bin/env bash
# Builds the bench jar and runs LoopBridgeBenchmark: frames/s through a LoopBridge between two threads (producer and
# consumer), the same ring driven by one thread, and a plain in-thread copy of the same frame as the baseline, all in
# the same run, with bytes allocated per operation (JMH GC profiler; target 0 B/op).
# Extra arguments are passed to JMH, e.g. bench/run-bridge.sh -p frameBytes=64
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mvn -B -q -ntp -pl bench -am package -DskipTests
exec java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar org.openjdk.jmh.Main LoopBridgeBenchmark \
  -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc "$@"
