package dev.chimney.tcp.cc;

/**
 * CUBIC congestion control, RFC 9438.
 *
 * <p>In congestion avoidance the window follows {@code W_cubic(t) = C*(t - K)^3 + W_max} (RFC 9438 §4.2, eq. 1)
 * with {@code C = 0.4}, t the seconds since the current congestion-avoidance epoch began and
 * {@code K = cbrt((W_max - cwnd_epoch) / C)} (eq. 2), windows in segments. Per ACK, cwnd moves towards
 * {@code target = W_cubic(t + RTT)} clamped to {@code [cwnd, 1.5*cwnd]} by {@code (target - cwnd) / cwnd} segments
 * per segment acknowledged (§4.4, §4.5). The Reno-friendly estimate {@code W_est} grows by
 * {@code alpha_cubic = 3(1 - beta)/(1 + beta)} segments per window, and by 1 once it has passed {@code cwnd_prior}
 * (§4.3); whenever {@code W_cubic(t) < W_est}, cwnd follows {@code W_est} — this region engages at short RTTs and
 * small windows, where Reno would outgrow the cubic curve.
 *
 * <p>On loss (§4.6): {@code ssthresh = max(FlightSize * beta_cubic, 2*SMSS)} with {@code beta_cubic = 0.7}; with
 * fast convergence (§4.7) a loss below the previous {@code W_max} sets {@code W_max = cwnd * (1 + beta) / 2}.
 * After an RTO (§4.8) cwnd drops to one SMSS, slow start runs to ssthresh, and the first epoch after it uses
 * {@code K = 0} and {@code W_max = cwnd_epoch}. Slow start and fast-recovery arithmetic are those of RFC 5681 /
 * RFC 6582 / RFC 6675 (see {@link NewReno}).
 *
 * <p>{@link #restore} (a connection imported from the other side of the chimney) restarts conservatively: the
 * imported cwnd becomes {@code W_max}, and the next epoch starts at the plateau ({@code K = 0}) so the window first
 * probes gently instead of re-growing a curve whose history was lost. The same holds when congestion avoidance
 * starts above the last {@code W_max} (e.g. slow start exited without loss). Idle restart ends the epoch too.
 *
 * <p>Time comes only from the {@code nowNs} arguments; RTT is a smoothed value of the samples passed to
 * {@link #onAck} (gain 1/8, RFC 6298 §2). Double arithmetic, no allocation, one owner.
 */
public final class Cubic extends WindowControl {

    /** RFC 9438 §5: C = 0.4 (segments / second^3). */
    public static final double C = 0.4;
    /** RFC 9438 §4.6: multiplicative decrease factor. */
    public static final double BETA_CUBIC = 0.7;
    /** RFC 9438 §4.3: additive increase of the Reno-friendly estimate, 3(1 - beta)/(1 + beta). */
    public static final double ALPHA_CUBIC = 3.0 * (1.0 - BETA_CUBIC) / (1.0 + BETA_CUBIC);

    private static final double NS_PER_SECOND = 1e9;
    private static final long NO_EPOCH = Long.MIN_VALUE;

    private final boolean fastConvergence;

    /** W_max in segments: the window just before the last reduction (or the fast-convergence value). */
    private double wMaxSegments;
    /** cwnd (segments) just before the last reduction, for the alpha switch of §4.3. */
    private double cwndPriorSegments;
    private double kSeconds;
    private long epochStartNs = NO_EPOCH;
    private double cwndEpochSegments;
    private double wEstSegments;
    private double alpha = ALPHA_CUBIC;
    /** The next epoch uses K = 0 and W_max = cwnd_epoch (after an RTO, a restore, or growth beyond W_max). */
    private boolean plateauStart;
    /** Fractional bytes of increase not yet added to the integer cwnd. */
    private double pendingIncreaseBytes;
    private long srttNs;
    /** W_max and cwnd_prior before the last congestion event, restored if it is undone (RFC 4015 §3.2). */
    private double undoWMaxSegments;
    private double undoCwndPriorSegments;

    /** CUBIC with RFC 5681 IW, SACK (RFC 6675) recovery and fast convergence. Call {@link #init} before use. */
    public Cubic() {
        this(CongestionControls.Options.DEFAULT);
    }

    /** CUBIC with explicit options and fast convergence (RFC 9438 §4.7). Call {@link #init} before use. */
    public Cubic(final CongestionControls.Options options) {
        this(options, true);
    }

    /** CUBIC with explicit options; {@code fastConvergence} enables RFC 9438 §4.7. */
    public Cubic(final CongestionControls.Options options, final boolean fastConvergence) {
        super(options);
        this.fastConvergence = fastConvergence;
    }

    /** RFC 9438 eq. 1 with this controller's current W_max and K, in segments. */
    public double wCubicSegments(final double tSeconds) {
        final double d = tSeconds - kSeconds;
        return C * d * d * d + wMaxSegments;
    }

    /** W_max in segments. */
    public double wMaxSegments() {
        return wMaxSegments;
    }

    /** K in seconds (RFC 9438 eq. 2) for the current epoch. */
    public double kSeconds() {
        return kSeconds;
    }

    /** The Reno-friendly estimate W_est in segments (RFC 9438 §4.3). */
    public double wEstSegments() {
        return wEstSegments;
    }

    /** Start of the current congestion-avoidance epoch, or {@link Long#MIN_VALUE} when none is running. */
    public long epochStartNs() {
        return epochStartNs;
    }

    /** Smoothed RTT of the samples seen, 0 if none. */
    public long srttNs() {
        return srttNs;
    }

    @Override
    void onInit(final long nowNs) {
        wMaxSegments = 0;
        cwndPriorSegments = 0;
        kSeconds = 0;
        epochStartNs = NO_EPOCH;
        plateauStart = false;
        pendingIncreaseBytes = 0;
        alpha = ALPHA_CUBIC;
        srttNs = 0;
    }

    @Override
    void onRestore(final long nowNs) {
        wMaxSegments = segments(cwnd);
        cwndPriorSegments = wMaxSegments;
        epochStartNs = NO_EPOCH;
        plateauStart = true;
        pendingIncreaseBytes = 0;
    }

    @Override
    void onRttSample(final long rttNs) {
        srttNs = srttNs == 0 ? rttNs : srttNs + (rttNs - srttNs) / 8;
    }

    @Override
    long lossSsthresh(final long flightSizeBytes) {
        return clamp((long) (flightSizeBytes * BETA_CUBIC), 2L * mss, MAX_WINDOW_BYTES);
    }

    @Override
    void onCongestionEvent(final boolean timeout, final long nowNs) {
        final double cwndSegments = segments(cwnd);
        undoWMaxSegments = wMaxSegments;
        undoCwndPriorSegments = cwndPriorSegments;
        // RFC 9438 §4.7 fast convergence: a flow losing below its previous W_max releases bandwidth.
        if (fastConvergence && cwndSegments < wMaxSegments) {
            wMaxSegments = cwndSegments * (1.0 + BETA_CUBIC) / 2.0;
        } else {
            wMaxSegments = cwndSegments;
        }
        cwndPriorSegments = cwndSegments;
        epochStartNs = NO_EPOCH;
        pendingIncreaseBytes = 0;
        // RFC 9438 §4.8: the first epoch after a timeout uses K = 0 and W_max = cwnd at its start.
        plateauStart = timeout;
    }

    @Override
    void onCongestionEventUndone(final long nowNs) {
        // The loss was not one: the curve's plateau is where it was before, and a fresh epoch starts from the restored
        // window at the next ACK (plateau-start when the window is at or above it).
        wMaxSegments = Math.max(undoWMaxSegments, segments(cwnd));
        cwndPriorSegments = undoCwndPriorSegments;
        epochStartNs = NO_EPOCH;
        plateauStart = false;
        pendingIncreaseBytes = 0;
    }

    @Override
    void onRecoveryEnded(final long nowNs) {
        epochStartNs = NO_EPOCH;
    }

    @Override
    void onRestartAfterIdle(final long nowNs) {
        // The curve's clock must not have run while nothing was sent; begin a fresh epoch at the next ACK.
        epochStartNs = NO_EPOCH;
        pendingIncreaseBytes = 0;
    }

    @Override
    void congestionAvoidance(final long ackedBytes, final long nowNs) {
        final double cwndSegments = segments(cwnd);
        if (epochStartNs == NO_EPOCH) {
            startEpoch(cwndSegments, nowNs);
        }
        final double tSeconds = Math.max(0, nowNs - epochStartNs) / NS_PER_SECOND;
        final double ackedSegments = ackedBytes / (double) mss;

        // RFC 9438 §4.3: Reno-friendly estimate.
        wEstSegments += alpha * ackedSegments / cwndSegments;
        if (alpha != 1.0 && wEstSegments >= cwndPriorSegments) {
            alpha = 1.0;
        }
        if (wCubicSegments(tSeconds) < wEstSegments) {
            final long renoFriendly = (long) (wEstSegments * mss);
            if (renoFriendly > cwnd) {
                cwnd = renoFriendly;
            }
            pendingIncreaseBytes = 0;
            return;
        }
        // RFC 9438 §4.4/§4.5: concave and convex regions share one update towards W_cubic(t + RTT).
        double target = wCubicSegments(tSeconds + srttNs / NS_PER_SECOND);
        target = Math.max(cwndSegments, Math.min(target, 1.5 * cwndSegments));
        pendingIncreaseBytes += (target - cwndSegments) / cwndSegments * ackedBytes;
        if (pendingIncreaseBytes >= 1.0) {
            final long whole = (long) pendingIncreaseBytes;
            cwnd += whole;
            pendingIncreaseBytes -= whole;
        }
    }

    private void startEpoch(final double cwndSegments, final long nowNs) {
        epochStartNs = nowNs;
        cwndEpochSegments = cwndSegments;
        if (plateauStart || cwndSegments >= wMaxSegments) {
            wMaxSegments = cwndSegments;
            kSeconds = 0;
            plateauStart = false;
        } else {
            kSeconds = Math.cbrt((wMaxSegments - cwndEpochSegments) / C);
        }
        wEstSegments = cwndEpochSegments;
        alpha = wEstSegments >= cwndPriorSegments ? 1.0 : ALPHA_CUBIC;
        pendingIncreaseBytes = 0;
    }

    private double segments(final long bytes) {
        return bytes / (double) mss;
    }

    @Override
    public String name() {
        return CongestionControls.Algorithm.CUBIC.configName();
    }
}
