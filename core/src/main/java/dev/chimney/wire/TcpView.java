package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * TCP header (RFC 9293 §3.1). Wrap it over the whole segment (header and payload, i.e. the IP upper-layer length),
 * {@link #check()} once, then read fields; {@link #readOptions(TcpOptions)} fills a reusable holder, and
 * {@link #checksumOk(int)} verifies with a pseudo-header sum from {@link IpView#pseudoHeaderSum(int, int)}. Nothing
 * here allocates.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |     |A|C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrv|E|W|C|R|C|S|S|Y|I|            Window             |
 * |       |     | |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (data offset > 5)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class TcpView {
    public static final int SRC_PORT_OFFSET = 0;
    public static final int DST_PORT_OFFSET = 2;
    public static final int SEQ_OFFSET = 4;
    public static final int ACK_OFFSET = 8;
    /** Data offset (4 bits), reserved (3 bits) and the 9 flag bits. */
    public static final int DATA_OFFSET_FLAGS_OFFSET = 12;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_OFFSET = 18;
    public static final int OPTIONS_OFFSET = 20;
    /** Header length without options. */
    public static final int HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;

    private MemorySegment seg;
    private long offset;
    private long length;

    public TcpView wrap(final MemorySegment segment) {
        return wrap(segment, 0, segment.byteSize());
    }

    /** Wraps a whole TCP segment: {@code length} covers header and payload. */
    public TcpView wrap(final MemorySegment segment, final long offset, final long length) {
        this.seg = segment;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /**
     * Validates the data offset against the buffer (RFC 9293 §3.1: at least 5 words) and the flag combination
     * ({@link TcpFlags#validate(int)}). Options are checked by {@link #readOptions(TcpOptions)}.
     */
    public TcpView check() throws WireFormatException {
        Bytes.need(length, HEADER_LENGTH, "TCP header");
        final int hl = headerLen();
        if (hl < HEADER_LENGTH) {
            throw new WireFormatException(WireFormatException.Reason.BAD_LENGTH,
                    "TCP: data offset " + (hl / 4) + " < 5");
        }
        Bytes.need(length, hl, "TCP header with options");
        TcpFlags.validate(flags());
        return this;
    }

    /** Parses the options into {@code into} (cleared first); throws MALFORMED for a bad option length. */
    public TcpOptions readOptions(final TcpOptions into) throws WireFormatException {
        into.parse(seg, offset + OPTIONS_OFFSET, offset + headerLen());
        return into;
    }

    /** Whether the checksum verifies over the whole segment with the given pseudo-header sum. */
    public boolean checksumOk(final int pseudoHeaderSum) {
        return Checksum.verify(seg, offset, length, pseudoHeaderSum);
    }

    /** Computes the checksum over header and payload (as wrapped) and writes it. */
    public TcpView fillChecksum(final int pseudoHeaderSum) {
        Bytes.u16(seg, offset + CHECKSUM_OFFSET, Checksum.fieldValueIgnoringStale(seg, offset, length,
                offset + CHECKSUM_OFFSET, pseudoHeaderSum));
        return this;
    }

    public MemorySegment segment() {
        return seg;
    }

    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }

    public int srcPort() {
        return Bytes.u16(seg, offset + SRC_PORT_OFFSET);
    }

    public int dstPort() {
        return Bytes.u16(seg, offset + DST_PORT_OFFSET);
    }

    public int seqNumber() {
        return Bytes.u32(seg, offset + SEQ_OFFSET);
    }

    public int ackNumber() {
        return Bytes.u32(seg, offset + ACK_OFFSET);
    }

    /** Header length in bytes (data offset × 4). */
    public int headerLen() {
        return (Bytes.u8(seg, offset + DATA_OFFSET_FLAGS_OFFSET) >>> 4) * 4;
    }

    /** The 9 flag bits ({@link TcpFlags}); the 3 reserved bits are ignored (RFC 9293 §3.1). */
    public int flags() {
        return Bytes.u16(seg, offset + DATA_OFFSET_FLAGS_OFFSET) & TcpFlags.ALL;
    }

    public boolean fin() {
        return (flags() & TcpFlags.FIN) != 0;
    }

    public boolean syn() {
        return (flags() & TcpFlags.SYN) != 0;
    }

    public boolean rst() {
        return (flags() & TcpFlags.RST) != 0;
    }

    public boolean psh() {
        return (flags() & TcpFlags.PSH) != 0;
    }

    public boolean ack() {
        return (flags() & TcpFlags.ACK) != 0;
    }

    public boolean urg() {
        return (flags() & TcpFlags.URG) != 0;
    }

    public boolean ece() {
        return (flags() & TcpFlags.ECE) != 0;
    }

    public boolean cwr() {
        return (flags() & TcpFlags.CWR) != 0;
    }

    /** The raw (unscaled) window field. */
    public int window() {
        return Bytes.u16(seg, offset + WINDOW_OFFSET);
    }

    public int checksum() {
        return Bytes.u16(seg, offset + CHECKSUM_OFFSET);
    }

    public int urgentPointer() {
        return Bytes.u16(seg, offset + URGENT_OFFSET);
    }

    public long payloadOffset() {
        return offset + headerLen();
    }

    public int payloadLength() {
        return (int) length - headerLen();
    }

    /** Sequence space the segment occupies: payload plus one each for SYN and FIN (RFC 9293 §3.4). */
    public int segmentLength() {
        final int f = flags();
        return payloadLength() + (f & TcpFlags.SYN) / TcpFlags.SYN + (f & TcpFlags.FIN);
    }

    /** The payload as a slice (allocates; the hot path uses payloadOffset/payloadLength). */
    public MemorySegment payload() {
        return seg.asSlice(payloadOffset(), payloadLength());
    }

    public TcpView srcPort(final int port) {
        Bytes.u16(seg, offset + SRC_PORT_OFFSET, port);
        return this;
    }

    public TcpView dstPort(final int port) {
        Bytes.u16(seg, offset + DST_PORT_OFFSET, port);
        return this;
    }

    public TcpView seqNumber(final int seq) {
        Bytes.u32(seg, offset + SEQ_OFFSET, seq);
        return this;
    }

    public TcpView ackNumber(final int ack) {
        Bytes.u32(seg, offset + ACK_OFFSET, ack);
        return this;
    }

    /** Writes the data offset (header length in bytes, a multiple of 4, 20..60) and the flags in one word. */
    public TcpView headerLenAndFlags(final int headerLen, final int flags) {
        Bytes.u16(seg, offset + DATA_OFFSET_FLAGS_OFFSET, (headerLen / 4) << 12 | (flags & TcpFlags.ALL));
        return this;
    }

    public TcpView window(final int window) {
        Bytes.u16(seg, offset + WINDOW_OFFSET, window);
        return this;
    }

    public TcpView checksum(final int checksum) {
        Bytes.u16(seg, offset + CHECKSUM_OFFSET, checksum);
        return this;
    }

    public TcpView urgentPointer(final int urgent) {
        Bytes.u16(seg, offset + URGENT_OFFSET, urgent);
        return this;
    }

    /**
     * Writes the options and sets the data offset to cover them, keeping the flags; returns the header length.
     * The encoding is already a multiple of 4 bytes, so no padding is needed.
     */
    public int writeOptions(final TcpOptions options, final int flags) {
        final int optLen = options.write(seg, offset + OPTIONS_OFFSET);
        final int hl = HEADER_LENGTH + optLen;
        headerLenAndFlags(hl, flags);
        return hl;
    }
}
