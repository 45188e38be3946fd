package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.conformance.HostContractChecker;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.host.OffloadState;
import dev.chimney.chimney.target.FaultInjectingTarget;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Timer;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpState;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Twin runs of the host TCP's stack-to-stack transfers ({@link TransferScenario}: many connections, random sizes
 * both ways, every byte checked, normal close) with host A running the TCP chimney through a soft offload target on
 * its own loop: whether A's connections are never offloaded, offloaded at set-up, offloaded mid-transfer,
 * terminated mid-transfer or moved back and forth again and again, the transfers complete byte-exact and peer B —
 * a plain host stack — sees a TCP that never resets, never needs a challenge ACK and never sends a segment PAWS or
 * the ACK check would drop: it cannot tell.
 */
class ChimneyTwinTest {

    enum Move { NEVER, AT_SETUP, MID_TRANSFER, TERMINATED_MID_TRANSFER, BACK_AND_FORTH }

    private static OffloadPolicy policy(Move m) {
        return switch (m) {
            case NEVER, BACK_AND_FORTH -> OffloadPolicy.explicit();
            case AT_SETUP, TERMINATED_MID_TRANSFER -> OffloadPolicy.allEstablished();
            case MID_TRANSFER -> OffloadPolicy.afterBytes(30_000).withPollIntervalNs(TransferScenario.MS);
        };
    }

    /** Builds the scenario and arms what moves A's connections for {@code m}. */
    static TransferScenario scenario(Move m, long seed, double loss, boolean ipv6, int connections, int maxBytes) {
        return scenario(m, seed, loss, ipv6, connections, maxBytes, false);
    }

    /**
     * @param faults wrap the soft target in a {@link FaultInjectingTarget} that fails a third of the new offloads
     *               (spec §3.1.4 partial trees at every level) and delays every completion and indication
     */
    static TransferScenario scenario(Move m, long seed, double loss, boolean ipv6, int connections, int maxBytes,
            boolean faults) {
        // 50 Mbit/s: the transfers take long enough (hundreds of ms) for moves to land in the middle of them
        TransferScenario.Params p = TransferScenario.params().seed(seed).connections(connections).maxBytes(maxBytes)
                .ipv6(ipv6).lossy(loss).rate(50_000_000).offload(policy(m));
        // the host's rules towards the target are checked independently on every request (spec §3.8)
        if (faults) {
            p.wrapTarget((t, r) -> new HostContractChecker(new FaultInjectingTarget(t, r)
                    .failAllocations(0.3, OffloadStatus.OFFLOAD_TCP_ENTRIES).delayCompletions(300_000)));
        } else {
            p.wrapTarget((t, r) -> new HostContractChecker(t));
        }
        TransferScenario s = p.build();
        OffloadManager om = s.a.offload();
        SeededRandom r = s.sim.random().fork("mover");
        if (m == Move.TERMINATED_MID_TRANSFER) {
            Timer t = Timer.of(() -> {
                for (StreamEndpoint c : s.clients) {
                    if (om.state(c.connection) == OffloadState.OFFLOADED) {
                        om.terminate(c.connection);
                    }
                }
            });
            s.a.loop().timers().schedule(t, s.sim.nowNs() + 20 * TransferScenario.MS + r.nextInt(100)
                    * TransferScenario.MS);
        } else if (m == Move.BACK_AND_FORTH) {
            Timer[] t = new Timer[1];
            t[0] = Timer.of(() -> {
                for (StreamEndpoint c : s.clients) {
                    TcpConnection conn = c.connection;
                    if (conn == null || r.nextInt(3) == 0) {
                        continue; // not every connection every time: moves overlap with each other's traffic
                    }
                    OffloadState st = om.state(conn);
                    if (st == OffloadState.OFFLOADED) {
                        om.terminate(conn);
                    } else if (st == OffloadState.NOT_OFFLOADED && !conn.isParked() && movable(conn.state())) {
                        om.offload(conn);
                    }
                }
                if (!s.allClosed()) {
                    s.a.loop().timers().schedule(t[0], s.sim.nowNs() + (1 + r.nextInt(10)) * TransferScenario.MS);
                }
            });
            s.a.loop().timers().schedule(t[0], s.sim.nowNs() + TransferScenario.MS);
        }
        return s;
    }

    private static boolean movable(TcpState st) {
        return switch (st) {
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK -> true;
            default -> false;
        };
    }

    static Stream<Arguments> quick() {
        List<Arguments> out = new ArrayList<>();
        for (Move m : Move.values()) {
            out.add(Arguments.of(m, 1L, 0.0, false));
            out.add(Arguments.of(m, 2L, 0.0, true));
            out.add(Arguments.of(m, 3L, 0.01, false));
            out.add(Arguments.of(m, 4L, 0.01, true));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} seed={1} loss={2} ipv6={3}")
    @MethodSource("quick")
    void twinTransfersAreByteExactAndThePeerCannotTell(Move m, long seed, double loss, boolean ipv6) {
        check(m, seed, loss, ipv6, 8, 300_000);
    }

    static Stream<Arguments> faulty() {
        return Stream.of(Move.AT_SETUP, Move.BACK_AND_FORTH).flatMap(m -> LongStream.rangeClosed(1, 3).mapToObj(
                seed -> Arguments.of(m, seed, seed == 3 ? 0.01 : 0.0, seed == 2)));
    }

    /**
     * A fault-injecting target between the host and the soft target: a third of the new offloads fail (a failed
     * neighbor, path or connection node, spec §3.1.4) and every completion and indication comes late and
     * interleaved; every connection whose offload failed carries on on the host, the others move, and every byte
     * still arrives once, in order.
     */
    @ParameterizedTest(name = "{0} seed={1} loss={2} ipv6={3}")
    @MethodSource("faulty")
    void partialFailuresAndLateCompletionsLoseNothing(Move m, long seed, double loss, boolean ipv6) {
        TransferScenario s = scenario(m, seed, loss, ipv6, 8, 300_000, true);
        verify(s, m, loss, true);
        assertTrue(s.a.offload().counter(OffloadCounter.CONNECTIONS_OFFLOAD_FAILED) > 0, s.report());
    }

    static Stream<Arguments> many() {
        return Stream.of(Move.values()).flatMap(m -> LongStream.rangeClosed(100, 199).mapToObj(
                seed -> Arguments.of(m, seed, 0.01, seed % 2 == 0)));
    }

    static Stream<Arguments> manyFaulty() {
        return Stream.of(Move.AT_SETUP, Move.BACK_AND_FORTH).flatMap(m -> LongStream.rangeClosed(100, 149)
                .mapToObj(seed -> Arguments.of(m, seed, seed % 3 == 0 ? 0.0 : 0.01, seed % 2 == 0)));
    }

    @Tag("slow")
    @ParameterizedTest(name = "{0} seed={1} loss={2} ipv6={3}")
    @MethodSource("manyFaulty")
    void manySeedsWithFaults(Move m, long seed, double loss, boolean ipv6) {
        verify(scenario(m, seed, loss, ipv6, 20, 300_000, true), m, loss, true);
    }

    @Tag("slow")
    @ParameterizedTest(name = "{0} seed={1} loss={2} ipv6={3}")
    @MethodSource("many")
    void manySeedsUnderLoss(Move m, long seed, double loss, boolean ipv6) {
        check(m, seed, loss, ipv6, 20, 300_000);
    }

    static void check(Move m, long seed, double loss, boolean ipv6, int connections, int maxBytes) {
        verify(scenario(m, seed, loss, ipv6, connections, maxBytes), m, loss, false);
    }

    static void verify(TransferScenario s, Move m, double loss, boolean faults) {
        boolean done = s.run(300 * TransferScenario.S);
        assertTrue(done, "did not finish: " + s.failures() + "\n" + s.report());
        assertNull(s.failures(), s.report());
        OffloadManager om = s.a.offload();
        assertEquals(0, om.counter(OffloadCounter.PROTOCOL_VIOLATIONS), s.report());
        HostContractChecker checker = (HostContractChecker) om.target();
        assertEquals(List.of(), checker.violations(), "R-HOST-3..8, R-HOST-12\n" + s.report());
        switch (m) {
            case NEVER -> assertEquals(0, om.counter(OffloadCounter.INITIATES), s.report());
            // with faults, every initiate may fail (a failed path fails all its connections): tried is enough
            case AT_SETUP, MID_TRANSFER -> assertTrue(om.counter(faults ? OffloadCounter.INITIATES
                    : OffloadCounter.CONNECTIONS_OFFLOADED) > 0, s.report());
            case TERMINATED_MID_TRANSFER, BACK_AND_FORTH -> assertTrue(om.counter(faults ? OffloadCounter.INITIATES
                    : OffloadCounter.CONNECTIONS_UPLOADED) > 0, s.report());
        }
        // the peer cannot tell: without loss, nothing a plain TCP would not send (under loss the plain host TCP
        // itself ends some exchanges with an RST to a retransmitted FIN, and reordering trips PAWS)
        assertEquals(0, s.b.tcp().counter(TcpCounter.DROP_BAD_ACK), s.report());
        assertEquals(0, s.b.tcp().counter(TcpCounter.DROP_MISSING_TIMESTAMP), s.report());
        if (loss == 0) {
            for (TcpCounter c : new TcpCounter[] {TcpCounter.RESETS_RECEIVED, TcpCounter.RESETS_SENT,
                    TcpCounter.CHALLENGE_ACKS, TcpCounter.DROP_NO_CONNECTION, TcpCounter.DROP_PAWS}) {
                assertEquals(0, s.b.tcp().counter(c), c + " at the peer\n" + s.report());
            }
        }
        // everything came back: nothing is left on the target
        s.sim.runFor(TransferScenario.S);
        assertEquals(0, om.offloadedConnections(), s.report());
    }
}
