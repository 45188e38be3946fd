package dev.chimney.link;

import dev.chimney.runtime.Clock;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A learning Ethernet switch (IEEE 802.1D transparent bridging, without spanning tree) with any number of ports.
 * Each port is a {@link VirtualWire.Port} a host attaches to; its two directions (host to switch, switch to host)
 * carry their own {@link Impairments}.
 *
 * <p>Forwarding: the switch learns each unicast source MAC on the port it arrived on; a frame to a learned
 * unicast address goes out of that port only (or is filtered if that is the port it came from); broadcast,
 * multicast and unknown unicast frames are flooded to every other open port. The MAC table is bounded
 * ({@link Builder#macTableCapacity}) and entries age out after {@link Builder#macAgingNs} without traffic (802.1D
 * default 300 s); when the table is full of live entries a new source is not learned (its replies are flooded:
 * fail open to connectivity, counted in {@link #learnFailures()}).
 *
 * <p>Like the wire, the switch has no loop of its own. It forwards lazily: whenever any of its ports is read
 * ({@code receive} or {@code nextArrivalNs}) it first forwards every frame that reached the switch by then, in
 * arrival order, stamping the egress with the ingress arrival time, so results do not depend on who reads first.
 * Not thread-safe: all ports of one switch must be driven by one thread (one simulator, or one loop that owns every
 * port). Hosts on loops of their own reach a switch through {@link LoopBridge}s to the switch's loop, as {@code
 * dev.chimney.host.VirtualNetwork} sets up.
 */
public final class VirtualSwitch {
    /** Default MAC table bound. */
    public static final int DEFAULT_MAC_TABLE_CAPACITY = 1024;
    /** Default MAC aging time: 300 s (IEEE 802.1D-2004 §7.9.2 recommended default). */
    public static final long DEFAULT_MAC_AGING_NS = 300_000_000_000L;

    private static final ValueLayout.OfShort U16_BE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32_BE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private final String name;
    private final Clock clock;
    private final SeededRandom random;
    private final int mtuBytes;
    private final int maxInFlightFrames;
    private final long macAgingNs;
    private final MacTable macTable;
    private final List<VirtualWire.Port> ports = new ArrayList<>();
    private final FrameSink forwarder = this::forward;
    private int ingressIndex;
    private long ingressArrivalNs;
    private boolean forwarding;

    private long framesForwarded;
    private long framesFlooded;
    private long framesFiltered;
    private long learnFailures;

    private VirtualSwitch(Builder b) {
        this.name = b.name;
        this.clock = b.clock;
        this.random = b.random;
        this.mtuBytes = b.mtuBytes;
        this.maxInFlightFrames = b.maxInFlightFrames;
        this.macAgingNs = b.macAgingNs;
        this.macTable = new MacTable(b.macTableCapacity);
    }

    /** A switch whose ports read {@code clock} and whose impairments draw from {@code random}. */
    public static Builder builder(String name, Clock clock, SeededRandom random) {
        return new Builder(name, clock, random);
    }

    /** A switch on {@code sim}'s clock, its randomness forked from the simulator's by the switch's name. */
    public static Builder builder(String name, Simulator sim) {
        Objects.requireNonNull(sim, "sim");
        return new Builder(name, sim.clock(), sim.random().fork("switch:" + Objects.requireNonNull(name, "name")));
    }

    public String name() {
        return name;
    }

    /** Adds a port with no impairments. */
    public VirtualWire.Port newPort(String portName) {
        return newPort(portName, Impairments.NONE, Impairments.NONE);
    }

    /** Adds a port whose two directions both have {@code impairments}. */
    public VirtualWire.Port newPort(String portName, Impairments impairments) {
        return newPort(portName, impairments, impairments);
    }

    /**
     * Adds a port.
     *
     * @param toSwitch   impairments of frames the attached host transmits
     * @param fromSwitch impairments of frames the switch sends to the attached host
     */
    public VirtualWire.Port newPort(String portName, Impairments toSwitch, Impairments fromSwitch) {
        String full = name + "." + Objects.requireNonNull(portName, "portName");
        for (VirtualWire.Port p : ports) {
            if (p.name().equals(full)) {
                throw new IllegalArgumentException("switch " + name + " already has a port named " + portName);
            }
        }
        ImpairedChannel in = new ImpairedChannel(full + ":in", random.fork(full + ":in"), toSwitch, mtuBytes,
                maxInFlightFrames);
        ImpairedChannel out = new ImpairedChannel(full + ":out", random.fork(full + ":out"), fromSwitch, mtuBytes,
                maxInFlightFrames);
        VirtualWire.Port port = new VirtualWire.Port(full, clock, in, out, this);
        ports.add(port);
        return port;
    }

    /** The ports in creation order. */
    public List<VirtualWire.Port> ports() {
        return List.copyOf(ports);
    }

    /** Unicast frames sent out of exactly one learned port. */
    public long framesForwarded() {
        return framesForwarded;
    }

    /** Frames flooded (broadcast, multicast, unknown unicast). */
    public long framesFlooded() {
        return framesFlooded;
    }

    /** Frames dropped because their destination was learned on their own ingress port. */
    public long framesFiltered() {
        return framesFiltered;
    }

    /** Source addresses not learned because the MAC table was full of live entries. */
    public long learnFailures() {
        return learnFailures;
    }

    /** Live (not aged-out) entries in the MAC table at the clock's current time. */
    public int macTableSize() {
        return macTable.liveCount(clock.nanoTime());
    }

    /** The port a unicast MAC (48 bits in a long) is currently learned on, or null. */
    public VirtualWire.Port lookup(long macBits) {
        forwardDue(clock.nanoTime());
        int idx = macTable.get(macBits, clock.nanoTime());
        return idx < 0 ? null : ports.get(idx);
    }

    /** Earliest time a frame still travelling towards the switch reaches it, or {@link Long#MAX_VALUE}. */
    long nextIngressNs() {
        long next = Long.MAX_VALUE;
        for (int i = 0; i < ports.size(); i++) {
            next = Math.min(next, ports.get(i).outbound.nextArrivalNs());
        }
        return next;
    }

    /** Forwards, in (arrival time, port order), every frame that reached the switch at or before {@code nowNs}. */
    void forwardDue(long nowNs) {
        if (forwarding) {
            return; // a port read from inside forwarding (an observer) must not recurse
        }
        forwarding = true;
        try {
            while (true) {
                int best = -1;
                long bestNs = Long.MAX_VALUE;
                for (int i = 0; i < ports.size(); i++) {
                    long t = ports.get(i).outbound.nextArrivalNs();
                    if (t < bestNs) {
                        bestNs = t;
                        best = i;
                    }
                }
                if (best < 0 || bestNs > nowNs) {
                    return;
                }
                ingressIndex = best;
                ingressArrivalNs = bestNs;
                ports.get(best).outbound.receive(forwarder, 1, nowNs);
            }
        } finally {
            forwarding = false;
        }
    }

    private void forward(MemorySegment frame) {
        long nowNs = ingressArrivalNs;
        int in = ingressIndex;
        long dst = macAt(frame, 0);
        long src = macAt(frame, 6);
        if (!isGroup(src)) {
            learn(src, in, nowNs);
        }
        if (!isGroup(dst)) {
            int out = macTable.get(dst, nowNs);
            if (out == in) {
                framesFiltered++;
                ports.get(in).outbound.counters().dropped[DropReason.FILTERED.ordinal()]++;
                return;
            }
            if (out >= 0) {
                framesForwarded++;
                ports.get(out).inbound.send(frame, nowNs);
                return;
            }
        }
        framesFlooded++;
        for (int i = 0; i < ports.size(); i++) {
            VirtualWire.Port p = ports.get(i);
            if (i != in && !p.inbound.isClosed()) {
                p.inbound.send(frame, nowNs);
            }
        }
    }

    private void learn(long mac, int port, long nowNs) {
        if (!macTable.put(mac, port, nowNs)) {
            macTable.expire(nowNs);
            if (!macTable.put(mac, port, nowNs)) {
                learnFailures++;
            }
        }
    }

    private static long macAt(MemorySegment frame, long offset) {
        return (Integer.toUnsignedLong(frame.get(U32_BE, offset)) << 16)
                | Short.toUnsignedInt(frame.get(U16_BE, offset + 4));
    }

    /** I/G bit (least significant bit of the first octet): group (broadcast/multicast) address. */
    private static boolean isGroup(long mac) {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    /**
     * Bounded MAC-to-port map: open addressing with linear probing and backward-shift deletion, no allocation after
     * construction. Entries older than the aging time are treated as absent and removed when met.
     */
    private final class MacTable {
        private static final long USED = 1L << 63;
        private final long[] keys;
        private final int[] portOf;
        private final long[] lastSeenNs;
        private final int mask;
        private final int capacity;
        private int size;

        MacTable(int capacity) {
            this.capacity = capacity;
            int slots = Integer.highestOneBit(Math.max(4, capacity * 2 - 1)) << 1;
            keys = new long[slots];
            portOf = new int[slots];
            lastSeenNs = new long[slots];
            mask = slots - 1;
        }

        private int home(long mac) {
            return (int) ((mac * 0x9E3779B97F4A7C15L) >>> 40) & mask;
        }

        private boolean expired(int slot, long nowNs) {
            return nowNs - lastSeenNs[slot] >= macAgingNs;
        }

        /** Port index of {@code mac}, or -1 if unknown or aged out. */
        int get(long mac, long nowNs) {
            long key = mac | USED;
            for (int i = home(mac); keys[i] != 0; i = (i + 1) & mask) {
                if (keys[i] == key) {
                    if (expired(i, nowNs)) {
                        removeAt(i);
                        return -1;
                    }
                    return portOf[i];
                }
            }
            return -1;
        }

        /** Learns or refreshes; false if {@code mac} is new and the table is full. */
        boolean put(long mac, int port, long nowNs) {
            long key = mac | USED;
            int i = home(mac);
            for (; keys[i] != 0; i = (i + 1) & mask) {
                if (keys[i] == key) {
                    portOf[i] = port; // a station move re-learns at once
                    lastSeenNs[i] = nowNs;
                    return true;
                }
            }
            if (size >= capacity) {
                return false;
            }
            keys[i] = key;
            portOf[i] = port;
            lastSeenNs[i] = nowNs;
            size++;
            return true;
        }

        void expire(long nowNs) {
            for (int i = 0; i < keys.length; i++) {
                while (keys[i] != 0 && expired(i, nowNs)) {
                    removeAt(i);
                }
            }
        }

        int liveCount(long nowNs) {
            int n = 0;
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != 0 && !expired(i, nowNs)) {
                    n++;
                }
            }
            return n;
        }

        private void removeAt(int hole) {
            int i = hole;
            int j = i;
            while (true) {
                j = (j + 1) & mask;
                if (keys[j] == 0) {
                    break;
                }
                int k = home(keys[j] & ~USED);
                // Entry j may move into the hole only if its home is not cyclically within (hole, j].
                boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
                if (!stays) {
                    keys[i] = keys[j];
                    portOf[i] = portOf[j];
                    lastSeenNs[i] = lastSeenNs[j];
                    i = j;
                }
            }
            keys[i] = 0;
            size--;
        }
    }

    /** Configuration of a {@link VirtualSwitch}. */
    public static final class Builder {
        private final String name;
        private final Clock clock;
        private final SeededRandom random;
        private int mtuBytes = VirtualWire.DEFAULT_MTU_BYTES;
        private int maxInFlightFrames = VirtualWire.DEFAULT_MAX_IN_FLIGHT_FRAMES;
        private int macTableCapacity = DEFAULT_MAC_TABLE_CAPACITY;
        private long macAgingNs = DEFAULT_MAC_AGING_NS;

        private Builder(String name, Clock clock, SeededRandom random) {
            this.name = Objects.requireNonNull(name, "name");
            this.clock = Objects.requireNonNull(clock, "clock");
            this.random = Objects.requireNonNull(random, "random");
        }

        public Builder mtu(int mtuBytes) {
            this.mtuBytes = mtuBytes;
            return this;
        }

        /** Bound on frames in flight per port direction. */
        public Builder maxInFlightFrames(int frames) {
            this.maxInFlightFrames = frames;
            return this;
        }

        public Builder macTableCapacity(int entries) {
            if (entries <= 0) {
                throw new IllegalArgumentException("macTableCapacity must be positive, got " + entries);
            }
            this.macTableCapacity = entries;
            return this;
        }

        public Builder macAgingNs(long agingNs) {
            if (agingNs <= 0) {
                throw new IllegalArgumentException("macAgingNs must be positive, got " + agingNs);
            }
            this.macAgingNs = agingNs;
            return this;
        }

        public VirtualSwitch build() {
            return new VirtualSwitch(this);
        }
    }
}
