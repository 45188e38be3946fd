package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.IpCounter;
import dev.chimney.link.LinkOffloads;
import dev.chimney.link.LoopBridge;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.PcapTap;
import dev.chimney.link.PcapWriter;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpListener;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two whole {@link NetworkStack}s on two different event loops joined by a {@link LoopBridge} instead of a virtual
 * wire — the shape of a host stack in front of an offload target on its own loop: under the simulator (one virtual
 * timeline, replayable) and on two real loop threads. Every byte is checked against its seeded pattern.
 */
class BridgedStacksTest {
    private static final long S = 1_000_000_000L;
    private static final LinkOffloads TSO = new LinkOffloads(LoopBridge.MAX_FRAME_BYTES, true, true);

    /** Host a (clients) and host b (server) on their own loops, their interfaces the two ends of one bridge. */
    static final class BridgedHosts {
        final LoopBridge bridge;
        final NetworkStack a;
        final NetworkStack b;
        final PcapTap pcapA;
        final List<StreamEndpoint> clients = new ArrayList<>();
        final List<StreamEndpoint> servers = new ArrayList<>();
        final int connections;

        BridgedHosts(EventLoop loopA, EventLoop loopB, SeededRandom random, LinkOffloads offloads, int connections,
                int maxBytes, ByteArrayOutputStream pcap) {
            this.connections = connections;
            bridge = LoopBridge.builder("nic", loopA, loopB).aOffloads(offloads).bOffloads(offloads).build();
            TcpConfig tcp = TcpConfig.builder().sendBufferBytes(64 * 1024).receiveBufferBytes(64 * 1024).build();
            NetworkPort portA = bridge.a();
            pcapA = pcap == null ? null : new PcapTap(portA, new PcapWriter(pcap, loopA.clock()));
            a = NetworkStack.builder(loopA).random(random.fork("a")).tcpConfig(tcp)
                    .iface(pcapA != null ? pcapA : portA, InterfaceConfig.of("a0", TransferScenario.MAC_A)
                            .withIpv4("10.77.0.1/24").withIpv6("fd77::1/64"))
                    .build();
            b = NetworkStack.builder(loopB).random(random.fork("b")).tcpConfig(tcp)
                    .iface(bridge.b(), InterfaceConfig.of("b0", TransferScenario.MAC_B)
                            .withIpv4("10.77.0.2/24").withIpv6("fd77::2/64"))
                    .build();
            b.listen(TransferScenario.PORT, this::acceptAll);
            SeededRandom sizes = random.fork("sizes");
            for (int i = 0; i < connections; i++) {
                StreamEndpoint c = StreamEndpoint.client(i, sizes.nextInt(maxBytes + 1), sizes.nextInt(maxBytes + 1));
                clients.add(c);
                c.connection = a.connect(i % 2 == 0 ? TransferScenario.B4 : TransferScenario.B6,
                        TransferScenario.PORT, c);
            }
        }

        private void acceptAll(TcpListener l) {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                StreamEndpoint s = StreamEndpoint.server();
                servers.add(s);
                s.attach(c);
            }
        }

        /** On host a's loop: every client closed. */
        boolean clientsClosed() {
            return clients.stream().allMatch(c -> c.closed != null);
        }

        /** On host b's loop: every connection accepted and closed. */
        boolean serversClosed() {
            return servers.size() == connections && servers.stream().allMatch(s -> s.closed != null);
        }

        /** Null when every exchange completed byte-exact and closed normally. */
        String failures() {
            StringBuilder sb = new StringBuilder();
            List<StreamEndpoint> all = new ArrayList<>(clients);
            all.addAll(servers);
            for (StreamEndpoint e : all) {
                if (!e.complete() || e.closed != CloseReason.NORMAL) {
                    sb.append("\n  ").append(e);
                }
            }
            if (servers.size() != connections) {
                sb.append("\n  servers accepted ").append(servers.size()).append(" of ").append(connections);
            }
            return sb.isEmpty() ? null : sb.toString();
        }

        String report() {
            return "A ip " + a.ip().counters() + "\n A " + a.binding() + "\n B ip " + b.ip().counters() + "\n B "
                    + b.binding() + "\n " + bridge;
        }
    }

    private static BridgedHosts simulated(long seed, LinkOffloads offloads, ByteArrayOutputStream pcap) {
        Simulator sim = new Simulator(seed);
        BridgedHosts h = new BridgedHosts(sim.newLoop("a"), sim.newLoop("b"), sim.random(), offloads, 6, 300_000,
                pcap);
        boolean done = sim.runUntil(() -> h.clientsClosed() && h.serversClosed(), 120 * S);
        assertTrue(done, "seed " + seed + ": not finished at t=" + sim.nowNs() + "ns: " + h.failures() + "\n"
                + h.report());
        if (h.pcapA != null) {
            h.pcapA.flush();
        }
        return h;
    }

    @Test
    void twoStacksOnTwoSimulatedLoopsTransferByteExactThroughTheBridge() {
        BridgedHosts h = simulated(21, LinkOffloads.NONE, null);
        assertNull(h.failures(), h.report());
        assertEquals(0, h.a.ip().counters().totalDrops() + h.b.ip().counters().totalDrops(), h.report());
        assertEquals(0, h.a.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS), "a lossless link: " + h.report());
        for (LoopBridge.Counters c : List.of(h.bridge.a().txCounters(), h.bridge.b().txCounters())) {
            assertEquals(0, c.droppedTotal(), c.toString());
            assertEquals(c.framesSent(), c.framesDelivered(), c.toString());
        }
        assertTrue(h.bridge.a().txCounters().bytesDelivered() > 6 * 100_000, h.bridge.toString());
    }

    @Test
    void theSameSeedGivesTheSameCaptureThroughTheBridge() {
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        assertNull(simulated(5, LinkOffloads.NONE, first).failures());
        assertNull(simulated(5, LinkOffloads.NONE, second).failures());
        assertTrue(first.size() > 1_000_000, "the capture holds the transfer: " + first.size() + " bytes");
        assertArrayEquals(first.toByteArray(), second.toByteArray(), "same seed, byte-identical pcap");
    }

    @Test
    void tcpSuperSegmentsCrossTheBridgeWhenItsEndsOfferSegmentationOffload() {
        BridgedHosts h = simulated(33, TSO, null);
        assertNull(h.failures(), h.report());
        // The sender's super-segments reach the other stack whole, flagged as GSO frames with a partial checksum,
        // as a TAP hands a kernel's GSO frames over (what a target forwarding to a TSO device would receive).
        assertTrue(h.a.ip().counters().get(IpCounter.SEGMENTED_FRAMES_SENT) > 0, h.report());
        assertTrue(h.b.ip().counters().get(IpCounter.SEGMENTED_FRAMES_RECEIVED) > 0, h.report());
        assertTrue(h.bridge.a().txCounters().segmentedSent() > 0, h.bridge.toString());
        assertEquals(0, h.a.ip().counters().totalDrops() + h.b.ip().counters().totalDrops(), h.report());
        assertEquals(0, h.bridge.a().txCounters().droppedTotal() + h.bridge.b().txCounters().droppedTotal());
    }

    @ParameterizedTest(name = "tso={0}")
    @ValueSource(booleans = {false, true})
    void twoStacksOnTwoLoopThreadsTransferByteExactThroughTheBridge(boolean tso) throws Exception {
        EventLoop loopA = new EventLoop("host", Clock.system());
        EventLoop loopB = new EventLoop("target", Clock.system());
        BridgedHosts h = new BridgedHosts(loopA, loopB, new SeededRandom(77), tso ? TSO : LinkOffloads.NONE, 4,
                200_000, null);
        // Each loop checks its own endpoints at the end of its turns (they are loop-owned state).
        CountDownLatch done = new CountDownLatch(2);
        boolean[] seen = new boolean[2];
        loopA.onFlush(() -> {
            if (!seen[0] && h.clientsClosed()) {
                seen[0] = true;
                done.countDown();
            }
        });
        loopB.onFlush(() -> {
            if (!seen[1] && h.serversClosed()) {
                seen[1] = true;
                done.countDown();
            }
        });
        boolean finished;
        long startNs = System.nanoTime();
        h.a.start();
        h.b.start();
        try {
            finished = done.await(60, TimeUnit.SECONDS);
        } finally {
            h.a.close();
            h.b.close();
        }
        // Both loop threads have been joined: their state is visible here.
        assertTrue(finished, "not finished in 60 s: " + h.failures() + "\n" + h.report());
        assertNull(h.failures(), h.report());
        System.out.printf("bridged stacks on two threads (tso=%s): %d ms; %s%n", tso,
                (System.nanoTime() - startNs) / 1_000_000, h.bridge);
        if (tso) {
            assertTrue(h.b.ip().counters().get(IpCounter.SEGMENTED_FRAMES_RECEIVED) > 0, h.report());
        }
    }
}
