package dev.chimney.bench.host;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Pollable;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpOutput;
import dev.chimney.tcp.TcpSegment;
import dev.chimney.tcp.TcpStack;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Heap bytes per idle established TCP connection, buffers excluded: two TCP engines on a simulated clock open N
 * connections to each other (2N connection objects), and the retained heap after a full GC, minus the heap before,
 * minus the send/receive ring arrays the connections hold (allocated on first use), is divided by 2N. The Linux
 * kernel's per-socket slab object sizes from
 * /proc/slabinfo (TCP, TCPv6) are printed beside it as the baseline of the same run, and the 4 KiB target.
 *
 * <p>Usage: {@code java -Xmx4g -cp bench/target/benchmarks.jar dev.chimney.bench.host.ConnectionMemoryBench
 * [connections] [bufferBytes] [mode]}; defaults 100000, 1024 (0: TcpConfig's defaults) and {@code idle}. The
 * buffer arrays are subtracted as held (array header plus allocated bytes), so the figure does not depend on the
 * buffer size chosen. Modes:
 * {@code idle} measures connections that never carried data; {@code exchanged} lets each client send a 100-byte
 * request and its server answer 1,300 bytes first (an idle keep-alive connection; the total then includes the
 * buffer storage such a connection still holds); {@code timewait} also has the server close after answering and
 * the client close on end of stream, and measures the server's TIME_WAIT connections (what ApacheBench leaves for
 * 60 s per request; the client side is gone, so the figures are per TIME_WAIT connection, not per pair end).
 */
public final class ConnectionMemoryBench {
    private static final long MS = 1_000_000L;
    private static final Ipv4Address CLIENT = Ipv4Address.parse("10.77.0.1");
    private static final Ipv4Address SERVER = Ipv4Address.parse("10.77.0.2");
    /** Connections per server port (the ephemeral range is ~64k; stay well below it so port search is short). */
    private static final int PER_PORT = 25_000;

    private ConnectionMemoryBench() {
    }

    /** An in-memory wire: copies each segment and hands it to the other engine on the next poll. */
    static final class Pipe implements Pollable {
        private record InFlight(IpAddress src, IpAddress dst, TcpSegment segment, int to) {
        }

        final ArrayDeque<InFlight> queue = new ArrayDeque<>();
        final TcpStack[] stacks = new TcpStack[2];

        TcpOutput output(int side) {
            return new TcpOutput() {
                @Override
                public void transmit(IpAddress source, IpAddress destination, TcpSegment segment, TcpCached ip) {
                    queue.add(new InFlight(source, destination, segment.copy(), 1 - side));
                }
            };
        }

        @Override
        public int poll(long nowNs, int budget) {
            int n = 0;
            while (n < budget && !queue.isEmpty()) {
                InFlight f = queue.poll();
                stacks[f.to].onSegment(nowNs, f.src, f.dst, f.segment);
                n++;
            }
            return n;
        }

        @Override
        public long nextWorkNs() {
            return queue.isEmpty() ? Long.MAX_VALUE : 0;
        }
    }

    static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int bufferBytes = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        String mode = args.length > 2 ? args[2] : "idle";
        if (!List.of("idle", "exchanged", "timewait").contains(mode)) {
            throw new IllegalArgumentException("mode must be idle, exchanged or timewait, got " + mode);
        }
        boolean exchange = !mode.equals("idle");
        boolean timeWait = mode.equals("timewait");
        Simulator sim = new Simulator(20261125L);
        EventLoop wireLoop = sim.newLoop("wire");
        EventLoop loopA = sim.newLoop("client");
        EventLoop loopB = sim.newLoop("server");
        Pipe pipe = new Pipe();
        wireLoop.register(pipe);
        TcpConfig.Builder buffers = bufferBytes > 0
                ? TcpConfig.builder().sendBufferBytes(bufferBytes).receiveBufferBytes(bufferBytes)
                : TcpConfig.builder(); // 0: the defaults
        TcpConfig config = buffers
                .synQueueLimit(connections + 16).acceptBacklog(connections + 16).ephemeralPorts(1024, 65535).build();
        TcpStack client = new TcpStack(loopA, config, pipe.output(0), sim.random().fork("client"));
        TcpStack server = new TcpStack(loopB, config, pipe.output(1), sim.random().fork("server"));
        pipe.stacks[0] = client;
        pipe.stacks[1] = server;
        int ports = (connections + PER_PORT - 1) / PER_PORT;
        List<TcpConnection> accepted = new ArrayList<>(connections);
        byte[] request = new byte[100];
        byte[] response = new byte[1300];
        byte[] sink = new byte[4096];
        // exchanged / timewait: the server answers 100 bytes with 1,300 (and closes, for timewait)
        TcpConnection.Listener serverApp = new TcpConnection.Listener() {
            @Override
            public void onReadable(TcpConnection c) {
                int n = c.read(sink, 0, sink.length);
                if (n > 0) {
                    c.write(response, 0, response.length);
                    if (timeWait) {
                        c.close();
                    }
                }
            }
        };
        TcpConnection.Listener clientApp = new TcpConnection.Listener() {
            @Override
            public void onConnected(TcpConnection c) {
                if (exchange) {
                    c.write(request, 0, request.length);
                }
            }

            @Override
            public void onReadable(TcpConnection c) {
                while (c.read(sink, 0, sink.length) > 0) {
                    // the response
                }
                if (c.isEndOfStream()) {
                    c.close();
                }
            }
        };
        for (int p = 0; p < ports; p++) {
            server.listen(SERVER, 5001 + p, l -> {
                TcpConnection c;
                while ((c = l.accept()) != null) {
                    accepted.add(c);
                    if (exchange) {
                        c.listener(serverApp);
                    }
                }
            });
        }
        List<TcpConnection> opened = new ArrayList<>(connections);
        sim.runFor(MS);
        long before = usedHeapAfterGc();
        long t0 = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            // distinct local ports per server port: a random one could hit a 4-tuple still in TIME_WAIT (timewait mode)
            opened.add(client.connect(CLIENT, 1024 + i % PER_PORT, SERVER, 5001 + i / PER_PORT, clientApp));
            if (i % 1000 == 999) {
                sim.runFor(MS);
            }
        }
        sim.runFor(100 * MS);
        long setupNs = System.nanoTime() - t0;
        int established = 0;
        TcpState expected = timeWait ? TcpState.CLOSED : TcpState.ESTABLISHED;
        for (TcpConnection c : opened) {
            established += c.state() == expected ? 1 : 0;
        }
        expected = timeWait ? TcpState.TIME_WAIT : TcpState.ESTABLISHED;
        for (TcpConnection c : accepted) {
            established += c.state() == expected ? 1 : 0;
        }
        if (established != 2 * connections) {
            java.util.Map<String, Integer> states = new java.util.TreeMap<>();
            for (TcpConnection c : opened) {
                states.merge("client " + c.state(), 1, Integer::sum);
            }
            for (TcpConnection c : accepted) {
                states.merge("server " + c.state(), 1, Integer::sum);
            }
            throw new IllegalStateException("only " + established + " of " + 2 * connections + " " + states
                    + " connection ends got where mode " + mode + " takes them; raise the run time or check the"
                    + " limits");
        }
        if (timeWait) {
            opened.clear(); // the clients are CLOSED and gone from their stack: only the TIME_WAIT ends remain
        }
        long after = usedHeapAfterGc();
        // Rings are allocated on first use, so count what the connections actually hold: the array bytes plus an
        // array header per ring (one ring when the bytes fit one buffer, two otherwise).
        long bufferHeap = 0;
        for (List<TcpConnection> side : List.of(opened, accepted)) {
            for (TcpConnection c : side) {
                long b = c.bufferBytesAllocated();
                int rings = b == 0 ? 0 : b <= bufferBytes ? 1 : 2; // a ring is at most bufferBytes
                bufferHeap += b + 16L * rings;
            }
        }
        int ends = timeWait ? connections : 2 * connections;
        double perConnectionBuffers = bufferHeap / (double) ends;
        double total = (double) (after - before) / ends;
        double withoutBuffers = total - perConnectionBuffers;
        System.out.printf(Locale.ROOT, "connections: %d pairs, mode %s (%d engine connections measured), %.1f s to"
                + " open%n", connections, mode, ends, setupNs / 1e9);
        System.out.printf(Locale.ROOT, "heap per connection, all:              %8.0f B%n", total);
        System.out.printf(Locale.ROOT, "  of which send+receive ring arrays:    %8.0f B (taken on first use, given"
                + " back empty; %s)%n", perConnectionBuffers, bufferBytes > 0 ? bufferBytes + "-byte buffers"
                : "default buffer sizes");
        System.out.printf(Locale.ROOT, "heap per idle connection, no buffers:  %8.0f B   target <= 4096 B  (%.2fx of"
                + " target)%n", withoutBuffers, withoutBuffers / 4096.0);
        printKernelBaseline(withoutBuffers);
        // Keep everything reachable until measured.
        if (opened.size() + accepted.size() != ends) {
            throw new AssertionError();
        }
    }

    /** The Linux kernel's per-socket object sizes (slab), the baseline of the same machine and run. */
    static void printKernelBaseline(double ours) {
        Path slab = Path.of("/proc/slabinfo");
        if (!Files.isReadable(slab)) {
            System.out.println("linux baseline: /proc/slabinfo not readable (needs root); no kernel figure");
            return;
        }
        try {
            for (String line : Files.readAllLines(slab)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && (f[0].equals("TCP") || f[0].equals("TCPv6") || f[0].equals("tcp_bind_bucket"))) {
                    int objSize = Integer.parseInt(f[3]);
                    System.out.printf(Locale.ROOT, "linux baseline: slab %-16s %6d B per object  (ours %.2fx)%n",
                            f[0], objSize, ours / objSize);
                }
            }
        } catch (Exception e) {
            System.out.println("linux baseline: could not read /proc/slabinfo: " + e);
        }
    }
}
