package dev.chimney.tcp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Received bytes: first the in-order bytes the application has not read ("readable", they end at RCV.NXT), then
 * room for out-of-order bytes stored in place at their distance from RCV.NXT, tracked by an {@link
 * OutOfOrderRanges}. A ring with two sizes:
 * <ul>
 *   <li>the <em>capacity</em>, what the advertised window may cover (readable bytes plus window): it starts at
 *       {@link TcpConfig.Builder#initialReceiveBufferBytes} and grows by dynamic right-sizing ({@link #autotune},
 *       Linux's tcp_rcv_space_adjust, after Fisk and Feng's DRS) to twice what the application reads per round
 *       trip, up to the maximum, {@link TcpConfig.Builder#receiveBufferBytes} — so only a connection that moves
 *       data fast gets a large window. It never shrinks: the window's right edge never moves left (RFC 9293
 *       §3.8.6.2.2);
 *   <li>the <em>storage</em>, the array itself: taken from the stack's {@link BufferPool} when the first byte
 *       arrives, at least {@link BufferPool#MIN_BYTES}, doubled (by copying) when a byte must be stored beyond it,
 *       and given back when nothing is stored — into the pool, or to the garbage collector if the pool is full
 *       and the array is no larger than the initial capacity or no more data can arrive (the peer's FIN, or
 *       closed). A window promises room, not memory: a request/response connection holds one small recycled array
 *       while it has data, and none when idle or in TIME_WAIT.
 * </ul>
 * No allocation per segment.
 */
final class ReceiveBuffer {
    /** Linux's TCP_INIT_CWND: the read rate a new connection is assumed to start from, in segments per RTT. */
    private static final int INITIAL_SPACE_SEGMENTS = 10;
    /** Slack added to the autotuned window, in segments (as Linux: 16 × advertised MSS). */
    private static final int WINDOW_SLACK_SEGMENTS = 16;

    private final BufferPool pool;
    private int capacity;
    private int maxCapacity;
    /** Taken when the first byte arrives: half-open and send-only connections cost no receive memory. */
    private byte[] ring;
    private int head;
    private int readable;
    /** Bytes from the first readable one that may hold data (readable, then out-of-order up to the farthest). */
    private int stored;
    /** No more data will arrive: the storage goes back as soon as nothing is stored. */
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

    // Dynamic right-sizing (autotune): bytes the application read, and the measurement interval in progress.
    private long readTotal;
    private long spaceReadMark;
    private long spaceStartNs;
    private boolean spaceStarted;
    /** Bytes the application read in the last completed interval (one receiver RTT): Linux's rcvq_space.space. */
    private long space;

    /** A fixed-size buffer with storage of its own (tests). */
    ReceiveBuffer(int capacity) {
        this(capacity, capacity, new BufferPool(0));
    }

    ReceiveBuffer(int initialCapacity, int maxCapacity, BufferPool pool) {
        this.capacity = Math.min(initialCapacity, maxCapacity);
        this.maxCapacity = maxCapacity;
        this.pool = pool;
        this.smallRing = Math.max(BufferPool.MIN_BYTES, this.capacity);
    }

    int capacity() {
        return capacity;
    }

    /** Largest capacity autotuning may reach; the SYN's window scale is chosen from it (RFC 7323 §2.3). */
    int maxCapacity() {
        return maxCapacity;
    }

    /**
     * Raises the capacity (an InitialRcvWnd update, spec §2.6; a window returned by an offload target); never
     * shrinks it. Stored bytes — readable and out of order — stay where they are.
     */
    void grow(int newCapacity) {
        if (newCapacity > capacity) {
            capacity = newCapacity;
            maxCapacity = Math.max(maxCapacity, newCapacity);
        }
    }

    /** Autotuning off: the capacity stays as it is (an explicit SO_RCVBUF, as Linux's SOCK_RCVBUF_LOCK). */
    void fix() {
        maxCapacity = capacity;
    }

    /** Bytes of backing storage held now (0 before the first byte and whenever the storage was given back). */
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
        int end = readable + distance + len;
        reserve(end);
        stored = Math.max(stored, end);
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
        reserve(readable + len);
        int p = (head + readable) % ring.length;
        int first = Math.min(len, ring.length - p);
        System.arraycopy(src, off, ring, p, first);
        if (len > first) {
            System.arraycopy(src, off + first, ring, 0, len - first);
        }
        readable += len;
        stored = Math.max(stored, readable);
    }

    /** Makes the storage hold at least {@code needed} bytes from the first readable one, keeping what is stored. */
    private void reserve(int needed) {
        if (ring != null && ring.length >= needed) {
            return;
        }
        // a refill takes the size the buffer had; a full one doubles, so growing costs copying linear in the size
        int want = ring == null ? Math.max(needed, lastRingLength)
                : (int) Math.max(needed, Math.min(2L * ring.length, maxCapacity));
        byte[] bigger = pool.take(want, maxCapacity);
        if (ring != null) {
            peek(0, Math.min(stored, ring.length), bigger, 0);
            pool.offer(ring, null);
        }
        ring = bigger;
        head = 0;
    }

    /** RCV.NXT advanced by {@code n}: those stored bytes become readable. */
    void commit(int n) {
        readable += n;
        stored = Math.max(stored, readable);
    }

    /** Copies up to {@code len} readable bytes out; returns the count. */
    int read(byte[] dst, int off, int len) {
        int n = Math.min(len, readable);
        if (n <= 0) {
            return 0;
        }
        peek(0, n, dst, off);
        consume(n);
        return n;
    }

    /** Drops up to {@code len} readable bytes unread; returns the count. */
    int skip(int len) {
        int n = Math.min(len, readable);
        if (n <= 0) {
            return 0;
        }
        consume(n);
        return n;
    }

    /** The application took {@code n} readable bytes; the storage goes back once nothing is stored. */
    private void consume(int n) {
        head = (head + n) % ring.length;
        readable -= n;
        stored -= n;
        readTotal += n;
        if (stored == 0) {
            head = 0;
            release(finished || ring.length <= smallRing);
        }
    }

    /** No more data will arrive (the peer's FIN, or closed): give the storage back once nothing is stored. */
    void finish() {
        finished = true;
        if (stored == 0) {
            release(true);
        }
    }

    /** Gives the storage back: into the pool if it has room, else (when {@code drop}) to the GC. */
    private void release(boolean drop) {
        if (ring == null) {
            return;
        }
        if (pool.offer(ring, null) || drop) {
            lastRingLength = ring.length;
            ring = null;
        }
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

    /**
     * Dynamic right-sizing (Linux tcp_rcv_space_adjust), run after the application read: once per receiver round
     * trip {@code rttNs}, if the application read more than in the round trip before, the capacity becomes twice
     * what it read (room for the sender to keep sending through a loss-recovery round) plus {@value
     * #WINDOW_SLACK_SEGMENTS} segments, raised further in proportion to how fast the rate grew (a sender in slow
     * start doubles per round trip, and the window advertised now governs the next round trip, not this one), up
     * to the maximum. A connection whose application reads a little per round trip — request/response, an idle
     * one, a slow reader — keeps its initial window. Returns true if the capacity grew.
     *
     * @param rttNs the receiver's round-trip estimate, or 0 while there is none (nothing changes then)
     * @param mss our advertised MSS
     */
    boolean autotune(long nowNs, long rttNs, int mss) {
        if (rttNs <= 0 || capacity >= maxCapacity) {
            return false;
        }
        if (!spaceStarted) {
            spaceStarted = true;
            spaceStartNs = nowNs;
            spaceReadMark = 0; // the first interval counts the reads so far: it may only err towards growing
            space = Math.max(1, Math.min(capacity, (long) INITIAL_SPACE_SEGMENTS * mss));
            return false;
        }
        if (nowNs - spaceStartNs < rttNs) {
            return false;
        }
        long copied = Math.min(readTotal - spaceReadMark, 1L << 30);
        boolean grew = false;
        if (copied > space) {
            long window = 2 * copied + (long) WINDOW_SLACK_SEGMENTS * mss;
            window += 2 * (window * (copied - space) / space);
            int target = (int) Math.min(window, maxCapacity);
            if (target > capacity) {
                capacity = target;
                grew = true;
            }
            space = copied;
        }
        spaceReadMark = readTotal;
        spaceStartNs = nowNs;
        return grew;
    }
}
