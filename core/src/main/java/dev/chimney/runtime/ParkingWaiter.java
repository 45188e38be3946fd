package dev.chimney.runtime;

import java.util.concurrent.locks.LockSupport;

/**
 * The default {@link IoWaiter}: parks the loop thread with {@link LockSupport#parkNanos} and unparks it on wakeup.
 *
 * <p>No lost wakeups, few syscalls: the waiter announces {@code parked} before checking {@code wakeupPending},
 * and {@link #wakeup()} sets {@code wakeupPending} before checking {@code parked} (both volatile, so at least one
 * side sees the other: the Dekker pattern). A wakeup while the loop is busy therefore costs one volatile write and
 * read, not an unpark.
 */
public final class ParkingWaiter implements IoWaiter {
    private volatile Thread waiter;
    private volatile boolean parked;
    private volatile boolean wakeupPending;

    @Override
    public void await(long timeoutNs) {
        waiter = Thread.currentThread();
        parked = true;
        try {
            if (!wakeupPending) {
                LockSupport.parkNanos(this, timeoutNs);
            }
        } finally {
            parked = false;
            wakeupPending = false;
        }
    }

    @Override
    public void wakeup() {
        wakeupPending = true;
        if (parked) {
            Thread t = waiter;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }
}
