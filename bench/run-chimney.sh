#!/usr/bin/env bash
# The TCP chimney's figures, each beside its baseline measured the same way in the same run (ChimneyBench):
#   1. bulk throughput in memory, real time, every loop on its own thread: a connection offloaded to the soft target
#      (host loop + target loop + peer loop) against the same connection on the host path through the target as a
#      pass-through, and against the host with no target at all; A sending and A receiving;
#   2. the same over a TAP (TSO on) with a Linux socat peer in a namespace of our own: chimney run's three shapes
#      (--offload none, explicit = the target as a pass-through, all), Linux -> stack and stack -> Linux;
#   3. offload + terminate round trips per second for one connection and for trees of 1,000 connections;
#   4. retained heap per connection, offloaded (host side + target side) against host-only.
# Needs root for the TAP rows (skipped otherwise). Creates its namespace (chy-ch-PID), addresses only there
# (10.77.1.x), deletes it on exit; every peer tool runs under timeout. Each throughput figure is the median of
# REPEAT runs (default 3: the machine is shared, so single runs are noisy); the runs follow each row.
# Usage: [REPEAT=n] bench/run-chimney.sh [bytes-per-transfer]   e.g. bench/run-chimney.sh 500000000
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
BYTES=${1:-500000000}
REPEAT=${REPEAT:-3}
if [ ! -f bench/target/benchmarks.jar ] || [ -n "${REBUILD:-}" ]; then
  mvn -B -q -ntp -pl bench -am package -DskipTests -Dmaven.javadoc.skip=true
fi
JAVA=(java --enable-native-access=ALL-UNNAMED -Xms1g -Xmx1g -XX:+UseParallelGC -cp bench/target/benchmarks.jar
      dev.chimney.bench.host.ChimneyBench)
P=chy-ch-$$
NS=$P-tap
LOG=$(mktemp -d /tmp/chy-chimney.XXXXXX)
cleanup() {
  set +e
  jobs -p | xargs -r kill 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$LOG"
}
trap cleanup EXIT
SOCAT_BUF=262144
CUBIC=setsockopt-string=6:13:cubic # every Linux socket picks CUBIC itself, as run-throughput.sh explains

now_ns() { date +%s%N; }
gbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.3f", b * 8 / ns }'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
field() { grep -o " $1=[0-9.]*" | head -1 | cut -d= -f2; } # RESULT line field

echo "# Chimney offload figures, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "$BYTES bytes per transfer, median of $REPEAT"
printf "%-46s %9s %9s %9s %7s %7s\n" "case" "Gbit/s" "host-path" "no-target" "ratio" "ratio2"

# 1. in memory --------------------------------------------------------------------------------------------------
for dir in send receive; do
  declare -A med=() cpu=()
  for mode in none host offload; do
    runs=""; cpus=""
    for _ in $(seq "$REPEAT"); do
      out=$("${JAVA[@]}" memory --mode $mode --direction $dir --bytes "$BYTES")
      runs="$runs $(echo "$out" | field gbps)"; cpus="$cpus $(echo "$out" | field gbps_per_cpu)"
    done
    med[$mode]=$(echo "$runs" | median); cpu[$mode]=$(echo "$cpus" | median)
    echo "    memory $mode $dir runs:$runs; Gbit/s per CPU-second:$cpus"
  done
  printf "%-46s %9s %9s %9s %7s %7s\n" "in-memory offloaded, A ${dir}s" "${med[offload]}" "${med[host]}" \
      "${med[none]}" "$(ratio "${med[offload]}" "${med[host]}")" "$(ratio "${med[offload]}" "${med[none]}")"
  printf "%-46s %9s %9s %9s %7s %7s\n" "  same, Gbit/s per CPU-second (all loops)" "${cpu[offload]}" "${cpu[host]}" \
      "${cpu[none]}" "$(ratio "${cpu[offload]}" "${cpu[host]}")" "$(ratio "${cpu[offload]}" "${cpu[none]}")"
done

# 2. over a TAP ---------------------------------------------------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  ip -n "$NS" tuntap add dev chytap0 mode tap vnet_hdr
  ip -n "$NS" addr add 10.77.1.2/24 dev chytap0
  ip -n "$NS" link set chytap0 up
  port=5200
  for dir in rx tx; do
    declare -A med=()
    for offload in none explicit all; do
      runs=""; shares=""
      for _ in $(seq "$REPEAT"); do
        port=$((port + 1))
        if [ $dir = rx ]; then # Linux -> stack: the stack sinks, socat sends (timed)
          "${JAVA[@]}" tap-sink --netns "$NS" --tap chytap0 --offload $offload --addr 10.77.1.1/24 --port $port \
              > "$LOG/sink.txt" 2>&1 &
          jpid=$!
          for _ in $(seq 100); do grep -q READY "$LOG/sink.txt" 2>/dev/null && break; sleep 0.1; done
          t0=$(now_ns)
          head -c "$BYTES" /dev/zero | ip netns exec "$NS" timeout 300 socat -u -b $SOCAT_BUF - \
              "TCP:10.77.1.1:$port,$CUBIC"
          t1=$(now_ns)
          wait $jpid || { echo "tap-sink failed:"; cat "$LOG/sink.txt"; }
          runs="$runs $(gbps "$BYTES" $((t1 - t0)))"
          shares="$shares $(field target_share < "$LOG/sink.txt")"
        else # stack -> Linux: socat sinks, the stack sends and times connect .. FIN acknowledged
          ip netns exec "$NS" timeout 300 socat -u -b $SOCAT_BUF "TCP-LISTEN:$port,reuseaddr,$CUBIC" \
              OPEN:/dev/null &
          for _ in $(seq 50); do ip netns exec "$NS" ss -ltn | grep -q ":$port " && break; sleep 0.1; done
          "${JAVA[@]}" tap-source --netns "$NS" --tap chytap0 --offload $offload --addr 10.77.1.1/24 \
              --peer 10.77.1.2 --port $port --bytes "$BYTES" > "$LOG/source.txt" 2>&1 \
              || { echo "tap-source failed:"; cat "$LOG/source.txt"; }
          wait || true
          runs="$runs $(field gbps < "$LOG/source.txt")"
          shares="$shares $(field target_share < "$LOG/source.txt")"
        fi
      done
      med[$offload]=$(echo "$runs" | median)
      echo "    tap $dir --offload $offload runs:$runs; target's share of the bytes:$shares"
    done
    label=$([ $dir = rx ] && echo "linux->stack" || echo "stack->linux")
    printf "%-46s %9s %9s %9s %7s %7s\n" "tap tso $label, --offload all" "${med[all]}" "${med[explicit]}" \
        "${med[none]}" "$(ratio "${med[all]}" "${med[explicit]}")" "$(ratio "${med[all]}" "${med[none]}")"
  done
else
  echo "# TAP rows skipped: need root (CAP_NET_ADMIN) for the namespace and the TAP"
fi

# 3. round trips --------------------------------------------------------------------------------------------------
for n in 1 1000; do
  out=$("${JAVA[@]}" moves --connections $n --seconds 5)
  echo "moves, $n connection(s) per tree: $(echo "$out" | grep RESULT | cut -d' ' -f3-)"
done

# 4. heap ---------------------------------------------------------------------------------------------------------
out=$(java --enable-native-access=ALL-UNNAMED -Xms2g -Xmx2g -cp bench/target/benchmarks.jar \
      dev.chimney.bench.host.ChimneyBench heap --connections 4000)
echo "heap per connection: $(echo "$out" | grep RESULT | cut -d' ' -f3-)"
echo "# ratio = offloaded / host path through the target (pass-through); ratio2 = offloaded / no target at all"
