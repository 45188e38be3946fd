package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.host.ChimneyStatistics;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.IpCounter;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpIpCounter;
import dev.chimney.tcp.TcpListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The soft offload target on a link with segmentation offload (a TAP with TSO, here {@link
 * OffloadTransferTest.OffloadPort}): an offloaded connection's engine sends TSO super-segments as the host's does,
 * the link cuts them (Linux GSO semantics) or passes them whole with partial checksums to a local kernel, and the
 * transfer stays byte-exact both ways. The target counts what goes on the wire — every piece a datagram and a
 * segment (spec §5.4.2, §5.4.3, R-STAT-3) — so without loss the peer received exactly the merged tcpOutSegs.
 */
class ChimneySegmentationOffloadTest {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;

    @ParameterizedTest(name = "nic={0} ipv6={1} loss={2} seed={3}")
    @CsvSource({"true, false, 0.0, 1", "true, true, 0.0, 2", "true, false, 0.01, 3", "false, false, 0.0, 4",
            "false, true, 0.005, 5"})
    void anOffloadedConnectionSendsSuperSegmentsThroughTheTargetsLink(boolean nic, boolean ipv6, double loss,
            long seed) {
        Simulator sim = new Simulator(seed);
        VirtualWire wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire"))
                .both(Impairments.NONE.withDelay(MS, 0).withLoss(loss)).mtu(nic ? 1500 : 65_535)
                .maxInFlightFrames(4096).build();
        OffloadTransferTest.OffloadPort pa = new OffloadTransferTest.OffloadPort(wire.a(), nic, 1500);
        OffloadTransferTest.OffloadPort pb = new OffloadTransferTest.OffloadPort(wire.b(), nic, 1500);
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(512 * 1024).receiveBufferBytes(512 * 1024).build();
        var loopA = sim.newLoop("a");
        SoftOffloadTarget nicA = SoftOffloadTarget.builder(sim.newLoop("a-nic"), pa).name("a-nic").hostLoop(loopA)
                .mac(TransferScenario.MAC_A).tcpConfig(tcp).random(sim.random().fork("a-nic")).build();
        NetworkStack a = NetworkStack.builder(loopA).random(sim.random().fork("a")).tcpConfig(tcp)
                .offload(nicA, OffloadPolicy.allEstablished())
                .iface(nicA.hostPort(), InterfaceConfig.of("a0", TransferScenario.MAC_A).withIpv4("10.77.0.1/24")
                        .withIpv6("fd77::1/64"))
                .build();
        NetworkStack b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(pb, InterfaceConfig.of("b0", TransferScenario.MAC_B).withIpv4("10.77.0.2/24")
                        .withIpv6("fd77::2/64"))
                .build();
        OffloadManager om = a.offload();
        // from the moment the connection is on the target, every super-frame on A's link is the target's
        om.addListener(new OffloadManager.Listener() {
            @Override
            public void onOffloaded(TcpConnection connection) {
                pa.mark();
            }
        });
        List<StreamEndpoint> servers = new ArrayList<>();
        b.listen(TransferScenario.PORT, (TcpListener l) -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                StreamEndpoint s = StreamEndpoint.server();
                servers.add(s);
                s.attach(c);
            }
        });
        StreamEndpoint client = StreamEndpoint.client(0, 3_000_000, 2_000_000);
        client.connection = a.connect(ipv6 ? TransferScenario.B6 : TransferScenario.B4, TransferScenario.PORT,
                client);
        String scenario = "seed=" + seed + " nic=" + nic + " ipv6=" + ipv6 + " loss=" + loss + " " + om;
        boolean done = sim.runUntil(() -> client.closed != null && !servers.isEmpty()
                && servers.getFirst().closed != null, 300 * S);
        assertTrue(done, "transfer did not finish; " + scenario);
        StreamEndpoint server = servers.getFirst();
        assertTrue(client.complete() && server.complete(), "incomplete or corrupt; " + scenario);
        assertEquals(CloseReason.NORMAL, client.closed, scenario);
        assertEquals(CloseReason.NORMAL, server.closed, scenario);
        assertEquals(1, om.counter(OffloadCounter.CONNECTIONS_OFFLOADED), scenario);
        assertTrue(pa.superFramesSinceMark > 10, "the target's super-frames: " + pa.superFramesSinceMark + "; "
                + scenario);
        assertEquals(0, b.binding().counter(TcpIpCounter.DROP_BAD_CHECKSUM), scenario);

        sim.runFor(S);
        AtomicReference<ChimneyStatistics> got = new AtomicReference<>();
        a.statistics(got::set);
        sim.runFor(10 * MS);
        ChimneyStatistics st = got.get();
        assertNotNull(st, scenario);
        var ip = ipv6 ? st.target().ipv6() : st.target().ipv4();
        // each piece counted as a datagram: far more than the super-frames handed to the link
        assertTrue(ip.outRequests() > 2L * pa.superFramesSinceMark && ip.outOctets() > 2_000_000, st.toString());
        if (nic && loss == 0) {
            // The peer got every piece the target counted, plus the host's segments from before the offload — which
            // the host's engine counts once per super-segment, so they are at least its count and at most 45
            // pieces (64 KiB / MSS) per super-frame its IP layer handed the link.
            long peerIn = b.tcp().counter(TcpCounter.SEGMENTS_IN);
            long targetOut = st.target().tcp4().outSegments() + st.target().tcp6().outSegments();
            long hostMax = st.host().tcpOutSegments() + 44 * a.ip().counters().get(IpCounter.SEGMENTED_FRAMES_SENT);
            String why = "peer in " + peerIn + " " + st;
            // Without loss nothing is resent but RACK-TLP's tail loss probes (RFC 8985 §7), which a deep queue on
            // the link can make spurious; they stay a small share. (Follow-up: a probe resends a whole TSO
            // super-segment's pieces, where §7.3 asks for one segment.)
            assertTrue(st.tcpRetransmittedSegments() * 10 <= targetOut, why);
            assertTrue(targetOut + st.host().tcpOutSegments() <= peerIn && peerIn <= targetOut + st.tcpRetransmittedSegments() + hostMax,
                    why);
        }
    }
}
