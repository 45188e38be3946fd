package dev.chimney.bench.tcp;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpOutput;
import dev.chimney.tcp.TcpSegment;
import dev.chimney.tcp.TcpStack;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Bulk transfer through two TCP engines back to back on one loop (timestamps, SACK and window scaling on): 1 MiB
 * per operation from the sender's application buffer into the receiver's, over an in-memory wire of preallocated
 * slots. The baseline, measured in the same run, is the four copies the data path cannot avoid (application →
 * send ring → wire → receive ring → application) done with plain {@code System.arraycopy} in MSS-sized chunks, so
 * the ratio is the engine's protocol overhead. {@link #main} prints ns/op, MB/s, the ratio and bytes allocated
 * per op (run with {@code -prof gc}; steady state must be ~0 B per MiB).
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.chimney.bench.tcp.TcpTransferBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TcpTransferBenchmark {
    static final int BYTES_PER_OP = 1 << 20;
    static final int MSS = 1448;
    private static final IpAddress A = Ipv4Address.parse("10.77.9.1");
    private static final IpAddress B = Ipv4Address.parse("10.77.9.2");

    /** A preallocated wire slot: the segment, its payload copy and the addresses. */
    private static final class Slot {
        final TcpSegment segment = new TcpSegment();
        final MemorySegment payload = MemorySegment.ofArray(new byte[65536]);
        IpAddress src;
        IpAddress dst;
        TcpStack to;
    }

    private final Slot[] ring = new Slot[8192];
    private int head;
    private int tail;
    private VirtualClock clock;
    private EventLoop loop;
    private TcpStack stackA;
    private TcpStack stackB;
    private TcpConnection sender;
    private TcpConnection receiver;
    private MemorySegment source;
    private final byte[] sink = new byte[64 * 1024];
    private final byte[][] baselineStages = {new byte[BYTES_PER_OP], new byte[BYTES_PER_OP], new byte[BYTES_PER_OP],
        new byte[BYTES_PER_OP]};
    private byte[] sourceArray;

    private TcpOutput outputTo(final int side) {
        return (src, dst, seg, ip) -> {
            final Slot s = ring[tail++ & (ring.length - 1)];
            s.segment.set(seg);
            MemorySegment.copy(seg.payloadMemory(), seg.payloadOffset(), s.payload, 0, seg.payloadLength());
            s.segment.payload(s.payload, 0, seg.payloadLength());
            s.src = src;
            s.dst = dst;
            s.to = side == 0 ? stackB : stackA;
        };
    }

    @Setup
    public void setUp() {
        for (int i = 0; i < ring.length; i++) {
            ring[i] = new Slot();
        }
        clock = new VirtualClock();
        loop = new EventLoop("bench", clock);
        final TcpConfig config = TcpConfig.builder().sendBufferBytes(512 * 1024).receiveBufferBytes(512 * 1024)
                .nagle(false).initialWindowSegments(10).build();
        stackA = new TcpStack(loop, config, outputTo(0), new SeededRandom(1));
        stackB = new TcpStack(loop, config, outputTo(1), new SeededRandom(2));
        final TcpListener listener = stackB.listen(B, 80, l -> receiver = l.accept());
        sender = stackA.connect(A, B, 80, null);
        pumpWire();
        if (receiver == null || listener.backlogLength() != 0) {
            throw new IllegalStateException("handshake did not complete");
        }
        sourceArray = new byte[BYTES_PER_OP];
        new SeededRandom(3).nextBytes(sourceArray);
        source = MemorySegment.ofArray(sourceArray);
        transfer(); // open the congestion window before measuring
    }

    private void pumpWire() {
        while (head != tail) {
            final Slot s = ring[head++ & (ring.length - 1)];
            s.to.onSegment(clock.nanoTime(), s.src, s.dst, s.segment);
        }
    }

    /** Moves 1 MiB through both engines; returns a checksum of what arrived so the JIT keeps the work. */
    @Benchmark
    public long transfer() {
        int written = 0;
        int received = 0;
        long sum = 0;
        while (received < BYTES_PER_OP) {
            if (written < BYTES_PER_OP) {
                written += sender.write(source, written, BYTES_PER_OP - written);
            }
            pumpWire();
            int n;
            while ((n = receiver.read(sink, 0, sink.length)) > 0) {
                received += n;
                sum += sink[n - 1];
            }
            pumpWire();
            clock.advanceBy(10_000);
            loop.runOnce();
        }
        return sum;
    }

    /** The unavoidable copies of the same bytes, in MSS-sized chunks, with no protocol work. */
    @Benchmark
    public long copiesBaseline() {
        long sum = 0;
        for (int off = 0; off < BYTES_PER_OP; off += MSS) {
            final int len = Math.min(MSS, BYTES_PER_OP - off);
            System.arraycopy(sourceArray, off, baselineStages[0], off, len);
            System.arraycopy(baselineStages[0], off, baselineStages[1], off, len);
            System.arraycopy(baselineStages[1], off, baselineStages[2], off, len);
            System.arraycopy(baselineStages[2], off, baselineStages[3], off, len);
            sum += baselineStages[3][off + len - 1];
        }
        return sum;
    }


    /** Runs both benchmarks and prints the engine's cost beside the same-run baseline. */
    public static void main(final String[] args) throws Exception {
        final CommandLineOptions cli = new CommandLineOptions(args);
        final Collection<RunResult> results = new Runner(new OptionsBuilder().parent(cli)
                .include(TcpTransferBenchmark.class.getName() + "\\.").build()).run();
        double baseline = Double.NaN;
        final List<Object[]> rows = new ArrayList<>();
        for (final RunResult r : results) {
            final String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            final double ns = r.getPrimaryResult().getScore();
            if (name.equals("copiesBaseline")) {
                baseline = ns;
            }
            String alloc = "n/a (-prof gc)";
            for (final Map.Entry<String, Result> e : r.getSecondaryResults().entrySet()) {
                if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                    alloc = String.format(Locale.ROOT, "%.1f", e.getValue().getScore());
                }
            }
            rows.add(new Object[] {name, ns, alloc});
        }
        System.out.println();
        System.out.println("TcpTransferBenchmark — 1 MiB through two engines vs the same bytes copied 4x");
        System.out.printf(Locale.ROOT, "%-16s %14s %10s %12s %14s%n", "benchmark", "ns/MiB", "MB/s", "x baseline",
                "B/MiB");
        for (final Object[] row : rows) {
            final double ns = (Double) row[1];
            System.out.printf(Locale.ROOT, "%-16s %14.0f %10.0f %12.2f %14s%n", row[0], ns,
                    BYTES_PER_OP / (ns / 1e9) / 1e6, ns / baseline, row[2]);
        }
    }
}
