package dev.chimney.host;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.IpCidr;
import dev.chimney.link.Impairments;
import dev.chimney.link.LoopBridge;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.PortPollable;
import dev.chimney.link.VirtualSwitch;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * Hosts on an in-memory Ethernet network, built in a few lines: the short path to two (or more) {@link
 * NetworkStack}s that talk TCP to each other, in real time or under a simulator.
 *
 * <ul>
 *   <li>{@link #realTime()}: each host runs on its own event loop and thread, for blocking sockets and virtual
 *       threads. {@link #start()} starts those threads and {@link #close()} stops every one of them. Two hosts on a
 *       perfect link are joined by a {@link LoopBridge}; with {@link Builder#impairments impairments}, or more than
 *       two hosts, each host is bridged to a network loop of its own thread that runs a {@link VirtualWire} or a
 *       learning {@link VirtualSwitch}.</li>
 *   <li>{@link #simulated(long)}: every host is a loop of one {@link Simulator}, on a {@code VirtualWire} (two
 *       hosts) or a {@code VirtualSwitch}: virtual time, replayable from the seed. Nothing runs on a thread; drive
 *       the simulator ({@link #runUntil}). Blocking sockets refuse to work here (no thread would run the loop while
 *       the caller waits): use the loop-side {@link dev.chimney.socket.TcpChannel} API.</li>
 * </ul>
 *
 * <p>Defaults: host {@code i} (from 0) is {@code 10.0.0.(i+1)/24} and {@code fd00::(i+1)/64}, with the
 * locally administered MAC {@link MacAddress#locallyAdministered(long, int) 02:xx:xx:xx:00:i} derived from the
 * network's seed; MTU 1500; default {@link TcpConfig}.
 *
 * {@snippet file="dev/chimney/examples/EchoExample.java" region="virtual-network"}
 *
 * <p>Under the simulator:
 *
 * {@snippet file="dev/chimney/examples/SimulatedTransferExample.java" region="simulated"}
 */
public final class VirtualNetwork implements AutoCloseable {
    /** The IPv4 subnet hosts get addresses from unless told otherwise. */
    public static final String DEFAULT_IPV4_SUBNET = "10.0.0.0/24";
    /** The IPv6 subnet hosts get addresses from unless told otherwise (unique local, RFC 4193). */
    public static final String DEFAULT_IPV6_SUBNET = "fd00::/64";

    private final Simulator sim;
    private final long seed;
    private final List<NetworkStack> hosts;
    /** Real time only: the network's own loop (wire or switch) and the ports it pumps; null on a direct bridge. */
    private final EventLoop fabricLoop;
    private final List<NetworkPort> fabricPorts;
    private LoopThread fabricThread;
    private boolean started;
    private boolean closed;

    private VirtualNetwork(Builder b) {
        this.sim = b.sim;
        this.seed = b.sim != null ? b.sim.seed() : b.seed != null ? b.seed : new SecureRandom().nextLong();
        int n = b.names.size();
        SeededRandom root = b.sim != null ? b.sim.random() : new SeededRandom(seed);
        List<EventLoop> loops = new ArrayList<>();
        for (String name : b.names) {
            loops.add(b.sim != null ? b.sim.newLoop(name) : new EventLoop(name, Clock.system()));
        }
        List<NetworkPort> hostPorts = new ArrayList<>();
        List<NetworkPort> inner = new ArrayList<>();
        if (b.sim != null) {
            fabricLoop = null;
            hostPorts.addAll(linkPorts(b, n, b.sim.clock(), root.fork("network")));
        } else if (n == 2 && b.impairments.equals(Impairments.NONE)) {
            fabricLoop = null;
            LoopBridge bridge = LoopBridge.builder(b.names.get(0) + "-" + b.names.get(1), loops.get(0), loops.get(1))
                    .mtu(b.mtuBytes).build();
            hostPorts.add(bridge.a());
            hostPorts.add(bridge.b());
        } else {
            // Each host has its own thread; a wire or switch must be driven by one: it gets a loop of its own, and
            // each host reaches it through a bridge whose far end that loop pumps into the wire or switch port.
            fabricLoop = new EventLoop(b.networkName, Clock.system());
            List<NetworkPort> links = linkPorts(b, n, fabricLoop.clock(), root.fork("network"));
            for (int i = 0; i < n; i++) {
                LoopBridge bridge = LoopBridge.builder(b.networkName + "-" + b.names.get(i), loops.get(i), fabricLoop)
                        .mtu(b.mtuBytes).build();
                NetworkPort link = links.get(i);
                LoopBridge.Port far = bridge.b();
                fabricLoop.register(PortPollable.of(far, link::transmit));
                fabricLoop.register(PortPollable.of(link, far::transmit));
                hostPorts.add(bridge.a());
                inner.add(far);
                inner.add(link);
            }
        }
        this.fabricPorts = List.copyOf(inner);
        List<NetworkStack> built = new ArrayList<>();
        IpCidr v4 = b.ipv4Subnet == null ? null : IpCidr.parse(b.ipv4Subnet);
        IpCidr v6 = b.ipv6Subnet == null ? null : IpCidr.parse(b.ipv6Subnet);
        for (int i = 0; i < n; i++) {
            String name = b.names.get(i);
            InterfaceConfig config = InterfaceConfig.of("eth0", MacAddress.locallyAdministered(seed, i))
                    .withMtu(b.mtuBytes);
            if (v4 != null) {
                config = config.withIpv4(hostAddress(v4, i) + "/" + v4.prefixLength());
            }
            if (v6 != null) {
                config = config.withIpv6(hostAddress(v6, i) + "/" + v6.prefixLength());
            }
            NetworkStack.Builder hb = NetworkStack.builder(loops.get(i)).name(name).random(root.fork("host:" + name))
                    .tcpConfig(b.tcpConfig).iface(hostPorts.get(i), config);
            if (b.configure != null) {
                b.configure.accept(name, hb);
            }
            built.add(hb.build());
        }
        this.hosts = List.copyOf(built);
    }

    /** The host ends of the in-memory links, on {@code clock}: the two ends of a wire, or one port per host. */
    private static List<NetworkPort> linkPorts(Builder b, int n, Clock clock, SeededRandom random) {
        List<NetworkPort> ports = new ArrayList<>();
        if (n == 2) {
            VirtualWire wire = VirtualWire.builder(b.networkName, clock, random).both(b.impairments)
                    .mtu(b.mtuBytes).build();
            ports.add(wire.a());
            ports.add(wire.b());
        } else {
            VirtualSwitch sw = VirtualSwitch.builder(b.networkName, clock, random).mtu(b.mtuBytes).build();
            for (String name : b.names) {
                ports.add(sw.newPort(name, b.impairments));
            }
        }
        return ports;
    }

    /** Host {@code index}'s address in {@code subnet}: the subnet's address plus index + 1. */
    private static IpAddress hostAddress(IpCidr subnet, int index) {
        return switch (subnet.address()) {
            case Ipv4Address a -> new Ipv4Address(a.bits() + index + 1);
            case Ipv6Address a -> new Ipv6Address(a.hi(), a.lo() + index + 1);
        };
    }

    /**
     * Starts configuring a real-time network: each host on its own loop and platform thread, for blocking sockets
     * and application threads. Call {@link #start()} after {@link Builder#build()}.
     */
    public static Builder realTime() {
        return new Builder(null);
    }

    /** Starts configuring a network whose hosts are loops of a new {@link Simulator} seeded with {@code seed}. */
    public static Builder simulated(long seed) {
        return new Builder(new Simulator(seed));
    }

    /** Starts configuring a network whose hosts are loops of {@code sim} (beside any loops it already has). */
    public static Builder simulated(Simulator sim) {
        return new Builder(Objects.requireNonNull(sim, "sim"));
    }

    /** The hosts, in the order they were named. */
    public List<NetworkStack> hosts() {
        return hosts;
    }

    /** Host {@code index} (from 0). */
    public NetworkStack host(int index) {
        if (index < 0 || index >= hosts.size()) {
            throw new IndexOutOfBoundsException("host index " + index + " is not 0.." + (hosts.size() - 1)
                    + " (this network has " + hosts.size() + " hosts)");
        }
        return hosts.get(index);
    }

    /** The host called {@code name}. */
    public NetworkStack host(String name) {
        for (NetworkStack h : hosts) {
            if (h.name().equals(name)) {
                return h;
            }
        }
        throw new IllegalArgumentException("no host named '" + name + "'; the hosts are "
                + hosts.stream().map(NetworkStack::name).toList());
    }

    /** True for a network on a {@link Simulator}. */
    public boolean isSimulated() {
        return sim != null;
    }

    /** The seed everything random in this network derives from (MACs, ISNs, impairments): replay with it. */
    public long seed() {
        return seed;
    }

    /**
     * The simulator that runs this network.
     *
     * @throws IllegalStateException for a real-time network
     */
    public Simulator simulator() {
        if (sim == null) {
            throw new IllegalStateException("a real-time network has no simulator; build one with "
                    + "VirtualNetwork.simulated(seed) for virtual time");
        }
        return sim;
    }

    /**
     * Runs the simulator until {@code done} (evaluated between rounds, on this thread: it may read loop-owned state)
     * or until {@code limit} of virtual time passed.
     *
     * @return whether {@code done} became true
     * @throws IllegalStateException for a real-time network (wait on your own condition there)
     */
    public boolean runUntil(BooleanSupplier done, Duration limit) {
        Simulator s = simulator();
        return s.runUntil(done, s.nowNs() + limit.toNanos());
    }

    /**
     * Starts every host's loop thread (and the network's own, when it has one). Each {@link NetworkStack} owns its
     * thread; {@link #close()} stops them all. Returns this network, so {@code build().start()} reads as one step.
     *
     * @throws IllegalStateException under a simulator (drive the simulator instead), or when started or closed
     *                               already
     */
    public synchronized VirtualNetwork start() {
        if (sim != null) {
            throw new IllegalStateException("a simulated network has no threads to start: drive its simulator "
                    + "(net.runUntil(condition, limit) or net.simulator().runUntil); use VirtualNetwork.realTime() "
                    + "for threads and blocking sockets");
        }
        if (closed) {
            throw new IllegalStateException("this network is closed; build a new one");
        }
        if (started) {
            throw new IllegalStateException("this network is started already");
        }
        started = true;
        if (fabricLoop != null) {
            fabricThread = LoopThread.start(fabricLoop);
        }
        for (NetworkStack h : hosts) {
            h.start();
        }
        return this;
    }

    /**
     * Closes every host (stopping the loop threads {@link #start()} started and closing their ports; blocked socket
     * calls fail with "network stack stopped"), then the network's own loop thread and links. When this returns no
     * thread of this network runs. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (NetworkStack h : hosts) {
            try {
                h.close();
            } catch (RuntimeException e) {
                failure = e; // stop the other threads anyway
            }
        }
        if (fabricThread != null) {
            try {
                fabricThread.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        for (NetworkPort p : fabricPorts) {
            p.close();
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return (sim != null ? "simulated" : "real-time") + " network " + hosts;
    }

    /**
     * Configuration of a {@link VirtualNetwork}. Defaults: two hosts "host0" and "host1", subnets {@value
     * #DEFAULT_IPV4_SUBNET} and {@value #DEFAULT_IPV6_SUBNET}, no impairments, MTU 1500, default {@link TcpConfig}.
     */
    public static final class Builder {
        private final Simulator sim;
        private List<String> names = List.of("host0", "host1");
        private String networkName = "net";
        private Long seed;
        private String ipv4Subnet = DEFAULT_IPV4_SUBNET;
        private String ipv6Subnet = DEFAULT_IPV6_SUBNET;
        private Impairments impairments = Impairments.NONE;
        private int mtuBytes = VirtualWire.DEFAULT_MTU_BYTES;
        private TcpConfig tcpConfig = TcpConfig.builder().build();
        private BiConsumer<String, NetworkStack.Builder> configure;

        private Builder(Simulator sim) {
            this.sim = sim;
        }

        /** {@code count} hosts named "host0", "host1", ... */
        public Builder hosts(int count) {
            if (count < 2 || count > 0xFFFF) {
                throw new IllegalArgumentException("a network has 2..65535 hosts, got " + count);
            }
            List<String> l = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                l.add("host" + i);
            }
            this.names = List.copyOf(l);
            return this;
        }

        /** Hosts with these names (at least two, all different), in this order: host 0 is the first. */
        public Builder hosts(String... hostNames) {
            if (hostNames.length < 2 || hostNames.length > 0xFFFF) {
                throw new IllegalArgumentException("a network has 2..65535 hosts, got " + hostNames.length
                        + "; name at least two, e.g. hosts(\"server\", \"client\")");
            }
            Set<String> seen = new HashSet<>();
            for (String n : hostNames) {
                if (n == null || n.isBlank() || !seen.add(n)) {
                    throw new IllegalArgumentException("host names must be non-empty and different, got "
                            + List.of(hostNames).stream().map(String::valueOf).toList());
                }
            }
            this.names = List.of(hostNames);
            return this;
        }

        /** Names the network (its wire, switch and loop); default "net". */
        public Builder name(String name) {
            this.networkName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Seeds a real-time network's randomness (MACs, ISNs, ports, impairments); default: a fresh secure seed. A
         * simulated network takes its seed from the simulator.
         */
        public Builder seed(long value) {
            if (sim != null) {
                throw new IllegalStateException("a simulated network takes its seed from its simulator (" + sim.seed()
                        + "): give the seed to VirtualNetwork.simulated(seed)");
            }
            this.seed = value;
            return this;
        }

        /** The IPv4 subnet host addresses come from (host i gets the subnet's address + i + 1); null for none. */
        public Builder ipv4Subnet(String cidr) {
            this.ipv4Subnet = cidr == null ? null : checkSubnet(cidr, true);
            return this;
        }

        /** The IPv6 subnet host addresses come from (host i gets the subnet's address + i + 1); null for none. */
        public Builder ipv6Subnet(String cidr) {
            this.ipv6Subnet = cidr == null ? null : checkSubnet(cidr, false);
            return this;
        }

        private static String checkSubnet(String cidr, boolean ipv4) {
            IpCidr c = IpCidr.parse(cidr);
            if (c.isIpv4() != ipv4) {
                throw new IllegalArgumentException(cidr + " is not an IPv" + (ipv4 ? 4 : 6) + " subnet; use ipv"
                        + (ipv4 ? 6 : 4) + "Subnet for it");
            }
            return cidr;
        }

        /** Impairments (loss, delay, reordering, ...) on every link direction: both ways on a wire, each port's. */
        public Builder impairments(Impairments value) {
            this.impairments = Objects.requireNonNull(value, "impairments (Impairments.NONE for a perfect network)");
            return this;
        }

        /** The MTU of every link and interface (68..65535; 1280 at least while hosts have IPv6). */
        public Builder mtu(int bytes) {
            if (bytes < 68 || bytes > 65_535) {
                throw new IllegalArgumentException("MTU must be 68..65535 bytes, got " + bytes);
            }
            this.mtuBytes = bytes;
            return this;
        }

        /** The TCP configuration of every host. */
        public Builder tcpConfig(TcpConfig config) {
            this.tcpConfig = Objects.requireNonNull(config, "tcpConfig");
            return this;
        }

        /**
         * Adjusts each host's builder before it is built (called with the host's name): routes, an IP config, an
         * offload target. The builder already has the host's loop, randomness, TCP config and interface.
         */
        public Builder configure(BiConsumer<String, NetworkStack.Builder> action) {
            this.configure = Objects.requireNonNull(action, "action");
            return this;
        }

        /** Builds the network; a real-time one runs once {@link VirtualNetwork#start() started}. */
        public VirtualNetwork build() {
            if (ipv4Subnet == null && ipv6Subnet == null) {
                throw new IllegalStateException("hosts need addresses: keep an IPv4 or an IPv6 subnet");
            }
            if (ipv6Subnet != null && mtuBytes < InterfaceConfig.MIN_IPV6_MTU) {
                throw new IllegalStateException("IPv6 needs an MTU of at least 1280 (RFC 8200 §5), got " + mtuBytes
                        + "; raise the MTU or call ipv6Subnet(null)");
            }
            checkRoom(ipv4Subnet);
            checkRoom(ipv6Subnet);
            return new VirtualNetwork(this);
        }

        /** The subnet has an address for every host (not the subnet's own address, not IPv4 broadcast). */
        private void checkRoom(String cidr) {
            if (cidr == null) {
                return;
            }
            IpCidr c = IpCidr.parse(cidr);
            int hostBits = (c.isIpv4() ? 32 : 128) - c.prefixLength();
            long room = hostBits >= 62 ? Long.MAX_VALUE : (1L << hostBits) - (c.isIpv4() ? 2 : 1);
            if (room < names.size()) {
                throw new IllegalStateException("subnet " + cidr + " has room for " + Math.max(0, room) + " hosts, "
                        + "not " + names.size() + "; give a shorter prefix");
            }
        }
    }
}
