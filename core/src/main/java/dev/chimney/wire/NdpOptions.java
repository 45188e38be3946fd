package dev.chimney.wire;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The NDP options of one message (RFC 4861 §4.6), as a value. Options with length 0 are rejected (§4.6: "nodes MUST
 * silently discard an ND packet that contains an option with length zero"); unknown options are skipped (§4.6).
 *
 * <pre>
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      | Length (×8 B) |              ...              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @param sourceLinkLayer  source link-layer address option (type 1) or null
 * @param targetLinkLayer  target link-layer address option (type 2) or null
 * @param prefixes         prefix information options (type 3)
 * @param mtu              MTU option (type 5) or {@link #NONE}
 * @param redirectedHeader the data of a redirected header option (type 4) or null
 */
public record NdpOptions(MacAddress sourceLinkLayer, MacAddress targetLinkLayer, List<PrefixInfo> prefixes,
                         long mtu, RedirectedHeader redirectedHeader) {
    public static final int TYPE_SOURCE_LINK_LAYER = 1;
    public static final int TYPE_TARGET_LINK_LAYER = 2;
    public static final int TYPE_PREFIX_INFORMATION = 3;
    public static final int TYPE_REDIRECTED_HEADER = 4;
    public static final int TYPE_MTU = 5;
    public static final long NONE = -1;
    public static final NdpOptions EMPTY = new NdpOptions(null, null, List.of(), NONE, null);

    /** Prefix information (RFC 4861 §4.6.2); lifetimes in seconds, 0xFFFFFFFF = infinity. */
    public record PrefixInfo(int prefixLength, boolean onLink, boolean autonomous, long validLifetimeSeconds,
                             long preferredLifetimeSeconds, Ipv6Address prefix) {
        public PrefixInfo {
            if (prefixLength < 0 || prefixLength > 128) {
                throw new IllegalArgumentException("prefix length is 0..128, got " + prefixLength);
            }
        }
    }

    /** The redirected header option's data: as much of the redirected packet as fits (RFC 4861 §4.6.3). */
    public record RedirectedHeader(byte[] data) {
        public RedirectedHeader {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(final Object o) {
            return o instanceof RedirectedHeader r && Arrays.equals(data, r.data);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "RedirectedHeader[" + data.length + " bytes]";
        }
    }

    public NdpOptions {
        prefixes = List.copyOf(prefixes);
        if (mtu != NONE && (mtu < 0 || mtu > 0xFFFF_FFFFL)) {
            throw new IllegalArgumentException("MTU option is 32-bit unsigned or NONE, got " + mtu);
        }
    }

    public static NdpOptions sourceLinkLayer(final MacAddress mac) {
        return new NdpOptions(mac, null, List.of(), NONE, null);
    }

    public static NdpOptions targetLinkLayer(final MacAddress mac) {
        return new NdpOptions(null, mac, List.of(), NONE, null);
    }

    /** Parses the options in {@code [start, end)}. */
    public static NdpOptions parse(final MemorySegment seg, final long start, final long end)
            throws WireFormatException {
        MacAddress src = null;
        MacAddress tgt = null;
        List<PrefixInfo> prefixes = null;
        long mtu = NONE;
        RedirectedHeader redirected = null;
        long p = start;
        while (p < end) {
            if (end - p < 2) {
                throw malformed("option header truncated");
            }
            final int type = Bytes.u8(seg, p);
            final int len = Bytes.u8(seg, p + 1) * 8;
            if (len == 0) {
                throw malformed("option of length 0 (RFC 4861 §4.6)");
            }
            if (p + len > end) {
                throw malformed("option type " + type + " runs past the message");
            }
            switch (type) {
                // Link-layer address options: Ethernet needs length 1 (RFC 2464 §8); other lengths are other media.
                case TYPE_SOURCE_LINK_LAYER -> src = len == 8 ? Bytes.mac(seg, p + 2) : src;
                case TYPE_TARGET_LINK_LAYER -> tgt = len == 8 ? Bytes.mac(seg, p + 2) : tgt;
                case TYPE_PREFIX_INFORMATION -> {
                    if (len != 32) {
                        throw malformed("prefix information length must be 4 (RFC 4861 §4.6.2)");
                    }
                    final int flags = Bytes.u8(seg, p + 3);
                    if (prefixes == null) {
                        prefixes = new ArrayList<>(2);
                    }
                    final int plen = Bytes.u8(seg, p + 2);
                    if (plen > 128) {
                        throw malformed("prefix length " + plen + " > 128");
                    }
                    prefixes.add(new PrefixInfo(plen, (flags & 0x80) != 0, (flags & 0x40) != 0,
                            Bytes.u32(seg, p + 4) & 0xFFFF_FFFFL, Bytes.u32(seg, p + 8) & 0xFFFF_FFFFL,
                            Bytes.ipv6(seg, p + 16)));
                }
                case TYPE_MTU -> {
                    if (len != 8) {
                        throw malformed("MTU option length must be 1 (RFC 4861 §4.6.4)");
                    }
                    mtu = Bytes.u32(seg, p + 4) & 0xFFFF_FFFFL;
                }
                case TYPE_REDIRECTED_HEADER -> {
                    final byte[] data = new byte[len - 8];
                    MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, p + 8, data, 0, data.length);
                    redirected = new RedirectedHeader(data);
                }
                default -> {
                    // Unknown option: skipped (RFC 4861 §4.6).
                }
            }
            p += len;
        }
        return new NdpOptions(src, tgt, prefixes == null ? List.of() : prefixes, mtu, redirected);
    }

    private static WireFormatException malformed(final String what) {
        return new WireFormatException(WireFormatException.Reason.MALFORMED, "NDP: " + what);
    }

    /** Encoded length in bytes (a multiple of 8). */
    public int bufferLen() {
        int len = 0;
        len += sourceLinkLayer != null ? 8 : 0;
        len += targetLinkLayer != null ? 8 : 0;
        len += 32 * prefixes.size();
        len += mtu != NONE ? 8 : 0;
        len += redirectedHeader != null ? 8 + ((redirectedHeader.data.length + 7) & ~7) : 0;
        return len;
    }

    /** Writes the options at {@code offset}: source LL, target LL, prefixes, MTU, redirected header. */
    public void emit(final MemorySegment seg, final long offset) {
        long p = offset;
        if (sourceLinkLayer != null) {
            p = writeLinkLayer(seg, p, TYPE_SOURCE_LINK_LAYER, sourceLinkLayer);
        }
        if (targetLinkLayer != null) {
            p = writeLinkLayer(seg, p, TYPE_TARGET_LINK_LAYER, targetLinkLayer);
        }
        for (final PrefixInfo pi : prefixes) {
            Bytes.u8(seg, p, TYPE_PREFIX_INFORMATION);
            Bytes.u8(seg, p + 1, 4);
            Bytes.u8(seg, p + 2, pi.prefixLength());
            Bytes.u8(seg, p + 3, (pi.onLink() ? 0x80 : 0) | (pi.autonomous() ? 0x40 : 0));
            Bytes.u32(seg, p + 4, (int) pi.validLifetimeSeconds());
            Bytes.u32(seg, p + 8, (int) pi.preferredLifetimeSeconds());
            Bytes.u32(seg, p + 12, 0);
            Bytes.ipv6(seg, p + 16, pi.prefix());
            p += 32;
        }
        if (mtu != NONE) {
            Bytes.u8(seg, p, TYPE_MTU);
            Bytes.u8(seg, p + 1, 1);
            Bytes.u16(seg, p + 2, 0);
            Bytes.u32(seg, p + 4, (int) mtu);
            p += 8;
        }
        if (redirectedHeader != null) {
            final byte[] d = redirectedHeader.data;
            final int padded = (d.length + 7) & ~7;
            Bytes.u8(seg, p, TYPE_REDIRECTED_HEADER);
            Bytes.u8(seg, p + 1, 1 + padded / 8);
            seg.asSlice(p + 2, 6 + padded).fill((byte) 0);
            MemorySegment.copy(d, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, p + 8, d.length);
        }
    }

    private static long writeLinkLayer(final MemorySegment seg, final long p, final int type, final MacAddress mac) {
        Bytes.u8(seg, p, type);
        Bytes.u8(seg, p + 1, 1);
        Bytes.macBits(seg, p + 2, mac.bits());
        return p + 8;
    }
}
