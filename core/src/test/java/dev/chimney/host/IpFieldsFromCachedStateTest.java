package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.LinkObserver;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv4View;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.Ipv6View;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.TcpView;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Spec §2.6 / R-STATE-12: every packet of a connection carries the IP fields of its cached state (TtlOrHopLimit,
 * TosOrTrafficClass, FlowLabel), and {@code updateCached} changes them for the packets that follow. Checked by parsing
 * the frames host A puts on a simulated wire.
 */
class IpFieldsFromCachedStateTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    private static final int PORT = 5001;

    /** One TCP packet host A sent, as parsed from the wire. */
    private record Packet(long timeNs, int ttlOrHopLimit, int tosOrTrafficClass, int flowLabel, int tcpPayloadBytes) {
    }

    /** A packet of another protocol host A sent (ICMP echo, neighbor discovery). */
    private record OtherPacket(int protocol, int ttlOrHopLimit, int tosOrTrafficClass, int flowLabel) {
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void packetsCarryTheCachedIpFieldsAndUpdatesApplyToLaterPackets(boolean ipv6) {
        long seed = ipv6 ? 121 : 120;
        Simulator sim = new Simulator(seed);
        VirtualWire wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire")).build();
        List<Packet> fromA = new ArrayList<>();
        List<OtherPacket> otherFromA = new ArrayList<>();
        wire.observer(new LinkObserver() {
            final EthernetView eth = new EthernetView();
            final Ipv4View v4 = new Ipv4View();
            final Ipv6View v6 = new Ipv6View();

            @Override
            public void onSend(String channel, long nowNs, MemorySegment frame) {
                if (channel.endsWith("a->b")) {
                    parse(nowNs, frame);
                }
            }

            private void parse(long nowNs, MemorySegment frame) {
                eth.wrap(frame);
                long off = eth.payloadOffset();
                long len = frame.byteSize() - off;
                if (eth.etherType() == EtherType.IPV4) {
                    v4.wrap(frame, off, len);
                    if (v4.protocol() == IpProtocol.TCP) {
                        int tcpLen = v4.totalLength() - v4.headerLen();
                        int hdr = new TcpView().wrap(frame, off + v4.headerLen(), tcpLen).headerLen();
                        fromA.add(new Packet(nowNs, v4.ttl(), v4.tos(), 0, tcpLen - hdr));
                    } else {
                        otherFromA.add(new OtherPacket(v4.protocol(), v4.ttl(), v4.tos(), 0));
                    }
                } else if (eth.etherType() == EtherType.IPV6) {
                    v6.wrap(frame, off, len);
                    if (v6.nextHeader() == IpProtocol.TCP) {
                        int tcpLen = v6.payloadLength();
                        int hdr = new TcpView().wrap(frame, off + Ipv6View.HEADER_LENGTH, tcpLen).headerLen();
                        fromA.add(new Packet(nowNs, v6.hopLimit(), v6.trafficClass(), v6.flowLabel(), tcpLen - hdr));
                    } else {
                        otherFromA.add(new OtherPacket(v6.nextHeader(), v6.hopLimit(), v6.trafficClass(),
                                v6.flowLabel()));
                    }
                }
            }
        });
        // TCP's default TTL differs from IP's (64), so the packets prove the value comes from the connection
        TcpConfig tcp = TcpConfig.builder().ttl(33).build();
        NetworkStack a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a")).tcpConfig(tcp)
                .iface(wire.a(), InterfaceConfig.of("a0", MacAddress.parse("02:77:00:00:00:0a"))
                        .withIpv4("10.77.0.1/24").withIpv6("fd77::1/64"))
                .build();
        NetworkStack b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b"))
                .iface(wire.b(), InterfaceConfig.of("b0", MacAddress.parse("02:77:00:00:00:0b"))
                        .withIpv4("10.77.0.2/24").withIpv6("fd77::2/64"))
                .build();
        List<TcpConnection> accepted = new ArrayList<>();
        b.listen(PORT, (TcpListener l) -> accepted.add(l.accept()));
        IpAddress server = ipv6 ? Ipv6Address.parse("fd77::2") : Ipv4Address.parse("10.77.0.2");
        TcpConnection c = a.connect(server, PORT, null);
        String why = "seed " + seed + " ipv6=" + ipv6;
        assertTrue(sim.runUntil(() -> c.state() == TcpState.ESTABLISHED && !accepted.isEmpty(), 5 * S), why);
        c.write(new byte[3000]);
        assertTrue(sim.runUntil(() -> c.unacknowledgedBytes() == 0, 5 * S), why);
        assertTrue(fromA.size() >= 3, "SYN, ACK and data were seen: " + fromA + " " + why);
        for (Packet p : fromA) {
            assertEquals(new Packet(p.timeNs(), 33, 0, 0, p.tcpPayloadBytes()), p, "before the update: " + why);
        }

        long updatedAtNs = sim.nowNs();
        int flowLabel = ipv6 ? 0x5_4321 : 0; // IPv4 has no flow label field
        c.updateCached(c.cached().withIpFields(17, 0xB8, 0x5_4321), false, false);
        c.write(new byte[5000]);
        assertTrue(sim.runUntil(() -> c.unacknowledgedBytes() == 0, 5 * S), why);
        c.close();
        assertTrue(sim.runUntil(() -> c.state() == TcpState.FIN_WAIT_2, 5 * S), why);
        List<Packet> after = fromA.stream().filter(p -> p.timeNs() >= updatedAtNs).toList();
        assertFalse(after.isEmpty(), why);
        assertTrue(after.stream().mapToInt(Packet::tcpPayloadBytes).sum() >= 5000, "the data went out: " + after);
        for (Packet p : after) {
            assertEquals(new Packet(p.timeNs(), 17, 0xB8, flowLabel, p.tcpPayloadBytes()), p, "after: " + why);
        }
        // the transmit buffer forgets the fields after each packet: an echo request from A goes out with IP defaults
        otherFromA.clear();
        assertTrue(a.ip().sendEchoRequest(server, 7, 1, 8), why);
        sim.runFor(10 * MS);
        int icmp = ipv6 ? IpProtocol.ICMPV6 : IpProtocol.ICMP;
        assertEquals(List.of(new OtherPacket(icmp, 64, 0, 0)), otherFromA, why);
        // the peer's packets keep its own defaults
        assertEquals(TcpState.FIN_WAIT_2, c.state(), why);
        assertEquals(64, accepted.getFirst().cached().ttlOrHopLimit(), why);
    }

    @ParameterizedTest(name = "ttl={0}")
    @ValueSource(ints = {0, 256, -1})
    void outOfRangeIpFieldsAreRefusedWithTheRange(int ttl) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TcpConfig.builder().ttl(ttl).build());
        assertTrue(e.getMessage().contains("1..255"), e.getMessage());
        TcpCached ok = new TcpCached(false, true, 8192, 0, 9, 7_200_000, 75_000, 0, 0, 64, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> ok.withIpFields(ttl, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ok.withIpFields(64, 256, 0));
        assertThrows(IllegalArgumentException.class, () -> ok.withIpFields(64, 0, 0x10_0000));
    }
}
