package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.IpCounter;
import dev.chimney.link.FrameSink;
import dev.chimney.link.Impairments;
import dev.chimney.link.LinkOffloads;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpIpCounter;
import dev.chimney.tcp.TcpListener;
import dev.chimney.wire.Bytes;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.IpProtocol;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Two host stacks whose ports claim segmentation and checksum offload, as a virtio-net TAP does, over the virtual
 * wire. In "NIC" mode the port cuts each super-frame into MSS segments with full checksums (what a NIC or the
 * kernel's GSO puts on a wire), over a lossy wire: the receiver must verify every checksum and get both streams
 * byte-exact. In "local kernel" mode super-frames travel whole with their checksums left partial, as the Linux
 * stack behind a TAP sends and accepts them: the receiver takes segments larger than the MSS and skips the partial
 * checksum because the port flags it. Either way the stacks used super-segments.
 */
class OffloadTransferTest {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final LinkOffloads TSO = new LinkOffloads(65_535 + 18, true, true);

    /** A port with TSO in front of a virtual wire end. */
    static final class OffloadPort implements NetworkPort, FrameSink {
        final NetworkPort inner;
        final boolean segment;
        int superFrames;
        int largestFrame;
        /** Largest frame put on the wire since {@link #mark()} (pieces of super-frames included). */
        int largestSinceMark = -1;
        int superFramesSinceMark;

        void mark() {
            largestSinceMark = 0;
            superFramesSinceMark = 0;
        }

        private boolean wire(MemorySegment frame) {
            if (largestSinceMark >= 0) {
                largestSinceMark = Math.max(largestSinceMark, (int) frame.byteSize());
            }
            return inner.transmit(frame);
        }
        private FrameSink sink;
        private int rxState;
        private int rxSegment;
        private final int mss;

        OffloadPort(NetworkPort inner, boolean segment, int mtuBytes) {
            this.inner = inner;
            this.segment = segment;
            this.mss = mtuBytes - 40;
        }

        @Override
        public String name() {
            return "tso-" + inner.name();
        }

        @Override
        public int mtu() {
            return segment ? inner.mtu() : 1500;
        }

        @Override
        public LinkOffloads offloads() {
            return TSO;
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            return wire(frame);
        }

        @Override
        public boolean transmitSegmented(MemorySegment frame, boolean ipv6, int tcpOffset, int headerBytes,
                int segmentPayloadBytes) {
            largestFrame = Math.max(largestFrame, (int) frame.byteSize());
            if (frame.byteSize() - headerBytes > segmentPayloadBytes) {
                superFrames++;
                superFramesSinceMark++;
            }
            if (!segment) {
                return wire(frame); // whole, checksum partial: the local kernel takes it as it is
            }
            boolean ok = true;
            for (byte[] piece : softwareSegment(frame.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), ipv6,
                    tcpOffset, headerBytes, segmentPayloadBytes)) {
                ok &= wire(MemorySegment.ofArray(piece));
            }
            return ok;
        }

        @Override
        public int receive(FrameSink s, int budget) {
            this.sink = s;
            return inner.receive(this, budget);
        }

        @Override
        public void onFrame(MemorySegment frame) {
            // Local-kernel mode: every TCP frame arrives with its checksum partial (virtio NEEDS_CSUM), and a frame
            // above the MTU is a GSO super-frame of MSS-sized segments.
            boolean tcp = !segment && isTcp(frame);
            rxState = tcp ? RX_CHECKSUM_PARTIAL : RX_CHECKSUM_UNKNOWN;
            rxSegment = tcp && frame.byteSize() > 1514 ? mss : 0;
            sink.onFrame(frame);
        }

        @Override
        public int rxChecksumState() {
            return rxState;
        }

        @Override
        public int rxSegmentBytes() {
            return rxSegment;
        }

        @Override
        public long nextArrivalNs() {
            return inner.nextArrivalNs();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    static boolean isTcp(MemorySegment f) {
        int type = Bytes.u16(f, 12);
        return type == 0x0800 && Bytes.u8(f, 14 + 9) == IpProtocol.TCP
                || type == 0x86DD && Bytes.u8(f, 14 + 6) == IpProtocol.TCP;
    }

    /** Linux GSO semantics (tcp_gso_segment): headers copied, lengths/ids/seq fixed, FIN/PSH last, full checksum. */
    static List<byte[]> softwareSegment(byte[] frame, boolean ipv6, int tcpOffset, int headerBytes, int mss) {
        List<byte[]> out = new ArrayList<>();
        int dataBytes = frame.length - headerBytes;
        MemorySegment sf = MemorySegment.ofArray(frame);
        int seq0 = Bytes.u32(sf, tcpOffset + 4);
        int flags = Bytes.u8(sf, tcpOffset + 13);
        int id0 = ipv6 ? 0 : Bytes.u16(sf, 14 + 4);
        int off = 0;
        int i = 0;
        do {
            int n = Math.min(mss, dataBytes - off);
            boolean last = off + n == dataBytes;
            byte[] piece = new byte[headerBytes + n];
            System.arraycopy(frame, 0, piece, 0, headerBytes);
            System.arraycopy(frame, headerBytes + off, piece, headerBytes, n);
            MemorySegment p = MemorySegment.ofArray(piece);
            int tcpLen = piece.length - tcpOffset;
            if (ipv6) {
                Bytes.u16(p, 14 + 4, tcpLen);
            } else {
                Bytes.u16(p, 14 + 2, piece.length - 14);
                Bytes.u16(p, 14 + 4, (id0 + i) & 0xFFFF);
                Bytes.u16(p, 14 + 10, 0);
                Bytes.u16(p, 14 + 10, Checksum.compute(p, 14, tcpOffset - 14));
            }
            Bytes.u32(p, tcpOffset + 4, seq0 + off);
            Bytes.u8(p, tcpOffset + 13, last ? flags : flags & ~0x09);
            Bytes.u16(p, tcpOffset + 16, 0);
            int pseudo = ipv6
                    ? Checksum.pseudoHeaderV6(Bytes.u64(p, 14 + 8), Bytes.u64(p, 14 + 16), Bytes.u64(p, 14 + 24),
                            Bytes.u64(p, 14 + 32), IpProtocol.TCP, tcpLen)
                    : Checksum.pseudoHeaderV4(Bytes.u32(p, 14 + 12), Bytes.u32(p, 14 + 16), IpProtocol.TCP, tcpLen);
            Bytes.u16(p, tcpOffset + 16, Checksum.finish(Checksum.add(Checksum.sum(p, tcpOffset, tcpLen), pseudo)));
            out.add(piece);
            off += n;
            i++;
        } while (off < dataBytes);
        return out;
    }

    @ParameterizedTest(name = "nic={0} ipv6={1} loss={2} seed={3}")
    @CsvSource({"true, false, 0.0, 1", "true, false, 0.01, 2", "true, true, 0.01, 3", "false, false, 0.0, 4",
            "false, true, 0.0, 5", "false, false, 0.005, 6"})
    void bulkBothWaysWithSuperSegments(boolean nic, boolean ipv6, double loss, long seed) {
        Simulator sim = new Simulator(seed);
        int wireMtu = nic ? 1500 : 65_535;
        VirtualWire wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire"))
                .both(Impairments.NONE.withDelay(MS, 0).withLoss(loss)).mtu(wireMtu).maxInFlightFrames(4096)
                .build();
        OffloadPort pa = new OffloadPort(wire.a(), nic, 1500);
        OffloadPort pb = new OffloadPort(wire.b(), nic, 1500);
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(512 * 1024).receiveBufferBytes(512 * 1024).build();
        NetworkStack a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a")).tcpConfig(tcp)
                .iface(pa, InterfaceConfig.of("a0", TransferScenario.MAC_A).withIpv4("10.77.0.1/24")
                        .withIpv6("fd77::1/64"))
                .build();
        NetworkStack b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(pb, InterfaceConfig.of("b0", TransferScenario.MAC_B).withIpv4("10.77.0.2/24")
                        .withIpv6("fd77::2/64"))
                .build();
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
        String scenario = "seed=" + seed + " nic=" + nic + " ipv6=" + ipv6 + " loss=" + loss;
        boolean done = sim.runUntil(() -> client.closed != null && !servers.isEmpty()
                && servers.getFirst().closed != null, 300 * S);
        assertTrue(done, "transfer did not finish; " + scenario + " a=" + a.binding() + " b=" + b.binding());
        StreamEndpoint server = servers.getFirst();
        assertTrue(client.complete() && server.complete(), "incomplete or corrupt; " + scenario + " client "
                + client.received + "/" + client.expectBytes + " server " + server.received + "/"
                + server.expectBytes);
        assertEquals(CloseReason.NORMAL, client.closed, scenario);
        assertEquals(CloseReason.NORMAL, server.closed, scenario);
        // Both directions used super-segments, and the receiver never saw a bad checksum: in NIC mode each piece
        // carried a full checksum, in local-kernel mode the partial ones were recognised.
        assertTrue(pa.superFrames > 10 && pb.superFrames > 10, "super-frames a=" + pa.superFrames + " b="
                + pb.superFrames + "; " + scenario);
        assertTrue(pa.largestFrame > 3 * 1500, "largest super-frame " + pa.largestFrame + "; " + scenario);
        assertEquals(0, a.binding().counter(TcpIpCounter.DROP_BAD_CHECKSUM), scenario);
        assertEquals(0, b.binding().counter(TcpIpCounter.DROP_BAD_CHECKSUM), scenario);
        assertTrue(a.ip().counters().get(IpCounter.SEGMENTED_FRAMES_SENT) >= pa.superFrames, scenario);
        if (!nic) {
            assertTrue(b.ip().counters().get(IpCounter.SEGMENTED_FRAMES_RECEIVED) > 10, scenario);
        }
    }

    @Test
    void aPathMtuDropMidStreamShrinksTheSuperSegmentsPieces() {
        long seed = 21;
        Simulator sim = new Simulator(seed);
        VirtualWire wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire"))
                .both(Impairments.NONE.withDelay(MS, 0)).mtu(1500).maxInFlightFrames(4096).build();
        OffloadPort pa = new OffloadPort(wire.a(), true, 1500);
        OffloadPort pb = new OffloadPort(wire.b(), true, 1500);
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(512 * 1024).receiveBufferBytes(512 * 1024).build();
        NetworkStack a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a")).tcpConfig(tcp)
                .iface(pa, InterfaceConfig.of("a0", TransferScenario.MAC_A).withIpv4("10.77.0.1/24")).build();
        NetworkStack b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(pb, InterfaceConfig.of("b0", TransferScenario.MAC_B).withIpv4("10.77.0.2/24")).build();
        List<StreamEndpoint> servers = new ArrayList<>();
        b.listen(TransferScenario.PORT, (TcpListener l) -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                StreamEndpoint s = StreamEndpoint.server();
                servers.add(s);
                s.attach(c);
            }
        });
        StreamEndpoint client = StreamEndpoint.client(0, 4_000_000, 0);
        client.connection = a.connect(TransferScenario.B4, TransferScenario.PORT, client);
        assertTrue(sim.runUntil(() -> client.written > 1_000_000, 60 * S), "seed=" + seed);
        // A router on the path now takes 1200 bytes (RFC 1191): the path cache learns it, and the engine's MSS
        // is stale until the binding notices a piece would not fit.
        a.ip().paths().onFragmentationNeeded(TransferScenario.B4, 1200, 1500, sim.nowNs());
        pa.mark();
        boolean done = sim.runUntil(() -> client.closed != null && !servers.isEmpty()
                && servers.getFirst().closed != null, 300 * S);
        assertTrue(done && client.complete() && servers.getFirst().complete(), "transfer after the PMTU drop did not"
                + " complete, seed=" + seed + " a=" + a.binding() + " client " + client.closed);
        assertEquals(CloseReason.NORMAL, client.closed);
        assertTrue(pa.superFramesSinceMark > 10, "still segmenting after the drop: " + pa.superFramesSinceMark);
        assertTrue(pa.largestSinceMark <= 14 + 1200, "every frame on the wire fits the new path MTU: "
                + pa.largestSinceMark);
        assertTrue(a.binding().counter(TcpIpCounter.TX_DROP_TOO_BIG) > 0, "the stale MSS was noticed: " + a.binding());
        // ... by the binding, before IP: no super-frame was refused for pieces too big for the path.
        assertEquals(0, a.ip().counters().get(IpCounter.TX_DROP_TOO_BIG), a.ip().counters().toString());
    }
}
