package dev.chimney.link;

import dev.chimney.runtime.SeededRandom;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One direction of a virtual link: applies {@link Impairments} to each sent frame and holds the survivors until
 * their arrival time. A passive object: whoever owns the receiving port calls {@link #receive} and uses
 * {@link #nextArrivalNs()} to know when to look again, so it works under the simulator and in plain tests alike.
 *
 * <p>Memory: frames in flight are copied into a pool of {@code maxFrameBytes} slabs, allocated lazily and reused,
 * so steady-state traffic allocates nothing per frame. At most {@code maxInFlightFrames} frames can be in flight;
 * beyond that a send is refused ({@link DropReason#IN_FLIGHT_LIMIT}) rather than growing without bound.
 *
 * <p>Delivery order is by arrival time, ties by send order (duplicates right after their original), so runs
 * are deterministic. Not thread-safe: one owner.
 */
public final class ImpairedChannel {
    /** Ethernet header without (14) and with (18) one 802.1Q tag. */
    static final int ETHERNET_HEADER_BYTES = 14;
    static final int VLAN_HEADER_BYTES = 18;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final ValueLayout.OfShort U16_BE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final double NS_PER_SECOND = 1e9;

    private final String name;
    private final SeededRandom random;
    private final int portMtuBytes;
    private final int maxFrameBytes;
    private final ChannelCounters counters = new ChannelCounters();
    private Impairments impairments;
    private LinkObserver observer;
    private boolean closed;

    // Slab pool: slot i holds one frame in flight. Slabs are allocated on first use and then reused.
    private final byte[][] slabs;
    private final MemorySegment[] slabSegments;
    /** Last exact-length view of each slab: bulk traffic repeats lengths, so delivery usually reuses it. */
    private final MemorySegment[] lengthViews;
    private final int[] lengths;
    private final int[] freeSlots;
    private int freeCount;

    // Min-heap of in-flight frames keyed by (arrivalNs, sequence).
    private final long[] heapArrivalNs;
    private final long[] heapSequence;
    private final int[] heapSlot;
    private int heapSize;
    private long sequence;

    // Rate limiter and order-preserving jitter state.
    private long lineFreeAtNs = Long.MIN_VALUE;
    private long lastInOrderArrivalNs = Long.MIN_VALUE;

    /**
     * @param name              used in counters, observers and error messages
     * @param random            this direction's own stream (fork it per direction so runs replay exactly)
     * @param impairments       initial impairments (may be changed with {@link #impairments(Impairments)})
     * @param portMtuBytes      largest Ethernet payload the ports accept; larger frames are refused locally
     * @param maxInFlightFrames bound on frames in flight (pool size)
     */
    public ImpairedChannel(String name, SeededRandom random, Impairments impairments, int portMtuBytes,
                           int maxInFlightFrames) {
        if (portMtuBytes < 68 || portMtuBytes > 65535) {
            throw new IllegalArgumentException("portMtuBytes must be in [68, 65535] (RFC 791 minimum), got "
                    + portMtuBytes);
        }
        if (maxInFlightFrames <= 0) {
            throw new IllegalArgumentException("maxInFlightFrames must be positive, got " + maxInFlightFrames);
        }
        this.name = name;
        this.random = random;
        this.impairments = java.util.Objects.requireNonNull(impairments, "impairments (use Impairments.NONE)");
        this.portMtuBytes = portMtuBytes;
        this.maxFrameBytes = portMtuBytes + VLAN_HEADER_BYTES;
        this.slabs = new byte[maxInFlightFrames][];
        this.slabSegments = new MemorySegment[maxInFlightFrames];
        this.lengthViews = new MemorySegment[maxInFlightFrames];
        this.lengths = new int[maxInFlightFrames];
        this.freeSlots = new int[maxInFlightFrames];
        for (int i = 0; i < maxInFlightFrames; i++) {
            freeSlots[i] = maxInFlightFrames - 1 - i;
        }
        this.freeCount = maxInFlightFrames;
        this.heapArrivalNs = new long[maxInFlightFrames];
        this.heapSequence = new long[maxInFlightFrames];
        this.heapSlot = new int[maxInFlightFrames];
    }

    public String name() {
        return name;
    }

    public ChannelCounters counters() {
        return counters;
    }

    public Impairments impairments() {
        return impairments;
    }

    /** Changes the impairments for frames sent from now on (frames already in flight keep their fate). */
    public void impairments(Impairments impairments) {
        this.impairments = java.util.Objects.requireNonNull(impairments, "impairments (use Impairments.NONE)");
    }

    /** Sets (or clears, with null) the observer of this direction. */
    public void observer(LinkObserver observer) {
        this.observer = observer;
    }

    public int portMtuBytes() {
        return portMtuBytes;
    }

    /** Frames currently in flight (scheduled, not yet received). */
    public int inFlight() {
        return heapSize;
    }

    /** After close, sends are refused and nothing more is delivered; frames in flight are discarded. */
    public void close() {
        closed = true;
        while (heapSize > 0) {
            releaseSlot(popMin());
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Offers one frame at time {@code nowNs}; the bytes are copied before this returns.
     *
     * @return false only when refused locally (runt, larger than the port MTU, pool exhausted, closed); frames
     *         lost to impairments return true, as on a real network the sender cannot tell
     */
    public boolean send(MemorySegment frame, long nowNs) {
        long size = frame.byteSize();
        counters.framesSent++;
        counters.bytesSent += size;
        LinkObserver obs = observer;
        if (obs != null) {
            obs.onSend(name, nowNs, frame);
        }
        if (closed) {
            return drop(frame, nowNs, DropReason.CLOSED, false);
        }
        if (size < ETHERNET_HEADER_BYTES) {
            return drop(frame, nowNs, DropReason.RUNT, false);
        }
        int payloadBytes = payloadBytes(frame);
        if (payloadBytes > portMtuBytes) {
            return drop(frame, nowNs, DropReason.OVERSIZE, false);
        }
        if (freeCount == 0) {
            return drop(frame, nowNs, DropReason.IN_FLIGHT_LIMIT, false);
        }
        Impairments imp = impairments;
        if (imp.mtuBytes() > 0 && payloadBytes > imp.mtuBytes()) {
            return drop(frame, nowNs, DropReason.MTU, true);
        }
        if (random.chance(imp.lossProbability())) {
            return drop(frame, nowNs, DropReason.LOSS, true);
        }
        long departNs = nowNs;
        if (imp.rateBitsPerSecond() > 0) {
            long startNs = Math.max(nowNs, lineFreeAtNs);
            double bytesPerNs = imp.rateBitsPerSecond() / 8.0 / NS_PER_SECOND;
            // Bytes still waiting for the line at nowNs: the fluid backlog of the FIFO ahead of this frame.
            long backlogBytes = (long) Math.ceil((startNs - nowNs) * bytesPerNs);
            if (backlogBytes + size > imp.queueLimitBytes()) {
                return drop(frame, nowNs, DropReason.QUEUE, true);
            }
            long serializationNs = (long) Math.ceil(size * 8 * NS_PER_SECOND / imp.rateBitsPerSecond());
            departNs = startNs + serializationNs;
            lineFreeAtNs = departNs;
        }
        long arrivalNs = departNs + imp.delayNs();
        if (imp.jitterNs() > 0) {
            arrivalNs += random.nextLong(imp.jitterNs() + 1);
        }
        boolean heldBack = random.chance(imp.reorderProbability());
        if (heldBack) {
            arrivalNs += imp.reorderDelayNs();
            counters.framesReordered++;
        } else {
            // Jitter never reorders: an in-order frame arrives no earlier than the in-order frame before it.
            arrivalNs = Math.max(arrivalNs, lastInOrderArrivalNs);
            lastInOrderArrivalNs = arrivalNs;
        }
        int slot = copyIn(frame);
        if (random.chance(imp.corruptProbability())) {
            int bit = random.nextInt((int) size * 8);
            slabs[slot][bit >>> 3] ^= (byte) (1 << (bit & 7));
            counters.framesCorrupted++;
        }
        push(arrivalNs, slot);
        if (random.chance(imp.duplicateProbability())) {
            // The copy exists from here on: it is counted as duplicated, then delivered or dropped like any frame,
            // so sent + duplicated == delivered + dropped + in flight always holds.
            counters.framesDuplicated++;
            if (freeCount == 0) {
                counters.dropped[DropReason.IN_FLIGHT_LIMIT.ordinal()]++;
            } else {
                int copy = takeSlot();
                System.arraycopy(slabs[slot], 0, slabs[copy], 0, (int) size);
                lengths[copy] = (int) size;
                push(arrivalNs, copy);
            }
        }
        return true;
    }

    /**
     * Places a frame directly in the receive queue, arriving at {@code arrivalNs}, bypassing impairments (for tests
     * that need an exact frame at an exact time).
     *
     * @return false if refused (runt, oversize, pool exhausted, closed); the drop is counted
     */
    public boolean inject(MemorySegment frame, long arrivalNs) {
        long size = frame.byteSize();
        if (closed) {
            return drop(frame, arrivalNs, DropReason.CLOSED, false);
        }
        if (size < ETHERNET_HEADER_BYTES) {
            return drop(frame, arrivalNs, DropReason.RUNT, false);
        }
        if (size > maxFrameBytes) {
            return drop(frame, arrivalNs, DropReason.OVERSIZE, false);
        }
        if (freeCount == 0) {
            return drop(frame, arrivalNs, DropReason.IN_FLIGHT_LIMIT, false);
        }
        push(arrivalNs, copyIn(frame));
        counters.framesInjected++;
        return true;
    }

    /** Arrival time of the next frame, or {@link Long#MAX_VALUE} when nothing is in flight. */
    public long nextArrivalNs() {
        return heapSize == 0 ? Long.MAX_VALUE : heapArrivalNs[0];
    }

    /**
     * Hands up to {@code budget} frames whose arrival time is at or before {@code nowNs} to {@code sink}, in arrival
     * order. The segment is valid only during the call.
     *
     * @return the number of frames delivered
     */
    public int receive(FrameSink sink, int budget, long nowNs) {
        int delivered = 0;
        while (delivered < budget && heapSize > 0 && heapArrivalNs[0] <= nowNs) {
            int slot = popMin();
            MemorySegment view = viewOf(slot);
            counters.framesDelivered++;
            counters.bytesDelivered += lengths[slot];
            delivered++;
            try {
                LinkObserver obs = observer;
                if (obs != null) {
                    obs.onDeliver(name, nowNs, view);
                }
                sink.onFrame(view);
            } finally {
                // The slot is reusable only after the sink returned: the sink saw it as a borrowed view.
                releaseSlot(slot);
            }
        }
        return delivered;
    }

    /** Ethernet payload length: frame minus the header (and one 802.1Q tag when present). */
    static int payloadBytes(MemorySegment frame) {
        int size = (int) frame.byteSize();
        if (size >= VLAN_HEADER_BYTES && Short.toUnsignedInt(frame.get(U16_BE, 12)) == ETHERTYPE_VLAN) {
            return size - VLAN_HEADER_BYTES;
        }
        return size - ETHERNET_HEADER_BYTES;
    }

    private boolean drop(MemorySegment frame, long nowNs, DropReason reason, boolean result) {
        counters.dropped[reason.ordinal()]++;
        LinkObserver obs = observer;
        if (obs != null) {
            obs.onDrop(name, nowNs, frame, reason);
        }
        return result;
    }

    private int copyIn(MemorySegment frame) {
        int slot = takeSlot();
        int size = (int) frame.byteSize();
        MemorySegment.copy(frame, 0, slabSegments[slot], 0, size);
        lengths[slot] = size;
        return slot;
    }

    private int takeSlot() {
        int slot = freeSlots[--freeCount];
        if (slabs[slot] == null) {
            slabs[slot] = new byte[maxFrameBytes];
            slabSegments[slot] = MemorySegment.ofArray(slabs[slot]);
        }
        return slot;
    }

    private void releaseSlot(int slot) {
        freeSlots[freeCount++] = slot;
    }

    private MemorySegment viewOf(int slot) {
        MemorySegment view = lengthViews[slot];
        if (view == null || view.byteSize() != lengths[slot]) {
            view = slabSegments[slot].asSlice(0, lengths[slot]);
            lengthViews[slot] = view;
        }
        return view;
    }

    // ---- binary min-heap on (arrivalNs, sequence) ----

    private void push(long arrivalNs, int slot) {
        int i = heapSize++;
        heapArrivalNs[i] = arrivalNs;
        heapSequence[i] = sequence++;
        heapSlot[i] = slot;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!less(i, parent)) {
                break;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private int popMin() {
        int slot = heapSlot[0];
        heapSize--;
        if (heapSize > 0) {
            heapArrivalNs[0] = heapArrivalNs[heapSize];
            heapSequence[0] = heapSequence[heapSize];
            heapSlot[0] = heapSlot[heapSize];
            int i = 0;
            while (true) {
                int l = 2 * i + 1;
                if (l >= heapSize) {
                    break;
                }
                int c = l + 1 < heapSize && less(l + 1, l) ? l + 1 : l;
                if (!less(c, i)) {
                    break;
                }
                swap(i, c);
                i = c;
            }
        }
        return slot;
    }

    private boolean less(int a, int b) {
        if (heapArrivalNs[a] != heapArrivalNs[b]) {
            return heapArrivalNs[a] < heapArrivalNs[b];
        }
        return heapSequence[a] < heapSequence[b];
    }

    private void swap(int a, int b) {
        long t = heapArrivalNs[a];
        heapArrivalNs[a] = heapArrivalNs[b];
        heapArrivalNs[b] = t;
        t = heapSequence[a];
        heapSequence[a] = heapSequence[b];
        heapSequence[b] = t;
        int s = heapSlot[a];
        heapSlot[a] = heapSlot[b];
        heapSlot[b] = s;
    }
}
