package dev.chimney.tcp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Received bytes: first the in-order bytes the application has not read ("readable", they end at RCV.NXT), then
 * room for out-of-order bytes stored in place at their distance from RCV.NXT, tracked by an {@link
 * OutOfOrderRanges}. One preallocated ring; no allocation per segment.
 */
final class ReceiveBuffer {
    private int capacity;
    /** Allocated when the first byte arrives: half-open and send-only connections cost no receive memory. */
    private byte[] ring;
    private int head;
    private int readable;

    ReceiveBuffer(int capacity) {
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    /**
     * Raises the capacity (an InitialRcvWnd update, spec §2.6); never shrinks it. Stored bytes — readable and
     * out of order — keep their distance from the first readable byte.
     */
    void grow(int newCapacity) {
        if (newCapacity <= capacity) {
            return;
        }
        if (ring != null) {
            byte[] bigger = new byte[newCapacity];
            int first = ring.length - head;
            System.arraycopy(ring, head, bigger, 0, first);
            System.arraycopy(ring, 0, bigger, first, head);
            ring = bigger;
            head = 0;
        }
        capacity = newCapacity;
    }

    /** Bytes of backing storage allocated so far (0 until first use). */
    int allocatedBytes() {
        return ring == null ? 0 : ring.length;
    }

    /** In-order bytes waiting for the application. */
    int readable() {
        return readable;
    }

    /** Bytes that may still arrive beyond RCV.NXT (out-of-order storage included). */
    int free() {
        return capacity - readable;
    }

    /** Stores {@code len} bytes that sit {@code distance} bytes after RCV.NXT; caller ensures they fit. */
    void store(int distance, MemorySegment src, long srcOffset, int len) {
        if (len == 0) {
            return;
        }
        if (ring == null) {
            ring = new byte[capacity];
        }
        int p = (head + readable + distance) % ring.length;
        int first = Math.min(len, ring.length - p);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset, ring, p, first);
        if (len > first) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset + first, ring, 0, len - first);
        }
    }

    /**
     * Appends {@code len} bytes of a heap array to the readable bytes (the chimney host's delivery of data an
     * offload target received, {@link TcpConnection#deliverReceived}); caller ensures they fit ({@link #free()}).
     * Out-of-order storage is not consulted: a parked connection keeps none of its own.
     */
    void append(byte[] src, int off, int len) {
        if (len == 0) {
            return;
        }
        if (ring == null) {
            ring = new byte[capacity];
        }
        int p = (head + readable) % ring.length;
        int first = Math.min(len, ring.length - p);
        System.arraycopy(src, off, ring, p, first);
        if (len > first) {
            System.arraycopy(src, off + first, ring, 0, len - first);
        }
        readable += len;
    }

    /** RCV.NXT advanced by {@code n}: those stored bytes become readable. */
    void commit(int n) {
        readable += n;
    }

    /** Copies up to {@code len} readable bytes out; returns the count. */
    int read(byte[] dst, int off, int len) {
        int n = Math.min(len, readable);
        if (n <= 0) {
            return 0;
        }
        peek(0, n, dst, off);
        head = (head + n) % ring.length;
        readable -= n;
        return n;
    }

    /** Drops up to {@code len} readable bytes unread; returns the count. */
    int skip(int len) {
        int n = Math.min(len, readable);
        if (n <= 0) {
            return 0;
        }
        head = (head + n) % ring.length;
        readable -= n;
        return n;
    }

    /** Copies bytes at {@code index} from the first readable byte (readable or out-of-order area). */
    void peek(int index, int len, byte[] dst, int off) {
        if (len == 0) {
            return;
        }
        int p = (head + index) % ring.length;
        int first = Math.min(len, ring.length - p);
        System.arraycopy(ring, p, dst, off, first);
        if (len > first) {
            System.arraycopy(ring, 0, dst, off + first, len - first);
        }
    }
}
