package dev.chimney.tcp.cc;

/**
 * NewReno congestion control: RFC 5681 slow start and congestion avoidance with RFC 6582 fast recovery.
 *
 * <ul>
 *   <li>Initial window: RFC 5681 §3.1 (2-4 segments by MSS) or RFC 6928 IW10 via
 *       {@link CongestionControls.Options#initialWindowSegments()}.</li>
 *   <li>Slow start: Appropriate Byte Counting, L = 2*SMSS (RFC 3465 §2.2), L = 1*SMSS after an RTO.</li>
 *   <li>Congestion avoidance: byte counting, RFC 5681 §3.1: once {@code bytes_acked >= cwnd},
 *       {@code cwnd += SMSS} (one segment per window of data acknowledged).</li>
 *   <li>Loss: {@code ssthresh = max(FlightSize / 2, 2*SMSS)} (RFC 5681 eq. 4); fast recovery per RFC 6582
 *       §3.2 with partial-ACK deflation, or RFC 6675 pipe-based recovery per the options.</li>
 *   <li>RTO: {@code cwnd = 1*SMSS} (loss window); ssthresh held on repeated timeouts of the same data.</li>
 *   <li>Idle: restart window {@code min(IW, cwnd)} (RFC 5681 §4.1).</li>
 * </ul>
 *
 * <p>One owner (the connection's event loop); no allocation per call.
 */
public final class NewReno extends WindowControl {

    /** NewReno with RFC 5681 IW and SACK (RFC 6675) recovery. Call {@link #init} before use. */
    public NewReno() {
        this(CongestionControls.Options.DEFAULT);
    }

    /** NewReno with explicit options. Call {@link #init} before use. */
    public NewReno(final CongestionControls.Options options) {
        super(options);
    }

    @Override
    long lossSsthresh(final long flightSizeBytes) {
        return clamp(flightSizeBytes / 2, 2L * mss, MAX_WINDOW_BYTES);
    }

    @Override
    void congestionAvoidance(final long ackedBytes, final long nowNs) {
        // RFC 5681 §3.1, the byte-counting variant of equation 3.
        bytesAckedInAvoidance += ackedBytes;
        if (bytesAckedInAvoidance >= cwnd) {
            bytesAckedInAvoidance -= cwnd;
            cwnd += mss;
        }
    }

    @Override
    public String name() {
        return CongestionControls.Algorithm.NEWRENO.configName();
    }
}
