package dev.chimney.bench.host;

import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.tap.KernelCounters;
import dev.chimney.link.tap.TapDevice;
import dev.chimney.link.tap.TapOptions;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.IdleStrategy;
import dev.chimney.runtime.SystemClock;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpSocket;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many concurrent echo connections against an echo server (socat on Linux), as {@code bench/run-loss.sh} case (c)
 * runs them: each connection writes {@code --bytes} from one virtual thread and reads the echo back from another
 * (the traffic shape of issue 9), and the run is timed from the first connect to the last byte back.
 * <ul>
 *   <li>{@code stack}: the Chimney stack on a TAP in an existing namespace (the same TCP settings, TAP queue and
 *       idle strategy as {@code chimney run}); prints the kernel's drop counters of the TAP for the run.</li>
 *   <li>{@code kernel}: the same client code on java.net sockets, i.e. Linux TCP (run it under {@code ip netns
 *       exec}): the baseline.</li>
 * </ul>
 * Prints one {@code RESULT} line: seconds, bytes each way, the TAP's drops, heap and GC time of the run.
 *
 * <p>{@code --warmup N} (default 1) runs the whole workload N times untimed first, in both modes: the stack's TCP/IP
 * is Java code that the JIT compiles while it runs (a cold run measures C2 compiling as much as TCP), where the
 * kernel's is not; the same warm-up is given to the kernel run's client code so both measure warm clients.
 */
public final class EchoClientsBench {
    private EchoClientsBench() {
    }

    /** One echo connection's two directions over plain streams (either stack). */
    interface Connection extends AutoCloseable {
        InputStream in() throws IOException;

        OutputStream out() throws IOException;

        void shutdownOutput() throws IOException;

        @Override
        void close() throws IOException;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: EchoClientsBench stack|kernel [--option value]...");
        }
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int clients = Integer.parseInt(o.getOrDefault("clients", "200"));
        long bytes = Long.parseLong(o.getOrDefault("bytes", String.valueOf(1 << 20)));
        IpAddress server = IpAddress.parse(o.getOrDefault("server", "10.77.9.1"));
        int port = Integer.parseInt(o.getOrDefault("port", "7007"));
        Duration timeout = Duration.ofSeconds(Long.parseLong(o.getOrDefault("timeout", "120")));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "1"));
        switch (args[0]) {
            case "stack" -> stack(o, clients, bytes, server, port, timeout, warmup);
            case "kernel" -> {
                Connector connector = () -> {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(server.toString(), port), (int) timeout.toMillis());
                    s.setSoTimeout((int) timeout.toMillis());
                    return new Connection() {
                        public InputStream in() throws IOException {
                            return s.getInputStream();
                        }

                        public OutputStream out() throws IOException {
                            return s.getOutputStream();
                        }

                        public void shutdownOutput() throws IOException {
                            s.shutdownOutput();
                        }

                        public void close() throws IOException {
                            s.close();
                        }
                    };
                };
                warmUp(clients, bytes, timeout, warmup, connector);
                Result r = run(clients, bytes, timeout, connector);
                System.out.println(r.line("kernel", KernelCounters.NONE, -1));
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0] + "; use stack or kernel");
        }
    }

    private static void stack(Map<String, String> o, int clients, long bytes, IpAddress server, int port,
            Duration timeout, int warmup) throws Exception {
        int qlen = Integer.parseInt(o.getOrDefault("qlen", String.valueOf(TapOptions.RECOMMENDED_TX_QUEUE_LENGTH)));
        TapOptions options = TapOptions.named(o.getOrDefault("tap", "chy1"))
                .withVnetHeader(Boolean.parseBoolean(o.getOrDefault("tso", "true"))).withTxQueueLength(qlen);
        String netns = o.get("netns");
        TapDevice tap = netns == null ? TapDevice.open(options) : TapDevice.openInNamespace(netns, options);
        tap.setLinkUp(true);
        EventLoop loop = new EventLoop("echo-clients", SystemClock.INSTANCE);
        loop.ioWaiter(tap.ioWaiter());
        loop.idleStrategy(IdleStrategy.parse(o.getOrDefault("idle", "backoff")));
        loop.pollBudget(Integer.parseInt(o.getOrDefault("budget", String.valueOf(TapDevice.RECOMMENDED_POLL_BUDGET))));
        // As chimney run configures it (StackRunner): RACK-TLP for SACK peers (the default), the opt-in tail loss
        // probe for peers without SACK, CUBIC as Linux (--congestion newreno for the other).
        TcpConfig tcp = TcpConfig.builder().tailLossProbe(true).lostRetransmitDetection(true)
                .congestionAlgorithm(dev.chimney.tcp.cc.CongestionControls.Algorithm.valueOf(
                        o.getOrDefault("congestion", "cubic").toUpperCase(Locale.ROOT))).build();
        NetworkStack host = NetworkStack.builder(loop).seed(9).tcpConfig(tcp)
                .iface(tap, InterfaceConfig.of(tap.name(), MacAddress.parse("02:77:09:00:00:04"))
                        .withIpv4(o.getOrDefault("addr", "10.77.9.4/24")))
                .build();
        SocketStack sockets = SocketStack.of(host);
        host.start();
        // Let the kernel side (bridge port) come up before the clients start.
        Thread.sleep(Long.parseLong(o.getOrDefault("settle-ms", "500")));
        try {
            Connector connector = () -> {
                TcpSocket s = sockets.newSocket();
                s.setSoTimeout(timeout);
                s.connect(server, port, timeout);
                return new Connection() {
                    public InputStream in() {
                        return s.getInputStream();
                    }

                    public OutputStream out() {
                        return s.getOutputStream();
                    }

                    public void shutdownOutput() throws IOException {
                        s.shutdownOutput();
                    }

                    public void close() {
                        s.close();
                    }
                };
            };
            warmUp(clients, bytes, timeout, warmup, connector);
            KernelCounters before = tap.kernelCounters();
            long retransmitsBefore = retransmits(loop, host);
            Result r = run(clients, bytes, timeout, connector);
            KernelCounters during = tap.kernelCounters().minus(before);
            System.out.println(r.line("stack", during, retransmits(loop, host) - retransmitsBefore));
        } finally {
            host.close();
        }
    }

    /** The stack's retransmitted segments so far, read on its loop. */
    private static long retransmits(EventLoop loop, NetworkStack host) throws Exception {
        CompletableFuture<Long> count = new CompletableFuture<>();
        loop.execute(() -> count.complete(host.tcp().counter(dev.chimney.tcp.TcpCounter.RETRANSMITTED_SEGMENTS)));
        return count.get(10, TimeUnit.SECONDS);
    }

    interface Connector {
        Connection open() throws IOException;
    }

    /**
     * @param finishSeconds when each connection had its whole echo back, sorted (seconds from the start): the spread
     *                      shows whether busy connections starved others
     */
    record Result(int clients, long bytes, double seconds, long failed, long heapUsedPeak, long gcMillis,
                  long gcCount, double[] finishSeconds) {
        String line(String mode, KernelCounters tap, long retransmits) {
            double first = finishSeconds.length == 0 ? 0 : finishSeconds[0];
            double median = finishSeconds.length == 0 ? 0 : finishSeconds[finishSeconds.length / 2];
            double last = finishSeconds.length == 0 ? 0 : finishSeconds[finishSeconds.length - 1];
            return String.format(Locale.ROOT, "RESULT echo-clients mode=%s clients=%d bytes_each_way=%d seconds=%.3f "
                    + "failed=%d tap_kernel_tx_dropped=%d tap_kernel_rx_dropped=%d retransmits=%d heap_mb=%d "
                    + "gc_ms=%d gc_count=%d finish_first_s=%.3f finish_median_s=%.3f finish_last_s=%.3f", mode,
                    clients, bytes, seconds, failed, tap.txDropped(), tap.rxDropped(), retransmits,
                    heapUsedPeak >> 20, gcMillis, gcCount, first, median, last);
        }
    }

    /** {@code warmup} untimed runs of the workload (their times go to stderr). */
    static void warmUp(int clients, long bytes, Duration timeout, int warmup, Connector connector) throws Exception {
        for (int i = 0; i < warmup; i++) {
            Result w = run(clients, bytes, timeout, connector);
            System.err.printf(Locale.ROOT, "echo-clients warm-up %d: %.3f s, %d failed%n", i + 1, w.seconds(),
                    w.failed());
        }
    }

    /** Opens {@code clients} connections at once; each writes and reads {@code bytes} concurrently. */
    static Result run(int clients, long bytes, Duration timeout, Connector connector) throws Exception {
        AtomicLong failed = new AtomicLong();
        AtomicLong heapPeak = new AtomicLong();
        java.util.concurrent.ConcurrentLinkedQueue<Long> finishNs = new java.util.concurrent.ConcurrentLinkedQueue<>();
        long gcMs0 = gcMillis();
        long gcN0 = gcCount();
        byte[] pattern = new byte[64 * 1024];
        new java.util.Random(7).nextBytes(pattern);
        long t0 = System.nanoTime();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                done.add(threads.submit(() -> {
                    try (Connection c = connector.open()) {
                        java.util.concurrent.Future<?> writer = threads.submit(() -> {
                            OutputStream out = c.out();
                            long left = bytes;
                            while (left > 0) {
                                int n = (int) Math.min(left, pattern.length);
                                out.write(pattern, 0, n);
                                left -= n;
                            }
                            c.shutdownOutput();
                            return null;
                        });
                        InputStream in = c.in();
                        byte[] buf = new byte[64 * 1024];
                        long got = 0;
                        int n;
                        while (got < bytes && (n = in.read(buf)) > 0) {
                            for (int k = 0; k < n; k++) {
                                if (buf[k] != pattern[(int) ((got + k) % pattern.length)]) {
                                    throw new IOException("echo differs at byte " + (got + k));
                                }
                            }
                            got += n;
                        }
                        writer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                        if (got != bytes) {
                            throw new IOException("echo ended after " + got + " of " + bytes + " bytes");
                        }
                        finishNs.add(System.nanoTime());
                    } catch (Exception e) {
                        if (failed.getAndIncrement() < 3) {
                            System.err.println("connection failed: " + e);
                        }
                    }
                    long used = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                    heapPeak.accumulateAndGet(used, Math::max);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double[] finish = finishNs.stream().mapToDouble(t -> (t - t0) / 1e9).sorted().toArray();
        return new Result(clients, bytes, seconds, failed.get(), heapPeak.get(), gcMillis() - gcMs0,
                gcCount() - gcN0, finish);
    }

    private static long gcMillis() {
        long t = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, gc.getCollectionTime());
        }
        return t;
    }

    private static long gcCount() {
        long t = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, gc.getCollectionCount());
        }
        return t;
    }
}
