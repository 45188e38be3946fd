package dev.chimney.wire;

import java.util.HexFormat;

/** A 48-bit IEEE 802 MAC address, held in the low 48 bits of a long (network order, first octet highest). */
public record MacAddress(long bits) {
    public static final MacAddress BROADCAST = new MacAddress(0xFFFF_FFFF_FFFFL);
    public static final MacAddress ZERO = new MacAddress(0L);

    public MacAddress {
        if ((bits & ~0xFFFF_FFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("a MAC address has 48 bits; got 0x" + Long.toHexString(bits));
        }
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff} (or with '-'). */
    public static MacAddress parse(String text) {
        String[] parts = text.split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("expected a MAC like 02:00:00:00:00:01, got '" + text + "'");
        }
        long v = 0;
        for (String p : parts) {
            v = (v << 8) | (Integer.parseInt(p, 16) & 0xFF);
        }
        return new MacAddress(v);
    }

    /**
     * A locally administered unicast address (IEEE 802 U/L bit set, I/G bit clear: {@code 02:..}) that depends only
     * on {@code seed} and {@code index}: 24 bits mixed from the seed, then the index in the last two octets, so
     * indexes 0..65535 give distinct addresses for one seed. The default MAC of virtual hosts and of interfaces
     * configured without one; a run replays with the same addresses.
     *
     * @param index 0..65535, e.g. the host's position in a virtual network
     */
    public static MacAddress locallyAdministered(long seed, int index) {
        if (index < 0 || index > 0xFFFF) {
            throw new IllegalArgumentException("index must be 0..65535 (it fills the last two octets), got " + index);
        }
        long z = seed * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return new MacAddress(0x0200_0000_0000L | ((z & 0xFF_FFFFL) << 16) | index);
    }

    public static MacAddress ofBytes(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return new MacAddress(v);
    }

    public void toBytes(byte[] out, int off) {
        for (int i = 0; i < 6; i++) {
            out[off + i] = (byte) (bits >>> (40 - 8 * i));
        }
    }

    public byte[] toBytes() {
        byte[] b = new byte[6];
        toBytes(b, 0);
        return b;
    }

    public boolean isBroadcast() {
        return bits == 0xFFFF_FFFF_FFFFL;
    }

    /** Group bit (I/G) of the first octet: broadcast and multicast. */
    public boolean isMulticast() {
        return (bits & 0x0100_0000_0000L) != 0;
    }

    public boolean isUnicast() {
        return !isMulticast();
    }

    /** U/L bit of the first octet: an address assigned locally, not by its maker (IEEE 802 §8.2.2). */
    public boolean isLocallyAdministered() {
        return (bits & 0x0200_0000_0000L) != 0;
    }

    /** The Ethernet multicast address for an IPv6 multicast group (RFC 2464 §7): 33:33 + low 32 bits. */
    public static MacAddress ipv6Multicast(Ipv6Address group) {
        return new MacAddress(0x3333_0000_0000L | (group.lo() & 0xFFFF_FFFFL));
    }

    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(toBytes());
    }
}
