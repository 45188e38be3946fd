package dev.chimney.tcp;

/** Why a connection ended, as told to the application. */
public enum CloseReason {
    /** Both FINs exchanged and acknowledged (or TIME_WAIT ran out). */
    NORMAL,
    /** The peer answered our SYN with RST (RFC 9293 §3.10.7.3): nobody listening. */
    REFUSED,
    /** The peer reset an established connection (RFC 9293 §3.10.7.4, RFC 5961 §3.2 exact-match RST). */
    RESET,
    /** Retransmissions, keepalive probes, SYN retries or the FIN_WAIT_2 timer ran out. */
    TIMED_OUT,
    /** An ICMP hard error, or a time-out after soft errors (RFC 1122 §4.2.3.9). */
    UNREACHABLE,
    /** The application aborted (we sent RST). */
    ABORTED
}
