package dev.chimney.wire;

/** An IPv4 or IPv6 address: value types usable as map keys. */
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

    static IpAddress ofBytes(byte[] b) {
        return switch (b.length) {
            case 4 -> Ipv4Address.ofBytes(b, 0);
            case 16 -> Ipv6Address.ofBytes(b, 0);
            default -> throw new IllegalArgumentException("an IP address has 4 or 16 bytes, got " + b.length);
        };
    }
}
