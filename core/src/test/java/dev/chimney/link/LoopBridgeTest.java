package dev.chimney.link;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.VirtualClock;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static dev.chimney.link.Frames.frame;
import static dev.chimney.link.Frames.seqOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LoopBridge} on one thread: order, bytes, limits, metadata and close. */
class LoopBridgeTest {
    private static final LinkOffloads TSO = new LinkOffloads(LoopBridge.MAX_FRAME_BYTES, true, true);
    private static final LinkOffloads CSUM_ONLY = new LinkOffloads(0, true, true);

    private final VirtualClock clock = new VirtualClock();
    private final EventLoop loopA = new EventLoop("a", clock);
    private final EventLoop loopB = new EventLoop("b", clock);

    private static List<byte[]> drain(NetworkPort port) {
        List<byte[]> out = new ArrayList<>();
        port.receive(f -> out.add(Frames.bytes(f)), Integer.MAX_VALUE);
        return out;
    }

    @Test
    void framesOfEverySizeFrom14To65535ArriveInOrderByteExact() {
        LoopBridge bridge = LoopBridge.builder("big", loopA, loopB).mtu(65_535).ringFrames(256).build();
        // Random source; frame n is the n bytes at an offset that depends on n, so a frame that showed stale bytes
        // of a slot's previous frame (or of another frame) would not match.
        byte[] source = new byte[65_535 + 4096];
        new SeededRandom(7).nextBytes(source);
        MemorySegment src = MemorySegment.ofArray(source);
        int[] expectedSize = {14};
        long[] mismatches = {0};
        FrameSink check = f -> {
            int n = expectedSize[0]++;
            if (f.byteSize() != n || f.mismatch(src.asSlice(offsetFor(n), n)) != -1) {
                mismatches[0]++;
            }
        };
        int next = 14;
        while (next <= 65_535) {
            int burst = Math.min(256, 65_535 - next + 1);
            for (int i = 0; i < burst; i++, next++) {
                assertTrue(bridge.a().transmit(src.asSlice(offsetFor(next), next)), "frame of " + next + " bytes");
            }
            assertEquals(burst, bridge.b().receive(check, Integer.MAX_VALUE));
        }
        assertEquals(65_536, expectedSize[0], "every size delivered once, in order");
        assertEquals(0, mismatches[0], "frames whose bytes or length differ");
        LoopBridge.Counters c = bridge.a().txCounters();
        assertEquals(65_522, c.framesSent());
        assertEquals(65_522, c.framesDelivered());
        assertEquals(c.bytesSent(), c.bytesDelivered());
        assertEquals(0, c.droppedTotal());
    }

    private static int offsetFor(int size) {
        return (size * 7919) % 4096;
    }

    @Test
    void theFrameIsCopiedSoTheSenderMayReuseItsBuffer() {
        LoopBridge bridge = LoopBridge.of("w", loopA, loopB);
        MemorySegment f = frame(1, 100);
        byte[] original = Frames.bytes(f);
        assertTrue(bridge.a().transmit(f));
        f.fill((byte) 0);
        List<byte[]> got = drain(bridge.b());
        assertEquals(1, got.size());
        assertArrayEquals(original, got.get(0));
        assertEquals(0, drain(bridge.a()).size(), "nothing comes back to the sender");
    }

    @Test
    void bothDirectionsAreIndependentFifos() {
        LoopBridge bridge = LoopBridge.of("w", loopA, loopB);
        for (int i = 0; i < 100; i++) {
            assertTrue(bridge.a().transmit(frame(i, 60 + i)));
            assertTrue(bridge.b().transmit(frame(1000 + i, 200 - i)));
        }
        List<byte[]> atB = drain(bridge.b());
        List<byte[]> atA = drain(bridge.a());
        assertEquals(100, atB.size());
        assertEquals(100, atA.size());
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(Frames.bytes(frame(i, 60 + i)), atB.get(i));
            assertArrayEquals(Frames.bytes(frame(1000 + i, 200 - i)), atA.get(i));
        }
    }

    @Test
    void receiveHonoursTheBudgetAndKeepsTheRestQueued() {
        LoopBridge bridge = LoopBridge.of("w", loopA, loopB);
        for (int i = 0; i < 10; i++) {
            bridge.a().transmit(frame(i, 64));
        }
        List<Integer> seqs = new ArrayList<>();
        assertEquals(4, bridge.b().receive(f -> seqs.add(seqOf(f)), 4));
        assertEquals(6, bridge.b().queuedForReceive());
        assertEquals(clock.nanoTime(), bridge.b().nextArrivalNs(), "frames queued: work now");
        assertEquals(6, bridge.b().receive(f -> seqs.add(seqOf(f)), 64));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), seqs);
        assertEquals(Long.MAX_VALUE, bridge.b().nextArrivalNs(), "nothing queued: no scheduled work");
    }

    @Test
    void aFullRingDropsAndCountsAndRecoversOnceDrained() {
        LoopBridge bridge = LoopBridge.builder("small", loopA, loopB).ringFrames(8).build();
        int accepted = 0;
        for (int i = 0; i < 11; i++) {
            if (bridge.a().transmit(frame(i, 64))) {
                accepted++;
            }
        }
        assertEquals(8, accepted);
        LoopBridge.Counters c = bridge.a().txCounters();
        assertEquals(3, c.dropped(DropReason.IN_FLIGHT_LIMIT));
        assertEquals(11, c.framesSent());
        assertEquals(8, c.queued());
        List<Integer> seqs = new ArrayList<>();
        bridge.b().receive(f -> seqs.add(seqOf(f)), 64);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), seqs, "the first eight, in order; the overflow is gone");
        assertTrue(bridge.a().transmit(frame(11, 64)), "room again once the consumer freed its slots");
        assertEquals(c.framesSent(), c.framesDelivered() + c.droppedTotal() + c.queued());
        assertEquals(bridge.b().rxCounters().framesDelivered(), c.framesDelivered(), "the same direction");
    }

    @Test
    void runtsAndFramesAboveTheMtuAreRefusedAndCounted() {
        LoopBridge bridge = LoopBridge.builder("w", loopA, loopB).mtu(1500).build();
        assertEquals(1500, bridge.a().mtu());
        assertFalse(bridge.a().transmit(MemorySegment.ofArray(new byte[13])));
        assertFalse(bridge.a().transmit(frame(1, 1500 + 18 + 1)));
        assertTrue(bridge.a().transmit(frame(2, 1500 + 18)), "a tagged full-size frame fits");
        LoopBridge.Counters c = bridge.a().txCounters();
        assertEquals(1, c.dropped(DropReason.RUNT));
        assertEquals(1, c.dropped(DropReason.OVERSIZE));
        assertEquals(List.of(2), drain(bridge.b()).stream().map(b -> seqOf(MemorySegment.ofArray(b))).toList());
    }

    @Test
    void largeFramesGrowTheirSlotAndSmallOnesStillFit() {
        LoopBridge bridge = LoopBridge.builder("jumbo", loopA, loopB).mtu(9000).ringFrames(4).build();
        for (int round = 0; round < 3; round++) {
            for (int size : new int[] {9018, 60, 4000, 9018}) {
                assertTrue(bridge.a().transmit(frame(size, size)));
            }
            List<byte[]> got = drain(bridge.b());
            assertEquals(4, got.size());
            assertArrayEquals(Frames.bytes(frame(9018, 9018)), got.get(0));
            assertArrayEquals(Frames.bytes(frame(60, 60)), got.get(1));
            assertArrayEquals(Frames.bytes(frame(4000, 4000)), got.get(2));
            assertArrayEquals(Frames.bytes(frame(9018, 9018)), got.get(3));
        }
    }

    /** Receive metadata seen by a sink: what a port reports during onFrame. */
    record Seen(byte[] bytes, int checksumState, int segmentBytes, boolean segmented, boolean ipv6, int tcpOffset,
                int headerBytes, int segmentPayloadBytes) {
    }

    private static List<Seen> drainWithMetadata(LoopBridge.Port port) {
        List<Seen> out = new ArrayList<>();
        port.receive(f -> out.add(new Seen(Frames.bytes(f), port.rxChecksumState(), port.rxSegmentBytes(),
                port.rxSegmented(), port.rxIpv6(), port.rxTcpOffset(), port.rxHeaderBytes(),
                port.rxSegmentPayloadBytes())), Integer.MAX_VALUE);
        return out;
    }

    @Test
    void segmentationParametersCrossTheBridge() {
        LoopBridge bridge = LoopBridge.builder("tso", loopA, loopB).aOffloads(TSO).build();
        assertEquals(TSO, bridge.a().offloads(), "the upper end advertises what it was given");
        assertEquals(LinkOffloads.NONE, bridge.b().offloads());
        MemorySegment superFrame = frame(1, 14 + 20 + 32 + 10 * 1448);
        assertTrue(bridge.a().transmitSegmented(superFrame, false, 34, 66, 1448));
        MemorySegment small = frame(2, 14 + 40 + 20 + 500);
        assertTrue(bridge.a().transmitSegmented(small, true, 54, 74, 1440));
        MemorySegment plain = frame(3, 100);
        assertTrue(bridge.a().transmit(plain));

        List<Seen> got = drainWithMetadata(bridge.b());
        assertEquals(3, got.size());
        assertEquals(new Seen(got.get(0).bytes(), NetworkPort.RX_CHECKSUM_PARTIAL, 1448, true, false, 34, 66, 1448),
                got.get(0), "a super-frame: partial checksum, its MSS as GSO size, every parameter");
        assertArrayEquals(Frames.bytes(superFrame), got.get(0).bytes());
        assertEquals(new Seen(got.get(1).bytes(), NetworkPort.RX_CHECKSUM_PARTIAL, 0, true, true, 54, 74, 1440),
                got.get(1), "within one MSS: checksum offload only, so no GSO size");
        assertArrayEquals(Frames.bytes(small), got.get(1).bytes());
        assertEquals(new Seen(got.get(2).bytes(), NetworkPort.RX_CHECKSUM_UNKNOWN, 0, false, false, 0, 0, 0),
                got.get(2), "an ordinary frame carries no metadata");
        assertEquals(2, bridge.a().txCounters().segmentedSent());
        assertEquals(NetworkPort.RX_CHECKSUM_UNKNOWN, bridge.b().rxChecksumState(), "reset after delivery");
        assertFalse(bridge.b().rxSegmented());
    }

    @Test
    void receiveMetadataForwardedUpwardsCrossesTheBridge() {
        LoopBridge bridge = LoopBridge.builder("up", loopA, loopB).aOffloads(TSO).build();
        MemorySegment gro = frame(1, 14 + 20 + 32 + 4 * 1448);
        assertTrue(bridge.b().forward(gro, NetworkPort.RX_CHECKSUM_VALID, 1448), "a GSO super-frame above the MTU");
        assertTrue(bridge.b().forward(frame(2, 60), NetworkPort.RX_CHECKSUM_PARTIAL, 0));
        assertFalse(bridge.b().forward(frame(3, 3000), NetworkPort.RX_CHECKSUM_VALID, 0), "not GSO: MTU applies");
        List<Seen> got = drainWithMetadata(bridge.a());
        assertEquals(2, got.size());
        assertEquals(new Seen(got.get(0).bytes(), NetworkPort.RX_CHECKSUM_VALID, 1448, false, false, 0, 0, 0),
                got.get(0));
        assertArrayEquals(Frames.bytes(gro), got.get(0).bytes());
        assertEquals(NetworkPort.RX_CHECKSUM_PARTIAL, got.get(1).checksumState());
        assertEquals(1, bridge.b().txCounters().dropped(DropReason.OVERSIZE));
        assertThrows(IllegalArgumentException.class, () -> bridge.b().forward(frame(4, 60), 3, 0));
    }

    /** A TSO device stand-in that records how it was asked to send. */
    static final class RecordingTsoPort implements NetworkPort {
        final List<String> calls = new ArrayList<>();

        @Override
        public String name() {
            return "tso-dev";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public LinkOffloads offloads() {
            return TSO;
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            calls.add("transmit " + seqOf(frame) + " " + frame.byteSize());
            return true;
        }

        @Override
        public boolean transmitSegmented(MemorySegment frame, boolean ipv6, int tcpOffset, int headerBytes,
                int segmentPayloadBytes) {
            calls.add("segmented " + seqOf(frame) + " " + frame.byteSize() + " v6=" + ipv6 + " tcp@" + tcpOffset
                    + " hdr=" + headerBytes + " mss=" + segmentPayloadBytes);
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
    void forwardToSendsSegmentedFramesOnWithTheirParameters() {
        LoopBridge bridge = LoopBridge.builder("tso", loopA, loopB).aOffloads(TSO).build();
        RecordingTsoPort device = new RecordingTsoPort();
        bridge.a().transmitSegmented(frame(1, 14 + 40 + 32 + 3 * 1428), true, 54, 86, 1428);
        bridge.a().transmit(frame(2, 90));
        LoopBridge.Port lower = bridge.b();
        assertEquals(2, lower.receive(f -> assertTrue(lower.forwardTo(device, f)), 64));
        assertEquals(List.of("segmented 1 " + (14 + 40 + 32 + 3 * 1428) + " v6=true tcp@54 hdr=86 mss=1428",
                "transmit 2 90"), device.calls);
    }

    @Test
    void forwardToAnotherBridgeKeepsTheReceiveMetadata() {
        EventLoop loopC = new EventLoop("c", clock);
        LoopBridge first = LoopBridge.of("first", loopA, loopB);
        LoopBridge second = LoopBridge.of("second", loopB, loopC);
        first.a().forward(frame(1, 80), NetworkPort.RX_CHECKSUM_VALID, 0);
        first.b().receive(f -> first.b().forwardTo(second.a(), f), 64);
        List<Seen> got = drainWithMetadata(second.b());
        assertEquals(1, got.size());
        assertEquals(NetworkPort.RX_CHECKSUM_VALID, got.get(0).checksumState());
    }

    @Test
    void segmentationOffloadMisuseSaysWhatToDo() {
        LoopBridge none = LoopBridge.of("none", loopA, loopB);
        MemorySegment f = frame(1, 14 + 20 + 20 + 3000);
        var e = assertThrows(UnsupportedOperationException.class,
                () -> none.a().transmitSegmented(f, false, 34, 54, 1460));
        assertTrue(e.getMessage().contains("aOffloads"), e.getMessage());
        LoopBridge csumOnly = LoopBridge.builder("csum", loopA, loopB).aOffloads(CSUM_ONLY).build();
        assertThrows(IllegalArgumentException.class, () -> csumOnly.a().transmitSegmented(f, false, 34, 54, 1460),
                "a super-frame needs TSO");
        assertTrue(csumOnly.a().transmitSegmented(frame(2, 14 + 20 + 20 + 1000), false, 34, 54, 1460),
                "checksum offload alone takes frames within one segment");
        assertThrows(IllegalArgumentException.class, () -> csumOnly.a().transmitSegmented(f, false, 60, 54, 1460));
        assertThrows(IllegalArgumentException.class, () -> csumOnly.a().transmitSegmented(f, false, 34, 54, 0));
        LoopBridge small = LoopBridge.builder("small-tso", loopA, loopB)
                .aOffloads(new LinkOffloads(16_000, true, true)).build();
        assertFalse(small.a().transmitSegmented(frame(3, 20_000), false, 34, 54, 1460));
        assertEquals(1, small.a().txCounters().dropped(DropReason.OVERSIZE));
    }

    @Test
    void closingEitherEndTakesTheLinkDownBothWaysAndCountsWhatWasQueued() {
        LoopBridge bridge = LoopBridge.of("w", loopA, loopB);
        for (int i = 0; i < 5; i++) {
            bridge.a().transmit(frame(i, 64));
            bridge.b().transmit(frame(100 + i, 64));
        }
        bridge.a().close();
        assertTrue(bridge.isDown());
        assertFalse(bridge.a().transmit(frame(9, 64)), "the closed end refuses");
        assertFalse(bridge.b().transmit(frame(10, 64)), "the other end refuses too");
        assertEquals(Long.MAX_VALUE, bridge.b().nextArrivalNs(), "the other end reports no work (no busy loop)");
        assertEquals(0, drain(bridge.b()).size(), "what was queued is not delivered");
        assertEquals(0, drain(bridge.a()).size());
        LoopBridge.Counters ab = bridge.a().txCounters();
        LoopBridge.Counters ba = bridge.b().txCounters();
        assertEquals(6, ab.dropped(DropReason.CLOSED), "5 discarded + 1 refused");
        assertEquals(6, ba.dropped(DropReason.CLOSED));
        assertEquals(0, ab.queued() + ba.queued());
        assertEquals(ab.framesSent(), ab.framesDelivered() + ab.droppedTotal());
        bridge.a().close(); // idempotent
        bridge.b().close();
    }

    @Test
    void aSinkThatThrowsDoesNotGetTheSameFrameAgain() {
        LoopBridge bridge = LoopBridge.of("w", loopA, loopB);
        for (int i = 0; i < 3; i++) {
            bridge.a().transmit(frame(i, 64));
        }
        List<Integer> seen = new ArrayList<>();
        assertThrows(IllegalStateException.class, () -> bridge.b().receive(f -> {
            seen.add(seqOf(f));
            if (seqOf(f) == 1) {
                throw new IllegalStateException("bad frame");
            }
        }, 64));
        bridge.b().receive(f -> seen.add(seqOf(f)), 64);
        assertEquals(List.of(0, 1, 2), seen);
    }

    @Test
    void builderRejectsBadSizesWithAReason() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> LoopBridge.builder("x", loopA, loopB).ringFrames(1000));
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LoopBridge.builder("x", loopA, loopB).mtu(67));
        assertThrows(IllegalArgumentException.class, () -> LoopBridge.builder("x", loopA, loopB).mtu(65_536));
    }

    @Test
    void viewsOfRepeatedSizesAreReusedButNeverShowAnotherFramesBytes() {
        // Slot views are cached by (slot buffer, length): cycling sizes through a tiny ring must still show each
        // frame's own bytes, including after a slot grew.
        LoopBridge bridge = LoopBridge.builder("w", loopA, loopB).mtu(9000).ringFrames(2).build();
        int[] sizes = {64, 1514, 66, 590, 64, 9018, 1514, 64, 66};
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < sizes.length; i++) {
                int seq = round * 100 + i;
                MemorySegment f = frame(seq, sizes[i]);
                assertTrue(bridge.a().transmit(f));
                byte[][] got = new byte[1][];
                assertEquals(1, bridge.b().receive(x -> got[0] = Frames.bytes(x), 64));
                assertArrayEquals(Frames.bytes(f), got[0], "round " + round + " size " + sizes[i]);
            }
        }
        assertEquals(0, bridge.a().txCounters().droppedTotal());
        assertEquals(sizes.length * 20L, bridge.b().rxCounters().framesDelivered());
        // The sharpest case: a size seen, the slot grows for a big frame, the same size again in that slot.
        LoopBridge fresh = LoopBridge.builder("fresh", loopA, loopB).mtu(9000).ringFrames(2).build();
        int seq = 10_000;
        for (int size : new int[] {64, 64, 9018, 9018, 64, 64}) {
            MemorySegment f = frame(seq++, size);
            assertTrue(fresh.a().transmit(f));
            byte[][] got = new byte[1][];
            assertEquals(1, fresh.b().receive(x -> got[0] = Frames.bytes(x), 64));
            assertArrayEquals(Frames.bytes(f), got[0], "frame " + (seq - 1) + " of " + size + " bytes");
        }
        assertEquals(0, bridge.b().queuedForReceive());
    }
}
