package dev.chimney.runtime;

import java.util.Arrays;

/**
 * The timers of one event loop. Re-arming or cancelling is O(log n) and allocation-free; expiry order is by
 * deadline, ties broken by arming order, so runs are deterministic.
 *
 * <p>Implementation note: an indexed binary heap of intrusive {@link Timer} nodes.
 */
public final class TimerWheel {
    private Timer[] heap = new Timer[64];
    private long[] order = new long[64];
    private int size;
    private long armSequence;

    /** Arms (or re-arms) {@code timer} to fire at {@code deadlineNs}. */
    public void schedule(Timer timer, long deadlineNs) {
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
        size++;
        siftUp(size - 1);
    }

    /** Disarms {@code timer}; does nothing if it is not armed. */
    public void cancel(Timer timer) {
        int i = timer.index;
        if (i < 0) {
            return;
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
    }

    /** Earliest armed deadline, or {@link Long#MAX_VALUE}. */
    public long nextDeadlineNs() {
        return size == 0 ? Long.MAX_VALUE : heap[0].deadlineNs;
    }

    public int size() {
        return size;
    }

    /**
     * Fires up to {@code limit} timers whose deadline is at or before {@code nowNs}.
     *
     * @return the number fired
     */
    public int poll(long nowNs, int limit) {
        int fired = 0;
        while (fired < limit && size > 0 && heap[0].deadlineNs <= nowNs) {
            Timer t = heap[0];
            cancel(t);
            fired++;
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
