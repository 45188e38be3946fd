package dev.chimney.tcp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One TCP segment as the engine sees it: header fields, parsed options and the payload as a window into some
 * {@link MemorySegment}. It is a reusable mutable carrier, not a value: the IP layer fills one instance per
 * received packet ({@link #clear()}, setters, {@link #payload(MemorySegment, long, int)}) without allocating, and
 * the engine fills its own instance for every segment it transmits. Anyone who keeps a segment beyond the call
 * that handed it over must take a {@link #copy()}.
 *
 * <p>Options absent from the segment are marked by presence bits; values of absent options are meaningless.
 * The window field is the raw 16-bit header value (unscaled, RFC 7323 §2.3).
 */
public final class TcpSegment {
    /** Most SACK blocks one segment can carry (RFC 2018 §3: 4 without timestamps). */
    public static final int MAX_SACK_BLOCKS = 4;

    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]);

    private int sourcePort;
    private int destinationPort;
    private int seq;
    private int ack;
    private int flags;
    private int window;
    private int urgentPointer;

    private int mss = -1;
    private int windowScale = -1;
    private boolean sackPermitted;
    private boolean hasTimestamp;
    private int tsVal;
    private int tsEcr;
    private int sackCount;
    private final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    private final int[] sackRight = new int[MAX_SACK_BLOCKS];

    private MemorySegment payload = EMPTY;
    private long payloadOffset;
    private int payloadLength;
    private int segmentBytes;

    /** Resets every field to "absent/zero" so the instance can be refilled. */
    public TcpSegment clear() {
        sourcePort = destinationPort = seq = ack = flags = window = urgentPointer = 0;
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        hasTimestamp = false;
        tsVal = tsEcr = 0;
        sackCount = 0;
        payload = EMPTY;
        payloadOffset = 0;
        payloadLength = 0;
        segmentBytes = 0;
        return this;
    }

    /**
     * For a super-segment (TSO on transmit, a GSO super-frame on receive): the data bytes per wire segment it
     * stands for, the MSS; 0 for an ordinary segment. On transmit the output must cut the payload into pieces of
     * this size (see {@link TcpOutput#segmentationOffloadBytes}).
     */
    public int segmentBytes() {
        return segmentBytes;
    }

    public TcpSegment segmentBytes(int bytes) {
        if (bytes < 0 || bytes > 0xFFFF) {
            throw new IllegalArgumentException("segmentBytes must be 0 (ordinary segment) or 1..65535, got " + bytes);
        }
        this.segmentBytes = bytes;
        return this;
    }

    public int sourcePort() {
        return sourcePort;
    }

    public TcpSegment sourcePort(int port) {
        this.sourcePort = port & 0xFFFF;
        return this;
    }

    public int destinationPort() {
        return destinationPort;
    }

    public TcpSegment destinationPort(int port) {
        this.destinationPort = port & 0xFFFF;
        return this;
    }

    public int seq() {
        return seq;
    }

    public TcpSegment seq(int seq) {
        this.seq = seq;
        return this;
    }

    public int ack() {
        return ack;
    }

    public TcpSegment ack(int ack) {
        this.ack = ack;
        return this;
    }

    /** The control bits ({@link TcpFlags}). */
    public int flags() {
        return flags;
    }

    public TcpSegment flags(int flags) {
        this.flags = flags & 0xFF;
        return this;
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Raw 16-bit window field, before scaling. */
    public int window() {
        return window;
    }

    public TcpSegment window(int window) {
        this.window = window & 0xFFFF;
        return this;
    }

    public int urgentPointer() {
        return urgentPointer;
    }

    public TcpSegment urgentPointer(int urgentPointer) {
        this.urgentPointer = urgentPointer & 0xFFFF;
        return this;
    }

    /** MSS option value (RFC 9293 §3.7.1), or -1 when absent. */
    public int mss() {
        return mss;
    }

    public TcpSegment mss(int mss) {
        this.mss = mss;
        return this;
    }

    /** Window-scale shift (RFC 7323 §2), or -1 when absent. */
    public int windowScale() {
        return windowScale;
    }

    public TcpSegment windowScale(int shift) {
        this.windowScale = shift;
        return this;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public TcpSegment sackPermitted(boolean permitted) {
        this.sackPermitted = permitted;
        return this;
    }

    public boolean hasTimestamp() {
        return hasTimestamp;
    }

    public int tsVal() {
        return tsVal;
    }

    public int tsEcr() {
        return tsEcr;
    }

    /** Sets the timestamps option (RFC 7323 §3). */
    public TcpSegment timestamp(int tsVal, int tsEcr) {
        this.hasTimestamp = true;
        this.tsVal = tsVal;
        this.tsEcr = tsEcr;
        return this;
    }

    public TcpSegment noTimestamp() {
        this.hasTimestamp = false;
        return this;
    }

    public int sackCount() {
        return sackCount;
    }

    public int sackLeft(int i) {
        return sackLeft[i];
    }

    public int sackRight(int i) {
        return sackRight[i];
    }

    /** Appends a SACK block [left, right) (RFC 2018 §3); blocks beyond {@link #MAX_SACK_BLOCKS} are ignored. */
    public TcpSegment addSack(int left, int right) {
        if (sackCount < MAX_SACK_BLOCKS) {
            sackLeft[sackCount] = left;
            sackRight[sackCount] = right;
            sackCount++;
        }
        return this;
    }

    public TcpSegment clearSacks() {
        sackCount = 0;
        return this;
    }

    /** Points the payload at {@code length} bytes of {@code memory} starting at {@code offset}; no copy. */
    public TcpSegment payload(MemorySegment memory, long offset, int length) {
        this.payload = memory;
        this.payloadOffset = offset;
        this.payloadLength = length;
        return this;
    }

    /** Convenience for tests and control paths (wraps, no copy). */
    public TcpSegment payload(byte[] bytes) {
        return payload(MemorySegment.ofArray(bytes), 0, bytes.length);
    }

    public MemorySegment payloadMemory() {
        return payload;
    }

    public long payloadOffset() {
        return payloadOffset;
    }

    public int payloadLength() {
        return payloadLength;
    }

    /** Copies the payload into a new array (tests, logs). */
    public byte[] payloadBytes() {
        byte[] out = new byte[payloadLength];
        MemorySegment.copy(payload, ValueLayout.JAVA_BYTE, payloadOffset, out, 0, payloadLength);
        return out;
    }

    /** Sequence space the segment occupies: payload plus one for SYN and one for FIN (RFC 9293 §3.4). */
    public int sequenceLength() {
        return payloadLength + ((flags & TcpFlags.SYN) != 0 ? 1 : 0) + ((flags & TcpFlags.FIN) != 0 ? 1 : 0);
    }

    /** Copies every field of {@code other} into this one; the payload is shared, not copied. */
    public TcpSegment set(TcpSegment other) {
        sourcePort = other.sourcePort;
        destinationPort = other.destinationPort;
        seq = other.seq;
        ack = other.ack;
        flags = other.flags;
        window = other.window;
        urgentPointer = other.urgentPointer;
        mss = other.mss;
        windowScale = other.windowScale;
        sackPermitted = other.sackPermitted;
        hasTimestamp = other.hasTimestamp;
        tsVal = other.tsVal;
        tsEcr = other.tsEcr;
        sackCount = other.sackCount;
        System.arraycopy(other.sackLeft, 0, sackLeft, 0, MAX_SACK_BLOCKS);
        System.arraycopy(other.sackRight, 0, sackRight, 0, MAX_SACK_BLOCKS);
        payload = other.payload;
        payloadOffset = other.payloadOffset;
        payloadLength = other.payloadLength;
        segmentBytes = other.segmentBytes;
        return this;
    }

    /** An independent copy, payload bytes included (allocates: tests and control paths only). */
    public TcpSegment copy() {
        TcpSegment c = new TcpSegment().set(this);
        c.payload(payloadBytes());
        return c;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TcpSegment s)) {
            return false;
        }
        if (sourcePort != s.sourcePort || destinationPort != s.destinationPort || seq != s.seq || ack != s.ack
                || flags != s.flags || window != s.window || urgentPointer != s.urgentPointer || mss != s.mss
                || windowScale != s.windowScale || sackPermitted != s.sackPermitted || hasTimestamp != s.hasTimestamp
                || sackCount != s.sackCount || payloadLength != s.payloadLength) {
            return false;
        }
        if (hasTimestamp && (tsVal != s.tsVal || tsEcr != s.tsEcr)) {
            return false;
        }
        for (int i = 0; i < sackCount; i++) {
            if (sackLeft[i] != s.sackLeft[i] || sackRight[i] != s.sackRight[i]) {
                return false;
            }
        }
        return Arrays.equals(payloadBytes(), s.payloadBytes());
    }

    @Override
    public int hashCode() {
        return ((seq * 31 + ack) * 31 + flags) * 31 + payloadLength;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append(sourcePort).append('>').append(destinationPort).append(' ').append(TcpFlags.toString(flags))
                .append(" seq=").append(Integer.toUnsignedString(seq)).append(" ack=")
                .append(Integer.toUnsignedString(ack)).append(" win=").append(window).append(" len=")
                .append(payloadLength);
        if (mss >= 0) {
            b.append(" mss=").append(mss);
        }
        if (windowScale >= 0) {
            b.append(" ws=").append(windowScale);
        }
        if (sackPermitted) {
            b.append(" sackOK");
        }
        if (hasTimestamp) {
            b.append(" ts=").append(Integer.toUnsignedString(tsVal)).append('/')
                    .append(Integer.toUnsignedString(tsEcr));
        }
        for (int i = 0; i < sackCount; i++) {
            b.append(" sack[").append(Integer.toUnsignedString(sackLeft[i])).append(',')
                    .append(Integer.toUnsignedString(sackRight[i])).append(')');
        }
        if (urgentPointer != 0) {
            b.append(" urg=").append(urgentPointer);
        }
        return b.toString();
    }
}
