package dev.chimney.link;

import dev.chimney.runtime.EventLoop;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A point-to-point Ethernet link between two {@link EventLoop}s that may run on different threads: what sits between
 * a host stack and an offload target that runs on its own loop, as a PCIe ring sits between a driver and its NIC.
 * Each end, {@link #a()} and {@link #b()}, is a {@link NetworkPort} owned by its own loop; every frame one end
 * transmits is copied into a bounded single-producer / single-consumer ring ({@link FrameRing}) and handed, in
 * order, to the other end's {@link NetworkPort#receive}. No locks and, once warm, no allocation per frame.
 *
 * <p>Waking: when a frame is queued for an end whose loop announced it had nothing to do (it found its ring empty in
 * {@link Port#nextArrivalNs()}, which a loop asks through its pollables' next-work time right before it idles), the
 * sender calls that loop's {@link EventLoop#wakeup()}. A loop that is busy is never woken, and one that idles always
 * is, provided the port's owner reports {@code nextArrivalNs()} as its next-work time, as {@code IpStack} and
 * {@link PortPollable} do (a pollable that hides it leaves the loop to wake on its own timers).
 *
 * <p>Under the {@link dev.chimney.runtime.Simulator} both loops share one thread and one virtual timeline: an end
 * with frames queued reports the current time as its next arrival, so the simulator runs the receiving loop at once
 * (zero link delay); a run replays exactly from its seed.
 *
 * <p>Full ring: the frame is dropped and counted ({@link DropReason#IN_FLIGHT_LIMIT}) and {@code transmit} returns
 * false, as a NIC drops when its descriptor ring is full. Size the ring ({@link Builder#ringFrames}) for the
 * bursts the consumer may fall behind by.
 *
 * <p>Offloads pass through, so an end can front a TSO-capable device: give an end the {@link LinkOffloads} of the
 * port behind the other end ({@link Builder#aOffloads}). A frame sent with {@link Port#transmitSegmented} arrives
 * with its segmentation parameters ({@link Port#rxSegmented()} and the getters after it) and, like a GSO frame
 * read from a TAP, reports {@link NetworkPort#RX_CHECKSUM_PARTIAL} and its MSS as {@link Port#rxSegmentBytes()};
 * {@link Port#forwardTo} sends it on to a TAP with {@code transmitSegmented}. The other way, {@link Port#forward}
 * carries a received frame's checksum state and GSO size across.
 *
 * <p>Closing either end takes the link down: both ends refuse to transmit ({@link DropReason#CLOSED}, counted) and
 * frames still queued are discarded (counted), so nobody waits on a link that is gone.
 *
 * <pre>{@code
 * LoopBridge bridge = LoopBridge.builder("nic0", hostLoop, targetLoop)
 *         .aOffloads(tap.offloads())          // the host's upper port offers what the TAP offers
 *         .build();
 * host.attach(bridge.a());                    // IpStack on the host loop
 * targetLoop.register(PortPollable.of(bridge.b(), f -> bridge.b().forwardTo(tap, f)));
 * targetLoop.register(PortPollable.of(tap, f -> bridge.b().forward(f, tap.rxChecksumState(),
 *         tap.rxSegmentBytes())));
 * }</pre>
 */
public final class LoopBridge {
    /** Default MTU of both ends: standard Ethernet (RFC 894). */
    public static final int DEFAULT_MTU_BYTES = 1500;
    /** Default slots per direction. */
    public static final int DEFAULT_RING_FRAMES = 1024;
    /** Largest frame an end carries: a 64 KiB IP packet plus an 802.1Q-tagged Ethernet header. */
    public static final int MAX_FRAME_BYTES = 65_535 + 18;
    /** Ethernet header plus one 802.1Q tag: what a frame may add to the MTU. */
    private static final int L2_OVERHEAD_BYTES = 18;
    private static final int MIN_FRAME_BYTES = 14;
    /** Preallocated bytes per slot: a standard frame; larger MTUs grow slots on demand. */
    private static final int INITIAL_SLOT_FRAME_BYTES = 1536;

    private final String name;
    private final int mtuBytes;
    private final Port a;
    private final Port b;
    /** Set by the first close of either end: the link is down both ways. */
    private volatile boolean down;

    private LoopBridge(Builder builder) {
        this.name = builder.name;
        this.mtuBytes = builder.mtuBytes;
        int initial = Math.min(builder.mtuBytes + L2_OVERHEAD_BYTES, INITIAL_SLOT_FRAME_BYTES);
        FrameRing aToB = new FrameRing(name + ":a->b", builder.ringFrames, initial, MAX_FRAME_BYTES);
        FrameRing bToA = new FrameRing(name + ":b->a", builder.ringFrames, initial, MAX_FRAME_BYTES);
        this.a = new Port(this, name + ".a", builder.aLoop, builder.aOffloads, aToB, bToA);
        this.b = new Port(this, name + ".b", builder.bLoop, builder.bOffloads, bToA, aToB);
        a.peer = b;
        b.peer = a;
    }

    /** A bridge with default MTU and ring size and no offloads; end a belongs to {@code aLoop}, b to {@code bLoop}. */
    public static LoopBridge of(String name, EventLoop aLoop, EventLoop bLoop) {
        return builder(name, aLoop, bLoop).build();
    }

    public static Builder builder(String name, EventLoop aLoop, EventLoop bLoop) {
        return new Builder(name, aLoop, bLoop);
    }

    public String name() {
        return name;
    }

    /** The end owned by the first loop given to the builder. */
    public Port a() {
        return a;
    }

    /** The end owned by the second loop given to the builder. */
    public Port b() {
        return b;
    }

    /** True once either end was closed. */
    public boolean isDown() {
        return down;
    }

    @Override
    public String toString() {
        return name + " a->b{" + a.txCounters() + "} b->a{" + b.txCounters() + "}";
    }

    /** Configuration of a {@link LoopBridge}; defaults: MTU 1500, 1024 frames per direction, no offloads. */
    public static final class Builder {
        private final String name;
        private final EventLoop aLoop;
        private final EventLoop bLoop;
        private int mtuBytes = DEFAULT_MTU_BYTES;
        private int ringFrames = DEFAULT_RING_FRAMES;
        private LinkOffloads aOffloads = LinkOffloads.NONE;
        private LinkOffloads bOffloads = LinkOffloads.NONE;

        private Builder(String name, EventLoop aLoop, EventLoop bLoop) {
            this.name = Objects.requireNonNull(name, "name");
            this.aLoop = Objects.requireNonNull(aLoop, "aLoop (the loop that owns end a)");
            this.bLoop = Objects.requireNonNull(bLoop, "bLoop (the loop that owns end b)");
        }

        /** Largest L3 packet both ends carry (68..65535; RFC 791 minimum). */
        public Builder mtu(int mtuBytes) {
            if (mtuBytes < 68 || mtuBytes > 65_535) {
                throw new IllegalArgumentException("mtu must be in [68, 65535] (RFC 791 minimum), got " + mtuBytes);
            }
            this.mtuBytes = mtuBytes;
            return this;
        }

        /**
         * Slots per direction, a power of two: the most frames one end can have queued for the other. Each slot
         * holds a standard frame from the start (about 1.5 KiB) and grows to the largest frame it carried, so a ring
         * that carries 64 KiB TSO super-frames can grow to {@code frames} × 64 KiB.
         */
        public Builder ringFrames(int frames) {
            if (frames < 2 || Integer.bitCount(frames) != 1) {
                throw new IllegalArgumentException("ringFrames must be a power of two >= 2, got " + frames);
            }
            this.ringFrames = frames;
            return this;
        }

        /** The offloads end a offers its owner (e.g. those of the port the other end's owner forwards to). */
        public Builder aOffloads(LinkOffloads offloads) {
            this.aOffloads = Objects.requireNonNull(offloads, "offloads (use LinkOffloads.NONE)");
            return this;
        }

        /** The offloads end b offers its owner. */
        public Builder bOffloads(LinkOffloads offloads) {
            this.bOffloads = Objects.requireNonNull(offloads, "offloads (use LinkOffloads.NONE)");
            return this;
        }

        public LoopBridge build() {
            return new LoopBridge(this);
        }
    }

    /**
     * One end of a {@link LoopBridge}. Like every port it is used from its owner loop only ({@link #loop()}):
     * transmit, receive and the {@code rx*} getters; {@link #close()} too, or after that loop stopped.
     */
    public static final class Port implements NetworkPort {
        private final LoopBridge bridge;
        private final String name;
        private final EventLoop loop;
        private final LinkOffloads offloads;
        private final FrameRing outbound;
        private final FrameRing inbound;
        private final Counters txCounters;
        private final Counters rxCounters;
        private Port peer;
        private boolean closed;
        // Metadata of the frame being delivered (valid during FrameSink.onFrame).
        private int rxChecksumState;
        private int rxSegmentBytes;
        private int rxFlags;
        private int rxTcpOffset;
        private int rxHeaderBytes;
        private int rxSegmentPayloadBytes;

        private Port(LoopBridge bridge, String name, EventLoop loop, LinkOffloads offloads, FrameRing outbound,
                FrameRing inbound) {
            this.bridge = bridge;
            this.name = name;
            this.loop = loop;
            this.offloads = offloads;
            this.outbound = outbound;
            this.inbound = inbound;
            this.txCounters = new Counters(outbound);
            this.rxCounters = new Counters(inbound);
        }

        @Override
        public String name() {
            return name;
        }

        /** The loop that owns this end (and is woken when frames come for it). */
        public EventLoop loop() {
            return loop;
        }

        /** The other end. */
        public Port peer() {
            return peer;
        }

        @Override
        public int mtu() {
            return bridge.mtuBytes;
        }

        /** What the builder gave this end ({@link Builder#aOffloads}); {@link LinkOffloads#NONE} by default. */
        @Override
        public LinkOffloads offloads() {
            return offloads;
        }

        /**
         * Queues a copy of the frame for the other end. Refused and counted (false) when shorter than an Ethernet
         * header, longer than MTU + 18 bytes, the ring is full, or the link is down.
         */
        @Override
        public boolean transmit(MemorySegment frame) {
            long size = frame.byteSize();
            if (!admit(size, bridge.mtuBytes + L2_OVERHEAD_BYTES)) {
                return false;
            }
            return enqueue(frame, (int) size, 0, 0, 0, 0, 0, RX_CHECKSUM_UNKNOWN);
        }

        /**
         * Queues a TCP frame whose checksum (and, above {@code segmentPayloadBytes} of payload, whose segmentation)
         * is left to the port behind the other end: the other end receives it as one frame with {@link
         * #rxSegmented()} true and these parameters, so its owner can {@link #forwardTo} a TSO-capable device.
         * Allowed when {@link #offloads()} report transmit checksum offload; super-frames when they report TSO, up
         * to {@link LinkOffloads#tsoMaxBytes()} (larger ones are dropped and counted as oversize).
         */
        @Override
        public boolean transmitSegmented(MemorySegment frame, boolean ipv6, int tcpOffset, int headerBytes,
                int segmentPayloadBytes) {
            if (!offloads.txChecksum()) {
                throw new UnsupportedOperationException("port " + name + " has no checksum offload; give the bridge"
                        + " end LinkOffloads with txChecksum (Builder.aOffloads/bOffloads) or check offloads() first");
            }
            long size = frame.byteSize();
            if (segmentPayloadBytes <= 0 || segmentPayloadBytes > 0xFFFF) {
                throw new IllegalArgumentException("segmentPayloadBytes must be 1..65535, got " + segmentPayloadBytes);
            }
            if (tcpOffset < MIN_FRAME_BYTES || headerBytes <= tcpOffset || headerBytes > Math.min(size, 0xFFFF)) {
                throw new IllegalArgumentException("need 14 <= tcpOffset < headerBytes <= frame length, got tcpOffset "
                        + tcpOffset + ", headerBytes " + headerBytes + ", frame " + size + " bytes");
            }
            boolean superFrame = size - headerBytes > segmentPayloadBytes;
            if (superFrame && !offloads.tso()) {
                throw new IllegalArgumentException("port " + name + " has no segmentation offload (offloads().tso() is"
                        + " false): send at most segmentPayloadBytes of payload per frame");
            }
            if (!admit(size, superFrame ? offloads.tsoMaxBytes() : bridge.mtuBytes + L2_OVERHEAD_BYTES)) {
                return false;
            }
            int flags = FrameRing.FLAG_SEGMENTED | (ipv6 ? FrameRing.FLAG_IPV6 : 0);
            boolean sent = enqueue(frame, (int) size, superFrame ? segmentPayloadBytes : 0, tcpOffset, headerBytes,
                    segmentPayloadBytes, flags, RX_CHECKSUM_PARTIAL);
            if (sent) {
                outbound.countSegmented();
            }
            return sent;
        }

        /**
         * Queues a frame received on another port together with that port's receive metadata: the other end reports
         * {@code checksumState} as its {@link #rxChecksumState()} and {@code segmentBytes} as its {@link
         * #rxSegmentBytes()}. A GSO super-frame ({@code segmentBytes > 0}) may be up to {@link
         * LoopBridge#MAX_FRAME_BYTES}.
         *
         * @param checksumState {@link #RX_CHECKSUM_UNKNOWN}, {@link #RX_CHECKSUM_VALID} or {@link
         *                      #RX_CHECKSUM_PARTIAL}
         * @param segmentBytes  the GSO segment size of a super-frame, else 0
         */
        public boolean forward(MemorySegment frame, int checksumState, int segmentBytes) {
            if (checksumState < RX_CHECKSUM_UNKNOWN || checksumState > RX_CHECKSUM_PARTIAL) {
                throw new IllegalArgumentException("checksumState must be one of NetworkPort.RX_CHECKSUM_*, got "
                        + checksumState);
            }
            if (segmentBytes < 0 || segmentBytes > 0xFFFF) {
                throw new IllegalArgumentException("segmentBytes must be 0..65535, got " + segmentBytes);
            }
            long size = frame.byteSize();
            if (!admit(size, segmentBytes > 0 ? MAX_FRAME_BYTES : bridge.mtuBytes + L2_OVERHEAD_BYTES)) {
                return false;
            }
            return enqueue(frame, (int) size, segmentBytes, 0, 0, 0, 0, checksumState);
        }

        /** Link up, not a runt, not above {@code maxBytes}; else counts the drop and returns false. */
        private boolean admit(long size, long maxBytes) {
            if (closed || bridge.down) {
                outbound.countRefused(FrameRing.DROP_CLOSED, size);
                return false;
            }
            if (size < MIN_FRAME_BYTES) {
                outbound.countRefused(FrameRing.DROP_RUNT, size);
                return false;
            }
            if (size > maxBytes) {
                outbound.countRefused(FrameRing.DROP_OVERSIZE, size);
                return false;
            }
            return true;
        }

        private boolean enqueue(MemorySegment frame, int size, int rxSegment, int tcpOffset, int headerBytes,
                int segmentPayload, int flags, int checksumState) {
            if (!outbound.offer(frame, size, rxSegment, tcpOffset, headerBytes, segmentPayload, flags,
                    checksumState)) {
                outbound.countRefused(FrameRing.DROP_FULL, size);
                return false;
            }
            if (outbound.consumerNeedsWakeup()) {
                peer.loop.wakeup();
            }
            return true;
        }

        /**
         * Hands up to {@code budget} queued frames to the sink, oldest first. Each frame is a view of its ring slot,
         * valid only during {@link FrameSink#onFrame}; the slot is reused once this returns.
         */
        @Override
        public int receive(FrameSink sink, int budget) {
            if (closed || bridge.down) {
                inbound.discardAll();
                return 0;
            }
            int n = inbound.available();
            if (n == 0) {
                return 0; // no idle announcement here: a loop that keeps polling is busy (see nextArrivalNs)
            }
            inbound.clearIdle();
            n = Math.min(n, budget);
            long head = inbound.head();
            long next = head;
            long bytes = 0;
            try {
                for (int i = 0; i < n && !closed; i++) {
                    byte[] slot = inbound.slot(next);
                    int size = FrameRing.frameBytes(slot);
                    rxChecksumState = FrameRing.checksumState(slot);
                    rxSegmentBytes = FrameRing.rxSegmentBytes(slot);
                    rxFlags = FrameRing.flags(slot);
                    rxTcpOffset = FrameRing.tcpOffset(slot);
                    rxHeaderBytes = FrameRing.headersBytes(slot);
                    rxSegmentPayloadBytes = FrameRing.segmentPayloadBytes(slot);
                    MemorySegment view = inbound.view(next, slot, size);
                    // Consumed before the sink runs: a sink that throws must not get the same frame again.
                    next++;
                    bytes += size;
                    sink.onFrame(view);
                }
            } finally {
                inbound.release(next, (int) (next - head), bytes);
                rxChecksumState = RX_CHECKSUM_UNKNOWN;
                rxSegmentBytes = 0;
                rxFlags = 0;
            }
            return (int) (next - head);
        }

        /**
         * The owner loop's current time while frames are queued for this end, else {@link Long#MAX_VALUE} (and the
         * next frame queued wakes the loop). Under the simulator this makes the receiving loop run at once. A loop
         * asks this (through its pollables' next-work time) only when a turn found nothing to do, right before it
         * idles, so this is where the end tells the sender it may need waking.
         */
        @Override
        public long nextArrivalNs() {
            if (closed || bridge.down) {
                inbound.discardAll();
                return Long.MAX_VALUE;
            }
            if (inbound.available() > 0 || !inbound.emptyAfterAnnouncingIdle()) {
                return loop.nowNs();
            }
            return Long.MAX_VALUE;
        }

        /** The checksum state the sender gave: PARTIAL for a {@link #transmitSegmented} frame. */
        @Override
        public int rxChecksumState() {
            return rxChecksumState;
        }

        /**
         * The GSO segment size of the frame being delivered: the MSS of a super-frame sent with {@link
         * #transmitSegmented} (one carrying more payload than that), the size given to {@link #forward}, else 0.
         */
        @Override
        public int rxSegmentBytes() {
            return rxSegmentBytes;
        }

        /**
         * True when the frame being delivered was sent with {@link #transmitSegmented}: its TCP checksum is partial
         * and {@link #rxIpv6()}, {@link #rxTcpOffset()}, {@link #rxHeaderBytes()} and {@link
         * #rxSegmentPayloadBytes()} are the parameters to send it on with.
         */
        public boolean rxSegmented() {
            return (rxFlags & FrameRing.FLAG_SEGMENTED) != 0;
        }

        /** With {@link #rxSegmented()}: whether the frame is IPv6. */
        public boolean rxIpv6() {
            return (rxFlags & FrameRing.FLAG_IPV6) != 0;
        }

        /** With {@link #rxSegmented()}: where the TCP header starts in the frame. */
        public int rxTcpOffset() {
            return rxSegmented() ? rxTcpOffset : 0;
        }

        /** With {@link #rxSegmented()}: Ethernet + IP + TCP header bytes. */
        public int rxHeaderBytes() {
            return rxSegmented() ? rxHeaderBytes : 0;
        }

        /** With {@link #rxSegmented()}: the payload bytes per segment the sender asked for (its MSS). */
        public int rxSegmentPayloadBytes() {
            return rxSegmented() ? rxSegmentPayloadBytes : 0;
        }

        /**
         * Sends the frame being delivered on through {@code out} as it was sent into the bridge: with {@link
         * NetworkPort#transmitSegmented} and the same parameters when {@link #rxSegmented()}, through {@link
         * #forward} with its receive metadata when {@code out} is another bridge end, else with {@link
         * NetworkPort#transmit}. Call it from the sink, during {@link FrameSink#onFrame}.
         */
        public boolean forwardTo(NetworkPort out, MemorySegment frame) {
            if (rxSegmented()) {
                return out.transmitSegmented(frame, rxIpv6(), rxTcpOffset, rxHeaderBytes, rxSegmentPayloadBytes);
            }
            if (out instanceof Port other) {
                return other.forward(frame, rxChecksumState, rxSegmentBytes);
            }
            return out.transmit(frame);
        }

        /** What this end sent towards the other (offered, refused, delivered there). */
        public Counters txCounters() {
            return txCounters;
        }

        /** What the other end sent towards this one. */
        public Counters rxCounters() {
            return rxCounters;
        }

        /** Frames queued for this end and not yet received. */
        public int queuedForReceive() {
            return inbound.queued();
        }

        /**
         * Takes the link down: from now on both ends refuse to transmit and nothing more is delivered; frames queued
         * for this end are discarded now, those queued for the other end when it next looks. Idempotent.
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            bridge.down = true;
            inbound.discardAll();
            peer.loop.wakeup(); // so an idle peer looks, discards what it had queued and stops reporting work
        }

        @Override
        public String toString() {
            return name + " tx{" + txCounters + "} rx{" + rxCounters + "}";
        }
    }

    /**
     * Counters of one direction of a bridge. The sending end's loop writes the transmit side, the receiving end's
     * loop the delivery side; read from any thread they are a recent snapshot, exact once both loops are quiet.
     * {@code framesSent == framesDelivered + droppedTotal + queued}.
     */
    public static final class Counters {
        private final FrameRing ring;

        private Counters(FrameRing ring) {
            this.ring = ring;
        }

        /** Frames offered to the sending end (including those then refused). */
        public long framesSent() {
            return ring.read(FrameRing.SENT_FRAMES);
        }

        public long bytesSent() {
            return ring.read(FrameRing.SENT_BYTES);
        }

        /** Frames queued through {@link Port#transmitSegmented}. */
        public long segmentedSent() {
            return ring.read(FrameRing.SENT_SEGMENTED);
        }

        /** Frames handed to the receiving end's sink. */
        public long framesDelivered() {
            return ring.read(FrameRing.DELIVERED_FRAMES);
        }

        public long bytesDelivered() {
            return ring.read(FrameRing.DELIVERED_BYTES);
        }

        /** Times the sender woke the receiving loop (it had announced it was idle). */
        public long wakeups() {
            return ring.read(FrameRing.WAKEUPS);
        }

        /**
         * Frames dropped for {@code reason}: {@link DropReason#IN_FLIGHT_LIMIT} (ring full), {@link
         * DropReason#OVERSIZE}, {@link DropReason#RUNT}, or {@link DropReason#CLOSED} (refused, or still queued when
         * the link went down); other reasons never happen on a bridge.
         */
        public long dropped(DropReason reason) {
            return switch (reason) {
                case IN_FLIGHT_LIMIT -> ring.read(FrameRing.DROP_FULL);
                case OVERSIZE -> ring.read(FrameRing.DROP_OVERSIZE);
                case RUNT -> ring.read(FrameRing.DROP_RUNT);
                case CLOSED -> ring.read(FrameRing.DROP_CLOSED) + ring.read(FrameRing.DISCARDED);
                default -> 0;
            };
        }

        public long droppedTotal() {
            return ring.read(FrameRing.DROP_FULL) + ring.read(FrameRing.DROP_OVERSIZE)
                    + ring.read(FrameRing.DROP_RUNT) + ring.read(FrameRing.DROP_CLOSED)
                    + ring.read(FrameRing.DISCARDED);
        }

        /** Frames in the ring now. */
        public int queued() {
            return ring.queued();
        }

        /** Slots in the ring. */
        public int capacity() {
            return ring.capacity();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append("sent=").append(framesSent()).append('/').append(bytesSent()).append('B')
                    .append(" delivered=").append(framesDelivered()).append('/').append(bytesDelivered()).append('B')
                    .append(" queued=").append(queued()).append(" segmented=").append(segmentedSent())
                    .append(" wakeups=").append(wakeups());
            for (DropReason r : new DropReason[] {DropReason.IN_FLIGHT_LIMIT, DropReason.OVERSIZE, DropReason.RUNT,
                    DropReason.CLOSED}) {
                long d = dropped(r);
                if (d != 0) {
                    sb.append(" drop.").append(r.name().toLowerCase()).append('=').append(d);
                }
            }
            return sb.toString();
        }
    }
}
