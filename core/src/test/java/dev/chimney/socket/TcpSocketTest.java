package dev.chimney.socket;

import static dev.chimney.socket.TwoHosts.B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.TcpConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The blocking API from virtual threads against a real {@link dev.chimney.runtime.LoopThread} (real time). No sleeps:
 * every wait is a blocking socket call, a future or a latch with a generous limit.
 */
@Timeout(60)
class TcpSocketTest {
    static final long SEED = 77L;
    TwoHosts hosts;
    ExecutorService threads;

    @BeforeEach
    void start() {
        hosts = TwoHosts.realTime(SEED, TwoHosts.smallBuffers());
        threads = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
        hosts.close();
    }

    static byte[] data(int n, long seed) {
        byte[] b = new byte[n];
        new SeededRandom(seed).nextBytes(b);
        return b;
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[7000];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    @Test
    void connectAcceptWriteReadAndHalfClose() throws Exception {
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 8080, 16);
        byte[] request = data(300_000, 1);
        byte[] reply = data(200_000, 2);
        Future<byte[]> serverSide = threads.submit(() -> {
            try (TcpSocket s = server.accept()) {
                byte[] got = readAll(s.getInputStream()); // ends when the client shuts its output down
                s.getOutputStream().write(reply);
                return got;
            }
        });
        try (TcpSocket client = hosts.a.newSocket()) {
            client.connect(B, 8080);
            assertTrue(client.isConnected());
            assertEquals(B, client.remoteAddress());
            assertEquals(8080, client.remotePort());
            assertEquals(TwoHosts.A, client.localAddress());
            client.getOutputStream().write(request);
            client.shutdownOutput();
            SocketException misuse = assertThrows(SocketException.class, () -> client.write(new byte[1]));
            assertTrue(misuse.getMessage().contains("write after shutdownOutput()"), misuse.getMessage());
            assertArrayEquals(reply, readAll(client.getInputStream()), "server reply; seed " + SEED);
            assertEquals(-1, client.read(new byte[1], 0, 1), "end of stream stays end of stream");
        }
        assertArrayEquals(request, serverSide.get(30, TimeUnit.SECONDS), "request; seed " + SEED);
        server.close();
    }

    @Test
    void refusedConnectThrowsConnectException() {
        TcpSocket s = hosts.a.newSocket();
        ConnectException e = assertThrows(ConnectException.class, () -> s.connect(B, 9999));
        assertTrue(e.getMessage().startsWith("connection refused by 10.77.3.2:9999"), e.getMessage());
        assertTrue(!s.isConnected());
        assertTrue(s.isClosed(), "a failed connect leaves the socket closed");
        SocketException again = assertThrows(SocketException.class, () -> s.connect(B, 9999));
        assertTrue(again.getMessage().contains("open a new socket"), again.getMessage());
    }

    @Test
    void connectTimeoutThrowsSocketTimeoutException() throws Exception {
        hosts.onLoop(() -> hosts.wire.cut = true);
        TcpSocket s = hosts.a.newSocket();
        SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                () -> s.connect(B, 80, Duration.ofMillis(150)));
        assertTrue(e.getMessage().contains("timed out after 150 ms"), e.getMessage());
        hosts.onLoop(() -> assertEquals(0, hosts.tcpA.connectionCount()));
    }

    @Test
    void readTimeoutThrowsAndTheSocketStaysUsable() throws Exception {
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 80);
        CompletableFuture<TcpSocket> accepted = new CompletableFuture<>();
        threads.submit(() -> accepted.complete(server.accept()));
        TcpSocket client = hosts.a.newSocket();
        client.connect(B, 80);
        client.setSoTimeout(Duration.ofMillis(100));
        byte[] buf = new byte[10];
        SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> client.read(buf, 0, 10));
        assertTrue(e.getMessage().contains("read timed out after 100 ms"), e.getMessage());
        TcpSocket peer = accepted.get(10, TimeUnit.SECONDS);
        peer.write(new byte[] {42});
        assertEquals(1, client.read(buf, 0, 10), "after a read time-out the socket still works");
        assertEquals(42, buf[0]);
        client.close();
        peer.close();
        server.close();
    }

    @Test
    void acceptTimeoutThrowsSocketTimeoutException() throws Exception {
        try (TcpServerSocket server = hosts.b.newServerSocket()) {
            server.bind(B, 80);
            server.setSoTimeout(Duration.ofMillis(80));
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, server::accept);
            assertTrue(e.getMessage().contains("accept timed out"), e.getMessage());
        }
    }

    @Test
    void peerResetFailsABlockedReadWithConnectionReset() throws Exception {
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 80);
        Future<TcpSocket> accepted = threads.submit(server::accept);
        TcpSocket client = hosts.a.newSocket();
        client.connect(B, 80);
        Future<Integer> blockedRead = threads.submit(() -> client.read(new byte[100], 0, 100));
        accepted.get(10, TimeUnit.SECONDS).abort();
        Exception e = assertThrows(Exception.class, () -> blockedRead.get(10, TimeUnit.SECONDS));
        SocketException cause = (SocketException) e.getCause();
        assertEquals("connection reset by peer 10.77.3.2:80", cause.getMessage());
        SocketException again = assertThrows(SocketException.class, () -> client.write(new byte[1]));
        assertTrue(again.getMessage().contains("reset"), again.getMessage());
        server.close();
    }

    @Test
    void closeWakesABlockedReaderAndMisuseIsExplained() throws Exception {
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 80);
        threads.submit(server::accept);
        TcpSocket client = hosts.a.newSocket();
        SocketException unconnected = assertThrows(SocketException.class, () -> client.read(new byte[1], 0, 1));
        assertTrue(unconnected.getMessage().contains("call connect() first"), unconnected.getMessage());
        client.connect(B, 80);
        Future<Integer> blockedRead = threads.submit(() -> client.read(new byte[100], 0, 100));
        // the reader is parked on the loop's pending-read slot; close must wake it
        awaitPendingRead(client);
        client.close();
        Exception e = assertThrows(Exception.class, () -> blockedRead.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof SocketException && e.getCause().getMessage().contains("socket closed"),
                String.valueOf(e.getCause()));
        SocketException closed = assertThrows(SocketException.class, () -> client.write(new byte[1]));
        assertTrue(closed.getMessage().contains("open a new socket"), closed.getMessage());
        server.close();
    }

    /** Asks the loop (one round trip each) until the socket's read is parked waiting for data. */
    private void awaitPendingRead(TcpSocket s) throws InterruptedException {
        boolean[] pending = new boolean[1];
        for (int i = 0; i < 100_000 && !pending[0]; i++) {
            hosts.onLoop(() -> pending[0] = s.hasPendingRead());
        }
        assertTrue(pending[0], "the read never reached the loop");
    }

    @Test
    void interruptAbortsTheBlockedCall() throws Exception {
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 80);
        Future<TcpSocket> accepted = threads.submit(server::accept);
        TcpSocket client = hosts.a.newSocket();
        client.connect(B, 80);
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean keptInterrupt = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                client.read(new byte[10], 0, 10);
                outcome.complete(null);
            } catch (Throwable t) {
                keptInterrupt.set(Thread.currentThread().isInterrupted());
                outcome.complete(t);
            }
        });
        awaitPendingRead(client);
        reader.interrupt();
        Throwable t = outcome.get(10, TimeUnit.SECONDS);
        assertTrue(t instanceof InterruptedIOException, String.valueOf(t));
        assertTrue(keptInterrupt.get(), "the thread's interrupt status is kept");
        // the peer sees the abort as a reset
        TcpSocket peer = accepted.get(10, TimeUnit.SECONDS);
        SocketException e = assertThrows(SocketException.class, () -> peer.read(new byte[1], 0, 1));
        assertTrue(e.getMessage().contains("reset"), e.getMessage());
        server.close();
    }

    @Test
    void bindTwiceIsAddressInUse() throws Exception {
        try (TcpServerSocket first = hosts.b.newServerSocket(); TcpServerSocket second = hosts.b.newServerSocket()) {
            first.bind(null, 80);
            BindException e = assertThrows(BindException.class, () -> second.bind(null, 80));
            assertTrue(e.getMessage().contains("address in use"), e.getMessage());
        }
    }

    @Test
    void blockingCallOnTheLoopThreadIsRefused() throws Exception {
        TcpSocket s = hosts.a.newSocket();
        hosts.onLoop(() -> {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.connect(B, 80));
            assertTrue(e.getMessage().contains("deadlock"), e.getMessage());
        });
    }

    @Test
    void optionsApplyToTheLiveConnection() throws Exception {
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 80);
        threads.submit(server::accept);
        try (TcpSocket s = hosts.a.newSocket()) {
            s.connect(B, 80);
            assertTrue(!s.getTcpNoDelay(), "Nagle on by default");
            s.setTcpNoDelay(true);
            assertTrue(s.getTcpNoDelay());
            s.setSendBufferSize(10_000);
            assertEquals(10_000, s.getSendBufferSize());
            assertEquals(64 * 1024, s.getReceiveBufferSize());
            s.setKeepAlive(Duration.ofSeconds(30), Duration.ofSeconds(5), 3);
            assertTrue(s.options().keepAlive());
        }
        server.close();
    }

    @Test
    void manyVirtualThreadsEchoConcurrently() throws Exception {
        int clients = 200;
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 7, 256);
        // server: one virtual thread per accepted connection echoing until EOF
        threads.submit(() -> {
            for (int i = 0; i < clients; i++) {
                TcpSocket s = server.accept();
                threads.submit(() -> {
                    try (s) {
                        byte[] buf = new byte[4096];
                        int n;
                        while ((n = s.read(buf, 0, buf.length)) >= 0) {
                            s.write(buf, 0, n);
                        }
                    }
                    return null;
                });
            }
            return null;
        });
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            long seed = SEED + i;
            results.add(threads.submit(() -> {
                byte[] payload = data(1 + new SeededRandom(seed).nextInt(40_000), seed);
                try (TcpSocket s = hosts.a.newSocket()) {
                    s.connect(B, 7);
                    Future<byte[]> echoed = threads.submit(() -> readAll(s.getInputStream()));
                    OutputStream out = s.getOutputStream();
                    out.write(payload);
                    s.shutdownOutput();
                    byte[] got = echoed.get(60, TimeUnit.SECONDS);
                    assertArrayEquals(payload, got, "client seed " + seed);
                    return true;
                }
            }));
        }
        for (Future<Boolean> r : results) {
            assertTrue(r.get(60, TimeUnit.SECONDS));
        }
        server.close();
    }

    @Test
    void configWithTinyBuffersStillMovesLargeWritesBlockingOnBackPressure() throws Exception {
        hosts.close();
        hosts = TwoHosts.realTime(SEED, TcpConfig.builder().sendBufferBytes(4096).receiveBufferBytes(4096).build());
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 80);
        byte[] big = data(2_000_000, 9);
        Future<byte[]> got = threads.submit(() -> {
            try (TcpSocket s = server.accept()) {
                return readAll(s.getInputStream());
            }
        });
        try (TcpSocket s = hosts.a.newSocket()) {
            s.connect(B, 80);
            s.write(big); // 2 MB through a 4 KiB send buffer: blocks and resumes ~500 times
            s.shutdownOutput();
            assertArrayEquals(big, got.get(30, TimeUnit.SECONDS));
        }
        server.close();
    }

    @Test
    void availableCountsBufferedBytesAndShutdownInputEndsReading() throws Exception {
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 80);
        Future<TcpSocket> accepted = threads.submit(server::accept);
        try (TcpSocket client = hosts.a.newSocket()) {
            client.connect(B, 80);
            TcpSocket peer = accepted.get(10, TimeUnit.SECONDS);
            peer.write(new byte[] {1, 2, 3, 4, 5});
            byte[] first = new byte[2];
            assertEquals(2, client.read(first, 0, 2), "read returns what fits");
            assertEquals(3, client.available(), "the rest waits in the engine's receive buffer");
            client.shutdownInput();
            assertTrue(client.isInputShutdown());
            assertEquals(-1, client.read(new byte[4], 0, 4), "after shutdownInput reads are end of stream");
            assertEquals(0, client.available());
            client.write(new byte[] {9}); // output still works
            byte[] got = new byte[1];
            assertEquals(1, peer.read(got, 0, 1));
            assertEquals(9, got[0]);
            peer.close();
        }
        server.close();
    }
}
