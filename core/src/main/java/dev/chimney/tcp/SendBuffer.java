package dev.chimney.tcp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Bytes the application wrote and the peer has not yet acknowledged: index 0 is the byte at SND.UNA. A ring over
 * one array, with two sizes:
 * <ul>
 *   <li>the <em>capacity</em>, how much the application may have queued (SO_SNDBUF as Linux autotunes it): it starts
 *       at {@link TcpConfig.Builder#initialSendBufferBytes} and is raised by {@link #expandTo} — the connection
 *       asks for twice its congestion window, as Linux's tcp_sndbuf_expand does — up to the maximum, {@link
 *       TcpConfig.Builder#sendBufferBytes}; it never shrinks;
 *   <li>the <em>storage</em>, the array itself: taken from the stack's {@link BufferPool} when the first byte is
 *       written, at least {@link BufferPool#MIN_BYTES}, doubled (by copying) when what is stored outgrows it, and
 *       given back when the buffer empties — into the pool, or to the garbage collector if the pool is full and
 *       the array is no larger than the initial capacity or no more writes can come (the FIN is queued) — so a
 *       short response costs one small recycled array and an idle or TIME_WAIT connection holds none.
 * </ul>
 * Writing, transmitting and acknowledging allocate nothing once the storage has its size.
 */
final class SendBuffer {
    private final BufferPool pool;
    private int capacity;
    private int maxCapacity;
    private byte[] ring;
    private MemorySegment memory;
    private int head;
    private int length;
    /** No more writes will come: the storage goes back as soon as the buffer is empty. */
    private boolean finished;
    /** Size of the storage last given back, taken again at once so a refill does not regrow step by step. */
    private int lastRingLength;
    /**
     * Storage up to this size (the initial capacity's) is given back whenever the buffer empties, even to the
     * garbage collector when the pool is full: an idle connection then holds nothing, and such a ring is cheap to
     * take again. A larger one — a bulk connection's — goes back early only into the pool, so a bulk flow that
     * drains its buffer between writes does not make garbage.
     */
    private final int smallRing;

    /** A fixed-size buffer with storage of its own (tests). */
    SendBuffer(int capacity) {
        this(capacity, capacity, new BufferPool(0));
    }

    SendBuffer(int initialCapacity, int maxCapacity, BufferPool pool) {
        this.capacity = Math.min(initialCapacity, maxCapacity);
        this.maxCapacity = maxCapacity;
        this.pool = pool;
        this.smallRing = Math.max(BufferPool.MIN_BYTES, this.capacity);
    }

    /** Most bytes that may be queued now. */
    int capacity() {
        return capacity;
    }

    /** Largest capacity {@link #expandTo} may reach. */
    int maxCapacity() {
        return maxCapacity;
    }

    /** Raises the capacity towards {@code bytes}, never beyond the maximum and never down. */
    void expandTo(int bytes) {
        capacity = Math.max(capacity, Math.min(bytes, maxCapacity));
    }

    /** Bytes of backing storage held now (0 before the first write and whenever the storage was given back). */
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
        reserve(length + n);
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
        reserve(length + n);
        int tail = (head + length) % ring.length;
        int first = Math.min(n, ring.length - tail);
        System.arraycopy(src, srcOffset, ring, tail, first);
        if (n > first) {
            System.arraycopy(src, srcOffset + first, ring, 0, n - first);
        }
        length += n;
        return n;
    }

    /** Makes the storage hold at least {@code needed} bytes, keeping what is queued. */
    private void reserve(int needed) {
        if (ring != null && ring.length >= needed) {
            return;
        }
        // a refill takes the size the buffer had; a full one doubles, so growing costs copying linear in the size
        int want = ring == null ? Math.max(needed, lastRingLength)
                : (int) Math.max(needed, Math.min(2L * ring.length, maxCapacity));
        byte[] bigger = pool.take(want, maxCapacity);
        MemorySegment biggerMemory = pool.takenSegment();
        if (ring != null) {
            copyTo(0, length, bigger, 0);
            pool.offer(ring, memory);
        }
        ring = bigger;
        memory = biggerMemory;
        head = 0;
    }

    /** Drops the first {@code n} bytes (they were acknowledged). */
    void consume(int n) {
        if (n == 0) {
            return;
        }
        head = (head + n) % ring.length;
        length -= n;
        if (length == 0) {
            head = 0;
            release(finished || ring.length <= smallRing);
        }
    }

    /** No more bytes will be written (a FIN is queued, or the connection closed): give the storage back when empty. */
    void finish() {
        finished = true;
        if (length == 0) {
            release(true);
        }
    }

    /** Gives an empty buffer's storage back: into the pool if it has room, else (when {@code drop}) to the GC. */
    private void release(boolean drop) {
        if (ring == null) {
            return;
        }
        if (pool.offer(ring, memory) || drop) {
            lastRingLength = ring.length;
            ring = null;
            memory = null;
        }
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

    /** The storage as a memory segment (made once per array and kept with it in the pool). */
    MemorySegment memory() {
        if (memory == null) {
            memory = MemorySegment.ofArray(ring);
        }
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
