package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.host.OffloadState;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bulk offload at scale (spec §2.10): 1,000 established connections go to the soft target in one initiate tree
 * (one neighbor, one path, 1,000 TCP nodes) and come back in one terminate tree, several times over, while their
 * transfers run; then one connection moves back and forth many times. Prints the rates measured (simulated time is
 * free; the figures are the CPU cost of both sides on this machine).
 */
class ChimneyScaleTest {

    @Test
    void thousandConnectionTreesMoveBackAndForthAndTheTransfersStayByteExact() {
        int n = 1000;
        // 4 Mbit/s and up to 40 KB each way: the transfers last seconds of simulated time, so every round moves
        // connections in the middle of them
        TransferScenario s = TransferScenario.params().seed(77).connections(n).maxBytes(40_000).rate(4_000_000)
                .offload(OffloadPolicy.explicit()).build();
        OffloadManager om = s.a.offload();
        List<TcpConnection> conns = new ArrayList<>();
        for (StreamEndpoint c : s.clients) {
            conns.add(c.connection);
        }
        // a few handshakes complete at once, the rest a second later (their SYNs waited for ARP and were dropped)
        s.sim.runUntil(() -> conns.stream().noneMatch(c -> c.state() == TcpState.SYN_SENT),
                s.sim.nowNs() + 10 * TransferScenario.S);
        int rounds = 3;
        long offloadNs = 0;
        long terminateNs = 0;
        long callNs = 0;
        for (int round = 0; round < rounds; round++) {
            // connections the manager already re-offloads by itself (deferred ones, at admission reopening) are
            // not named again: a second offload of an object being offloaded is refused (R-HOST-3)
            List<TcpConnection> open = conns.stream().filter(c -> switch (c.state()) {
                case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT -> om.state(c) == OffloadState.NOT_OFFLOADED;
                default -> false;
            }).toList();
            long t0 = System.nanoTime();
            int accepted = om.offload(open);
            callNs += System.nanoTime() - t0;
            s.sim.runUntil(() -> open.stream().allMatch(c -> om.state(c) != OffloadState.INITIATING),
                    s.sim.nowNs() + TransferScenario.S);
            long t1 = System.nanoTime();
            boolean[] drained = {false};
            om.terminateAll(() -> drained[0] = true);
            s.sim.runUntil(() -> drained[0], s.sim.nowNs() + TransferScenario.S);
            long t2 = System.nanoTime();
            om.resume();
            assertTrue(drained[0], om + "\n" + s.report());
            assertEquals(open.size(), accepted);
            offloadNs += t1 - t0;
            terminateNs += t2 - t1;
            if (round == 0) {
                System.out.printf("tree of %d connections: offload %.1f ms, terminate %.1f ms%n", open.size(),
                        (t1 - t0) / 1e6, (t2 - t1) / 1e6);
            }
        }
        assertTrue(s.run(600 * TransferScenario.S), s.failures() + "\n" + s.report());
        assertNull(s.failures(), s.report());
        System.out.printf("%d rounds of ~%d-connection trees: offload %.1f ms (the host's call: %.1f ms), terminate "
                + "%.1f ms per round (wall time, simulating the traffic meanwhile)%n", rounds, n,
                offloadNs / 1e6 / rounds, callNs / 1e6 / rounds, terminateNs / 1e6 / rounds);
        assertTrue(om.counter(OffloadCounter.INITIATES) >= rounds);
    }

    @Test
    void oneConnectionOffloadAndTerminateRoundTrips() {
        // 1 Mbit/s and up to 4 MB each way: the connection stays open for the whole run of moves
        TransferScenario s = TransferScenario.params().seed(78).connections(1).maxBytes(4_000_000).rate(1_000_000)
                .offload(OffloadPolicy.explicit()).build();
        OffloadManager om = s.a.offload();
        TcpConnection c = s.clients.getFirst().connection;
        s.sim.runUntil(() -> c.state() == TcpState.ESTABLISHED, s.sim.nowNs() + TransferScenario.S);
        int moves = 2000;
        long t0 = System.nanoTime();
        int done = 0;
        for (int i = 0; i < moves && c.state() == TcpState.ESTABLISHED; i++) {
            om.offload(c);
            s.sim.runUntil(() -> om.state(c) == OffloadState.OFFLOADED, s.sim.nowNs() + TransferScenario.S);
            om.terminate(c);
            s.sim.runUntil(() -> om.state(c) == OffloadState.NOT_OFFLOADED, s.sim.nowNs() + TransferScenario.S);
            done++;
        }
        long ns = System.nanoTime() - t0;
        System.out.printf("one connection: %d offload+terminate round trips, %.0f per second%n", done,
                done / (ns / 1e9));
        assertEquals(done, om.counter(OffloadCounter.CONNECTIONS_UPLOADED));
        assertTrue(done > 100, "moved " + done + " times");
        assertTrue(s.run(600 * TransferScenario.S), s.failures() + "\n" + s.report());
        assertNull(s.failures(), s.report());
    }
}
