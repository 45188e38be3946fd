#!/usr/bin/env bash
# Builds the bench jar and runs SocketBench: bulk MB/s and 1-byte ping-pong round trips through the socket layer
# (loop-side TcpChannel, blocking TcpSocket from virtual threads) over two host stacks on a virtual wire, next to
# java.net sockets over kernel loopback measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mvn -B -q -ntp -pl bench -am package -DskipTests
exec java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.chimney.bench.socket.SocketBench "$@"
