package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.link.FrameSink;
import dev.chimney.link.Impairments;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.PcapTap;
import dev.chimney.link.PcapWriter;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.wire.Bytes;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv4View;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.Ipv6View;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.WireFormatException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two {@link IpStack}s (or one stack and a scripted peer) on a {@link VirtualWire}, all on one simulated clock:
 * resolution, ping, fragmentation and reassembly, PMTU, loss, hostile input, determinism.
 */
class IpStackSimulationTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    static final MacAddress MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    static final MacAddress MAC_B = MacAddress.parse("02:00:00:00:00:0b");
    static final MacAddress MAC_PEER = MacAddress.parse("02:00:00:00:00:99");
    static final Ipv4Address A4 = Ipv4Address.parse("10.77.0.1");
    static final Ipv4Address B4 = Ipv4Address.parse("10.77.0.2");
    static final Ipv4Address PEER4 = Ipv4Address.parse("10.77.0.9");
    static final Ipv6Address A6 = Ipv6Address.parse("fd77::1");
    static final Ipv6Address B6 = Ipv6Address.parse("fd77::2");
    static final Ipv6Address PEER6 = Ipv6Address.parse("fd77::9");

    /** One simulated host: a loop and a stack on one port. */
    static final class Host {
        final EventLoop loop;
        final IpStack stack;
        final NetInterface nif;
        final List<String> pongs = new ArrayList<>();
        final List<Long> rtts = new ArrayList<>();

        Host(Simulator sim, String name, NetworkPort port, InterfaceConfig cfg) {
            loop = sim.newLoop(name);
            stack = new IpStack(loop, sim.random().fork(name), IpStackConfig.defaults());
            nif = stack.attach(port, cfg);
            stack.addEchoListener((from, id, seq, bytes, rtt) -> {
                pongs.add(from + " " + id + "/" + seq + " " + bytes);
                rtts.add(rtt);
            });
        }

        long counter(IpCounter c) {
            return stack.counters().get(c);
        }
    }

    static InterfaceConfig cfgA() {
        return InterfaceConfig.of("a0", MAC_A).withIpv4("10.77.0.1/24").withIpv6("fd77::1/64");
    }

    static InterfaceConfig cfgB() {
        return InterfaceConfig.of("b0", MAC_B).withIpv4("10.77.0.2/24").withIpv6("fd77::2/64");
    }

    private static VirtualWire wire(Simulator sim, Impairments imp) {
        return VirtualWire.builder("w", sim.clock(), sim.random().fork("wire")).both(imp).build();
    }

    private static final Impairments DELAY = Impairments.NONE.withDelay(50_000, 0);

    // ---------------------------------------------------------------- resolution and ping

    @Test
    void pingOverIpv4ResolvesWithArp() {
        Simulator sim = new Simulator(1);
        VirtualWire w = wire(sim, DELAY);
        Host a = new Host(sim, "a", w.a(), cfgA());
        Host b = new Host(sim, "b", w.b(), cfgB());
        assertTrue(a.stack.sendEchoRequest(B4, 7, 1, 56));
        assertTrue(sim.runUntil(() -> a.pongs.size() == 1, S), "seed " + sim.seed() + " " + a.stack.counters());
        assertEquals(List.of("10.77.0.2 7/1 56"), a.pongs);
        assertTrue(a.rtts.getFirst() >= 4 * 50_000, "ARP round trip + echo round trip: " + a.rtts);
        NeighborEntry bAtA = a.stack.neighbors(a.nif, false).lookup(B4);
        assertEquals(NeighborState.REACHABLE, bAtA.state(), "solicited ARP reply confirms (RFC 826 + NUD)");
        assertEquals(MAC_B, bAtA.linkAddress());
        assertEquals(bAtA, a.stack.neighborFor(B4), "the chimney's neighbor object for this remote");
        assertEquals(new NeighborConst(MAC_A, 0), bAtA.constState());
        assertEquals(MAC_B, bAtA.cachedState(sim.nowNs()).dlDestinationAddress());
        assertEquals(new PathEntry.PathState(A4, B4, 1500), a.stack.pathFor(B4).snapshot());
        NeighborEntry aAtB = b.stack.neighbors(b.nif, false).lookup(A4);
        assertEquals(MAC_A, aAtB.linkAddress(), "RFC 826: the target learns the requester");
        assertEquals(1, b.counter(IpCounter.ARP_REQUESTS_ANSWERED));
        assertEquals(1, b.counter(IpCounter.ICMP_ECHO_REPLIES_SENT));
        assertEquals(0, a.stack.counters().totalDrops() + b.stack.counters().totalDrops(),
                a.stack.counters() + " / " + b.stack.counters());
    }

    @Test
    void pingOverIpv6ResolvesWithNdp() {
        Simulator sim = new Simulator(2);
        VirtualWire w = wire(sim, DELAY);
        Host a = new Host(sim, "a", w.a(), cfgA());
        Host b = new Host(sim, "b", w.b(), cfgB());
        assertTrue(a.stack.sendEchoRequest(B6, 8, 1, 32));
        assertTrue(sim.runUntil(() -> a.pongs.size() == 1, S), "seed " + sim.seed() + " " + a.stack.counters());
        assertEquals(List.of("fd77::2 8/1 32"), a.pongs);
        NeighborEntry bAtA = a.stack.neighbors(a.nif, true).lookup(B6);
        assertEquals(NeighborState.REACHABLE, bAtA.state());
        assertEquals(MAC_B, bAtA.linkAddress());
        assertEquals(MAC_A, b.stack.neighbors(b.nif, true).lookup(A6).linkAddress(), "NS source option learned");
        // Link-local works too (fe80::/64 is on-link on both).
        assertTrue(a.stack.sendEchoRequest(b.nif.linkLocal(), 8, 2, 0));
        assertTrue(sim.runUntil(() -> a.pongs.size() == 2, S), "seed " + sim.seed());
        assertEquals(0, a.stack.counters().totalDrops() + b.stack.counters().totalDrops(),
                a.stack.counters() + " / " + b.stack.counters());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void largeEchoIsFragmentedAndReassembledBothWays(boolean v6) {
        Simulator sim = new Simulator(3);
        VirtualWire w = wire(sim, DELAY);
        Host a = new Host(sim, "a", w.a(), cfgA());
        Host b = new Host(sim, "b", w.b(), cfgB());
        assertTrue(a.stack.sendEchoRequest(v6 ? B6 : B4, 1, 1, 4000));
        assertTrue(sim.runUntil(() -> a.pongs.size() == 1, S), "seed " + sim.seed() + " " + b.stack.counters());
        assertTrue(a.pongs.getFirst().endsWith(" 4000"), a.pongs.toString());
        assertEquals(3, a.counter(IpCounter.FRAGMENTS_SENT), "4008 bytes of ICMP in 1500-byte packets");
        assertEquals(3, b.counter(IpCounter.FRAGMENTS_SENT));
        assertEquals(1, a.counter(IpCounter.FRAG_REASSEMBLED));
        assertEquals(1, b.counter(IpCounter.FRAG_REASSEMBLED));
    }

    @Test
    void oneStackTwoInterfacesRoutesEachSubnetToItsPort() {
        Simulator sim = new Simulator(18);
        VirtualWire w1 = wire(sim, DELAY);
        VirtualWire w2 = VirtualWire.builder("w2", sim.clock(), sim.random().fork("wire2")).both(DELAY).build();
        Host a = new Host(sim, "a", w1.a(), cfgA());
        NetInterface second = a.stack.attach(w2.a(), InterfaceConfig.of("a1", MacAddress.parse("02:00:00:00:01:0a"))
                .withIpv4("10.78.0.1/24").withIpv6("fd78::1/64"));
        Host b = new Host(sim, "b", w1.b(), cfgB());
        Host c = new Host(sim, "c", w2.b(), InterfaceConfig.of("c0", MacAddress.parse("02:00:00:00:01:0c"))
                .withIpv4("10.78.0.2/24").withIpv6("fd78::2/64"));
        a.stack.sendEchoRequest(B4, 1, 1, 8);
        a.stack.sendEchoRequest(IpAddress.parse("10.78.0.2"), 1, 2, 8);
        a.stack.sendEchoRequest(IpAddress.parse("fd78::2"), 1, 3, 8);
        assertTrue(sim.runUntil(() -> a.pongs.size() == 3, S), "seed " + sim.seed() + " " + a.pongs);
        assertEquals(1, b.counter(IpCounter.ICMP_ECHO_REPLIES_SENT));
        assertEquals(2, c.counter(IpCounter.ICMP_ECHO_REPLIES_SENT));
        assertEquals(second, a.stack.routes().lookup(IpAddress.parse("fd78::9")).iface());
        assertEquals(IpAddress.parse("10.78.0.1"), c.stack.neighbors(c.nif, false).lookup(
                IpAddress.parse("10.78.0.1")).ip(), "C learned A's second interface");
        assertEquals(MacAddress.parse("02:00:00:00:01:0a"), c.stack.neighbors(c.nif, false)
                .lookup(IpAddress.parse("10.78.0.1")).linkAddress());
    }

    @Test
    void unreachableNeighborFailsAfterMaxMulticastSolicit() {
        Simulator sim = new Simulator(4);
        VirtualWire w = wire(sim, DELAY);
        Host a = new Host(sim, "a", w.a(), cfgA());
        List<IpAddress> failed = new ArrayList<>();
        a.stack.neighbors(a.nif, false).addListener(new NeighborCache.Listener() {
            @Override
            public void onUnreachable(NeighborEntry entry) {
                failed.add(entry.ip());
            }
        });
        Ipv4Address nobody = Ipv4Address.parse("10.77.0.99");
        a.stack.sendEchoRequest(nobody, 1, 1, 8);
        sim.runFor(10 * S);
        assertEquals(List.of(nobody), failed);
        assertEquals(3, a.counter(IpCounter.ARP_REQUESTS_SENT), "MAX_MULTICAST_SOLICIT");
        assertEquals(1, a.counter(IpCounter.NEIGHBOR_QUEUE_DROP));
        assertEquals(null, a.stack.neighbors(a.nif, false).lookup(nobody));
    }

    @Test
    void transportHandlerReceivesPayloadAndHeaderInfo() {
        Simulator sim = new Simulator(5);
        VirtualWire w = wire(sim, DELAY);
        Host a = new Host(sim, "a", w.a(), cfgA());
        Host b = new Host(sim, "b", w.b(), cfgB());
        List<String> got = new ArrayList<>();
        b.stack.register(IpProtocol.UDP, (info, payload) -> got.add(info.sourceAddress() + ">"
                + info.destinationAddress() + " p" + info.protocol() + " ttl" + info.hopLimit() + " "
                + payload.byteSize() + " first=" + payload.get(ValueLayout.JAVA_BYTE, 0)));
        for (IpAddress dst : List.of(B4, B6)) {
            IpStack.Outbound out = a.stack.beginSend(dst, IpProtocol.UDP);
            assertNotNull(out);
            assertEquals(dst.isIpv4() ? 1480 : 1460, out.maxPayloadBytes());
            out.segment().asSlice(out.payloadOffset(), 100).fill((byte) 42);
            assertTrue(out.commit(100));
        }
        assertTrue(sim.runUntil(() -> got.size() == 2, S), "seed " + sim.seed());
        assertEquals(List.of("10.77.0.1>10.77.0.2 p17 ttl64 100 first=42", "fd77::1>fd77::2 p17 ttl64 100 first=42"),
                got);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> a.stack.beginSend(B4, A4, IpProtocol.UDP));
        assertTrue(e.getMessage().contains("not an address of this stack"), e.getMessage());
    }

    /** Records ICMP errors a transport hears about. */
    static final class ErrorLog implements TransportHandler {
        final List<String> errors = new ArrayList<>();

        @Override
        public void onPacket(IpPacketInfo info, MemorySegment payload) {
        }

        @Override
        public void onIcmpError(IcmpErrorKind kind, IpPacketInfo quoted, int mtuBytes, MemorySegment q) {
            errors.add(kind + " to " + quoted.destinationAddress() + " hard=" + kind.isHard() + " port="
                    + Bytes.u16(q, 2));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void portAndProtocolUnreachableReachTheSendingTransport(boolean v6) {
        Simulator sim = new Simulator(13);
        VirtualWire w = wire(sim, DELAY);
        Host a = new Host(sim, "a", w.a(), cfgA());
        Host b = new Host(sim, "b", w.b(), cfgB());
        // B's UDP has no socket on any port: it answers port unreachable (RFC 1122 §4.1.3.1).
        b.stack.register(IpProtocol.UDP, (info, payload) -> b.stack.sendUnreachable(IcmpErrorKind.PORT_UNREACHABLE));
        ErrorLog udp = new ErrorLog();
        ErrorLog exotic = new ErrorLog();
        a.stack.register(IpProtocol.UDP, udp);
        a.stack.register(200, exotic);
        IpAddress dst = v6 ? B6 : B4;
        IpStack.Outbound out = a.stack.beginSend(dst, IpProtocol.UDP);
        Bytes.u16(out.segment(), out.payloadOffset() + 2, 9999);
        out.commit(8);
        out = a.stack.beginSend(dst, 200);
        Bytes.u16(out.segment(), out.payloadOffset() + 2, 7777);
        out.commit(8);
        sim.runFor(10 * MS);
        assertEquals(List.of("PORT_UNREACHABLE to " + dst + " hard=true port=9999"), udp.errors,
                "seed " + sim.seed() + " " + b.stack.counters());
        assertEquals(List.of("PROTOCOL_UNREACHABLE to " + dst + " hard=true port=7777"), exotic.errors);
        assertEquals(2, b.counter(IpCounter.ICMP_ERRORS_SENT));
    }

    @Test
    void icmpErrorsAreRateLimited() {
        Simulator sim = new Simulator(14);
        VirtualWire w = wire(sim, DELAY);
        Host a = new Host(sim, "a", w.a(), cfgA());
        Host b = new Host(sim, "b", w.b(), cfgB());
        b.stack.register(IpProtocol.UDP, (info, payload) -> b.stack.sendUnreachable(IcmpErrorKind.PORT_UNREACHABLE));
        ErrorLog udp = new ErrorLog();
        a.stack.register(IpProtocol.UDP, udp);
        a.stack.sendEchoRequest(B4, 1, 1, 0); // resolve first so nothing queues
        sim.runFor(10 * MS);
        for (int i = 0; i < 50; i++) {
            a.stack.beginSend(B4, IpProtocol.UDP).commit(8);
        }
        sim.runFor(10 * MS);
        int burst = IpStackConfig.defaults().icmpErrorBurst();
        assertEquals(burst, b.counter(IpCounter.ICMP_ERRORS_SENT), b.stack.counters().toString());
        assertEquals(50 - burst, b.counter(IpCounter.ICMP_ERRORS_RATE_LIMITED));
        assertEquals(burst, udp.errors.size());
        sim.runFor(S); // the bucket refills at 100 per second
        a.stack.beginSend(B4, IpProtocol.UDP).commit(8);
        sim.runFor(10 * MS);
        assertEquals(burst + 1, b.counter(IpCounter.ICMP_ERRORS_SENT));
    }

    @Test
    void vlanMismatchIsFilteredAndMatchingVlansTalk() {
        Simulator sim = new Simulator(6);
        VirtualWire w = wire(sim, DELAY);
        Host a = new Host(sim, "a", w.a(), cfgA().withVlan(7, 3));
        Host b = new Host(sim, "b", w.b(), cfgB().withVlan(8, 0));
        a.stack.sendEchoRequest(B4, 1, 1, 8);
        sim.runFor(5 * S);
        assertTrue(a.pongs.isEmpty());
        assertTrue(b.counter(IpCounter.FRAME_DROP_VLAN) >= 3, b.stack.counters().toString());

        Simulator sim2 = new Simulator(6);
        VirtualWire w2 = wire(sim2, DELAY);
        Host a2 = new Host(sim2, "a", w2.a(), cfgA().withVlan(7, 3));
        new Host(sim2, "b", w2.b(), cfgB().withVlan(7, 0));
        a2.stack.sendEchoRequest(B6, 1, 1, 8);
        assertTrue(sim2.runUntil(() -> a2.pongs.size() == 1, S), "seed " + sim2.seed());
    }

    // ---------------------------------------------------------------- scripted peer

    /** A raw port driven by the test: collects what the stack sends. */
    static final class Peer implements FrameSink {
        final NetworkPort port;
        final List<byte[]> received = new ArrayList<>();

        Peer(NetworkPort port) {
            this.port = port;
        }

        @Override
        public void onFrame(MemorySegment frame) {
            received.add(frame.toArray(ValueLayout.JAVA_BYTE));
        }

        void drain() {
            while (port.receive(this, 64) > 0) {
                // keep draining
            }
        }

        void send(MemorySegment frame) {
            assertTrue(port.transmit(frame));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void fragmentsInReverseOrderAreReassembledAndAnswered(boolean v6) throws WireFormatException {
        Simulator sim = new Simulator(7);
        VirtualWire w = wire(sim, DELAY);
        Host b = new Host(sim, "b", w.b(), cfgB());
        Peer peer = new Peer(w.a());
        b.stack.neighbors(b.nif, v6).addStatic(v6 ? PEER6 : PEER4, MAC_PEER, sim.nowNs());
        MemorySegment echo = TestFrames.echo(v6, true, 0x1234, 5, 1192);
        if (v6) {
            TestFrames.checksumIcmpv6(echo, PEER6, B6);
        } else {
            TestFrames.checksumIcmpv4(echo);
        }
        int[][] pieces = {{800, 400}, {400, 400}, {0, 400}}; // reverse order
        for (int[] pc : pieces) {
            boolean more = pc[0] + pc[1] < echo.byteSize();
            MemorySegment data = echo.asSlice(pc[0], pc[1]);
            MemorySegment ip = v6 ? TestFrames.ipv6Fragment(PEER6, B6, IpProtocol.ICMPV6, 77, pc[0], more, data)
                    : TestFrames.ipv4(PEER4, B4, IpProtocol.ICMP, 77, false, more, pc[0], data);
            peer.send(v6 ? TestFrames.frameV6(MAC_B, MAC_PEER, ip) : TestFrames.frameV4(MAC_B, MAC_PEER, ip));
        }
        sim.runFor(10 * MS);
        peer.drain();
        assertEquals(1, peer.received.size(), "one echo reply, seed " + sim.seed() + " " + b.stack.counters());
        MemorySegment reply = MemorySegment.ofArray(peer.received.getFirst());
        EthernetView eth = new EthernetView().wrap(reply).check();
        assertEquals(MAC_PEER.bits(), eth.destinationBits());
        long icmpOff;
        int icmpLen;
        if (v6) {
            Ipv6View ip = new Ipv6View().wrap(reply, 14, reply.byteSize() - 14).check();
            assertEquals(IpProtocol.ICMPV6, ip.upperProtocol());
            icmpOff = ip.upperOffset();
            icmpLen = ip.upperLength();
        } else {
            Ipv4View ip = new Ipv4View().wrap(reply, 14, reply.byteSize() - 14).check();
            assertTrue(ip.checksumOk());
            icmpOff = ip.upperOffset();
            icmpLen = ip.upperLength();
        }
        assertEquals(echo.byteSize(), icmpLen);
        assertEquals(v6 ? 129 : 0, Bytes.u8(reply, icmpOff));
        assertEquals(0x1234, Bytes.u16(reply, icmpOff + 4));
        assertArrayEquals(echo.asSlice(8).toArray(ValueLayout.JAVA_BYTE),
                reply.asSlice(icmpOff + 8, icmpLen - 8).toArray(ValueLayout.JAVA_BYTE));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void reassemblyTimeoutIsReportedToTheSourceOfFragmentZero(boolean v6) throws WireFormatException {
        Simulator sim = new Simulator(17);
        VirtualWire w = wire(sim, DELAY);
        Host b = new Host(sim, "b", w.b(), cfgB());
        Peer peer = new Peer(w.a());
        b.stack.neighbors(b.nif, v6).addStatic(v6 ? PEER6 : PEER4, MAC_PEER, sim.nowNs());
        MemorySegment data = TestFrames.echo(v6, true, 3, 3, 392); // 400 bytes, the rest never comes
        MemorySegment ip = v6 ? TestFrames.ipv6Fragment(PEER6, B6, IpProtocol.ICMPV6, 55, 0, true, data)
                : TestFrames.ipv4(PEER4, B4, IpProtocol.ICMP, 55, false, true, 0, data);
        peer.send(v6 ? TestFrames.frameV6(MAC_B, MAC_PEER, ip) : TestFrames.frameV4(MAC_B, MAC_PEER, ip));
        long timeoutNs = v6 ? 60 * S : 30 * S;
        sim.runFor(timeoutNs - MS);
        peer.drain();
        assertTrue(peer.received.isEmpty());
        sim.runFor(2 * MS);
        peer.drain();
        assertEquals(1, peer.received.size(), "seed " + sim.seed() + " " + b.stack.counters());
        MemorySegment f = MemorySegment.ofArray(peer.received.getFirst());
        long icmp;
        if (v6) {
            Ipv6View v = new Ipv6View().wrap(f, 14, f.byteSize() - 14).check();
            icmp = v.upperOffset();
            assertEquals(3, Bytes.u8(f, icmp), "RFC 8200 §4.5: time exceeded");
        } else {
            Ipv4View v = new Ipv4View().wrap(f, 14, f.byteSize() - 14).check();
            icmp = v.upperOffset();
            assertEquals(11, Bytes.u8(f, icmp), "RFC 792: time exceeded");
        }
        assertEquals(1, Bytes.u8(f, icmp + 1), "code 1: fragment reassembly time exceeded");
        assertArrayEquals(ip.asSlice(0, 48).toArray(ValueLayout.JAVA_BYTE),
                f.asSlice(icmp + 8, 48).toArray(ValueLayout.JAVA_BYTE), "quotes the first fragment");
        assertEquals(1, b.counter(IpCounter.FRAG_DROP_TIMEOUT));
    }

    @Test
    void overlappingFragmentsDropTheDatagram() {
        Simulator sim = new Simulator(8);
        VirtualWire w = wire(sim, DELAY);
        Host b = new Host(sim, "b", w.b(), cfgB());
        Peer peer = new Peer(w.a());
        b.stack.neighbors(b.nif, true).addStatic(PEER6, MAC_PEER, sim.nowNs());
        MemorySegment echo = TestFrames.echo(true, true, 1, 1, 792);
        TestFrames.checksumIcmpv6(echo, PEER6, B6);
        peer.send(TestFrames.frameV6(MAC_B, MAC_PEER,
                TestFrames.ipv6Fragment(PEER6, B6, IpProtocol.ICMPV6, 9, 0, true, echo.asSlice(0, 480))));
        peer.send(TestFrames.frameV6(MAC_B, MAC_PEER,
                TestFrames.ipv6Fragment(PEER6, B6, IpProtocol.ICMPV6, 9, 400, false, echo.asSlice(400, 400))));
        sim.runFor(10 * MS);
        peer.drain();
        assertTrue(peer.received.isEmpty(), "RFC 5722: no reply from an overlapping datagram");
        assertEquals(1, b.counter(IpCounter.FRAG_DROP_OVERLAP));
    }

    @Test
    void packetTooBigLowersPathMtuNotifiesTransportAndAgesBack() throws WireFormatException {
        Simulator sim = new Simulator(9);
        VirtualWire w = wire(sim, DELAY);
        Host b = new Host(sim, "b", w.b(), cfgB());
        Peer peer = new Peer(w.a());
        b.stack.neighbors(b.nif, true).addStatic(PEER6, MAC_PEER, sim.nowNs());
        List<String> errors = new ArrayList<>();
        b.stack.register(IpProtocol.UDP, new TransportHandler() {
            @Override
            public void onPacket(IpPacketInfo info, MemorySegment payload) {
            }

            @Override
            public void onIcmpError(IcmpErrorKind kind, IpPacketInfo quoted, int mtuBytes, MemorySegment q) {
                errors.add(kind + " " + quoted.destinationAddress() + " mtu " + mtuBytes + " hard " + kind.isHard()
                        + " q0=" + Bytes.u16(q, 0));
            }
        });
        IpStack.Outbound out = b.stack.beginSend(PEER6, IpProtocol.UDP);
        assertEquals(1460, out.maxPayloadBytes());
        Bytes.u16(out.segment(), out.payloadOffset(), 5353);
        out.commit(1460);
        sim.runFor(MS);
        peer.drain();
        assertEquals(1, peer.received.size());
        MemorySegment sent = MemorySegment.ofArray(peer.received.getFirst());
        // RFC 4443 §3.2: a router quotes as much of the packet as fits in the minimum MTU.
        MemorySegment ptb = MemorySegment.ofArray(new byte[8 + 1232]);
        Bytes.u8(ptb, 0, 2);
        Bytes.u32(ptb, 4, 1280);
        MemorySegment.copy(sent, 14, ptb, 8, 1232);
        Ipv6Address router = Ipv6Address.parse("fd77::fe");
        TestFrames.checksumIcmpv6(ptb, router, B6);
        peer.send(TestFrames.frameV6(MAC_B, MAC_PEER, TestFrames.ipv6(router, B6, IpProtocol.ICMPV6, 64, ptb)));
        sim.runFor(MS);
        assertEquals(List.of("PACKET_TOO_BIG fd77::9 mtu 1280 hard false q0=5353"), errors);
        assertEquals(1280, b.stack.pathMtu(PEER6));
        assertEquals(1240, b.stack.beginSend(PEER6, IpProtocol.UDP).maxPayloadBytes());
        sim.runFor(Duration.ofMinutes(10).toNanos());
        assertEquals(1500, b.stack.pathMtu(PEER6), "RFC 8201 §4: aged back after 10 minutes");
        assertEquals(1, b.counter(IpCounter.PMTU_AGED));
    }

    @Test
    void fragmentationNeededLowersIpv4PathMtu() {
        Simulator sim = new Simulator(10);
        VirtualWire w = wire(sim, DELAY);
        Host b = new Host(sim, "b", w.b(), cfgB());
        Peer peer = new Peer(w.a());
        b.stack.neighbors(b.nif, false).addStatic(PEER4, MAC_PEER, sim.nowNs());
        IpStack.Outbound out = b.stack.beginSend(PEER4, IpProtocol.UDP);
        out.commit(1480);
        sim.runFor(MS);
        peer.drain();
        MemorySegment sent = MemorySegment.ofArray(peer.received.getFirst());
        assertTrue((Bytes.u16(sent, 14 + 6) & Ipv4View.FLAG_DONT_FRAGMENT) != 0, "RFC 1191: DF set");
        MemorySegment err = MemorySegment.ofArray(new byte[8 + 28]);
        Bytes.u8(err, 0, 3);
        Bytes.u8(err, 1, 4);
        Bytes.u16(err, 6, 0); // an old router: no next-hop MTU -> plateau below 1500 (RFC 1191 §5)
        MemorySegment.copy(sent, 14, err, 8, 28);
        TestFrames.checksumIcmpv4(err);
        peer.send(TestFrames.frameV4(MAC_B, MAC_PEER, TestFrames.ipv4(Ipv4Address.parse("10.77.0.254"), B4,
                IpProtocol.ICMP, 1, false, false, 0, err)));
        sim.runFor(MS);
        assertEquals(1492, b.stack.pathMtu(PEER4));
    }

    @Test
    void routerAdvertisementSetsDefaultRouterAndAddress() {
        Simulator sim = new Simulator(11);
        VirtualWire w = wire(sim, DELAY);
        Host b = new Host(sim, "b", w.b(), cfgB());
        Peer peer = new Peer(w.a());
        Ipv6Address router = Ipv6Address.linkLocal(MAC_PEER);
        MemorySegment ra = MemorySegment.ofArray(new byte[16 + 8 + 32]);
        Bytes.u8(ra, 0, 134);
        Bytes.u16(ra, 6, 1800); // router lifetime
        Bytes.u8(ra, 16, 1); // source link-layer address
        Bytes.u8(ra, 17, 1);
        Bytes.macBits(ra, 18, MAC_PEER.bits());
        Bytes.u8(ra, 24, 3); // prefix information
        Bytes.u8(ra, 25, 4);
        Bytes.u8(ra, 26, 64);
        Bytes.u8(ra, 27, 0xC0); // on-link, autonomous
        Bytes.u32(ra, 28, 86400);
        Bytes.u32(ra, 32, 14400);
        Ipv6Address prefix = Ipv6Address.parse("2001:db8:1::");
        Bytes.ipv6(ra, 40, prefix);
        TestFrames.checksumIcmpv6(ra, router, Ipv6Address.ALL_NODES);
        peer.send(TestFrames.frameV6(MacAddress.ipv6Multicast(Ipv6Address.ALL_NODES), MAC_PEER,
                TestFrames.ipv6(router, Ipv6Address.ALL_NODES, IpProtocol.ICMPV6, 255, ra)));
        sim.runFor(MS);
        Route def = b.stack.routes().lookup(IpAddress.parse("2001:db8:99::1"));
        assertNotNull(def, b.stack.counters().toString());
        assertEquals(router, def.gateway());
        Ipv6Address slaac = new Ipv6Address(prefix.hi(), b.nif.linkLocal().lo());
        assertTrue(b.nif.isOwnIpv6(slaac.hi(), slaac.lo()), "RFC 4862 §5.5.3 address formed: " + b.nif.ipv6());
        assertEquals(MAC_PEER, b.stack.neighbors(b.nif, true).lookup(router).linkAddress());
        assertEquals(0, b.counter(IpCounter.NDP_DROP_INVALID));
        // A hop limit below 255 means the RA came from off-link: ignored (RFC 4861 §6.1.2).
        Ipv6Address other = Ipv6Address.linkLocal(MacAddress.parse("02:00:00:00:00:98"));
        TestFrames.checksumIcmpv6(ra, other, Ipv6Address.ALL_NODES);
        peer.send(TestFrames.frameV6(MacAddress.ipv6Multicast(Ipv6Address.ALL_NODES), MAC_PEER,
                TestFrames.ipv6(other, Ipv6Address.ALL_NODES, IpProtocol.ICMPV6, 64, ra)));
        sim.runFor(MS);
        assertEquals(1, b.counter(IpCounter.NDP_DROP_INVALID));
        assertEquals(null, b.stack.neighbors(b.nif, true).lookup(other));
    }

    /** A port that records what a stack sends and never receives. */
    static final class RecordingPort implements NetworkPort {
        final List<byte[]> sent = new ArrayList<>();

        @Override
        public String name() {
            return "rec";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            sent.add(frame.toArray(ValueLayout.JAVA_BYTE));
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

    @Test
    void announcementsMoveNeighborsToTheNewMac() {
        Simulator sim = new Simulator(15);
        VirtualWire w = wire(sim, DELAY);
        Host a = new Host(sim, "a", w.a(), cfgA());
        new Host(sim, "b", w.b(), cfgB());
        a.stack.sendEchoRequest(B4, 1, 1, 8);
        a.stack.sendEchoRequest(B6, 1, 2, 8);
        assertTrue(sim.runUntil(() -> a.pongs.size() == 2, S), "seed " + sim.seed());
        // The same addresses now answer from another NIC (failover): it announces itself.
        MacAddress macC = MacAddress.parse("02:00:00:00:00:0c");
        RecordingPort rec = new RecordingPort();
        IpStack c = new IpStack(sim.newLoop("c"), sim.random().fork("c"), IpStackConfig.defaults());
        NetInterface cNif = c.attach(rec, InterfaceConfig.of("c0", macC).withIpv4("10.77.0.2/24")
                .withIpv6("fd77::2/64"));
        c.announce(cNif);
        assertEquals(4, rec.sent.size(), "gratuitous ARP, NAs for link-local and fd77::2, one MLDv2 report");
        for (byte[] f : rec.sent) {
            assertTrue(w.b().transmit(MemorySegment.ofArray(f)));
        }
        MemorySegment mld = MemorySegment.ofArray(rec.sent.getLast());
        assertEquals(0x3333_0000_0016L, Bytes.macBits(mld, 0), "to ff02::16 (RFC 3810 §5.2.14)");
        assertEquals(1, Bytes.u8(mld, 14 + 7), "hop limit 1");
        assertEquals(IpProtocol.HOP_BY_HOP, Bytes.u8(mld, 14 + 6), "router alert hop-by-hop header");
        assertEquals(143, Bytes.u8(mld, 62));
        assertEquals(2, Bytes.u16(mld, 62 + 6), "two solicited-node groups");
        int icmpLen = 8 + 40;
        Ipv6Address ll = Ipv6Address.linkLocal(macC);
        assertTrue(dev.chimney.wire.Checksum.verify(mld, 62, icmpLen, dev.chimney.wire.Checksum.pseudoHeaderV6(
                ll.hi(), ll.lo(), 0xFF02_0000_0000_0000L, 0x16L, IpProtocol.ICMPV6, icmpLen)), "MLD checksum");
        assertEquals(ll.solicitedNode(), Bytes.ipv6(mld, 62 + 8 + 4));
        assertEquals(B6.solicitedNode(), Bytes.ipv6(mld, 62 + 8 + 20 + 4));
        sim.runFor(MS);
        NeighborEntry v4 = a.stack.neighbors(a.nif, false).lookup(B4);
        NeighborEntry v6 = a.stack.neighbors(a.nif, true).lookup(B6);
        assertEquals(macC, v4.linkAddress(), "RFC 826 merge of a gratuitous ARP");
        assertEquals(NeighborState.STALE, v4.state());
        assertEquals(macC, v6.linkAddress(), "RFC 4861 §7.2.5: override flag replaces the address");
        assertEquals(NeighborState.STALE, v6.state(), "unsolicited: STALE until confirmed");
    }

    @Test
    void redirectFromTheCurrentRouterInstallsAHostRoute() {
        Simulator sim = new Simulator(16);
        VirtualWire w = wire(sim, DELAY);
        Host b = new Host(sim, "b", w.b(), cfgB());
        Peer peer = new Peer(w.a());
        Ipv6Address router = Ipv6Address.linkLocal(MAC_PEER);
        b.stack.routes().addDefaultGateway(router, b.nif);
        Ipv6Address better = Ipv6Address.parse("fe80::77");
        MacAddress betterMac = MacAddress.parse("02:00:00:00:00:77");
        Ipv6Address dst = Ipv6Address.parse("2001:db8::5");
        for (Ipv6Address from : List.of(Ipv6Address.parse("fe80::bad"), router)) {
            MemorySegment redirect = MemorySegment.ofArray(new byte[40 + 8]);
            Bytes.u8(redirect, 0, 137);
            Bytes.ipv6(redirect, 8, better);
            Bytes.ipv6(redirect, 24, dst);
            Bytes.u8(redirect, 40, 2); // target link-layer address option
            Bytes.u8(redirect, 41, 1);
            Bytes.macBits(redirect, 42, betterMac.bits());
            TestFrames.checksumIcmpv6(redirect, from, b.nif.linkLocal());
            peer.send(TestFrames.frameV6(MAC_B, MAC_PEER,
                    TestFrames.ipv6(from, b.nif.linkLocal(), IpProtocol.ICMPV6, 255, redirect)));
            sim.runFor(MS);
            if (!from.equals(router)) {
                assertEquals(router, b.stack.routes().lookup(dst).gateway(),
                        "RFC 4861 §8.1: only the current first hop may redirect");
                assertEquals(null, b.stack.neighbors(b.nif, true).lookup(better), "invalid redirect teaches nothing");
            }
        }
        Route r = b.stack.routes().lookup(dst);
        assertEquals(better, r.gateway());
        assertEquals(Route.Origin.REDIRECT, r.origin());
        assertEquals(128, r.destination().prefixLength());
        assertEquals(router, b.stack.routes().lookup(Ipv6Address.parse("2001:db8::6")).gateway());
        assertEquals(betterMac, b.stack.neighbors(b.nif, true).lookup(better).linkAddress());
        assertEquals(1, b.counter(IpCounter.REDIRECTS_APPLIED));
    }

    // ---------------------------------------------------------------- hostile input

    @Test
    void malformedAndRandomFramesAreCountedDroppedAndTheStackKeepsWorking() {
        long seed = 12;
        Simulator sim = new Simulator(seed);
        VirtualWire w = wire(sim, DELAY);
        Host b = new Host(sim, "b", w.b(), cfgB());
        Peer peer = new Peer(w.a());
        var rnd = sim.random().fork("garbage");
        int[] types = {EtherType.IPV4, EtherType.IPV6, EtherType.ARP, 0x88B5, EtherType.VLAN};
        int injected = 0;
        for (int i = 0; i < 500; i++) {
            byte[] body = new byte[rnd.nextInt(120)];
            rnd.nextBytes(body);
            if (i % 3 == 0 && body.length > 0) {
                body[0] = (byte) (rnd.chance(0.5) ? 0x45 : 0x60); // look like IP to reach deeper checks
            }
            peer.send(TestFrames.ethernet(MAC_B, MAC_PEER, types[rnd.nextInt(types.length)],
                    MemorySegment.ofArray(body)));
            injected++;
        }
        // Targeted cases: truncated headers, a bad IPv4 checksum, a bad ICMP checksum, an NS with hop limit 64.
        MemorySegment good4 = TestFrames.ipv4(PEER4, B4, IpProtocol.ICMP, 1, false, false, 0,
                TestFrames.echo(false, true, 1, 1, 8));
        MemorySegment badSum = MemorySegment.ofArray(good4.toArray(ValueLayout.JAVA_BYTE));
        Bytes.u16(badSum, 10, Bytes.u16(badSum, 10) ^ 0x55);
        peer.send(TestFrames.frameV4(MAC_B, MAC_PEER, badSum));
        peer.send(TestFrames.frameV4(MAC_B, MAC_PEER, good4)); // ICMP checksum never computed: wrong
        peer.send(TestFrames.frameV4(MAC_B, MAC_PEER, good4.asSlice(0, 12)));
        MemorySegment ns = MemorySegment.ofArray(new byte[24]);
        Bytes.u8(ns, 0, 135);
        Bytes.ipv6(ns, 8, B6);
        TestFrames.checksumIcmpv6(ns, PEER6, B6);
        peer.send(TestFrames.frameV6(MAC_B, MAC_PEER, TestFrames.ipv6(PEER6, B6, IpProtocol.ICMPV6, 64, ns)));
        injected += 4;
        sim.runFor(10 * MS);
        IpCounters c = b.stack.counters();
        assertEquals(injected, c.get(IpCounter.FRAMES_RECEIVED), "seed " + seed);
        assertEquals(injected, c.totalDrops(), "every hostile frame is counted as exactly one drop; seed " + seed
                + " " + c);
        assertEquals(0, c.get(IpCounter.RX_DROP_BOUNDS), "no length field escaped validation; seed " + seed);
        assertTrue(c.get(IpCounter.IPV4_DROP_CHECKSUM) >= 1, c.toString());
        assertTrue(c.get(IpCounter.ICMP_DROP_MALFORMED) >= 1, c.toString());
        assertEquals(1, c.get(IpCounter.NDP_DROP_INVALID), c.toString());
        // Still fine afterwards.
        Host a = new Host(sim, "a", w.a(), cfgA());
        a.stack.sendEchoRequest(B4, 1, 1, 8);
        assertTrue(sim.runUntil(() -> a.pongs.size() == 1, S), "seed " + seed);
    }

    // ---------------------------------------------------------------- impairments and determinism

    /** Pings {@code count} times over both families with retries; returns the answered sequence numbers. */
    private static int pingWithRetries(Simulator sim, Host from, IpAddress to, int count) {
        int answered = 0;
        for (int seq = 1; seq <= count; seq++) {
            int want = from.pongs.size() + 1;
            for (int attempt = 0; attempt < 10 && from.pongs.size() < want; attempt++) {
                from.stack.sendEchoRequest(to, 42, seq, 64);
                sim.runUntil(() -> from.pongs.size() >= want, sim.nowNs() + S);
            }
            if (from.pongs.size() >= want) {
                answered++;
            }
            // Duplicated replies (answers to retries) may arrive later: count sequences, not replies.
            while (from.pongs.size() > want) {
                from.pongs.removeLast();
            }
        }
        return answered;
    }

    @ParameterizedTest
    @ValueSource(longs = {101, 202, 303})
    void lossAndReorderingStillConvergeAndPingsGetAnswered(long seed) {
        Simulator sim = new Simulator(seed);
        Impairments bad = Impairments.NONE.withDelay(100_000, 20_000).withLoss(0.2).withReordering(0.2, MS);
        VirtualWire w = wire(sim, bad);
        Host a = new Host(sim, "a", w.a(), cfgA());
        Host b = new Host(sim, "b", w.b(), cfgB());
        assertEquals(20, pingWithRetries(sim, a, B4, 20), "seed " + seed + " " + a.stack.counters());
        assertEquals(20, pingWithRetries(sim, a, B6, 20), "seed " + seed + " " + a.stack.counters());
        assertTrue(b.stack.neighbors(b.nif, false).lookup(A4) != null, "seed " + seed);
    }

    private static byte[] recordedRun(long seed) {
        Simulator sim = new Simulator(seed);
        Impairments bad = Impairments.NONE.withDelay(100_000, 50_000).withLoss(0.1).withReordering(0.2, MS);
        VirtualWire w = wire(sim, bad);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PcapTap tap = new PcapTap(w.a(), new PcapWriter(bytes, sim.clock(), 0, PcapWriter.DEFAULT_SNAPLEN));
        Host a = new Host(sim, "a", tap, cfgA());
        new Host(sim, "b", w.b(), cfgB());
        pingWithRetries(sim, a, B4, 5);
        pingWithRetries(sim, a, B6, 5);
        a.stack.sendEchoRequest(B6, 1, 99, 3000);
        sim.runFor(S);
        tap.flush();
        return bytes.toByteArray();
    }

    @Test
    void sameSeedGivesTheSamePcapByteForByte() {
        byte[] first = recordedRun(77);
        byte[] second = recordedRun(77);
        assertTrue(first.length > 1000, "capture has content: " + first.length);
        assertArrayEquals(first, second, "seed 77 replays exactly");
        assertFalse(java.util.Arrays.equals(first, recordedRun(78)), "another seed gives another run");
    }
}
