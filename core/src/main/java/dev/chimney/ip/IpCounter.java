package dev.chimney.ip;

/**
 * Counters of the framing and path layers. Ids are stable (they appear in dumps and dashboards); add new ones
 * at the end. Every dropped frame or packet increments exactly one {@code *_DROP*} or error counter.
 */
public enum IpCounter {
    FRAMES_RECEIVED(0, "frames handed to the stack"),
    FRAMES_SENT(1, "frames handed to the port"),
    FRAME_DROP_TRUNCATED(2, "frame shorter than its Ethernet/802.1Q header"),
    FRAME_DROP_NOT_FOR_US(3, "destination MAC neither ours, broadcast nor a joined multicast group"),
    FRAME_DROP_VLAN(4, "802.1Q tag of another VLAN, or untagged on a VLAN interface"),
    FRAME_DROP_ETHERTYPE(5, "EtherType we do not handle"),
    FRAME_DROP_PORT_REFUSED(6, "port refused a frame on transmit"),
    ARP_RECEIVED(7, "ARP packets received"),
    ARP_DROP_MALFORMED(8, "ARP packet malformed or not Ethernet/IPv4"),
    ARP_REQUESTS_ANSWERED(9, "ARP requests for our address answered"),
    ARP_REQUESTS_SENT(10, "ARP requests sent"),
    IPV4_RECEIVED(11, "IPv4 packets received"),
    IPV4_DROP_MALFORMED(12, "IPv4 header malformed (version, IHL, length)"),
    IPV4_DROP_CHECKSUM(13, "IPv4 header checksum wrong"),
    IPV4_DROP_NOT_FOR_US(14, "IPv4 destination not one of ours"),
    IPV4_DROP_BAD_SOURCE(15, "IPv4 source multicast/broadcast (RFC 1122 §3.2.1.3)"),
    IPV6_RECEIVED(16, "IPv6 packets received"),
    IPV6_DROP_MALFORMED(17, "IPv6 header or extension headers malformed"),
    IPV6_DROP_NOT_FOR_US(18, "IPv6 destination not one of ours"),
    IPV6_DROP_BAD_SOURCE(19, "IPv6 source multicast (RFC 4291 §2.7)"),
    PROTO_DROP_UNKNOWN(20, "no handler for the transport protocol"),
    FRAG_RECEIVED(21, "fragments received"),
    FRAG_REASSEMBLED(22, "datagrams reassembled"),
    FRAG_DROP_OVERLAP(23, "datagram dropped: overlapping fragments (RFC 5722, RFC 1858)"),
    FRAG_DROP_DUPLICATE(24, "exact duplicate fragment ignored"),
    FRAG_DROP_TIMEOUT(25, "datagram dropped: reassembly timed out"),
    FRAG_DROP_LIMIT(26, "fragment dropped: reassembly slots, bytes or fragments per datagram exhausted"),
    FRAG_DROP_MALFORMED(27, "fragment malformed (beyond 65535, inconsistent length or last fragment)"),
    ICMP_RECEIVED(28, "ICMPv4/ICMPv6 messages received"),
    ICMP_DROP_MALFORMED(29, "ICMP message malformed or bad checksum"),
    ICMP_ECHO_REPLIES_SENT(30, "echo replies sent"),
    ICMP_ECHO_REPLIES_RECEIVED(31, "echo replies received"),
    ICMP_ERRORS_RECEIVED(32, "ICMP errors received and dispatched"),
    PMTU_DECREASED(33, "path MTU lowered by fragmentation-needed / packet-too-big"),
    PMTU_AGED(34, "path MTU raised back by aging"),
    PMTU_IGNORED(35, "PMTU report ignored (not lower, or below the minimum after clamping)"),
    NDP_RECEIVED(36, "neighbor discovery messages received"),
    NDP_DROP_INVALID(37, "NDP message failed RFC 4861 validation (hop limit, code, options)"),
    NEIGHBOR_SOLICITS_SENT(38, "neighbor solicitations (or ARP requests) sent by NUD"),
    NEIGHBOR_RESOLVED(39, "neighbor entries that became REACHABLE from INCOMPLETE"),
    NEIGHBOR_UNREACHABLE(40, "neighbor entries that failed resolution or probing"),
    NEIGHBOR_QUEUE_DROP(41, "packets dropped from a neighbor's pending queue (bound hit or resolution failed)"),
    NEIGHBOR_TABLE_FULL(42, "new neighbor refused: table full of INCOMPLETE entries"),
    NEIGHBOR_EVICTED(43, "neighbor entries evicted (least recently used)"),
    TX_DROP_NO_ROUTE(44, "packet not sent: no route"),
    TX_DROP_NO_SOURCE(45, "packet not sent: interface has no source address of that family"),
    TX_DROP_TOO_BIG(46, "packet not sent: larger than the path MTU and not fragmentable"),
    PATH_EVICTED(47, "path entries evicted (least recently used)"),
    REDIRECTS_APPLIED(48, "redirects that installed a host route"),
    RX_DROP_BOUNDS(49, "frame dropped: a length field pointed outside the frame (caught bounds error)"),
    ICMP_ECHO_REQUESTS_SENT(50, "echo requests sent"),
    FRAGMENTS_SENT(51, "fragments sent (echo replies larger than the path MTU)"),
    ROUTER_ADVERTISEMENTS_APPLIED(52, "router advertisements that set a default router or prefix"),
    ICMP_DROP_UNMATCHED(53, "ICMP error quoting a packet we did not send (RFC 5927 checks)"),
    ICMP_ERRORS_SENT(54, "ICMP destination-unreachable / parameter-problem errors sent"),
    ICMP_ERRORS_RATE_LIMITED(55, "ICMP errors not sent: rate limit (RFC 4443 §2.4(f), RFC 1812 §4.3.2.8)"),
    SEGMENTED_FRAMES_SENT(56, "TCP super-frames handed to a port with segmentation offload (TSO)"),
    SEGMENTED_FRAMES_RECEIVED(57, "GSO super-frames received from a port (larger than the MTU, gso_size set)");

    private final int id;
    private final String description;

    IpCounter(int id, String description) {
        this.id = id;
        this.description = description;
    }

    public int id() {
        return id;
    }

    public String description() {
        return description;
    }
}
