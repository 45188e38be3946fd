package dev.chimney.wire;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Properties over the whole wire package: emit/parse round trips for arbitrary reprs, hostile input (truncations,
 * mutations, random bytes) never throws anything but {@link WireFormatException}, and checksums catch any single
 * flipped bit (RFC 1071: a one-bit change alters the ones' complement sum by ±2^k, never by a multiple of 0xFFFF).
 */
class WirePropertiesTest {

    /** Every valid frame fixture, as a whole Ethernet frame or a bare IP packet. */
    static final List<String> FRAMES = List.of(Fixtures.SYN_FRAME, Fixtures.DATA_FRAME,
            "020000000002020000000001" + "86dd" + Fixtures.IPV6_TCP,
            "020000000002020000000001" + "0800" + Fixtures.IPV4_UDP,
            "020000000002020000000001" + "86dd" + Fixtures.IPV6_UDP,
            LinkLayerTest.TAGGED_ARP_REPLY,
            "020000000002020000000001" + "0800" + IcmpTest.ECHO4,
            "020000000002020000000001" + "86dd" + IcmpTest.ECHO6,
            "020000000002020000000001" + "86dd" + IcmpTest.NS,
            "020000000002020000000001" + "86dd" + IcmpTest.NA,
            "020000000002020000000001" + "86dd" + IcmpTest.RA,
            "020000000002020000000001" + "86dd" + IcmpTest.PTB,
            "020000000002020000000001" + "86dd" + IpTest.IPV6_HBH_FIRST_FRAGMENT,
            // Ether/IP(10.77.0.9 -> 10.77.0.1)/ICMP(type=3, code=4, nexthopmtu=1400)/IP(10.77.0.1 -> .2, DF)/TCP
            "020000000002020000000001" + "0800" + "4500004400010000400166150a4d00090a4d0001" + "03040c3b00000578"
                    + "45000028000140003f0627330a4d00010a4d0002" + "9c400050000000010000000250102000dea40000");

    @Property(tries = 200)
    void tcpReprRoundTripsThroughEmitAndParse(@ForAll("tcpReprs") final TcpRepr r, @ForAll final boolean ipv6,
                                              @ForAll final long payloadSeed) throws Exception {
        final MemorySegment buf = MemorySegment.ofArray(new byte[r.bufferLen()]);
        final Random rnd = new Random(payloadSeed);
        for (int i = r.headerLen(); i < r.bufferLen(); i++) {
            buf.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        final IpAddress src = ipv6 ? Fixtures.IP6_1 : Fixtures.IP1;
        final IpAddress dst = ipv6 ? Fixtures.IP6_2 : Fixtures.IP2;
        r.emit(buf, 0, src, dst);
        final TcpView v = new TcpView().wrap(buf).check();
        assertEquals(r, TcpRepr.parse(v, src, dst), "payload seed " + payloadSeed);
        // The reusable holder sees the same options as the repr.
        final TcpOptions o = v.readOptions(new TcpOptions());
        assertEquals(r.maxSegmentSize(), o.maxSegmentSize());
        assertEquals(r.windowScale(), o.windowScale());
        assertEquals(r.sackBlocks().size(), o.sackCount());
        assertEquals(0, r.headerLen() % 4, "options padded to a 4-byte boundary (RFC 9293 §3.1)");
    }

    @Provide
    Arbitrary<TcpRepr> tcpReprs() {
        final Arbitrary<Integer> port = Arbitraries.integers().between(0, 0xFFFF);
        final Arbitrary<Integer> any = Arbitraries.integers();
        final Arbitrary<Integer> flags = Arbitraries.integers().between(0, TcpFlags.ALL)
                .filter(f -> TcpFlags.invalidReason(f) == null);
        final Arbitrary<Integer> mss = Arbitraries.integers().between(-1, 0xFFFF);
        final Arbitrary<Integer> ws = Arbitraries.integers().between(-1, 14);
        final Arbitrary<Integer> bit = Arbitraries.integers().between(0, 1);
        final Arbitrary<List<SackBlock>> sacks = Combinators.combine(any, any).as(SackBlock::new).list().ofMaxSize(4);
        final Arbitrary<Integer> payload = Arbitraries.integers().between(0, 300);
        // Fields in TcpRepr component order; booleans as 0/1 so one Combinators.combine(List) covers them all.
        return Combinators.combine(List.of(port, port, any, any, flags, port, port, mss, ws, bit, bit, any, any,
                payload)).as(l -> l).flatMap(l -> sacks.map(s -> {
                    final boolean sackOk = l.get(9) == 1;
                    final boolean ts = l.get(10) == 1;
                    final List<SackBlock> fit = new ArrayList<>(s);
                    while (TcpOptions.encodedLength(l.get(7) != -1, l.get(8) != -1, sackOk, ts, fit.size()) > 40) {
                        fit.removeLast();
                    }
                    return new TcpRepr(l.get(0), l.get(1), l.get(2), l.get(3), l.get(4), l.get(5), l.get(6),
                            l.get(7), l.get(8), sackOk, ts, ts ? l.get(11) : 0, ts ? l.get(12) : 0, fit, l.get(13));
                }));
    }

    @Property(tries = 200)
    void ipAndUdpReprsRoundTrip(@ForAll final int srcBits, @ForAll final int dstBits,
                                @ForAll @IntRange(max = 255) final int ttl, @ForAll @IntRange(max = 255) final int tos,
                                @ForAll @IntRange(max = 0xFFFF) final int id, @ForAll final boolean df,
                                @ForAll final boolean mf, @ForAll @IntRange(max = 0x1FF) final int fragUnits,
                                @ForAll @IntRange(max = 0xFFFF) final int sport,
                                @ForAll @IntRange(max = 0xFFFF) final int dport,
                                @ForAll @IntRange(max = 200) final int payload, @ForAll final long hi,
                                @ForAll final long lo, @ForAll @IntRange(max = 0xFFFFF) final int flow)
            throws Exception {
        final UdpRepr udp = new UdpRepr(sport, dport, payload);
        final Ipv4Repr v4 = new Ipv4Repr(new Ipv4Address(srcBits), new Ipv4Address(dstBits), IpProtocol.UDP,
                udp.bufferLen(), ttl, tos, id, df, mf, fragUnits * 8);
        final MemorySegment b4 = MemorySegment.ofArray(new byte[v4.bufferLen() + udp.bufferLen()]);
        v4.emit(b4, 0);
        udp.emit(b4, 20, v4.source(), v4.destination());
        final Ipv4View ip4 = new Ipv4View().wrap(b4);
        assertEquals(v4, Ipv4Repr.parse(ip4));
        assertEquals(udp, UdpRepr.parse(new UdpView().wrap(b4, ip4.upperOffset(), ip4.upperLength()), ip4, true));

        final Ipv6Repr v6 = new Ipv6Repr(new Ipv6Address(hi, lo), Fixtures.IP6_2, IpProtocol.UDP, udp.bufferLen(),
                ttl, tos, flow);
        final MemorySegment b6 = MemorySegment.ofArray(new byte[v6.bufferLen() + udp.bufferLen()]);
        v6.emit(b6, 0);
        udp.emit(b6, 40, v6.source(), v6.destination());
        final Ipv6View ip6 = new Ipv6View().wrap(b6);
        assertEquals(v6, Ipv6Repr.parse(ip6));
        assertEquals(udp, UdpRepr.parse(new UdpView().wrap(b6, 40, ip6.upperLength()), ip6, true));
    }

    @Property(tries = 100)
    void linkLayerAndIcmpv4ReprsRoundTrip(@ForAll @IntRange(max = 0xFFFF) final int etherType,
                                          @ForAll @IntRange(max = 7) final int pcp, @ForAll final boolean dei,
                                          @ForAll @IntRange(max = 0xFFF) final int vid, @ForAll final boolean tagged,
                                          @ForAll @IntRange(max = 0xFFFF) final int ident,
                                          @ForAll @IntRange(max = 0xFFFF) final int seq,
                                          @ForAll @IntRange(max = 64) final int data) throws Exception {
        if (etherType == EtherType.VLAN) {
            return;
        }
        final EthernetRepr e = new EthernetRepr(Fixtures.MAC1, new MacAddress(((long) ident << 32) | seq),
                etherType, tagged ? new EthernetRepr.VlanTag(pcp, dei, vid) : null);
        final MemorySegment b = MemorySegment.ofArray(new byte[e.bufferLen()]);
        e.emit(b, 0);
        assertEquals(e, EthernetRepr.parse(new EthernetView().wrap(b)));

        final ArpRepr a = new ArpRepr(dei ? ArpRepr.Operation.REPLY : ArpRepr.Operation.REQUEST, Fixtures.MAC2,
                new Ipv4Address(ident), Fixtures.MAC1, new Ipv4Address(seq << 8));
        final MemorySegment ab = MemorySegment.ofArray(new byte[a.bufferLen()]);
        a.emit(ab, 0);
        assertEquals(a, ArpRepr.parse(new ArpView().wrap(ab)));

        for (final Icmpv4Repr r : List.of(new Icmpv4Repr.EchoRequest(ident, seq, data),
                new Icmpv4Repr.EchoReply(ident, seq, data), new Icmpv4Repr.TimeExceeded(pcp, data),
                new Icmpv4Repr.DestinationUnreachable(Icmpv4View.CODE_FRAGMENTATION_NEEDED, seq, data))) {
            final MemorySegment ib = MemorySegment.ofArray(new byte[r.bufferLen()]);
            r.emit(ib, 0);
            assertEquals(r, Icmpv4Repr.parse(new Icmpv4View().wrap(ib)));
        }
    }

    @Test
    void truncationOfEveryFixtureAtEveryLengthThrowsOnlyWireFormatException() {
        for (final String hex : FRAMES) {
            final byte[] full = Fixtures.bytes(hex);
            for (int len = 0; len < full.length; len++) {
                // Cut frames must be rejected, except where only an unchecked tail (Ethernet padding) is gone.
                Dissector.dissect(MemorySegment.ofArray(java.util.Arrays.copyOf(full, len)));
            }
            assertNotNull(Dissector.dissect(MemorySegment.ofArray(java.util.Arrays.copyOf(full, full.length - 1))),
                    "a frame missing its last byte must be rejected: " + hex);
        }
    }

    @Property(tries = 2000)
    void mutatedFramesThrowOnlyWireFormatException(@ForAll @IntRange(max = 13) final int which,
                                                  @ForAll final long seed) {
        final byte[] frame = Fixtures.bytes(FRAMES.get(which));
        final Random rnd = new Random(seed);
        final int mutations = 1 + rnd.nextInt(4);
        for (int i = 0; i < mutations; i++) {
            frame[rnd.nextInt(frame.length)] = (byte) rnd.nextInt();
        }
        Dissector.dissect(MemorySegment.ofArray(frame));
    }

    @Property(tries = 1000)
    void randomBytesThrowOnlyWireFormatException(@ForAll @Size(max = 128) final byte[] junk,
                                                 @ForAll final boolean asIpv6) {
        final byte[] framed = new byte[14 + junk.length];
        framed[12] = (byte) (asIpv6 ? 0x86 : 0x08);
        framed[13] = (byte) (asIpv6 ? 0xDD : 0x00);
        System.arraycopy(junk, 0, framed, 14, junk.length);
        if (junk.length > 0) {
            framed[14] = (byte) ((asIpv6 ? 0x60 : 0x40) | (junk[0] & 0x0F));
        }
        Dissector.dissect(MemorySegment.ofArray(framed));
        Dissector.dissect(MemorySegment.ofArray(junk));
    }

    @Test
    void everyValidFixtureDissectsCleanly() {
        for (final String hex : FRAMES) {
            assertNull(Dissector.dissect(Fixtures.seg(hex)), hex);
        }
    }

    @Property(tries = 300)
    void aFlippedBitIsCaughtByTheChecksum(@ForAll @IntRange(max = 13) final int which,
                                          @ForAll @IntRange(max = 100_000) final int bitSeed) {
        final MemorySegment f = Fixtures.seg(FRAMES.get(which));
        final long[] range = Dissector.checksummedRange(f);
        if (range == null) {
            return; // ARP: no checksum
        }
        final long bit = bitSeed % (range[1] * 8);
        final long at = range[0] + bit / 8;
        f.set(ValueLayout.JAVA_BYTE, at, (byte) (Bytes.u8(f, at) ^ (1 << (bit % 8))));
        final WireFormatException e = Dissector.dissect(f);
        assertNotNull(e, "flip of bit " + bit + " in frame " + which + " went unnoticed");
    }
}
