package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * A reusable, mutable holder for the TCP options the stack understands, filled by
 * {@link TcpView#readOptions(TcpOptions)} and written by {@link #write(MemorySegment, long)} — both without
 * allocating, so one instance per event loop serves every segment.
 *
 * <p>Recognised (RFC 9293 §3.2, RFC 7323, RFC 2018): EOL, NOP, MSS, window scale, SACK-permitted, SACK, timestamps.
 * Unknown options are skipped by their length.
 */
public final class TcpOptions {
    public static final int KIND_EOL = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WINDOW_SCALE = 3;
    public static final int KIND_SACK_PERMITTED = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMPS = 8;
    public static final int MSS_LENGTH = 4;
    public static final int WINDOW_SCALE_LENGTH = 3;
    public static final int SACK_PERMITTED_LENGTH = 2;
    public static final int TIMESTAMPS_LENGTH = 10;
    /** The largest window shift (RFC 7323 §2.3); larger received values are clamped to it. */
    public static final int MAX_WINDOW_SCALE = 14;
    /** At most 4 SACK blocks fit in 40 option bytes (RFC 2018 §3). */
    public static final int MAX_SACK_BLOCKS = 4;
    /** Options occupy at most 40 bytes (data offset 15 words minus the 20-byte header). */
    public static final int MAX_OPTIONS_LENGTH = 40;
    /** Marker for an absent MSS or window scale. */
    public static final int NONE = -1;

    private int maxSegmentSize = NONE;
    private int windowScale = NONE;
    private boolean sackPermitted;
    private boolean timestamps;
    private int tsVal;
    private int tsEcr;
    private int sackCount;
    private final int[] sackEdges = new int[2 * MAX_SACK_BLOCKS];

    /** Resets to "no options". */
    public TcpOptions clear() {
        maxSegmentSize = NONE;
        windowScale = NONE;
        sackPermitted = false;
        timestamps = false;
        tsVal = 0;
        tsEcr = 0;
        sackCount = 0;
        return this;
    }

    /** MSS in bytes, or {@link #NONE}. */
    public int maxSegmentSize() {
        return maxSegmentSize;
    }

    public TcpOptions maxSegmentSize(final int mss) {
        if (mss != NONE && (mss < 0 || mss > 0xFFFF)) {
            throw new IllegalArgumentException("MSS must be 0..65535 or NONE, got " + mss);
        }
        this.maxSegmentSize = mss;
        return this;
    }

    /** Window shift 0..14, or {@link #NONE}. */
    public int windowScale() {
        return windowScale;
    }

    public TcpOptions windowScale(final int shift) {
        if (shift != NONE && (shift < 0 || shift > MAX_WINDOW_SCALE)) {
            throw new IllegalArgumentException("window scale must be 0..14 or NONE (RFC 7323 §2.3), got " + shift);
        }
        this.windowScale = shift;
        return this;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public TcpOptions sackPermitted(final boolean permitted) {
        this.sackPermitted = permitted;
        return this;
    }

    public boolean hasTimestamps() {
        return timestamps;
    }

    public int tsVal() {
        return tsVal;
    }

    public int tsEcr() {
        return tsEcr;
    }

    /** Sets the timestamps option (RFC 7323 §3). */
    public TcpOptions timestamps(final int tsVal, final int tsEcr) {
        this.timestamps = true;
        this.tsVal = tsVal;
        this.tsEcr = tsEcr;
        return this;
    }

    public TcpOptions noTimestamps() {
        this.timestamps = false;
        return this;
    }

    public int sackCount() {
        return sackCount;
    }

    public int sackLeft(final int i) {
        return sackEdges[2 * i];
    }

    public int sackRight(final int i) {
        return sackEdges[2 * i + 1];
    }

    /** Appends a SACK block; throws when 4 are already held. */
    public TcpOptions addSack(final int left, final int right) {
        if (sackCount == MAX_SACK_BLOCKS) {
            throw new IllegalStateException("at most 4 SACK blocks (RFC 2018 §3); clear the options first");
        }
        sackEdges[2 * sackCount] = left;
        sackEdges[2 * sackCount + 1] = right;
        sackCount++;
        return this;
    }

    public TcpOptions clearSack() {
        sackCount = 0;
        return this;
    }

    /** How many SACK blocks {@link #write} emits: all that fit in 40 bytes after the other options. */
    public int sackBlocksWritten() {
        final int room = MAX_OPTIONS_LENGTH - fixedLength() - 4;
        return room < 8 ? 0 : Math.min(sackCount, room / 8);
    }

    /** The encoded length in bytes, a multiple of 4 and at most 40. */
    public int length() {
        final int blocks = sackBlocksWritten();
        return fixedLength() + (blocks == 0 ? 0 : 4 + 8 * blocks);
    }

    private int fixedLength() {
        return encodedLength(maxSegmentSize != NONE, windowScale != NONE, sackPermitted, timestamps, 0);
    }

    /**
     * Encoded length of an option set in the layout {@link #write} uses (every option 4-byte aligned): MSS 4;
     * SACK-permitted + timestamps 12, timestamps alone 12, SACK-permitted alone 4; window scale 4; SACK 4 + 8n.
     */
    static int encodedLength(final boolean mss, final boolean ws, final boolean sackOk, final boolean ts,
                             final int sackBlocks) {
        int len = mss ? 4 : 0;
        len += ts ? 12 : sackOk ? 4 : 0;
        len += ws ? 4 : 0;
        len += sackBlocks == 0 ? 0 : 4 + 8 * sackBlocks;
        return len;
    }

    /** Writes the options at {@code offset} and returns the bytes written ({@link #length()}). */
    public int write(final MemorySegment seg, final long offset) {
        long p = writeFixed(seg, offset, maxSegmentSize, windowScale, sackPermitted, timestamps, tsVal, tsEcr);
        final int blocks = sackBlocksWritten();
        if (blocks > 0) {
            p = writeSackHeader(seg, p, blocks);
            for (int i = 0; i < blocks; i++) {
                Bytes.u32(seg, p, sackEdges[2 * i]);
                Bytes.u32(seg, p + 4, sackEdges[2 * i + 1]);
                p += 8;
            }
        }
        return (int) (p - offset);
    }

    static long writeFixed(final MemorySegment seg, final long offset, final int mss, final int ws,
                           final boolean sackOk, final boolean ts, final int tsVal, final int tsEcr) {
        long p = offset;
        if (mss != NONE) {
            Bytes.u8(seg, p, KIND_MSS);
            Bytes.u8(seg, p + 1, MSS_LENGTH);
            Bytes.u16(seg, p + 2, mss);
            p += 4;
        }
        if (ts) {
            if (sackOk) {
                Bytes.u8(seg, p, KIND_SACK_PERMITTED);
                Bytes.u8(seg, p + 1, SACK_PERMITTED_LENGTH);
            } else {
                Bytes.u8(seg, p, KIND_NOP);
                Bytes.u8(seg, p + 1, KIND_NOP);
            }
            Bytes.u8(seg, p + 2, KIND_TIMESTAMPS);
            Bytes.u8(seg, p + 3, TIMESTAMPS_LENGTH);
            Bytes.u32(seg, p + 4, tsVal);
            Bytes.u32(seg, p + 8, tsEcr);
            p += 12;
        } else if (sackOk) {
            Bytes.u8(seg, p, KIND_NOP);
            Bytes.u8(seg, p + 1, KIND_NOP);
            Bytes.u8(seg, p + 2, KIND_SACK_PERMITTED);
            Bytes.u8(seg, p + 3, SACK_PERMITTED_LENGTH);
            p += 4;
        }
        if (ws != NONE) {
            Bytes.u8(seg, p, KIND_NOP);
            Bytes.u8(seg, p + 1, KIND_WINDOW_SCALE);
            Bytes.u8(seg, p + 2, WINDOW_SCALE_LENGTH);
            Bytes.u8(seg, p + 3, ws);
            p += 4;
        }
        return p;
    }

    static long writeSackHeader(final MemorySegment seg, final long p, final int blocks) {
        Bytes.u8(seg, p, KIND_NOP);
        Bytes.u8(seg, p + 1, KIND_NOP);
        Bytes.u8(seg, p + 2, KIND_SACK);
        Bytes.u8(seg, p + 3, 2 + 8 * blocks);
        return p + 4;
    }

    /**
     * Parses an option area (RFC 9293 §3.2): EOL ends it, NOP is skipped, every other option has a length byte of at
     * least 2 that must fit; known options must have their exact length. Unknown options are skipped.
     */
    void parse(final MemorySegment seg, final long start, final long end) throws WireFormatException {
        clear();
        long p = start;
        while (p < end) {
            final int kind = Bytes.u8(seg, p);
            if (kind == KIND_EOL) {
                return;
            }
            if (kind == KIND_NOP) {
                p++;
                continue;
            }
            if (p + 1 >= end) {
                throw malformed("option kind " + kind + " has no length byte");
            }
            final int len = Bytes.u8(seg, p + 1);
            if (len < 2 || p + len > end) {
                throw malformed("option kind " + kind + " has bad length " + len);
            }
            switch (kind) {
                case KIND_MSS -> {
                    exact(kind, len, MSS_LENGTH);
                    maxSegmentSize = Bytes.u16(seg, p + 2);
                }
                case KIND_WINDOW_SCALE -> {
                    exact(kind, len, WINDOW_SCALE_LENGTH);
                    // RFC 7323 §2.3: a shift above 14 is logged and used as 14.
                    windowScale = Math.min(Bytes.u8(seg, p + 2), MAX_WINDOW_SCALE);
                }
                case KIND_SACK_PERMITTED -> {
                    exact(kind, len, SACK_PERMITTED_LENGTH);
                    sackPermitted = true;
                }
                case KIND_SACK -> {
                    if ((len - 2) % 8 != 0 || len == 2 || (len - 2) / 8 > MAX_SACK_BLOCKS) {
                        throw malformed("SACK option length " + len + " is not 2 + 8n, n = 1..4 (RFC 2018 §3)");
                    }
                    sackCount = (len - 2) / 8;
                    for (int i = 0; i < sackCount; i++) {
                        sackEdges[2 * i] = Bytes.u32(seg, p + 2 + 8L * i);
                        sackEdges[2 * i + 1] = Bytes.u32(seg, p + 6 + 8L * i);
                    }
                }
                case KIND_TIMESTAMPS -> {
                    exact(kind, len, TIMESTAMPS_LENGTH);
                    timestamps = true;
                    tsVal = Bytes.u32(seg, p + 2);
                    tsEcr = Bytes.u32(seg, p + 6);
                }
                default -> {
                    // Unknown option: skipped by its length (RFC 9293 §3.2, MUST-6/MUST-68 style robustness).
                }
            }
            p += len;
        }
    }

    private static void exact(final int kind, final int len, final int expected) throws WireFormatException {
        if (len != expected) {
            throw malformed("option kind " + kind + " must have length " + expected + ", got " + len);
        }
    }

    private static WireFormatException malformed(final String what) {
        return new WireFormatException(WireFormatException.Reason.MALFORMED, "TCP: " + what);
    }

    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder("TcpOptions{");
        if (maxSegmentSize != NONE) {
            sb.append("mss=").append(maxSegmentSize).append(' ');
        }
        if (windowScale != NONE) {
            sb.append("ws=").append(windowScale).append(' ');
        }
        if (sackPermitted) {
            sb.append("sackOk ");
        }
        if (timestamps) {
            sb.append("ts=").append(Integer.toUnsignedString(tsVal)).append('/')
                    .append(Integer.toUnsignedString(tsEcr)).append(' ');
        }
        for (int i = 0; i < sackCount; i++) {
            sb.append("sack[").append(Integer.toUnsignedString(sackLeft(i))).append(',')
                    .append(Integer.toUnsignedString(sackRight(i))).append(") ");
        }
        return sb.append('}').toString();
    }
}
