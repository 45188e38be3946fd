package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.host.ChimneyStatistics;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.tcp.TcpCounter;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The host merges its offload target's statistics with its own (spec §5.4.4; the target's side is R-STAT-1..5):
 * {@link NetworkStack#statistics} / {@code OffloadManager.queryStatistics}. Checked against what the peer — a plain
 * host stack — counted: without loss every segment the peer sent was received exactly once by A, by its host engine
 * or by the target, whichever ran the connection at that moment, so the merged tcpInSegs equals the peer's
 * segments out, even when connections move back and forth in the middle of their transfers.
 */
class ChimneyStatisticsTest {

    private static ChimneyStatistics statistics(TransferScenario s) {
        AtomicReference<ChimneyStatistics> got = new AtomicReference<>();
        s.a.statistics(got::set);
        s.sim.runFor(10 * TransferScenario.MS); // the target answers on its loop, the result comes back on A's
        assertNotNull(got.get(), "the target answered the statistics query");
        return got.get();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ChimneyTwinTest.Move.class, names = {"NEVER", "AT_SETUP", "BACK_AND_FORTH"})
    void mergedStatisticsCountEverySegmentOnceWhereverItsConnectionRan(ChimneyTwinTest.Move m) {
        TransferScenario s = ChimneyTwinTest.scenario(m, 21, 0.0, false, 6, 200_000);
        assertTrue(s.run(300 * TransferScenario.S), s.report());
        assertNull(s.failures(), s.report());
        s.sim.runFor(TransferScenario.S); // every connection back on the host and closed

        ChimneyStatistics st = statistics(s);
        long peerOut = s.b.tcp().counter(TcpCounter.SEGMENTS_OUT);
        long peerIn = s.b.tcp().counter(TcpCounter.SEGMENTS_IN);
        String report = st + "\npeer out " + peerOut + " in " + peerIn + "\n" + s.report();
        assertEquals(peerOut, st.tcpInSegments(), "every segment the peer sent counted once by A\n" + report);
        // every segment A sent is new (tcpOutSegs), a retransmission, or — on the target — both (R-STAT-3)
        assertTrue(st.tcpOutSegments() <= peerIn && peerIn <= st.tcpOutSegments() + st.tcpRetransmittedSegments(),
                report);
        assertEquals(0, st.tcpCurrentlyEstablished(), "all closed: " + report);
        assertEquals(0, st.tcpOutResets(), report);
        long targetIn = st.target().tcp4().inSegments();
        if (m == ChimneyTwinTest.Move.NEVER) {
            assertEquals(OffloadStatistics.ZERO.tcp4(), st.target().tcp4(), "nothing offloaded, nothing counted");
            assertEquals(OffloadStatistics.ZERO.ipv4(), st.target().ipv4(), report);
        } else {
            assertTrue(s.a.offload().counter(OffloadCounter.CONNECTIONS_OFFLOADED) > 0, report);
            // both sides did a share of the work: the handshakes (and, moving back and forth, whole stretches)
            // on the host, the data on the target
            assertTrue(targetIn > 0 && st.host().tcpInSegments() > 0, report);
            assertTrue(st.target().tcp4().outSegments() > 0 && st.target().ipv4().outOctets() > 0, report);
            // R-STAT-5: IP octets are header plus payload, so at least 40 bytes per segment
            assertTrue(st.target().ipv4().inOctets() >= 40 * targetIn, report);
            assertEquals(st.target().ipv4().inReceives(), targetIn, "one TCP segment per datagram\n" + report);
            assertEquals(0, st.target().ipv6().inReceives(), "IPv4 only: " + report);
        }
        assertEquals(st.host().ipv4InReceives() + st.target().ipv4().inReceives(), st.ipv4InReceives());
    }

    @Test
    void whileOffloadedTheEstablishedConnectionsAreCountedByTheTargetNotTwice() {
        TransferScenario s = ChimneyTwinTest.scenario(ChimneyTwinTest.Move.AT_SETUP, 22, 0.0, true, 2, 5_000_000);
        // the moment every connection is up and offloaded, with nothing closed yet on the peer's side
        assertTrue(s.sim.runUntil(() -> s.a.offload().offloadedConnections() == 2
                && s.b.tcp().establishedCount() == 2, 10 * TransferScenario.S), s.report());
        ChimneyStatistics st = statistics(s);
        String report = st + "\n" + s.report();
        // tcpCurrEstab: counted on the target while offloaded, never by the parked host side as well
        assertEquals(2, st.target().tcp6().currentlyEstablished(), report);
        assertEquals(0, st.host().tcpEstablished(), report);
        assertEquals(2, st.tcpCurrentlyEstablished(), report);
        s.sim.runFor(30 * TransferScenario.MS); // the data flows through the target
        st = statistics(s);
        assertTrue(st.target().tcp6().inSegments() > 0 && st.target().ipv6().outOctets() > 0, st.toString());
        assertTrue(st.summary().contains("target ipv6: in ") && !st.summary().contains("target ipv4"),
                st.summary());
        assertTrue(s.run(300 * TransferScenario.S), s.report());
    }

    @Test
    void aHostWithoutATargetReportsItsOwnFiguresAtOnce() {
        TransferScenario s = TransferScenario.params().seed(23).connections(2).maxBytes(50_000).build();
        assertTrue(s.run(60 * TransferScenario.S), s.report());
        AtomicReference<ChimneyStatistics> got = new AtomicReference<>();
        s.a.statistics(got::set);
        assertNotNull(got.get(), "answered inside the call: no target to ask");
        assertEquals(OffloadStatistics.ZERO, got.get().target());
        assertEquals(s.b.tcp().counter(TcpCounter.SEGMENTS_OUT), got.get().tcpInSegments());
        assertEquals(s.a.tcp().counter(TcpCounter.SEGMENTS_IN), got.get().host().tcpInSegments());
    }
}
