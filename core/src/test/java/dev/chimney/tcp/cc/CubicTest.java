package dev.chimney.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** CUBIC, RFC 9438: the window curve, the Reno-friendly region, fast convergence, timeouts and restore. */
class CubicTest {

    private static final int MSS = 1000;
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;

    /** A controller that has just finished recovery from a loss at cwnd = 100 segments (W_max = 100). */
    private static Cubic afterLossAt100Segments(final long nowNs, final boolean fastConvergence) {
        return afterLossAt(100, nowNs, fastConvergence);
    }

    /** A controller that has just finished recovery from a loss at cwnd = {@code segments} (W_max = segments). */
    private static Cubic afterLossAt(final int segments, final long nowNs, final boolean fastConvergence) {
        final Cubic cc = new Cubic(CongestionControls.Options.DEFAULT, fastConvergence);
        cc.init(MSS, nowNs);
        cc.restore((long) segments * MSS, (long) segments * MSS, nowNs);
        cc.onFastRetransmit((long) segments * MSS, nowNs);
        cc.onRecoveryExit((long) segments * MSS, nowNs);
        return cc;
    }

    /** ACK clocking: every RTT the whole window is acknowledged, one segment per ACK, evenly spread. */
    private static long clockAcks(final Cubic cc, final long startNs, final long rttNs, final int rounds) {
        long roundStartNs = startNs;
        for (int r = 0; r < rounds; r++) {
            final long segments = cc.cwnd() / MSS;
            for (long i = 0; i < segments; i++) {
                cc.onAck(MSS, cc.cwnd(), rttNs, roundStartNs + rttNs * i / segments);
            }
            roundStartNs += rttNs;
        }
        return roundStartNs;
    }

    @Test
    void multiplicativeDecreaseUsesBetaPointSeven() {
        // RFC 9438 §4.6: ssthresh = FlightSize * beta_cubic, cwnd = ssthresh with SACK recovery.
        final Cubic cc = afterLossAt100Segments(0, true);
        assertEquals(70L * MSS, cc.ssthresh());
        assertEquals(70L * MSS, cc.cwnd());
        assertEquals(100.0, cc.wMaxSegments(), 1e-9);
    }

    @Test
    void curveMatchesTheRfcFormulaAtSamplePoints() {
        final long t0 = 5 * SECOND;
        final Cubic cc = afterLossAt100Segments(t0, true);
        cc.onAck(MSS, cc.cwnd(), 100 * MS, t0);
        // RFC 9438 eq. 2: K = cbrt((W_max - cwnd_epoch) / C) = cbrt(30 / 0.4).
        final double k = Math.cbrt((100.0 - 70.0) / 0.4);
        assertEquals(k, cc.kSeconds(), 1e-12);
        assertEquals(t0, cc.epochStartNs());
        // RFC 9438 eq. 1: W_cubic(t) = C (t - K)^3 + W_max.
        final double[] samples = {0, 0.5, 1, 2, k, 5, 8, 12.5};
        for (final double t : samples) {
            final double expected = 0.4 * Math.pow(t - k, 3) + 100.0;
            assertEquals(expected, cc.wCubicSegments(t), 1e-9, "W_cubic(" + t + ")");
        }
        assertEquals(70.0, cc.wCubicSegments(0), 1e-9, "the curve starts at cwnd_epoch");
        assertEquals(100.0, cc.wCubicSegments(k), 1e-9, "and reaches W_max at t = K");
    }

    @Test
    void windowFollowsTheCurveUnderAckClocking() {
        // W_max 1000 segments, RTT 100 ms: K ≈ 9.1 s, and Reno would add only 0.53 segment per RTT (W_est ≈ 765
        // after 12 s), so the cubic region governs throughout (RFC 9438 §4.4 concave, §4.5 convex).
        final long rttNs = 100 * MS;
        final long t0 = 0;
        final Cubic cc = afterLossAt(1000, t0, true);
        long nowNs = t0;
        for (int checkpoint = 0; checkpoint < 12; checkpoint++) {
            nowNs = clockAcks(cc, nowNs, rttNs, 10);
            final double t = (nowNs - cc.epochStartNs()) / 1e9;
            final double cwndSegments = cc.cwnd() / (double) MSS;
            assertTrue(cc.wCubicSegments(t) > cc.wEstSegments(), "cubic region expected at t=" + t);
            assertTrue(cwndSegments <= cc.wCubicSegments(t + 0.1) + 1e-6,
                    "cwnd " + cwndSegments + " overshoots W_cubic(t+RTT) " + cc.wCubicSegments(t + 0.1) + " at t=" + t);
            assertTrue(cwndSegments >= cc.wCubicSegments(t - 0.2) - 1,
                    "cwnd " + cwndSegments + " lags W_cubic(t-2RTT) " + cc.wCubicSegments(t - 0.2) + " at t=" + t);
        }
        // Twelve seconds in, past K: convex region, above W_max.
        assertTrue(cc.kSeconds() > 9 && cc.kSeconds() < 9.2, "K " + cc.kSeconds());
        assertTrue(cc.cwnd() > 1000L * MSS, "cwnd " + cc.cwnd() + " should have probed beyond W_max");
    }

    @Test
    void renoFriendlyRegionEngagesAtSmallRtt() {
        // RTT 1 ms: 200 RTTs last only 0.2 s, far too short for the cubic curve to recover (W_cubic(0.2) ≈ 74),
        // while the Reno estimate (§4.3) grows by alpha_cubic per RTT up to cwnd_prior = 100, then by 1 per RTT.
        final long rttNs = MS;
        final Cubic cc = afterLossAt100Segments(0, true);
        final long endNs = clockAcks(cc, 0, rttNs, 200);
        final double t = (endNs - cc.epochStartNs()) / 1e9;
        final double cwndSegments = cc.cwnd() / (double) MSS;
        assertTrue(cc.wCubicSegments(t) < 80, "W_cubic(" + t + ") = " + cc.wCubicSegments(t));
        assertTrue(cc.wEstSegments() > cc.wCubicSegments(t), "W_est should exceed W_cubic");
        assertEquals(cc.wEstSegments(), cwndSegments, 0.01, "cwnd follows W_est in the Reno-friendly region");
        // ~57 RTTs at alpha = 0.53 to reach 100 segments, then ~143 RTTs at 1 segment: about 240 segments.
        assertTrue(cwndSegments > 225 && cwndSegments < 255, "cwnd " + cwndSegments + " segments");
    }

    @Test
    void fastConvergenceLowersWmaxWhenLossComesBelowThePreviousMaximum() {
        // RFC 9438 §4.7: cwnd (70) < W_max (100) at the second loss: W_max = 70 * (1 + 0.7) / 2 = 59.5.
        final Cubic fast = afterLossAt100Segments(0, true);
        fast.onFastRetransmit(70L * MSS, SECOND);
        assertEquals(59.5, fast.wMaxSegments(), 1e-9);
        final Cubic plain = afterLossAt100Segments(0, false);
        plain.onFastRetransmit(70L * MSS, SECOND);
        assertEquals(70.0, plain.wMaxSegments(), 1e-9);
        assertEquals(49L * MSS, plain.ssthresh());
    }

    @Test
    void afterATimeoutTheFirstEpochStartsAtThePlateau() {
        // RFC 9438 §4.8: cwnd = 1 SMSS, ssthresh = FlightSize * beta; then K = 0, W_max = cwnd at epoch start.
        final Cubic cc = afterLossAt100Segments(0, true);
        cc.onRetransmitTimeout(60L * MSS, SECOND);
        assertEquals(MSS, cc.cwnd());
        assertEquals(42L * MSS, cc.ssthresh());
        long nowNs = 2 * SECOND;
        while (cc.cwnd() < cc.ssthresh()) {
            cc.onAck(MSS, cc.cwnd(), 10 * MS, nowNs);
            nowNs += MS;
        }
        final double epochCwnd = cc.cwnd() / (double) MSS;
        cc.onAck(MSS, cc.cwnd(), 10 * MS, nowNs);
        assertEquals(0.0, cc.kSeconds(), 0.0);
        assertEquals(epochCwnd, cc.wMaxSegments(), 1e-9);
        assertEquals(nowNs, cc.epochStartNs());
    }

    @Test
    void restoreRestartsConservativelyAtThePlateau() {
        final Cubic cc = new Cubic();
        cc.init(MSS, 0);
        cc.restore(80L * MSS, 40L * MSS, SECOND);
        assertEquals(80L * MSS, cc.cwnd());
        assertEquals(Long.MIN_VALUE, cc.epochStartNs(), "no epoch carried over from the other side");
        cc.onAck(MSS, cc.cwnd(), 20 * MS, 2 * SECOND);
        assertEquals(80.0, cc.wMaxSegments(), 1e-9);
        assertEquals(0.0, cc.kSeconds(), 0.0);
        // From the plateau the window grows no faster than Reno (1 segment per RTT, §4.3 with alpha = 1 since
        // W_est starts at cwnd_prior): 20 RTTs of 100 ms add at most about 20 segments (the curve adds ~4).
        clockAcks(cc, 2 * SECOND, 100 * MS, 20);
        assertTrue(cc.cwnd() <= 101L * MSS && cc.cwnd() >= 95L * MSS, "conservative restart grew to " + cc.cwnd());
    }

    @Test
    void idleRestartEndsTheEpoch() {
        final Cubic cc = afterLossAt100Segments(0, true);
        cc.onAck(MSS, cc.cwnd(), 50 * MS, SECOND);
        assertEquals(SECOND, cc.epochStartNs());
        cc.onIdleRestart(10 * SECOND);
        assertEquals(Long.MIN_VALUE, cc.epochStartNs());
        assertEquals(4L * MSS, cc.cwnd(), "RFC 5681 §4.1 restart window");
    }

    @Test
    void smoothsRttSamples() {
        final Cubic cc = new Cubic();
        cc.init(MSS, 0);
        cc.onAck(MSS, cc.cwnd(), 80 * MS, 0);
        assertEquals(80 * MS, cc.srttNs());
        cc.onAck(MSS, cc.cwnd(), 160 * MS, 0);
        assertEquals(90 * MS, cc.srttNs(), "gain 1/8 (RFC 6298 §2)");
    }
}
