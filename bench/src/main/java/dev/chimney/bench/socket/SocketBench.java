package dev.chimney.bench.socket;

import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.socket.TcpChannelHandler;
import dev.chimney.socket.TcpServerSocket;
import dev.chimney.socket.TcpSocket;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What the socket layer costs, measured in one run next to baselines:
 * <ul>
 *   <li><b>bulk</b>: one connection moves 64 MiB (by default) one way, through two complete host stacks
 *       (Ethernet, IPv4, TCP) joined by an unimpaired virtual wire, both on one loop thread. Three ways: (1) loop-side
 *       {@link TcpChannel} handlers on both ends (no extra thread: the engine's own cost), (2) blocking {@link
 *       TcpSocket}s from virtual threads (adds the command hand-off), (3) {@code java.net.Socket} over the kernel's
 *       loopback (the baseline an application would otherwise use).</li>
 *   <li><b>ping-pong</b>: one byte back and forth 20,000 times (by default): round-trip time of the blocking hand-off
 *       versus kernel loopback sockets.</li>
 * </ul>
 * Rounds alternate the cases (5 rounds by default, median kept) so background load on a shared machine spreads
 * over both sides of each ratio. Only loopback is used; nothing is configured on any interface.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     dev.chimney.bench.socket.SocketBench</pre>
 */
public final class SocketBench {
    // sizes: the defaults below, or --bytes N --pings N --rounds N (chimney bench --quick runs small ones)
    static int bulkBytes = 64 << 20;
    static int pings = 20_000;
    static int rounds = 5;
    static final int CHUNK = 64 * 1024;
    static final IpAddress A = IpAddress.parse("10.77.8.1");
    static final IpAddress B = IpAddress.parse("10.77.8.2");

    private SocketBench() {
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i + 1 < args.length; i += 2) {
            int value = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "--bytes" -> bulkBytes = value;
                case "--pings" -> pings = value;
                case "--rounds" -> rounds = value;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; use --bytes N, --pings N or --rounds N");
            }
        }
        if (bulkBytes <= 0 || bulkBytes % CHUNK != 0 || pings < 10 || rounds < 1) {
            throw new IllegalArgumentException("--bytes must be a positive multiple of " + CHUNK
                    + " (the blocking cases write whole chunks), --pings at least 10, --rounds at least 1");
        }
        List<double[]> bulk = new ArrayList<>(); // MB/s: loop-side, blocking, kernel
        List<double[]> ping = new ArrayList<>(); // us per round trip: blocking, kernel
        for (int round = -1; round < rounds; round++) { // round -1 warms the JIT up and is not kept
            double[] b = new double[3];
            double[] p = new double[2];
            try (Hosts h = new Hosts()) {
                if ((round & 1) == 0) { // alternate which chimney case runs first
                    b[0] = loopSideBulk(h);
                    b[1] = blockingBulk(h, 5000);
                } else {
                    b[1] = blockingBulk(h, 5000);
                    b[0] = loopSideBulk(h);
                }
                p[0] = blockingPingPong(h, 6000);
            }
            b[2] = kernelBulk();
            p[1] = kernelPingPong();
            if (round < 0) {
                continue;
            }
            bulk.add(b);
            ping.add(p);
            System.out.printf(Locale.ROOT, "round %d: bulk MB/s loop-side %.0f, blocking %.0f, kernel %.0f; "
                    + "ping-pong us blocking %.1f, kernel %.1f%n", round, b[0], b[1], b[2], p[0], p[1]);
        }
        double loopSide = median(bulk, 0);
        double blocking = median(bulk, 1);
        double kernel = median(bulk, 2);
        double pingChimney = median(ping, 0);
        double pingKernel = median(ping, 1);
        System.out.printf(Locale.ROOT, "%nbulk %.1f MiB (median of %d rounds)%n", bulkBytes / 1048576.0, rounds);
        System.out.printf(Locale.ROOT, "  chimney loop-side TcpChannel : %8.0f MB/s%n", loopSide);
        System.out.printf(Locale.ROOT, "  chimney blocking TcpSocket   : %8.0f MB/s  (%.2fx loop-side)%n", blocking,
                blocking / loopSide);
        System.out.printf(Locale.ROOT, "  kernel loopback java.net     : %8.0f MB/s  (chimney blocking = %.2fx)%n",
                kernel, blocking / kernel);
        System.out.printf(Locale.ROOT, "ping-pong 1 byte x %d (median)%n", pings);
        System.out.printf(Locale.ROOT, "  chimney blocking TcpSocket   : %8.1f us/round trip%n", pingChimney);
        System.out.printf(Locale.ROOT, "  kernel loopback java.net     : %8.1f us/round trip  (chimney = %.2fx)%n",
                pingKernel, pingChimney / pingKernel);
        // one machine-readable line for chimney bench (the same figures as above)
        System.out.printf(Locale.ROOT, "RESULT socket bytes=%d rounds=%d pings=%d loop_side_mbps=%.1f "
                + "blocking_mbps=%.1f kernel_mbps=%.1f blocking_rtt_us=%.2f kernel_rtt_us=%.2f%n", bulkBytes,
                rounds, pings, loopSide, blocking, kernel, pingChimney, pingKernel);
    }

    static double median(List<double[]> rows, int column) {
        double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
        return v[v.length / 2];
    }

    /** Two host stacks on one real-time loop thread, joined by an unimpaired virtual wire. */
    static final class Hosts implements AutoCloseable {
        final EventLoop loop = new EventLoop("bench", Clock.system());
        final SocketStack a;
        final SocketStack b;
        final LoopThread thread;

        Hosts() {
            SeededRandom random = new SeededRandom(42);
            VirtualWire wire = VirtualWire.builder("wire", Clock.system(), random.fork("wire"))
                    .maxInFlightFrames(16_384).build();
            TcpConfig tcp = TcpConfig.builder().sendBufferBytes(1 << 20).receiveBufferBytes(1 << 20).build();
            NetworkStack ha = NetworkStack.builder(loop).random(random.fork("a")).tcpConfig(tcp)
                    .iface(wire.a(), InterfaceConfig.of("a0", MacAddress.parse("02:77:00:00:08:01"))
                            .withIpv4("10.77.8.1/24"))
                    .build();
            NetworkStack hb = NetworkStack.builder(loop).random(random.fork("b")).tcpConfig(tcp)
                    .iface(wire.b(), InterfaceConfig.of("b0", MacAddress.parse("02:77:00:00:08:02"))
                            .withIpv4("10.77.8.2/24"))
                    .build();
            a = SocketStack.of(ha);
            b = SocketStack.of(hb);
            thread = LoopThread.start(loop);
        }

        @Override
        public void close() {
            thread.close();
        }
    }

    static double loopSideBulk(Hosts h) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        long[] timesNs = new long[2];
        byte[] chunk = new byte[CHUNK];
        byte[] sink = new byte[CHUNK];
        h.loop.execute(() -> {
            h.b.serve(null, 9, SocketOptions.defaults(), ch -> new TcpChannelHandler() {
                long got;

                @Override
                public void onReadable(TcpChannel c) {
                    int n;
                    while ((n = c.read(sink, 0, sink.length)) > 0) {
                        got += n;
                    }
                    if (n < 0 || got >= bulkBytes) {
                        timesNs[1] = System.nanoTime();
                        c.close();
                        done.countDown();
                    }
                }
            });
            timesNs[0] = System.nanoTime();
            h.a.connect(B, 9, SocketOptions.defaults(), new TcpChannelHandler() {
                long sent;

                @Override
                public void onWritable(TcpChannel c) {
                    while (sent < bulkBytes) {
                        int n = c.write(chunk, 0, (int) Math.min(chunk.length, bulkBytes - sent));
                        if (n == 0) {
                            return;
                        }
                        sent += n;
                    }
                    c.shutdownOutput();
                }
            });
        });
        if (!done.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("loop-side bulk transfer did not finish in 120 s");
        }
        return bulkBytes / ((timesNs[1] - timesNs[0]) / 1e9) / 1e6;
    }

    static double blockingBulk(Hosts h, int port) throws Exception {
        TcpServerSocket server = h.b.newServerSocket();
        server.bind(null, port);
        CompletableFuture<Long> received = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (TcpSocket s = server.accept()) {
                byte[] buf = new byte[CHUNK];
                long got = 0;
                int n;
                while ((n = s.read(buf, 0, buf.length)) >= 0) {
                    got += n;
                }
                received.complete(got);
            } catch (Throwable t) {
                received.completeExceptionally(t);
            }
        });
        byte[] chunk = new byte[CHUNK];
        CompletableFuture<Long> elapsed = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (TcpSocket s = h.a.newSocket()) {
                s.connect(B, port);
                long start = System.nanoTime();
                for (long sent = 0; sent < bulkBytes; sent += CHUNK) {
                    s.write(chunk, 0, CHUNK);
                }
                s.shutdownOutput();
                received.get(120, TimeUnit.SECONDS);
                elapsed.complete(System.nanoTime() - start);
            } catch (Throwable t) {
                elapsed.completeExceptionally(t);
            }
        });
        long ns = elapsed.get(120, TimeUnit.SECONDS);
        if (received.get() != bulkBytes) {
            throw new IllegalStateException("received " + received.get() + " of " + bulkBytes);
        }
        server.close();
        return bulkBytes / (ns / 1e9) / 1e6;
    }

    static double blockingPingPong(Hosts h, int port) throws Exception {
        TcpServerSocket server = h.b.newServerSocket();
        server.bind(null, port);
        Thread.ofVirtual().start(() -> {
            try (TcpSocket s = server.accept()) {
                s.setTcpNoDelay(true);
                byte[] one = new byte[1];
                while (s.read(one, 0, 1) > 0) {
                    s.write(one, 0, 1);
                }
            } catch (IOException e) {
                // the client closed
            }
        });
        CompletableFuture<Double> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (TcpSocket s = h.a.newSocket()) {
                s.setTcpNoDelay(true);
                s.connect(B, port);
                result.complete(pingPong(s.getInputStream(), s.getOutputStream()));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        double us = result.get(120, TimeUnit.SECONDS);
        server.close();
        return us;
    }

    static double pingPong(InputStream in, OutputStream out) throws IOException {
        byte[] one = {1};
        for (int i = 0; i < pings / 10; i++) { // warm-up
            out.write(one, 0, 1);
            if (in.read(one, 0, 1) != 1) {
                throw new IOException("peer closed during warm-up");
            }
        }
        long start = System.nanoTime();
        for (int i = 0; i < pings; i++) {
            out.write(one, 0, 1);
            if (in.read(one, 0, 1) != 1) {
                throw new IOException("peer closed");
            }
        }
        return (System.nanoTime() - start) / 1e3 / pings;
    }

    static double kernelBulk() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> received = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    byte[] buf = new byte[CHUNK];
                    long got = 0;
                    int n;
                    InputStream in = s.getInputStream();
                    while ((n = in.read(buf)) >= 0) {
                        got += n;
                    }
                    received.complete(got);
                } catch (Throwable t) {
                    received.completeExceptionally(t);
                }
            });
            byte[] chunk = new byte[CHUNK];
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                long start = System.nanoTime();
                OutputStream out = s.getOutputStream();
                for (long sent = 0; sent < bulkBytes; sent += CHUNK) {
                    out.write(chunk);
                }
                s.shutdownOutput();
                long got = received.get(120, TimeUnit.SECONDS);
                long ns = System.nanoTime() - start;
                if (got != bulkBytes) {
                    throw new IllegalStateException("kernel received " + got);
                }
                return bulkBytes / (ns / 1e9) / 1e6;
            }
        }
    }

    static double kernelPingPong() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.setTcpNoDelay(true);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    int b;
                    while ((b = in.read()) >= 0) {
                        out.write(b);
                    }
                } catch (IOException e) {
                    // the client closed
                }
            });
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                s.setTcpNoDelay(true);
                return pingPong(s.getInputStream(), s.getOutputStream());
            }
        }
    }
}
