package dev.chimney.link;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One direction of a {@link LoopBridge}: a bounded single-producer / single-consumer ring of frame slots (a Lamport
 * queue). The producer is the loop that owns the sending port, the consumer the loop that owns the receiving one;
 * they may run on different threads. No locks: the producer publishes a slot by writing {@code tail}, the consumer
 * frees slots by writing {@code head}, and each side caches the other's index so it reads it only when its cached
 * view says the ring is full (producer) or empty (consumer).
 *
 * <p>Slots are preallocated {@code byte[]}s that grow (and stay grown) when a larger frame comes, so steady traffic
 * allocates nothing. Each slot starts with a small header carrying the frame's metadata:
 * <pre>
 *  0      4      8      10     12     14    15    16
 *  +------+------+------+------+------+-----+-----+----------------------+
 *  |frame |rx seg|tcp   |hdrs  |seg   |flags|csum | frame bytes ...      |
 *  |bytes |bytes |offset|bytes |payld |     |state|                      |
 *  +------+------+------+------+------+-----+-----+----------------------+
 * </pre>
 * (native byte order; {@code hdrs}, {@code tcp offset} and {@code seg payld} are the {@link
 * NetworkPort#transmitSegmented} parameters when flag {@link #FLAG_SEGMENTED} is set).
 *
 * <p>Index and counter cells live in one padded {@code long[]}: each published index on a cache line of its own, each
 * side's private cells and counters on another, so per frame the threads share only the lines they must.
 *
 * <p>Idle handshake (so a busy consumer is never woken, and an idle one always is): before it reports "nothing
 * queued" to a loop about to idle, the consumer sets {@code idle} and reads {@code tail} again; after publishing,
 * the producer reads {@code idle} and, if set, clears it and wakes the consumer. Both pairs are volatile accesses,
 * so at least one side sees the other's write (the Dekker pattern, as in {@code ParkingWaiter}): either the
 * consumer sees the new frame, or the producer sees the flag.
 */
final class FrameRing {
    static final int HEADER_BYTES = 16;
    static final int FRAME_BYTES_OFFSET = 0;
    static final int RX_SEGMENT_BYTES_OFFSET = 4;
    static final int TCP_OFFSET_OFFSET = 8;
    static final int HEADERS_BYTES_OFFSET = 10;
    static final int SEGMENT_PAYLOAD_OFFSET = 12;
    static final int FLAGS_OFFSET = 14;
    static final int CHECKSUM_STATE_OFFSET = 15;
    /** The frame was sent with {@link NetworkPort#transmitSegmented}: the TCP fields in the header are valid. */
    static final int FLAG_SEGMENTED = 1;
    /** With {@link #FLAG_SEGMENTED}: an IPv6 frame. */
    static final int FLAG_IPV6 = 2;

    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.nativeOrder());
    /**
     * Unused bytes after each slot's frame area: slot buffers are allocated one after another, and without this the
     * end of one slot (read by the consumer) could share a cache line with the next slot's header (written by the
     * producer).
     */
    private static final int SLOT_TAIL_PADDING_BYTES = 64;
    /** Slot capacity steps: growth rounds up to this, so a slowly growing frame size does not regrow every time. */
    private static final int GROWTH_STEP_BYTES = 2048;

    // Cell indexes, 16 longs (128 bytes: two cache lines, beyond adjacent-line prefetch) between groups. The two
    // published indexes and the idle flag each have a line to themselves, so the other side's polling reads of one
    // never contend with the owner's per-frame counter writes, which live on the owner's private line.
    /** Producer: next index to write, published to the consumer. */
    static final int TAIL = 16;
    /** Consumer: next index to read, published to the producer (slots before it are free). */
    static final int HEAD = 32;
    /** 1 while the consumer has announced it found the ring empty (may go idle); cleared by the waking producer. */
    private static final int IDLE = 48;
    /** Producer-private: last value of HEAD read. */
    private static final int HEAD_CACHE = 64;
    static final int SENT_FRAMES = 65;
    static final int SENT_BYTES = 66;
    static final int SENT_SEGMENTED = 67;
    static final int WAKEUPS = 68;
    static final int DROP_RUNT = 69;
    static final int DROP_OVERSIZE = 70;
    static final int DROP_FULL = 71;
    static final int DROP_CLOSED = 72;
    /** Consumer-private: last value of TAIL read. */
    private static final int TAIL_CACHE = 80;
    static final int DELIVERED_FRAMES = 81;
    static final int DELIVERED_BYTES = 82;
    static final int DISCARDED = 83;
    private static final int CELLS = 96 + 16;

    private final String name;
    private final int capacity;
    private final int mask;
    private final int maxFrameBytes;
    private final long[] cells = new long[CELLS];
    /** Slot buffers; replaced by the producer (before publishing the slot) when a frame needs a bigger one. */
    private final byte[][] slots;
    /** Whole-slot segments over {@link #slots}, replaced with them. */
    private final MemorySegment[] slotSegments;

    // Consumer-private: per slot, the last VIEW_WAYS exact-length views handed to the sink, so the few frame sizes
    // real traffic repeats (full segments, pure ACKs, small requests) are delivered without creating a view per
    // frame. A size the slot has not carried recently costs one view object.
    private static final int VIEW_WAYS = 4;
    private final MemorySegment[] views;
    private final byte[][] viewBuffers;
    private final int[] viewLengths;
    /** Per slot, the way the next new view replaces (round robin). */
    private final byte[] viewVictim;

    /**
     * @param capacity          slots, a power of two
     * @param initialFrameBytes frame bytes each slot holds before it has to grow
     * @param maxFrameBytes     largest frame a slot may grow to
     */
    FrameRing(String name, int capacity, int initialFrameBytes, int maxFrameBytes) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("ring capacity must be a power of two >= 2, got " + capacity);
        }
        this.name = name;
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.maxFrameBytes = maxFrameBytes;
        this.slots = new byte[capacity][];
        this.slotSegments = new MemorySegment[capacity];
        for (int i = 0; i < capacity; i++) {
            slots[i] = new byte[HEADER_BYTES + initialFrameBytes + SLOT_TAIL_PADDING_BYTES];
            slotSegments[i] = MemorySegment.ofArray(slots[i]);
        }
        this.views = new MemorySegment[VIEW_WAYS * capacity];
        this.viewBuffers = new byte[VIEW_WAYS * capacity][];
        this.viewLengths = new int[VIEW_WAYS * capacity];
        this.viewVictim = new byte[capacity];
    }

    String name() {
        return name;
    }

    int capacity() {
        return capacity;
    }

    // ------------------------------------------------------------------------------------------------ producer side

    /**
     * Copies {@code frame} into the next free slot with its header and publishes it.
     *
     * @return false if the ring is full (nothing written; the caller counts the drop)
     */
    boolean offer(MemorySegment frame, int frameBytes, int rxSegmentBytes, int tcpOffset, int headersBytes,
            int segmentPayloadBytes, int flags, int checksumState) {
        long t = cells[TAIL];
        if (t - cells[HEAD_CACHE] >= capacity) {
            cells[HEAD_CACHE] = (long) CELL.getAcquire(cells, HEAD);
            if (t - cells[HEAD_CACHE] >= capacity) {
                return false;
            }
        }
        int index = (int) t & mask;
        byte[] slot = slots[index];
        MemorySegment whole = slotSegments[index];
        if (slot.length < HEADER_BYTES + frameBytes + SLOT_TAIL_PADDING_BYTES) {
            int grown = Math.min(maxFrameBytes, (frameBytes + GROWTH_STEP_BYTES - 1) / GROWTH_STEP_BYTES
                    * GROWTH_STEP_BYTES);
            slot = new byte[HEADER_BYTES + Math.max(grown, frameBytes) + SLOT_TAIL_PADDING_BYTES];
            whole = MemorySegment.ofArray(slot);
            slots[index] = slot;
            slotSegments[index] = whole;
        }
        MemorySegment.copy(frame, 0, whole, HEADER_BYTES, frameBytes);
        I32.set(slot, FRAME_BYTES_OFFSET, frameBytes);
        I32.set(slot, RX_SEGMENT_BYTES_OFFSET, rxSegmentBytes);
        I16.set(slot, TCP_OFFSET_OFFSET, (short) tcpOffset);
        I16.set(slot, HEADERS_BYTES_OFFSET, (short) headersBytes);
        I16.set(slot, SEGMENT_PAYLOAD_OFFSET, (short) segmentPayloadBytes);
        slot[FLAGS_OFFSET] = (byte) flags;
        slot[CHECKSUM_STATE_OFFSET] = (byte) checksumState;
        // Volatile, not just release: the idle check that follows (consumerNeedsWakeup) must not be done before it
        // (Dekker, class comment).
        CELL.setVolatile(cells, TAIL, t + 1);
        cells[SENT_FRAMES]++;
        cells[SENT_BYTES] += frameBytes;
        return true;
    }

    /**
     * After {@link #offer}: true when the consumer had announced it found the ring empty, so it may be idle and must
     * be woken. Clears the announcement, so one frame wakes it once.
     */
    boolean consumerNeedsWakeup() {
        if ((long) CELL.getVolatile(cells, IDLE) != 0 && CELL.compareAndSet(cells, IDLE, 1L, 0L)) {
            cells[WAKEUPS]++;
            return true;
        }
        return false;
    }

    /** Counts a frame the producer refused before it reached the ring. */
    void countRefused(int dropCell, long frameBytes) {
        cells[SENT_FRAMES]++;
        cells[SENT_BYTES] += frameBytes;
        cells[dropCell]++;
    }

    void countSegmented() {
        cells[SENT_SEGMENTED]++;
    }

    // ------------------------------------------------------------------------------------------------ consumer side

    /** Frames queued and not yet consumed, as far as the consumer can tell. */
    int available() {
        long h = cells[HEAD];
        long t = cells[TAIL_CACHE];
        if (t == h) {
            t = (long) CELL.getAcquire(cells, TAIL);
            cells[TAIL_CACHE] = t;
        }
        return (int) (t - h);
    }

    /**
     * Announces that the consumer found the ring empty and may go idle, then looks again.
     *
     * @return true when the ring is still empty (the producer will wake the consumer for the next frame)
     */
    boolean emptyAfterAnnouncingIdle() {
        if ((long) CELL.getVolatile(cells, IDLE) == 0) {
            CELL.setVolatile(cells, IDLE, 1L);
        }
        long t = (long) CELL.getVolatile(cells, TAIL);
        cells[TAIL_CACHE] = t;
        return t == cells[HEAD];
    }

    /** The consumer is busy again: a producer need not wake it (the consumer announces again before idling). */
    void clearIdle() {
        if ((long) CELL.getOpaque(cells, IDLE) != 0) {
            CELL.setOpaque(cells, IDLE, 0L);
        }
    }

    /** Index of the oldest unconsumed frame (consumer's own view). */
    long head() {
        return cells[HEAD];
    }

    /** The slot buffer holding frame {@code sequence} (valid until {@link #release} passes it). */
    byte[] slot(long sequence) {
        return slots[(int) sequence & mask];
    }

    static int frameBytes(byte[] slot) {
        return (int) I32.get(slot, FRAME_BYTES_OFFSET);
    }

    static int rxSegmentBytes(byte[] slot) {
        return (int) I32.get(slot, RX_SEGMENT_BYTES_OFFSET);
    }

    static int tcpOffset(byte[] slot) {
        return Short.toUnsignedInt((short) I16.get(slot, TCP_OFFSET_OFFSET));
    }

    static int headersBytes(byte[] slot) {
        return Short.toUnsignedInt((short) I16.get(slot, HEADERS_BYTES_OFFSET));
    }

    static int segmentPayloadBytes(byte[] slot) {
        return Short.toUnsignedInt((short) I16.get(slot, SEGMENT_PAYLOAD_OFFSET));
    }

    static int flags(byte[] slot) {
        return slot[FLAGS_OFFSET] & 0xFF;
    }

    static int checksumState(byte[] slot) {
        return slot[CHECKSUM_STATE_OFFSET] & 0xFF;
    }

    /** An exact-length view of frame {@code sequence}'s bytes, reused when the slot carried this length recently. */
    MemorySegment view(long sequence, byte[] slot, int frameBytes) {
        int index = (int) sequence & mask;
        int base = VIEW_WAYS * index;
        for (int w = base; w < base + VIEW_WAYS; w++) {
            if (viewLengths[w] == frameBytes && viewBuffers[w] == slot) {
                return views[w];
            }
        }
        int victim = base + viewVictim[index];
        viewVictim[index] = (byte) ((viewVictim[index] + 1) % VIEW_WAYS);
        MemorySegment v = slotSegments[index].asSlice(HEADER_BYTES, frameBytes);
        views[victim] = v;
        viewBuffers[victim] = slot;
        viewLengths[victim] = frameBytes;
        return v;
    }

    /** Frees every slot before {@code newHead} for the producer; counts {@code frames} and {@code bytes} delivered. */
    void release(long newHead, int frames, long bytes) {
        cells[DELIVERED_FRAMES] += frames;
        cells[DELIVERED_BYTES] += bytes;
        CELL.setRelease(cells, HEAD, newHead);
    }

    /** Drops everything queued (the link went down); returns how many frames. */
    int discardAll() {
        long h = cells[HEAD];
        long t = (long) CELL.getAcquire(cells, TAIL);
        cells[TAIL_CACHE] = t;
        if (t == h) {
            return 0;
        }
        cells[DISCARDED] += t - h;
        CELL.setRelease(cells, HEAD, t);
        return (int) (t - h);
    }

    // ------------------------------------------------------------------------------------------------ any thread

    /** A counter cell, readable from any thread (exact once both sides are quiet). */
    long read(int cell) {
        return (long) CELL.getOpaque(cells, cell);
    }

    /** Frames in the ring now (a snapshot when read from a third thread). */
    int queued() {
        return (int) (read(TAIL) - read(HEAD));
    }
}
