package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.link.FrameSink;
import dev.chimney.link.LinkOffloads;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.wire.Bytes;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Segmentation and checksum offload at the IP layer, against a fake port that claims TSO: a super-segment handed
 * to {@link IpStack.Outbound#commitSegmented} and cut the way Linux GSO cuts it (headers copied, IPv4 total length
 * and identification per piece, sequence numbers advanced, FIN/PSH only on the last piece, full checksums) must be
 * byte for byte the frames the stack sends when given the same segments one by one. Receive: the port's checksum
 * verdict and gso_size reach the transport.
 */
class SegmentationOffloadTest {
    static final MacAddress MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    static final MacAddress MAC_B = MacAddress.parse("02:00:00:00:00:0b");
    static final Ipv4Address A4 = Ipv4Address.parse("10.77.0.1");
    static final Ipv4Address B4 = Ipv4Address.parse("10.77.0.2");
    static final Ipv6Address A6 = Ipv6Address.parse("fd77::1");
    static final Ipv6Address B6 = Ipv6Address.parse("fd77::2");
    static final int TCP_HEADER = 32; // 20 + NOP NOP timestamp
    static final int FIN = 0x01;
    static final int PSH = 0x08;
    static final int ACK = 0x10;

    /** A port that records what the stack hands it, whole frames and super-frames apart. */
    static final class FakePort implements NetworkPort {
        final LinkOffloads offloads;
        final List<byte[]> frames = new ArrayList<>();
        final List<byte[]> superFrames = new ArrayList<>();
        final List<int[]> superParams = new ArrayList<>();

        FakePort(LinkOffloads offloads) {
            this.offloads = offloads;
        }

        @Override
        public String name() {
            return "fake0";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public LinkOffloads offloads() {
            return offloads;
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            frames.add(frame.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            return true;
        }

        @Override
        public boolean transmitSegmented(MemorySegment frame, boolean ipv6, int tcpOffset, int headerBytes,
                int segmentPayloadBytes) {
            superFrames.add(frame.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            superParams.add(new int[] {ipv6 ? 1 : 0, tcpOffset, headerBytes, segmentPayloadBytes});
            return true;
        }

        @Override
        public int receive(FrameSink sink, int budget) {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    record Host(EventLoop loop, IpStack stack, NetInterface nif, FakePort port) {
    }

    static Host host(long seed, LinkOffloads offloads) {
        Simulator sim = new Simulator(seed);
        EventLoop loop = sim.newLoop("a");
        IpStack stack = new IpStack(loop, sim.random().fork("a"), IpStackConfig.defaults());
        FakePort port = new FakePort(offloads);
        NetInterface nif = stack.attach(port, InterfaceConfig.of("a0", MAC_A).withIpv4("10.77.0.1/24")
                .withIpv6("fd77::1/64"));
        stack.neighbors(nif, false).addStatic(B4, MAC_B, loop.nowNs());
        stack.neighbors(nif, true).addStatic(B6, MAC_B, loop.nowNs());
        return new Host(loop, stack, nif, port);
    }

    static final LinkOffloads TSO = new LinkOffloads(65_535 + 18, true, true);

    /** Writes a TCP header with a timestamp option and the data; returns the TCP length. */
    static int writeTcp(MemorySegment seg, long off, int seq, int flags, byte[] data, int from, int len) {
        Bytes.u16(seg, off, 40000);
        Bytes.u16(seg, off + 2, 5001);
        Bytes.u32(seg, off + 4, seq);
        Bytes.u32(seg, off + 8, 0x1234_5678);
        Bytes.u8(seg, off + 12, (TCP_HEADER / 4) << 4);
        Bytes.u8(seg, off + 13, flags);
        Bytes.u16(seg, off + 14, 512);
        Bytes.u16(seg, off + 16, 0);
        Bytes.u16(seg, off + 18, 0);
        Bytes.u8(seg, off + 20, 1);
        Bytes.u8(seg, off + 21, 1);
        Bytes.u8(seg, off + 22, 8);
        Bytes.u8(seg, off + 23, 10);
        Bytes.u32(seg, off + 24, 777);
        Bytes.u32(seg, off + 28, 555);
        MemorySegment.copy(MemorySegment.ofArray(data), from, seg, off + TCP_HEADER, len);
        return TCP_HEADER + len;
    }

    /** What Linux GSO does with a super-frame (net/ipv4/tcp_offload.c tcp_gso_segment, inet_gso_segment). */
    static List<byte[]> softwareSegment(byte[] frame, boolean ipv6, int tcpOffset, int headerBytes, int mss) {
        List<byte[]> out = new ArrayList<>();
        int dataBytes = frame.length - headerBytes;
        int ipOffset = 14;
        MemorySegment sf = MemorySegment.ofArray(frame);
        int seq0 = Bytes.u32(sf, tcpOffset + 4);
        int flags = Bytes.u8(sf, tcpOffset + 13);
        int id0 = ipv6 ? 0 : Bytes.u16(sf, ipOffset + 4);
        for (int off = 0, i = 0; off < dataBytes; off += mss, i++) {
            int n = Math.min(mss, dataBytes - off);
            boolean last = off + n == dataBytes;
            byte[] piece = new byte[headerBytes + n];
            System.arraycopy(frame, 0, piece, 0, headerBytes);
            System.arraycopy(frame, headerBytes + off, piece, headerBytes, n);
            MemorySegment p = MemorySegment.ofArray(piece);
            int tcpLen = piece.length - tcpOffset;
            if (ipv6) {
                Bytes.u16(p, ipOffset + 4, tcpLen);
            } else {
                Bytes.u16(p, ipOffset + 2, piece.length - ipOffset);
                Bytes.u16(p, ipOffset + 4, (id0 + i) & 0xFFFF);
                Bytes.u16(p, ipOffset + 10, 0);
                Bytes.u16(p, ipOffset + 10, Checksum.compute(p, ipOffset, tcpOffset - ipOffset));
            }
            Bytes.u32(p, tcpOffset + 4, seq0 + off);
            Bytes.u8(p, tcpOffset + 13, last ? flags : flags & ~(FIN | PSH));
            Bytes.u16(p, tcpOffset + 16, 0);
            int pseudo = ipv6
                    ? Checksum.pseudoHeaderV6(Bytes.u64(p, ipOffset + 8), Bytes.u64(p, ipOffset + 16),
                            Bytes.u64(p, ipOffset + 24), Bytes.u64(p, ipOffset + 32), IpProtocol.TCP, tcpLen)
                    : Checksum.pseudoHeaderV4(Bytes.u32(p, ipOffset + 12), Bytes.u32(p, ipOffset + 16),
                            IpProtocol.TCP, tcpLen);
            Bytes.u16(p, tcpOffset + 16, Checksum.finish(Checksum.add(Checksum.sum(p, tcpOffset, tcpLen), pseudo)));
            out.add(piece);
        }
        return out;
    }

    @ParameterizedTest(name = "ipv6={0} data={1} mss={2}")
    @CsvSource({"false, 14480, 1448", "false, 65000, 1448", "false, 3000, 1448", "true, 14280, 1428",
            "true, 60001, 1428", "false, 20000, 1000"})
    void superSegmentIsExactlyTheSegmentsItStandsFor(boolean ipv6, int dataBytes, int mss) {
        long seed = 42 + dataBytes;
        IpAddress dst = ipv6 ? B6 : B4;
        byte[] data = new byte[dataBytes];
        new java.util.Random(seed).nextBytes(data);
        int seq0 = 0x7FFF_F000; // wraps within the super-segment for the larger cases
        int flags = ACK | PSH | FIN;

        Host tso = host(seed, TSO);
        IpStack.Outbound o = tso.stack().beginSend(dst, IpProtocol.TCP);
        assertTrue(o.checksumOffload());
        assertTrue(o.maxSegmentedPayloadBytes() >= TCP_HEADER + dataBytes, "room for the super-segment: "
                + o.maxSegmentedPayloadBytes());
        int tcpLen = writeTcp(o.segment(), o.payloadOffset(), seq0, flags, data, 0, dataBytes);
        // NEEDS_CSUM contract: the field holds the folded pseudo-header sum over the whole TCP length.
        Bytes.u16(o.segment(), o.payloadOffset() + 16, o.pseudoHeaderSum(tcpLen));
        assertTrue(o.commitSegmented(tcpLen, TCP_HEADER, mss), "seed=" + seed);
        assertEquals(1, tso.port().superFrames.size(), "one super-frame, seed=" + seed);
        assertEquals(0, tso.port().frames.size());
        int[] params = tso.port().superParams.getFirst();
        int tcpOffset = 14 + (ipv6 ? 40 : 20);
        assertArrayEquals(new int[] {ipv6 ? 1 : 0, tcpOffset, tcpOffset + TCP_HEADER, mss}, params);
        List<byte[]> cut = softwareSegment(tso.port().superFrames.getFirst(), ipv6, params[1], params[2], params[3]);

        Host plain = host(seed, LinkOffloads.NONE);
        for (int off = 0; off < dataBytes; off += mss) {
            int n = Math.min(mss, dataBytes - off);
            boolean last = off + n == dataBytes;
            IpStack.Outbound p = plain.stack().beginSend(dst, IpProtocol.TCP);
            assertFalse(p.checksumOffload());
            int len = writeTcp(p.segment(), p.payloadOffset(), seq0 + off, last ? flags : flags & ~(FIN | PSH), data,
                    off, n);
            int sum = Checksum.add(Checksum.sum(p.segment(), p.payloadOffset(), len), p.pseudoHeaderSum(len));
            Bytes.u16(p.segment(), p.payloadOffset() + 16, Checksum.finish(sum));
            assertTrue(p.commit(len));
        }
        List<byte[]> expected = plain.port().frames;
        assertEquals(expected.size(), cut.size(), "segment count, seed=" + seed);
        for (int i = 0; i < cut.size(); i++) {
            assertArrayEquals(expected.get(i), cut.get(i), "segment " + i + " of " + cut.size() + ", seed=" + seed);
        }
        assertEquals(1, tso.stack().counters().get(IpCounter.SEGMENTED_FRAMES_SENT));
        // The IPv4 identification space advanced by one per segment, as on the wire.
        IpStack.Outbound next = tso.stack().beginSend(dst, IpProtocol.TCP);
        IpStack.Outbound nextPlain = plain.stack().beginSend(dst, IpProtocol.TCP);
        assertEquals(next.maxPayloadBytes(), nextPlain.maxPayloadBytes());
    }

    @Test
    void whileTheNeighborResolvesTheFirstSegmentWaitsWithAFullChecksum() {
        long seed = 77;
        Simulator sim = new Simulator(seed);
        EventLoop loop = sim.newLoop("a");
        IpStack stack = new IpStack(loop, sim.random().fork("a"), IpStackConfig.defaults());
        FakePort port = new FakePort(TSO);
        NetInterface nif = stack.attach(port, InterfaceConfig.of("a0", MAC_A).withIpv4("10.77.0.1/24"));
        byte[] data = new byte[5000];
        new java.util.Random(seed).nextBytes(data);
        IpStack.Outbound o = stack.beginSend(B4, IpProtocol.TCP);
        int tcpLen = writeTcp(o.segment(), o.payloadOffset(), 1000, ACK | PSH, data, 0, data.length);
        Bytes.u16(o.segment(), o.payloadOffset() + 16, o.pseudoHeaderSum(tcpLen));
        assertTrue(o.commitSegmented(tcpLen, TCP_HEADER, 1448), "queued");
        assertEquals(1, port.frames.size(), "only the ARP request left");
        assertTrue(port.superFrames.isEmpty());
        stack.neighbors(nif, false).onAdvertisement(B4, MAC_B, true, true, loop.nowNs());
        assertEquals(2, port.frames.size(), "the queued piece left on resolution");
        byte[] sent = port.frames.get(1);

        Host plain = host(seed, LinkOffloads.NONE);
        IpStack.Outbound p = plain.stack().beginSend(B4, IpProtocol.TCP);
        int len = writeTcp(p.segment(), p.payloadOffset(), 1000, ACK, data, 0, 1448);
        Bytes.u16(p.segment(), p.payloadOffset() + 16, Checksum.finish(Checksum.add(
                Checksum.sum(p.segment(), p.payloadOffset(), len), p.pseudoHeaderSum(len))));
        assertTrue(p.commit(len));
        byte[] expected = plain.port().frames.getFirst();
        // Identification differs (the super-segment reserved its ids first); everything else is the first segment.
        MemorySegment s = MemorySegment.ofArray(sent);
        MemorySegment e = MemorySegment.ofArray(expected);
        Bytes.u16(s, 14 + 4, 0);
        Bytes.u16(s, 14 + 10, 0);
        Bytes.u16(e, 14 + 4, 0);
        Bytes.u16(e, 14 + 10, 0);
        assertArrayEquals(expected, sent, "seed=" + seed);
    }

    @Test
    void withoutTsoTheSegmentedLimitIsThePathLimitAndCommitSegmentedIsRefused() {
        Host plain = host(1, LinkOffloads.NONE);
        IpStack.Outbound o = plain.stack().beginSend(B4, IpProtocol.TCP);
        assertEquals(o.maxPayloadBytes(), o.maxSegmentedPayloadBytes());
        assertEquals(1480, o.maxPayloadBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> o.commitSegmented(100, 20, 1448));
        assertTrue(e.getMessage().contains("checksumOffload"), e.getMessage());
    }

    @Test
    void theSegmentedLimitIsA64KiBIpPacketAndLargerIsRefused() {
        Host tso = host(2, TSO);
        IpStack.Outbound o = tso.stack().beginSend(B4, IpProtocol.TCP);
        assertEquals(65_535 - 20, o.maxSegmentedPayloadBytes());
        assertEquals(65_535 - 20, tso.stack().segmentationOffloadBytes(B4));
        assertEquals(0, host(2, LinkOffloads.NONE).stack().segmentationOffloadBytes(B4));
        assertFalse(o.commitSegmented(65_535 - 20 + 1, 20, 1460));
        assertEquals(1, tso.stack().counters().get(IpCounter.TX_DROP_TOO_BIG));
        IpStack.Outbound o6 = tso.stack().beginSend(B6, IpProtocol.TCP);
        assertEquals(65_535 + 18 - 14 - 40, o6.maxSegmentedPayloadBytes(), "the port's frame limit binds first");
        // Pieces must fit the path: an MSS larger than the PMTU allows is a stale MSS, refused.
        assertFalse(o6.commitSegmented(20 + 4000, 20, 1500));
        assertEquals(2, tso.stack().counters().get(IpCounter.TX_DROP_TOO_BIG));
        assertTrue(tso.port().superFrames.isEmpty());
    }

    @Test
    void aSegmentWithinOneMssGoesOutChecksumOffloadedOnly() {
        Host tso = host(3, TSO);
        IpStack.Outbound o = tso.stack().beginSend(B4, IpProtocol.TCP);
        byte[] data = new byte[100];
        int len = writeTcp(o.segment(), o.payloadOffset(), 1, ACK, data, 0, data.length);
        Bytes.u16(o.segment(), o.payloadOffset() + 16, o.pseudoHeaderSum(len));
        assertTrue(o.commitSegmented(len, TCP_HEADER, 1448));
        byte[] f = tso.port().superFrames.getFirst();
        assertEquals(14 + 20 + len, f.length);
        List<byte[]> cut = softwareSegment(f, false, 34, 34 + TCP_HEADER, 1448);
        assertEquals(1, cut.size());
    }

    // ------------------------------------------------------------------------------------------ receive

    /** Records the offload metadata the TCP handler sees. */
    static final class Recorder implements TransportHandler {
        final List<int[]> seen = new ArrayList<>();

        @Override
        public void onPacket(IpPacketInfo info, MemorySegment payload) {
            seen.add(new int[] {info.checksumState(), info.transportChecksumTrusted() ? 1 : 0, info.segmentBytes(),
                    (int) payload.byteSize()});
        }
    }

    @Test
    void aGsoSuperFrameLargerThanTheMtuReachesTheTransportWithItsSegmentSizeAndChecksumState() {
        Host h = host(4, TSO);
        Recorder r = new Recorder();
        h.stack().register(IpProtocol.TCP, r);
        byte[] data = new byte[20_000];
        MemorySegment tcp = MemorySegment.ofArray(new byte[TCP_HEADER + data.length]);
        int tcpLen = writeTcp(tcp, 0, 9, ACK, data, 0, data.length);
        Bytes.u16(tcp, 16, Checksum.fold(Checksum.pseudoHeaderV4(B4.bits(), A4.bits(), IpProtocol.TCP, tcpLen)));
        MemorySegment frame = TestFrames.frameV4(MAC_A, MAC_B,
                TestFrames.ipv4(B4, A4, IpProtocol.TCP, 7, true, false, 0, tcp));
        h.stack().receiveFrame(h.nif(), frame, NetworkPort.RX_CHECKSUM_PARTIAL, 1448);
        h.stack().receiveFrame(h.nif(), frame); // the same bytes without the port's word: the transport verifies
        assertEquals(2, r.seen.size());
        assertArrayEquals(new int[] {NetworkPort.RX_CHECKSUM_PARTIAL, 1, 1448, tcpLen}, r.seen.get(0));
        assertArrayEquals(new int[] {NetworkPort.RX_CHECKSUM_UNKNOWN, 0, 0, tcpLen}, r.seen.get(1));
        assertEquals(1, h.stack().counters().get(IpCounter.SEGMENTED_FRAMES_RECEIVED));
    }

    @Test
    void linkOffloadsRejectTsoWithoutChecksumOffloadAndOversizedLimits() {
        assertThrows(IllegalArgumentException.class, () -> new LinkOffloads(65_000, false, true));
        assertThrows(IllegalArgumentException.class, () -> new LinkOffloads(70_000, true, true));
        assertFalse(LinkOffloads.NONE.tso());
        assertTrue(TSO.tso());
    }
}
