package dev.chimney.link.ffm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ppoll/eventfd waiter: times out when nothing happens, returns at once for an earlier wakeup (no lost
 * wakeups), for a wakeup from another thread, and for a readable descriptor. Real time, generous bounds.
 */
class PollWaiterTest {
    private static final long SECOND_NS = TimeUnit.SECONDS.toNanos(1);

    @Test
    void timesOutWhenNothingHappens() {
        try (PollWaiter waiter = PollWaiter.forDescriptors()) {
            long start = System.nanoTime();
            waiter.await(TimeUnit.MILLISECONDS.toNanos(50));
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(45), "waited only " + elapsed + " ns");
        }
    }

    @Test
    void aWakeupBeforeAwaitIsNotLost() {
        try (PollWaiter waiter = PollWaiter.forDescriptors()) {
            waiter.wakeup();
            waiter.wakeup(); // coalesced
            long start = System.nanoTime();
            waiter.await(10 * SECOND_NS);
            assertTrue(System.nanoTime() - start < SECOND_NS, "await returned for the earlier wakeup");
            // Drained: the next await times out again.
            start = System.nanoTime();
            waiter.await(TimeUnit.MILLISECONDS.toNanos(30));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(25), "eventfd was drained");
            // And a new wakeup after the drain is honoured again.
            waiter.wakeup();
            start = System.nanoTime();
            waiter.await(10 * SECOND_NS);
            assertTrue(System.nanoTime() - start < SECOND_NS, "second wakeup honoured");
        }
    }

    @Test
    void aWakeupFromAnotherThreadEndsTheWait() throws InterruptedException {
        try (PollWaiter waiter = PollWaiter.forDescriptors()) {
            Thread waker = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                waiter.wakeup();
            });
            long start = System.nanoTime();
            waiter.await(10 * SECOND_NS);
            assertTrue(System.nanoTime() - start < 5 * SECOND_NS, "woken by the other thread");
            waker.join();
        }
    }

    @Test
    void aReadableDescriptorEndsTheWait() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = LibC.allocateErrnoState(arena);
            int fd = LibC.eventfd(errno, 0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
            assertTrue(fd >= 0, "eventfd: " + LibC.strerror(LibC.errno(errno)));
            try (PollWaiter waiter = PollWaiter.forDescriptors(fd)) {
                LibC.write(errno, fd, arena.allocateFrom(ValueLayout.JAVA_LONG, 1L), 8);
                long start = System.nanoTime();
                waiter.await(10 * SECOND_NS);
                assertTrue(System.nanoTime() - start < SECOND_NS, "await returned for the readable descriptor");
            } finally {
                LibC.close(errno, fd);
            }
        }
    }
}
