package dev.chimney.bench.ip;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.IpStack;
import dev.chimney.ip.IpPacketInfo;
import dev.chimney.ip.IpStackConfig;
import dev.chimney.ip.NetInterface;
import dev.chimney.ip.TransportHandler;
import dev.chimney.link.FrameSink;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.VirtualClock;
import dev.chimney.wire.Bytes;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv4View;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
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

/**
 * Per-packet cost of the framing and path layers of {@link IpStack}, each against a baseline measured in the same
 * run: the unavoidable work of touching the packet once (copy the frame into a preallocated buffer and compute the
 * IPv4 header checksum, {@link #baselineCopyAndChecksum}). Divide a stack score by the baseline's for the ratio.
 * <ul>
 *   <li>{@link #receiveUdp}: Ethernet + IPv4 validation (header checksum) + dispatch to a transport handler;</li>
 *   <li>{@link #transmitUdp}: route + path + neighbor lookups, IPv4 header + checksum, Ethernet, port;</li>
 *   <li>{@link #echoRequestToReply}: a ping answered (receive, ICMP checksum, reply built and sent).</li>
 * </ul>
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} shows what each path allocates per packet.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IpStackBenchmark {
    private static final MacAddress OURS = MacAddress.parse("02:00:00:00:00:01");
    private static final MacAddress PEER = MacAddress.parse("02:00:00:00:00:02");

    @Param({"64", "1400"})
    int payloadBytes;

    private IpStack stack;
    private NetInterface nif;
    private IpAddress peer;
    private MemorySegment udpFrame;
    private MemorySegment echoFrame;
    private MemorySegment copy;
    private Blackhole blackhole;

    /** A port that swallows frames: the benchmark measures the stack, not a link. */
    static final class SinkPort implements NetworkPort {
        Blackhole bh;

        @Override
        public String name() {
            return "sink";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            bh.consume(frame.byteSize());
            return true;
        }

        @Override
        public int receive(FrameSink sink, int budget) {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    @Setup
    public void setup(Blackhole bh) {
        blackhole = bh;
        EventLoop loop = new EventLoop("bench", new VirtualClock());
        stack = new IpStack(loop, new SeededRandom(1), IpStackConfig.defaults());
        SinkPort port = new SinkPort();
        port.bh = bh;
        nif = stack.attach(port, InterfaceConfig.of("b0", OURS).withIpv4("10.77.0.1/24"));
        peer = IpAddress.parse("10.77.0.2");
        stack.neighbors(nif, false).addStatic(peer, PEER, 0);
        stack.register(IpProtocol.UDP, new TransportHandler() {
            @Override
            public void onPacket(IpPacketInfo info, MemorySegment payload) {
                blackhole.consume(payload.get(ValueLayout.JAVA_BYTE, 0));
            }

            @Override
            public void onPacket(IpPacketInfo info, MemorySegment segment, long offset, int length) {
                blackhole.consume(segment.get(ValueLayout.JAVA_BYTE, offset)); // zero-copy form: no slice
            }
        });
        udpFrame = frame(IpProtocol.UDP, payloadBytes, false);
        echoFrame = frame(IpProtocol.ICMP, payloadBytes, true);
        copy = MemorySegment.ofArray(new byte[2048]);
    }

    private static MemorySegment frame(int protocol, int payload, boolean echo) {
        int ipLen = 20 + payload;
        MemorySegment f = MemorySegment.ofArray(new byte[14 + ipLen]);
        new EthernetView().wrap(f).destinationBits(OURS.bits()).sourceBits(PEER.bits()).untagged()
                .etherType(EtherType.IPV4);
        new Ipv4View().wrap(f, 14, ipLen).versionAndHeaderLen(20).totalLength(ipLen).identification(1)
                .fragment(true, false, 0).ttl(64).protocol(protocol).sourceBits(Ipv4Address.parse("10.77.0.2").bits())
                .destinationBits(Ipv4Address.parse("10.77.0.1").bits()).fillChecksum();
        if (echo) {
            Bytes.u8(f, 34, 8);
            Bytes.u16(f, 34 + 4, 1);
            Bytes.u16(f, 34 + 2, Checksum.compute(f, 34, payload));
        }
        return f;
    }

    @Benchmark
    public void receiveUdp() {
        stack.receiveFrame(nif, udpFrame);
    }

    @Benchmark
    public boolean transmitUdp() {
        IpStack.Outbound out = stack.beginSend(peer, IpProtocol.UDP);
        return out.commit(payloadBytes);
    }

    @Benchmark
    public void echoRequestToReply() {
        stack.receiveFrame(nif, echoFrame);
    }

    /** Baseline: copy the frame once and checksum its IPv4 header, the least any receive or send path does. */
    @Benchmark
    public int baselineCopyAndChecksum() {
        MemorySegment.copy(udpFrame, 0, copy, 0, udpFrame.byteSize());
        return Checksum.compute(copy, 14, 20);
    }
}
