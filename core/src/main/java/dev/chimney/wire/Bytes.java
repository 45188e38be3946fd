package dev.chimney.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Big-endian (network order) unaligned accessors shared by every view. Held in static finals so the JIT folds them;
 * values come back unsigned in the next wider Java type where the field is unsigned.
 */
public final class Bytes {
    /** Network-order unaligned 16-bit layout. */
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Network-order unaligned 32-bit layout. */
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Network-order unaligned 64-bit layout. */
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Bytes() {
    }

    public static int u8(final MemorySegment seg, final long offset) {
        return seg.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    public static void u8(final MemorySegment seg, final long offset, final int value) {
        seg.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
    }

    public static int u16(final MemorySegment seg, final long offset) {
        return seg.get(U16, offset) & 0xFFFF;
    }

    public static void u16(final MemorySegment seg, final long offset, final int value) {
        seg.set(U16, offset, (short) value);
    }

    public static int u32(final MemorySegment seg, final long offset) {
        return seg.get(U32, offset);
    }

    public static void u32(final MemorySegment seg, final long offset, final int value) {
        seg.set(U32, offset, value);
    }

    public static long u64(final MemorySegment seg, final long offset) {
        return seg.get(U64, offset);
    }

    public static void u64(final MemorySegment seg, final long offset, final long value) {
        seg.set(U64, offset, value);
    }

    /** Reads a 48-bit MAC address. */
    public static MacAddress mac(final MemorySegment seg, final long offset) {
        return new MacAddress(macBits(seg, offset));
    }

    /** Reads a 48-bit MAC address as the low 48 bits of a long, without allocating. */
    public static long macBits(final MemorySegment seg, final long offset) {
        return ((long) u16(seg, offset) << 32) | (u32(seg, offset + 2) & 0xFFFF_FFFFL);
    }

    public static void macBits(final MemorySegment seg, final long offset, final long bits) {
        u16(seg, offset, (int) (bits >>> 32));
        u32(seg, offset + 2, (int) bits);
    }

    public static Ipv6Address ipv6(final MemorySegment seg, final long offset) {
        return new Ipv6Address(u64(seg, offset), u64(seg, offset + 8));
    }

    public static void ipv6(final MemorySegment seg, final long offset, final Ipv6Address address) {
        u64(seg, offset, address.hi());
        u64(seg, offset + 8, address.lo());
    }

    /** Throws TRUNCATED unless {@code need <= have}. */
    static void need(final long have, final long need, final String what) throws WireFormatException {
        if (have < need) {
            throw new WireFormatException(WireFormatException.Reason.TRUNCATED,
                    what + ": need " + need + " bytes, have " + have);
        }
    }
}
