package dev.chimney.link.ffm;

import dev.chimney.runtime.IoWaiter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * An {@link IoWaiter} that blocks the loop thread in ppoll(2) on some file descriptors (TAP devices, sockets) plus
 * an eventfd that {@link #wakeup()} writes: an idle loop wakes for a frame, a command or its next timer, without
 * spinning.
 *
 * <p>Wakeups coalesce: only the first {@link #wakeup()} after the loop last drained the eventfd pays a write(2);
 * the flag is cleared only after the eventfd has been read, so a wakeup racing with that read is never lost (the
 * loop is returning from {@link #await} anyway and will see the command it announced).
 */
public final class PollWaiter implements IoWaiter, AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errnoState = LibC.allocateErrnoState(arena);
    /** Separate errno capture for wakeup(), which runs on other threads. */
    private final MemorySegment wakeErrnoState = LibC.allocateErrnoState(arena);
    private final MemorySegment one = arena.allocateFrom(ValueLayout.JAVA_LONG, 1L);
    private final MemorySegment drain = arena.allocate(ValueLayout.JAVA_LONG);
    private final MemorySegment pollFds;
    private final MemorySegment timeout = arena.allocate(LibC.TIMESPEC);
    private final int count;
    private final int eventFd;
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private volatile boolean closed;

    private PollWaiter(int[] fds) {
        int efd = LibC.eventfd(errnoState, 0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (efd < 0) {
            int errno = LibC.errno(errnoState);
            arena.close();
            throw new IllegalStateException("eventfd(2) failed: " + LibC.strerror(errno));
        }
        eventFd = efd;
        count = fds.length + 1;
        pollFds = arena.allocate(LibC.POLLFD, count);
        for (int i = 0; i < count; i++) {
            MemorySegment slot = pollFds.asSlice(i * LibC.POLLFD.byteSize(), LibC.POLLFD.byteSize());
            slot.set(ValueLayout.JAVA_INT, LibC.POLLFD_FD_OFFSET, i == 0 ? eventFd : fds[i - 1]);
            slot.set(ValueLayout.JAVA_SHORT, LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN);
        }
    }

    /**
     * A waiter over these descriptors (each polled for POLLIN). The caller keeps owning them: close them after
     * this waiter's loop has stopped.
     */
    public static PollWaiter forDescriptors(int... fds) {
        for (int fd : fds) {
            if (fd < 0) {
                throw new IllegalArgumentException("file descriptors are >= 0, got " + fd);
            }
        }
        return new PollWaiter(fds.clone());
    }

    @Override
    public void await(long timeoutNs) {
        if (closed) {
            LockSupport.parkNanos(timeoutNs); // descriptors may be gone: never spin on POLLNVAL
            return;
        }
        long ns = Math.max(0, timeoutNs);
        timeout.set(ValueLayout.JAVA_LONG, LibC.TIMESPEC_SEC_OFFSET, ns / 1_000_000_000L);
        timeout.set(ValueLayout.JAVA_LONG, LibC.TIMESPEC_NSEC_OFFSET, ns % 1_000_000_000L);
        for (int i = 0; i < count; i++) {
            pollFds.set(ValueLayout.JAVA_SHORT, i * LibC.POLLFD.byteSize() + LibC.POLLFD_REVENTS_OFFSET, (short) 0);
        }
        int ready = LibC.ppoll(errnoState, pollFds, count, timeout);
        if (ready > 0 && (pollFds.get(ValueLayout.JAVA_SHORT, LibC.POLLFD_REVENTS_OFFSET) & LibC.POLLIN) != 0) {
            LibC.read(errnoState, eventFd, drain, 8); // resets the counter (non-blocking)
            wakePending.set(false);
        }
        // ready < 0 is EINTR (or a closed fd): return early, the loop simply runs a turn.
    }

    @Override
    public void wakeup() {
        if (!closed && !wakePending.getAndSet(true)) {
            LibC.write(wakeErrnoState, eventFd, one, 8);
        }
    }

    /** Closes the eventfd (not the polled descriptors). Call after the loop stopped. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LibC.close(errnoState, eventFd);
        arena.close();
    }
}
