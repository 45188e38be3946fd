package dev.chimney.ip;

import java.time.Duration;

/**
 * Limits and timers of a {@link NeighborCache}. Defaults are RFC 4861 §10's protocol constants; ARP uses the same
 * machine and the same values (RFC 826 itself names no timers; RFC 1122 §2.3.2.1 asks for aging and a bounded
 * queue, which NUD provides).
 *
 * @param maxEntries             table size; beyond it the least recently used resolved entry is evicted
 * @param maxQueuedPerEntry      frames held while one neighbor resolves (oldest dropped beyond it)
 * @param maxQueuedTotal         frames held while resolving, over all entries (oldest dropped beyond it)
 * @param maxMulticastSolicit    MAX_MULTICAST_SOLICIT: solicitations before an INCOMPLETE entry fails
 * @param maxUnicastSolicit      MAX_UNICAST_SOLICIT: probes before a PROBE entry fails
 * @param baseReachableTimeNs    BaseReachableTime; ReachableTime is drawn from [0.5, 1.5] times it (§6.3.2)
 * @param retransTimerNs         RetransTimer between solicitations
 * @param delayFirstProbeTimeNs  DELAY_FIRST_PROBE_TIME spent in DELAY
 */
public record NeighborConfig(int maxEntries, int maxQueuedPerEntry, int maxQueuedTotal, int maxMulticastSolicit,
        int maxUnicastSolicit, long baseReachableTimeNs, long retransTimerNs, long delayFirstProbeTimeNs) {

    public static final int MAX_MULTICAST_SOLICIT = 3;
    public static final int MAX_UNICAST_SOLICIT = 3;
    public static final long REACHABLE_TIME_NS = Duration.ofSeconds(30).toNanos();
    public static final long RETRANS_TIMER_NS = Duration.ofSeconds(1).toNanos();
    public static final long DELAY_FIRST_PROBE_TIME_NS = Duration.ofSeconds(5).toNanos();

    public NeighborConfig {
        if (maxEntries < 1 || maxQueuedPerEntry < 0 || maxQueuedTotal < maxQueuedPerEntry) {
            throw new IllegalArgumentException("neighbor limits need maxEntries >= 1 and 0 <= maxQueuedPerEntry <= "
                    + "maxQueuedTotal; got " + maxEntries + ", " + maxQueuedPerEntry + ", " + maxQueuedTotal);
        }
        if (maxMulticastSolicit < 1 || maxUnicastSolicit < 1) {
            throw new IllegalArgumentException("solicit counts must be >= 1");
        }
        if (baseReachableTimeNs <= 0 || retransTimerNs <= 0 || delayFirstProbeTimeNs <= 0) {
            throw new IllegalArgumentException("neighbor timers must be positive");
        }
    }

    /** RFC 4861 §10 values, 256 entries, 3 queued frames per entry (RFC 4861 §7.2.2: "small"), 64 in total. */
    public static NeighborConfig defaults() {
        return new NeighborConfig(256, 3, 64, MAX_MULTICAST_SOLICIT, MAX_UNICAST_SOLICIT, REACHABLE_TIME_NS,
                RETRANS_TIMER_NS, DELAY_FIRST_PROBE_TIME_NS);
    }

    public NeighborConfig withMaxEntries(int n) {
        return new NeighborConfig(n, maxQueuedPerEntry, maxQueuedTotal, maxMulticastSolicit, maxUnicastSolicit,
                baseReachableTimeNs, retransTimerNs, delayFirstProbeTimeNs);
    }

    public NeighborConfig withQueueLimits(int perEntry, int total) {
        return new NeighborConfig(maxEntries, perEntry, total, maxMulticastSolicit, maxUnicastSolicit,
                baseReachableTimeNs, retransTimerNs, delayFirstProbeTimeNs);
    }

    public NeighborConfig withTimers(long baseReachableNs, long retransNs, long delayFirstProbeNs) {
        return new NeighborConfig(maxEntries, maxQueuedPerEntry, maxQueuedTotal, maxMulticastSolicit,
                maxUnicastSolicit, baseReachableNs, retransNs, delayFirstProbeNs);
    }
}
