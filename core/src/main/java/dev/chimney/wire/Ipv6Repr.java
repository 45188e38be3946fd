package dev.chimney.wire;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * An IPv6 header as a value (RFC 8200 §3). {@code nextHeader} is the upper-layer protocol and {@code payloadLength}
 * the upper-layer length: a parsed packet's extension headers are walked and dropped, and emit writes none.
 */
public record Ipv6Repr(Ipv6Address source, Ipv6Address destination, int nextHeader, int payloadLength, int hopLimit,
                       int trafficClass, int flowLabel) {

    public Ipv6Repr {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        if (nextHeader < 0 || nextHeader > 255 || hopLimit < 0 || hopLimit > 255 || trafficClass < 0
                || trafficClass > 255 || flowLabel < 0 || flowLabel > 0xF_FFFF) {
            throw new IllegalArgumentException("IPv6: next header, hop limit, traffic class are 0..255; "
                    + "flow label 0..0xFFFFF");
        }
        if (payloadLength < 0 || payloadLength > 0xFFFF) {
            throw new IllegalArgumentException("IPv6: payload length must be 0..65535, got " + payloadLength);
        }
    }

    public static Ipv6Repr of(final Ipv6Address source, final Ipv6Address destination, final int nextHeader,
                              final int payloadLength, final int hopLimit) {
        return new Ipv6Repr(source, destination, nextHeader, payloadLength, hopLimit, 0, 0);
    }

    /**
     * Parses the header and walks extension headers. A fragment (needing reassembly) is rejected as UNSUPPORTED:
     * reassembly works on the view ({@link Ipv6View#isFragment()}), not on reprs.
     */
    public static Ipv6Repr parse(final Ipv6View v) throws WireFormatException {
        v.check();
        if (v.isFragment()) {
            throw new WireFormatException(WireFormatException.Reason.UNSUPPORTED,
                    "IPv6: fragment; reassemble from the view first");
        }
        return new Ipv6Repr(v.sourceAddress(), v.destinationAddress(), v.upperProtocol(), v.upperLength(),
                v.hopLimit(), v.trafficClass(), v.flowLabel());
    }

    public int bufferLen() {
        return Ipv6View.HEADER_LENGTH;
    }

    public void emit(final MemorySegment seg, final long offset) {
        new Ipv6View().wrap(seg, offset, Ipv6View.HEADER_LENGTH)
                .versionTrafficClassFlowLabel(trafficClass, flowLabel).payloadLength(payloadLength)
                .nextHeader(nextHeader).hopLimit(hopLimit).source(source.hi(), source.lo())
                .destination(destination.hi(), destination.lo());
    }
}
