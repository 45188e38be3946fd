package dev.chimney.chimney.host;

import dev.chimney.chimney.StateLayer;
import dev.chimney.wire.IpAddress;

/**
 * The host's record of one path state object (spec §2.4): source and destination address, its neighbor (the next
 * hop it is linked to on the target) and the PMTU the target was last given.
 */
public final class PathRecord extends OffloadObject {
    private final IpAddress source;
    private final IpAddress destination;
    /** The neighbor this path is linked to (on the target once offloaded); changes only by a relink (§3.3.3). */
    NeighborRecord neighbor;
    /**
     * The neighbor this path is being moved to after a next-hop change (spec §3.3.3), or null; it counts this path
     * as a dependent from the moment the move is decided, so it is neither retired nor terminated meanwhile.
     */
    NeighborRecord relinkTo;
    /** The PathMtu the target was last given. */
    int offloadedMtu;

    PathRecord(IpAddress source, IpAddress destination) {
        super(source.isIpv4() ? StateLayer.IPV4_PATH : StateLayer.IPV6_PATH);
        this.source = source;
        this.destination = destination;
    }

    public IpAddress source() {
        return source;
    }

    public IpAddress destination() {
        return destination;
    }

    public NeighborRecord neighbor() {
        return neighbor;
    }

    @Override
    String describe() {
        return "path " + source + " -> " + destination;
    }
}
