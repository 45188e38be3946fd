package dev.chimney.socket;

import static dev.chimney.socket.TwoHosts.B;
import static dev.chimney.socket.TwoHosts.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.tcp.TcpConfig;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Loop-side writes through a {@link TcpChannel} allocate nothing per call, from a heap array, a heap buffer or a
 * direct buffer (per-thread allocated bytes around the calls; the simulated loop runs on the test thread, the wire
 * is cut so no segment copy is counted). Before, every call wrapped its source in a new MemorySegment.
 */
class TcpChannelWriteAllocationTest {
    static final int CHUNK = 100;
    static final int CALLS = 40_000;

    interface Writer {
        int write(TcpChannel ch, int i);
    }

    @Test
    void writesFromArraysAndBuffersAllocateNothingPerCall() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] array = new byte[CHUNK];
        ByteBuffer heap = ByteBuffer.allocate(CHUNK);
        ByteBuffer direct = ByteBuffer.allocateDirect(CHUNK);
        Writer[] writers = {
            (ch, i) -> ch.write(array, 0, CHUNK),
            (ch, i) -> ch.write(heap.clear()),
            (ch, i) -> ch.write(direct.clear()),
        };
        String[] names = {"write(byte[])", "write(heap ByteBuffer)", "write(direct ByteBuffer)"};
        StringBuilder report = new StringBuilder();
        boolean allZero = true;
        for (int w = 0; w < writers.length; w++) {
            long best = Long.MAX_VALUE;
            // a send buffer that takes every call's bytes from the start (no autotuned growth while counting)
            TcpConfig config = TcpConfig.builder().sendBufferBytes(CHUNK * CALLS).initialSendBufferBytes(CHUNK * CALLS)
                    .build();
            TwoHosts h = TwoHosts.simulated(5, config, MS);
            h.b.serve(null, 80, SocketOptions.defaults(), c -> new TcpChannelHandler() {
                @Override
                public void onReadable(TcpChannel c) {
                    byte[] sink = new byte[8192];
                    while (c.read(sink, 0, sink.length) > 0) {
                        // discard
                    }
                }
            });
            TcpChannel ch = h.a.connect(B, 80, SocketOptions.defaults(), null);
            assertTrue(h.runUntil(ch::isConnected, 1000 * MS), "connected");
            for (int round = 0; round < 5; round++) { // the first rounds grow the send buffer and compile
                h.wire.cut = true; // nothing is copied onto the wire while we count
                long before = mx.getCurrentThreadAllocatedBytes();
                long written = 0;
                for (int i = 0; i < CALLS; i++) {
                    written += writers[w].write(ch, i);
                }
                long bytes = mx.getCurrentThreadAllocatedBytes() - before;
                assertTrue(written == (long) CHUNK * CALLS, names[w] + " wrote " + written);
                best = Math.min(best, bytes);
                h.wire.cut = false;
                assertTrue(h.runUntil(() -> ch.connection().unacknowledgedBytes() == 0, 600_000 * MS),
                        "everything acknowledged: " + ch);
            }
            double perCall = (double) best / CALLS;
            report.append(String.format("%s %.2f B/call; ", names[w], perCall));
            allZero &= perCall < 1;
        }
        System.out.println("TcpChannel write allocation: " + report);
        assertTrue(allZero, report.toString());
    }

    @Test
    void aReusedDirectBufferAndASliceSendExactlyTheirRemainingBytes() {
        TwoHosts h = TwoHosts.simulated(6, TwoHosts.smallBuffers(), MS);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        h.b.serve(null, 80, SocketOptions.defaults(), c -> new TcpChannelHandler() {
            @Override
            public void onReadable(TcpChannel c) {
                byte[] buf = new byte[1000];
                int n;
                while ((n = c.read(buf, 0, buf.length)) > 0) {
                    got.write(buf, 0, n);
                }
            }
        });
        TcpChannel ch = h.a.connect(B, 80, SocketOptions.defaults(), null);
        assertTrue(h.runUntil(ch::isConnected, 1000 * MS), "connected");
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        for (int round = 0; round < 3; round++) {
            direct.clear();
            for (int i = 0; i < 64; i++) {
                direct.put(i, (byte) (round * 64 + i));
            }
            direct.position(3 + round).limit(50 - round); // the cached segment must follow position and limit
            expected.write(bytes(direct), 0, direct.remaining());
            assertTrue(ch.write(direct) == 47 - 2 * round && !direct.hasRemaining(), "round " + round);
        }
        ByteBuffer slice = direct.clear().slice(10, 20); // a different buffer object over the same memory
        expected.write(bytes(slice), 0, 20);
        ch.write(slice);
        assertTrue(h.runUntil(() -> got.size() == expected.size(), 1000 * MS), "got " + got.size());
        assertArrayEquals(expected.toByteArray(), got.toByteArray());
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
