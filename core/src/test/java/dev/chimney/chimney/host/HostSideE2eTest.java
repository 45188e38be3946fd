package dev.chimney.chimney.host;

import static dev.chimney.chimney.host.HostPair.A4;
import static dev.chimney.chimney.host.HostPair.B4;
import static dev.chimney.chimney.host.HostPair.MS;
import static dev.chimney.chimney.host.HostPair.S;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.UploadReason;
import dev.chimney.chimney.host.HostPair.Peer;
import dev.chimney.ip.NeighborCache;
import dev.chimney.link.Impairments;
import dev.chimney.link.LinkObserver;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The host side end to end (spec §8 "E2E"): host A's offload manager with a {@link
 * dev.chimney.chimney.target.SoftOffloadTarget} as A's NIC on its own loop, peer B a plain host stack across a
 * virtual wire; every request passes the independent host-rule checker.
 */
class HostSideE2eTest {

    @AfterEach
    void hostRulesKept() {
        HostPair.assertContractsKept();
    }

    private static HostPair offloadedPair(long seed, Peer[] out) {
        HostPair h = HostPair.soft(seed, OffloadPolicy.allEstablished());
        out[0] = h.connect(B4);
        h.sim.runUntil(() -> h.manager.state(out[0].connection) == OffloadState.OFFLOADED, h.sim.nowNs() + S);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(out[0].connection));
        assertEquals(1, h.soft.offloadedConnections());
        return h;
    }

    /** Sends {@code n} bytes each way and runs until both arrived; returns whether they arrived intact. */
    private static void transfer(HostPair h, Peer c, int n, int seed, Runnable midway) {
        Peer server = h.serverOf(c);
        int before = c.received.size();
        int serverBefore = server.received.size();
        byte[] up = HostPair.pattern(n, seed);
        byte[] down = HostPair.pattern(n, seed + 1);
        int[] written = {0, 0};
        Runnable pump = () -> {
            written[0] += c.connection.write(up, written[0], n - written[0]);
            written[1] += server.connection.write(down, written[1], n - written[1]);
        };
        boolean[] moved = {false};
        h.sim.runUntil(() -> {
            pump.run();
            if (!moved[0] && server.received.size() - serverBefore > n / 3) {
                moved[0] = true;
                midway.run();
            }
            return server.received.size() == serverBefore + n && c.received.size() == before + n;
        }, h.sim.nowNs() + 60 * S);
        assertArrayEquals(up, java.util.Arrays.copyOfRange(server.bytes(), serverBefore, server.received.size()),
                "A -> B");
        assertArrayEquals(down, java.util.Arrays.copyOfRange(c.bytes(), before, c.received.size()), "B -> A");
    }

    @Test
    void anOffloadedConnectionCarriesDataBothWaysThroughTheTarget() {
        Peer[] p = new Peer[1];
        HostPair h = offloadedPair(60, p);
        long hostSegmentsBefore = h.a.tcp().counter(TcpCounter.SEGMENTS_OUT);
        transfer(h, p[0], 400_000, 1, () -> { });
        h.run(300 * MS); // the last send completion follows the peer's last (maybe delayed) ACK
        assertEquals(hostSegmentsBefore, h.a.tcp().counter(TcpCounter.SEGMENTS_OUT),
                "the host engine sent nothing: the target ran the connection");
        assertTrue(h.manager.counter(OffloadCounter.SEND_BYTES_COMPLETED) >= 400_000, h.manager.toString());
        assertTrue(h.manager.counter(OffloadCounter.RECEIVE_BYTES) >= 400_000, h.manager.toString());
    }

    @Test
    void rHost14_aPeerResetIsAnAbortAndTheApplicationSeesReset() {
        Peer[] p = new Peer[1];
        HostPair h = offloadedPair(61, p);
        h.serverOf(p[0]).connection.abort();
        h.run(50 * MS);
        assertEquals(CloseReason.RESET, p[0].closed);
        assertEquals(1, h.manager.counter(OffloadCounter.ABORTS));
        assertEquals(0, h.manager.offloadedConnections());
        assertEquals(0, h.soft.offloadedConnections());
        assertEquals(0, h.a.tcp().connectionCount(), "the 4-tuple is free");
    }

    @Test
    void anApplicationAbortIsTheTargetsRst() {
        Peer[] p = new Peer[1];
        HostPair h = offloadedPair(62, p);
        p[0].connection.abort();
        h.run(50 * MS);
        assertEquals(CloseReason.ABORTED, p[0].closed);
        assertEquals(CloseReason.RESET, h.serverOf(p[0]).closed, "the peer got the RST");
        assertEquals(0, h.a.tcp().counter(TcpCounter.RESETS_SENT), "sent by the target, not the host engine");
        assertEquals(0, h.soft.offloadedConnections());
        assertEquals(0, h.a.tcp().connectionCount());
    }

    @Test
    void aGracefulCloseWhileOffloadedEndsOnTheHost() {
        Peer[] p = new Peer[1];
        HostPair h = offloadedPair(63, p);
        transfer(h, p[0], 50_000, 3, () -> { });
        p[0].connection.close();
        h.serverOf(p[0]).connection.close();
        h.run(200 * MS);
        assertEquals(CloseReason.NORMAL, p[0].closed);
        assertEquals(CloseReason.NORMAL, h.serverOf(p[0]).closed);
        assertTrue(p[0].eof);
        assertEquals(0, h.soft.offloadedConnections(), "both FINs through: terminated, TIME_WAIT on the host");
        assertTrue(p[0].connection.state() == TcpState.TIME_WAIT || p[0].connection.state() == TcpState.CLOSED);
    }

    @Test
    void aPathMtuDecreaseReachesTheTargetsSegments() {
        Peer[] p = new Peer[1];
        HostPair h = offloadedPair(64, p);
        int[] largest = {0};
        h.wire.observer(new LinkObserver() {
            @Override
            public void onSend(String channel, long nowNs, MemorySegment frame) {
                if (new EthernetView().wrap(frame).source().equals(HostPair.MAC_A)) {
                    largest[0] = Math.max(largest[0], (int) frame.byteSize());
                }
            }
        });
        transfer(h, p[0], 100_000, 5, () -> { });
        assertEquals(1514, largest[0]);
        assertTrue(h.a.ip().paths().onFragmentationNeeded(B4, 1200, 1500, h.sim.nowNs()));
        h.run(5 * MS);
        assertEquals(1, h.manager.counter(OffloadCounter.UPDATES));
        largest[0] = 0;
        transfer(h, p[0], 100_000, 7, () -> { });
        assertTrue(largest[0] <= 1214, "segments fit the new PMTU: " + largest[0]);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(p[0].connection));
    }

    @Test
    void aNeighborMacChangeReachesTheTargetsFrames() {
        Peer[] p = new Peer[1];
        HostPair h = offloadedPair(65, p);
        List<MacAddress> destinations = new ArrayList<>();
        h.wire.observer(new LinkObserver() {
            @Override
            public void onSend(String channel, long nowNs, MemorySegment frame) {
                EthernetView v = new EthernetView().wrap(frame);
                if (v.source().equals(HostPair.MAC_A)) {
                    destinations.add(v.destination());
                }
            }
        });
        NeighborCache arp = h.a.ip().neighbors(h.a.interfaces().getFirst(), false);
        MacAddress elsewhere = MacAddress.parse("02:77:00:00:00:0e");
        arp.onAdvertisement(B4, elsewhere, true, true, h.sim.nowNs());
        h.run(5 * MS);
        p[0].connection.write(HostPair.pattern(100, 1));
        h.run(5 * MS);
        assertEquals(elsewhere, destinations.getLast(), "the target frames with the updated MAC");
        arp.onAdvertisement(B4, HostPair.MAC_B, true, true, h.sim.nowNs());
        h.sim.runUntil(() -> h.serverOf(p[0]).received.size() == 100, h.sim.nowNs() + 5 * S);
        transfer(h, p[0], 50_000, 9, () -> { });
        assertEquals(HostPair.MAC_B, destinations.getLast());
        assertEquals(2, h.manager.counter(OffloadCounter.UPDATES));
    }

    @Test
    void rHost14_uploadAllDrainsMidTransferAndResumeReopens() {
        Peer[] p = new Peer[1];
        HostPair h = offloadedPair(66, p);
        transfer(h, p[0], 300_000, 11, () -> h.soft.indicate(StatusIndication.UPLOAD_ALL));
        assertEquals(OffloadManager.Admission.DRAINED, h.manager.admission());
        assertEquals(0, h.soft.offloadedConnections());
        assertEquals(1, h.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED));
        h.soft.indicate(StatusIndication.OFFLOAD_RESUME);
        h.run(MS);
        assertEquals(OffloadManager.Admission.OPEN, h.manager.admission());
        Peer again = h.connect(B4);
        h.run(5 * MS);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(again.connection));
    }

    // spec §8: R-PM-2
    @Test
    void rPm2_terminateAllMidTransferLosesNothing() {
        Peer[] p = new Peer[1];
        HostPair h = offloadedPair(67, p);
        Peer second = h.connect(B4);
        h.run(5 * MS);
        boolean[] ready = {false};
        transfer(h, p[0], 300_000, 13, () -> h.manager.terminateAll(() -> ready[0] = true));
        assertTrue(ready[0]);
        assertEquals(0, h.soft.offloadedConnections());
        transfer(h, second, 50_000, 15, () -> { });
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(second.connection));
    }

    @Test
    void rHost14_targetRetrievesAreHonouredByReason() {
        HostPair h = HostPair.soft(68, OffloadPolicy.allEstablished().withAcceptOptionalRetrieve(false));
        Peer c = h.connect(B4);
        h.run(5 * MS);
        Object ctx = h.manager.record(c.connection).handle().miniportContext();
        h.soft.requestUpload(ctx, UploadReason.LOW_ACTIVITY);
        h.run(5 * MS);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection), "optional: declined (R-TERM-16)");
        assertEquals(1, h.manager.counter(OffloadCounter.RETRIEVES_DECLINED));
        transfer(h, c, 100_000, 17, () -> h.soft.requestUpload(ctx, UploadReason.UPLOAD_REQUESTED));
        assertNull(h.manager.record(c.connection), "mandatory: uploaded (R-HOST-14)");
        assertEquals(0, h.soft.offloadedConnections());
    }

    // spec §8: R-HOST-15
    @Test
    void rHost15_aStaleNeighborWithoutProgressIsProbedAndInvalidated() {
        Peer[] p = new Peer[1];
        HostPair h = offloadedPair(69, p);
        h.run(40 * S); // the host's ARP entry goes STALE (nothing on the host uses it)
        h.wire.aToB().impairments(Impairments.NONE.withLoss(1.0)); // B no longer hears A
        h.wire.bToA().impairments(Impairments.NONE.withLoss(1.0));
        p[0].connection.write(HostPair.pattern(1000, 1)); // unanswered: no forward progress on the target
        h.run(60 * S);
        assertTrue(h.manager.counter(OffloadCounter.REACHABILITY_QUERIES) > 0, h.manager.toString());
        assertTrue(h.manager.counter(OffloadCounter.REACHABILITY_STALE) > 0, h.manager.toString());
        assertTrue(h.manager.counter(OffloadCounter.QUERIES) > 0, "the §5.2.4 follow-up query of the NRD");
        assertNull(h.a.ip().neighbors(h.a.interfaces().getFirst(), false).lookup(B4),
                "no progress: the host probed, got no answer and gave the neighbor up (its failure invalidates an "
                        + "offloaded neighbor object, or the connection's own timeout uploaded it first)");
        assertEquals(0, h.soft.offloadedConnections(), "the connection went back to the host");
        assertFalse(p[0].connection.isParked());
    }

    @Test
    void rHost2_theOwedAckLeavesBeforeTheOffload() {
        HostPair h = HostPair.soft(70, OffloadPolicy.explicit());
        Peer c = h.connect(B4);
        Peer server = h.serverOf(c);
        int una = server.connection.sndUna();
        server.connection.write(HostPair.pattern(100, 1)); // one small segment: A delays its ACK
        h.run(2 * MS);
        assertEquals(100, c.received.size());
        assertEquals(una, server.connection.sndUna(), "A's ACK is delayed");
        h.manager.offload(c.connection);
        h.run(2 * MS);
        assertEquals(una + 100, server.connection.sndUna(), "the owed ACK went out at the offload (R-HOST-2)");
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection));
    }

    @Test
    void spec333_aNextHopChangeMidTransferRelinksAndLosesNothing() {
        HostPair h = HostPair.soft(71, OffloadPolicy.allEstablished());
        Peer far = h.connect(HostPair.B4_FAR);
        h.run(5 * MS);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(far.connection));
        transfer(h, far, 300_000, 21, () -> {
            var iface = h.a.interfaces().getFirst();
            h.a.ip().neighbors(iface, false).addStatic(HostPair.B4_OTHER_HOP, HostPair.MAC_B, h.sim.nowNs());
            h.a.ip().routes().add(new dev.chimney.ip.Route(dev.chimney.ip.IpCidr.parse("10.88.0.1/32"),
                    HostPair.B4_OTHER_HOP, iface, 0, 0, null, dev.chimney.ip.Route.Origin.REDIRECT));
        });
        assertEquals(1, h.manager.counter(OffloadCounter.RELINKS), h.manager.toString());
        assertEquals(HostPair.B4_OTHER_HOP, h.manager.path(A4, HostPair.B4_FAR).neighbor().ip());
        assertEquals(1, h.manager.offloadedNeighbors(), "the old next hop was terminated with its last path");
        assertEquals(OffloadState.OFFLOADED, h.manager.state(far.connection));
    }
}
