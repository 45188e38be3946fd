package dev.chimney.wire;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * An IPv4 header as a value (RFC 791). Emitted without options; options of a parsed header are skipped (the repr
 * keeps only {@code payloadLength}). {@code tos} holds DSCP and ECN.
 */
public record Ipv4Repr(Ipv4Address source, Ipv4Address destination, int protocol, int payloadLength, int ttl,
                       int tos, int identification, boolean dontFragment, boolean moreFragments,
                       int fragmentOffsetBytes) {

    public Ipv4Repr {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        if (protocol < 0 || protocol > 255 || ttl < 0 || ttl > 255 || tos < 0 || tos > 255
                || identification < 0 || identification > 0xFFFF) {
            throw new IllegalArgumentException("IPv4: protocol, ttl and tos are 0..255, identification 0..65535");
        }
        if (payloadLength < 0 || payloadLength > 0xFFFF - Ipv4View.HEADER_LENGTH) {
            throw new IllegalArgumentException("IPv4: payload length must be 0..65515, got " + payloadLength);
        }
        if (fragmentOffsetBytes < 0 || fragmentOffsetBytes % 8 != 0 || fragmentOffsetBytes > 0x1FFF * 8) {
            throw new IllegalArgumentException("IPv4: fragment offset must be a multiple of 8 in 0..65528, got "
                    + fragmentOffsetBytes);
        }
    }

    /** A plain unfragmented datagram with DF set (RFC 1191 path MTU discovery), id 0, TOS 0. */
    public static Ipv4Repr of(final Ipv4Address source, final Ipv4Address destination, final int protocol,
                              final int payloadLength, final int ttl) {
        return new Ipv4Repr(source, destination, protocol, payloadLength, ttl, 0, 0, true, false, 0);
    }

    /** Parses and verifies the header checksum. */
    public static Ipv4Repr parse(final Ipv4View v) throws WireFormatException {
        return parse(v, true);
    }

    /**
     * Parses the header; {@code verifyChecksum = false} is for receive paths whose device already verified it
     * (checksum offload).
     */
    public static Ipv4Repr parse(final Ipv4View v, final boolean verifyChecksum) throws WireFormatException {
        v.check();
        if (verifyChecksum && !v.checksumOk()) {
            throw new WireFormatException(WireFormatException.Reason.BAD_CHECKSUM, "IPv4: bad header checksum");
        }
        return new Ipv4Repr(v.sourceAddress(), v.destinationAddress(), v.protocol(), v.upperLength(), v.ttl(),
                v.tos(), v.identification(), v.dontFragment(), v.moreFragments(), v.fragmentOffsetBytes());
    }

    public int dscp() {
        return tos >>> 2;
    }

    public int ecn() {
        return tos & 3;
    }

    /** The header length (20: options are never emitted). */
    public int bufferLen() {
        return Ipv4View.HEADER_LENGTH;
    }

    /** Total length field value: header plus payload. */
    public int totalLength() {
        return Ipv4View.HEADER_LENGTH + payloadLength;
    }

    /** Writes the 20-byte header, including its checksum, at {@code offset}. */
    public void emit(final MemorySegment seg, final long offset) {
        new Ipv4View().wrap(seg, offset, Ipv4View.HEADER_LENGTH)
                .versionAndHeaderLen(Ipv4View.HEADER_LENGTH).tos(tos).totalLength(totalLength())
                .identification(identification).fragment(dontFragment, moreFragments, fragmentOffsetBytes)
                .ttl(ttl).protocol(protocol).sourceBits(source.bits()).destinationBits(destination.bits())
                .fillChecksum();
    }
}
