package dev.chimney.chimney.target;

import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.PathOffloadState;

/**
 * The offload context area of one path (spec §2.4, §2.12): addresses, PathMtu and the link to its neighbor, which an
 * update may change (spec §3.3.3); a TCP connection's link to its path never changes (R-UPD-3). Owned by the target
 * loop.
 */
final class TargetPath {
    final SoftOffloadTarget target;
    final OffloadHandle handle;
    final PathOffloadState.Const constants;
    final boolean v6;
    int pathMtu;
    TargetNeighbor neighbor;
    boolean invalid;
    boolean terminated;
    int liveConnections;

    TargetPath(SoftOffloadTarget target, OffloadHandle handle, PathOffloadState.Const constants, int pathMtu,
            TargetNeighbor neighbor) {
        this.target = target;
        this.handle = handle;
        this.constants = constants;
        this.v6 = !constants.sourceAddress().isIpv4();
        this.pathMtu = pathMtu;
        this.neighbor = neighbor;
    }

    /** The path or its neighbor was invalidated (spec §3.4): nothing may be sent through it. */
    boolean invalidated() {
        return invalid || neighbor.invalid;
    }

    @Override
    public String toString() {
        return "TargetPath[" + constants.sourceAddress() + " -> " + constants.destinationAddress()
                + (invalid ? " invalid" : "") + (terminated ? " terminated" : "") + "]";
    }
}
