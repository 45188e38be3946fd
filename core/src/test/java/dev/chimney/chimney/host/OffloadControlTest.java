package dev.chimney.chimney.host;

import static dev.chimney.chimney.host.HostPair.A4;
import static dev.chimney.chimney.host.HostPair.B4;
import static dev.chimney.chimney.host.HostPair.B6;
import static dev.chimney.chimney.host.HostPair.MS;
import static dev.chimney.chimney.host.HostPair.S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.host.HostPair.Peer;
import dev.chimney.ip.NeighborCache;
import dev.chimney.ip.NeighborEntry;
import dev.chimney.ip.NeighborState;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Policies and capabilities (fail closed), updates of cached values (spec §3.3), invalidate and query (spec §3.4,
 * §3.5), neighbor reachability (spec §5.2, R-HOST-15), status indications (spec §5.1), power (R-PM-2) and bad input
 * from a target: each gets a clear answer and leaves both sides consistent.
 */
class OffloadControlTest {

    /** Whatever a test does, the host kept every rule of spec §3.8 towards the target (an independent check). */
    @AfterEach
    void hostRulesKept() {
        HostPair.assertContractsKept();
    }


    private static HostPair withOffloaded(long seed, Peer[] out) {
        HostPair h = new HostPair(seed, OffloadPolicy.explicit());
        out[0] = h.connect(B4);
        h.manager.offload(out[0].connection);
        h.target.succeed(h.target.lastInitiate());
        return h;
    }

    // ------------------------------------------------------------------------------------------------ policies

    @Test
    void allEstablishedOffloadsEveryNewConnectionInOneTree() {
        HostPair h = new HostPair(30, OffloadPolicy.allEstablished());
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            peers.add(new Peer());
            peers.get(i).connection = h.a.connect(B4, HostPair.PORT, peers.get(i));
        }
        h.run(20 * MS);
        assertEquals(1, h.target.initiates.size(), "established in the same turn: one bulk tree");
        assertEquals(3, h.target.lastInitiate().nodes().stream().filter(b -> b.layer() == StateLayer.TCP).count());
        h.target.succeed(h.target.lastInitiate());
        for (Peer p : peers) {
            assertEquals(OffloadState.OFFLOADED, h.manager.state(p.connection));
        }
        // the accepted side of a passive open is offloaded too: B is not offloaded here, but a listener on A is
        h.a.listen(7100, l -> {
            while (l.accept() != null) {
                // accepted; the policy already saw it established
            }
        });
        h.b.connect(A4, 7100, new Peer());
        h.run(20 * MS);
        assertEquals(2, h.target.initiates.size());
    }

    @Test
    void capabilitiesBoundTheOffloadAndBeyondThemConnectionsStayOnTheHost() {
        HostPair h = new HostPair(31, OffloadPolicy.allEstablished(),
                t -> t.capabilities = RecordingTarget.GENEROUS.withCapacity(2).withIp(true, false));
        for (int i = 0; i < 3; i++) {
            Peer p = new Peer();
            p.connection = h.a.connect(B4, HostPair.PORT, p);
        }
        Peer v6 = new Peer();
        v6.connection = h.a.connect(B6, HostPair.PORT, v6);
        h.run(20 * MS);
        assertEquals(2, h.target.lastInitiate().nodes().stream().filter(b -> b.layer() == StateLayer.TCP).count(),
                "capacity 2");
        assertEquals(2, h.manager.counter(OffloadCounter.STAYED_ON_HOST), "one over capacity, one IPv6");
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(v6.connection));
        assertFalse(v6.connection.isParked());
    }

    @Test
    void sackReceiveWindowAndPathMtuBeyondTheTargetStayOnTheHost() {
        HostPair noSack = new HostPair(32, OffloadPolicy.explicit(), t -> t.capabilities =
                new OffloadCapabilities(true, true, false, false, 100, 100, 100, 1 << 30, 9000, true, true));
        Peer c = noSack.connect(B4);
        assertTrue(c.connection.constants().sack());
        assertFalse(noSack.manager.offload(c.connection), "a SACK connection needs a SACK target");
        HostPair smallWindow = new HostPair(33, OffloadPolicy.explicit(), t -> t.capabilities =
                new OffloadCapabilities(true, true, false, true, 100, 100, 100, 1024, 9000, true, true));
        assertFalse(smallWindow.manager.offload(smallWindow.connect(B4).connection));
        HostPair smallMtu = new HostPair(34, OffloadPolicy.explicit(), t -> t.capabilities =
                new OffloadCapabilities(true, true, false, true, 100, 100, 100, 1 << 30, 1280, true, true));
        assertFalse(smallMtu.manager.offload(smallMtu.connect(B4).connection));
        for (HostPair h : List.of(noSack, smallWindow, smallMtu)) {
            assertTrue(h.target.initiates.isEmpty());
            assertEquals(1, h.manager.counter(OffloadCounter.STAYED_ON_HOST));
        }
    }

    @Test
    void afterBytesWaitsUntilTheConnectionCarriedEnough() {
        HostPair h = new HostPair(35, OffloadPolicy.afterBytes(10_000));
        Peer c = h.connect(B4);
        c.connection.write(HostPair.pattern(6000, 1));
        h.run(50 * MS);
        assertTrue(h.target.initiates.isEmpty(), "6000 bytes carried, 10000 needed");
        h.serverOf(c).connection.write(HostPair.pattern(6000, 2));
        h.run(50 * MS);
        assertEquals(1, h.target.initiates.size());
        h.run(100 * MS);
        assertEquals(1, h.target.initiates.size(), "once");
    }

    @Test
    void theTicksOfTheEngineAndTheParametersMustAgree() {
        HostPair h = new HostPair(36, OffloadPolicy.explicit());
        var tcp100 = new dev.chimney.tcp.TcpStack(h.a.loop(), TcpConfig.builder().ticksPerSecond(100).build(),
                (src, dst, seg, ip) -> { }, h.sim.random().fork("x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OffloadManager.install(h.a.ip(), tcp100, new RecordingTarget(), OffloadPolicy.explicit(),
                        OffloadParameters.DEFAULTS));
        assertTrue(e.getMessage().contains("ticksPerSecond"), e.getMessage());
        assertNotNull(h.target.enabled, "install enabled the target's capabilities");
        assertSame(OffloadParameters.DEFAULTS, h.target.parameters);
    }

    @Test
    void policyParsesTheCliForms() {
        assertEquals(OffloadPolicy.Mode.EXPLICIT, OffloadPolicy.parse("none").mode());
        assertEquals(OffloadPolicy.Mode.ALL_ESTABLISHED, OffloadPolicy.parse("all").mode());
        assertEquals(4096, OffloadPolicy.parse("after-bytes:4096").afterBytes());
        assertThrows(IllegalArgumentException.class, () -> OffloadPolicy.parse("after-bytes:x"));
        assertThrows(IllegalArgumentException.class, () -> OffloadPolicy.parse("some"));
    }

    // ------------------------------------------------------------------------------------------------- updates

    @Test
    void aPathMtuDecreaseUpdatesTheOffloadedPath() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(40, p);
        assertTrue(h.a.ip().paths().onFragmentationNeeded(B4, 1400, 1500, h.sim.nowNs()));
        assertEquals(1, h.target.updates.size());
        BlockList u = h.target.updates.getFirst();
        assertEquals(StateLayer.IPV4_PATH, u.layer());
        assertEquals(BlockList.CACHED, u.parts());
        assertEquals(1400, u.pathCached().pathMtu());
        assertEquals(OffloadState.UPDATING, h.manager.path(A4, B4).state());
        // R-HOST-4: a second change while the update is outstanding waits, and carries the latest value
        h.a.ip().paths().onFragmentationNeeded(B4, 1300, 1400, h.sim.nowNs());
        assertEquals(1, h.target.updates.size());
        h.target.complete(u, OffloadOperation.UPDATE, OffloadStatus.SUCCESS);
        assertEquals(2, h.target.updates.size());
        assertEquals(1300, h.target.updates.getLast().pathCached().pathMtu());
    }

    @Test
    void aNeighborMacChangeUpdatesTheNeighborAndAFailedUpdateUploadsItsConnections() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(41, p);
        NeighborCache arp = h.a.ip().neighbors(h.a.interfaces().getFirst(), false);
        MacAddress moved = MacAddress.parse("02:77:00:00:00:0c");
        arp.onAdvertisement(B4, moved, true, true, h.sim.nowNs());
        BlockList u = h.target.updates.getFirst();
        assertEquals(StateLayer.NEIGHBOR, u.layer());
        assertEquals(moved, u.neighborCached().dlDestinationAddress());
        h.target.complete(u, OffloadOperation.UPDATE, OffloadStatus.FAILURE);
        // spec §3.3.5: the host terminates what it could not update (the connection, then the neighbor)
        assertEquals(1, h.target.terminates.size());
        assertEquals(1, h.manager.counter(OffloadCounter.UPDATES_FAILED));
    }

    @Test
    void socketOptionsOnAnOffloadedConnectionBecomeATcpUpdate() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(42, p);
        var c = p[0].connection;
        c.updateCached(c.cached().withIpFields(17, 0x28, 0), false, false);
        c.updateCached(c.cached().withKeepAlive(true, 3, 5000, 1000), true, false);
        assertEquals(1, h.target.updates.size(), "one at a time (R-HOST-4)");
        BlockList u1 = h.target.updates.getFirst();
        assertEquals(17, u1.tcpCached().ttlOrHopLimit());
        assertEquals(0, u1.tcpUpdateFlags());
        h.target.complete(u1, OffloadOperation.UPDATE, OffloadStatus.SUCCESS);
        BlockList u2 = h.target.updates.getLast();
        assertTrue(u2.tcpCached().keepAliveEnabled());
        assertEquals(BlockList.TCP_FLAG_KEEP_ALIVE_RESTART, u2.tcpUpdateFlags());
        h.target.complete(u2, OffloadOperation.UPDATE, OffloadStatus.SUCCESS);
        c.updateCached(c.cached().withInitialRcvWnd(128 * 1024), false, false); // SO_RCVBUF
        BlockList u3 = h.target.updates.getLast();
        assertEquals(128 * 1024, u3.tcpCached().initialRcvWnd());
        assertEquals(BlockList.TCP_FLAG_UPDATE_RCV_WND, u3.tcpUpdateFlags(), "spec §3.3.4: advertise it");
    }

    // -------------------------------------------------------------------------------------------- next hops

    /** Makes 10.77.0.3 (B too) the next hop towards {@code 10.88.0.1}, as an ICMP redirect's host route would. */
    private static void moveFarNextHop(HostPair h) {
        var iface = h.a.interfaces().getFirst();
        h.a.ip().neighbors(iface, false).addStatic(HostPair.B4_OTHER_HOP, HostPair.MAC_B, h.sim.nowNs());
        h.a.ip().routes().add(new dev.chimney.ip.Route(dev.chimney.ip.IpCidr.parse("10.88.0.1/32"),
                HostPair.B4_OTHER_HOP, iface, 0, 0, null, dev.chimney.ip.Route.Origin.REDIRECT));
    }

    @Test
    void spec333_aNextHopChangeRelinksThePathToTheNewNeighbor() {
        HostPair h = new HostPair(53, OffloadPolicy.explicit());
        Peer near = h.connect(B4);
        Peer far = h.connect(HostPair.B4_FAR);
        h.manager.offload(List.of(near.connection, far.connection));
        h.target.succeed(h.target.lastInitiate());
        PathRecord farPath = h.manager.path(A4, HostPair.B4_FAR);
        NeighborRecord oldHop = farPath.neighbor();
        assertEquals(2, oldHop.dependents());

        moveFarNextHop(h);
        BlockList newNeighbor = h.target.lastInitiate();
        assertTrue(newNeighbor.isNewOffload(), "the new next hop is offloaded first (spec §3.3.3 step 2)");
        assertEquals(StateLayer.NEIGHBOR, newNeighbor.layer());
        assertNull(newNeighbor.dependents());
        assertTrue(h.target.updates.isEmpty());
        h.target.succeed(newNeighbor);
        BlockList relink = h.target.updates.getFirst();
        assertSame(newNeighbor.handle(), relink.handle(), "the update's root references the new neighbor");
        assertSame(farPath.handle(), relink.dependents().handle(), "its dependent references the path to move");
        assertEquals(OffloadState.UPDATING, farPath.state());
        h.target.complete(relink, OffloadOperation.UPDATE, OffloadStatus.SUCCESS);
        assertEquals(HostPair.B4_OTHER_HOP, farPath.neighbor().ip());
        assertEquals(1, farPath.neighbor().dependents());
        assertEquals(1, oldHop.dependents(), "the near path stays on the old neighbor");
        assertTrue(h.target.terminates.isEmpty());
        assertEquals(1, h.manager.counter(OffloadCounter.RELINKS));
        assertEquals(2, h.manager.offloadedNeighbors());
        // when the near connection goes, the old neighbor goes with its last path (R-HOST-5)
        h.manager.terminate(near.connection);
        BlockList t = h.target.lastTerminate();
        assertSame(oldHop.handle(), t.handle());
        h.target.succeedTerminate(t);
        assertEquals(1, h.manager.offloadedNeighbors());
        assertEquals(OffloadState.OFFLOADED, h.manager.state(far.connection));
    }

    @Test
    void aFailedRelinkUploadsThePathAndReleasesTheNewNeighbor() {
        HostPair h = new HostPair(54, OffloadPolicy.explicit());
        Peer far = h.connect(HostPair.B4_FAR);
        h.manager.offload(far.connection);
        h.target.succeed(h.target.lastInitiate());
        moveFarNextHop(h);
        h.target.succeed(h.target.lastInitiate());
        h.target.complete(h.target.updates.getFirst(), OffloadOperation.UPDATE, OffloadStatus.FAILURE);
        // spec §3.3.5: the connection is uploaded; the new neighbor, now useless, is terminated
        assertEquals(2, h.target.terminates.size());
        for (BlockList t : List.copyOf(h.target.terminates)) {
            h.target.succeedTerminate(t);
        }
        assertEquals(0, h.manager.offloadedConnections() + h.manager.offloadedPaths()
                + h.manager.offloadedNeighbors());
        far.connection.write(HostPair.pattern(500, 1));
        h.run(20 * MS);
        assertEquals(500, h.serverOf(far).received.size(), "on the host, through the new next hop");
    }

    // -------------------------------------------------------------------------------------- query, invalidate

    @Test
    void rHost6_aTerminateWaitsForTheOutstandingQuery() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(43, p);
        ConnectionRecord cr = h.manager.record(p[0].connection);
        List<BlockList> answers = new ArrayList<>();
        h.manager.query(cr, BlockList.DELEGATED, answers::add);
        h.manager.query(cr, BlockList.CACHED, answers::add); // queries may overlap (spec §3.5)
        h.manager.terminate(p[0].connection);
        assertTrue(h.target.terminates.isEmpty(), "R-HOST-6: not while queries are outstanding");
        h.target.complete(h.target.queries.get(0), OffloadOperation.QUERY, OffloadStatus.SUCCESS);
        assertTrue(h.target.terminates.isEmpty());
        h.target.complete(h.target.queries.get(1), OffloadOperation.QUERY, OffloadStatus.SUCCESS);
        assertEquals(2, answers.size());
        assertEquals(1, h.target.terminates.size(), "issued once the queries completed");
    }

    @Test
    void anInvalidatedNeighborIsNeverUpdatedAndItsConnectionsAreUploaded() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(44, p);
        NeighborRecord nr = h.manager.path(A4, B4).neighbor();
        h.manager.invalidate(nr);
        assertEquals(OffloadState.INVALIDATING, nr.state());
        assertThrows(IllegalStateException.class, () -> h.manager.invalidate(nr));
        NeighborCache arp = h.a.ip().neighbors(h.a.interfaces().getFirst(), false);
        arp.onAdvertisement(B4, MacAddress.parse("02:77:00:00:00:0d"), true, true, h.sim.nowNs());
        h.target.complete(h.target.invalidates.getFirst(), OffloadOperation.INVALIDATE, OffloadStatus.SUCCESS);
        assertTrue(h.target.updates.isEmpty(), "R-HOST-4: never an update of an invalidated object");
        assertEquals(1, h.target.terminates.size(), "its connection (with path and neighbor) is uploaded");
        h.target.succeedTerminate(h.target.lastTerminate());
        assertEquals(0, h.manager.offloadedNeighbors());
    }

    // ------------------------------------------------------------------------------------ neighbor reachability

    // spec §8: R-NRQ-7
    @Test
    void rHost15_rNrq7_reachabilityQueryIsAnsweredFromTheNeighborCache() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(45, p);
        NeighborRecord nr = h.manager.path(A4, B4).neighbor();
        NeighborCache arp = h.a.ip().neighbors(h.a.interfaces().getFirst(), false);
        NeighborEntry e = arp.lookup(B4);
        assertEquals(NeighborState.REACHABLE, e.state());
        BlockList q = BlockList.newNeighbor(new OffloadHandle(null), new NeighborOffloadState.Const(null, 0),
                new NeighborOffloadState.Cached(HostPair.MAC_B, 0), new NeighborOffloadState.Delegated(40_000));
        int hrd = h.target.host.neighborReachabilityQuery(nr.handle(), q);
        assertTrue(hrd > 0, "REACHABLE: non-zero");
        assertTrue(hrd < OffloadParameters.DEFAULTS.nceStaleTicks(), "not stale again at once");

        // let the entry go STALE (no traffic on the host: the connection is offloaded)
        h.run(60 * S);
        assertEquals(NeighborState.STALE, arp.lookup(B4).state());
        int stale = h.target.host.neighborReachabilityQuery(nr.handle(), q);
        assertEquals(0, stale, "stale: 0");
        assertTrue(h.target.queries.isEmpty(), "the follow-up query comes later");
        h.run(6 * S);
        assertEquals(1, h.target.queries.size(), "spec §5.2.4: the host queries the NRD");
        BlockList fq = h.target.queries.getFirst();
        assertEquals(BlockList.DELEGATED, fq.parts());
        // progress since the indication: the target's NRD is now small
        fq.neighborDelegated(new NeighborOffloadState.Delegated(10));
        h.target.complete(fq, OffloadOperation.QUERY, OffloadStatus.SUCCESS);
        assertEquals(NeighborState.REACHABLE, arp.lookup(B4).state(), "the target's progress confirms the NCE");
    }

    // spec §8: R-NRQ-7
    @Test
    void rNrq7_reachabilityWithoutProgressProbesAndAFailedNeighborIsInvalidated() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(46, p);
        NeighborRecord nr = h.manager.path(A4, B4).neighbor();
        NeighborCache arp = h.a.ip().neighbors(h.a.interfaces().getFirst(), false);
        h.run(60 * S);
        BlockList q = BlockList.newNeighbor(new OffloadHandle(null), new NeighborOffloadState.Const(null, 0),
                new NeighborOffloadState.Cached(HostPair.MAC_B, 0), new NeighborOffloadState.Delegated(40_000));
        assertEquals(0, h.target.host.neighborReachabilityQuery(nr.handle(), q));
        h.wire.aToB().impairments(dev.chimney.link.Impairments.NONE.withLoss(1.0)); // B no longer answers
        h.run(6 * S);
        BlockList fq = h.target.queries.getFirst();
        fq.neighborDelegated(new NeighborOffloadState.Delegated(50_000)); // no progress
        h.target.complete(fq, OffloadOperation.QUERY, OffloadStatus.SUCCESS);
        assertEquals(NeighborState.DELAY, arp.lookup(B4).state(), "NUD started");
        h.run(20 * S);
        assertNull(arp.lookup(B4), "no answer to the probes: the entry failed");
        assertEquals(1, h.target.invalidates.size(), "and the offloaded neighbor is invalidated (spec §5.2.4)");
    }

    // ------------------------------------------------------------------------------------- status indications

    @Test
    void pauseStopsNewOffloadsUploadAllDrainsAndResumeReopens() {
        HostPair h = new HostPair(47, OffloadPolicy.allEstablished());
        Peer c1 = h.connect(B4);
        h.target.succeed(h.target.lastInitiate());
        h.target.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        assertEquals(OffloadManager.Admission.PAUSED, h.manager.admission());
        Peer c2 = h.connect(B4);
        h.run(10 * MS);
        assertEquals(1, h.target.initiates.size(), "no new offloads while paused");
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(c2.connection));
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c1.connection), "existing ones run on");
        h.target.host.statusIndication(StatusIndication.UPLOAD_ALL, null);
        assertEquals(OffloadManager.Admission.UPLOADING_ALL, h.manager.admission());
        assertEquals(1, h.target.terminates.size());
        h.target.succeedTerminate(h.target.lastTerminate());
        assertEquals(OffloadManager.Admission.DRAINED, h.manager.admission());
        assertEquals(0, h.manager.offloadedConnections() + h.manager.offloadedPaths()
                + h.manager.offloadedNeighbors());
        h.target.host.statusIndication(StatusIndication.OFFLOAD_RESUME,
                RecordingTarget.GENEROUS.withCapacity(7));
        assertEquals(OffloadManager.Admission.OPEN, h.manager.admission());
        assertEquals(7, h.manager.capabilities().tcpConnectionOffloadCapacity(), "re-read at RESUME");
        h.connect(B4);
        h.run(10 * MS);
        assertEquals(2, h.target.initiates.size());
    }

    @Test
    void rPm2_terminateAllBeforeAPowerTransition() {
        HostPair h = new HostPair(48, OffloadPolicy.explicit());
        Peer c1 = h.connect(B4);
        Peer c2 = h.connect(HostPair.B4_FAR);
        Peer c3 = h.connect(B6);
        h.manager.offload(List.of(c1.connection, c2.connection, c3.connection));
        h.target.succeed(h.target.lastInitiate());
        h.manager.query(h.manager.record(c3.connection), BlockList.DELEGATED, b -> { });
        boolean[] ready = new boolean[1];
        h.manager.terminateAll(() -> ready[0] = true);
        assertFalse(ready[0]);
        BlockList all = h.target.lastTerminate();
        long tcpNodes = all.nodes().stream().filter(b -> b.layer() == StateLayer.TCP).count();
        assertEquals(2, tcpNodes, "the queried connection waits for its query (R-HOST-6)");
        h.target.succeedTerminate(all);
        assertFalse(ready[0]);
        h.target.complete(h.target.queries.getFirst(), OffloadOperation.QUERY, OffloadStatus.SUCCESS);
        h.target.succeedTerminate(h.target.lastTerminate());
        assertTrue(ready[0], "every connection, path and neighbor terminated before the power transition");
        assertEquals(OffloadManager.Admission.DRAINED, h.manager.admission());
        assertFalse(h.manager.offload(h.connect(B4).connection), "nothing offloaded until resume()");
        h.manager.resume();
        assertTrue(h.manager.offload(h.connect(B4).connection));
    }

    // spec §8: R-HOST-13
    @Test
    void rHost13_mediaDisconnectIsTheHostsDecision() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(49, p);
        h.run(100 * MS);
        assertTrue(h.target.terminates.isEmpty(), "nothing happens until the host decides");
        h.manager.mediaDisconnected(h.a.interfaces().getFirst());
        assertEquals(1, h.target.terminates.size());
    }

    // ---------------------------------------------------------------------------------------------- bad input

    @Test
    void badInputFromTheTargetIsCountedAndChangesNothing() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(50, p);
        h.targetMisbehaves = true; // the contract checker sees it too (asserted at the end)
        var host = h.target.host;
        long v0 = h.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS);
        // a completion for a tree this host never issued
        BlockList foreign = BlockList.reference(StateLayer.TCP, new OffloadHandle("elsewhere"), 0);
        foreign.status(OffloadStatus.SUCCESS);
        host.initiateOffloadComplete(foreign);
        host.terminateOffloadComplete(foreign);
        host.updateOffloadComplete(foreign);
        // an unknown handle: nothing taken, nothing delivered
        ReceiveIndication.Result r = host.receiveIndicate(new OffloadHandle("nobody"),
                new ReceiveIndication(new byte[10], 0, 10));
        assertEquals(OffloadStatus.OFFLOAD_DATA_NOT_ACCEPTED, r.status());
        host.tcpEvent(new OffloadHandle("nobody"), TcpEvent.ABORT);
        assertEquals(0, host.neighborReachabilityQuery(new OffloadHandle("nobody"), null));
        // a send completion for a request never posted
        SendRequest stray = SendRequest.of(new byte[5]);
        stray.complete(OffloadStatus.SUCCESS, 5);
        host.sendComplete(stray);
        assertEquals(v0 + 7, h.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS));
        assertEquals(OffloadState.OFFLOADED, h.manager.state(p[0].connection));
        assertTrue(h.target.terminates.isEmpty());
        assertEquals(0, p[0].received.size());
        // a send completed twice: the second is refused, the bytes are released once
        p[0].connection.write(HostPair.pattern(100, 1));
        SendRequest real = h.target.sends.getFirst();
        h.target.ackSends(1);
        int free = p[0].connection.writableBytes();
        host.sendComplete(real);
        assertEquals(free, p[0].connection.writableBytes());
        assertEquals(v0 + 8, h.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS));
        assertTrue(h.checker.targetViolations().size() >= 3, "the independent checker saw it too: "
                + h.checker.targetViolations());
    }

    @Test
    void anInitiateNodeClaimingSuccessWithoutContextOrWithABadStatusFailsOnTheHostSide() {
        HostPair h = new HostPair(51, OffloadPolicy.explicit());
        h.targetMisbehaves = true;
        Peer c1 = h.connect(B4);
        Peer c2 = h.connect(B4);
        h.manager.offload(List.of(c1.connection, c2.connection));
        BlockList root = h.target.lastInitiate();
        BlockList t1 = root.dependents().dependents();
        BlockList t2 = t1.next();
        for (BlockList b : root.nodes()) {
            b.status(OffloadStatus.SUCCESS);
            if (b != t1) {
                b.handle().miniportContext(b == t2 ? null : "ctx");
            }
        }
        t1.status(OffloadStatus.UPLOAD_IN_PROGRESS); // not an initiate status (spec §3.0 item 3)
        t1.handle().miniportContext("ctx");
        h.target.host.initiateOffloadComplete(root); // t2: SUCCESS but the slot stayed empty (R-TREE-6)
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(c1.connection));
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(c2.connection));
        assertEquals(2, h.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS));
        assertFalse(c1.connection.isParked());
        assertFalse(c2.connection.isParked());
        // both keep working on the host; the path and neighbor, now useless, are terminated
        assertEquals(1, h.target.terminates.size());
        h.target.succeedTerminate(h.target.lastTerminate());
        c1.connection.write(HostPair.pattern(1000, 1));
        h.run(50 * MS);
        assertEquals(1000, h.serverOf(c1).received.size());
        assertEquals(0, h.manager.outstandingOperations());
    }

    @Test
    void spec317_indicationsAndCompletionsBeforeTheInitiateCompletedCannotSpoilAFailedOffload() {
        HostPair h = new HostPair(55, OffloadPolicy.explicit());
        Peer c = h.connect(B4);
        Peer server = h.serverOf(c);
        byte[] unacked = HostPair.pattern(3000, 1);
        h.wire.aToB().impairments(dev.chimney.link.Impairments.NONE.withLoss(1.0));
        c.connection.write(unacked); // in flight, never acknowledged: the offload carries it as its send chain
        h.run(MS);
        h.wire.aToB().impairments(dev.chimney.link.Impairments.NONE);
        h.manager.offload(c.connection);
        BlockList root = h.target.lastInitiate();
        BlockList tcp = root.nodes().getLast();
        assertEquals(3000, tcp.sendChain().length());
        var handle = tcp.handle();
        var host = h.target.host;
        // a target that misbehaves while the initiate is outstanding (spec §3.1.7, §3.1.4)...
        assertEquals(OffloadStatus.OFFLOAD_DATA_NOT_ACCEPTED, host.receiveIndicate(handle,
                new ReceiveIndication(new byte[100], 0, 100)).status());
        host.tcpEvent(handle, TcpEvent.DISCONNECT);
        SendRequest chain = tcp.sendChain();
        chain.complete(OffloadStatus.SUCCESS, chain.length());
        host.sendComplete(chain);
        // ...then fails the connection's offload: the host carries on exactly as parked
        h.target.completeInitiate(root, b -> b == tcp ? OffloadStatus.RESOURCES : OffloadStatus.SUCCESS);
        assertEquals(3, h.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS));
        assertFalse(c.connection.isParked());
        h.sim.runUntil(() -> server.received.size() == 3000, h.sim.nowNs() + 5 * S);
        assertEquals(3000, server.received.size(), "the unacknowledged bytes were the host's and it resent them");
        assertFalse(c.eof, "no end of stream the peer never sent");
        assertEquals(0, c.received.size());
        h.target.succeedTerminate(h.target.lastTerminate()); // the neighbor and path, left without dependents
    }

    @Test
    void aFailedTerminateLosesTheConnectionOnlyAndTheRestIsConsistent() {
        Peer[] p = new Peer[1];
        HostPair h = withOffloaded(52, p);
        h.manager.terminate(p[0].connection);
        BlockList t = h.target.lastTerminate();
        for (BlockList b : t.nodes()) {
            b.status(OffloadStatus.FAILURE); // spec §3.2.9: catastrophic loss of the state
        }
        h.target.host.terminateOffloadComplete(t);
        assertEquals(dev.chimney.tcp.CloseReason.RESET, p[0].closed);
        assertEquals(0, h.manager.offloadedConnections() + h.manager.offloadedPaths()
                + h.manager.offloadedNeighbors());
        assertEquals(1, h.manager.counter(OffloadCounter.CONNECTIONS_LOST));
        h.run(10 * MS);
        assertEquals(0, h.a.tcp().connectionCount());
    }
}
