#!/usr/bin/env bash
# Issue 7's team figures, each beside its baselines from the same run (TeamBench; results in bench/TEAM.md):
#   1. UPLOAD_ALL of N idle offloaded connections (N = 10,000 and 100,000), from the member's indication until the
#      manager is DRAINED: wall and CPU time, bytes allocated, peak and retained heap; beside the bulk initiate of
#      the same N (baseline 1) and a host-only export()+importFrom() of the same N (baseline 2, the TCP state move
#      without the chimney); then RESUME (all re-offloaded) and a team failover of all N, for the record. Virtual
#      time (one Simulator; every loop on the main thread): the times are the CPU cost of host, team, two targets
#      and peer together. One JVM per N, each after a warm-up run of 5,000 connections.
#   2. The throughput dip of one bulk transfer across a team failover (on command, and the active link cut), in
#      virtual time over 1 Gbit/s links, 10 ms buckets, against the same transfer with no failover; A sending and
#      A receiving; again with 128 KiB buffers.
# Usage: bench/run-team.sh [N...]   e.g. bench/run-team.sh 10000 100000 (the default); FAILOVER_BYTES=100000000
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
if [ ! -f bench/target/benchmarks.jar ] || [ -n "${REBUILD:-}" ]; then
  mvn -B -q -ntp -pl bench -am package -DskipTests -Dmaven.javadoc.skip=true
fi
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000)
BYTES=${FAILOVER_BYTES:-100000000}
JAVA=(java -XX:+UseParallelGC -cp bench/target/benchmarks.jar dev.chimney.bench.host.TeamBench)

echo "# Chimney team figures, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${SIZES[@]}"; do
  heap=$(( n >= 50000 ? 4 : 2 ))
  "${JAVA[0]}" -Xms${heap}g -Xmx${heap}g "${JAVA[@]:1}" upload --connections "$n" 2>/dev/null | grep -v '^RESULT'
done
"${JAVA[0]}" -Xms1g -Xmx1g "${JAVA[@]:1}" failover --bytes "$BYTES" | grep -v '^RESULT'
# the same with 128 KiB socket buffers (smaller than the link's queue): the send path's request sizing shows there
"${JAVA[0]}" -Xms1g -Xmx1g "${JAVA[@]:1}" failover --bytes $((BYTES / 5)) --buffer 131072 | grep -v '^RESULT'
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
