package dev.chimney.tcp;

/**
 * Sequence-number comparisons modulo 2^32 (RFC 9293 §3.4, RFC 1982 serial arithmetic). Sequence numbers are Java
 * ints; "a &lt; b" means b lies less than 2^31 ahead of a.
 */
final class SeqMath {
    private SeqMath() {
    }

    static boolean lt(int a, int b) {
        return a - b < 0;
    }

    static boolean leq(int a, int b) {
        return a - b <= 0;
    }

    static boolean gt(int a, int b) {
        return a - b > 0;
    }

    static boolean geq(int a, int b) {
        return a - b >= 0;
    }

    static int max(int a, int b) {
        return a - b >= 0 ? a : b;
    }

    static int min(int a, int b) {
        return a - b <= 0 ? a : b;
    }

    /** a ≤ x &lt; b, all modulo 2^32. */
    static boolean inRange(int x, int a, int b) {
        return leq(a, x) && lt(x, b);
    }
}
