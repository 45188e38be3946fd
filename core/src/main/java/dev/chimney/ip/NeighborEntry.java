package dev.chimney.ip;

import dev.chimney.runtime.Timer;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;

/**
 * One neighbor (an on-link IP address and its link-layer address) with its NUD state. Its variables are grouped
 * as the chimney's neighbor state object (spec §2.3) so that offloading it is a snapshot of three records:
 * <ul>
 *   <li>constant: {@link #constState()} — source MAC and VLAN id;</li>
 *   <li>cached: {@link #cachedState(long)} — destination MAC and host reachability delta;</li>
 *   <li>delegated: {@link #delegatedState(long)} — the initial NIC reachability delta.</li>
 * </ul>
 * Mutated only by its {@link NeighborCache}, on the owning loop.
 */
public final class NeighborEntry extends LruList.Node<NeighborEntry> {
    private final IpAddress ip;

    // ---- constant (spec §2.3): fixed for the entry's life.
    private final NeighborConst constant;

    // ---- cached (spec §2.3): the host stack owns these.
    /** DlDestinationAddress; null while INCOMPLETE. */
    MacAddress dlDestinationAddress;
    /** When forward reachability was last confirmed (RFC 4861 §7.3.1); HostReachabilityDelta = now - this. */
    long lastConfirmedNs;

    // ---- NUD machine (RFC 4861 §7.3.2), not part of the chimney object.
    NeighborState state;
    int solicitsSent;
    final Timer timer;

    // ---- pending frames while INCOMPLETE: a FIFO of pool slots (owned by the cache).
    int queueHead = -1;
    int queueTail = -1;
    int queued;

    // ---- intrusive LRU list of the cache.
    boolean removed;

    NeighborEntry(IpAddress ip, NeighborConst constant, NeighborCache owner) {
        this.ip = ip;
        this.constant = constant;
        this.timer = new Timer() {
            @Override
            protected void onExpired(long nowNs) {
                owner.onTimer(NeighborEntry.this, nowNs);
            }
        };
    }

    public IpAddress ip() {
        return ip;
    }

    public NeighborState state() {
        return state;
    }

    /** The neighbor's MAC, or null while resolution is in progress. */
    public MacAddress linkAddress() {
        return dlDestinationAddress;
    }

    /** Frames waiting for resolution. */
    public int queuedFrames() {
        return queued;
    }

    /** Solicitations sent in the current INCOMPLETE or PROBE phase. */
    public int solicitsSent() {
        return solicitsSent;
    }

    /** Time of the last reachability confirmation (loop clock ns). */
    public long lastConfirmedNs() {
        return lastConfirmedNs;
    }

    /** False once the entry failed, was evicted or was removed; a holder must look the neighbor up again. */
    public boolean isValid() {
        return !removed;
    }

    /** Constant part of the chimney neighbor state object (spec §2.3). */
    public NeighborConst constState() {
        return constant;
    }

    /** Cached part of the chimney neighbor state object at {@code nowNs} (spec §2.3, §5.2). */
    public NeighborCached cachedState(long nowNs) {
        return new NeighborCached(dlDestinationAddress, hostReachabilityDeltaNs(nowNs));
    }

    /**
     * Delegated part as the host supplies it at offload: equal to the host reachability delta (spec §5.2.1).
     */
    public NeighborDelegated delegatedState(long nowNs) {
        return new NeighborDelegated(hostReachabilityDeltaNs(nowNs));
    }

    /** HostReachabilityDelta: ns since forward reachability was last confirmed. */
    public long hostReachabilityDeltaNs(long nowNs) {
        return Math.max(0, nowNs - lastConfirmedNs);
    }

    @Override
    public String toString() {
        return ip + " " + state + (dlDestinationAddress != null ? " lladdr " + dlDestinationAddress : "")
                + (queued > 0 ? " queued " + queued : "");
    }
}
