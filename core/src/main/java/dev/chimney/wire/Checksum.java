package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * The internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum of 16-bit words.
 *
 * <p>Partial sums are plain {@code int}s holding a folded 16-bit ones' complement sum, so they combine with
 * {@link #add(int, int)} in any order (RFC 1071 §2(B), commutativity and associativity). A sum over a range that starts
 * at an odd offset inside the checksummed region must be byte-swapped before it is combined (RFC 1071 §2(B), byte
 * order independence); the methods here always sum ranges that start on the region's word boundary.
 *
 * <p>The bulk loop reads eight bytes at a time and adds both 32-bit halves into a {@code long}; carries are folded once
 * at the end. A {@code long} accumulator cannot overflow before 2^32 words, far beyond any packet.
 */
public final class Checksum {
    private Checksum() {
    }

    /** The folded ones' complement sum of {@code length} bytes at {@code offset}; an odd last byte is padded with 0. */
    public static int sum(final MemorySegment seg, final long offset, final long length) {
        long acc = 0;
        long i = offset;
        final long end = offset + length;
        final long end8 = end - 7;
        while (i < end8) {
            final long v = seg.get(Bytes.U64, i);
            acc += (v >>> 32) + (v & 0xFFFF_FFFFL);
            i += 8;
        }
        if (i + 4 <= end) {
            acc += seg.get(Bytes.U32, i) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (i + 2 <= end) {
            acc += seg.get(Bytes.U16, i) & 0xFFFF;
            i += 2;
        }
        if (i < end) {
            acc += (long) Bytes.u8(seg, i) << 8;
        }
        return fold(acc);
    }

    /** Folds a wide accumulator of 16-bit words to a 16-bit ones' complement sum (end-around carry). */
    public static int fold(long acc) {
        acc = (acc & 0xFFFF_FFFFL) + (acc >>> 32);
        acc = (acc & 0xFFFF) + (acc >>> 16);
        acc = (acc & 0xFFFF) + (acc >>> 16);
        return (int) ((acc & 0xFFFF) + (acc >>> 16));
    }

    /** Ones' complement addition of two partial sums. */
    public static int add(final int a, final int b) {
        return fold((long) a + b);
    }

    /** The checksum field value for a partial sum: its ones' complement. */
    public static int finish(final int sum) {
        return ~sum & 0xFFFF;
    }

    /** The checksum of a range (no pseudo-header), e.g. the IPv4 header or an ICMPv4 message. */
    public static int compute(final MemorySegment seg, final long offset, final long length) {
        return finish(sum(seg, offset, length));
    }

    /**
     * Whether a range that contains its own checksum field verifies: its sum plus the pseudo-header sum is all ones
     * (RFC 1071 §1). Pass {@code pseudoHeaderSum = 0} where there is no pseudo-header.
     */
    public static boolean verify(final MemorySegment seg, final long offset, final long length,
                                 final int pseudoHeaderSum) {
        return add(sum(seg, offset, length), pseudoHeaderSum) == 0xFFFF;
    }

    /**
     * The checksum field value for a range whose checksum field (at {@code checksumOffset}) still holds a stale value:
     * sums the range as it is and takes the stale field out again by ones' complement subtraction (RFC 1624 §3).
     * Not zeroing the field first means no narrow store precedes the wide loads of the sum, which would otherwise
     * stall store-to-load forwarding on the emit path. Only valid when the data plus pseudo-header cannot be all zero
     * (true for IPv4 headers, TCP, UDP and ICMPv6, whose pseudo-header carries a non-zero protocol): for all-zero data
     * the subtraction yields the other zero, 0xFFFF.
     */
    public static int fieldValueIgnoringStale(final MemorySegment seg, final long offset, final long length,
                                              final long checksumOffset, final int pseudoHeaderSum) {
        final int stale = Bytes.u16(seg, checksumOffset);
        return finish(fold((long) sum(seg, offset, length) + pseudoHeaderSum + (~stale & 0xFFFF)));
    }

    /** The IPv4 pseudo-header sum for TCP/UDP (RFC 9293 §3.1, RFC 768): source, destination, zero+protocol, length. */
    public static int pseudoHeaderV4(final int srcBits, final int dstBits, final int protocol, final int upperLength) {
        final long acc = (srcBits >>> 16) + (srcBits & 0xFFFF) + (dstBits >>> 16) + (dstBits & 0xFFFF)
                + (protocol & 0xFF) + (upperLength & 0xFFFF);
        return fold(acc);
    }

    public static int pseudoHeaderV4(final Ipv4Address src, final Ipv4Address dst, final int protocol,
                                     final int upperLength) {
        return pseudoHeaderV4(src.bits(), dst.bits(), protocol, upperLength);
    }

    /**
     * The IPv6 pseudo-header sum (RFC 8200 §8.1): source, destination, 32-bit upper-layer length, 24 zero bits and the
     * next header value of the upper-layer protocol (not of an extension header).
     */
    public static int pseudoHeaderV6(final long srcHi, final long srcLo, final long dstHi, final long dstLo,
                                     final int nextHeader, final long upperLength) {
        final long acc = halves(srcHi) + halves(srcLo) + halves(dstHi) + halves(dstLo)
                + (upperLength >>> 16 & 0xFFFF) + (upperLength & 0xFFFF) + (nextHeader & 0xFF);
        return fold(acc);
    }

    public static int pseudoHeaderV6(final Ipv6Address src, final Ipv6Address dst, final int nextHeader,
                                     final long upperLength) {
        return pseudoHeaderV6(src.hi(), src.lo(), dst.hi(), dst.lo(), nextHeader, upperLength);
    }

    /** The pseudo-header sum for either family; both addresses must be of the same family. */
    public static int pseudoHeader(final IpAddress src, final IpAddress dst, final int protocol,
                                   final int upperLength) {
        if (src instanceof Ipv4Address s4 && dst instanceof Ipv4Address d4) {
            return pseudoHeaderV4(s4, d4, protocol, upperLength);
        }
        if (src instanceof Ipv6Address s6 && dst instanceof Ipv6Address d6) {
            return pseudoHeaderV6(s6, d6, protocol, upperLength);
        }
        throw new IllegalArgumentException("source and destination must both be IPv4 or both IPv6: " + src
                + " -> " + dst);
    }

    private static long halves(final long v) {
        return (v >>> 32) + (v & 0xFFFF_FFFFL);
    }

    /**
     * Incremental update of a checksum field when one 16-bit word changes from {@code oldWord} to {@code newWord}
     * (RFC 1624 §3, eqn. 3: HC' = ~(~HC + ~m + m')), which avoids the -0 pitfall of RFC 1141.
     */
    public static int update(final int oldChecksum, final int oldWord, final int newWord) {
        return finish(fold((long) (~oldChecksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF)));
    }

    /** Incremental update when a 32-bit field (e.g. an IPv4 address or a sequence number) changes (RFC 1624). */
    public static int update32(final int oldChecksum, final int oldValue, final int newValue) {
        return update(update(oldChecksum, oldValue >>> 16, newValue >>> 16), oldValue & 0xFFFF, newValue & 0xFFFF);
    }
}
