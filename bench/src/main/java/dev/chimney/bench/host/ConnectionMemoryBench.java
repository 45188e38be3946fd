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
 * [connections] [bufferBytes]}; defaults 100000 and 1024. The buffer arrays are subtracted as held (array header
 * plus allocated bytes), so the figure does not depend on the buffer size chosen.
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
        Simulator sim = new Simulator(20261125L);
        EventLoop wireLoop = sim.newLoop("wire");
        EventLoop loopA = sim.newLoop("client");
        EventLoop loopB = sim.newLoop("server");
        Pipe pipe = new Pipe();
        wireLoop.register(pipe);
        TcpConfig config = TcpConfig.builder().sendBufferBytes(bufferBytes).receiveBufferBytes(bufferBytes)
                .synQueueLimit(connections + 16).acceptBacklog(connections + 16).ephemeralPorts(1024, 65535).build();
        TcpStack client = new TcpStack(loopA, config, pipe.output(0), sim.random().fork("client"));
        TcpStack server = new TcpStack(loopB, config, pipe.output(1), sim.random().fork("server"));
        pipe.stacks[0] = client;
        pipe.stacks[1] = server;
        int ports = (connections + PER_PORT - 1) / PER_PORT;
        List<TcpConnection> accepted = new ArrayList<>(connections);
        for (int p = 0; p < ports; p++) {
            server.listen(SERVER, 5001 + p, l -> {
                TcpConnection c;
                while ((c = l.accept()) != null) {
                    accepted.add(c);
                }
            });
        }
        List<TcpConnection> opened = new ArrayList<>(connections);
        sim.runFor(MS);
        long before = usedHeapAfterGc();
        long t0 = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            opened.add(client.connect(CLIENT, SERVER, 5001 + i / PER_PORT, new TcpConnection.Listener() {
            }));
            if (i % 1000 == 999) {
                sim.runFor(MS);
            }
        }
        sim.runFor(100 * MS);
        long setupNs = System.nanoTime() - t0;
        int established = 0;
        for (TcpConnection c : opened) {
            established += c.state() == TcpState.ESTABLISHED ? 1 : 0;
        }
        for (TcpConnection c : accepted) {
            established += c.state() == TcpState.ESTABLISHED ? 1 : 0;
        }
        if (established != 2 * connections) {
            throw new IllegalStateException("only " + established + " of " + 2 * connections
                    + " connection ends established; raise the run time or check the limits");
        }
        long after = usedHeapAfterGc();
        // Rings are allocated on first use, so count what the connections actually hold: the array bytes plus an
        // array header per ring (one ring when the bytes fit one buffer, two otherwise).
        long bufferHeap = 0;
        for (List<TcpConnection> side : List.of(opened, accepted)) {
            for (TcpConnection c : side) {
                long b = c.bufferBytesAllocated();
                int rings = b == 0 ? 0 : b <= bufferBytes ? 1 : 2;
                bufferHeap += b + 16L * rings;
            }
        }
        double perConnectionBuffers = bufferHeap / (2.0 * connections);
        double total = (double) (after - before) / (2.0 * connections);
        double withoutBuffers = total - perConnectionBuffers;
        System.out.printf(Locale.ROOT, "connections: %d established pairs (%d engine connections), %.1f s to open%n",
                connections, 2 * connections, setupNs / 1e9);
        System.out.printf(Locale.ROOT, "heap per connection, all:              %8.0f B%n", total);
        System.out.printf(Locale.ROOT, "  of which send+receive ring arrays:    %8.0f B (allocated on first use;"
                + " %d-byte rings)%n", perConnectionBuffers, bufferBytes);
        System.out.printf(Locale.ROOT, "heap per idle connection, no buffers:  %8.0f B   target <= 4096 B  (%.2fx of"
                + " target)%n", withoutBuffers, withoutBuffers / 4096.0);
        printKernelBaseline(withoutBuffers);
        // Keep everything reachable until measured.
        if (opened.size() + accepted.size() != 2 * connections) {
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
