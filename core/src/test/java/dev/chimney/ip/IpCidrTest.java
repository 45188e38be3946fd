package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

class IpCidrTest {

    @Test
    void parsesIpv4AndKeepsHostBits() {
        IpCidr c = IpCidr.parse("10.0.0.1/24");
        assertEquals(IpAddress.parse("10.0.0.1"), c.address());
        assertEquals(24, c.prefixLength());
        assertEquals(IpAddress.parse("10.0.0.0"), c.network());
        assertEquals(Ipv4Address.parse("10.0.0.255"), c.broadcast());
        assertEquals("10.0.0.1/24", c.toString());
    }

    @Test
    void parsesIpv6AndBareAddresses() {
        IpCidr c = IpCidr.parse("fd00::1/64");
        assertEquals(64, c.prefixLength());
        assertEquals(IpAddress.parse("fd00::"), c.network());
        assertEquals(128, IpCidr.parse("fd00::1").prefixLength());
        assertEquals(32, IpCidr.parse("192.168.1.1").prefixLength());
    }

    @Test
    void containsRespectsPrefixAndFamily() {
        IpCidr v4 = IpCidr.parse("10.1.0.0/16");
        assertTrue(v4.contains(IpAddress.parse("10.1.200.3")));
        assertFalse(v4.contains(IpAddress.parse("10.2.0.1")));
        assertFalse(v4.contains(IpAddress.parse("::a01:1")));
        IpCidr v6 = IpCidr.parse("fd00:1:2:3:8000::/65");
        assertTrue(v6.contains(IpAddress.parse("fd00:1:2:3:ffff::1")));
        assertFalse(v6.contains(IpAddress.parse("fd00:1:2:3:7fff::1")));
        assertTrue(IpCidr.parse("0.0.0.0/0").contains(IpAddress.parse("1.2.3.4")));
        assertTrue(IpCidr.parse("::/0").contains(IpAddress.parse("2001:db8::1")));
    }

    @Test
    void rejectsBadInputWithHelpfulMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpCidr.parse("10.0.0.1/33"));
        assertTrue(e.getMessage().contains("0..32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IpCidr.parse("10.0.0.1/x"));
        assertThrows(IllegalArgumentException.class, () -> IpCidr.parse("fd00::/129"));
    }
}
