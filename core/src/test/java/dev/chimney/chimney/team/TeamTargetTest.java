package dev.chimney.chimney.team;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadHost;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.PathOffloadState;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpConst;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * {@link TeamTarget} as an intermediate driver (spec §2.15, R-IM-1/2/3/5) and the ordering rules of its failover
 * (R-PAUSE-2/3/7, R-RESUME-4, spec §9 items 30 and 31), against two scripted members whose completions the test
 * makes by hand. The end-to-end behaviour with soft targets is in {@code TeamFailoverTest} and the conformance suite.
 */
class TeamTargetTest {
    static final MacAddress MAC = MacAddress.parse("02:77:00:00:00:0a");
    static final OffloadCapabilities CAPS = new OffloadCapabilities(true, true, false, true, 100, 100, 100, 1 << 20,
            9000, true, true);

    /** A member that records requests; the test completes them. */
    static final class ScriptedMember implements OffloadTarget {
        OffloadHost host;
        OffloadCapabilities caps = CAPS;
        OffloadCapabilities configured;
        final List<BlockList> initiates = new ArrayList<>();
        final List<BlockList> terminates = new ArrayList<>();
        final List<SendRequest> sends = new ArrayList<>();
        final List<Object> sendContexts = new ArrayList<>();
        /** What the team told this member (failover steps). */
        final List<StatusIndication> told = new ArrayList<>();

        @Override
        public void attach(OffloadHost h, EventLoop upperLoop) {
            host = h;
        }

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public OffloadCapabilities capabilities() {
            return caps;
        }

        @Override
        public void configure(OffloadCapabilities enabled, OffloadParameters parameters) {
            configured = enabled;
        }

        @Override
        public void initiateOffload(BlockList root) {
            initiates.add(root);
        }

        @Override
        public void terminateOffload(BlockList root) {
            terminates.add(root);
        }

        @Override
        public void updateOffload(BlockList root) {
        }

        @Override
        public void invalidateOffload(BlockList root) {
        }

        @Override
        public void queryOffload(BlockList root) {
        }

        @Override
        public void tcpSend(Object connection, SendRequest chain) {
            sends.add(chain);
            sendContexts.add(connection);
        }

        @Override
        public void tcpReceive(Object connection, ReceiveRequest chain) {
        }

        @Override
        public void tcpDisconnect(Object connection, DisconnectRequest request) {
        }

        @Override
        public void tcpForward(Object connection, ForwardRequest chain) {
        }

        @Override
        public void tcpReceiveReturn(ReceiveIndication chain) {
        }

        @Override
        public void queryStatistics(Consumer<OffloadStatistics> result) {
        }

        @Override
        public void resetStatistics(OffloadStatistics.Family family) {
        }

        /** Every new offload succeeds with a context of the member's own. */
        void succeed(BlockList root) {
            for (BlockList b : root.nodes()) {
                b.status(OffloadStatus.SUCCESS);
                if (b.isNewOffload()) {
                    b.handle().miniportContext("member-ctx-" + b.layer());
                }
            }
            host.initiateOffloadComplete(root);
        }

        void succeedTerminate(BlockList root) {
            for (BlockList b : root.nodes()) {
                b.status(OffloadStatus.SUCCESS);
            }
            host.terminateOffloadComplete(root);
        }
    }

    /** The host above the team: records what comes up. */
    static final class Above implements OffloadHost {
        final List<String> log = new ArrayList<>();
        final List<OffloadHandle> eventHandles = new ArrayList<>();
        final List<SendRequest> sendCompletions = new ArrayList<>();
        OffloadCapabilities resumeCaps;

        @Override
        public void initiateOffloadComplete(BlockList root) {
            log.add("initiate-complete");
        }

        @Override
        public void terminateOffloadComplete(BlockList root) {
            log.add("terminate-complete");
        }

        @Override
        public void updateOffloadComplete(BlockList root) {
        }

        @Override
        public void invalidateOffloadComplete(BlockList root) {
        }

        @Override
        public void queryOffloadComplete(BlockList root) {
        }

        @Override
        public void sendComplete(SendRequest chain) {
            sendCompletions.add(chain);
        }

        @Override
        public void receiveComplete(ReceiveRequest chain) {
        }

        @Override
        public void disconnectComplete(DisconnectRequest request) {
        }

        @Override
        public void forwardComplete(ForwardRequest chain) {
        }

        @Override
        public ReceiveIndication.Result receiveIndicate(OffloadHandle connection, ReceiveIndication data) {
            return ReceiveIndication.Result.NONE;
        }

        @Override
        public void tcpEvent(OffloadHandle connection, TcpEvent event) {
            eventHandles.add(connection);
        }

        @Override
        public int neighborReachabilityQuery(OffloadHandle neighbor, BlockList state) {
            return 1;
        }

        @Override
        public void statusIndication(StatusIndication indication, OffloadCapabilities capabilities) {
            log.add(indication.name());
            if (indication == StatusIndication.OFFLOAD_RESUME) {
                resumeCaps = capabilities;
            }
        }
    }

    final Simulator sim = new Simulator(7);
    final EventLoop loop = sim.newLoop("host");
    final ScriptedMember m0 = new ScriptedMember();
    final ScriptedMember m1 = new ScriptedMember();
    final Above above = new Above();

    TeamTarget team(boolean chimney) {
        VirtualWire w0 = VirtualWire.builder("w0", sim).build();
        VirtualWire w1 = VirtualWire.builder("w1", sim).build();
        TeamTarget t = TeamTarget.builder(loop, MAC).chimney(chimney)
                .member(new TeamTarget.Member(m0, w0.a(), up -> { }, m0.told::add))
                .member(new TeamTarget.Member(m1, w1.a(), up -> { }, m1.told::add)).build();
        t.attach(above, loop);
        return t;
    }

    static BlockList tree(OffloadHandle n, OffloadHandle p, OffloadHandle c, SendRequest chain) {
        BlockList neighbor = BlockList.newNeighbor(n, new NeighborOffloadState.Const(null, 0),
                new NeighborOffloadState.Cached(MAC, 0), new NeighborOffloadState.Delegated(0));
        BlockList path = BlockList.newPath(p, new PathOffloadState.Const(Ipv4Address.parse("10.0.0.1"),
                Ipv4Address.parse("10.0.0.2")), new PathOffloadState.Cached(1500));
        // an ESTABLISHED connection written down directly (the scripted member never looks inside)
        TcpConst k = new TcpConst(40000, 80, false, false, false, 0, 0, 1460, 0);
        TcpCached cached = new TcpCached(false, true, 8192, 0, 9, 7_200_000, 75_000, 0, 0, 64, 0, 0);
        TcpDelegated d = new TcpDelegated(TcpState.ESTABLISHED, 1000, 8192, 5000, 5000, 5000, 8192, 8192, 1000,
                65536, Long.MAX_VALUE / 4, 80, 20, 0, 0, 0, 0, 0, 0, 0, -1, 0, -1, 0, new byte[0], new byte[0],
                List.of());
        BlockList tcp = BlockList.newTcp(c, k, cached, d, chain);
        return neighbor.dependent(path.dependent(tcp));
    }

    @Test
    void rIm1_rIm2_ownHandlesGoDownAndTheHostsTreeComesBackWithTheStatuses() {
        TeamTarget t = team(true);
        OffloadHandle n = new OffloadHandle("n");
        OffloadHandle p = new OffloadHandle("p");
        OffloadHandle c = new OffloadHandle("c");
        BlockList root = tree(n, p, c, null);
        t.initiateOffload(root);
        BlockList down = m0.initiates.getFirst();
        assertNotSame(root, down, "the member gets the team's copy");
        for (BlockList b : down.nodes()) {
            assertTrue(b.handle() != n && b.handle() != p && b.handle() != c, "R-IM-1: the team's own handles");
        }
        m0.succeed(down);
        assertEquals(List.of("initiate-complete"), above.log);
        for (BlockList b : root.nodes()) {
            assertEquals(OffloadStatus.SUCCESS, b.status(), "R-IM-2: statuses restored into the host's tree");
            assertTrue(b.handle().miniportContext() != null, "the host's slot holds the team's entry");
            assertNotSame("member-ctx-" + b.layer(), b.handle().miniportContext());
        }
        assertEquals(3, t.liveEntries());
    }

    // spec §8: R-IM-3
    @Test
    void rIm3_sendRequestsGoDownAndTheirCompletionsComeUpUnchanged_andIndicationsCarryTheHostsHandle() {
        TeamTarget t = team(true);
        OffloadHandle c = new OffloadHandle("c");
        BlockList root = tree(new OffloadHandle("n"), new OffloadHandle("p"), c, null);
        t.initiateOffload(root);
        m0.succeed(m0.initiates.getFirst());
        SendRequest s = SendRequest.of(new byte[10]);
        t.tcpSend(c.miniportContext(), s);
        assertSame(s, m0.sends.getFirst(), "the same request object");
        assertEquals("member-ctx-TCP", m0.sendContexts.getFirst(), "named by the member's own context");
        s.complete(OffloadStatus.SUCCESS, 10);
        m0.host.sendComplete(s);
        assertSame(s, above.sendCompletions.getFirst());
        OffloadHandle lower = m0.initiates.getFirst().nodes().stream().filter(b -> b.layer() == StateLayer.TCP)
                .findFirst().orElseThrow().handle();
        m0.host.tcpEvent(lower, TcpEvent.DISCONNECT);
        assertSame(c, above.eventHandles.getFirst(), "R-IM-1: the upper handle substituted");
    }

    // spec §8: R-IM-5
    @Test
    void rIm5_aTeamThatAllowsNoChimneyReportsNoneButPassesTheSetDown() {
        TeamTarget t = team(false);
        assertEquals(OffloadCapabilities.NONE, t.capabilities());
        t.configure(CAPS, OffloadParameters.DEFAULTS);
        assertSame(CAPS, m0.configured);
        assertSame(CAPS, m1.configured);
    }

    @Test
    void rPause7_aFailoverWaitsForTheInitiateDownBeforeIndicating_andQueuesTheInitiatesThatArriveMeanwhile() {
        TeamTarget t = team(true);
        OffloadHandle c = new OffloadHandle("c");
        t.initiateOffload(tree(new OffloadHandle("n"), new OffloadHandle("p"), c, null));
        t.failover();
        sim.runFor(1_000);
        assertEquals(TeamTarget.Phase.WAITING_FOR_INITIATES, t.phase());
        assertTrue(above.log.isEmpty(), "no indication while an offload is in progress (R-PAUSE-7)");
        OffloadHandle late = new OffloadHandle("late");
        BlockList lateTree = tree(new OffloadHandle("n2"), new OffloadHandle("p2"), late, null);
        t.initiateOffload(lateTree); // in flight at the host when it sees the PAUSE: the team queues it
        assertEquals(1, m0.initiates.size(), "queued, not passed down (R-PAUSE-2)");
        m0.succeed(m0.initiates.getFirst());
        assertEquals(List.of("initiate-complete", "OFFLOAD_PAUSE", "UPLOAD_ALL"), above.log);
        assertEquals(List.of(StatusIndication.UPLOAD_ALL), m0.told, "the old member processes its own queue");
        assertEquals(2, m0.initiates.size(), "WA 31: the queued one goes down with the UPLOAD_ALL");
        assertSame(late, m0.initiates.get(1).nodes().stream().filter(b -> b.layer() == StateLayer.TCP)
                .map(b -> ((TeamTarget.Entry) b.handle().owner()).upper).findFirst().orElseThrow());
        m0.succeed(m0.initiates.get(1));
        // the host terminates everything: both trees, connections with their paths and neighbors
        for (BlockList tree : List.of(m0.initiates.get(0), m0.initiates.get(1))) {
            BlockList n = tree;
            BlockList p = tree.dependents();
            BlockList tcp = p.dependents();
            t.terminateOffload(BlockList.reference(StateLayer.NEIGHBOR, upper(n), 0).dependent(BlockList.reference(
                    StateLayer.IPV4_PATH, upper(p), 0).dependent(BlockList.reference(StateLayer.TCP, upper(tcp),
                    BlockList.DELEGATED))));
        }
        assertEquals(0, t.active(), "not switched while the member still holds objects");
        m0.caps = CAPS.withCapacity(3);
        m1.caps = CAPS.withCapacity(7);
        m0.succeedTerminate(m0.terminates.get(0));
        assertEquals(0, t.active());
        assertTrue(above.log.indexOf("OFFLOAD_RESUME") < 0, "not before everything is back (R-RESUME-4)");
        m0.succeedTerminate(m0.terminates.get(1));
        assertEquals(1, t.active(), "switched once nothing is left");
        assertEquals("OFFLOAD_RESUME", above.log.getLast());
        assertEquals(List.of(StatusIndication.UPLOAD_ALL, StatusIndication.OFFLOAD_RESUME), m0.told);
        assertEquals(TeamTarget.Phase.NONE, t.phase());
        assertEquals(1, t.failovers());
        assertSame(m1.caps, above.resumeCaps, "the RESUME carries the new member's capabilities");
        assertEquals(0, t.liveEntries());
    }

    private static OffloadHandle upper(BlockList lower) {
        return ((TeamTarget.Entry) lower.handle().owner()).upper;
    }

    @Test
    void theStandbysIndicationsAndAMembersDuringAFailoverAreDropped() {
        TeamTarget t = team(true);
        m1.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        assertTrue(above.log.isEmpty());
        m0.host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
        assertEquals(List.of("OFFLOAD_PAUSE"), above.log, "the active member's own trigger goes up");
        assertEquals(1, t.memberIndicationsDropped());
        assertThrows(IllegalStateException.class, () -> TeamTarget.builder(loop, MAC).build());
        assertNull(t.memberContext(new Object()));
    }
}
