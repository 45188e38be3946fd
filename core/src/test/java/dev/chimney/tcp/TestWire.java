package dev.chimney.tcp;

import dev.chimney.runtime.Clock;
import dev.chimney.runtime.Pollable;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.wire.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A tiny in-test "wire" between two {@link TcpStack}s: each transmitted segment is copied and delivered to the
 * other stack after a delay (with jitter, so segments can be reordered), or lost with a given probability. All
 * randomness comes from a {@link SeededRandom}, so a run replays from its seed.
 */
final class TestWire implements Pollable {
    private record InFlight(long atNs, long order, IpAddress src, IpAddress dst, TcpSegment segment, int toSide) {
    }

    private final Clock clock;
    private final SeededRandom random;
    private final long delayNs;
    private final long jitterNs;
    private final double loss;
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>((a, b) -> a.atNs != b.atNs
            ? Long.compare(a.atNs, b.atNs) : Long.compare(a.order, b.order));
    private final TcpStack[] stacks = new TcpStack[2];
    private long order;
    /** Every segment put on the wire per side (after loss), for twin comparisons. */
    final List<List<String>> log = List.of(new ArrayList<>(), new ArrayList<>());
    boolean logging;
    int lost;

    TestWire(Clock clock, SeededRandom random, long delayNs, long jitterNs, double loss) {
        this.clock = clock;
        this.random = random;
        this.delayNs = delayNs;
        this.jitterNs = jitterNs;
        this.loss = loss;
    }

    void attach(int side, TcpStack stack) {
        stacks[side] = stack;
    }

    /** The output of {@code side}: segments go to the other side. */
    TcpOutput output(int side) {
        return (src, dst, seg, ip) -> {
            if (logging) {
                log.get(side).add(clock.nanoTime() / 1_000_000 + "ms " + seg);
            }
            if (random.chance(loss)) {
                lost++;
                return;
            }
            long jitter = jitterNs > 0 ? random.nextLong(jitterNs) : 0;
            // keep whole milliseconds so export/import tick conversions are exact
            long at = clock.nanoTime() + delayNs + jitter / 1_000_000 * 1_000_000;
            queue.add(new InFlight(at, order++, src, dst, seg.copy(), 1 - side));
        };
    }

    @Override
    public int poll(long nowNs, int budget) {
        int n = 0;
        while (n < budget && !queue.isEmpty() && queue.peek().atNs <= nowNs) {
            InFlight f = queue.poll();
            // each stack reads its own loop's clock (the importing loop may have a different base)
            TcpStack to = stacks[f.toSide];
            to.onSegment(to.nowNs(), f.src, f.dst, f.segment);
            n++;
        }
        return n;
    }

    @Override
    public long nextWorkNs() {
        return queue.isEmpty() ? Long.MAX_VALUE : queue.peek().atNs;
    }
}
