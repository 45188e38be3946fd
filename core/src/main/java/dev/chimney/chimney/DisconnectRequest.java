package dev.chimney.chimney;

import java.util.Objects;

/**
 * A disconnect (spec §4.5): closes the send half. Abortive sends RST (the only RST a target may send) and aborts
 * every outstanding send; graceful sends the optional data, then FIN, and completes SUCCESS when FIN and data are
 * acknowledged, after every earlier send request has completed in order.
 */
public final class DisconnectRequest {
    private final boolean abortive;
    private final byte[] data;
    private OffloadStatus status;
    private int bytesTransferred;
    public Object hostContext;

    private DisconnectRequest(boolean abortive, byte[] data) {
        this.abortive = abortive;
        this.data = Objects.requireNonNull(data, "data");
    }

    /** {@code TCP_DISCONNECT_GRACEFUL_CLOSE}, with no data of its own. */
    public static DisconnectRequest graceful() {
        return new DisconnectRequest(false, new byte[0]);
    }

    /** {@code TCP_DISCONNECT_GRACEFUL_CLOSE} with {@code data} to send before the FIN. */
    public static DisconnectRequest graceful(byte[] data) {
        return new DisconnectRequest(false, data.clone());
    }

    /** {@code TCP_DISCONNECT_ABORTIVE_CLOSE} (its NB carries no data, spec §4.5.2). */
    public static DisconnectRequest abortive() {
        return new DisconnectRequest(true, new byte[0]);
    }

    public boolean isAbortive() {
        return abortive;
    }

    public byte[] data() {
        return data;
    }

    public OffloadStatus status() {
        return status;
    }

    public int bytesTransferred() {
        return bytesTransferred;
    }

    public void complete(OffloadStatus s, int acknowledgedBytes) {
        this.status = Objects.requireNonNull(s, "status");
        this.bytesTransferred = acknowledgedBytes;
    }

    @Override
    public String toString() {
        return "DisconnectRequest[" + (abortive ? "abortive" : "graceful") + (status == null ? "" : " " + status)
                + "]";
    }
}
