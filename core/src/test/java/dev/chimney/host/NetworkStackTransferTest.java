package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpIpCounter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Two host stacks exchange data over the virtual wire, byte-exact, both address families. */
class NetworkStackTransferTest {

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void oneConnectionBothWaysCleanWire(boolean ipv6) {
        TransferScenario s = TransferScenario.params().seed(11).connections(1).maxBytes(300_000).ipv6(ipv6).build();
        assertTrue(s.run(120 * TransferScenario.S), "did not finish: " + s.failures() + "\n" + s.report());
        assertNull(s.failures(), s.report());
        assertEquals(0, s.a.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS), s.report());
        assertTrue(s.a.binding().counter(TcpIpCounter.REACHABILITY_CONFIRMATIONS) > 0, s.report());
        assertEquals(0, s.a.ip().counters().totalDrops() + s.b.ip().counters().totalDrops(), s.report());
    }
}
