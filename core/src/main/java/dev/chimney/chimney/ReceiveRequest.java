package dev.chimney.chimney;

import java.util.Objects;

/**
 * One posted receive buffer (spec §4.2): an NBL with exactly one NB. The target fills posted buffers in FIFO order
 * and completes them in the order they were posted. In <b>push</b> mode a partly filled buffer completes on PSH or
 * when the push timer fires; in <b>non-push</b> mode ({@code TcpReceiveNoPush}) only when full (spec §4.2.2). A
 * zero-byte request consumes nothing and re-enables indications (spec §4.3.3); every request is eventually completed.
 */
public final class ReceiveRequest {
    private final byte[] buffer;
    private final int offset;
    private final int capacity;
    private final boolean noPush;
    private int bytesTransferred;
    private ReceiveRequest next;
    private OffloadStatus status;
    /** The poster's own bookkeeping. */
    public Object hostContext;
    /** The target's own bookkeeping while it owns the request. */
    public Object targetScratch;

    /**
     * @param buffer            where the target places data, from {@code offset}, at most {@code capacity} bytes
     * @param noPush            {@code TcpReceiveNoPush}: complete only when full
     * @param bytesTransferred  {@code TcpReceiveBytesTransferred} on input: bytes the host already placed (non-push
     *                          only; spec §4.2.2 and §9)
     */
    public ReceiveRequest(byte[] buffer, int offset, int capacity, boolean noPush, int bytesTransferred) {
        Objects.checkFromIndexSize(offset, capacity, Objects.requireNonNull(buffer, "buffer").length);
        if (bytesTransferred < 0 || bytesTransferred > capacity) {
            throw new IllegalArgumentException("bytesTransferred " + bytesTransferred + " outside 0.." + capacity);
        }
        this.buffer = buffer;
        this.offset = offset;
        this.capacity = capacity;
        this.noPush = noPush;
        this.bytesTransferred = bytesTransferred;
    }

    /** A push-mode request for {@code capacity} bytes in a new array. */
    public static ReceiveRequest push(int capacity) {
        return new ReceiveRequest(new byte[capacity], 0, capacity, false, 0);
    }

    public byte[] buffer() {
        return buffer;
    }

    public int offset() {
        return offset;
    }

    public int capacity() {
        return capacity;
    }

    public boolean noPush() {
        return noPush;
    }

    /** Bytes placed so far ({@code TcpOffloadBytesTransferred} once completed). */
    public int bytesTransferred() {
        return bytesTransferred;
    }

    public int remaining() {
        return capacity - bytesTransferred;
    }

    public boolean isFull() {
        return bytesTransferred == capacity;
    }

    /** Copies up to {@link #remaining()} bytes in; returns how many (the target's placement). */
    public int place(byte[] src, int srcOffset, int len) {
        int n = Math.min(len, remaining());
        System.arraycopy(src, srcOffset, buffer, offset + bytesTransferred, n);
        bytesTransferred += n;
        return n;
    }

    public ReceiveRequest next() {
        return next;
    }

    public void next(ReceiveRequest n) {
        this.next = n;
    }

    public ReceiveRequest append(ReceiveRequest tail) {
        ReceiveRequest last = this;
        while (last.next != null) {
            last = last.next;
        }
        last.next = tail;
        return this;
    }

    public OffloadStatus status() {
        return status;
    }

    public void complete(OffloadStatus s) {
        this.status = Objects.requireNonNull(s, "status");
    }

    @Override
    public String toString() {
        return "ReceiveRequest[" + bytesTransferred + "/" + capacity + "B" + (noPush ? " no-push" : "")
                + (status == null ? "" : " " + status) + "]";
    }
}
