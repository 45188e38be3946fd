package dev.chimney.host;

import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.conformance.HostContractChecker;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.target.FaultInjectingTarget;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.chimney.team.TeamTarget;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualSwitch;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpListener;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Host A with a team of two soft targets (two NICs on one {@link VirtualSwitch}, one MAC), peer B on a third switch
 * port, under one {@link Simulator}: A's offload manager drives the team through the independent {@link
 * HostContractChecker} (and, when asked, a {@link FaultInjectingTarget} under it). A opens {@code connections}
 * connections to B; each carries a seeded amount both ways, checked byte by byte on arrival ({@link
 * StreamEndpoint}), then both sides close. The switch port towards B carries the impairments.
 *
 * <pre>
 *   A (manager) → checker → [faults] → team ─┬─ nic0 (loop) ── sw.n0 ─┐
 *                                            └─ nic1 (loop) ── sw.n1 ─┼─ switch ── sw.b ── B
 * </pre>
 */
final class TeamScenario {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final int PORT = 5001;
    static final MacAddress MAC_A = MacAddress.parse("02:77:00:00:00:0a");
    static final MacAddress MAC_B = MacAddress.parse("02:77:00:00:00:0b");
    static final Ipv4Address A4 = Ipv4Address.parse("10.77.0.1");
    static final Ipv4Address B4 = Ipv4Address.parse("10.77.0.2");
    static final Ipv6Address A6 = Ipv6Address.parse("fd77::1");
    static final Ipv6Address B6 = Ipv6Address.parse("fd77::2");

    /** Scenario parameters; adjust and {@link #build()}. */
    static final class Params {
        long seed = 1;
        int connections = 10;
        int maxBytes = 100_000;
        /** Share of connections over IPv6. */
        double ipv6Share = 0.3;
        double loss;
        double reorder;
        double duplicate;
        long delayNs = 200_000;
        long rateBitsPerSecond;
        int bufferBytes = 64 * 1024;
        int uploadAllBatch = OffloadManager.DEFAULT_UPLOAD_ALL_BATCH;
        boolean faults;
        double allocationFailures;
        long completionDelayNs;
        OffloadPolicy policy = OffloadPolicy.allEstablished();
        int maxInFlightFrames = 16_384;

        Params seed(long v) {
            seed = v;
            return this;
        }

        Params connections(int v) {
            connections = v;
            return this;
        }

        Params maxBytes(int v) {
            maxBytes = v;
            return this;
        }

        Params ipv6Share(double v) {
            ipv6Share = v;
            return this;
        }

        /** Loss, reordering and a tenth as much duplication on B's switch port, both ways. */
        Params lossy(double p) {
            loss = p;
            reorder = p;
            duplicate = p / 10;
            return this;
        }

        Params rate(long bitsPerSecond) {
            rateBitsPerSecond = bitsPerSecond;
            return this;
        }

        Params batch(int v) {
            uploadAllBatch = v;
            return this;
        }

        Params buffers(int v) {
            bufferBytes = v;
            return this;
        }

        /** A fault-injecting target between the checker and the team: delays and allocation failures. */
        Params faults(long completionDelayNs, double allocationFailures) {
            this.faults = true;
            this.completionDelayNs = completionDelayNs;
            this.allocationFailures = allocationFailures;
            return this;
        }

        TeamScenario build() {
            return new TeamScenario(this);
        }

        @Override
        public String toString() {
            return "seed=" + seed + " connections=" + connections + " maxBytes=" + maxBytes + " v6=" + ipv6Share
                    + " loss=" + loss + " reorder=" + reorder + " dup=" + duplicate + " batch=" + uploadAllBatch
                    + (faults ? " faults(delay=" + completionDelayNs + "ns, alloc=" + allocationFailures + ")" : "");
        }
    }

    static Params params() {
        return new Params();
    }

    final Params params;
    final Simulator sim;
    final VirtualSwitch sw;
    final VirtualWire.Port port0;
    final VirtualWire.Port port1;
    final VirtualWire.Port portB;
    final SoftOffloadTarget nic0;
    final SoftOffloadTarget nic1;
    final TeamTarget team;
    final FaultInjectingTarget faults;
    final HostContractChecker checker;
    final NetworkStack a;
    final NetworkStack b;
    final OffloadManager manager;
    final List<StreamEndpoint> clients = new ArrayList<>();
    final List<StreamEndpoint> servers = new ArrayList<>();
    final Impairments linkUp;

    private TeamScenario(Params p) {
        this.params = p;
        sim = new Simulator(p.seed);
        sw = VirtualSwitch.builder("sw", sim).maxInFlightFrames(p.maxInFlightFrames).build();
        Impairments base = Impairments.NONE.withDelay(p.delayNs, 0);
        if (p.rateBitsPerSecond > 0) {
            // a queue of ~20 ms at the rate: a NIC's ring, not a bloated buffer that outlives a failover
            base = base.withRate(p.rateBitsPerSecond, (int) Math.max(64 << 10, p.rateBitsPerSecond / 8 / 50));
        }
        linkUp = base;
        Impairments towardsB = base.withLoss(p.loss).withReordering(p.reorder, 2 * p.delayNs + 100_000)
                .withDuplication(p.duplicate);
        port0 = sw.newPort("n0", base);
        port1 = sw.newPort("n1", base);
        portB = sw.newPort("b", towardsB);
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(p.bufferBytes).receiveBufferBytes(p.bufferBytes)
                .synQueueLimit(Math.max(128, 2 * p.connections)).acceptBacklog(Math.max(128, 2 * p.connections))
                .build();
        EventLoop loopA = sim.newLoop("a");
        nic0 = SoftOffloadTarget.builder(sim.newLoop("nic0"), port0).name("nic0").hostLoop(loopA).mac(MAC_A)
                .random(sim.random().fork("nic0")).capabilities(SoftOffloadTarget.DEFAULT_CAPABILITIES
                        .withCapacity(Math.max(4096, p.connections))).build();
        nic1 = SoftOffloadTarget.builder(sim.newLoop("nic1"), port1).name("nic1").hostLoop(loopA).mac(MAC_A)
                .random(sim.random().fork("nic1")).capabilities(SoftOffloadTarget.DEFAULT_CAPABILITIES
                        .withCapacity(Math.max(4096, p.connections))).build();
        team = TeamTarget.builder(loopA, MAC_A).name("team").member(nic0).member(nic1).build();
        OffloadTarget below = team;
        if (p.faults) {
            faults = new FaultInjectingTarget(team, sim.random().fork("faults"));
            if (p.completionDelayNs > 0) {
                faults.delayCompletions(p.completionDelayNs);
            }
            if (p.allocationFailures > 0) {
                faults.failAllocations(p.allocationFailures, dev.chimney.chimney.OffloadStatus.RESOURCES);
            }
            below = faults;
        } else {
            faults = null;
        }
        checker = new HostContractChecker(below);
        a = NetworkStack.builder(loopA).random(sim.random().fork("a")).tcpConfig(tcp)
                .iface(team.hostPort(), InterfaceConfig.of("a0", MAC_A).withIpv4("10.77.0.1/24")
                        .withIpv6("fd77::1/64"))
                .offload(checker, p.policy).offloadParameters(OffloadParameters.DEFAULTS).build();
        manager = a.offload();
        manager.uploadAllBatchSize(p.uploadAllBatch);
        b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(portB, InterfaceConfig.of("b0", MAC_B).withIpv4("10.77.0.2/24").withIpv6("fd77::2/64"))
                .build();
        b.listen(PORT, this::acceptAll);
        SeededRandom sizes = sim.random().fork("sizes");
        for (int i = 0; i < p.connections; i++) {
            long up = sizes.nextInt(p.maxBytes + 1);
            long down = sizes.nextInt(p.maxBytes + 1);
            boolean v6 = sizes.nextDouble() < p.ipv6Share;
            StreamEndpoint c = StreamEndpoint.client(i, up, down);
            clients.add(c);
            c.connection = a.connect(v6 ? B6 : B4, PORT, c);
        }
    }

    private void acceptAll(TcpListener l) {
        TcpConnection c;
        while ((c = l.accept()) != null) {
            StreamEndpoint s = StreamEndpoint.server();
            servers.add(s);
            s.attach(c);
        }
    }

    /** Cuts (or restores) member {@code index}'s link on the switch and tells the team, as a PHY would. */
    void link(int index, boolean up) {
        VirtualWire.Port p = index == 0 ? port0 : port1;
        Impairments imp = up ? linkUp : Impairments.NONE.withLoss(1.0);
        p.outbound().impairments(imp);
        p.inbound().impairments(imp);
        team.linkStatus(index, up);
    }

    boolean allClosed() {
        if (servers.size() < clients.size()) {
            return false;
        }
        for (StreamEndpoint c : clients) {
            if (c.closed == null) {
                return false;
            }
        }
        for (StreamEndpoint s : servers) {
            if (s.closed == null) {
                return false;
            }
        }
        return true;
    }

    /** Bytes received so far at both ends, all connections. */
    long received() {
        long n = 0;
        for (StreamEndpoint c : clients) {
            n += c.received;
        }
        for (StreamEndpoint s : servers) {
            n += s.received;
        }
        return n;
    }

    long expected() {
        long n = 0;
        for (StreamEndpoint c : clients) {
            n += c.sendBytes + c.expectBytes;
        }
        return n;
    }

    /** Runs until everything closed or {@code limitNs} of virtual time passed. */
    boolean run(long limitNs) {
        return sim.runUntil(this::allClosed, sim.nowNs() + limitNs);
    }

    /** A byte out of place so far (duplicate, reordered, corrupted, or more than was sent), or null. */
    String streamViolation() {
        for (StreamEndpoint e : clients) {
            if (e.mismatchAt >= 0) {
                return e.toString();
            }
        }
        for (StreamEndpoint e : servers) {
            if (e.mismatchAt >= 0) {
                return e.toString();
            }
        }
        return null;
    }

    /** Null when every exchange completed byte-exact and closed normally, else what did not. */
    String failures() {
        StringBuilder sb = new StringBuilder();
        int bad = 0;
        List<StreamEndpoint> all = new ArrayList<>(clients);
        all.addAll(servers);
        for (StreamEndpoint e : all) {
            if (!e.complete() || e.closed != CloseReason.NORMAL) {
                if (bad++ < 5) {
                    sb.append("\n  ").append(e);
                }
            }
        }
        if (servers.size() != clients.size()) {
            sb.append("\n  servers accepted ").append(servers.size()).append(" of ").append(clients.size());
            bad++;
        }
        return bad == 0 ? null : bad + " endpoints incomplete:" + sb;
    }

    String report() {
        return params + " t=" + sim.nowNs() / MS + "ms\n A offload " + manager + "\n team " + team + "\n nic0 " + nic0
                + "\n nic1 " + nic1 + "\n A ip " + a.ip().counters() + "\n B ip " + b.ip().counters()
                + "\n switch forwarded=" + sw.framesForwarded() + " flooded=" + sw.framesFlooded();
    }
}
