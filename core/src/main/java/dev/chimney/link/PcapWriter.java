package dev.chimney.link;

import dev.chimney.runtime.Clock;

import java.io.BufferedOutputStream;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes Ethernet frames in the classic libpcap file format with nanosecond timestamps (magic {@code 0xa1b23c4d},
 * version 2.4, {@code LINKTYPE_ETHERNET} = 1), readable by tshark, Wireshark and tcpdump. Timestamps come from a
 * {@link Clock} (plus a fixed epoch offset), so a capture of a simulated run is byte-for-byte deterministic.
 *
 * <p>Flush/close: records are buffered (64 KiB); {@link #flush()} pushes them to the underlying stream, and
 * {@link #close()} flushes and closes it. A record is never split across a flush, so a file flushed after each
 * record is always a valid capture. Not thread-safe: one owner (the loop that owns the port being recorded).
 *
 * <p>I/O errors surface as {@link UncheckedIOException}; {@link PcapTap} catches and counts them so that recording
 * can never break the link it observes.
 */
public final class PcapWriter implements Flushable, AutoCloseable {
    /** Nanosecond-resolution pcap magic (written little-endian). */
    public static final int MAGIC_NANOSECONDS = 0xa1b23c4d;
    /** Microsecond-resolution pcap magic (only read, by {@link PcapReader}). */
    public static final int MAGIC_MICROSECONDS = 0xa1b2c3d4;
    /** LINKTYPE_ETHERNET: IEEE 802.3 frames without preamble or FCS. */
    public static final int LINKTYPE_ETHERNET = 1;
    /** Default snapshot length: frames longer than this are truncated in the file (tcpdump's default). */
    public static final int DEFAULT_SNAPLEN = 262_144;
    static final int FILE_HEADER_BYTES = 24;
    static final int RECORD_HEADER_BYTES = 16;
    private static final long NS_PER_SECOND = 1_000_000_000L;

    private final OutputStream out;
    private final Clock clock;
    private final long epochOffsetNs;
    private final int snaplen;
    private final byte[] recordHeader = new byte[RECORD_HEADER_BYTES];
    private final MemorySegment recordHeaderSegment = MemorySegment.ofArray(recordHeader);
    private byte[] scratch = new byte[2048];
    private MemorySegment scratchSegment = MemorySegment.ofArray(scratch);
    private long records;
    private boolean closed;

    /**
     * @param out           where the capture goes (closed by {@link #close()})
     * @param clock         timestamp source: the clock of the loop that owns the recorded port
     * @param epochOffsetNs added to {@code clock.nanoTime()} to form the Unix-epoch timestamp (0 under the
     *                      simulator, so virtual time 0 is 1970-01-01 and the file is deterministic)
     * @param snaplen       longest stored frame prefix
     */
    public PcapWriter(OutputStream out, Clock clock, long epochOffsetNs, int snaplen) {
        if (snaplen <= 0) {
            throw new IllegalArgumentException("snaplen must be positive, got " + snaplen);
        }
        this.out = new BufferedOutputStream(Objects.requireNonNull(out, "out"), 64 * 1024);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.epochOffsetNs = epochOffsetNs;
        this.snaplen = snaplen;
        byte[] header = new byte[FILE_HEADER_BYTES];
        MemorySegment h = MemorySegment.ofArray(header);
        h.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, MAGIC_NANOSECONDS);
        h.set(LE_U16, 4, (short) 2); // version 2.4
        h.set(LE_U16, 6, (short) 4);
        // thiszone (4) and sigfigs (4) stay 0.
        h.set(LE_U32, 16, snaplen);
        h.set(LE_U32, 20, LINKTYPE_ETHERNET);
        writeBytes(header, FILE_HEADER_BYTES);
    }

    private static final ValueLayout.OfShort LE_U16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_U32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** A writer with epoch offset 0 and the default snaplen. */
    public PcapWriter(OutputStream out, Clock clock) {
        this(out, clock, 0L, DEFAULT_SNAPLEN);
    }

    /** Creates (or truncates) {@code file} and writes the capture header. */
    public static PcapWriter create(Path file, Clock clock) {
        try {
            return new PcapWriter(Files.newOutputStream(file), clock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create pcap file " + file, e);
        }
    }

    /** Records {@code frame} with the clock's current time. */
    public void write(MemorySegment frame) {
        write(frame, clock.nanoTime());
    }

    /** Records {@code frame} with timestamp {@code timeNs} (same base as the clock). */
    public void write(MemorySegment frame, long timeNs) {
        if (closed) {
            throw new IllegalStateException("pcap writer is closed; create a new one to keep recording");
        }
        int length = (int) Math.min(frame.byteSize(), Integer.MAX_VALUE);
        int stored = Math.min(length, snaplen);
        long epochNs = timeNs + epochOffsetNs;
        recordHeaderSegment.set(LE_U32, 0, (int) Math.floorDiv(epochNs, NS_PER_SECOND));
        recordHeaderSegment.set(LE_U32, 4, (int) Math.floorMod(epochNs, NS_PER_SECOND));
        recordHeaderSegment.set(LE_U32, 8, stored);
        recordHeaderSegment.set(LE_U32, 12, length);
        if (scratch.length < stored) {
            scratch = new byte[Math.max(stored, scratch.length * 2)];
            scratchSegment = MemorySegment.ofArray(scratch);
        }
        MemorySegment.copy(frame, 0, scratchSegment, 0, stored);
        writeBytes(recordHeader, RECORD_HEADER_BYTES);
        writeBytes(scratch, stored);
        records++;
    }

    /** Frames recorded so far. */
    public long records() {
        return records;
    }

    @Override
    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("pcap flush failed", e);
        }
    }

    /** Flushes and closes the underlying stream. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("pcap close failed", e);
        }
    }

    private void writeBytes(byte[] bytes, int length) {
        try {
            out.write(bytes, 0, length);
        } catch (IOException e) {
            throw new UncheckedIOException("pcap write failed", e);
        }
    }
}
