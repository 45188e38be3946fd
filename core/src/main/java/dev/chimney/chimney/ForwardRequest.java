package dev.chimney.chimney;

import java.util.Objects;

/**
 * Segments the host forwards to an offloaded connection (spec §4.7): each holds exactly one TCP segment, first byte
 * the first byte of the TCP header, options included, no IP header. The target processes each as if it had just come
 * off the wire. Chained through {@link #next()}.
 */
public final class ForwardRequest {
    private final byte[] segment;
    private ForwardRequest next;
    private OffloadStatus status;

    public ForwardRequest(byte[] tcpSegment) {
        this.segment = Objects.requireNonNull(tcpSegment, "tcpSegment");
    }

    /** The TCP header and payload (not copied; the target owns it until completion). */
    public byte[] segment() {
        return segment;
    }

    public ForwardRequest next() {
        return next;
    }

    public void next(ForwardRequest n) {
        this.next = n;
    }

    public ForwardRequest append(ForwardRequest tail) {
        ForwardRequest last = this;
        while (last.next != null) {
            last = last.next;
        }
        last.next = tail;
        return this;
    }

    public OffloadStatus status() {
        return status;
    }

    /** The DDI lists no forward-completion statuses (spec §9): SUCCESS when processed, UPLOAD_IN_PROGRESS if not. */
    public void complete(OffloadStatus s) {
        this.status = Objects.requireNonNull(s, "status");
    }
}
