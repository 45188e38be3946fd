package dev.chimney.tcp;

/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed 64-bit pseudorandom
 * function for short inputs. Used as the RFC 6528 §3 function F for initial sequence numbers, and suitable for
 * SYN cookies and flooding-resistant hash tables.
 *
 * <p>Written from the paper's description: the 128-bit key is two little-endian 64-bit words {@code k0, k1};
 * the message is processed in 8-byte little-endian words with two SipRounds each ("c = 2"), the last word
 * carries the message length in its top byte, and finalisation xors 0xff into v2 and runs four SipRounds
 * ("d = 4"). Static, allocation-free.
 */
public final class SipHash {

    private SipHash() {
    }

    /**
     * SipHash-2-4 of {@code length} bytes of {@code data} starting at {@code offset}.
     *
     * @param k0 key bytes 0..7 read little-endian
     * @param k1 key bytes 8..15 read little-endian
     */
    public static long hash(final long k0, final long k1, final byte[] data, final int offset, final int length) {
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new IndexOutOfBoundsException("SipHash input range [" + offset + ", " + offset + "+" + length
                    + ") is outside the " + data.length + "-byte array");
        }
        // Initialisation (paper §2.2): the constants spell "somepseudorandomlygeneratedbytes".
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;

        final int wholeWords = length >>> 3;
        int p = offset;
        for (int w = 0; w < wholeWords; w++, p += 8) {
            final long m = littleEndianWord(data, p, 8);
            v3 ^= m;
            // Two compression rounds (c = 2).
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            v0 ^= m;
        }
        // Last word: the remaining 0..7 bytes, with (length mod 256) in the most significant byte.
        final long last = littleEndianWord(data, p, length & 7) | ((long) length << 56);
        v3 ^= last;
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= last;

        // Finalisation: four rounds (d = 4).
        v2 ^= 0xffL;
        for (int r = 0; r < 4; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /** Reads {@code count} (0..8) bytes as a little-endian word; missing high bytes are zero. */
    private static long littleEndianWord(final byte[] data, final int p, final int count) {
        long word = 0;
        for (int i = count - 1; i >= 0; i--) {
            word = (word << 8) | (data[p + i] & 0xFFL);
        }
        return word;
    }
}
