package dev.chimney.chimney;

/** Why a target asks for a connection's upload ({@code TCP_UPLOAD_REASON}, spec §3.2.2). */
public enum UploadReason {
    HARDWARE_FAILURE(true),
    INVALID_STATE(true),
    RECEIVED_URGENT_DATA(true),
    TIMEOUT_EXPIRATION(true),
    UPLOAD_REQUESTED(true),
    HIGH_DROP_RATE(false),
    HIGH_FRAGMENTATION(false),
    HIGH_OUT_OF_ORDER_PACKETS(false),
    LOW_ACTIVITY(false),
    NO_BUFFER_PROPOSTING(false),
    SMALL_IO(false);

    private final boolean mandatory;

    UploadReason(boolean mandatory) {
        this.mandatory = mandatory;
    }

    /**
     * Mandatory: the host always uploads and the target stops normal processing (R-HOST-14). Optional: the host may
     * decline and the target carries on normally (R-TERM-16).
     */
    public boolean isMandatory() {
        return mandatory;
    }
}
