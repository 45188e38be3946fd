package dev.chimney.bench.link;

import dev.chimney.link.FrameSink;
import dev.chimney.link.LoopBridge;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.Control;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Frames per second through a {@link LoopBridge}: one thread transmitting into end a, another receiving from end b
 * ({@code crossThread}: the producer retries while the ring is full, so its rate is the rate frames cross; the
 * consumer's {@code frames} counter shows the same rate delivered). Both yield when they cannot progress (ring full,
 * ring empty), as the loops park: on a machine with fewer free cores than threads, spinning would measure the
 * scheduler's time slices instead of the ring. Next to it, the same ports driven by one thread
 * ({@code sameThread}: the ring's own cost, no cache-line transfer) and the floor of any store-and-forward link, a
 * copy into a preallocated buffer plus one sink call ({@code baselineCopy}). The loops are not run, so this is the
 * ring and its wakeup check, not the idle/wake path (see LoopBridgeThreadsTest for that). Run with {@code -prof gc}:
 * {@code gc.alloc.rate.norm} is the bytes allocated per operation.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LoopBridgeBenchmark {
    @Param({"64", "1514"})
    int frameBytes;

    @Param({"1024"})
    int ringFrames;

    LoopBridge bridge;
    MemorySegment frame;

    @Setup(Level.Trial)
    public void setup() {
        bridge = LoopBridge.builder("bench", new EventLoop("producer", Clock.system()),
                new EventLoop("consumer", Clock.system())).mtu(1500).ringFrames(ringFrames).build();
        byte[] bytes = new byte[frameBytes];
        bytes[12] = 0x08;
        frame = MemorySegment.ofArray(bytes);
    }

    /** The consumer's sink reads the frame's last byte, as a receiver would touch the frame. */
    @State(Scope.Thread)
    public static class Consumer {
        FrameSink sink;
        byte[] copyBuffer;
        MemorySegment copyView;

        @Setup
        public void setup(Blackhole bh, LoopBridgeBenchmark b) {
            sink = f -> bh.consume(f.get(ValueLayout.JAVA_BYTE, f.byteSize() - 1));
            copyBuffer = new byte[1518];
            copyView = MemorySegment.ofArray(copyBuffer).asSlice(0, b.frameBytes);
        }
    }

    /** Frames the consuming thread received, reported as a rate beside the operations. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Received {
        public long frames;
    }

    /** Producer thread: one frame into the ring (spinning while it is full). */
    @Benchmark
    @Group("crossThread")
    @GroupThreads(1)
    public boolean transmit(Control control) {
        while (!bridge.a().transmit(frame)) {
            if (control.stopMeasurement) {
                return false;
            }
            Thread.yield(); // ring full: let the consumer run if it shares this core
        }
        return true;
    }

    /** Consumer thread: whatever is queued, up to a loop's budget. */
    @Benchmark
    @Group("crossThread")
    @GroupThreads(1)
    public int receive(Consumer consumer, Received received) {
        int n = bridge.b().receive(consumer.sink, 64);
        if (n == 0) {
            Thread.yield(); // ring empty: let the producer run if it shares this core
        }
        received.frames += n;
        return n;
    }

    /** Both ends on one thread: transmit then receive one frame. */
    @Benchmark
    @Group("sameThread")
    @GroupThreads(1)
    public int sameThread(Consumer consumer) {
        bridge.a().transmit(frame);
        return bridge.b().receive(consumer.sink, 64);
    }

    /** Baseline: the unavoidable copy into a preallocated buffer plus one sink call. */
    @Benchmark
    @Group("baselineCopy")
    @GroupThreads(1)
    public int baselineCopy(Consumer consumer) {
        MemorySegment.copy(frame, 0, consumer.copyView, 0, frameBytes);
        consumer.sink.onFrame(consumer.copyView);
        return 1;
    }
}
