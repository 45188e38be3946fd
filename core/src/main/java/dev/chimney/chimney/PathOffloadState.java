package dev.chimney.chimney;

import dev.chimney.wire.IpAddress;
import java.util.Objects;

/** The path state object's variable classes (spec §2.4); the delegated class is empty. */
public final class PathOffloadState {
    private PathOffloadState() {
    }

    /** @param sourceAddress local IP; @param destinationAddress remote IP (same family) */
    public record Const(IpAddress sourceAddress, IpAddress destinationAddress) {
        public Const {
            Objects.requireNonNull(sourceAddress, "sourceAddress");
            Objects.requireNonNull(destinationAddress, "destinationAddress");
            if (sourceAddress.isIpv4() != destinationAddress.isIpv4()) {
                throw new IllegalArgumentException("path addresses must be of one family: " + sourceAddress + " -> "
                        + destinationAddress);
            }
        }

        public StateLayer layer() {
            return sourceAddress.isIpv4() ? StateLayer.IPV4_PATH : StateLayer.IPV6_PATH;
        }
    }

    /** @param pathMtu PathMtu in bytes, IP header included (RFC 1191, RFC 8201) */
    public record Cached(int pathMtu) {
        public Cached {
            if (pathMtu < 68) {
                throw new IllegalArgumentException("pathMtu must be at least 68 bytes, got " + pathMtu);
            }
        }
    }

    /** {@code PATH_OFFLOAD_STATE_DELEGATED} is only a header (spec §2.4). */
    public record Delegated() {
    }
}
