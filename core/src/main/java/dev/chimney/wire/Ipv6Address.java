package dev.chimney.wire;

/** An IPv6 address as two longs in network order: {@code hi} holds bytes 0..7, {@code lo} bytes 8..15. */
public record Ipv6Address(long hi, long lo) implements IpAddress {
    public static final Ipv6Address UNSPECIFIED = new Ipv6Address(0, 0);
    /** ff02::1, all nodes on the link. */
    public static final Ipv6Address ALL_NODES = new Ipv6Address(0xFF02_0000_0000_0000L, 1L);
    /** ff02::2, all routers on the link. */
    public static final Ipv6Address ALL_ROUTERS = new Ipv6Address(0xFF02_0000_0000_0000L, 2L);

    public static Ipv6Address ofBytes(byte[] b, int off) {
        long h = 0;
        long l = 0;
        for (int i = 0; i < 8; i++) {
            h = (h << 8) | (b[off + i] & 0xFF);
            l = (l << 8) | (b[off + 8 + i] & 0xFF);
        }
        return new Ipv6Address(h, l);
    }

    /** Parses RFC 4291 text, including "::" compression and an embedded dotted IPv4 tail. */
    public static Ipv6Address parse(String text) {
        String s = text;
        int pct = s.indexOf('%');
        if (pct >= 0) {
            s = s.substring(0, pct);
        }
        int[] groups = new int[8];
        int dbl = s.indexOf("::");
        if (dbl != s.lastIndexOf("::")) {
            throw bad(text);
        }
        String head = dbl >= 0 ? s.substring(0, dbl) : s;
        String tail = dbl >= 0 ? s.substring(dbl + 2) : "";
        int[] h = groups(head, text);
        int[] t = groups(tail, text);
        if (dbl < 0 && h.length != 8 || dbl >= 0 && h.length + t.length > 7) {
            throw bad(text);
        }
        System.arraycopy(h, 0, groups, 0, h.length);
        System.arraycopy(t, 0, groups, 8 - t.length, t.length);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 4; i++) {
            hi = (hi << 16) | groups[i];
            lo = (lo << 16) | groups[4 + i];
        }
        return new Ipv6Address(hi, lo);
    }

    private static int[] groups(String part, String text) {
        if (part.isEmpty()) {
            return new int[0];
        }
        String[] items = part.split(":", -1);
        boolean v4Tail = items[items.length - 1].contains(".");
        int[] out = new int[items.length + (v4Tail ? 1 : 0)];
        for (int i = 0; i < items.length; i++) {
            String it = items[i];
            if (v4Tail && i == items.length - 1) {
                int v4 = Ipv4Address.parse(it).bits();
                out[i] = v4 >>> 16;
                out[i + 1] = v4 & 0xFFFF;
            } else {
                if (it.isEmpty() || it.length() > 4) {
                    throw bad(text);
                }
                try {
                    out[i] = Integer.parseInt(it, 16);
                } catch (NumberFormatException e) {
                    throw bad(text);
                }
            }
        }
        return out;
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("expected an IPv6 address like fd00::1, got '" + text + "'");
    }

    /** The solicited-node multicast address ff02::1:ffXX:XXXX for this address (RFC 4291 §2.7.1). */
    public Ipv6Address solicitedNode() {
        return new Ipv6Address(0xFF02_0000_0000_0000L, 0x0000_0001_FF00_0000L | (lo & 0xFF_FFFFL));
    }

    /** The EUI-64 link-local address fe80::/64 derived from a MAC (RFC 4291 appendix A). */
    public static Ipv6Address linkLocal(MacAddress mac) {
        long m = mac.bits();
        long iid = ((m >>> 24) << 40) | (0xFFFEL << 24) | (m & 0xFF_FFFFL);
        iid ^= 0x0200_0000_0000_0000L;
        return new Ipv6Address(0xFE80_0000_0000_0000L, iid);
    }

    @Override
    public int byteLength() {
        return 16;
    }

    @Override
    public byte[] toBytes() {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    @Override
    public boolean isMulticast() {
        return (hi >>> 56) == 0xFF;
    }

    @Override
    public boolean isUnspecified() {
        return hi == 0 && lo == 0;
    }

    public boolean isLinkLocal() {
        return (hi >>> 54) == (0xFE80L >>> 6);
    }

    public boolean isLoopback() {
        return hi == 0 && lo == 1;
    }

    /** RFC 5952 canonical text. */
    @Override
    public String toString() {
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) (hi >>> (48 - 16 * i)) & 0xFFFF;
            g[4 + i] = (int) (lo >>> (48 - 16 * i)) & 0xFFFF;
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
