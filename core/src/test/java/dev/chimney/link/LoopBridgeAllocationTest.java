package dev.chimney.link;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.VirtualClock;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Once warm, carrying a frame across a {@link LoopBridge} (copy into the ring, publish, deliver a view, free the slot)
 * allocates nothing: plain frames of a few repeated sizes, TSO super-frames, and frames forwarded with receive
 * metadata. Counts bytes allocated by this thread (HotSpot's per-thread counter), not time.
 */
class LoopBridgeAllocationTest {
    private static final int[] SIZES = {64, 1514, 590, 66};

    @Test
    void steadyStateTransmitAndReceiveAllocateNothingPerFrame() {
        var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean tb
                        && tb.isThreadAllocatedMemorySupported(),
                "skipped: this JVM does not report per-thread allocated bytes");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        threads.setThreadAllocatedMemoryEnabled(true);

        VirtualClock clock = new VirtualClock();
        LoopBridge bridge = LoopBridge.builder("alloc", new EventLoop("a", clock), new EventLoop("b", clock))
                .ringFrames(256).aOffloads(new LinkOffloads(LoopBridge.MAX_FRAME_BYTES, true, true)).build();
        MemorySegment[] frames = new MemorySegment[SIZES.length];
        for (int i = 0; i < SIZES.length; i++) {
            frames[i] = Frames.frame(i, SIZES[i]);
        }
        MemorySegment superFrame = Frames.frame(9, 14 + 20 + 32 + 20 * 1448);
        long[] checksum = new long[1];
        FrameSink sink = f -> checksum[0] += f.get(ValueLayout.JAVA_BYTE, f.byteSize() - 1) + f.byteSize();

        int warm = 50_000;
        int measured = 200_000;
        long[] carried = {0};
        carry(bridge, frames, superFrame, sink, warm, carried);
        long tid = Thread.currentThread().threadId();
        // Best of a few rounds: a round may include JIT compilation, which allocates on this thread too.
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long before = threads.getThreadAllocatedBytes(tid);
            carry(bridge, frames, superFrame, sink, measured, carried);
            best = Math.min(best, threads.getThreadAllocatedBytes(tid) - before);
        }
        LoopBridge.Counters c = bridge.a().txCounters();
        assertEquals(carried[0], c.framesDelivered() + bridge.b().txCounters().framesDelivered());
        assertEquals(0, c.droppedTotal() + bridge.b().txCounters().droppedTotal());
        assertTrue(checksum[0] != 0);
        // Slack for counter-reading noise; one 16-byte object per frame would be 3.2 MB.
        System.out.println("LoopBridge allocation: " + best + " bytes for " + measured + " frames");
        assertTrue(best < 16 * 1024, "allocated " + best + " bytes for " + measured + " frames");
    }

    /** Carries {@code n} frames: bursts of plain frames a->b, every 8th a TSO super-frame, every 4th forwarded b->a. */
    private static void carry(LoopBridge bridge, MemorySegment[] frames, MemorySegment superFrame, FrameSink sink,
            int n, long[] carried) {
        for (int i = 0; i < n; i += 32) {
            for (int j = 0; j < 32; j++) {
                int k = i + j;
                if (k % 8 == 7) {
                    bridge.a().transmitSegmented(superFrame, false, 34, 66, 1448);
                } else if (k % 4 == 1) {
                    bridge.b().forward(frames[k % SIZES.length], NetworkPort.RX_CHECKSUM_VALID, 0);
                } else {
                    bridge.a().transmit(frames[k % SIZES.length]);
                }
            }
            carried[0] += bridge.b().receive(sink, 64) + bridge.a().receive(sink, 64);
        }
    }
}
