package dev.chimney.bench.runtime;

/**
 * A single-level hashed timer wheel (Varghese and Lauck, 1987; the Netty/Kafka design) kept in the bench module
 * only as the candidate the loop's heap is measured against. Re-arming is O(1) (unlink + link), but timers that fall
 * in the same tick fire in list order, not exact deadline order, and a deadline is only honoured to the tick; the
 * loop's {@code TimerQueue} keeps exact (deadline, arming order), which the simulator's replay depends on.
 */
final class HashedWheelCandidate {
    /** An intrusive timer node. */
    static final class Node {
        long deadlineNs;
        long rounds;
        Node prev;
        Node next;
        int slot = -1;
        final Runnable action;

        Node(Runnable action) {
            this.action = action;
        }
    }

    private final long tickNs;
    private final Node[] heads;
    private final int mask;
    private long currentTick;

    HashedWheelCandidate(long tickNs, int slots) {
        this.tickNs = tickNs;
        this.heads = new Node[slots];
        this.mask = slots - 1;
    }

    void schedule(Node n, long deadlineNs) {
        if (n.slot >= 0) {
            unlink(n);
        }
        long tick = Math.max(deadlineNs / tickNs, currentTick);
        n.deadlineNs = deadlineNs;
        n.rounds = (tick - currentTick) / heads.length;
        int s = (int) (tick & mask);
        n.slot = s;
        n.prev = null;
        n.next = heads[s];
        if (heads[s] != null) {
            heads[s].prev = n;
        }
        heads[s] = n;
    }

    /** Fires the timers of every tick that has fully elapsed by {@code nowNs} (up to one tick late). */
    int poll(long nowNs) {
        int fired = 0;
        while ((currentTick + 1) * tickNs <= nowNs) {
            Node n = heads[(int) (currentTick & mask)];
            while (n != null) {
                Node next = n.next;
                if (n.rounds <= 0) {
                    unlink(n);
                    fired++;
                    n.action.run();
                } else {
                    n.rounds--;
                }
                n = next;
            }
            currentTick++;
        }
        return fired;
    }

    private void unlink(Node n) {
        if (n.prev != null) {
            n.prev.next = n.next;
        } else {
            heads[n.slot] = n.next;
        }
        if (n.next != null) {
            n.next.prev = n.prev;
        }
        n.prev = null;
        n.next = null;
        n.slot = -1;
    }
}
