package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.host.OffloadState;
import dev.chimney.tcp.TcpConnection;
import org.junit.jupiter.api.Test;

/**
 * Buffer autotuning meets the chimney (both found by bench/run-chimney.sh after the autotune merge): while a connection is parked its host send buffer holds every byte until the
 * target reports it acknowledged, and the host engine's congestion window — what autotuning sizes that buffer from
 * — is frozen at the park. Sized from it, the buffer stayed near 2 × the initial window and clocked an offloaded
 * transfer at one small buffer per round trip (a 20 MB in-memory send took 99 s instead of 0.1 s); parked, it may
 * use its full size. An offloaded bulk transfer must go about as fast as the same transfer never offloaded.
 */
class OffloadedBufferTest {

    private static double throughput(OffloadPolicy policy) {
        TransferScenario s = TransferScenario.params().seed(41).connections(2).maxBytes(4_000_000)
                .tcp(b -> b.sendBufferBytes(1 << 20).receiveBufferBytes(1 << 20)).offload(policy).build();
        long t0 = s.sim.nowNs();
        assertTrue(s.run(300 * TransferScenario.S), s.report());
        assertNull(s.failures(), s.report());
        if (policy.mode() == OffloadPolicy.Mode.ALL_ESTABLISHED) {
            assertTrue(s.a.offload().counter(OffloadCounter.CONNECTIONS_OFFLOADED) == 2, s.report());
        }
        return (double) s.totalBytes / (s.sim.nowNs() - t0);
    }

    @Test
    void anOffloadedBulkTransferIsNotClockedByTheParkedSendBuffer() {
        double never = throughput(OffloadPolicy.explicit());
        double offloaded = throughput(OffloadPolicy.allEstablished());
        assertTrue(offloaded > 0.7 * never, "offloaded " + offloaded * 1e3 + " MB/s vs never offloaded " + never * 1e3
                + " MB/s (simulated time)");
    }

    /**
     * The parked connection's buffers are the application's for the whole path: the receive ring takes the target's
     * indications (capped by its free space) and the send buffer holds what the target has not seen acknowledged.
     * Both may use their configured sizes while parked, whatever autotuning had reached.
     */
    @Test
    void parkedBuffersUseTheirConfiguredSizes() {
        TransferScenario s = TransferScenario.params().seed(42).connections(1).maxBytes(3_000_000)
                .tcp(b -> b.sendBufferBytes(1 << 20).receiveBufferBytes(1 << 20))
                .offload(OffloadPolicy.allEstablished()).build();
        TcpConnection c = s.clients.getFirst().connection;
        assertTrue(s.sim.runUntil(() -> s.a.offload().state(c) == OffloadState.OFFLOADED,
                s.sim.nowNs() + 10 * TransferScenario.S), s.report());
        assertEquals(1 << 20, c.receiveBufferCapacity(), "the ring the indications land in");
        s.sim.runFor(50 * TransferScenario.MS); // the application writes on
        assertEquals(1 << 20, c.sendBufferCapacity(), "what the target has not seen acknowledged");
        assertTrue(s.run(300 * TransferScenario.S), s.report());
        assertNull(s.failures(), s.report());
    }

    /**
     * An application that writes a few bytes at a time into an offloaded connection: each write used to become a
     * send request of its own, holding a pooled array of at least 4 KiB, and a sender refilling what each
     * completion freed kept them that small (an iperf3 -R sender ran a team's chimney run out of its 512 MiB heap
     * with 122,864 requests out). While a request is out, fewer than 4 KiB wait for its completion.
     */
    @Test
    void smallWritesAreCoalescedIntoSendRequestsOfAtLeast4KiB() {
        TransferScenario s = TransferScenario.params().seed(43).connections(1).maxBytes(2_000_000).maxWrite(7)
                .tcp(b -> b.sendBufferBytes(256 * 1024).receiveBufferBytes(256 * 1024))
                .offload(OffloadPolicy.allEstablished()).build();
        assertTrue(s.run(600 * TransferScenario.S), s.report());
        assertNull(s.failures(), s.report());
        long requests = s.a.offload().counter(OffloadCounter.SEND_REQUESTS);
        long bytes = s.a.offload().counter(OffloadCounter.SEND_BYTES_COMPLETED);
        assertTrue(bytes > 0 && s.a.offload().counter(OffloadCounter.CONNECTIONS_OFFLOADED) == 1, s.report());
        assertTrue(requests <= bytes / 4096 + 16, requests + " send requests for " + bytes + " bytes");
    }
}
