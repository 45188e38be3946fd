package dev.chimney.tcp.cc;

/**
 * Congestion control for one connection, behind an interface so NewReno (RFC 5681, RFC 6582) and CUBIC
 * (RFC 9438) are interchangeable. The engine owns loss detection and recovery (RFC 6675 with SACK, RFC 6582
 * without) and tells the controller what happened; the controller owns only cwnd and ssthresh, which the engine
 * reads through {@link #cwnd()} and {@link #ssthresh()} and exports as the spec's delegated CWnd / SsThresh
 * (spec §2.7).
 *
 * <p>All sizes are bytes; times are nanoseconds of the loop clock. Implementations must not allocate per call.
 */
public interface CongestionControl {

    /** Current congestion window in bytes. */
    long cwnd();

    /** Current slow-start threshold in bytes. */
    long ssthresh();

    /**
     * Restores state imported with an offloaded/uploaded connection (spec §2.7 CWnd, SsThresh); algorithm-private
     * state (e.g. CUBIC's W_max, epoch) restarts conservatively.
     */
    void restore(long cwnd, long ssthresh, long nowNs);

    /** Sets the initial window once the MSS is known (RFC 5681 §3.1 IW, or RFC 6928 if configured). */
    void init(int mss, long nowNs);

    /**
     * New data was cumulatively acknowledged outside recovery.
     *
     * @param ackedBytes newly acknowledged bytes
     * @param inFlightBeforeAck bytes in flight before this ACK (for "cwnd-limited" checks, RFC 7661 spirit)
     * @param rttNs an RTT sample taken from this ACK, or -1 if none (Karn's rule)
     */
    void onAck(long ackedBytes, long inFlightBeforeAck, long rttNs, long nowNs);

    /**
     * Loss detected by duplicate ACKs / SACK: entering fast recovery (RFC 5681 §3.2 step 2, RFC 6675 §5 step 4.2).
     *
     * @param inFlight FlightSize when loss was detected
     */
    void onFastRetransmit(long inFlight, long nowNs);

    /** A partial or duplicate ACK during recovery (RFC 6582 §3.2 step 5, RFC 5681 §3.2 step 4 inflation). */
    void onRecoveryAck(long ackedBytes, long nowNs);

    /** Fast recovery ended: the recovery point was acknowledged (RFC 6582 §3.2 step 4 full ACK). */
    void onRecoveryExit(long inFlight, long nowNs);

    /**
     * A window reduction paced by PRR (RFC 6937), or the one a tail loss probe's repair calls for (RFC 8985 §7.4.2),
     * ended: cwnd becomes ssthresh, whatever is in flight. PRR already brought the flight down to ssthresh step by
     * step, so this is no burst; {@link #onRecoveryExit}'s {@code min(ssthresh, FlightSize + SMSS)} (RFC 6582 §3.2
     * step 3, for NewReno's inflated window) would instead throw away the window whenever a recovery ends with
     * little in flight — after a whole flight was lost, say — and leave the connection to regrow it one SMSS per
     * round trip. Linux does the same (tcp_end_cwnd_reduction).
     */
    default void onReductionEnd(long nowNs) {
        onRecoveryExit(ssthresh(), nowNs);
    }

    /** The retransmission timer expired (RFC 5681 §3.1 eq. 4, cwnd = 1 MSS, loss window). */
    void onRetransmitTimeout(long inFlight, long nowNs);

    /**
     * The last window reduction was spurious: every retransmission of the loss episode turned out to be a duplicate
     * (RFC 3708 D-SACK detection). Takes the reduction back — cwnd and ssthresh at least what they were before it
     * (RFC 4015 §3.2 response, Linux's undo) — and leaves recovery. {@code priorCwnd} and {@code priorSsthresh} are
     * the values the engine read just before it reported the loss. A controller that cannot undo ignores this.
     */
    default void onUndo(long priorCwnd, long priorSsthresh, long nowNs) {
    }

    /**
     * After {@link #restore}, for a connection moved in the middle of an RTO's recovery: {@code timeoutBackoff} — no
     * new data was acknowledged since the timeout (a repeated RTO holds ssthresh, RFC 5681 §3.1); {@code
     * slowStartAfterTimeout} — the slow start that follows a timeout is still under way (RFC 3465 §2.3, L = 1 SMSS).
     */
    default void restoreTimeoutState(boolean timeoutBackoff, boolean slowStartAfterTimeout) {
    }

    /** The connection was idle longer than one RTO (RFC 5681 §4.1 restart window). */
    void onIdleRestart(long nowNs);

    /** The MSS changed (PMTU decrease): rescale windows expressed in segments. */
    void onMssChange(int newMss);

    /** Algorithm name as used in configuration ("newreno", "cubic"). */
    String name();
}
