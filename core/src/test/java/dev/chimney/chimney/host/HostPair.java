package dev.chimney.chimney.host;

import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.conformance.HostContractChecker;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Host A (with an offload manager over a {@link RecordingTarget}) and peer B on one virtual wire under a simulator.
 * B listens on {@link #PORT} on 10.77.0.2 (on-link), 10.88.0.1 (reached from A through the next hop 10.77.0.2, so
 * its path shares B's neighbor) and fd77::2; each connection B accepts becomes a {@link Peer}. B also answers as
 * 10.77.0.3, a second next hop towards 10.88.0.1 for route changes.
 */
final class HostPair {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final int PORT = 7000;
    static final MacAddress MAC_A = MacAddress.parse("02:77:00:00:00:0a");
    static final MacAddress MAC_B = MacAddress.parse("02:77:00:00:00:0b");
    static final Ipv4Address A4 = Ipv4Address.parse("10.77.0.1");
    static final Ipv4Address B4 = Ipv4Address.parse("10.77.0.2");
    static final Ipv4Address B4_FAR = Ipv4Address.parse("10.88.0.1");
    static final Ipv4Address B4_OTHER_HOP = Ipv4Address.parse("10.77.0.3");
    static final Ipv6Address A6 = Ipv6Address.parse("fd77::1");
    static final Ipv6Address B6 = Ipv6Address.parse("fd77::2");

    final Simulator sim;
    final VirtualWire wire;
    final NetworkStack a;
    final NetworkStack b;
    final RecordingTarget target = new RecordingTarget();
    /** Between A's manager and its target: checks every host rule independently (spec §3.8). */
    final HostContractChecker checker;
    /** A's soft target (its NIC on its own loop) when built with {@link #soft}, else null. */
    final SoftOffloadTarget soft;
    final OffloadManager manager;
    final List<Peer> accepted = new ArrayList<>();
    final List<TcpConnection> uploaded = new ArrayList<>();

    /** One end of a test connection: collects what it reads, writes on demand. */
    static final class Peer implements TcpConnection.Listener {
        TcpConnection connection;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean eof;
        boolean reading = true;
        CloseReason closed;

        @Override
        public void onReadable(TcpConnection c) {
            if (reading) {
                drain();
            }
        }

        void drain() {
            byte[] buf = new byte[4096];
            int n;
            while ((n = connection.read(buf, 0, buf.length)) > 0) {
                received.write(buf, 0, n);
            }
            if (n < 0) {
                eof = true;
            }
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed = reason;
        }

        byte[] bytes() {
            return received.toByteArray();
        }
    }

    HostPair(long seed, OffloadPolicy policy) {
        this(seed, policy, t -> { });
    }

    /** Pairs made by the running test, whose host rules {@link #assertContractsKept} checks afterwards. */
    private static final List<HostPair> MADE = new ArrayList<>();

    /** Set by a test that plays a misbehaving target on purpose: its target-side findings are expected. */
    boolean targetMisbehaves;

    /**
     * Fails if any pair made since the last call broke a host rule (spec §3.8, §5.1), or its target a target rule
     * the checker sees (R-RESUME-4); for an {@code @AfterEach}.
     */
    static void assertContractsKept() {
        List<String> broken = new ArrayList<>();
        for (HostPair h : MADE) {
            broken.addAll(h.checker.violations());
            if (!h.targetMisbehaves) {
                broken.addAll(h.checker.targetViolations());
            }
        }
        MADE.clear();
        if (!broken.isEmpty()) {
            throw new AssertionError("host rules broken: " + broken);
        }
    }

    HostPair(long seed, OffloadPolicy policy, Consumer<RecordingTarget> configure) {
        this(seed, policy, configure, false, b -> { });
    }

    /** A with a {@link SoftOffloadTarget} as its NIC (its own loop, owning A's end of the wire). */
    static HostPair soft(long seed, OffloadPolicy policy) {
        return new HostPair(seed, policy, t -> { }, true, b -> { });
    }

    /** As {@link #soft(long, OffloadPolicy)}, with the soft target's builder adjusted by {@code target}. */
    static HostPair soft(long seed, OffloadPolicy policy, Consumer<SoftOffloadTarget.Builder> target) {
        return new HostPair(seed, policy, t -> { }, true, target);
    }

    private HostPair(long seed, OffloadPolicy policy, Consumer<RecordingTarget> configure, boolean withSoft,
            Consumer<SoftOffloadTarget.Builder> softConfig) {
        MADE.add(this);
        sim = new Simulator(seed);
        wire = VirtualWire.builder("w", sim.clock(), sim.random().fork("w")).both(Impairments.NONE.withDelay(
                100_000, 0)).build();
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(64 * 1024).receiveBufferBytes(64 * 1024).build();
        configure.accept(target);
        EventLoop loopA = sim.newLoop("a");
        NetworkPort portA = wire.a();
        if (withSoft) {
            SoftOffloadTarget.Builder sb = SoftOffloadTarget.builder(sim.newLoop("a-nic"), wire.a()).name("a-nic")
                    .hostLoop(loopA).mac(MAC_A).random(sim.random().fork("a-nic"));
            softConfig.accept(sb);
            soft = sb.build();
            portA = soft.hostPort();
            checker = new HostContractChecker(soft);
        } else {
            soft = null;
            checker = new HostContractChecker(target);
        }
        a = NetworkStack.builder(loopA).random(sim.random().fork("a")).tcpConfig(tcp)
                .iface(portA, InterfaceConfig.of("a0", MAC_A).withIpv4("10.77.0.1/24").withIpv6("fd77::1/64"))
                .route("10.88.0.0/16", B4).offload(checker, policy).offloadParameters(OffloadParameters.DEFAULTS)
                .build();
        b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(wire.b(), InterfaceConfig.of("b0", MAC_B).withIpv4("10.77.0.2/24").withIpv4("10.77.0.3/24")
                        .withIpv4("10.88.0.1/16")
                        .withIpv6("fd77::2/64"))
                .build();
        b.listen(PORT, l -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                Peer p = new Peer();
                p.connection = c;
                c.listener(p);
                accepted.add(p);
                p.drain();
            }
        });
        manager = a.offload();
        manager.addListener(new OffloadManager.Listener() {
            @Override
            public void onUploaded(TcpConnection connection) {
                uploaded.add(connection);
            }
        });
    }

    /** Opens a connection from A to {@code dst} and runs until both ends are established. */
    Peer connect(IpAddress dst) {
        Peer client = new Peer();
        int before = accepted.size();
        client.connection = a.connect(dst, PORT, client);
        boolean ok = sim.runUntil(() -> client.connection.state() == TcpState.ESTABLISHED
                && accepted.size() > before, sim.nowNs() + 5 * S);
        if (!ok) {
            throw new AssertionError("connection to " + dst + " did not establish: " + client.connection);
        }
        return client;
    }

    /** The B end of A's connection {@code client}. */
    Peer serverOf(Peer client) {
        for (Peer p : accepted) {
            if (p.connection.remotePort() == client.connection.localPort()
                    && p.connection.localAddress().equals(client.connection.remoteAddress())) {
                return p;
            }
        }
        throw new AssertionError("no server end for " + client.connection);
    }

    void run(long ns) {
        sim.runFor(ns);
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed * 7 + (i >>> 8));
        }
        return b;
    }
}
