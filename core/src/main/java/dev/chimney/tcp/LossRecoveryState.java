package dev.chimney.tcp;

import java.util.Arrays;
import java.util.Objects;

/**
 * Our extension of the delegated state (not a field of the spec's {@code TCP_OFFLOAD_STATE_DELEGATED}, §2.7): the
 * sender's loss recovery, so that a connection moved to another engine in the middle of a loss episode keeps
 * recovering where it was — the same segments found lost, the same reduction, the same probe timing. Carried in
 * {@link TcpDelegated#lossRecovery()}; {@link #NONE} when the exporter keeps none (an engine without RACK-TLP, a
 * connection without SACK), in which case the importer rebuilds a conservative record (see {@link
 * TcpConnection}'s class comment). Times are relative nanoseconds — ages of past events and time left on timers,
 * −1 when absent — so clock bases do not matter and nothing is rounded to ticks.
 *
 * <ul>
 *   <li>The recovery phase (open, fast recovery, RTO recovery) and its RecoveryPoint (SND.MAX when it began).
 *   <li>RFC 6937 PRR: RecoverFS, prr_delivered, prr_out.
 *   <li>RFC 3708 undo: whether the episode can still be undone, its first unacknowledged octet, retransmissions not
 *       yet reported as duplicates, cwnd / ssthresh before the reduction, and the TSval of its first retransmission
 *       (RFC 3522 Eifel detection).
 *   <li>RFC 8985 §5.3: RACK.xmit_ts (as an age), RACK.end_seq, RACK.rtt, RACK.min_RTT (and the age of that sample),
 *       RACK.fack, RACK.reordering_seen, RACK.reo_wnd_mult, RACK.reo_wnd_persist, RACK.dsack_round; TLP.end_seq (and
 *       the probe's first octet), TLP.is_retrans; the PTO and RACK reordering timers (§5.4).
 *   <li>RFC 8985 §5.2, per segment from SND.UNA: length, age of its last transmission, and whether it is SACKed,
 *       lost, retransmitted ({@link #SACKED}, {@link #LOST}, {@link #RETRANSMITTED}). The records tile [SND.UNA,
 *       SND.MAX).
 * </ul>
 *
 * <p>Immutable; equality compares contents.
 */
public final class LossRecoveryState {
    /** The sender's loss-recovery phase. */
    public enum Phase {
        /** No loss being repaired. */
        OPEN,
        /** RFC 8985 fast recovery (entered when RACK deemed a segment lost), paced by PRR. */
        FAST_RECOVERY,
        /** After a retransmission timeout, until RecoveryPoint is acknowledged (RFC 8985 §6.3). */
        RTO_RECOVERY
    }

    /** Record flag: the peer SACKed the segment. */
    public static final int SACKED = RackScoreboard.SACKED;
    /** Record flag: deemed lost and not retransmitted since. */
    public static final int LOST = RackScoreboard.LOST;
    /** Record flag: retransmitted at least once. */
    public static final int RETRANSMITTED = RackScoreboard.RETRANSMITTED;

    /** No loss-recovery state: the importer rebuilds one. */
    public static final LossRecoveryState NONE = new LossRecoveryState();

    private final boolean present;
    private final Phase phase;
    private final int recoveryPoint;
    private final long prrRecoverFs;
    private final long prrDelivered;
    private final long prrOut;
    private final boolean undoValid;
    private final int undoMarker;
    private final int undoRetrans;
    private final long priorCwnd;
    private final long priorSsthresh;
    private final boolean undoTsValid;
    private final int undoTsVal;
    private final long rackXmitAgeNs;
    private final int rackEndSeq;
    private final long rackRttNs;
    private final long minRttNs;
    private final long minRttAgeNs;
    private final boolean fackValid;
    private final int fack;
    private final boolean reorderingSeen;
    private final int reoWndMult;
    private final int reoWndPersist;
    private final boolean dsackRoundSet;
    private final int dsackRound;
    private final boolean tlpPending;
    private final int tlpStartSeq;
    private final int tlpEndSeq;
    private final boolean tlpIsRetrans;
    private final long probeTimeoutDeltaNs;
    private final long reorderTimeoutDeltaNs;
    private final int[] segmentSeq;
    private final int[] segmentLength;
    private final long[] segmentAgeNs;
    private final byte[] segmentFlags;

    private LossRecoveryState() {
        present = false;
        phase = Phase.OPEN;
        recoveryPoint = 0;
        prrRecoverFs = 0;
        prrDelivered = 0;
        prrOut = 0;
        undoValid = false;
        undoMarker = 0;
        undoRetrans = 0;
        priorCwnd = 0;
        priorSsthresh = 0;
        undoTsValid = false;
        undoTsVal = 0;
        rackXmitAgeNs = -1;
        rackEndSeq = 0;
        rackRttNs = 0;
        minRttNs = -1;
        minRttAgeNs = 0;
        fackValid = false;
        fack = 0;
        reorderingSeen = false;
        reoWndMult = 1;
        reoWndPersist = 0;
        dsackRoundSet = false;
        dsackRound = 0;
        tlpPending = false;
        tlpStartSeq = 0;
        tlpEndSeq = 0;
        tlpIsRetrans = false;
        probeTimeoutDeltaNs = -1;
        reorderTimeoutDeltaNs = -1;
        segmentSeq = new int[0];
        segmentLength = new int[0];
        segmentAgeNs = new long[0];
        segmentFlags = new byte[0];
    }

    /** Captures {@code rack} and the engine's recovery variables as of {@code nowNs}. */
    LossRecoveryState(RackScoreboard rack, long nowNs, Phase phase, int recoveryPoint, Prr prr, boolean undoValid,
            int undoMarker, int undoRetrans, long priorCwnd, long priorSsthresh, boolean undoTsValid, int undoTsVal,
            long probeDeadlineNs, long reorderDeadlineNs) {
        this.present = true;
        this.phase = Objects.requireNonNull(phase, "phase");
        this.recoveryPoint = recoveryPoint;
        this.prrRecoverFs = prr.recoverFs();
        this.prrDelivered = prr.delivered();
        this.prrOut = prr.out();
        this.undoValid = undoValid;
        this.undoMarker = undoMarker;
        this.undoRetrans = undoRetrans;
        this.priorCwnd = priorCwnd;
        this.priorSsthresh = priorSsthresh;
        this.undoTsValid = undoTsValid;
        this.undoTsVal = undoTsVal;
        this.rackXmitAgeNs = rack.rackValid() ? Math.max(0, nowNs - rack.rackXmitNs()) : -1;
        this.rackEndSeq = rack.rackEndSeq();
        this.rackRttNs = rack.rackRttNs();
        this.minRttNs = rack.minRttNs() == Long.MAX_VALUE ? -1 : rack.minRttNs();
        this.minRttAgeNs = rack.minRttNs() == Long.MAX_VALUE ? 0 : Math.max(0, nowNs - rack.minRttStampNs());
        this.fackValid = rack.fackValid();
        this.fack = rack.fack();
        this.reorderingSeen = rack.reorderingSeen();
        this.reoWndMult = rack.reoWndMult();
        this.reoWndPersist = rack.reoWndPersist();
        this.dsackRoundSet = rack.dsackRoundSet();
        this.dsackRound = rack.dsackRound();
        this.tlpPending = rack.tlpPending();
        this.tlpStartSeq = rack.tlpStartSeq();
        this.tlpEndSeq = rack.tlpEndSeq();
        this.tlpIsRetrans = rack.tlpIsRetrans();
        this.probeTimeoutDeltaNs = delta(probeDeadlineNs, nowNs);
        this.reorderTimeoutDeltaNs = delta(reorderDeadlineNs, nowNs);
        int n = rack.count();
        segmentSeq = new int[n];
        segmentLength = new int[n];
        segmentAgeNs = new long[n];
        segmentFlags = new byte[n];
        for (int k = 0; k < n; k++) {
            segmentSeq[k] = rack.start(k);
            segmentLength[k] = rack.end(k) - rack.start(k);
            segmentAgeNs[k] = Math.max(0, nowNs - rack.xmitNs(k));
            segmentFlags[k] = (byte) rack.flags(k);
        }
    }

    private static long delta(long deadlineNs, long nowNs) {
        return deadlineNs == Long.MAX_VALUE ? -1 : Math.max(0, deadlineNs - nowNs);
    }

    /** False for {@link #NONE}. */
    public boolean present() {
        return present;
    }

    public Phase phase() {
        return phase;
    }

    /** SND.MAX when the current (or last) episode began: it ends when SND.UNA reaches it. */
    public int recoveryPoint() {
        return recoveryPoint;
    }

    /** RFC 6937 RecoverFS. */
    public long prrRecoverFs() {
        return prrRecoverFs;
    }

    /** RFC 6937 prr_delivered. */
    public long prrDelivered() {
        return prrDelivered;
    }

    /** RFC 6937 prr_out. */
    public long prrOut() {
        return prrOut;
    }

    /** Whether the last episode can still be undone (RFC 3708). */
    public boolean undoValid() {
        return undoValid;
    }

    /** SND.UNA when the episode began: D-SACKs below it are not about the episode. */
    public int undoMarker() {
        return undoMarker;
    }

    /** Retransmissions of the episode not yet reported as duplicates. */
    public int undoRetrans() {
        return undoRetrans;
    }

    public long priorCwnd() {
        return priorCwnd;
    }

    public long priorSsthresh() {
        return priorSsthresh;
    }

    /** Whether {@link #undoTsVal()} is set: a retransmission of the episode went out with timestamps. */
    public boolean undoTsValid() {
        return undoTsValid;
    }

    /** Our TSval on the episode's first retransmission (RFC 3522 Eifel detection compares echoes with it). */
    public int undoTsVal() {
        return undoTsVal;
    }

    /** Age of RACK.xmit_ts, or −1 when no segment was delivered yet. */
    public long rackXmitAgeNs() {
        return rackXmitAgeNs;
    }

    public int rackEndSeq() {
        return rackEndSeq;
    }

    public long rackRttNs() {
        return rackRttNs;
    }

    /** RACK.min_RTT, or −1 before the first sample. */
    public long minRttNs() {
        return minRttNs;
    }

    /** Age of the RACK.min_RTT sample (its filter window counts from it). */
    public long minRttAgeNs() {
        return minRttAgeNs;
    }

    public boolean fackValid() {
        return fackValid;
    }

    public int fack() {
        return fack;
    }

    public boolean reorderingSeen() {
        return reorderingSeen;
    }

    public int reoWndMult() {
        return reoWndMult;
    }

    public int reoWndPersist() {
        return reoWndPersist;
    }

    public boolean dsackRoundSet() {
        return dsackRoundSet;
    }

    public int dsackRound() {
        return dsackRound;
    }

    /** Whether TLP.end_seq is set (a probe episode is open). */
    public boolean tlpPending() {
        return tlpPending;
    }

    public int tlpStartSeq() {
        return tlpStartSeq;
    }

    public int tlpEndSeq() {
        return tlpEndSeq;
    }

    public boolean tlpIsRetrans() {
        return tlpIsRetrans;
    }

    /** Time left on the TLP PTO timer, −1 when not running. */
    public long probeTimeoutDeltaNs() {
        return probeTimeoutDeltaNs;
    }

    /** Time left on the RACK reordering timer, −1 when not running. */
    public long reorderTimeoutDeltaNs() {
        return reorderTimeoutDeltaNs;
    }

    /** Number of per-segment records. */
    public int segmentCount() {
        return segmentSeq.length;
    }

    public int segmentSeq(int i) {
        return segmentSeq[i];
    }

    public int segmentLength(int i) {
        return segmentLength[i];
    }

    /** Time since the segment was last transmitted. */
    public long segmentAgeNs(int i) {
        return segmentAgeNs[i];
    }

    /** {@link #SACKED}, {@link #LOST}, {@link #RETRANSMITTED}. */
    public int segmentFlags(int i) {
        return segmentFlags[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LossRecoveryState x && x.present == present && x.phase == phase
                && x.recoveryPoint == recoveryPoint && x.prrRecoverFs == prrRecoverFs
                && x.prrDelivered == prrDelivered && x.prrOut == prrOut && x.undoValid == undoValid
                && x.undoMarker == undoMarker && x.undoRetrans == undoRetrans && x.priorCwnd == priorCwnd
                && x.priorSsthresh == priorSsthresh && x.undoTsValid == undoTsValid && x.undoTsVal == undoTsVal
                && x.rackXmitAgeNs == rackXmitAgeNs && x.rackEndSeq == rackEndSeq
                && x.rackRttNs == rackRttNs && x.minRttNs == minRttNs && x.minRttAgeNs == minRttAgeNs
                && x.fackValid == fackValid && x.fack == fack && x.reorderingSeen == reorderingSeen
                && x.reoWndMult == reoWndMult && x.reoWndPersist == reoWndPersist
                && x.dsackRoundSet == dsackRoundSet && x.dsackRound == dsackRound && x.tlpPending == tlpPending
                && x.tlpStartSeq == tlpStartSeq && x.tlpEndSeq == tlpEndSeq && x.tlpIsRetrans == tlpIsRetrans
                && x.probeTimeoutDeltaNs == probeTimeoutDeltaNs && x.reorderTimeoutDeltaNs == reorderTimeoutDeltaNs
                && Arrays.equals(x.segmentSeq, segmentSeq) && Arrays.equals(x.segmentLength, segmentLength)
                && Arrays.equals(x.segmentAgeNs, segmentAgeNs) && Arrays.equals(x.segmentFlags, segmentFlags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(present, phase, recoveryPoint, rackEndSeq, tlpEndSeq, Arrays.hashCode(segmentSeq));
    }

    @Override
    public String toString() {
        if (!present) {
            return "LossRecoveryState[NONE]";
        }
        return "LossRecoveryState[" + phase + " recoveryPoint=" + Integer.toUnsignedString(recoveryPoint) + " prr="
                + prrDelivered + "/" + prrOut + "/" + prrRecoverFs + " undo=" + (undoValid ? undoRetrans : "-")
                + " reo=" + reorderingSeen + "x" + reoWndMult + " tlp=" + (tlpPending ? tlpIsRetrans ? "rtx" : "new"
                : "-") + " pto=" + probeTimeoutDeltaNs + " reoTimer=" + reorderTimeoutDeltaNs + " records="
                + segmentSeq.length + "]";
    }
}
