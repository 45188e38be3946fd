package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.SYN;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.ours;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Twins that move a connection in the middle of a loss-recovery episode (RACK-TLP fast recovery with PRR, RTO
 * recovery, an open tail loss probe, an armed reordering timer): one connection stays, its twin is moved — by
 * export/import onto an engine with another clock base, or parked for an offload whose target runs part of the
 * episode before a terminate hands it back ({@link TcpConnection#park}, {@link TcpConnection#resume}) — and a
 * scripted peer drives both with the same segments. The moved one must send exactly what the twin sends, at the
 * same times, and finish with every byte acknowledged: {@link LossRecoveryState} carries the episode (RFC 8985
 * records and timers, RFC 6937 PRR, RFC 3708 undo). Without it (an exporter that keeps none) the importer rebuilds
 * a record and still recovers every byte.
 */
class RecoveryMoveTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;
    static final int MSS = 1460;
    /** Data per segment: the MSS less the timestamp option (RFC 7323), which these connections use. */
    static final int SMSS = MSS - 12;
    static final int SEGMENTS = 40;
    /** The peer answers each round's segments one RTT after the round, one answer a millisecond. */
    static final long RTT = 10 * MS;

    /**
     * SACK and timestamps (RTT samples from TSecr, whose clock travels with the connection — a segment timed by
     * Karn's rule would not), NewReno with IW10: its window arithmetic survives restore exactly. Buffers at their
     * maxima from the start (no autotuning): the script writes all its segments in one write.
     */
    static TcpConfig config() {
        TcpConfig.Builder b = TcpHarness.plain().sack(true).timestamps(true).congestionControl(null)
                .initialWindowSegments(10);
        return b.initialSendBufferBytes(65_536).initialReceiveBufferBytes(8192).build();
    }

    /**
     * A scripted peer: every {@link #RTT} it takes the segments the (twin) sender emitted in the previous round,
     * drops those {@code drop} selects (by sequence number and transmission count), and answers each arriving one
     * with an ACK carrying SACK blocks (RFC 2018 §4: the newest block first) or a D-SACK for a duplicate (RFC 2883).
     */
    static final class Peer {
        final TreeMap<Integer, Integer> received = new TreeMap<>(); // offset -> length
        final Map<Integer, Integer> transmissions = new HashMap<>();
        final Predicate<int[]> drop;
        int rcvNxt;
        /** RFC 7323 §4.3: the TSval to echo (of the last segment that advanced, or arrived at, RCV.NXT). */
        int tsRecent;
        int tsVal = 1000;

        /** What the sender writes: every segment's payload is checked against it. */
        byte[] expected = new byte[0];

        Peer(Predicate<int[]> drop, int synAckTsVal) {
            this.drop = drop;
            this.tsRecent = synAckTsVal;
        }

        TcpSegment ack() {
            return peer(ACK, R, L + rcvNxt).window(60_000).timestamp(tsVal++, tsRecent);
        }

        /** The answers to {@code segments}, in arrival order (dropped ones get none). */
        List<TcpSegment> answer(List<TcpSegment> segments) {
            List<TcpSegment> acks = new ArrayList<>();
            for (TcpSegment s : segments) {
                if (s.payloadLength() == 0) {
                    continue;
                }
                int off = s.seq() - L;
                byte[] payload = s.payloadMemory().asSlice(s.payloadOffset(), s.payloadLength())
                        .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                assertTrue(Arrays.equals(Arrays.copyOfRange(expected, off, off + payload.length), payload),
                        "payload of the segment at offset " + off + " is what was written there");
                int n = transmissions.merge(off, 1, Integer::sum);
                if (drop.test(new int[] {off / SMSS, n})) {
                    continue;
                }
                boolean duplicate = off + s.payloadLength() <= rcvNxt || received.containsKey(off);
                if (off <= rcvNxt) {
                    tsRecent = s.tsVal();
                }
                if (off + s.payloadLength() > rcvNxt) {
                    received.put(Math.max(off, rcvNxt), off + s.payloadLength() - Math.max(off, rcvNxt));
                }
                while (received.containsKey(rcvNxt)) {
                    rcvNxt += received.remove(rcvNxt);
                }
                TcpSegment a = ack();
                if (duplicate) {
                    a.addSack(L + off, L + off + s.payloadLength()); // RFC 2883 §4
                }
                addBlocks(a, off);
                acks.add(a);
            }
            return acks;
        }

        private void addBlocks(TcpSegment a, int newest) {
            List<int[]> blocks = new ArrayList<>();
            int start = -1;
            int end = -1;
            for (Map.Entry<Integer, Integer> e : received.entrySet()) {
                if (e.getKey() == end) {
                    end += e.getValue();
                } else {
                    if (start >= 0) {
                        blocks.add(new int[] {start, end});
                    }
                    start = e.getKey();
                    end = start + e.getValue();
                }
            }
            if (start >= 0) {
                blocks.add(new int[] {start, end});
            }
            blocks.sort((x, y) -> holds(y, newest) != holds(x, newest) ? holds(y, newest) - holds(x, newest)
                    : Integer.compare(y[0], x[0]));
            for (int i = 0; i < blocks.size() && a.sackCount() < 3; i++) {
                a.addSack(L + blocks.get(i)[0], L + blocks.get(i)[1]);
            }
        }

        private static int holds(int[] block, int off) {
            return off >= block[0] && off < block[1] ? 1 : 0;
        }
    }

    /** How the moving twin moves. */
    enum Move { EXPORT_IMPORT, PARK_RESUME, EXPORT_IMPORT_WITHOUT_STATE }

    /** A connection that may live on several engines in turn; {@link #offset} is its current clock's base. */
    static final class Side {
        TcpHarness h;
        TcpConnection c;
        long offset;
        final List<String> log = new ArrayList<>();
        final List<TcpSegment> lastRound = new ArrayList<>();
        /** Every engine this connection ran on, for the counters. */
        final List<TcpHarness> engines = new ArrayList<>();
        Peer peer;

        void drainInto(List<String> out, List<TcpSegment> segments) {
            TcpHarness.Sent s;
            while ((s = h.sent.poll()) != null) {
                out.add((s.timeNs() - offset) / 1000 + "us " + s.segment());
                segments.add(s.segment());
            }
        }

        void advanceTo(long t) {
            h.advanceTo(t + offset);
            drainInto(log, lastRound);
        }

        void send(long t, TcpSegment seg) {
            h.send(t + offset, seg.copy());
            drainInto(log, lastRound);
        }

        long counter(TcpCounter c) {
            return engines.stream().distinct().mapToLong(e -> e.stack.counter(c)).sum();
        }
    }

    static Side open(Predicate<int[]> drop) {
        Side side = new Side();
        side.h = new TcpHarness(config());
        side.engines.add(side.h);
        TcpHarness h = side.h;
        h.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(MSS).sackPermitted(true).timestamp(999, 0));
        TcpSegment synAck = h.sent.poll().segment();
        assertEquals(SYN | ACK, synAck.flags());
        side.peer = new Peer(drop, synAck.tsVal());
        h.send(MS, side.peer.ack());
        side.c = h.accepted.getFirst();
        return side;
    }

    /** The result of one script: the segments each side sent, and the moved side's engines' counters. */
    record Outcome(List<String> twin, List<String> moved, long twinRtos, long movedRtos, long twinProbes,
            long movedProbes, int twinUna, int movedUna, int moves, LossRecoveryState carried) {
    }

    /** A no-op offload manager: the scripts write nothing and receive nothing while parked. */
    static final TcpConnection.DataPath QUIET = new TcpConnection.DataPath() {
        @Override
        public void onSendQueued(TcpConnection connection) {
        }

        @Override
        public void onReceiveSpace(TcpConnection connection) {
        }

        @Override
        public void onShutdownOutput(TcpConnection connection) {
        }

        @Override
        public void onAbort(TcpConnection connection) {
        }

        @Override
        public void onSegment(TcpConnection connection, long nowNs, TcpSegment segment) {
            fail("the wire delivers to the target while the connection is offloaded");
        }
    };

    /**
     * Runs the script: {@link #SEGMENTS} segments written at 20 ms, rounds of {@link #RTT}, the peer dropping what
     * {@code drop} says; the moving twin moves (by {@code how}) at the first round boundary where {@code moveWhen}
     * holds for the twin that stays, and (for {@link Move#PARK_RESUME}) comes back {@code stayRounds} rounds later.
     */
    static Outcome run(Predicate<int[]> drop, Predicate<TcpConnection> moveWhen, Move how, int stayRounds) {
        Side twin = open(drop);
        Side mover = open(drop);
        byte[] data = bytes(SEGMENTS * SMSS, 77);
        long t = 20 * MS;
        for (Side side : List.of(twin, mover)) {
            side.peer.expected = data;
            side.advanceTo(t);
            assertEquals(data.length, side.c.write(data), "the send buffer takes the whole script");
            side.drainInto(side.log, side.lastRound);
        }
        int moves = 0;
        TcpHarness home = null;
        TcpConnection parked = null;
        int roundsAway = -1;
        LossRecoveryState carried = null;
        int end = L + SEGMENTS * SMSS;
        for (int round = 0; round < 1000 && (twin.c.sndUna() != end || mover.c.sndUna() != end); round++) {
            long at = t + RTT;
            long last = at;
            for (Side side : List.of(twin, mover)) {
                List<TcpSegment> answers = side.peer.answer(new ArrayList<>(side.lastRound));
                side.lastRound.clear();
                for (int i = 0; i < answers.size(); i++) {
                    side.send(at + i * MS, answers.get(i));
                }
                last = Math.max(last, at + answers.size() * MS);
            }
            // every event on a whole millisecond (= tick): the spec carries the RTO's time left in ticks, rounded up
            // (§2.7, §6.0), so a deadline between ticks would come a fraction later on the mover
            t = last;
            twin.advanceTo(t);
            mover.advanceTo(t);
            if (moves == 0 && moveWhen.test(twin.c)) {
                moves++;
                long newOffset = 987_654L * MS;
                TcpSnapshot snap;
                if (how == Move.PARK_RESUME) {
                    home = mover.h;
                    parked = mover.c;
                    snap = parked.park(QUIET);
                    roundsAway = stayRounds;
                } else {
                    snap = mover.c.export();
                    mover.c.detach();
                    if (how == Move.EXPORT_IMPORT_WITHOUT_STATE) {
                        snap = new TcpSnapshot(snap.localAddress(), snap.remoteAddress(), snap.pathMtu(),
                                snap.constants(), snap.cached(), snap.delegated().withoutLossRecovery());
                    }
                }
                carried = snap.delegated().lossRecovery();
                mover.drainInto(mover.log, mover.lastRound);
                mover.h = new TcpHarness(config(), t + newOffset);
                mover.engines.add(mover.h);
                mover.offset = newOffset;
                mover.c = TcpConnection.importFrom(snap, mover.h.stack, mover.h.events);
                mover.drainInto(mover.log, mover.lastRound);
            } else if (roundsAway > 0 && --roundsAway == 0) {
                // the terminate: the target's state goes back to the host's parked connection (spec §3.2.10)
                TcpSnapshot back = mover.c.export();
                mover.c.detach();
                mover.drainInto(mover.log, mover.lastRound);
                mover.h = home;
                mover.offset = 0;
                home.advanceTo(t);
                parked.resume(back.delegated(), back.delegated().receivedData());
                mover.c = parked;
                mover.drainInto(mover.log, mover.lastRound);
                moves++;
            }
        }
        return new Outcome(twin.log, mover.log, twin.counter(TcpCounter.RTO_EXPIRATIONS),
                mover.counter(TcpCounter.RTO_EXPIRATIONS), twin.counter(TcpCounter.TAIL_LOSS_PROBES),
                mover.counter(TcpCounter.TAIL_LOSS_PROBES), twin.c.sndUna(), mover.c.sndUna(), moves, carried);
    }

    static void assertTwins(Outcome o, String what) {
        for (int i = 0; i < Math.min(o.twin().size(), o.moved().size()); i++) {
            assertEquals(o.twin().get(i), o.moved().get(i), what + ": segment #" + i);
        }
        assertEquals(o.twin().size(), o.moved().size(), what + ": segment count");
        assertEquals(L + SEGMENTS * SMSS, o.twinUna(), what + ": the twin finished");
        assertEquals(o.twinUna(), o.movedUna(), what + ": every byte acknowledged");
        assertEquals(o.twinRtos(), o.movedRtos(), what + ": RTOs");
        assertEquals(o.twinProbes(), o.movedProbes(), what + ": probes");
    }

    /** Not vacuous: the move carried an episode with records lost or retransmitted and PRR under way. */
    static void assertEpisodeCarried(LossRecoveryState s, LossRecoveryState.Phase phase) {
        assertTrue(s.present(), "loss-recovery state carried");
        assertEquals(phase, s.phase(), s.toString());
        boolean pending = false;
        for (int i = 0; i < s.segmentCount(); i++) {
            pending |= (s.segmentFlags(i) & (LossRecoveryState.LOST | LossRecoveryState.RETRANSMITTED)) != 0;
        }
        assertTrue(pending, "records lost or retransmitted at the move: " + s);
    }

    static boolean inPhase(TcpConnection c, LossRecoveryState.Phase p) {
        return c.recoveryPhase() == p;
    }

    /** Segments 3, 4 and 9 lost on their first transmission, and 4 on its second too (a lost retransmission). */
    static boolean holesAndALostRetransmission(int[] segmentAndTransmission) {
        int s = segmentAndTransmission[0];
        int n = segmentAndTransmission[1];
        return n == 1 && (s == 3 || s == 4 || s == 9) || n == 2 && s == 4;
    }

    @Test
    void exportImportInFastRecoveryWithPrrAndLostRecordsPendingGoesOnIdentically() {
        Outcome o = run(RecoveryMoveTest::holesAndALostRetransmission,
                c -> inPhase(c, LossRecoveryState.Phase.FAST_RECOVERY), Move.EXPORT_IMPORT, 0);
        assertEquals(1, o.moves());
        assertEpisodeCarried(o.carried(), LossRecoveryState.Phase.FAST_RECOVERY);
        assertTrue(o.carried().prrDelivered() > 0, "PRR under way: " + o.carried());
        assertTwins(o, "export/import in fast recovery");
        assertEquals(0, o.twinRtos(), "RACK-TLP repaired the holes and the lost retransmission without an RTO");
    }

    @Test
    void parkResumeWithTheTargetRunningPartOfTheEpisodeGoesOnIdentically() {
        // R-HOST-1 / spec §3.2.10: offloaded in fast recovery, the target repairs two rounds of it, the host the rest
        Outcome o = run(RecoveryMoveTest::holesAndALostRetransmission,
                c -> inPhase(c, LossRecoveryState.Phase.FAST_RECOVERY), Move.PARK_RESUME, 2);
        assertEquals(2, o.moves(), "offloaded and terminated");
        assertEpisodeCarried(o.carried(), LossRecoveryState.Phase.FAST_RECOVERY);
        assertTwins(o, "park/resume across fast recovery");
    }

    @Test
    void movedInRtoRecoveryGoesOnIdentically() {
        // the tail (segments 30-39) lost twice — first transmissions, then the probe and the RTO's first
        // retransmission — so nothing comes back and the RTO (backed off) is the last resort (RFC 8985 §6.3)
        Outcome o = run(x -> x[0] >= 30 && x[1] <= 2,
                c -> inPhase(c, LossRecoveryState.Phase.RTO_RECOVERY), Move.EXPORT_IMPORT, 0);
        assertEquals(1, o.moves());
        assertEpisodeCarried(o.carried(), LossRecoveryState.Phase.RTO_RECOVERY);
        assertTwins(o, "export/import in RTO recovery");
        assertTrue(o.twinRtos() > 0);
    }

    @Test
    void movedWithAProbeOutstandingGoesOnIdentically() {
        // the tail's last segment lost: the PTO fires; the move happens with TLP.end_seq open (RFC 8985 §7.4)
        Outcome o = run(x -> x[1] == 1 && x[0] == SEGMENTS - 1,
                c -> c.rackScoreboard().tlpPending() && c.rackScoreboard().tlpIsRetrans(), Move.PARK_RESUME, 1);
        assertEquals(2, o.moves());
        assertTrue(o.carried().tlpPending() && o.carried().tlpIsRetrans(), "a retransmitted probe open: "
                + o.carried());
        assertTwins(o, "park/resume with a loss probe outstanding");
        assertTrue(o.twinProbes() > 0);
    }

    @Test
    void withoutCarriedStateTheImporterRebuildsAndStillRecoversEveryByte() {
        // an exporter that keeps no loss-recovery state (TcpDelegated.withoutLossRecovery): the importer rebuilds a
        // record — every octet in flight as sent at the import, nothing SACKed — and the peer's next SACKs let RACK
        // find the holes again; slower perhaps, but every byte arrives
        Outcome o = run(RecoveryMoveTest::holesAndALostRetransmission,
                c -> inPhase(c, LossRecoveryState.Phase.FAST_RECOVERY), Move.EXPORT_IMPORT_WITHOUT_STATE, 0);
        assertEquals(1, o.moves());
        assertEquals(L + SEGMENTS * SMSS, o.movedUna(), "every byte acknowledged");
        // and the comparison above is not vacuous: without the carried state the mover does not act as its twin
        assertTrue(!o.twin().equals(o.moved()), "the rebuilt record behaves differently");
    }
}
