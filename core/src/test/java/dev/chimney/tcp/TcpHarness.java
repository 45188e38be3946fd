package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * smoltcp-style packet script harness: one {@link TcpStack} on a virtual clock, a scripted peer. {@code send(t,
 * seg)} delivers a peer segment at time t; {@code expect(t, seg)} asserts the next segment the engine emitted,
 * and that it was emitted at time t; {@code expectNothing(t)} asserts silence up to t. Timers fire in order as
 * time advances.
 */
final class TcpHarness {
    static final IpAddress LOCAL = Ipv4Address.parse("10.77.0.1");
    static final IpAddress REMOTE = Ipv4Address.parse("10.77.0.2");
    static final int LOCAL_PORT = 80;
    static final int REMOTE_PORT = 49500;
    static final int LOCAL_ISN = 10_000;
    static final int REMOTE_ISN = 50_000;
    static final long MS = 1_000_000L;

    record Sent(long timeNs, TcpSegment segment) {
    }

    final VirtualClock clock;
    final EventLoop loop;
    final TcpStack stack;
    final ArrayDeque<Sent> sent = new ArrayDeque<>();
    final List<CloseReason> closed = new ArrayList<>();
    final List<TcpConnection> accepted = new ArrayList<>();
    int connectedEvents;
    int readableEvents;
    TcpListener listener;

    final TcpConnection.Listener events = new TcpConnection.Listener() {
        @Override
        public void onConnected(TcpConnection c) {
            connectedEvents++;
        }

        @Override
        public void onReadable(TcpConnection c) {
            readableEvents++;
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed.add(reason);
        }
    };

    TcpHarness(TcpConfig config) {
        this(config, 0);
    }

    TcpHarness(TcpConfig config, long clockStartNs) {
        this(config, clockStartNs, 0);
    }

    /**
     * A harness whose output claims segmentation offload of {@code tsoBytes} data bytes per super-segment (0: none):
     * the script then sees the super-segments themselves.
     */
    TcpHarness(TcpConfig config, long clockStartNs, int tsoBytes) {
        clock = new VirtualClock(clockStartNs);
        loop = new EventLoop("test", clock);
        TcpOutput output = new TcpOutput() {
            @Override
            public void transmit(IpAddress src, IpAddress dst, TcpSegment seg, TcpCached ip) {
                sent.add(new Sent(clock.nanoTime(), seg.copy()));
            }

            @Override
            public int segmentationOffloadBytes(IpAddress source, IpAddress destination) {
                return tsoBytes;
            }
        };
        stack = new TcpStack(loop, config, output, new SeededRandom(42), (l, lp, r, rp, now) -> LOCAL_ISN);
    }

    /** Script defaults: no options beyond MSS, 8 KiB buffers, fixed 64 KiB congestion window. */
    static TcpConfig.Builder plain() {
        return TcpConfig.builder().timestamps(false).sack(false).windowScaling(false).receiveBufferBytes(8192)
                .sendBufferBytes(65536).congestionControl(() -> new FixedWindowControl(65536));
    }

    /** Advances to {@code t}, firing every timer due on the way in deadline order. */
    void advanceTo(long t) {
        while (loop.timers().nextDeadlineNs() <= t) {
            long next = Math.max(clock.nanoTime(), loop.timers().nextDeadlineNs());
            clock.advanceTo(next);
            loop.runOnce();
        }
        if (t > clock.nanoTime()) {
            clock.advanceTo(t);
        }
    }

    void send(long t, TcpSegment seg) {
        advanceTo(t);
        stack.onSegment(t, REMOTE, LOCAL, seg);
    }

    TcpSegment expect(long t, TcpSegment expected) {
        advanceTo(t);
        Sent s = sent.poll();
        if (s == null) {
            fail("expected at " + t / MS + " ms: " + expected + " — but nothing was sent");
        }
        assertEquals(expected.toString(), s.segment().toString(), "segment sent at " + s.timeNs() / MS + " ms");
        assertEquals(expected, s.segment(), "payload differs");
        assertEquals(t, s.timeNs(), "segment " + s.segment() + " sent at the wrong time");
        return s.segment();
    }

    void expectNothing(long t) {
        advanceTo(t);
        assertTrue(sent.isEmpty(), "expected silence up to " + t / MS + " ms, got " + sent);
    }

    /** A segment from the peer (remote → local). */
    static TcpSegment peer(int flags, int seq, int ack) {
        return new TcpSegment().sourcePort(REMOTE_PORT).destinationPort(LOCAL_PORT).flags(flags).seq(seq).ack(ack)
                .window(8192);
    }

    /** A segment from us (local → remote). */
    static TcpSegment ours(int flags, int seq, int ack, int window) {
        return new TcpSegment().sourcePort(LOCAL_PORT).destinationPort(REMOTE_PORT).flags(flags).seq(seq).ack(ack)
                .window(window);
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }

    // ------------------------------------------------------------------ fixtures, all reached by real handshakes

    /** Passive open on port 80 and a completed handshake: ESTABLISHED at t = 10 ms. */
    TcpConnection establishedPassive() {
        listener = stack.listen(LOCAL, LOCAL_PORT, l -> accepted.add(l.accept()));
        send(0, peer(TcpFlags.SYN, REMOTE_ISN, 0).mss(1460));
        expect(0, ours(TcpFlags.SYN | TcpFlags.ACK, LOCAL_ISN, REMOTE_ISN + 1, 8192).mss(1460));
        send(10 * MS, peer(TcpFlags.ACK, REMOTE_ISN + 1, LOCAL_ISN + 1));
        assertEquals(1, accepted.size(), "handshake completed into the accept backlog");
        TcpConnection c = accepted.getFirst();
        c.listener(events);
        assertEquals(TcpState.ESTABLISHED, c.state());
        return c;
    }

    /** Active open from local port 40000 and a completed handshake: ESTABLISHED at t = 10 ms. */
    TcpConnection establishedActive() {
        TcpConnection c = stack.connect(LOCAL, 40000, REMOTE, REMOTE_PORT, events);
        TcpSegment syn = ours(TcpFlags.SYN, LOCAL_ISN, 0, 8192).mss(1460);
        syn.sourcePort(40000);
        expect(0, syn);
        TcpSegment synAck = peer(TcpFlags.SYN | TcpFlags.ACK, REMOTE_ISN, LOCAL_ISN + 1).mss(1460);
        synAck.destinationPort(40000);
        send(10 * MS, synAck);
        TcpSegment ack = ours(TcpFlags.ACK, LOCAL_ISN + 1, REMOTE_ISN + 1, 8192);
        ack.sourcePort(40000);
        expect(10 * MS, ack);
        assertEquals(TcpState.ESTABLISHED, c.state());
        return c;
    }
}
