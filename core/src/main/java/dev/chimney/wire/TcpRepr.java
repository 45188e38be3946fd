package dev.chimney.wire;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A TCP segment header as a validated value (RFC 9293 §3.1), options included. The payload stays in the buffer:
 * {@link #emit} expects {@code payloadLength} payload bytes already in place after {@link #headerLen()} header bytes.
 *
 * @param flags           {@link TcpFlags} bitset; SYN+RST is rejected
 * @param window          the raw 16-bit window field (unscaled)
 * @param maxSegmentSize  MSS option value or {@link TcpOptions#NONE}
 * @param windowScale     window shift 0..14 or {@link TcpOptions#NONE}
 * @param timestamps      whether the timestamps option is present (then {@code tsVal}, {@code tsEcr} apply)
 * @param sackBlocks      0..4 SACK blocks, limited further by the 40-byte option space
 */
public record TcpRepr(int srcPort, int dstPort, int seqNumber, int ackNumber, int flags, int window,
                      int urgentPointer, int maxSegmentSize, int windowScale, boolean sackPermitted,
                      boolean timestamps, int tsVal, int tsEcr, List<SackBlock> sackBlocks, int payloadLength) {

    public TcpRepr {
        sackBlocks = List.copyOf(sackBlocks);
        // Validation lives in a static method taking scalars: it keeps this constructor small enough for the JIT to
        // inline, so a record built and emitted in one scope is scalar-replaced (no allocation on the hot path).
        validate(srcPort, dstPort, flags, window, urgentPointer, maxSegmentSize, windowScale, sackPermitted,
                timestamps, tsVal, tsEcr, sackBlocks.size(), payloadLength);
    }

    private static void validate(final int srcPort, final int dstPort, final int flags, final int window,
                                 final int urgentPointer, final int maxSegmentSize, final int windowScale,
                                 final boolean sackPermitted, final boolean timestamps, final int tsVal,
                                 final int tsEcr, final int sackCount, final int payloadLength) {
        if (srcPort < 0 || srcPort > 0xFFFF || dstPort < 0 || dstPort > 0xFFFF) {
            throw new IllegalArgumentException("TCP ports are 0..65535, got " + srcPort + "/" + dstPort);
        }
        final String why = TcpFlags.invalidReason(flags);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
        if (window < 0 || window > 0xFFFF || urgentPointer < 0 || urgentPointer > 0xFFFF) {
            throw new IllegalArgumentException("TCP window and urgent pointer are 0..65535 (scale the window first)");
        }
        if (maxSegmentSize != TcpOptions.NONE && (maxSegmentSize < 0 || maxSegmentSize > 0xFFFF)) {
            throw new IllegalArgumentException("MSS must be 0..65535 or TcpOptions.NONE, got " + maxSegmentSize);
        }
        if (windowScale != TcpOptions.NONE && (windowScale < 0 || windowScale > TcpOptions.MAX_WINDOW_SCALE)) {
            throw new IllegalArgumentException("window scale must be 0..14 or TcpOptions.NONE (RFC 7323 §2.3)");
        }
        if (sackCount > TcpOptions.MAX_SACK_BLOCKS || TcpOptions.encodedLength(maxSegmentSize != TcpOptions.NONE,
                windowScale != TcpOptions.NONE, sackPermitted, timestamps, sackCount)
                > TcpOptions.MAX_OPTIONS_LENGTH) {
            throw new IllegalArgumentException("TCP options exceed 40 bytes; send fewer SACK blocks (RFC 2018 §3)");
        }
        if (payloadLength < 0) {
            throw new IllegalArgumentException("payload length must be >= 0, got " + payloadLength);
        }
        if (!timestamps && (tsVal != 0 || tsEcr != 0)) {
            throw new IllegalArgumentException("tsVal/tsEcr must be 0 when the timestamps option is absent");
        }
    }

    /** A segment without options. */
    public static TcpRepr of(final int srcPort, final int dstPort, final int seqNumber, final int ackNumber,
                             final int flags, final int window, final int payloadLength) {
        return new TcpRepr(srcPort, dstPort, seqNumber, ackNumber, flags, window, 0, TcpOptions.NONE,
                TcpOptions.NONE, false, false, 0, 0, List.of(), payloadLength);
    }

    /** Parses and verifies the checksum with the pseudo-header of {@code src} → {@code dst}. */
    public static TcpRepr parse(final TcpView v, final IpAddress src, final IpAddress dst)
            throws WireFormatException {
        v.check();
        return finishParse(v, Checksum.pseudoHeader(src, dst, IpProtocol.TCP, (int) v.length()), true);
    }

    /** Parses the segment carried by a checked IP view; {@code verifyChecksum = false} for checksum offload. */
    public static TcpRepr parse(final TcpView v, final IpView ip, final boolean verifyChecksum)
            throws WireFormatException {
        v.check();
        return finishParse(v, verifyChecksum ? ip.pseudoHeaderSum(IpProtocol.TCP, (int) v.length()) : 0,
                verifyChecksum);
    }

    private static TcpRepr finishParse(final TcpView v, final int pseudo, final boolean verify)
            throws WireFormatException {
        if (verify && !v.checksumOk(pseudo)) {
            throw new WireFormatException(WireFormatException.Reason.BAD_CHECKSUM, "TCP: bad checksum");
        }
        final TcpOptions o = v.readOptions(new TcpOptions());
        final List<SackBlock> sacks;
        if (o.sackCount() == 0) {
            sacks = List.of();
        } else {
            final SackBlock[] b = new SackBlock[o.sackCount()];
            for (int i = 0; i < b.length; i++) {
                b[i] = new SackBlock(o.sackLeft(i), o.sackRight(i));
            }
            sacks = List.of(b);
        }
        if (TcpOptions.encodedLength(o.maxSegmentSize() != TcpOptions.NONE, o.windowScale() != TcpOptions.NONE,
                o.sackPermitted(), o.hasTimestamps(), sacks.size()) > TcpOptions.MAX_OPTIONS_LENGTH) {
            // A peer may pack options tighter than our aligned layout; such a set cannot be a repr we re-emit.
            throw new WireFormatException(WireFormatException.Reason.UNSUPPORTED,
                    "TCP: option set too large to re-encode; use TcpView.readOptions");
        }
        return new TcpRepr(v.srcPort(), v.dstPort(), v.seqNumber(), v.ackNumber(), v.flags(), v.window(),
                v.urgentPointer(), o.maxSegmentSize(), o.windowScale(), o.sackPermitted(), o.hasTimestamps(),
                o.hasTimestamps() ? o.tsVal() : 0, o.hasTimestamps() ? o.tsEcr() : 0, sacks, v.payloadLength());
    }

    // Withers: scripted TCB tests start from a SEND/RECV template and override one field (smoltcp style).

    public TcpRepr withSeqNumber(final int seq) {
        return new TcpRepr(srcPort, dstPort, seq, ackNumber, flags, window, urgentPointer, maxSegmentSize,
                windowScale, sackPermitted, timestamps, tsVal, tsEcr, sackBlocks, payloadLength);
    }

    public TcpRepr withAckNumber(final int ack) {
        return new TcpRepr(srcPort, dstPort, seqNumber, ack, flags, window, urgentPointer, maxSegmentSize,
                windowScale, sackPermitted, timestamps, tsVal, tsEcr, sackBlocks, payloadLength);
    }

    public TcpRepr withFlags(final int newFlags) {
        return new TcpRepr(srcPort, dstPort, seqNumber, ackNumber, newFlags, window, urgentPointer, maxSegmentSize,
                windowScale, sackPermitted, timestamps, tsVal, tsEcr, sackBlocks, payloadLength);
    }

    public TcpRepr withWindow(final int newWindow) {
        return new TcpRepr(srcPort, dstPort, seqNumber, ackNumber, flags, newWindow, urgentPointer, maxSegmentSize,
                windowScale, sackPermitted, timestamps, tsVal, tsEcr, sackBlocks, payloadLength);
    }

    public TcpRepr withPayloadLength(final int length) {
        return new TcpRepr(srcPort, dstPort, seqNumber, ackNumber, flags, window, urgentPointer, maxSegmentSize,
                windowScale, sackPermitted, timestamps, tsVal, tsEcr, sackBlocks, length);
    }

    /** SYN options: MSS, window scale and SACK-permitted (use {@link TcpOptions#NONE} to omit MSS or scale). */
    public TcpRepr withSynOptions(final int mss, final int scale, final boolean sackOk) {
        return new TcpRepr(srcPort, dstPort, seqNumber, ackNumber, flags, window, urgentPointer, mss, scale, sackOk,
                timestamps, tsVal, tsEcr, sackBlocks, payloadLength);
    }

    public TcpRepr withTimestamps(final int newTsVal, final int newTsEcr) {
        return new TcpRepr(srcPort, dstPort, seqNumber, ackNumber, flags, window, urgentPointer, maxSegmentSize,
                windowScale, sackPermitted, true, newTsVal, newTsEcr, sackBlocks, payloadLength);
    }

    public TcpRepr withoutTimestamps() {
        return new TcpRepr(srcPort, dstPort, seqNumber, ackNumber, flags, window, urgentPointer, maxSegmentSize,
                windowScale, sackPermitted, false, 0, 0, sackBlocks, payloadLength);
    }

    public TcpRepr withSackBlocks(final List<SackBlock> blocks) {
        return new TcpRepr(srcPort, dstPort, seqNumber, ackNumber, flags, window, urgentPointer, maxSegmentSize,
                windowScale, sackPermitted, timestamps, tsVal, tsEcr, blocks, payloadLength);
    }

    /** Readable one-liner for test failures: ports, flags by name, unsigned seq/ack, options, payload length. */
    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder("TCP ").append(srcPort).append("->").append(dstPort).append(' ')
                .append(TcpFlags.toString(flags)).append(" seq=").append(Integer.toUnsignedString(seqNumber))
                .append(" ack=").append(Integer.toUnsignedString(ackNumber)).append(" win=").append(window);
        if (urgentPointer != 0) {
            sb.append(" urg=").append(urgentPointer);
        }
        if (maxSegmentSize != TcpOptions.NONE) {
            sb.append(" mss=").append(maxSegmentSize);
        }
        if (windowScale != TcpOptions.NONE) {
            sb.append(" ws=").append(windowScale);
        }
        if (sackPermitted) {
            sb.append(" sackOk");
        }
        if (timestamps) {
            sb.append(" ts=").append(Integer.toUnsignedString(tsVal)).append('/')
                    .append(Integer.toUnsignedString(tsEcr));
        }
        for (final SackBlock b : sackBlocks) {
            sb.append(" sack[").append(Integer.toUnsignedString(b.left())).append(',')
                    .append(Integer.toUnsignedString(b.right())).append(')');
        }
        return sb.append(" len=").append(payloadLength).toString();
    }

    public boolean has(final int flag) {
        return TcpFlags.has(flags, flag);
    }

    /** Header length including options (a multiple of 4). */
    public int headerLen() {
        return TcpView.HEADER_LENGTH + TcpOptions.encodedLength(maxSegmentSize != TcpOptions.NONE,
                windowScale != TcpOptions.NONE, sackPermitted, timestamps, sackBlocks.size());
    }

    /** Header plus payload: the TCP length for the pseudo-header. */
    public int bufferLen() {
        return headerLen() + payloadLength;
    }

    /** Sequence space consumed: payload plus SYN and FIN (RFC 9293 §3.4). */
    public int segmentLength() {
        return payloadLength + (has(TcpFlags.SYN) ? 1 : 0) + (has(TcpFlags.FIN) ? 1 : 0);
    }

    /** Writes header and options, then the checksum over them and the payload already in place. */
    public void emit(final MemorySegment seg, final long offset, final IpAddress src, final IpAddress dst) {
        emit(seg, offset, Checksum.pseudoHeader(src, dst, IpProtocol.TCP, bufferLen()));
    }

    /**
     * As {@link #emit(MemorySegment, long, IpAddress, IpAddress)} with a precomputed pseudo-header sum. Kept tiny and
     * delegating to static writers that take scalars, so it inlines and a record built in the caller's scope is
     * scalar-replaced (WireBenchmark.emitRepr shows 0 B/frame).
     */
    public void emit(final MemorySegment seg, final long offset, final int pseudoHeaderSum) {
        final int hl = headerLen();
        long p = writeHeader(seg, offset, srcPort, dstPort, seqNumber, ackNumber, hl, flags, window, urgentPointer);
        p = TcpOptions.writeFixed(seg, p, maxSegmentSize, windowScale, sackPermitted, timestamps, tsVal, tsEcr);
        if (!sackBlocks.isEmpty()) {
            writeSackBlocks(seg, p, sackBlocks);
        }
        writeChecksum(seg, offset, hl + (long) payloadLength, pseudoHeaderSum);
    }

    private static long writeHeader(final MemorySegment seg, final long offset, final int srcPort, final int dstPort,
                                    final int seq, final int ack, final int headerLen, final int flags,
                                    final int window, final int urgent) {
        Bytes.u16(seg, offset + TcpView.SRC_PORT_OFFSET, srcPort);
        Bytes.u16(seg, offset + TcpView.DST_PORT_OFFSET, dstPort);
        Bytes.u32(seg, offset + TcpView.SEQ_OFFSET, seq);
        Bytes.u32(seg, offset + TcpView.ACK_OFFSET, ack);
        Bytes.u16(seg, offset + TcpView.DATA_OFFSET_FLAGS_OFFSET, (headerLen / 4) << 12 | flags);
        Bytes.u16(seg, offset + TcpView.WINDOW_OFFSET, window);
        Bytes.u16(seg, offset + TcpView.CHECKSUM_OFFSET, 0);
        Bytes.u16(seg, offset + TcpView.URGENT_OFFSET, urgent);
        return offset + TcpView.OPTIONS_OFFSET;
    }

    private static void writeSackBlocks(final MemorySegment seg, final long start, final List<SackBlock> blocks) {
        long p = TcpOptions.writeSackHeader(seg, start, blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            final SackBlock b = blocks.get(i);
            Bytes.u32(seg, p, b.left());
            Bytes.u32(seg, p + 4, b.right());
            p += 8;
        }
    }

    private static void writeChecksum(final MemorySegment seg, final long offset, final long length,
                                      final int pseudoHeaderSum) {
        final int sum = Checksum.add(Checksum.sum(seg, offset, length), pseudoHeaderSum);
        Bytes.u16(seg, offset + TcpView.CHECKSUM_OFFSET, Checksum.finish(sum));
    }
}
