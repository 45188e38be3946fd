package dev.chimney.tcp;

import java.util.List;

/**
 * A snapshot of the connection's delegated variables (spec §2.7 {@code TCP_OFFLOAD_STATE_DELEGATED}) plus the
 * buffered data that travels with them (spec §3.1.5, §3.1.6). Time values are ticks; every {@code *TimeoutDelta}
 * is the time left on that timer, -1 when it is not running, 0 when due (spec §6.0). SRTT and RTTVAR are scaled
 * by 8 and 4 as the spec requires.
 *
 * <p>Byte arrays are copies taken at export and must not be modified.
 *
 * @param sendData bytes from SND.UNA on: sent-unacknowledged, then never sent (spec §3.1.6)
 * @param receivedData bytes acknowledged to the peer and not yet read by the application (spec §3.1.5)
 * @param outOfOrder data received beyond RCV.NXT and already SACKed to the peer; not a spec field (the spec drops
 *     SACKed data on terminate, §6.9) but carried here so nothing the peer was told about is lost
 */
public record TcpDelegated(TcpState state, int rcvNxt, int rcvWnd, int sndUna, int sndNxt, int sndMax, long sndWnd,
        long maxSndWnd, int sndWl1, long cWnd, long ssThresh, long sRtt, long rttVar, int tsRecent,
        long tsRecentAge, int tsTime, long totalRt, int dupAckCount, int sndWndProbeCount, int keepAliveProbeCount,
        long keepAliveTimeoutDelta, int retransmitCount, long retransmitTimeoutDelta, long dWnd, byte[] sendData,
        byte[] receivedData, List<OutOfOrderData> outOfOrder) {

    /** Out-of-order bytes starting at sequence number {@code seq}. */
    public record OutOfOrderData(int seq, byte[] data) {
    }

    public TcpDelegated {
        outOfOrder = List.copyOf(outOfOrder);
    }
}
