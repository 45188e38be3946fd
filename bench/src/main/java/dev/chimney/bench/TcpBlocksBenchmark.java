package dev.chimney.bench;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.IsnGenerator;
import dev.chimney.tcp.SackScoreboard;
import dev.chimney.tcp.cc.CongestionControls;
import dev.chimney.tcp.cc.Cubic;
import dev.chimney.tcp.cc.NewReno;
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
 * Per-ACK cost of the TCP sender's building blocks: NewReno and CUBIC {@code onAck} in a congestion-avoidance
 * sawtooth (one loss every 1024 ACKs), and the RFC 6675 scoreboard taking an ACK with SACK blocks plus a NextSeg()
 * query. Each is printed next to a baseline from the same run: hand-inlined Reno byte counting for the controllers,
 * a cumulative-only ACK for the scoreboard. {@link #main} prints ns/op, the ratio, and bytes allocated per op (run
 * with {@code -prof gc}; all must be 0 in steady state).
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.chimney.bench.TcpBlocksBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TcpBlocksBenchmark {

    private static final int MSS = 1448;
    private static final int LOSS_EVERY_ACKS = 1024;
    private static final long ACK_SPACING_NS = 10_000;
    private static final long RTT_NS = 20_000_000;
    private static final int SEGMENTS_IN_FLIGHT = 256;

    private NewReno reno;
    private Cubic cubic;
    private long baselineCwnd;
    private long baselineSsthresh;
    private long baselineBytesAcked;
    private long nowNs;
    private int acks;

    private SackScoreboard scoreboard;
    private final int[] sackBlocks = new int[8];
    private int base;
    private int sackStep;

    private IsnGenerator isns;
    private int port;

    @Setup
    public void setUp() {
        reno = new NewReno(CongestionControls.Options.DEFAULT);
        reno.init(MSS, 0);
        reno.restore(100L * MSS, 100L * MSS, 0);
        cubic = new Cubic(CongestionControls.Options.DEFAULT);
        cubic.init(MSS, 0);
        cubic.restore(100L * MSS, 100L * MSS, 0);
        baselineCwnd = 100L * MSS;
        baselineSsthresh = 100L * MSS;
        scoreboard = new SackScoreboard();
        base = 0xFFFF_0000;
        resetScoreboard();
        isns = new IsnGenerator(new SeededRandom(1).fork("isn"));
    }

    /** Baseline: RFC 5681 byte-counting congestion avoidance written inline, with the same loss sawtooth. */
    @Benchmark
    public long renoArithmeticBaseline() {
        if (++acks % LOSS_EVERY_ACKS == 0) {
            baselineSsthresh = Math.max(baselineCwnd / 2, 2L * MSS);
            baselineCwnd = baselineSsthresh;
            baselineBytesAcked = 0;
        }
        baselineBytesAcked += MSS;
        if (baselineBytesAcked >= baselineCwnd) {
            baselineBytesAcked -= baselineCwnd;
            baselineCwnd += MSS;
        }
        return baselineCwnd;
    }

    @Benchmark
    public long newRenoOnAck() {
        nowNs += ACK_SPACING_NS;
        if (++acks % LOSS_EVERY_ACKS == 0) {
            reno.onFastRetransmit(reno.cwnd(), nowNs);
            reno.onRecoveryExit(reno.cwnd(), nowNs);
        }
        reno.onAck(MSS, reno.cwnd(), RTT_NS, nowNs);
        return reno.cwnd();
    }

    @Benchmark
    public long cubicOnAck() {
        nowNs += ACK_SPACING_NS;
        if (++acks % LOSS_EVERY_ACKS == 0) {
            cubic.onFastRetransmit(cubic.cwnd(), nowNs);
            cubic.onRecoveryExit(cubic.cwnd(), nowNs);
        }
        cubic.onAck(MSS, cubic.cwnd(), RTT_NS, nowNs);
        return cubic.cwnd();
    }

    /** Baseline for the scoreboard: a cumulative ACK of one segment and one new segment sent, no SACK blocks. */
    @Benchmark
    public long scoreboardPlainAckBaseline() {
        // The flight stays at SEGMENTS_IN_FLIGHT segments: one acknowledged, one sent.
        scoreboard.update(scoreboard.highAck() + MSS);
        scoreboard.onTransmit(scoreboard.highData(), MSS);
        return scoreboard.pipe();
    }

    /**
     * An ACK during loss: the cumulative ACK stands still, one new SACK block plus two repeated ones (RFC 2018
     * receivers repeat recent blocks), then NextSeg(). Every 64 ACKs the flight is reset, so the scoreboard cycles
     * through 0..32 ranges, including the capacity policy.
     */
    @Benchmark
    public long scoreboardSackAckAndNextSeg() {
        if (sackStep == 64) {
            resetScoreboard();
        }
        final int segment = 1 + 2 * (sackStep % 64) % (SEGMENTS_IN_FLIGHT - 2);
        sackBlocks[0] = base + segment * MSS;
        sackBlocks[1] = base + (segment + 1) * MSS;
        sackBlocks[2] = base + MSS;
        sackBlocks[3] = base + 2 * MSS;
        sackBlocks[4] = base + 3 * MSS;
        sackBlocks[5] = base + 4 * MSS;
        sackStep++;
        scoreboard.update(base, sackBlocks, 3);
        final SackScoreboard.Rule rule = scoreboard.nextSeg(0);
        return scoreboard.pipe() + rule.ordinal() + scoreboard.nextSegLength();
    }

    /** RFC 6528 ISN for an IPv4 4-tuple (SipHash-2-4 over 12 bytes). */
    @Benchmark
    public int isnV4() {
        port = (port + 1) & 0xFFFF;
        return isns.isnV4(0x0A4D0001, port, 0x0A4D0002, 80, nowNs += ACK_SPACING_NS);
    }

    private void resetScoreboard() {
        sackStep = 0;
        scoreboard.reset(base, base + SEGMENTS_IN_FLIGHT * MSS, MSS);
    }

    /** Runs the benchmarks and prints each beside its same-run baseline. */
    public static void main(final String[] args) throws Exception {
        final CommandLineOptions cli = new CommandLineOptions(args);
        final Collection<RunResult> results = new Runner(new OptionsBuilder().parent(cli)
                .include(TcpBlocksBenchmark.class.getName() + "\\.").build()).run();
        double ccBaseline = Double.NaN;
        double sbBaseline = Double.NaN;
        final List<Object[]> rows = new ArrayList<>();
        for (final RunResult r : results) {
            final String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            final double ns = r.getPrimaryResult().getScore();
            if (name.equals("renoArithmeticBaseline")) {
                ccBaseline = ns;
            } else if (name.equals("scoreboardPlainAckBaseline")) {
                sbBaseline = ns;
            }
            String alloc = "n/a (-prof gc)";
            for (final Map.Entry<String, Result> e : r.getSecondaryResults().entrySet()) {
                if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                    alloc = String.format(Locale.ROOT, "%.2f", e.getValue().getScore());
                }
            }
            rows.add(new Object[] {name, ns, alloc});
        }
        System.out.println();
        System.out.println("TcpBlocksBenchmark — ns per ACK (or per ISN) vs a same-run baseline");
        System.out.printf(Locale.ROOT, "%-30s %10s %22s %14s%n", "benchmark", "ns/op", "x baseline", "B/op");
        for (final Object[] row : rows) {
            final String name = (String) row[0];
            final double ns = (Double) row[1];
            final String ratio;
            if (name.startsWith("scoreboard")) {
                ratio = String.format(Locale.ROOT, "%.2f (plain ACK)", ns / sbBaseline);
            } else if (name.endsWith("OnAck") || name.endsWith("Baseline")) {
                ratio = String.format(Locale.ROOT, "%.2f (inline Reno)", ns / ccBaseline);
            } else {
                ratio = "-";
            }
            System.out.printf(Locale.ROOT, "%-30s %10.1f %22s %14s%n", name, ns, ratio, row[2]);
        }
    }
}
