package dev.chimney.ip;

import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;

/**
 * An IP address with a prefix length, as written {@code 10.0.0.1/24} or {@code fd00::1/64} (RFC 4632 §3.1,
 * RFC 4291 §2.3). The address keeps its host bits, so the same type names both an interface address
 * ({@code 10.0.0.1/24}: "my address is 10.0.0.1, on-link prefix 10.0.0.0/24") and a route destination.
 *
 * @param address      the address, host bits kept
 * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
 */
public record IpCidr(IpAddress address, int prefixLength) {

    public IpCidr {
        if (address == null) {
            throw new IllegalArgumentException("an IpCidr needs an address; got null");
        }
        int max = address.byteLength() * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length of " + address + " must be 0.." + max + ", got "
                    + prefixLength);
        }
    }

    /** Parses {@code address/prefix}; a bare address means a host prefix (/32 or /128). */
    public static IpCidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            IpAddress a = IpAddress.parse(text.strip());
            return new IpCidr(a, a.byteLength() * 8);
        }
        IpAddress a = IpAddress.parse(text.substring(0, slash).strip());
        int len;
        try {
            len = Integer.parseInt(text.substring(slash + 1).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a prefix like 10.0.0.1/24 or fd00::1/64, got '" + text
                    + "'", e);
        }
        return new IpCidr(a, len);
    }

    public boolean isIpv4() {
        return address instanceof Ipv4Address;
    }

    /** The network address: host bits cleared. */
    public IpAddress network() {
        return switch (address) {
            case Ipv4Address v4 -> new Ipv4Address(v4.bits() & mask32(prefixLength));
            case Ipv6Address v6 -> new Ipv6Address(v6.hi() & maskHi(prefixLength), v6.lo() & maskLo(prefixLength));
        };
    }

    /** This prefix with host bits cleared ({@code 10.0.0.1/24} becomes {@code 10.0.0.0/24}). */
    public IpCidr canonical() {
        return new IpCidr(network(), prefixLength);
    }

    /** The IPv4 directed broadcast address of this prefix (all host bits set); only for IPv4. */
    public Ipv4Address broadcast() {
        if (!(address instanceof Ipv4Address v4)) {
            throw new IllegalStateException("IPv6 has no broadcast address (" + this + "); use multicast");
        }
        return new Ipv4Address(v4.bits() | ~mask32(prefixLength));
    }

    /** True when {@code other} is of the same family and inside this prefix. Allocation-free. */
    public boolean contains(IpAddress other) {
        return switch (address) {
            case Ipv4Address v4 -> other instanceof Ipv4Address o && containsV4(o.bits());
            case Ipv6Address v6 -> other instanceof Ipv6Address o && containsV6(o.hi(), o.lo());
        };
    }

    /** IPv4 membership test on raw bits (network order int). */
    public boolean containsV4(int bits) {
        if (!(address instanceof Ipv4Address v4)) {
            return false;
        }
        int m = mask32(prefixLength);
        return (v4.bits() & m) == (bits & m);
    }

    /** IPv6 membership test on raw bits. */
    public boolean containsV6(long hi, long lo) {
        if (!(address instanceof Ipv6Address v6)) {
            return false;
        }
        long mh = maskHi(prefixLength);
        long ml = maskLo(prefixLength);
        return (v6.hi() & mh) == (hi & mh) && (v6.lo() & ml) == (lo & ml);
    }

    /** The IPv4 netmask for a prefix length 0..32 (network order int). */
    public static int mask32(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** High 64 bits of an IPv6 mask for a prefix length 0..128. */
    public static long maskHi(int prefixLength) {
        return prefixLength == 0 ? 0L : prefixLength >= 64 ? -1L : -1L << (64 - prefixLength);
    }

    /** Low 64 bits of an IPv6 mask for a prefix length 0..128. */
    public static long maskLo(int prefixLength) {
        return prefixLength <= 64 ? 0L : -1L << (128 - prefixLength);
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }
}
