package dev.chimney.tcp;

/**
 * The byte ranges received beyond RCV.NXT (RFC 9293 §3.10.7.4 "segments ... held for later processing", RFC 1122
 * §4.2.2.20), as sorted, disjoint, non-adjacent [start, end) offsets relative to RCV.NXT. Bounded: adding a range
 * that would need more than {@code maxRanges} entries is refused, so the caller drops that segment (it was never
 * acknowledged or SACKed, so dropping it loses nothing).
 */
final class OutOfOrderRanges {
    private static final int[] NONE = new int[0];
    private final int maxRanges;
    /** Made with the first range: most connections never receive out of order (issue 9: short connections). */
    private int[] starts = NONE;
    private int[] ends = NONE;
    private int count;

    OutOfOrderRanges(int maxRanges) {
        this.maxRanges = maxRanges;
    }

    int count() {
        return count;
    }

    int start(int i) {
        return starts[i];
    }

    int end(int i) {
        return ends[i];
    }

    boolean isEmpty() {
        return count == 0;
    }

    void clear() {
        count = 0;
    }

    /** Would adding [start, end) fit in the bounded table? */
    boolean canAdd(int start, int end) {
        if (count < maxRanges) {
            return true;
        }
        for (int i = 0; i < count; i++) {
            if (start <= ends[i] && end >= starts[i]) {
                return true; // touches an existing range: merges, no new entry
            }
        }
        return false;
    }

    /** Adds [start, end) (start &gt; 0), merging overlapping or adjacent ranges; false if the table is full. */
    boolean add(int start, int end) {
        if (!canAdd(start, end)) {
            return false;
        }
        if (starts.length == 0) {
            starts = new int[maxRanges];
            ends = new int[maxRanges];
        }
        int i = 0;
        while (i < count && ends[i] < start) {
            i++;
        }
        int j = i;
        int s = start;
        int e = end;
        while (j < count && starts[j] <= end) {
            s = Math.min(s, starts[j]);
            e = Math.max(e, ends[j]);
            j++;
        }
        int removed = j - i;
        if (removed == 0) {
            System.arraycopy(starts, i, starts, i + 1, count - i);
            System.arraycopy(ends, i, ends, i + 1, count - i);
            count++;
        } else if (removed > 1) {
            System.arraycopy(starts, j, starts, i + 1, count - j);
            System.arraycopy(ends, j, ends, i + 1, count - j);
            count -= removed - 1;
        }
        starts[i] = s;
        ends[i] = e;
        return true;
    }

    /**
     * RCV.NXT moved forward by {@code n}: shifts every range and removes what is now in order. Returns how many
     * bytes beyond the new RCV.NXT were already held and are now in order too (the caller advances by that).
     */
    int advance(int n) {
        int extra = 0;
        int w = 0;
        for (int i = 0; i < count; i++) {
            int s = starts[i] - n;
            int e = ends[i] - n;
            if (s <= 0) {
                extra = Math.max(extra, e);
                continue;
            }
            starts[w] = s;
            ends[w] = e;
            w++;
        }
        count = w;
        if (extra > 0) {
            // the newly in-order bytes may reach further ranges only if they were adjacent, which add() merged
            for (int i = 0; i < count; i++) {
                starts[i] -= extra;
                ends[i] -= extra;
            }
        }
        return extra;
    }

    /** Index of the range containing offset {@code off}, or -1. */
    int find(int off) {
        for (int i = 0; i < count; i++) {
            if (starts[i] <= off && off < ends[i]) {
                return i;
            }
        }
        return -1;
    }
}
