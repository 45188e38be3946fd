package dev.chimney.runtime;

import java.util.SplittableRandom;

/**
 * The only source of randomness for protocol code (ISNs, jitter, impairments, NUD timers...).
 * Every component gets its own stream forked by a stable label, so adding a component does not
 * perturb the random numbers the others see and a run replays exactly from its root seed.
 */
public final class SeededRandom {
    private final long seed;
    private final SplittableRandom random;

    public SeededRandom(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** The seed this stream was created from (print it in failure messages so a run can be replayed). */
    public long seed() {
        return seed;
    }

    /** A child stream whose seed depends only on this stream's seed and the label, not on draw order. */
    public SeededRandom fork(String label) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < label.length(); i++) {
            h = (h ^ label.charAt(i)) * 0x100000001B3L;
            h = Long.rotateLeft(h, 29);
        }
        return new SeededRandom(mix(h));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public int nextInt() {
        return random.nextInt();
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public long nextLong() {
        return random.nextLong();
    }

    /** Uniform in [0, bound). */
    public long nextLong(long bound) {
        return random.nextLong(bound);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return random.nextDouble();
    }

    /** True with probability {@code p}. */
    public boolean chance(double p) {
        return p > 0 && random.nextDouble() < p;
    }

    public void nextBytes(byte[] bytes) {
        random.nextBytes(bytes);
    }
}
