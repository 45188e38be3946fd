package dev.chimney.bench.host;

import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.VirtualWire;
import dev.chimney.link.tap.TapDevice;
import dev.chimney.link.tap.TapOptions;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.SystemClock;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpState;
import dev.chimney.tcp.cc.CongestionControls;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.MacAddress;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Bulk TCP throughput of the host stack, one case per invocation (bench/run-throughput.sh runs the cases and the
 * Linux baselines in one run and prints the ratios):
 * <ul>
 *   <li>{@code tap-sink}: the stack on a TAP (in an existing namespace) listens and discards; the Linux side sends
 *       (the script times the sender). Prints bytes received and the stack-side rate.</li>
 *   <li>{@code tap-source}: the stack connects to a Linux listener and sends {@code --bytes} zero bytes; prints the
 *       rate from connected to the FIN acknowledged.</li>
 *   <li>{@code memory}: two stacks on one event loop joined by the in-memory virtual wire (no impairments, real
 *       clock), one sends {@code --bytes} to the other; prints the rate and the heap bytes the loop thread allocated
 *       per TCP segment in the second half of the transfer (steady state).</li>
 * </ul>
 * Options: {@code --netns NS --tap NAME --mtu BYTES --vnet true|false --addr 10.77.1.1/24 --peer 10.77.1.2
 * --port 5001 --bytes N --buffer BYTES}. Congestion control is CUBIC, as on the Linux side.
 */
public final class ThroughputBench {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ThroughputBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: ThroughputBench tap-sink|tap-source|memory [--option value]...");
        }
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        switch (args[0]) {
            case "tap-sink" -> tap(o, false);
            case "tap-source" -> tap(o, true);
            case "memory" -> memory(o);
            default -> throw new IllegalArgumentException("unknown case " + args[0]
                    + "; use tap-sink, tap-source or memory");
        }
    }

    static TcpConfig tcpConfig(Map<String, String> o) {
        int buffer = Integer.parseInt(o.getOrDefault("buffer", String.valueOf(4 * 1024 * 1024)));
        return TcpConfig.builder().sendBufferBytes(buffer).receiveBufferBytes(buffer)
                .congestionAlgorithm(CongestionControls.Algorithm.CUBIC).build();
    }

    /** Discards everything it reads; counts bytes; signals at end of stream. */
    static final class Sink implements TcpConnection.Listener {
        private final byte[] buf = new byte[256 * 1024];
        final CountDownLatch done = new CountDownLatch(1);
        volatile long bytes;
        volatile long firstNs;
        volatile long lastNs;

        @Override
        public void onConnected(TcpConnection c) {
            firstNs = System.nanoTime();
        }

        @Override
        public void onReadable(TcpConnection c) {
            long b = bytes;
            while (true) {
                int n = c.read(buf, 0, buf.length);
                if (n < 0) {
                    lastNs = System.nanoTime();
                    bytes = b;
                    c.close();
                    done.countDown();
                    return;
                }
                if (n == 0) {
                    break;
                }
                b += n;
            }
            bytes = b;
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            lastNs = lastNs == 0 ? System.nanoTime() : lastNs;
            done.countDown();
        }
    }

    /** Writes {@code total} zero bytes, then shuts down; signals once the FIN is acknowledged or the end. */
    static final class Source implements TcpConnection.Listener {
        private final java.lang.foreign.MemorySegment zeros =
                java.lang.foreign.MemorySegment.ofArray(new byte[256 * 1024]);
        private final long total;
        final CountDownLatch done = new CountDownLatch(1);
        volatile long written;
        volatile long connectedNs;
        volatile long finishedNs;
        CloseReason reason;
        private boolean shut;

        Source(long total) {
            this.total = total;
        }

        @Override
        public void onConnected(TcpConnection c) {
            connectedNs = System.nanoTime();
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            long w = written;
            while (w < total) {
                int n = c.write(zeros, 0, (int) Math.min(zeros.byteSize(), total - w));
                if (n == 0) {
                    break;
                }
                w += n;
            }
            written = w;
            if (w == total && !shut) {
                shut = true;
                c.shutdownOutput();
            }
            checkDone(c);
        }

        @Override
        public void onReadable(TcpConnection c) {
            byte[] b = new byte[4096];
            while (c.read(b, 0, b.length) > 0) {
                // the peer sends nothing; drain anyway
            }
            checkDone(c);
        }

        private void checkDone(TcpConnection c) {
            if (shut && c.unacknowledgedBytes() == 0 && finishedNs == 0 && (c.state() == TcpState.FIN_WAIT_2
                    || c.state() == TcpState.TIME_WAIT || c.state() == TcpState.CLOSED)) {
                finishedNs = System.nanoTime();
                done.countDown();
            }
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason r) {
            reason = r;
            if (finishedNs == 0) {
                finishedNs = System.nanoTime();
            }
            done.countDown();
        }
    }

    static void tap(Map<String, String> o, boolean source) throws Exception {
        String netns = o.get("netns");
        int mtu = Integer.parseInt(o.getOrDefault("mtu", "1500"));
        boolean vnet = Boolean.parseBoolean(o.getOrDefault("vnet", "true"));
        TapOptions options = TapOptions.named(o.getOrDefault("tap", "chytap0")).withMtu(mtu).withVnetHeader(vnet);
        TapDevice tap = netns == null ? TapDevice.open(options) : TapDevice.openInNamespace(netns, options);
        tap.setLinkUp(true);
        EventLoop loop = new EventLoop("bench", SystemClock.INSTANCE);
        loop.ioWaiter(tap.ioWaiter());
        NetworkStack host = NetworkStack.builder(loop).random(new SeededRandom(1))
                .tcpConfig(tcpConfig(o))
                .iface(tap, InterfaceConfig.of("tap", MacAddress.parse("02:77:00:00:01:01")).withMtu(mtu)
                        .withIpv4(o.getOrDefault("addr", "10.77.1.1/24")))
                .build();
        int port = Integer.parseInt(o.getOrDefault("port", "5001"));
        long timeoutS = Long.parseLong(o.getOrDefault("timeout", "120"));
        host.start();
        try {
            if (source) {
                long bytes = Long.parseLong(o.getOrDefault("bytes", "2000000000"));
                Source s = new Source(bytes);
                Ipv4Address peer = Ipv4Address.parse(o.getOrDefault("peer", "10.77.1.2"));
                loop.execute(() -> host.connect(peer, port, s));
                if (!s.done.await(timeoutS, TimeUnit.SECONDS) || s.written < bytes) {
                    throw new IllegalStateException("source did not finish: wrote " + s.written + " of " + bytes
                            + ", reason " + s.reason);
                }
                double seconds = (s.finishedNs - s.connectedNs) / 1e9;
                System.out.printf(Locale.ROOT, "RESULT tap-source mtu=%d vnet=%s bytes=%d seconds=%.3f gbps=%.3f"
                        + " retransmits=%d%n", mtu, vnet, bytes, seconds, bytes * 8 / seconds / 1e9,
                        host.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS));
            } else {
                Sink s = new Sink();
                loop.execute(() -> host.listen(port, l -> {
                    TcpConnection c;
                    while ((c = l.accept()) != null) {
                        c.listener(s);
                        s.onConnected(c);
                        s.onReadable(c);
                    }
                }));
                System.out.println("READY");
                System.out.flush();
                if (!s.done.await(timeoutS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("sink saw no end of stream; got " + s.bytes + " bytes");
                }
                double seconds = (s.lastNs - s.firstNs) / 1e9;
                System.out.printf(Locale.ROOT, "RESULT tap-sink mtu=%d vnet=%s bytes=%d seconds=%.3f gbps=%.3f%n",
                        mtu, vnet, s.bytes, seconds, s.bytes * 8 / seconds / 1e9);
            }
            Thread.sleep(200);
        } finally {
            host.close();
        }
    }

    /** Two stacks, one loop, in-memory wire, real clock; the test thread runs the loop. */
    static void memory(Map<String, String> o) {
        long bytes = Long.parseLong(o.getOrDefault("bytes", "2000000000"));
        int mtu = Integer.parseInt(o.getOrDefault("mtu", "1500"));
        EventLoop loop = new EventLoop("mem", SystemClock.INSTANCE);
        VirtualWire wire = VirtualWire.builder("mem", SystemClock.INSTANCE, new SeededRandom(7)).mtu(mtu)
                .maxInFlightFrames(65_536).build();
        TcpConfig tcp = tcpConfig(o);
        NetworkStack a = NetworkStack.builder(loop).random(new SeededRandom(1)).tcpConfig(tcp)
                .iface(wire.a(), InterfaceConfig.of("a0", MacAddress.parse("02:77:00:00:02:01")).withMtu(mtu)
                        .withIpv4("10.77.2.1/24"))
                .build();
        NetworkStack b = NetworkStack.builder(loop).random(new SeededRandom(2)).tcpConfig(tcp)
                .iface(wire.b(), InterfaceConfig.of("b0", MacAddress.parse("02:77:00:00:02:02")).withMtu(mtu)
                        .withIpv4("10.77.2.2/24"))
                .build();
        Sink sink = new Sink();
        b.listen(5001, l -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                c.listener(sink);
                sink.onConnected(c);
            }
        });
        Source source = new Source(bytes);
        a.connect(Ipv4Address.parse("10.77.2.2"), 5001, source);
        long threadId = Thread.currentThread().threadId();
        long cpuStartNs = THREADS.getCurrentThreadCpuTime();
        long halfAllocated = -1;
        long halfSegments = 0;
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (sink.done.getCount() > 0 && System.nanoTime() < deadline) {
            loop.runOnce();
            if (halfAllocated < 0 && sink.bytes >= bytes / 2) {
                halfAllocated = THREADS.getThreadAllocatedBytes(threadId);
                halfSegments = a.tcp().counter(TcpCounter.SEGMENTS_OUT) + b.tcp().counter(TcpCounter.SEGMENTS_OUT);
            }
        }
        long cpuNs = THREADS.getCurrentThreadCpuTime() - cpuStartNs;
        long allocated = THREADS.getThreadAllocatedBytes(threadId) - halfAllocated;
        long segments = a.tcp().counter(TcpCounter.SEGMENTS_OUT) + b.tcp().counter(TcpCounter.SEGMENTS_OUT)
                - halfSegments;
        if (sink.bytes != bytes) {
            throw new IllegalStateException("memory transfer incomplete: " + sink.bytes + " of " + bytes);
        }
        double seconds = (sink.lastNs - sink.firstNs) / 1e9;
        // CPU time of the one thread that runs both stacks: throughput per CPU-second does not depend on how much
        // of a core a loaded machine grants.
        System.out.printf(Locale.ROOT, "RESULT memory mtu=%d bytes=%d seconds=%.3f gbps=%.3f cpu_seconds=%.3f"
                + " gbps_per_cpu=%.3f alloc_bytes_per_segment=%.2f segments=%d retransmits=%d%n", mtu, bytes, seconds,
                bytes * 8 / seconds / 1e9, cpuNs / 1e9, bytes * 8 / (cpuNs / 1e9) / 1e9,
                (double) allocated / Math.max(1, segments), segments,
                a.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS));
    }
}
