package dev.chimney.link;

import dev.chimney.runtime.SeededRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.lang.foreign.MemorySegment;

import static dev.chimney.link.Frames.frame;
import static dev.chimney.link.Frames.seqOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Accounting and timing invariants of one link direction under random impairments: every frame sent is delivered,
 * dropped with a counted reason, or still in flight (duplicates counted apart); deliveries are in non-decreasing
 * time and never earlier than the propagation delay allows.
 */
class ImpairedChannelPropertyTest {

    @Property(tries = 150)
    void everyFrameIsAccountedForAndNeverEarly(
            @ForAll long seed,
            @ForAll @DoubleRange(min = 0, max = 0.5) double loss,
            @ForAll @LongRange(min = 0, max = 50_000) long delayNs,
            @ForAll @LongRange(min = 0, max = 50_000) long jitterNs,
            @ForAll @DoubleRange(min = 0, max = 0.3) double reorder,
            @ForAll @DoubleRange(min = 0, max = 0.3) double duplicate,
            @ForAll @LongRange(min = 0, max = 1_000_000_000L) long rateBitsPerSecond,
            @ForAll @IntRange(min = 16, max = 64) int maxInFlight) {
        Impairments imp = Impairments.builder().loss(loss).delay(delayNs, jitterNs)
                .reordering(reorder, reorder > 0 ? 30_000 : 0).duplication(duplicate).corruption(0.1)
                .rate(rateBitsPerSecond, 8_000).mtu(1000).build();
        ImpairedChannel ch = new ImpairedChannel("p", new SeededRandom(seed), imp, 1500, maxInFlight);
        SeededRandom traffic = new SeededRandom(seed).fork("traffic");
        long[] sentAtNs = new long[400];
        long[] lastDeliveryNs = {Long.MIN_VALUE};
        long[] delivered = {0};
        long now = 0;
        for (int i = 0; i < sentAtNs.length; i++) {
            now += traffic.nextInt(5_000);
            sentAtNs[i] = now;
            ch.send(frame(i, 60 + traffic.nextInt(1100)), now);
            long nowNs = now;
            delivered[0] += ch.receive(f -> {
                int seq = seqOf(f) & 0xffff; // a corrupted bit may land in the sequence number: bound it
                assertTrue(nowNs >= lastDeliveryNs[0], "deliveries in time order, seed " + seed);
                lastDeliveryNs[0] = nowNs;
                if (seq < sentAtNs.length && sentAtNs[seq] != 0) {
                    assertTrue(nowNs >= sentAtNs[seq], "never before it was sent, seed " + seed);
                }
            }, traffic.nextInt(8), now);
        }
        ChannelCounters c = ch.counters();
        long inFlight = ch.inFlight();
        assertEquals(c.framesSent() + c.framesDuplicated(),
                c.framesDelivered() + inFlight + c.droppedTotal(), "conservation, seed " + seed + " " + c);
        // Drain the rest: the earliest arrival is never in the past of the last delivery.
        while (ch.nextArrivalNs() != Long.MAX_VALUE) {
            now = Math.max(now, ch.nextArrivalNs());
            delivered[0] += ch.receive(f -> { }, Integer.MAX_VALUE, now);
        }
        assertEquals(0, ch.inFlight());
        assertEquals(delivered[0], c.framesDelivered());
        assertEquals(c.framesSent() + c.framesDuplicated(), c.framesDelivered() + c.droppedTotal(),
                "all accounted after draining, seed " + seed);
        MemorySegment big = frame(0, 14 + 1001);
        long mtuDrops = c.dropped(DropReason.MTU);
        ch.send(big, now);
        assertEquals(mtuDrops + 1, c.dropped(DropReason.MTU), "path MTU is enforced, seed " + seed);
    }
}
