#!/usr/bin/env bash
# Bulk TCP throughput of the Chimney host stack, each figure printed beside a Linux baseline measured the same way
# in the same run (socat, CUBIC pinned on every Linux side):
#   1. Linux -> stack and stack -> Linux over a TAP (virtio-net header + TSO/checksum offload, and a plain TAP at
#      MTU 1500), against Linux -> Linux over a veth pair between two namespaces, at MTU 1500, 9000 and 65000;
#   2. stack <-> stack on the in-memory link in one JVM (one loop, real clock), against Linux loopback TCP inside a
#      namespace; plus the heap bytes allocated per TCP segment in steady state.
# Needs root. Creates its own namespaces (chy-tp-PID-*), addresses only there (10.77.x.x), deletes them on exit;
# never configures the root namespace. Every peer tool runs under timeout.
# Each figure is the median of REPEAT runs (default 3; the machine is shared, so single runs are noisy).
# Usage: [REPEAT=n] bench/run-throughput.sh [bytes-per-transfer] [mtus...]   e.g. bench/run-throughput.sh 500000000 1500
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
if [ "$(id -u)" != 0 ]; then
  echo "run-throughput.sh: needs root (CAP_NET_ADMIN) to create namespaces, veth pairs and TAP devices" >&2
  exit 1
fi
BYTES=${1:-500000000}
REPEAT=${REPEAT:-3}
shift || true
MTUS=("$@")
[ ${#MTUS[@]} -eq 0 ] && MTUS=(1500 9000 65000)
if [ ! -f bench/target/benchmarks.jar ] || [ -n "${REBUILD:-}" ]; then
  mvn -B -q -ntp -pl bench -am package -DskipTests
fi
JAVA=(java --enable-native-access=ALL-UNNAMED -Xms1g -Xmx1g -XX:+UseParallelGC -cp bench/target/benchmarks.jar
      dev.chimney.bench.host.ThroughputBench)
P=chy-tp-$$
NSA=$P-tap; NSV1=$P-v1; NSV2=$P-v2; NSL=$P-lo
LOG=$(mktemp -d /tmp/chy-throughput.XXXXXX)
cleanup() {
  set +e
  jobs -p | xargs -r kill 2>/dev/null
  for ns in $NSA $NSV1 $NSV2 $NSL; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$LOG"
}
trap cleanup EXIT
SOCAT_BUF=262144
# Kernels here default to BBR and a namespace may not change the default to an algorithm outside the root's allowed
# list, so every Linux socket selects CUBIC itself (TCP_CONGESTION = 13 at level IPPROTO_TCP = 6; root may pick any
# available algorithm per socket).
CUBIC=setsockopt-string=6:13:cubic

mkns() { # name
  ip netns add "$1"
  ip -n "$1" link set lo up
}
now_ns() { date +%s%N; }
gbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.3f", b * 8 / ns }'; } # bytes, nanoseconds -> Gbit/s
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# Linux sender timed from start to its exit (all bytes written and the stream shut down); the sink discards.
timed_send() { # netns host port [cpu-time-file] -> prints Gbit/s
  local t0 t1
  t0=$(now_ns)
  head -c "$BYTES" /dev/zero | ip netns exec "$1" /usr/bin/time -f "%U %S" -o "${4:-/dev/null}" \
      timeout 300 socat -u -b $SOCAT_BUF - "TCP:$2:$3,$CUBIC"
  t1=$(now_ns)
  gbps "$BYTES" $((t1 - t0))
}
linux_sink() { # netns port [cpu-time-file] (background)
  ip netns exec "$1" /usr/bin/time -f "%U %S" -o "${3:-/dev/null}" \
      timeout 300 socat -u -b $SOCAT_BUF "TCP-LISTEN:$2,reuseaddr,$CUBIC" OPEN:/dev/null &
  for _ in $(seq 50); do
    ip netns exec "$1" ss -ltn 2>/dev/null | grep -q ":$2 " && return 0
    sleep 0.1
  done
  echo "socat listener in $1 did not start" >&2; return 1
}

echo "# Chimney throughput, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $BYTES bytes per transfer"
echo "# kernel $(uname -r); Linux side: socat -b $SOCAT_BUF, CUBIC per socket (TCP_CONGESTION); stack: CUBIC"
printf "%-44s %10s %10s %8s\n" "case" "Gbit/s" "baseline" "ratio"

# veth baseline namespaces
mkns $NSV1; mkns $NSV2
ip link add "${P}a" netns $NSV1 type veth peer name "${P}b" netns $NSV2
ip -n $NSV1 addr add 10.77.2.1/24 dev "${P}a"; ip -n $NSV2 addr add 10.77.2.2/24 dev "${P}b"
ip -n $NSV1 link set "${P}a" up; ip -n $NSV2 link set "${P}b" up
# TAP namespace: a persistent TAP the stack attaches to; the kernel side holds 10.77.1.2
mkns $NSA
ip -n $NSA tuntap add dev chytap0 mode tap vnet_hdr
ip -n $NSA addr add 10.77.1.2/24 dev chytap0

port=5100
for mtu in "${MTUS[@]}"; do
  ip -n $NSV1 link set "${P}a" mtu "$mtu"; ip -n $NSV2 link set "${P}b" mtu "$mtu"
  runs=""
  for _ in $(seq "$REPEAT"); do
    port=$((port + 1)); linux_sink $NSV1 $port; sleep 0.2
    runs="$runs $(timed_send $NSV2 10.77.2.1 $port)"; wait
  done
  veth=$(echo "$runs" | median)
  printf "%-44s %10s %10s %8s\n" "linux->linux veth mtu $mtu (baseline)" "$veth" "-" "-"
  echo "    runs:$runs"
  vnets=(true)
  [ "$mtu" = 1500 ] && vnets=(true false)
  for vnet in "${vnets[@]}"; do
    label="tap $([ $vnet = true ] && echo "vnet+tso" || echo "plain")"
    ip -n $NSA link set chytap0 mtu "$mtu"
    ip -n $NSA link set chytap0 up
    # Linux -> stack: the stack sinks, socat sends (timed)
    runs=""; sides=""
    for _ in $(seq "$REPEAT"); do
      port=$((port + 1))
      "${JAVA[@]}" tap-sink --netns $NSA --tap chytap0 --mtu "$mtu" --vnet $vnet --addr 10.77.1.1/24 --port $port \
          > "$LOG/sink.txt" 2>&1 &
      jpid=$!
      for _ in $(seq 100); do grep -q READY "$LOG/sink.txt" 2>/dev/null && break; sleep 0.1; done
      ip -n $NSA neigh flush dev chytap0 2>/dev/null || true
      runs="$runs $(timed_send $NSA 10.77.1.1 $port)"
      wait $jpid || { echo "tap-sink failed:"; cat "$LOG/sink.txt"; }
      sides="$sides $(grep -o 'gbps=[0-9.]*' "$LOG/sink.txt" | cut -d= -f2)"
    done
    rx=$(echo "$runs" | median); stackside=$(echo "$sides" | median)
    printf "%-44s %10s %10s %8s   (stack-side rate %s)\n" "linux->stack $label mtu $mtu" "$rx" "$veth" \
        "$(ratio "$rx" "$veth")" "${stackside:-?}"
    echo "    runs:$runs; stack-side:$sides"
    # stack -> Linux: socat sinks, the stack sends and times connect..FIN acked
    runs=""
    for _ in $(seq "$REPEAT"); do
      port=$((port + 1)); linux_sink $NSA $port
      "${JAVA[@]}" tap-source --netns $NSA --tap chytap0 --mtu "$mtu" --vnet $vnet --addr 10.77.1.1/24 \
          --peer 10.77.1.2 --port $port --bytes "$BYTES" > "$LOG/source.txt" 2>&1 \
          || { echo "tap-source failed:"; cat "$LOG/source.txt"; }
      wait || true
      runs="$runs $(grep -o 'gbps=[0-9.]*' "$LOG/source.txt" | cut -d= -f2)"
    done
    tx=$(echo "$runs" | median)
    printf "%-44s %10s %10s %8s\n" "stack->linux $label mtu $mtu" "${tx:-0}" "$veth" "$(ratio "${tx:-0}" "$veth")"
    echo "    runs:$runs"
  done
done

# in-memory stack <-> stack vs Linux loopback (inside a namespace's lo)
mkns $NSL
for mtu in "${MTUS[@]}"; do
  ip -n $NSL link set lo mtu $((mtu > 65536 ? 65536 : mtu))
  runs=""; mems=""; allocs=""; locpu=""; memcpu=""
  for _ in $(seq "$REPEAT"); do
    port=$((port + 1)); linux_sink $NSL $port "$LOG/sink.time"; sleep 0.2
    runs="$runs $(timed_send $NSL 127.0.0.1 $port "$LOG/send.time")"; wait
    # Linux CPU: user+sys of both socat processes (loopback softirq work runs in their context)
    cpu=$(cat "$LOG/sink.time" "$LOG/send.time" | awk '{ s += $1 + $2 } END { print s }')
    locpu="$locpu $(awk -v b="$BYTES" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.3f", b * 8 / c / 1e9; else print 0 }')"
    out=$("${JAVA[@]}" memory --mtu "$mtu" --bytes "$BYTES")
    mems="$mems $(echo "$out" | grep -o ' gbps=[0-9.]*' | cut -d= -f2)"
    memcpu="$memcpu $(echo "$out" | grep -o 'gbps_per_cpu=[0-9.]*' | cut -d= -f2)"
    allocs="$allocs $(echo "$out" | grep -o 'alloc_bytes_per_segment=[0-9.]*' | cut -d= -f2)"
  done
  lo=$(echo "$runs" | median); mem=$(echo "$mems" | median); alloc=$(echo "$allocs" | median)
  lopc=$(echo "$locpu" | median); mempc=$(echo "$memcpu" | median)
  printf "%-44s %10s %10s %8s   (%s B allocated per segment)\n" "stack<->stack in-memory mtu $mtu" "$mem" "$lo" \
      "$(ratio "$mem" "$lo")" "$alloc"
  echo "    runs:$mems; loopback:$runs"
  printf "%-44s %10s %10s %8s   (Gbit/s per CPU-second, load-independent)\n" \
      "  same, per CPU-second mtu $mtu" "$mempc" "$lopc" "$(ratio "$mempc" "$lopc")"
done
echo "# each figure is the median of $REPEAT runs (the runs follow each row)"
echo "# baseline column: linux->linux over veth (TAP rows) or over loopback (in-memory rows), same transfer size"
