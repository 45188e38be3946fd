package dev.chimney.tcp;

/**
 * The sender's SACK scoreboard and the variables of RFC 6675 "A Conservative Loss Recovery Algorithm Based on
 * Selective Acknowledgment (SACK) for TCP": HighACK, HighData, HighRxt, RescueRxt, RecoveryPoint, DupAcks and
 * pipe, with the routines Update(), IsLost(), SetPipe() and NextSeg() of RFC 6675 §4.
 *
 * <h2>Conventions</h2>
 * Sequence numbers are {@code int}s compared with {@link Seq}. Every "highest sequence number" variable of the RFC is
 * kept here as the <em>exclusive end</em>, i.e. one past the octet the RFC names, which is how TCP itself counts:
 * {@link #highAck()} is SND.UNA (the first unacknowledged octet), {@link #highData()} is the first never-sent octet
 * (SND.MAX), {@link #highRxt()} is one past the highest octet retransmitted in this recovery, and so on. SACKed
 * ranges are half-open {@code [start, end)}.
 *
 * <h2>How an engine drives RFC 6675 §5 with it</h2>
 * <ol>
 *   <li>After the handshake (or when a connection is imported): {@link #reset(int, int, int)} with SND.UNA,
 *       SND.NXT and the SMSS.</li>
 *   <li>For every data segment sent: {@link #onTransmit(int, int, Rule)} (or the two-argument form), which keeps
 *       HighData, HighRxt and pipe current (§5 steps C.2-C.4).</li>
 *   <li>For every acceptable ACK (the engine has already applied RFC 9293 §3.10.7.4 and RFC 5961 checks):
 *       {@link #update(int, int[], int)} with the cumulative ACK and the SACK blocks. This is the §5 "Update()"; it
 *       resets DupAcks on a cumulative ACK and counts an ACK that SACKs new data as a duplicate ACK in the RFC 6675
 *       §2 sense; it ends recovery when the ACK covers RecoveryPoint (§5 step A) and reruns SetPipe (step B.2).
 *       Read {@link #lastAckedBytes()}, {@link #lastNewlySackedBytes()}, {@link #lastAckEndedRecovery()}.</li>
 *   <li>Congestion control: outside recovery call {@code cc.onAck(lastAckedBytes, ...)}; inside recovery
 *       {@code cc.onRecoveryAck(...)}; when {@link #lastAckEndedRecovery()} call {@code cc.onRecoveryExit(...)}.</li>
 *   <li>If {@link #shouldEnterRecovery()} (§5 steps 1-2: DupAcks reached DupThresh, or IsLost(HighACK + 1)):
 *       call {@code cc.onFastRetransmit(flightSize())} (step 4.2), then {@link #enterRecovery()} (step 4.1),
 *       which returns the first segment to retransmit (step 4.3); send it and call
 *       {@code onTransmit(start, length, Rule.FAST_RETRANSMIT)}, which sets HighRxt and RescueRxt and runs SetPipe
 *       (step 4.4).</li>
 *   <li>Step C, while in recovery: while {@code cwnd - pipe() >= SMSS}, call {@link #nextSeg(long)}; stop on
 *       {@link Rule#NONE}; otherwise send {@link #nextSegLength()} octets from {@link #nextSegStart()} and report
 *       them with {@code onTransmit(nextSegStart(), nextSegLength(), rule)} (steps C.1-C.5).</li>
 *   <li>On a retransmission timeout: {@link #onRetransmitTimeout()} (§5.1).</li>
 * </ol>
 *
 * <h2>Bounded state and its policies</h2>
 * At most {@code capacity} disjoint SACKed ranges are kept (default {@value #DEFAULT_CAPACITY}) in preallocated
 * arrays. When a new block would exceed that, the <em>highest</em> range is discarded. Forgetting SACK information
 * is always safe (the bytes are merely treated as not SACKed: possibly resent, and counted in pipe), whereas merging
 * ranges across a hole would hide a loss until the RTO. The highest range is the one a receiver reports first and
 * most often (RFC 2018 §4), so it is re-learned from the next ACKs; low ranges drive the retransmissions of
 * recovery and are kept. SACK blocks are ignored when empty or inverted, when they end beyond HighData (data never
 * sent), or when they lie at or below the cumulative ACK: a first block below the cumulative ACK, or inside the
 * second block, is a D-SACK (RFC 2883 §4) reporting a duplicate, and is only flagged ({@link #lastHadDsack()}).
 *
 * <p>After a retransmission timeout the scoreboard is cleared (the choice RFC 2018 §8 recommends and RFC 6675 §5.1
 * allows, since the receiver may have reneged), and no new recovery begins until HighACK reaches the RecoveryPoint
 * of the timeout (RFC 6675 §5.1).
 *
 * <p>One owner (the connection's event loop); no allocation after construction.
 */
public final class SackScoreboard {

    /** Ranges kept by default; RFC 2018 ACKs carry at most 4 blocks, so 32 spans about 8 ACKs of new holes. */
    public static final int DEFAULT_CAPACITY = 32;
    /** RFC 6675 §2 DupThresh (and RFC 5681 §3.2). */
    public static final int DUP_THRESH = 3;

    /** Which NextSeg() rule (RFC 6675 §4) produced a segment, or how a transmission should be accounted. */
    public enum Rule {
        /** NextSeg() rule (5): nothing to send. */
        NONE,
        /** Rule (1): the lowest lost unSACKed octets above HighRxt. */
        LOST,
        /** Rule (2): previously unsent data from HighData. */
        NEW_DATA,
        /** Rule (3): unSACKed octets above HighRxt below the highest SACK, not yet deemed lost. */
        UNSACKED,
        /** Rule (4): the single rescue retransmission per recovery, covering the highest unSACKed octet. */
        RESCUE,
        /** §5 step 4.3: the first retransmission on entering recovery, from HighACK. */
        FAST_RETRANSMIT
    }

    private final int capacity;
    /** Range starts and ends, sorted ascending from HighACK, disjoint and non-adjacent; one spare slot. */
    private final int[] starts;
    private final int[] ends;
    private int count;
    private long sackedBytes;

    private int smss = 1;
    private int highAck;
    private int highData;
    private int highRxt;
    private int rescueRxt;
    private boolean rescueDefined;
    private int recoveryPoint;
    private boolean inRecovery;
    /** After an RTO: no new recovery until HighACK >= recoveryPoint (RFC 6675 §5.1). */
    private boolean timeoutGuard;
    private int dupAcks;
    private long pipe;
    /** lostHoles() as of the last SetPipe() (ranges, HighACK and SMSS have not changed since). */
    private int lostHoleCount;

    private long lastAckedBytes;
    private long lastNewlySackedBytes;
    private boolean lastHadDsack;
    private int lastRejectedBlocks;
    private boolean lastAckEndedRecovery;
    private boolean lastAckRejected;

    private int nextSegStart;
    private int nextSegLength;

    private long rejectedBlocksTotal;
    private long droppedRangesTotal;

    /** A scoreboard with {@value #DEFAULT_CAPACITY} ranges. Call {@link #reset} before use. */
    public SackScoreboard() {
        this(DEFAULT_CAPACITY);
    }

    /** A scoreboard keeping at most {@code capacity} (1..1024) SACKed ranges. Call {@link #reset} before use. */
    public SackScoreboard(final int capacity) {
        if (capacity < 1 || capacity > 1024) {
            throw new IllegalArgumentException("SACK scoreboard capacity must be 1..1024 ranges, got " + capacity);
        }
        this.capacity = capacity;
        this.starts = new int[capacity + 1];
        this.ends = new int[capacity + 1];
    }

    /**
     * Starts afresh: nothing SACKed, not in recovery, HighACK = {@code sndUna}, HighData = {@code sndNxt}.
     *
     * @param smss sender maximum segment size used by IsLost() and NextSeg()
     */
    public void reset(final int sndUna, final int sndNxt, final int smss) {
        if (Seq.lt(sndNxt, sndUna)) {
            throw new IllegalArgumentException("SND.NXT " + Seq.toString(sndNxt) + " is before SND.UNA "
                    + Seq.toString(sndUna) + "; pass the connection's send sequence variables");
        }
        setSmss(smss);
        highAck = sndUna;
        highData = sndNxt;
        highRxt = sndUna;
        rescueDefined = false;
        rescueRxt = sndUna;
        recoveryPoint = sndUna;
        inRecovery = false;
        timeoutGuard = false;
        dupAcks = 0;
        count = 0;
        lostHoleCount = 0;
        sackedBytes = 0;
        clearLastAck();
        nextSegStart = sndUna;
        nextSegLength = 0;
        pipe = Integer.toUnsignedLong(sndNxt - sndUna);
    }

    /** Changes the SMSS (e.g. after a PMTU decrease). */
    public void setSmss(final int newSmss) {
        if (newSmss < 1 || newSmss > 65_535) {
            throw new IllegalArgumentException("SMSS must be 1..65535 bytes, got " + newSmss);
        }
        smss = newSmss;
        lostHoleCount = lostHoles();
    }

    // ---------------------------------------------------------------- ACK processing

    /** {@link #update(int, int[], int)} for an ACK without SACK blocks. */
    public void update(final int ack) {
        update(ack, null, 0);
    }

    /**
     * RFC 6675 §5 Update(): records the cumulative ACK and up to {@code blockCount} SACK blocks, given as pairs
     * {@code sackBlocks[2i] = left edge, sackBlocks[2i + 1] = right edge} (RFC 2018 §3, right edge exclusive).
     * Then resets or counts DupAcks, ends recovery if RecoveryPoint is covered (§5 step A) and reruns SetPipe().
     *
     * <p>An ACK beyond HighData is refused whole ({@link #lastAckRejected()}); the engine should have dropped it
     * (RFC 9293 §3.10.7.4). An ACK below HighACK (reordered) moves nothing, but its SACK blocks are still used.
     */
    public void update(final int ack, final int[] sackBlocks, final int blockCount) {
        clearLastAck();
        if (blockCount < 0 || blockCount > 0 && (sackBlocks == null || sackBlocks.length < 2 * blockCount)) {
            throw new IllegalArgumentException("blockCount " + blockCount + " needs an array of at least "
                    + 2 * blockCount + " edges");
        }
        if (Seq.gt(ack, highData)) {
            lastAckRejected = true;
            return;
        }
        if (Seq.gt(ack, highAck)) {
            lastAckedBytes = Integer.toUnsignedLong(ack - highAck);
            advanceCumulative(ack);
            // RFC 6675 §5: "If the incoming ACK is a cumulative acknowledgment, the TCP MUST reset DupAcks to zero."
            dupAcks = 0;
        }
        for (int i = 0; i < blockCount; i++) {
            final int left = sackBlocks[2 * i];
            final int right = sackBlocks[2 * i + 1];
            final boolean dsack = i == 0 && isDsack(left, right, ack, sackBlocks, blockCount);
            lastHadDsack |= dsack;
            if (!Seq.lt(left, right) || Seq.gt(right, highData) || Seq.leq(right, highAck)) {
                // Empty/inverted, beyond data sent, or old information at or below HighACK (a D-SACK is expected
                // there and not counted as invalid).
                if (!dsack) {
                    lastRejectedBlocks++;
                    rejectedBlocksTotal++;
                }
                continue;
            }
            lastNewlySackedBytes += insert(Seq.max(left, highAck), right);
        }
        // RFC 6675 §2: an ACK carrying SACK information for new data is a duplicate ACK, whether or not it also
        // moves the cumulative ACK; DupAcks counts only outside recovery (§5).
        if (lastNewlySackedBytes > 0 && !inRecovery) {
            dupAcks++;
        }
        if (inRecovery && Seq.geq(highAck, recoveryPoint)) {
            // §5 step A: the recovery point is acknowledged. SACK information above HighACK is kept.
            inRecovery = false;
            rescueDefined = false;
            lastAckEndedRecovery = true;
        }
        if (timeoutGuard && Seq.geq(highAck, recoveryPoint)) {
            timeoutGuard = false;
        }
        setPipe();
    }

    /** Counts a duplicate ACK that carried no SACK blocks (RFC 5681 §2 definition), outside recovery. */
    public void countDuplicateAck() {
        if (!inRecovery) {
            dupAcks++;
        }
    }

    private static boolean isDsack(final int left, final int right, final int ack, final int[] blocks,
            final int blockCount) {
        // RFC 2883 §4: the first block reports a duplicate if it lies below the cumulative ACK, or within the
        // second block.
        if (!Seq.lt(left, right)) {
            return false;
        }
        if (Seq.leq(right, ack)) {
            return true;
        }
        return blockCount > 1 && Seq.geq(left, blocks[2]) && Seq.leq(right, blocks[3]) && Seq.lt(blocks[2], blocks[3]);
    }

    private void advanceCumulative(final int ack) {
        highAck = ack;
        if (Seq.lt(highRxt, ack)) {
            highRxt = ack;
        }
        int drop = 0;
        while (drop < count && Seq.leq(ends[drop], ack)) {
            sackedBytes -= Integer.toUnsignedLong(ends[drop] - starts[drop]);
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(starts, drop, starts, 0, count - drop);
            System.arraycopy(ends, drop, ends, 0, count - drop);
            count -= drop;
        }
        if (count > 0 && Seq.lt(starts[0], ack)) {
            sackedBytes -= Integer.toUnsignedLong(ack - starts[0]);
            starts[0] = ack;
        }
    }

    /** Adds [left, right) (already within [HighACK, HighData]); returns the octets not SACKed before. */
    private long insert(final int left, final int right) {
        // First range that ends at or after left (touching ranges merge), then first range starting after right.
        int i = 0;
        while (i < count && Seq.lt(ends[i], left)) {
            i++;
        }
        int j = i;
        long coveredBefore = 0;
        while (j < count && Seq.leq(starts[j], right)) {
            coveredBefore += Integer.toUnsignedLong(ends[j] - starts[j]);
            j++;
        }
        final int mergedStart = i < j ? Seq.min(left, starts[i]) : left;
        final int mergedEnd = i < j ? Seq.max(right, ends[j - 1]) : right;
        final long mergedLength = Integer.toUnsignedLong(mergedEnd - mergedStart);
        final long added = mergedLength - coveredBefore;
        if (i == j) {
            System.arraycopy(starts, i, starts, i + 1, count - i);
            System.arraycopy(ends, i, ends, i + 1, count - i);
            count++;
        } else if (j - i > 1) {
            System.arraycopy(starts, j, starts, i + 1, count - j);
            System.arraycopy(ends, j, ends, i + 1, count - j);
            count -= j - i - 1;
        }
        starts[i] = mergedStart;
        ends[i] = mergedEnd;
        sackedBytes += added;
        if (count > capacity) {
            // Policy: forget the highest range (see the class comment).
            count--;
            sackedBytes -= Integer.toUnsignedLong(ends[count] - starts[count]);
            droppedRangesTotal++;
        }
        return added;
    }

    // ---------------------------------------------------------------- RFC 6675 §4 routines

    /**
     * RFC 6675 §4 IsLost(SeqNum): true when the octet {@code seq} is outstanding, not SACKed, and either
     * DupThresh discontiguous SACKed ranges lie above it or more than (DupThresh - 1) * SMSS octets above it are
     * SACKed.
     */
    public boolean isLost(final int seq) {
        if (!Seq.inRange(seq, highAck, highData)) {
            return false;
        }
        int rangesAbove = 0;
        long bytesAbove = 0;
        for (int i = count - 1; i >= 0; i--) {
            if (Seq.lt(seq, starts[i])) {
                rangesAbove++;
                bytesAbove += Integer.toUnsignedLong(ends[i] - starts[i]);
            } else if (Seq.lt(seq, ends[i])) {
                return false;
            } else {
                break;
            }
        }
        return lostBy(rangesAbove, bytesAbove);
    }

    private boolean lostBy(final int rangesAbove, final long bytesAbove) {
        return rangesAbove >= DUP_THRESH || bytesAbove > (long) (DUP_THRESH - 1) * smss;
    }

    /**
     * The number of lowest holes deemed lost. Hole {@code h < count} is [end of range h-1 (or HighACK), start of
     * range h); hole {@code count} runs from the highest range to HighData and is never lost. IsLost() is the same
     * for every octet of a hole and monotone downwards, so the lost holes are exactly the lowest ones.
     */
    private int lostHoles() {
        long bytesAbove = 0;
        for (int i = count - 1; i >= 0; i--) {
            bytesAbove += Integer.toUnsignedLong(ends[i] - starts[i]);
            if (lostBy(count - i, bytesAbove)) {
                return i + 1;
            }
        }
        return 0;
    }

    private int holeStart(final int h) {
        return h == 0 ? highAck : ends[h - 1];
    }

    private int holeEnd(final int h) {
        return h == count ? highData : starts[h];
    }

    /**
     * RFC 6675 §4 SetPipe(): recomputes and returns {@link #pipe()}, the octets estimated in the network: every
     * unSACKed outstanding octet not deemed lost, plus every unSACKed octet retransmitted in this recovery
     * (below HighRxt). {@link #update} calls it; call it yourself only after changing state some other way.
     */
    public long setPipe() {
        final int lost = lostHoles();
        lostHoleCount = lost;
        long total = 0;
        int start = highAck;
        for (int h = 0; h <= count; h++) {
            final int end = h == count ? highData : starts[h];
            if (Seq.lt(start, end)) {
                if (h >= lost) {
                    total += Integer.toUnsignedLong(end - start);
                }
                if (Seq.lt(start, highRxt)) {
                    total += Integer.toUnsignedLong(Seq.min(end, highRxt) - start);
                }
            }
            if (h < count) {
                start = ends[h];
            }
        }
        pipe = total;
        return total;
    }

    /**
     * RFC 6675 §4 NextSeg(): chooses the next segment to send in recovery, per rules (1)-(5), and exposes it as
     * {@link #nextSegStart()} / {@link #nextSegLength()}. The segment never contains SACKed octets and is at most
     * one SMSS. Nothing changes until the engine reports the transmission with {@link #onTransmit}.
     *
     * @param newDataBytesAllowed octets of unsent data that may be sent now: min(unsent bytes queued, room left
     *     in the peer's receive window); 0 if none (rule 2)
     * @return the rule that produced the segment, or {@link Rule#NONE} (rule 5)
     */
    public Rule nextSeg(final long newDataBytesAllowed) {
        nextSegLength = 0;
        nextSegStart = highData;
        // Rule (1): the lowest lost octet above HighRxt. Lost holes all lie below the highest SACKed octet (1.b).
        // The count of lost holes is the one SetPipe() found: only Update(), an RTO or an SMSS change alter it.
        final int lost = lostHoleCount;
        for (int h = 0; h < lost; h++) {
            if (pickAboveHighRxt(h)) {
                return Rule.LOST;
            }
        }
        // Rule (2): new data, as much as one SMSS and the permission allow.
        if (newDataBytesAllowed > 0) {
            nextSegStart = highData;
            nextSegLength = (int) Math.min(smss, newDataBytesAllowed);
            return Rule.NEW_DATA;
        }
        // Rule (3): any unSACKed octet above HighRxt and below the highest SACKed octet.
        for (int h = lost; h < count; h++) {
            if (pickAboveHighRxt(h)) {
                return Rule.UNSACKED;
            }
        }
        // Rule (4): one rescue retransmission per recovery, if HighACK has passed RescueRxt ("HighACK >
        // RescueRxt" with the RFC's inclusive octets is highAck > rescueRxt here too).
        if (inRecovery && (!rescueDefined || Seq.gt(highAck, rescueRxt))) {
            for (int h = count; h >= 0; h--) {
                final int start = holeStart(h);
                final int end = holeEnd(h);
                if (Seq.lt(start, end)) {
                    nextSegStart = Seq.diff(end, start) > smss ? end - smss : start;
                    nextSegLength = end - nextSegStart;
                    return Rule.RESCUE;
                }
            }
        }
        return Rule.NONE;
    }

    private boolean pickAboveHighRxt(final int h) {
        final int end = holeEnd(h);
        final int start = Seq.max(holeStart(h), highRxt);
        if (Seq.lt(start, end)) {
            nextSegStart = start;
            nextSegLength = Math.min(smss, end - start);
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- recovery control

    /**
     * RFC 6675 §5 steps (1)-(2): true when not in recovery, data is outstanding, no RTO guard is active (§5.1),
     * and either DupAcks >= DupThresh or IsLost(HighACK + 1) (the RFC's HighACK + 1 is {@link #highAck()} here).
     */
    public boolean shouldEnterRecovery() {
        return !inRecovery && !timeoutGuard && Seq.lt(highAck, highData)
                && (dupAcks >= DUP_THRESH || isLost(highAck));
    }

    /**
     * RFC 6675 §5 step 4.1: RecoveryPoint = HighData and loss recovery begins. Returns the length of the step 4.3
     * segment from HighACK ({@link #nextSegStart()}, at most one SMSS, stopping at the first SACKed octet); send it
     * and report it with {@code onTransmit(nextSegStart(), nextSegLength(), Rule.FAST_RETRANSMIT)}. Call
     * {@code cc.onFastRetransmit(flightSize())} (step 4.2) before this. Returns 0 in the odd case that HighACK
     * itself is SACKed; then continue with step C ({@link #nextSeg}).
     */
    public int enterRecovery() {
        if (inRecovery) {
            throw new IllegalStateException("already in loss recovery; call enterRecovery only when "
                    + "shouldEnterRecovery() is true");
        }
        if (!Seq.lt(highAck, highData)) {
            throw new IllegalStateException("nothing outstanding to recover (HighACK == HighData)");
        }
        recoveryPoint = highData;
        inRecovery = true;
        highRxt = highAck;
        rescueDefined = false;
        nextSegStart = highAck;
        final int firstSacked = count > 0 ? starts[0] : highData;
        nextSegLength = Math.min(smss, Seq.lt(highAck, firstSacked) ? firstSacked - highAck : 0);
        return nextSegLength;
    }

    /**
     * Reports octets [{@code seq}, {@code seq + length}) as transmitted. RFC 6675 §5 step C.2: a retransmission
     * below HighData raises HighRxt (except for the rescue, rule 4, which instead sets RescueRxt =
     * RecoveryPoint); C.3: octets beyond HighData advance it; C.4: pipe grows by {@code length}. With
     * {@link Rule#FAST_RETRANSMIT} this is step 4.3 (HighRxt = RescueRxt = end of the segment) and 4.4 (SetPipe).
     *
     * @param seq first octet sent, between HighACK and HighData inclusive
     * @param length octets sent, 1 .. 2^30
     */
    public void onTransmit(final int seq, final int length, final Rule rule) {
        if (length <= 0 || length > 1 << 30) {
            throw new IllegalArgumentException("transmitted length must be 1..2^30 octets, got " + length);
        }
        if (!Seq.between(highAck, seq, highData)) {
            throw new IllegalArgumentException("transmitted segment at " + Seq.toString(seq) + " is outside [SND.UNA "
                    + Seq.toString(highAck) + ", SND.MAX " + Seq.toString(highData) + "]: report only octets sent "
                    + "from the send buffer");
        }
        final int end = seq + length;
        final int oldHighData = highData;
        if (Seq.gt(end, highData)) {
            highData = end;
        }
        if (Seq.lt(seq, oldHighData)) {
            if (rule == Rule.RESCUE) {
                rescueRxt = recoveryPoint;
                rescueDefined = true;
            } else {
                final int retransmittedEnd = Seq.min(end, oldHighData);
                if (Seq.gt(retransmittedEnd, highRxt)) {
                    highRxt = retransmittedEnd;
                }
            }
        }
        if (rule == Rule.FAST_RETRANSMIT) {
            rescueRxt = highRxt;
            rescueDefined = true;
            setPipe();
        } else {
            pipe += length;
        }
    }

    /** {@link #onTransmit(int, int, Rule)} with the rule inferred: new data at HighData, else a retransmission. */
    public void onTransmit(final int seq, final int length) {
        onTransmit(seq, length, seq == highData ? Rule.NEW_DATA : Rule.LOST);
    }

    /**
     * RFC 6675 §5.1: the retransmission timer expired. Loss recovery ends, RecoveryPoint = HighData, and no new
     * recovery starts until HighACK reaches it. The scoreboard is cleared (RFC 2018 §8: the receiver may have
     * reneged), so go-back-N retransmission resends everything from HighACK.
     */
    public void onRetransmitTimeout() {
        recoveryPoint = highData;
        timeoutGuard = Seq.lt(highAck, highData);
        inRecovery = false;
        rescueDefined = false;
        highRxt = highAck;
        dupAcks = 0;
        count = 0;
        sackedBytes = 0;
        setPipe();
    }

    // ---------------------------------------------------------------- state

    /** HighACK of RFC 6675 as SND.UNA: the first octet not cumulatively acknowledged. */
    public int highAck() {
        return highAck;
    }

    /** HighData as SND.MAX: one past the highest octet ever sent. */
    public int highData() {
        return highData;
    }

    /** One past the highest octet retransmitted in this recovery (= HighACK when nothing was). */
    public int highRxt() {
        return highRxt;
    }

    /** One past RescueRxt's octet; meaningful while {@link #rescueDefined()}. */
    public int rescueRxt() {
        return rescueRxt;
    }

    /** Whether RescueRxt is defined in the current recovery. */
    public boolean rescueDefined() {
        return rescueDefined;
    }

    /** RecoveryPoint as an exclusive end: recovery ends when HighACK reaches it. */
    public int recoveryPoint() {
        return recoveryPoint;
    }

    public boolean inRecovery() {
        return inRecovery;
    }

    /** DupAcks of RFC 6675 §5 (reset by cumulative ACKs, counted outside recovery). */
    public int dupAcks() {
        return dupAcks;
    }

    /** The RFC 6675 pipe as of the last SetPipe() plus octets transmitted since. */
    public long pipe() {
        return pipe;
    }

    /** FlightSize of RFC 5681: octets sent and not cumulatively acknowledged. */
    public long flightSize() {
        return Integer.toUnsignedLong(highData - highAck);
    }

    /** Octets currently SACKed above HighACK. */
    public long sackedBytes() {
        return sackedBytes;
    }

    /** Whether the octet {@code seq} is SACKed. */
    public boolean isSacked(final int seq) {
        for (int i = 0; i < count; i++) {
            if (Seq.lt(seq, starts[i])) {
                return false;
            }
            if (Seq.lt(seq, ends[i])) {
                return true;
            }
        }
        return false;
    }

    /** One past the highest SACKed octet, or HighACK if nothing is SACKed (RFC 6675 rule 1.b). */
    public int highestSackedEnd() {
        return count == 0 ? highAck : ends[count - 1];
    }

    /** SACKed ranges held, at most the capacity. */
    public int rangeCount() {
        return count;
    }

    /** Start (inclusive) of range {@code i}, ranges ascending. */
    public int rangeStart(final int i) {
        checkRange(i);
        return starts[i];
    }

    /** End (exclusive) of range {@code i}. */
    public int rangeEnd(final int i) {
        checkRange(i);
        return ends[i];
    }

    public int capacity() {
        return capacity;
    }

    public int smss() {
        return smss;
    }

    /** First octet of the segment chosen by the last {@link #nextSeg} or {@link #enterRecovery}. */
    public int nextSegStart() {
        return nextSegStart;
    }

    /** Length of that segment (0 when none). */
    public int nextSegLength() {
        return nextSegLength;
    }

    /** Octets newly acknowledged cumulatively by the last {@link #update}. */
    public long lastAckedBytes() {
        return lastAckedBytes;
    }

    /** Octets newly SACKed by the last {@link #update} (positive means a duplicate ACK per RFC 6675 §2). */
    public long lastNewlySackedBytes() {
        return lastNewlySackedBytes;
    }

    /** Whether the last {@link #update} carried a D-SACK first block (RFC 2883 §4). */
    public boolean lastHadDsack() {
        return lastHadDsack;
    }

    /** Blocks of the last {@link #update} ignored as invalid (not counting a D-SACK block). */
    public int lastRejectedBlocks() {
        return lastRejectedBlocks;
    }

    /** Whether the last {@link #update} was refused because it acknowledged data never sent. */
    public boolean lastAckRejected() {
        return lastAckRejected;
    }

    /** Whether the last {@link #update} ended loss recovery (§5 step A): call {@code cc.onRecoveryExit}. */
    public boolean lastAckEndedRecovery() {
        return lastAckEndedRecovery;
    }

    /** Invalid SACK blocks ignored since construction (a counter for statistics). */
    public long rejectedBlocksTotal() {
        return rejectedBlocksTotal;
    }

    /** Ranges discarded by the capacity policy since construction. */
    public long droppedRangesTotal() {
        return droppedRangesTotal;
    }

    private void clearLastAck() {
        lastAckedBytes = 0;
        lastNewlySackedBytes = 0;
        lastHadDsack = false;
        lastRejectedBlocks = 0;
        lastAckEndedRecovery = false;
        lastAckRejected = false;
    }

    private void checkRange(final int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("range " + i + " of " + count);
        }
    }

    @Override
    public String toString() {
        final StringBuilder b = new StringBuilder("SackScoreboard[highAck=").append(Seq.toString(highAck))
                .append(" highData=").append(Seq.toString(highData)).append(" highRxt=")
                .append(Seq.toString(highRxt)).append(" pipe=").append(pipe).append(" recovery=").append(inRecovery)
                .append(" ranges=");
        for (int i = 0; i < count; i++) {
            b.append('[').append(Seq.toString(starts[i])).append(',').append(Seq.toString(ends[i])).append(')');
        }
        return b.append(']').toString();
    }
}
