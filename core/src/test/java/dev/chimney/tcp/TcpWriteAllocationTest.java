package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.wire.IpAddress;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A steady writer allocates nothing: {@code write(byte[], ...)} copies straight into the send buffer, and the
 * segments it releases, the peer's ACKs and the timer re-arming that follow reuse preallocated objects. Counts bytes
 * allocated by this thread (HotSpot's per-thread counter), not time; the default configuration (timestamps, SACK,
 * window scaling, NewReno) is used so the measured path is the one applications run.
 */
class TcpWriteAllocationTest {
    private static final int CHUNK = 1000;

    /** Discards segments, remembering how many payload bytes went out and the last TSval (for the peer's echo). */
    private static final class SinkOutput implements TcpOutput {
        long payloadBytes;
        int lastTsVal;

        @Override
        public void transmit(IpAddress source, IpAddress destination, TcpSegment segment, TcpCached ipParams) {
            payloadBytes += segment.payloadLength();
            lastTsVal = segment.tsVal();
        }
    }

    private final VirtualClock clock = new VirtualClock();
    private final EventLoop loop = new EventLoop("alloc", clock);
    private final SinkOutput sink = new SinkOutput();
    private final TcpStack stack = new TcpStack(loop, TcpConfig.builder().build(), sink, new SeededRandom(7),
            (l, lp, r, rp, now) -> TcpHarness.LOCAL_ISN);
    private final TcpSegment ack = TcpHarness.peer(TcpFlags.ACK, TcpHarness.REMOTE_ISN + 1, 0).window(65535);
    private final byte[] data = TcpHarness.bytes(CHUNK, 3);
    private TcpConnection connection;
    private int peerTsVal = 1000;

    @Test
    void steadyStateWriteTransmitAndAckAllocateNothing() {
        var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean tb
                        && tb.isThreadAllocatedMemorySupported(),
                "skipped: this JVM does not report per-thread allocated bytes");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        threads.setThreadAllocatedMemoryEnabled(true);
        connection = handshake();
        pollutePayloadTypeProfile();

        int warm = 20_000;
        int measured = 50_000;
        writeAndAck(warm);
        long tid = Thread.currentThread().threadId();
        // Best of a few rounds: a round may include JIT compilation, which allocates on this thread too.
        long bestLoop = Long.MAX_VALUE;
        long bestWrites = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long before = threads.getThreadAllocatedBytes(tid);
            writeAndAck(measured);
            bestLoop = Math.min(bestLoop, threads.getThreadAllocatedBytes(tid) - before);
            // writes alone (no ACK): fill the send buffer, then let one ACK drain it
            before = threads.getThreadAllocatedBytes(tid);
            int written = 0;
            for (int i = 0; i < measured; i++) {
                written += connection.write(data, i % 7, CHUNK - 7);
            }
            bestWrites = Math.min(bestWrites, threads.getThreadAllocatedBytes(tid) - before);
            assertTrue(written > 0 && connection.writableBytes() == 0, "the send buffer filled: " + connection);
            for (int guard = 0; guard < 1000 && connection.unacknowledgedBytes() > 0; guard++) {
                acknowledgeAll();
            }
        }
        assertEquals(TcpState.ESTABLISHED, connection.state(), connection.toString());
        assertEquals(0, connection.unacknowledgedBytes(), connection.toString());
        assertTrue(sink.payloadBytes >= (long) CHUNK * (warm + 5L * measured), "bytes went out: " + sink.payloadBytes);
        // Slack for counter-reading noise; one 16-byte object per write would be 800 kB.
        assertTrue(bestWrites < 16 * 1024, "write(byte[]) allocated " + bestWrites + " bytes for " + measured
                + " calls");
        assertTrue(bestLoop < 16 * 1024, "write + transmit + ACK allocated " + bestLoop + " bytes for " + measured
                + " writes");
    }

    private void writeAndAck(int n) {
        for (int i = 0; i < n; i++) {
            assertEquals(CHUNK, connection.write(data, 0, CHUNK));
            if ((i & 1) == 1) {
                acknowledgeAll();
            }
        }
        acknowledgeAll();
    }

    /**
     * An application (or the socket layer) also writes from native and other heap segments. That makes the segment
     * type seen inside the copy polymorphic, so the JIT cannot prove a per-call wrapper segment unused and remove
     * it; without this, C2 may scalar-replace the wrapper and hide a per-call allocation from the test.
     */
    private void pollutePayloadTypeProfile() {
        MemorySegment nativeSegment = Arena.global().allocate(CHUNK);
        MemorySegment longs = MemorySegment.ofArray(new long[CHUNK / 8]);
        MemorySegment direct = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(CHUNK));
        MemorySegment bytes = MemorySegment.ofArray(data);
        MemorySegment[] kinds = {nativeSegment, longs, direct, bytes};
        for (int i = 0; i < 20_000; i++) {
            assertEquals(CHUNK, connection.write(kinds[i & 3], 0, CHUNK));
            if ((i & 1) == 1) {
                acknowledgeAll();
            }
        }
        acknowledgeAll();
    }

    /** The peer acknowledges everything sent, a millisecond later. */
    private void acknowledgeAll() {
        clock.advanceBy(1_000_000L);
        loop.runOnce();
        ack.ack(connection.sndNxt()).timestamp(++peerTsVal, sink.lastTsVal);
        stack.onSegment(clock.nanoTime(), TcpHarness.REMOTE, TcpHarness.LOCAL, ack);
    }

    private TcpConnection handshake() {
        TcpConnection[] accepted = new TcpConnection[1];
        stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> accepted[0] = l.accept());
        TcpSegment syn = TcpHarness.peer(TcpFlags.SYN, TcpHarness.REMOTE_ISN, 0).window(65535).mss(1460)
                .windowScale(7).sackPermitted(true).timestamp(peerTsVal, 0);
        stack.onSegment(clock.nanoTime(), TcpHarness.REMOTE, TcpHarness.LOCAL, syn);
        clock.advanceBy(1_000_000L);
        ack.ack(TcpHarness.LOCAL_ISN + 1).timestamp(++peerTsVal, sink.lastTsVal); // echoes the SYN,ACK's TSval
        stack.onSegment(clock.nanoTime(), TcpHarness.REMOTE, TcpHarness.LOCAL, ack);
        assertTrue(accepted[0] != null && accepted[0].state() == TcpState.ESTABLISHED, "handshake completed");
        return accepted[0];
    }
}
