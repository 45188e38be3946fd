package dev.chimney.ip;

import dev.chimney.wire.IpAddress;

/** Receives ICMP / ICMPv6 echo replies to {@link IpStack#sendEchoRequest} (ping). Called on the stack's loop. */
public interface EchoListener {
    /**
     * @param from         who answered
     * @param identifier   the echo identifier we sent
     * @param sequence     the echo sequence number we sent
     * @param payloadBytes the echo data length
     * @param rttNs        time since the request with this identifier and sequence was sent, or -1 if unknown
     */
    void onEchoReply(IpAddress from, int identifier, int sequence, int payloadBytes, long rttNs);
}
