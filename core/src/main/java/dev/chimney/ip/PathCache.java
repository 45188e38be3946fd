package dev.chimney.ip;

import dev.chimney.runtime.TimerQueue;
import dev.chimney.wire.IpAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-destination path state with Path MTU Discovery: RFC 1191 for IPv4, RFC 8201 for IPv6.
 * <ul>
 *   <li>Reports only lower the PMTU, never below 68 (IPv4, RFC 1191 §3 / RFC 791) or 1280 (IPv6, RFC 8201 §4).</li>
 *   <li>An IPv4 report with a zero next-hop MTU (an old router, RFC 1191 §5) uses the plateau table of RFC 1191
 *       §7: the largest plateau below the length of the datagram that was too big.</li>
 *   <li>Aging (RFC 1191 §6.3, RFC 8201 §4): {@link #agingNs} after the last decrease the PMTU goes back to the
 *       link MTU, so a path that grew is found again. Default 10 minutes, as both RFCs suggest.</li>
 *   <li>Listeners hear every change (TCP re-segments; the offload manager updates the offloaded path object).</li>
 * </ul>
 * Bounded: beyond {@code maxEntries} the least recently used path is evicted. Owned by one event loop.
 */
public final class PathCache {
    /** Smallest IPv4 PMTU (RFC 791: every host takes 68-byte datagrams; RFC 1191 §3). */
    public static final int MIN_IPV4_PMTU = 68;
    /** Smallest IPv6 PMTU (RFC 8200 §5, RFC 8201 §4). */
    public static final int MIN_IPV6_PMTU = 1280;
    /** RFC 1191 §6.3 and RFC 8201 §4 suggest 10 minutes before trying a larger PMTU again. */
    public static final long DEFAULT_AGING_NS = Duration.ofMinutes(10).toNanos();
    /** RFC 1191 §7 table 7-1 plateaus (MTU values of common links), descending. */
    static final int[] PLATEAUS = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

    /** Told when a path's MTU changes. */
    public interface Listener {
        void onPathMtuChanged(PathEntry path, int oldMtuBytes, int newMtuBytes);
    }

    private final TimerQueue timers;
    private final IpCounters counters;
    private final int maxEntries;
    private final long agingNs;
    private final Map<IpAddress, PathEntry> entries = new HashMap<>();
    private final List<Listener> listeners = new ArrayList<>();
    private final LruList<PathEntry> lru = new LruList<>();

    public PathCache(TimerQueue timers, IpCounters counters) {
        this(timers, counters, 1024, DEFAULT_AGING_NS);
    }

    public PathCache(TimerQueue timers, IpCounters counters, int maxEntries, long agingNs) {
        if (maxEntries < 1 || agingNs <= 0) {
            throw new IllegalArgumentException("PathCache needs maxEntries >= 1 and a positive aging time, got "
                    + maxEntries + " and " + agingNs + "ns");
        }
        this.timers = timers;
        this.counters = counters;
        this.maxEntries = maxEntries;
        this.agingNs = agingNs;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public long agingNs() {
        return agingNs;
    }

    public int size() {
        return entries.size();
    }

    /** The path to {@code destination}, or null. */
    public PathEntry lookup(IpAddress destination) {
        return entries.get(destination);
    }

    /**
     * The path to {@code destination}, created with the link MTU of its route if absent. Touches LRU order. When
     * the route's link MTU dropped below the cached PMTU, the PMTU follows it down.
     */
    public PathEntry getOrCreate(IpAddress source, IpAddress destination, int linkMtuBytes) {
        PathEntry e = entries.get(destination);
        if (e != null) {
            lru.touch(e);
            if (linkMtuBytes != e.linkMtuBytes) {
                e.linkMtuBytes = linkMtuBytes;
                if (e.pathMtuBytes > linkMtuBytes) {
                    change(e, linkMtuBytes);
                }
            }
            return e;
        }
        if (entries.size() >= maxEntries) {
            PathEntry victim = lru.oldest();
            counters.increment(IpCounter.PATH_EVICTED);
            delete(victim);
        }
        e = new PathEntry(source, destination, linkMtuBytes, this);
        entries.put(destination, e);
        lru.addNewest(e);
        return e;
    }

    /** The PMTU to use for {@code destination}: the cached value, or {@code linkMtuBytes} if no path is cached. */
    public int pathMtu(IpAddress destination, int linkMtuBytes) {
        PathEntry e = entries.get(destination);
        return e == null ? linkMtuBytes : Math.min(e.pathMtuBytes, linkMtuBytes);
    }

    /**
     * An ICMPv4 "fragmentation needed and DF set" (type 3 code 4) for a datagram we sent to {@code destination}
     * (RFC 1191 §4). Only known paths are updated (a report cannot create state, RFC 5927 §5.2 hardening).
     *
     * @param nextHopMtu         the reported next-hop MTU; 0 from routers predating RFC 1191
     * @param originalTotalBytes the total length field of the quoted datagram (for the plateau estimate)
     * @return true when the PMTU changed
     */
    public boolean onFragmentationNeeded(IpAddress destination, int nextHopMtu, int originalTotalBytes, long nowNs) {
        PathEntry e = entries.get(destination);
        if (e == null) {
            counters.increment(IpCounter.PMTU_IGNORED);
            return false;
        }
        int mtu = nextHopMtu;
        if (mtu == 0 || mtu >= originalTotalBytes && originalTotalBytes > 0) {
            // RFC 1191 §5: an old router (or a bogus value not below the datagram's size): take the plateau below
            // the datagram length.
            mtu = plateauBelow(originalTotalBytes > 0 ? originalTotalBytes : e.pathMtuBytes);
        }
        return lower(e, Math.max(mtu, MIN_IPV4_PMTU), nowNs);
    }

    /**
     * An ICMPv6 Packet Too Big for a packet we sent to {@code destination} (RFC 8201 §4, RFC 4443 §3.2): the PMTU
     * becomes the reported MTU, never below 1280.
     */
    public boolean onPacketTooBig(IpAddress destination, long reportedMtu, long nowNs) {
        PathEntry e = entries.get(destination);
        if (e == null) {
            counters.increment(IpCounter.PMTU_IGNORED);
            return false;
        }
        int mtu = (int) Math.min(Math.max(reportedMtu, MIN_IPV6_PMTU), Integer.MAX_VALUE);
        return lower(e, mtu, nowNs);
    }

    /** The largest RFC 1191 plateau strictly below {@code bytes} (68 at the least). */
    public static int plateauBelow(int bytes) {
        for (int p : PLATEAUS) {
            if (p < bytes) {
                return p;
            }
        }
        return MIN_IPV4_PMTU;
    }

    /** Removes the path to {@code destination}; returns whether one existed. */
    public boolean remove(IpAddress destination) {
        PathEntry e = entries.get(destination);
        if (e == null) {
            return false;
        }
        delete(e);
        return true;
    }

    private boolean lower(PathEntry e, int mtu, long nowNs) {
        if (mtu >= e.pathMtuBytes) {
            // RFC 1191 §6.1 / RFC 8201 §4: a report never increases the PMTU.
            counters.increment(IpCounter.PMTU_IGNORED);
            return false;
        }
        counters.increment(IpCounter.PMTU_DECREASED);
        e.lastDecreaseNs = nowNs;
        timers.schedule(e.agingTimer, nowNs + agingNs);
        change(e, mtu);
        return true;
    }

    void onAged(PathEntry e, long nowNs) {
        if (e.removed || e.pathMtuBytes >= e.linkMtuBytes) {
            return;
        }
        counters.increment(IpCounter.PMTU_AGED);
        change(e, e.linkMtuBytes);
    }

    private void change(PathEntry e, int mtu) {
        int old = e.pathMtuBytes;
        e.pathMtuBytes = mtu;
        for (Listener l : listeners) {
            l.onPathMtuChanged(e, old, mtu);
        }
    }

    private void delete(PathEntry e) {
        timers.cancel(e.agingTimer);
        entries.remove(e.destinationAddress());
        lru.remove(e);
        e.removed = true;
    }
}
