#!/usr/bin/env bash
# TCP under load and loss: the Chimney stack (chimney run on a TAP) beside Linux in the same topology, with the same
# nftables loss rules and the same peer tools, in one run (issue 9):
#   (a) curl downloads a file from the stack's HTTP server / from nginx, at 0, 1, 3, 5 % random loss each way,
#       IPv4 and IPv6;
#   (b) socat pushes the same size to the stack's discard service / to a socat discard on Linux, same losses;
#   (c) 200 concurrent echo connections x 1 MiB each way against a socat echo server: the stack as the client
#       (bench EchoClientsBench on its own TAP) / the same client code on Linux sockets, each after one untimed
#       run of the same workload (the JIT; CLIENT_OPTS="--warmup 0" times a cold JVM); prints the TAP's
#       kernel-side drops (frames the kernel dropped because the stack did not drain the TAP);
#   (d) ApacheBench (HTTP/1.0, a new connection per request) and wrk (keep-alive) against the stack's HTTP server /
#       nginx, with the stack's heap, GC time and resident memory over the run;
#   (e) ping and one-request-at-a-time HTTP (wrk, 1 connection) latency, p50 and p99.
# Topology: namespace BR holds a bridge with the stack's TAP(s) and two veths; PEER (10.77.9.1, fd77:9::1) has the
# loss rules (numgen random mod 100 < N, input and output hooks) and runs curl, socat, ab, wrk, ping and the echo
# server; LNX (10.77.9.3, fd77:9::3) is the Linux server (nginx, socat discard). The stack is 10.77.9.2, fd77:9::2
# (server) and 10.77.9.4 (echo client). Both Linux namespaces pin CUBIC per route (chimney run's --congestion and
# the echo client default to CUBIC too); kernel defaults otherwise (GSO/TSO on), chimney run defaults otherwise
# (TSO on), so losses hit what each side puts on the wire. Every row: the stack's figure, Linux's figure, and
# stack / Linux.
# Needs root. Creates its own namespaces (chy-loss-PID-*), addresses only there, deletes them on exit; never
# configures the root namespace. Every peer tool runs under timeout.
# Sizes (environment): BYTES (a, b at 0 and 1 % loss; default 256 MiB, as in issue 9), LOSSY_BYTES (a, b at 2 % loss
# and more, where a transfer takes seconds; default 32 MiB), REPEAT (timed runs per case and side, after one untimed
# run of each at that loss; the row shows the medians, the line below it every run; default 3), DOWNLOAD_WARMUP
# (untimed loss-free downloads from each server before (a) and (b); default 3), LOSSES ("0 1 3 5"),
# ECHO_CLIENTS (200), ECHO_BYTES (1 MiB),
# AB_REQUESTS (20000), AB_CONCURRENCY (50), AB_WARMUP (20000 untimed requests to each server first; 0: none),
# PING_WARMUP (20000 untimed pings 0.2 ms apart to each side before (e): the JIT compiles the stack's ICMP path; 0: none),
# WRK_SECONDS (10), WRK_CONNECTIONS (100), PINGS (200, 50 ms apart),
# LAT_SECONDS (5), TOOL_TIMEOUT (120 s per tool), STACK_OPTS (extra chimney run options, e.g. "--idle park"),
# CLIENT_OPTS (extra EchoClientsBench options, e.g. "--idle park --qlen 0 --budget 64": the loop as it was
# before issue 9), CASES ("a b c d e"), CHIMNEY_JAR (another build of chimney run, e.g. main's, for a before/after),
# STACK_JVM_OPTS (e.g. "-XX:StartFlightRecording=filename=/tmp/stack.jfr" to profile the stack), KEEP_LOG.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
if [ "$(id -u)" != 0 ]; then
  echo "run-loss.sh: needs root (CAP_NET_ADMIN) to create namespaces, a bridge, veth pairs and TAP devices" >&2
  exit 1
fi
for tool in curl socat nginx ab wrk nft ping; do
  command -v $tool >/dev/null || { echo "run-loss.sh: installing the peer tools" >&2; bash scripts/setup-machine; break; }
done
BYTES=${BYTES:-268435456}
LOSSY_BYTES=${LOSSY_BYTES:-33554432}
REPEAT=${REPEAT:-3}
DOWNLOAD_WARMUP=${DOWNLOAD_WARMUP:-3}
LOSSES=${LOSSES:-"0 1 3 5"}
ECHO_CLIENTS=${ECHO_CLIENTS:-200}
ECHO_BYTES=${ECHO_BYTES:-1048576}
AB_REQUESTS=${AB_REQUESTS:-20000}
AB_CONCURRENCY=${AB_CONCURRENCY:-50}
AB_WARMUP=${AB_WARMUP:-20000}
PING_WARMUP=${PING_WARMUP:-20000}
WRK_SECONDS=${WRK_SECONDS:-10}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-100}
PINGS=${PINGS:-200}
LAT_SECONDS=${LAT_SECONDS:-5}
T=${TOOL_TIMEOUT:-120}
STACK_OPTS=${STACK_OPTS:-}
CLIENT_OPTS=${CLIENT_OPTS:-}
CASES=${CASES:-"a b c d e"}
CHIMNEY_JAR=${CHIMNEY_JAR:-cli/target/chimney.jar}
read -r -a STACK_JVM <<< "${STACK_JVM_OPTS:-}"
if [ ! -f bench/target/benchmarks.jar ] || [ ! -f cli/target/chimney.jar ] || [ -n "${REBUILD:-}" ]; then
  mvn -B -q -ntp -pl cli,bench -am package -DskipTests
fi
P=chy-loss-$$
NSB=$P-br; NSP=$P-peer; NSL=$P-lnx
LOG=$(mktemp -d /tmp/chy-loss.XXXXXX)
STACK_PID=""
PIDS=()
cleanup() {
  set +e
  [ -n "$STACK_PID" ] && kill "$STACK_PID" 2>/dev/null && wait "$STACK_PID" 2>/dev/null
  [ ${#PIDS[@]} -gt 0 ] && kill "${PIDS[@]}" 2>/dev/null
  wait 2>/dev/null
  for ns in $NSB $NSP $NSL; do ip netns del "$ns" 2>/dev/null; done
  if [ -n "${KEEP_LOG:-}" ]; then echo "logs kept in $LOG" >&2; else rm -rf "$LOG"; fi
}
trap cleanup EXIT
JAVA=(java --enable-native-access=ALL-UNNAMED)
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b ~ /^[0-9.]+$/ && b > 0 && a ~ /^[0-9.]+$/) printf "%.2f", a / b; else print "n/a" }'; }
row() { printf "%-58s %12s %12s %8s\n" "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
now_ns() { date +%s%N; }
percentile() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] } }'; }
mkns() { ip netns add "$1"; ip -n "$1" link set lo up; }
wait_listen() { # ns port
  for _ in $(seq 100); do nsx "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0; sleep 0.1; done
  echo "nothing listens on port $2 in $1" >&2; return 1
}
set_loss() { # percent: numgen random drop on the peer's input and output hooks (TCP only, as in the issue)
  nsx $NSP nft delete table inet chyloss 2>/dev/null || true
  [ "$1" = 0 ] && return 0
  nsx $NSP nft add table inet chyloss
  nsx $NSP nft "add chain inet chyloss in { type filter hook input priority 0 ; }"
  nsx $NSP nft "add chain inet chyloss out { type filter hook output priority 0 ; }"
  for chain in in out; do
    nsx $NSP nft add rule inet chyloss $chain meta l4proto tcp numgen random mod 100 '<' "$1" counter drop
  done
}
tap_dropped() { nsx $NSB cat "/sys/class/net/$1/statistics/tx_dropped"; }
jstat_gc() { # pid -> "heap_used_MB gc_seconds"
  jstat -gc "$1" 2>/dev/null | awk 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i }
    NR == 2 { u = $h["S0U"] + $h["S1U"] + $h["EU"] + $h["OU"]; printf "%.0f %s\n", u / 1024, $h["GCT"] }'
}
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
hwm_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

echo "# Chimney under load and loss vs Linux, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# kernel $(uname -r); Linux CUBIC per route; $CHIMNEY_JAR run ${STACK_OPTS:-(defaults)}; echo client ${CLIENT_OPTS:-(defaults)}; BYTES=$BYTES LOSSY_BYTES=$LOSSY_BYTES REPEAT=$REPEAT LOSSES=\"$LOSSES\""
echo "# the machine is shared (2 cores, other jobs running): single runs, expect noise of tens of percent"

# ---- topology
mkns $NSB; mkns $NSP; mkns $NSL
ip -n $NSB link add br0 type bridge
ip -n $NSB link set br0 up
ip link add vp netns $NSB type veth peer name eth0 netns $NSP
ip link add vl netns $NSB type veth peer name eth0 netns $NSL
for ns in $NSP $NSL; do nsx $ns sysctl -qw net.ipv6.conf.eth0.accept_dad=0; done
ip -n $NSB link set vp master br0 up; ip -n $NSB link set vl master br0 up
ip -n $NSP addr add 10.77.9.1/24 dev eth0; ip -n $NSP -6 addr add fd77:9::1/64 dev eth0 nodad
ip -n $NSL addr add 10.77.9.3/24 dev eth0; ip -n $NSL -6 addr add fd77:9::3/64 dev eth0 nodad
ip -n $NSP link set eth0 up; ip -n $NSL link set eth0 up
# CUBIC per route: a namespace may not pick a default outside the root's allowed list, a route may name any.
ip -n $NSP route replace 10.77.9.0/24 dev eth0 proto kernel scope link src 10.77.9.1 congctl cubic
ip -n $NSP -6 route replace fd77:9::/64 dev eth0 proto kernel metric 256 congctl cubic
ip -n $NSL route replace 10.77.9.0/24 dev eth0 proto kernel scope link src 10.77.9.3 congctl cubic
ip -n $NSL -6 route replace fd77:9::/64 dev eth0 proto kernel metric 256 congctl cubic
# The echo client's TAP, made here so it is on the bridge before the client's stack opens it.
ip -n $NSB tuntap add dev chy1 mode tap vnet_hdr
ip -n $NSB link set chy1 master br0 up

# ---- content and Linux servers
WWW=$LOG/www; mkdir -p "$WWW" "$LOG/nginx-tmp"
head -c "$BYTES" /dev/urandom > "$WWW/big.bin"
head -c "$LOSSY_BYTES" /dev/urandom > "$WWW/lossy.bin"
head -c 1024 /dev/urandom | base64 -w 100 | head -c 1024 > "$WWW/small.html"
cat > "$LOG/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $LOG/nginx.pid;
error_log $LOG/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $LOG/nginx-tmp/body; proxy_temp_path $LOG/nginx-tmp/proxy;
  fastcgi_temp_path $LOG/nginx-tmp/fastcgi; uwsgi_temp_path $LOG/nginx-tmp/uwsgi; scgi_temp_path $LOG/nginx-tmp/scgi;
  sendfile on;
  keepalive_requests 1000000;
  server { listen 10.77.9.3:8080; listen [fd77:9::3]:8080; root $WWW; }
}
EOF
# Started with ip netns exec directly (it execs timeout, which forwards our TERM to the tool), so cleanup ends
# exactly these processes.
ip netns exec $NSL timeout 3600 nginx -e "$LOG/nginx-error.log" -c "$LOG/nginx.conf" -g "daemon off;" &
PIDS+=($!)
# One dual-stack listener (TCP6 without ipv6only) serves the IPv4 clients too.
ip netns exec $NSL timeout 3600 socat TCP6-LISTEN:9,reuseaddr,fork,backlog=512 OPEN:/dev/null &
PIDS+=($!)
# -t: after the client's FIN, keep echoing what is still in the pipe for up to this long (default 0.5 s is too
# short with hundreds of connections draining at once, and would cut echoes short). -b 4096: socat writes whole
# blocks with blocking writes after select(2); a block of at most PIPE_BUF always fits once the pipe polls
# writable, while a larger one can block socat on a full pipe that only socat itself drains (a deadlock seen
# here with the default 8 KiB blocks, on Linux clients as well as the stack's).
ip netns exec $NSP timeout 3600 socat -b 4096 -t "$T" TCP-LISTEN:7007,reuseaddr,fork,backlog=1024 PIPE &
PIDS+=($!)
wait_listen $NSL 8080; wait_listen $NSL 9; wait_listen $NSP 7007

# ---- the stack
# shellcheck disable=SC2086
"${JAVA[@]}" "${STACK_JVM[@]}" -jar "$CHIMNEY_JAR" run --netns $NSB --tap chy0 --address 10.77.9.2/24 \
    --address fd77:9::2/64 --serve "http:8080:$WWW" --serve discard:9 --serve echo:7 $STACK_OPTS \
    > "$LOG/stack.txt" 2>&1 &
STACK_PID=$!
for _ in $(seq 300); do grep -q "^chimney run: chy0" "$LOG/stack.txt" 2>/dev/null && break; sleep 0.1; done
grep "^chimney run: chy0" "$LOG/stack.txt" || { echo "chimney run did not start:"; cat "$LOG/stack.txt"; exit 1; }
ip -n $NSB link set chy0 master br0 up
sleep 1
nsx $NSP timeout 10 ping -c 2 -i 0.2 -q 10.77.9.2 > /dev/null || echo "warning: the stack does not answer ping yet"
nsx $NSP timeout 10 ping -6 -c 2 -i 0.2 -q fd77:9::2 > /dev/null || true

printf "%-58s %12s %12s %8s\n" "case" "stack" "linux" "ratio"
PORT_DISCARD=9

# ---- (a) download and (b) upload under loss
download() { # url bytes -> MB/s (curl's average), "fail" when short
  local out
  out=$(nsx $NSP timeout "$T" curl -s -o /dev/null --max-time "$T" -w '%{size_download} %{speed_download}' "$1" \
        || true)
  awk -v o="$out" -v b="$2" 'BEGIN { split(o, f, " "); if (f[1] != b) print "fail"; else printf "%.1f", f[2] / 1e6 }'
}
upload() { # socat-address bytes -> MB/s, timed until close returns (SO_LINGER: every byte acknowledged)
  local t0 t1
  t0=$(now_ns)
  if head -c "$2" /dev/zero | nsx $NSP timeout "$T" socat -u -b 262144 - "$1,linger=$T" 2>/dev/null; then
    t1=$(now_ns); awk -v b="$2" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", b / ns * 1000 }'
  else
    echo fail
  fi
}
median() { # values -> the median ("fail" ranks lowest: "fail" when half or more failed)
  printf '%s\n' "$@" | sed 's/^fail$/-1/' | sort -g | awk '{ v[NR] = $1 } END { m = v[int((NR + 1) / 2)];
    if (m < 0) print "fail"; else print m }'
}
# Runs a case REPEAT times, alternating stack and Linux, after one untimed run of each at the same loss (the JIT
# compiles the paths this loss takes, e.g. SACK and retransmission, which a loss-free warm-up never runs; Linux
# gets the same). Prints the row with the medians, then every run.
measure() { # label fn stack-arg linux-arg bytes
  local label=$1 fn=$2 sarg=$3 larg=$4 bytes=$5 sv=() lv=()
  "$fn" "$sarg" "$bytes" > /dev/null; "$fn" "$larg" "$bytes" > /dev/null
  for _ in $(seq "$REPEAT"); do
    sv+=("$("$fn" "$sarg" "$bytes")"); lv+=("$("$fn" "$larg" "$bytes")")
  done
  row "$label" "$(median "${sv[@]}")" "$(median "${lv[@]}")"
  echo "    runs: stack ${sv[*]}; linux ${lv[*]}"
}
if [[ " $CASES " == *" a "* || " $CASES " == *" b "* ]]; then
  # Untimed downloads from each server first: the stack's JIT compiles its data path (C2 needs a few hundred MB
  # here), nginx's file is cached.
  for _ in $(seq "$DOWNLOAD_WARMUP"); do
    download http://10.77.9.2:8080/big.bin "$BYTES" > /dev/null
    download http://10.77.9.3:8080/big.bin "$BYTES" > /dev/null
  done
  for loss in $LOSSES; do
    set_loss "$loss"
    if [ "$loss" -ge 2 ]; then bytes=$LOSSY_BYTES; file=lossy.bin; else bytes=$BYTES; file=big.bin; fi
    for fam in 4 6; do
      if [ $fam = 4 ]; then s=10.77.9.2; l=10.77.9.3; su=$s; lu=$l; sk="TCP4:$s"; lk="TCP4:$l"
      else s=fd77:9::2; l=fd77:9::3; su="[$s]"; lu="[$l]"; sk="TCP6:[$s]"; lk="TCP6:[$l]"; fi
      if [[ " $CASES " == *" a "* ]]; then
        measure "(a) download $((bytes >> 20)) MiB, loss ${loss}% each way, IPv$fam (MB/s)" download \
            "http://$su:8080/$file" "http://$lu:8080/$file" "$bytes"
      fi
      if [[ " $CASES " == *" b "* ]]; then
        measure "(b) socat push $((bytes >> 20)) MiB, loss ${loss}% each way, IPv$fam (MB/s)" upload \
            "$sk:$PORT_DISCARD" "$lk:$PORT_DISCARD" "$bytes"
      fi
    done
  done
  if [[ " $CASES " == *" a "* ]]; then
    # The issue's slow reader: curl --limit-rate 4M (its receive window closes and opens) under 3 % loss; seconds
    # for LOSSY_BYTES (8 s at exactly 4 MiB/s), lower is better.
    set_loss 3
    slow() { nsx $NSP timeout "$T" curl -s -o /dev/null --max-time "$T" --limit-rate 4M -w '%{size_download} %{time_total}' \
        "$1" | awk -v b="$LOSSY_BYTES" '{ if ($1 != b) print "fail"; else printf "%.2f", $2 }'; }
    row "(a) curl --limit-rate 4M, $((LOSSY_BYTES >> 20)) MiB, loss 3% each way, IPv4 (s)" \
        "$(slow http://10.77.9.2:8080/lossy.bin)" "$(slow http://10.77.9.3:8080/lossy.bin)"
  fi
  set_loss 0
fi

# ---- (c) echo-200, the stack as the client
if [[ " $CASES " == *" c "* ]]; then
  # shellcheck disable=SC2086
  stack_out=$(timeout $((T * 3)) "${JAVA[@]}" -cp bench/target/benchmarks.jar dev.chimney.bench.host.EchoClientsBench \
      stack --netns $NSB --tap chy1 --addr 10.77.9.4/24 --server 10.77.9.1 --port 7007 --clients "$ECHO_CLIENTS" \
      --bytes "$ECHO_BYTES" --timeout "$T" $CLIENT_OPTS 2> "$LOG/echo-stack.err" | grep RESULT || true)
  linux_out=$(nsx $NSL timeout $((T * 3)) "${JAVA[@]}" -cp bench/target/benchmarks.jar \
      dev.chimney.bench.host.EchoClientsBench kernel --server 10.77.9.1 --port 7007 --clients "$ECHO_CLIENTS" \
      --bytes "$ECHO_BYTES" --timeout "$T" 2> "$LOG/echo-linux.err" | grep RESULT || true)
  field() { echo "$1" | grep -o " $2=[^ ]*" | cut -d= -f2; }
  ss=$(field "$stack_out" seconds); ls=$(field "$linux_out" seconds)
  row "(c) echo $ECHO_CLIENTS x $((ECHO_BYTES >> 10)) KiB each way, stack client (s)" "${ss:-fail}" "${ls:-fail}"
  echo "    stack: ${stack_out:-$(tail -3 "$LOG/echo-stack.err")}"
  echo "    linux: ${linux_out:-$(tail -3 "$LOG/echo-linux.err")}"
  echo "    TAP chy1 kernel-side drops (frames the stack did not drain in time): $(field "$stack_out" tap_kernel_tx_dropped)"
  echo "    fairness, connections done at first / median / last (s): stack $(field "$stack_out" finish_first_s) / $(field "$stack_out" finish_median_s) / $(field "$stack_out" finish_last_s), linux $(field "$linux_out" finish_first_s) / $(field "$linux_out" finish_median_s) / $(field "$linux_out" finish_last_s)"
fi

# ---- (d) ApacheBench and wrk
if [[ " $CASES " == *" d "* ]]; then
  ab_rate() { nsx $NSP timeout "$T" ab -q -n "$AB_REQUESTS" -c "$AB_CONCURRENCY" -s 20 "$1" 2>/dev/null \
      | awk '/^Requests per second/ { printf "%.0f", $4 } /^Failed requests/ { if ($3 > 0) f = $3 }
             END { if (f) printf " (%d failed)", f }'; }
  wrk_rate() { nsx $NSP timeout "$T" wrk -t2 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" "$1" 2>/dev/null \
      | awk '/^Requests\/sec/ { printf "%.0f", $2 }'; }
  # One untimed ab run against each server first, as (a) downloads once: the stack's JIT compiles its accept and
  # HTTP paths meanwhile (~2.6 s of compiler threads on this 2-core VM over the first ~15,000 connections, which a
  # timed run would share with ab).
  if [ "$AB_WARMUP" -gt 0 ]; then
    for u in 10.77.9.2 10.77.9.3; do
      nsx $NSP timeout "$T" ab -q -n "$AB_WARMUP" -c "$AB_CONCURRENCY" -s 20 "http://$u:8080/small.html" \
          > /dev/null 2>&1 || true
    done
  fi
  # CPU time per request (utime + stime, all threads): less noisy on this shared machine than requests per second.
  # nginx's is its worker's; on both sides the kernel work inline in their system calls is counted, softirq work
  # done elsewhere is not.
  ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
  us_per_request() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$AB_REQUESTS" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }'; }
  NGINX_WORKER=$(pgrep -P "$(cat "$LOG/nginx.pid")" | head -1)
  drops0=$(tap_dropped chy0); read -r heap0 gc0 < <(jstat_gc $STACK_PID)
  s0=$(ticks $STACK_PID); a=$(ab_rate http://10.77.9.2:8080/small.html); s1=$(ticks $STACK_PID)
  n0=$(ticks "$NGINX_WORKER"); b=$(ab_rate http://10.77.9.3:8080/small.html); n1=$(ticks "$NGINX_WORKER")
  read -r heap1 gc1 < <(jstat_gc $STACK_PID)
  row "(d) ab -n $AB_REQUESTS -c $AB_CONCURRENCY, new connection each, after $AB_WARMUP untimed (req/s)" "${a%% *}" \
      "${b%% *}"
  echo "    CPU per request: stack $(us_per_request $((s1 - s0))) us, nginx worker $(us_per_request $((n1 - n0))) us"
  echo "    stack heap ${heap0} -> ${heap1} MB used, GC $(awk -v a="$gc0" -v b="$gc1" 'BEGIN { printf "%.2f", b - a }') s during the run, RSS $(rss_mb $STACK_PID) MB (peak $(hwm_mb $STACK_PID) MB); ab: ${a#* } ${b#* }"
  read -r heap0 gc0 < <(jstat_gc $STACK_PID)
  a=$(wrk_rate http://10.77.9.2:8080/small.html); b=$(wrk_rate http://10.77.9.3:8080/small.html)
  read -r heap1 gc1 < <(jstat_gc $STACK_PID)
  row "(d) wrk -c $WRK_CONNECTIONS ${WRK_SECONDS}s keep-alive (req/s)" "$a" "$b"
  echo "    stack heap ${heap0} -> ${heap1} MB used, GC $(awk -v a="$gc0" -v b="$gc1" 'BEGIN { printf "%.2f", b - a }') s during the run, RSS $(rss_mb $STACK_PID) MB; TAP chy0 kernel-side drops in (d): $(( $(tap_dropped chy0) - drops0 ))"
fi

# ---- (e) latency
if [[ " $CASES " == *" e "* ]]; then
  pings() { nsx $NSP timeout "$T" ping -c "$PINGS" -i 0.05 "$1" 2>/dev/null | grep -o 'time=[0-9.]*' | cut -d= -f2 \
      > "$LOG/ping.txt"; }
  cputicks() { awk '{ print $14 + $15 }' "/proc/$STACK_PID/stat"; }
  pct() { awk -v a="$1" -v b="$2" -v s="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz / s * 100 }'; }
  if [ "$PING_WARMUP" -gt 0 ]; then
    # untimed, as (a) and (d) warm up: a ping every 50 ms runs the stack's ICMP path too rarely for the JIT to
    # compile it within the timed run (measured: p50 0.35 ms cold, 0.14 ms warm, Linux 0.05)
    for u in 10.77.9.2 10.77.9.3; do
      nsx $NSP timeout "$T" ping -c "$PING_WARMUP" -i 0.0002 -q "$u" > /dev/null 2>&1 || true
    done
  fi
  c0=$(cputicks); t0=$(now_ns)
  pings 10.77.9.2; sp50=$(percentile 50 < "$LOG/ping.txt"); sp99=$(percentile 99 < "$LOG/ping.txt")
  ping_cpu=$(pct "$c0" "$(cputicks)" "$(awk -v ns=$(( $(now_ns) - t0 )) 'BEGIN { print ns / 1e9 }')")
  pings 10.77.9.3; lp50=$(percentile 50 < "$LOG/ping.txt"); lp99=$(percentile 99 < "$LOG/ping.txt")
  row "(e) ping every 50 ms after $PING_WARMUP untimed, p50 (ms)" "$sp50" "$lp50"
  row "(e) ping every 50 ms, p99 (ms)" "$sp99" "$lp99"
  echo "    stack process CPU while answering a ping every 50 ms: ${ping_cpu}% of a core"
  wrk_lat() { # url -> "p50_us p99_us req/s"
    nsx $NSP timeout "$T" wrk -t1 -c1 -d"${LAT_SECONDS}s" --latency "$1" 2>/dev/null | awk '
      function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
      $1 == "50%" { p50 = us($2) } $1 == "99%" { p99 = us($2) } /^Requests\/sec/ { r = $2 }
      END { printf "%.0f %.0f %.0f\n", p50, p99, r }'
  }
  read -r s50 s99 sr < <(wrk_lat http://10.77.9.2:8080/small.html)
  read -r l50 l99 lr < <(wrk_lat http://10.77.9.3:8080/small.html)
  row "(e) HTTP one request at a time (wrk -c1), p50 (us)" "$s50" "$l50"
  row "(e) HTTP one request at a time (wrk -c1), p99 (us)" "$s99" "$l99"
  row "(e) HTTP one request at a time (wrk -c1), req/s" "$sr" "$lr"
  c0=$(cputicks); sleep 5
  echo "    stack process CPU while idle: $(pct "$c0" "$(cputicks)" 5)% of a core (5 s, no traffic)"
fi

kill "$STACK_PID"; wait "$STACK_PID" 2>/dev/null || true; STACK_PID=""
echo "# stack: $(grep -o 'tap chy0:.*' "$LOG/stack.txt" || tail -2 "$LOG/stack.txt")"
echo "# ratio = stack / linux (rates: higher is better for the stack; times and latencies: lower is)"
