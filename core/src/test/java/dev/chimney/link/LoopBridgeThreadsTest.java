package dev.chimney.link;

import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.Pollable;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link LoopBridge} between two loops on their own threads. The loops may idle for a minute ({@code maxIdleNs}),
 * so a wakeup the bridge failed to deliver shows up as a stall that runs into the test's time limit, not as a
 * 100 ms hiccup.
 */
class LoopBridgeThreadsTest {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long IDLE_NS = 60_000_000_000L;
    private static final int SEQ_OFFSET = 14;
    private static final int ACK_OFFSET = 18;
    private static final int PAYLOAD_OFFSET = 22;

    private static EventLoop loop(String name) {
        EventLoop loop = new EventLoop(name, Clock.system());
        loop.maxIdleNs(IDLE_NS);
        return loop;
    }

    private static int sizeOf(int seq) {
        return 64 + (seq * 37) % 400;
    }

    private static byte fill(int seq, int i) {
        return (byte) (seq * 31 + i * 7);
    }

    /**
     * One side of a windowed exchange: sends {@code total} data frames, never more than {@code window} beyond what
     * the peer acknowledged; every frame carries the count of data frames received (a cumulative ack), and an
     * ack-only frame (seq -1) goes back when there is no data to carry it. Data frames in one ring are then at most
     * {@code window} and ack-only frames at most {@code window} more (each acknowledges newer data), so a ring of
     * {@code 2 * window} slots can never be full: any refused transmit is a bridge bug.
     */
    static final class Peer implements Pollable {
        final LoopBridge.Port port;
        final int total;
        final int window;
        final CountDownLatch done;
        final byte[] txBuffer = new byte[PAYLOAD_OFFSET + 512];
        final MemorySegment tx = MemorySegment.ofArray(txBuffer);
        final AtomicReference<String> error = new AtomicReference<>();
        int sent;
        int received;
        int peerAcked;
        int lastAckSent;
        long frames;
        boolean finished;

        Peer(LoopBridge.Port port, int total, int window, CountDownLatch done) {
            this.port = port;
            this.total = total;
            this.window = window;
            this.done = done;
            port.loop().register(this);
        }

        @Override
        public int poll(long nowNs, int budget) {
            int work = port.receive(this::onFrame, budget);
            boolean ackCarried = false;
            while (sent < total && sent - peerAcked < window) {
                int size = sizeOf(sent);
                for (int i = PAYLOAD_OFFSET; i < size; i++) {
                    txBuffer[i] = fill(sent, i);
                }
                send(sent, size);
                sent++;
                ackCarried = true;
                work++;
            }
            if (!ackCarried && received > lastAckSent) {
                send(-1, 60);
                work++;
            }
            if (!finished && received == total && peerAcked == total) {
                finished = true;
                done.countDown();
            }
            return work;
        }

        private void send(int seq, int size) {
            txBuffer[12] = 0x08;
            tx.set(U32, SEQ_OFFSET, seq);
            tx.set(U32, ACK_OFFSET, received);
            lastAckSent = received;
            if (!port.transmit(tx.asSlice(0, size))) {
                error.compareAndSet(null, port.name() + " could not send " + seq + ": " + port.txCounters());
            }
        }

        @Override
        public long nextWorkNs() {
            return port.nextArrivalNs();
        }

        private void onFrame(MemorySegment f) {
            frames++;
            int seq = f.get(U32, SEQ_OFFSET);
            peerAcked = Math.max(peerAcked, f.get(U32, ACK_OFFSET));
            if (seq < 0) {
                return;
            }
            if (seq != received) {
                error.compareAndSet(null, port.name() + " got frame " + seq + ", expected " + received);
            } else if (f.byteSize() != sizeOf(seq)) {
                error.compareAndSet(null, port.name() + " frame " + seq + " has " + f.byteSize() + " bytes");
            } else {
                for (int i = PAYLOAD_OFFSET; i < f.byteSize(); i++) {
                    if (f.get(ValueLayout.JAVA_BYTE, i) != fill(seq, i)) {
                        error.compareAndSet(null, port.name() + " frame " + seq + " differs at byte " + i);
                        break;
                    }
                }
            }
            received++;
        }
    }

    @Test
    void twoLoopThreadsExchangeHundredsOfThousandsOfFramesBothWaysWithoutLoss() throws Exception {
        int total = 300_000;
        int window = 256;
        EventLoop loopA = loop("bridge-a");
        EventLoop loopB = loop("bridge-b");
        LoopBridge bridge = LoopBridge.builder("threads", loopA, loopB).ringFrames(2 * window).build();
        CountDownLatch done = new CountDownLatch(2);
        Peer a = new Peer(bridge.a(), total, window, done);
        Peer b = new Peer(bridge.b(), total, window, done);
        long startNs = System.nanoTime();
        boolean finished;
        try (LoopThread ta = LoopThread.start(loopA); LoopThread tb = LoopThread.start(loopB)) {
            finished = done.await(60, TimeUnit.SECONDS);
        }
        long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
        // The loops have stopped (joined): their fields are visible here.
        assertTrue(finished, "not done in 60 s (a lost wakeup stalls a loop for a minute): a sent " + a.sent
                + " received " + a.received + ", b sent " + b.sent + " received " + b.received + "; " + bridge);
        assertNull(a.error.get());
        assertNull(b.error.get());
        assertEquals(total, a.received);
        assertEquals(total, b.received);
        for (LoopBridge.Counters c : new LoopBridge.Counters[] {bridge.a().txCounters(), bridge.b().txCounters()}) {
            assertEquals(0, c.droppedTotal(), c.toString());
            assertEquals(c.framesSent(), c.framesDelivered(), c.toString());
        }
        System.out.printf("LoopBridge threads: %d data frames each way in %d ms; a->b %s; b->a %s%n", total,
                elapsedMs, bridge.a().txCounters(), bridge.b().txCounters());
    }

    @Test
    void anIdleLoopOnAnotherThreadIsWokenForEveryPingPong() throws Exception {
        int rounds = 5_000;
        EventLoop loopA = loop("ping");
        EventLoop loopB = loop("pong");
        LoopBridge bridge = LoopBridge.of("pingpong", loopA, loopB);
        CountDownLatch done = new CountDownLatch(1);
        int[] pongs = new int[1];
        MemorySegment ping = Frames.frame(0, 64);
        loopB.register(PortPollable.of(bridge.b(), f -> bridge.b().transmit(f))); // echo
        loopA.register(PortPollable.of(bridge.a(), f -> {
            if (++pongs[0] == rounds) {
                done.countDown();
            } else {
                bridge.a().transmit(ping);
            }
        }));
        boolean finished;
        try (LoopThread ta = LoopThread.start(loopA); LoopThread tb = LoopThread.start(loopB)) {
            loopA.execute(() -> bridge.a().transmit(ping));
            finished = done.await(60, TimeUnit.SECONDS);
        }
        assertTrue(finished, "only " + pongs[0] + " of " + rounds + " round trips in 60 s: " + bridge);
        assertTrue(bridge.a().txCounters().wakeups() > 0 && bridge.b().txCounters().wakeups() > 0,
                "the idle loops were woken by the bridge: " + bridge);
    }

    @Test
    void closingOneEndWhileThePeerLoopRunsNeitherHangsNorDelivers() throws Exception {
        EventLoop loopA = loop("closer");
        EventLoop loopB = loop("peer");
        LoopBridge bridge = LoopBridge.of("closing", loopA, loopB);
        long[] deliveredToB = new long[1];
        loopB.register(PortPollable.of(bridge.b(), f -> deliveredToB[0]++));
        try (LoopThread ta = LoopThread.start(loopA); LoopThread tb = LoopThread.start(loopB)) {
            assertTrue(onLoop(loopA, () -> {
                for (int i = 0; i < 10; i++) {
                    bridge.a().transmit(Frames.frame(i, 64));
                }
                bridge.a().close();
                return true;
            }));
            assertFalse(onLoop(loopB, () -> bridge.b().transmit(Frames.frame(99, 64))), "the peer's send fails");
            assertEquals(Long.MAX_VALUE, (long) onLoop(loopB, () -> bridge.b().nextArrivalNs()));
        }
        LoopBridge.Counters ab = bridge.a().txCounters();
        assertEquals(10, deliveredToB[0] + ab.dropped(DropReason.CLOSED), ab.toString());
        assertEquals(0, ab.queued());
        assertEquals(1, bridge.b().txCounters().dropped(DropReason.CLOSED));
    }

    private static <T> T onLoop(EventLoop loop, java.util.function.Supplier<T> action) throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        AtomicReference<T> result = new AtomicReference<>();
        loop.execute(() -> {
            result.set(action.get());
            ran.countDown();
        });
        assertTrue(ran.await(10, TimeUnit.SECONDS), "loop " + loop.name() + " did not run the command");
        return result.get();
    }
}
