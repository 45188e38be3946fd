package dev.chimney.bench.host;

import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.host.ChimneyStatistics;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.host.OffloadState;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.LoopBridge;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.tap.TapDevice;
import dev.chimney.link.tap.TapOptions;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.IdleStrategy;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.runtime.SystemClock;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.MacAddress;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The TCP chimney's figures, each case beside its baseline in one run (bench/run-chimney.sh runs them all):
 * <ul>
 *   <li>{@code memory --mode none|host|offload --direction send|receive}: bulk throughput in memory, real time, every
 *       loop on its own {@link LoopThread}: host A and peer B joined by a {@link LoopBridge} ({@code none}: no
 *       target), or with A's soft offload target between them as its NIC on a third thread — the connection on the
 *       host path through the pass-through ({@code host}) or offloaded after its handshake ({@code offload}). A sends
 *       to B or B to A; prints Gbit/s, the CPU seconds of all loop threads and the target's share of the bytes.</li>
 *   <li>{@code tap-sink} / {@code tap-source} {@code --offload none|explicit|all}: the stack on a TAP in an existing
 *       namespace ({@link ThroughputBench}'s cases), with the soft target owning the TAP on its own thread unless
 *       {@code none}; the script times the Linux peer.</li>
 *   <li>{@code moves --connections N}: offload + terminate round trips on real threads (host, target, peer), N
 *       idle established connections moved as one initiate tree and one terminate tree per round.</li>
 *   <li>{@code heap --connections N}: retained heap per connection, host-only against offloaded (host side plus
 *       target side), under the simulator.</li>
 * </ul>
 * Options: {@code --bytes N --mtu BYTES --buffer BYTES --idle park|spin|backoff --seconds S}; TAP options as {@link
 * ThroughputBench}.
 */
public final class ChimneyBench {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    static final MacAddress MAC_A = MacAddress.parse("02:77:00:00:03:01");
    static final MacAddress MAC_B = MacAddress.parse("02:77:00:00:03:02");
    static final Ipv4Address A = Ipv4Address.parse("10.77.3.1");
    static final Ipv4Address B = Ipv4Address.parse("10.77.3.2");
    static final int PORT = 5001;

    private ChimneyBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: ChimneyBench memory|tap-sink|tap-source|moves|heap "
                    + "[--option value]...");
        }
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        switch (args[0]) {
            case "memory" -> memory(o);
            case "tap-sink" -> tap(o, false);
            case "tap-source" -> tap(o, true);
            case "moves" -> moves(o);
            case "heap" -> heap(o);
            default -> throw new IllegalArgumentException("unknown case " + args[0]
                    + "; use memory, tap-sink, tap-source, moves or heap");
        }
        System.exit(0); // loop threads of a failed run must not keep the JVM alive
    }

    /** Host A (with its soft target unless mode none) and peer B, each loop on its own thread. */
    static final class Pair implements AutoCloseable {
        final NetworkStack a;
        final NetworkStack b;
        final SoftOffloadTarget nic;
        final List<Thread> threads = new ArrayList<>();
        private final LoopThread nicThread;

        Pair(String mode, TcpConfig tcp, int mtu, String idle, OffloadPolicy policy, int capacity,
                int indicationBytes) {
            EventLoop hostLoop = loop("a", idle);
            EventLoop peerLoop = loop("b", idle);
            EventLoop nicLoop = mode.equals("none") ? null : loop("a-nic", idle);
            LoopBridge wire = LoopBridge.builder("wire", nicLoop != null ? nicLoop : hostLoop, peerLoop).mtu(mtu)
                    .ringFrames(4096).build();
            NetworkPort portA = wire.a();
            NetworkStack.Builder ab = NetworkStack.builder(hostLoop).random(new SeededRandom(1)).tcpConfig(tcp);
            if (nicLoop != null) {
                OffloadCapabilities d = SoftOffloadTarget.DEFAULT_CAPABILITIES;
                SoftOffloadTarget.Builder nb = SoftOffloadTarget.builder(nicLoop, wire.a()).name("a-nic")
                        .hostLoop(hostLoop).mac(MAC_A)
                        .tcpConfig(tcp).random(new SeededRandom(3)).maxObjects(Integer.MAX_VALUE)
                        .capabilities(new OffloadCapabilities(true, true, false, true, capacity, capacity, 1024,
                                d.maxInitialRcvWnd(), d.maxPathMtu(), true, true));
                if (indicationBytes > 0) {
                    nb.indicationBuffers(indicationBuffers(indicationBytes), indicationBytes);
                }
                nic = nb.build();
                portA = nic.hostPort();
                ab.offload(nic, policy);
            } else {
                nic = null;
            }
            a = ab.iface(portA, InterfaceConfig.of("a0", MAC_A).withMtu(mtu).withIpv4(A + "/24")).build();
            b = NetworkStack.builder(peerLoop).random(new SeededRandom(2)).tcpConfig(tcp)
                    .iface(wire.b(), InterfaceConfig.of("b0", MAC_B).withMtu(mtu).withIpv4(B + "/24")).build();
            threads.add(a.start().thread());
            threads.add(b.start().thread());
            nicThread = nicLoop == null ? null : LoopThread.start(nicLoop);
            if (nicThread != null) {
                threads.add(nicThread.thread());
            }
        }

        long cpuNs() {
            long sum = 0;
            for (Thread t : threads) {
                sum += Math.max(0, THREADS.getThreadCpuTime(t.threadId()));
            }
            return sum;
        }

        @Override
        public void close() {
            a.close();
            b.close();
            if (nicThread != null) {
                nicThread.close();
            }
        }
    }

    /**
     * {@code --indication-bytes}: every receive-indication buffer this size (0, the default: the target's own, 64 KiB
     * doubling up to 1 MiB as the data ready needs).
     */
    static int indicationBytes(Map<String, String> o) {
        return Integer.parseInt(o.getOrDefault("indication-bytes", "0"));
    }

    /** As many buffers as make 64 MiB with the host at most, as the target's default (1024 x 64 KiB). */
    static int indicationBuffers(int bytes) {
        return Math.max(16, (64 << 20) / bytes);
    }

    static EventLoop loop(String name, String idle) {
        EventLoop l = new EventLoop(name, SystemClock.INSTANCE);
        l.idleStrategy(IdleStrategy.parse(idle));
        return l;
    }

    static <T> T on(NetworkStack s, Supplier<T> task) {
        return s.callOnLoop(task::get);
    }

    static ChimneyStatistics statistics(NetworkStack s) throws Exception {
        CompletableFuture<ChimneyStatistics> f = new CompletableFuture<>();
        s.loop().execute(() -> s.statistics(f::complete));
        return f.get(10, TimeUnit.SECONDS);
    }

    // ================================================================================================== memory

    static void memory(Map<String, String> o) throws Exception {
        String mode = o.getOrDefault("mode", "offload");
        boolean send = o.getOrDefault("direction", "send").equals("send");
        long bytes = Long.parseLong(o.getOrDefault("bytes", "1000000000"));
        int mtu = Integer.parseInt(o.getOrDefault("mtu", "1500"));
        String idle = o.getOrDefault("idle", "backoff");
        if (!List.of("none", "host", "offload").contains(mode)) {
            throw new IllegalArgumentException("--mode must be none, host or offload, got " + mode);
        }
        TcpConfig tcp = ThroughputBench.tcpConfig(o);
        OffloadPolicy policy = mode.equals("offload") ? OffloadPolicy.allEstablished() : OffloadPolicy.explicit();
        try (Pair p = new Pair(mode, tcp, mtu, idle, policy, 4096, indicationBytes(o))) {
            NetworkStack sender = send ? p.a : p.b;
            NetworkStack receiver = send ? p.b : p.a;
            Ipv4Address to = send ? B : A;
            ThroughputBench.Sink sink = new ThroughputBench.Sink();
            on(receiver, () -> receiver.listen(PORT, l -> {
                TcpConnection c;
                while ((c = l.accept()) != null) {
                    c.listener(sink);
                    sink.onConnected(c);
                    sink.onReadable(c);
                }
            }));
            ThroughputBench.Source source = new ThroughputBench.Source(bytes);
            long cpu0 = p.cpuNs();
            on(sender, () -> sender.connect(to, PORT, source));
            if (!sink.done.await(300, TimeUnit.SECONDS) || sink.bytes != bytes) {
                throw new IllegalStateException("memory transfer incomplete: " + sink.bytes + " of " + bytes);
            }
            long cpuNs = p.cpuNs() - cpu0;
            double seconds = (sink.lastNs - sink.firstNs) / 1e9;
            double share = 0;
            long requests = 0;
            if (p.nic != null) {
                ChimneyStatistics st = statistics(p.a);
                long targetBytes = send ? st.target().ipv4().outOctets() : st.target().ipv4().inOctets();
                share = (double) targetBytes / bytes;
                OffloadManager om = p.a.offload();
                requests = on(p.a, () -> om.counter(send ? OffloadCounter.SEND_REQUESTS
                        : OffloadCounter.RECEIVE_INDICATIONS));
            }
            // requests: send requests (A sends) or receive indications (A receives) the chimney carried
            System.out.printf(Locale.ROOT, "RESULT memory mode=%s direction=%s mtu=%d idle=%s bytes=%d seconds=%.3f "
                    + "gbps=%.3f cpu_seconds=%.3f gbps_per_cpu=%.3f target_share=%.3f retransmits=%d "
                    + "chimney_requests=%d bytes_per_request=%.0f%n", mode, send ? "send" : "receive", mtu, idle,
                    bytes, seconds, bytes * 8 / seconds / 1e9, cpuNs / 1e9, bytes * 8 / (cpuNs / 1e9) / 1e9, share,
                    on(sender, () -> sender.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS)), requests,
                    requests == 0 ? 0.0 : (double) bytes / requests);
        }
    }

    // ===================================================================================================== tap

    static void tap(Map<String, String> o, boolean source) throws Exception {
        String offload = o.getOrDefault("offload", "none");
        String netns = o.get("netns");
        int mtu = Integer.parseInt(o.getOrDefault("mtu", "1500"));
        boolean vnet = Boolean.parseBoolean(o.getOrDefault("vnet", "true"));
        String idle = o.getOrDefault("idle", "backoff");
        TapOptions options = TapOptions.named(o.getOrDefault("tap", "chytap0")).withMtu(mtu).withVnetHeader(vnet);
        TapDevice tap = netns == null ? TapDevice.open(options) : TapDevice.openInNamespace(netns, options);
        tap.setLinkUp(true);
        EventLoop loop = loop("bench", idle);
        loop.pollBudget(TapDevice.RECOMMENDED_POLL_BUDGET);
        EventLoop tapLoop = loop;
        TcpConfig tcp = ThroughputBench.tcpConfig(o);
        NetworkStack.Builder builder = NetworkStack.builder(loop).random(new SeededRandom(1)).tcpConfig(tcp);
        NetworkPort port = tap;
        SoftOffloadTarget nic = null;
        if (!offload.equals("none")) {
            tapLoop = loop("bench-nic", idle);
            tapLoop.pollBudget(TapDevice.RECOMMENDED_POLL_BUDGET);
            int ib = indicationBytes(o);
            SoftOffloadTarget.Builder nb = SoftOffloadTarget.builder(tapLoop, tap).name("nic").hostLoop(loop)
                    .mac(MAC_A).tcpConfig(tcp).random(new SeededRandom(3));
            if (ib > 0) {
                nb.indicationBuffers(indicationBuffers(ib), ib);
            }
            nic = nb.build();
            port = nic.hostPort();
            builder.offload(nic, OffloadPolicy.parse(offload));
        }
        tapLoop.ioWaiter(tap.ioWaiter());
        NetworkStack host = builder.iface(port, InterfaceConfig.of("tap", MAC_A).withMtu(mtu)
                .withIpv4(o.getOrDefault("addr", "10.77.1.1/24"))).build();
        int p = Integer.parseInt(o.getOrDefault("port", "5001"));
        long timeoutS = Long.parseLong(o.getOrDefault("timeout", "120"));
        LoopThread nicThread = nic == null ? null : LoopThread.start(tapLoop);
        LoopThread hostThread = host.start();
        List<Thread> threads = new ArrayList<>(List.of(hostThread.thread()));
        if (nicThread != null) {
            threads.add(nicThread.thread());
        }
        long cpu0 = cpu(threads);
        try {
            String result;
            long bytes;
            double seconds;
            if (source) {
                bytes = Long.parseLong(o.getOrDefault("bytes", "2000000000"));
                ThroughputBench.Source s = new ThroughputBench.Source(bytes);
                Ipv4Address peer = Ipv4Address.parse(o.getOrDefault("peer", "10.77.1.2"));
                loop.execute(() -> host.connect(peer, p, s));
                if (!s.done.await(timeoutS, TimeUnit.SECONDS) || s.written < bytes) {
                    throw new IllegalStateException("source did not finish: wrote " + s.written + " of " + bytes
                            + ", reason " + s.reason);
                }
                seconds = (s.finishedNs - s.connectedNs) / 1e9;
                result = "tap-source";
            } else {
                ThroughputBench.Sink s = new ThroughputBench.Sink();
                loop.execute(() -> host.listen(p, l -> {
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
                bytes = s.bytes;
                seconds = (s.lastNs - s.firstNs) / 1e9;
                result = "tap-sink";
            }
            long cpuNs = cpu(threads) - cpu0;
            Thread.sleep(200);
            double share = 0;
            if (nic != null) {
                ChimneyStatistics st = statistics(host);
                long targetBytes = source ? st.target().ipv4().outOctets() : st.target().ipv4().inOctets();
                share = (double) targetBytes / bytes;
            }
            System.out.printf(Locale.ROOT, "RESULT %s offload=%s mtu=%d vnet=%s bytes=%d seconds=%.3f gbps=%.3f "
                    + "cpu_seconds=%.3f target_share=%.3f%n", result, offload, mtu, vnet, bytes, seconds,
                    bytes * 8 / seconds / 1e9, cpuNs / 1e9, share);
        } finally {
            host.close();
            if (nicThread != null) {
                nicThread.close();
            }
            tap.close();
        }
    }

    static long cpu(List<Thread> threads) {
        long sum = 0;
        for (Thread t : threads) {
            sum += Math.max(0, THREADS.getThreadCpuTime(t.threadId()));
        }
        return sum;
    }

    // =================================================================================================== moves

    /**
     * Offload + terminate round trips: N idle connections A → B, offloaded as one tree, terminated as one tree, again
     * and again for {@code --seconds}; every step is chained on the host loop from the manager's listener, so the
     * figure is the chimney's own latency (host loop → target loop → host loop, twice), not the driver's.
     */
    static void moves(Map<String, String> o) throws Exception {
        int n = Integer.parseInt(o.getOrDefault("connections", "1"));
        double runSeconds = Double.parseDouble(o.getOrDefault("seconds", "5"));
        String idle = o.getOrDefault("idle", "backoff");
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(64 * 1024).receiveBufferBytes(64 * 1024)
                .synQueueLimit(n + 16).acceptBacklog(n + 16).build();
        try (Pair p = new Pair("host", tcp, 1500, idle, OffloadPolicy.explicit(), Math.max(4096, n),
                indicationBytes(o))) {
            on(p.b, () -> p.b.listen(PORT, l -> {
                while (l.accept() != null) {
                    // idle connections: accepted and left open
                }
            }));
            List<TcpConnection> conns = on(p.a, () -> {
                List<TcpConnection> list = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    list.add(p.a.connect(B, PORT, new TcpConnection.Listener() {
                    }));
                }
                return list;
            });
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (on(p.a, () -> conns.stream().filter(c -> c.state() == TcpState.ESTABLISHED).count()) < n) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("connections did not all establish");
                }
                Thread.sleep(20);
            }
            OffloadManager om = p.a.offload();
            AtomicLong rounds = new AtomicLong();
            long[] counts = new long[2];
            long stopAt = System.nanoTime() + (long) (runSeconds * 1e9);
            CountDownLatch done = new CountDownLatch(1);
            long cpu0 = p.cpuNs();
            long t0 = System.nanoTime();
            on(p.a, () -> {
                om.addListener(new OffloadManager.Listener() {
                    @Override
                    public void onOffloaded(TcpConnection c) {
                        if (++counts[0] == n) {
                            counts[0] = 0;
                            om.terminate(conns);
                        }
                    }

                    @Override
                    public void onOffloadFailed(TcpConnection c, dev.chimney.chimney.OffloadStatus status) {
                        throw new IllegalStateException("offload failed: " + status);
                    }

                    @Override
                    public void onUploaded(TcpConnection c) {
                        if (++counts[1] == n) {
                            counts[1] = 0;
                            rounds.incrementAndGet();
                            if (System.nanoTime() < stopAt) {
                                om.offload(conns);
                            } else {
                                done.countDown();
                            }
                        }
                    }
                });
                om.offload(conns);
                return null;
            });
            if (!done.await((long) runSeconds + 60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("moves did not finish: " + rounds.get() + " rounds; "
                        + on(p.a, om::toString));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long cpuNs = p.cpuNs() - cpu0;
            boolean allBack = on(p.a, () -> conns.stream().allMatch(c -> om.state(c) == OffloadState.NOT_OFFLOADED
                    && c.state() == TcpState.ESTABLISHED));
            if (!allBack) {
                throw new IllegalStateException("a connection did not come back established: " + on(p.a,
                        om::toString));
            }
            long r = rounds.get();
            System.out.printf(Locale.ROOT, "RESULT moves connections=%d rounds=%d seconds=%.3f round_trips_per_s=%.1f "
                    + "connection_moves_per_s=%.0f us_per_round_trip=%.1f cpu_us_per_connection_move=%.2f%n", n, r,
                    seconds, r / seconds, r * n / seconds, seconds / r * 1e6, cpuNs / 1e3 / (r * n));
        }
    }

    // ==================================================================================================== heap

    /**
     * Retained heap per connection: N connections A → B under the simulator (A with its soft target), measured
     * after a full GC when established on the host, when offloaded, and when back. Host-only: (established − before)
     * / 2N (both ends alike, as ConnectionMemoryBench); offloaded: that plus (offloaded − established) / N, which is
     * A's manager record, its target connection context and the target engine's connection.
     */
    static void heap(Map<String, String> o) {
        int n = Integer.parseInt(o.getOrDefault("connections", "4000"));
        int buffer = Integer.parseInt(o.getOrDefault("buffer", "1024"));
        Simulator sim = new Simulator(20261204L);
        EventLoop hostLoop = sim.newLoop("a");
        EventLoop nicLoop = sim.newLoop("a-nic");
        EventLoop peerLoop = sim.newLoop("b");
        LoopBridge wire = LoopBridge.builder("wire", nicLoop, peerLoop).ringFrames(16_384).build();
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(buffer).receiveBufferBytes(buffer)
                .synQueueLimit(n + 16).acceptBacklog(n + 16).ephemeralPorts(1024, 65535).build();
        OffloadCapabilities d = SoftOffloadTarget.DEFAULT_CAPABILITIES;
        SoftOffloadTarget nic = SoftOffloadTarget.builder(nicLoop, wire.a()).name("a-nic").hostLoop(hostLoop)
                .mac(MAC_A).tcpConfig(tcp).random(sim.random().fork("nic"))
                .capabilities(new OffloadCapabilities(true, true, false, true, n + 16, 1024, 1024,
                        d.maxInitialRcvWnd(), d.maxPathMtu(), true, true)).build();
        NetworkStack a = NetworkStack.builder(hostLoop).random(sim.random().fork("a")).tcpConfig(tcp)
                .offload(nic, OffloadPolicy.explicit())
                .iface(nic.hostPort(), InterfaceConfig.of("a0", MAC_A).withIpv4(A + "/24")).build();
        NetworkStack b = NetworkStack.builder(peerLoop).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(wire.b(), InterfaceConfig.of("b0", MAC_B).withIpv4(B + "/24")).build();
        List<TcpConnection> accepted = new ArrayList<>(n);
        b.listen(PORT, l -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                accepted.add(c);
            }
        });
        sim.runFor(10_000_000L);
        long before = ConnectionMemoryBench.usedHeapAfterGc();
        List<TcpConnection> opened = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            opened.add(a.connect(B, PORT, new TcpConnection.Listener() {
            }));
            if (i % 500 == 499) {
                sim.runFor(1_000_000L);
            }
        }
        sim.runUntil(() -> accepted.size() == n && opened.stream().allMatch(c -> c.state() == TcpState.ESTABLISHED),
                sim.nowNs() + 60_000_000_000L);
        if (accepted.size() != n) {
            throw new IllegalStateException("only " + accepted.size() + " of " + n + " connections accepted");
        }
        long established = ConnectionMemoryBench.usedHeapAfterGc();
        OffloadManager om = a.offload();
        int went = om.offload(opened);
        sim.runUntil(() -> opened.stream().allMatch(c -> om.state(c) == OffloadState.OFFLOADED),
                sim.nowNs() + 10_000_000_000L);
        if (went != n || om.offloadedConnections() != n) {
            throw new IllegalStateException("offloaded " + om.offloadedConnections() + " of " + n + ": " + om);
        }
        long offloaded = ConnectionMemoryBench.usedHeapAfterGc();
        om.terminate(opened);
        sim.runUntil(() -> om.offloadedConnections() == 0, sim.nowNs() + 10_000_000_000L);
        long back = ConnectionMemoryBench.usedHeapAfterGc();
        double hostOnly = (double) (established - before) / (2.0 * n);
        double extra = (double) (offloaded - established) / n;
        System.out.printf(Locale.ROOT, "RESULT heap connections=%d buffer=%d host_only_bytes=%.0f "
                + "offloaded_bytes=%.0f offload_extra_bytes=%.0f ratio=%.2f back_on_host_bytes=%.0f%n", n, buffer,
                hostOnly, hostOnly + extra, extra, (hostOnly + extra) / hostOnly,
                hostOnly + (double) (back - established) / n);
        if (opened.size() + accepted.size() != 2 * n || nic.loop() == null) {
            throw new AssertionError(); // keep everything reachable until measured
        }
    }
}
