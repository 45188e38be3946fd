package dev.chimney.tcp;

/**
 * RFC 6937 Proportional Rate Reduction with the slow-start reduction bound (PRR-SSRB) for one connection's fast
 * recovery. While the estimated flight (pipe) is above ssthresh, the sender sends ssthresh/RecoverFS of what the
 * peer delivers, so the flight shrinks to ssthresh over one round instead of stopping for half a window; once it is
 * at or below ssthresh it grows back like slow start, but never by more than what was delivered plus one MSS per
 * ACK. Bytes, not segments. One owner, no allocation.
 */
final class Prr {
    /** RecoverFS: the flight when recovery began. */
    private long recoverFs;
    /** prr_delivered: bytes the peer delivered (cumulatively or by SACK) since recovery began. */
    private long delivered;
    /** prr_out: bytes sent (new or retransmitted) since recovery began. */
    private long out;

    /** RFC 6937 §3 "at the beginning of recovery". */
    void start(long flightSize) {
        recoverFs = Math.max(1, flightSize);
        delivered = 0;
        out = 0;
    }

    /** Carries the variables of a moved connection. */
    void restore(long recoverFsBytes, long deliveredBytes, long outBytes) {
        recoverFs = Math.max(1, recoverFsBytes);
        delivered = Math.max(0, deliveredBytes);
        out = Math.max(0, outBytes);
    }

    /**
     * RFC 6937 §3 "on every ACK during recovery": adds {@code deliveredData} (DeliveredData: the change in SND.UNA
     * plus the change in SACKed bytes) and returns sndcnt, the bytes that may be sent now given {@code pipe} and
     * {@code ssthresh}.
     */
    long onAck(long deliveredData, long pipe, long ssthresh, int mss) {
        delivered += Math.max(0, deliveredData);
        long sndcnt;
        if (pipe > ssthresh) {
            // proportional part: CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
            // (one episode delivers less than 2^32 bytes and ssthresh is below 2^31: the product fits a long)
            sndcnt = ceilDiv(Math.min(delivered, 1L << 32) * ssthresh, recoverFs) - out;
        } else {
            // slow-start reduction bound: catch up towards ssthresh, at most what was delivered plus one MSS
            long limit = Math.max(delivered - out, deliveredData) + mss;
            sndcnt = Math.min(ssthresh - pipe, limit);
        }
        return Math.max(0, sndcnt);
    }

    /** prr_out += bytes sent (RFC 6937 §3 "on any data transmission or retransmission"). */
    void onSent(long bytes) {
        out += bytes;
    }

    long recoverFs() {
        return recoverFs;
    }

    long delivered() {
        return delivered;
    }

    long out() {
        return out;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
