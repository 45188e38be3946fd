package dev.chimney.chimney.host;

import dev.chimney.chimney.StateLayer;
import dev.chimney.ip.NeighborCache;
import dev.chimney.ip.NeighborEntry;
import dev.chimney.runtime.Timer;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.util.function.Consumer;

/**
 * The host's record of one neighbor state object (spec §2.3): the next hop {@link #ip()} in one interface's neighbor
 * cache. Keyed by (cache, address) rather than by {@link NeighborEntry}, because the cache may evict and re-create
 * the entry while the target still holds the object.
 */
public final class NeighborRecord extends OffloadObject {
    final NeighborCache cache;
    private final IpAddress ip;
    /** The MAC the target was last given (initiate or update), to send an update only on a real change. */
    MacAddress offloadedMac;
    /** Last forward progress the target reported (NRD at a reachability query or a terminate), or MIN_VALUE. */
    long nicProgressNs = Long.MIN_VALUE;
    /** NRD (ticks) of the last NeighborReachabilityQuery answered 0: the §5.2.4 follow-up compares against it. */
    int indicatedNrdTicks;
    /** The §5.2.4 follow-up query timer (armed after answering a reachability query with 0). */
    final Timer followUp;

    NeighborRecord(NeighborCache cache, IpAddress ip, Consumer<NeighborRecord> onFollowUp) {
        super(StateLayer.NEIGHBOR);
        this.cache = cache;
        this.ip = ip;
        this.followUp = Timer.of(() -> onFollowUp.accept(this));
    }

    public IpAddress ip() {
        return ip;
    }

    /** The cache's current entry for this neighbor, or null when it has none (evicted, failed). */
    public NeighborEntry entry() {
        return cache.lookup(ip);
    }

    @Override
    String describe() {
        return "neighbor " + ip;
    }
}
