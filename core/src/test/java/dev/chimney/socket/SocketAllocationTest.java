package dev.chimney.socket;

import static dev.chimney.socket.TwoHosts.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Allocation of the blocking API in steady state, from {@link com.sun.management.ThreadMXBean} per-thread
 * allocated bytes (a byte count, not a timing): a blocking read or write reuses its loop op, which is its own queue
 * node, so the calling thread allocates nothing per call. Figures are printed for the review report.
 */
@Timeout(120)
class SocketAllocationTest {
    static final int CHUNK = 4096;
    static final int WARMUP = 20_000;
    static final int MEASURED = 20_000;

    @Test
    void blockingReadAndWriteAllocateNothingPerCallOnTheApplicationThreads() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (TwoHosts hosts = TwoHosts.realTime(5, TwoHosts.smallBuffers())) {
            TcpServerSocket server = hosts.b.newServerSocket();
            server.bind(null, 80);
            CompletableFuture<long[]> readerResult = new CompletableFuture<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                try (TcpSocket s = server.accept()) {
                    byte[] buf = new byte[CHUNK];
                    InputStream in = s.getInputStream();
                    long total = (long) (WARMUP + MEASURED) * CHUNK;
                    long got = 0;
                    long calls = 0;
                    long before = 0;
                    long callsBefore = 0;
                    while (got < total) {
                        if (before == 0 && got >= (long) WARMUP * CHUNK) {
                            before = mx.getCurrentThreadAllocatedBytes();
                            callsBefore = calls;
                        }
                        int n = in.read(buf, 0, buf.length);
                        if (n < 0) {
                            break;
                        }
                        got += n;
                        calls++;
                    }
                    long allocated = mx.getCurrentThreadAllocatedBytes() - before;
                    readerResult.complete(new long[] {got, calls - callsBefore, allocated});
                } catch (Throwable t) {
                    readerResult.completeExceptionally(t);
                }
            });
            long[] loopThread = new long[1];
            hosts.onLoop(() -> loopThread[0] = Thread.currentThread().threadId());
            try (TcpSocket client = hosts.a.newSocket()) {
                client.connect(B, 80);
                OutputStream out = client.getOutputStream();
                byte[] chunk = new byte[CHUNK];
                for (int i = 0; i < WARMUP; i++) {
                    out.write(chunk, 0, CHUNK);
                }
                long loopBefore = mx.getThreadAllocatedBytes(loopThread[0]);
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < MEASURED; i++) {
                    out.write(chunk, 0, CHUNK);
                }
                long writerBytes = mx.getCurrentThreadAllocatedBytes() - before;
                long[] r = readerResult.get(60, TimeUnit.SECONDS);
                long loopBytes = mx.getThreadAllocatedBytes(loopThread[0]) - loopBefore;
                double perWrite = (double) writerBytes / MEASURED;
                double perRead = (double) r[2] / r[1];
                System.out.printf("blocking socket allocation: writer %.2f B/write (%d writes of %d B), reader %.2f"
                        + " B/read (%d reads), loop thread %.2f B per 4 KiB written%n", perWrite, MEASURED, CHUNK,
                        perRead, r[1], (double) loopBytes / MEASURED);
                assertEquals((long) (WARMUP + MEASURED) * CHUNK, r[0], "every byte arrived");
                // a queue node alone is 16-24 bytes per call: well under it means none is allocated
                assertTrue(perWrite < 8, "writer allocates " + perWrite + " B per blocking write");
                assertTrue(perRead < 8, "reader allocates " + perRead + " B per blocking read");
            }
            reader.join(10_000);
            server.close();
        }
    }

    @Test
    void oneByteStreamReadAndWriteAllocateNothingPerCall() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int warmup = 5_000;
        int measured = 5_000;
        try (TwoHosts hosts = TwoHosts.realTime(6, TwoHosts.smallBuffers())) {
            TcpServerSocket server = hosts.b.newServerSocket();
            server.bind(null, 80);
            CompletableFuture<long[]> readerResult = new CompletableFuture<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                try (TcpSocket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    long sum = 0;
                    for (int i = 0; i < warmup; i++) {
                        sum += in.read();
                    }
                    long before = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < measured; i++) {
                        sum += in.read();
                    }
                    readerResult.complete(new long[] {sum, mx.getCurrentThreadAllocatedBytes() - before});
                } catch (Throwable t) {
                    readerResult.completeExceptionally(t);
                }
            });
            try (TcpSocket client = hosts.a.newSocket()) {
                client.connect(B, 80);
                client.setTcpNoDelay(true);
                OutputStream out = client.getOutputStream();
                long sent = 0;
                for (int i = 0; i < warmup; i++) {
                    out.write(i & 0x7F);
                    sent += i & 0x7F;
                }
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < measured; i++) {
                    out.write((warmup + i) & 0x7F);
                    sent += (warmup + i) & 0x7F;
                }
                double perWrite = (double) (mx.getCurrentThreadAllocatedBytes() - before) / measured;
                long[] r = readerResult.get(60, TimeUnit.SECONDS);
                double perRead = (double) r[1] / measured;
                System.out.printf("one-byte stream allocation: writer %.2f B/write(int), reader %.2f B/read()%n",
                        perWrite, perRead);
                assertEquals(sent, r[0], "every byte arrived in order (sum of values)");
                assertTrue(perWrite < 8, "writer allocates " + perWrite + " B per write(int)");
                assertTrue(perRead < 8, "reader allocates " + perRead + " B per read()");
            }
            reader.join(10_000);
            server.close();
        }
    }
}
