package dev.chimney.wire;

import static org.junit.jupiter.api.Assertions.*;

import dev.chimney.link.PcapWriter;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.testkit.Tshark;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with an independent decoder: frames emitted from random reprs are written to a pcap and Wireshark's
 * dissectors (tshark, checksum validation on) must find nothing malformed and no bad checksum — while a frame we
 * corrupt on purpose must be the one it flags. Skips with a message when tshark is missing (fails under CI=true).
 */
class WireTsharkInteropTest {
    private static final long SEED = 0x77_2026L;
    /** IANA-unassigned port 4 on both ends, so no application dissector tries to decode the random payloads. */
    private static final int UNASSIGNED_PORT = 4;

    private int withSack;
    private int withTimestamps;
    private int syns;

    @Test
    void tsharkFindsEveryEmittedFrameWellFormedAndFlagsTheCorruptedOne(@TempDir final Path dir) throws Exception {
        final Random rnd = new Random(SEED);
        final List<MemorySegment> frames = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            frames.add(tcpFrame(rnd, i % 2 == 0));
            frames.add(udpFrame(rnd, i % 2 == 1));
        }
        frames.add(icmpv4EchoFrame(rnd));
        frames.add(ndpFrame());
        frames.add(arpFrame());
        final MemorySegment corrupt = tcpFrame(rnd, false);
        corrupt.set(ValueLayout.JAVA_BYTE, corrupt.byteSize() - 1,
                (byte) (corrupt.get(ValueLayout.JAVA_BYTE, corrupt.byteSize() - 1) ^ 0x01));
        frames.add(corrupt);

        final Path pcap = dir.resolve("wire.pcap");
        final VirtualClock clock = new VirtualClock();
        try (PcapWriter w = PcapWriter.create(pcap, clock)) {
            for (final MemorySegment f : frames) {
                clock.advanceBy(1_000);
                w.write(f);
            }
        }
        assertTrue(Files.size(pcap) > 0);
        final String problems = Tshark.problems(pcap).strip();
        final String[] lines = problems.isEmpty() ? new String[0] : problems.split("\n");
        assertEquals(1, lines.length, "seed " + SEED + ": expected only the corrupted frame, got:\n"
                + String.join("\n", lines));
        assertTrue(lines[0].startsWith(frames.size() + "\t"), "seed " + SEED + ": flagged " + lines[0]);
        assertEquals(41, Tshark.count(pcap, "tcp"), "seed " + SEED);
        assertEquals(40, Tshark.count(pcap, "udp && !icmpv6"), "seed " + SEED);
        assertEquals(withSack, Tshark.count(pcap, "tcp.options.sack_le"), "seed " + SEED);
        assertEquals(withTimestamps, Tshark.count(pcap, "tcp.options.timestamp.tsval"), "seed " + SEED);
        assertEquals(syns, Tshark.count(pcap, "tcp.options.mss_val == 1460 && tcp.options.wscale.shift"
                + " && tcp.options.sack_perm && tcp.flags.syn == 1"), "seed " + SEED);
        assertEquals(1, Tshark.count(pcap, "icmp.type == 8"));
        assertEquals(1, Tshark.count(pcap, "icmpv6.type == 136 && icmpv6.nd.na.flag.s == 1"));
        assertEquals(1, Tshark.count(pcap, "arp.opcode == 1 && vlan.id == 42"));
    }

    private MemorySegment tcpFrame(final Random rnd, final boolean ipv6) {
        final List<SackBlock> sacks = new ArrayList<>();
        final boolean opts = rnd.nextBoolean();
        final boolean ts = opts && rnd.nextBoolean();
        for (int i = 0, n = opts ? rnd.nextInt(3) : 0; i < n; i++) {
            final int left = rnd.nextInt();
            sacks.add(new SackBlock(left, left + 1 + rnd.nextInt(10_000)));
        }
        final boolean syn = opts && sacks.isEmpty() && rnd.nextBoolean();
        final TcpRepr tcp = new TcpRepr(UNASSIGNED_PORT, UNASSIGNED_PORT, rnd.nextInt(), rnd.nextInt(),
                (syn ? TcpFlags.SYN : 0) | TcpFlags.ACK | (rnd.nextBoolean() ? TcpFlags.PSH : 0), rnd.nextInt(65536),
                0, syn ? 1460 : TcpOptions.NONE, syn ? rnd.nextInt(15) : TcpOptions.NONE, syn, ts,
                ts ? rnd.nextInt() : 0, ts ? rnd.nextInt() : 0, sacks, syn ? 0 : rnd.nextInt(200));
        withSack += sacks.isEmpty() ? 0 : 1;
        withTimestamps += ts ? 1 : 0;
        syns += syn ? 1 : 0;
        return ipFrame(rnd, ipv6, IpProtocol.TCP, tcp.bufferLen(), tcp.headerLen(),
                (seg, off, src, dst) -> tcp.emit(seg, off, src, dst));
    }

    private static MemorySegment udpFrame(final Random rnd, final boolean ipv6) {
        final UdpRepr udp = new UdpRepr(UNASSIGNED_PORT, UNASSIGNED_PORT, rnd.nextInt(300));
        return ipFrame(rnd, ipv6, IpProtocol.UDP, udp.bufferLen(), udp.headerLen(),
                (seg, off, src, dst) -> udp.emit(seg, off, src, dst));
    }

    interface Upper {
        void emit(MemorySegment seg, long offset, IpAddress src, IpAddress dst);
    }

    private static MemorySegment ipFrame(final Random rnd, final boolean ipv6, final int protocol, final int upperLen,
                                         final int upperHeaderLen, final Upper upper) {
        final int ipLen = ipv6 ? Ipv6View.HEADER_LENGTH : Ipv4View.HEADER_LENGTH;
        final MemorySegment f = MemorySegment.ofArray(new byte[14 + ipLen + upperLen]);
        for (long i = 14 + ipLen + upperHeaderLen; i < f.byteSize(); i++) {
            f.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        new EthernetRepr(Fixtures.MAC1, Fixtures.MAC2, ipv6 ? EtherType.IPV6 : EtherType.IPV4, null).emit(f, 0);
        if (ipv6) {
            new Ipv6Repr(Fixtures.IP6_1, Fixtures.IP6_2, protocol, upperLen, 64, 0, rnd.nextInt(0x10_0000))
                    .emit(f, 14);
            upper.emit(f, 14 + ipLen, Fixtures.IP6_1, Fixtures.IP6_2);
        } else {
            new Ipv4Repr(Fixtures.IP1, Fixtures.IP2, protocol, upperLen, 64, 0, rnd.nextInt(65536), true, false, 0)
                    .emit(f, 14);
            upper.emit(f, 14 + ipLen, Fixtures.IP1, Fixtures.IP2);
        }
        return f;
    }

    private static MemorySegment icmpv4EchoFrame(final Random rnd) {
        final Icmpv4Repr echo = new Icmpv4Repr.EchoRequest(rnd.nextInt(65536), 1, 32);
        final MemorySegment f = MemorySegment.ofArray(new byte[14 + 20 + echo.bufferLen()]);
        new EthernetRepr(Fixtures.MAC1, Fixtures.MAC2, EtherType.IPV4, null).emit(f, 0);
        Ipv4Repr.of(Fixtures.IP1, Fixtures.IP2, IpProtocol.ICMP, echo.bufferLen(), 64).emit(f, 14);
        echo.emit(f, 34);
        return f;
    }

    private static MemorySegment ndpFrame() {
        final Icmpv6Repr na = new Icmpv6Repr.NeighborAdvertisement(false, true, true, Fixtures.IP6_2,
                NdpOptions.targetLinkLayer(Fixtures.MAC2));
        final MemorySegment f = MemorySegment.ofArray(new byte[14 + 40 + na.bufferLen()]);
        new EthernetRepr(Fixtures.MAC2, Fixtures.MAC1, EtherType.IPV6, null).emit(f, 0);
        Ipv6Repr.of(Fixtures.IP6_2, Fixtures.IP6_1, IpProtocol.ICMPV6, na.bufferLen(), 255).emit(f, 14);
        na.emit(f, 54, Fixtures.IP6_2, Fixtures.IP6_1);
        return f;
    }

    private static MemorySegment arpFrame() {
        final EthernetRepr eth = new EthernetRepr(Fixtures.MAC1, MacAddress.BROADCAST, EtherType.ARP,
                new EthernetRepr.VlanTag(3, false, 42));
        final ArpRepr arp = new ArpRepr(ArpRepr.Operation.REQUEST, Fixtures.MAC1, Fixtures.IP1, MacAddress.ZERO,
                Fixtures.IP2);
        final MemorySegment f = MemorySegment.ofArray(new byte[eth.bufferLen() + arp.bufferLen()]);
        eth.emit(f, 0);
        arp.emit(f, eth.bufferLen());
        return f;
    }
}
