package dev.chimney.tcp;

/**
 * The sender side of RFC 8985 RACK-TLP for one connection: a record of every segment sent and not yet cumulatively
 * acknowledged (RFC 8985 §5.2: Segment.xmit_ts, Segment.end_seq, Segment.retransmitted, Segment.lost, plus whether
 * it was SACKed — the "SACK scoreboard" of §4), and the per-connection variables of §5.3 (RACK.xmit_ts,
 * RACK.end_seq, RACK.rtt, RACK.min_RTT, RACK.fack, RACK.reordering_seen, RACK.reo_wnd_mult, RACK.reo_wnd_persist,
 * RACK.dsack_round; TLP.end_seq, TLP.is_retrans). The engine owns congestion control, PRR, undo and the timers; this
 * class answers "what was delivered, what is lost, when to look again".
 *
 * <h2>Records</h2>
 * Records tile [SND.UNA, SND.MAX) in sequence order without gaps; each is one transmission unit (a segment, or a TSO
 * super-segment) and is split where a SACK block or a retransmission covers part of it. Transmit times are the loop
 * clock in nanoseconds, far finer than the quarter of the minimum RTT RFC 8985 §4 asks for. Storage is four
 * parallel primitive arrays used from a moving head; they grow by doubling when a flight outgrows them (amortised,
 * never per packet), so the steady state allocates nothing.
 *
 * <h2>Sequence arithmetic</h2>
 * Every sequence number is an {@code int} compared with {@link Seq}; ends are exclusive. The FIN, when sent, is the
 * last octet of the last record.
 *
 * <p>One owner (the connection's event loop).
 */
final class RackScoreboard {
    /** The peer SACKed the whole record. */
    static final int SACKED = 1;
    /** RACK (or the RTO, §6.3) deemed the record lost and it was not retransmitted since. */
    static final int LOST = 2;
    /** The record was retransmitted at least once (Segment.retransmitted). */
    static final int RETRANSMITTED = 4;

    /** RFC 8985 §6.2 step 4: DupThresh, the number of SACKed segments that alone justifies a zero window. */
    static final int DUP_THRESH = 3;
    /** RFC 8985 §6.2 step 4: reo_wnd_mult falls back to 1 after this many recoveries without a D-SACK. */
    static final int REO_WND_PERSIST = 16;
    /**
     * Window of the min-RTT filter (RFC 8985 §6.2 step 1 asks for a windowed minimum that adapts to a longer path).
     * Linux keeps 300 s (tcp_min_rtt_wlen); a new minimum or an older-than-window one replaces it.
     */
    static final long MIN_RTT_WINDOW_NS = 300_000_000_000L;

    private int[] starts = new int[16];
    private int[] ends = new int[16];
    private long[] xmitNs = new long[16];
    private byte[] flags = new byte[16];
    private int head;
    private int count;
    /** SND.UNA and SND.MAX as this record knows them. */
    private int una;
    private int max;
    private long sackedBytes;
    /** Bytes of records that are LOST (never SACKED at the same time). */
    private long lostBytes;
    private int retransmittedRecords;
    private int smss = 536;
    /**
     * Retransmitted records that were cumulatively acknowledged since {@link #forgetAckedRetransmissions}, so that a
     * D-SACK arriving after the acknowledgment can still be matched to a retransmission (RFC 3708 §2: only a
     * duplicate of a retransmission says the retransmission was spurious; a network duplicate of an original does
     * not). A small ring: the oldest are forgotten, which can only prevent an undo.
     */
    private final int[] ackedRtxStart = new int[8];
    private final int[] ackedRtxEnd = new int[8];
    private int ackedRtxCount;
    private int ackedRtxNext;

    // ---- RACK per-connection variables (RFC 8985 §5.3)
    private boolean rackValid;
    private long rackXmitNs;
    private int rackEndSeq;
    private long rackRttNs;
    private long minRttNs = Long.MAX_VALUE;
    private long minRttStampNs;
    private boolean fackValid;
    private int fack;
    private boolean reorderingSeen;
    private int reoWndMult = 1;
    private int reoWndPersist;
    private boolean dsackRoundSet;
    private int dsackRound;

    // ---- TLP (RFC 8985 §5.3): TLP.end_seq is "None" while !tlpPending
    private boolean tlpPending;
    private int tlpEndSeq;
    private boolean tlpIsRetrans;
    /** First octet of the probe, to match a D-SACK that reports it a duplicate (§7.4.2). */
    private int tlpStartSeq;

    // ---- what the last onAck found
    private long lastAckedBytes;
    private long lastNewlySackedBytes;
    private boolean lastDsack;
    private int lastDsackStart;
    private int lastDsackEnd;
    private boolean lastDsackCoversRetransmission;
    private boolean lastAckRejected;
    private int lastNewlyLost;
    private int lastNewlyLostRetransmissions;
    /** Per-ACK scratch: the most recently sent record newly delivered by this ACK (RACK_update). */
    private boolean bestValid;
    private long bestXmitNs;
    private int bestEndSeq;
    private long bestRttNs;

    /** Starts empty at {@code sndUna} = SND.MAX (after the handshake). */
    void reset(int sndUna, int smssBytes) {
        head = 0;
        count = 0;
        una = sndUna;
        max = sndUna;
        sackedBytes = 0;
        lostBytes = 0;
        retransmittedRecords = 0;
        ackedRtxCount = 0;
        ackedRtxNext = 0;
        smss(smssBytes);
        rackValid = false;
        rackRttNs = 0;
        minRttNs = Long.MAX_VALUE;
        minRttStampNs = 0;
        fackValid = false;
        reorderingSeen = false;
        reoWndMult = 1;
        reoWndPersist = 0;
        dsackRoundSet = false;
        tlpPending = false;
        tlpIsRetrans = false;
        clearLast();
    }

    void smss(int smssBytes) {
        smss = Math.max(1, smssBytes);
    }

    // =============================================================================================================
    // Transmissions (RFC 8985 §6.1)
    // =============================================================================================================

    /**
     * Octets [{@code seq}, {@code seq + length}) went out at {@code nowNs}: the part below SND.MAX is a
     * retransmission (RACK_retransmit_data: retransmitted, not lost, new xmit_ts), the rest is new data
     * (RACK_transmit_new_data). Returns the octets that were retransmitted.
     */
    int onTransmit(int seq, int length, long nowNs) {
        int end = seq + length;
        if (length <= 0 || !Seq.gt(end, una)) {
            return 0; // nothing, or only octets already acknowledged (the engine never sends those)
        }
        seq = Seq.max(seq, una);
        int retransmitted = 0;
        if (Seq.lt(seq, max)) {
            int rtxEnd = Seq.min(end, max);
            markRetransmitted(seq, rtxEnd, nowNs);
            retransmitted = rtxEnd - seq;
        }
        if (Seq.gt(end, max)) {
            // new data; a gap after SND.MAX cannot happen, but would only be octets counted as sent now
            append(max, end, nowNs, 0);
            max = end;
        }
        return retransmitted;
    }

    private void markRetransmitted(int from, int to, long nowNs) {
        int i = splitAt(from);
        int j = splitAt(to);
        for (int k = i; k < j; k++) {
            int p = phys(k);
            int f = flags[p];
            if ((f & LOST) != 0) {
                lostBytes -= len(p);
            }
            if ((f & RETRANSMITTED) == 0) {
                retransmittedRecords++;
            }
            flags[p] = (byte) ((f & ~LOST) | RETRANSMITTED);
            xmitNs[p] = nowNs;
        }
        // one retransmission is one unit again: merge the unSACKed records it covered
        int k = i;
        while (k + 1 < j) {
            int p = phys(k);
            int q = phys(k + 1);
            if ((flags[p] & SACKED) == 0 && (flags[q] & SACKED) == 0) {
                ends[p] = ends[q];
                retransmittedRecords--;
                remove(k + 1);
                j--;
            } else {
                k++;
            }
        }
    }

    // =============================================================================================================
    // ACK processing (RFC 8985 §6.2 steps 1-3)
    // =============================================================================================================

    /**
     * Applies one acceptable ACK: the cumulative acknowledgment {@code ack} and {@code blockCount} SACK blocks
     * ({@code blocks[2i]} left, {@code blocks[2i + 1]} right edge). Records newly delivered (cumulatively or
     * selectively) update RACK.min_RTT, RACK.rtt, RACK.xmit_ts / RACK.end_seq (steps 1-2) and RACK.fack /
     * RACK.reordering_seen (step 3); a first block reporting a duplicate is a D-SACK (RFC 2883 §4). Read the
     * results with {@link #lastAckedBytes()}, {@link #lastNewlySackedBytes()}, {@link #lastDsack()}.
     *
     * @param tsEcr the ACK's TSecr when {@code hasTsEcr}, used to tell which transmission a retransmitted record's
     *     ACK answers (step 2)
     * @param tickNs nanoseconds per timestamp tick
     * @param tsOffsetTicks our TSval minus the loop clock in ticks (TSval of a time t = t / tickNs + offset)
     */
    void onAck(int ack, int[] blocks, int blockCount, long nowNs, boolean hasTsEcr, int tsEcr, long tickNs,
            long tsOffsetTicks) {
        clearLast();
        if (Seq.gt(ack, max)) {
            lastAckRejected = true;
            return;
        }
        int first = 0;
        if (blockCount > 0 && isDsack(blocks[0], blocks[1], ack, blocks, blockCount)) {
            // RFC 2883 §4: the first block reports a duplicate; RFC 3708 §2 asks whether it was a retransmission
            lastDsack = true;
            lastDsackStart = blocks[0];
            lastDsackEnd = blocks[1];
            lastDsackCoversRetransmission = coversRetransmission(blocks[0], blocks[1]);
            if (lastDsackCoversRetransmission) {
                // A retransmission reported as a duplicate: the segment RACK deemed lost was only late — reordering
                // (RFC 8985 §2), which step 3 cannot see when the late original is delivered after it was
                // retransmitted. Without this, reo_wnd would stay 0 in recovery and once DupThresh segments are
                // SACKed, whatever the D-SACK multiplier says (step 4).
                reorderingSeen = true;
            }
            first = 1;
        }
        if (Seq.gt(ack, una)) {
            acknowledge(ack, nowNs, hasTsEcr, tsEcr, tickNs, tsOffsetTicks);
        }
        for (int b = first; b < blockCount; b++) {
            int left = blocks[2 * b];
            int right = blocks[2 * b + 1];
            if (!Seq.lt(left, right) || Seq.gt(right, max) || Seq.leq(right, una)) {
                continue; // empty, beyond what was sent, or old news (RFC 6675 §5 ignores these too)
            }
            sack(Seq.max(left, una), right, nowNs, hasTsEcr, tsEcr, tickNs, tsOffsetTicks);
        }
        if (bestValid) {
            // RACK_update (step 2): RACK.rtt is the RTT of the most recently sent segment this ACK delivered
            rackRttNs = bestRttNs;
            if (!rackValid || sentAfter(bestXmitNs, bestEndSeq, rackXmitNs, rackEndSeq)) {
                rackValid = true;
                rackXmitNs = bestXmitNs;
                rackEndSeq = bestEndSeq;
            }
        }
    }

    private void acknowledge(int ack, long nowNs, boolean hasTsEcr, int tsEcr, long tickNs, long tsOffset) {
        while (count > 0) {
            int p = phys(0);
            int s = starts[p];
            int e = ends[p];
            if (Seq.leq(ack, s)) {
                break;
            }
            int covered = Seq.min(ack, e);
            int n = covered - s;
            int f = flags[p];
            if ((f & SACKED) != 0) {
                sackedBytes -= n;
            } else {
                lastAckedBytes += n;
                delivered(p, covered, nowNs, hasTsEcr, tsEcr, tickNs, tsOffset);
                if ((f & LOST) != 0) {
                    lostBytes -= n;
                }
            }
            if (covered == e) {
                if ((f & RETRANSMITTED) != 0) {
                    retransmittedRecords--;
                    rememberAckedRetransmission(s, e);
                }
                head++;
                count--;
            } else {
                starts[p] = covered; // a partly acknowledged TSO unit keeps its xmit time
            }
        }
        if (count == 0) {
            head = 0;
        }
        una = ack;
    }

    private void sack(int left, int right, long nowNs, boolean hasTsEcr, int tsEcr, long tickNs, long tsOffset) {
        int i = splitAt(left);
        int j = splitAt(right);
        for (int k = i; k < j; k++) {
            int p = phys(k);
            int f = flags[p];
            if ((f & SACKED) != 0) {
                continue;
            }
            int n = len(p);
            sackedBytes += n;
            lastNewlySackedBytes += n;
            if ((f & LOST) != 0) {
                lostBytes -= n;
            }
            flags[p] = (byte) ((f & ~LOST) | SACKED);
            delivered(p, ends[p], nowNs, hasTsEcr, tsEcr, tickNs, tsOffset);
        }
    }

    /** RFC 8985 §6.2 steps 1-3 for one newly delivered record ending at {@code endSeq}. */
    private void delivered(int p, int endSeq, long nowNs, boolean hasTsEcr, int tsEcr, long tickNs, long tsOffset) {
        long x = xmitNs[p];
        boolean retransmitted = (flags[p] & RETRANSMITTED) != 0;
        long rtt = nowNs - x;
        // step 3: a segment delivered below the forward-most delivered one, never retransmitted, was reordered
        if (!fackValid || Seq.gt(endSeq, fack)) {
            fackValid = true;
            fack = endSeq;
        } else if (Seq.lt(endSeq, fack) && !retransmitted) {
            reorderingSeen = true;
        }
        if (retransmitted) {
            // step 2: an ACK that may answer the original transmission (Karn's ambiguity) must not date the
            // retransmission: TSecr older than its transmission, or an RTT below the minimum, says so
            if (hasTsEcr && Seq.lt(tsEcr, (int) (x / tickNs + tsOffset))) {
                return;
            }
            if (rtt < minRttNs) {
                return;
            }
        } else if (rtt >= 0) {
            // step 1: RACK.min_RTT from unambiguous samples, a windowed minimum
            if (rtt <= minRttNs || nowNs - minRttStampNs > MIN_RTT_WINDOW_NS) {
                minRttNs = rtt;
                minRttStampNs = nowNs;
            }
        }
        if (!bestValid || sentAfter(x, endSeq, bestXmitNs, bestEndSeq)) {
            bestValid = true;
            bestXmitNs = x;
            bestEndSeq = endSeq;
            bestRttNs = rtt;
        }
    }

    /** RFC 2883 §4: the first block is a D-SACK if it lies below the cumulative ACK or inside the second block. */
    static boolean isDsack(int left, int right, int ack, int[] blocks, int blockCount) {
        if (!Seq.lt(left, right)) {
            return false;
        }
        if (Seq.leq(right, ack)) {
            return true;
        }
        return blockCount > 1 && Seq.lt(blocks[2], blocks[3]) && Seq.geq(left, blocks[2])
                && Seq.leq(right, blocks[3]);
    }

    private void rememberAckedRetransmission(int start, int end) {
        ackedRtxStart[ackedRtxNext] = start;
        ackedRtxEnd[ackedRtxNext] = end;
        ackedRtxNext = (ackedRtxNext + 1) % ackedRtxStart.length;
        ackedRtxCount = Math.min(ackedRtxCount + 1, ackedRtxStart.length);
    }

    /** A new loss episode begins: retransmissions acknowledged before it are no longer matched to D-SACKs. */
    void forgetAckedRetransmissions() {
        ackedRtxCount = 0;
        ackedRtxNext = 0;
    }

    /**
     * Whether [left, right) overlaps a retransmitted record still held, or one acknowledged since the episode began
     * (which is then forgotten, so the same retransmission is not counted twice).
     */
    private boolean coversRetransmission(int left, int right) {
        for (int i = 0; i < ackedRtxCount; i++) {
            int slot = (ackedRtxNext - 1 - i + 2 * ackedRtxStart.length) % ackedRtxStart.length;
            if (Seq.lt(left, ackedRtxEnd[slot]) && Seq.gt(right, ackedRtxStart[slot])) {
                ackedRtxEnd[slot] = ackedRtxStart[slot]; // matched once
                return true;
            }
        }
        if (retransmittedRecords == 0 || !Seq.lt(left, max) || !Seq.gt(right, una)) {
            return false;
        }
        for (int k = 0; k < count; k++) {
            int p = phys(k);
            if (Seq.geq(starts[p], right)) {
                break;
            }
            if (Seq.gt(ends[p], left) && (flags[p] & RETRANSMITTED) != 0) {
                return true;
            }
        }
        return false;
    }

    // =============================================================================================================
    // Reordering window and loss detection (RFC 8985 §6.2 steps 4-5, §6.3)
    // =============================================================================================================

    /**
     * The D-SACK part of RFC 8985 §6.2 step 4, once per ACK after {@link #onAck}: a D-SACK in a new round grows
     * RACK.reo_wnd_mult and restarts RACK.reo_wnd_persist; leaving a recovery without one counts the persistence
     * down, and after 16 such recoveries the multiplier returns to 1.
     */
    void updateReoWndOnAck(int sndUna, int sndNxt, boolean exitingRecovery) {
        if (dsackRoundSet && Seq.geq(sndUna, dsackRound)) {
            dsackRoundSet = false;
        }
        if (!dsackRoundSet && lastDsack) {
            dsackRoundSet = true;
            dsackRound = sndNxt;
            reoWndMult = Math.min(reoWndMult + 1, 1 << 16);
            reoWndPersist = REO_WND_PERSIST;
        } else if (exitingRecovery) {
            reoWndPersist--;
            if (reoWndPersist <= 0) {
                reoWndMult = 1;
            }
        }
    }

    /**
     * RACK.reo_wnd (RFC 8985 §6.2 step 4): zero while no reordering was seen and the connection is recovering or
     * DupThresh segments are SACKed (RACK then behaves like the DupAck threshold); else RACK.min_RTT / 4 times the
     * D-SACK multiplier, at most SRTT. Without an RTT sample yet, SRTT stands in for the minimum.
     */
    long reoWndNs(boolean inRecovery, long srttNs) {
        if (!reorderingSeen && (inRecovery || sackedBytes > (long) (DUP_THRESH - 1) * smss)) {
            return 0;
        }
        long min = minRttNs != Long.MAX_VALUE ? minRttNs : srttNs;
        long wnd = reoWndMult * (min / 4);
        return srttNs > 0 ? Math.min(wnd, srttNs) : wnd;
    }

    /**
     * RACK_detect_loss (RFC 8985 §6.2 step 5): every unSACKed record not already lost that was sent before
     * RACK.segment and has been outstanding for RACK.rtt + {@code reoWndNs} is marked lost. Returns how long until
     * the next such record would qualify (the RACK reordering timer), or 0. {@link #lastNewlyLost()} counts the
     * records marked.
     */
    long detectLoss(long nowNs, long reoWndNs) {
        lastNewlyLost = 0;
        lastNewlyLostRetransmissions = 0;
        if (!rackValid || count == 0) {
            return 0;
        }
        long timeout = 0;
        int retransmittedAhead = retransmittedRecords;
        for (int k = 0; k < count; k++) {
            int p = phys(k);
            int f = flags[p];
            boolean retransmitted = (f & RETRANSMITTED) != 0;
            if (retransmitted) {
                retransmittedAhead--;
            }
            if ((f & (SACKED | LOST)) != 0) {
                continue;
            }
            if (!sentAfter(rackXmitNs, rackEndSeq, xmitNs[p], ends[p])) {
                // Records never retransmitted were sent in sequence order: once one is not before RACK.segment,
                // none after it is, unless a retransmission lies beyond.
                if (!retransmitted && retransmittedAhead <= 0) {
                    break;
                }
                continue;
            }
            long remaining = xmitNs[p] + rackRttNs + reoWndNs - nowNs;
            if (remaining <= 0) {
                markLost(p);
            } else {
                timeout = Math.max(timeout, remaining);
            }
        }
        return timeout;
    }

    /**
     * RACK_mark_losses_on_RTO (RFC 8985 §6.3): the first unacknowledged record is lost, and so is every unSACKed
     * record outstanding for at least RACK.rtt + {@code reoWndNs}. Returns the records newly marked.
     */
    int markLossesOnRto(long nowNs, long reoWndNs) {
        lastNewlyLost = 0;
        lastNewlyLostRetransmissions = 0;
        for (int k = 0; k < count; k++) {
            int p = phys(k);
            if ((flags[p] & (SACKED | LOST)) != 0) {
                continue;
            }
            if (k == 0 || xmitNs[p] + rackRttNs + reoWndNs - nowNs <= 0) {
                markLost(p);
            }
        }
        return lastNewlyLost;
    }

    /** Marks every unSACKed record from {@code seq} on lost (data the engine will send again from there). */
    void markLostFrom(int seq) {
        lastNewlyLost = 0;
        int i = splitAt(Seq.max(seq, una));
        for (int k = i; k < count; k++) {
            int p = phys(k);
            if ((flags[p] & (SACKED | LOST)) == 0) {
                markLost(p);
            }
        }
    }

    private void markLost(int p) {
        flags[p] = (byte) (flags[p] | LOST);
        lostBytes += len(p);
        lastNewlyLost++;
        if ((flags[p] & RETRANSMITTED) != 0) {
            lastNewlyLostRetransmissions++;
        }
    }

    /** Clears every LOST mark (a spurious RTO was undone, Linux's tcp_undo_cwnd_reduction with unmark_loss). */
    void clearLost() {
        for (int k = 0; k < count; k++) {
            int p = phys(k);
            flags[p] = (byte) (flags[p] & ~LOST);
        }
        lostBytes = 0;
    }

    /**
     * RFC 2018 §8: the receiver may discard data it SACKed. If the record at SND.UNA is SACKed when the RTO fires,
     * the receiver reneged (its ACK would otherwise have covered it): forget every SACK mark.
     */
    boolean clearSacksIfReneged() {
        if (count == 0 || (flags[phys(0)] & SACKED) == 0) {
            return false;
        }
        for (int k = 0; k < count; k++) {
            int p = phys(k);
            flags[p] = (byte) (flags[p] & ~SACKED);
        }
        sackedBytes = 0;
        return true;
    }

    /**
     * The first record at or after {@code fromSeq} and before {@code beforeSeq} that is LOST: its index, or -1. The
     * engine retransmits lost records lowest first.
     */
    int firstLost(int fromSeq, int beforeSeq) {
        if (lostBytes == 0) {
            return -1;
        }
        for (int k = 0; k < count; k++) {
            int p = phys(k);
            if (Seq.geq(starts[p], beforeSeq)) {
                return -1;
            }
            if ((flags[p] & LOST) != 0 && Seq.gt(ends[p], fromSeq)) {
                return k;
            }
        }
        return -1;
    }

    /** If {@code seq} lies in a SACKed record, the end of the SACKed run holding it; else {@code seq}. */
    int sackedRunEnd(int seq) {
        if (sackedBytes == 0) {
            return seq;
        }
        int k = indexOf(seq);
        while (k >= 0 && k < count && (flags[phys(k)] & SACKED) != 0) {
            seq = ends[phys(k)];
            k++;
        }
        return seq;
    }

    /** The first octet at or after {@code seq} that the peer SACKed, or SND.MAX. */
    int nextSackedStart(int seq) {
        if (sackedBytes == 0) {
            return max;
        }
        int k = indexOf(seq);
        if (k < 0) {
            return max;
        }
        for (; k < count; k++) {
            int p = phys(k);
            if ((flags[p] & SACKED) != 0) {
                return Seq.max(starts[p], seq);
            }
        }
        return max;
    }

    /** Index of the record holding {@code seq}, or -1. */
    private int indexOf(int seq) {
        if (count == 0 || Seq.lt(seq, una) || Seq.geq(seq, max)) {
            return -1;
        }
        int lo = 0;
        int hi = count - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Seq.leq(ends[phys(mid)], seq)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    // =============================================================================================================
    // TLP (RFC 8985 §7)
    // =============================================================================================================

    /**
     * A loss probe of octets [{@code probeStart}, ...) went out (§7.3): TLP.end_seq = SND.NXT after it,
     * TLP.is_retrans as given.
     */
    void onProbeSent(int probeStart, int sndNxt, boolean retransmission) {
        tlpPending = true;
        tlpStartSeq = probeStart;
        tlpEndSeq = sndNxt;
        tlpIsRetrans = retransmission;
    }

    /** Ends the TLP episode without a verdict (an RTO, or a recovery took over). */
    void clearProbe() {
        tlpPending = false;
        tlpIsRetrans = false;
    }

    /**
     * TLP_process_ack (RFC 8985 §7.4.2) for the ACK {@link #onAck} just processed: returns true when the probe
     * repaired a single loss that nothing else saw (the engine reacts as to a loss, once). The episode ends when
     * the ACK covers TLP.end_seq and the probe was new data, or a D-SACK reports the probe a duplicate, or the ACK
     * goes beyond it (the loss repaired), or it is a pure duplicate ACK at it (original and probe both arrived).
     */
    boolean processProbeAck(int ack, boolean pureDuplicate) {
        if (!tlpPending || Seq.lt(ack, tlpEndSeq)) {
            return false;
        }
        if (!tlpIsRetrans) {
            tlpPending = false;
            return false;
        }
        if (lastDsack && Seq.lt(lastDsackStart, tlpEndSeq) && Seq.gt(lastDsackEnd, tlpStartSeq)) {
            tlpPending = false; // the probe was a duplicate: nothing was lost
            return false;
        }
        if (Seq.gt(ack, tlpEndSeq)) {
            tlpPending = false;
            return true;
        }
        if (pureDuplicate) {
            tlpPending = false;
        }
        return false;
    }

    // =============================================================================================================
    // Accessors
    // =============================================================================================================

    boolean tlpPending() {
        return tlpPending;
    }

    int tlpEndSeq() {
        return tlpEndSeq;
    }

    int tlpStartSeq() {
        return tlpStartSeq;
    }

    boolean tlpIsRetrans() {
        return tlpIsRetrans;
    }

    int una() {
        return una;
    }

    int max() {
        return max;
    }

    int count() {
        return count;
    }

    int start(int k) {
        return starts[phys(k)];
    }

    int end(int k) {
        return ends[phys(k)];
    }

    long xmitNs(int k) {
        return xmitNs[phys(k)];
    }

    int flags(int k) {
        return flags[phys(k)];
    }

    long sackedBytes() {
        return sackedBytes;
    }

    long lostBytes() {
        return lostBytes;
    }

    /** Octets in flight (RFC 8985 / Linux's packets_in_flight): outstanding, not SACKed and not deemed lost. */
    long inFlight() {
        return Integer.toUnsignedLong(max - una) - sackedBytes - lostBytes;
    }

    boolean rackValid() {
        return rackValid;
    }

    long rackXmitNs() {
        return rackXmitNs;
    }

    int rackEndSeq() {
        return rackEndSeq;
    }

    long rackRttNs() {
        return rackRttNs;
    }

    /** RACK.min_RTT, or {@link Long#MAX_VALUE} before the first sample. */
    long minRttNs() {
        return minRttNs;
    }

    long minRttStampNs() {
        return minRttStampNs;
    }

    boolean fackValid() {
        return fackValid;
    }

    int fack() {
        return fack;
    }

    boolean reorderingSeen() {
        return reorderingSeen;
    }

    void reorderingSeen(boolean v) {
        reorderingSeen = v;
    }

    int reoWndMult() {
        return reoWndMult;
    }

    int reoWndPersist() {
        return reoWndPersist;
    }

    boolean dsackRoundSet() {
        return dsackRoundSet;
    }

    int dsackRound() {
        return dsackRound;
    }

    long lastAckedBytes() {
        return lastAckedBytes;
    }

    long lastNewlySackedBytes() {
        return lastNewlySackedBytes;
    }

    boolean lastDsack() {
        return lastDsack;
    }

    int lastDsackStart() {
        return lastDsackStart;
    }

    int lastDsackEnd() {
        return lastDsackEnd;
    }

    /** Whether the last D-SACK overlapped a retransmitted record still held (RFC 3708 §2: it was a retransmission). */
    boolean lastDsackCoversRetransmission() {
        return lastDsackCoversRetransmission;
    }

    boolean lastAckRejected() {
        return lastAckRejected;
    }

    /** Records the last {@link #detectLoss} or {@link #markLossesOnRto} marked lost. */
    int lastNewlyLost() {
        return lastNewlyLost;
    }

    /** Of those, records that had been retransmitted (lost retransmissions, RFC 8985 §3.1). */
    int lastNewlyLostRetransmissions() {
        return lastNewlyLostRetransmissions;
    }

    // =============================================================================================================
    // Moving the state (export / import): see LossRecoveryState
    // =============================================================================================================

    /**
     * Rebuilds the state from a moved connection's record: the records with their flags and transmit times (as
     * ages before {@code nowNs}), and the RACK and TLP variables. Returns false, changing nothing, when the records
     * do not tile [{@code sndUna}, {@code sndMax}) (state from an engine whose sequence variables differ).
     */
    boolean restore(LossRecoveryState s, int sndUna, int sndMax, int smssBytes, long nowNs) {
        int n = s.segmentCount();
        int seq = sndUna;
        for (int k = 0; k < n; k++) {
            int start = s.segmentSeq(k);
            int end = start + s.segmentLength(k);
            if (start != seq || !Seq.lt(start, end) || Seq.gt(end, sndMax)) {
                return false;
            }
            seq = end;
        }
        if (seq != sndMax) {
            return false;
        }
        reset(sndUna, smssBytes);
        for (int k = 0; k < n; k++) {
            int start = s.segmentSeq(k);
            append(start, start + s.segmentLength(k), nowNs - s.segmentAgeNs(k),
                    s.segmentFlags(k) & (SACKED | LOST | RETRANSMITTED));
        }
        max = sndMax;
        for (int k = 0; k < count; k++) {
            int p = phys(k);
            if ((flags[p] & SACKED) != 0) {
                flags[p] = (byte) (flags[p] & ~LOST);
                sackedBytes += len(p);
            } else if ((flags[p] & LOST) != 0) {
                lostBytes += len(p);
            }
            if ((flags[p] & RETRANSMITTED) != 0) {
                retransmittedRecords++;
            }
        }
        rackValid = s.rackXmitAgeNs() >= 0;
        rackXmitNs = nowNs - Math.max(0, s.rackXmitAgeNs());
        rackEndSeq = s.rackEndSeq();
        rackRttNs = s.rackRttNs();
        minRttNs = s.minRttNs() < 0 ? Long.MAX_VALUE : s.minRttNs();
        minRttStampNs = nowNs - s.minRttAgeNs();
        fackValid = s.fackValid();
        fack = s.fack();
        reorderingSeen = s.reorderingSeen();
        reoWndMult = Math.max(1, s.reoWndMult());
        reoWndPersist = s.reoWndPersist();
        dsackRoundSet = s.dsackRoundSet();
        dsackRound = s.dsackRound();
        tlpPending = s.tlpPending();
        tlpStartSeq = s.tlpStartSeq();
        tlpEndSeq = s.tlpEndSeq();
        tlpIsRetrans = s.tlpIsRetrans();
        return true;
    }

    /**
     * Without a carried record (a snapshot from an engine that keeps none): every outstanding octet counts as one
     * segment per SMSS sent just now, nothing SACKed, lost or retransmitted — the next SACKs re-learn the rest, and
     * RACK then finds, in sequence order, what was lost (RFC 8985 §6.2 ties on xmit_ts are broken by end_seq).
     */
    void rebuild(int sndUna, int sndMax, int smssBytes, long nowNs) {
        reset(sndUna, smssBytes);
        int seq = sndUna;
        while (Seq.lt(seq, sndMax)) {
            int end = Seq.min(sndMax, seq + smss);
            append(seq, end, nowNs, 0);
            seq = end;
        }
        max = sndMax;
    }

    // =============================================================================================================
    // Record storage
    // =============================================================================================================

    private int phys(int k) {
        return head + k;
    }

    private int len(int p) {
        return ends[p] - starts[p];
    }

    private void append(int start, int end, long xmit, int f) {
        if (head + count == starts.length) {
            makeRoom();
        }
        int p = head + count;
        starts[p] = start;
        ends[p] = end;
        xmitNs[p] = xmit;
        flags[p] = (byte) f;
        count++;
    }

    /** Compacts to the front, or doubles when more than half is in use. */
    private void makeRoom() {
        if (count * 2 > starts.length) {
            int cap = starts.length * 2;
            int[] s = new int[cap];
            int[] e = new int[cap];
            long[] x = new long[cap];
            byte[] f = new byte[cap];
            System.arraycopy(starts, head, s, 0, count);
            System.arraycopy(ends, head, e, 0, count);
            System.arraycopy(xmitNs, head, x, 0, count);
            System.arraycopy(flags, head, f, 0, count);
            starts = s;
            ends = e;
            xmitNs = x;
            flags = f;
        } else {
            System.arraycopy(starts, head, starts, 0, count);
            System.arraycopy(ends, head, ends, 0, count);
            System.arraycopy(xmitNs, head, xmitNs, 0, count);
            System.arraycopy(flags, head, flags, 0, count);
        }
        head = 0;
    }

    /**
     * Makes {@code seq} a record boundary, splitting the record that holds it; returns the index of the record that
     * starts at {@code seq} ({@link #count} when {@code seq} is at or beyond SND.MAX).
     */
    private int splitAt(int seq) {
        int lo = 0;
        int hi = count;
        // binary search: first record whose end lies beyond seq
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Seq.leq(ends[phys(mid)], seq)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo == count) {
            return count;
        }
        int p = phys(lo);
        if (!Seq.gt(seq, starts[p])) {
            return lo;
        }
        insert(lo + 1);
        int q = phys(lo + 1);
        p = phys(lo);
        starts[q] = seq;
        ends[q] = ends[p];
        xmitNs[q] = xmitNs[p];
        flags[q] = flags[p];
        ends[p] = seq;
        if ((flags[p] & RETRANSMITTED) != 0) {
            retransmittedRecords++;
        }
        return lo + 1;
    }

    /** Opens an uninitialised slot at index {@code k}, shifting the records from {@code k} on up by one. */
    private void insert(int k) {
        if (head + count == starts.length) {
            makeRoom();
        }
        int p = phys(k);
        int n = count - k;
        System.arraycopy(starts, p, starts, p + 1, n);
        System.arraycopy(ends, p, ends, p + 1, n);
        System.arraycopy(xmitNs, p, xmitNs, p + 1, n);
        System.arraycopy(flags, p, flags, p + 1, n);
        count++;
    }

    private void remove(int k) {
        int p = phys(k);
        int n = count - k - 1;
        System.arraycopy(starts, p + 1, starts, p, n);
        System.arraycopy(ends, p + 1, ends, p, n);
        System.arraycopy(xmitNs, p + 1, xmitNs, p, n);
        System.arraycopy(flags, p + 1, flags, p, n);
        count--;
    }

    /** RFC 8985 §6.2 RACK_sent_after: t1 later than t2, ties broken by the higher end sequence number. */
    static boolean sentAfter(long t1, int seq1, long t2, int seq2) {
        return t1 > t2 || (t1 == t2 && Seq.gt(seq1, seq2));
    }

    private void clearLast() {
        lastAckedBytes = 0;
        lastNewlySackedBytes = 0;
        lastDsack = false;
        lastDsackCoversRetransmission = false;
        lastAckRejected = false;
        bestValid = false;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("RackScoreboard[una=").append(Seq.toString(una)).append(" max=+")
                .append(max - una).append(" sacked=").append(sackedBytes).append(" lost=").append(lostBytes)
                .append(" rack=").append(rackValid ? "+" + (rackEndSeq - una) : "-").append(" rtt=")
                .append(rackRttNs / 1000).append("us min=")
                .append(minRttNs == Long.MAX_VALUE ? "-" : minRttNs / 1000 + "us").append(" reo=")
                .append(reorderingSeen).append("x").append(reoWndMult).append(" tlp=")
                .append(tlpPending ? "+" + (tlpEndSeq - una) + (tlpIsRetrans ? "r" : "n") : "-").append(" records=");
        for (int k = 0; k < Math.min(count, 24); k++) {
            int p = phys(k);
            b.append('[').append(starts[p] - una).append(',').append(ends[p] - una).append(')');
            int f = flags[p];
            b.append((f & SACKED) != 0 ? "S" : "").append((f & LOST) != 0 ? "L" : "")
                    .append((f & RETRANSMITTED) != 0 ? "R" : "");
        }
        return b.append(count > 24 ? "..." : "").append(']').toString();
    }

    /** For tests: the arrays' capacity (growth happens only when a flight outgrows it). */
    int capacity() {
        return starts.length;
    }
}
