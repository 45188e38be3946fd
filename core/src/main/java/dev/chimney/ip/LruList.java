package dev.chimney.ip;

/**
 * An intrusive least-recently-used list for the bounded caches (neighbors, paths): entries carry their own links,
 * so touching an entry on the data path allocates nothing, and the oldest entry is the eviction victim.
 */
final class LruList<E extends LruList.Node<E>> {

    /** The links an entry carries; owned by the one list the entry is in. */
    abstract static class Node<E> {
        E lruPrev;
        E lruNext;
    }

    private E head;
    private E tail;

    /** The least recently used entry, or null when empty. */
    E oldest() {
        return head;
    }

    void addNewest(E e) {
        e.lruPrev = tail;
        e.lruNext = null;
        if (tail != null) {
            tail.lruNext = e;
        } else {
            head = e;
        }
        tail = e;
    }

    /** Marks {@code e} as just used. */
    void touch(E e) {
        if (e != tail) {
            remove(e);
            addNewest(e);
        }
    }

    void remove(E e) {
        if (e.lruPrev != null) {
            e.lruPrev.lruNext = e.lruNext;
        } else if (head == e) {
            head = e.lruNext;
        }
        if (e.lruNext != null) {
            e.lruNext.lruPrev = e.lruPrev;
        } else if (tail == e) {
            tail = e.lruPrev;
        }
        e.lruPrev = null;
        e.lruNext = null;
    }
}
