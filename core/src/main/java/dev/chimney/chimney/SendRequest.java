package dev.chimney.chimney;

import java.util.Objects;

/**
 * One send buffer: an {@code NET_BUFFER_LIST} with one {@code NET_BUFFER} (spec §4.1; in Java an NB with its MDL chain
 * is one byte range, spec §0.2). Requests chain through {@link #next()} in transmission order.
 *
 * <p>While a request is pending the target owns it and everything in it. It completes a request with
 * {@link OffloadStatus#SUCCESS} only when every byte was sent <b>and acknowledged</b> (spec §4.1.3); with any other
 * status {@link #bytesTransferred()} says how many leading bytes were acknowledged (the data start advanced by that
 * much). The data is never modified.
 */
public final class SendRequest {
    private final byte[] buffer;
    private final int offset;
    private final int length;
    private SendRequest next;
    private OffloadStatus status;
    private int bytesTransferred;
    /** The poster's own bookkeeping (the host's sequence offset, an IM's upper request): the target never reads it. */
    public Object hostContext;
    /** The target's own bookkeeping while it owns the request ({@code MiniportReserved}). */
    public Object targetScratch;

    /** Sends {@code buffer[offset, offset + length)}; the caller must not touch those bytes until completion. */
    public SendRequest(byte[] buffer, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(buffer, "buffer").length);
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
    }

    /** A request over a whole array. */
    public static SendRequest of(byte[] data) {
        return new SendRequest(data, 0, data.length);
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

    public SendRequest next() {
        return next;
    }

    public void next(SendRequest n) {
        this.next = n;
    }

    /** Appends {@code tail} (a request or chain) after the last request of this chain; returns this. */
    public SendRequest append(SendRequest tail) {
        SendRequest last = this;
        while (last.next != null) {
            last = last.next;
        }
        last.next = tail;
        return this;
    }

    /** Bytes in this chain from this request on. */
    public long chainLength() {
        long n = 0;
        for (SendRequest r = this; r != null; r = r.next) {
            n += r.length;
        }
        return n;
    }

    public OffloadStatus status() {
        return status;
    }

    /** {@code TcpOffloadBytesTransferred}: bytes sent and acknowledged. */
    public int bytesTransferred() {
        return bytesTransferred;
    }

    /** Set by the target just before it completes the request. */
    public void complete(OffloadStatus s, int acknowledgedBytes) {
        if (acknowledgedBytes < 0 || acknowledgedBytes > length) {
            throw new IllegalArgumentException("acknowledged bytes " + acknowledgedBytes + " outside 0.." + length);
        }
        if (s == OffloadStatus.SUCCESS && acknowledgedBytes != length) {
            throw new IllegalArgumentException("SUCCESS means every byte was acknowledged (spec §4.1.3): "
                    + acknowledgedBytes + " of " + length);
        }
        this.status = Objects.requireNonNull(s, "status");
        this.bytesTransferred = acknowledgedBytes;
    }

    /**
     * Marks a request a target hands back in a terminate's send chain instead of completing it (spec §3.2.5 item 5,
     * R-TERM-10): it stays uncompleted ({@link #status()} null) and its data start is advanced past the {@code
     * acknowledgedBytes} already acknowledged ({@code NdisAdvanceNetBufferDataStart}), so the first byte of the
     * returned chain is SND.UNA (spec §3.1.6). Only the first request of a returned chain can have any.
     */
    public void returned(int acknowledgedBytes) {
        if (acknowledgedBytes < 0 || acknowledgedBytes >= Math.max(1, length)) {
            throw new IllegalArgumentException("a returned request has 0.." + (length - 1)
                    + " acknowledged bytes (a fully acknowledged one is completed), got " + acknowledgedBytes);
        }
        this.status = null;
        this.bytesTransferred = acknowledgedBytes;
    }

    /** Clears the completion so the poster can re-drive the request (UPLOAD_IN_PROGRESS, R-HOST-9). */
    public void reset() {
        status = null;
        bytesTransferred = 0;
        next = null;
    }

    @Override
    public String toString() {
        return "SendRequest[" + length + "B" + (status == null ? "" : " " + status + " " + bytesTransferred + "B")
                + "]";
    }
}
