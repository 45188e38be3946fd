package dev.chimney.runtime;

import java.util.Arrays;

/**
 * The timers of one event loop. Re-arming or cancelling is O(log n) and allocation-free; expiry order is by
 * deadline, ties broken by arming order (a re-arm counts as a new arming), so runs are deterministic.
 *
 * <p>Callbacks may freely schedule and cancel timers: a timer re-armed from its own {@link Timer#onExpired} is simply
 * armed again (and fires in the same {@link #poll} if its new deadline is already due and the limit allows), and a
 * timer cancelled by an earlier callback of the same poll does not fire.
 *
 * <p>Implementation note: an indexed binary heap of intrusive {@link Timer} nodes. A hashed wheel would make
 * arming O(1) but loses the exact (deadline, arming order) tie order unless each slot is sorted, and the
 * simulator depends on that order; see {@code TimerQueueBenchmark} in the bench module for the comparison.
 * Not thread-safe: used only by its loop's thread.
 */
public final class TimerQueue {
    private Timer[] heap = new Timer[64];
    private long[] order = new long[64];
    private int size;
    private long armSequence;
    private long firedTotal;

    /** Arms (or re-arms) {@code timer} to fire at {@code deadlineNs}. */
    public void schedule(Timer timer, long deadlineNs) {
        if (timer.index >= 0 && timer.wheel != this) {
            throw new IllegalStateException("timer is armed on another loop's wheel; cancel it there first "
                    + "(a timer belongs to one loop at a time)");
        }
        if (timer.index >= 0) {
            timer.deadlineNs = deadlineNs;
            order[timer.index] = armSequence++;
            int i = siftUp(timer.index);
            siftDown(i);
            return;
        }
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
            order = Arrays.copyOf(order, size * 2);
        }
        timer.deadlineNs = deadlineNs;
        heap[size] = timer;
        order[size] = armSequence++;
        timer.index = size;
        timer.wheel = this;
        size++;
        siftUp(size - 1);
    }

    /** Disarms {@code timer}; does nothing if it is not armed. */
    public void cancel(Timer timer) {
        int i = timer.index;
        if (i < 0) {
            return;
        }
        if (timer.wheel != this) {
            throw new IllegalStateException("timer is armed on another loop's wheel; cancel it on that wheel");
        }
        size--;
        if (i != size) {
            move(size, i);
            heap[size] = null;
            int j = siftUp(i);
            siftDown(j);
        } else {
            heap[size] = null;
        }
        timer.index = -1;
        timer.wheel = null;
    }

    /** Earliest armed deadline, or {@link Long#MAX_VALUE}. */
    public long nextDeadlineNs() {
        return size == 0 ? Long.MAX_VALUE : heap[0].deadlineNs;
    }

    /** Timers currently armed. */
    public int size() {
        return size;
    }

    /** Timers fired since creation (counts a callback even if it threw). */
    public long firedTotal() {
        return firedTotal;
    }

    /**
     * Fires, in (deadline, arming order), up to {@code limit} timers whose deadline is at or before {@code nowNs}.
     * Each is disarmed before its callback runs. If a callback throws, the exception propagates and the remaining
     * due timers stay armed for the next poll.
     *
     * @return the number fired
     */
    public int poll(long nowNs, int limit) {
        int fired = 0;
        while (fired < limit && size > 0 && heap[0].deadlineNs <= nowNs) {
            Timer t = heap[0];
            cancel(t);
            fired++;
            firedTotal++;
            t.onExpired(nowNs);
        }
        return fired;
    }

    private boolean less(int a, int b) {
        Timer x = heap[a];
        Timer y = heap[b];
        if (x.deadlineNs != y.deadlineNs) {
            return x.deadlineNs < y.deadlineNs;
        }
        return order[a] < order[b];
    }

    private void move(int from, int to) {
        heap[to] = heap[from];
        order[to] = order[from];
        heap[to].index = to;
    }

    private void swap(int a, int b) {
        Timer t = heap[a];
        long o = order[a];
        heap[a] = heap[b];
        order[a] = order[b];
        heap[b] = t;
        order[b] = o;
        heap[a].index = a;
        heap[b].index = b;
    }

    private int siftUp(int i) {
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!less(i, p)) {
                break;
            }
            swap(i, p);
            i = p;
        }
        return i;
    }

    private void siftDown(int i) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int c = l + 1 < size && less(l + 1, l) ? l + 1 : l;
            if (!less(c, i)) {
                return;
            }
            swap(i, c);
            i = c;
        }
    }
}
