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
    /** A segment in flight, or (icmpMtu > 0) an ICMP "packet too big" travelling back to the sender. */
    private record InFlight(long atNs, long order, IpAddress src, IpAddress dst, TcpSegment segment, int toSide,
            int icmpMtu) {
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
    /** Segments whose IP packet would exceed this are dropped, as a router would (counted in {@link #tooBig}). */
    int mtu = Integer.MAX_VALUE;
    int tooBig;
    int lost;
    /** When set, picks the stack that receives each segment for a side (e.g. a host or its offload target). */
    java.util.function.IntFunction<TcpStack> router;

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
        TcpOutput out = (src, dst, seg, ip) -> {
            if (logging) {
                log.get(side).add(clock.nanoTime() / 1_000_000 + "ms " + seg);
            }
            int ipHeader = src.isIpv4() ? 20 : 40;
            int optionBytes = (seg.hasTimestamp() ? 12 : 0) + (seg.sackCount() > 0 ? 2 + 8 * seg.sackCount() : 0)
                    + (seg.mss() >= 0 ? 4 : 0) + (seg.windowScale() >= 0 ? 3 : 0) + (seg.sackPermitted() ? 2 : 0);
            if (ipHeader + 20 + ((optionBytes + 3) & ~3) + seg.payloadLength() > mtu) {
                // RFC 1191 / RFC 8201: the router drops it and tells the sender the next-hop MTU
                tooBig++;
                queue.add(new InFlight(clock.nanoTime() + delayNs, order++, dst, src, seg.copy(), side, mtu));
                return;
            }
            if (random.chance(loss)) {
                lost++;
                return;
            }
            long jitter = jitterNs > 0 ? random.nextLong(jitterNs) : 0;
            // keep whole milliseconds so export/import tick conversions are exact
            long at = clock.nanoTime() + delayNs + jitter / 1_000_000 * 1_000_000;
            queue.add(new InFlight(at, order++, src, dst, seg.copy(), 1 - side, 0));
        };
        return new TcpOutput() {
            @Override
            public void transmit(IpAddress source, IpAddress destination, TcpSegment segment, TcpCached ipParams) {
                out.transmit(source, destination, segment, ipParams);
            }

            @Override
            public int pathMtu(IpAddress source, IpAddress destination) {
                return mtu == Integer.MAX_VALUE ? 1500 : mtu;
            }
        };
    }

    @Override
    public int poll(long nowNs, int budget) {
        int n = 0;
        while (n < budget && !queue.isEmpty() && queue.peek().atNs <= nowNs) {
            InFlight f = queue.poll();
            // each stack reads its own loop's clock (the importing loop may have a different base)
            TcpStack to = router != null ? router.apply(f.toSide) : stacks[f.toSide];
            if (f.icmpMtu > 0) {
                // the quoted segment identifies the connection: it went from dst (us) to src
                TcpConnection c = to.find(f.dst, f.segment.sourcePort(), f.src, f.segment.destinationPort());
                if (c != null) {
                    c.onPathMtuDecrease(f.icmpMtu);
                }
            } else {
                to.onSegment(to.nowNs(), f.src, f.dst, f.segment);
            }
            n++;
        }
        return n;
    }

    @Override
    public long nextWorkNs() {
        return queue.isEmpty() ? Long.MAX_VALUE : queue.peek().atNs;
    }
}
