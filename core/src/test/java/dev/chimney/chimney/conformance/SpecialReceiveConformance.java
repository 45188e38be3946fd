package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.UploadReason;
import dev.chimney.chimney.target.FaultInjectingTarget;
import dev.chimney.link.Impairments;
import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.TcpFlags;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Spec §8.14 (special receive handling, blind-attack mitigation) and §8.15 (VLAN, RFCs, capabilities, IM). */
abstract class SpecialReceiveConformance extends TimersConformance {

    /** Target frames built after {@code index} of {@link ChimneyWorld#targetFrames()}. */
    static List<WireFrames.Parsed> framesAfter(ChimneyWorld w, int index) {
        List<WireFrames.Parsed> all = w.targetFrames();
        return all.subList(Math.min(index, all.size()), all.size());
    }

    static int rcvNxt(ChimneyWorld w, ChimneyWorld.Conn c) {
        return w.peerSndNxt(c);
    }

    byte[] seg(ChimneyWorld w, ChimneyWorld.Conn c, int seqOffset, int flags, byte[] payload) {
        return w.peerSegment(c, w.peerSndNxt(c) + seqOffset, w.peerRcvNxt(c), flags, 60_000, 0, payload);
    }

    static List<byte[]> held(ChimneyWorld w, ChimneyWorld.Conn c) {
        return w.hostPort.heldFor(c.hostConn.localPort(), c.hostConn.remotePort());
    }

    @Test
    void rBlind1_rBlind2_rBlind3_resetsOutsideInsideAndAtRcvNxt() {
        ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.run(300 * MS);
        int n = w.targetFrames().size();
        w.injectFromPeer(seg(w, c, 500_000, TcpFlags.RST, new byte[0]));
        w.run(10 * MS);
        assertEquals(n, w.targetFrames().size(), "R-BLIND-1: out of window: no ACK");
        assertTrue(w.rec.eventsFor(o.tcp).isEmpty(), "R-BLIND-1: no indication");
        w.injectFromPeer(seg(w, c, 100, TcpFlags.RST, new byte[0]));
        w.run(10 * MS);
        List<WireFrames.Parsed> challenge = framesAfter(w, n);
        assertEquals(1, challenge.size(), "R-BLIND-3: one challenge ACK");
        assertEquals(rcvNxt(w, c), challenge.getFirst().ack());
        w.injectFromPeer(seg(w, c, 200, TcpFlags.RST, new byte[0]));
        w.run(10 * MS);
        assertEquals(n + 1, w.targetFrames().size(), "R-BLIND-3: none for the next in this validation period");
        assertTrue(w.rec.eventsFor(o.tcp).isEmpty());
        w.injectFromPeer(seg(w, c, 0, TcpFlags.RST, new byte[0]));
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), S, "the abort");
        assertEquals(List.of(TcpEvent.ABORT), w.rec.eventsFor(o.tcp), "R-BLIND-2: seq = RcvNxt");
    }

    @Test
    void rBlind4_rBlind6_rBlind7_rBlind9_synsOutsideAndInsideTheWindowAndTheMitigationKeepalive() {
        ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.run(300 * MS);
        int n = w.targetFrames().size();
        w.injectFromPeer(seg(w, c, 500_000, TcpFlags.SYN, new byte[0]));
        w.run(10 * MS);
        w.injectFromPeer(seg(w, c, 600_000, TcpFlags.SYN, new byte[0]));
        w.run(10 * MS);
        assertEquals(2, framesAfter(w, n).size(), "R-BLIND-4: an ACK for each SYN outside the window");
        n = w.targetFrames().size();
        for (int i = 0; i < 4; i++) { // t = 0, 1, 2, 3.5 s
            w.injectFromPeer(seg(w, c, 100, TcpFlags.SYN, new byte[0]));
            w.run(i == 2 ? 1500 * MS : S);
        }
        List<WireFrames.Parsed> acks = framesAfter(w, n);
        assertEquals(2, acks.size(), "R-BLIND-6: at most one challenge ACK per 3 s: " + acks);
        assertTrue(acks.get(1).timeNs() - acks.get(0).timeNs() >= 3 * S);
        TcpDelegated d = w.queryTcp(o).tcpDelegated();
        assertTrue(d.keepAliveTimeoutDelta() > 290_000 && d.keepAliveTimeoutDelta() <= 300_000,
                "R-BLIND-7: keepalive armed for 5 min: " + d.keepAliveTimeoutDelta());
        w.peerWrite(c, new byte[100]); // an acceptable segment ends the mitigation
        w.runUntil(() -> w.delivered(o).length == 100, S, "data");
        assertEquals(-1, w.queryTcp(o).tcpDelegated().keepAliveTimeoutDelta(), "R-BLIND-9: keepalive was off");
        assertTrue(w.rec.eventsFor(o.tcp).isEmpty());
    }

    @Test
    void rBlind8_rBlind10_mitigationProbesThenAnUploadInClosed() {
        ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
        ChimneyWorld.Conn c = w.connect(false);
        // KaProbeCount and KaInterval both 0: the mitigation defaults are 10 probes, 1 s apart
        ChimneyWorld.Offloaded o = w.offload(c, ChimneyWorld.spec().cached(k -> k.withKeepAlive(false, 0, 0, 0)));
        w.run(300 * MS);
        int n = w.targetFrames().size();
        w.injectFromPeer(seg(w, c, 100, TcpFlags.RST, new byte[0]));
        w.run(10 * MS);
        long challengeAt = framesAfter(w, n).getFirst().timeNs();
        w.cut(false, true); // the peer's answers no longer arrive
        w.run(300 * S + 2500 * MS);
        TcpDelegated mid = w.queryTcp(o).tcpDelegated();
        assertEquals(3, mid.keepAliveProbeCount(), "R-BLIND-10: probes sent so far");
        assertTrue(mid.keepAliveTimeoutDelta() >= 0 && mid.keepAliveTimeoutDelta() <= 1000, "R-BLIND-10: " + mid);
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), 30 * S, "the end of mitigation");
        List<Long> probes = w.targetTcpSince(challengeAt + MS).stream().map(p -> (p.timeNs() - challengeAt) / S)
                .toList();
        assertEquals(List.of(300L, 301L, 302L, 303L, 304L, 305L, 306L, 307L, 308L, 309L), probes,
                "R-BLIND-8: ten probes one second apart after five minutes");
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.TIMEOUT_EXPIRATION)), w.rec.eventsFor(o.tcp));
        assertEquals(TcpState.CLOSED, ChimneyWorld.tcpNode(w.terminate(o)).tcpDelegated().state(),
                "R-BLIND-8: uploaded in CLOSED");
    }

    @Test
    void rBlind5_aSynAtRcvNxtMeansUploadInClosed() {
        ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.run(300 * MS);
        int n = w.targetFrames().size();
        w.injectFromPeer(seg(w, c, 0, TcpFlags.SYN, new byte[0]));
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), S, "the retrieve");
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.UPLOAD_REQUESTED)), w.rec.eventsFor(o.tcp));
        assertEquals(n, w.targetFrames().size(), "no answer from the target");
        assertEquals(TcpState.CLOSED, w.queryTcp(o).tcpDelegated().state(), "R-BLIND-5");
        int before = held(w, c).size();
        assertEquals(TcpState.CLOSED, ChimneyWorld.tcpNode(w.terminate(o)).tcpDelegated().state(), "R-BLIND-5");
        w.run(MS);
        assertTrue(held(w, c).size() > before, "the SYN goes up after the terminate");
        assertTrue(WireFrames.parse(held(w, c).getLast(), 0).has(TcpFlags.SYN));
    }

    @Test
    void rRxs1_aSynInTimeWaitGoesUp() {
        ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.call(() -> w.target.tcpDisconnect(o.context(), DisconnectRequest.graceful()));
        w.run(50 * MS);
        w.peerLoop.execute(() -> c.peerEnd.connection.shutdownOutput());
        w.run(50 * MS);
        assertEquals(TcpState.TIME_WAIT, w.queryTcp(o).tcpDelegated().state());
        int n = w.targetFrames().size();
        int before = held(w, c).size();
        w.injectFromPeer(seg(w, c, 100_000, TcpFlags.SYN, new byte[0]));
        w.run(10 * MS);
        assertEquals(n, w.targetFrames().size(), "not answered by the target");
        w.terminate(o);
        w.run(MS);
        assertTrue(held(w, c).stream().skip(before).anyMatch(f -> WireFrames.parse(f, 0).has(TcpFlags.SYN)),
                "R-RXS-1: passed up the non-offload path");
    }

    @Test
    void rRxs2_rRxs9_arpIcmpAndPathMtuMessagesReachTheHost() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        int up = w.hostPort.passedUp.size();
        w.peerLoop.execute(() -> w.peer.ip().sendEchoRequest(ChimneyWorld.A4, 7, 1, 56));
        w.run(10 * MS);
        boolean icmp = w.hostPort.passedUp.stream().skip(up).anyMatch(f -> f.parsed() != null
                && !f.parsed().tcp() && f.bytes()[12] == 0x08 && f.bytes()[23] == IpProtocol.ICMP);
        assertTrue(icmp, "R-RXS-2: the echo request went up");
        // R-RXS-9: "fragmentation needed" about the offloaded connection's packets reaches the host's path cache
        w.send(o, new byte[1400]);
        w.run(5 * MS);
        WireFrames.Parsed sent = w.targetFrames().stream().filter(p -> p.tcp() && p.payloadLength() > 0)
                .reduce((a, b) -> b).orElseThrow();
        w.injectFromPeer(fragmentationNeeded(sent.bytes(), 1200));
        w.run(10 * MS);
        assertEquals(1200, w.host.ip().pathMtu(ChimneyWorld.B4), "R-RXS-9: the host processed it");
    }

    /** ICMPv4 type 3 code 4 from the peer about {@code frame} (an IPv4 frame we sent), next-hop MTU {@code mtu}. */
    static byte[] fragmentationNeeded(byte[] frame, int mtu) {
        int quote = Math.min(frame.length - 14, 28);
        byte[] msg = new byte[8 + quote];
        ByteBuffer.wrap(msg).put((byte) 3).put((byte) 4).putShort((short) 0).putShort((short) 0)
                .putShort((short) mtu);
        System.arraycopy(frame, 14, msg, 8, quote);
        int sum = Checksum.compute(MemorySegment.ofArray(msg), 0, msg.length);
        msg[2] = (byte) (sum >>> 8);
        msg[3] = (byte) sum;
        return WireFrames.ip(ChimneyWorld.MAC_B, ChimneyWorld.MAC_A, -1, ChimneyWorld.B4, ChimneyWorld.A4,
                IpProtocol.ICMP, msg, new byte[0], false);
    }

    @Test
    void rRxs3_rRxs4_optionsAndFragmentsGoUpAndTheForwardedSegmentIsProcessed() {
        for (boolean v6 : new boolean[] {false, true}) {
            ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
            ChimneyWorld.Conn c = w.connect(v6);
            ChimneyWorld.Offloaded o = w.offload(c);
            byte[] data = ChimneyWorld.pattern(300, 1);
            byte[] tcp = WireFrames.tcp(ChimneyWorld.peerAddress(v6), ChimneyWorld.hostAddress(v6),
                    ChimneyWorld.PORT, c.hostConn.localPort(), w.peerSndNxt(c), w.peerRcvNxt(c),
                    TcpFlags.ACK | TcpFlags.PSH, 60_000, 0, null, data);
            int before = held(w, c).size();
            if (!v6) {
                byte[] nop = {1, 1, 1, 0}; // NOPs and end of options: an IPv4 header with options
                w.injectFromPeer(WireFrames.ip(ChimneyWorld.MAC_B, ChimneyWorld.MAC_A, -1, ChimneyWorld.B4,
                        ChimneyWorld.A4, IpProtocol.TCP, tcp, nop, false));
            }
            w.injectFromPeer(WireFrames.ip(ChimneyWorld.MAC_B, ChimneyWorld.MAC_A, -1, ChimneyWorld.peerAddress(v6),
                    ChimneyWorld.hostAddress(v6), IpProtocol.TCP, tcp, new byte[0], true));
            w.run(10 * MS);
            assertEquals(before + (v6 ? 1 : 2), held(w, c).size(), "R-RXS-3/R-RXS-4: went up");
            assertEquals(0, w.delivered(o).length, "not processed by the target");
            ForwardRequest f = new ForwardRequest(tcp); // the host processed options / reassembled it
            w.call(() -> w.target.tcpForward(o.context(), f));
            w.runUntil(() -> w.delivered(o).length == 300, S, "the forwarded segment");
            assertArrayEquals(data, w.delivered(o), "R-RXS-3/R-RXS-4: then processed");
        }
    }

    @Test
    void rRxs5_rRxs6_urgentDataUploadsAndIsHeldUnacknowledged() {
        ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.run(300 * MS);
        int n = w.targetFrames().size();
        // outside the window: discarded, the connection carries on
        w.injectFromPeer(w.peerSegment(c, w.peerSndNxt(c) + 500_000, w.peerRcvNxt(c), TcpFlags.ACK | TcpFlags.URG,
                60_000, 1, new byte[10]));
        w.run(10 * MS);
        assertTrue(w.rec.eventsFor(o.tcp).isEmpty(), "R-RXS-5");
        assertEquals(n, w.targetFrames().size(), "R-RXS-5: discarded");
        int rcvNxt = rcvNxt(w, c);
        int before = held(w, c).size();
        w.injectFromPeer(w.peerSegment(c, rcvNxt, w.peerRcvNxt(c), TcpFlags.ACK | TcpFlags.URG | TcpFlags.PSH,
                60_000, 1, ChimneyWorld.pattern(100, 1)));
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), S, "the retrieve");
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.RECEIVED_URGENT_DATA)), w.rec.eventsFor(o.tcp));
        w.injectFromPeer(w.peerSegment(c, rcvNxt + 100, w.peerRcvNxt(c), TcpFlags.ACK | TcpFlags.PSH, 60_000, 0,
                ChimneyWorld.pattern(200, 2)));
        w.run(500 * MS);
        assertEquals(n, w.targetFrames().size(), "R-RXS-6: no ACK for the urgent data or what follows");
        assertEquals(0, w.delivered(o).length, "R-RXS-6: queued, not delivered");
        SendRequest s = w.send(o, new byte[10]);
        w.run(MS);
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, s.status());
        BlockList t = w.terminate(o);
        assertEquals(rcvNxt, ChimneyWorld.tcpNode(t).tcpDelegated().rcvNxt(), "the target processed none of it");
        w.run(MS);
        List<byte[]> up = held(w, c).subList(before, held(w, c).size());
        assertEquals(2, up.size(), "R-RXS-6: both passed up after the terminate");
        assertTrue(WireFrames.parse(up.get(0), 0).has(TcpFlags.URG));
    }

    @Test
    void rRxs8_aTargetWithoutSackIgnoresSackAndNeverSendsIt() {
        OffloadCapabilities noSack = new OffloadCapabilities(true, true, false, false, 100, 100, 100, 16 << 20, 9000,
                true, true);
        ChimneyWorld w = world(ChimneyWorld.options().capabilities(noSack).seed(5).impairments(Impairments.NONE
                .withDelay(MS, 0).withLoss(0.03).withReordering(0.03, 3 * MS)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        assertTrue(o.snapshot.constants().sack(), "SACK was negotiated");
        long at = w.sim.nowNs();
        w.send(o, ChimneyWorld.pattern(150_000, 1));
        w.peerWrite(c, ChimneyWorld.pattern(150_000, 2));
        w.runUntil(() -> c.peerEnd.received.size() == 150_000 && w.delivered(o).length == 150_000, 60 * S, "data");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray(),
                "R-RXS-8: the peer's SACK options were ignored, the rest processed");
        assertTrue(w.targetTcpSince(at).stream().noneMatch(p -> p.sackBlocks() > 0), "R-RXS-8: none generated");
    }

    // ================================================================================= §8.15 VLAN, RFC, caps

    @Test
    void rVlan1_rVlan3_aConnectionOnANonZeroVlanWorksAndIsTagged() {
        ChimneyWorld w = world(ChimneyWorld.options().vlanIds(10).hostVlan(10, 0));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Spec s = ChimneyWorld.spec();
        s.vlanId = 10;
        ChimneyWorld.Offloaded o = w.offload(c, s);
        long at = w.sim.nowNs();
        w.send(o, ChimneyWorld.pattern(20_000, 1));
        w.peerWrite(c, ChimneyWorld.pattern(20_000, 2));
        w.runUntil(() -> c.peerEnd.received.size() == 20_000 && w.delivered(o).length == 20_000, 5 * S,
                "R-VLAN-1: traffic on VLAN 10");
        for (WireFrames.Parsed p : w.targetTcpSince(at)) {
            assertTrue(p.tagged() && p.vlanId() == 10 && p.pcp() == 0, "R-VLAN-3: " + p);
            assertEquals(0, p.bytes()[14] & 0x10, "R-VLAN-3: CFI/DEI 0");
        }
    }

    @Test
    void rVlan3_theTaggingTable() {
        int[][] cases = {{0, 0}, {0, 5}, {7, 3}};
        for (int[] k : cases) {
            ChimneyWorld w = world();
            ChimneyWorld.Conn c = w.connect(false);
            ChimneyWorld.Spec s = ChimneyWorld.spec().cached(x -> new TcpCached(x.keepAliveEnabled(),
                    x.naglingEnabled(), x.initialRcvWnd(), x.rcvIndicationSize(), x.kaProbeCount(),
                    x.kaTimeoutTicks(), x.kaIntervalTicks(), x.maxRtTicks(), x.flowLabel(), x.ttlOrHopLimit(),
                    x.tosOrTrafficClass(), k[1]));
            s.vlanId = k[0];
            ChimneyWorld.Offloaded o = w.offload(c, s);
            long at = w.sim.nowNs();
            w.send(o, new byte[100]);
            w.run(10 * MS);
            List<WireFrames.Parsed> frames = w.targetTcpSince(at);
            assertFalse(frames.isEmpty());
            for (WireFrames.Parsed p : frames) {
                boolean tag = k[0] != 0 || k[1] != 0;
                assertEquals(tag, p.tagged(), "R-VLAN-3 (" + k[0] + ", " + k[1] + ")");
                if (tag) {
                    assertEquals(k[0], p.vlanId());
                    assertEquals(k[1], p.pcp());
                    assertEquals(0, p.bytes()[14] & 0x10);
                }
            }
        }
    }

    @Test
    void rVlan2_admissionByTheInterfacesVlansAndTrackingResources() {
        ChimneyWorld w = world(ChimneyWorld.options().vlanIds(10));
        int[] vids = {0, 10, 20};
        OffloadStatus[] expected = {OffloadStatus.SUCCESS, OffloadStatus.SUCCESS, OffloadStatus.OFFLOAD_VLAN_MISMATCH};
        for (int i = 0; i < vids.length; i++) {
            BlockList n = BlockList.newNeighbor(new OffloadHandle("n" + i), new NeighborOffloadState.Const(null,
                    vids[i]), new NeighborOffloadState.Cached(ChimneyWorld.MAC_B, 0),
                    new NeighborOffloadState.Delegated(0));
            w.initiate(n);
            assertEquals(expected[i], n.status(), "R-VLAN-2 VlanId " + vids[i]);
        }
        // no VLAN on the interface: any VLAN is admitted until the tracking entries run out (64 here)
        ChimneyWorld w2 = world();
        for (int vid = 1; vid <= 65; vid++) {
            BlockList n = BlockList.newNeighbor(new OffloadHandle("v" + vid), new NeighborOffloadState.Const(null,
                    vid), new NeighborOffloadState.Cached(ChimneyWorld.MAC_B, 0),
                    new NeighborOffloadState.Delegated(0));
            w2.initiate(n);
            assertEquals(vid <= 64 ? OffloadStatus.SUCCESS : OffloadStatus.OFFLOAD_VLAN_ENTRIES, n.status(),
                    "R-VLAN-2: VLAN " + vid);
        }
    }

    @Test
    void rVlan4_receiveFilteringByTheNeighborsVlan() {
        ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Spec s = ChimneyWorld.spec();
        s.vlanId = 7;
        ChimneyWorld.Offloaded o = w.offload(c, s);
        int seq = w.peerSndNxt(c);
        int up = held(w, c).size();
        for (int vlan : new int[] {-1, 8}) { // untagged, another VLAN: dropped
            byte[] tcp = WireFrames.tcp(ChimneyWorld.B4, ChimneyWorld.A4, ChimneyWorld.PORT, c.hostConn.localPort(),
                    seq, w.peerRcvNxt(c), TcpFlags.ACK | TcpFlags.PSH, 60_000, 0, null, new byte[50]);
            w.injectFromPeer(WireFrames.ip(ChimneyWorld.MAC_B, ChimneyWorld.MAC_A, vlan, ChimneyWorld.B4,
                    ChimneyWorld.A4, IpProtocol.TCP, tcp, new byte[0], false));
        }
        w.run(10 * MS);
        assertEquals(0, w.delivered(o).length, "R-VLAN-4: dropped");
        assertEquals(up, held(w, c).size(), "R-VLAN-4: not passed up either");
        byte[] tcp = WireFrames.tcp(ChimneyWorld.B4, ChimneyWorld.A4, ChimneyWorld.PORT, c.hostConn.localPort(), seq,
                w.peerRcvNxt(c), TcpFlags.ACK | TcpFlags.PSH, 60_000, 0, null, ChimneyWorld.pattern(50, 3));
        w.injectFromPeer(WireFrames.ip(ChimneyWorld.MAC_B, ChimneyWorld.MAC_A, 7, ChimneyWorld.B4, ChimneyWorld.A4,
                IpProtocol.TCP, tcp, new byte[0], false));
        w.runUntil(() -> w.delivered(o).length == 50, S, "R-VLAN-4: tagged with VLAN 7: accepted");
    }

    @Test
    void rRfc1_halfCloseAndEveryStateOnTheWayToClosed() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.send(o, ChimneyWorld.pattern(100_000, 1));
        w.run(MS);
        w.peerLoop.execute(() -> c.peerEnd.connection.shutdownOutput()); // the peer closes while we send
        w.runUntil(() -> w.rec.eventsFor(o.tcp).contains(TcpEvent.DISCONNECT), S, "the peer's FIN");
        assertEquals(TcpState.CLOSE_WAIT, w.queryTcp(o).tcpDelegated().state());
        w.send(o, ChimneyWorld.pattern(50_000, 2));
        DisconnectRequest fin = DisconnectRequest.graceful();
        w.call(() -> w.target.tcpDisconnect(o.context(), fin));
        w.runUntil(() -> w.rec.disconnects.contains(fin), 5 * S, "our FIN acknowledged");
        assertEquals(OffloadStatus.SUCCESS, fin.status());
        assertEquals(TcpState.CLOSED, w.queryTcp(o).tcpDelegated().state(), "R-RFC-1: LAST_ACK → CLOSED");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray(), "R-RFC-1: half-close");
        assertTrue(c.peerEnd.eof);
    }

    @Test
    void rCap1_onlyTheEnabledCapabilitiesAreUsed() {
        ChimneyWorld w = world(ChimneyWorld.options().capabilities(SOFT_CAPS.withIp(true, false)));
        assertFalse(w.target.capabilities().supportIpv6(), "R-CAP-1: reported");
        ChimneyWorld.Offloaded v6 = w.prepare(w.connect(true), 1);
        w.initiate(v6.root);
        assertEquals(OffloadStatus.FAILURE, v6.pathNode.status(), "R-CAP-1: IPv6 is not enabled");
        w.restore(v6);
        w.offload(w.connect(false));
        // the host enables less than reported: IPv4 off too
        w.call(() -> w.target.configure(SOFT_CAPS.withIp(false, false), dev.chimney.chimney.OffloadParameters
                .DEFAULTS));
        ChimneyWorld.Offloaded v4 = w.prepare(w.connect(false), 1);
        w.initiate(v4.root);
        assertEquals(OffloadStatus.FAILURE, v4.pathNode.status(), "R-CAP-1: only the most recent set");
    }

    static final OffloadCapabilities SOFT_CAPS = ChimneyWorld.CAPS;

    @Test
    void rIm4_anIntermediateThatCannotPassASendDownCompletesItForTheHost() {
        ChimneyWorld w = world();
        FaultInjectingTarget f = faults(w);
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        f.failNextSend();
        long at = w.sim.nowNs();
        SendRequest chain = w.send(o, new byte[100], new byte[200], new byte[300]);
        List<SendRequest> posted = list(chain);
        w.runUntil(() -> w.rec.sends.size() == 3, S, "the completions");
        assertEquals(OffloadStatus.REQUEST_UPLOAD, posted.get(0).status(), "R-IM-4: the first");
        assertEquals(OffloadStatus.UPLOAD_REQUESTED, posted.get(1).status(), "R-IM-4: the rest");
        assertEquals(OffloadStatus.UPLOAD_REQUESTED, posted.get(2).status());
        w.run(50 * MS);
        assertTrue(w.targetTcpSince(at).stream().noneMatch(p -> p.payloadLength() > 0), "R-IM-4: nothing sent");
        assertEquals(Arrays.asList(0, 0, 0), posted.stream().map(SendRequest::bytesTransferred).toList());
    }
}
