package dev.chimney.chimney.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.link.LoopBridge;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.wire.MacAddress;
import org.junit.jupiter.api.Test;

/**
 * The soft target's receive-indication buffers: sized to the data ready (64 KiB doubling to 1 MiB by default), so a
 * connection with much data ready hands it to the host in one indication (spec §4.4 allows one at a time), within a
 * budget counted in smallest buffers; larger ones fall back to smaller when the budget is short, and pooled buffers
 * of other sizes make room.
 */
class IndicationBuffersTest {

    private static SoftOffloadTarget target(int count, int bytes, int largest) {
        Simulator sim = new Simulator(1);
        EventLoop host = sim.newLoop("host");
        EventLoop nic = sim.newLoop("nic");
        LoopBridge wire = LoopBridge.of("wire", nic, sim.newLoop("peer"));
        SoftOffloadTarget.Builder b = SoftOffloadTarget.builder(nic, wire.a()).hostLoop(host)
                .mac(MacAddress.parse("02:77:00:00:00:0a"));
        if (count > 0) {
            b.indicationBuffers(count, bytes).largestIndication(largest);
        }
        return b.build();
    }

    private static void release(SoftOffloadTarget t, byte[] b) {
        ReceiveIndication ind = new ReceiveIndication(b, 0, 0);
        ind.targetScratch = b;
        t.releaseIndication(ind);
    }

    @Test
    void buffersFitTheDataUpToTheLargestClass() {
        SoftOffloadTarget t = target(0, 0, 0); // defaults: 1024 x 64 KiB, up to 1 MiB
        assertEquals(64 << 10, t.indicationBuffer(100).length);
        assertEquals(64 << 10, t.indicationBuffer(64 << 10).length);
        assertEquals(128 << 10, t.indicationBuffer((64 << 10) + 1).length);
        assertEquals(1 << 20, t.indicationBuffer(1 << 20).length);
        assertEquals(1 << 20, t.indicationBuffer(4 << 20).length, "never above the largest class");
    }

    @Test
    void theBudgetCountsSmallestBuffersAndLargerOnesFallBack() {
        SoftOffloadTarget t = target(6, 1000, 4000); // classes 1000, 2000, 4000
        byte[] big = t.indicationBuffer(10_000);
        assertEquals(4000, big.length, "4 units of 6");
        assertEquals(2000, t.indicationBuffer(10_000).length, "2 left: the 2000 class");
        assertNull(t.indicationBuffer(1), "the budget is with the host");
        release(t, big);
        byte[] again = t.indicationBuffer(3000);
        assertSame(big, again, "pooled and used again");
        release(t, again);
        // a small buffer wanted while the budget is held by a pooled large one: the pooled one makes room
        assertEquals(1000, t.indicationBuffer(1).length);
        assertEquals(1000, t.indicationBuffer(1).length);
        assertEquals(1000, t.indicationBuffer(1).length);
        assertEquals(1000, t.indicationBuffer(1).length);
        assertNull(t.indicationBuffer(1), "6 units with the host");
    }

    @Test
    void anExplicitBufferSizeFixesEveryBufferUnlessALargestIsGiven() {
        SoftOffloadTarget t = target(3, 1000, 1000);
        assertEquals(1000, t.indicationBuffer(50_000).length);
        Simulator sim = new Simulator(2);
        EventLoop nic = sim.newLoop("nic");
        SoftOffloadTarget.Builder b = SoftOffloadTarget.builder(nic, LoopBridge.of("w", nic, sim.newLoop("p")).a())
                .indicationBuffers(4, 2000);
        assertThrows(IllegalArgumentException.class, () -> b.largestIndication(1000), "below the buffer size");
    }
}
