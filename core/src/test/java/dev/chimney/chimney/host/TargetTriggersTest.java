package dev.chimney.chimney.host;

import static dev.chimney.chimney.host.HostPair.B4;
import static dev.chimney.chimney.host.HostPair.B4_FAR;
import static dev.chimney.chimney.host.HostPair.B6;
import static dev.chimney.chimney.host.HostPair.MS;
import static dev.chimney.chimney.host.HostPair.S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.host.HostPair.Peer;
import dev.chimney.chimney.host.OffloadManager.Admission;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.link.Impairments;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The soft target raising status indications on its own triggers (issue 7 item 2; spec §5.1, §7.3, §7.5), seen
 * from the host: a link going down and up, a capability change that the offloaded objects fit and one they do not,
 * and context exhaustion. Every sequence keeps the byte streams exact and the contracts the checker watches
 * (R-PAUSE-4, R-RESUME-4).
 */
class TargetTriggersTest {

    @AfterEach
    void contractsKept() {
        HostPair.assertContractsKept();
    }

    @Test
    void linkDownPausesWithoutUploading_linkUpResumes_andTheConnectionRidesItOut() {
        HostPair h = HostPair.soft(201, OffloadPolicy.allEstablished());
        Peer c = h.connect(B4);
        h.run(5 * MS);
        Traffic t = new Traffic(h, List.of(c), 200_000, 1);
        t.runUntilShare(0.3, 30 * S);
        h.wire.aToB().impairments(Impairments.NONE.withLoss(1.0)); // the cable is pulled
        h.wire.bToA().impairments(Impairments.NONE.withLoss(1.0));
        h.soft.linkStatus(false);
        t.runFor(2 * S);
        assertEquals(Admission.PAUSED, h.manager.admission());
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection),
                "the target uploads nothing by itself (R-HOST-13): it retransmits meanwhile");
        h.wire.aToB().impairments(Impairments.NONE.withDelay(100_000, 0));
        h.wire.bToA().impairments(Impairments.NONE.withDelay(100_000, 0));
        h.soft.linkStatus(true);
        t.run(60 * S);
        t.assertExact();
        assertEquals(List.of(StatusIndication.OFFLOAD_PAUSE, StatusIndication.OFFLOAD_RESUME), h.checker.indications());
        assertEquals(Admission.OPEN, h.manager.admission());
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection));
    }

    @Test
    void aCapabilityChangeTheOffloadsFitIsPauseThenResumeCarryingTheNewSet() {
        HostPair h = HostPair.soft(202, OffloadPolicy.allEstablished());
        Peer c = h.connect(B4);
        h.run(5 * MS);
        OffloadCapabilities smaller = SoftOffloadTarget.DEFAULT_CAPABILITIES.withCapacity(10).withIp(true, false);
        h.soft.changeCapabilities(smaller);
        h.run(5 * MS);
        assertEquals(List.of(StatusIndication.OFFLOAD_PAUSE, StatusIndication.OFFLOAD_RESUME), h.checker.indications());
        assertEquals(smaller, h.manager.capabilities(), "the RESUME carried them (spec §7.3)");
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c.connection), "it still fits");
        Peer v6 = h.connect(B6);
        h.run(5 * MS);
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(v6.connection), "IPv6 is off now");
    }

    @Test
    void aCapabilityChangeTheOffloadsDoNotFitAddsAnUploadAllAndResumesAfterTheLastTerminate() {
        HostPair h = HostPair.soft(203, OffloadPolicy.allEstablished());
        List<Peer> p = new ArrayList<>(List.of(h.connect(B4), h.connect(B4_FAR), h.connect(B6)));
        h.run(5 * MS);
        assertEquals(3, h.soft.offloadedConnections());
        OffloadCapabilities v4only = SoftOffloadTarget.DEFAULT_CAPABILITIES.withCapacity(2).withIp(true, false);
        Traffic t = new Traffic(h, p, 150_000, 3);
        t.run(60 * S, new double[] {0.4}, () -> h.soft.changeCapabilities(v4only));
        t.assertExact();
        h.run(10 * MS);
        assertEquals(List.of(StatusIndication.OFFLOAD_PAUSE, StatusIndication.UPLOAD_ALL,
                StatusIndication.OFFLOAD_RESUME), h.checker.indications());
        assertEquals(3, h.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED));
        assertEquals(Admission.OPEN, h.manager.admission());
        assertEquals(2, h.soft.offloadedConnections(), "re-offloaded within the new capacity, IPv4 only");
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(p.get(2).connection));
    }

    @Test
    void contextExhaustionPausesBeforeTheLastAreaAndResumesWhenAreasAreFreed() {
        // neighbor + path + connection = 3 areas: the first connection fills them and the target pauses
        HostPair h = HostPair.soft(204, OffloadPolicy.allEstablished(), b -> b.pauseAtObjects(3, 1));
        Peer first = h.connect(B4);
        h.run(5 * MS);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(first.connection));
        assertEquals(Admission.PAUSED, h.manager.admission());
        Peer second = h.connect(B4);
        h.run(5 * MS);
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(second.connection), "no RESOURCES failure: paused");
        assertEquals(0, h.manager.counter(OffloadCounter.CONNECTIONS_OFFLOAD_FAILED));
        h.manager.terminate(first.connection);
        h.run(5 * MS);
        assertEquals(List.of(StatusIndication.OFFLOAD_PAUSE, StatusIndication.OFFLOAD_RESUME, StatusIndication
                .OFFLOAD_PAUSE), h.checker.indications(), "areas freed: RESUME, and the waiting one fills them again");
        assertEquals(OffloadState.OFFLOADED, h.manager.state(second.connection), "the deferred one went");
        assertFalse(h.manager.state(first.connection) == OffloadState.OFFLOADED);
        assertThrows(IllegalArgumentException.class, () -> SoftOffloadTarget.builder(h.soft.loop(), h.wire.a())
                .pauseAtObjects(2, 3));
    }

    @Test
    void eachIndicationOnDemandReachesTheHostOnceAndInOrder() {
        HostPair h = HostPair.soft(205, OffloadPolicy.allEstablished());
        h.connect(B4);
        h.run(5 * MS);
        for (StatusIndication i : List.of(StatusIndication.OFFLOAD_PAUSE, StatusIndication.OFFLOAD_RESUME,
                StatusIndication.UPLOAD_ALL, StatusIndication.OFFLOAD_RESUME)) {
            h.soft.indicate(i);
            h.run(5 * MS);
        }
        assertEquals(List.of(StatusIndication.OFFLOAD_PAUSE, StatusIndication.OFFLOAD_RESUME,
                StatusIndication.UPLOAD_ALL, StatusIndication.OFFLOAD_RESUME), h.checker.indications());
        assertEquals(2, h.soft.indicationsRaised(StatusIndication.OFFLOAD_RESUME));
        assertEquals(Admission.OPEN, h.manager.admission());
        assertEquals(1, h.soft.offloadedConnections());
    }
}
