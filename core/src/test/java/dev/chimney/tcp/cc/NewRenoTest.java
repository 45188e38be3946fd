package dev.chimney.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** NewReno: RFC 5681 windows, RFC 3465 ABC, RFC 6582 fast recovery. */
class NewRenoTest {

    private static final int MSS = 1000;
    private static final long NOW = 1_000_000L;
    private static final long NO_RTT = -1;

    private static NewReno reno(final int iwSegments, final boolean sack) {
        final NewReno cc = new NewReno(new CongestionControls.Options(iwSegments, sack));
        cc.init(MSS, NOW);
        return cc;
    }

    @Test
    void initialWindowFollowsRfc5681Section31() {
        // RFC 5681 §3.1 eq. 1: 4 segments up to 1095 bytes, 3 up to 2190, else 2.
        assertEquals(4 * 1095, WindowControl.initialWindow(1095, 0));
        assertEquals(3 * 1096, WindowControl.initialWindow(1096, 0));
        assertEquals(3 * 2190, WindowControl.initialWindow(2190, 0));
        assertEquals(2 * 2191, WindowControl.initialWindow(2191, 0));
        final NewReno cc = reno(0, true);
        assertEquals(4 * MSS, cc.cwnd());
        assertEquals(WindowControl.MAX_WINDOW_BYTES, cc.ssthresh(), "initial ssthresh is arbitrarily high");
    }

    @Test
    void initialWindowTenFollowsRfc6928() {
        // RFC 6928 §2: min(10*MSS, max(2*MSS, 14600)).
        assertEquals(14_600, WindowControl.initialWindow(1460, 10));
        assertEquals(10_000, WindowControl.initialWindow(1000, 10));
        assertEquals(18_000, WindowControl.initialWindow(9000, 10), "2*MSS floor when MSS is large");
        assertEquals(10 * MSS, reno(10, true).cwnd());
    }

    @Test
    void slowStartUsesAbcWithLimitOfTwoSegments() {
        // RFC 3465 §2.2: cwnd += min(N, 2*SMSS) per ACK.
        final NewReno cc = reno(0, true);
        cc.onAck(MSS, 4 * MSS, NO_RTT, NOW);
        assertEquals(5 * MSS, cc.cwnd());
        cc.onAck(10 * MSS, 5 * MSS, NO_RTT, NOW);
        assertEquals(7 * MSS, cc.cwnd(), "a stretch ACK opens at most 2*SMSS");
        cc.onAck(100, 7 * MSS, NO_RTT, NOW);
        assertEquals(7 * MSS + 100, cc.cwnd(), "byte counting: a small ACK opens by what it acknowledged");
    }

    @Test
    void applicationLimitedSenderDoesNotGrow() {
        final NewReno cc = reno(0, true);
        cc.onAck(MSS, MSS, NO_RTT, NOW);
        assertEquals(4 * MSS, cc.cwnd(), "only a quarter of cwnd was in flight: not cwnd-limited in slow start");
        cc.restore(10 * MSS, 5 * MSS, NOW);
        cc.onAck(10 * MSS, 2 * MSS, NO_RTT, NOW);
        assertEquals(10 * MSS, cc.cwnd(), "not cwnd-limited in congestion avoidance");
    }

    @Test
    void congestionAvoidanceAddsOneSegmentPerWindowAcknowledged() {
        // RFC 5681 §3.1 byte counting: cwnd grows by SMSS once bytes_acked reaches cwnd.
        final NewReno cc = reno(0, true);
        cc.restore(10 * MSS, 10 * MSS, NOW);
        for (int i = 0; i < 9; i++) {
            cc.onAck(MSS, 10 * MSS, NO_RTT, NOW);
            assertEquals(10 * MSS, cc.cwnd(), "after " + (i + 1) + " segments");
        }
        cc.onAck(MSS, 10 * MSS, NO_RTT, NOW);
        assertEquals(11 * MSS, cc.cwnd());
    }

    @Test
    void fastRetransmitHalvesFlightSizeAndInflatesPerRfc6582() {
        final NewReno cc = reno(0, false);
        cc.restore(20 * MSS, 10 * MSS, NOW);
        // RFC 6582 §3.2 step 2 / RFC 5681 eq. 4: ssthresh = max(FlightSize/2, 2*SMSS); cwnd = ssthresh + 3*SMSS.
        cc.onFastRetransmit(16 * MSS, NOW);
        assertEquals(8 * MSS, cc.ssthresh());
        assertEquals(11 * MSS, cc.cwnd());
        assertTrue(cc.inRecovery());
        // RFC 5681 §3.2 step 4: each further duplicate ACK inflates by one SMSS.
        cc.onRecoveryAck(0, NOW);
        assertEquals(12 * MSS, cc.cwnd());
        // RFC 6582 §3.2 step 5: partial ACK deflates by the acknowledged amount, adds back SMSS if >= SMSS.
        cc.onRecoveryAck(3 * MSS, NOW);
        assertEquals(10 * MSS, cc.cwnd());
        cc.onRecoveryAck(500, NOW);
        assertEquals(10 * MSS - 500, cc.cwnd(), "less than one SMSS acknowledged: no add-back");
        // RFC 6582 §3.2 step 3 option 1: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
        cc.onRecoveryExit(3 * MSS, NOW);
        assertEquals(4 * MSS, cc.cwnd());
        assertFalse(cc.inRecovery());
        cc.onFastRetransmit(16 * MSS, NOW);
        cc.onRecoveryExit(12 * MSS, NOW);
        assertEquals(8 * MSS, cc.cwnd(), "full ACK with a large flight: cwnd = ssthresh");
    }

    @Test
    void sackRecoverySetsCwndToSsthreshWithoutInflation() {
        // RFC 6675 §5 step 4.2: ssthresh = cwnd = FlightSize / 2; pipe limits sending during recovery.
        final NewReno cc = reno(0, true);
        cc.restore(20 * MSS, 10 * MSS, NOW);
        cc.onFastRetransmit(16 * MSS, NOW);
        assertEquals(8 * MSS, cc.cwnd());
        cc.onRecoveryAck(0, NOW);
        cc.onRecoveryAck(4 * MSS, NOW);
        assertEquals(8 * MSS, cc.cwnd());
    }

    @Test
    void lossNeverTakesSsthreshBelowTwoSegments() {
        final NewReno cc = reno(0, true);
        cc.onFastRetransmit(MSS, NOW);
        assertEquals(2 * MSS, cc.ssthresh(), "RFC 5681 eq. 4 floor");
        assertEquals(2 * MSS, cc.cwnd());
    }

    @Test
    void retransmissionTimeoutDropsToLossWindowAndHoldsSsthreshOnRepeats() {
        final NewReno cc = reno(0, true);
        cc.restore(20 * MSS, 30 * MSS, NOW);
        cc.onRetransmitTimeout(20 * MSS, NOW);
        assertEquals(MSS, cc.cwnd(), "RFC 5681 §3.1: LW = 1 SMSS");
        assertEquals(10 * MSS, cc.ssthresh());
        // The same segment times out again (no ACK in between): ssthresh is held, not halved from FlightSize.
        cc.onRetransmitTimeout(2 * MSS, NOW);
        assertEquals(10 * MSS, cc.ssthresh());
        // Slow start after an RTO uses L = 1*SMSS (RFC 3465 §2.3).
        cc.onAck(4 * MSS, MSS, NO_RTT, NOW);
        assertEquals(2 * MSS, cc.cwnd());
        // New data was acknowledged, so a later timeout reduces ssthresh again.
        cc.onRetransmitTimeout(2 * MSS, NOW);
        assertEquals(2 * MSS, cc.ssthresh());
    }

    @Test
    void idleRestartUsesTheRestartWindow() {
        // RFC 5681 §4.1: RW = min(IW, cwnd).
        final NewReno cc = reno(0, true);
        cc.restore(30 * MSS, 10 * MSS, NOW);
        cc.onIdleRestart(NOW);
        assertEquals(4 * MSS, cc.cwnd());
        cc.restore(2 * MSS, 10 * MSS, NOW);
        cc.onIdleRestart(NOW);
        assertEquals(2 * MSS, cc.cwnd());
    }

    @Test
    void mssChangeKeepsSegmentCounts() {
        final NewReno cc = reno(0, true);
        cc.restore(20 * MSS, 10 * MSS, NOW);
        cc.onMssChange(500);
        assertEquals(20 * 500, cc.cwnd());
        assertEquals(10 * 500, cc.ssthresh());
        assertEquals(500, cc.mss());
    }

    @Test
    void restoreClampsImportedValuesAndRejectsNonsense() {
        final NewReno cc = reno(0, true);
        cc.restore(1, 1, NOW);
        assertEquals(MSS, cc.cwnd());
        assertEquals(2 * MSS, cc.ssthresh());
        assertThrows(IllegalArgumentException.class, () -> cc.restore(0, 10, NOW));
    }

    @Test
    void misuseBeforeInitSaysWhatToDo() {
        final NewReno cc = new NewReno();
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> cc.onAck(1, 1, NO_RTT, NOW));
        assertTrue(e.getMessage().contains("init"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cc.init(0, NOW));
    }

    @Test
    void factoryCreatesByNameAndRejectsUnknownNames() {
        assertEquals("newreno", CongestionControls.create("NewReno", MSS).name());
        assertEquals("newreno", CongestionControls.create("reno", MSS).name());
        final CongestionControl cubic = CongestionControls.create("cubic", MSS);
        assertEquals("cubic", cubic.name());
        assertEquals(4 * MSS, cubic.cwnd(), "the factory initialises for the MSS");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CongestionControls.create("bbr", MSS));
        assertTrue(e.getMessage().contains("newreno"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CongestionControls.Options(-1, true));
    }
}
