package dev.chimney.link;

import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A point-to-point virtual Ethernet link (a cable) with two ends, {@link #a()} and {@link #b()}. Each direction is an
 * {@link ImpairedChannel} with its own {@link Impairments} and its own random stream forked from the wire's, so a
 * run replays exactly from the seed.
 *
 * <p>No event loop of its own: both ports read the shared {@link Clock} and are passive. The owner of a port calls
 * {@link NetworkPort#receive} (typically from a {@link PortPollable}) and uses {@link NetworkPort#nextArrivalNs()}
 * as its next-work time, which is how the simulator knows to jump the clock to the next delivery.
 *
 * <p>Threading: both ends of a wire share state (each direction is written by one end and read by the other), so
 * both must be driven by one thread: the {@link Simulator}, or one real-time loop that owns both ends (every host on
 * the wire built on that one loop, started once). To connect loops on different threads, use a {@link LoopBridge};
 * {@code dev.chimney.host.VirtualNetwork} builds either kind of network for you.
 *
 * {@snippet file="dev/chimney/examples/ManualStacksExample.java" region="virtual-wire"}
 */
public final class VirtualWire {
    /** Default MTU of both ends: standard Ethernet (RFC 894). */
    public static final int DEFAULT_MTU_BYTES = 1500;
    /** Default bound on frames in flight per direction. */
    public static final int DEFAULT_MAX_IN_FLIGHT_FRAMES = 4096;

    private final String name;
    private final Port a;
    private final Port b;

    private VirtualWire(Builder builder) {
        this.name = builder.name;
        SeededRandom random = builder.random;
        ImpairedChannel aToB = new ImpairedChannel(name + ":a->b", random.fork(name + ":a->b"), builder.aToB,
                builder.mtuBytes, builder.maxInFlightFrames);
        ImpairedChannel bToA = new ImpairedChannel(name + ":b->a", random.fork(name + ":b->a"), builder.bToA,
                builder.mtuBytes, builder.maxInFlightFrames);
        this.a = new Port(name + ".a", builder.clock, aToB, bToA);
        this.b = new Port(name + ".b", builder.clock, bToA, aToB);
    }

    /** A perfect wire (no impairments) with the default MTU and limits. */
    public static VirtualWire of(String name, Clock clock, SeededRandom random) {
        return builder(name, clock, random).build();
    }

    /**
     * A wire whose ends read {@code clock} and whose impairments draw from {@code random} (fork one per wire, e.g.
     * {@code sim.random().fork("w0")}, so a run replays from its seed).
     */
    public static Builder builder(String name, Clock clock, SeededRandom random) {
        return new Builder(name, clock, random);
    }

    /** A wire on {@code sim}'s clock, its randomness forked from the simulator's by the wire's name. */
    public static Builder builder(String name, Simulator sim) {
        Objects.requireNonNull(sim, "sim");
        return new Builder(name, sim.clock(), sim.random().fork("wire:" + Objects.requireNonNull(name, "name")));
    }

    /**
     * A wire for hosts on {@code loop} (both ends are driven by that loop's thread), on its clock. Its impairments
     * draw from a stream seeded by {@code seed}.
     */
    public static Builder builder(String name, EventLoop loop, long seed) {
        Objects.requireNonNull(loop, "loop (the one loop that drives both ends)");
        return new Builder(name, loop.clock(), new SeededRandom(seed).fork("wire:" + Objects.requireNonNull(name,
                "name")));
    }

    public String name() {
        return name;
    }

    /** The "a" end: what it transmits goes through {@link #aToB()}. */
    public Port a() {
        return a;
    }

    /** The "b" end: what it transmits goes through {@link #bToA()}. */
    public Port b() {
        return b;
    }

    public ImpairedChannel aToB() {
        return a.outbound;
    }

    public ImpairedChannel bToA() {
        return b.outbound;
    }

    /** Observes both directions (null clears). */
    public void observer(LinkObserver observer) {
        a.outbound.observer(observer);
        b.outbound.observer(observer);
    }

    /** Configuration of a {@link VirtualWire}; defaults: no impairments, MTU 1500, 4096 frames in flight. */
    public static final class Builder {
        private final String name;
        private final Clock clock;
        private final SeededRandom random;
        private Impairments aToB = Impairments.NONE;
        private Impairments bToA = Impairments.NONE;
        private int mtuBytes = DEFAULT_MTU_BYTES;
        private int maxInFlightFrames = DEFAULT_MAX_IN_FLIGHT_FRAMES;

        private Builder(String name, Clock clock, SeededRandom random) {
            this.name = Objects.requireNonNull(name, "name");
            this.clock = Objects.requireNonNull(clock, "clock (use the simulator's clock)");
            this.random = Objects.requireNonNull(random, "random (fork one from the simulator's SeededRandom)");
        }

        public Builder aToB(Impairments impairments) {
            this.aToB = impairments;
            return this;
        }

        public Builder bToA(Impairments impairments) {
            this.bToA = impairments;
            return this;
        }

        /** The same impairments in both directions. */
        public Builder both(Impairments impairments) {
            this.aToB = impairments;
            this.bToA = impairments;
            return this;
        }

        public Builder mtu(int mtuBytes) {
            this.mtuBytes = mtuBytes;
            return this;
        }

        public Builder maxInFlightFrames(int frames) {
            this.maxInFlightFrames = frames;
            return this;
        }

        public VirtualWire build() {
            return new VirtualWire(this);
        }
    }

    /** One end of a virtual wire or switch port: transmits into one channel and receives from another. */
    public static final class Port implements NetworkPort {
        private final String name;
        private final Clock clock;
        final ImpairedChannel outbound;
        final ImpairedChannel inbound;
        /** The switch this port belongs to (it forwards lazily when a port is read), or null on a wire. */
        private final VirtualSwitch fabric;

        Port(String name, Clock clock, ImpairedChannel outbound, ImpairedChannel inbound) {
            this(name, clock, outbound, inbound, null);
        }

        Port(String name, Clock clock, ImpairedChannel outbound, ImpairedChannel inbound, VirtualSwitch fabric) {
            this.name = name;
            this.clock = clock;
            this.outbound = outbound;
            this.inbound = inbound;
            this.fabric = fabric;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int mtu() {
            return outbound.portMtuBytes();
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            return outbound.send(frame, clock.nanoTime());
        }

        @Override
        public int receive(FrameSink sink, int budget) {
            long nowNs = clock.nanoTime();
            if (fabric != null) {
                fabric.forwardDue(nowNs);
            }
            return inbound.receive(sink, budget, nowNs);
        }

        /**
         * On a switch port this is conservative: frames still on their way into the switch may end up here, so the
         * earliest such ingress arrival counts too (the owner then wakes, the switch forwards, and the real arrival
         * time shows).
         */
        @Override
        public long nextArrivalNs() {
            if (fabric == null) {
                return inbound.nextArrivalNs();
            }
            fabric.forwardDue(clock.nanoTime());
            return Math.min(inbound.nextArrivalNs(), fabric.nextIngressNs());
        }

        /** Places a frame in this port's receive queue at the current time, bypassing impairments. */
        public boolean inject(MemorySegment frame) {
            return inbound.inject(frame, clock.nanoTime());
        }

        /** Counters of what this port transmitted. */
        public ChannelCounters txCounters() {
            return outbound.counters();
        }

        /** Counters of what was sent towards this port (delivered and dropped). */
        public ChannelCounters rxCounters() {
            return inbound.counters();
        }

        /** The channel this port transmits into (to change its impairments mid-run, e.g. cut the link). */
        public ImpairedChannel outbound() {
            return outbound;
        }

        /** The channel this port receives from. */
        public ImpairedChannel inbound() {
            return inbound;
        }

        /** Closes this end: its transmits are refused and nothing more is delivered to it. */
        @Override
        public void close() {
            outbound.close();
            inbound.close();
        }

        @Override
        public String toString() {
            return name + " tx{" + outbound.counters() + "} rx{" + inbound.counters() + "}";
        }
    }
}
