package dev.chimney.runtime;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real-time behaviour of a loop on its own thread. Waits are bounded by generous timeouts, never by sleeps. */
class LoopThreadTest {

    @Test
    void commandFromAnotherThreadWakesAnIdleLoop() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        loop.maxIdleNs(TimeUnit.SECONDS.toNanos(30)); // idle wait far longer than the test: only a wakeup helps
        try (LoopThread thread = LoopThread.start(loop)) {
            CountDownLatch ran = new CountDownLatch(1);
            AtomicLong ranOn = new AtomicLong();
            Thread.sleep(20); // let it go idle
            loop.execute(() -> {
                ranOn.set(Thread.currentThread().threadId());
                ran.countDown();
            });
            assertTrue(ran.await(5, TimeUnit.SECONDS), "the command must wake the parked loop");
            assertEquals(thread.thread().threadId(), ranOn.get(), "commands run on the loop's own thread");
        }
    }

    @Test
    void wakeupMakesAnIdleLoopPollAgain() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        loop.maxIdleNs(TimeUnit.SECONDS.toNanos(30)); // only a wakeup gets the loop to look before the test ends
        AtomicInteger offered = new AtomicInteger();
        CountDownLatch[] taken = {new CountDownLatch(1), new CountDownLatch(1), new CountDownLatch(1)};
        int[] takenCount = new int[1];
        // A source another thread fills without a command: the loop finds the item only if it polls again.
        loop.register((nowNs, budget) -> {
            int n = offered.get() - takenCount[0];
            for (int i = 0; i < n; i++) {
                taken[takenCount[0]++].countDown();
            }
            return n;
        });
        loop.wakeup(); // before the loop runs on a thread: a no-op, not an error
        try (LoopThread thread = LoopThread.start(loop)) {
            for (int i = 0; i < taken.length; i++) {
                offered.incrementAndGet();
                loop.wakeup();
                assertTrue(taken[i].await(5, TimeUnit.SECONDS), "wakeup " + i + " made the idle loop poll");
            }
        }
    }

    @Test
    void timersFireInRealTimeAndTheLoopStopsCleanly() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        CountDownLatch fired = new CountDownLatch(1);
        AtomicLong lateNs = new AtomicLong();
        LoopThread thread = LoopThread.start(loop);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(30);
        loop.execute(() -> loop.timers().schedule(Timer.of(() -> {
            lateNs.set(System.nanoTime() - deadline);
            fired.countDown();
        }), deadline));
        assertTrue(fired.await(5, TimeUnit.SECONDS));
        assertTrue(lateNs.get() >= 0, "a timer never fires early");
        assertTrue(thread.stop(5, TimeUnit.SECONDS), "stop must end the thread");
        assertFalse(thread.thread().isAlive());
    }

    @Test
    void aCustomIoWaiterIsUsedWhenIdleAndWokenByExecute() throws Exception {
        AtomicInteger waits = new AtomicInteger();
        ParkingWaiter delegate = new ParkingWaiter();
        EventLoop loop = new EventLoop("rt", Clock.system());
        loop.ioWaiter(new IoWaiter() {
            @Override
            public void await(long timeoutNs) {
                waits.incrementAndGet();
                delegate.await(timeoutNs);
            }

            @Override
            public void wakeup() {
                delegate.wakeup();
            }
        });
        try (LoopThread thread = LoopThread.start(loop)) {
            CountDownLatch ran = new CountDownLatch(3);
            for (int i = 0; i < 3; i++) {
                Thread.sleep(10);
                loop.execute(ran::countDown);
            }
            assertTrue(ran.await(5, TimeUnit.SECONDS));
            // An idle loop parks in the waiter once its spin and yield windows have passed; on a loaded machine
            // the loop thread may not have run long enough yet, so wait for it (bounded) instead of sampling once.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (waits.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(waits.get() >= 1, "the idle loop waits in the IoWaiter");
            int before = waits.get();
            CountDownLatch again = new CountDownLatch(1);
            loop.execute(again::countDown);
            assertTrue(again.await(5, TimeUnit.SECONDS), "execute wakes the loop from the waiter");
            assertTrue(before >= 1);
            assertThrows(IllegalStateException.class, () -> loop.ioWaiter(delegate),
                    "the waiter cannot change while running");
        }
    }

    @Test
    void anExceptionInAHandlerDoesNotKillTheLoop() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        loop.errorHandler((l, where, error) -> { }); // keep the test log quiet; counting is the loop's job
        try (LoopThread thread = LoopThread.start(loop)) {
            loop.execute(() -> {
                throw new IllegalStateException("boom");
            });
            CountDownLatch after = new CountDownLatch(1);
            loop.execute(after::countDown);
            assertTrue(after.await(5, TimeUnit.SECONDS));
            assertTrue(thread.thread().isAlive());
        }
        assertEquals(1, loop.errors());
    }

    @Test
    void aRethrowingErrorHandlerEndsTheThreadAndTheFailureIsKept() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        loop.errorHandler(LoopErrorHandler.RETHROW);
        LoopThread thread = LoopThread.start(loop);
        loop.execute(() -> {
            throw new IllegalStateException("fatal by policy");
        });
        thread.thread().join(TimeUnit.SECONDS.toMillis(5));
        assertFalse(thread.thread().isAlive());
        assertEquals("fatal by policy", thread.failure().getMessage());
        thread.close();
    }

    @Test
    void aLoopCannotRunOnTwoThreads() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        try (LoopThread thread = LoopThread.start(loop)) {
            CountDownLatch started = new CountDownLatch(1);
            loop.execute(started::countDown);
            assertTrue(started.await(5, TimeUnit.SECONDS));
            IllegalStateException e = assertThrows(IllegalStateException.class, loop::runUntilStopped);
            assertTrue(e.getMessage().contains("exactly one owner thread"), e.getMessage());
        }
    }

    @Test
    void noWakeupIsLostUnderManyCrossThreadCommands() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        loop.maxIdleNs(TimeUnit.SECONDS.toNanos(60)); // a lost wakeup would stall the test far past its timeout
        int commands = 20_000;
        CountDownLatch done = new CountDownLatch(commands);
        try (LoopThread thread = LoopThread.start(loop)) {
            Thread producer = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < commands; i++) {
                    loop.execute(done::countDown);
                    if (i % 100 == 0) {
                        Thread.onSpinWait();
                        LockSupportPause.briefly();
                    }
                }
            });
            assertTrue(done.await(20, TimeUnit.SECONDS), "commands left: " + done.getCount());
            producer.join();
        }
    }

    /** Lets the loop go idle now and then so that wakeups race with parking. */
    private static final class LockSupportPause {
        static void briefly() {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000);
        }
    }

    @Test
    void wakeupBeforeAwaitIsNotLost() {
        ParkingWaiter waiter = new ParkingWaiter();
        waiter.wakeup();
        long start = System.nanoTime();
        waiter.await(TimeUnit.SECONDS.toNanos(30));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "a pending wakeup returns at once");
    }

    @Test
    void aStoppedLoopRunsItsStopHooksOnItsThreadAndRejectsEveryLaterCommand() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        AtomicLong hookRanOn = new AtomicLong();
        loop.onStop(() -> hookRanOn.set(Thread.currentThread().threadId()));
        LoopThread thread = LoopThread.start(loop);
        assertFalse(loop.isStopped());
        assertTrue(thread.stop(5, TimeUnit.SECONDS));
        assertTrue(loop.isStopped());
        assertTrue(loop.isTerminated());
        assertEquals(thread.thread().threadId(), hookRanOn.get(), "stop hooks run on the loop's own thread");

        java.util.concurrent.RejectedExecutionException plain = assertThrows(
                java.util.concurrent.RejectedExecutionException.class, () -> loop.execute(() -> { }));
        assertTrue(plain.getMessage().contains("event loop rt was stopped"), plain.getMessage());
        AtomicInteger rejected = new AtomicInteger();
        LoopCommand command = new LoopCommand() {
            @Override
            public void run() {
                throw new AssertionError("a stopped loop runs nothing");
            }

            @Override
            protected void onRejected(java.util.concurrent.RejectedExecutionException reason) {
                rejected.incrementAndGet();
            }
        };
        loop.execute(command); // a LoopCommand hears the rejection instead of an exception
        assertEquals(1, rejected.get());
        loop.execute(command); // and may be submitted again (it is not left "queued")
        assertEquals(2, rejected.get());
    }

    @Test
    void commandsStillQueuedAtStopAreRejectedNotDropped() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        CountDownLatch blocking = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LoopThread thread = LoopThread.start(loop);
        loop.execute(() -> {
            blocking.countDown();
            try {
                release.await(); // hold the loop in this turn while more commands queue up behind
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(blocking.await(5, TimeUnit.SECONDS));
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        int queued = EventLoop.DEFAULT_BUDGET * 3; // more than one turn takes: some sit in the loop's batch
        for (int i = 0; i < queued; i++) {
            loop.execute(new LoopCommand() {
                @Override
                public void run() {
                    ran.incrementAndGet();
                }

                @Override
                protected void onRejected(java.util.concurrent.RejectedExecutionException reason) {
                    rejected.incrementAndGet();
                }
            });
        }
        loop.stop();
        release.countDown();
        assertTrue(thread.stop(5, TimeUnit.SECONDS));
        assertEquals(queued, ran.get() + rejected.get(), "every queued command either ran or was rejected");
        assertTrue(rejected.get() > 0, "a stop requested before they ran leaves some to reject");
    }

    @Test
    void commandsRunInSubmissionOrderAcrossTurns() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        java.util.List<Integer> order = new java.util.ArrayList<>();
        int n = EventLoop.DEFAULT_BUDGET * 5 + 3;
        CountDownLatch done = new CountDownLatch(1);
        try (LoopThread thread = LoopThread.start(loop)) {
            for (int i = 0; i < n; i++) {
                int v = i;
                loop.execute(() -> order.add(v));
            }
            loop.execute(done::countDown);
            assertTrue(done.await(5, TimeUnit.SECONDS));
        }
        for (int i = 0; i < n; i++) {
            assertEquals(i, order.get(i), "FIFO at index " + i);
        }
    }

    @Test
    void aLoopEndedByAnExceptionAlsoTerminatesSoNobodyWaitsForIt() throws Exception {
        EventLoop loop = new EventLoop("rt", Clock.system());
        loop.errorHandler(LoopErrorHandler.RETHROW); // an escaping exception ends the loop's thread
        CountDownLatch hookRan = new CountDownLatch(1);
        loop.onStop(hookRan::countDown);
        LoopThread thread = LoopThread.start(loop);
        loop.execute(() -> {
            throw new IllegalStateException("boom");
        });
        assertTrue(hookRan.await(5, TimeUnit.SECONDS), "stop hooks run when the loop dies");
        thread.thread().join(5_000);
        assertTrue(loop.isTerminated());
        assertTrue(thread.failure() instanceof IllegalStateException, String.valueOf(thread.failure()));
        assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> loop.execute(() -> { }));
    }
}
