#!/usr/bin/env bash
# Builds the bench jar and runs HostStackBenchmark: one TCP data segment through two whole host stacks (link -> IP ->
# TCP -> application -> ACK back) next to the same frame through the bare virtual wire, measured in the same run;
# prints ns/segment, the stack/baseline ratio and bytes allocated per segment (JMH GC profiler; target 0 B/op).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mvn -B -q -ntp -pl bench -am package -DskipTests
out=$(mktemp)
java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar org.openjdk.jmh.Main HostStackBenchmark \
  -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc -rf csv -rff "$out" "$@" | grep -E "^(Benchmark|HostStack)"
echo
echo "Ratios (stack / bare wire, same run) and allocation per data segment:"
awk -F, 'NR > 1 {
  gsub(/"/, "");
  name = $1; sub(/.*\./, "", name); v6 = $NF;
  if (name == "tcpSegmentEndToEnd") stack[v6] = $5;
  if (name == "baselineWireOnly") base[v6] = $5;
  if (name == "tcpSegmentEndToEnd:gc.alloc.rate.norm") alloc[v6] = $5;
  if (name == "baselineWireOnly:gc.alloc.rate.norm") balloc[v6] = $5;
} END {
  for (k in stack) printf "  ipv6=%s  stack %.0f ns/segment  wire %.0f ns/frame  ratio %.1fx  alloc %.3f B/segment (wire %.3f B/frame)\n", k, stack[k], base[k], stack[k] / base[k], alloc[k], balloc[k];
}' "$out"
rm -f "$out"
