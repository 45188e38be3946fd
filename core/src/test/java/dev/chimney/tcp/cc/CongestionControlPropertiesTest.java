package dev.chimney.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.SeededRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Invariants of every controller under random event sequences (RFC 5681 floors and ceilings). */
class CongestionControlPropertiesTest {

    @Property(tries = 300)
    void windowsStayWithinTheirRfcBounds(@ForAll final long seed, @ForAll final boolean cubic,
            @ForAll final boolean sack, @ForAll @IntRange(min = 0, max = 10) final int iw) {
        final SeededRandom random = new SeededRandom(seed);
        final CongestionControls.Options options = new CongestionControls.Options(iw, sack);
        final CongestionControl cc = cubic ? new Cubic(options, random.chance(0.5)) : new NewReno(options);
        int mss = 536 + random.nextInt(9000);
        long nowNs = random.nextLong(1L << 40);
        cc.init(mss, nowNs);
        for (int step = 0; step < 400; step++) {
            nowNs += random.nextLong(50_000_000L);
            final long inFlight = random.chance(0.1) ? -1 : random.nextLong(4 * cc.cwnd() + 1);
            switch (random.nextInt(12)) {
                case 0 -> cc.onFastRetransmit(inFlight, nowNs);
                case 1 -> cc.onRecoveryAck(random.chance(0.5) ? 0 : random.nextLong(20L * mss), nowNs);
                case 2 -> cc.onRecoveryExit(Math.max(0, inFlight), nowNs);
                case 3 -> cc.onRetransmitTimeout(Math.max(0, inFlight), nowNs);
                case 4 -> cc.onIdleRestart(nowNs);
                case 5 -> {
                    mss = 536 + random.nextInt(9000);
                    cc.onMssChange(mss);
                }
                case 6 -> cc.restore(1 + random.nextLong(1L << 32), 1 + random.nextLong(1L << 32), nowNs);
                default -> cc.onAck(random.nextLong(64L * mss), inFlight,
                        random.chance(0.3) ? -1 : 1 + random.nextLong(500_000_000L), nowNs);
            }
            final String where = "seed " + seed + " step " + step + " (" + cc.name() + ", mss " + mss + ")";
            assertTrue(cc.cwnd() >= mss, where + ": cwnd " + cc.cwnd() + " below 1 MSS");
            assertTrue(cc.ssthresh() >= 2L * mss, where + ": ssthresh " + cc.ssthresh() + " below 2 MSS");
            assertTrue(cc.cwnd() <= WindowControl.MAX_WINDOW_BYTES, where + ": cwnd overflowed");
            assertTrue(cc.ssthresh() <= WindowControl.MAX_WINDOW_BYTES, where + ": ssthresh overflowed");
        }
    }
}
