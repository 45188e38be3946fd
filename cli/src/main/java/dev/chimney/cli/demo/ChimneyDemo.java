package dev.chimney.cli.demo;

import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.chimney.team.TeamTarget;
import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.DropReason;
import dev.chimney.link.Impairments;
import dev.chimney.link.LoopBridge;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.PcapTap;
import dev.chimney.link.PcapWriter;
import dev.chimney.link.PortPollable;
import dev.chimney.link.VirtualSwitch;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.runtime.Timer;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpListener;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The TCP chimney at work, on the in-memory network: host alice offloads her connections to a team of two soft
 * offload targets (two virtual NICs, one MAC, on two ports of one virtual switch); bob, on a third port whose link
 * loses frames both ways, is the peer. Alice opens {@code connections} connections to bob; each carries {@code bytes}
 * of seeded content each way, checked byte by byte on arrival ({@link DemoStream}). Meanwhile the demo walks the
 * chimney through its life (spec §5.1): the policy offloads every connection mid-stream, the active NIC raises PAUSE,
 * then UPLOAD_ALL (every connection comes back to alice's stack, still transferring), then RESUME (they are offloaded
 * again), and the team fails over to its other NIC (PAUSE, UPLOAD_ALL, switch, RESUME). Not one byte may be lost,
 * duplicated or reordered, and every connection must close normally.
 *
 * <pre>
 *   alice (stack + manager) → team ─┬─ nic0 ── sw.n0 ─┐
 *                                   └─ nic1 ── sw.n1 ─┼─ switch ── sw.b (lossy, captured) ── bob
 * </pre>
 *
 * <p>Virtual time (the default): every loop is a loop of one {@link Simulator}, so the run is deterministic — the
 * same seed gives the same figures and the same capture — and as fast as the CPU allows. Real time: each host, NIC
 * and the switch run on their own loop thread on the system clock, joined by {@link LoopBridge}s, as a deployment's
 * threads would. Everything that reads loop-owned state from the driving thread goes through {@link
 * NetworkStack#callOnLoop} (which runs inline under the simulator).
 */
public final class ChimneyDemo implements AutoCloseable {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final int PORT = 5001;
    /** Each switch port's one-way delay: a frame crosses two, so the round trip is about 4 × this. */
    static final long PORT_DELAY_NS = 100_000;
    /** Each switch port's rate: the NICs' and bob's links are 1 Gbit/s. */
    static final long RATE_BITS_PER_SECOND = 1_000_000_000L;
    /** Frames in the capture keep their headers only (Ethernet + IP + TCP with options fit in 128 bytes). */
    public static final int SNAPLEN = 128;
    static final MacAddress ALICE_MAC = MacAddress.parse("02:c4:00:00:00:0a");
    static final MacAddress BOB_MAC = MacAddress.parse("02:c4:00:00:00:0b");
    static final IpAddress BOB4 = IpAddress.parse("10.77.0.2");
    static final IpAddress BOB6 = IpAddress.parse("fd77::2");
    /** Every fourth connection runs over IPv6: the chimney carries both families. */
    static final int IPV6_EVERY = 4;

    /**
     * What to run.
     *
     * @param connections connections alice opens to bob
     * @param bytes       bytes each way per connection
     * @param lossPercent frame loss on bob's link, each way, in percent
     * @param seed        root seed of everything random (ISNs, ports, loss, content)
     * @param pcap        capture file of bob's link
     * @param realTime    loops on threads with the system clock instead of the simulator
     * @param tamperAt    test hook: alice sends the upload byte at this offset of connection 0 inverted (-1: never)
     */
    public record Settings(int connections, long bytes, double lossPercent, long seed, Path pcap, boolean realTime,
            long tamperAt) {
    }

    /** The steps of the demo, in order. */
    public enum Phase {
        CONNECTING("connecting"),
        ON_HOST("on the host"),
        OFFLOADING("offloading"),
        PAUSED("PAUSE"),
        UPLOAD_ALL("UPLOAD_ALL"),
        RESUMED("RESUME"),
        FAILOVER("team failover"),
        FINISHING("finishing"),
        DONE("done");

        final String label;

        Phase(String label) {
            this.label = label;
        }
    }

    /** What the driving thread sees of the run at one moment (both hosts read on their own loops). */
    public record Snapshot(Phase phase, long elapsedNs, int connections, int established, int offloaded,
            int aliceClosed, int bobClosed, long verified, long expected, OffloadManager.Admission admission,
            int activeNic, long failovers, DemoStream mismatch) {

        /** Alice's connections still open. */
        public int open() {
            return established - aliceClosed;
        }

        boolean finished() {
            return aliceClosed == connections && bobClosed == connections || mismatch != null;
        }

        double share() {
            return expected == 0 ? 1 : (double) verified / expected;
        }
    }

    /** Told about the run as it goes: phase ends and regular ticks (on the driving thread). */
    public interface Observer {
        /** A phase ended: its final state. */
        void onPhase(Snapshot snapshot);


        void onTick(Snapshot snapshot);
    }

    private final Settings settings;
    private final Simulator sim;
    private final List<LoopThread> threads = new ArrayList<>();
    private final List<NetworkPort> fabricPorts = new ArrayList<>();
    private final EventLoop fabricLoop;
    private final VirtualSwitch sw;
    private final VirtualWire.Port swB;
    private final SoftOffloadTarget nic0;
    private final SoftOffloadTarget nic1;
    private final TeamTarget team;
    private final NetworkStack alice;
    private final NetworkStack bob;
    private final OffloadManager manager;
    private final PcapWriter capture;
    private final PcapTap bobTap;
    private final DemoStream.Totals aliceTotals = new DemoStream.Totals();
    private final DemoStream.Totals bobTotals = new DemoStream.Totals();
    private final List<DemoStream> clients = new ArrayList<>();
    private final List<DemoStream> servers = new ArrayList<>();
    /** Status indications alice's manager heard, by kind (alice's loop). */
    private final long[] indications = new long[StatusIndication.values().length];
    private final long startWallNs;
    private long startNs;
    private Phase phase = Phase.CONNECTING;
    private boolean phaseStarted;
    private final List<Phase> skipped = new ArrayList<>();
    private String stall;

    public ChimneyDemo(Settings settings) {
        this.settings = settings;
        this.startWallNs = System.nanoTime();
        long seed = settings.seed();
        SeededRandom root;
        Clock fabricClock;
        if (settings.realTime()) {
            sim = null;
            root = new SeededRandom(seed);
            fabricLoop = new EventLoop("switch", Clock.system());
            fabricClock = fabricLoop.clock();
        } else {
            sim = new Simulator(seed);
            root = sim.random();
            fabricLoop = null;
            fabricClock = sim.clock();
        }
        EventLoop aliceLoop = loop("alice");
        EventLoop nic0Loop = loop("nic0");
        EventLoop nic1Loop = loop("nic1");
        EventLoop bobLoop = loop("bob");

        // a queue of about 20 ms at the rate: a NIC's ring, not a bloated buffer that outlives a failover
        Impairments link = Impairments.NONE.withDelay(PORT_DELAY_NS, 0)
                .withRate(RATE_BITS_PER_SECOND, (int) (RATE_BITS_PER_SECOND / 8 / 50));
        Impairments lossy = link.withLoss(settings.lossPercent() / 100);
        sw = VirtualSwitch.builder("sw", fabricClock, root.fork("switch")).maxInFlightFrames(16_384).build();
        VirtualWire.Port swN0 = sw.newPort("n0", link);
        VirtualWire.Port swN1 = sw.newPort("n1", link);
        swB = sw.newPort("b", lossy);

        try {
            capture = new PcapWriter(Files.newOutputStream(settings.pcap()), bobLoop.clock(),
                    settings.realTime() ? System.currentTimeMillis() * MS - System.nanoTime() : 0, SNAPLEN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the capture file " + settings.pcap() + ": " + e.getMessage(),
                    e);
        }
        int n = settings.connections();
        int bufferBytes = 256 * 1024;
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(bufferBytes).receiveBufferBytes(bufferBytes)
                .synQueueLimit(Math.max(128, 2 * n)).acceptBacklog(Math.max(128, 2 * n)).build();
        // the NICs' engines get send buffers as large as the host's: the most an offload carries in flight
        TcpConfig nicTcp = TcpConfig.builder().sendBufferBytes(bufferBytes).receiveBufferBytes(1).build();
        nic0 = SoftOffloadTarget.builder(nic0Loop, attach("n0", nic0Loop, swN0)).name("nic0").hostLoop(aliceLoop)
                .mac(ALICE_MAC).random(root.fork("nic0")).tcpConfig(nicTcp)
                .capabilities(SoftOffloadTarget.DEFAULT_CAPABILITIES.withCapacity(Math.max(4096, n))).build();
        nic1 = SoftOffloadTarget.builder(nic1Loop, attach("n1", nic1Loop, swN1)).name("nic1").hostLoop(aliceLoop)
                .mac(ALICE_MAC).random(root.fork("nic1")).tcpConfig(nicTcp)
                .capabilities(SoftOffloadTarget.DEFAULT_CAPABILITIES.withCapacity(Math.max(4096, n))).build();
        team = TeamTarget.builder(aliceLoop, ALICE_MAC).name("team").member(nic0).member(nic1).build();
        alice = NetworkStack.builder(aliceLoop).name("alice").random(root.fork("alice")).tcpConfig(tcp)
                .iface(team.hostPort(), InterfaceConfig.of("alice0", ALICE_MAC).withIpv4("10.77.0.1/24")
                        .withIpv6("fd77::1/64"))
                .offload(team, OffloadPolicy.afterBytes(offloadAfterBytes(settings.bytes())))
                .offloadParameters(OffloadParameters.DEFAULTS).build();
        manager = alice.offload();
        manager.addListener(new OffloadManager.Listener() {
            @Override
            public void onStatusIndication(StatusIndication indication, OffloadManager.Admission admission) {
                indications[indication.ordinal()]++;
            }
        });
        bobTap = new PcapTap(attach("b", bobLoop, swB), capture);
        bob = NetworkStack.builder(bobLoop).name("bob").random(root.fork("bob")).tcpConfig(tcp)
                .iface(bobTap, InterfaceConfig.of("bob0", BOB_MAC).withIpv4("10.77.0.2/24").withIpv6("fd77::2/64"))
                .build();
        for (int i = 0; i < n; i++) {
            clients.add(DemoStream.client(i, seed, settings.bytes(), aliceTotals, i == 0 ? settings.tamperAt() : -1));
        }
        if (settings.realTime()) {
            threads.add(LoopThread.start(fabricLoop));
            threads.add(LoopThread.start(nic0Loop));
            threads.add(LoopThread.start(nic1Loop));
            bob.start();
            alice.start();
        }
    }

    /** The policy's threshold: a connection is offloaded once it carried an eighth of its bytes (both ways). */
    static long offloadAfterBytes(long bytes) {
        return Math.max(1, bytes / 4);
    }

    private EventLoop loop(String name) {
        return sim != null ? sim.newLoop(name) : new EventLoop(name, Clock.system());
    }

    /**
     * The port a loop uses to reach switch port {@code swPort}: the port itself under the simulator (one thread runs
     * everything); in real time a bridge to the switch's loop, which pumps frames between its far end and the port.
     */
    private NetworkPort attach(String name, EventLoop loop, VirtualWire.Port swPort) {
        if (sim != null) {
            return swPort;
        }
        LoopBridge bridge = LoopBridge.builder("sw-" + name, loop, fabricLoop).build();
        LoopBridge.Port far = bridge.b();
        fabricLoop.register(PortPollable.of(far, swPort::transmit));
        fabricLoop.register(PortPollable.of(swPort, far::transmit));
        fabricPorts.add(far);
        fabricPorts.add(swPort);
        return bridge.a();
    }

    /**
     * Runs the whole demo: connections, offload, PAUSE, UPLOAD_ALL, RESUME, failover, to the last close.
     *
     * @return the summary
     */
    public DemoResult run(Observer observer) {
        // a run with no byte verified for this long has stalled: report it instead of waiting for ever
        long limitNs = sim != null ? 120 * S : 30 * S;
        startNs = now();
        bob.callOnLoop(() -> bob.listen(PORT, this::acceptAll));
        alice.callOnLoop(() -> {
            openPaced();
            return null;
        });
        enter(Phase.CONNECTING, observer);
        if (await(s -> s.established() == s.connections() || s.share() >= 0.1, limitNs, observer)) {
            enter(Phase.ON_HOST, observer);
            await(s -> s.offloaded() > 0, limitNs, observer);
        }
        if (!finishedNow()) {
            enter(Phase.OFFLOADING, observer);
            await(s -> s.offloaded() >= s.open() && s.share() >= 0.15 || s.share() >= 0.3, limitNs, observer);
        }
        // the active NIC asks for no new offloads; what is offloaded runs on (R-PAUSE-1)
        step(Phase.PAUSED, observer, () -> activeNic().indicate(StatusIndication.OFFLOAD_PAUSE),
                s -> s.admission() != OffloadManager.Admission.OPEN && s.share() >= 0.35, limitNs);
        // it asks for everything back: alice's stack carries on every connection (spec §5.1.3)
        step(Phase.UPLOAD_ALL, observer, () -> activeNic().indicate(StatusIndication.UPLOAD_ALL),
                s -> s.admission() == OffloadManager.Admission.DRAINED && s.share() >= 0.45, limitNs);
        // and lets the host offload again: the connections the upload-all took back go down again (spec §5.1.2)
        step(Phase.RESUMED, observer, () -> activeNic().indicate(StatusIndication.OFFLOAD_RESUME),
                s -> s.admission() == OffloadManager.Admission.OPEN && s.offloaded() >= s.open() && s.share() >= 0.55
                        || s.share() >= 0.65, limitNs);
        // the team moves everything to its other NIC: PAUSE, UPLOAD_ALL, switch, RESUME, re-offload
        long failoversBefore = alice.callOnLoop(team::failovers);
        step(Phase.FAILOVER, observer, team::failover, s -> s.failovers() > failoversBefore
                && s.admission() == OffloadManager.Admission.OPEN && s.share() >= 0.7, limitNs);
        if (stall == null && !finishedNow()) {
            enter(Phase.FINISHING, observer);
            await(Snapshot::finished, limitNs, observer);
        }
        enter(Phase.DONE, observer);
        return result();
    }

    private boolean finishedNow() {
        return stall != null || snapshot().finished();
    }

    /** Runs a phase: its action, then until its condition holds; skipped once the transfer is over. */
    private void step(Phase p, Observer observer, Runnable action, java.util.function.Predicate<Snapshot> until,
            long limitNs) {
        if (stall != null) {
            return;
        }
        if (snapshot().finished()) {
            skipped.add(p);
            return;
        }
        enter(p, observer);
        action.run();
        await(until, limitNs, observer);
    }

    /** Ends the running phase (the observer sees its final state) and starts {@code p}. */
    private void enter(Phase p, Observer observer) {
        if (phaseStarted) {
            observer.onPhase(snapshot());
        }
        phaseStarted = true;
        phase = p;
    }

    private SoftOffloadTarget activeNic() {
        return alice.callOnLoop(team::active) == 0 ? nic0 : nic1;
    }

    /**
     * Runs until {@code until} holds or the transfer is over; a stall (no verified byte for {@code limitNs}) ends the
     * run.
     */
    private boolean await(java.util.function.Predicate<Snapshot> until, long limitNs, Observer observer) {
        long[] lastVerified = {-1};
        long[] lastProgressNs = {now()};
        long[] nextTickWall = {System.nanoTime()};
        BooleanSupplier done = () -> {
            Snapshot s = snapshot();
            if (s.verified() != lastVerified[0]) {
                lastVerified[0] = s.verified();
                lastProgressNs[0] = now();
            }
            long wall = System.nanoTime();
            if (wall >= nextTickWall[0]) {
                nextTickWall[0] = wall + 100 * MS;
                observer.onTick(s);
            }
            return until.test(s) || s.finished() || now() - lastProgressNs[0] > limitNs;
        };
        boolean ok;
        if (sim != null) {
            ok = sim.runUntil(done, Long.MAX_VALUE);
        } else {
            while (!done.getAsBoolean()) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stall = "interrupted";
                    return false;
                }
            }
            ok = true;
        }
        Snapshot s = snapshot();
        if (!ok || !until.test(s) && !s.finished()) {
            stall = "no byte verified for " + limitNs / S + " s in phase " + phase.label;
            return false;
        }
        return true;
    }

    private long now() {
        return sim != null ? sim.nowNs() : System.nanoTime();
    }

    /**
     * Opens the connections: first one per address family, so ARP and neighbor discovery resolve bob while only one
     * SYN waits on each (a host queues few packets for an unresolved neighbor, RFC 1122 §2.3.2.2); once those are
     * established, the rest at up to 100 per millisecond, so the NICs' rings never overflow with SYNs.
     */
    private void openPaced() {
        EventLoop loop = alice.loop();
        int firsts = Math.min(clients.size(), IPV6_EVERY);
        int[] next = {0};
        for (int i = 0; i < firsts; i++) {
            if (i == 0 || i == IPV6_EVERY - 1) {
                open(i);
            }
        }
        int scouts = firsts == IPV6_EVERY ? 2 : 1;
        Timer[] pacer = new Timer[1];
        pacer[0] = Timer.of(() -> {
            if (aliceTotals.connected >= scouts || next[0] > 0) {
                for (int k = 0; k < 100 && next[0] < clients.size(); next[0]++) {
                    if (clients.get(next[0]).connection == null) {
                        open(next[0]);
                        k++;
                    }
                }
            }
            if (next[0] < clients.size()) {
                loop.timers().schedule(pacer[0], loop.nowNs() + MS);
            }
        });
        loop.timers().schedule(pacer[0], loop.nowNs() + MS);
    }

    private void open(int i) {
        DemoStream c = clients.get(i);
        c.connection = alice.connect(i % IPV6_EVERY == IPV6_EVERY - 1 ? BOB6 : BOB4, PORT, c);
    }

    private void acceptAll(TcpListener l) {
        TcpConnection c;
        while ((c = l.accept()) != null) {
            DemoStream s = DemoStream.server(settings.seed(), settings.bytes(), bobTotals);
            servers.add(s);
            s.attach(c);
        }
    }

    /** Reads both hosts on their own loops. */
    Snapshot snapshot() {
        long[] b = bob.callOnLoop(() -> new long[] {bobTotals.verified, bobTotals.closed});
        DemoStream bobMismatch = bob.callOnLoop(() -> bobTotals.firstMismatch);
        return alice.callOnLoop(() -> new Snapshot(phase, now() - startNs, clients.size(), aliceTotals.connected,
                manager.offloadedConnections(), aliceTotals.closed, (int) b[1], aliceTotals.verified + b[0],
                2L * clients.size() * settings.bytes(), manager.admission(), team.active(), team.failovers(),
                aliceTotals.firstMismatch != null ? aliceTotals.firstMismatch : bobMismatch));
    }

    private DemoResult result() {
        Snapshot s = snapshot();
        long elapsedNs = s.elapsedNs();
        // the offloaded connections' retransmissions are the NICs' (spec §5.4.3): ask both, on alice's loop
        OffloadStatistics[] nics = new OffloadStatistics[2];
        alice.callOnLoop(() -> {
            nic0.queryStatistics(st -> nics[0] = st);
            nic1.queryStatistics(st -> nics[1] = st);
            return null;
        });
        BooleanSupplier answered = () -> alice.callOnLoop(() -> nics[0] != null && nics[1] != null);
        if (sim != null) {
            sim.runUntil(answered, sim.nowNs() + S);
        } else {
            long deadline = System.nanoTime() + 5 * S;
            while (!answered.getAsBoolean() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }
        long[] nicRetransmits = new long[2];
        alice.callOnLoop(() -> {
            for (int i = 0; i < 2; i++) {
                OffloadStatistics st = nics[i] == null ? OffloadStatistics.ZERO : nics[i];
                nicRetransmits[i] = st.tcp4().retransmittedSegments() + st.tcp6().retransmittedSegments();
            }
            return null;
        });
        long aliceHostRetransmits = alice.callOnLoop(() -> alice.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS));
        long bobRetransmits = bob.callOnLoop(() -> bob.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS));
        long[] counters = alice.callOnLoop(() -> new long[] {
            manager.counter(OffloadCounter.CONNECTIONS_OFFLOADED), manager.counter(OffloadCounter.CONNECTIONS_UPLOADED),
            manager.counter(OffloadCounter.CONNECTIONS_LOST),
            manager.counter(OffloadCounter.CONNECTIONS_OFFLOAD_FAILED),
            manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS), manager.counter(OffloadCounter.RETRIEVES)});
        long[] kinds = alice.callOnLoop(indications::clone);
        // the switch's counters are its loop's: under the simulator the caller's, in real time read after the stop
        long framesLost = onFabric(this::lostFrames);
        long queueDrops = onFabric(this::queueDrops);
        long captured = bob.callOnLoop(capture::records);
        List<String> incomplete = new ArrayList<>();
        int complete = alice.callOnLoop(() -> countComplete(clients, incomplete))
                + bob.callOnLoop(() -> countComplete(servers, incomplete));
        String failure = failure(s, complete, incomplete);
        return new DemoResult(settings, clients.size(), alice.callOnLoop(() -> ipv6Count()), s.verified(),
                s.expected(), counters[0], counters[1], counters[5], counters[2], counters[3], counters[4], kinds,
                s.failovers(), aliceHostRetransmits, nicRetransmits[0], nicRetransmits[1], bobRetransmits,
                framesLost, queueDrops, elapsedNs, System.nanoTime() - startWallNs, captured, List.copyOf(skipped),
                failure);
    }

    private int ipv6Count() {
        int v6 = 0;
        for (DemoStream c : clients) {
            if (c.connection != null && c.connection.remoteAddress().equals(BOB6)) {
                v6++;
            }
        }
        return v6;
    }

    private long lostFrames() {
        return swB.inbound().counters().dropped(DropReason.LOSS) + swB.outbound().counters().dropped(DropReason.LOSS);
    }

    /** Frames the switch ports' queues had no room for (senders faster than a 1 Gbit/s link). */
    private long queueDrops() {
        long n = 0;
        for (VirtualWire.Port p : sw.ports()) {
            n += p.inbound().counters().dropped(DropReason.QUEUE) + p.outbound().counters().dropped(DropReason.QUEUE);
        }
        return n;
    }

    private static int countComplete(List<DemoStream> ends, List<String> incomplete) {
        int n = 0;
        for (DemoStream e : ends) {
            if (e.complete()) {
                n++;
            } else if (incomplete.size() < 3) {
                incomplete.add(e.toString());
            }
        }
        return n;
    }

    /** Null when every byte was verified and every connection closed normally, else one line saying what not. */
    private String failure(Snapshot s, int complete, List<String> incomplete) {
        DemoStream bad = s.mismatch();
        if (bad != null) {
            String side = bad.isClient() ? "alice" : "bob";
            String from = bad.isClient() ? "bob" : "alice";
            return "byte " + bad.mismatchAt + " that " + side + " received on connection " + bad.id()
                    + " is not the byte " + from + " sent";
        }
        int ends = 2 * clients.size();
        if (stall != null) {
            return stall + " (" + (ends - complete) + " of " + ends + " connection ends unfinished, e.g. "
                    + (incomplete.isEmpty() ? "-" : incomplete.getFirst()) + ")";
        }
        if (complete != ends || s.verified() != s.expected()) {
            return (ends - complete) + " of " + ends + " connection ends did not verify every byte and close "
                    + "normally, e.g. " + (incomplete.isEmpty() ? "-" : incomplete.getFirst());
        }
        return null;
    }

    /** Stops the threads (real time), then closes the capture. */
    @Override
    public void close() {
        try {
            alice.close();
            bob.close();
            for (LoopThread t : threads) {
                t.close();
            }
            for (NetworkPort p : fabricPorts) {
                p.close();
            }
        } finally {
            capture.close();
        }
    }

    /** Runs {@code task} on the switch's loop (real time) or here (the simulator's driver owns every loop). */
    private long onFabric(java.util.function.LongSupplier task) {
        if (fabricLoop == null) {
            return task.getAsLong();
        }
        java.util.concurrent.CompletableFuture<Long> result = new java.util.concurrent.CompletableFuture<>();
        fabricLoop.execute(() -> result.complete(task.getAsLong()));
        try {
            return result.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return -1;
        }
    }
}
