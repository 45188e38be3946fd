package dev.chimney.chimney.host;

import static dev.chimney.chimney.host.HostPair.B4;
import static dev.chimney.chimney.host.HostPair.B4_FAR;
import static dev.chimney.chimney.host.HostPair.B6;
import static dev.chimney.chimney.host.HostPair.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.host.HostPair.Peer;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpState;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Offload state trees as the host builds them (spec §2.10-§2.14) and their partial failures (spec §3.1.4), dependent
 * counts and terminate trees (R-HOST-5), against a recording target; every connection whose offload failed keeps
 * working on the host.
 */
class OffloadTreeTest {

    /** Whatever a test does, the host kept every rule of spec §3.8 towards the target (an independent check). */
    @AfterEach
    void hostRulesKept() {
        HostPair.assertContractsKept();
    }


    /**
     * Sends {@code n} bytes each way over {@code client} and its server end and checks both arrive intact. Written
     * as the send buffers take them: a buffer starts below its maximum and grows with use (autotuning).
     */
    private static void exchange(HostPair h, Peer client, int n) {
        Peer server = h.serverOf(client);
        byte[] up = HostPair.pattern(n, 1);
        byte[] down = HostPair.pattern(n, 2);
        int before = client.received.size();
        int serverBefore = server.received.size();
        int upWritten = 0;
        int downWritten = 0;
        long writeDeadline = h.sim.nowNs() + 10 * HostPair.S;
        while ((upWritten < n || downWritten < n) && h.sim.nowNs() < writeDeadline) {
            upWritten += client.connection.write(up, upWritten, n - upWritten);
            downWritten += server.connection.write(down, downWritten, n - downWritten);
            h.sim.runFor(MS);
        }
        assertEquals(n, upWritten, "A -> B written");
        assertEquals(n, downWritten, "B -> A written");
        h.sim.runUntil(() -> server.received.size() == serverBefore + n && client.received.size() == before + n,
                h.sim.nowNs() + 10 * HostPair.S);
        byte[] gotUp = java.util.Arrays.copyOfRange(server.bytes(), serverBefore, serverBefore + n);
        byte[] gotDown = java.util.Arrays.copyOfRange(client.bytes(), before, before + n);
        assertArrayEquals(up, gotUp, "A -> B on the host path");
        assertArrayEquals(down, gotDown, "B -> A on the host path");
    }

    @Test
    void oneInitiateCarriesNeighborPathAndConnectionsAsNewOffloads() {
        HostPair h = new HostPair(1, OffloadPolicy.explicit());
        Peer c1 = h.connect(B4);
        Peer c2 = h.connect(B4);
        assertEquals(2, h.manager.offload(List.of(c1.connection, c2.connection)));
        BlockList root = h.target.lastInitiate();
        assertEquals(StateLayer.NEIGHBOR, root.layer());
        assertTrue(root.isNewOffload());
        assertNull(root.next());
        BlockList path = root.dependents();
        assertEquals(StateLayer.IPV4_PATH, path.layer());
        assertTrue(path.isNewOffload());
        assertEquals(B4, path.pathConst().destinationAddress());
        assertEquals(1500, path.pathCached().pathMtu());
        assertEquals(HostPair.MAC_B, root.neighborCached().dlDestinationAddress());
        assertEquals(root.neighborCached().hostReachabilityDelta(),
                root.neighborDelegated().nicReachabilityDelta(), "spec §5.2.1: HRD = NRD at offload");
        BlockList t1 = path.dependents();
        BlockList t2 = t1.next();
        assertEquals(StateLayer.TCP, t1.layer());
        assertSame(c1.connection, ((ConnectionRecord) t1.handle().owner()).connection());
        assertSame(c2.connection, ((ConnectionRecord) t2.handle().owner()).connection());
        assertNull(t2.next());
        assertEquals(0, t1.tcpDelegated().sendDataLength(), "send data travels as the send chain (spec §3.1.6)");
        assertEquals(TcpState.ESTABLISHED, t1.tcpDelegated().state());
        assertEquals(c1.connection.rcvNxt(), t1.tcpDelegated().rcvNxt());
        assertTrue(c1.connection.isParked());
        assertEquals(OffloadState.INITIATING, h.manager.state(c1.connection));
        assertEquals(2, h.manager.offloadedConnections());

        h.target.succeed(root);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c1.connection));
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c2.connection));
        PathRecord pr = h.manager.path(HostPair.A4, B4);
        assertEquals(2, pr.dependents());
        assertEquals(1, pr.neighbor().dependents());
        assertEquals(OffloadState.OFFLOADED, pr.neighbor().state());
        assertEquals(1, h.manager.offloadedPaths());
        assertEquals(1, h.manager.offloadedNeighbors());
        assertEquals(2, h.manager.counter(OffloadCounter.CONNECTIONS_OFFLOADED));
    }

    @Test
    void laterOffloadsLinkToWhatIsAlreadyOffloaded() {
        HostPair h = new HostPair(2, OffloadPolicy.explicit());
        Peer c1 = h.connect(B4);
        h.manager.offload(c1.connection);
        h.target.succeed(h.target.lastInitiate());

        // same path: a placeholder neighbor and a linker path above the new connection (spec §2.11)
        Peer c2 = h.connect(B4);
        h.manager.offload(c2.connection);
        BlockList root = h.target.lastInitiate();
        assertTrue(root.isPlaceholder(), "the path is offloaded: nothing to say about its neighbor");
        BlockList path = root.dependents();
        assertFalse(path.isPlaceholder());
        assertFalse(path.isNewOffload(), "a linker to the offloaded path");
        assertSame(h.manager.path(HostPair.A4, B4), path.handle().owner());
        assertTrue(path.dependents().isNewOffload());
        h.target.succeed(root);

        // another destination through the same next hop: a linker neighbor above a new path
        Peer c3 = h.connect(B4_FAR);
        h.manager.offload(c3.connection);
        BlockList root3 = h.target.lastInitiate();
        assertFalse(root3.isPlaceholder());
        assertFalse(root3.isNewOffload(), "a linker to the offloaded neighbor");
        assertTrue(root3.dependents().isNewOffload());
        assertEquals(B4_FAR, root3.dependents().pathConst().destinationAddress());
        h.target.succeed(root3);
        NeighborRecord nr = h.manager.path(HostPair.A4, B4).neighbor();
        assertSame(nr, h.manager.path(HostPair.A4, B4_FAR).neighbor());
        assertEquals(2, nr.dependents());
        assertEquals(2, h.manager.path(HostPair.A4, B4).dependents());
        assertEquals(1, h.manager.offloadedNeighbors());
    }

    @Test
    void aBulkTreeHangsSeveralNeighborsAndPathsInTraversalOrder() {
        HostPair h = new HostPair(3, OffloadPolicy.explicit());
        Peer v4 = h.connect(B4);
        Peer far = h.connect(B4_FAR);
        Peer v6 = h.connect(B6);
        h.manager.offload(List.of(v4.connection, v6.connection, far.connection));
        BlockList root = h.target.lastInitiate();
        List<BlockList> order = root.nodes();
        // N(v4) → P(B4) → T(v4), P(far) → T(far); N(v6) → P(B6) → T(v6): depth-first, then breadth (spec §2.14)
        assertEquals(List.of(StateLayer.NEIGHBOR, StateLayer.IPV4_PATH, StateLayer.TCP, StateLayer.IPV4_PATH,
                StateLayer.TCP, StateLayer.NEIGHBOR, StateLayer.IPV6_PATH, StateLayer.TCP),
                order.stream().map(BlockList::layer).toList());
        h.target.succeed(root);
        assertEquals(3, h.manager.offloadedConnections());
        assertEquals(3, h.manager.offloadedPaths());
        assertEquals(2, h.manager.offloadedNeighbors());
    }

    @Test
    void spec314_aFailedConnectionStaysOnTheHostAndItsPathIsPartial() {
        HostPair h = new HostPair(4, OffloadPolicy.explicit());
        Peer c1 = h.connect(B4);
        Peer c2 = h.connect(B4);
        h.manager.offload(List.of(c1.connection, c2.connection));
        BlockList root = h.target.lastInitiate();
        BlockList t2 = root.dependents().dependents().next();
        h.target.completeInitiate(root, b -> b == t2 ? OffloadStatus.RESOURCES : OffloadStatus.SUCCESS);
        assertEquals(OffloadStatus.OFFLOAD_PARTIAL_SUCCESS, root.dependents().status());
        assertEquals(OffloadStatus.SUCCESS, root.status(), "a parent looks one level down (spec §3.1.4)");
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c1.connection));
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(c2.connection));
        assertFalse(c2.connection.isParked());
        assertEquals(1, h.manager.path(HostPair.A4, B4).dependents());
        assertEquals(1, h.manager.counter(OffloadCounter.CONNECTIONS_OFFLOAD_FAILED));
        exchange(h, c2, 20_000);
    }

    @Test
    void spec314_aFailedPathFailsItsConnectionsAndTheUselessNeighborIsTerminated() {
        HostPair h = new HostPair(5, OffloadPolicy.explicit());
        Peer c1 = h.connect(B4);
        Peer c2 = h.connect(B4_FAR);
        h.manager.offload(List.of(c1.connection, c2.connection));
        BlockList root = h.target.lastInitiate();
        h.target.completeInitiate(root, b -> b.layer().isPath() ? OffloadStatus.OFFLOAD_PATH_ENTRIES
                : OffloadStatus.SUCCESS);
        assertEquals(OffloadStatus.OFFLOAD_PARTIAL_SUCCESS, root.status());
        for (BlockList t : List.of(root.dependents().dependents(), root.dependents().next().dependents())) {
            assertEquals(OffloadStatus.FAILURE, t.status(), "dependents of a failed node are not attempted");
            assertNull(t.handle().miniportContext());
        }
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(c1.connection));
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(c2.connection));
        assertEquals(0, h.manager.offloadedConnections());
        assertEquals(0, h.manager.offloadedPaths());
        // R-HOST-5: the neighbor offloaded but left without dependents: the now-useless parent is terminated
        assertEquals(1, h.target.terminates.size());
        BlockList term = h.target.lastTerminate();
        assertEquals(StateLayer.NEIGHBOR, term.layer());
        assertSame(root.handle(), term.handle());
        h.target.succeedTerminate(term);
        assertEquals(0, h.manager.offloadedNeighbors());
        assertTrue(h.manager.neighbors().isEmpty());
        exchange(h, c1, 10_000);
        exchange(h, c2, 10_000);
    }

    @Test
    void spec314_aFailedRootStopsEverythingAndEveryConnectionWorksOnTheHost() {
        HostPair h = new HostPair(6, OffloadPolicy.explicit());
        Peer v4 = h.connect(B4);
        Peer v6 = h.connect(B6);
        h.manager.offload(List.of(v4.connection, v6.connection));
        BlockList root = h.target.lastInitiate();
        h.target.completeInitiate(root, b -> b == root ? OffloadStatus.OFFLOAD_NEIGHBOR_ENTRIES
                : OffloadStatus.SUCCESS);
        for (BlockList b : root.nodes()) {
            if (b != root) {
                assertEquals(OffloadStatus.FAILURE, b.status(), b.toString());
            }
        }
        assertEquals(0, h.manager.offloadedConnections() + h.manager.offloadedPaths()
                + h.manager.offloadedNeighbors());
        assertTrue(h.target.terminates.isEmpty(), "nothing was offloaded, nothing to terminate");
        exchange(h, v4, 30_000);
        exchange(h, v6, 30_000);
    }

    @Test
    void dataWrittenAndSegmentsReceivedDuringAFailedOffloadAreTheHostsAgain() {
        HostPair h = new HostPair(7, OffloadPolicy.explicit());
        Peer c = h.connect(B4);
        Peer server = h.serverOf(c);
        h.manager.offload(c.connection);
        byte[] up = HostPair.pattern(5000, 3);
        byte[] down = HostPair.pattern(7000, 4);
        c.connection.write(up); // while INITIATING: nothing is posted (R-HOST-3)
        server.connection.write(down);
        h.run(20 * MS); // B's segments reach A's parked connection and are held (R-HOST-8)
        assertTrue(h.target.sends.isEmpty());
        assertTrue(h.target.forwards.isEmpty());
        assertTrue(h.manager.counter(OffloadCounter.HELD_SEGMENTS) > 0);
        h.target.completeInitiate(h.target.lastInitiate(), b -> OffloadStatus.FAILURE);
        assertFalse(c.connection.isParked());
        h.sim.runUntil(() -> server.received.size() == up.length && c.received.size() == down.length,
                h.sim.nowNs() + 10 * HostPair.S);
        assertArrayEquals(up, server.bytes());
        assertArrayEquals(down, c.bytes());
    }

    @Test
    void rHost5_terminatingTheLastDependentTakesPathAndNeighborInTheSameTree() {
        HostPair h = new HostPair(8, OffloadPolicy.explicit());
        Peer c1 = h.connect(B4);
        Peer c2 = h.connect(B4);
        h.manager.offload(List.of(c1.connection, c2.connection));
        h.target.succeed(h.target.lastInitiate());

        h.manager.terminate(c1.connection);
        BlockList t1 = h.target.lastTerminate();
        assertEquals(StateLayer.TCP, t1.layer(), "the path keeps a dependent: a plain TCP node");
        assertNull(t1.next());
        assertEquals(BlockList.DELEGATED, t1.parts());
        assertEquals(OffloadState.TERMINATING, h.manager.state(c1.connection));
        h.target.succeedTerminate(t1);
        assertFalse(c1.connection.isParked());
        assertEquals(OffloadState.NOT_OFFLOADED, h.manager.state(c1.connection));
        assertEquals(1, h.manager.path(HostPair.A4, B4).dependents());
        assertEquals(1, h.target.terminates.size(), "the path still has a dependent (R-HOST-5)");

        h.manager.terminate(c2.connection);
        BlockList t2 = h.target.lastTerminate();
        assertEquals(StateLayer.NEIGHBOR, t2.layer(), "the whole combination in one tree (spec §3.2.3)");
        assertFalse(t2.isPlaceholder());
        assertEquals(StateLayer.IPV4_PATH, t2.dependents().layer());
        assertEquals(StateLayer.TCP, t2.dependents().dependents().layer());
        assertEquals(OffloadState.TERMINATING, h.manager.path(HostPair.A4, B4).state());
        h.target.succeedTerminate(t2);
        assertEquals(0, h.manager.offloadedConnections() + h.manager.offloadedPaths()
                + h.manager.offloadedNeighbors());
        assertTrue(h.manager.paths().isEmpty());
        assertTrue(h.manager.neighbors().isEmpty());
        exchange(h, c1, 10_000);
        exchange(h, c2, 10_000);
        assertEquals(2, h.uploaded.size());
    }

    @Test
    void aConnectionWhosePathIsBeingTerminatedWaitsAndIsOffloadedAfterwards() {
        HostPair h = new HostPair(9, OffloadPolicy.explicit());
        Peer c1 = h.connect(B4);
        Peer c2 = h.connect(B4);
        h.manager.offload(c1.connection);
        h.target.succeed(h.target.lastInitiate());
        h.manager.terminate(c1.connection); // terminates the path and the neighbor with it
        BlockList term = h.target.lastTerminate();
        assertTrue(h.manager.offload(c2.connection), "accepted: it waits for the path");
        assertEquals(1, h.target.initiates.size(), "no initiate while the path is terminating (R-HOST-7)");
        assertEquals(1, h.manager.counter(OffloadCounter.WAITED_FOR_LOWER));
        h.target.succeedTerminate(term);
        assertEquals(2, h.target.initiates.size());
        BlockList root = h.target.lastInitiate();
        assertTrue(root.isNewOffload(), "the neighbor is offloaded afresh");
        assertTrue(root.dependents().isNewOffload());
        h.target.succeed(root);
        assertEquals(OffloadState.OFFLOADED, h.manager.state(c2.connection));
    }

    @Test
    void rHost1_onlyOffloadableStatesAndNeverTwice() {
        HostPair h = new HostPair(10, OffloadPolicy.explicit());
        Peer c = h.connect(B4);
        h.manager.offload(c.connection);
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> h.manager.offload(c.connection));
        assertTrue(twice.getMessage().contains("R-HOST-3"), twice.getMessage());
        IllegalStateException early = assertThrows(IllegalStateException.class,
                () -> h.manager.terminate(c.connection));
        assertTrue(early.getMessage().contains("being offloaded"), early.getMessage());
        assertEquals(1, h.target.initiates.size());
        h.target.succeed(h.target.lastInitiate());

        Peer d = h.connect(B4);
        d.connection.abort();
        IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> h.manager.offload(d.connection));
        assertTrue(closed.getMessage().contains("R-HOST-1"), closed.getMessage());
        TcpConnection syn = h.a.connect(B4, HostPair.PORT, new Peer());
        assertEquals(TcpState.SYN_SENT, syn.state());
        IllegalStateException synSent = assertThrows(IllegalStateException.class, () -> h.manager.offload(syn));
        assertTrue(synSent.getMessage().contains("wait for ESTABLISHED"), synSent.getMessage());
        assertEquals(1, h.target.initiates.size(), "nothing reached the target");
        assertThrows(IllegalStateException.class, () -> h.manager.terminate(d.connection));
        assertEquals(CloseReason.ABORTED, d.closed);
    }

    @Test
    void rHost1_halfClosedConnectionsAreOffloadedButNotOnceBothFinsAreUnderWay() {
        HostPair h = new HostPair(11, OffloadPolicy.explicit());
        Peer closeWait = h.connect(B4);
        h.serverOf(closeWait).connection.shutdownOutput();
        h.run(5 * MS);
        assertEquals(TcpState.CLOSE_WAIT, closeWait.connection.state());
        assertTrue(h.manager.offload(closeWait.connection));
        BlockList root = h.target.lastInitiate();
        assertEquals(TcpState.CLOSE_WAIT, root.nodes().getLast().tcpDelegated().state());
        h.target.succeed(root);
        assertTrue(h.manager.record(closeWait.connection).peerFin, "the peer's FIN came with the snapshot");

        Peer finWait = h.connect(B4);
        h.serverOf(finWait).reading = false;
        finWait.connection.shutdownOutput();
        assertEquals(TcpState.FIN_WAIT_1, finWait.connection.state());
        assertTrue(h.manager.offload(finWait.connection), "FIN_WAIT_1: the FIN rides in the snapshot");
        h.target.succeed(h.target.lastInitiate());
        assertTrue(h.manager.record(finWait.connection).finInSnapshot);
        assertTrue(h.target.disconnects.isEmpty(), "no disconnect request for a FIN already queued");

        // LAST_ACK: both FINs under way; nothing would tell the host when the last ACK came (a documented choice)
        Peer lastAck = h.connect(B4);
        h.serverOf(lastAck).connection.shutdownOutput();
        h.run(5 * MS);
        lastAck.connection.close();
        assertEquals(TcpState.LAST_ACK, lastAck.connection.state());
        assertFalse(h.manager.offload(lastAck.connection));
        assertEquals(2, h.target.initiates.size());
        h.run(50 * MS);
        assertEquals(CloseReason.NORMAL, lastAck.closed, "closed on the host as usual");
    }
}
