package dev.chimney.chimney.target;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.UploadReason;
import dev.chimney.runtime.Timer;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.Seq;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpFlags;
import dev.chimney.tcp.TcpSegment;
import dev.chimney.tcp.TcpState;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The offload context area of one TCP connection (spec §2.12) and its data path: the engine that runs it (the same
 * {@link TcpConnection} code as the host's), the queue of send requests completed as the peer acknowledges them
 * (spec §4.1), the posted receive requests and the delivery algorithm (spec §4.4), disconnects (spec §4.5), peer
 * close (spec §4.6) and forwarded segments (spec §4.7). Owned by the target loop.
 *
 * <p>Byte accounting: stream offset 0 is SND.UNA at the offload; {@link #written} bytes went into the engine, of
 * which the engine still holds {@link TcpConnection#unacknowledgedBytes()}, so everything before {@code written −
 * unacknowledged} is acknowledged. Received data stays in the engine's receive buffer until it is delivered: an
 * indication copies it ({@link TcpConnection#peek}) and consumes only what the host took, so refused data keeps the
 * advertised window closed instead of piling up in the target.
 */
final class TargetConnection implements TcpConnection.Listener {
    static final int SCREEN_PROCESS = 0;
    static final int SCREEN_HOLD = 1;
    static final int SCREEN_DROP = 2;
    /** Most frames held for an upload (urgent data and what follows, spec §6.11.3) before further ones are dropped. */
    static final int MAX_HELD_FRAMES = 4096;

    final SoftOffloadTarget target;
    final OffloadHandle handle;
    final TargetPath path;
    final boolean v6;
    final long localHi;
    final long localLo;
    final long remoteHi;
    final long remoteLo;
    final int localPort;
    final int remotePort;
    TargetConnection nextInBucket;
    TcpConnection engine;

    // ------------------------------------------------------------------ lifecycle
    /** The initiate completion was posted: indications may follow it (R-OFF-13). */
    boolean completionPosted;
    /** A mandatory Retrieve was indicated: I/O gets UPLOAD_IN_PROGRESS; with {@link #holding}, input is held. */
    boolean uploadRequested;
    /** Segments are held unprocessed and unacknowledged, to go up after the terminate (spec §6.11.3). */
    boolean holding;
    /** An UPLOAD_ALL is under way (spec §5.1.3): new I/O gets UPLOAD_IN_PROGRESS, traffic runs on. */
    boolean uploadAll;
    /** Report delegated State CLOSED (FIN_WAIT_2 expiry spec §6.5, in-order SYN and mitigation, spec §6.11.1). */
    boolean reportClosed;
    boolean terminatePending;
    boolean terminated;
    /** Queued for delivery at the end of the target loop's turn ({@link SoftOffloadTarget#deliverAtEndOfTurn}). */
    boolean deliveryDue;
    /** RST received or sent, or hardware failure: I/O completes REQUEST_ABORTED (spec §4.1.3, §5.3). */
    boolean aborted;
    /** This TCP object was invalidated (spec §3.4). */
    boolean invalid;
    private boolean invalidStateRequested;
    /** The terminate exports the state: the ACK still owed may go out (spec §3.2.5 item 3, R-TERM-6). */
    boolean exporting;
    private ArrayDeque<byte[]> held;

    // ------------------------------------------------------------------ send (spec §4.1)
    private SendRequest[] sendQueue = new SendRequest[8];
    /**
     * Sends refused (UPLOAD_IN_PROGRESS...) while earlier ones were still outstanding: they complete right after
     * those, never before (spec §4.1.3: completions in posting order), or travel back with them at terminate.
     */
    private SendRequest refusedHead;
    private SendRequest refusedTail;
    private OffloadStatus refusedStatus;
    private long[] sendEnd = new long[8];
    private int sendHead;
    private int sendCount;
    /** Requests before this index (from the head) are wholly in the engine. */
    private int sendWriteIndex;
    private long queued;
    private long written;
    private DisconnectRequest disconnect;
    private SendRequest disconnectData;
    private boolean finQueued;
    /** The SendBacklogSize last indicated and when (spec §5.3 throttling), -1 before the first. */
    private long lastBacklog = -1;
    private long lastBacklogNs;
    /** Highest sequence number sent, for the retransmission statistics (R-STAT-3). */
    int highestSent;
    private int lastUna;

    // ------------------------------------------------------------------ receive (spec §4.2-§4.4)
    private final ArrayDeque<ReceiveRequest> posted = new ArrayDeque<>();
    /** Receive completions and indications with the host (spec §4.4 "busy" while non-zero). */
    private int hostCalls;
    /** The host refused data: no new indication until it posts a receive request (spec §4.3.3). */
    private boolean refused;
    private boolean pshPending;
    private boolean pushArmed;
    private boolean pushExpired;
    private boolean peerFinSeen;
    boolean disconnectIndicated;
    private final Timer pushTimer = new Timer() {
        @Override
        protected void onExpired(long nowNs) {
            onPushTimer();
        }
    };

    TargetConnection(SoftOffloadTarget target, OffloadHandle handle, TargetPath path, int localPort,
            int remotePort) {
        this.target = target;
        this.handle = handle;
        this.path = path;
        this.v6 = path.v6;
        this.localPort = localPort;
        this.remotePort = remotePort;
        if (v6) {
            dev.chimney.wire.Ipv6Address l = (dev.chimney.wire.Ipv6Address) path.constants.sourceAddress();
            dev.chimney.wire.Ipv6Address r = (dev.chimney.wire.Ipv6Address) path.constants.destinationAddress();
            localHi = l.hi();
            localLo = l.lo();
            remoteHi = r.hi();
            remoteLo = r.lo();
        } else {
            localHi = 0;
            remoteHi = 0;
            localLo = Integer.toUnsignedLong(((dev.chimney.wire.Ipv4Address) path.constants.sourceAddress()).bits());
            remoteLo = Integer.toUnsignedLong(
                    ((dev.chimney.wire.Ipv4Address) path.constants.destinationAddress()).bits());
        }
    }

    /** Takes the offload's send chain (spec §3.1.6): its first {@code inEngine} bytes were imported already. */
    void adoptSendChain(SendRequest chain, long inEngine) {
        for (SendRequest r = chain; r != null; ) {
            SendRequest next = r.next();
            r.next(null);
            enqueue(r);
            r = next;
        }
        written = inEngine;
        while (sendWriteIndex < sendCount && sendEnd[slot(sendWriteIndex)] <= written) {
            sendWriteIndex++;
        }
        lastUna = engine.sndUna();
        highestSent = engine.snapshot().delegated().sndMax();
        TcpState s = engine.state();
        // the host processed the peer's FIN before the offload: TcpIndicateDisconnect follows once the data
        // handed over as BufferedData is delivered (R-FIN-1)
        peerFinSeen = s == TcpState.CLOSE_WAIT || s == TcpState.CLOSING || s == TcpState.LAST_ACK;
    }

    /** Whether received segments are for this context to process (else they go up raw). */
    boolean processesInput() {
        return !terminatePending && !terminated && engine.state() != TcpState.CLOSED && !aborted;
    }

    /** Whether the engine's output may reach the wire. */
    boolean mayTransmit() {
        if (holding || terminated || (terminatePending && !exporting)) {
            return false;
        }
        if (invalid || path.invalidated()) {
            // spec §3.4.3 / §3.2.2 InvalidState: the target tried to send on a connection that depends on an
            // invalidated object — stop at once and ask for the upload (R-INV-2, R-INV-3)
            if (!invalidStateRequested) {
                invalidStateRequested = true;
                requestUpload(UploadReason.INVALID_STATE, false);
            }
            return false;
        }
        return true;
    }

    /** Keeps a copy of a frame to pass up after the terminate; false when the queue is full (dropped). */
    boolean hold(MemorySegment frame) {
        if (held == null) {
            held = new ArrayDeque<>();
        }
        if (held.size() >= MAX_HELD_FRAMES) {
            return false;
        }
        held.add(frame.toArray(ValueLayout.JAVA_BYTE));
        return true;
    }

    /** The frames held for the upload, oldest first; empties the queue. */
    ArrayDeque<byte[]> takeHeld() {
        ArrayDeque<byte[]> h = held;
        held = null;
        return h;
    }

    // ================================================================================================= input

    /**
     * Spec §6.11: what to do with a received segment before the engine sees it. A SYN at RCV.NXT means "upload in
     * CLOSED state" (R-BLIND-5); other SYNs get the engine's challenge or ACK (R-BLIND-4/6). A segment with URG
     * whose sequence and acknowledgment are acceptable starts the urgent-data procedure (R-RXS-6): Retrieve, no
     * more ACKs, hold everything; one that is not acceptable is discarded (R-RXS-5).
     */
    int screen(TcpSegment seg) {
        int flags = seg.flags();
        if ((flags & TcpFlags.SYN) != 0 && (flags & TcpFlags.RST) == 0 && seg.seq() == engine.rcvNxt()) {
            reportClosed = true; // spec §6.11.1, §9 WA 29: upload in CLOSED state with UploadRequested
            requestUpload(UploadReason.UPLOAD_REQUESTED, false);
            return SCREEN_HOLD;
        }
        if ((flags & TcpFlags.URG) != 0 && (flags & TcpFlags.RST) == 0) {
            if (!urgentAcceptable(seg)) {
                return SCREEN_DROP;
            }
            requestUpload(UploadReason.RECEIVED_URGENT_DATA, false);
            return SCREEN_HOLD;
        }
        return SCREEN_PROCESS;
    }

    /** Spec §6.11.3 step 1: the sequence number lies in the receive window and the ACK is acceptable. */
    private boolean urgentAcceptable(TcpSegment seg) {
        TcpDelegated d = engine.snapshot().delegated();
        int len = Math.max(1, seg.sequenceLength());
        int rcvNxt = d.rcvNxt();
        int wnd = Math.max(1, d.rcvWnd());
        boolean seqOk = Seq.inRange(seg.seq(), rcvNxt, rcvNxt + wnd)
                || Seq.inRange(seg.seq() + len - 1, rcvNxt, rcvNxt + wnd);
        if (!seg.has(TcpFlags.ACK)) {
            return false;
        }
        int ack = seg.ack();
        // RFC 5961 §5.2: SND.UNA − MAX.SND.WND ≤ SEG.ACK ≤ SND.MAX
        boolean ackOk = Seq.leq(ack, d.sndMax())
                && Seq.geq(ack, d.sndUna() - (int) Math.min(d.maxSndWnd(), Integer.MAX_VALUE));
        return seqOk && ackOk;
    }

    /** A segment from the wire, or forwarded by the host (spec §4.7), for the engine. */
    void input(TcpSegment seg) {
        boolean data = seg.payloadLength() > 0;
        boolean psh = seg.has(TcpFlags.PSH);
        boolean rst = seg.has(TcpFlags.RST);
        engine.onSegment(target.loop().nowNs(), seg);
        if (data && psh) {
            pshPending = true;
        }
        afterInput(rst);
    }

    /** Everything an arrival can change: acknowledged sends, state, delivery (spec §4.4 event A). */
    void afterInput(boolean rstSegment) {
        if (terminated) {
            return;
        }
        int una = engine.sndUna();
        if (una != lastUna) {
            lastUna = una;
            target.forwardProgress(path.neighbor); // spec §5.2.2: an ACK of sent data
        }
        TcpState s = engine.state();
        if (s == TcpState.CLOSE_WAIT || s == TcpState.LAST_ACK || s == TcpState.CLOSING || s == TcpState.TIME_WAIT) {
            peerFinSeen = true;
        }
        if (s == TcpState.CLOSED && !aborted && (rstSegment || engine.closeReason() == CloseReason.RESET)) {
            onAbort(true);
            return;
        }
        pumpWrites();
        completeSends();
        completeDisconnectIfDone();
        if (s == TcpState.TIME_WAIT) {
            // spec §6.0 / R-TIMER-17: TIME_WAIT is never offloaded; §9 WA 29 names the reason
            requestUpload(UploadReason.UPLOAD_REQUESTED, false);
        }
        indicateSendBacklogChange();
        target.deliverAtEndOfTurn(this); // one indication for the turn's batch of segments
    }

    /**
     * {@code SendBacklogSize} (spec §2.7, §5.3): the send data worth keeping outstanding here, min(congestion window,
     * peer's window) — the bandwidth-delay product the connection can use, independent of what is queued now; or
     * {@link BlockList#BACKLOG_UNSUPPORTED} when the target does not offer it.
     */
    int sendBacklogSize() {
        if (!target.sendBacklog()) {
            return BlockList.BACKLOG_UNSUPPORTED;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.min(engine.cwnd(), Math.max(engine.sndWnd(), 1)));
    }

    /** TcpIndicateSendBacklogChange, throttled (§9 WA 44): a change of at least 25 %, at least 1 s apart. */
    private void indicateSendBacklogChange() {
        if (!target.sendBacklog() || !completionPosted || uploadRequested) {
            return;
        }
        long now = target.loop().nowNs();
        if (lastBacklog >= 0 && now - lastBacklogNs < 1_000_000_000L) {
            return;
        }
        long value = Integer.toUnsignedLong(sendBacklogSize());
        if (lastBacklog < 0 || Math.abs(value - lastBacklog) * 4 >= lastBacklog) {
            lastBacklog = value;
            lastBacklogNs = now;
            target.postEvent(this, TcpEvent.sendBacklogChange(value));
        }
    }

    // ================================================================================================= events

    @Override
    public boolean onTimeout(TcpConnection connection, boolean mitigation) {
        // spec §6.1 / §6.3 / §6.4 / §6.5 (R-TIMER-4/8/12): a timeout becomes Retrieve/TimeoutExpiration, never an
        // RST; the engine keeps the state for the host, with the expired timer due. FIN_WAIT_2 expiry and the end
        // of blind-attack mitigation report the connection CLOSED (spec §6.5 SHOULD, §6.11.1).
        if (mitigation || connection.state() == TcpState.FIN_WAIT_2) {
            reportClosed = true;
        }
        requestUpload(UploadReason.TIMEOUT_EXPIRATION, false);
        return true;
    }

    /**
     * Asks the host to upload this connection (spec §3.2.1, R-TERM-15: one connection per event). A mandatory
     * reason (spec §3.2.2) stops normal processing: received segments are held for the host and I/O gets
     * UPLOAD_IN_PROGRESS (spec §3.2.7). A {@code discretionary} request (resource shortage, optional reasons) is
     * not made in FIN_WAIT_1, FIN_WAIT_2 or CLOSE_WAIT (R-TERM-17, §9 WA 28); an optional one changes nothing
     * here (R-TERM-16).
     *
     * @return whether the event was indicated
     */
    boolean requestUpload(UploadReason reason, boolean discretionary) {
        if (terminatePending || terminated) {
            return false;
        }
        TcpState s = engine.state();
        if ((discretionary || !reason.isMandatory())
                && (s == TcpState.FIN_WAIT_1 || s == TcpState.FIN_WAIT_2 || s == TcpState.CLOSE_WAIT)) {
            return false;
        }
        if (reason.isMandatory()) {
            if (uploadRequested) {
                return false; // one mandatory request is enough: the host will upload
            }
            uploadRequested = true;
            holding = true;
            stopPushTimer();
        }
        target.postEvent(this, TcpEvent.retrieve(reason));
        return true;
    }

    /** An acceptable RST (spec §5.3, R-FIN-2), or the abortive close we sent: everything outstanding is aborted. */
    private void onAbort(boolean indicate) {
        aborted = true;
        stopPushTimer();
        if (indicate) {
            target.countResetEstablished(this);
            target.postEvent(this, TcpEvent.ABORT);
        }
        abortSends();
        abortReceives();
        if (disconnect != null) {
            DisconnectRequest d = disconnect;
            disconnect = null;
            d.complete(OffloadStatus.REQUEST_ABORTED, 0);
            target.postDisconnectComplete(d);
        }
    }

    // ================================================================================================= send

    private int slot(int index) {
        return (sendHead + index) & (sendQueue.length - 1);
    }

    private void enqueue(SendRequest r) {
        if (sendCount == sendQueue.length) {
            SendRequest[] q = new SendRequest[sendQueue.length * 2];
            long[] e = new long[q.length];
            for (int i = 0; i < sendCount; i++) {
                q[i] = sendQueue[slot(i)];
                e[i] = sendEnd[slot(i)];
            }
            sendQueue = q;
            sendEnd = e;
            sendHead = 0;
        }
        queued += r.length();
        sendQueue[slot(sendCount)] = r;
        sendEnd[slot(sendCount)] = queued;
        sendCount++;
    }

    /** Spec §4.1.1: every request is accepted; it goes out after everything queued before it. */
    void onSend(SendRequest chain) {
        OffloadStatus refuse = ioRefusal();
        if (refuse == null && (disconnect != null || finQueued || !engine.state().canSend())) {
            refuse = OffloadStatus.INVALID_STATE; // the send half is closed (spec §4.5): misuse
        }
        if (refuse != null) {
            if (sendCount == 0 && refusedHead == null) {
                completeAll(chain, refuse);
            } else {
                refuseBehind(chain, refuse);
            }
            return;
        }
        for (SendRequest r = chain; r != null; ) {
            SendRequest next = r.next();
            r.next(null);
            enqueue(r);
            r = next;
        }
        pumpWrites();
        completeSends(); // zero-length requests need no acknowledgment
    }

    /** The status every new I/O request gets, or null when the connection takes I/O. */
    OffloadStatus ioRefusal() {
        if (aborted) {
            return OffloadStatus.REQUEST_ABORTED;
        }
        if (uploadRequested || uploadAll || terminatePending) {
            return OffloadStatus.UPLOAD_IN_PROGRESS; // spec §3.2.7, §5.1.3 (R-TERM-13/14, R-UPLOAD-5)
        }
        return null;
    }

    private void refuseBehind(SendRequest chain, OffloadStatus status) {
        if (refusedHead == null) {
            refusedHead = chain;
            refusedStatus = status;
        } else {
            refusedTail.next(chain);
        }
        SendRequest t = chain;
        while (t.next() != null) {
            t = t.next();
        }
        refusedTail = t;
    }

    /** The refused sends, once nothing posted before them is outstanding. */
    private void flushRefused(OffloadStatus status) {
        if (refusedHead == null || sendCount > 0) {
            return;
        }
        SendRequest chain = refusedHead;
        refusedHead = null;
        refusedTail = null;
        completeAll(chain, status != null ? status : refusedStatus);
    }

    private void completeAll(SendRequest chain, OffloadStatus status) {
        for (SendRequest r = chain; r != null; r = r.next()) {
            r.complete(status, 0);
        }
        target.postSendComplete(chain);
    }

    /** Moves queued bytes into the engine as its send buffer frees; FIN after the last (graceful disconnect). */
    private void pumpWrites() {
        if (holding || aborted) {
            return;
        }
        while (written < queued && sendWriteIndex < sendCount) {
            int i = slot(sendWriteIndex);
            SendRequest r = sendQueue[i];
            long start = sendEnd[i] - r.length();
            if (written >= sendEnd[i]) {
                sendWriteIndex++;
                continue;
            }
            int free = engine.writableBytes();
            if (free <= 0) {
                break;
            }
            int off = (int) (written - start);
            int n = engine.write(r.buffer(), r.offset() + off, Math.min(r.length() - off, free));
            written += n;
            if (written >= sendEnd[i]) {
                sendWriteIndex++;
            }
            if (n == 0) {
                break;
            }
        }
        while (sendWriteIndex < sendCount && sendEnd[slot(sendWriteIndex)] <= written) {
            sendWriteIndex++;
        }
        if (disconnect != null && !finQueued && written == queued && engine.state().canSend()) {
            finQueued = true;
            engine.shutdownOutput(); // spec §4.5.3: the data first, then FIN, without waiting for the ACK
        }
    }

    /** Bytes (stream offset) the peer acknowledged. */
    private long acknowledged() {
        return written - engine.unacknowledgedBytes();
    }

    /** Spec §4.1.3 (R-SEND-3): a request completes SUCCESS once SND.UNA passed its last byte, in posting order. */
    private void completeSends() {
        long acked = acknowledged();
        SendRequest first = null;
        SendRequest last = null;
        while (sendCount > 0 && sendWriteIndex > 0 && sendEnd[sendHead] <= acked) {
            SendRequest r = pop();
            if (r == disconnectData) {
                continue; // the disconnect's own data completes with the disconnect
            }
            r.complete(OffloadStatus.SUCCESS, r.length());
            if (first == null) {
                first = r;
            } else {
                last.next(r);
            }
            last = r;
        }
        if (first != null) {
            target.postSendComplete(first);
        }
        flushRefused(null);
    }

    private SendRequest pop() {
        SendRequest r = sendQueue[sendHead];
        sendQueue[sendHead] = null;
        sendHead = (sendHead + 1) & (sendQueue.length - 1);
        sendCount--;
        sendWriteIndex = Math.max(0, sendWriteIndex - 1);
        return r;
    }

    /** Spec §4.5.2 / §5.3: every outstanding send REQUEST_ABORTED; the first keeps its acknowledged bytes. */
    private void abortSends() {
        long acked = acknowledged();
        SendRequest first = null;
        SendRequest last = null;
        while (sendCount > 0) {
            long end = sendEnd[sendHead];
            SendRequest r = pop();
            if (r == disconnectData) {
                continue;
            }
            long start = end - r.length();
            int ackedHere = (int) Math.max(0, Math.min(r.length(), acked - start));
            r.complete(ackedHere == r.length() ? OffloadStatus.SUCCESS : OffloadStatus.REQUEST_ABORTED, ackedHere);
            if (first == null) {
                first = r;
            } else {
                last.next(r);
            }
            last = r;
        }
        queued = written;
        if (first != null) {
            target.postSendComplete(first);
        }
        flushRefused(OffloadStatus.REQUEST_ABORTED); // after them, and discarded like them
    }

    /**
     * Spec §3.2.5 item 5 (R-TERM-10/11): the requests not yet acknowledged, chained in posting order, the first one's
     * data start advanced past its acknowledged bytes so the chain begins at SND.UNA; null when there are none. The
     * data of a graceful disconnect, if unacknowledged, travels as a last request whose {@code hostContext} is that
     * {@link DisconnectRequest} (it was never a send request of the host's).
     */
    SendRequest returnSendChain() {
        completeSends();
        long acked = acknowledged();
        SendRequest first = null;
        SendRequest last = null;
        while (sendCount > 0) {
            long end = sendEnd[sendHead];
            SendRequest r = pop();
            long start = end - r.length();
            r.returned((int) Math.max(0, Math.min(r.length() - 1, acked - start)));
            if (first == null) {
                first = r;
            } else {
                last.next(r);
            }
            last = r;
        }
        for (SendRequest r = refusedHead; r != null; ) {
            SendRequest next = r.next();
            r.next(null);
            r.returned(0); // refused behind the others: back with them, unsent (one way only, spec §9 item 25)
            if (first == null) {
                first = r;
            } else {
                last.next(r);
            }
            last = r;
            r = next;
        }
        refusedHead = null;
        refusedTail = null;
        return first;
    }

    // ================================================================================================= disconnect

    /** Spec §4.5: closes the send half; abortive sends the only RST a target may send (R-DISC-1/2). */
    void onDisconnect(DisconnectRequest request) {
        OffloadStatus refuse = ioRefusal();
        if (refuse == null && (disconnect != null || finQueued)) {
            refuse = OffloadStatus.INVALID_STATE; // a second disconnect
        }
        if (refuse != null) {
            request.complete(refuse, 0);
            target.postDisconnectComplete(request);
            return;
        }
        if (request.isAbortive()) {
            TcpState before = engine.state();
            engine.abort(); // RST, then CLOSED: no more ACKs (R-DISC-3)
            if (before == TcpState.ESTABLISHED || before == TcpState.CLOSE_WAIT) {
                target.countResetEstablished(this);
            }
            onAbort(false);
            request.complete(OffloadStatus.SUCCESS, 0);
            target.postDisconnectComplete(request);
            return;
        }
        disconnect = request;
        if (request.data().length > 0) {
            disconnectData = SendRequest.of(request.data());
            disconnectData.hostContext = request;
            enqueue(disconnectData);
        }
        pumpWrites();
        completeDisconnectIfDone();
    }

    /** Spec §4.5.3 (R-DISC-5/6): SUCCESS once FIN and data are acknowledged, after every earlier send completed. */
    private void completeDisconnectIfDone() {
        if (disconnect == null || !finQueued) {
            return;
        }
        TcpState s = engine.state();
        boolean finAcked = s == TcpState.FIN_WAIT_2 || s == TcpState.TIME_WAIT
                || (s == TcpState.CLOSED && !aborted);
        if (!finAcked) {
            return;
        }
        completeSends();
        DisconnectRequest d = disconnect;
        disconnect = null;
        d.complete(OffloadStatus.SUCCESS, d.data().length);
        target.postDisconnectComplete(d);
    }

    /** The disconnect still outstanding at a terminate: UPLOAD_IN_PROGRESS (its FIN, if sent, is in the state). */
    void failDisconnect(OffloadStatus status) {
        if (disconnect != null) {
            DisconnectRequest d = disconnect;
            disconnect = null;
            d.complete(status, 0);
            target.postDisconnectComplete(d);
        }
    }

    // ================================================================================================= receive

    /** Spec §4.2 / §4.4 event P: receive requests posted. */
    void onReceive(ReceiveRequest chain) {
        ReceiveRequest immediateFirst = null;
        ReceiveRequest immediateLast = null;
        for (ReceiveRequest r = chain; r != null; ) {
            ReceiveRequest next = r.next();
            r.next(null);
            OffloadStatus refuse = disconnectIndicated ? OffloadStatus.INVALID_STATE : ioRefusal();
            if (refuse != null && posted.isEmpty()) {
                // R-RECV-9 after TcpIndicateDisconnect; UPLOAD_IN_PROGRESS / REQUEST_ABORTED otherwise. Behind
                // earlier posted requests a refused one waits its turn, so completions keep posting order.
                r.complete(refuse);
                if (immediateFirst == null) {
                    immediateFirst = r;
                } else {
                    immediateLast.next(r);
                }
                immediateLast = r;
            } else {
                if (refuse != null) {
                    r.complete(refuse); // decided now, completed in its turn (place() keeps the order)
                }
                posted.add(r);
                if (!r.noPush() && r.bytesTransferred() > 0 && refuse == null) {
                    startPushTimer(); // R-RECV-6: TcpReceiveBytesTransferred ≠ 0 starts the push timer at once
                }
            }
            r = next;
        }
        if (immediateFirst != null) {
            postReceiveComplete(immediateFirst);
        }
        deliver();
    }

    /**
     * The delivery algorithm (spec §4.4) from its three entry points — data arrived (A), requests posted (P), an
     * in-progress call ended — always run to completion: posted buffers first (PLACE), else an indication
     * (INDICATE), never while a call with the host is in progress and never before the initiate completion (R-OFF-13).
     */
    void deliver() {
        if (!completionPosted || hostCalls > 0 || terminated || aborted) {
            return;
        }
        if (pushExpired) {
            pushExpired = false;
            completePartialOnPush();
            if (hostCalls > 0) {
                return;
            }
        }
        if (terminatePending) {
            return; // the terminate returns what is left (spec §3.2.5 item 4)
        }
        if (!posted.isEmpty()) {
            place();
        } else if (engine.readableBytes() > 0) {
            if (!refused) {
                indicate();
            }
        } else {
            indicateDisconnectIfDone();
        }
    }

    /** PLACE: fill posted requests in FIFO order, complete the full ones (and a pushed partial one) in one call. */
    private void place() {
        ReceiveRequest first = null;
        ReceiveRequest last = null;
        boolean placedIntoPartial = false;
        byte[] scratch = target.copyScratch();
        while (!posted.isEmpty()) {
            ReceiveRequest r = posted.peekFirst();
            if (r.status() != null) {
                // refused earlier behind pending requests (see onReceive): completes in its turn
                posted.pollFirst();
                first = link(first, last, r);
                last = r;
                continue;
            }
            int avail = engine.readableBytes();
            while (r.remaining() > 0 && avail > 0) {
                int n = engine.peek(0, scratch, 0, Math.min(Math.min(r.remaining(), avail), scratch.length));
                r.place(scratch, 0, n);
                engine.skip(n);
                avail -= n;
                placedIntoPartial = true;
            }
            if (!r.isFull()) {
                break;
            }
            posted.pollFirst();
            r.complete(OffloadStatus.SUCCESS); // R-RECV-3: a filled buffer completes at once
            first = link(first, last, r);
            last = r;
            placedIntoPartial = false;
        }
        refused = false; // requests were posted: the refusal is over (spec §4.3.3)
        if (first != null) {
            stopPushTimer(); // R-DLV-5
        }
        ReceiveRequest partial = posted.peekFirst();
        if (partial != null && partial.status() == null && partial.bytesTransferred() > 0
                && engine.readableBytes() == 0 && !partial.noPush()) {
            if (pshPending || peerFinSeen) {
                // a PSH segment (or the FIN, which implies PSH) completes a partly filled push-mode buffer
                posted.pollFirst();
                partial.complete(OffloadStatus.SUCCESS);
                first = link(first, last, partial);
                last = partial;
                stopPushTimer();
            } else if (placedIntoPartial || !pushArmed) {
                startPushTimer(); // started by the first byte, restarted by each arrival (R-RECV-6)
            }
        }
        pshPending = false;
        if (first != null) {
            postReceiveComplete(first);
        } else if (engine.readableBytes() > 0 && posted.isEmpty()) {
            indicate();
        } else {
            indicateDisconnectIfDone();
        }
    }

    /** Every receive completion is a call with the host until it has returned (spec §4.4 busy, R-RECV-10). */
    private void postReceiveComplete(ReceiveRequest chain) {
        hostCalls++;
        target.postReceiveComplete(this, chain);
    }

    private static ReceiveRequest link(ReceiveRequest first, ReceiveRequest last, ReceiveRequest r) {
        if (first == null) {
            return r;
        }
        last.next(r);
        return first;
    }

    /** INDICATE: about RcvIndicationSize bytes (all when 0, R-RIND-7) copied for the host. */
    private void indicate() {
        int avail = engine.readableBytes();
        if (avail == 0 || hostCalls > 0 || refused) {
            return;
        }
        int preferred = engine.cached().rcvIndicationSize();
        int size = preferred > 0 ? Math.min(avail, preferred) : avail;
        byte[] buffer = target.indicationBuffer(size);
        if (buffer == null) {
            // out of indication buffers after the offload: ask for the upload (spec §3.2.8, R-TERM-14); until the
            // host answers or buffers come back the data stays here and the window closes
            requestUpload(UploadReason.UPLOAD_REQUESTED, true);
            target.waitForIndicationBuffer(this);
            return;
        }
        int n = engine.peek(0, buffer, 0, Math.min(size, buffer.length));
        ReceiveIndication ind = new ReceiveIndication(buffer, 0, n);
        ind.targetScratch = buffer;
        hostCalls++;
        target.postIndication(this, ind);
    }

    /** The host's answer to an indication (spec §4.3.2), back on the target loop. */
    void onIndicationResult(ReceiveIndication ind, ReceiveIndication.Result result) {
        hostCalls--;
        int consumed = result == null ? 0 : Math.max(0, Math.min(ind.length(), result.bytesConsumed()));
        if (!terminated) {
            engine.skip(consumed);
        }
        boolean success = result != null && result.status() == OffloadStatus.SUCCESS && consumed == ind.length();
        if (!success) {
            target.releaseIndication(ind); // ours again at once; ReceiveReturn will not bring it (spec §4.3.2)
            // spec §4.4 INDICATE, refused branch (PARTIALLY_ACCEPTED: the rest counts as refused, §9 WA 34)
            refused = posted.isEmpty();
        }
        afterBusy();
    }

    /** A receive completion we posted has returned on the host loop. */
    void onReceiveCompleteReturned() {
        hostCalls--;
        afterBusy();
    }

    private void afterBusy() {
        deliver();
        target.checkPendingTerminates();
    }

    private void onPushTimer() {
        pushArmed = false;
        if (hostCalls > 0) {
            pushExpired = true; // handled when the in-progress call ends
            return;
        }
        completePartialOnPush();
        if (hostCalls == 0) {
            deliver();
        }
    }

    /** Event T: a partly filled push-mode buffer completes; nothing else happens (R-DLV-6). */
    private void completePartialOnPush() {
        ReceiveRequest partial = posted.peekFirst();
        if (partial == null || partial.status() != null || partial.bytesTransferred() == 0 || partial.noPush()
                || terminated || aborted) {
            return;
        }
        posted.pollFirst();
        partial.complete(OffloadStatus.SUCCESS);
        postReceiveComplete(partial);
    }

    private void startPushTimer() {
        pushArmed = true;
        target.loop().timers().schedule(pushTimer, target.loop().nowNs() + target.pushTimeoutNs());
    }

    private void stopPushTimer() {
        pushArmed = false;
        target.loop().timers().cancel(pushTimer);
    }

    /**
     * R-FIN-1: TcpIndicateDisconnect once the peer's FIN arrived and every byte before it was consumed. Requests
     * still posted can get nothing more: they complete first, with what they hold, so completions stay in posting
     * order and later posts get INVALID_STATE (R-RECV-9).
     */
    private void indicateDisconnectIfDone() {
        if (disconnectIndicated || !peerFinSeen || hostCalls > 0 || engine.readableBytes() > 0
                || terminatePending) {
            return;
        }
        disconnectIndicated = true;
        stopPushTimer();
        ReceiveRequest first = null;
        ReceiveRequest last = null;
        while (!posted.isEmpty()) {
            ReceiveRequest r = posted.pollFirst();
            if (r.status() == null) {
                r.complete(OffloadStatus.SUCCESS);
            }
            first = link(first, last, r);
            last = r;
        }
        if (first != null) {
            postReceiveComplete(first);
        }
        target.postEvent(this, TcpEvent.DISCONNECT);
    }

    private void abortReceives() {
        ReceiveRequest first = null;
        ReceiveRequest last = null;
        while (!posted.isEmpty()) {
            ReceiveRequest r = posted.pollFirst();
            if (r.status() == null) {
                r.complete(OffloadStatus.REQUEST_ABORTED); // R-RECV-11 after an RST
            }
            first = link(first, last, r);
            last = r;
        }
        if (first != null) {
            postReceiveComplete(first);
        }
    }

    /**
     * At a terminate (spec §3.2.5 item 1, R-RECV-11, §9 WA 26): every posted request completes — SUCCESS if it holds
     * data, else {@code status} (UPLOAD_IN_PROGRESS, or REQUEST_ABORTED in the hardware-failure sequence).
     */
    void completeReceivesAtTerminate(OffloadStatus status) {
        stopPushTimer();
        ReceiveRequest first = null;
        ReceiveRequest last = null;
        while (!posted.isEmpty()) {
            ReceiveRequest r = posted.pollFirst();
            if (r.status() == null) {
                r.complete(r.bytesTransferred() > 0 && status != OffloadStatus.REQUEST_ABORTED
                        ? OffloadStatus.SUCCESS : status);
            }
            first = link(first, last, r);
            last = r;
        }
        if (first != null) {
            postReceiveComplete(first);
        }
    }

    /** Whether a terminate can complete: no call in progress with the host (R-TERM-5). */
    boolean quiescent() {
        return hostCalls == 0;
    }

    /** Bytes received and acknowledged, not yet delivered ({@code ReceiveBacklogSize}, R-STATE-10). */
    int receiveBacklog() {
        return engine.readableBytes();
    }

    /** Bytes of send data the connection holds, for the host's diagnostics. */
    long sendBacklog() {
        return queued - acknowledged();
    }

    List<Object> debugState() {
        return List.of(engine.state(), "hostCalls=" + hostCalls, "refused=" + refused, "posted=" + posted.size(),
                "sendCount=" + sendCount, "queued=" + queued, "written=" + written);
    }

    @Override
    public String toString() {
        return "TargetConnection[" + handle.owner() + " " + (engine == null ? "-" : engine.state())
                + (uploadRequested ? " upload-requested" : "") + (terminatePending ? " terminating" : "")
                + (terminated ? " terminated" : "") + (aborted ? " aborted" : "") + "]";
    }
}
