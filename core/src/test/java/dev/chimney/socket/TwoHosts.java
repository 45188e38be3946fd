package dev.chimney.socket;

import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.Pollable;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpOutput;
import dev.chimney.tcp.TcpSegment;
import dev.chimney.tcp.TcpStack;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Test fixture: two TCP stacks ("a" at 10.77.3.1, "b" at 10.77.3.2) joined by an in-test wire that copies each
 * segment and hands it to the other stack after a fixed delay, on a later loop turn (never re-entrantly).
 * Either on a {@link Simulator} (virtual time, deterministic: each host has its own loop) or in real time (both
 * hosts and the wire on one loop run by a {@link LoopThread}).
 */
public final class TwoHosts implements AutoCloseable {
    public static final IpAddress A = Ipv4Address.parse("10.77.3.1");
    public static final IpAddress B = Ipv4Address.parse("10.77.3.2");
    public static final long MS = 1_000_000L;

    public final Simulator sim;
    public final EventLoop loopA;
    public final EventLoop loopB;
    public final TcpStack tcpA;
    public final TcpStack tcpB;
    public final SocketStack a;
    public final SocketStack b;
    public final Wire wire;
    private final LoopThread thread;

    /** A simulated pair with a one-way delay of {@code delayNs}. */
    public static TwoHosts simulated(long seed, TcpConfig config, long delayNs) {
        return new TwoHosts(new Simulator(seed), config, delayNs, 0);
    }

    /** A simulated pair whose wire has an MTU of {@code mtuBytes} (up to 65535: very large segments). */
    public static TwoHosts simulated(long seed, TcpConfig config, long delayNs, int mtuBytes) {
        return new TwoHosts(new Simulator(seed), config, delayNs, mtuBytes);
    }

    /** A real-time pair on one loop thread (for the blocking API); the wire delivers on the next turn. */
    public static TwoHosts realTime(long seed, TcpConfig config) {
        return new TwoHosts(seed, config);
    }

    /** Small buffers so many connections stay cheap; everything else default. */
    public static TcpConfig smallBuffers() {
        return TcpConfig.builder().sendBufferBytes(64 * 1024).receiveBufferBytes(64 * 1024).build();
    }

    private TwoHosts(Simulator sim, TcpConfig config, long delayNs, int mtuBytes) {
        this.sim = sim;
        EventLoop wireLoop = sim.newLoop("wire");
        this.loopA = sim.newLoop("a");
        this.loopB = sim.newLoop("b");
        this.wire = new Wire(sim.clock(), delayNs);
        this.wire.mtuBytes = mtuBytes;
        wireLoop.register(wire);
        this.tcpA = new TcpStack(loopA, config, wire.output(0), sim.random().fork("a"));
        this.tcpB = new TcpStack(loopB, config, wire.output(1), sim.random().fork("b"));
        wire.stacks[0] = tcpA;
        wire.stacks[1] = tcpB;
        this.a = new SocketStack(loopA, tcpA, List.of(A));
        this.b = new SocketStack(loopB, tcpB, List.of(B));
        this.thread = null;
    }

    private TwoHosts(long seed, TcpConfig config) {
        this.sim = null;
        EventLoop loop = new EventLoop("hosts", Clock.system());
        this.loopA = loop;
        this.loopB = loop;
        this.wire = new Wire(Clock.system(), 0);
        loop.register(wire);
        SeededRandom random = new SeededRandom(seed);
        this.tcpA = new TcpStack(loop, config, wire.output(0), random.fork("a"));
        this.tcpB = new TcpStack(loop, config, wire.output(1), random.fork("b"));
        wire.stacks[0] = tcpA;
        wire.stacks[1] = tcpB;
        this.a = new SocketStack(loop, tcpA, List.of(A));
        this.b = new SocketStack(loop, tcpB, List.of(B));
        this.thread = LoopThread.start(loop);
    }

    /** Runs {@code action} on the (single) loop of a real-time pair and waits for it. */
    public void onLoop(Runnable action) throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        loopA.execute(() -> {
            try {
                action.run();
            } catch (Throwable t) {
                failure[0] = t;
            } finally {
                done.countDown();
            }
        });
        if (!done.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new AssertionError("loop did not run the action within 10 s");
        }
        if (failure[0] != null) {
            throw new AssertionError("action failed on the loop", failure[0]);
        }
    }

    /** Simulated: runs until {@code done} or {@code maxNs} of virtual time passed; returns whether done. */
    public boolean runUntil(java.util.function.BooleanSupplier done, long maxNs) {
        return sim.runUntil(done, sim.nowNs() + maxNs);
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.close();
            if (thread.failure() != null) {
                throw new AssertionError("loop thread failed", thread.failure());
            }
        }
    }

    /** The in-test wire; {@link #dropNext} lets a test lose segments on purpose, {@link #cut} silences it. */
    public static final class Wire implements Pollable {
        private record InFlight(long atNs, IpAddress src, IpAddress dst, TcpSegment segment, int toSide) {
        }

        private final Clock clock;
        private final long delayNs;
        private final ArrayDeque<InFlight> queue = new ArrayDeque<>();
        final TcpStack[] stacks = new TcpStack[2];
        /** The path MTU the stacks see (0: the TcpOutput default). */
        int mtuBytes;
        /** While true every segment is lost (a dead link). */
        public boolean cut;
        public long segments;

        Wire(Clock clock, long delayNs) {
            this.clock = clock;
            this.delayNs = delayNs;
        }

        TcpOutput output(int side) {
            return new TcpOutput() {
                @Override
                public void transmit(IpAddress src, IpAddress dst, TcpSegment seg, dev.chimney.tcp.TcpCached ip) {
                    segments++;
                    if (!cut) {
                        queue.add(new InFlight(clock.nanoTime() + delayNs, src, dst, seg.copy(), 1 - side));
                    }
                }

                @Override
                public int pathMtu(IpAddress source, IpAddress destination) {
                    return mtuBytes > 0 ? mtuBytes : TcpOutput.super.pathMtu(source, destination);
                }
            };
        }

        @Override
        public int poll(long nowNs, int budget) {
            int n = 0;
            while (n < budget && !queue.isEmpty() && queue.peek().atNs <= nowNs) {
                InFlight f = queue.poll();
                TcpStack to = stacks[f.toSide];
                to.onSegment(nowNs, f.src, f.dst, f.segment);
                n++;
            }
            return n;
        }

        @Override
        public long nextWorkNs() {
            return queue.isEmpty() ? Long.MAX_VALUE : queue.peek().atNs;
        }
    }
}
