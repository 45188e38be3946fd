package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.socket.TcpChannelHandler;
import dev.chimney.socket.TcpServerSocket;
import dev.chimney.socket.TcpSocket;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The embedding API's short path: {@link VirtualNetwork} in real time (each host on its own loop thread, through
 * LoopBridges and, with impairments or more than two hosts, a network loop running a wire or switch) and under the
 * simulator; {@link NetworkStack}'s sockets, {@code java.net} addresses, default MACs, start/close owning threads,
 * and the messages of misuse.
 */
class VirtualNetworkTest {
    private static final Duration LIMIT = Duration.ofSeconds(90);

    /** Byte {@code i} of stream {@code id}: differs per offset and per stream, so misplaced bytes show. */
    private static byte pattern(int id, long i) {
        return (byte) (i * 131 + (i >>> 9) + id * 17);
    }

    /** A blocking echo server on virtual threads; closing the listener ends its accept loop. */
    private static TcpServerSocket serveEcho(NetworkStack host, int port, ExecutorService threads) throws IOException {
        TcpServerSocket listener = host.listen(port);
        threads.submit(() -> {
            while (true) {
                TcpSocket s = listener.accept();
                threads.submit(() -> {
                    try (s) {
                        byte[] buf = new byte[32 * 1024];
                        int n;
                        while ((n = s.read(buf, 0, buf.length)) >= 0) {
                            s.write(buf, 0, n);
                        }
                    }
                    return null;
                });
            }
        });
        return listener;
    }

    /** Sends {@code bytes} of stream {@code id} to an echo server and checks every byte that comes back. */
    private static void echoAndCheck(NetworkStack client, InetSocketAddress server, int id, int bytes,
            ExecutorService threads) throws Exception {
        try (TcpSocket s = client.connect(server)) {
            Future<?> writer = threads.submit(() -> {
                byte[] chunk = new byte[20_000];
                for (long sent = 0; sent < bytes; ) {
                    int n = (int) Math.min(chunk.length, bytes - sent);
                    for (int i = 0; i < n; i++) {
                        chunk[i] = pattern(id, sent + i);
                    }
                    s.write(chunk, 0, n);
                    sent += n;
                }
                s.shutdownOutput();
                return null;
            });
            byte[] buf = new byte[48 * 1024];
            long got = 0;
            int n;
            while ((n = s.read(buf, 0, buf.length)) >= 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != pattern(id, got + i)) {
                        throw new AssertionError("stream " + id + ": byte " + (got + i) + " differs");
                    }
                }
                got += n;
            }
            writer.get();
            assertEquals(bytes, got, "stream " + id + " echoed in full");
        }
    }

    private static Thread loopThreadOf(NetworkStack host) {
        return host.callOnLoop(Thread::currentThread);
    }

    private static long retransmissions(VirtualNetwork net) {
        long sum = 0;
        for (NetworkStack h : net.hosts()) {
            sum += h.callOnLoop(() -> h.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS));
        }
        return sum;
    }

    @Test
    void twoRealTimeHostsOnTheirOwnThreadsEchoByteExactOverBlockingSockets() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (VirtualNetwork net = VirtualNetwork.realTime().hosts("rt-server", "rt-client").seed(3).build()
                    .start();
                    ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                NetworkStack server = net.host("rt-server");
                NetworkStack client = net.host("rt-client");
                Thread serverThread = loopThreadOf(server);
                Thread clientThread = loopThreadOf(client);
                assertNotSame(serverThread, clientThread, "each host runs on a loop thread of its own");
                assertEquals("chimney-rt-server", serverThread.getName());
                assertEquals("chimney-rt-client", clientThread.getName());
                try (TcpServerSocket listener = serveEcho(server, 7, threads)) {
                    echoAndCheck(client, server.socketAddress(7), 1, 2 << 20, threads);
                    // IPv6 too: the second address of every host
                    echoAndCheck(client, new InetSocketAddress(server.addresses().get(1).toInetAddress(), 7), 2,
                            256 << 10, threads);
                }
            }
        });
    }

    @ParameterizedTest(name = "{0} hosts, loss {1}")
    @CsvSource({"2, 0.01", "3, 0", "3, 0.01"})
    void realTimeHostsReachEachOtherThroughTheNetworkLoop(int hosts, double loss) {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (VirtualNetwork net = VirtualNetwork.realTime().hosts(hosts).seed(11)
                    .impairments(Impairments.NONE.withLoss(loss).withDelay(100_000, 20_000)).build().start();
                    ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                NetworkStack server = net.host(0);
                try (TcpServerSocket listener = serveEcho(server, 7, threads)) {
                    List<Future<?>> clients = new ArrayList<>();
                    for (int i = 1; i < hosts; i++) {
                        NetworkStack client = net.host(i);
                        int id = i;
                        clients.add(threads.submit(() -> {
                            echoAndCheck(client, server.socketAddress(7), id, 1 << 20, threads);
                            return null;
                        }));
                    }
                    for (Future<?> f : clients) {
                        f.get();
                    }
                }
                if (loss > 0) {
                    // ~1,500 frames each way per client at 1% loss: no retransmission at all has odds below 1e-6
                    assertTrue(retransmissions(net) > 0, "frames were lost and sent again");
                }
            }
        });
    }

    /** Loop side: echoes what it reads; the channel API needs no thread. */
    private static final class ChannelEcho implements TcpChannelHandler {
        private final byte[] buf = new byte[16 * 1024];
        private int pending;
        private int offset;

        @Override
        public void onReadable(TcpChannel ch) {
            pump(ch);
        }

        @Override
        public void onWritable(TcpChannel ch) {
            pump(ch);
        }

        private void pump(TcpChannel ch) {
            while (true) {
                while (pending > 0) {
                    int w = ch.write(buf, offset, pending);
                    if (w == 0) {
                        return; // wait for onWritable
                    }
                    offset += w;
                    pending -= w;
                }
                int n = ch.read(buf, 0, buf.length);
                if (n < 0) {
                    ch.close();
                    return;
                }
                if (n == 0) {
                    return;
                }
                pending = n;
                offset = 0;
            }
        }
    }

    /** Loop side: sends stream {@code id} and checks its echo. */
    private static final class ChannelClient implements TcpChannelHandler {
        final int id;
        final int bytes;
        long sent;
        long received;
        boolean closed;
        IOException error;
        String mismatch;
        private final byte[] chunk = new byte[8 * 1024];

        ChannelClient(int id, int bytes) {
            this.id = id;
            this.bytes = bytes;
        }

        @Override
        public void onConnected(TcpChannel ch) {
            onWritable(ch);
        }

        @Override
        public void onWritable(TcpChannel ch) {
            while (sent < bytes) {
                int n = (int) Math.min(chunk.length, bytes - sent);
                for (int i = 0; i < n; i++) {
                    chunk[i] = pattern(id, sent + i);
                }
                int w = ch.write(chunk, 0, n);
                if (w == 0) {
                    return;
                }
                sent += w;
            }
            ch.shutdownOutput();
        }

        @Override
        public void onReadable(TcpChannel ch) {
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = ch.read(buf, 0, buf.length)) > 0) {
                for (int i = 0; i < n && mismatch == null; i++) {
                    if (buf[i] != pattern(id, received + i)) {
                        mismatch = "stream " + id + ": byte " + (received + i) + " differs";
                    }
                }
                received += n;
            }
            if (n < 0) {
                ch.close();
            }
        }

        @Override
        public void onClosed(TcpChannel ch, IOException failure) {
            closed = true;
            error = failure;
        }
    }

    /** Runs a simulated echo of {@code hosts - 1} clients with host 0; returns a fingerprint of the run. */
    private static String simulatedEcho(long seed, int hosts) {
        try (VirtualNetwork net = VirtualNetwork.simulated(seed).hosts(hosts)
                .impairments(Impairments.NONE.withLoss(0.02).withDelay(500_000, 100_000)).build()) {
            assertTrue(net.isSimulated());
            NetworkStack server = net.host(0);
            server.sockets().serve(null, 7, SocketOptions.defaults(), ch -> new ChannelEcho());
            List<ChannelClient> clients = new ArrayList<>();
            for (int i = 1; i < hosts; i++) {
                ChannelClient c = new ChannelClient(i, 300_000);
                clients.add(c);
                net.host(i).sockets().connect(server.socketAddress(7), SocketOptions.defaults(), c);
            }
            boolean done = net.runUntil(() -> clients.stream().allMatch(c -> c.closed), Duration.ofMinutes(5));
            StringBuilder sb = new StringBuilder("t=" + net.simulator().nowNs());
            for (ChannelClient c : clients) {
                assertNull(c.mismatch);
                assertNull(c.error, "stream " + c.id + " closed gracefully");
                assertEquals(c.bytes, c.received, "stream " + c.id + " echoed in full");
                sb.append(' ').append(c.id).append(':').append(c.received);
            }
            assertTrue(done, "finished within 5 minutes of virtual time");
            sb.append(" retx=").append(retransmissions(net));
            return sb.toString();
        }
    }

    @ParameterizedTest(name = "{0} hosts")
    @CsvSource({"2", "4"})
    void simulatedEchoIsByteExactAndReplaysFromTheSeed(int hosts) {
        String first = simulatedEcho(5, hosts);
        assertEquals(first, simulatedEcho(5, hosts), "the same seed gives the same run");
        assertNotEquals(first, simulatedEcho(6, hosts), "another seed loses other frames");
        assertFalse(first.endsWith("retx=0"), "2% loss made the stacks retransmit: " + first);
    }

    @Test
    void closeStopsEveryThreadStartWasGivenAndWakesBlockedCalls() throws Exception {
        VirtualNetwork net = VirtualNetwork.realTime().hosts("leak-a", "leak-b", "leak-c")
                .impairments(Impairments.NONE.withDelay(50_000, 0)).build().start();
        Set<Thread> threads = new HashSet<>();
        for (NetworkStack h : net.hosts()) {
            threads.add(loopThreadOf(h));
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("chimney-net")) {
                threads.add(t); // the network's own loop (the switch), started by start() too
            }
        }
        assertEquals(4, threads.size(), "three host loops and the network loop: " + threads);
        TcpServerSocket listener = net.host(0).listen(9);
        TcpSocket client = net.host(1).connect(net.host(0).socketAddress(9));
        TcpSocket accepted = listener.accept();
        CompletableFuture<Object> blockedRead = CompletableFuture.supplyAsync(() -> {
            try {
                return client.read(new byte[10], 0, 10);
            } catch (IOException e) {
                return e;
            }
        }, Executors.newVirtualThreadPerTaskExecutor());
        Thread.sleep(50);
        assertFalse(blockedRead.isDone(), "the read waits for data");
        net.close();
        for (Thread t : threads) {
            assertFalse(t.isAlive(), t.getName() + " still runs after close()");
        }
        for (NetworkStack h : net.hosts()) {
            assertTrue(h.loop().isTerminated(), h.name());
        }
        Object result = blockedRead.get(10, TimeUnit.SECONDS);
        SocketException stopped = assertInstanceOf(SocketException.class, result);
        assertTrue(stopped.getMessage().contains("network stack stopped"), stopped.getMessage());
        SocketException later = assertThrows(SocketException.class,
                () -> net.host(1).connect(net.host(2).socketAddress(9)));
        assertTrue(later.getMessage().contains("network stack stopped"), later.getMessage());
        net.close(); // idempotent
        accepted.close();
        client.close();
    }

    @Test
    void aNetworkNeverStartedClosesCleanly() {
        VirtualNetwork net = VirtualNetwork.realTime().build();
        net.close();
        for (NetworkStack h : net.hosts()) {
            assertFalse(h.loop().isRunning());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, net::start);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void javaNetAddressesRoundTrip() throws Exception {
        for (String text : List.of("10.0.0.1", "0.0.0.0", "255.255.255.255", "fd00::1", "::", "fe80::1",
                "::ffff:192.0.2.1", "2001:db8::8:800:200c:417a")) {
            IpAddress ip = IpAddress.parse(text);
            InetAddress inet = ip.toInetAddress();
            assertEquals(ip.isIpv4(), inet instanceof Inet4Address, text);
            assertEquals(!ip.isIpv4(), inet instanceof Inet6Address, text + " (IPv4-mapped stays IPv6)");
            assertArrayEquals(ip.toBytes(), inet.getAddress(), text);
            assertEquals(ip, IpAddress.of(inet), text);
        }
        assertEquals(Ipv4Address.parse("10.9.8.7"), IpAddress.of(InetAddress.ofLiteral("10.9.8.7")));
        assertEquals(Ipv6Address.parse("fd00::7"), IpAddress.of(InetAddress.ofLiteral("fd00::7")));
        assertTimeoutPreemptively(LIMIT, () -> {
            try (VirtualNetwork net = VirtualNetwork.realTime().hosts("inet-a", "inet-b").build().start()) {
                NetworkStack a = net.host(0);
                NetworkStack b = net.host(1);
                assertEquals(new InetSocketAddress(InetAddress.ofLiteral("10.0.0.2"), 80), b.socketAddress(80));
                try (TcpServerSocket server = b.sockets().newServerSocket()) {
                    server.bind(new InetSocketAddress(81)); // the wildcard: every address of b
                    assertEquals(new InetSocketAddress(81), server.localSocketAddress());
                    try (TcpSocket s = a.sockets().newSocket()) {
                        s.bind(new InetSocketAddress(InetAddress.ofLiteral("fd00::1"), 40_001));
                        s.connect(new InetSocketAddress(InetAddress.ofLiteral("fd00::2"), 81), Duration.ofSeconds(10));
                        try (TcpSocket peer = server.accept()) {
                            assertEquals(new InetSocketAddress(InetAddress.ofLiteral("fd00::1"), 40_001),
                                    s.localSocketAddress());
                            assertEquals(new InetSocketAddress(InetAddress.ofLiteral("fd00::2"), 81),
                                    s.remoteSocketAddress());
                            assertEquals(s.localSocketAddress(), peer.remoteSocketAddress());
                            assertEquals(s.remoteSocketAddress(), peer.localSocketAddress());
                        }
                    }
                }
                try (TcpServerSocket server = b.listen(82);
                        TcpSocket s = a.connect(b.socketAddress(82));
                        TcpSocket peer = server.accept()) {
                    assertEquals(b.socketAddress(82), s.remoteSocketAddress());
                    assertEquals(a.address(), IpAddress.of(peer.remoteSocketAddress().getAddress()));
                    InetSocketAddress local = b.callOnLoop(() -> b.sockets().openChannelList().isEmpty() ? null
                            : b.sockets().openChannelList().get(0).localSocketAddress());
                    assertEquals(b.socketAddress(82), local, "the loop-side channel reports the same address");
                }
            }
        });
    }

    @Test
    void badArgumentsSayWhatToDo() throws Exception {
        try (VirtualNetwork sim = VirtualNetwork.simulated(1).build()) {
            NetworkStack a = sim.host(0);
            IllegalStateException blocking = assertThrows(IllegalStateException.class,
                    () -> a.connect(sim.host(1).socketAddress(7)));
            assertTrue(blocking.getMessage().contains("TcpChannel"), blocking.getMessage());
            IllegalStateException start = assertThrows(IllegalStateException.class, sim::start);
            assertTrue(start.getMessage().contains("drive its simulator"), start.getMessage());
            IllegalArgumentException unresolved = assertThrows(IllegalArgumentException.class,
                    () -> a.connect(InetSocketAddress.createUnresolved("host1", 7)));
            assertTrue(unresolved.getMessage().contains("no name lookups"), unresolved.getMessage());
            IllegalArgumentException wildcard = assertThrows(IllegalArgumentException.class,
                    () -> a.connect(new InetSocketAddress(7)));
            assertTrue(wildcard.getMessage().contains("wildcard"), wildcard.getMessage());
            IllegalArgumentException noHost = assertThrows(IllegalArgumentException.class, () -> sim.host("nope"));
            assertTrue(noHost.getMessage().contains("[host0, host1]"), noHost.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> sim.host(2));
        }
        try (VirtualNetwork idle = VirtualNetwork.realTime().build()) {
            IllegalStateException notStarted = assertThrows(IllegalStateException.class, () -> idle.host(0).listen(7));
            assertTrue(notStarted.getMessage().contains("start it first"), notStarted.getMessage());
            IllegalStateException noSim = assertThrows(IllegalStateException.class,
                    () -> idle.runUntil(() -> true, Duration.ofSeconds(1)));
            assertTrue(noSim.getMessage().contains("simulated(seed)"), noSim.getMessage());
        }
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> VirtualNetwork.realTime().hosts("alone"));
        assertTrue(one.getMessage().contains("at least two"), one.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VirtualNetwork.realTime().hosts("x", "x"));
        assertThrows(IllegalArgumentException.class, () -> VirtualNetwork.realTime().hosts(1));
        IllegalStateException room = assertThrows(IllegalStateException.class,
                () -> VirtualNetwork.realTime().hosts(3).ipv4Subnet("10.0.0.0/30").build());
        assertTrue(room.getMessage().contains("room for 2 hosts"), room.getMessage());
        IllegalArgumentException family = assertThrows(IllegalArgumentException.class,
                () -> VirtualNetwork.realTime().ipv4Subnet("fd00::/64"));
        assertTrue(family.getMessage().contains("ipv6Subnet"), family.getMessage());
        IllegalStateException seed = assertThrows(IllegalStateException.class,
                () -> VirtualNetwork.simulated(4).seed(5));
        assertTrue(seed.getMessage().contains("simulated(seed)"), seed.getMessage());

        EventLoop loop = new EventLoop("bad-args", Clock.system());
        VirtualWire wire = VirtualWire.builder("w", loop, 1).build();
        IllegalArgumentException noAddress = assertThrows(IllegalArgumentException.class,
                () -> NetworkStack.builder(loop).iface(wire.a()));
        assertTrue(noAddress.getMessage().contains("at least one address"), noAddress.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetworkStack.builder(loop).iface(wire.a(), "10.0.0.300/24"));
        NetworkStack a = NetworkStack.builder(loop).name("a").iface(wire.a(), "10.5.0.1/24").build();
        NetworkStack b = NetworkStack.builder(loop).name("b").iface(wire.b(), "10.5.0.2/24").build();
        a.start();
        try {
            IllegalStateException twice = assertThrows(IllegalStateException.class, a::start);
            assertTrue(twice.getMessage().contains("started already"), twice.getMessage());
            IllegalStateException shared = assertThrows(IllegalStateException.class, b::start);
            assertTrue(shared.getMessage().contains("start a shared loop once"), shared.getMessage());
        } finally {
            b.close();
            a.close();
        }
        assertTrue(loop.isTerminated(), "a's close() stopped the loop its start() started");
    }

    @Test
    void closingAStackOnALoopItDidNotStartClosesItsPortsThereAndLeavesTheLoopRunning() throws Exception {
        EventLoop loop = new EventLoop("shared", Clock.system());
        VirtualWire wire = VirtualWire.builder("w", loop, 2).build();
        NetworkStack a = NetworkStack.builder(loop).name("a").iface(wire.a(), "10.6.0.1/24").build();
        NetworkStack b = NetworkStack.builder(loop).name("b").iface(wire.b(), "10.6.0.2/24").build();
        try (LoopThread thread = LoopThread.start(loop)) {
            assertTrue(loop.isRunning(), "LoopThread.start returns once the loop runs");
            assertThrows(IllegalStateException.class, () -> LoopThread.start(loop));
            a.close();
            assertTrue(loop.isRunning(), "a stack leaves a loop it did not start running");
            assertTrue(b.callOnLoop(() -> wire.a().outbound().isClosed()), "a's port was closed");
            b.close();
            assertTrue(thread.thread().isAlive());
        }
        assertTrue(loop.isTerminated());
    }

    @Test
    void defaultMacsAreLocallyAdministeredDistinctAndReplayable() {
        Set<MacAddress> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            MacAddress mac = MacAddress.locallyAdministered(77, i);
            assertTrue(mac.isUnicast() && mac.isLocallyAdministered(), mac.toString());
            assertEquals(mac, MacAddress.locallyAdministered(77, i), "same seed and index, same MAC");
            assertTrue(seen.add(mac), "distinct per index: " + mac);
        }
        assertNotEquals(MacAddress.locallyAdministered(77, 0), MacAddress.locallyAdministered(78, 0));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.locallyAdministered(1, 65_536));
        try (VirtualNetwork net = VirtualNetwork.simulated(9).hosts(3).build()) {
            for (int i = 0; i < 3; i++) {
                assertEquals(MacAddress.locallyAdministered(9, i), net.host(i).interfaces().get(0).mac());
                assertEquals(List.of(IpAddress.parse("10.0.0." + (i + 1)), IpAddress.parse("fd00::" + (i + 1))),
                        net.host(i).addresses());
            }
        }
        // Built by hand with the same seed, two hosts still get different MACs (their addresses differ).
        EventLoop loop = new EventLoop("macs", Clock.system());
        VirtualWire wire = VirtualWire.builder("w", loop, 1).build();
        NetworkStack a = NetworkStack.builder(loop).seed(1).iface(wire.a(), "10.7.0.1/24").build();
        NetworkStack b = NetworkStack.builder(loop).seed(1).iface(wire.b(), "10.7.0.2/24").build();
        MacAddress macA = a.interfaces().get(0).mac();
        assertTrue(macA.isUnicast() && macA.isLocallyAdministered(), macA.toString());
        assertNotEquals(macA, b.interfaces().get(0).mac());
        assertEquals("eth0", a.interfaces().get(0).config().name());
    }

    @Test
    void theHostKeepsOneSocketLayerAndRunsTasksOnItsLoop() throws Exception {
        try (VirtualNetwork net = VirtualNetwork.realTime().hosts("one-a", "one-b").build().start()) {
            NetworkStack a = net.host(0);
            assertSame(a.sockets(), a.sockets());
            assertSame(a.sockets(), SocketStack.of(a));
            assertTrue(a.callOnLoop(() -> a.loop().inLoopThread()), "the task ran on the loop's thread");
            IOException checked = assertThrows(IOException.class, () -> a.callOnLoop(() -> {
                throw new IOException("from the loop");
            }));
            assertEquals("from the loop", checked.getMessage());
        }
    }
}
