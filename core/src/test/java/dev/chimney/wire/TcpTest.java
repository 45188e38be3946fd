package dev.chimney.wire;

import static dev.chimney.wire.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TCP header, options and checksum (RFC 9293 §3.1, RFC 7323, RFC 2018), over IPv4 and IPv6, on scapy fixtures. */
class TcpTest {

    @Test
    void deconstructsSynFrameThroughEveryLayer() throws Exception {
        final MemorySegment f = seg(SYN_FRAME);
        final EthernetView eth = new EthernetView().wrap(f).check();
        assertEquals(MAC2, eth.destination());
        assertEquals(MAC1, eth.source());
        assertEquals(EtherType.IPV4, eth.etherType());
        assertFalse(eth.hasVlanTag());
        assertEquals(14, eth.headerLen());

        final Ipv4View ip = new Ipv4View().wrap(f, eth.payloadOffset(), eth.payloadLength()).check();
        assertTrue(ip.checksumOk());
        assertEquals(4, ip.version());
        assertEquals(20, ip.headerLen());
        assertFalse(ip.hasOptions());
        assertEquals(60, ip.totalLength());
        assertEquals(0x1234, ip.identification());
        assertTrue(ip.dontFragment());
        assertFalse(ip.moreFragments());
        assertFalse(ip.isFragment());
        assertEquals(64, ip.ttl());
        assertEquals(IpProtocol.TCP, ip.protocol());
        assertEquals(IP1, ip.sourceAddress());
        assertEquals(IP2, ip.destinationAddress());
        assertEquals(0x13ec, ip.checksum());

        final TcpView tcp = new TcpView().wrap(f, ip.upperOffset(), ip.upperLength()).check();
        assertTrue(tcp.checksumOk(ip.pseudoHeaderSum(IpProtocol.TCP, ip.upperLength())));
        assertEquals(40000, tcp.srcPort());
        assertEquals(80, tcp.dstPort());
        assertEquals(1000, tcp.seqNumber());
        assertEquals(0, tcp.ackNumber());
        assertEquals(40, tcp.headerLen());
        assertEquals(TcpFlags.SYN, tcp.flags());
        assertTrue(tcp.syn());
        assertFalse(tcp.ack() || tcp.fin() || tcp.rst() || tcp.psh() || tcp.urg() || tcp.ece() || tcp.cwr());
        assertEquals(64240, tcp.window());
        assertEquals(0, tcp.urgentPointer());
        assertEquals(0, tcp.payloadLength());
        assertEquals(1, tcp.segmentLength(), "SYN occupies one sequence number (RFC 9293 §3.4)");
        final TcpOptions o = tcp.readOptions(new TcpOptions());
        assertEquals(1460, o.maxSegmentSize());
        assertEquals(7, o.windowScale());
        assertTrue(o.sackPermitted());
        assertTrue(o.hasTimestamps());
        assertEquals(12345, o.tsVal());
        assertEquals(0, o.tsEcr());
        assertEquals(0, o.sackCount());
    }

    @Test
    void constructsSynFrameByteForByteFromReprs() {
        final MemorySegment buf = poisoned(SYN_FRAME.length() / 2);
        final TcpRepr tcp = new TcpRepr(40000, 80, 1000, 0, TcpFlags.SYN, 64240, 0, 1460, 7, true, true, 12345, 0,
                List.of(), 0);
        final Ipv4Repr ip = new Ipv4Repr(IP1, IP2, IpProtocol.TCP, tcp.bufferLen(), 64, 0, 0x1234, true, false, 0);
        final EthernetRepr eth = new EthernetRepr(MAC1, MAC2, EtherType.IPV4, null);
        eth.emit(buf, 0);
        ip.emit(buf, eth.bufferLen());
        tcp.emit(buf, eth.bufferLen() + ip.bufferLen(), IP1, IP2);
        assertEquals(SYN_FRAME, hex(buf));
    }

    @Test
    void constructsSynFrameWithViewSettersAndReusableOptions() {
        final MemorySegment buf = poisoned(SYN_FRAME.length() / 2);
        new EthernetView().wrap(buf).destinationBits(MAC2.bits()).sourceBits(MAC1.bits()).etherType(EtherType.IPV4);
        final TcpOptions opts = new TcpOptions().maxSegmentSize(1460).sackPermitted(true).timestamps(12345, 0)
                .windowScale(7);
        final TcpView tcp = new TcpView().wrap(buf, 34, 40);
        tcp.srcPort(40000).dstPort(80).seqNumber(1000).ackNumber(0).window(64240).urgentPointer(0);
        assertEquals(40, tcp.writeOptions(opts, TcpFlags.SYN));
        final Ipv4View ip = new Ipv4View().wrap(buf, 14, 60).versionAndHeaderLen(20).tos(0).totalLength(60)
                .identification(0x1234).fragment(true, false, 0).ttl(64).protocol(IpProtocol.TCP)
                .sourceBits(IP1.bits()).destinationBits(IP2.bits()).fillChecksum();
        tcp.fillChecksum(ip.pseudoHeaderSum(IpProtocol.TCP, 40));
        assertEquals(SYN_FRAME, hex(buf));
    }

    @Test
    void dataSegmentRoundTripsThroughRepr() throws Exception {
        final MemorySegment f = seg(DATA_FRAME);
        final Ipv4View ip = new Ipv4View().wrap(f, 14, f.byteSize() - 14);
        final Ipv4Repr ipRepr = Ipv4Repr.parse(ip);
        final TcpRepr repr = TcpRepr.parse(new TcpView().wrap(f, ip.upperOffset(), ip.upperLength()), ip, true);
        assertEquals(new TcpRepr(40000, 80, 1001, 5001, TcpFlags.PSH | TcpFlags.ACK, 502, 0, TcpOptions.NONE,
                TcpOptions.NONE, false, true, 12346, 777, List.of(), 5), repr);
        assertEquals("hello", new String(new TcpView().wrap(f, 34, ipRepr.payloadLength()).check().payload()
                .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), java.nio.charset.StandardCharsets.US_ASCII));

        final MemorySegment out = poisoned((int) f.byteSize());
        MemorySegment.copy(f, 34 + 32, out, 34 + 32, 5); // payload first: emit checksums what is in place
        new EthernetRepr(MAC1, MAC2, EtherType.IPV4, null).emit(out, 0);
        ipRepr.emit(out, 14);
        repr.emit(out, 34, ipRepr.source(), ipRepr.destination());
        assertEquals(DATA_FRAME, hex(out));
    }

    @Test
    void ipv6SegmentParsesAndReEmitsWithIpv6PseudoHeader() throws Exception {
        final MemorySegment p = seg(IPV6_TCP);
        final Ipv6View ip = new Ipv6View().wrap(p).check();
        assertEquals(0x12345, ip.flowLabel());
        final TcpRepr repr = TcpRepr.parse(new TcpView().wrap(p, ip.upperOffset(), ip.upperLength()), IP6_1, IP6_2);
        assertEquals(TcpRepr.of(40000, 443, 7, 9, TcpFlags.ACK, 1000, 0), repr);
        final MemorySegment out = poisoned(IPV6_TCP.length() / 2);
        new Ipv6Repr(IP6_1, IP6_2, IpProtocol.TCP, repr.bufferLen(), 64, 0, 0x12345).emit(out, 0);
        repr.emit(out, 40, IP6_1, IP6_2);
        assertEquals(IPV6_TCP, hex(out));
    }

    @Test
    void flippedPayloadBitFailsChecksum() throws Exception {
        final MemorySegment f = seg(DATA_FRAME);
        f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, f.byteSize() - 1, (byte) ('o' ^ 0x10));
        final Ipv4View ip = new Ipv4View().wrap(f, 14, f.byteSize() - 14).check();
        final WireFormatException e = assertThrows(WireFormatException.class,
                () -> TcpRepr.parse(new TcpView().wrap(f, ip.upperOffset(), ip.upperLength()), ip, true));
        assertEquals(WireFormatException.Reason.BAD_CHECKSUM, e.reason());
        // With checksum offload the device vouches for it, so the parse goes through.
        assertEquals(5, TcpRepr.parse(new TcpView().wrap(f, ip.upperOffset(), ip.upperLength()), ip, false)
                .payloadLength());
    }

    @Test
    void synWithRstIsRejectedButSynFinAndEcnBitsAreAccepted() throws Exception {
        final MemorySegment s = seg("9c400050000003e800000000" + "5006" + "faf000000000");
        assertEquals(WireFormatException.Reason.MALFORMED,
                assertThrows(WireFormatException.class, () -> new TcpView().wrap(s).check()).reason());
        final MemorySegment ok = seg("9c400050000003e800000000" + "50c3" + "faf000000000");
        assertEquals(TcpFlags.SYN | TcpFlags.FIN | TcpFlags.ECE | TcpFlags.CWR, new TcpView().wrap(ok).check()
                .flags());
        assertThrows(IllegalArgumentException.class, () -> TcpRepr.of(1, 2, 0, 0, TcpFlags.SYN | TcpFlags.RST, 0, 0));
    }

    @Test
    void dataOffsetBelowFiveOrBeyondBufferIsRejected() {
        final MemorySegment small = seg("9c400050000003e800000000" + "4010" + "faf000000000");
        assertEquals(WireFormatException.Reason.BAD_LENGTH,
                assertThrows(WireFormatException.class, () -> new TcpView().wrap(small).check()).reason());
        final MemorySegment big = seg("9c400050000003e800000000" + "6010" + "faf000000000");
        assertEquals(WireFormatException.Reason.TRUNCATED,
                assertThrows(WireFormatException.class, () -> new TcpView().wrap(big).check()).reason());
    }

    /** Header with data offset 6 (4 option bytes) followed by {@code opts} (4 bytes, hex). */
    private static TcpView withOptions(final String opts) throws WireFormatException {
        final int words = 5 + opts.length() / 8;
        return new TcpView().wrap(seg("9c400050000003e800000000" + Integer.toHexString(words) + "010faf000000000"
                + opts)).check();
    }

    @Test
    void windowScaleAbove14IsClampedPerRfc7323Section2_3() throws Exception {
        assertEquals(14, withOptions("01030310").readOptions(new TcpOptions()).windowScale());
    }

    @Test
    void malformedOptionLengthsAreRejected() throws Exception {
        for (final String bad : new String[] {"02030000", "02000000", "01010205", "010101" + "08", "05020000"}) {
            final TcpView v = withOptions(bad);
            final WireFormatException e = assertThrows(WireFormatException.class,
                    () -> v.readOptions(new TcpOptions()), bad);
            assertEquals(WireFormatException.Reason.MALFORMED, e.reason(), bad);
        }
    }

    @Test
    void unknownOptionsAreSkippedAndEolEndsTheList() throws Exception {
        // kind 30 (MPTCP) length 4, then a second word: MSS 1400.
        final TcpOptions o = withOptions("1e040000" + "02040578").readOptions(new TcpOptions());
        assertEquals(1400, o.maxSegmentSize());
        // EOL first: nothing after it is read, even garbage.
        assertEquals(TcpOptions.NONE, withOptions("00ffffff").readOptions(new TcpOptions()).maxSegmentSize());
    }

    @Test
    void sackBlocksParseAndAreLimitedByOptionSpace() throws Exception {
        // A length-10 SACK option in an 8-byte option area runs past the header: malformed.
        final TcpView v = withOptions("0101050a" + "00000064");
        assertThrows(WireFormatException.class, () -> v.readOptions(new TcpOptions()));
        final TcpOptions o = withOptions("0101050a" + "0000006400000190" + "00000000").readOptions(new TcpOptions());
        assertEquals(1, o.sackCount());
        assertEquals(100, o.sackLeft(0));
        assertEquals(400, o.sackRight(0));
        // With timestamps only 3 blocks fit: 12 + 4 + 24 = 40 (RFC 2018 §3).
        final TcpOptions four = new TcpOptions().timestamps(1, 2).addSack(1, 2).addSack(3, 4).addSack(5, 6)
                .addSack(7, 8);
        assertEquals(3, four.sackBlocksWritten());
        assertEquals(40, four.length());
        assertThrows(IllegalArgumentException.class, () -> new TcpRepr(1, 2, 0, 0, TcpFlags.ACK, 0, 0,
                TcpOptions.NONE, TcpOptions.NONE, false, true, 1, 2,
                List.of(new SackBlock(1, 2), new SackBlock(3, 4), new SackBlock(5, 6), new SackBlock(7, 8)), 0));
    }

    @Test
    void sackRoundTripsThroughEmitAndParse() throws Exception {
        final TcpRepr r = new TcpRepr(5, 6, 100, 200, TcpFlags.ACK, 1000, 0, TcpOptions.NONE, TcpOptions.NONE,
                false, true, 7, 8, List.of(new SackBlock(300, 400), new SackBlock(-10, 20)), 0);
        final MemorySegment buf = poisoned(r.bufferLen());
        r.emit(buf, 0, IP1, IP2);
        assertEquals(r, TcpRepr.parse(new TcpView().wrap(buf), IP1, IP2));
    }

    @Test
    void withersOverrideOneFieldAndToStringIsReadable() {
        final TcpRepr syn = TcpRepr.of(40000, 80, -1, 0, TcpFlags.SYN, 64240, 0).withSynOptions(1460, 7, true)
                .withTimestamps(12345, 0);
        final TcpRepr synAck = syn.withFlags(TcpFlags.SYN | TcpFlags.ACK).withAckNumber(0);
        assertEquals(syn.seqNumber(), synAck.seqNumber());
        assertTrue(synAck.has(TcpFlags.ACK));
        assertEquals(1, syn.segmentLength());
        assertEquals("TCP 40000->80 SYN seq=4294967295 ack=0 win=64240 mss=1460 ws=7 sackOk ts=12345/0 len=0",
                syn.toString());
        assertEquals(List.of(new SackBlock(1, 2)), syn.withoutTimestamps().withFlags(TcpFlags.ACK)
                .withSynOptions(TcpOptions.NONE, TcpOptions.NONE, false).withSackBlocks(List.of(new SackBlock(1, 2)))
                .sackBlocks());
        assertEquals(100, syn.withFlags(TcpFlags.ACK).withPayloadLength(100).withWindow(5).segmentLength());
        assertThrows(IllegalArgumentException.class, () -> syn.withFlags(TcpFlags.SYN | TcpFlags.RST));
    }
}
