package dev.chimney.tcp.cc;

/**
 * What NewReno and CUBIC share (RFC 5681): the initial, loss and restart windows, slow start, and the window
 * arithmetic of fast recovery. Subclasses supply the congestion-avoidance increase and the multiplicative
 * decrease. Package-private: engines program against {@link CongestionControl}.
 *
 * <p>Slow start uses Appropriate Byte Counting with L = 2*SMSS (RFC 3465 §2.2), and L = 1*SMSS in the slow start
 * that follows a retransmission timeout (RFC 3465 §2.3), so a stretch ACK cannot open the window by more than
 * two segments and an RTO's go-back-N ACKs cannot burst.
 *
 * <p>Windows grow only when the connection is cwnd-limited (RFC 7661 spirit, RFC 5681 §3.1 allows it): in slow
 * start when at least half of cwnd was in flight, in congestion avoidance when less than one SMSS of cwnd was
 * unused. An application-limited sender therefore does not inflate a window it never tested. A negative
 * {@code inFlightBeforeAck} means "unknown" and counts as limited.
 */
abstract sealed class WindowControl implements CongestionControl permits NewReno, Cubic {

    /** Largest window we ever hold: half the sequence space, so in-flight arithmetic on {@code int}s stays exact. */
    public static final long MAX_WINDOW_BYTES = Integer.MAX_VALUE;

    /** Initial window of RFC 6928 §2: {@code min(10*MSS, max(2*MSS, 14600))}. */
    private static final long RFC6928_CAP_BYTES = 14_600;

    protected final CongestionControls.Options options;
    protected int mss;
    protected long cwnd;
    protected long ssthresh;
    /** Congestion-avoidance byte counter (RFC 5681 §3.1 "bytes_acked"). */
    protected long bytesAckedInAvoidance;
    private boolean inRecovery;
    /** True from an RTO until new data is acknowledged: a repeated RTO then holds ssthresh (RFC 5681 §3.1). */
    private boolean timeoutBackoff;
    /** True from an RTO until slow start ends: ABC uses L = 1*SMSS (RFC 3465 §2.3). */
    private boolean slowStartAfterTimeout;

    WindowControl(final CongestionControls.Options options) {
        this.options = options;
    }

    @Override
    public final long cwnd() {
        return cwnd;
    }

    @Override
    public final long ssthresh() {
        return ssthresh;
    }

    /** The sender MSS this controller counts in (SMSS). */
    public final int mss() {
        return mss;
    }

    /** True between {@link #onFastRetransmit} and {@link #onRecoveryExit} (or an RTO). */
    public final boolean inRecovery() {
        return inRecovery;
    }

    /** The initial window for the current MSS (RFC 5681 §3.1, or RFC 6928 per the options). */
    public final long initialWindow() {
        return initialWindow(mss, options.initialWindowSegments());
    }

    static long initialWindow(final int mss, final int configuredSegments) {
        if (configuredSegments == 0) {
            // RFC 5681 §3.1 equation 1 (the RFC 3390 rule).
            if (mss > 2190) {
                return 2L * mss;
            }
            return mss > 1095 ? 3L * mss : 4L * mss;
        }
        if (configuredSegments == 10) {
            return Math.min(10L * mss, Math.max(2L * mss, RFC6928_CAP_BYTES));
        }
        return (long) configuredSegments * mss;
    }

    @Override
    public final void init(final int newMss, final long nowNs) {
        requireMss(newMss);
        mss = newMss;
        cwnd = initialWindow();
        // RFC 5681 §3.1: "The initial value of ssthresh SHOULD be set arbitrarily high".
        ssthresh = MAX_WINDOW_BYTES;
        bytesAckedInAvoidance = 0;
        inRecovery = false;
        timeoutBackoff = false;
        slowStartAfterTimeout = false;
        onInit(nowNs);
    }

    @Override
    public final void restore(final long restoredCwnd, final long restoredSsthresh, final long nowNs) {
        requireInitialised("restore");
        if (restoredCwnd <= 0 || restoredSsthresh <= 0) {
            throw new IllegalArgumentException("restored cwnd and ssthresh must be positive byte counts, got cwnd "
                    + restoredCwnd + ", ssthresh " + restoredSsthresh);
        }
        cwnd = clamp(restoredCwnd, mss, MAX_WINDOW_BYTES);
        ssthresh = clamp(restoredSsthresh, 2L * mss, MAX_WINDOW_BYTES);
        bytesAckedInAvoidance = 0;
        inRecovery = false;
        timeoutBackoff = false;
        slowStartAfterTimeout = false;
        onRestore(nowNs);
    }

    @Override
    public final void restoreTimeoutState(final boolean backoff, final boolean afterTimeout) {
        requireInitialised("restoreTimeoutState");
        timeoutBackoff = backoff;
        slowStartAfterTimeout = afterTimeout && cwnd < ssthresh;
    }

    @Override
    public final void onAck(final long ackedBytes, final long inFlightBeforeAck, final long rttNs, final long nowNs) {
        requireInitialised("onAck");
        if (rttNs > 0) {
            onRttSample(rttNs);
        }
        if (ackedBytes <= 0) {
            return;
        }
        timeoutBackoff = false;
        if (cwnd < ssthresh) {
            // Slow start, RFC 5681 §3.1 with RFC 3465 ABC.
            if (inFlightBeforeAck >= 0 && 2 * inFlightBeforeAck < cwnd) {
                return;
            }
            final long limit = slowStartAfterTimeout ? mss : 2L * mss;
            cwnd = Math.min(cwnd + Math.min(ackedBytes, limit), MAX_WINDOW_BYTES);
            return;
        }
        slowStartAfterTimeout = false;
        if (inFlightBeforeAck >= 0 && inFlightBeforeAck + mss < cwnd) {
            return;
        }
        congestionAvoidance(ackedBytes, nowNs);
        cwnd = clamp(cwnd, mss, MAX_WINDOW_BYTES);
    }

    @Override
    public final void onFastRetransmit(final long inFlight, final long nowNs) {
        requireInitialised("onFastRetransmit");
        onCongestionEvent(false, nowNs);
        ssthresh = lossSsthresh(Math.max(0, inFlight));
        // RFC 6675 §5 step 4.2: cwnd = ssthresh; RFC 6582 §3.2 step 2 / RFC 5681 §3.2 step 3: + 3*SMSS for the
        // three duplicate ACKs whose segments have left the network.
        cwnd = options.sackRecovery() ? ssthresh : Math.min(ssthresh + 3L * mss, MAX_WINDOW_BYTES);
        bytesAckedInAvoidance = 0;
        inRecovery = true;
    }

    @Override
    public final void onRecoveryAck(final long ackedBytes, final long nowNs) {
        requireInitialised("onRecoveryAck");
        if (options.sackRecovery() || ackedBytes < 0) {
            // RFC 6675: pipe, not an inflated cwnd, limits transmission during recovery.
            return;
        }
        if (ackedBytes == 0) {
            // RFC 5681 §3.2 step 4: each further duplicate ACK means a segment left the network.
            cwnd = Math.min(cwnd + mss, MAX_WINDOW_BYTES);
            return;
        }
        // RFC 6582 §3.2 step 5: deflate by the newly acknowledged data, add back one SMSS if at least one SMSS was
        // acknowledged, so about ssthresh bytes stay in flight when recovery ends.
        cwnd -= ackedBytes;
        if (ackedBytes >= mss) {
            cwnd += mss;
        }
        cwnd = clamp(cwnd, mss, MAX_WINDOW_BYTES);
    }

    @Override
    public final void onRecoveryExit(final long inFlight, final long nowNs) {
        requireInitialised("onRecoveryExit");
        // RFC 6582 §3.2 step 3, option (1): min(ssthresh, max(FlightSize, SMSS) + SMSS) avoids a burst when
        // little is in flight at the full ACK.
        cwnd = clamp(Math.min(ssthresh, Math.max(inFlight, mss) + mss), mss, MAX_WINDOW_BYTES);
        bytesAckedInAvoidance = 0;
        inRecovery = false;
        onRecoveryEnded(nowNs);
    }

    @Override
    public final void onRetransmitTimeout(final long inFlight, final long nowNs) {
        requireInitialised("onRetransmitTimeout");
        if (!timeoutBackoff) {
            // RFC 5681 §3.1 equation 4; but "when ... the given segment has already been retransmitted by way of
            // the retransmission timer at least once, the value of ssthresh is held constant".
            onCongestionEvent(true, nowNs);
            ssthresh = lossSsthresh(Math.max(0, inFlight));
            timeoutBackoff = true;
        }
        // RFC 5681 §3.1: loss window LW = 1 full-sized segment.
        cwnd = mss;
        bytesAckedInAvoidance = 0;
        inRecovery = false;
        slowStartAfterTimeout = true;
    }

    @Override
    public final void onUndo(final long priorCwnd, final long priorSsthresh, final long nowNs) {
        requireInitialised("onUndo");
        // RFC 4015 §3.2 / Linux tcp_undo_cwnd_reduction: restore what the spurious congestion event took, but never
        // shrink what the connection has grown to since.
        cwnd = clamp(Math.max(cwnd, priorCwnd), mss, MAX_WINDOW_BYTES);
        ssthresh = clamp(Math.max(ssthresh, priorSsthresh), 2L * mss, MAX_WINDOW_BYTES);
        bytesAckedInAvoidance = 0;
        inRecovery = false;
        timeoutBackoff = false;
        slowStartAfterTimeout = false;
        onCongestionEventUndone(nowNs);
    }

    @Override
    public final void onIdleRestart(final long nowNs) {
        requireInitialised("onIdleRestart");
        // RFC 5681 §4.1: RW = min(IW, cwnd).
        cwnd = Math.min(cwnd, initialWindow());
        bytesAckedInAvoidance = 0;
        onRestartAfterIdle(nowNs);
    }

    @Override
    public final void onMssChange(final int newMss) {
        requireInitialised("onMssChange");
        requireMss(newMss);
        // Keep the windows' segment counts: a PMTU decrease must not leave the same bytes as more packets.
        cwnd = clamp(cwnd * newMss / mss, newMss, MAX_WINDOW_BYTES);
        if (ssthresh < MAX_WINDOW_BYTES) {
            ssthresh = clamp(ssthresh * newMss / mss, 2L * newMss, MAX_WINDOW_BYTES);
        }
        bytesAckedInAvoidance = bytesAckedInAvoidance * newMss / mss;
        mss = newMss;
    }

    /** ssthresh after a loss with {@code flightSizeBytes} in flight; at least 2*SMSS (RFC 5681 eq. 4). */
    abstract long lossSsthresh(long flightSizeBytes);

    /** Congestion avoidance for one ACK of new data (cwnd >= ssthresh, cwnd-limited). */
    abstract void congestionAvoidance(long ackedBytes, long nowNs);

    /** Called before ssthresh and cwnd are reduced for a loss; {@code timeout} tells an RTO from fast retransmit. */
    void onCongestionEvent(final boolean timeout, final long nowNs) {
    }

    void onRttSample(final long rttNs) {
    }

    /** The last {@link #onCongestionEvent} was spurious (see {@link #onUndo}): restore private state it changed. */
    void onCongestionEventUndone(final long nowNs) {
    }

    void onInit(final long nowNs) {
    }

    void onRestore(final long nowNs) {
    }

    void onRecoveryEnded(final long nowNs) {
    }

    void onRestartAfterIdle(final long nowNs) {
    }

    static long clamp(final long value, final long min, final long max) {
        return Math.max(min, Math.min(max, value));
    }

    private void requireInitialised(final String call) {
        if (mss == 0) {
            throw new IllegalStateException(call + " before init: call init(mss, nowNs) once the MSS is known");
        }
    }

    private static void requireMss(final int candidate) {
        if (candidate < 1 || candidate > 65_535) {
            throw new IllegalArgumentException("the MSS must be 1..65535 bytes, got " + candidate);
        }
    }
}
