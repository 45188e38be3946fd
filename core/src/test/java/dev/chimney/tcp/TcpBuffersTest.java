package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.SeededRandom;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The engine's buffers and bounded tables against simple models, and ephemeral port allocation (RFC 6056). */
class TcpBuffersTest {

    @Property(tries = 150)
    void outOfOrderRangesMatchAByteModel(@ForAll long seed) {
        // RFC 9293 §3.10.7.4 reassembly bookkeeping: ranges stay sorted, disjoint, non-adjacent and equal to the
        // set of bytes added; advance() hands back exactly the newly contiguous bytes
        SeededRandom r = new SeededRandom(seed);
        int max = 1 + r.nextInt(8);
        OutOfOrderRanges ranges = new OutOfOrderRanges(max);
        boolean[] model = new boolean[100_000];
        int base = 0; // model index of RCV.NXT
        for (int step = 0; step < 60; step++) {
            if (r.chance(0.8)) {
                int s = 1 + r.nextInt(600);
                int e = s + 1 + r.nextInt(200);
                boolean fits = ranges.canAdd(s, e);
                boolean added = ranges.add(s, e);
                assertEquals(fits, added, "seed " + seed);
                if (added) {
                    for (int i = s; i < e; i++) {
                        model[base + i] = true;
                    }
                }
            } else {
                int n = 1 + r.nextInt(300);
                int extra = ranges.advance(n);
                base += n;
                int expectExtra = 0;
                while (model[base + expectExtra]) {
                    expectExtra++;
                }
                // bytes at or below the new RCV.NXT no longer matter
                for (int i = base - n; i < base + expectExtra; i++) {
                    model[i] = false;
                }
                assertEquals(expectExtra, extra, "seed " + seed);
                base += expectExtra;
            }
            assertTrue(ranges.count() <= max, "seed " + seed);
            int prevEnd = 0;
            for (int i = 0; i < ranges.count(); i++) {
                assertTrue(ranges.start(i) > prevEnd || (i == 0 && ranges.start(i) > 0), "seed " + seed);
                assertTrue(ranges.end(i) > ranges.start(i), "seed " + seed);
                prevEnd = ranges.end(i);
                for (int b = ranges.start(i); b < ranges.end(i); b++) {
                    assertTrue(model[base + b], "seed " + seed + " byte " + b);
                }
            }
            int held = 0;
            for (int b = base + 1; b < base + 1100; b++) {
                if (model[b]) {
                    held++;
                    assertTrue(ranges.find(b - base) >= 0, "seed " + seed + " byte " + (b - base) + " missing");
                }
            }
            int inRanges = 0;
            for (int i = 0; i < ranges.count(); i++) {
                inRanges += ranges.end(i) - ranges.start(i);
            }
            assertEquals(held, inRanges, "seed " + seed);
        }
    }

    @Test
    void sendBufferWrapsAroundWithoutLosingBytes() {
        SendBuffer b = new SendBuffer(10);
        byte[] x = {1, 2, 3, 4, 5, 6, 7};
        assertEquals(7, b.write(MemorySegment.ofArray(x), 0, 7));
        b.consume(5);
        assertEquals(8, b.write(MemorySegment.ofArray(new byte[] {8, 9, 10, 11, 12, 13, 14, 15, 16}), 0, 9));
        assertEquals(10, b.length());
        assertFalse(b.contiguous(0, 10));
        byte[] out = new byte[10];
        b.copyTo(0, 10, out, 0);
        assertEquals("[6, 7, 8, 9, 10, 11, 12, 13, 14, 15]", java.util.Arrays.toString(out));
    }

    @Test
    void ephemeralPortsAreDistinctInRangeAndExhaustionFailsClosed() {
        // RFC 6056 §3.3.1: random start, then the next free port; explicit limit → exception with advice
        TcpHarness h = new TcpHarness(TcpHarness.plain().ephemeralPorts(50000, 50009).build());
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            int p = h.stack.connect(TcpHarness.LOCAL, TcpHarness.REMOTE, 80, null).localPort();
            assertTrue(p >= 50000 && p <= 50009, "port " + p);
            ports.add(p);
        }
        assertEquals(10, ports.size());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> h.stack.connect(TcpHarness.LOCAL, TcpHarness.REMOTE, 80, null));
        assertTrue(e.getMessage().contains("ephemeral"), e.getMessage());
        // another destination port is another 4-tuple: the same local ports are free again
        h.stack.connect(TcpHarness.LOCAL, TcpHarness.REMOTE, 81, null);
    }

    @Test
    void halfOpenConnectionsHoldNoBufferMemory() {
        // explicit resource limits: a SYN flood fills the bounded SYN queue but allocates no data buffers
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, TcpHarness.peer(TcpFlags.SYN, TcpHarness.REMOTE_ISN, 0));
        TcpConnection embryo = h.stack.find(TcpHarness.LOCAL, 80, TcpHarness.REMOTE, TcpHarness.REMOTE_PORT);
        assertEquals(TcpState.SYN_RECEIVED, embryo.state());
        assertEquals(0, embryo.bufferBytesAllocated());
        h.send(1, TcpHarness.peer(TcpFlags.ACK, TcpHarness.REMOTE_ISN + 1, TcpHarness.LOCAL_ISN + 1)
                .payload(new byte[10]));
        // the receive ring appears with the first byte, and is a small one, not the whole 8 KiB buffer
        assertEquals(BufferPool.MIN_BYTES, embryo.bufferBytesAllocated(), "the receive ring appears with the first byte");
    }
}
