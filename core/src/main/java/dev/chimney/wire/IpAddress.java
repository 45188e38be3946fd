package dev.chimney.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address: value types usable as map keys. Converts to and from {@link InetAddress} ({@link
 * #of(InetAddress)}, {@link #toInetAddress()}) without any name lookup.
 */
public sealed interface IpAddress permits Ipv4Address, Ipv6Address {

    /** 4 or 16. */
    int byteLength();

    byte[] toBytes();

    boolean isMulticast();

    boolean isUnspecified();

    default boolean isIpv4() {
        return this instanceof Ipv4Address;
    }

    /** Parses dotted-quad IPv4 or RFC 5952/4291 IPv6 text. */
    static IpAddress parse(String text) {
        return text.indexOf(':') >= 0 ? Ipv6Address.parse(text) : Ipv4Address.parse(text);
    }

    /**
     * The address {@code address} holds: an {@link Inet4Address} gives an {@link Ipv4Address}, an {@link
     * Inet6Address} an {@link Ipv6Address} (an IPv4-mapped one stays IPv6; a scope id is dropped: this stack keeps
     * none). No name lookup: the {@code InetAddress} already carries its bytes.
     *
     * @throws NullPointerException if {@code address} is null
     */
    static IpAddress of(InetAddress address) {
        if (address == null) {
            throw new NullPointerException("address (an InetAddress, e.g. InetAddress.ofLiteral(\"10.0.0.2\"))");
        }
        return ofBytes(address.getAddress());
    }

    /**
     * This address as an {@link InetAddress} (an {@link Inet4Address} or an {@link Inet6Address}, so that {@link
     * #of(InetAddress)} gives back an equal address), with no host name and no name lookup.
     */
    default InetAddress toInetAddress() {
        try {
            return isIpv4() ? InetAddress.getByAddress(toBytes()) : Inet6Address.getByAddress(null, toBytes(), -1);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 and 16 bytes are valid address lengths", e);
        }
    }

    static IpAddress ofBytes(byte[] b) {
        return switch (b.length) {
            case 4 -> Ipv4Address.ofBytes(b, 0);
            case 16 -> Ipv6Address.ofBytes(b, 0);
            default -> throw new IllegalArgumentException("an IP address has 4 or 16 bytes, got " + b.length);
        };
    }
}
