package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** SipHash-2-4 against the vectors published with the SipHash paper (key 00..0f, message 00, 01, 02, ...). */
class SipHashTest {

    /** Key bytes 00 01 .. 0f read as two little-endian words. */
    private static final long K0 = 0x0706050403020100L;
    private static final long K1 = 0x0f0e0d0c0b0a0908L;

    private static byte[] message(final int length) {
        final byte[] m = new byte[length];
        for (int i = 0; i < length; i++) {
            m[i] = (byte) i;
        }
        return m;
    }

    @Test
    void paperAppendixExampleOfFifteenBytes() {
        // Appendix A of the paper: the 15-byte message 00..0e hashes to a129ca6149be45e5.
        assertEquals(0xa129ca6149be45e5L, SipHash.hash(K0, K1, message(15), 0, 15));
    }

    @Test
    void referenceVectorsAcrossWordBoundaries() {
        // The published 64-bit outputs for messages 00..(len-1): empty, 1 byte, 7 (one short of a word),
        // 8 (a whole word, then a length-only word), 16 (two words) and 63 bytes.
        final int[] lengths = {0, 1, 7, 8, 16, 63};
        final long[] expected = {0x726fdb47dd0e0e31L, 0x74f839c593dc67fdL, 0xab0200f58b01d137L,
            0x93f5f5799a932462L, 0x3f2acc7f57c29bdbL, 0x958a324ceb064572L};
        for (int i = 0; i < lengths.length; i++) {
            assertEquals(expected[i], SipHash.hash(K0, K1, message(lengths[i]), 0, lengths[i]),
                    "SipHash-2-4 of " + lengths[i] + " bytes");
        }
    }

    @Test
    void hashesTheGivenSliceOnly() {
        final byte[] padded = new byte[20];
        System.arraycopy(message(15), 0, padded, 3, 15);
        padded[0] = 99;
        padded[19] = 42;
        assertEquals(0xa129ca6149be45e5L, SipHash.hash(K0, K1, padded, 3, 15));
        assertNotEquals(SipHash.hash(K0, K1, padded, 3, 15), SipHash.hash(K0 + 1, K1, padded, 3, 15),
                "a different key must give a different hash");
        assertThrows(IndexOutOfBoundsException.class, () -> SipHash.hash(K0, K1, padded, 10, 11));
    }
}
