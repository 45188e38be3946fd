package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
 * {@link OffloadManager#terminate(java.util.Collection)}: connections offloaded in one initiate tree come back in one
 * terminate tree (spec §2.10) with their path and neighbor (R-HOST-5: nothing else depends on them), mid-transfer,
 * and every byte still arrives.
 */
class BulkTerminateTest {

    @Test
    void aBatchComesBackInOneTreeWithItsPathAndNeighbor() {
        TransferScenario s = TransferScenario.params().seed(31).connections(20).maxBytes(400_000).rate(2_000_000)
                .offload(OffloadPolicy.explicit()).build();
        OffloadManager om = s.a.offload();
        List<TcpConnection> all = new ArrayList<>();
        for (StreamEndpoint c : s.clients) {
            all.add(c.connection);
        }
        // some SYNs wait for ARP and are sent again a second later; at 2 Mbit/s most transfers still run then
        assertTrue(s.sim.runUntil(() -> all.stream().noneMatch(c -> c.state() == TcpState.SYN_SENT),
                s.sim.nowNs() + 10 * TransferScenario.S), s.report());
        List<TcpConnection> conns = all.stream().filter(c -> c.state() == TcpState.ESTABLISHED).toList();
        int n = conns.size();
        assertTrue(n >= 10, "established: " + n);
        assertEquals(n, om.offload(conns));
        s.sim.runUntil(() -> conns.stream().allMatch(c -> om.state(c) == OffloadState.OFFLOADED),
                s.sim.nowNs() + TransferScenario.S);
        assertEquals(1, om.counter(OffloadCounter.INITIATES), "one initiate tree");
        assertThrows(IllegalStateException.class, () -> om.terminate(List.of(conns.getFirst(), s.b.tcp()
                .find(TransferScenario.B4, TransferScenario.PORT, TransferScenario.A4,
                        conns.getFirst().localPort()))), "a connection that is not offloaded is refused");
        assertEquals(n, om.offloadedConnections(), "the refusal changed nothing");

        om.terminate(conns);
        om.terminate(conns); // again while terminating: nothing more
        s.sim.runUntil(() -> om.offloadedConnections() == 0 && om.offloadedPaths() == 0,
                s.sim.nowNs() + TransferScenario.S);
        assertEquals(1, om.counter(OffloadCounter.TERMINATES), "one terminate tree: " + om);
        assertEquals(n, om.counter(OffloadCounter.CONNECTIONS_UPLOADED), om.toString());
        assertEquals(1, om.counter(OffloadCounter.PATHS_TERMINATED), "the path went with its last dependents");
        assertEquals(1, om.counter(OffloadCounter.NEIGHBORS_TERMINATED), om.toString());
        assertTrue(s.run(300 * TransferScenario.S), s.report());
        assertNull(s.failures(), s.report());
    }
}
