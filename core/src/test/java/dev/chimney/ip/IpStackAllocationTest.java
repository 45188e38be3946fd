package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.link.FrameSink;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The transmit hot path (route, path, neighbor, headers, port) allocates nothing per packet once warm. Counts bytes
 * allocated by this thread (HotSpot's per-thread counter), not time.
 */
class IpStackAllocationTest {

    /** A port that accepts and discards frames, so only the stack's own allocation is measured. */
    static final class SinkPort implements NetworkPort {
        long frames;

        @Override
        public String name() {
            return "sink";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            frames++;
            return true;
        }

        @Override
        public int receive(FrameSink sink, int budget) {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void steadyStateTransmitAllocatesNothingPerPacket() {
        var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean tb
                        && tb.isThreadAllocatedMemorySupported(),
                "skipped: this JVM does not report per-thread allocated bytes");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        threads.setThreadAllocatedMemoryEnabled(true);

        EventLoop loop = new EventLoop("alloc", new VirtualClock());
        IpStack stack = new IpStack(loop, new SeededRandom(1), IpStackConfig.defaults());
        SinkPort port = new SinkPort();
        NetInterface nif = stack.attach(port, InterfaceConfig.of("s0", MacAddress.parse("02:00:00:00:00:01"))
                .withIpv4("10.77.0.1/24").withIpv6("fd77::1/64"));
        IpAddress v4 = IpAddress.parse("10.77.0.2");
        IpAddress v6 = IpAddress.parse("fd77::2");
        stack.neighbors(nif, false).addStatic(v4, MacAddress.parse("02:00:00:00:00:02"), 0);
        stack.neighbors(nif, true).addStatic(v6, MacAddress.parse("02:00:00:00:00:02"), 0);

        int warm = 20_000;
        int measured = 100_000;
        sendMany(stack, v4, v6, warm);
        long tid = Thread.currentThread().threadId();
        // Best of a few rounds: a round may include JIT compilation, which allocates on this thread too.
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long before = threads.getThreadAllocatedBytes(tid);
            sendMany(stack, v4, v6, measured);
            best = Math.min(best, threads.getThreadAllocatedBytes(tid) - before);
        }
        assertEquals(2L * (warm + 5L * measured), port.frames);
        // Slack for counter-reading noise; one 16-byte object per packet would be 3.2 MB.
        assertTrue(best < 16 * 1024, "allocated " + best + " bytes for " + 2 * measured + " packets");
    }

    private static void sendMany(IpStack stack, IpAddress v4, IpAddress v6, int n) {
        for (int i = 0; i < n; i++) {
            IpStack.Outbound out = stack.beginSend(v4, IpProtocol.UDP);
            out.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, out.payloadOffset(), (byte) i);
            out.commit(100);
            out = stack.beginSend(v6, IpProtocol.UDP);
            out.commit(100 + (i & 63));
        }
    }
}
