package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chimney.tcp.SackScoreboard.Rule;
import dev.chimney.tcp.cc.CongestionControl;
import dev.chimney.tcp.cc.CongestionControls;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The building blocks driven together exactly as the scoreboard's Javadoc tells an engine to (RFC 6675 §5 with a
 * congestion controller), over a simulated path with a fixed delay that drops chosen first transmissions. Every
 * byte must arrive, recovery must happen without a timeout, and retransmissions must be (nearly) only the losses.
 */
class SackRecoverySimulationTest {

    private static final int MSS = 100;
    private static final int SEGMENTS = 300;
    private static final int TOTAL = SEGMENTS * MSS;
    private static final int ISS = 0xFFFF_F000;
    private static final long ONE_WAY_NS = 10_000_000;

    private record Packet(long atNs, long order, boolean data, int seq, int length, int ack, int[] blocks,
            int blockCount) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"newreno", "cubic"})
    void recoversScatteredLossesWithoutTimeout(final String algorithm) {
        final Set<Integer> dropFirstTransmission = Set.of(12, 13, 60, 140, 141, 142, 143, 220, 290);
        final CongestionControl cc = CongestionControls.create(CongestionControls.Algorithm.of(algorithm), MSS,
                new CongestionControls.Options(10, true));
        final SackScoreboard sb = new SackScoreboard();
        sb.reset(ISS, ISS, MSS);
        final boolean[] received = new boolean[TOTAL];
        final boolean[] sentOnce = new boolean[SEGMENTS];
        final PriorityQueue<Packet> network = new PriorityQueue<>(
                (a, b) -> a.atNs != b.atNs ? Long.compare(a.atNs, b.atNs) : Long.compare(a.order, b.order));
        final long[] counters = new long[4]; // order, retransmitted bytes, recoveries, packets
        int rcvNxt = 0;
        long nowNs = 0;

        // Initial window.
        transmitNew(sb, cc, network, nowNs, counters, sentOnce, dropFirstTransmission);
        while (!network.isEmpty()) {
            final Packet p = network.poll();
            nowNs = p.atNs;
            if (++counters[3] > 100_000) {
                fail(algorithm + ": simulation does not converge: " + sb);
            }
            if (p.data) {
                // Receiver: record bytes, ACK with the block holding this segment first (RFC 2018 §4).
                for (int i = 0; i < p.length; i++) {
                    received[p.seq - ISS + i] = true;
                }
                while (rcvNxt < TOTAL && received[rcvNxt]) {
                    rcvNxt++;
                }
                final int[] blocks = sackBlocks(received, rcvNxt, p.seq - ISS);
                network.add(new Packet(nowNs + ONE_WAY_NS, counters[0]++, false, 0, 0, ISS + rcvNxt, blocks,
                        blocks.length / 2));
                continue;
            }
            // Sender, RFC 6675 §5.
            final long flightBefore = sb.flightSize();
            sb.update(p.ack, p.blocks, p.blockCount);
            assertTrue(!sb.lastAckRejected(), "the simulated receiver never acknowledges unsent data");
            if (sb.lastAckEndedRecovery()) {
                cc.onRecoveryExit(sb.flightSize(), nowNs);
            } else if (sb.inRecovery()) {
                cc.onRecoveryAck(sb.lastAckedBytes(), nowNs);
            } else if (sb.lastAckedBytes() > 0) {
                cc.onAck(sb.lastAckedBytes(), flightBefore, 2 * ONE_WAY_NS, nowNs);
            }
            if (sb.shouldEnterRecovery()) {
                counters[2]++;
                cc.onFastRetransmit(sb.flightSize(), nowNs);
                final int length = sb.enterRecovery();
                if (length > 0) {
                    send(network, nowNs, counters, sb.nextSegStart(), length, true, sentOnce, dropFirstTransmission);
                    sb.onTransmit(sb.nextSegStart(), length, Rule.FAST_RETRANSMIT);
                }
            }
            if (sb.inRecovery()) {
                while (cc.cwnd() - sb.pipe() >= MSS) {
                    final long unsent = TOTAL - Integer.toUnsignedLong(sb.highData() - ISS);
                    final Rule rule = sb.nextSeg(unsent);
                    if (rule == Rule.NONE) {
                        break;
                    }
                    send(network, nowNs, counters, sb.nextSegStart(), sb.nextSegLength(), rule != Rule.NEW_DATA,
                            sentOnce, dropFirstTransmission);
                    sb.onTransmit(sb.nextSegStart(), sb.nextSegLength(), rule);
                }
            } else {
                transmitNew(sb, cc, network, nowNs, counters, sentOnce, dropFirstTransmission);
            }
        }
        assertEquals(TOTAL, rcvNxt, algorithm + ": every byte must arrive: " + sb);
        assertEquals(ISS + TOTAL, sb.highAck());
        assertTrue(counters[2] >= 1 && counters[2] <= 5, algorithm + ": recoveries " + counters[2]);
        final long lostBytes = (long) dropFirstTransmission.size() * MSS;
        assertTrue(counters[1] >= lostBytes && counters[1] <= lostBytes + 3L * MSS,
                algorithm + ": retransmitted " + counters[1] + " bytes for " + lostBytes + " lost");
    }

    private static void transmitNew(final SackScoreboard sb, final CongestionControl cc,
            final PriorityQueue<Packet> network, final long nowNs, final long[] counters, final boolean[] sentOnce,
            final Set<Integer> drops) {
        while (sb.flightSize() + MSS <= cc.cwnd() && Integer.toUnsignedLong(sb.highData() - ISS) < TOTAL) {
            final int seq = sb.highData();
            send(network, nowNs, counters, seq, MSS, false, sentOnce, drops);
            sb.onTransmit(seq, MSS);
        }
    }

    private static void send(final PriorityQueue<Packet> network, final long nowNs, final long[] counters,
            final int seq, final int length, final boolean retransmission, final boolean[] sentOnce,
            final Set<Integer> drops) {
        if (retransmission) {
            counters[1] += length;
        }
        final int segment = (seq - ISS) / MSS;
        final boolean first = !sentOnce[segment];
        sentOnce[segment] = true;
        if (first && drops.contains(segment)) {
            return;
        }
        network.add(new Packet(nowNs + ONE_WAY_NS, counters[0]++, true, seq, length, 0, null, 0));
    }

    /** Up to 3 SACK blocks: the one holding {@code arrivedOffset} first, then the highest others. */
    private static int[] sackBlocks(final boolean[] received, final int rcvNxt, final int arrivedOffset) {
        final List<int[]> ranges = new ArrayList<>();
        int o = rcvNxt;
        while (o < received.length) {
            if (received[o]) {
                final int start = o;
                while (o < received.length && received[o]) {
                    o++;
                }
                ranges.add(new int[] {start, o});
            } else {
                o++;
            }
        }
        final List<int[]> chosen = new ArrayList<>();
        for (final int[] r : ranges) {
            if (arrivedOffset >= r[0] && arrivedOffset < r[1]) {
                chosen.add(r);
            }
        }
        for (int i = ranges.size() - 1; i >= 0 && chosen.size() < 3; i--) {
            if (!chosen.contains(ranges.get(i))) {
                chosen.add(ranges.get(i));
            }
        }
        final int[] edges = new int[chosen.size() * 2];
        for (int i = 0; i < chosen.size(); i++) {
            edges[2 * i] = ISS + chosen.get(i)[0];
            edges[2 * i + 1] = ISS + chosen.get(i)[1];
        }
        return edges;
    }
}
