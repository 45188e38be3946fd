package dev.chimney.wire;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * An Ethernet II header: addresses, payload EtherType and an optional 802.1Q tag ({@code vlan == null} when
 * untagged).
 */
public record EthernetRepr(MacAddress source, MacAddress destination, int etherType, VlanTag vlan) {

    /** An IEEE 802.1Q tag: priority code point (3 bits), drop eligible indicator, VLAN id (12 bits). */
    public record VlanTag(int pcp, boolean dei, int vid) {
        public VlanTag {
            if (pcp < 0 || pcp > 7 || vid < 0 || vid > 0xFFF) {
                throw new IllegalArgumentException("VLAN PCP must be 0..7 and VID 0..4095, got " + pcp + "/" + vid);
            }
        }
    }

    public EthernetRepr {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        if (etherType < 0 || etherType > 0xFFFF || etherType == EtherType.VLAN) {
            throw new IllegalArgumentException("payload EtherType must be 0..0xFFFF and not the 802.1Q TPID, got 0x"
                    + Integer.toHexString(etherType) + "; pass a VlanTag for a tagged frame");
        }
    }

    public static EthernetRepr parse(final EthernetView v) throws WireFormatException {
        v.check();
        final VlanTag tag = v.hasVlanTag() ? new VlanTag(v.vlanPcp(), v.vlanDei(), v.vlanId()) : null;
        return new EthernetRepr(v.source(), v.destination(), v.etherType(), tag);
    }

    /** Header length: 14, or 18 when tagged. */
    public int bufferLen() {
        return vlan == null ? EthernetView.HEADER_LENGTH : EthernetView.TAGGED_HEADER_LENGTH;
    }

    /** Writes the header at {@code offset}. */
    public void emit(final MemorySegment seg, final long offset) {
        final EthernetView v = new EthernetView().wrap(seg, offset, bufferLen());
        v.destinationBits(destination.bits()).sourceBits(source.bits());
        if (vlan != null) {
            v.vlanTag(vlan.pcp(), vlan.dei(), vlan.vid());
        }
        v.etherType(etherType);
    }
}
