package dev.chimney.ip;

import dev.chimney.wire.MacAddress;

/**
 * The constant variables of a neighbor state object (chimney spec §2.3): fixed for the life of the entry.
 *
 * @param dlSourceAddress the source MAC of frames sent to this neighbor (the interface MAC)
 * @param vlanId          the 802.1Q VLAN id of frames to and from this neighbor; 0 = not significant (§6.12)
 */
public record NeighborConst(MacAddress dlSourceAddress, int vlanId) {
}
