package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.wire.IpAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine with an output that claims segmentation offload (TSO): it hands over super-segments of up to the
 * offload size, marked with the MSS, which an in-test "NIC" cuts the way Linux GSO does (options copied into every
 * piece, FIN and PSH only on the last) before a lossy, reordering wire. Every piece must be at most one MSS, every
 * super-segment a whole number of MSS except where data or window ran out, and both streams arrive byte-exact.
 */
class SegmentationOffloadTransferTest {
    static final long MS = 1_000_000L;
    static final int TSO_BYTES = 64_000;

    /** Cuts super-segments into MSS pieces and passes them on; records what it saw. */
    static final class SoftwareGso implements TcpOutput {
        final TcpOutput wire;
        final int offloadBytes;
        final TcpSegment piece = new TcpSegment();
        int superSegments;
        int pieces;
        int largest;
        final List<String> violations = new ArrayList<>();

        SoftwareGso(TcpOutput wire, int offloadBytes) {
            this.wire = wire;
            this.offloadBytes = offloadBytes;
        }

        @Override
        public int segmentationOffloadBytes(IpAddress source, IpAddress destination) {
            return offloadBytes;
        }

        @Override
        public void transmit(IpAddress source, IpAddress destination, TcpSegment seg, TcpCached ipParams) {
            int mss = seg.segmentBytes();
            int len = seg.payloadLength();
            largest = Math.max(largest, len);
            if (mss == 0) {
                wire.transmit(source, destination, seg, ipParams);
                return;
            }
            superSegments++;
            if (len <= mss || len > offloadBytes) {
                violations.add("super-segment of " + len + " bytes with MSS " + mss + " (offload " + offloadBytes
                        + ")");
            }
            for (int off = 0; off < len; off += mss) {
                int n = Math.min(mss, len - off);
                boolean last = off + n == len;
                piece.set(seg);
                piece.segmentBytes(0);
                piece.seq(seg.seq() + off);
                piece.flags(last ? seg.flags() : seg.flags() & ~(TcpFlags.FIN | TcpFlags.PSH));
                piece.payload(seg.payloadMemory(), seg.payloadOffset() + off, n);
                pieces++;
                wire.transmit(source, destination, piece, ipParams);
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void superSegmentsCutIntoMssPiecesDeliverBothStreamsByteExact(long seed) {
        Simulator sim = new Simulator(seed);
        SeededRandom r = sim.random().fork("scenario");
        boolean ts = r.chance(0.5);
        boolean sack = r.chance(0.5);
        double loss = r.chance(0.3) ? 0 : r.nextDouble() * 0.03;
        long delay = (1 + r.nextInt(10)) * MS;
        long jitter = r.nextInt(3) * MS;
        byte[] aData = new byte[400_000 + r.nextInt(600_000)];
        byte[] bData = new byte[r.nextInt(200_000)];
        r.nextBytes(aData);
        r.nextBytes(bData);
        String scenario = "seed=" + seed + " ts=" + ts + " sack=" + sack + " loss=" + loss + " delay=" + delay / MS
                + "ms jitter=" + jitter / MS + "ms a->b=" + aData.length + " b->a=" + bData.length;
        TcpConfig config = TcpConfig.builder().timestamps(ts).sack(sack).windowScaling(true)
                .receiveBufferBytes(512 * 1024).sendBufferBytes(300_000).build();
        EventLoop wireLoop = sim.newLoop("wire");
        EventLoop loopA = sim.newLoop("a");
        EventLoop loopB = sim.newLoop("b");
        TestWire wire = new TestWire(sim.clock(), sim.random().fork("wire"), delay, jitter, loss);
        wireLoop.register(wire);
        SoftwareGso gsoA = new SoftwareGso(wire.output(0), TSO_BYTES);
        SoftwareGso gsoB = new SoftwareGso(wire.output(1), TSO_BYTES);
        TcpStack stackA = new TcpStack(loopA, config, gsoA, sim.random().fork("a"));
        TcpStack stackB = new TcpStack(loopB, config, gsoB, sim.random().fork("b"));
        wire.attach(0, stackA);
        wire.attach(1, stackB);
        StreamApp appA = new StreamApp(aData);
        StreamApp appB = new StreamApp(bData);
        stackB.listen(BackToBackTransferTest.B, 80, l -> appB.attach(l.accept()));
        appA.connection = stackA.connect(BackToBackTransferTest.A, BackToBackTransferTest.B, 80, appA);
        boolean ok = sim.runUntil(() -> appA.done() && appB.done(), 2_000_000 * MS);
        assertTrue(ok, "transfer did not finish; " + scenario);
        assertArrayEquals(aData, appB.received.toByteArray(), "a->b stream differs; " + scenario);
        assertArrayEquals(bData, appA.received.toByteArray(), "b->a stream differs; " + scenario);
        assertEquals(List.of(), gsoA.violations, scenario);
        assertEquals(List.of(), gsoB.violations, scenario);
        assertTrue(gsoA.superSegments > 0 && gsoA.largest >= 3 * appA.connection.sendMss(),
                "the sender used TSO: " + gsoA.superSegments + " super-segments, largest " + gsoA.largest + "; "
                        + scenario);
        assertTrue(gsoA.pieces > 2 * gsoA.superSegments, scenario);
    }

    @Test
    void withoutOffloadNoSegmentIsLargerThanTheMss() {
        Simulator sim = new Simulator(99);
        TcpConfig config = TcpConfig.builder().receiveBufferBytes(256 * 1024).sendBufferBytes(256 * 1024).build();
        EventLoop wireLoop = sim.newLoop("wire");
        TestWire wire = new TestWire(sim.clock(), sim.random().fork("wire"), MS, 0, 0);
        wireLoop.register(wire);
        SoftwareGso outA = new SoftwareGso(wire.output(0), 0);
        TcpStack stackA = new TcpStack(sim.newLoop("a"), config, outA, sim.random().fork("a"));
        TcpStack stackB = new TcpStack(sim.newLoop("b"), config, wire.output(1), sim.random().fork("b"));
        wire.attach(0, stackA);
        wire.attach(1, stackB);
        StreamApp appA = new StreamApp(new byte[300_000]);
        StreamApp appB = new StreamApp(new byte[0]);
        stackB.listen(BackToBackTransferTest.B, 80, l -> appB.attach(l.accept()));
        appA.connection = stackA.connect(BackToBackTransferTest.A, BackToBackTransferTest.B, 80, appA);
        assertTrue(sim.runUntil(() -> appA.done() && appB.done(), 100_000 * MS));
        assertEquals(0, outA.superSegments);
        assertEquals(appA.connection.sendMss(), outA.largest);
        assertEquals(300_000, appB.received.size());
    }
}
