package dev.chimney.link;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.runtime.VirtualClock;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.chimney.link.Frames.frame;
import static dev.chimney.link.Frames.seqOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtualWireTest {
    private static final long SEED = 0x5EED_1234L;
    private static final long US = 1_000;
    private static final long MS = 1_000_000;

    private final VirtualClock clock = new VirtualClock();

    /** A received frame: when and what. */
    record Arrival(long atNs, byte[] bytes) {
        int seq() {
            return seqOf(MemorySegment.ofArray(bytes));
        }
    }

    private List<Arrival> drain(NetworkPort port) {
        List<Arrival> out = new ArrayList<>();
        port.receive(f -> out.add(new Arrival(clock.nanoTime(), Frames.bytes(f))), Integer.MAX_VALUE);
        return out;
    }

    /** Steps the clock from arrival to arrival until nothing is in flight, collecting everything port receives. */
    private List<Arrival> drainAll(NetworkPort port) {
        List<Arrival> out = new ArrayList<>();
        while (port.nextArrivalNs() != Long.MAX_VALUE) {
            clock.advanceTo(Math.max(clock.nanoTime(), port.nextArrivalNs()));
            out.addAll(drain(port));
        }
        return out;
    }

    private VirtualWire wire(Impairments aToB, long seed) {
        return VirtualWire.builder("w", clock, new SeededRandom(seed)).aToB(aToB).build();
    }

    @Test
    void perfectWireDeliversAtOnceInOrderAndCopiesTheFrame() {
        VirtualWire w = VirtualWire.of("w", clock, new SeededRandom(SEED));
        MemorySegment f = frame(1, 100);
        byte[] original = Frames.bytes(f);
        assertTrue(w.a().transmit(f));
        f.fill((byte) 0); // the caller may reuse its buffer at once
        assertEquals(0, w.b().nextArrivalNs());
        List<Arrival> got = drain(w.b());
        assertEquals(1, got.size());
        assertArrayEquals(original, got.get(0).bytes());
        assertEquals(Long.MAX_VALUE, w.b().nextArrivalNs());
        assertEquals(0, drain(w.a()).size(), "nothing goes back to the sender");
        assertEquals(1, w.a().txCounters().framesDelivered());
    }

    @Test
    void delayAndJitterRespectTimeAndKeepOrder() {
        VirtualWire w = wire(Impairments.NONE.withDelay(100 * US, 20 * US), SEED);
        for (int i = 0; i < 50; i++) {
            clock.advanceBy(US);
            w.a().transmit(frame(i, 64));
        }
        long lastSendNs = clock.nanoTime();
        clock.advanceTo(US + 100 * US - 1);
        assertEquals(0, drain(w.b()).size(), "nothing may arrive before the propagation delay");
        List<Arrival> got = drainAll(w.b());
        assertEquals(50, got.size());
        long spread = 0;
        for (int i = 0; i < got.size(); i++) {
            Arrival a = got.get(i);
            assertEquals(i, a.seq(), "jitter alone must not reorder (seed " + SEED + ")");
            long sentNs = (i + 1) * US;
            long latency = a.atNs() - sentNs;
            assertTrue(latency >= 100 * US, "latency " + latency + " below delay, seed " + SEED);
            spread = Math.max(spread, latency);
        }
        assertTrue(spread > 100 * US, "jitter should add some delay, seed " + SEED);
        assertTrue(got.getLast().atNs() <= lastSendNs + 120 * US, "seed " + SEED);
    }

    @Test
    void lossRateOverTenThousandFramesIsWithinStatisticalBounds() {
        double p = 0.1;
        VirtualWire w = wire(Impairments.NONE.withLoss(p), SEED);
        int n = 10_000;
        for (int i = 0; i < n; i++) {
            assertTrue(w.a().transmit(frame(i, 64)), "loss is invisible to the sender");
            drain(w.b());
        }
        long lost = w.aToB().counters().dropped(DropReason.LOSS);
        double sigma = Math.sqrt(n * p * (1 - p)); // binomial standard deviation = 30
        assertTrue(Math.abs(lost - n * p) < 5 * sigma, "lost " + lost + " of " + n + ", seed " + SEED);
        assertEquals(n - lost, w.aToB().counters().framesDelivered());
        assertEquals(n, w.aToB().counters().framesSent());
    }

    @Test
    void reorderingReordersButLosesNothing() {
        VirtualWire w = wire(Impairments.NONE.withDelay(10 * US, 0).withReordering(0.2, 50 * US), SEED);
        int n = 500;
        for (int i = 0; i < n; i++) {
            w.a().transmit(frame(i, 64));
            clock.advanceBy(10 * US);
            drain(w.b()).forEach(a -> received.add(a.seq()));
        }
        drainAll(w.b()).forEach(a -> received.add(a.seq()));
        assertEquals(n, received.size());
        int inversions = 0;
        for (int i = 1; i < received.size(); i++) {
            if (received.get(i) < received.get(i - 1)) {
                inversions++;
            }
        }
        assertTrue(inversions > 20, "only " + inversions + " inversions, seed " + SEED);
        int[] sorted = received.stream().mapToInt(Integer::intValue).sorted().toArray();
        for (int i = 0; i < n; i++) {
            assertEquals(i, sorted[i], "every frame exactly once, seed " + SEED);
        }
        assertTrue(w.aToB().counters().framesReordered() > 0);
    }

    private final List<Integer> received = new ArrayList<>();

    @Test
    void duplicationDeliversIdenticalCopiesBackToBack() {
        VirtualWire w = wire(Impairments.NONE.withDuplication(0.5), SEED);
        int n = 1000;
        List<Arrival> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            w.a().transmit(frame(i, 80));
            got.addAll(drain(w.b()));
        }
        long dups = w.aToB().counters().framesDuplicated();
        assertEquals(n + dups, got.size());
        assertTrue(dups > 400 && dups < 600, "dups " + dups + ", seed " + SEED);
        int expected = 0;
        for (int i = 0; i < got.size(); i++) {
            int seq = got.get(i).seq();
            if (i > 0 && seq == got.get(i - 1).seq()) {
                assertArrayEquals(got.get(i - 1).bytes(), got.get(i).bytes());
            } else {
                assertEquals(expected++, seq);
            }
        }
    }

    @Test
    void corruptionFlipsExactlyOneBit() {
        VirtualWire w = wire(Impairments.NONE.withCorruption(1.0), SEED);
        for (int i = 0; i < 200; i++) {
            MemorySegment f = frame(i, 60 + i);
            byte[] original = Frames.bytes(f);
            w.a().transmit(f);
            List<Arrival> got = drain(w.b());
            assertEquals(1, got.size());
            byte[] b = got.get(0).bytes();
            assertEquals(original.length, b.length);
            int flipped = 0;
            for (int j = 0; j < b.length; j++) {
                flipped += Integer.bitCount((b[j] ^ original[j]) & 0xff);
            }
            assertEquals(1, flipped, "frame " + i + ", seed " + SEED);
        }
        assertEquals(200, w.aToB().counters().framesCorrupted());
    }

    @Test
    void rateLimitSpacesFramesBySerializationTimeAndTailDrops() {
        // 8 Mb/s = 1 byte per microsecond: a 1000-byte frame takes 1 ms on the line.
        VirtualWire w = wire(Impairments.NONE.withDelay(5 * US, 0).withRate(8_000_000, 3000), SEED);
        boolean[] accepted = new boolean[5];
        for (int i = 0; i < 5; i++) {
            accepted[i] = w.a().transmit(frame(i, 1000));
        }
        assertTrue(accepted[3], "a tail drop is a network event: transmit still returns true");
        assertEquals(2, w.aToB().counters().dropped(DropReason.QUEUE), "frames 4 and 5 exceed the 3000-byte queue");
        List<Arrival> got = drainAll(w.b());
        assertEquals(3, got.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, got.get(i).seq());
            assertEquals((i + 1) * MS + 5 * US, got.get(i).atNs(), "frame " + i);
        }
        // Once the line has drained, the queue accepts again and a frame again takes exactly 1 ms.
        long t = clock.nanoTime();
        w.a().transmit(frame(9, 1000));
        assertEquals(t + MS + 5 * US, w.b().nextArrivalNs());
    }

    @Test
    void framesOverThePathMtuAreDroppedAndCountedButOverThePortMtuAreRefused() {
        VirtualWire w = wire(Impairments.NONE.withMtu(1000), SEED);
        assertTrue(w.a().transmit(frame(1, 14 + 1000)), "exactly the path MTU passes");
        assertTrue(w.a().transmit(frame(2, 14 + 1001)), "a path MTU drop is invisible to the sender");
        assertFalse(w.a().transmit(frame(3, 14 + 1501)), "over the port MTU is refused locally");
        assertFalse(w.a().transmit(MemorySegment.ofArray(new byte[13])), "runt");
        assertEquals(1, w.aToB().counters().dropped(DropReason.MTU));
        assertEquals(1, w.aToB().counters().dropped(DropReason.OVERSIZE));
        assertEquals(1, w.aToB().counters().dropped(DropReason.RUNT));
        assertEquals(1, drain(w.b()).size());
        assertEquals(1500, w.a().mtu());
    }

    @Test
    void vlanTaggedFramesMayCarryAFullMtuPayload() {
        VirtualWire w = wire(Impairments.NONE, SEED);
        MemorySegment tagged = frame(1, 18 + 1500);
        tagged.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 12, (byte) 0x81);
        tagged.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 13, (byte) 0x00);
        assertTrue(w.a().transmit(tagged));
        assertFalse(w.a().transmit(frame(2, 18 + 1500)), "untagged: 1504-byte payload is over the MTU");
    }

    @Test
    void inFlightPoolIsBoundedAndReused() {
        VirtualWire w = VirtualWire.builder("w", clock, new SeededRandom(SEED))
                .aToB(Impairments.NONE.withDelay(MS, 0)).maxInFlightFrames(4).build();
        int accepted = 0;
        for (int i = 0; i < 6; i++) {
            accepted += w.a().transmit(frame(i, 100)) ? 1 : 0;
        }
        assertEquals(4, accepted);
        assertEquals(2, w.aToB().counters().dropped(DropReason.IN_FLIGHT_LIMIT));
        assertEquals(4, drainAll(w.b()).size());
        for (int i = 0; i < 4; i++) {
            assertTrue(w.a().transmit(frame(10 + i, 100)), "slots are reused after delivery");
        }
    }

    @Test
    void injectPlacesAnExactFrameAtTheCurrentTime() {
        VirtualWire w = wire(Impairments.NONE.withLoss(1.0), SEED);
        clock.advanceTo(7 * US);
        assertTrue(w.b().inject(frame(42, 64)));
        assertEquals(7 * US, w.b().nextArrivalNs());
        assertEquals(42, drain(w.b()).get(0).seq());
        assertEquals(1, w.aToB().counters().framesInjected());
    }

    @Test
    void closedPortRefusesAndDeliversNothing() {
        VirtualWire w = wire(Impairments.NONE.withDelay(MS, 0), SEED);
        w.a().transmit(frame(1, 64));
        w.b().close();
        assertFalse(w.a().transmit(frame(2, 64)));
        clock.advanceBy(2 * MS);
        assertEquals(0, drain(w.b()).size());
        assertEquals(1, w.aToB().counters().dropped(DropReason.CLOSED));
    }

    @Test
    void observerSeesSendsDropsAndDeliveries() {
        VirtualWire w = wire(Impairments.NONE.withMtu(100), SEED);
        List<String> events = new ArrayList<>();
        w.observer(new LinkObserver() {
            @Override
            public void onSend(String channel, long nowNs, MemorySegment frame) {
                events.add("send " + channel + " " + seqOf(frame));
            }

            @Override
            public void onDrop(String channel, long nowNs, MemorySegment frame, DropReason reason) {
                events.add("drop " + reason + " " + seqOf(frame));
            }

            @Override
            public void onDeliver(String channel, long nowNs, MemorySegment frame) {
                events.add("deliver " + channel + " " + seqOf(frame));
            }
        });
        w.a().transmit(frame(1, 64));
        w.a().transmit(frame(2, 200));
        drain(w.b());
        assertEquals(List.of("send w:a->b 1", "send w:a->b 2", "drop MTU 2", "deliver w:a->b 1"), events);
    }

    @Test
    void sameSeedReplaysExactlyAndAnotherSeedDiffers() {
        Impairments imp = Impairments.builder().loss(0.05).delay(50 * US, 30 * US).reordering(0.1, 100 * US)
                .duplication(0.05).corruption(0.05).build();
        long h1 = scenarioHash(imp, SEED);
        long h2 = scenarioHash(imp, SEED);
        long h3 = scenarioHash(imp, SEED + 1);
        assertEquals(h1, h2, "same seed must replay exactly");
        assertNotEquals(h1, h3, "a different seed should give a different run");
    }

    private long scenarioHash(Impairments imp, long seed) {
        VirtualClock c = new VirtualClock();
        VirtualWire w = VirtualWire.builder("w", c, new SeededRandom(seed)).both(imp).build();
        long[] h = {17};
        FrameSink sink = f -> h[0] = h[0] * 31 + c.nanoTime() * 7 + Arrays.hashCode(Frames.bytes(f));
        for (int i = 0; i < 300; i++) {
            w.a().transmit(frame(i, 64 + i % 50));
            w.b().transmit(frame(1000 + i, 64));
            c.advanceBy(5 * US);
            w.a().receive(sink, 100);
            w.b().receive(sink, 100);
        }
        return h[0];
    }

    @Test
    void simulatorJumpsStraightToTheNextDelivery() {
        Simulator sim = new Simulator(SEED);
        VirtualWire w = VirtualWire.builder("w", sim.clock(), sim.random().fork("wire"))
                .both(Impairments.NONE.withDelay(3 * MS, 0)).build();
        EventLoop host = sim.newLoop("host");
        EventLoop peer = sim.newLoop("peer");
        List<Long> arrivalsNs = new ArrayList<>();
        host.register(PortPollable.of(w.a(), f -> arrivalsNs.add(sim.nowNs())));
        // The peer echoes every frame back.
        peer.register(PortPollable.of(w.b(), f -> w.b().transmit(f)));
        host.execute(() -> w.a().transmit(frame(1, 64)));
        assertTrue(sim.runUntil(() -> !arrivalsNs.isEmpty(), 10 * MS));
        assertEquals(List.of(6 * MS), arrivalsNs, "3 ms each way, reached by time jumps");
        assertTrue(host.turns() < 10, "time jumps, no busy stepping: " + host.turns() + " turns");
    }

    @Test
    void impairmentsValidateTheirFields() {
        assertThrows(IllegalArgumentException.class, () -> Impairments.NONE.withLoss(1.5));
        assertThrows(IllegalArgumentException.class, () -> Impairments.NONE.withDelay(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> Impairments.NONE.withReordering(0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> Impairments.NONE.withRate(1000, 0));
        assertFalse(Impairments.NONE.isRandom());
        assertTrue(Impairments.NONE.withLoss(0.1).isRandom());
        assertEquals(0.1, Impairments.NONE.withLoss(0.1).toBuilder().build().lossProbability());
    }
}
