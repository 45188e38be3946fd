package dev.chimney.tcp;

import java.util.Arrays;
import java.util.List;

/**
 * A snapshot of the connection's delegated variables (spec §2.7 {@code TCP_OFFLOAD_STATE_DELEGATED}) plus the
 * buffered data that travels with them (spec §3.1.5, §3.1.6). Time values are ticks; every {@code *TimeoutDelta}
 * is the time left on that timer, -1 when it is not running, 0 when due (spec §6.0). SRTT and RTTVAR are scaled
 * by 8 and 4 as the spec requires.
 *
 * <p>Immutable: the byte arrays are copied in and every accessor returns a fresh copy; equality compares contents.
 *
 * @param sendData bytes from SND.UNA on: sent-unacknowledged, then never sent (spec §3.1.6)
 * @param receivedData bytes acknowledged to the peer and not yet read by the application (spec §3.1.5)
 * @param outOfOrder data received beyond RCV.NXT and already SACKed to the peer; not a spec field (the spec drops
 *     SACKed data on terminate, §6.9) but carried here so nothing the peer was told about is lost
 * @param lossRecovery the sender's loss recovery (RACK-TLP, PRR, undo); not a spec field but carried so a connection
 *     moved in the middle of a loss episode keeps recovering where it was; {@link LossRecoveryState#NONE} lets the
 *     importer rebuild it
 */
public record TcpDelegated(TcpState state, int rcvNxt, int rcvWnd, int sndUna, int sndNxt, int sndMax, long sndWnd,
        long maxSndWnd, int sndWl1, long cWnd, long ssThresh, long sRtt, long rttVar, int tsRecent,
        long tsRecentAge, int tsTime, long totalRt, int dupAckCount, int sndWndProbeCount, int keepAliveProbeCount,
        long keepAliveTimeoutDelta, int retransmitCount, long retransmitTimeoutDelta, long dWnd, byte[] sendData,
        byte[] receivedData, List<OutOfOrderData> outOfOrder, LossRecoveryState lossRecovery) {

    /** Out-of-order bytes starting at sequence number {@code seq} (immutable: copied in and out). */
    public record OutOfOrderData(int seq, byte[] data) {
        public OutOfOrderData {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        /** Number of bytes, without copying them. */
        public int length() {
            return data.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof OutOfOrderData x && x.seq == seq && Arrays.equals(x.data, data);
        }

        @Override
        public int hashCode() {
            return seq * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "OutOfOrderData[seq=" + Integer.toUnsignedString(seq) + ", " + data.length + " bytes]";
        }
    }

    public TcpDelegated {
        sendData = sendData.clone();
        receivedData = receivedData.clone();
        outOfOrder = List.copyOf(outOfOrder);
        lossRecovery = lossRecovery == null ? LossRecoveryState.NONE : lossRecovery;
    }

    /** The spec's variables and data without loss-recovery state ({@link LossRecoveryState#NONE}). */
    public TcpDelegated(TcpState state, int rcvNxt, int rcvWnd, int sndUna, int sndNxt, int sndMax, long sndWnd,
            long maxSndWnd, int sndWl1, long cWnd, long ssThresh, long sRtt, long rttVar, int tsRecent,
            long tsRecentAge, int tsTime, long totalRt, int dupAckCount, int sndWndProbeCount,
            int keepAliveProbeCount, long keepAliveTimeoutDelta, int retransmitCount, long retransmitTimeoutDelta,
            long dWnd, byte[] sendData, byte[] receivedData, List<OutOfOrderData> outOfOrder) {
        this(state, rcvNxt, rcvWnd, sndUna, sndNxt, sndMax, sndWnd, maxSndWnd, sndWl1, cWnd, ssThresh, sRtt, rttVar,
                tsRecent, tsRecentAge, tsTime, totalRt, dupAckCount, sndWndProbeCount, keepAliveProbeCount,
                keepAliveTimeoutDelta, retransmitCount, retransmitTimeoutDelta, dWnd, sendData, receivedData,
                outOfOrder, LossRecoveryState.NONE);
    }

    @Override
    public byte[] sendData() {
        return sendData.clone();
    }

    @Override
    public byte[] receivedData() {
        return receivedData.clone();
    }

    /**
     * The same variables with other data: e.g. {@code withData(new byte[0], receivedData())} for a block list that
     * carries the send data as its own chain of send requests (spec §3.1.6).
     */
    public TcpDelegated withData(byte[] newSendData, byte[] newReceivedData) {
        return new TcpDelegated(state, rcvNxt, rcvWnd, sndUna, sndNxt, sndMax, sndWnd, maxSndWnd, sndWl1, cWnd,
                ssThresh, sRtt, rttVar, tsRecent, tsRecentAge, tsTime, totalRt, dupAckCount, sndWndProbeCount,
                keepAliveProbeCount, keepAliveTimeoutDelta, retransmitCount, retransmitTimeoutDelta, dWnd,
                newSendData, newReceivedData, outOfOrder, lossRecovery);
    }

    /** The same variables without the loss-recovery extension (what an engine that keeps none would return). */
    public TcpDelegated withoutLossRecovery() {
        return new TcpDelegated(state, rcvNxt, rcvWnd, sndUna, sndNxt, sndMax, sndWnd, maxSndWnd, sndWl1, cWnd,
                ssThresh, sRtt, rttVar, tsRecent, tsRecentAge, tsTime, totalRt, dupAckCount, sndWndProbeCount,
                keepAliveProbeCount, keepAliveTimeoutDelta, retransmitCount, retransmitTimeoutDelta, dWnd, sendData,
                receivedData, outOfOrder, LossRecoveryState.NONE);
    }

    /** Bytes of buffered send data, without copying them. */
    public int sendDataLength() {
        return sendData.length;
    }

    /** Bytes of buffered receive data, without copying them. */
    public int receivedDataLength() {
        return receivedData.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcpDelegated x && x.state == state && x.rcvNxt == rcvNxt && x.rcvWnd == rcvWnd
                && x.sndUna == sndUna && x.sndNxt == sndNxt && x.sndMax == sndMax && x.sndWnd == sndWnd
                && x.maxSndWnd == maxSndWnd && x.sndWl1 == sndWl1 && x.cWnd == cWnd && x.ssThresh == ssThresh
                && x.sRtt == sRtt && x.rttVar == rttVar && x.tsRecent == tsRecent && x.tsRecentAge == tsRecentAge
                && x.tsTime == tsTime && x.totalRt == totalRt && x.dupAckCount == dupAckCount
                && x.sndWndProbeCount == sndWndProbeCount && x.keepAliveProbeCount == keepAliveProbeCount
                && x.keepAliveTimeoutDelta == keepAliveTimeoutDelta && x.retransmitCount == retransmitCount
                && x.retransmitTimeoutDelta == retransmitTimeoutDelta && x.dWnd == dWnd
                && Arrays.equals(x.sendData, sendData) && Arrays.equals(x.receivedData, receivedData)
                && x.outOfOrder.equals(outOfOrder) && x.lossRecovery.equals(lossRecovery);
    }

    @Override
    public int hashCode() {
        return ((state.hashCode() * 31 + rcvNxt) * 31 + sndUna) * 31 + Arrays.hashCode(sendData);
    }

    @Override
    public String toString() {
        return "TcpDelegated[" + state + " rcvNxt=" + Integer.toUnsignedString(rcvNxt) + " rcvWnd=" + rcvWnd
                + " sndUna=" + Integer.toUnsignedString(sndUna) + " sndNxt=+" + (sndNxt - sndUna) + " sndMax=+"
                + (sndMax - sndUna) + " sndWnd=" + sndWnd + " cWnd=" + cWnd + " sRtt8=" + sRtt + " rttVar4=" + rttVar
                + " rtxDelta=" + retransmitTimeoutDelta + " kaDelta=" + keepAliveTimeoutDelta + " send="
                + sendData.length + "B received=" + receivedData.length + "B outOfOrder=" + outOfOrder.size()
                + (lossRecovery.present() ? " " + lossRecovery : "") + "]";
    }
}
