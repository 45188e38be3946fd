package dev.chimney.wire;

/** TCP sequence number comparisons modulo 2^32 (RFC 9293 §3.4): sequence numbers are plain {@code int}s. */
public final class Seq {
    private Seq() {
    }

    public static boolean lt(final int a, final int b) {
        return a - b < 0;
    }

    public static boolean leq(final int a, final int b) {
        return a - b <= 0;
    }

    public static boolean gt(final int a, final int b) {
        return a - b > 0;
    }

    public static boolean geq(final int a, final int b) {
        return a - b >= 0;
    }

    /** {@code lo <= s < hi}, modulo 2^32. */
    public static boolean inRange(final int s, final int lo, final int hi) {
        return Integer.compareUnsigned(s - lo, hi - lo) < 0;
    }

    /** Signed distance {@code b - a}. */
    public static int diff(final int a, final int b) {
        return b - a;
    }

    public static int max(final int a, final int b) {
        return gt(a, b) ? a : b;
    }

    public static int min(final int a, final int b) {
        return lt(a, b) ? a : b;
    }
}
