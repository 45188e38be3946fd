package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.IpCounter;
import dev.chimney.tcp.TcpIpCounter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Path MTU discovery in the middle of transfers (RFC 1191, RFC 8201): a router on the path starts refusing packets
 * above a smaller MTU with ICMP fragmentation-needed / packet-too-big; TCP re-segments what is in flight to the new
 * MSS and every transfer completes byte-exact.
 */
class PathMtuTest {

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void transfersCompleteAfterThePathMtuDropsMidway(boolean ipv6) {
        int clamp = ipv6 ? 1280 : 1000;
        TransferScenario s = TransferScenario.params().seed(ipv6 ? 71 : 70).connections(10).maxBytes(500_000)
                .ipv6(ipv6).bridged(true).build();
        StreamEndpoint big = s.clients.stream().max((x, y) -> Long.compare(x.sendBytes, y.sendBytes)).orElseThrow();
        assertTrue(s.sim.runUntil(() -> big.written > 100_000, 30 * TransferScenario.S), s.report());
        s.bridge.clampMtu(clamp);
        assertTrue(s.run(300 * TransferScenario.S), s.failures() + "\n" + s.report());
        assertNull(s.failures(), s.report());

        String why = "bridge tooBig=" + s.bridge.tooBig + " largest after clamp=" + s.bridge.largestForwardedAfterClamp
                + "\n" + s.report();
        assertTrue(s.bridge.tooBig > 0, why);
        assertTrue(s.bridge.largestForwardedAfterClamp <= clamp, why);
        // Both hosts heard the router and their TCP connections took the new MSS.
        for (NetworkStack h : new NetworkStack[] {s.a, s.b}) {
            assertTrue(h.ip().counters().get(IpCounter.ICMP_ERRORS_RECEIVED) > 0, why);
            assertTrue(h.binding().counter(TcpIpCounter.ICMP_PACKET_TOO_BIG) > 0, why);
        }
        assertEquals(clamp, s.a.ip().pathMtu(ipv6 ? TransferScenario.B6 : TransferScenario.B4), why);
        assertEquals(clamp, s.b.ip().pathMtu(ipv6 ? TransferScenario.A6 : TransferScenario.A4), why);
    }

    /**
     * RFC 1191 §6.5: a new PMTU applies to every connection on the path. The router answers only the first oversize
     * packet from each host; the other connections to the same peer never get an ICMP error of their own and must
     * learn the PMTU from the path cache when they next send (the binding refuses the oversize segment and has the
     * connection re-segment).
     */
    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void oneIcmpErrorResegmentsEveryConnectionToThatPeer(boolean ipv6) {
        int clamp = ipv6 ? 1280 : 1000;
        TransferScenario s = TransferScenario.params().seed(ipv6 ? 73 : 72).connections(10).maxBytes(500_000)
                .ipv6(ipv6).bridged(true).build();
        StreamEndpoint big = s.clients.stream().max((x, y) -> Long.compare(x.sendBytes, y.sendBytes)).orElseThrow();
        assertTrue(s.sim.runUntil(() -> big.written > 100_000, 30 * TransferScenario.S), s.report());
        s.bridge.icmpBudgetPerSide(1);
        s.bridge.clampMtu(clamp);
        assertTrue(s.run(300 * TransferScenario.S), s.failures() + "\n" + s.report());
        assertNull(s.failures(), s.report());
        String why = "bridge tooBig=" + s.bridge.tooBig + "\n" + s.report();
        long applied = s.a.binding().counter(TcpIpCounter.ICMP_PACKET_TOO_BIG)
                + s.b.binding().counter(TcpIpCounter.ICMP_PACKET_TOO_BIG);
        assertEquals(2, applied, "one connection on each host heard the router: " + why);
        assertTrue(s.a.binding().counter(TcpIpCounter.TX_DROP_TOO_BIG)
                + s.b.binding().counter(TcpIpCounter.TX_DROP_TOO_BIG) > 0, "the others learned from the path: " + why);
        assertTrue(s.bridge.largestForwardedAfterClamp <= clamp, why);
    }
}
