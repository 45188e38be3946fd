package dev.chimney.tcp;

/**
 * TCP sequence-number arithmetic on plain {@code int}s (RFC 9293 §3.4, serial-number arithmetic per RFC 1982).
 *
 * <p>Sequence numbers live on a 2^32 circle, so "less than" means "less than by a signed 32-bit distance":
 * {@code a} precedes {@code b} when {@code (a - b)} wraps to a negative {@code int}. That is only meaningful while
 * the two values are less than 2^31 apart, which TCP guarantees because windows are at most 2^30 bytes
 * (RFC 7323 §2.3). Java's wrapping {@code int} addition is exactly the modular addition TCP needs, so
 * {@code seq + lengthBytes} needs no helper. Every method is static, allocation-free and branch-light.
 */
public final class Seq {

    private Seq() {
    }

    /** {@code a < b} in sequence space. */
    public static boolean lt(final int a, final int b) {
        return a - b < 0;
    }

    /** {@code a <= b} in sequence space. */
    public static boolean leq(final int a, final int b) {
        return a - b <= 0;
    }

    /** {@code a > b} in sequence space. */
    public static boolean gt(final int a, final int b) {
        return a - b > 0;
    }

    /** {@code a >= b} in sequence space. */
    public static boolean geq(final int a, final int b) {
        return a - b >= 0;
    }

    /** Signed distance {@code a - b} in bytes (positive when {@code a} is after {@code b}). */
    public static int diff(final int a, final int b) {
        return a - b;
    }

    /** The later of the two sequence numbers. */
    public static int max(final int a, final int b) {
        return a - b >= 0 ? a : b;
    }

    /** The earlier of the two sequence numbers. */
    public static int min(final int a, final int b) {
        return a - b <= 0 ? a : b;
    }

    /**
     * {@code low <= seq < highExclusive} in sequence space, computed as one unsigned comparison so it is correct
     * across the 2^32 wrap. An empty range ({@code low == highExclusive}) contains nothing.
     */
    public static boolean inRange(final int seq, final int low, final int highExclusive) {
        return Integer.compareUnsigned(seq - low, highExclusive - low) < 0;
    }

    /**
     * {@code start <= seq < start + lengthBytes}: the RFC 9293 §3.10.7.4 window test
     * ({@code RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND}). A zero length window contains nothing.
     *
     * @param lengthBytes window size in bytes, 0 to 2^31 - 1
     */
    public static boolean inWindow(final int seq, final int start, final int lengthBytes) {
        return Integer.compareUnsigned(seq - start, lengthBytes) < 0;
    }

    /** {@code low <= seq <= high} in sequence space (both ends inclusive). */
    public static boolean between(final int low, final int seq, final int high) {
        return Integer.compareUnsigned(seq - low, high - low) <= 0;
    }

    /** The sequence number as an unsigned decimal, for logs and assertion messages. */
    public static String toString(final int seq) {
        return Integer.toUnsignedString(seq);
    }
}
