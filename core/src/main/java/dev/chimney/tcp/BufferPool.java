package dev.chimney.tcp;

import java.lang.foreign.MemorySegment;

/**
 * Recycled ring storage for the send and receive buffers of one stack's connections. A connection takes an array
 * when it first stores data and gives it back when the buffer empties for good (or whenever the pool has room), so
 * a stream of short connections reuses the same few arrays instead of allocating two rings each (issue 9: 85% of
 * the allocation under ApacheBench was ring arrays).
 *
 * <p>Arrays are kept by size class: class k holds arrays of 2^k to 2^(k+1) - 1 bytes, and {@link #take} looks in the
 * class whose smallest array is big enough. The pool is bounded by the bytes it keeps ({@link
 * TcpConfig.Builder#bufferPoolBytes}); beyond that a returned array is left to the garbage collector. Owned by the
 * stack's loop: no locks, and every method must run on that loop.
 */
final class BufferPool {
    /** Smallest ring: one page, a request or a small response (about three full-sized segments). */
    static final int MIN_BYTES = 4096;
    private static final int CLASSES = 31;
    private static final int INITIAL_SLOTS = 8;

    private final long limitBytes;
    private final byte[][][] free = new byte[CLASSES][][];
    /** The memory segment made for each pooled array, if its last owner made one (kept to spare the next owner). */
    private final MemorySegment[][] segments = new MemorySegment[CLASSES][];
    private final int[] count = new int[CLASSES];
    private long pooledBytes;
    private long allocations;
    private long reuses;
    private MemorySegment takenSegment;

    BufferPool(long limitBytes) {
        this.limitBytes = limitBytes;
    }

    /**
     * An array of at least {@code minLength} bytes: a pooled one if one is big enough, else a new one of at least
     * {@link #MIN_BYTES} rounded up to a power of two, but not beyond {@code maxLength} (the buffer's largest size).
     */
    byte[] take(int minLength, int maxLength) {
        int wanted = Math.max(minLength, MIN_BYTES);
        int k = ceilLog2(wanted);
        if (k < CLASSES && count[k] > 0) {
            return remove(k, count[k] - 1);
        }
        // a buffer whose maximum is not a power of two has an array of exactly that size, one class down: look
        // at the last few there (they are all of that kind when one buffer size dominates)
        int below = floorLog2(wanted);
        if (below != k) {
            for (int i = count[below] - 1; i >= Math.max(0, count[below] - 4); i--) {
                if (free[below][i].length >= wanted) {
                    return remove(below, i);
                }
            }
        }
        takenSegment = null;
        allocations++;
        long rounded = k < CLASSES ? 1L << k : wanted;
        return new byte[(int) Math.max(minLength, Math.min(rounded, maxLength))];
    }

    private byte[] remove(int k, int i) {
        byte[] a = free[k][i];
        takenSegment = segments[k][i];
        int last = --count[k];
        free[k][i] = free[k][last];
        segments[k][i] = segments[k][last];
        free[k][last] = null;
        segments[k][last] = null;
        pooledBytes -= a.length;
        reuses++;
        return a;
    }

    /** The memory segment over the array the last {@link #take} returned, or null if none was made yet. */
    MemorySegment takenSegment() {
        return takenSegment;
    }

    /**
     * Keeps {@code array} (and {@code segment}, a memory segment over it or null) for reuse if the pool has room for
     * it; returns whether it did. The caller must not touch the array afterwards.
     */
    boolean offer(byte[] array, MemorySegment segment) {
        if (pooledBytes + array.length > limitBytes) {
            return false;
        }
        int k = floorLog2(array.length);
        byte[][] slots = free[k];
        if (slots == null || count[k] == slots.length) {
            // grows only while the pool itself grows: bounded by limitBytes / 2^k slots
            int n = slots == null ? INITIAL_SLOTS : slots.length * 2;
            byte[][] bigger = new byte[n][];
            MemorySegment[] biggerSegments = new MemorySegment[n];
            if (slots != null) {
                System.arraycopy(slots, 0, bigger, 0, count[k]);
                System.arraycopy(segments[k], 0, biggerSegments, 0, count[k]);
            }
            free[k] = bigger;
            segments[k] = biggerSegments;
            slots = bigger;
        }
        segments[k][count[k]] = segment;
        slots[count[k]++] = array;
        pooledBytes += array.length;
        return true;
    }

    /** Bytes kept for reuse now. */
    long pooledBytes() {
        return pooledBytes;
    }

    /** Arrays {@link #take} had to allocate. */
    long allocations() {
        return allocations;
    }

    /** Arrays {@link #take} found in the pool. */
    long reuses() {
        return reuses;
    }

    private static int ceilLog2(int n) {
        return 32 - Integer.numberOfLeadingZeros(n - 1);
    }

    private static int floorLog2(int n) {
        return 31 - Integer.numberOfLeadingZeros(n);
    }
}
