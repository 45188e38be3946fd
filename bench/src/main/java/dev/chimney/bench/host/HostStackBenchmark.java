package dev.chimney.bench.host;

import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.FrameSink;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One TCP data segment through the whole host path — application write, TCP output, {@code TcpIpBinding} transmit,
 * IP + Ethernet, virtual wire, Ethernet + IP receive, TCP checksum and input, application read, and the ACKs coming
 * back — between two {@link NetworkStack}s under the simulator ({@link #tcpSegmentEndToEnd}).
 *
 * <p>Baseline in the same run ({@link #baselineWireOnly}): one frame of the same size through the same kind of
 * virtual wire and simulator with no stack at all — what the link and the simulation cost (the TCP run also carries
 * about one ACK frame per two data segments). Divide the stack score by it for the ratio. Run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} is the allocation per data segment (target 0 B/op).
 * {@code bench/run-host.sh} does both.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
public class HostStackBenchmark {
    private static final MacAddress MAC_A = MacAddress.parse("02:77:00:00:00:0a");
    private static final MacAddress MAC_B = MacAddress.parse("02:77:00:00:00:0b");
    private static final long FAR_NS = Long.MAX_VALUE / 4;

    @Param({"false", "true"})
    boolean ipv6;

    private Simulator sim;
    private TcpConnection client;
    private TcpConnection server;
    private byte[] chunk;
    /** Wrapped once: {@code TcpConnection.write(byte[], ...)} wraps its array per call (an allocation). */
    private MemorySegment chunkSegment;
    private final byte[] readBuf = new byte[64 * 1024];
    private long readBytes;
    private long targetBytes;
    private BooleanSupplier segmentArrived;

    private Simulator wireSim;
    private VirtualWire wire;
    private MemorySegment frame;
    private long framesSeen;
    private long framesTarget;
    private FrameSink countingSink;
    private BooleanSupplier frameArrived;

    @Setup(Level.Trial)
    public void setup() {
        sim = new Simulator(1);
        VirtualWire w = VirtualWire.builder("w", sim.clock(), sim.random().fork("w"))
                .both(Impairments.NONE.withDelay(10_000, 0)).build();
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(1 << 20).receiveBufferBytes(1 << 20).nagle(false).build();
        NetworkStack a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a")).tcpConfig(tcp)
                .iface(w.a(), InterfaceConfig.of("a0", MAC_A).withIpv4("10.77.0.1/24").withIpv6("fd77::1/64"))
                .build();
        NetworkStack b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(w.b(), InterfaceConfig.of("b0", MAC_B).withIpv4("10.77.0.2/24").withIpv6("fd77::2/64"))
                .build();
        TcpListener listener = b.listen(9, l -> server = l.accept());
        client = a.connect(IpAddress.parse(ipv6 ? "fd77::2" : "10.77.0.2"), 9, new TcpConnection.Listener() { });
        if (!sim.runUntil(() -> server != null && client.state() == TcpState.ESTABLISHED, 10_000_000_000L)) {
            throw new IllegalStateException("handshake did not complete");
        }
        listener.close();
        chunk = new byte[client.sendMss()];
        chunkSegment = MemorySegment.ofArray(chunk);
        segmentArrived = () -> {
            int n;
            while ((n = server.read(readBuf, 0, readBuf.length)) > 0) {
                readBytes += n;
            }
            return readBytes >= targetBytes;
        };

        wireSim = new Simulator(2);
        wire = VirtualWire.builder("base", wireSim.clock(), wireSim.random().fork("w"))
                .both(Impairments.NONE.withDelay(10_000, 0)).build();
        int frameBytes = 14 + (ipv6 ? 40 : 20) + 20 + 12 + chunk.length;
        frame = MemorySegment.ofArray(new byte[frameBytes]);
        countingSink = f -> framesSeen++;
        VirtualWire.Port rx = wire.b();
        wireSim.newLoop("rx").register(new dev.chimney.runtime.Pollable() {
            @Override
            public int poll(long nowNs, int budget) {
                return rx.receive(countingSink, budget);
            }

            @Override
            public long nextWorkNs() {
                return rx.nextArrivalNs();
            }
        });
        frameArrived = () -> framesSeen >= framesTarget;
    }

    /** One MSS-sized segment written by the client and read by the server (ACKs flow as TCP sends them). */
    @Benchmark
    public long tcpSegmentEndToEnd() {
        int n = client.write(chunkSegment, 0, chunk.length);
        targetBytes += n;
        sim.runUntil(segmentArrived, FAR_NS);
        return readBytes;
    }

    /** The same-size frame across the same kind of wire and simulator, no stack. */
    @Benchmark
    public long baselineWireOnly() {
        wire.a().transmit(frame);
        framesTarget++;
        wireSim.runUntil(frameArrived, FAR_NS);
        return framesSeen;
    }
}
