package dev.chimney.chimney;

/** The TCP chimney events a target indicates about one connection (spec §5.3). */
public enum TcpEventType {
    /** The peer's FIN arrived and every byte before it was delivered: the receive half is closed. */
    DISCONNECT,
    /** The target asks for this connection to be uploaded; the event carries an {@link UploadReason}. */
    RETRIEVE,
    /** An acceptable RST arrived (or step 3 of the hardware-failure sequence): the host will terminate. */
    ABORT,
    /** The preferred amount of outstanding send data changed; the event carries the new byte count. */
    SEND_BACKLOG_CHANGE
}
