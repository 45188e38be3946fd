package dev.chimney.chimney;

import java.util.Objects;

/**
 * Received data a target indicates to the host (spec §4.3): one standalone buffer of in-order bytes. If the host
 * answers {@link OffloadStatus#SUCCESS} it owns the buffer until it gives it back through
 * {@link OffloadTarget#tcpReceiveReturn}; if it answers {@link OffloadStatus#OFFLOAD_DATA_PARTIALLY_ACCEPTED} or
 * {@link OffloadStatus#OFFLOAD_DATA_NOT_ACCEPTED} the target owns it again at once and keeps the unconsumed bytes
 * buffered. Also the form of {@code BufferedData} handed back at terminate (it too comes back through receive-return).
 */
public final class ReceiveIndication {
    private final byte[] buffer;
    private final int offset;
    private final int length;
    private ReceiveIndication next;
    /** The target's own bookkeeping (its pool). */
    public Object targetScratch;

    public ReceiveIndication(byte[] buffer, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(buffer, "buffer").length);
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
    }

    public byte[] buffer() {
        return buffer;
    }

    public int offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    /** Chains indications for a receive-return (spec §4.3.4). */
    public ReceiveIndication next() {
        return next;
    }

    public void next(ReceiveIndication n) {
        this.next = n;
    }

    /**
     * The host's answer to an indication (spec §4.3.2).
     *
     * @param status        SUCCESS (all consumed), OFFLOAD_DATA_PARTIALLY_ACCEPTED or OFFLOAD_DATA_NOT_ACCEPTED
     * @param bytesConsumed the bytes the host took: all, some (non-zero), or 0
     */
    public record Result(OffloadStatus status, int bytesConsumed) {
        public static Result all(int n) {
            return new Result(OffloadStatus.SUCCESS, n);
        }

        public static final Result NONE = new Result(OffloadStatus.OFFLOAD_DATA_NOT_ACCEPTED, 0);

        public Result {
            switch (Objects.requireNonNull(status, "status")) {
                case SUCCESS, OFFLOAD_DATA_PARTIALLY_ACCEPTED, OFFLOAD_DATA_NOT_ACCEPTED -> {
                }
                default -> throw new IllegalArgumentException("a receive indication is answered with SUCCESS, "
                        + "OFFLOAD_DATA_PARTIALLY_ACCEPTED or OFFLOAD_DATA_NOT_ACCEPTED, not " + status);
            }
            if ((status == OffloadStatus.OFFLOAD_DATA_NOT_ACCEPTED) != (bytesConsumed == 0) || bytesConsumed < 0) {
                throw new IllegalArgumentException(status + " with " + bytesConsumed + " bytes consumed");
            }
        }
    }
}
