package dev.chimney.link;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a classic libpcap capture (micro- or nanosecond magic, either byte order) into memory, for tests that
 * assert what was sent. Not meant for huge files.
 */
public final class PcapReader {

    /** One captured frame. */
    public record Record(long timestampNs, byte[] data, int originalLength) {
    }

    /** A parsed capture. */
    public record Capture(int linkType, int snaplen, boolean nanosecond, List<Record> records) {
    }

    private PcapReader() {
    }

    public static Capture read(Path file) {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read pcap file " + file, e);
        }
    }

    /**
     * Parses a whole capture.
     *
     * @throws IllegalArgumentException if the bytes are not a pcap capture or a record is truncated
     */
    public static Capture parse(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < PcapWriter.FILE_HEADER_BYTES) {
            throw new IllegalArgumentException("not a pcap file: " + bytes.length + " bytes, header needs 24");
        }
        int magic = b.getInt(0);
        boolean nanos;
        if (magic == PcapWriter.MAGIC_NANOSECONDS || magic == PcapWriter.MAGIC_MICROSECONDS) {
            nanos = magic == PcapWriter.MAGIC_NANOSECONDS;
        } else {
            b.order(ByteOrder.BIG_ENDIAN);
            magic = b.getInt(0);
            if (magic != PcapWriter.MAGIC_NANOSECONDS && magic != PcapWriter.MAGIC_MICROSECONDS) {
                throw new IllegalArgumentException("not a pcap file: magic " + Integer.toHexString(magic));
            }
            nanos = magic == PcapWriter.MAGIC_NANOSECONDS;
        }
        int snaplen = b.getInt(16);
        int linkType = b.getInt(20);
        List<Record> records = new ArrayList<>();
        int pos = PcapWriter.FILE_HEADER_BYTES;
        while (pos < bytes.length) {
            if (bytes.length - pos < PcapWriter.RECORD_HEADER_BYTES) {
                throw new IllegalArgumentException("truncated record header at offset " + pos);
            }
            long seconds = Integer.toUnsignedLong(b.getInt(pos));
            long fraction = Integer.toUnsignedLong(b.getInt(pos + 4));
            int stored = b.getInt(pos + 8);
            int original = b.getInt(pos + 12);
            pos += PcapWriter.RECORD_HEADER_BYTES;
            if (stored < 0 || stored > bytes.length - pos) {
                throw new IllegalArgumentException("truncated record data at offset " + pos);
            }
            byte[] data = new byte[stored];
            System.arraycopy(bytes, pos, data, 0, stored);
            pos += stored;
            long ns = seconds * 1_000_000_000L + (nanos ? fraction : fraction * 1_000L);
            records.add(new Record(ns, data, original));
        }
        return new Capture(linkType, snaplen, nanos, List.copyOf(records));
    }
}
