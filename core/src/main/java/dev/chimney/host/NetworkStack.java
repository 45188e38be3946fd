package dev.chimney.host;

import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.IpCidr;
import dev.chimney.ip.IpStack;
import dev.chimney.ip.IpStackConfig;
import dev.chimney.ip.NetInterface;
import dev.chimney.ip.Route;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpIpBinding;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpStack;
import dev.chimney.wire.IpAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A complete host stack on one event loop — Ethernet, ARP/NDP, IPv4/IPv6, ICMP and TCP — assembled from a few
 * lines of configuration:
 *
 * <pre>{@code
 * NetworkStack host = NetworkStack.builder(sim.newLoop("a"))
 *         .random(sim.random().fork("a"))
 *         .iface(port, InterfaceConfig.of("eth0", mac).withIpv4("10.77.0.1/24").withIpv6("fd77::1/64"))
 *         .gateway(Ipv4Address.parse("10.77.0.254"))
 *         .build();
 * host.listen(7, listener -> ...);
 * TcpConnection c = host.connect(Ipv4Address.parse("10.77.0.2"), 7, myListener);
 * }</pre>
 *
 * <p>With an offload target ({@link Builder#offload}) the host runs the TCP chimney: an {@link OffloadManager} hands
 * connections to the target as its policy says and takes them back; the target is usually also the interface's
 * port (the soft target's host port), as a NIC is.
 *
 * <p>Under a {@code Simulator} the loop is the simulator's; in real time, build on an {@link EventLoop} with the
 * system clock and {@link #start()} it on its own thread. Like every piece of the stack, it is owned by its loop:
 * call its methods on that loop (from a listener callback, or through {@code loop().execute}).
 */
public final class NetworkStack implements AutoCloseable {
    private final EventLoop loop;
    private final SeededRandom random;
    private final IpStack ip;
    private final TcpIpBinding binding;
    private final List<NetInterface> interfaces;
    private final List<NetworkPort> ports;
    private final OffloadManager offload;
    private LoopThread thread;
    private boolean closed;

    private NetworkStack(Builder b) {
        this.loop = b.loop;
        this.random = b.random != null ? b.random : new SeededRandom(new SecureRandom().nextLong());
        this.ip = new IpStack(loop, random.fork("ip"), b.ipConfig);
        List<NetInterface> ifaces = new ArrayList<>();
        for (int i = 0; i < b.ports.size(); i++) {
            ifaces.add(ip.attach(b.ports.get(i), b.interfaceConfigs.get(i)));
        }
        this.interfaces = List.copyOf(ifaces);
        this.ports = List.copyOf(b.ports);
        for (RouteSpec r : b.routes) {
            NetInterface iface = ip.routes().onLinkInterface(r.gateway);
            if (iface == null) {
                throw new IllegalArgumentException("route " + r.destination + " via " + r.gateway + ": the gateway is"
                        + " on none of the interfaces' prefixes; add an interface address whose prefix contains it");
            }
            ip.routes().add(new Route(r.destination, r.gateway, iface, 0, 0, null, Route.Origin.STATIC));
        }
        this.binding = TcpIpBinding.install(ip, b.tcpConfig, random.fork("tcp"));
        this.offload = b.offloadTarget == null ? null
                : OffloadManager.install(ip, binding.tcp(), b.offloadTarget, b.offloadPolicy, b.offloadParameters);
    }

    /** Starts configuring a host on {@code loop} (a simulator loop, or one on the system clock). */
    public static Builder builder(EventLoop loop) {
        return new Builder(loop);
    }

    public EventLoop loop() {
        return loop;
    }

    /** The IP layer (interfaces, routes, neighbor and path caches, ICMP, counters). */
    public IpStack ip() {
        return ip;
    }

    /** The TCP engine (listen, connect, demultiplexing, counters). */
    public TcpStack tcp() {
        return binding.tcp();
    }

    /** The TCP/IP glue and its counters (malformed segments, ICMP errors applied). */
    public TcpIpBinding binding() {
        return binding;
    }

    /** The offload manager (the TCP chimney's host side), or null when the host was built without a target. */
    public OffloadManager offload() {
        return offload;
    }

    /** The attached interfaces in the order they were configured. */
    public List<NetInterface> interfaces() {
        return interfaces;
    }

    /** The seed this host's randomness derives from: replay a run with {@link Builder#seed(long)}. */
    public long seed() {
        return random.seed();
    }

    /**
     * Opens a connection to {@code remote}:{@code port} from an ephemeral port, with the source address the route
     * to {@code remote} selects (RFC 6724 for IPv6, via the interface).
     *
     * @throws IllegalStateException if there is no route or no usable source address towards {@code remote}
     */
    public TcpConnection connect(IpAddress remote, int port, TcpConnection.Listener listener) {
        Route r = ip.routes().lookup(remote);
        IpAddress source = r == null ? null : r.sourceFor(remote);
        if (source == null) {
            throw new IllegalStateException("no route with a source address towards " + remote
                    + "; configure an interface address on its prefix or a gateway");
        }
        return tcp().connect(source, remote, port, listener);
    }

    /** Listens on {@code port} on every local address. */
    public TcpListener listen(int port, TcpListener.Handler handler) {
        return tcp().listen(null, port, handler);
    }

    /**
     * Runs the loop on its own platform thread (real-time use). From then on, reach the stack only through
     * {@code loop().execute(...)}; {@link #close()} stops the thread.
     */
    public synchronized LoopThread start() {
        if (thread != null) {
            throw new IllegalStateException("already started; a stack runs on one loop thread");
        }
        thread = LoopThread.start(loop);
        return thread;
    }

    /** Stops the loop thread (if started) and closes every port. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (thread != null) {
            thread.close();
        }
        for (NetworkPort p : ports) {
            p.close();
        }
    }

    private record RouteSpec(IpCidr destination, IpAddress gateway) {
    }

    /** Configuration of a {@link NetworkStack}. */
    public static final class Builder {
        private final EventLoop loop;
        private SeededRandom random;
        private IpStackConfig ipConfig = IpStackConfig.defaults();
        private TcpConfig tcpConfig = TcpConfig.builder().build();
        private final List<NetworkPort> ports = new ArrayList<>();
        private final List<InterfaceConfig> interfaceConfigs = new ArrayList<>();
        private final List<RouteSpec> routes = new ArrayList<>();
        private OffloadTarget offloadTarget;
        private OffloadPolicy offloadPolicy;
        private OffloadParameters offloadParameters = OffloadParameters.DEFAULTS;

        private Builder(EventLoop loop) {
            this.loop = Objects.requireNonNull(loop, "loop (a simulator loop, or new EventLoop(name, clock))");
        }

        /** Seeds all of the host's randomness (ISNs, ports, NUD timers); default: a fresh secure seed. */
        public Builder seed(long seed) {
            this.random = new SeededRandom(seed);
            return this;
        }

        /** Takes the host's randomness from {@code random} (e.g. {@code sim.random().fork("a")}). */
        public Builder random(SeededRandom random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        public Builder ipConfig(IpStackConfig config) {
            this.ipConfig = Objects.requireNonNull(config, "ipConfig");
            return this;
        }

        public Builder tcpConfig(TcpConfig config) {
            this.tcpConfig = Objects.requireNonNull(config, "tcpConfig");
            return this;
        }

        /** Attaches {@code port} as an interface (MAC, addresses, MTU and VLAN in {@code config}). */
        public Builder iface(NetworkPort port, InterfaceConfig config) {
            ports.add(Objects.requireNonNull(port, "port"));
            interfaceConfigs.add(Objects.requireNonNull(config, "interface config"));
            return this;
        }

        /** Routes {@code destination} (e.g. "10.78.0.0/16") through {@code gateway}, an on-link router. */
        public Builder route(String destination, IpAddress gateway) {
            routes.add(new RouteSpec(IpCidr.parse(destination), Objects.requireNonNull(gateway, "gateway")));
            return this;
        }

        /** A default route (0.0.0.0/0 or ::/0, by the gateway's family) through {@code gateway}. */
        public Builder gateway(IpAddress gateway) {
            return route(gateway.isIpv4() ? "0.0.0.0/0" : "::/0", gateway);
        }

        /**
         * Runs the TCP chimney with {@code target}: connections go to it as {@code policy} says (spec §1.1). The
         * target's host-facing port is normally one of the interfaces ({@link #iface}).
         */
        public Builder offload(OffloadTarget target, OffloadPolicy policy) {
            this.offloadTarget = Objects.requireNonNull(target, "target");
            this.offloadPolicy = Objects.requireNonNull(policy, "policy (OffloadPolicy.explicit() to decide per "
                    + "connection)");
            return this;
        }

        /** The parameters set on the offload target (spec §7.2); their tick must be the TCP config's. */
        public Builder offloadParameters(OffloadParameters parameters) {
            this.offloadParameters = Objects.requireNonNull(parameters, "parameters");
            return this;
        }

        public NetworkStack build() {
            if (ports.isEmpty()) {
                throw new IllegalStateException("a host needs at least one interface: call iface(port, config)");
            }
            return new NetworkStack(this);
        }
    }
}
