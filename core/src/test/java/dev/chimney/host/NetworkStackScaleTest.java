package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.IpCounter;
import dev.chimney.link.DropReason;
import dev.chimney.tcp.TcpCounter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many concurrent connections between two host stacks over an impaired virtual wire: every connection sends a
 * random amount (up to 1 MiB) and receives a random amount back, every byte is checked against its seeded pattern,
 * every connection closes normally (RFC 9293 §3.8 reliability end to end through Ethernet, ARP/NDP, IP and TCP).
 *
 * <p>Where it runs: the full matrix — both families × 0/1/5% loss (with reordering and duplication) × three seeds,
 * 1,000 connections up to 1 MiB each way — is in the default run (18 cases, 114 s for the whole class measured
 * on 2 shared cores), plus smaller IPv6 5% and clean-wire cases that check retransmission counts.
 */
class NetworkStackScaleTest {
    private static final int MIB = 1 << 20;

    static void runAndVerify(TransferScenario.Params p) {
        TransferScenario s = p.build();
        boolean finished = s.run(600 * TransferScenario.S);
        String failures = s.failures();
        assertTrue(finished, "not finished: " + failures + "\n" + s.report());
        assertNull(failures, s.report());
        assertEquals(p.connections, s.servers.size(), s.report());
        if (p.loss > 0) {
            // Not vacuous: the wire really lost, reordered and duplicated frames, and TCP repaired it.
            long lost = s.wire.aToB().counters().dropped(DropReason.LOSS) + s.wire.bToA().counters().dropped(
                    DropReason.LOSS);
            assertTrue(lost > 0 && s.a.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS) > 0
                    && s.b.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS) > 0, s.report());
            assertTrue(s.wire.aToB().counters().framesReordered() > 0
                    && s.wire.aToB().counters().framesDuplicated() > 0, s.report());
        }
    }

    @Test
    void hundredConnectionsIpv6FivePercentLoss() {
        runAndVerify(TransferScenario.params().seed(2).connections(100).maxBytes(256 * 1024).ipv6(true).lossy(0.05));
    }

    @Test
    void hundredConnectionsIpv4CleanWireRetransmitsNothing() {
        TransferScenario s = TransferScenario.params().seed(3).connections(100).maxBytes(256 * 1024).build();
        assertTrue(s.run(600 * TransferScenario.S), s.report());
        assertNull(s.failures(), s.report());
        // 100 SYNs at once overflow the ARP queue of the unresolved neighbor: only those SYNs are resent (after the
        // initial RTO, RFC 6298 §2.1); no data segment is ever resent on a clean wire.
        long synsDroppedByArp = s.a.ip().counters().get(IpCounter.NEIGHBOR_QUEUE_DROP);
        assertTrue(synsDroppedByArp > 0, s.report());
        assertEquals(synsDroppedByArp, s.a.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS), "A: " + tcpCounters(s.a)
                + s.report());
        assertEquals(0, s.b.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS), s.report());
    }

    static String tcpCounters(NetworkStack h) {
        StringBuilder b = new StringBuilder();
        for (TcpCounter c : TcpCounter.values()) {
            if (h.tcp().counter(c) != 0) {
                b.append(c).append('=').append(h.tcp().counter(c)).append(' ');
            }
        }
        return b.toString();
    }

    static Stream<Arguments> fullMatrix() {
        List<Arguments> out = new ArrayList<>();
        for (boolean v6 : new boolean[] {false, true}) {
            for (double loss : new double[] {0, 0.01, 0.05}) {
                for (long seed : new long[] {101, 102, 103}) {
                    out.add(Arguments.of(v6, loss, seed));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "ipv6={0} loss={1} seed={2}")
    @MethodSource("fullMatrix")
    void fullMatrixThousandConnectionsUpToOneMiB(boolean ipv6, double loss, long seed) {
        runAndVerify(TransferScenario.params().seed(seed).connections(1000).maxBytes(MIB).ipv6(ipv6).lossy(loss));
    }
}
