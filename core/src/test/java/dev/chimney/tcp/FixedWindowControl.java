package dev.chimney.tcp;

import dev.chimney.tcp.cc.CongestionControl;

/** Test-only congestion control: a constant window, so scripts see exactly what the engine's own rules do. */
final class FixedWindowControl implements CongestionControl {
    private final long windowBytes;
    private long cwnd;
    private long ssthresh = Long.MAX_VALUE / 4;

    FixedWindowControl(long windowBytes) {
        this.windowBytes = windowBytes;
        this.cwnd = windowBytes;
    }

    @Override
    public long cwnd() {
        return cwnd;
    }

    @Override
    public long ssthresh() {
        return ssthresh;
    }

    @Override
    public void restore(long cwnd, long ssthresh, long nowNs) {
        this.cwnd = cwnd;
        this.ssthresh = ssthresh;
    }

    @Override
    public void init(int mss, long nowNs) {
        cwnd = windowBytes;
    }

    @Override
    public void onAck(long ackedBytes, long inFlightBeforeAck, long rttNs, long nowNs) {
    }

    @Override
    public void onFastRetransmit(long inFlight, long nowNs) {
    }

    @Override
    public void onRecoveryAck(long ackedBytes, long nowNs) {
    }

    @Override
    public void onRecoveryExit(long inFlight, long nowNs) {
    }

    @Override
    public void onRetransmitTimeout(long inFlight, long nowNs) {
    }

    @Override
    public void onIdleRestart(long nowNs) {
    }

    @Override
    public void onMssChange(int newMss) {
    }

    @Override
    public String name() {
        return "fixed";
    }
}
