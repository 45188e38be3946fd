package dev.chimney.host;

import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.PcapTap;
import dev.chimney.link.PcapWriter;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpListener;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Two {@link NetworkStack}s on one {@link VirtualWire} under a {@link Simulator}: host A opens {@code connections}
 * connections to a server on host B; each sends a random amount (up to {@code maxBytes}) and asks for a random
 * amount back. Every byte is checked against its seeded pattern on arrival.
 */
final class TransferScenario {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final int PORT = 5001;
    static final MacAddress MAC_A = MacAddress.parse("02:77:00:00:00:0a");
    static final MacAddress MAC_B = MacAddress.parse("02:77:00:00:00:0b");
    static final Ipv4Address A4 = Ipv4Address.parse("10.77.0.1");
    static final Ipv4Address B4 = Ipv4Address.parse("10.77.0.2");
    static final Ipv6Address A6 = Ipv6Address.parse("fd77::1");
    static final Ipv6Address B6 = Ipv6Address.parse("fd77::2");

    final long seed;
    final Simulator sim;
    final VirtualWire wire;
    /** The B side of the bridge, when bridged (else null). */
    final VirtualWire wire2;
    final MtuClampBridge bridge;
    /** Host A's soft offload target (its NIC), when the scenario runs the chimney on A (else null). */
    final SoftOffloadTarget targetA;
    final NetworkStack a;
    final NetworkStack b;
    final List<StreamEndpoint> clients = new ArrayList<>();
    final List<StreamEndpoint> servers = new ArrayList<>();
    final String description;
    long totalBytes;
    PcapTap pcapA;

    /** Defaults for a scenario; adjust and call {@link #build()}. */
    static final class Params {
        long seed = 1;
        int connections = 10;
        int maxBytes = 100_000;
        boolean ipv6;
        double loss;
        double reorder;
        double duplicate;
        long delayNs = 500_000;
        long jitterNs = 0;
        int mtuBytes = 1500;
        int bufferBytes = 64 * 1024;
        Consumer<TcpConfig.Builder> tcp = t -> { };
        /** When true, the hosts are joined through an {@link MtuClampBridge} (two wires) instead of one wire. */
        boolean bridged;
        /**
         * When set, host A runs the TCP chimney: a {@link SoftOffloadTarget} on its own loop owns A's wire port and
         * gives A its host port, and A's offload manager follows this policy.
         */
        OffloadPolicy offload;
        /** Wraps A's soft target before A's offload manager gets it (a fault-injecting target, say). */
        java.util.function.BiFunction<dev.chimney.chimney.OffloadTarget, SeededRandom,
                dev.chimney.chimney.OffloadTarget> wrapTarget = (t, r) -> t;

        Params wrapTarget(java.util.function.BiFunction<dev.chimney.chimney.OffloadTarget, SeededRandom,
                dev.chimney.chimney.OffloadTarget> w) {
            wrapTarget = w;
            return this;
        }

        /** Link rate in bits per second (0: unlimited), with a 4 MiB queue per direction (drops are loss's knob). */
        long rateBitsPerSecond;

        Params rate(long bitsPerSecond) {
            rateBitsPerSecond = bitsPerSecond;
            return this;
        }

        Params offload(OffloadPolicy policy) {
            offload = policy;
            return this;
        }

        Params bridged(boolean b) {
            bridged = b;
            return this;
        }

        /** When set, host A's port is recorded here (both directions) as pcap. */
        OutputStream pcap;

        Params pcap(OutputStream out) {
            pcap = out;
            return this;
        }

        /** Clients write at most this many bytes per write call (StreamEndpoint.maxWrite). */
        int maxWrite = Integer.MAX_VALUE;

        Params maxWrite(int n) {
            maxWrite = n;
            return this;
        }

        Params seed(long s) {
            seed = s;
            return this;
        }

        Params connections(int n) {
            connections = n;
            return this;
        }

        Params maxBytes(int n) {
            maxBytes = n;
            return this;
        }

        Params tcp(Consumer<TcpConfig.Builder> t) {
            tcp = t;
            return this;
        }

        Params ipv6(boolean v) {
            ipv6 = v;
            return this;
        }

        /** Loss with the same probability of reordering and a tenth of it as duplication. */
        Params lossy(double p) {
            loss = p;
            reorder = p;
            duplicate = p / 10;
            return this;
        }

        TransferScenario build() {
            return new TransferScenario(this);
        }

        @Override
        public String toString() {
            return "seed=" + seed + " connections=" + connections + " maxBytes=" + maxBytes + " ipv6=" + ipv6
                    + " loss=" + loss + " reorder=" + reorder + " dup=" + duplicate + " mtu=" + mtuBytes
                    + (offload == null ? "" : " offload=" + offload.mode());
        }
    }

    static Params params() {
        return new Params();
    }

    private TransferScenario(Params p) {
        this.seed = p.seed;
        this.description = p.toString();
        sim = new Simulator(p.seed);
        Impairments imp = Impairments.NONE.withDelay(p.delayNs, p.jitterNs).withLoss(p.loss)
                .withReordering(p.reorder, 2 * p.delayNs + 100_000).withDuplication(p.duplicate);
        if (p.rateBitsPerSecond > 0) {
            imp = imp.withRate(p.rateBitsPerSecond, 4 << 20);
        }
        wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire")).both(imp).mtu(p.mtuBytes)
                .maxInFlightFrames(16_384).build();
        if (p.bridged) {
            wire2 = VirtualWire.builder("wire2", sim.clock(), sim.random().fork("wire2")).both(imp).mtu(p.mtuBytes)
                    .maxInFlightFrames(16_384).build();
            bridge = new MtuClampBridge(sim.newLoop("bridge"), wire.b(), wire2.a());
        } else {
            wire2 = null;
            bridge = null;
        }
        TcpConfig.Builder tb = TcpConfig.builder().sendBufferBytes(p.bufferBytes).receiveBufferBytes(p.bufferBytes)
                .synQueueLimit(Math.max(128, 2 * p.connections)).acceptBacklog(Math.max(128, 2 * p.connections));
        p.tcp.accept(tb);
        TcpConfig tcp = tb.build();
        NetworkPort portA = wire.a();
        if (p.pcap != null) {
            pcapA = new PcapTap(portA, new PcapWriter(p.pcap, sim.clock()));
            portA = pcapA;
        }
        var loopA = sim.newLoop("a");
        NetworkStack.Builder builderA = NetworkStack.builder(loopA).random(sim.random().fork("a")).tcpConfig(tcp);
        if (p.offload != null) {
            targetA = SoftOffloadTarget.builder(sim.newLoop("a-nic"), portA).name("a-nic").hostLoop(loopA)
                    .mac(MAC_A).random(sim.random().fork("a-nic")).build();
            portA = targetA.hostPort();
            builderA.offload(p.wrapTarget.apply(targetA, sim.random().fork("a-faults")), p.offload);
        } else {
            targetA = null;
        }
        a = builderA.iface(portA, InterfaceConfig.of("a0", MAC_A).withMtu(p.mtuBytes).withIpv4("10.77.0.1/24")
                        .withIpv6("fd77::1/64"))
                .build();
        b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(p.bridged ? wire2.b() : wire.b(), InterfaceConfig.of("b0", MAC_B).withMtu(p.mtuBytes)
                        .withIpv4("10.77.0.2/24")
                        .withIpv6("fd77::2/64"))
                .build();
        b.listen(PORT, this::acceptAll);
        SeededRandom sizes = sim.random().fork("sizes");
        IpAddress server = p.ipv6 ? B6 : B4;
        for (int i = 0; i < p.connections; i++) {
            long up = sizes.nextInt(p.maxBytes + 1);
            long down = sizes.nextInt(p.maxBytes + 1);
            totalBytes += up + down;
            StreamEndpoint c = StreamEndpoint.client(i, up, down);
            c.maxWrite = p.maxWrite;
            clients.add(c);
            TcpConnection conn = a.connect(server, PORT, c);
            c.connection = conn;
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

    /** True when every endpoint on both sides has closed. */
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

    /** Runs until everything closed or {@code limitNs} of virtual time passed; returns whether all closed. */
    boolean run(long limitNs) {
        boolean done = sim.runUntil(this::allClosed, limitNs);
        if (pcapA != null) {
            pcapA.flush();
        }
        return done;
    }

    /** Null when every exchange completed byte-exact and closed normally, else a description of what did not. */
    String failures() {
        StringBuilder b = new StringBuilder();
        int bad = 0;
        List<StreamEndpoint> all = new ArrayList<>(clients);
        all.addAll(servers);
        for (StreamEndpoint e : all) {
            if (!e.complete() || e.closed != CloseReason.NORMAL) {
                if (bad++ < 5) {
                    b.append("\n  ").append(e);
                }
            }
        }
        if (servers.size() != clients.size()) {
            b.append("\n  servers accepted ").append(servers.size()).append(" of ").append(clients.size());
            bad++;
        }
        return bad == 0 ? null : bad + " endpoints incomplete:" + b;
    }

    /** A replay line for assertion messages: seed, parameters, counters of both hosts and the wire. */
    String report() {
        return description + " t=" + sim.nowNs() / MS + "ms\n A ip " + a.ip().counters() + "\n A " + a.binding()
                + (a.offload() == null ? "" : "\n A offload " + a.offload() + "\n A target " + targetA)
                + "\n B ip " + b.ip().counters() + "\n B " + b.binding() + "\n wire a->b "
                + wire.aToB().counters() + " b->a " + wire.bToA().counters();
    }
}
