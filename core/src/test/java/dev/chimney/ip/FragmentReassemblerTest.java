package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chimney.ip.FragmentReassembler.Result;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.TimerQueue;
import dev.chimney.runtime.VirtualClock;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Fragment reassembly: RFC 791 §3.2 (IPv4), RFC 8200 §4.5 and RFC 5722 (IPv6). */
class FragmentReassemblerTest {
    private static final long SRC = 0x0A00_0001L;
    private static final long DST = 0x0A00_0002L;

    private final VirtualClock clock = new VirtualClock();
    private final TimerQueue timers = new TimerQueue();
    private final IpCounters counters = new IpCounters();

    private FragmentReassembler v4() {
        return new FragmentReassembler(true, FragmentReassembler.Config.ipv4Defaults(), timers, counters);
    }

    private FragmentReassembler v6() {
        return new FragmentReassembler(false, FragmentReassembler.Config.ipv6Defaults(), timers, counters);
    }

    private static byte[] datagram(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private Result offer(FragmentReassembler r, int proto, long id, byte[] data, int off, int len, boolean more) {
        return r.offer(0, SRC, 0, DST, proto, id, off, more, MemorySegment.ofArray(data).asSlice(off, len),
                clock.nanoTime());
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void inOrderFragmentsReassemble() {
        FragmentReassembler r = v4();
        byte[] d = datagram(3000, 1);
        assertEquals(Result.PENDING, offer(r, 17, 7, d, 0, 1480, true));
        assertEquals(Result.PENDING, offer(r, 17, 7, d, 1480, 1480, true));
        assertEquals(Result.COMPLETE, offer(r, 17, 7, d, 2960, 40, false));
        assertArrayEquals(d, bytes(r.completedPayload()));
        assertEquals(17, r.completedProtocol());
        assertEquals(0, r.inProgress());
        assertEquals(0, r.bytesHeld());
        assertEquals(1, counters.get(IpCounter.FRAG_REASSEMBLED));
    }

    @Test
    void reverseOrderFragmentsReassemble() {
        FragmentReassembler r = v6();
        byte[] d = datagram(2500, 2);
        assertEquals(Result.PENDING, offer(r, 58, 99, d, 2000, 500, false));
        assertEquals(Result.PENDING, offer(r, 58, 99, d, 1000, 1000, true));
        assertEquals(Result.COMPLETE, offer(r, 58, 99, d, 0, 1000, true));
        assertArrayEquals(d, bytes(r.completedPayload()));
        assertEquals(58, r.completedProtocol(), "IPv6: next header of the offset-0 fragment");
    }

    @Test
    void datagramsAreKeyedSeparately() {
        FragmentReassembler r = v4();
        byte[] a = datagram(1600, 3);
        byte[] b = datagram(1600, 4);
        offer(r, 17, 1, a, 0, 800, true);
        offer(r, 6, 1, b, 0, 800, true); // same id, other protocol: another datagram in IPv4 (RFC 791)
        assertEquals(2, r.inProgress());
        assertEquals(Result.COMPLETE, offer(r, 6, 1, b, 800, 800, false));
        assertArrayEquals(b, bytes(r.completedPayload()));
        assertEquals(Result.COMPLETE, offer(r, 17, 1, a, 800, 800, false));
        assertArrayEquals(a, bytes(r.completedPayload()));
    }

    @Test
    void overlapDropsTheWholeDatagram() {
        FragmentReassembler r = v6();
        byte[] d = datagram(2400, 5);
        offer(r, 6, 1, d, 0, 1200, true);
        // RFC 5722 §4: overlapping fragment -> discard the whole datagram, including fragments already held.
        assertEquals(Result.DROPPED, offer(r, 6, 1, d, 1192, 1208, false));
        assertEquals(0, r.inProgress());
        assertEquals(0, r.bytesHeld());
        assertEquals(1, counters.get(IpCounter.FRAG_DROP_OVERLAP));
        // The remaining piece alone does not complete anything.
        assertEquals(Result.PENDING, offer(r, 6, 1, d, 1200, 1200, false));
    }

    @Test
    void ipv4OverlapDropsTooAndExactDuplicatesAreIgnored() {
        FragmentReassembler r = v4();
        byte[] d = datagram(1600, 6);
        offer(r, 17, 2, d, 0, 800, true);
        assertEquals(Result.PENDING, offer(r, 17, 2, d, 0, 800, true), "exact duplicate (erratum 3089): ignored");
        assertEquals(1, counters.get(IpCounter.FRAG_DROP_DUPLICATE));
        assertEquals(Result.COMPLETE, offer(r, 17, 2, d, 800, 800, false));
        offer(r, 17, 3, d, 0, 800, true);
        assertEquals(Result.DROPPED, offer(r, 17, 3, d, 400, 800, true));
    }

    @Test
    void timeoutDropsIncompleteDatagram() {
        FragmentReassembler r = v6();
        byte[] d = datagram(2000, 7);
        offer(r, 17, 9, d, 0, 1000, true);
        clock.advanceBy(Duration.ofSeconds(60).toNanos() - 1);
        timers.poll(clock.nanoTime(), 100);
        assertEquals(1, r.inProgress());
        clock.advanceBy(1);
        timers.poll(clock.nanoTime(), 100);
        assertEquals(0, r.inProgress(), "RFC 8200 §4.5: 60 s after the first fragment");
        assertEquals(1, counters.get(IpCounter.FRAG_DROP_TIMEOUT));
        assertEquals(Result.PENDING, offer(r, 17, 9, d, 1000, 1000, false), "late tail starts over");
    }

    @Test
    void limitsFailClosed() {
        FragmentReassembler r = new FragmentReassembler(true, new FragmentReassembler.Config(2, 4000, 3,
                Duration.ofSeconds(30).toNanos()), timers, counters);
        byte[] d = datagram(8000, 8);
        offer(r, 17, 1, d, 0, 1000, true);
        offer(r, 17, 2, d, 0, 1000, true);
        offer(r, 17, 3, d, 0, 1000, true); // a third datagram evicts the oldest (id 1)
        assertEquals(2, r.inProgress());
        assertEquals(Result.PENDING, offer(r, 17, 1, d, 1000, 1000, true), "id 1 starts over");
        assertEquals(2, r.inProgress());
        // Byte budget 4000: id 1 holds 1000, id 3 holds 1000; 2500 more for id 3 evicts id 1.
        assertEquals(Result.PENDING, offer(r, 17, 3, d, 1000, 2496, true));
        assertEquals(1, r.inProgress());
        // Fragments per datagram: 3 at most.
        assertEquals(Result.PENDING, offer(r, 17, 3, d, 3496, 8, true));
        assertEquals(Result.DROPPED, offer(r, 17, 3, d, 3504, 8, true));
        assertEquals(0, r.inProgress());
    }

    @Test
    void malformedFragmentsAreDropped() {
        FragmentReassembler r = v6();
        byte[] d = datagram(70000, 9);
        assertEquals(Result.DROPPED, offer(r, 17, 1, d, 0, 1001, true), "non-final length not a multiple of 8");
        assertEquals(Result.DROPPED, offer(r, 17, 1, d, 65000, 1000, false), "beyond 65535");
        offer(r, 17, 2, d, 1000, 500, false);
        assertEquals(Result.DROPPED, offer(r, 17, 2, d, 0, 1600, true), "reaches past the known end");
        assertEquals(3, counters.get(IpCounter.FRAG_DROP_MALFORMED));
    }

    @Property(tries = 100)
    void anyArrivalOrderWithDuplicatesReassemblesExactly(@ForAll @IntRange(min = 1, max = 20000) int length,
            @ForAll @IntRange(min = 1, max = 200) int chunkUnits, @ForAll long seed) {
        FragmentReassembler r = new FragmentReassembler(false, new FragmentReassembler.Config(4, 1 << 20, 4096,
                Duration.ofSeconds(60).toNanos()), new TimerQueue(), new IpCounters());
        byte[] d = datagram(length, seed);
        int chunk = chunkUnits * 8;
        List<int[]> frags = new ArrayList<>();
        for (int off = 0; off < length; off += chunk) {
            frags.add(new int[] {off, Math.min(chunk, length - off)});
        }
        SeededRandom rnd = new SeededRandom(seed);
        if (frags.size() > 1) {
            frags.add(frags.get(rnd.nextInt(frags.size() - 1))); // a network duplicate (not the last one)
        }
        Collections.shuffle(frags, new Random(seed));
        int completions = 0;
        for (int[] f : frags) {
            Result res = r.offer(0, SRC, 0, DST, 17, 5, f[0], f[0] + f[1] < length,
                    MemorySegment.ofArray(d).asSlice(f[0], f[1]), 0);
            if (res == Result.COMPLETE) {
                completions++;
                assertArrayEquals(d, bytes(r.completedPayload()), "seed " + seed);
            }
        }
        assertEquals(1, completions, "exactly one datagram completes; seed " + seed);
    }
}
