package dev.chimney.tcp;

/**
 * The eleven connection states of RFC 9293 §3.3.2, named as the chimney spec's delegated {@code State}
 * (spec §2.7, {@code TCP_OFFLOAD_CONNECTION_STATE}).
 */
public enum TcpState {
    CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
    TIME_WAIT;

    /** RFC 9293 §3.3.2: a state reached after the SYN exchange completed (both ISNs known and acknowledged). */
    public boolean isSynchronized() {
        return ordinal() >= ESTABLISHED.ordinal();
    }

    /** True when our side may still queue data to send (RFC 9293 §3.10.2 SEND is legal). */
    public boolean canSend() {
        return this == SYN_SENT || this == SYN_RECEIVED || this == ESTABLISHED || this == CLOSE_WAIT;
    }

    /** True while our FIN is queued or sent but not yet acknowledged. */
    public boolean finUnacknowledged() {
        return this == FIN_WAIT_1 || this == CLOSING || this == LAST_ACK;
    }

    /** True once our FIN is queued (the send side is shut down). */
    public boolean finQueued() {
        return this == FIN_WAIT_1 || this == FIN_WAIT_2 || this == CLOSING || this == LAST_ACK || this == TIME_WAIT;
    }
}
