package dev.chimney.link.tap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The virtio-net header a TAP opened with {@code IFF_VNET_HDR} puts before every frame (virtio 1.x §5.1.6,
 * {@code struct virtio_net_hdr_v1}, 12 bytes, little-endian as the kernel uses for virtio 1.x):
 * <pre>
 *  0: flags (u8)  1: gso_type (u8)  2: hdr_len (u16)  4: gso_size (u16)
 *  6: csum_start (u16)  8: csum_offset (u16)  10: num_buffers (u16, unused on TAP)
 * </pre>
 * A record for transmit (keep constants for common cases; {@link #NONE} means "a complete frame, no offload"),
 * plus static accessors to read the header the device hands over on receive.
 *
 * @param flags      {@link #FLAG_NEEDS_CSUM}: checksum from csumStart to the end is not yet computed
 * @param gsoType    {@link #GSO_NONE}, {@link #GSO_TCPV4}, {@link #GSO_TCPV6} (| {@link #GSO_ECN})
 * @param hdrLen     bytes of Ethernet+IP+TCP headers (a hint for GSO)
 * @param gsoSize    payload bytes per segment when the kernel segments the super-frame (the MSS)
 * @param csumStart  offset in the frame where checksumming starts
 * @param csumOffset offset after csumStart where the checksum is stored
 */
public record VirtioNetHeader(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset) {
    /** Header size the device is configured with ({@code TUNSETVNETHDRSZ}). */
    public static final int BYTES = 12;
    public static final int FLAG_NEEDS_CSUM = 1;
    public static final int FLAG_DATA_VALID = 2;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_ECN = 0x80;

    public static final long FLAGS_OFFSET = 0;
    public static final long GSO_TYPE_OFFSET = 1;
    public static final long HDR_LEN_OFFSET = 2;
    public static final long GSO_SIZE_OFFSET = 4;
    public static final long CSUM_START_OFFSET = 6;
    public static final long CSUM_OFFSET_OFFSET = 8;
    public static final long NUM_BUFFERS_OFFSET = 10;

    /** A whole frame with its checksums already filled in. */
    public static final VirtioNetHeader NONE = new VirtioNetHeader(0, GSO_NONE, 0, 0, 0, 0);

    private static final ValueLayout.OfShort U16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    public VirtioNetHeader {
        checkRange("flags", flags, 0xFF);
        checkRange("gsoType", gsoType, 0xFF);
        checkRange("hdrLen", hdrLen, 0xFFFF);
        checkRange("gsoSize", gsoSize, 0xFFFF);
        checkRange("csumStart", csumStart, 0xFFFF);
        checkRange("csumOffset", csumOffset, 0xFFFF);
    }

    private static void checkRange(String field, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(field + " must be in [0, " + max + "], got " + value);
        }
    }

    /** Writes this header at offset 0 of {@code header} (at least {@link #BYTES} long). */
    public void writeTo(MemorySegment header) {
        write(header, flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset);
    }

    /** Writes a header from its fields without a record (the transmit data path; values are not range-checked). */
    public static void write(MemorySegment header, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
            int csumOffset) {
        header.set(ValueLayout.JAVA_BYTE, FLAGS_OFFSET, (byte) flags);
        header.set(ValueLayout.JAVA_BYTE, GSO_TYPE_OFFSET, (byte) gsoType);
        header.set(U16, HDR_LEN_OFFSET, (short) hdrLen);
        header.set(U16, GSO_SIZE_OFFSET, (short) gsoSize);
        header.set(U16, CSUM_START_OFFSET, (short) csumStart);
        header.set(U16, CSUM_OFFSET_OFFSET, (short) csumOffset);
        header.set(U16, NUM_BUFFERS_OFFSET, (short) 0);
    }

    /** Reads a whole header (allocates: for tests and slow paths; the data path uses the static getters). */
    public static VirtioNetHeader readFrom(MemorySegment header) {
        return new VirtioNetHeader(flags(header), gsoType(header), hdrLen(header), gsoSize(header),
                csumStart(header), csumOffset(header));
    }

    public static int flags(MemorySegment header) {
        return header.get(ValueLayout.JAVA_BYTE, FLAGS_OFFSET) & 0xFF;
    }

    public static int gsoType(MemorySegment header) {
        return header.get(ValueLayout.JAVA_BYTE, GSO_TYPE_OFFSET) & 0xFF;
    }

    public static int hdrLen(MemorySegment header) {
        return header.get(U16, HDR_LEN_OFFSET) & 0xFFFF;
    }

    public static int gsoSize(MemorySegment header) {
        return header.get(U16, GSO_SIZE_OFFSET) & 0xFFFF;
    }

    public static int csumStart(MemorySegment header) {
        return header.get(U16, CSUM_START_OFFSET) & 0xFFFF;
    }

    public static int csumOffset(MemorySegment header) {
        return header.get(U16, CSUM_OFFSET_OFFSET) & 0xFFFF;
    }
}
