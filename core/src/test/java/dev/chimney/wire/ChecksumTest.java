package dev.chimney.wire;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The internet checksum (RFC 1071), pseudo-headers (RFC 9293 §3.1, RFC 8200 §8.1) and RFC 1624 updates. */
class ChecksumTest {

    /** Straightforward 16-bit-at-a-time reference from RFC 1071 §4.1, to check the 64-bit loop against. */
    static int referenceSum(final byte[] b, final int off, final int len) {
        long sum = 0;
        int i = off;
        for (; i + 1 < off + len; i += 2) {
            sum += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
        }
        if (i < off + len) {
            sum += (b[i] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    @Test
    void rfc1071Section3ExampleSumsTo0xDDF2() {
        final MemorySegment s = Fixtures.seg("0001f203f4f5f6f7");
        assertEquals(0xDDF2, Checksum.sum(s, 0, 8));
        assertEquals(0x220D, Checksum.compute(s, 0, 8));
    }

    @Property(tries = 300)
    void wideLoopMatchesReferenceAtEveryOffsetAndLength(@ForAll @Size(max = 200) final byte[] data,
                                                        @ForAll @IntRange(max = 7) final int skew) {
        final int off = Math.min(skew, data.length);
        final int len = data.length - off;
        assertEquals(referenceSum(data, off, len), Checksum.sum(MemorySegment.ofArray(data), off, len),
                "off=" + off + " len=" + len);
    }

    @Test
    void allOnesWordsFoldWithoutOverflow() {
        final byte[] ff = new byte[65536];
        java.util.Arrays.fill(ff, (byte) 0xFF);
        assertEquals(0xFFFF, Checksum.sum(MemorySegment.ofArray(ff), 0, ff.length));
        assertEquals(referenceSum(ff, 1, 65535), Checksum.sum(MemorySegment.ofArray(ff), 1, 65535));
    }

    @Test
    void ipv4PseudoHeaderMatchesSummingItsBytes() {
        // src 10.77.0.1, dst 10.77.0.2, zero, protocol 6, TCP length 40 (RFC 9293 §3.1).
        final MemorySegment ph = Fixtures.seg("0a4d0001" + "0a4d0002" + "00" + "06" + "0028");
        assertEquals(Checksum.sum(ph, 0, 12),
                Checksum.pseudoHeaderV4(Fixtures.IP1, Fixtures.IP2, IpProtocol.TCP, 40));
    }

    @Test
    void ipv6PseudoHeaderMatchesSummingItsBytes() {
        // RFC 8200 §8.1: source, destination, 32-bit upper-layer length, 3 zero bytes, next header.
        final MemorySegment ph = Fixtures.seg("fd770000000000000000000000000001" + "fd770000000000000000000000000002"
                + "00010004" + "000000" + "3a");
        assertEquals(Checksum.sum(ph, 0, 40),
                Checksum.pseudoHeaderV6(Fixtures.IP6_1, Fixtures.IP6_2, IpProtocol.ICMPV6, 0x10004));
    }

    @Property(tries = 300)
    void incrementalUpdateEqualsRecomputation(@ForAll @Size(min = 2, max = 64) final byte[] data,
                                              @ForAll @IntRange(max = 31) final int wordIndex,
                                              @ForAll @IntRange(max = 0xFFFF) final int newWord) {
        final int words = data.length / 2;
        final int w = wordIndex % words;
        final MemorySegment s = MemorySegment.ofArray(data);
        final int before = Checksum.compute(s, 0, words * 2L);
        final int oldWord = Bytes.u16(s, 2L * w);
        Bytes.u16(s, 2L * w, newWord);
        final int after = Checksum.compute(s, 0, words * 2L);
        // RFC 1624 §3: eqn. 3 gives the same field value as recomputation, except that a recomputed 0x0000 sum may
        // show up as 0xFFFF (both are ones'-complement zero; RFC 1624 §5).
        final int updated = Checksum.update(before, oldWord, newWord);
        assertTrue(updated == after || (updated ^ after) == 0xFFFF && (after == 0 || after == 0xFFFF),
                "updated=" + Integer.toHexString(updated) + " recomputed=" + Integer.toHexString(after));
    }

    @Test
    void update32MatchesRecomputationForAddressChange() {
        final MemorySegment p = Fixtures.seg(Fixtures.IPV4_UDP);
        final int before = Bytes.u16(p, 10);
        final int newSrc = Ipv4Address.parse("192.168.1.1").bits();
        final int updated = Checksum.update32(before, Bytes.u32(p, 12), newSrc);
        Bytes.u32(p, 12, newSrc);
        new Ipv4View().wrap(p).fillChecksum();
        assertEquals(Bytes.u16(p, 10), updated);
    }

    @Test
    void mixedFamilyPseudoHeaderIsMisuse() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checksum.pseudoHeader(Fixtures.IP1, Fixtures.IP6_2, 6, 20));
        assertTrue(e.getMessage().contains("must both be IPv4 or both IPv6"));
    }

    @Property(tries = 500)
    void subtractingAStaleFieldEqualsZeroingIt(@ForAll @Size(min = 8, max = 120) final byte[] data,
                                              @ForAll @IntRange(max = 0xFFFF) final int stale,
                                              @ForAll @IntRange(min = 1, max = 0xFFFF) final int pseudo) {
        final MemorySegment s = MemorySegment.ofArray(data);
        Bytes.u16(s, 2, stale);
        final int viaSubtraction = Checksum.fieldValueIgnoringStale(s, 0, data.length, 2, pseudo);
        Bytes.u16(s, 2, 0);
        final int viaZeroing = Checksum.finish(Checksum.add(Checksum.sum(s, 0, data.length), pseudo));
        assertEquals(viaZeroing, viaSubtraction, "stale=" + stale + " pseudo=" + pseudo);
    }
}
