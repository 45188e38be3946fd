package dev.chimney.link;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Test frames: Ethernet header + a 4-byte sequence number + filler, so tests can tell frames apart. */
final class Frames {
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final long MAC_A = 0x02_00_00_00_00_0aL;
    static final long MAC_B = 0x02_00_00_00_00_0bL;
    static final long BROADCAST = 0xff_ff_ff_ff_ff_ffL;

    private Frames() {
    }

    /** A frame of {@code totalBytes} from {@code src} to {@code dst} carrying {@code seq} right after the header. */
    static MemorySegment frame(long dst, long src, int seq, int totalBytes) {
        byte[] b = new byte[totalBytes];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (dst >>> (40 - 8 * i));
            b[6 + i] = (byte) (src >>> (40 - 8 * i));
        }
        b[12] = 0x08;
        b[13] = 0x00;
        MemorySegment s = MemorySegment.ofArray(b);
        s.set(U32, 14, seq);
        for (int i = 18; i < totalBytes; i++) {
            b[i] = (byte) (i * 31 + seq);
        }
        return s;
    }

    static MemorySegment frame(int seq, int totalBytes) {
        return frame(MAC_B, MAC_A, seq, totalBytes);
    }

    static int seqOf(MemorySegment frame) {
        return frame.get(U32, 14);
    }

    static byte[] bytes(MemorySegment frame) {
        return frame.toArray(ValueLayout.JAVA_BYTE);
    }
}
