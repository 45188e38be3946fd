package dev.chimney.link;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Pollable;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.runtime.Timer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two loops on one {@link Simulator} joined by a {@link LoopBridge}: zero-delay delivery, replayable runs. */
class LoopBridgeSimulationTest {
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int SENT_AT_OFFSET = 18;
    private static final long US = 1_000;

    /**
     * One side: sends seeded bursts on a timer, answers a seeded share of what arrives at once, and records every
     * arrival. Every frame it sends carries its own sequence number and the virtual time it was sent.
     */
    static final class Node implements Pollable {
        final String side;
        final NetworkPort port;
        final EventLoop loop;
        final SeededRandom random;
        final List<String> trace;
        final long srcMac;
        final long dstMac;
        int nextSeq;
        int expectedPeerSeq;
        int burstsLeft;
        int sent;
        int received;
        final List<String> errors = new ArrayList<>();
        final Timer burstTimer = Timer.of(this::burst);

        Node(String side, NetworkPort port, EventLoop loop, SeededRandom random, List<String> trace, int bursts,
                long srcMac, long dstMac) {
            this.side = side;
            this.port = port;
            this.loop = loop;
            this.random = random;
            this.trace = trace;
            this.burstsLeft = bursts;
            this.srcMac = srcMac;
            this.dstMac = dstMac;
            loop.register(this);
            loop.timers().schedule(burstTimer, loop.nowNs() + random.nextLong(50 * US));
        }

        private void burst() {
            int n = 1 + random.nextInt(40);
            for (int i = 0; i < n; i++) {
                send(60 + random.nextInt(1455));
            }
            if (--burstsLeft > 0) {
                loop.timers().schedule(burstTimer, loop.nowNs() + random.nextLong(50 * US));
            }
        }

        private void send(int size) {
            MemorySegment f = Frames.frame(dstMac, srcMac, nextSeq++, size);
            f.set(U64, SENT_AT_OFFSET, loop.nowNs());
            if (port.transmit(f)) {
                sent++;
            } else {
                errors.add(side + " could not send " + (nextSeq - 1));
            }
        }

        @Override
        public int poll(long nowNs, int budget) {
            return port.receive(this::onFrame, budget);
        }

        @Override
        public long nextWorkNs() {
            return port.nextArrivalNs();
        }

        private void onFrame(MemorySegment f) {
            int seq = Frames.seqOf(f);
            long sentAt = f.get(U64, SENT_AT_OFFSET);
            long now = loop.nowNs();
            received++;
            trace.add(now + " " + side + " <- " + seq + " " + f.byteSize());
            MemorySegment expected = Frames.frame(srcMac, dstMac, seq, (int) f.byteSize());
            expected.set(U64, SENT_AT_OFFSET, sentAt);
            if (seq != expectedPeerSeq++) {
                errors.add(side + " got " + seq + ", expected " + (expectedPeerSeq - 1));
            } else if (f.mismatch(expected) != -1) {
                errors.add(side + " frame " + seq + " differs at byte " + f.mismatch(expected));
            } else if (sentAt != now) {
                errors.add(side + " frame " + seq + " sent at " + sentAt + " arrived at " + now);
            }
            if (random.chance(0.3)) {
                send(60 + random.nextInt(200)); // an answer, within the same instant
            }
        }
    }

    /** The trace and host a's pcap of one run. */
    record Run(List<String> trace, byte[] pcap, Node a, Node b, LoopBridge bridge) {
    }

    private static Run run(long seed) {
        Simulator sim = new Simulator(seed);
        EventLoop loopA = sim.newLoop("a");
        EventLoop loopB = sim.newLoop("b");
        LoopBridge bridge = LoopBridge.builder("sim", loopA, loopB).ringFrames(256).build();
        ByteArrayOutputStream pcap = new ByteArrayOutputStream();
        PcapTap tapA = new PcapTap(bridge.a(), new PcapWriter(pcap, sim.clock()));
        List<String> trace = new ArrayList<>();
        Node a = new Node("a", tapA, loopA, sim.random().fork("a"), trace, 300, Frames.MAC_A, Frames.MAC_B);
        Node b = new Node("b", bridge.b(), loopB, sim.random().fork("b"), trace, 300, Frames.MAC_B, Frames.MAC_A);
        boolean done = sim.runUntil(() -> a.burstsLeft == 0 && b.burstsLeft == 0 && a.received == b.sent
                && b.received == a.sent, 10_000_000_000L);
        assertTrue(done, "seed " + seed + ": not all frames arrived: " + bridge);
        tapA.flush();
        return new Run(trace, pcap.toByteArray(), a, b, bridge);
    }

    @Test
    void framesCrossAtTheInstantTheyAreSentInOrderAndByteExact() {
        Run r = run(42);
        assertEquals(List.of(), r.a().errors);
        assertEquals(List.of(), r.b().errors);
        assertTrue(r.a().sent > 3000 && r.b().sent > 3000, "a: " + r.a().sent + ", b: " + r.b().sent);
        for (LoopBridge.Counters c : List.of(r.bridge().a().txCounters(), r.bridge().b().txCounters())) {
            assertEquals(0, c.droppedTotal(), c.toString());
            assertEquals(c.framesSent(), c.framesDelivered(), c.toString());
        }
    }

    @Test
    void theSameSeedReplaysTheSameRunAndCapture() {
        Run first = run(7);
        Run second = run(7);
        assertEquals(first.trace(), second.trace());
        assertArrayEquals(first.pcap(), second.pcap(), "pcap of the same seed is byte-identical");
        assertTrue(first.pcap().length > 100_000, "the capture has the traffic: " + first.pcap().length + " bytes");
        Run other = run(8);
        assertNotEquals(first.trace(), other.trace(), "another seed is another run (the trace is not trivial)");
    }

    @Test
    void closingAnEndWithFramesQueuedNeitherDeliversThemNorKeepsTheSimulatorBusy() {
        Simulator sim = new Simulator(3);
        EventLoop loopA = sim.newLoop("a");
        EventLoop loopB = sim.newLoop("b");
        LoopBridge bridge = LoopBridge.of("sim", loopA, loopB);
        int[] delivered = new int[1];
        loopB.register(PortPollable.of(bridge.b(), f -> delivered[0]++));
        for (int i = 0; i < 10; i++) {
            bridge.a().transmit(Frames.frame(i, 64));
        }
        bridge.a().close();
        sim.runFor(1_000_000); // would throw a livelock SimulationException if b kept reporting work now
        assertEquals(0, delivered[0]);
        assertEquals(10, bridge.a().txCounters().dropped(DropReason.CLOSED));
        assertEquals(0, bridge.a().txCounters().queued());
    }
}
