#!/usr/bin/env bash
# Builds the bench jar and runs TcpTransferBenchmark: 1 MiB through two TCP engines back to back, printed next to
# the four unavoidable copies of the same bytes measured in the same run, with bytes allocated per MiB (-prof gc).
# Extra arguments are passed to JMH.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mvn -B -q -ntp -pl bench -am package -DskipTests
exec java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.chimney.bench.tcp.TcpTransferBenchmark \
  -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc "$@"
