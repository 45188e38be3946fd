package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Buffers that start small and grow with use (issue 9 item 3): ring storage that grows, moves and is recycled
 * without losing a byte, the pool's bound, and autotuned connections moved by export/import (spec §3.1/§3.2) whose
 * advertised right edge never moves left (RFC 9293 §3.8.6.2.2). The throughput side is in the host package's
 * BufferAutotuningSimulationTest.
 */
class BufferAutotuningTest {
    static final long MS = 1_000_000L;

    @Property(tries = 60)
    void sendBufferGrowsAndRecyclesWithoutLosingBytes(@ForAll long seed) {
        SeededRandom r = new SeededRandom(seed);
        BufferPool pool = new BufferPool(1 << 20);
        int max = 1000 + r.nextInt(200_000);
        SendBuffer b = new SendBuffer(1 + r.nextInt(max), max, pool);
        ArrayDeque<Byte> model = new ArrayDeque<>();
        byte next = 0;
        for (int step = 0; step < 200; step++) {
            int op = r.nextInt(10);
            if (op < 5) {
                byte[] src = new byte[r.nextInt(20_000)];
                for (int i = 0; i < src.length; i++) {
                    src[i] = next++;
                }
                int n = r.chance(0.5) ? b.write(src, 0, src.length) : b.write(MemorySegment.ofArray(src), 0,
                        src.length);
                assertEquals(Math.min(src.length, b.capacity() - model.size()), n, "seed " + seed);
                for (int i = 0; i < n; i++) {
                    model.add(src[i]);
                }
                next = (byte) (next - (src.length - n)); // what did not fit is written again later
            } else if (op < 8) {
                int n = r.nextInt(model.size() + 1);
                b.consume(n);
                for (int i = 0; i < n; i++) {
                    model.poll();
                }
            } else {
                b.expandTo(b.capacity() + r.nextInt(50_000));
            }
            assertTrue(b.capacity() <= max, "seed " + seed);
            assertEquals(model.size(), b.length(), "seed " + seed);
            assertTrue(b.allocatedBytes() == 0 ? model.isEmpty() : b.allocatedBytes() >= model.size(), "seed " + seed);
            if (!model.isEmpty()) {
                byte[] out = new byte[model.size()];
                b.copyTo(0, out.length, out, 0);
                int i = 0;
                for (byte x : model) {
                    assertEquals(x, out[i++], "seed " + seed + " byte " + (i - 1));
                }
                int index = r.nextInt(model.size());
                if (b.contiguous(index, 1)) {
                    assertEquals(out[index], b.memory().get(java.lang.foreign.ValueLayout.JAVA_BYTE,
                            b.offsetOf(index)), "seed " + seed);
                }
            }
        }
        assertTrue(pool.pooledBytes() <= 1 << 20, "the pool stays within its bound");
    }

    @Property(tries = 60)
    void receiveBufferGrowsWithOutOfOrderDataWithoutLosingBytes(@ForAll long seed) {
        // a byte model of RCV.NXT, readable and out-of-order bytes while the storage grows, empties and comes back
        SeededRandom r = new SeededRandom(seed);
        BufferPool pool = new BufferPool(r.chance(0.5) ? 0 : 1 << 20);
        int max = 5000 + r.nextInt(300_000);
        ReceiveBuffer b = new ReceiveBuffer(Math.min(max, 4096 + r.nextInt(max)), max, pool);
        OutOfOrderRanges ranges = new OutOfOrderRanges(8);
        long rcvNxt = 0; // stream offset of RCV.NXT
        long readPos = 0; // stream offset of the first unread byte
        for (int step = 0; step < 300; step++) {
            int free = b.free();
            int op = r.nextInt(10);
            if (op < 4 && free > 0) {
                int distance = r.nextInt(Math.min(free, 3 * 1460)) / 2;
                int len = 1 + r.nextInt(Math.min(free - distance, 1460));
                if (distance == 0) {
                    b.store(0, pattern(rcvNxt, len), 0, len);
                    int extra = ranges.advance(len);
                    b.commit(len + extra);
                    rcvNxt += len + extra;
                } else if (ranges.add(distance, distance + len)) {
                    b.store(distance, pattern(rcvNxt + distance, len), 0, len);
                }
            } else if (op < 7) {
                byte[] out = new byte[1 + r.nextInt(8000)];
                int n = b.read(out, 0, out.length);
                assertEquals(Math.min(out.length, (int) (rcvNxt - readPos)), n, "seed " + seed);
                for (int i = 0; i < n; i++) {
                    assertEquals(patternByte(readPos + i), out[i], "seed " + seed + " at " + (readPos + i));
                }
                readPos += n;
            } else if (op < 8) {
                b.grow(b.capacity() + r.nextInt(20_000));
            } else if (ranges.count() > 0) {
                int i = r.nextInt(ranges.count());
                int len = ranges.end(i) - ranges.start(i);
                byte[] out = new byte[len];
                b.peek(b.readable() + ranges.start(i), len, out, 0);
                for (int k = 0; k < len; k++) {
                    assertEquals(patternByte(rcvNxt + ranges.start(i) + k), out[k], "seed " + seed);
                }
            }
            assertEquals(rcvNxt - readPos, b.readable(), "seed " + seed);
            if (b.readable() == 0 && ranges.isEmpty() && pool.pooledBytes() > 0) {
                assertEquals(0, b.allocatedBytes(), "empty storage went back to the pool; seed " + seed);
            }
        }
    }

    private static MemorySegment pattern(long offset, int len) {
        byte[] a = new byte[len];
        for (int i = 0; i < len; i++) {
            a[i] = patternByte(offset + i);
        }
        return MemorySegment.ofArray(a);
    }

    private static byte patternByte(long offset) {
        return (byte) (offset * 31 + (offset >> 8));
    }

    @Test
    void poolReusesArraysAndKeepsItsBound() {
        BufferPool pool = new BufferPool(3 * 4096);
        byte[] a = pool.take(100, 1 << 20);
        assertEquals(BufferPool.MIN_BYTES, a.length, "the smallest ring is one page");
        assertTrue(pool.offer(a, null));
        assertSame(a, pool.take(4000, 1 << 20), "reused");
        assertEquals(1, pool.reuses());
        byte[] big = pool.take(5000, 1 << 20);
        assertEquals(8192, big.length, "rounded up to a power of two");
        assertEquals(1000, pool.take(600, 1000).length, "never beyond the buffer's maximum");
        assertTrue(pool.offer(big, null));
        assertTrue(pool.offer(a, null));
        assertEquals(3 * 4096, pool.pooledBytes());
        assertTrue(!pool.offer(new byte[4096], null), "full: left to the garbage collector");
        assertNull(pool.takenSegment(), "no memory segment was made for these arrays");
        // a buffer whose maximum is not a power of two gets its array back too
        BufferPool odd = new BufferPool(1 << 20);
        byte[] whole = odd.take(70_000, 100_000);
        assertEquals(100_000, whole.length, "capped at the maximum");
        assertTrue(odd.offer(whole, null));
        assertSame(whole, odd.take(80_000, 100_000), "found one class down");
    }

    @Test
    void explicitInitialRcvWndSetsTheSizeAndStopsAutotuning() {
        // spec §2.6 InitialRcvWnd (SO_RCVBUF): the window grows to it at once (R-STATE-11) and stays; autotuning
        // would otherwise move it (Linux: SO_RCVBUF locks autotuning)
        TcpHarness h = new TcpHarness(TcpHarness.plain().windowScaling(true).receiveBufferBytes(1 << 20).build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, TcpHarness.peer(TcpFlags.SYN, TcpHarness.REMOTE_ISN, 0).mss(1460).windowScale(7));
        h.send(1 * MS, TcpHarness.peer(TcpFlags.ACK, TcpHarness.REMOTE_ISN + 1, TcpHarness.LOCAL_ISN + 1));
        TcpConnection c = h.accepted.getFirst();
        assertEquals(64 << 10, c.receiveBufferCapacity(), "starts at the initial size");
        c.updateCached(c.cached().withInitialRcvWnd(200_000), false, false);
        assertEquals(200_000, c.receiveBufferCapacity());
        h.advanceTo(2 * MS);
        TcpSegment update = h.sent.pollLast().segment();
        assertEquals(200_000 >> 5, update.window(), "the new window is advertised at once (scale 5 for 1 MiB)");
        // a fast reader: 64 KiB per 2 ms for many round trips would grow an autotuned buffer
        int seq = TcpHarness.REMOTE_ISN + 1;
        byte[] data = new byte[1000];
        byte[] sink = new byte[1 << 16];
        for (int i = 0; i < 400; i++) {
            h.send((3 + i) * MS, TcpHarness.peer(TcpFlags.ACK, seq, TcpHarness.LOCAL_ISN + 1).payload(data));
            seq += data.length;
            c.read(sink, 0, sink.length);
        }
        assertEquals(200_000, c.receiveBufferCapacity(), "fixed by the explicit size");
    }

    @Test
    void movedAutotunedReceiverKeepsItsRightEdgeAndGrowsOn() {
        // spec §3.1/§3.2: export the receiving end of a bulk transfer after autotuning grew its window, import it on
        // another engine; the window it advertised must stay covered (RFC 9293 §3.8.6.2.2), every byte arrive, and
        // autotuning carry on from the imported size
        TcpConfig config = TcpConfig.builder().receiveBufferBytes(4 << 20).sendBufferBytes(4 << 20).build();
        ExportImportTest.Driver drv = new ExportImportTest.Driver();
        EventLoop wireLoop = drv.loop("wire", 0);
        EventLoop loopA = drv.loop("a", 0);
        EventLoop loopB = drv.loop("b", 0);
        EventLoop loopA2 = drv.loop("a2", ExportImportTest.OFFSET_NS);
        TestWire wire = new TestWire(drv.base, new SeededRandom(5), 10 * MS, 0, 0);
        wireLoop.register(wire);
        TcpStack stackA = new TcpStack(loopA, config, wire.output(0), new SeededRandom(6));
        TcpStack stackB = new TcpStack(loopB, config, wire.output(1), new SeededRandom(7));
        TcpStack stackA2 = new TcpStack(loopA2, config, wire.output(0), new SeededRandom(8));
        wire.attach(0, stackA);
        wire.attach(1, stackB);
        byte[] bData = new byte[6 << 20];
        new SeededRandom(9).nextBytes(bData);
        StreamApp appA = new StreamApp(new byte[1000]);
        StreamApp appB = new StreamApp(bData);
        stackB.listen(ExportImportTest.B, 80, l -> appB.attach(l.accept()));
        appA.connection = stackA.connect(ExportImportTest.A, ExportImportTest.B, 80, appA);
        int[] edge = {0};
        boolean[] edgeKnown = {false};
        int[] atImport = {0};
        TcpSnapshot[] snap = {null};
        Runnable afterStep = () -> {
            TcpConnection c = appA.connection;
            if (!c.state().isSynchronized() || c.state() == TcpState.TIME_WAIT) {
                return;
            }
            int right = c.rcvNxt() + c.rcvWnd();
            assertTrue(!edgeKnown[0] || Seq.geq(right, edge[0]), "the right edge moved left: " + c);
            edge[0] = right;
            edgeKnown[0] = true;
            if (snap[0] == null && appA.received.size() > 1 << 20) {
                assertTrue(c.receiveBufferCapacity() > 64 << 10, "autotuning grew the window first: " + c);
                snap[0] = c.export();
                c.detach();
                wire.attach(0, stackA2);
                TcpConnection moved = TcpConnection.importFrom(snap[0], stackA2, appA);
                appA.connection = moved;
                TcpDelegated del = snap[0].delegated();
                assertEquals(del.rcvNxt() + del.rcvWnd(), moved.rcvNxt() + moved.rcvWnd(), "same right edge");
                assertTrue(moved.receiveBufferCapacity() >= del.receivedDataLength() + del.rcvWnd(), "covered");
                atImport[0] = moved.receiveBufferCapacity();
            }
        };
        assertTrue(drv.runUntil(() -> appA.done() && appB.done(), 600_000 * MS, afterStep), "finished");
        assertNotNull(snap[0], "moved");
        assertArrayEquals(bData, appA.received.toByteArray(), "B->A bytes");
        assertTrue(appA.connection.receiveBufferCapacity() > atImport[0], "autotuning carried on after the move: "
                + atImport[0] + " -> " + appA.connection.receiveBufferCapacity());
    }
}
