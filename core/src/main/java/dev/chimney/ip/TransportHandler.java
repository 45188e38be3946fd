package dev.chimney.ip;

import java.lang.foreign.MemorySegment;

/**
 * A transport protocol (TCP, UDP, ...) registered with an {@link IpStack} for one IP protocol number. Called on the
 * stack's event loop; arguments are only valid during the call (buffers and {@link IpPacketInfo} are reused).
 */
public interface TransportHandler {

    /**
     * A packet for this protocol arrived and passed IP validation (and reassembly).
     *
     * @param info    addresses and header fields (reused; copy what you keep)
     * @param payload the transport header and data, exactly the IP payload length
     */
    void onPacket(IpPacketInfo info, MemorySegment payload);

    /**
     * The zero-copy form the stack actually calls: the transport message is {@code length} bytes at {@code offset}
     * of {@code segment} (the received frame, or the reassembly buffer). Override it to wrap a view over the bytes
     * without the slice object the default creates for {@link #onPacket(IpPacketInfo, MemorySegment)}.
     */
    default void onPacket(IpPacketInfo info, MemorySegment segment, long offset, int length) {
        onPacket(info, segment.asSlice(offset, length));
    }

    /**
     * An ICMP error quoted a packet this host sent with this protocol (RFC 1122 §4.2.3.9, RFC 4443 §2.4(e)).
     *
     * @param kind          what went wrong; {@link IcmpErrorKind#isHard()} tells aborting errors from transient ones
     * @param quoted        the quoted packet's header: source is us, destination the remote peer (reused)
     * @param mtuBytes      for {@link IcmpErrorKind#PACKET_TOO_BIG}: the path MTU now in force; else 0
     * @param quotedPayload the start of the quoted transport header (at least 8 bytes: ports, and for TCP the
     *                      sequence number, so the handler can check the error matches a live connection, RFC 5927)
     */
    default void onIcmpError(IcmpErrorKind kind, IpPacketInfo quoted, int mtuBytes, MemorySegment quotedPayload) {
    }
}
