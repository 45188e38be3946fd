package dev.chimney.chimney.target;

import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadHandle;

/**
 * The offload context area of one neighbor (spec §2.12): its const and cached variables, the reachability
 * timestamps HRT and NRT (spec §5.2, NIC ticks, unsigned 32-bit and wrapping) and the stored host handle. The root of
 * one of the target's internal trees (spec §2.13): paths point here, so a MAC update or a relink reaches every
 * dependent connection (R-TREE-9). Owned by the target loop.
 */
final class TargetNeighbor {
    final SoftOffloadTarget target;
    final OffloadHandle handle;
    final NeighborOffloadState.Const constants;
    /** DlDestinationAddress as 48 bits. */
    long destinationMac;
    /** The source MAC of every frame through this neighbor: DlSourceAddress, or the interface's (R-STATE-5/6). */
    final long sourceMac;
    /** HRT = NCT − HRD (spec §5.2.1). */
    int hrt;
    /** NRT: when the target last saw forward progress through this neighbor. */
    int nrt;
    boolean invalid;
    boolean terminated;
    /** A NeighborReachabilityQuery is on its way to the host: no second one, and a terminate waits for it. */
    boolean queryOutstanding;
    int livePaths;

    TargetNeighbor(SoftOffloadTarget target, OffloadHandle handle, NeighborOffloadState.Const constants,
            long destinationMac, long sourceMac) {
        this.target = target;
        this.handle = handle;
        this.constants = constants;
        this.destinationMac = destinationMac;
        this.sourceMac = sourceMac;
    }

    @Override
    public String toString() {
        return "TargetNeighbor[" + handle.owner() + (invalid ? " invalid" : "") + (terminated ? " terminated" : "")
                + "]";
    }
}
