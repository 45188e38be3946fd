package dev.chimney.tcp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Bytes the application wrote and the peer has not yet acknowledged: index 0 is the byte at SND.UNA. A ring over
 * one array, allocated on the first write (so half-open connections cost no buffer memory) and reused after, so
 * writing, transmitting and acknowledging allocate nothing.
 */
final class SendBuffer {
    private final int capacity;
    private byte[] ring;
    private MemorySegment memory;
    private int head;
    private int length;

    SendBuffer(int capacity) {
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    /** Bytes of backing storage allocated so far (0 until first use). */
    int allocatedBytes() {
        return ring == null ? 0 : ring.length;
    }

    int length() {
        return length;
    }

    int free() {
        return capacity - length;
    }

    /** Appends up to {@code len} bytes; returns how many fit. */
    int write(MemorySegment src, long srcOffset, int len) {
        int n = Math.min(len, free());
        if (n <= 0) {
            return 0;
        }
        ensureAllocated();
        int tail = (head + length) % ring.length;
        int first = Math.min(n, ring.length - tail);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset, ring, tail, first);
        if (n > first) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset + first, ring, 0, n - first);
        }
        length += n;
        return n;
    }

    /** Appends up to {@code len} bytes of a heap array (no segment wrapper: allocation-free); returns how many fit. */
    int write(byte[] src, int srcOffset, int len) {
        int n = Math.min(len, free());
        if (n <= 0) {
            return 0;
        }
        ensureAllocated();
        int tail = (head + length) % ring.length;
        int first = Math.min(n, ring.length - tail);
        System.arraycopy(src, srcOffset, ring, tail, first);
        if (n > first) {
            System.arraycopy(src, srcOffset + first, ring, 0, n - first);
        }
        length += n;
        return n;
    }

    private void ensureAllocated() {
        if (ring == null) {
            ring = new byte[capacity];
            memory = MemorySegment.ofArray(ring);
        }
    }

    /** Drops the first {@code n} bytes (they were acknowledged). */
    void consume(int n) {
        if (n == 0) {
            return;
        }
        head = (head + n) % ring.length;
        length -= n;
    }

    /** True when bytes [index, index+len) are stored contiguously (no wrap). */
    boolean contiguous(int index, int len) {
        int p = (head + index) % ring.length;
        return p + len <= ring.length;
    }

    /** Offset into {@link #memory()} of byte {@code index}. */
    long offsetOf(int index) {
        return (head + index) % ring.length;
    }

    MemorySegment memory() {
        return memory;
    }

    /** Copies bytes [index, index+len) into {@code dst} at {@code dstOffset}. */
    void copyTo(int index, int len, byte[] dst, int dstOffset) {
        if (len == 0) {
            return;
        }
        int p = (head + index) % ring.length;
        int first = Math.min(len, ring.length - p);
        System.arraycopy(ring, p, dst, dstOffset, first);
        if (len > first) {
            System.arraycopy(ring, 0, dst, dstOffset + first, len - first);
        }
    }
}
