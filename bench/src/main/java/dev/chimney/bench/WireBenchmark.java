package dev.chimney.bench;

import dev.chimney.wire.Checksum;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv4View;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.TcpFlags;
import dev.chimney.wire.TcpOptions;
import dev.chimney.wire.TcpRepr;
import dev.chimney.wire.TcpView;
import dev.chimney.wire.WireFormatException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The TCP/IPv4 hot path of {@code dev.chimney.wire}: parse an Ethernet/IPv4/TCP frame (headers, timestamps option,
 * IPv4 header checksum and TCP checksum verified) and emit one (headers, options, both checksums), in ns/frame, next
 * to the floor any parser pays — a plain {@link MemorySegment#copy} of the same frame — measured in the same run.
 * Frames live off-heap, as they do behind a TAP device or a NIC ring. {@link #main} prints the ratios and the bytes
 * allocated per frame (from JMH's GC profiler; the view path must show 0).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WireBenchmark {
    private static final long SRC_MAC = 0x02_00_00_00_00_01L;
    private static final long DST_MAC = 0x02_00_00_00_00_02L;
    private static final int SRC_IP = Ipv4Address.parse("10.77.0.1").bits();
    private static final int DST_IP = Ipv4Address.parse("10.77.0.2").bits();
    private static final int HEADERS = 14 + 20 + 32;

    /** TCP payload bytes: a small request and a full 1448-byte segment (MSS 1460 minus timestamps). */
    @Param({"64", "1448"})
    public int payloadBytes;

    private MemorySegment rx;
    private MemorySegment tx;
    private MemorySegment copyDst;
    private final EthernetView eth = new EthernetView();
    private final Ipv4View ip = new Ipv4View();
    private final TcpView tcp = new TcpView();
    private final TcpOptions options = new TcpOptions();
    private int seq;

    @Setup
    public void setUp() {
        final Arena arena = Arena.ofAuto();
        final int frameLen = HEADERS + payloadBytes;
        rx = arena.allocate(frameLen, 64);
        tx = arena.allocate(frameLen, 64);
        copyDst = arena.allocate(frameLen, 64);
        for (int i = HEADERS; i < frameLen; i++) {
            tx.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 17));
        }
        seq = 1001;
        emitViews();
        MemorySegment.copy(tx, 0, rx, 0, frameLen); // a valid frame: headers, payload and checksums agree
        try {
            final long parsed = parse();
            if (parsed < 0) {
                // -1 not IPv4, -2 IPv4 checksum/protocol, -3 TCP checksum: the benchmark would measure a drop path.
                throw new IllegalStateException("benchmark frame rejected by parse(): " + parsed);
            }
        } catch (final WireFormatException e) {
            throw new IllegalStateException("benchmark frame must be valid", e);
        }
    }

    /** Baseline: copying the frame once, the least any receive path does with it. */
    @Benchmark
    public long copyFrameBaseline() {
        MemorySegment.copy(rx, 0, copyDst, 0, rx.byteSize());
        return copyDst.byteSize();
    }

    /** Ethernet → IPv4 (+ header checksum) → TCP (+ options, + checksum with pseudo-header), views only. */
    @Benchmark
    public long parse() throws WireFormatException {
        eth.wrap(rx).check();
        if (eth.etherType() != EtherType.IPV4) {
            return -1;
        }
        ip.wrap(rx, eth.payloadOffset(), eth.payloadLength()).check();
        if (!ip.checksumOk() || ip.protocol() != IpProtocol.TCP || ip.isFragment()) {
            return -2;
        }
        tcp.wrap(rx, ip.upperOffset(), ip.upperLength()).check();
        if (!tcp.checksumOk(ip.pseudoHeaderSum(IpProtocol.TCP, ip.upperLength()))) {
            return -3;
        }
        tcp.readOptions(options);
        return (long) tcp.seqNumber() + tcp.ackNumber() + tcp.window() + options.tsVal() + tcp.payloadLength()
                + tcp.srcPort();
    }

    /** Emit with view setters and the reusable options holder: headers, timestamps option, both checksums. */
    @Benchmark
    public long emitViews() {
        eth.wrap(tx).destinationBits(DST_MAC).sourceBits(SRC_MAC).untagged().etherType(EtherType.IPV4);
        final int tcpLen = 32 + payloadBytes;
        tcp.wrap(tx, 34, tcpLen).srcPort(40000).dstPort(80).seqNumber(seq).ackNumber(5001).window(502)
                .urgentPointer(0);
        options.clear().timestamps(seq, 777);
        tcp.writeOptions(options, TcpFlags.ACK | TcpFlags.PSH);
        ip.wrap(tx, 14, 20 + tcpLen).versionAndHeaderLen(20).tos(0).totalLength(20 + tcpLen).identification(seq)
                .fragment(true, false, 0).ttl(64).protocol(IpProtocol.TCP).sourceBits(SRC_IP)
                .destinationBits(DST_IP).fillChecksum();
        tcp.fillChecksum(ip.pseudoHeaderSum(IpProtocol.TCP, tcpLen));
        seq += payloadBytes;
        return tcp.seqNumber();
    }

    /**
     * Emit through a {@link TcpRepr} record built in scope. Whether C2 scalar-replaces the record depends on whether
     * it inlines {@code TcpRepr.emit} (it refuses once emit is "already compiled into a big method"): runs here show
     * 0 or 72 B/frame. The always-0 path for the data path is {@link #emitViews()}.
     */
    @Benchmark
    public long emitRepr() {
        eth.wrap(tx).destinationBits(DST_MAC).sourceBits(SRC_MAC).untagged().etherType(EtherType.IPV4);
        final TcpRepr r = new TcpRepr(40000, 80, seq, 5001, TcpFlags.ACK | TcpFlags.PSH, 502, 0, TcpOptions.NONE,
                TcpOptions.NONE, false, true, seq, 777, List.of(), payloadBytes);
        final int tcpLen = r.bufferLen();
        ip.wrap(tx, 14, 20 + tcpLen).versionAndHeaderLen(20).tos(0).totalLength(20 + tcpLen).identification(seq)
                .fragment(true, false, 0).ttl(64).protocol(IpProtocol.TCP).sourceBits(SRC_IP)
                .destinationBits(DST_IP).fillChecksum();
        r.emit(tx, 34, Checksum.pseudoHeaderV4(SRC_IP, DST_IP, IpProtocol.TCP, tcpLen));
        seq += payloadBytes;
        return r.seqNumber();
    }

    /** For contrast: parsing to a {@link TcpRepr} (allocates the record and an options holder by design). */
    @Benchmark
    public Object parseToRepr() throws WireFormatException {
        eth.wrap(rx).check();
        ip.wrap(rx, eth.payloadOffset(), eth.payloadLength()).check();
        return TcpRepr.parse(tcp.wrap(rx, ip.upperOffset(), ip.upperLength()), ip, true);
    }

    /**
     * Runs this benchmark (JMH command-line options in {@code args}, e.g. {@code -f 1 -wi 3 -i 5 -prof gc}) and
     * prints ns/frame, the ratio to the copy baseline of the same payload size, and bytes allocated per frame.
     */
    public static void main(final String[] args) throws Exception {
        final CommandLineOptions cli = new CommandLineOptions(args);
        final Collection<RunResult> results = new Runner(new OptionsBuilder().parent(cli)
                .include(WireBenchmark.class.getName() + "\\.").build()).run();
        final Map<String, Double> baseline = new TreeMap<>();
        final List<String[]> rows = new ArrayList<>();
        for (final RunResult r : results) {
            final String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            final String payload = r.getParams().getParam("payloadBytes");
            final double ns = r.getPrimaryResult().getScore();
            if (name.equals("copyFrameBaseline")) {
                baseline.put(payload, ns);
            }
            String alloc = "n/a (run with -prof gc)";
            for (final Map.Entry<String, Result> e : r.getSecondaryResults().entrySet()) {
                if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                    alloc = String.format(Locale.ROOT, "%.1f", e.getValue().getScore());
                }
            }
            rows.add(new String[] {name, payload, String.format(Locale.ROOT, "%.1f", ns), alloc});
        }
        System.out.println();
        System.out.println("WireBenchmark — TCP/IPv4 Ethernet frame, ns/frame vs copying the frame (same run)");
        System.out.printf(Locale.ROOT, "%-20s %8s %12s %14s %12s%n", "benchmark", "payload", "ns/frame",
                "x copy baseline", "B/frame");
        for (final String[] row : rows) {
            final Double base = baseline.get(row[1]);
            final String ratio = base == null ? "n/a" : String.format(Locale.ROOT, "%.2f",
                    Double.parseDouble(row[2]) / base);
            System.out.printf(Locale.ROOT, "%-20s %8s %12s %14s %12s%n", row[0], row[1], row[2], ratio, row[3]);
        }
    }
}
