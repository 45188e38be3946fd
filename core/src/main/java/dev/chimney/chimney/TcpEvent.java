package dev.chimney.chimney;

import java.util.Objects;

/**
 * A TCP chimney event about one connection (spec §5.3), as {@code EventType} plus {@code EventSpecificInformation}:
 * the upload reason of a {@link TcpEventType#RETRIEVE}, the byte count of a {@link TcpEventType#SEND_BACKLOG_CHANGE}.
 * An intermediate target passes it upward unchanged with its stored upper handle (spec §2.15).
 */
public record TcpEvent(TcpEventType type, UploadReason reason, long sendBacklogBytes) {
    public static final TcpEvent DISCONNECT = new TcpEvent(TcpEventType.DISCONNECT, null, 0);
    public static final TcpEvent ABORT = new TcpEvent(TcpEventType.ABORT, null, 0);

    public TcpEvent {
        Objects.requireNonNull(type, "type");
        if ((type == TcpEventType.RETRIEVE) != (reason != null)) {
            throw new IllegalArgumentException("an upload reason goes with RETRIEVE and only with it: " + type + " "
                    + reason);
        }
    }

    public static TcpEvent retrieve(UploadReason reason) {
        return new TcpEvent(TcpEventType.RETRIEVE, Objects.requireNonNull(reason, "reason"), 0);
    }

    public static TcpEvent sendBacklogChange(long bytes) {
        return new TcpEvent(TcpEventType.SEND_BACKLOG_CHANGE, null, bytes);
    }
}
