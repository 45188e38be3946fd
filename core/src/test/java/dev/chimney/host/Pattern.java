package dev.chimney.host;

/**
 * A seeded byte stream that needs no storage: byte {@code i} of stream {@code key} is computed, so a test can send
 * and verify gigabytes byte-exact without holding them, and a mismatch names its exact offset.
 */
final class Pattern {
    private Pattern() {
    }

    /** Byte {@code index} of stream {@code key}. */
    static byte at(long key, long index) {
        return (byte) (mix(key * 0x9E37_79B9_7F4A_7C15L + (index >>> 3)) >>> ((index & 7) << 3));
    }

    /** Fills {@code dst[off..off+len)} with bytes {@code index..index+len)} of stream {@code key}. */
    static void fill(long key, long index, byte[] dst, int off, int len) {
        int i = 0;
        while (i < len) {
            long pos = index + i;
            long word = mix(key * 0x9E37_79B9_7F4A_7C15L + (pos >>> 3));
            int shift = (int) (pos & 7);
            for (int b = shift; b < 8 && i < len; b++, i++) {
                dst[off + i] = (byte) (word >>> (b << 3));
            }
        }
    }

    /**
     * Returns the first offset in {@code src[off..off+len)} that differs from stream {@code key} at {@code index},
     * or -1 when all match.
     */
    static long firstMismatch(long key, long index, byte[] src, int off, int len) {
        int i = 0;
        while (i < len) {
            long pos = index + i;
            long word = mix(key * 0x9E37_79B9_7F4A_7C15L + (pos >>> 3));
            int shift = (int) (pos & 7);
            for (int b = shift; b < 8 && i < len; b++, i++) {
                if (src[off + i] != (byte) (word >>> (b << 3))) {
                    return index + i;
                }
            }
        }
        return -1;
    }

    /** SplitMix64 finalizer (Steele, Lea, Flood 2014). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
