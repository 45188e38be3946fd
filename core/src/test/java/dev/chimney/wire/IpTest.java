package dev.chimney.wire;

import static dev.chimney.wire.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** IPv4 (RFC 791), IPv6 with extension headers (RFC 8200 §4) and UDP (RFC 768) on scapy fixtures. */
class IpTest {
    /**
     * IPv6(src=fd77::1, dst=fd77::2, hlim=64)/IPv6ExtHdrHopByHop()/IPv6ExtHdrFragment(offset=0, m=1,
     * id=0xdeadbeef)/UDP(sport=1, dport=2)/(b"x"*8).
     */
    static final String IPV6_HBH_FIRST_FRAGMENT = "6000000000200040fd770000000000000000000000000001"
            + "fd770000000000000000000000000002" + "2c00010400000000" + "11000001deadbeef"
            + "0001000200102" + "2f7" + "7878787878787878";
    /** IPv6(...)/IPv6ExtHdrFragment(offset=2 (×8 bytes), m=0, id=0xdeadbeef, nh=17)/(b"y"*8). */
    static final String IPV6_LATER_FRAGMENT = "6000000000102c40fd770000000000000000000000000001"
            + "fd770000000000000000000000000002" + "11000010deadbeef" + "7979797979797979";

    @Test
    void ipv4UdpDeconstructsAndRoundTrips() throws Exception {
        final MemorySegment p = seg(IPV4_UDP);
        final Ipv4View ip = new Ipv4View().wrap(p).check();
        final Ipv4Repr ipr = Ipv4Repr.parse(ip);
        assertEquals(new Ipv4Repr(IP1, IP2, IpProtocol.UDP, 11, 64, 0, 1, false, false, 0), ipr);
        final UdpView udp = new UdpView().wrap(p, ip.upperOffset(), ip.upperLength()).check();
        assertEquals(5353, udp.srcPort());
        assertEquals(53, udp.dstPort());
        assertEquals(11, udp.lengthField());
        assertEquals(0x11bb, udp.checksum());
        assertEquals(3, udp.payloadLength());
        final UdpRepr ur = UdpRepr.parse(udp, ip, true);
        assertEquals(new UdpRepr(5353, 53, 3), ur);
        assertEquals(ur, UdpRepr.parse(udp, IP1, IP2));

        final MemorySegment out = poisoned((int) p.byteSize());
        MemorySegment.copy(p, 28, out, 28, 3);
        ipr.emit(out, 0);
        ur.emit(out, 20, IP1, IP2);
        assertEquals(IPV4_UDP, hex(out));
    }

    @Test
    void ipv6UdpRoundTripsAndZeroChecksumIsInvalidOverIpv6() throws Exception {
        final MemorySegment p = seg(IPV6_UDP);
        final Ipv6View ip = new Ipv6View().wrap(p).check();
        final Ipv6Repr ipr = Ipv6Repr.parse(ip);
        assertEquals(Ipv6Repr.of(IP6_1, IP6_2, IpProtocol.UDP, 11, 64), ipr);
        final UdpRepr ur = UdpRepr.parse(new UdpView().wrap(p, 40, 11), ip, true);
        final MemorySegment out = poisoned((int) p.byteSize());
        MemorySegment.copy(p, 48, out, 48, 3);
        ipr.emit(out, 0);
        ur.emit(out, 40, IP6_1, IP6_2);
        assertEquals(IPV6_UDP, hex(out));

        // RFC 8200 §8.1: a zero UDP checksum over IPv6 must be discarded; over IPv4 it means "no checksum".
        p.set(Bytes.U16, 46, (short) 0);
        assertEquals(WireFormatException.Reason.BAD_CHECKSUM, assertThrows(WireFormatException.class,
                () -> UdpRepr.parse(new UdpView().wrap(p, 40, 11), ip, true)).reason());
        final MemorySegment v4 = seg(IPV4_UDP);
        v4.set(Bytes.U16, 26, (short) 0);
        assertEquals(new UdpRepr(5353, 53, 3), UdpRepr.parse(new UdpView().wrap(v4, 20, 11), IP1, IP2));
    }

    @Test
    void udpComputedZeroChecksumIsSentAsAllOnes() {
        // Search a payload whose checksum computes to 0: RFC 768 says transmit it as 0xFFFF.
        for (int x = 0; x < 0x10000; x++) {
            final MemorySegment buf = MemorySegment.ofArray(new byte[10]);
            buf.set(Bytes.U16, 8, (short) x);
            new UdpRepr(1, 2, 2).emit(buf, 0, IP1, IP2);
            final int c = Bytes.u16(buf, 6);
            assertNotEquals(0, c);
            if (c == 0xFFFF) {
                assertTrue(new UdpView().wrap(buf).checksumOk(Checksum.pseudoHeaderV4(IP1, IP2, 17, 10), false));
                return;
            }
        }
        fail("no payload produced a zero checksum");
    }

    @Test
    void ipv4PaddingAfterTotalLengthIsIgnoredAndTooShortBufferIsTruncated() throws Exception {
        final MemorySegment padded = seg(IPV4_UDP + "000000000000");
        final Ipv4View ip = new Ipv4View().wrap(padded).check();
        assertEquals(31, ip.length());
        assertEquals(11, ip.upperLength());
        final MemorySegment shortBuf = seg(IPV4_UDP.substring(0, IPV4_UDP.length() - 2));
        assertEquals(WireFormatException.Reason.TRUNCATED,
                assertThrows(WireFormatException.class, () -> new Ipv4View().wrap(shortBuf).check()).reason());
    }

    @Test
    void ipv4HeaderFieldErrorsAreClassified() {
        assertReason(WireFormatException.Reason.BAD_VERSION, "65" + IPV4_UDP.substring(2));
        assertReason(WireFormatException.Reason.BAD_LENGTH, "44" + IPV4_UDP.substring(2));
        // total length 16 < header length 20
        assertReason(WireFormatException.Reason.BAD_LENGTH, "45000010" + IPV4_UDP.substring(8));
        // IHL 15 (60 bytes) in a 31-byte buffer
        assertReason(WireFormatException.Reason.TRUNCATED, "4f" + IPV4_UDP.substring(2));
    }

    private static void assertReason(final WireFormatException.Reason r, final String hex) {
        assertEquals(r, assertThrows(WireFormatException.class, () -> new Ipv4View().wrap(seg(hex)).check())
                .reason(), hex);
    }

    @Test
    void ipv4BadHeaderChecksumIsDetectedUnlessOffloaded() throws Exception {
        final MemorySegment p = seg(IPV4_UDP);
        p.set(ValueLayout.JAVA_BYTE, 8, (byte) 63); // TTL changed, checksum not updated
        assertEquals(WireFormatException.Reason.BAD_CHECKSUM,
                assertThrows(WireFormatException.class, () -> Ipv4Repr.parse(new Ipv4View().wrap(p))).reason());
        assertEquals(63, Ipv4Repr.parse(new Ipv4View().wrap(p), false).ttl());
        // RFC 1624 incremental update repairs it: TTL/protocol word 0x4011 -> 0x3f11.
        final int fixed = Checksum.update(0x6631, 0x4011, 0x3f11);
        p.set(Bytes.U16, 10, (short) fixed);
        assertTrue(new Ipv4View().wrap(p).checksumOk());
    }

    @Test
    void ipv4OptionsAreSkippedAndFragmentsRecognised() throws Exception {
        // IHL 6 with a 4-byte option (NOP NOP NOP EOL), MF set, offset 185 (1480 bytes), id 0x0bad, TOS 0xb9.
        final MemorySegment p = MemorySegment.ofArray(new byte[28]);
        new Ipv4View().wrap(p).versionAndHeaderLen(24).tos(0xB9).totalLength(28).identification(0x0BAD)
                .fragment(false, true, 1480).ttl(9).protocol(IpProtocol.UDP).sourceBits(IP1.bits())
                .destinationBits(IP2.bits());
        p.set(Bytes.U32, 20, 0x01010100);
        final Ipv4View ip = new Ipv4View().wrap(p).fillChecksum().check();
        assertTrue(ip.checksumOk());
        assertTrue(ip.hasOptions());
        assertEquals(24, ip.headerLen());
        assertEquals(4, ip.upperLength());
        assertEquals(24, ip.upperOffset());
        assertTrue(ip.isFragment());
        assertTrue(ip.moreFragments());
        assertFalse(ip.dontFragment());
        assertEquals(1480, ip.fragmentOffsetBytes());
        assertEquals(0x0BAD, ip.identification());
        assertEquals(46, ip.dscp());
        assertEquals(1, ip.ecn());
        final Ipv4Repr r = Ipv4Repr.parse(ip);
        assertEquals(4, r.payloadLength());
        assertEquals(46, r.dscp());
    }

    @Test
    void ipv4FragmentEndingBeyond65535IsMalformed() {
        final MemorySegment p = MemorySegment.ofArray(new byte[40]);
        new Ipv4View().wrap(p).versionAndHeaderLen(20).totalLength(40).fragment(false, false, 0x1FFF * 8)
                .protocol(17).fillChecksum();
        assertEquals(WireFormatException.Reason.MALFORMED,
                assertThrows(WireFormatException.class, () -> new Ipv4View().wrap(p).check()).reason());
    }

    @Test
    void ipv6WalksHopByHopAndFragmentHeadersToUdp() throws Exception {
        final MemorySegment p = seg(IPV6_HBH_FIRST_FRAGMENT);
        final Ipv6View ip = new Ipv6View().wrap(p).check();
        assertEquals(IpProtocol.HOP_BY_HOP, ip.nextHeader());
        assertEquals(IpProtocol.UDP, ip.upperProtocol());
        assertEquals(56, ip.upperOffset());
        assertEquals(16, ip.upperLength());
        assertTrue(ip.hasFragmentHeader());
        assertTrue(ip.isFragment());
        assertTrue(ip.moreFragments());
        assertEquals(0, ip.fragmentOffsetBytes());
        assertEquals(0xDEADBEEF, ip.fragmentIdentification());
        assertEquals(64, ip.hopLimit());
        // Unfragmentable part: IPv6 header + hop-by-hop (8); fragmentable part after the 8-byte fragment header.
        assertEquals(48, ip.fragmentHeaderOffset());
        assertEquals(56, ip.fragmentableOffset());
        assertEquals(16, ip.fragmentableLength());
        assertEquals(IpProtocol.UDP, ip.fragmentNextHeader());
        // The UDP header is complete in the first fragment, but its checksum covers the reassembled datagram.
        assertEquals(2, new UdpView().wrap(p, ip.upperOffset(), ip.upperLength()).check().dstPort());
        assertEquals(WireFormatException.Reason.UNSUPPORTED,
                assertThrows(WireFormatException.class, () -> Ipv6Repr.parse(ip)).reason());
    }

    @Test
    void ipv6LaterFragmentStopsTheWalkAtItsData() throws Exception {
        final Ipv6View ip = new Ipv6View().wrap(seg(IPV6_LATER_FRAGMENT)).check();
        assertTrue(ip.isFragment());
        assertFalse(ip.moreFragments());
        assertEquals(16, ip.fragmentOffsetBytes());
        assertEquals(IpProtocol.UDP, ip.upperProtocol());
        assertEquals(48, ip.upperOffset());
        assertEquals(8, ip.upperLength());
        assertEquals(40, ip.fragmentHeaderOffset());
        assertEquals(8, ip.fragmentableLength());
        assertEquals(-1, new Ipv6View().wrap(seg(IPV6_UDP)).check().fragmentHeaderOffset());
    }

    @Test
    void ipv6HopByHopAfterAnotherHeaderAndTruncatedChainsAreRejected() {
        final String addrs = "fd770000000000000000000000000001" + "fd770000000000000000000000000002";
        // Destination options (60) then hop-by-hop (0): RFC 8200 §4.1 allows hop-by-hop only first.
        final MemorySegment p = seg("600000000010" + "3c40" + addrs + "0000000000000000" + "3b00000000000000");
        assertEquals(WireFormatException.Reason.MALFORMED,
                assertThrows(WireFormatException.class, () -> new Ipv6View().wrap(p).check()).reason());
        // Hop-by-hop claiming 16 bytes in an 8-byte payload.
        final String trunc = "600000000008" + "0040" + addrs + "3b01000000000000";
        assertEquals(WireFormatException.Reason.TRUNCATED,
                assertThrows(WireFormatException.class, () -> new Ipv6View().wrap(seg(trunc)).check()).reason());
        // Payload length 9 beyond the 8-byte buffer.
        final String beyond = "600000000009" + "1140" + addrs + "3b01000000000000";
        assertEquals(WireFormatException.Reason.TRUNCATED,
                assertThrows(WireFormatException.class, () -> new Ipv6View().wrap(seg(beyond)).check()).reason());
    }

    @Test
    void ipv6NoNextHeaderAndAuthenticationHeaderEndTheWalk() throws Exception {
        final String addrs = "fd770000000000000000000000000001" + "fd770000000000000000000000000002";
        final Ipv6View none = new Ipv6View().wrap(seg("600000000008" + "3b40" + addrs + "0000000000000000")).check();
        assertEquals(IpProtocol.IPV6_NO_NEXT, none.upperProtocol());
        final Ipv6View ah = new Ipv6View().wrap(seg("600000000008" + "3340" + addrs + "0600000000000000")).check();
        assertEquals(IpProtocol.AH, ah.upperProtocol());
        assertEquals(40, ah.upperOffset());
        assertEquals(8, ah.upperLength());
    }
}
