package dev.chimney.chimney;

import dev.chimney.wire.MacAddress;

/**
 * The neighbor state object's three variable classes (spec §2.3). Reachability values are unsigned 32-bit tick
 * counts that wrap (spec §0.2, §5.2): compare them with modular arithmetic.
 */
public final class NeighborOffloadState {
    private NeighborOffloadState() {
    }

    /**
     * @param dlSourceAddress source MAC for every frame sent through this neighbor; null = the interface's MAC
     *                        (R-STATE-5, R-STATE-6)
     * @param vlanId          12-bit 802.1Q VLAN id; 0 = not significant (spec §6.12)
     */
    public record Const(MacAddress dlSourceAddress, int vlanId) {
        public Const {
            if (vlanId < 0 || vlanId > 0xFFF) {
                throw new IllegalArgumentException("vlanId is 12 bits (0..4095), got " + vlanId);
            }
        }
    }

    /**
     * @param dlDestinationAddress  the next hop's MAC
     * @param hostReachabilityDelta HRD: host ticks since the host last confirmed forward reachability (spec §5.2)
     */
    public record Cached(MacAddress dlDestinationAddress, int hostReachabilityDelta) {
        public Cached {
            java.util.Objects.requireNonNull(dlDestinationAddress, "dlDestinationAddress (the next hop's MAC)");
        }
    }

    /** @param nicReachabilityDelta NRD: ticks since the target last saw forward progress (spec §5.2) */
    public record Delegated(int nicReachabilityDelta) {
    }
}
