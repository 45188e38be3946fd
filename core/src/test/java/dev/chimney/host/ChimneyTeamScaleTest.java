package dev.chimney.host;

import static dev.chimney.host.TeamScenario.MS;
import static dev.chimney.host.TeamScenario.S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadState;
import org.junit.jupiter.api.Test;

/**
 * Scale (issue 7 item 5): N offloaded connections, every one transferring both ways through a team of two soft
 * targets on a virtual switch, go through an UPLOAD_ALL under traffic, a RESUME that offloads them again, and a team
 * failover (PAUSE → UPLOAD_ALL → switch → RESUME) that moves them to the other member; every byte stream matches
 * exactly, every connection closes normally, and the contract checker between the manager and the team saw every
 * request — every send included — completed exactly once with a legal status. Prints the wall time of each phase
 * (the simulator makes virtual time free: the figures are the CPU cost of host, team, targets and peer together).
 */
class ChimneyTeamScaleTest {

    private static void scale(int n) {
        // 4 KiB windows over a 200 ms round trip and 4-12 KB each way: every transfer lasts about a second of
        // virtual time (so every phase happens in the middle of them) and 10,000 connections fit a test JVM
        TeamScenario s = TeamScenario.params().seed(7000 + n).connections(n).minBytes(4_000).maxBytes(12_000)
                .buffers(4 * 1024).delayNs(50 * MS).batch(512).ipv6Share(0.2).staticNeighbors(true)
                .openPerMs(200).build();
        long t0 = System.nanoTime();
        assertTrue(s.sim.runUntil(() -> s.manager.counter(OffloadCounter.CONNECTIONS_OFFLOADED) == n,
                s.sim.nowNs() + 30 * S), "all offloaded: " + s.report());
        int moving = transferring(s);

        assertEquals(n, moving, "every connection is offloaded and still transferring");
        long t1 = System.nanoTime();

        // 1. UPLOAD_ALL under traffic
        long terminatesBefore = s.manager.counter(OffloadCounter.TERMINATES);
        s.nic0.indicate(StatusIndication.UPLOAD_ALL);
        assertTrue(s.sim.runUntil(() -> s.manager.admission() == OffloadManager.Admission.DRAINED,
                s.sim.nowNs() + 30 * S), s.report());
        long t2 = System.nanoTime();
        long uploadAllCalls = s.manager.counter(OffloadCounter.TERMINATES) - terminatesBefore;
        assertEquals(n, s.manager.counter(OffloadCounter.CONNECTIONS_UPLOADED));
        assertEquals(0, s.nic0.offloadedConnections() + s.nic0.offloadedPaths() + s.nic0.offloadedNeighbors());
        int stillMoving = transferring(s);
        assertTrue(stillMoving > n * 9 / 10, "uploaded under traffic: " + stillMoving + " still transferring");

        // 2. RESUME: the host offloads them again
        s.nic0.indicate(StatusIndication.OFFLOAD_RESUME);
        assertTrue(s.sim.runUntil(() -> settled(s), s.sim.nowNs() + 30 * S), s.report());
        long t3 = System.nanoTime();
        int reoffloaded = s.nic0.offloadedConnections();
        assertTrue(reoffloaded > n * 8 / 10, "re-offloaded: " + reoffloaded);

        // 3. team failover: everything moves to member 1
        long before = s.manager.counter(OffloadCounter.TERMINATES);
        s.team.failover();
        assertTrue(s.sim.runUntil(() -> s.team.failovers() == 1, s.sim.nowNs() + 30 * S), s.report());
        long t4 = System.nanoTime();
        long failoverCalls = s.manager.counter(OffloadCounter.TERMINATES) - before;
        s.sim.runFor(10 * MS);
        int onNew = s.nic1.offloadedConnections();
        assertTrue(onNew > n * 7 / 10, "on the new member: " + onNew + " " + s.report());

        assertTrue(s.run(600 * S), s.failures() + "\n" + s.report());
        s.sim.runFor(500 * MS);
        long t5 = System.nanoTime();
        assertNull(s.failures(), s.report());
        assertTrue(s.checker.violations().isEmpty(), s.checker.violations().toString());
        assertTrue(s.checker.targetViolations().isEmpty(), s.checker.targetViolations().toString());
        assertEquals(0, s.checker.outstandingRequests(), "every request completed");
        assertEquals(0, s.checker.heldObjects());
        assertEquals(0, s.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS));
        assertEquals(0, s.manager.counter(OffloadCounter.CONNECTIONS_LOST));
        Runtime rt = Runtime.getRuntime();
        System.out.printf("team scale %,d connections (%,d bytes both ways): set-up+offload %.1f s, UPLOAD_ALL %.2f s "
                + "(%d terminate calls), RESUME+re-offload %.2f s (%,d), failover %.2f s (%d terminate calls, "
                + "%,d on the new member), "
                + "the rest %.1f s; %,d send requests, %,d completed UPLOAD_IN_PROGRESS; heap in use %,d MB; "
                + "%.1f s simulated%n", n, s.expected(), (t1 - t0) / 1e9, (t2 - t1) / 1e9,
                uploadAllCalls, (t3 - t2) / 1e9, reoffloaded, (t4 - t3) / 1e9, failoverCalls, onNew,
                (t5 - t4) / 1e9, s.manager.counter(OffloadCounter.SEND_REQUESTS),
                s.manager.counter(OffloadCounter.SEND_UPLOAD_IN_PROGRESS), (rt.totalMemory() - rt.freeMemory()) >> 20,
                s.sim.nowNs() / 1e9);
    }

    /** Client connections that still have bytes to receive (the server sends once it has the request). */
    private static int transferring(TeamScenario s) {
        int k = 0;
        for (StreamEndpoint c : s.clients) {
            if (c.closed == null && c.received < c.expectBytes) {
                k++;
            }
        }
        return k;
    }

    /** No connection is on its way to or from the target. */
    private static boolean settled(TeamScenario s) {
        for (StreamEndpoint c : s.clients) {
            OffloadState st = s.manager.state(c.connection);
            if (st == OffloadState.INITIATING || st == OffloadState.TERMINATING) {
                return false;
            }
        }
        return s.manager.deferredConnections() == 0;
    }

    /** About 30 s of wall time on this machine (figures printed), so it runs by default. */
    @Test
    void tenThousandConnectionsThroughUploadAllResumeAndAFailover() {
        scale(10_000);
    }
}
