package dev.chimney.ip;

import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Static configuration of one IP interface: its MAC, MTU, addresses and optional 802.1Q tag. Immutable; the
 * {@code with...} methods return modified copies, so a config reads like
 * {@code InterfaceConfig.of("eth0", mac).withIpv4("10.77.0.2/24").withIpv6("fd77::2/64")}.
 *
 * <p>The IPv6 link-local address (fe80::/64 from the MAC's modified EUI-64, RFC 4291 §2.5.1 / appendix A) is not
 * listed here: {@link NetInterface} always adds it, as RFC 4862 §5.3 requires for every IPv6 interface.
 *
 * @param name         interface name for logs and counters
 * @param mac          our Ethernet address (unicast)
 * @param mtuBytes     largest IP packet the link carries (RFC 894: 1500 on Ethernet); IPv6 needs at least 1280
 * @param ipv4         IPv4 addresses with their on-link prefix length
 * @param ipv6         IPv6 addresses (global or unique-local) with their on-link prefix length
 * @param vlanId       802.1Q VLAN id 1..4094, or 0 for untagged
 * @param vlanPriority 802.1p priority 0..7 used when tagging (a VLAN id of 0 with a priority sends priority tags)
 */
public record InterfaceConfig(String name, MacAddress mac, int mtuBytes, List<IpCidr> ipv4, List<IpCidr> ipv6,
        int vlanId, int vlanPriority) {

    /** Ethernet's MTU (RFC 894). */
    public static final int DEFAULT_MTU = 1500;
    /** Smallest MTU a link may have for IPv4 (RFC 791: every host must accept 68-byte datagrams unfragmented). */
    public static final int MIN_IPV4_MTU = 68;
    /** Smallest MTU a link may have for IPv6 (RFC 8200 §5). */
    public static final int MIN_IPV6_MTU = 1280;

    public InterfaceConfig {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("an interface needs a non-empty name");
        }
        if (mac == null || mac.isMulticast()) {
            throw new IllegalArgumentException("interface " + name + " needs a unicast MAC, got " + mac);
        }
        ipv4 = List.copyOf(ipv4);
        ipv6 = List.copyOf(ipv6);
        for (IpCidr c : ipv4) {
            if (!c.isIpv4()) {
                throw new IllegalArgumentException("IPv6 prefix " + c + " given as IPv4 address of " + name);
            }
        }
        for (IpCidr c : ipv6) {
            if (c.isIpv4()) {
                throw new IllegalArgumentException("IPv4 prefix " + c + " given as IPv6 address of " + name);
            }
        }
        if (mtuBytes < MIN_IPV4_MTU || mtuBytes > 65535) {
            throw new IllegalArgumentException("MTU of " + name + " must be 68..65535 bytes, got " + mtuBytes);
        }
        if (mtuBytes < MIN_IPV6_MTU && !ipv6.isEmpty()) {
            throw new IllegalArgumentException("IPv6 needs an MTU of at least 1280 (RFC 8200 §5); " + name
                    + " has " + mtuBytes);
        }
        if (vlanId < 0 || vlanId > 4094) {
            throw new IllegalArgumentException("VLAN id of " + name + " must be 0 (untagged) or 1..4094, got "
                    + vlanId);
        }
        if (vlanPriority < 0 || vlanPriority > 7) {
            throw new IllegalArgumentException("802.1p priority must be 0..7, got " + vlanPriority);
        }
    }

    /** An untagged Ethernet interface with the default MTU and no addresses yet. */
    public static InterfaceConfig of(String name, MacAddress mac) {
        return new InterfaceConfig(name, mac, DEFAULT_MTU, List.of(), List.of(), 0, 0);
    }

    public InterfaceConfig withMtu(int newMtuBytes) {
        return new InterfaceConfig(name, mac, newMtuBytes, ipv4, ipv6, vlanId, vlanPriority);
    }

    /** Adds an IPv4 address, e.g. {@code "10.77.0.2/24"}. */
    public InterfaceConfig withIpv4(String cidr) {
        List<IpCidr> l = new ArrayList<>(ipv4);
        l.add(IpCidr.parse(cidr));
        return new InterfaceConfig(name, mac, mtuBytes, l, ipv6, vlanId, vlanPriority);
    }

    /** Adds an IPv6 address, e.g. {@code "fd77::2/64"}. */
    public InterfaceConfig withIpv6(String cidr) {
        List<IpCidr> l = new ArrayList<>(ipv6);
        l.add(IpCidr.parse(cidr));
        return new InterfaceConfig(name, mac, mtuBytes, ipv4, l, vlanId, vlanPriority);
    }

    /** Tags every frame with this 802.1Q VLAN id and 802.1p priority, and accepts only frames of that VLAN. */
    public InterfaceConfig withVlan(int id, int priority) {
        return new InterfaceConfig(name, mac, mtuBytes, ipv4, ipv6, id, priority);
    }
}
