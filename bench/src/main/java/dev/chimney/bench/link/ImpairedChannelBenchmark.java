package dev.chimney.bench.link;

import dev.chimney.link.FrameSink;
import dev.chimney.link.ImpairedChannel;
import dev.chimney.link.Impairments;
import dev.chimney.runtime.SeededRandom;
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
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Cost of carrying one frame over a virtual link direction ({@link ImpairedChannel#send} + {@code receive}), against
 * the floor of any store-and-forward link: copying the frame into a preallocated buffer and handing a view of it to
 * the sink ({@link #baselineCopy}). Run with {@code -prof gc}: {@code gc.alloc.rate.norm} shows the channel
 * allocates nothing per frame in steady state.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ImpairedChannelBenchmark {
    @Param({"64", "1514"})
    int frameBytes;

    @Param({"none", "impaired"})
    String impairments;

    private ImpairedChannel channel;
    private MemorySegment frame;
    private byte[] copyBuffer;
    private MemorySegment copyView;
    private long nowNs;
    private Blackhole blackhole;
    private FrameSink sink;

    @Setup
    public void setup(Blackhole bh) {
        Impairments imp = "none".equals(impairments) ? Impairments.NONE
                : Impairments.builder().delay(10_000, 5_000).loss(0.01).corruption(0.01).duplication(0.01)
                .reordering(0.01, 20_000).build();
        channel = new ImpairedChannel("bench", new SeededRandom(1), imp, 1500, 4096);
        byte[] bytes = new byte[frameBytes];
        bytes[12] = 0x08;
        frame = MemorySegment.ofArray(bytes);
        copyBuffer = new byte[1518];
        copyView = MemorySegment.ofArray(copyBuffer).asSlice(0, frameBytes);
        blackhole = bh;
        sink = f -> blackhole.consume(f.get(ValueLayout.JAVA_BYTE, 13));
    }

    /** One frame through the channel: copy in, schedule, pop, deliver, release. */
    @Benchmark
    public int channelSendReceive() {
        nowNs += 1_000;
        channel.send(frame, nowNs);
        return channel.receive(sink, 64, nowNs);
    }

    /** Baseline: the unavoidable copy into a preallocated slab plus one sink call. */
    @Benchmark
    public int baselineCopy() {
        MemorySegment.copy(frame, 0, copyView, 0, frameBytes);
        sink.onFrame(copyView);
        return 1;
    }
}
