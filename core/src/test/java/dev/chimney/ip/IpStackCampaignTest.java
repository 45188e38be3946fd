package dev.chimney.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Simulator;
import dev.chimney.wire.IpAddress;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.LongStream;

/**
 * Many seeds of a hostile link — loss, reordering, duplication and undetected corruption (no FCS on the virtual
 * wire, so ARP, which has no checksum, can be poisoned) — between two stacks: every ping sequence is eventually
 * answered (NUD recovers poisoned entries by probing, RFC 4861 §7.3.3) and no length field ever escapes
 * validation. Slow: run with {@code -Pslow}.
 */
@Tag("slow")
class IpStackCampaignTest {
    private static final long S = 1_000_000_000L;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 200);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void pingsSurviveAHostileLink(long seed) {
        Simulator sim = new Simulator(seed);
        Impairments hostile = Impairments.builder().delay(200_000, 100_000).loss(0.15).reordering(0.2, 2_000_000)
                .duplication(0.05).corruption(0.02).build();
        VirtualWire w = VirtualWire.builder("w", sim.clock(), sim.random().fork("wire")).both(hostile).build();
        IpStackSimulationTest.Host a = new IpStackSimulationTest.Host(sim, "a", w.a(), IpStackSimulationTest.cfgA());
        IpStackSimulationTest.Host b = new IpStackSimulationTest.Host(sim, "b", w.b(), IpStackSimulationTest.cfgB());
        for (IpAddress dst : new IpAddress[] {IpStackSimulationTest.B4, IpStackSimulationTest.B6}) {
            for (int seq = 1; seq <= 10; seq++) {
                int want = a.pongs.size() + 1;
                for (int attempt = 0; attempt < 40 && a.pongs.size() < want; attempt++) {
                    a.stack.sendEchoRequest(dst, 9, seq, 100);
                    sim.runUntil(() -> a.pongs.size() >= want, sim.nowNs() + S);
                }
                assertEquals(want, Math.min(want, a.pongs.size()), "seed " + seed + " " + dst + " seq " + seq
                        + " unanswered; a=" + a.stack.counters() + " b=" + b.stack.counters());
                while (a.pongs.size() > want) {
                    a.pongs.removeLast();
                }
            }
        }
        assertEquals(0, a.counter(IpCounter.RX_DROP_BOUNDS) + b.counter(IpCounter.RX_DROP_BOUNDS), "seed " + seed);
    }
}
