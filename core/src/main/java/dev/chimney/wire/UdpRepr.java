package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * A UDP header as a value (RFC 768). The payload stays in the buffer: {@link #emit} expects the
 * {@code payloadLength} payload bytes already in place right after the header and checksums them.
 */
public record UdpRepr(int srcPort, int dstPort, int payloadLength) {

    public UdpRepr {
        if (srcPort < 0 || srcPort > 0xFFFF || dstPort < 0 || dstPort > 0xFFFF) {
            throw new IllegalArgumentException("UDP ports are 0..65535, got " + srcPort + "/" + dstPort);
        }
        if (payloadLength < 0 || payloadLength > 0xFFFF - UdpView.HEADER_LENGTH) {
            throw new IllegalArgumentException("UDP payload must be 0..65527 bytes, got " + payloadLength);
        }
    }

    /** Parses and verifies the checksum with the pseudo-header of {@code src} → {@code dst}. */
    public static UdpRepr parse(final UdpView v, final IpAddress src, final IpAddress dst) throws WireFormatException {
        v.check();
        if (!v.checksumOk(Checksum.pseudoHeader(src, dst, IpProtocol.UDP, v.lengthField()), !src.isIpv4())) {
            throw new WireFormatException(WireFormatException.Reason.BAD_CHECKSUM, "UDP: bad checksum");
        }
        return new UdpRepr(v.srcPort(), v.dstPort(), v.payloadLength());
    }

    /**
     * Parses the datagram carried by a checked {@code ip} view; {@code verifyChecksum = false} skips verification
     * for devices that already verified it (checksum offload).
     */
    public static UdpRepr parse(final UdpView v, final IpView ip, final boolean verifyChecksum)
            throws WireFormatException {
        v.check();
        if (verifyChecksum && !v.checksumOk(ip.pseudoHeaderSum(IpProtocol.UDP, v.lengthField()), ip.version() == 6)) {
            throw new WireFormatException(WireFormatException.Reason.BAD_CHECKSUM, "UDP: bad checksum");
        }
        return new UdpRepr(v.srcPort(), v.dstPort(), v.payloadLength());
    }

    public int headerLen() {
        return UdpView.HEADER_LENGTH;
    }

    /** Header plus payload. */
    public int bufferLen() {
        return UdpView.HEADER_LENGTH + payloadLength;
    }

    /** Writes the header and checksums it with the payload already in place after it. */
    public void emit(final MemorySegment seg, final long offset, final IpAddress src, final IpAddress dst) {
        emit(seg, offset, Checksum.pseudoHeader(src, dst, IpProtocol.UDP, bufferLen()));
    }

    /** As {@link #emit(MemorySegment, long, IpAddress, IpAddress)} with a precomputed pseudo-header sum. */
    public void emit(final MemorySegment seg, final long offset, final int pseudoHeaderSum) {
        new UdpView().wrap(seg, offset, bufferLen()).srcPort(srcPort).dstPort(dstPort).lengthField(bufferLen())
                .fillChecksum(pseudoHeaderSum);
    }
}
