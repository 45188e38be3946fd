package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chimney.link.FrameSink;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.wire.ArpView;
import dev.chimney.wire.Bytes;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Mutation fuzzing of the receive path: valid frames of every kind the stack parses (ARP, IPv4/IPv6 echo, IPv4 and
 * IPv6 fragments, NS, NA, RA, ICMP errors) with random bytes flipped and random truncation. Whatever arrives, the
 * stack never throws, and no length field ever slips past validation (the bounds safety net stays at zero).
 */
class IpStackFuzzTest {
    private static final MacAddress US = MacAddress.parse("02:00:00:00:00:0b");
    private static final MacAddress THEM = MacAddress.parse("02:00:00:00:00:0a");
    private static final Ipv4Address US4 = Ipv4Address.parse("10.77.0.2");
    private static final Ipv4Address THEM4 = Ipv4Address.parse("10.77.0.1");
    private static final Ipv6Address US6 = Ipv6Address.parse("fd77::2");
    private static final Ipv6Address THEM6 = Ipv6Address.parse("fd77::1");

    /** A port that accepts everything the stack sends. */
    static final class NullPort implements NetworkPort {
        @Override
        public String name() {
            return "null";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public boolean transmit(MemorySegment frame) {
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

    private static List<MemorySegment> seeds() {
        MemorySegment arp = MemorySegment.ofArray(new byte[28]);
        new ArpView().wrap(arp).ethernetIpv4().operation(1).senderMacBits(THEM.bits()).senderIpBits(THEM4.bits())
                .targetIpBits(US4.bits());
        MemorySegment echo4 = TestFrames.echo(false, true, 1, 1, 32);
        TestFrames.checksumIcmpv4(echo4);
        MemorySegment echo6 = TestFrames.echo(true, true, 1, 1, 32);
        TestFrames.checksumIcmpv6(echo6, THEM6, US6);
        MemorySegment ns = MemorySegment.ofArray(new byte[32]);
        Bytes.u8(ns, 0, 135);
        Bytes.ipv6(ns, 8, US6);
        Bytes.u8(ns, 24, 1);
        Bytes.u8(ns, 25, 1);
        Bytes.macBits(ns, 26, THEM.bits());
        TestFrames.checksumIcmpv6(ns, THEM6, US6.solicitedNode());
        MemorySegment ra = MemorySegment.ofArray(new byte[16 + 32 + 8]);
        Bytes.u8(ra, 0, 134);
        Bytes.u16(ra, 6, 600);
        Bytes.u8(ra, 16, 3);
        Bytes.u8(ra, 17, 4);
        Bytes.u8(ra, 18, 64);
        Bytes.u8(ra, 19, 0xC0);
        Bytes.u32(ra, 20, 1000);
        Bytes.ipv6(ra, 32, Ipv6Address.parse("2001:db8::"));
        Bytes.u8(ra, 48, 5);
        Bytes.u8(ra, 49, 1);
        Bytes.u32(ra, 52, 1400);
        Ipv6Address ll = Ipv6Address.linkLocal(THEM);
        TestFrames.checksumIcmpv6(ra, ll, Ipv6Address.ALL_NODES);
        MemorySegment ptb = MemorySegment.ofArray(new byte[8 + 48]);
        Bytes.u8(ptb, 0, 2);
        Bytes.u32(ptb, 4, 1300);
        MemorySegment.copy(TestFrames.ipv6(US6, THEM6, IpProtocol.UDP, 64, MemorySegment.ofArray(new byte[8])), 0,
                ptb, 8, 48);
        TestFrames.checksumIcmpv6(ptb, THEM6, US6);
        MemorySegment unreach = MemorySegment.ofArray(new byte[8 + 28]);
        Bytes.u8(unreach, 0, 3);
        Bytes.u8(unreach, 1, 4);
        Bytes.u16(unreach, 6, 1200);
        MemorySegment.copy(TestFrames.ipv4(US4, THEM4, IpProtocol.UDP, 9, true, false, 0,
                MemorySegment.ofArray(new byte[8])), 0, unreach, 8, 28);
        TestFrames.checksumIcmpv4(unreach);
        MemorySegment fragData = MemorySegment.ofArray(new byte[64]);
        return List.of(
                TestFrames.ethernet(US, THEM, EtherType.ARP, arp),
                TestFrames.frameV4(US, THEM, TestFrames.ipv4(THEM4, US4, IpProtocol.ICMP, 1, false, false, 0, echo4)),
                TestFrames.frameV6(US, THEM, TestFrames.ipv6(THEM6, US6, IpProtocol.ICMPV6, 64, echo6)),
                TestFrames.frameV6(MacAddress.ipv6Multicast(US6.solicitedNode()), THEM,
                        TestFrames.ipv6(THEM6, US6.solicitedNode(), IpProtocol.ICMPV6, 255, ns)),
                TestFrames.frameV6(MacAddress.ipv6Multicast(Ipv6Address.ALL_NODES), THEM,
                        TestFrames.ipv6(ll, Ipv6Address.ALL_NODES, IpProtocol.ICMPV6, 255, ra)),
                TestFrames.frameV6(US, THEM, TestFrames.ipv6(THEM6, US6, IpProtocol.ICMPV6, 64, ptb)),
                TestFrames.frameV4(US, THEM, TestFrames.ipv4(THEM4, US4, IpProtocol.ICMP, 2, false, false, 0, unreach)),
                TestFrames.frameV4(US, THEM, TestFrames.ipv4(THEM4, US4, IpProtocol.UDP, 3, false, true, 0, fragData)),
                TestFrames.frameV6(US, THEM, TestFrames.ipv6Fragment(THEM6, US6, IpProtocol.UDP, 4, 64, false,
                        fragData)));
    }

    @Property(tries = 150)
    void mutatedFramesNeverThrowNorEscapeValidation(@ForAll long seed) {
        SeededRandom rnd = new SeededRandom(seed);
        EventLoop loop = new EventLoop("fuzz", new VirtualClock());
        IpStack stack = new IpStack(loop, rnd.fork("stack"), IpStackConfig.defaults());
        NetInterface nif = stack.attach(new NullPort(), InterfaceConfig.of("f0", US).withIpv4("10.77.0.2/24")
                .withIpv6("fd77::2/64"));
        stack.register(IpProtocol.UDP, (info, payload) -> stack.sendUnreachable(IcmpErrorKind.PORT_UNREACHABLE));
        stack.routes().addDefaultGateway(THEM4);
        List<MemorySegment> seeds = seeds();
        int frames = 0;
        for (int i = 0; i < 40; i++) {
            byte[] f = seeds.get(rnd.nextInt(seeds.size())).toArray(ValueLayout.JAVA_BYTE);
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                // Mostly past the Ethernet header, so mutations reach the IP/ARP/ICMP parsers.
                int at = 12 + rnd.nextInt(f.length - 12);
                f[at] = (byte) (rnd.chance(0.5) ? rnd.nextInt(256) : f[at] ^ (1 << rnd.nextInt(8)));
            }
            int len = rnd.chance(0.3) ? 14 + rnd.nextInt(f.length - 13) : f.length;
            stack.receiveFrame(nif, MemorySegment.ofArray(f).asSlice(0, len));
            frames++;
        }
        loop.runOnce();
        assertEquals(frames, stack.counters().get(IpCounter.FRAMES_RECEIVED), "seed " + seed);
        assertEquals(0, stack.counters().get(IpCounter.RX_DROP_BOUNDS), "seed " + seed + " " + stack.counters());
    }
}
