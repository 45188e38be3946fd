package dev.chimney.tcp;

/**
 * Counters of the TCP/IP binding ({@link TcpIpBinding}): what happened to segments between the IP layer and the TCP
 * engine, indexed by ordinal. Drops here are segments the engine never saw (malformed on the wire) or could not
 * send; the engine's own protocol drops are in {@link TcpCounter}.
 */
public enum TcpIpCounter {
    SEGMENTS_RECEIVED("TCP segments handed up by IP"),
    DROP_TRUNCATED("shorter than the 20-byte header, or than its data offset says (RFC 9293 §3.1)"),
    DROP_BAD_DATA_OFFSET("data offset below 5 words (RFC 9293 §3.1)"),
    DROP_BAD_CHECKSUM("checksum over pseudo-header and segment fails (RFC 9293 §3.1, MUST-3)"),
    DROP_BAD_OPTIONS("an option with a bad length (RFC 9293 §3.2)"),
    DROP_BAD_FLAGS("impossible control bits (SYN and RST together)"),
    DROP_NOT_UNICAST("addressed to a broadcast or multicast address (RFC 1122 §4.2.3.10)"),
    SEGMENTS_SENT("segments handed to IP"),
    TX_DROP_NO_ROUTE("segments not sent: no route or no source address towards the peer"),
    TX_DROP_TOO_BIG("segments larger than the current path MTU allows; the connection re-segments (RFC 1191 §6.5)"),
    TX_DROP_REFUSED("segments IP refused (port refused, neighbor table full)"),
    ICMP_PACKET_TOO_BIG("ICMP packet-too-big errors applied to a connection (RFC 1191, RFC 8201)"),
    ICMP_HARD_ERRORS("ICMP hard errors applied to a connection (RFC 1122 §4.2.3.9)"),
    ICMP_SOFT_ERRORS("ICMP soft errors applied to a connection (RFC 1122 §4.2.3.9)"),
    ICMP_DROP_NO_CONNECTION("ICMP errors quoting no live connection (RFC 5927 §4.3)"),
    ICMP_DROP_OUT_OF_WINDOW("ICMP errors quoting a sequence number outside SND.UNA..SND.MAX (RFC 5927 §4.1)"),
    REACHABILITY_CONFIRMATIONS("forward-progress hints given to neighbor discovery (RFC 4861 §7.3.1)");

    private final String description;

    TcpIpCounter(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
