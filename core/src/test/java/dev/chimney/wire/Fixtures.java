package dev.chimney.wire;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

/** Byte fixtures shared by the wire tests; all were generated with scapy 2.5 (command noted per fixture). */
final class Fixtures {
    private Fixtures() {
    }

    static MemorySegment seg(final String hex) {
        return MemorySegment.ofArray(HexFormat.of().parseHex(hex));
    }

    static byte[] bytes(final String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /** A buffer pre-filled with 0xA5, so a construct test notices any byte emit forgets to write. */
    static MemorySegment poisoned(final int length) {
        final MemorySegment s = MemorySegment.ofArray(new byte[length]);
        s.fill((byte) 0xA5);
        return s;
    }

    static String hex(final MemorySegment s) {
        return HexFormat.of().formatHex(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }

    static final MacAddress MAC1 = MacAddress.parse("02:00:00:00:00:01");
    static final MacAddress MAC2 = MacAddress.parse("02:00:00:00:00:02");
    static final Ipv4Address IP1 = Ipv4Address.parse("10.77.0.1");
    static final Ipv4Address IP2 = Ipv4Address.parse("10.77.0.2");
    static final Ipv6Address IP6_1 = Ipv6Address.parse("fd77::1");
    static final Ipv6Address IP6_2 = Ipv6Address.parse("fd77::2");

    /**
     * Ether(dst=MAC2, src=MAC1)/IP(src="10.77.0.1", dst="10.77.0.2", id=0x1234, flags="DF", ttl=64)/
     * TCP(sport=40000, dport=80, seq=1000, flags="S", window=64240, options=[MSS 1460, SAckOK, Timestamp
     * (12345, 0), NOP, WScale 7]) — the Linux SYN option layout.
     */
    static final String SYN_FRAME = "020000000002020000000001" + "0800"
            + "4500003c12344000400613ec0a4d00010a4d0002"
            + "9c400050000003e800000000a002faf067c10000"
            + "020405b40402080a000030390000000001030307";

    /**
     * Ether/IP(id=0x1235, DF, ttl 64)/TCP(sport=40000, dport=80, seq=1001, ack=5001, flags="PA", window=502,
     * options=[NOP, NOP, Timestamp (12346, 777)])/b"hello".
     */
    static final String DATA_FRAME = "020000000002020000000001" + "0800"
            + "4500003912354000400613ee0a4d00010a4d0002"
            + "9c400050000003e900001389801801f635060000"
            + "0101080a0000303a00000309" + "68656c6c6f";

    /** IPv6(src="fd77::1", dst="fd77::2", hlim=64, fl=0x12345)/TCP(sport=40000, dport=443, seq=7, ack=9, "A", 1000). */
    static final String IPV6_TCP = "6001234500140640"
            + "fd770000000000000000000000000001" + "fd770000000000000000000000000002"
            + "9c4001bb0000000700000009501003e812ef0000";

    /** IP(src="10.77.0.1", dst="10.77.0.2", id=1, ttl=64)/UDP(sport=5353, dport=53)/b"abc". */
    static final String IPV4_UDP = "4500001f00010000401166310a4d00010a4d0002" + "14e90035000b11bb" + "616263";

    /** IPv6(src="fd77::1", dst="fd77::2", hlim=64)/UDP(sport=5353, dport=53)/b"abc". */
    static final String IPV6_UDP = "60000000000b1140fd770000000000000000000000000001fd770000000000000000000000000002"
            + "14e90035000b2b65" + "616263";
}
