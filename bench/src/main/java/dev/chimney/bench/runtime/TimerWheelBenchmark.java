package dev.chimney.bench.runtime;

import dev.chimney.runtime.Timer;
import dev.chimney.runtime.TimerWheel;
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
 * The TCP timer pattern: many armed timers, each packet re-arms one (retransmit / delayed ACK) to a later deadline,
 * and time advances so a few expire. {@link #timerWheel} uses the loop's intrusive indexed heap; the baseline
 * {@link #priorityQueue} is {@link java.util.PriorityQueue} with remove + add for a re-arm (what a plain JDK
 * implementation would do). Both see the same operation sequence.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TimerWheelBenchmark {
    @Param({"1000", "100000"})
    int timers;

    private TimerWheel wheel;
    private Timer[] wheelTimers;
    private PriorityQueue<Entry> queue;
    private Entry[] entries;
    private SplittableRandom random;
    private long nowNs;
    private long fired;

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
        wheel = new TimerWheel();
        wheelTimers = new Timer[timers];
        queue = new PriorityQueue<>(timers);
        entries = new Entry[timers];
        for (int i = 0; i < timers; i++) {
            wheelTimers[i] = new Timer() {
                @Override
                protected void onExpired(long nowNs) {
                    fired++;
                    wheel.schedule(this, Long.MAX_VALUE / 2); // same as the baseline: stays tracked
                }
            };
            long d = random.nextLong(200_000_000L);
            wheel.schedule(wheelTimers[i], d);
            entries[i] = new Entry();
            entries[i].deadlineNs = d;
            entries[i].seq = i;
            queue.add(entries[i]);
        }
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
            Entry x = queue.poll();
            x.deadlineNs = Long.MAX_VALUE / 2; // fired: park far away, still tracked like a disarmed timer
            queue.add(x);
            n++;
        }
        return n;
    }
}
