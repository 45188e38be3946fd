package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.TimerQueue;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.wire.IpAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Path MTU discovery: RFC 1191 (IPv4) and RFC 8201 (IPv6). */
class PathCacheTest {
    private static final IpAddress SRC4 = IpAddress.parse("10.0.0.2");
    private static final IpAddress DST4 = IpAddress.parse("192.0.2.7");
    private static final IpAddress SRC6 = IpAddress.parse("fd00::2");
    private static final IpAddress DST6 = IpAddress.parse("2001:db8::7");

    private final VirtualClock clock = new VirtualClock();
    private final TimerQueue timers = new TimerQueue();
    private final IpCounters counters = new IpCounters();
    private final PathCache cache = new PathCache(timers, counters);
    private final List<String> changes = new ArrayList<>();

    PathCacheTest() {
        cache.addListener((p, oldMtu, newMtu) -> changes.add(p.destinationAddress() + " " + oldMtu + "->" + newMtu));
    }

    private void advance(long ns) {
        clock.advanceBy(ns);
        timers.poll(clock.nanoTime(), Integer.MAX_VALUE);
    }

    @Test
    void newPathStartsAtLinkMtuAndIsTheChimneyPathObject() {
        PathEntry p = cache.getOrCreate(SRC4, DST4, 1500);
        assertEquals(1500, p.pathMtuBytes());
        assertEquals(new PathEntry.PathState(SRC4, DST4, 1500), p.snapshot());
        assertEquals(1500, cache.pathMtu(DST4, 1500));
        assertEquals(9000, cache.pathMtu(IpAddress.parse("192.0.2.8"), 9000), "unknown path: link MTU");
    }

    @Test
    void fragmentationNeededLowersButNeverRaisesNorGoesBelow68() {
        cache.getOrCreate(SRC4, DST4, 1500);
        assertTrue(cache.onFragmentationNeeded(DST4, 1400, 1500, clock.nanoTime()));
        assertEquals(1400, cache.lookup(DST4).pathMtuBytes());
        assertFalse(cache.onFragmentationNeeded(DST4, 1450, 1500, clock.nanoTime()), "RFC 1191 §6.1: never raise");
        assertEquals(1400, cache.lookup(DST4).pathMtuBytes());
        assertTrue(cache.onFragmentationNeeded(DST4, 20, 1400, clock.nanoTime()));
        assertEquals(68, cache.lookup(DST4).pathMtuBytes(), "RFC 1191 §3: 68 is the floor");
        assertEquals(List.of(DST4 + " 1500->1400", DST4 + " 1400->68"), changes);
    }

    @Test
    void zeroNextHopMtuUsesPlateauBelowDatagramLength() {
        cache.getOrCreate(SRC4, DST4, 1500);
        // RFC 1191 §5/§7: old router says 0; the 1500-byte datagram was too big -> next plateau 1492.
        assertTrue(cache.onFragmentationNeeded(DST4, 0, 1500, clock.nanoTime()));
        assertEquals(1492, cache.lookup(DST4).pathMtuBytes());
        assertTrue(cache.onFragmentationNeeded(DST4, 0, 1492, clock.nanoTime()));
        assertEquals(1006, cache.lookup(DST4).pathMtuBytes());
        assertEquals(296, PathCache.plateauBelow(508));
        assertEquals(68, PathCache.plateauBelow(68));
    }

    @Test
    void packetTooBigNeverBelow1280() {
        cache.getOrCreate(SRC6, DST6, 1500);
        assertTrue(cache.onPacketTooBig(DST6, 1400, clock.nanoTime()));
        assertEquals(1400, cache.lookup(DST6).pathMtuBytes());
        assertTrue(cache.onPacketTooBig(DST6, 600, clock.nanoTime()));
        assertEquals(1280, cache.lookup(DST6).pathMtuBytes(), "RFC 8201 §4: never below the IPv6 minimum");
        assertFalse(cache.onPacketTooBig(DST6, 100, clock.nanoTime()));
    }

    @Test
    void reportForUnknownPathCreatesNothing() {
        assertFalse(cache.onPacketTooBig(DST6, 1300, 0));
        assertFalse(cache.onFragmentationNeeded(DST4, 576, 1500, 0));
        assertNull(cache.lookup(DST6));
        assertEquals(2, counters.get(IpCounter.PMTU_IGNORED));
    }

    @Test
    void agingRestoresLinkMtuTenMinutesAfterTheLastDecrease() {
        cache.getOrCreate(SRC6, DST6, 1500);
        cache.onPacketTooBig(DST6, 1400, clock.nanoTime());
        advance(PathCache.DEFAULT_AGING_NS / 2);
        cache.onPacketTooBig(DST6, 1300, clock.nanoTime()); // restarts the aging clock
        advance(PathCache.DEFAULT_AGING_NS - 1);
        assertEquals(1300, cache.lookup(DST6).pathMtuBytes());
        advance(1);
        assertEquals(1500, cache.lookup(DST6).pathMtuBytes(), "RFC 8201 §4: aged back to the link MTU");
        assertEquals(1, counters.get(IpCounter.PMTU_AGED));
        assertEquals(List.of(DST6 + " 1500->1400", DST6 + " 1400->1300", DST6 + " 1300->1500"), changes);
    }

    @Test
    void linkMtuDropPullsPathDown() {
        cache.getOrCreate(SRC4, DST4, 1500);
        PathEntry p = cache.getOrCreate(SRC4, DST4, 1400);
        assertEquals(1400, p.pathMtuBytes());
    }

    @Test
    void boundedWithLeastRecentlyUsedEviction() {
        PathCache small = new PathCache(timers, counters, 2, PathCache.DEFAULT_AGING_NS);
        IpAddress a = IpAddress.parse("192.0.2.1");
        IpAddress b = IpAddress.parse("192.0.2.2");
        IpAddress c = IpAddress.parse("192.0.2.3");
        PathEntry pa = small.getOrCreate(SRC4, a, 1500);
        small.getOrCreate(SRC4, b, 1500);
        small.getOrCreate(SRC4, a, 1500);
        small.getOrCreate(SRC4, c, 1500);
        assertNull(small.lookup(b));
        assertTrue(pa.isValid());
        assertEquals(2, small.size());
        assertEquals(1, counters.get(IpCounter.PATH_EVICTED));
    }
}
