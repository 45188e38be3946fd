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

    /** The Ethernet multicast address for an IPv6 multicast group (RFC 2464 §7): 33:33 + low 32 bits. */
    public static MacAddress ipv6Multicast(Ipv6Address group) {
        return new MacAddress(0x3333_0000_0000L | (group.lo() & 0xFFFF_FFFFL));
    }

    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(toBytes());
    }
}
