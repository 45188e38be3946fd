package dev.chimney.ip;

import java.util.EnumMap;
import java.util.Map;

/**
 * The {@link IpCounter} values of one stack: a plain long[] indexed by counter id, written only by the owning
 * event loop (no atomics on the data path). Readers on other threads may see slightly stale values.
 */
public final class IpCounters {
    private final long[] values = new long[IpCounter.values().length];

    public void increment(IpCounter c) {
        values[c.id()]++;
    }

    public void add(IpCounter c, long delta) {
        values[c.id()] += delta;
    }

    public long get(IpCounter c) {
        return values[c.id()];
    }

    /** Sum of every drop and error counter, for "was anything dropped?" assertions. */
    public long totalDrops() {
        long sum = 0;
        for (IpCounter c : IpCounter.values()) {
            if (c.name().contains("DROP") || c == IpCounter.NEIGHBOR_TABLE_FULL) {
                sum += values[c.id()];
            }
        }
        return sum;
    }

    /** A snapshot of the non-zero counters, in id order. */
    public Map<IpCounter, Long> snapshot() {
        Map<IpCounter, Long> m = new EnumMap<>(IpCounter.class);
        for (IpCounter c : IpCounter.values()) {
            if (values[c.id()] != 0) {
                m.put(c, values[c.id()]);
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
