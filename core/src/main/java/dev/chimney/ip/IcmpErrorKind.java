package dev.chimney.ip;

/**
 * ICMP errors as a transport sees them, for both families, each marked hard or soft. A hard error means the
 * peer or path actively refuses the protocol or port: a connection still being set up should abort. A soft error
 * is transient (routing, reachability, time exceeded): the transport records it and keeps retrying, reporting it
 * only if it finally times out. RFC 1122 §4.2.3.9 names codes 0, 1 and 5 soft and 2, 3 and 4 hard for TCP; RFC 5927
 * §4.1 advises treating even hard errors as soft on synchronized connections, which the transport decides.
 */
public enum IcmpErrorKind {
    /** ICMPv4 dest-unreachable code 0 / ICMPv6 code 0 (no route). */
    NET_UNREACHABLE(false),
    /** ICMPv4 code 1 / ICMPv6 code 3 (address unreachable), and local neighbor resolution failure. */
    HOST_UNREACHABLE(false),
    /** ICMPv4 code 2 / ICMPv6 parameter problem code 1 (unrecognized next header). */
    PROTOCOL_UNREACHABLE(true),
    /** ICMPv4 code 3 / ICMPv6 code 4. */
    PORT_UNREACHABLE(true),
    /** ICMPv4 code 4 (fragmentation needed, DF set) / ICMPv6 packet too big: the PMTU dropped. */
    PACKET_TOO_BIG(false),
    /** ICMPv4 code 5. */
    SOURCE_ROUTE_FAILED(false),
    /** ICMPv4 codes 9, 10, 13 / ICMPv6 codes 1, 5, 6 (administratively prohibited, policy, reject route). */
    ADMIN_PROHIBITED(false),
    /** Other destination-unreachable codes (unknown network/host, TOS, beyond scope, precedence). */
    OTHER_UNREACHABLE(false),
    /** Time exceeded in transit or in reassembly. */
    TIME_EXCEEDED(false),
    /** Parameter problem (other than an unrecognized next header). */
    PARAMETER_PROBLEM(false);

    private final boolean hard;

    IcmpErrorKind(boolean hard) {
        this.hard = hard;
    }

    /** True for errors that should abort a connection that is still opening (RFC 1122 §4.2.3.9). */
    public boolean isHard() {
        return hard;
    }

    /** Maps an ICMPv4 destination-unreachable code (RFC 792, RFC 1812 §5.2.7.1). */
    public static IcmpErrorKind ofIcmpv4Unreachable(int code) {
        return switch (code) {
            case 0 -> NET_UNREACHABLE;
            case 1 -> HOST_UNREACHABLE;
            case 2 -> PROTOCOL_UNREACHABLE;
            case 3 -> PORT_UNREACHABLE;
            case 4 -> PACKET_TOO_BIG;
            case 5 -> SOURCE_ROUTE_FAILED;
            case 9, 10, 13 -> ADMIN_PROHIBITED;
            default -> OTHER_UNREACHABLE;
        };
    }

    /** Maps an ICMPv6 destination-unreachable code (RFC 4443 §3.1). */
    public static IcmpErrorKind ofIcmpv6Unreachable(int code) {
        return switch (code) {
            case 0 -> NET_UNREACHABLE;
            case 1, 5, 6 -> ADMIN_PROHIBITED;
            case 3 -> HOST_UNREACHABLE;
            case 4 -> PORT_UNREACHABLE;
            default -> OTHER_UNREACHABLE;
        };
    }
}
