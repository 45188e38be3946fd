package dev.chimney.ip;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.TimerQueue;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The neighbor cache of one interface and one address family: address resolution (ARP, RFC 826; NDP, RFC 4861
 * §7.2) and Neighbor Unreachability Detection (RFC 4861 §7.3) in one state machine, used by both families.
 *
 * <p>Sending: {@link #resolve} returns the neighbor's MAC, or queues a copy of the frame while the entry is
 * INCOMPLETE (bounded per entry and in total; oldest dropped and counted). Frames queue in a preallocated pool,
 * so the hot path never allocates; only creating a new entry does.
 *
 * <p>Receiving: {@link #onAdvertisement} handles solicited or unsolicited advertisements (NA, ARP replies to us),
 * {@link #onLinkAddressHint} handles link-layer addresses learned from other messages (NS/RS/RA/redirect source
 * options, ARP requests). Upper layers call {@link #confirmReachable} on forward progress (RFC 4861 §7.3.1).
 *
 * <p>Timers come from the loop's {@link TimerQueue}, one per entry; ReachableTime is randomized from a
 * {@link SeededRandom} (RFC 4861 §6.3.2), so runs replay from the seed.
 */
public final class NeighborCache {

    /** Sends address-resolution probes: ARP requests (IPv4) or neighbor solicitations (IPv6). */
    public interface Solicitor {
        /**
         * Sends one solicitation for {@code entry.ip()}.
         *
         * @param unicastTarget the cached MAC to probe (PROBE state), or null to multicast/broadcast (INCOMPLETE)
         */
        void solicit(NeighborEntry entry, MacAddress unicastTarget);
    }

    /** Transmits a frame that waited for resolution, after writing the resolved MAC into it. */
    public interface QueuedFrameSender {
        void sendResolved(NeighborEntry entry, MemorySegment frame);
    }

    /** Notifications for upper layers and the offload manager (all optional). */
    public interface Listener {
        /** The neighbor's link-layer address was learned or changed (the offload manager updates cached state). */
        default void onLinkAddressChanged(NeighborEntry entry) {
        }

        /**
         * Resolution or probing failed (RFC 4861 §7.3.3): the entry is deleted. Each frame that was waiting is
         * passed to {@code droppedFrame} first, so the stack can report "host unreachable" to the local sender
         * (RFC 4861 §7.2.2).
         */
        default void onUnreachable(NeighborEntry entry) {
        }

        /** A frame that waited for resolution was dropped because resolution failed. Valid during the call. */
        default void onQueuedFrameDropped(NeighborEntry entry, MemorySegment frame) {
        }

        /** The entry left the table (failure, eviction or removal); holders must drop their reference. */
        default void onRemoved(NeighborEntry entry) {
        }
    }

    /**
     * Where forward-progress evidence the host does not see itself comes from: an offload target running
     * connections to this neighbor (chimney spec §5.2: the target's NicReachabilityDelta).
     */
    @FunctionalInterface
    public interface ReachabilityOracle {
        /** The last time (loop clock ns) someone else saw forward progress to {@code entry}, or Long.MIN_VALUE. */
        long lastForwardProgressNs(NeighborEntry entry);
    }

    private final NetInterface iface;
    private final TimerQueue timers;
    private ReachabilityOracle oracle = e -> Long.MIN_VALUE;
    private final SeededRandom random;
    private final NeighborConfig config;
    private final Solicitor solicitor;
    private final QueuedFrameSender sender;
    private final IpCounters counters;
    private final NeighborConst constant;
    private final Map<IpAddress, NeighborEntry> entries = new HashMap<>();
    private final List<Listener> listeners = new ArrayList<>();
    private long reachableTimeNs;

    // LRU list: head is least recently used.
    private final LruList<NeighborEntry> lru = new LruList<>();

    // Pending-frame pool: slot i holds a frame of slotLength[i] bytes at i * maxFrameBytes.
    private final int maxFrameBytes;
    private final MemorySegment pool;
    private final int[] slotNext;
    private final int[] slotLength;
    private final long[] slotSequence;
    private final NeighborEntry[] slotOwner;
    private int freeHead;
    private int queuedTotal;
    private long sequence;

    public NeighborCache(NetInterface iface, TimerQueue timers, SeededRandom random, NeighborConfig config,
            Solicitor solicitor, QueuedFrameSender sender, IpCounters counters) {
        this.iface = iface;
        this.timers = timers;
        this.random = random;
        this.config = config;
        this.solicitor = solicitor;
        this.sender = sender;
        this.counters = counters;
        this.constant = new NeighborConst(iface.mac(), iface.vlanId());
        this.maxFrameBytes = iface.mtuBytes() + 22; // Ethernet header 14 + 802.1Q tag 4 + slack for FCS-less trailers
        int slots = config.maxQueuedTotal();
        this.pool = MemorySegment.ofArray(new byte[Math.max(1, slots) * maxFrameBytes]);
        this.slotNext = new int[slots];
        this.slotLength = new int[slots];
        this.slotSequence = new long[slots];
        this.slotOwner = new NeighborEntry[slots];
        for (int i = 0; i < slots; i++) {
            slotNext[i] = i + 1 < slots ? i + 1 : -1;
        }
        this.freeHead = slots > 0 ? 0 : -1;
        recomputeReachableTime(config.baseReachableTimeNs());
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /**
     * Installs the source of outside forward-progress evidence consulted before probing (spec §5.2.4: "in state
     * DELAY [the host] queries the OT's NRD to decide whether to move to PROBE").
     */
    public void reachabilityOracle(ReachabilityOracle o) {
        this.oracle = o == null ? e -> Long.MIN_VALUE : o;
    }

    public NeighborConfig config() {
        return config;
    }

    /** The current randomized ReachableTime (RFC 4861 §6.3.2). */
    public long reachableTimeNs() {
        return reachableTimeNs;
    }

    /**
     * Draws a new ReachableTime uniformly from [0.5, 1.5] × {@code baseNs} (RFC 4861 §6.3.2: MIN_RANDOM_FACTOR,
     * MAX_RANDOM_FACTOR), e.g. when a router advertisement changes BaseReachableTime.
     */
    public void recomputeReachableTime(long baseNs) {
        reachableTimeNs = (long) (baseNs * (0.5 + random.nextDouble()));
    }

    public int size() {
        return entries.size();
    }

    /** Frames waiting for resolution over all entries. */
    public int queuedFrames() {
        return queuedTotal;
    }

    /** The entry for {@code ip}, or null. Does not touch LRU order. */
    public NeighborEntry lookup(IpAddress ip) {
        return entries.get(ip);
    }

    /** Snapshot of all entries, least recently used first. */
    public List<NeighborEntry> entries() {
        List<NeighborEntry> out = new ArrayList<>(entries.size());
        for (NeighborEntry e = lru.oldest(); e != null; e = e.lruNext) {
            out.add(e);
        }
        return out;
    }

    /** Adds or replaces a PERMANENT entry (never probed, aged or evicted). */
    public NeighborEntry addStatic(IpAddress ip, MacAddress mac, long nowNs) {
        NeighborEntry e = entries.get(ip);
        if (e == null) {
            e = create(ip);
            if (e == null) {
                throw new IllegalStateException("neighbor table of " + iface.name() + " is full of entries being "
                        + "resolved; raise NeighborConfig.maxEntries");
            }
        }
        timers.cancel(e.timer);
        boolean changed = !mac.equals(e.dlDestinationAddress);
        e.dlDestinationAddress = mac;
        e.lastConfirmedNs = nowNs;
        e.state = NeighborState.PERMANENT;
        flushQueue(e);
        if (changed) {
            fireChanged(e);
        }
        return e;
    }

    /** Removes the entry for {@code ip}, dropping its queue. Returns whether one existed. */
    public boolean remove(IpAddress ip) {
        NeighborEntry e = entries.get(ip);
        if (e == null) {
            return false;
        }
        dropQueue(e, false);
        delete(e);
        return true;
    }

    /**
     * Finds the MAC to send a frame to {@code nextHop}, per RFC 4861 §7.2.2 and §7.3.3:
     * <ul>
     *   <li>resolved entry: returns its MAC; a STALE entry moves to DELAY and arms DELAY_FIRST_PROBE_TIME;</li>
     *   <li>INCOMPLETE entry: queues a copy of {@code frame} and returns -1;</li>
     *   <li>no entry: creates one INCOMPLETE, solicits (multicast), queues the frame and returns -1.</li>
     * </ul>
     * A frame that cannot be queued (queue limit 0, table full) is dropped and counted; -1 is returned.
     *
     * @param frame the complete Ethernet frame (its destination MAC is written when resolution completes)
     * @return the MAC as 48 bits, or -1 when the frame was queued or dropped
     */
    public long resolve(IpAddress nextHop, MemorySegment frame, long nowNs) {
        return resolve(nextHop, frame, (int) frame.byteSize(), nowNs);
    }

    /**
     * As {@link #resolve(IpAddress, MemorySegment, long)} for a frame of {@code frameBytes} at the start of a larger
     * buffer, so a caller with one reusable transmit buffer needs no slice object per packet.
     */
    public long resolve(IpAddress nextHop, MemorySegment buffer, int frameBytes, long nowNs) {
        NeighborEntry e = entries.get(nextHop);
        if (e == null) {
            e = create(nextHop);
            if (e == null) {
                counters.increment(IpCounter.NEIGHBOR_TABLE_FULL);
                return -1;
            }
            e.state = NeighborState.INCOMPLETE;
            e.solicitsSent = 0;
            enqueue(e, buffer, frameBytes);
            sendSolicit(e, null, nowNs);
            return -1;
        }
        lru.touch(e);
        switch (e.state) {
            case INCOMPLETE -> {
                enqueue(e, buffer, frameBytes);
                return -1;
            }
            case STALE -> {
                // RFC 4861 §7.3.3: the first packet sent to a STALE neighbor starts the DELAY timer.
                e.state = NeighborState.DELAY;
                timers.schedule(e.timer, nowNs + config.delayFirstProbeTimeNs());
            }
            default -> {
                // REACHABLE, DELAY, PROBE, PERMANENT: send to the cached address.
            }
        }
        return e.dlDestinationAddress.bits();
    }

    /**
     * Forward-progress confirmation from an upper layer (RFC 4861 §7.3.1: e.g. TCP saw new data acknowledged).
     * A resolved entry becomes REACHABLE; INCOMPLETE entries and unknown addresses are left alone.
     */
    public void confirmReachable(IpAddress ip, long nowNs) {
        NeighborEntry e = entries.get(ip);
        if (e == null || !e.state.hasLinkAddress()) {
            return;
        }
        e.lastConfirmedNs = nowNs;
        if (e.state != NeighborState.PERMANENT) {
            enterReachable(e, nowNs);
        }
    }

    /**
     * Starts Neighbor Unreachability Detection of a resolved entry now, as a packet sent to a STALE neighbor would
     * (RFC 4861 §7.3.3): STALE becomes DELAY, so unless forward progress is confirmed within DELAY_FIRST_PROBE_TIME
     * (by an upper layer or the {@link ReachabilityOracle}) unicast probes follow, and an entry that answers none
     * fails ({@link Listener#onUnreachable}). For the offload manager, whose offloaded connections send no packet
     * through this cache (chimney spec §5.2.4: the host probes when the target saw no progress). REACHABLE, DELAY,
     * PROBE, PERMANENT and INCOMPLETE entries are left as they are; returns whether NUD started.
     */
    public boolean probe(IpAddress ip, long nowNs) {
        NeighborEntry e = entries.get(ip);
        if (e == null || e.state != NeighborState.STALE) {
            return false;
        }
        e.state = NeighborState.DELAY;
        timers.schedule(e.timer, nowNs + config.delayFirstProbeTimeNs());
        return true;
    }

    /**
     * A solicited or unsolicited advertisement: an NDP Neighbor Advertisement (RFC 4861 §7.2.5), or an ARP reply
     * addressed to us (treated as solicited with override: ARP has no override flag and RFC 826's merge rule
     * always overwrites).
     *
     * @param lladdr    the target link-layer address option, or null when the advertisement carried none
     * @param solicited the S flag: a response to our solicitation, so reachability is confirmed
     * @param override  the O flag: the address should replace a cached one
     */
    public void onAdvertisement(IpAddress ip, MacAddress lladdr, boolean solicited, boolean override, long nowNs) {
        NeighborEntry e = entries.get(ip);
        if (e == null) {
            return; // RFC 4861 §7.2.5: no entry, silently discard (we did not ask).
        }
        if (e.state == NeighborState.PERMANENT) {
            return;
        }
        if (e.state == NeighborState.INCOMPLETE) {
            if (lladdr == null) {
                return; // §7.2.5: an advertisement without a target link-layer address cannot complete it.
            }
            e.dlDestinationAddress = lladdr;
            if (solicited) {
                enterReachable(e, nowNs);
                e.lastConfirmedNs = nowNs;
            } else {
                enterStale(e);
            }
            counters.increment(IpCounter.NEIGHBOR_RESOLVED);
            fireChanged(e);
            flushQueue(e);
            return;
        }
        boolean differs = lladdr != null && !lladdr.equals(e.dlDestinationAddress);
        if (!override && differs) {
            // §7.2.5: O clear and a different address: do not update; a REACHABLE entry becomes STALE.
            if (e.state == NeighborState.REACHABLE) {
                enterStale(e);
            }
            return;
        }
        if (differs) {
            e.dlDestinationAddress = lladdr;
            fireChanged(e);
        }
        if (solicited) {
            e.lastConfirmedNs = nowNs;
            enterReachable(e, nowNs);
        } else if (differs) {
            enterStale(e);
        }
    }

    /**
     * A link-layer address learned from a message that does not confirm reachability: the source link-layer option
     * of an NS, RS, RA or redirect (RFC 4861 §7.2.3, §6.3.4, §8.3; Appendix C) or the sender of an ARP packet
     * (RFC 826 "merge"). An unknown neighbor is created STALE only when {@code create} is true (NS/RS/ARP aimed at
     * us; RFC 826 adds the sender only when we are the target); INCOMPLETE completes to STALE; a different
     * address replaces the cached one and makes the entry STALE; the same address changes nothing.
     */
    public void onLinkAddressHint(IpAddress ip, MacAddress lladdr, boolean create, long nowNs) {
        if (lladdr == null || lladdr.isMulticast()) {
            return;
        }
        NeighborEntry e = entries.get(ip);
        if (e == null) {
            if (!create) {
                return;
            }
            e = create(ip);
            if (e == null) {
                counters.increment(IpCounter.NEIGHBOR_TABLE_FULL);
                return;
            }
            e.dlDestinationAddress = lladdr;
            e.lastConfirmedNs = nowNs - reachableTimeNs; // never confirmed
            enterStale(e);
            fireChanged(e);
            return;
        }
        if (e.state == NeighborState.PERMANENT) {
            return;
        }
        if (e.state == NeighborState.INCOMPLETE) {
            e.dlDestinationAddress = lladdr;
            enterStale(e);
            counters.increment(IpCounter.NEIGHBOR_RESOLVED);
            fireChanged(e);
            flushQueue(e);
            return;
        }
        if (!lladdr.equals(e.dlDestinationAddress)) {
            e.dlDestinationAddress = lladdr;
            enterStale(e);
            fireChanged(e);
        }
    }

    // ---------------------------------------------------------------- timers

    void onTimer(NeighborEntry e, long nowNs) {
        if (e.removed) {
            return;
        }
        switch (e.state) {
            case INCOMPLETE -> {
                if (e.solicitsSent < config.maxMulticastSolicit()) {
                    sendSolicit(e, null, nowNs);
                } else {
                    fail(e);
                }
            }
            case REACHABLE -> enterStale(e); // §7.3.3: ReachableTime passed without confirmation.
            case DELAY -> {
                long progressNs = oracle.lastForwardProgressNs(e);
                if (progressNs != Long.MIN_VALUE && progressNs > e.lastConfirmedNs && nowNs - progressNs
                        < reachableTimeNs) {
                    // Spec §5.2.4: the offload target saw forward progress the host could not: that is the
                    // upper-layer confirmation of RFC 4861 §7.3.1, so no probe is needed.
                    e.lastConfirmedNs = progressNs;
                    enterReachable(e, progressNs);
                    return;
                }
                // §7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME: start unicast probes.
                e.state = NeighborState.PROBE;
                e.solicitsSent = 0;
                sendSolicit(e, e.dlDestinationAddress, nowNs);
            }
            case PROBE -> {
                if (e.solicitsSent < config.maxUnicastSolicit()) {
                    sendSolicit(e, e.dlDestinationAddress, nowNs);
                } else {
                    fail(e);
                }
            }
            default -> {
                // STALE and PERMANENT keep no timer.
            }
        }
    }

    private void sendSolicit(NeighborEntry e, MacAddress unicastTarget, long nowNs) {
        e.solicitsSent++;
        counters.increment(IpCounter.NEIGHBOR_SOLICITS_SENT);
        timers.schedule(e.timer, nowNs + config.retransTimerNs());
        solicitor.solicit(e, unicastTarget);
    }

    private void enterReachable(NeighborEntry e, long nowNs) {
        e.state = NeighborState.REACHABLE;
        e.solicitsSent = 0;
        timers.schedule(e.timer, nowNs + reachableTimeNs);
    }

    private void enterStale(NeighborEntry e) {
        e.state = NeighborState.STALE;
        e.solicitsSent = 0;
        timers.cancel(e.timer);
    }

    private void fail(NeighborEntry e) {
        counters.increment(IpCounter.NEIGHBOR_UNREACHABLE);
        dropQueue(e, true);
        for (Listener l : listeners) {
            l.onUnreachable(e);
        }
        delete(e);
    }

    // ---------------------------------------------------------------- table and LRU

    private NeighborEntry create(IpAddress ip) {
        if (entries.size() >= config.maxEntries() && !evictOne()) {
            return null;
        }
        NeighborEntry e = new NeighborEntry(ip, constant, this);
        e.state = NeighborState.INCOMPLETE;
        entries.put(ip, e);
        lru.addNewest(e);
        return e;
    }

    /** Evicts the least recently used entry that is neither resolving nor permanent. */
    private boolean evictOne() {
        for (NeighborEntry e = lru.oldest(); e != null; e = e.lruNext) {
            if (e.state != NeighborState.INCOMPLETE && e.state != NeighborState.PERMANENT) {
                counters.increment(IpCounter.NEIGHBOR_EVICTED);
                delete(e);
                return true;
            }
        }
        return false;
    }

    private void delete(NeighborEntry e) {
        timers.cancel(e.timer);
        entries.remove(e.ip());
        lru.remove(e);
        e.removed = true;
        for (Listener l : listeners) {
            l.onRemoved(e);
        }
    }

    private void fireChanged(NeighborEntry e) {
        for (Listener l : listeners) {
            l.onLinkAddressChanged(e);
        }
    }

    // ---------------------------------------------------------------- pending-frame queue

    private void enqueue(NeighborEntry e, MemorySegment buffer, int frameBytes) {
        if (config.maxQueuedPerEntry() == 0 || frameBytes > maxFrameBytes) {
            counters.increment(IpCounter.NEIGHBOR_QUEUE_DROP);
            return;
        }
        if (e.queued >= config.maxQueuedPerEntry()) {
            releaseSlot(e, popHead(e)); // oldest of this neighbor goes first
            counters.increment(IpCounter.NEIGHBOR_QUEUE_DROP);
        } else if (freeHead < 0) {
            dropGloballyOldest();
        }
        int slot = freeHead;
        freeHead = slotNext[slot];
        MemorySegment.copy(buffer, 0, pool, (long) slot * maxFrameBytes, frameBytes);
        slotLength[slot] = frameBytes;
        slotSequence[slot] = sequence++;
        slotOwner[slot] = e;
        slotNext[slot] = -1;
        if (e.queueTail >= 0) {
            slotNext[e.queueTail] = slot;
        } else {
            e.queueHead = slot;
        }
        e.queueTail = slot;
        e.queued++;
        queuedTotal++;
    }

    private void dropGloballyOldest() {
        // Each entry's queue is FIFO, so the oldest frame overall is the head of some queue; the scan over the
        // pool runs only when the pool is full.
        int oldest = -1;
        for (int i = 0; i < slotOwner.length; i++) {
            if (slotOwner[i] != null && (oldest < 0 || slotSequence[i] < slotSequence[oldest])) {
                oldest = i;
            }
        }
        NeighborEntry owner = slotOwner[oldest];
        releaseSlot(owner, popHead(owner));
        counters.increment(IpCounter.NEIGHBOR_QUEUE_DROP);
    }

    private int popHead(NeighborEntry e) {
        int slot = e.queueHead;
        e.queueHead = slotNext[slot];
        if (e.queueHead < 0) {
            e.queueTail = -1;
        }
        e.queued--;
        queuedTotal--;
        return slot;
    }

    private void releaseSlot(NeighborEntry owner, int slot) {
        slotOwner[slot] = null;
        slotNext[slot] = freeHead;
        freeHead = slot;
    }

    private MemorySegment slotFrame(int slot) {
        return pool.asSlice((long) slot * maxFrameBytes, slotLength[slot]);
    }

    private void flushQueue(NeighborEntry e) {
        while (e.queued > 0) {
            int slot = popHead(e);
            sender.sendResolved(e, slotFrame(slot));
            releaseSlot(e, slot);
        }
    }

    private void dropQueue(NeighborEntry e, boolean notify) {
        while (e.queued > 0) {
            int slot = popHead(e);
            counters.increment(IpCounter.NEIGHBOR_QUEUE_DROP);
            if (notify) {
                for (Listener l : listeners) {
                    l.onQueuedFrameDropped(e, slotFrame(slot));
                }
            }
            releaseSlot(e, slot);
        }
    }
}
