package dev.chimney.bench.runtime;

import dev.chimney.runtime.Timer;
import dev.chimney.runtime.TimerQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The TCP timer pattern: many timers, each packet re-arms one (retransmit / delayed ACK) 200 ms ahead, time
 * advances 1 us per operation, and timers not re-armed within 200 ms expire (and stay disarmed until re-armed). {@link
 * #timerWheel} uses the loop's intrusive indexed heap; the baseline
 * {@link #priorityQueue} is {@link java.util.PriorityQueue} with remove + add for a re-arm (what a plain JDK
 * implementation would do); {@link #hashedWheel} is the O(1) candidate {@link HashedWheelCandidate}. All three see
 * the same operation sequence.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TimerQueueBenchmark {
    @Param({"1000", "100000"})
    int timers;

    private TimerQueue wheel;
    private Timer[] wheelTimers;
    private PriorityQueue<Entry> queue;
    private Entry[] entries;
    private SplittableRandom random;
    private long nowNs;
    private long fired;
    private HashedWheelCandidate hashed;
    private HashedWheelCandidate.Node[] hashedNodes;

    /** Baseline timer entry ordered by deadline then sequence. */
    static final class Entry implements Comparable<Entry> {
        long deadlineNs;
        long seq;

        @Override
        public int compareTo(Entry o) {
            int c = Long.compare(deadlineNs, o.deadlineNs);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    @Setup
    public void setup() {
        random = new SplittableRandom(1);
        wheel = new TimerQueue();
        wheelTimers = new Timer[timers];
        queue = new PriorityQueue<>(timers);
        entries = new Entry[timers];
        for (int i = 0; i < timers; i++) {
            wheelTimers[i] = new Timer() {
                @Override
                protected void onExpired(long nowNs) {
                    fired++;
                }
            };
            long d = random.nextLong(200_000_000L);
            wheel.schedule(wheelTimers[i], d);
            entries[i] = new Entry();
            entries[i].deadlineNs = d;
            entries[i].seq = i;
            queue.add(entries[i]);
        }
        hashed = new HashedWheelCandidate(1_000_000L, 512);
        hashedNodes = new HashedWheelCandidate.Node[timers];
        for (int i = 0; i < timers; i++) {
            HashedWheelCandidate.Node[] self = new HashedWheelCandidate.Node[1];
            self[0] = new HashedWheelCandidate.Node(() -> fired++);
            hashedNodes[i] = self[0];
            hashed.schedule(self[0], entries[i].deadlineNs);
        }
    }

    /** Candidate: the same operation on a 1 ms x 512-slot hashed wheel (tick-accurate, not order-exact). */
    @Benchmark
    public long hashedWheel() {
        nowNs += 1_000;
        hashed.schedule(hashedNodes[random.nextInt(timers)], nowNs + 200_000_000L);
        return hashed.poll(nowNs);
    }

    /** One re-arm of a random timer 200 ms ahead, then a poll 1 us later. */
    @Benchmark
    public long timerWheel() {
        nowNs += 1_000;
        Timer t = wheelTimers[random.nextInt(timers)];
        wheel.schedule(t, nowNs + 200_000_000L);
        int n = wheel.poll(nowNs, Integer.MAX_VALUE);
        return n;
    }

    private long seq;

    /** Baseline: the same operation on a PriorityQueue (remove is O(n): the JDK queue is not indexed). */
    @Benchmark
    public long priorityQueue() {
        nowNs += 1_000;
        Entry e = entries[random.nextInt(timers)];
        queue.remove(e);
        e.deadlineNs = nowNs + 200_000_000L;
        e.seq = seq++;
        queue.add(e);
        long n = 0;
        while (!queue.isEmpty() && queue.peek().deadlineNs <= nowNs) {
            queue.poll(); // fired: disarmed, like the other two
            fired++;
            n++;
        }
        return n;
    }
}
