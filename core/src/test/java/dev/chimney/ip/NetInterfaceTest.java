package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import org.junit.jupiter.api.Test;

class NetInterfaceTest {
    private static final MacAddress MAC = MacAddress.parse("02:11:22:33:44:55");

    private final NetInterface nif = new NetInterface(1,
            InterfaceConfig.of("eth0", MAC).withIpv4("10.77.0.2/24").withIpv6("fd77::2/64").withVlan(7, 3));

    @Test
    void addsEui64LinkLocal() {
        // RFC 4291 appendix A: 02:11:22:33:44:55 -> fe80::11:22ff:fe33:4455 (U/L bit flipped).
        assertEquals(IpAddress.parse("fe80::11:22ff:fe33:4455"), nif.linkLocal());
        assertEquals(nif.linkLocal(), nif.ipv6().getFirst().address());
        assertEquals(2, nif.ipv6().size());
        assertEquals(7, nif.vlanId());
        assertTrue(nif.tagsFrames());
    }

    @Test
    void acceptsOwnBroadcastAndMulticastDestinations() {
        assertTrue(nif.acceptsIpv4(Ipv4Address.parse("10.77.0.2").bits()));
        assertTrue(nif.acceptsIpv4(Ipv4Address.parse("10.77.0.255").bits()));
        assertTrue(nif.acceptsIpv4(-1));
        assertFalse(nif.acceptsIpv4(Ipv4Address.parse("10.77.0.3").bits()));
        Ipv6Address own = Ipv6Address.parse("fd77::2");
        assertTrue(nif.acceptsIpv6(own.hi(), own.lo()));
        Ipv6Address sn = own.solicitedNode();
        assertTrue(nif.acceptsIpv6(sn.hi(), sn.lo()));
        assertTrue(nif.acceptsIpv6(Ipv6Address.ALL_NODES.hi(), Ipv6Address.ALL_NODES.lo()));
        Ipv6Address other = Ipv6Address.parse("fd77::3").solicitedNode();
        assertFalse(nif.acceptsIpv6(other.hi(), other.lo()));
    }

    @Test
    void acceptsMacsOfJoinedGroups() {
        assertTrue(nif.acceptsMac(MAC.bits()));
        assertTrue(nif.acceptsMac(MacAddress.BROADCAST.bits()));
        assertTrue(nif.acceptsMac(MacAddress.ipv6Multicast(Ipv6Address.ALL_NODES).bits()));
        assertTrue(nif.acceptsMac(MacAddress.ipv6Multicast(nif.linkLocal().solicitedNode()).bits()));
        assertFalse(nif.acceptsMac(MacAddress.ipv6Multicast(Ipv6Address.parse("fd77::9").solicitedNode()).bits()));
        assertFalse(nif.acceptsMac(MacAddress.parse("02:11:22:33:44:56").bits()));
    }

    @Test
    void chooseSourceByScope() {
        assertEquals(nif.linkLocal(), nif.ipv6SourceFor(IpAddress.parse("fe80::1")));
        assertEquals(nif.linkLocal(), nif.ipv6SourceFor(Ipv6Address.ALL_NODES));
        assertEquals(IpAddress.parse("fd77::2"), nif.ipv6SourceFor(IpAddress.parse("2001:db8::1")));
        assertEquals(IpAddress.parse("10.77.0.2"), nif.ipv4SourceFor(IpAddress.parse("1.1.1.1")));
    }

    @Test
    void configRejectsMisuse() {
        assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.of("x", MacAddress.BROADCAST));
        assertThrows(IllegalArgumentException.class,
                () -> InterfaceConfig.of("x", MAC).withIpv6("fd00::1/64").withMtu(1000));
        assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.of("x", MAC).withVlan(4095, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new InterfaceConfig("x", MAC, 1500, java.util.List.of(IpCidr.parse("fd00::1/64")),
                        java.util.List.of(), 0, 0));
    }
}
