package dev.chimney.link;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.runtime.VirtualClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.chimney.link.Frames.BROADCAST;
import static dev.chimney.link.Frames.frame;
import static dev.chimney.link.Frames.seqOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtualSwitchTest {
    private static final long SEED = 77;
    private static final long MS = 1_000_000;
    private static final long H1 = 0x02_00_00_00_00_01L;
    private static final long H2 = 0x02_00_00_00_00_02L;
    private static final long H3 = 0x02_00_00_00_00_03L;

    private final VirtualClock clock = new VirtualClock();

    private VirtualSwitch.Builder builder() {
        return VirtualSwitch.builder("sw", clock, new SeededRandom(SEED));
    }

    private static List<Integer> drain(NetworkPort port) {
        List<Integer> got = new ArrayList<>();
        port.receive(f -> got.add(seqOf(f)), 1000);
        return got;
    }

    @Test
    void floodsUnknownUnicastThenForwardsOnlyToTheLearnedPort() {
        VirtualSwitch sw = builder().build();
        VirtualWire.Port p1 = sw.newPort("h1");
        VirtualWire.Port p2 = sw.newPort("h2");
        VirtualWire.Port p3 = sw.newPort("h3");
        p1.transmit(frame(H2, H1, 1, 64));
        assertEquals(List.of(1), drain(p2));
        assertEquals(List.of(1), drain(p3), "unknown destination is flooded");
        assertEquals(List.of(), drain(p1), "never back out of the ingress port");
        p2.transmit(frame(H1, H2, 2, 64));
        assertEquals(List.of(2), drain(p1));
        assertEquals(List.of(), drain(p3), "h1 was learned: no flood");
        p1.transmit(frame(H2, H1, 3, 64));
        assertEquals(List.of(3), drain(p2));
        assertEquals(List.of(), drain(p3));
        assertEquals(1, sw.framesFlooded());
        assertEquals(2, sw.framesForwarded());
        assertSame(p1, sw.lookup(H1));
        assertEquals(2, sw.macTableSize());
    }

    @Test
    void broadcastAndMulticastAreFloodedAndNeverLearned() {
        VirtualSwitch sw = builder().build();
        VirtualWire.Port p1 = sw.newPort("h1");
        VirtualWire.Port p2 = sw.newPort("h2");
        VirtualWire.Port p3 = sw.newPort("h3");
        p1.transmit(frame(BROADCAST, H1, 1, 64));
        p2.transmit(frame(0x33_33_00_00_00_01L, H2, 2, 64)); // IPv6 all-nodes multicast
        assertEquals(List.of(2), drain(p1));
        assertEquals(List.of(1), drain(p2));
        assertEquals(List.of(1, 2), drain(p3));
        p3.transmit(frame(H3, BROADCAST, 3, 64)); // a group source address must not be learned
        drain(p1);
        assertNull(sw.lookup(BROADCAST));
    }

    @Test
    void frameForItsOwnSegmentIsFiltered() {
        VirtualSwitch sw = builder().build();
        VirtualWire.Port p1 = sw.newPort("h1");
        VirtualWire.Port p2 = sw.newPort("h2");
        p1.transmit(frame(BROADCAST, H1, 1, 64));
        drain(p2);
        p1.transmit(frame(H1, H3, 2, 64)); // to h1, arriving on h1's own port
        assertEquals(List.of(), drain(p2));
        assertEquals(List.of(), drain(p1));
        assertEquals(1, sw.framesFiltered());
        assertEquals(1, p1.txCounters().dropped(DropReason.FILTERED));
    }

    @Test
    void learnedAddressesAgeOut() {
        VirtualSwitch sw = builder().macAgingNs(1_000 * MS).build();
        VirtualWire.Port p1 = sw.newPort("h1");
        VirtualWire.Port p2 = sw.newPort("h2");
        VirtualWire.Port p3 = sw.newPort("h3");
        p2.transmit(frame(BROADCAST, H2, 1, 64));
        drain(p1);
        drain(p3);
        clock.advanceBy(999 * MS);
        p1.transmit(frame(H2, H1, 2, 64));
        assertEquals(List.of(), drain(p3), "still learned just before the aging time");
        assertEquals(List.of(2), drain(p2));
        clock.advanceBy(1_000 * MS);
        p1.transmit(frame(H2, H1, 3, 64));
        assertEquals(List.of(3), drain(p3), "aged out: flooded again");
        assertEquals(1, sw.macTableSize(), "only h1 (just refreshed) is live");
    }

    @Test
    void stationMoveRelearnsAtOnce() {
        VirtualSwitch sw = builder().build();
        VirtualWire.Port p1 = sw.newPort("h1");
        VirtualWire.Port p2 = sw.newPort("h2");
        p1.transmit(frame(BROADCAST, H1, 1, 64));
        drain(p2);
        p2.transmit(frame(BROADCAST, H1, 2, 64)); // h1 now appears behind port 2
        drain(p1);
        assertSame(p2, sw.lookup(H1));
    }

    @Test
    void boundedMacTableFailsOpenAndCountsLearnFailures() {
        VirtualSwitch sw = builder().macTableCapacity(2).build();
        VirtualWire.Port p1 = sw.newPort("h1");
        VirtualWire.Port p2 = sw.newPort("h2");
        for (int i = 0; i < 3; i++) {
            p1.transmit(frame(BROADCAST, 0x02_00_00_00_01_00L + i, i, 64));
        }
        assertEquals(3, drain(p2).size());
        assertEquals(2, sw.macTableSize());
        assertEquals(1, sw.learnFailures());
        p2.transmit(frame(0x02_00_00_00_01_02L, H2, 9, 64));
        assertEquals(List.of(9), drain(p1), "an unlearned destination is still reachable by flooding");
    }

    @Test
    void perPortImpairmentsApplyInBothDirections() {
        VirtualSwitch sw = builder().build();
        VirtualWire.Port p1 = sw.newPort("h1", Impairments.NONE.withDelay(MS, 0), Impairments.NONE);
        VirtualWire.Port p2 = sw.newPort("h2", Impairments.NONE, Impairments.NONE.withDelay(2 * MS, 0));
        VirtualWire.Port p3 = sw.newPort("h3", Impairments.NONE, Impairments.NONE.withLoss(1.0));
        p1.transmit(frame(BROADCAST, H1, 1, 64));
        assertEquals(MS, p2.nextArrivalNs(), "conservative: the frame reaches the switch at 1 ms");
        clock.advanceTo(MS);
        assertEquals(List.of(), drain(p2));
        assertEquals(3 * MS, p2.nextArrivalNs(), "1 ms in, 2 ms out");
        clock.advanceTo(3 * MS);
        assertEquals(List.of(1), drain(p2));
        assertEquals(List.of(), drain(p3));
        assertEquals(1, p3.rxCounters().dropped(DropReason.LOSS));
    }

    @Test
    void hostsOnTheSimulatorMeetThroughTheSwitch() {
        Simulator sim = new Simulator(SEED);
        VirtualSwitch sw = VirtualSwitch.builder("sw", sim.clock(), sim.random().fork("sw")).build();
        VirtualWire.Port p1 = sw.newPort("h1", Impairments.NONE.withDelay(MS, 0));
        VirtualWire.Port p2 = sw.newPort("h2", Impairments.NONE.withDelay(MS, 0));
        EventLoop h1 = sim.newLoop("h1");
        EventLoop h2 = sim.newLoop("h2");
        List<Long> replyAtNs = new ArrayList<>();
        h1.register(PortPollable.of(p1, f -> replyAtNs.add(sim.nowNs())));
        h2.register(PortPollable.of(p2, f -> p2.transmit(frame(H1, H2, seqOf(f), 64))));
        h1.execute(() -> p1.transmit(frame(BROADCAST, H1, 1, 64)));
        sim.runUntil(() -> !replyAtNs.isEmpty(), 100 * MS);
        assertEquals(List.of(4 * MS), replyAtNs, "four 1 ms hops");
    }

    @Test
    void macTableMatchesAModelUnderChurn() {
        SeededRandom r = new SeededRandom(SEED);
        long agingNs = 300; // long enough that the 64-entry table is often full
        VirtualSwitch sw = builder().macTableCapacity(64).macAgingNs(agingNs).build();
        List<VirtualWire.Port> ports = List.of(sw.newPort("a"), sw.newPort("b"), sw.newPort("c"));
        Map<Long, long[]> model = new HashMap<>(); // mac -> {port, lastSeenNs}
        for (int step = 0; step < 20_000; step++) {
            clock.advanceBy(r.nextInt(3));
            long now = clock.nanoTime();
            long mac = 0x02_00_00_00_00_00L + r.nextInt(200);
            if (r.chance(0.5)) {
                int port = r.nextInt(3);
                model.values().removeIf(e -> now - e[1] >= agingNs);
                if (model.containsKey(mac) || model.size() < 64) {
                    model.put(mac, new long[] {port, now});
                }
                ports.get(port).transmit(frame(BROADCAST, mac, step, 64));
                for (VirtualWire.Port p : ports) {
                    drain(p);
                }
            } else {
                long[] e = model.get(mac);
                boolean live = e != null && now - e[1] < agingNs;
                VirtualWire.Port got = sw.lookup(mac);
                assertEquals(live ? ports.get((int) e[0]) : null, got, "mac " + Long.toHexString(mac) + " at step "
                        + step + " (seed " + SEED + ")");
            }
        }
        assertTrue(sw.learnFailures() > 0, "the scenario must exercise the full-table path");
    }

    @Test
    void duplicatePortNamesAreRejected() {
        VirtualSwitch sw = builder().build();
        sw.newPort("h1");
        assertThrows(IllegalArgumentException.class, () -> sw.newPort("h1"));
    }
}
