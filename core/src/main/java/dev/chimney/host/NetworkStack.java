package dev.chimney.host;

import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.host.ChimneyStatistics;
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
import dev.chimney.runtime.LoopCommand;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.socket.SocketHost;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpServerSocket;
import dev.chimney.socket.TcpSocket;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpIpBinding;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpStack;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A complete host stack on one event loop — Ethernet, ARP/NDP, IPv4/IPv6, ICMP, TCP and the socket layer —
 * assembled from a few lines of configuration. For hosts on an in-memory network, {@link VirtualNetwork} does all
 * of this for you; build a {@code NetworkStack} yourself to put a host on a TAP device, a {@link
 * dev.chimney.link.LoopBridge} or a link of your own:
 *
 * {@snippet file="dev/chimney/examples/ManualStacksExample.java" region="stack-builder"}
 *
 * <p>With an offload target ({@link Builder#offload}) the host runs the TCP chimney: an {@link OffloadManager} hands
 * connections to the target as its policy says and takes them back; the target is usually also the interface's
 * port (the soft target's host port), as a NIC is.
 *
 * <p>Threading: a stack is owned by its {@link EventLoop} and, like every piece of the stack, touched only on that
 * loop — from a listener callback, or through {@code loop().execute(...)} — with two exceptions: the blocking
 * sockets ({@link #connect(InetSocketAddress)}, {@link #listen(int)}, {@link #sockets()}), which any thread except
 * the loop's own may use, and {@link #start()} / {@link #close()}.
 * <ul>
 *   <li>Real time: build on {@code new EventLoop(name, Clock.system())} and call {@link #start()}: it runs the loop
 *       on a thread it owns, and {@link #close()} stops that thread and closes the ports.</li>
 *   <li>Several stacks may share one loop (a {@link dev.chimney.link.VirtualWire} needs that: both of its ends are
 *       driven by one thread). Start such a loop once — {@code start()} on one of the stacks, or {@code
 *       LoopThread.start(loop)} — and note that a stack's {@code close()} stops only the thread its own {@code
 *       start()} started: close a {@code LoopThread} you started yourself. Hosts on different threads talk
 *       through a {@link dev.chimney.link.LoopBridge}, as {@link VirtualNetwork#realTime} hosts do.</li>
 *   <li>Under a {@link dev.chimney.runtime.Simulator} the loop is the simulator's ({@code sim.newLoop(name)}) and
 *       the simulator turns it: never {@code start()} it. Blocking sockets need a loop some thread runs, so they
 *       refuse to work here; use the loop-side, non-blocking {@link dev.chimney.socket.TcpChannel} API ({@code
 *       sockets().connect(...)} / {@code serve(...)} with a {@link dev.chimney.socket.TcpChannelHandler}), or the
 *       engine's {@link #connect(IpAddress, int, TcpConnection.Listener)} / {@link #listen(int,
 *       TcpListener.Handler)}, and drive the simulator until done.</li>
 * </ul>
 */
public final class NetworkStack implements SocketHost, AutoCloseable {
    private final String name;
    private final EventLoop loop;
    private final SeededRandom random;
    private final IpStack ip;
    private final TcpIpBinding binding;
    private final List<NetInterface> interfaces;
    private final List<NetworkPort> ports;
    private final OffloadManager offload;
    private LoopThread thread;
    private volatile SocketStack sockets;
    private boolean closed;

    private NetworkStack(Builder b) {
        this.loop = b.loop;
        this.name = b.name != null ? b.name : loop.name();
        this.random = b.random != null ? b.random : new SeededRandom(new SecureRandom().nextLong());
        this.ip = new IpStack(loop, random.fork("ip"), b.ipConfig);
        List<NetInterface> ifaces = new ArrayList<>();
        for (int i = 0; i < b.ports.size(); i++) {
            InterfaceConfig config = b.interfaceConfigs.get(i);
            if (config == null) {
                config = defaultInterface(i, b.addresses.get(i), random.seed());
            }
            ifaces.add(ip.attach(b.ports.get(i), config));
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
                : OffloadManager.install(ip, binding.tcp(), b.offloadTarget, b.offloadPolicy,
                        b.offloadParameters != null ? b.offloadParameters : OffloadParameters.matching(b.tcpConfig));
    }

    /**
     * An interface {@code eth<i>} with the given addresses and a locally administered MAC derived from the host's
     * seed, the interface index and its first address (so two hosts built with the same seed still differ).
     */
    private static InterfaceConfig defaultInterface(int index, List<String> cidrs, long seed) {
        long mix = seed;
        for (int k = 0; k < cidrs.get(0).length(); k++) {
            mix = (mix ^ cidrs.get(0).charAt(k)) * 0x100000001B3L;
        }
        InterfaceConfig config = InterfaceConfig.of("eth" + index, MacAddress.locallyAdministered(mix, index));
        for (String cidr : cidrs) {
            config = cidr.indexOf(':') >= 0 ? config.withIpv6(cidr) : config.withIpv4(cidr);
        }
        return config;
    }

    /**
     * Starts configuring a host on {@code loop}: a simulator loop ({@code sim.newLoop(name)}), or {@code new
     * EventLoop(name, Clock.system())} for real time.
     */
    public static Builder builder(EventLoop loop) {
        return new Builder(loop);
    }

    /** The host's name ({@link Builder#name}; by default its loop's name), for logs and messages. */
    public String name() {
        return name;
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    /** The IP layer (interfaces, routes, neighbor and path caches, ICMP, counters). */
    public IpStack ip() {
        return ip;
    }

    /** The TCP engine (listen, connect, demultiplexing, counters). */
    @Override
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

    /**
     * The host's TCP/IP statistics merged with its offload target's (spec §5.4.4): with a target, the target is
     * asked ({@link OffloadManager#queryStatistics}) and {@code result} runs on this loop when it answers; without
     * one, {@code result} runs at once with the host's figures and {@link OffloadStatistics#ZERO}. Call on the loop.
     */
    public void statistics(Consumer<ChimneyStatistics> result) {
        Objects.requireNonNull(result, "result");
        if (offload == null) {
            result.accept(new ChimneyStatistics(ChimneyStatistics.HostStatistics.of(ip, tcp()),
                    OffloadStatistics.ZERO));
        } else {
            offload.queryStatistics(result);
        }
    }

    /** The attached interfaces in the order they were configured. */
    public List<NetInterface> interfaces() {
        return interfaces;
    }

    /** The unicast addresses configured on the interfaces, in configuration order (IPv4 and IPv6, no link-local). */
    public List<IpAddress> addresses() {
        List<IpAddress> all = new ArrayList<>();
        for (NetInterface i : interfaces) {
            i.config().ipv4().forEach(c -> all.add(c.address()));
            i.config().ipv6().forEach(c -> all.add(c.address()));
        }
        return List.copyOf(all);
    }

    /**
     * The host's first configured address: the first IPv4 address if it has one, else the first IPv6 address.
     *
     * @throws IllegalStateException if no interface has an address
     */
    public IpAddress address() {
        List<IpAddress> all = addresses();
        for (IpAddress a : all) {
            if (a.isIpv4()) {
                return a;
            }
        }
        if (all.isEmpty()) {
            throw new IllegalStateException("host " + name + " has no configured address; give its interface one "
                    + "(InterfaceConfig.withIpv4 / withIpv6, or Builder.iface(port, \"10.0.0.1/24\"))");
        }
        return all.get(0);
    }

    /** {@link #address()} and {@code port} as a {@code java.net} socket address: what a peer connects to. */
    public InetSocketAddress socketAddress(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        return new InetSocketAddress(address().toInetAddress(), port);
    }

    /**
     * Our address towards {@code remote}: the source address the route towards it selects (RFC 6724 for IPv6,
     * through the interface), or null when there is no route. Call on the loop.
     */
    @Override
    public IpAddress sourceFor(IpAddress remote) {
        Route r = ip.routes().lookup(remote);
        return r == null ? null : r.sourceFor(remote);
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

    /** Listens on {@code port} on every local address (engine level, on the loop). */
    public TcpListener listen(int port, TcpListener.Handler handler) {
        return tcp().listen(null, port, handler);
    }

    /**
     * The host's socket layer: blocking {@link TcpSocket}s and {@link TcpServerSocket}s for application threads,
     * and the loop-side {@link dev.chimney.socket.TcpChannel} API. One per host, made on first use; safe to call
     * from any thread.
     */
    @Override
    public SocketStack sockets() {
        SocketStack s = sockets;
        if (s == null) {
            synchronized (this) {
                s = sockets;
                if (s == null) {
                    s = new SocketStack(loop, tcp(), this);
                    sockets = s;
                }
            }
        }
        return s;
    }

    /**
     * Opens a blocking socket connected to {@code remote}, an IP address and port (this stack resolves no names;
     * {@code peer.socketAddress(port)} gives one). For application threads — virtual threads welcome — while the
     * loop runs on its own thread ({@link #start()}); under a simulator use the loop-side API (see the class
     * comment).
     *
     * {@snippet file="dev/chimney/examples/EchoExample.java" region="echo-client"}
     *
     * @throws java.net.ConnectException refused (RST), or no answer to the SYNs
     * @throws java.net.NoRouteToHostException no address of the remote's family, or ICMP unreachable
     * @throws IllegalArgumentException {@code remote} is unresolved or the wildcard address
     * @throws IllegalStateException no thread runs the loop (not started, or a simulator loop)
     */
    public TcpSocket connect(InetSocketAddress remote) throws IOException {
        TcpSocket s = sockets().newSocket();
        s.connect(remote); // a failed connect closes the socket
        return s;
    }

    /**
     * Opens a blocking server socket listening on {@code port} at every local address; {@link
     * TcpServerSocket#accept()} waits for connections. Same threading rules as {@link #connect(InetSocketAddress)}.
     *
     * {@snippet file="dev/chimney/examples/EchoExample.java" region="echo-server"}
     *
     * @throws java.net.BindException something already listens on {@code port}
     */
    public TcpServerSocket listen(int port) throws IOException {
        TcpServerSocket server = sockets().newServerSocket();
        try {
            server.bind(null, port);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /**
     * Runs {@code task} on the stack's loop and returns its result: the way for another thread to use the loop-side
     * API (start an app, read counters, open a {@link dev.chimney.socket.TcpChannel}). On a loop a thread runs,
     * the task becomes a command and this waits for it; on the loop's own thread, or on a loop no thread runs (a
     * simulator loop, whose driving thread is the caller; a loop not started yet), it runs at once.
     *
     * {@snippet file="dev/chimney/examples/HttpExample.java" region="call-on-loop"}
     *
     * @param <T> the task's result type
     * @param <E> the checked exception the task may throw (rethrown here as it is)
     * @throws IllegalStateException if the loop was stopped (the host is closed)
     */
    public <T, E extends Exception> T callOnLoop(LoopTask<T, E> task) throws E {
        Objects.requireNonNull(task, "task");
        if (loop.inLoopThread()) {
            return task.call();
        }
        if (!loop.isRunning() && !loop.isTerminated()) {
            if (loop.isStopped()) {
                throw new IllegalStateException("host " + name + " is stopped (its loop was stopped before it ran); "
                        + "build a new host");
            }
            return task.call(); // nobody else runs this loop: the caller owns it (a simulator's driver)
        }
        java.util.concurrent.CompletableFuture<T> result = new java.util.concurrent.CompletableFuture<>();
        loop.execute(new LoopCommand() {
            @Override
            public void run() {
                try {
                    result.complete(task.call());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            }

            @Override
            protected void onRejected(RejectedExecutionException reason) {
                result.completeExceptionally(new IllegalStateException("host " + name + " is stopped (its loop no "
                        + "longer runs); build a new host", reason));
            }
        });
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the task runs anyway: wait for it, then restore the interrupt
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    @SuppressWarnings("unchecked")
                    E checked = (E) cause; // the task's only checked exceptions are E's
                    throw checked;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A task for {@link #callOnLoop}: returns a value and may throw {@code E}.
     *
     * @param <T> the result type
     * @param <E> the checked exception it may throw ({@code RuntimeException} for none)
     */
    @FunctionalInterface
    public interface LoopTask<T, E extends Exception> {
        /** Runs on the loop. */
        T call() throws E;
    }

    /**
     * Runs the loop on a platform thread this stack owns (real-time use); {@link #close()} stops it. From then on,
     * reach the stack's loop-side state only through {@code loop().execute(...)}; blocking sockets work from any
     * other thread. Stacks that share one loop start it once.
     *
     * @throws IllegalStateException if this stack was started or closed already, or its loop already runs on a
     *                               thread (started by another stack on it, or by hand)
     */
    public synchronized LoopThread start() {
        if (closed) {
            throw new IllegalStateException("host " + name + " is closed; build a new one");
        }
        if (thread != null) {
            throw new IllegalStateException("host " + name + " is started already; a stack runs on one loop thread");
        }
        if (loop.isRunning()) {
            throw new IllegalStateException("loop " + loop.name() + " of host " + name + " already runs on a "
                    + "thread (another stack on the same loop, or LoopThread.start, started it): start a shared "
                    + "loop once, and close that LoopThread yourself after closing its stacks");
        }
        if (loop.isStopped()) {
            throw new IllegalStateException("loop " + loop.name() + " of host " + name + " was stopped; a stopped "
                    + "loop never runs again: build the host on a new loop");
        }
        thread = LoopThread.start(loop);
        return thread;
    }

    /**
     * Closes the host: stops the loop thread its {@link #start()} started (blocked socket calls then fail with
     * "network stack stopped") and closes every port. A loop this stack did not start keeps running: its ports are
     * closed on that loop (this waits for it), and whoever started the loop stops it. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (thread != null) {
            thread.close();
        }
        if (loop.isRunning() && !loop.inLoopThread()) {
            closePortsOnLoop();
            return;
        }
        closePorts();
    }

    private void closePorts() {
        for (NetworkPort p : ports) {
            p.close();
        }
    }

    /** Ports are loop-owned: with the loop running elsewhere, close them there, so no frame is mid-flight. */
    private void closePortsOnLoop() {
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(new LoopCommand() {
            @Override
            public void run() {
                try {
                    closePorts();
                } finally {
                    done.countDown();
                }
            }

            @Override
            protected void onRejected(RejectedExecutionException reason) {
                closePorts(); // the loop stopped meanwhile (on its own thread, after its last turn)
                done.countDown();
            }
        });
        try {
            if (!done.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("loop " + loop.name() + " did not close host " + name + "'s ports "
                        + "within 10 s: a handler is blocking its thread (loop handlers must never block)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "NetworkStack[" + name + " " + addresses() + "]";
    }

    private record RouteSpec(IpCidr destination, IpAddress gateway) {
    }

    /**
     * Configuration of a {@link NetworkStack}: its loop (given to {@link NetworkStack#builder}), interfaces, routes,
     * randomness and protocol settings. Defaults: a fresh secure seed, {@link IpStackConfig#defaults()}, default
     * {@link TcpConfig}, the loop's name. Two hosts on two loops, joined by a bridge:
     *
     * {@snippet file="dev/chimney/examples/ManualStacksExample.java" region="stack-builder"}
     *
     * And two hosts sharing one loop on the two ends of a lossy wire:
     *
     * {@snippet file="dev/chimney/examples/ManualStacksExample.java" region="virtual-wire"}
     */
    public static final class Builder {
        private final EventLoop loop;
        private SeededRandom random;
        private IpStackConfig ipConfig = IpStackConfig.defaults();
        private TcpConfig tcpConfig = TcpConfig.builder().build();
        private final List<NetworkPort> ports = new ArrayList<>();
        private final List<InterfaceConfig> interfaceConfigs = new ArrayList<>();
        private final List<List<String>> addresses = new ArrayList<>();
        private final List<RouteSpec> routes = new ArrayList<>();
        private OffloadTarget offloadTarget;
        private OffloadPolicy offloadPolicy;
        private OffloadParameters offloadParameters;
        private String name;

        private Builder(EventLoop loop) {
            this.loop = Objects.requireNonNull(loop, "loop (a simulator loop, or new EventLoop(name, clock))");
        }

        /** Names the host for logs and messages; default: its loop's name. */
        public Builder name(String hostName) {
            this.name = Objects.requireNonNull(hostName, "name");
            return this;
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
            addresses.add(List.of());
            return this;
        }

        /**
         * Attaches {@code port} as an interface {@code eth<i>} with the given addresses (IPv4 or IPv6 with prefix
         * length, e.g. {@code "10.0.0.1/24"}, {@code "fd00::1/64"}), the default MTU and a locally administered MAC
         * derived from the host's seed, the interface's index and its first address: no MAC to invent. For an MTU,
         * a VLAN or a MAC of your choice, use {@link #iface(NetworkPort, InterfaceConfig)}.
         *
         * @throws IllegalArgumentException if no address is given or one does not parse
         */
        public Builder iface(NetworkPort port, String... cidrs) {
            Objects.requireNonNull(port, "port");
            if (cidrs.length == 0) {
                throw new IllegalArgumentException("give the interface on " + port.name() + " at least one address, "
                        + "e.g. iface(port, \"10.0.0.1/24\"), or an InterfaceConfig");
            }
            for (String cidr : cidrs) {
                IpCidr.parse(Objects.requireNonNull(cidr, "address")); // fail here, naming the bad one
            }
            ports.add(port);
            interfaceConfigs.add(null);
            addresses.add(List.of(cidrs));
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

        /**
         * The parameters set on the offload target (spec §7.2); their tick must be the TCP config's. Default: {@link
         * OffloadParameters#matching} the host's TCP config, so an offloaded connection acknowledges and retransmits
         * as it did on the host.
         */
        public Builder offloadParameters(OffloadParameters parameters) {
            this.offloadParameters = Objects.requireNonNull(parameters, "parameters");
            return this;
        }

        /** Builds the host and registers it on its loop (nothing runs until the loop is turned or started). */
        public NetworkStack build() {
            if (ports.isEmpty()) {
                throw new IllegalStateException("a host needs at least one interface: call iface(port, config) or "
                        + "iface(port, \"10.0.0.1/24\")");
            }
            return new NetworkStack(this);
        }
    }
}
