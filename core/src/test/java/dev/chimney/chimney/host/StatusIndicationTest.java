package dev.chimney.chimney.host;

import static dev.chimney.chimney.host.HostPair.B4;
import static dev.chimney.chimney.host.HostPair.B4_FAR;
import static dev.chimney.chimney.host.HostPair.B6;
import static dev.chimney.chimney.host.HostPair.MS;
import static dev.chimney.chimney.host.HostPair.S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.host.HostPair.Peer;
import dev.chimney.chimney.host.OffloadManager.Admission;
import dev.chimney.ip.NeighborCache;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The host's side of the three status indications (spec §5.1, checklist §8.10) and the admission state machine
 * (spec §5.1.4), one test per checklist id and per decision the spec leaves open (spec §9 items 30-32, documented on
 * {@link OffloadManager}). Tests with a {@link RecordingTarget} complete each request by hand, to place an
 * indication exactly between a request and its completion; end-to-end tests run host A's manager over a {@link
 * dev.chimney.chimney.target.SoftOffloadTarget} with real traffic. Every request passes the independent
 * host-contract checker, which also fails a test if an initiate carries a new offload while admission is closed.
 */
class StatusIndicationTest {

    @AfterEach
    void contractsKept() {
        HostPair.assertContractsKept();
    }

    private static long tcpNodes(BlockList root) {
        return root.nodes().stream().filter(b -> b.layer() == StateLayer.TCP).count();
    }

    private static HostPair softWith(long seed, OffloadPolicy policy, List<Peer> out, dev.chimney.wire.IpAddress...
            destinations) {
        HostPair h = HostPair.soft(seed, policy);
        for (dev.chimney.wire.IpAddress d : destinations) {
            out.add(h.connect(d));
        }
        h.run(5 * MS);
        return h;
    }

    private static void indicate(HostPair h, StatusIndication i) {
        h.soft.indicate(i);
        h.run(MS);
    }

    // ------------------------------------------------------------------------------------------------ PAUSE

    // spec §8: R-PAUSE-1
    @Test
    void rPause1_offloadedConnectionsKeepWorkingWhilePaused_dataUpdatesAndQueries() {
        List<Peer> p = new ArrayList<>();
        HostPair h = softWith(101, OffloadPolicy.allEstablished(), p, B4, B6);
        indicate(h, StatusIndication.OFFLOAD_PAUSE);
        assertEquals(Admission.PAUSED, h.manager.admission());
        Traffic t = new Traffic(h, p, 200_000, 1);
        NeighborCache arp = h.a.ip().neighbors(h.a.interfaces().getFirst(), false);
        long updates = h.manager.counter(OffloadCounter.UPDATES);
        BlockList[] queried = new BlockList[1];
        t.run(30 * S, new double[] {0.3, 0.6}, () -> {
            arp.onAdvertisement(B4, MacAddress.parse("02:77:00:00:00:0e"), true, true, h.sim.nowNs());
            h.manager.query(h.manager.record(p.get(1).connection), BlockList.DELEGATED, b -> queried[0] = b);
        }, () -> arp.onAdvertisement(B4, HostPair.MAC_B, true, true, h.sim.nowNs()));
        t.assertExact();
        assertEquals(updates + 2, h.manager.counter(OffloadCounter.UPDATES), "updates go on while paused");
        assertEquals(OffloadStatus.SUCCESS, queried[0].status(), "queries go on while paused");
        for (Peer c : p) {
            assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection));
        }
        assertEquals(2, h.soft.offloadedConnections());
        assertEquals(Admission.PAUSED, h.manager.admission());
    }

    // spec §8: R-PAUSE-4
    @Test
    void rPause4_afterPauseTheHostStartsNoNewOffload() {
        HostPair h = new HostPair(102, OffloadPolicy.allEstablished());
        Peer c1 = h.connect(B4);
        h.target.succeed(h.target.lastInitiate());
        h.target.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        assertEquals(Admission.PAUSED, h.manager.admission());
        Peer c2 = h.connect(B4_FAR); // the policy would offload it
        Peer c3 = h.connect(B6);
        h.run(20 * MS);
        assertEquals(1, h.target.initiates.size(), "no initiate while paused");
        assertFalse(h.manager.offload(c3.connection), "an explicit offload is refused too");
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(c2.connection));
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c1.connection));
        assertEquals(2, h.manager.deferredConnections(), "the policy's choices wait for RESUME");
    }

    // spec §8: R-PAUSE-6
    @Test
    void rPause6_withoutResumeOffloadedConnectionsRunOnIndefinitelyAndNothingNewIsOffloaded() {
        List<Peer> p = new ArrayList<>();
        HostPair h = softWith(103, OffloadPolicy.allEstablished(), p, B4);
        indicate(h, StatusIndication.OFFLOAD_PAUSE);
        for (int minute = 0; minute < 10; minute++) {
            Traffic t = new Traffic(h, p, 20_000, 10 + minute);
            t.run(10 * S);
            t.assertExact();
            Peer fresh = h.connect(B4);
            assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(fresh.connection));
            h.run(60 * S); // idle minutes: keepalive-free connections just sit there, offloaded
        }
        assertEquals(OffloadState.OFFLOADED, h.manager.state(p.getFirst().connection));
        assertEquals(1, h.soft.offloadedConnections());
        assertEquals(1, h.manager.counter(OffloadCounter.INITIATES), "ten minutes paused, no initiate");
        assertEquals(Admission.PAUSED, h.manager.admission());
    }

    @Test
    void rPause2_rPause3_anInitiateInFlightWhenThePauseReachesTheTargetIsQueuedAndCompletedAfterResume() {
        List<Peer> p = new ArrayList<>();
        HostPair h = softWith(104, OffloadPolicy.explicit(), p, B4);
        // the target pauses while the host's initiate is on its way: both reach the target loop, PAUSE first
        h.soft.indicate(StatusIndication.OFFLOAD_PAUSE);
        assertTrue(h.manager.offload(p.getFirst().connection));
        h.run(20 * MS);
        assertEquals(1, h.soft.queuedInitiates(), "accepted and queued (R-PAUSE-2)");
        assertEquals(OffloadState.INITIATING, h.manager.state(p.getFirst().connection));
        assertEquals(Admission.PAUSED, h.manager.admission());
        Traffic t = new Traffic(h, p, 50_000, 3);
        t.run(100 * MS); // the parked connection's data waits for the initiate; nothing is lost meanwhile
        indicate(h, StatusIndication.OFFLOAD_RESUME);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(p.getFirst().connection), "completed (R-PAUSE-3)");
        t.run(30 * S);
        t.assertExact();
    }

    // ------------------------------------------------------------------------------------------------ RESUME

    // spec §8: R-RESUME-1
    @Test
    void rResume1_offloadingStartsAgainOnlyAfterResume_withTheConnectionsChosenMeanwhile() {
        HostPair h = new HostPair(105, OffloadPolicy.allEstablished());
        h.target.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        Peer c1 = h.connect(B4);
        Peer c2 = h.connect(B6);
        h.run(100 * MS);
        assertTrue(h.target.initiates.isEmpty());
        h.target.host.statusIndication(StatusIndication.OFFLOAD_RESUME, null);
        assertEquals(Admission.OPEN, h.manager.admission());
        assertEquals(1, h.target.initiates.size(), "one tree for what waited");
        assertEquals(2, tcpNodes(h.target.lastInitiate()));
        h.target.succeed(h.target.lastInitiate());
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c1.connection));
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c2.connection));
        assertEquals(0, h.manager.deferredConnections());
    }

    // spec §8: R-RESUME-2
    @Test
    void rResume2_afterResumeTheHostReadsTheCapabilitiesAgainAndEnablesThem() {
        HostPair h = new HostPair(106, OffloadPolicy.explicit());
        h.target.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        // without capabilities in the indication the host queries the target (spec §5.1.2)
        h.target.capabilities = RecordingTarget.GENEROUS.withCapacity(33);
        h.target.host.statusIndication(StatusIndication.OFFLOAD_RESUME, null);
        assertEquals(33, h.manager.capabilities().tcpConnectionOffloadCapacity());
        assertSame(h.manager.capabilities(), h.target.enabled, "and sets them (spec §7.1)");
        // NDIS 6: the indication carries them
        h.target.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        OffloadCapabilities carried = RecordingTarget.GENEROUS.withCapacity(44);
        h.target.host.statusIndication(StatusIndication.OFFLOAD_RESUME, carried);
        assertSame(carried, h.manager.capabilities());
        assertSame(carried, h.target.enabled);
    }

    // spec §8: R-RESUME-3
    @Test
    void rResume3_lowerCapacityAndIpv6DroppedAreHonoured_whatNoLongerFitsIsUploadedFirst() {
        HostPair h = new HostPair(107, OffloadPolicy.explicit());
        Peer v4 = h.connect(B4);
        Peer far = h.connect(B4_FAR);
        Peer v6 = h.connect(B6);
        h.manager.offload(List.of(v4.connection, far.connection, v6.connection));
        h.target.succeed(h.target.lastInitiate());
        OffloadCapabilities before = h.target.enabled;
        h.target.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        OffloadCapabilities fewer = RecordingTarget.GENEROUS.withCapacity(1).withIp(true, false);
        h.target.host.statusIndication(StatusIndication.OFFLOAD_RESUME, fewer);
        assertEquals(Admission.OPEN, h.manager.admission());
        assertEquals(2, h.target.terminates.size(), "one terminate per connection that no longer fits");
        assertEquals(2, h.manager.counter(OffloadCounter.CAPABILITY_UPLOADS), "IPv6, and the newest beyond 1");
        assertEquals(OffloadState.TERMINATING, h.manager.state(far.connection));
        assertEquals(OffloadState.TERMINATING, h.manager.state(v6.connection));
        assertEquals(OffloadState.OFFLOADED, h.manager.state(v4.connection), "the oldest one fits");
        assertSame(before, h.target.enabled, "not disabled while connections still use it (spec §7.1)");
        for (BlockList t : new ArrayList<>(h.target.terminates)) {
            h.target.succeedTerminate(t);
        }
        assertSame(fewer, h.target.enabled, "enabled once they are back");
        Peer another = h.connect(B4);
        assertFalse(h.manager.offload(another.connection), "capacity 1 is taken");
        assertFalse(h.manager.offload(v6.connection), "no IPv6 any more");
    }

    @Test
    void rResume4_aResumeAskedForDuringTheUploadAllReachesTheHostAfterTheLastTerminate() {
        List<Peer> p = new ArrayList<>();
        HostPair h = softWith(108, OffloadPolicy.allEstablished(), p, B4, B4_FAR, B6);
        Traffic t = new Traffic(h, p, 100_000, 5);
        t.run(30 * S, new double[] {0.4}, () -> {
            h.soft.indicate(StatusIndication.UPLOAD_ALL);
            h.soft.indicate(StatusIndication.OFFLOAD_RESUME); // too early: the target holds it
        });
        t.assertExact();
        h.run(50 * MS);
        assertEquals(List.of(StatusIndication.UPLOAD_ALL, StatusIndication.OFFLOAD_RESUME), h.checker.indications());
        assertEquals(0, h.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS), "the host saw no early RESUME");
        assertTrue(h.checker.targetViolations().isEmpty(), h.checker.targetViolations().toString());
        assertEquals(3, h.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED));
        assertEquals(Admission.OPEN, h.manager.admission());
    }

    @Test
    void rResume4_decision_anEarlyResumeIsCountedAndTakesEffectWhenTheUploadAllHasDrained() {
        HostPair h = new HostPair(109, OffloadPolicy.allEstablished());
        h.targetMisbehaves = true;
        Peer c = h.connect(B4);
        h.target.succeed(h.target.lastInitiate());
        h.target.host.statusIndication(StatusIndication.UPLOAD_ALL, null);
        h.target.host.statusIndication(StatusIndication.OFFLOAD_RESUME, RecordingTarget.GENEROUS.withCapacity(5));
        assertEquals(1, h.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS), "R-RESUME-4 broken");
        assertEquals(Admission.UPLOADING_ALL, h.manager.admission(), "nothing offloaded while uploading");
        assertEquals(1, h.checker.targetViolations().size(), h.checker.targetViolations().toString());
        h.target.succeedTerminate(h.target.lastTerminate());
        assertEquals(Admission.OPEN, h.manager.admission(), "the RESUME takes effect now");
        assertEquals(5, h.manager.capabilities().tcpConnectionOffloadCapacity());
        assertEquals(2, h.target.initiates.size(), "and the connection goes back");
        h.target.succeed(h.target.lastInitiate());
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection));
    }

    // -------------------------------------------------------------------------------------------- UPLOAD_ALL

    // spec §8: R-UPLOAD-2
    @Test
    void rUpload1_rUpload2_everyConnectionIsTerminatedInSeveralCallsOfTheBatchSize_andNothingNewIsOffloaded() {
        HostPair h = new HostPair(110, OffloadPolicy.explicit());
        h.manager.uploadAllBatchSize(2);
        List<Peer> p = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            p.add(h.connect(B4));
        }
        h.manager.offload(p.stream().map(x -> x.connection).toList());
        h.target.succeed(h.target.lastInitiate());
        h.target.host.statusIndication(StatusIndication.UPLOAD_ALL, null);
        assertEquals(Admission.UPLOADING_ALL, h.manager.admission());
        assertFalse(h.manager.offload(h.connect(B6).connection), "R-UPLOAD-1");
        List<Long> sizes = new ArrayList<>();
        while (h.manager.admission() == Admission.UPLOADING_ALL) {
            assertEquals(1, h.manager.outstandingOperations(), "one batch at a time");
            BlockList t = h.target.lastTerminate();
            sizes.add(tcpNodes(t));
            h.target.succeedTerminate(t);
        }
        assertEquals(List.of(2L, 2L, 1L), sizes, "5 connections in batches of 2");
        assertEquals(Admission.DRAINED, h.manager.admission());
        assertEquals(5, h.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED));
        assertEquals(0, h.checker.heldObjects());
        assertEquals(1, h.target.initiates.size());
        assertThrows(IllegalArgumentException.class, () -> h.manager.uploadAllBatchSize(0));
    }

    // spec §8: R-UPLOAD-3
    @Test
    void rUpload3_pathsAndNeighborsAreTerminatedTooAndNeverBeforeTheirDependents() {
        HostPair h = new HostPair(111, OffloadPolicy.explicit());
        h.manager.uploadAllBatchSize(1);
        List<Peer> p = List.of(h.connect(B4), h.connect(B4_FAR), h.connect(B4), h.connect(B6), h.connect(B4_FAR));
        h.manager.offload(p.stream().map(x -> x.connection).toList());
        h.target.succeed(h.target.lastInitiate());
        Map<OffloadHandle, OffloadHandle> parentOf = new IdentityHashMap<>();
        for (BlockList n : h.target.lastInitiate().nodes()) {
            for (BlockList d = n.dependents(); d != null; d = d.next()) {
                parentOf.put(d.handle(), n.handle());
            }
        }
        h.target.host.statusIndication(StatusIndication.UPLOAD_ALL, null);
        Map<OffloadHandle, Integer> terminatedIn = new IdentityHashMap<>();
        int call = 0;
        while (h.manager.outstandingOperations() > 0) {
            BlockList t = h.target.terminates.get(call);
            for (BlockList b : t.nodes()) {
                if (b.handle() != null) {
                    terminatedIn.put(b.handle(), call);
                }
            }
            h.target.succeedTerminate(t);
            call++;
        }
        assertEquals(5 + 3 + 2, terminatedIn.size(), "5 connections, 3 paths, 2 neighbors");
        for (var e : parentOf.entrySet()) {
            assertTrue(terminatedIn.get(e.getKey()) <= terminatedIn.get(e.getValue()),
                    "a parent is terminated with or after its dependent");
        }
        assertTrue(call > 1, "several calls");
        assertEquals(Admission.DRAINED, h.manager.admission());
        assertEquals(0, h.manager.offloadedPaths() + h.manager.offloadedNeighbors());
    }

    // spec §8: R-UPLOAD-5
    @Test
    void rUpload5_sendsCompletedUploadInProgressAreSentByTheHostAfterTheTerminate() {
        HostPair h = new HostPair(112, OffloadPolicy.explicit());
        Peer c = h.connect(B4);
        h.manager.offload(c.connection);
        h.target.succeed(h.target.lastInitiate());
        byte[] data = HostPair.pattern(3000, 9);
        c.connection.write(data, 0, data.length);
        h.run(MS);
        SendRequest s = h.target.sends.getFirst();
        h.target.host.statusIndication(StatusIndication.UPLOAD_ALL, null);
        s.complete(OffloadStatus.UPLOAD_IN_PROGRESS, 0); // the target refuses it during the upload-all
        h.target.host.sendComplete(s);
        c.connection.write(data, 0, 10); // written after: stays with the host
        h.run(MS);
        assertEquals(1, h.target.sends.size(), "nothing more is posted");
        h.target.succeedTerminate(h.target.lastTerminate());
        Peer server = h.serverOf(c);
        h.sim.runUntil(() -> server.received.size() == 3010, h.sim.nowNs() + 5 * S);
        byte[] expect = new byte[3010];
        System.arraycopy(data, 0, expect, 0, 3000);
        System.arraycopy(data, 0, expect, 3000, 10);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expect, server.bytes());
        assertEquals(1, h.manager.counter(OffloadCounter.SEND_UPLOAD_IN_PROGRESS));
    }

    // spec §8: R-UPLOAD-6
    @Test
    void rUpload6_whenTheUploadAllFinishesTheTargetHoldsNothing() {
        List<Peer> p = new ArrayList<>();
        HostPair h = softWith(113, OffloadPolicy.allEstablished(), p, B4, B4, B4_FAR, B6, B6);
        h.manager.uploadAllBatchSize(2);
        assertEquals(5, h.soft.offloadedConnections());
        assertEquals(3, h.soft.offloadedPaths());
        Traffic t = new Traffic(h, p, 80_000, 11);
        t.run(30 * S, new double[] {0.5}, () -> h.soft.indicate(StatusIndication.UPLOAD_ALL));
        t.assertExact();
        assertEquals(Admission.DRAINED, h.manager.admission());
        assertEquals(0, h.soft.offloadedConnections() + h.soft.offloadedPaths() + h.soft.offloadedNeighbors());
        assertEquals(0, h.checker.heldObjects());
        assertTrue(h.manager.counter(OffloadCounter.TERMINATES) >= 3, "in several calls");
    }

    // spec §8: R-UPLOAD-7
    @Test
    void rUpload7_pauseUploadAllResumeUnderTrafficBothWaysKeepsEveryStreamExact() {
        List<Peer> p = new ArrayList<>();
        HostPair h = softWith(114, OffloadPolicy.allEstablished(), p, B4, B4, B4_FAR, B6);
        h.manager.uploadAllBatchSize(3);
        for (int round = 0; round < 3; round++) {
            Traffic t = new Traffic(h, p, 150_000, 20 + round);
            t.run(60 * S, new double[] {0.2, 0.35, 0.6},
                    () -> h.soft.indicate(StatusIndication.OFFLOAD_PAUSE),
                    () -> h.soft.indicate(StatusIndication.UPLOAD_ALL),
                    () -> h.soft.indicate(StatusIndication.OFFLOAD_RESUME));
            t.assertExact();
            h.run(20 * MS);
            assertEquals(Admission.OPEN, h.manager.admission());
            for (Peer c : p) {
                assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection), "re-offloaded after RESUME");
                assertEquals(TcpState.ESTABLISHED, c.connection.state());
            }
        }
        assertEquals(12, h.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED));
        for (Peer c : p) {
            assertTrue(c.closed == null && h.serverOf(c).closed == null, "no reset");
        }
    }

    // spec §8: R-UPLOAD-8
    @Test
    void rUpload8_wa32_uploadAllWithoutPauseAlsoClosesAdmissionUntilResume() {
        List<Peer> p = new ArrayList<>();
        HostPair h = softWith(115, OffloadPolicy.allEstablished(), p, B4);
        indicate(h, StatusIndication.UPLOAD_ALL);
        h.run(10 * MS);
        assertEquals(Admission.DRAINED, h.manager.admission(), "same reaction as after a PAUSE");
        Peer fresh = h.connect(B4);
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(fresh.connection), "closed until RESUME");
        IllegalStateException e = assertThrows(IllegalStateException.class, h.manager::resume);
        assertTrue(e.getMessage().contains("only its RESUME"), e.getMessage());
        indicate(h, StatusIndication.OFFLOAD_RESUME);
        h.run(5 * MS);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(p.getFirst().connection), "the uploaded one goes back");
        assertEquals(OffloadState.OFFLOADED, h.manager.state(fresh.connection), "and the one that waited");
    }

    // spec §8: R-UPLOAD-7
    @Test
    void rUpload7_aConnectionWhoseWindowGrewAtTheUploadIsOffloadedAgainAtResume() {
        List<Peer> p = new ArrayList<>();
        HostPair h = softWith(120, OffloadPolicy.allEstablished(), p, B4);
        Peer c = p.getFirst();
        c.reading = false; // the application stops reading: the ring fills, the target holds indicated data
        Peer server = h.serverOf(c);
        byte[] data = HostPair.pattern(400_000, 5);
        int[] written = {0};
        h.sim.runUntil(() -> {
            written[0] += server.connection.write(data, written[0], data.length - written[0]);
            return false;
        }, h.sim.nowNs() + 200 * MS);
        indicate(h, StatusIndication.UPLOAD_ALL); // the terminate returns the target's window plus buffered data
        h.run(20 * MS);
        assertEquals(1, h.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED));
        c.reading = true;
        c.drain();
        indicate(h, StatusIndication.OFFLOAD_RESUME);
        h.run(5 * MS);
        assertEquals(0, h.manager.counter(OffloadCounter.CONNECTIONS_OFFLOAD_FAILED), "R-OFF-15 at the target: "
                + h.manager);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection), "offloaded again");
        h.sim.runUntil(() -> {
            written[0] += server.connection.write(data, written[0], data.length - written[0]);
            return c.received.size() == data.length;
        }, h.sim.nowNs() + 30 * S);
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, c.bytes());
    }

    // ------------------------------------------------------------------------------- decisions (spec §9 30-32)

    @Test
    void wa30_aPauseWhileAnInitiateIsOutstandingLetsItCompleteAndKeepsItsConnection() {
        HostPair h = new HostPair(116, OffloadPolicy.explicit());
        Peer c = h.connect(B4);
        Peer d = h.connect(B6);
        h.manager.offload(c.connection);
        h.manager.offload(d.connection);
        h.target.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        h.target.succeed(h.target.initiates.get(0));
        h.target.completeInitiate(h.target.initiates.get(1), b -> OffloadStatus.RESOURCES);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection), "kept while paused");
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(d.connection), "a failure stays on the host");
        assertTrue(h.target.terminates.isEmpty());
        assertEquals(Admission.PAUSED, h.manager.admission());
    }

    @Test
    void wa30_wa31_anUploadAllWhileAnInitiateIsOutstandingTerminatesItsConnectionOnceOffloaded() {
        HostPair h = new HostPair(117, OffloadPolicy.explicit());
        Peer c = h.connect(B4);
        Peer d = h.connect(B6);
        h.manager.offload(c.connection);
        h.manager.offload(d.connection);
        h.target.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        h.target.host.statusIndication(StatusIndication.UPLOAD_ALL, null);
        assertEquals(Admission.UPLOADING_ALL, h.manager.admission(), "not drained: two initiates outstanding");
        assertTrue(h.target.terminates.isEmpty(), "nothing offloaded yet");
        h.target.succeed(h.target.initiates.get(0)); // the target offloaded the queued one (WA 31)
        assertEquals(1, h.target.terminates.size(), "terminated at once");
        assertEquals(OffloadState.TERMINATING, h.manager.state(c.connection));
        h.target.completeInitiate(h.target.initiates.get(1), b -> OffloadStatus.FAILURE); // or it could not
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(d.connection));
        assertFalse(d.connection.isParked());
        while (h.manager.outstandingOperations() > 0) {
            h.target.succeedTerminate(h.target.lastTerminate());
        }
        assertEquals(Admission.DRAINED, h.manager.admission());
        assertEquals(0, h.checker.heldObjects());
    }

    @Test
    void wa31_endToEnd_initiatesQueuedDuringPauseAreOffloadedThenUploadedByTheUploadAll() {
        List<Peer> p = new ArrayList<>();
        HostPair h = softWith(118, OffloadPolicy.explicit(), p, B4, B6);
        h.soft.indicate(StatusIndication.OFFLOAD_PAUSE);
        h.manager.offload(p.get(0).connection); // in flight when the PAUSE reaches the target: queued there
        h.manager.offload(p.get(1).connection);
        h.run(5 * MS);
        assertEquals(2, h.soft.queuedInitiates());
        Traffic t = new Traffic(h, p, 120_000, 13);
        t.run(50 * MS); // parked with their initiates queued: their data waits (held segments, retransmissions)
        assertEquals(0, t.arrived());
        h.soft.indicate(StatusIndication.UPLOAD_ALL);
        t.run(30 * S);
        t.assertExact();
        assertEquals(2, h.manager.counter(OffloadCounter.CONNECTIONS_OFFLOADED), "processed normally (WA 31)");
        assertEquals(2, h.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED), "then uploaded with the rest");
        assertEquals(Admission.DRAINED, h.manager.admission());
        assertEquals(0, h.soft.queuedInitiates() + h.soft.offloadedConnections());
    }

    @Test
    void decision_terminateAllAndTheTargetsHoldAreReleasedSeparately() {
        HostPair h = new HostPair(119, OffloadPolicy.allEstablished());
        Peer c = h.connect(B4);
        h.target.succeed(h.target.lastInitiate());
        boolean[] drained = {false};
        h.manager.terminateAll(() -> drained[0] = true);
        h.target.succeedTerminate(h.target.lastTerminate());
        assertTrue(drained[0]);
        h.target.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        h.target.host.statusIndication(StatusIndication.OFFLOAD_RESUME, RecordingTarget.GENEROUS.withCapacity(9));
        assertEquals(Admission.DRAINED, h.manager.admission(), "the host's own terminateAll still holds it");
        assertEquals(9, h.manager.capabilities().tcpConnectionOffloadCapacity(), "but the new set is noted");
        h.manager.resume();
        assertEquals(Admission.OPEN, h.manager.admission());
        assertEquals(2, h.target.initiates.size(), "the uploaded connection goes back");
        h.target.succeed(h.target.lastInitiate());
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection));
    }
}
