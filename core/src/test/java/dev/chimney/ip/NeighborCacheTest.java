package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.TimerQueue;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Neighbor Unreachability Detection: one test per transition of RFC 4861 Appendix C (plus the ARP mapping, queue
 * and table bounds). Runs on a virtual clock; no wire involved.
 */
class NeighborCacheTest {
    private static final long SEED = 4861;
    private static final long S = 1_000_000_000L;
    private static final MacAddress OURS = MacAddress.parse("02:00:00:00:00:01");
    private static final MacAddress M1 = MacAddress.parse("02:00:00:00:00:aa");
    private static final MacAddress M2 = MacAddress.parse("02:00:00:00:00:bb");
    private static final IpAddress N = IpAddress.parse("fd00::9");

    private final VirtualClock clock = new VirtualClock();
    private final TimerQueue timers = new TimerQueue();
    private final IpCounters counters = new IpCounters();
    private final List<String> solicits = new ArrayList<>();
    private final List<Integer> sent = new ArrayList<>();
    private final List<MacAddress> sentTo = new ArrayList<>();
    private final List<Integer> droppedFrames = new ArrayList<>();
    private final List<IpAddress> unreachable = new ArrayList<>();
    private final List<MacAddress> changes = new ArrayList<>();
    private NeighborCache cache;

    @BeforeEach
    void setUp() {
        cache = newCache(NeighborConfig.defaults());
    }

    private NeighborCache newCache(NeighborConfig config) {
        NetInterface nif = new NetInterface(0, InterfaceConfig.of("eth0", OURS).withIpv6("fd00::1/64"));
        NeighborCache c = new NeighborCache(nif, timers, new SeededRandom(SEED).fork("nud"), config,
                (e, target) -> solicits.add(target == null ? "multicast" : "unicast " + target),
                (e, frame) -> {
                    sentTo.add(e.linkAddress());
                    sent.add((int) frame.get(ValueLayout.JAVA_BYTE, 20));
                }, counters);
        c.addListener(new NeighborCache.Listener() {
            @Override
            public void onUnreachable(NeighborEntry entry) {
                unreachable.add(entry.ip());
            }

            @Override
            public void onQueuedFrameDropped(NeighborEntry entry, MemorySegment frame) {
                droppedFrames.add((int) frame.get(ValueLayout.JAVA_BYTE, 20));
            }

            @Override
            public void onLinkAddressChanged(NeighborEntry entry) {
                changes.add(entry.linkAddress());
            }
        });
        return c;
    }

    private static MemorySegment frame(int marker) {
        byte[] b = new byte[60];
        b[20] = (byte) marker;
        return MemorySegment.ofArray(b);
    }

    private void advance(long ns) {
        clock.advanceBy(ns);
        timers.poll(clock.nanoTime(), Integer.MAX_VALUE);
    }

    private long now() {
        return clock.nanoTime();
    }

    private NeighborEntry reachable() {
        assertEquals(-1, cache.resolve(N, frame(1), now()));
        cache.onAdvertisement(N, M1, true, true, now());
        NeighborEntry e = cache.lookup(N);
        assertEquals(NeighborState.REACHABLE, e.state());
        return e;
    }

    private NeighborEntry stale() {
        cache.onLinkAddressHint(N, M1, true, now());
        NeighborEntry e = cache.lookup(N);
        assertEquals(NeighborState.STALE, e.state());
        return e;
    }

    // ---------------------------------------------------------------- address resolution (RFC 4861 §7.2)

    @Test
    void noEntryAndPacketToSendCreatesIncompleteSolicitsAndQueues() {
        assertEquals(-1, cache.resolve(N, frame(1), now()));
        NeighborEntry e = cache.lookup(N);
        assertEquals(NeighborState.INCOMPLETE, e.state());
        assertEquals(List.of("multicast"), solicits);
        assertEquals(1, e.queuedFrames());
        assertEquals(-1, cache.resolve(N, frame(2), now()), "still resolving: queued, no second solicit");
        assertEquals(2, e.queuedFrames());
        assertEquals(1, solicits.size());
    }

    @Test
    void incompleteRetransmitsThenFailsAfterMaxMulticastSolicit() {
        cache.resolve(N, frame(1), now());
        cache.resolve(N, frame(2), now());
        advance(NeighborConfig.RETRANS_TIMER_NS);
        advance(NeighborConfig.RETRANS_TIMER_NS);
        assertEquals(3, solicits.size(), "MAX_MULTICAST_SOLICIT = 3 solicitations, RetransTimer apart");
        assertEquals(NeighborState.INCOMPLETE, cache.lookup(N).state());
        advance(NeighborConfig.RETRANS_TIMER_NS);
        // RFC 4861 §7.3.3 / §7.2.2: the entry is deleted and each queued packet reported unreachable.
        assertNull(cache.lookup(N));
        assertEquals(List.of(N), unreachable);
        assertEquals(List.of(1, 2), droppedFrames);
        assertEquals(2, counters.get(IpCounter.NEIGHBOR_QUEUE_DROP));
        assertEquals(1, counters.get(IpCounter.NEIGHBOR_UNREACHABLE));
        assertEquals(0, cache.queuedFrames());
    }

    @Test
    void incompleteSolicitedAdvertisementMakesReachableAndSendsQueue() {
        cache.resolve(N, frame(1), now());
        cache.resolve(N, frame(2), now());
        cache.onAdvertisement(N, M1, true, false, now());
        NeighborEntry e = cache.lookup(N);
        assertEquals(NeighborState.REACHABLE, e.state());
        assertEquals(M1, e.linkAddress());
        assertEquals(List.of(1, 2), sent, "queued packets leave in order");
        assertEquals(List.of(M1, M1), sentTo);
        assertEquals(List.of(M1), changes);
        assertEquals(M1.bits(), cache.resolve(N, frame(3), now()));
    }

    @Test
    void incompleteUnsolicitedAdvertisementMakesStaleAndSendsQueue() {
        cache.resolve(N, frame(1), now());
        cache.onAdvertisement(N, M1, false, true, now());
        assertEquals(NeighborState.STALE, cache.lookup(N).state());
        assertEquals(List.of(1), sent);
    }

    @Test
    void incompleteAdvertisementWithoutLinkAddressIsIgnored() {
        cache.resolve(N, frame(1), now());
        cache.onAdvertisement(N, null, true, true, now());
        assertEquals(NeighborState.INCOMPLETE, cache.lookup(N).state());
        assertTrue(sent.isEmpty());
    }

    @Test
    void incompleteSolicitationWithSourceAddressMakesStale() {
        cache.resolve(N, frame(1), now());
        cache.onLinkAddressHint(N, M1, true, now());
        assertEquals(NeighborState.STALE, cache.lookup(N).state());
        assertEquals(List.of(1), sent);
    }

    @Test
    void noEntrySolicitationCreatesStaleButAdvertisementDoesNot() {
        cache.onAdvertisement(N, M1, true, true, now());
        assertNull(cache.lookup(N), "RFC 4861 §7.2.5: no entry, advertisement discarded");
        cache.onLinkAddressHint(N, M1, false, now());
        assertNull(cache.lookup(N), "RFC 826: gratuitous ARP from a stranger adds nothing");
        cache.onLinkAddressHint(N, M1, true, now());
        assertEquals(NeighborState.STALE, cache.lookup(N).state());
        assertEquals(M1, cache.lookup(N).linkAddress());
    }

    // ---------------------------------------------------------------- NUD (RFC 4861 §7.3)

    @Test
    void reachableTimesOutToStale() {
        reachable();
        advance(cache.reachableTimeNs() - 1);
        assertEquals(NeighborState.REACHABLE, cache.lookup(N).state());
        advance(1);
        assertEquals(NeighborState.STALE, cache.lookup(N).state());
    }

    @Test
    void staleSendMovesToDelayThenProbeThenFails() {
        stale();
        assertEquals(M1.bits(), cache.resolve(N, frame(1), now()), "STALE still sends to the cached address");
        assertEquals(NeighborState.DELAY, cache.lookup(N).state());
        advance(NeighborConfig.DELAY_FIRST_PROBE_TIME_NS);
        assertEquals(NeighborState.PROBE, cache.lookup(N).state());
        assertEquals(List.of("unicast " + M1), solicits);
        advance(NeighborConfig.RETRANS_TIMER_NS);
        advance(NeighborConfig.RETRANS_TIMER_NS);
        assertEquals(3, solicits.size(), "MAX_UNICAST_SOLICIT = 3 probes");
        assertEquals(NeighborState.PROBE, cache.lookup(N).state());
        advance(NeighborConfig.RETRANS_TIMER_NS);
        assertNull(cache.lookup(N));
        assertEquals(List.of(N), unreachable);
    }

    @Test
    void delayWithUpperLayerConfirmationBecomesReachable() {
        stale();
        cache.resolve(N, frame(1), now());
        advance(S);
        cache.confirmReachable(N, now());
        NeighborEntry e = cache.lookup(N);
        assertEquals(NeighborState.REACHABLE, e.state());
        assertEquals(now(), e.lastConfirmedNs());
        advance(NeighborConfig.DELAY_FIRST_PROBE_TIME_NS);
        assertTrue(solicits.isEmpty(), "no probe once confirmed");
    }

    @Test
    void delayAsksTheOffloadTargetBeforeProbing() {
        stale();
        cache.resolve(N, frame(1), now());
        long progress = now() + S; // the offload target saw an ACK one second into DELAY (spec §5.2.4)
        cache.reachabilityOracle(e -> progress);
        advance(NeighborConfig.DELAY_FIRST_PROBE_TIME_NS);
        NeighborEntry e = cache.lookup(N);
        assertEquals(NeighborState.REACHABLE, e.state());
        assertEquals(progress, e.lastConfirmedNs());
        assertTrue(solicits.isEmpty(), "no probe needed");
        advance(cache.reachableTimeNs() - 4 * S);
        assertEquals(NeighborState.STALE, e.state(), "ReachableTime counts from the target's confirmation");
    }

    @Test
    void delayProbesWhenTheOffloadTargetSawNothingNew() {
        NeighborEntry e = reachable();
        advance(cache.reachableTimeNs());
        long old = e.lastConfirmedNs();
        cache.reachabilityOracle(x -> old); // nothing newer than the host's own confirmation
        cache.resolve(N, frame(2), now());
        advance(NeighborConfig.DELAY_FIRST_PROBE_TIME_NS);
        assertEquals(NeighborState.PROBE, e.state());
        assertEquals(List.of("multicast", "unicast " + M1), solicits);
    }

    @Test
    void probeWithSolicitedAdvertisementBecomesReachable() {
        stale();
        cache.resolve(N, frame(1), now());
        advance(NeighborConfig.DELAY_FIRST_PROBE_TIME_NS);
        assertEquals(NeighborState.PROBE, cache.lookup(N).state());
        cache.onAdvertisement(N, M1, true, false, now());
        assertEquals(NeighborState.REACHABLE, cache.lookup(N).state());
        advance(5 * NeighborConfig.RETRANS_TIMER_NS);
        assertEquals(1, solicits.size(), "probing stopped");
    }

    @Test
    void confirmationOfIncompleteOrUnknownDoesNothing() {
        cache.confirmReachable(N, now());
        assertNull(cache.lookup(N));
        cache.resolve(N, frame(1), now());
        cache.confirmReachable(N, now());
        assertEquals(NeighborState.INCOMPLETE, cache.lookup(N).state());
    }

    // ---------------------------------------------------------------- advertisements on resolved entries (§7.2.5)

    @Test
    void solicitedNoOverrideDifferentAddressMakesReachableStaleWithoutUpdate() {
        reachable();
        cache.onAdvertisement(N, M2, true, false, now());
        assertEquals(NeighborState.STALE, cache.lookup(N).state());
        assertEquals(M1, cache.lookup(N).linkAddress(), "O clear: the cached address is kept");
        cache.onAdvertisement(N, M2, true, false, now());
        assertEquals(NeighborState.STALE, cache.lookup(N).state(), "not REACHABLE: unchanged");
    }

    @Test
    void solicitedOverrideDifferentAddressUpdatesAndIsReachable() {
        stale();
        cache.onAdvertisement(N, M2, true, true, now());
        assertEquals(NeighborState.REACHABLE, cache.lookup(N).state());
        assertEquals(M2, cache.lookup(N).linkAddress());
        assertEquals(List.of(M1, M2), changes);
    }

    @Test
    void unsolicitedOverrideDifferentAddressUpdatesAndIsStale() {
        reachable();
        cache.onAdvertisement(N, M2, false, true, now());
        assertEquals(NeighborState.STALE, cache.lookup(N).state());
        assertEquals(M2, cache.lookup(N).linkAddress());
    }

    @Test
    void unsolicitedSameAddressChangesNothing() {
        reachable();
        cache.onAdvertisement(N, M1, false, true, now());
        assertEquals(NeighborState.REACHABLE, cache.lookup(N).state());
        cache.onAdvertisement(N, M1, false, false, now());
        assertEquals(NeighborState.REACHABLE, cache.lookup(N).state());
        cache.onAdvertisement(N, null, false, true, now());
        assertEquals(NeighborState.REACHABLE, cache.lookup(N).state());
    }

    @Test
    void solicitedSameAddressWithoutOverrideConfirmsStale() {
        stale();
        cache.onAdvertisement(N, M1, true, false, now());
        assertEquals(NeighborState.REACHABLE, cache.lookup(N).state());
    }

    @Test
    void hintWithDifferentAddressMakesStaleAndSameAddressDoesNot() {
        reachable();
        cache.onLinkAddressHint(N, M1, true, now());
        assertEquals(NeighborState.REACHABLE, cache.lookup(N).state());
        cache.onLinkAddressHint(N, M2, false, now());
        assertEquals(NeighborState.STALE, cache.lookup(N).state());
        assertEquals(M2, cache.lookup(N).linkAddress(), "RFC 826 merge / RFC 4861 §7.2.3: address replaced");
    }

    @Test
    void permanentEntriesIgnoreProtocolUpdates() {
        cache.addStatic(N, M1, now());
        cache.onAdvertisement(N, M2, false, true, now());
        cache.onLinkAddressHint(N, M2, true, now());
        assertEquals(NeighborState.PERMANENT, cache.lookup(N).state());
        assertEquals(M1.bits(), cache.resolve(N, frame(1), now()));
        advance(10 * NeighborConfig.REACHABLE_TIME_NS);
        assertEquals(NeighborState.PERMANENT, cache.lookup(N).state());
        assertTrue(solicits.isEmpty());
    }

    // ---------------------------------------------------------------- bounds

    @Test
    void perEntryQueueDropsOldest() {
        for (int i = 1; i <= 5; i++) {
            cache.resolve(N, frame(i), now());
        }
        assertEquals(3, cache.lookup(N).queuedFrames());
        assertEquals(2, counters.get(IpCounter.NEIGHBOR_QUEUE_DROP));
        cache.onAdvertisement(N, M1, true, true, now());
        assertEquals(List.of(3, 4, 5), sent);
    }

    @Test
    void globalQueueDropsOldestAcrossEntries() {
        cache = newCache(NeighborConfig.defaults().withQueueLimits(3, 4));
        IpAddress a = IpAddress.parse("fd00::a");
        IpAddress b = IpAddress.parse("fd00::b");
        cache.resolve(a, frame(1), now());
        cache.resolve(b, frame(2), now());
        cache.resolve(a, frame(3), now());
        cache.resolve(b, frame(4), now());
        cache.resolve(b, frame(5), now()); // pool full: frame 1 (oldest overall, queued for a) goes
        assertEquals(4, cache.queuedFrames());
        assertEquals(1, counters.get(IpCounter.NEIGHBOR_QUEUE_DROP));
        cache.onAdvertisement(a, M1, true, true, now());
        cache.onAdvertisement(b, M2, true, true, now());
        assertEquals(List.of(3, 2, 4, 5), sent);
        assertEquals(0, cache.queuedFrames());
    }

    @Test
    void fullTableEvictsLeastRecentlyUsedResolvedEntry() {
        cache = newCache(NeighborConfig.defaults().withMaxEntries(2));
        IpAddress a = IpAddress.parse("fd00::a");
        IpAddress b = IpAddress.parse("fd00::b");
        IpAddress c = IpAddress.parse("fd00::c");
        cache.onLinkAddressHint(a, M1, true, now());
        cache.onLinkAddressHint(b, M2, true, now());
        cache.resolve(a, frame(1), now()); // a used more recently than b
        cache.resolve(c, frame(2), now());
        assertNull(cache.lookup(b), "b was least recently used");
        assertSame(NeighborState.DELAY, cache.lookup(a).state());
        assertEquals(NeighborState.INCOMPLETE, cache.lookup(c).state());
        assertEquals(1, counters.get(IpCounter.NEIGHBOR_EVICTED));
    }

    @Test
    void tableFullOfIncompleteEntriesRefusesNewOnes() {
        cache = newCache(NeighborConfig.defaults().withMaxEntries(2));
        cache.resolve(IpAddress.parse("fd00::a"), frame(1), now());
        cache.resolve(IpAddress.parse("fd00::b"), frame(2), now());
        assertEquals(-1, cache.resolve(IpAddress.parse("fd00::c"), frame(3), now()));
        assertNull(cache.lookup(IpAddress.parse("fd00::c")));
        assertEquals(1, counters.get(IpCounter.NEIGHBOR_TABLE_FULL));
        assertEquals(2, cache.size());
    }

    // ---------------------------------------------------------------- randomization and chimney state

    @Test
    void reachableTimeIsRandomizedWithinHalfToOneAndAHalfBaseAndReplaysFromSeed() {
        long base = NeighborConfig.REACHABLE_TIME_NS;
        long first = cache.reachableTimeNs();
        assertTrue(first >= base / 2 && first <= base * 3 / 2, "seed " + SEED + ": " + first);
        NeighborCache again = newCache(NeighborConfig.defaults());
        assertEquals(first, again.reachableTimeNs(), "same seed, same ReachableTime");
        for (int i = 0; i < 100; i++) {
            cache.recomputeReachableTime(base);
            assertTrue(cache.reachableTimeNs() >= base / 2 && cache.reachableTimeNs() <= base * 3 / 2);
        }
    }

    @Test
    void chimneyStateGroupsConstCachedDelegated() {
        NeighborEntry e = reachable();
        long confirmed = now();
        advance(7 * S);
        assertEquals(new NeighborConst(OURS, 0), e.constState());
        assertEquals(new NeighborCached(M1, 7 * S), e.cachedState(now()));
        assertEquals(new NeighborDelegated(7 * S), e.delegatedState(now()), "spec §5.2.1: NRD = HRD at offload");
        assertEquals(confirmed, e.lastConfirmedNs());
        cache.confirmReachable(N, now());
        assertEquals(0, e.cachedState(now()).hostReachabilityDeltaNs());
    }

    @Test
    void removedEntryIsInvalidForHolders() {
        NeighborEntry e = reachable();
        assertTrue(e.isValid());
        assertTrue(cache.remove(N));
        assertFalse(e.isValid());
        assertFalse(cache.remove(N));
    }
}
