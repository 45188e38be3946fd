package dev.chimney.bench.host;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.chimney.team.TeamTarget;
import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualSwitch;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpOutput;
import dev.chimney.tcp.TcpSnapshot;
import dev.chimney.tcp.TcpStack;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.MacAddress;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * Issue 7's team figures, each beside its baseline in the same run (bench/run-team.sh runs them):
 * <ul>
 *   <li>{@code upload --connections N}: host A with a {@link TeamTarget} of two soft targets on a virtual switch,
 *       peer B on a third port, all under one {@link Simulator} (virtual time: every loop runs on this thread, so
 *       the wall and CPU time of a phase is the CPU cost of host, team, targets and peer together). N idle
 *       established connections are offloaded in initiate trees of the upload-all batch size (baseline 1), taken
 *       back by the member's UPLOAD_ALL until the manager is DRAINED (the figure), copied host-to-host with {@link
 *       TcpConnection#export()} and {@link TcpConnection#importFrom} into a bare engine (baseline 2: the TCP state
 *       move alone, no chimney), offloaded again by RESUME, and moved to the other member by a team failover.
 *       Each phase prints wall time, this thread's CPU time, bytes it allocated, heap retained before and after
 *       (used heap after a full GC) and the peak of used heap during the phase (see {@link HeapPeak}).</li>
 *   <li>{@code failover --bytes B}: one bulk transfer through the team over 1 Gbit/s links, in virtual time,
 *       counted at the receiver in fixed buckets, A sending and A receiving; per direction, in one process: on the
 *       host path and offloaded with no failover (the baselines), offloaded with a failover on command when half has
 *       arrived and with the active member's link cut at that moment, and the same two on the host path. Prints
 *       the steady rate, the lowest bucket after the failover, the time until the rate is back to 90 % of steady
 *       and the total transfer time of each run.</li>
 * </ul>
 */
public final class TeamBench {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    static final MacAddress MAC_A = MacAddress.parse("02:77:00:00:07:01");
    static final MacAddress MAC_B = MacAddress.parse("02:77:00:00:07:02");
    static final Ipv4Address A = Ipv4Address.parse("10.77.7.1");
    static final Ipv4Address B = Ipv4Address.parse("10.77.7.2");
    static final int PORT = 5001;
    /** Connections per listening port of B: one (A, B, port) tuple has 64,512 ephemeral ports; stay well below. */
    static final int PER_PORT = 25_000;
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;

    private TeamBench() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: TeamBench upload|failover [--option value]...");
        }
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        switch (args[0]) {
            case "upload" -> upload(o).forEach(System.out::println);
            case "failover" -> failover(o).forEach(System.out::println);
            default -> throw new IllegalArgumentException("unknown case " + args[0] + "; use upload or failover");
        }
    }

    /**
     * Host A (offload manager) → team → nic0 / nic1, each on its own port of one virtual switch; peer B on a third.
     * Every loop belongs to one {@link Simulator}.
     */
    static final class Rig {
        final Simulator sim;
        final VirtualSwitch sw;
        final VirtualWire.Port port0;
        final VirtualWire.Port port1;
        final VirtualWire.Port portB;
        final SoftOffloadTarget nic0;
        final SoftOffloadTarget nic1;
        final TeamTarget team;
        final NetworkStack a;
        final NetworkStack b;
        final OffloadManager manager;

        Rig(long seed, int capacity, TcpConfig tcp, TcpConfig nicTcp, Impairments link, OffloadPolicy policy,
                int batch) {
            sim = new Simulator(seed);
            sw = VirtualSwitch.builder("sw", sim).maxInFlightFrames(65_536).build();
            port0 = sw.newPort("n0", link);
            port1 = sw.newPort("n1", link);
            portB = sw.newPort("b", link);
            EventLoop loopA = sim.newLoop("a");
            nic0 = nic("nic0", sim.newLoop("nic0"), port0, loopA, nicTcp, capacity);
            nic1 = nic("nic1", sim.newLoop("nic1"), port1, loopA, nicTcp, capacity);
            team = TeamTarget.builder(loopA, MAC_A).name("team").member(nic0).member(nic1).build();
            a = NetworkStack.builder(loopA).random(sim.random().fork("a")).tcpConfig(tcp)
                    .iface(team.hostPort(), InterfaceConfig.of("a0", MAC_A).withIpv4(A + "/24"))
                    .offload(team, policy).offloadParameters(OffloadParameters.DEFAULTS).build();
            manager = a.offload();
            manager.uploadAllBatchSize(batch);
            b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                    .iface(portB, InterfaceConfig.of("b0", MAC_B).withIpv4(B + "/24")).build();
            // static neighbor entries: the N SYNs go out at once instead of waiting on ARP
            a.ip().neighbors(a.interfaces().getFirst(), false).addStatic(B, MAC_B, 0);
            b.ip().neighbors(b.interfaces().getFirst(), false).addStatic(A, MAC_A, 0);
        }

        private SoftOffloadTarget nic(String name, EventLoop loop, VirtualWire.Port port, EventLoop hostLoop,
                TcpConfig nicTcp, int capacity) {
            return SoftOffloadTarget.builder(loop, port).name(name).hostLoop(hostLoop).mac(MAC_A)
                    .random(sim.random().fork(name)).tcpConfig(nicTcp)
                    .capabilities(SoftOffloadTarget.DEFAULT_CAPABILITIES.withCapacity(capacity)).build();
        }
    }

    // ============================================================================================ heap and CPU

    /**
     * Peak of used heap while armed. Used heap only grows between two collections, so its peak is the largest of
     * (a) the used heap just before each collection during the phase — the collector's own figure, from its
     * notification ({@code memoryUsageBeforeGc}, heap pools summed) — and (b) the used heap at the phase's end.
     * Nothing is sampled, so nothing between samples is missed; it depends on when the collector runs (the young
     * generation's size), which is why the retained heap after a full GC is printed too.
     */
    static final class HeapPeak {
        private final Set<String> heapPools = new HashSet<>();
        private volatile boolean armed;
        private volatile long peak;
        private volatile long seen;

        HeapPeak() {
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    heapPools.add(p.getName());
                }
            }
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((NotificationEmitter) gc).addNotificationListener((n, handback) -> {
                    if (!n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                        return;
                    }
                    var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                    long used = 0;
                    for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageBeforeGc().entrySet()) {
                        if (heapPools.contains(e.getKey())) {
                            used += e.getValue().getUsed();
                        }
                    }
                    synchronized (this) {
                        if (armed) {
                            peak = Math.max(peak, used);
                        }
                        seen++;
                    }
                }, null, null);
            }
        }

        static long collections() {
            long n = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                n += Math.max(0, gc.getCollectionCount());
            }
            return n;
        }

        /** Collections before the listeners were registered (they send no notification here). */
        private final long before = collections();

        /**
         * Waits until the notification of every collection so far arrived: they come on the JMX service thread
         * shortly after each collection, and one from before {@link #arm} must not count as the phase's peak.
         */
        private void catchUp() {
            long want = collections() - before;
            long deadline = System.nanoTime() + 2 * S;
            while (seen < want && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }

        void arm() {
            catchUp();
            synchronized (this) {
                peak = 0;
                armed = true;
            }
        }

        /** Stops watching once every collection's notification arrived; returns the peak. */
        long disarm(long usedNow) {
            catchUp();
            synchronized (this) {
                armed = false;
                return Math.max(peak, usedNow);
            }
        }
    }

    static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Used heap after two full collections (the second one takes what the first one's reference processing freed). */
    static long usedHeapAfterGc() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            best = Math.min(best, usedHeap());
        }
        return best;
    }

    /** One measured phase. */
    record Phase(String name, int connections, long wallNs, long cpuNs, long allocated, long retainedBefore,
            long peak, long retainedAfter, long gcs) {
        String row() {
            return String.format(Locale.ROOT, "| %-44s | %,9d | %8.3f | %8.3f | %7.2f | %8.0f | %8.0f | %8.0f | %3d |",
                    name, connections, wallNs / 1e9, cpuNs / 1e9, cpuNs / 1e3 / connections,
                    allocated / 1048576.0, (peak - retainedBefore) / 1048576.0,
                    (retainedAfter - retainedBefore) / 1048576.0, gcs);
        }

        static String header() {
            return "| phase                                        |         N |   wall s |    cpu s | cpu µs/c |"
                    + " alloc MB | peak+ MB | kept+ MB | GCs |\n"
                    + "|----------------------------------------------|----------:|---------:|---------:|--------:|"
                    + "---------:|---------:|---------:|----:|";
        }

        String result() {
            return String.format(Locale.ROOT, "RESULT phase=%s connections=%d wall_s=%.4f cpu_s=%.4f alloc_bytes=%d "
                    + "retained_before=%d peak_used=%d retained_after=%d gcs=%d", name.replace(' ', '_'),
                    connections, wallNs / 1e9, cpuNs / 1e9, allocated, retainedBefore, peak, retainedAfter, gcs);
        }
    }

    /**
     * Runs {@code start}, then the simulator until {@code done}; measures the whole of it (see {@link Phase}). A full
     * GC before gives the retained baseline; one after, what the phase left retained.
     */
    static Phase measure(String name, int n, Simulator sim, HeapPeak heap, Runnable start, BooleanSupplier done) {
        long before = usedHeapAfterGc();
        long gc0 = HeapPeak.collections();
        heap.arm();
        long alloc0 = THREADS.getCurrentThreadAllocatedBytes();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long wall0 = System.currentTimeMillis();
        long t0 = System.nanoTime();
        start.run();
        boolean ok = sim.runUntil(done, sim.nowNs() + 120 * S);
        long t1 = System.nanoTime();
        // for lining a profile up with the phase (JFR samples carry wall-clock times)
        System.err.printf(Locale.ROOT, "PHASE %s from %tT.%<tL to %tT.%<tL%n", name, wall0, System.currentTimeMillis());
        long cpu1 = THREADS.getCurrentThreadCpuTime();
        long alloc1 = THREADS.getCurrentThreadAllocatedBytes();
        long gcs = HeapPeak.collections() - gc0;
        long peak = heap.disarm(usedHeap());
        if (!ok) {
            throw new IllegalStateException(name + ": not done after 120 s of virtual time");
        }
        long after = usedHeapAfterGc();
        return new Phase(name, n, t1 - t0, cpu1 - cpu0, alloc1 - alloc0, before, peak, after, gcs);
    }

    // ================================================================================================= upload

    /** Counts connections that reached ESTABLISHED; otherwise idle. */
    static final class Idle implements TcpConnection.Listener {
        int connected;
        int closed;

        @Override
        public void onConnected(TcpConnection c) {
            connected++;
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed++;
        }
    }

    /**
     * {@code --connections N --batch B --buffer BYTES --team-failover true|false --warmup W}: the whole sequence
     * first with W connections (default 5,000; output dropped) so the JIT has compiled the paths every phase uses.
     */
    static List<String> upload(Map<String, String> o) {
        int n = Integer.parseInt(o.getOrDefault("connections", "10000"));
        int batch = Integer.parseInt(o.getOrDefault("batch", String.valueOf(OffloadManager.DEFAULT_UPLOAD_ALL_BATCH)));
        int buffer = Integer.parseInt(o.getOrDefault("buffer", "1024"));
        boolean failover = Boolean.parseBoolean(o.getOrDefault("team-failover", "true"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "5000"));
        HeapPeak heap = new HeapPeak();
        if (warmup > 0) {
            upload(warmup, batch, buffer, failover, heap);
        }
        return upload(n, batch, buffer, failover, heap);
    }

    static List<String> upload(int n, int batch, int buffer, boolean failover, HeapPeak heap) {
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(buffer).receiveBufferBytes(buffer)
                .synQueueLimit(n + 16).acceptBacklog(n + 16).ephemeralPorts(1024, 65535).build();
        Rig r = new Rig(20261205L, n + 16, tcp, tcp, Impairments.NONE.withDelay(50_000, 0),
                OffloadPolicy.explicit(), batch);
        r.sim.maxStepsPerInstant(Math.max(Simulator.DEFAULT_MAX_STEPS_PER_INSTANT, 20 * n));
        int ports = (n + PER_PORT - 1) / PER_PORT;
        List<TcpConnection> accepted = new ArrayList<>(n);
        for (int p = 0; p < ports; p++) {
            r.b.listen(PORT + p, l -> {
                TcpConnection c;
                while ((c = l.accept()) != null) {
                    accepted.add(c);
                }
            });
        }
        Idle app = new Idle();
        List<TcpConnection> conns = new ArrayList<>(n);
        long setup0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            conns.add(r.a.connect(B, PORT + i / PER_PORT, app));
            if (i % 1000 == 999) {
                r.sim.runFor(MS); // a thousand handshakes per millisecond keep the switch's queues short
            }
        }
        if (!r.sim.runUntil(() -> app.connected == n && accepted.size() == n, r.sim.nowNs() + 60 * S)) {
            throw new IllegalStateException("only " + app.connected + " of " + n + " connected, " + accepted.size()
                    + " accepted");
        }
        double setupS = (System.nanoTime() - setup0) / 1e9;
        OffloadManager om = r.manager;
        List<Phase> phases = new ArrayList<>();

        // baseline 1: the same N offloaded in initiate trees of the upload-all batch size; the first carries the
        // path and neighbor, so the others are issued once it completed (else they would wait for the path and go
        // down as one tree)
        phases.add(measure("bulk initiate (baseline 1)", n, r.sim, heap, () -> {
            int first = Math.min(n, batch);
            om.offload(conns.subList(0, first));
            // completed, not only issued (offloadedConnections() counts a connection from its initiate on)
            check(r.sim.runUntil(() -> om.counter(OffloadCounter.CONNECTIONS_OFFLOADED) == first,
                    r.sim.nowNs() + 10 * S), "the first tree did not complete");
            for (int i = first; i < n; i += batch) {
                om.offload(conns.subList(i, Math.min(n, i + batch)));
            }
        }, () -> om.offloadedConnections() == n && om.counter(OffloadCounter.CONNECTIONS_OFFLOADED) == n));
        check(r.nic0.offloadedConnections() == n, "nic0 holds " + r.nic0.offloadedConnections() + " of " + n);

        // the figure: UPLOAD_ALL from the member's indication until the manager is DRAINED
        long uploaded0 = om.counter(OffloadCounter.CONNECTIONS_UPLOADED);
        long terminates0 = om.counter(OffloadCounter.TERMINATES);
        phases.add(measure("UPLOAD_ALL → DRAINED", n, r.sim, heap, () -> r.nic0.indicate(StatusIndication.UPLOAD_ALL),
                () -> om.admission() == OffloadManager.Admission.DRAINED));
        long trees = om.counter(OffloadCounter.TERMINATES) - terminates0;
        check(om.counter(OffloadCounter.CONNECTIONS_UPLOADED) - uploaded0 == n && om.offloadedConnections() == 0
                && r.nic0.offloadedConnections() == 0, "uploaded " + (om.counter(OffloadCounter.CONNECTIONS_UPLOADED)
                - uploaded0) + " of " + n + "; " + om);
        for (TcpConnection c : conns) {
            check(c.state() == TcpState.ESTABLISHED && !c.isParked(), "back on the host: " + c);
        }

        // baseline 2: the TCP state move alone — export() each host connection, importFrom() into a bare engine
        EventLoop copyLoop = r.sim.newLoop("copy");
        List<TcpConnection> copies = new ArrayList<>(n);
        TcpStack[] bare = new TcpStack[1];
        phases.add(measure("export()+importFrom(), host-only (baseline 2)", n, r.sim, heap, () -> {
            bare[0] = new TcpStack(copyLoop, tcp, new Discard(), r.sim.random().fork("copy"));
            for (TcpConnection c : conns) {
                TcpSnapshot s = c.export();
                copies.add(TcpConnection.importFrom(s, bare[0], app));
            }
        }, () -> true));
        check(copies.size() == n, "copied " + copies.size());
        for (TcpConnection c : copies) {
            c.detach(); // the copies go; the host's own connections stay
        }
        copies.clear();
        bare[0] = null;

        // RESUME: the host offloads them again (the manager's own re-offload after an upload-all)
        phases.add(measure("RESUME → all re-offloaded", n, r.sim, heap,
                () -> r.nic0.indicate(StatusIndication.OFFLOAD_RESUME),
                () -> om.offloadedConnections() == n && om.deferredConnections() == 0));

        if (failover) {
            // team failover: PAUSE → UPLOAD_ALL → switch → RESUME → re-offloaded on the other member
            phases.add(measure("team failover → all on nic1", n, r.sim, heap, r.team::failover,
                    () -> r.team.failovers() == 1 && om.offloadedConnections() == n
                            && om.deferredConnections() == 0));
            check(r.nic1.offloadedConnections() == n, "nic1 holds " + r.nic1.offloadedConnections());
        }
        check(app.closed == 0 && om.counter(OffloadCounter.CONNECTIONS_LOST) == 0
                && om.counter(OffloadCounter.PROTOCOL_VIOLATIONS) == 0, "a connection was lost: " + om);

        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "# team upload: %,d idle connections, %d B buffers, batch %d (%d terminate"
                + " trees in the UPLOAD_ALL), set-up %.1f s; %s, max heap %d MB, %d cores, load %s", n, buffer, batch,
                trees, setupS, Runtime.version(), Runtime.getRuntime().maxMemory() >> 20,
                Runtime.getRuntime().availableProcessors(), load()));
        out.add(Phase.header());
        for (Phase p : phases) {
            out.add(p.row());
        }
        for (Phase p : phases) {
            out.add(p.result());
        }
        keep(conns, accepted, r);
        return out;
    }

    /** A bare engine's output: the copies are idle and are never asked to send. */
    static final class Discard implements TcpOutput {
        @Override
        public void transmit(dev.chimney.wire.IpAddress source, dev.chimney.wire.IpAddress destination,
                dev.chimney.tcp.TcpSegment segment, dev.chimney.tcp.TcpCached ipParams) {
        }
    }

    private static void keep(Object... objects) {
        if (Arrays.asList(objects).contains(null)) {
            throw new AssertionError(); // keeps everything reachable until measured
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ", 4)[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    // =============================================================================================== failover

    /** The byte at stream offset {@code k}: a period (251, prime) that no segment or buffer size divides. */
    static byte pattern(long k) {
        return (byte) (k % 251);
    }

    /** Writes {@code total} pattern bytes, then shuts down. */
    static final class PatternSource implements TcpConnection.Listener {
        private static final byte[] PATTERN = new byte[251 * 1024];

        static {
            for (int i = 0; i < PATTERN.length; i++) {
                PATTERN[i] = pattern(i);
            }
        }

        private final long total;
        long written;
        private boolean shut;

        PatternSource(long total) {
            this.total = total;
        }

        @Override
        public void onConnected(TcpConnection c) {
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            while (written < total) {
                int at = (int) (written % 251);
                int n = c.write(PATTERN, at, (int) Math.min(PATTERN.length - at, total - written));
                if (n == 0) {
                    break;
                }
                written += n;
            }
            if (written == total && !shut) {
                shut = true;
                c.shutdownOutput();
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            byte[] b = new byte[4096];
            while (c.read(b, 0, b.length) > 0) {
                // the peer sends nothing
            }
        }
    }

    /** Reads, checks every byte against the pattern, and counts arrivals per bucket of virtual time. */
    static final class BucketSink implements TcpConnection.Listener {
        private final byte[] buf = new byte[256 * 1024];
        private final Simulator sim;
        private final long bucketNs;
        final long[] buckets;
        long received;
        long firstNs = -1;
        long lastNs;
        long mismatchAt = -1;
        boolean ended;

        BucketSink(Simulator sim, long bucketNs, int maxBuckets) {
            this.sim = sim;
            this.bucketNs = bucketNs;
            this.buckets = new long[maxBuckets];
        }

        @Override
        public void onReadable(TcpConnection c) {
            while (true) {
                int n = c.read(buf, 0, buf.length);
                if (n < 0) {
                    ended = true;
                    c.close();
                    return;
                }
                if (n == 0) {
                    return;
                }
                long now = sim.nowNs();
                if (firstNs < 0) {
                    firstNs = now;
                }
                lastNs = now;
                for (int i = 0; i < n && mismatchAt < 0; i++) {
                    if (buf[i] != pattern(received + i)) {
                        mismatchAt = received + i;
                    }
                }
                buckets[(int) Math.min(buckets.length - 1, now / bucketNs)] += n;
                received += n;
            }
        }
    }

    /** One transfer's outcome, times in virtual ns. */
    record Transfer(String kind, boolean offloaded, long[] buckets, long bucketNs, long firstNs, long lastNs,
            long failoverAtNs, long failoverDoneNs, long retransmits, long duplicatesAtPeer) {
        double totalS() {
            return (lastNs - firstNs) / 1e9;
        }

        /** Gbit/s of bucket {@code i}. */
        double rate(int i) {
            return buckets[i] * 8.0 / bucketNs;
        }

        /** The last bucket that is full of transfer (the one the last byte arrived in is not). */
        int lastFull() {
            return (int) (lastNs / bucketNs) - 1;
        }

        /** Median bucket between 20 % and 80 % of the transfer: its steady rate. */
        double steady() {
            int from = (int) ((firstNs + (lastNs - firstNs) / 5) / bucketNs);
            int to = (int) ((firstNs + (lastNs - firstNs) * 4 / 5) / bucketNs);
            double[] r = new double[Math.max(1, to - from)];
            for (int i = from; i < to; i++) {
                r[i - from] = rate(i);
            }
            Arrays.sort(r);
            return r[r.length / 2];
        }
    }

    /**
     * A bulk transfer through the team, in virtual time, offloaded (policy all) or on the host path (explicit:
     * never offloaded); {@code kind} none (no failover), command ({@link TeamTarget#failover()} when half the bytes
     * have arrived) or link (member 0's link cut then, both ways, and the team told, as a PHY would).
     */
    static Transfer transfer(String kind, boolean offload, boolean aSends, long bytes, long rateBps, long delayNs,
            long bucketNs, int buffer) {
        Impairments link = Impairments.NONE.withDelay(delayNs, 0)
                .withRate(rateBps, (int) Math.max(64 << 10, rateBps / 8 / 50)); // a 20 ms queue, a NIC's ring
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(buffer).receiveBufferBytes(buffer).build();
        Rig r = new Rig(20261206L, 16, tcp, tcp, link, offload ? OffloadPolicy.allEstablished()
                : OffloadPolicy.explicit(), OffloadManager.DEFAULT_UPLOAD_ALL_BATCH);
        BucketSink sink = new BucketSink(r.sim, bucketNs, 100_000);
        PatternSource source = new PatternSource(bytes);
        NetworkStack sender = aSends ? r.a : r.b;
        NetworkStack receiver = aSends ? r.b : r.a;
        receiver.listen(PORT, l -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                c.listener(sink);
                sink.onReadable(c);
            }
        });
        sender.connect(aSends ? B : A, PORT, source);
        long failoverAt = -1;
        long failoverDone = -1;
        if (!kind.equals("none")) {
            check(r.sim.runUntil(() -> sink.received >= bytes / 2, r.sim.nowNs() + 600 * S), "half not reached");
            check(r.manager.offloadedConnections() == (offload ? 1 : 0), "offloaded: " + r.manager);
            failoverAt = r.sim.nowNs();
            if (kind.equals("command")) {
                r.team.failover();
            } else {
                Impairments cut = Impairments.NONE.withLoss(1.0);
                r.port0.outbound().impairments(cut);
                r.port0.inbound().impairments(cut);
                r.team.linkStatus(0, false);
            }
            check(r.sim.runUntil(() -> r.team.failovers() == 1, r.sim.nowNs() + 60 * S), "no failover");
            failoverDone = r.sim.nowNs();
        }
        check(r.sim.runUntil(() -> sink.ended, r.sim.nowNs() + 600 * S), kind + ": transfer did not end, "
                + sink.received + " of " + bytes);
        check(sink.received == bytes && sink.mismatchAt < 0, kind + ": " + sink.received + " of " + bytes
                + " bytes, first wrong byte at " + sink.mismatchAt);
        if (!kind.equals("none") && offload) {
            check(r.nic1.offloadedConnections() == 1 && r.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED) == 1,
                    "the connection did not move to member 1: " + r.manager);
        }
        long[] rtx = {-1};
        if (aSends) { // the host's engine and the team's members together (merged statistics, spec §5.4.4)
            r.a.statistics(st -> rtx[0] = st.tcpRetransmittedSegments());
            check(r.sim.runUntil(() -> rtx[0] >= 0, r.sim.nowNs() + S), "no statistics");
        } else {
            rtx[0] = r.b.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS);
        }
        // segments B received twice (it answers each with a D-SACK, RFC 2883); A's engine is the target's
        long dup = aSends ? r.b.tcp().counter(TcpCounter.DSACKS_SENT) : -1;
        return new Transfer(kind, offload, Arrays.copyOf(sink.buckets, (int) (sink.lastNs / bucketNs) + 1),
                bucketNs, sink.firstNs, sink.lastNs, failoverAt, failoverDone, rtx[0], dup);
    }

    /**
     * {@code --bytes B --rate BITS --delay-us US --bucket-ms MS --buffer BYTES}: per direction, the transfer on the
     * host path and offloaded without failover (the baselines), then offloaded with a failover on command and with
     * the link cut, and on the host path with the same two failovers (the team's port switch alone).
     */
    static List<String> failover(Map<String, String> o) {
        long bytes = Long.parseLong(o.getOrDefault("bytes", "100000000"));
        long rate = Long.parseLong(o.getOrDefault("rate", "1000000000"));
        long delayNs = Long.parseLong(o.getOrDefault("delay-us", "100")) * 1000;
        long bucketNs = Long.parseLong(o.getOrDefault("bucket-ms", "10")) * MS;
        int buffer = Integer.parseInt(o.getOrDefault("buffer", String.valueOf(1 << 20)));
        int shown = Integer.parseInt(o.getOrDefault("window-buckets", "12")); // buckets after t_f in RESULT lines
        List<String> out = new ArrayList<>();
        List<String> results = new ArrayList<>();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        out.add(String.format(Locale.ROOT, "# failover dip: %,d bytes, %.1f Gbit/s links (20 ms queues), %d µs "
                + "one-way per switch port, %d KiB buffers, %d ms buckets, virtual time", bytes, rate / 1e9,
                delayNs / 1000, buffer >> 10, bucketNs / MS));
        out.add("| direction | run | total s | steady Gbit/s | min bucket after t_f (of no-failover steady) | "
                + "min, same buckets, no failover | back to ≥ 90 % after t_f | retransmitted | duplicates at B |");
        out.add("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for (boolean aSends : new boolean[] {true, false}) {
            String dir = aSends ? "A sends" : "A receives";
            Transfer hostPath = transfer("none", false, aSends, bytes, rate, delayNs, bucketNs, buffer);
            Transfer none = transfer("none", true, aSends, bytes, rate, delayNs, bucketNs, buffer);
            double steady = none.steady();
            for (Transfer base : List.of(hostPath, none)) {
                results.add(String.format(Locale.ROOT, "RESULT baseline direction=%s offloaded=%s total_s=%.4f "
                        + "steady_gbps=%.4f first_buckets=%s", aSends ? "send" : "receive", base.offloaded(),
                        base.totalS(), base.steady(), window(base, 0, shown)));
                out.add(String.format(Locale.ROOT, "| %s | %s, no failover | %.3f | %.3f | - | - | - | %d | %s |",
                        dir, base.offloaded() ? "offloaded" : "host path", base.totalS(), base.steady(),
                        base.retransmits(), dup(base)));
            }
            for (String[] run : new String[][] {{"command", "true"}, {"link", "true"}, {"command", "false"},
                    {"link", "false"}}) {
                boolean offload = Boolean.parseBoolean(run[1]);
                Transfer t = transfer(run[0], offload, aSends, bytes, rate, delayNs, bucketNs, buffer);
                Transfer ref = offload ? none : hostPath;
                double refSteady = ref.steady();
                int from = (int) (t.failoverAtNs() / bucketNs);
                int to = Math.min(t.lastFull(), ref.lastFull());
                double min = Double.MAX_VALUE;
                double minRef = Double.MAX_VALUE;
                for (int i = from; i <= to; i++) {
                    min = Math.min(min, t.rate(i));
                    minRef = Math.min(minRef, ref.rate(i));
                }
                int lastBelow = -1;
                for (int i = from; i <= t.lastFull(); i++) {
                    if (t.rate(i) < 0.9 * refSteady) {
                        lastBelow = i;
                    }
                }
                double recoveryMs = lastBelow < 0 ? 0 : ((lastBelow + 1) * bucketNs - t.failoverAtNs()) / 1e6;
                out.add(String.format(Locale.ROOT, "| %s | %s, failover (%s) at %.3f s | %.3f (%+.3f) | %.3f | "
                        + "%.3f (%.0f %%) | %.3f | %.0f ms | %d | %s |", dir, offload ? "offloaded" : "host path",
                        run[0], t.failoverAtNs() / 1e9, t.totalS(), t.totalS() - ref.totalS(), t.steady(), min,
                        100 * min / refSteady, minRef, recoveryMs, t.retransmits(), dup(t)));
                results.add(String.format(Locale.ROOT, "RESULT failover direction=%s offloaded=%s kind=%s "
                        + "total_s=%.4f baseline_total_s=%.4f steady_gbps=%.4f min_bucket_gbps=%.4f "
                        + "baseline_min_gbps=%.4f recovery_ms=%.1f failover_virtual_ms=%.3f buckets_from_tf-3=%s",
                        aSends ? "send" : "receive", offload, run[0], t.totalS(), ref.totalS(), refSteady, min,
                        minRef, recoveryMs, (t.failoverDoneNs() - t.failoverAtNs()) / 1e6,
                        window(t, from - 3, from + shown)));
            }
        }
        out.add(String.format(Locale.ROOT, "# %.1f CPU-seconds for the %d simulated transfers; load %s",
                (THREADS.getCurrentThreadCpuTime() - cpu0) / 1e9, 12, load()));
        out.addAll(results);
        return out;
    }

    private static String dup(Transfer t) {
        return t.duplicatesAtPeer() < 0 ? "-" : String.valueOf(t.duplicatesAtPeer());
    }

    /** Bucket rates (Gbit/s) from {@code from} to {@code to}, for the record. */
    static String window(Transfer t, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, from); i <= Math.min(to, t.buckets().length - 1); i++) {
            sb.append(sb.isEmpty() ? "" : ",").append(String.format(Locale.ROOT, "%.2f", t.rate(i)));
        }
        return sb.toString();
    }
}
