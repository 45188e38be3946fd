package dev.chimney.runtime;

import java.util.concurrent.locks.LockSupport;

/**
 * The default {@link IoWaiter}: parks the loop thread with {@link LockSupport#parkNanos} and unparks it on wakeup.
 * A wakeup before the park is remembered (pending flag plus the park permit), so none is lost.
 */
public final class ParkingWaiter implements IoWaiter {
    private volatile Thread waiter;
    private volatile boolean wakeupPending;

    @Override
    public void await(long timeoutNs) {
        waiter = Thread.currentThread();
        if (wakeupPending) {
            wakeupPending = false;
            return;
        }
        LockSupport.parkNanos(this, timeoutNs);
        wakeupPending = false;
    }

    @Override
    public void wakeup() {
        wakeupPending = true;
        Thread t = waiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
