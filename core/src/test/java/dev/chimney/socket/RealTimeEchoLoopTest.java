package dev.chimney.socket;

import static org.junit.jupiter.api.Assertions.fail;

import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpStack;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.MacAddress;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 9's reproduction, in real time, as a new user wrote it: two host stacks on one {@link VirtualWire} losing 1%
 * of the frames each way, one real-time {@link EventLoop} on a {@link LoopThread}, default {@link TcpConfig},
 * blocking sockets on virtual threads. The server echoes (reads up to 64 KiB, writes it back, until end of stream);
 * the client writes 10 MiB from one thread and reads the echo, checking every byte, from another. Before the
 * zero-window fix about one run in four never finished. Each run must finish byte-exact within its time limit;
 * a failure names the run (its seed) and dumps both connections and counters.
 */
class RealTimeEchoLoopTest {
    static final int BYTES = 10 << 20;
    static final int PORT = 7;
    static final Ipv4Address CLIENT = Ipv4Address.parse("10.77.9.1");
    static final Ipv4Address SERVER = Ipv4Address.parse("10.77.9.2");
    /** Far above a healthy run (a few seconds) and far below the minutes a stall lasts before anything times out. */
    static final long RUN_LIMIT_SECONDS = Long.getLong("echo.realtime.limit", 120);

    /** Byte {@code i} of run {@code seed}'s stream: cheap to compute on both sides, different per offset. */
    static byte patternAt(long seed, long i) {
        return (byte) (i * 31 + (i >>> 11) + seed);
    }

    @Test
    void echoTenMebibytesWithSeparateWriterAndReaderUnderOnePercentLoss() throws Exception {
        for (long run = 1; run <= Integer.getInteger("echo.realtime.runs", 5); run++) {
            echoOnce(run);
        }
    }

    @Tag("slow")
    @Test
    void echoTwoHundredTimes() throws Exception {
        // -Pslow: the acceptance loop, 200 real-time runs (override with -Decho.realtime.loop=N)
        int runs = Integer.getInteger("echo.realtime.loop", 200);
        for (long run = 1_000; run < 1_000 + runs; run++) {
            echoOnce(run);
        }
    }

    static void echoOnce(long seed) throws Exception {
        SeededRandom random = new SeededRandom(seed);
        EventLoop loop = new EventLoop("hosts", Clock.system());
        VirtualWire wire = VirtualWire.builder("wire", Clock.system(), random.fork("wire"))
                .both(Impairments.NONE.withLoss(0.01)).maxInFlightFrames(16_384).build();
        TcpConfig tcp = TcpConfig.builder().build();
        NetworkStack ha = NetworkStack.builder(loop).random(random.fork("a")).tcpConfig(tcp)
                .iface(wire.a(), InterfaceConfig.of("a0", MacAddress.parse("02:77:00:00:09:01"))
                        .withIpv4("10.77.9.1/24"))
                .build();
        NetworkStack hb = NetworkStack.builder(loop).random(random.fork("b")).tcpConfig(tcp)
                .iface(wire.b(), InterfaceConfig.of("b0", MacAddress.parse("02:77:00:00:09:02"))
                        .withIpv4("10.77.9.2/24"))
                .build();
        SocketStack a = SocketStack.of(ha);
        SocketStack b = SocketStack.of(hb);
        LoopThread thread = LoopThread.start(loop);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        long startNs = System.nanoTime();
        try {
            TcpServerSocket server = b.newServerSocket();
            server.bind(null, PORT);
            Future<Long> echo = threads.submit(() -> {
                long echoed = 0;
                try (TcpSocket s = server.accept()) {
                    byte[] buf = new byte[64 * 1024];
                    int n;
                    while ((n = s.read(buf, 0, buf.length)) >= 0) {
                        s.write(buf, 0, n);
                        echoed += n;
                    }
                    s.shutdownOutput();
                }
                return echoed;
            });
            TcpSocket client = a.newSocket();
            client.connect(SERVER, PORT);
            Future<Long> writer = threads.submit(() -> {
                byte[] chunk = new byte[32 * 1024];
                long sent = 0;
                while (sent < BYTES) {
                    int n = (int) Math.min(chunk.length, BYTES - sent);
                    for (int i = 0; i < n; i++) {
                        chunk[i] = patternAt(seed, sent + i);
                    }
                    client.write(chunk, 0, n);
                    sent += n;
                }
                client.shutdownOutput();
                return sent;
            });
            CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    byte[] buf = new byte[48 * 1024];
                    long got = 0;
                    int n;
                    while ((n = client.read(buf, 0, buf.length)) >= 0) {
                        for (int i = 0; i < n; i++) {
                            if (buf[i] != patternAt(seed, got + i)) {
                                return "echo differs at offset " + (got + i);
                            }
                        }
                        got += n;
                    }
                    return got == BYTES ? null : "end of stream after " + got + " of " + BYTES + " bytes";
                } catch (IOException e) {
                    return "read failed: " + e;
                }
            }, threads);
            String problem;
            try {
                problem = reader.get(RUN_LIMIT_SECONDS, TimeUnit.SECONDS);
                long wrote = writer.get(10, TimeUnit.SECONDS);
                long echoed = echo.get(10, TimeUnit.SECONDS);
                if (problem == null && (wrote != BYTES || echoed != BYTES)) {
                    problem = "wrote " + wrote + " echoed " + echoed;
                }
            } catch (TimeoutException e) {
                problem = "stalled: not finished after " + RUN_LIMIT_SECONDS + " s";
            }
            if (problem != null) {
                fail("real-time echo run seed " + seed + ": " + problem + " (after "
                        + (System.nanoTime() - startNs) / 1_000_000 + " ms)\n"
                        + dump(loop, ha.tcp(), hb.tcp(), client.localPort()));
            }
            client.close();
            server.close();
        } finally {
            threads.shutdownNow();
            thread.close();
            if (thread.failure() != null) {
                throw new AssertionError("loop thread failed in run seed " + seed, thread.failure());
            }
        }
    }

    /** Both ends of the connection and both stacks' counters, read on the loop. */
    static String dump(EventLoop loop, TcpStack ta, TcpStack tb, int clientPort) throws Exception {
        CompletableFuture<String> text = new CompletableFuture<>();
        loop.execute(() -> text.complete(" client " + ta.find(CLIENT, clientPort, SERVER, PORT) + "\n server "
                + tb.find(SERVER, PORT, CLIENT, clientPort) + "\n A " + counters(ta) + "\n B " + counters(tb)));
        return text.get(10, TimeUnit.SECONDS);
    }

    static String counters(TcpStack s) {
        StringBuilder b = new StringBuilder("{");
        for (TcpCounter c : TcpCounter.values()) {
            if (s.counter(c) != 0) {
                b.append(c).append('=').append(s.counter(c)).append(' ');
            }
        }
        return b.append('}').toString();
    }
}
