package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.PSH;
import static dev.chimney.tcp.TcpFlags.SYN;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.ours;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.wire.IpAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Option negotiation and use: MSS (RFC 9293 §3.7.1), window scaling, timestamps and PAWS (RFC 7323), SACK. */
class TcpOptionsTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    @Test
    void mssIsClampedToPeerOfferAndPathMtu() {
        // R-STATE-13 (RemoteMss)
        // RFC 9293 §3.7.1: Eff.snd.MSS = min(SendMSS, MTU − headers); we offer path MTU − 40 (IPv4)
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(536));
        h.expect(0, ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460));
        h.send(1 * MS, peer(ACK, R, L));
        TcpConnection c = h.accepted.getFirst();
        assertEquals(536, c.sendMss());
        c.write(bytes(1000, 1));
        h.expect(1 * MS, ours(ACK, L, R, 8192).payload(java.util.Arrays.copyOf(bytes(1000, 1), 536)));
    }

    @Test
    void missingMssOptionMeansDefault536() {
        // RFC 9293 §3.7.1 / RFC 1122 §4.2.2.6: no MSS option → 536 for IPv4
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0));
        h.send(1 * MS, peer(ACK, R, L));
        assertEquals(536, h.accepted.getFirst().sendMss());
    }

    @Test
    void windowScalingNegotiatedAndApplied() {
        // R-STATE-8
        // RFC 7323 §2.2: answer WS only if offered, SYN windows unscaled; §2.3 scale every later window
        TcpHarness h = new TcpHarness(TcpHarness.plain().windowScaling(true).receiveBufferBytes(1 << 20).build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460).windowScale(7));
        h.expect(0, ours(SYN | ACK, LOCAL_ISN, R, 65535).mss(1460).windowScale(5));
        h.send(1 * MS, peer(ACK, R, L).window(100));
        TcpConnection c = h.accepted.getFirst();
        assertEquals(100 << 7, c.sndWnd());
        assertEquals(5, c.constants().rcvWindScale());
        c.write(bytes(10, 1));
        // the scale comes from the 1 MiB the buffer may grow to (it is fixed at the handshake), the window from the
        // 64 KiB it starts with (TcpConfig.initialReceiveBufferBytes)
        h.expect(1 * MS, ours(ACK | PSH, L, R, (64 << 10) >> 5).payload(bytes(10, 1)));
    }

    @Test
    void windowScalingNotUsedWhenPeerDoesNotOffer() {
        // RFC 7323 §1.3: both sides must send WS; otherwise neither scales
        TcpHarness h = new TcpHarness(TcpHarness.plain().windowScaling(true).receiveBufferBytes(1 << 20).build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460));
        h.expect(0, ours(SYN | ACK, LOCAL_ISN, R, 65535).mss(1460));
        h.send(1 * MS, peer(ACK, R, L).window(100));
        assertEquals(100, h.accepted.getFirst().sndWnd());
        assertFalse(h.accepted.getFirst().constants().windowScaling());
    }

    private static TcpConnection timestamped(TcpHarness h) {
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460).timestamp(1000, 0));
        h.advanceTo(0);
        TcpSegment synAck = h.sent.poll().segment();
        assertTrue(synAck.hasTimestamp(), "SYN,ACK carries TSopt when the SYN did");
        assertEquals(1000, synAck.tsEcr(), "TSecr echoes the SYN's TSval");
        h.send(10 * MS, peer(ACK, R, L).timestamp(1010, synAck.tsVal()));
        TcpConnection c = h.accepted.getFirst();
        assertTrue(c.constants().timestamps());
        return c;
    }

    @Test
    void timestampsInEverySegmentAndTsRecentEchoed() {
        // RFC 7323 §3.2: once negotiated, TSopt in every segment; TSecr = TS.Recent; TSval ticks at 1 kHz
        TcpHarness h = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(h);
        h.send(20 * MS, peer(ACK, R, L).timestamp(1020, 5).payload(bytes(10, 1)));
        h.advanceTo(60 * MS);
        TcpSegment ack = h.sent.poll().segment();
        assertEquals(1020, ack.tsEcr());
        h.advanceTo(100 * MS);
        c.write(bytes(5, 5));
        TcpSegment data = h.sent.poll().segment();
        assertEquals(40, data.tsVal() - ack.tsVal(), "TSval advances one per millisecond");
        assertEquals(1460 - 12, c.sendMss(), "MSS accounts for the 12-byte timestamp option");
    }

    @Test
    void pawsDropsOldTimestampAndAcks() {
        // R-TS-7 (TsRecent)
        // RFC 7323 §5.3 R1: TSval < TS.Recent → send ACK, drop the segment
        TcpHarness h = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(h);
        h.send(20 * MS, peer(ACK, R, L).timestamp(900, 5).payload(bytes(10, 1)));
        h.advanceTo(20 * MS);
        assertEquals(1, h.sent.size(), "an ACK answers the PAWS-rejected segment");
        assertEquals(0, c.readableBytes());
        assertEquals(1, h.stack.counter(TcpCounter.DROP_PAWS));
    }

    @Test
    void pawsIgnoresTsRecentIdleForMoreThan24Days() {
        // R-TS-7 (TsRecentAge)
        // RFC 7323 §5.5: TS.Recent is invalid after 24 days idle, the segment is accepted
        TcpHarness h = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(h);
        long later = 25L * 24 * 3600 * 1000 * MS;
        h.send(later, peer(ACK, R, L).timestamp(5, 5).payload(bytes(10, 1)));
        assertEquals(10, c.readableBytes());
    }

    @Test
    void segmentWithoutTimestampIsDroppedOnceNegotiated() {
        // RFC 7323 §3.2: a non-RST segment without TSopt SHOULD be dropped
        TcpHarness h = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(h);
        h.send(20 * MS, peer(ACK, R, L).payload(bytes(10, 1)));
        assertEquals(0, c.readableBytes());
        assertEquals(1, h.stack.counter(TcpCounter.DROP_MISSING_TIMESTAMP));
    }

    @Test
    void rttIsMeasuredFromTimestampEcho() {
        // R-TS-3
        // RFC 7323 §4.1 / RFC 6298 §2.2: first sample R → SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR
        TcpHarness h = new TcpHarness(TcpHarness.plain().timestamps(true).minRtoNs(10 * MS).build());
        TcpConnection c = timestamped(h);
        h.advanceTo(100 * MS);
        c.write(bytes(10, 1));
        TcpSegment data = h.sent.poll().segment();
        h.send(400 * MS, peer(ACK, R, L + 10).timestamp(1100, data.tsVal()));
        // the handshake gave a 10 ms sample, then 300 ms: SRTT = 7/8·10 + 1/8·300 = 46.25 → RTO > 200 ms
        assertTrue(c.rtoNs() > 200 * MS && c.rtoNs() < 1000 * MS, "rto=" + c.rtoNs() / MS + "ms");
    }

    @Test
    void sackBlocksReportOutOfOrderDataMostRecentFirst() {
        // RFC 2018 §4: the first block holds the most recently received segment, then the others
        TcpHarness h = new TcpHarness(TcpHarness.plain().sack(true).build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460).sackPermitted(true));
        h.expect(0, ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460).sackPermitted(true));
        h.send(1 * MS, peer(ACK, R, L));
        h.send(2 * MS, peer(ACK, R + 100, L).payload(bytes(100, 1)));
        h.expect(2 * MS, ours(ACK, L, R, 8192).addSack(R + 100, R + 200));
        h.send(3 * MS, peer(ACK, R + 300, L).payload(bytes(100, 2)));
        h.expect(3 * MS, ours(ACK, L, R, 8192).addSack(R + 300, R + 400).addSack(R + 100, R + 200));
        h.send(4 * MS, peer(ACK, R + 200, L).payload(bytes(100, 3)));
        h.expect(4 * MS, ours(ACK, L, R, 8192).addSack(R + 100, R + 400));
        h.send(5 * MS, peer(ACK, R, L).payload(bytes(100, 4)));
        h.expect(5 * MS, ours(ACK, L, R + 400, 8192 - 400));
    }

    @Test
    void sackNotSentWhenNotNegotiated() {
        // RFC 2018 §2: SACK blocks only after SACK-permitted in both SYNs
        TcpHarness h = new TcpHarness(TcpHarness.plain().sack(true).build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460));
        h.expect(0, ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460));
        h.send(1 * MS, peer(ACK, R, L));
        h.send(2 * MS, peer(ACK, R + 100, L).payload(bytes(100, 1)));
        h.expect(2 * MS, ours(ACK, L, R, 8192));
    }

    @Test
    void ipv6OffersMtuMinus60() {
        // RFC 9293 §3.7.1: MSS = MTU − 40 (IPv6 header) − 20 (TCP header)
        VirtualClock clock = new VirtualClock();
        List<TcpSegment> out = new ArrayList<>();
        TcpStack s = new TcpStack(new EventLoop("v6", clock), TcpHarness.plain().build(),
                (src, dst, seg, ip) -> out.add(seg.copy()), new SeededRandom(1));
        s.connect(IpAddress.parse("fd77::1"), IpAddress.parse("fd77::2"), 80, null);
        assertEquals(1440, out.getFirst().mss());
    }
}
