package dev.chimney.tcp;

/**
 * The connection's constant variables (spec §2.5 {@code TCP_OFFLOAD_STATE_CONST}): fixed once the handshake has
 * negotiated them and never changed afterwards, so the engine replaces the whole record when the SYN exchange
 * completes and never mutates it.
 *
 * @param localPort our port
 * @param remotePort the peer's port
 * @param timestamps TCP_FLAG_TIMESTAMP_ENABLED: RFC 7323 timestamps in every segment
 * @param sack TCP_FLAG_SACK_ENABLED: RFC 2018 SACK generated and accepted
 * @param windowScaling TCP_FLAG_WINDOW_SCALING_ENABLED: RFC 7323 §2 scaling in both directions
 * @param sndWindScale shift applied to the peer's advertised window (0 without scaling)
 * @param rcvWindScale shift applied to the window we advertise (0 without scaling)
 * @param remoteMss MSS the peer advertised (RFC 9293 §3.7.1; 536/1220 when it sent none)
 * @param hashValue 32-bit RSS hash of the 4-tuple (spec §6.13)
 */
public record TcpConst(int localPort, int remotePort, boolean timestamps, boolean sack, boolean windowScaling,
        int sndWindScale, int rcvWindScale, int remoteMss, int hashValue) {

    public TcpConst {
        if (sndWindScale < 0 || sndWindScale > 14 || rcvWindScale < 0 || rcvWindScale > 14) {
            throw new IllegalArgumentException("window scale shifts must be 0..14 (RFC 7323 §2.3), got snd="
                    + sndWindScale + " rcv=" + rcvWindScale);
        }
        if (remoteMss < 1) {
            throw new IllegalArgumentException("remoteMss must be positive, got " + remoteMss);
        }
    }
}
