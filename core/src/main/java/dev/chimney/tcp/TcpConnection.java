package dev.chimney.tcp;

import static dev.chimney.tcp.Seq.geq;
import static dev.chimney.tcp.Seq.gt;
import static dev.chimney.tcp.Seq.leq;
import static dev.chimney.tcp.Seq.lt;

import dev.chimney.runtime.LoopCommand;
import dev.chimney.runtime.Timer;
import dev.chimney.tcp.cc.CongestionControl;
import dev.chimney.wire.IpAddress;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One TCP connection (the TCB): RFC 9293 state machine, RFC 7323 window scaling / timestamps / PAWS, RFC 2018
 * SACK and RFC 2883 D-SACK generation, RFC 6298 retransmission timer, RFC 8985 RACK-TLP loss detection with RFC 6937
 * PRR and RFC 3708 undo (SACK connections; RFC 6675 recovery by configuration), RFC 5681 / RFC 6582 loss recovery
 * without SACK, RFC 1122 delayed ACK, Nagle, SWS avoidance and keepalive, RFC 5961 blind-attack mitigation.
 *
 * <p>The same code runs on the host and inside a software offload target: its variables are grouped exactly as
 * the chimney spec groups them — {@link TcpConst} (record, fixed after the handshake), {@link TcpCached} (record,
 * replaced by {@link #updateCached}) and the delegated variables ({@link DelegatedState}, exported as {@link
 * TcpDelegated}) — so moving a connection is {@link #export()} on one engine and {@link #importFrom} on another.
 *
 * <p>Engine-internal helpers kept outside the spec's groups, and why each may be rebuilt on import:
 * <ul>
 *   <li>{@code iss}, {@code irs}: only used before ESTABLISHED; connections are exported only when synchronized.
 *   <li>{@code sndWl2}: set to SND.UNA on import; it only orders window updates and SND.UNA is a valid lower
 *       bound, so the next acceptable ACK updates the window as RFC 9293 §3.10.7.4 intends.
 *   <li>{@code lastAckSent}: pending ACKs are flushed by export, so it equals RCV.NXT.
 *   <li>{@code recover}/{@code inRecovery} (RFC 6582, connections without SACK): rebuilt from DupAckCount and the
 *       retransmit count — a count at the duplicate-ACK threshold means NewReno fast recovery (recover =
 *       SND.MAX); after a timeout recover = SND.MAX (RFC 6582's careful variant); else SND.UNA − 1, so duplicate
 *       ACKs start fast retransmit as they would have on the exporting engine. cwnd/ssthresh carry any reduction.
 *   <li>RACK-TLP loss recovery (SACK connections, the default): <em>carried</em>, in {@link
 *       TcpDelegated#lossRecovery()} (see {@link LossRecoveryState}: per-segment records, RACK and TLP variables,
 *       PRR, undo, the PTO and RACK reordering timers), so a connection moved in the middle of a loss episode goes on
 *       with the same records, reduction and timers. Without it (an exporter that keeps none) the record is rebuilt:
 *       every outstanding octet in SMSS segments sent at the import, nothing SACKed or lost, not recovering; the
 *       next SACKs re-learn what the peer holds and RACK, breaking the equal transmit times by sequence number,
 *       finds the holes. Derivable parts: PRR's per-event allowance and the first retransmission owed when fast
 *       recovery runs without PRR (both zero between events), the request to re-arm the probe (only within an
 *       event), and the memory of retransmissions acknowledged during an episode (rebuilt
 *       empty: a D-SACK for one acknowledged before the move cannot be matched, so that episode is not undone —
 *       the conservative outcome).
 *   <li>A D-SACK owed by the receiver side (RFC 2883): sent with the ACK that export and park flush; else dropped
 *       (D-SACK is advisory).
 *   <li>The congestion controller's private flags after an RTO (ssthresh held on a repeated RTO, the one-SMSS byte
 *       counting of the slow start that follows it): derived on import in RTO recovery — backed off while
 *       Retransmit.Count is non-zero (no new data acknowledged since), in that slow start while cwnd &lt; ssthresh.
 *   <li>Whether an RTO episode is open, for connections without RACK-TLP (it only decides what the LOSS_EPISODES
 *       counter counts): reset to open.
 *   <li>RTT timing of one segment (without timestamps): dropped; one RTT sample is lost (Karn-safe).
 *   <li>delayed-ACK state: not carried (spec §3.1.8); export sends the pending ACK first.
 *   <li>The RFC 6675 SACK scoreboard ({@link TcpConfig.LossDetection#RFC6675}): reset (nothing SACKed); forgetting
 *       SACK information only means some bytes may be resent (RFC 2018 §8 lets a receiver renege anyway).
 *   <li>SACK recency order: rebuilt from the out-of-order ranges (RFC 2018 §4 ordering is advisory).
 *   <li>An out-of-order FIN: dropped (it was never acknowledged); the peer retransmits it.
 *   <li>The largest segment received (the peer's full size for "ACK every second full-sized segment"): relearned
 *       from the next segment; until then the RFC 9293 default MSS is assumed, which can only make ACKs earlier.
 *   <li>Buffer autotuning (the receive buffer's capacity and read-rate interval, the receiver's RTT estimate, the
 *       send buffer's capacity): not carried; an import starts from the initial sizes, raised to hold the data and
 *       the window the snapshot carries, and grows again with use. Capacities never go down, so no window shrinks.
 *   <li>The time data was last sent (RFC 5681 §4.1 idle restart): taken as the import time, so an idle period
 *       spanning the move restarts the window one RTO later than it would have.
 *   <li>Whether the keepalive timer runs for blind-attack mitigation: derived — it does when the timer runs while
 *       KEEP_ALIVE_ENABLED is clear; with keepalive enabled a shortened mitigation deadline continues as ordinary
 *       keepalive (probe count and deadline carried exactly).
 *   <li>When an unacceptable segment was last answered (the ACK throttle), and the RST / SYN challenge-ACK
 *       throttles of spec §6.11.1: reset, so the first one after a move is answered; they bound storms and their
 *       phase does not matter.
 * </ul>
 *
 * <p>Offloaded, the host's connection is <em>parked</em> ({@link #park}): the object the application talks to
 * stays, with its buffers and 4-tuple, while its protocol engine stops and a {@link DataPath} (the offload manager)
 * carries the data to the target; {@link #unpark()} undoes a failed offload and {@link #resume} takes the
 * connection back from a terminate through the same routine {@link #importFrom} uses.
 *
 * <p>Threading: every method must be called on the owning stack's loop.
 */
public final class TcpConnection {

    /** Readiness callbacks for the socket layer. All run on the connection's loop, after the state is consistent. */
    public interface Listener {
        /** The handshake completed (active open) or the connection was accepted. */
        default void onConnected(TcpConnection connection) {
        }

        /** New bytes, or end of stream, can be read. */
        default void onReadable(TcpConnection connection) {
        }

        /** Send-buffer space became free. */
        default void onWritable(TcpConnection connection) {
        }

        /** The connection is gone; {@code reason} says why. Called once. */
        default void onClosed(TcpConnection connection, CloseReason reason) {
        }

        /**
         * A retransmission, persist, keepalive or FIN_WAIT_2 limit ran out ({@code mitigation}: the keepalive probes
         * of blind-attack mitigation, spec §6.11.1). Returning false (the default) closes the connection with
         * {@link CloseReason#TIMED_OUT}. Returning true takes the decision elsewhere: an offload target reports the
         * timeout to its host (spec §6.1, R-TIMER-4: Retrieve/TimeoutExpiration, never an RST) and hands the
         * connection back as it is — the engine then stops (no more timers or output, as after {@link #detach()}
         * but keeping its 4-tuple), leaving the timer that expired due, so an {@link #export()} or
         * {@link #snapshot()} reports its delta as 0 and the importer's timer fires at once (spec §6.0).
         */
        default boolean onTimeout(TcpConnection connection, boolean mitigation) {
            return false;
        }
    }

    private static final Listener NO_LISTENER = new Listener() {
    };

    /**
     * The offload manager's side of a parked connection (see {@link #park}): the chimney's "logical switch" (spec
     * §1.1). While a connection is offloaded, the application keeps talking to this object — same listener, same
     * buffers, same 4-tuple reserved in the stack — but its protocol engine is stopped; these calls tell the manager
     * what the application and the host stack did, so that it can carry it to the offload target as chimney
     * requests. Every call runs on the connection's loop; the manager may call the connection's manager-side
     * operations ({@link #releaseSendData}, {@link #deliverReceived}, ...) from inside them (events they raise are
     * then dispatched on the next loop turn, so an application read cannot recurse into itself).
     */
    public interface DataPath {
        /** The application appended bytes to the send buffer: {@link #sendBytes()} grew (a send request's data). */
        void onSendQueued(TcpConnection connection);

        /** The application read: {@link #receiveSpace()} grew, more received data can be delivered. */
        void onReceiveSpace(TcpConnection connection);

        /**
         * The application asked for FIN after the bytes it queued (graceful disconnect, spec §4.5.3): it follows the
         * last byte of {@link #sendBytes()}, which no longer grows. {@link #state()} already shows FIN_WAIT_1 or
         * LAST_ACK.
         */
        void onShutdownOutput(TcpConnection connection);

        /**
         * The application aborted (abortive disconnect, spec §4.5.2; also {@code close()} with unread data, RFC 2525
         * §2.17): the connection is already CLOSED with {@link CloseReason#ABORTED} for the application; the RST is
         * the target's to send. The 4-tuple stays reserved until {@link #resume} or {@link #closeParked}.
         */
        void onAbort(TcpConnection connection);

        /**
         * The host stack demultiplexed a segment to this connection (the target passed it up the non-offload path,
         * or it arrived on the host's own port). {@code segment} is a reused carrier valid only during this call:
         * keep it with {@link TcpSegment#copy()} (or {@link TcpSegment#set} into an own instance plus a copy of the
         * payload) before forwarding it later (spec §4.7: header, options and payload, no IP header).
         */
        void onSegment(TcpConnection connection, long nowNs, TcpSegment segment);

        /**
         * The cached variables changed ({@link #updateCached}, e.g. a socket option): run an update offload (spec
         * §3.3) with {@link #cached()} and these flags. The host engine took the new values for itself too.
         */
        default void onCachedUpdated(TcpConnection connection, boolean keepAliveRestart, boolean maxRtRestart) {
        }
    }

    private static final int EVENT_CONNECTED = 1;
    private static final int EVENT_READABLE = 2;
    private static final int EVENT_WRITABLE = 4;
    private static final int EVENT_CLOSED = 8;

    /** RFC 7323 §5.5: TS.Recent older than 24 days is invalid for PAWS. */
    private static final long PAWS_IDLE_NS = 24L * 24 * 3600 * 1_000_000_000L;
    /** RFC 9293 §3.7.1 default send MSS when the peer sent no MSS option. */
    private static final int DEFAULT_MSS_IPV4 = 536;
    private static final int DEFAULT_MSS_IPV6 = 1220;
    private static final int TCP_HEADER = 20;
    /** Smallest peer MSS we honour. */
    private static final int MIN_SEND_MSS = 64;
    private static final int TIMESTAMP_OPTION_BYTES = 12;
    /** Spec §6.11.1: mitigation keepalive when KaProbeCount and KaInterval are both 0. */
    private static final int MITIGATION_DEFAULT_PROBES = 10;
    private static final long MITIGATION_DEFAULT_INTERVAL_NS = 1_000_000_000L;
    /** RFC 7323 §2.3: 65535 << 14 rounded to a power of two; also TcpConfig's receive buffer limit. */
    private static final int MAX_RECEIVE_WINDOW_BYTES = 1 << 30;
    /**
     * Least time between two forward-progress hints to neighbor discovery (RFC 4861 §7.3.1): a neighbor stays
     * REACHABLE for ~30 s, so one hint a second keeps it fresh without a route lookup per ACK.
     */
    public static final long REACHABILITY_CONFIRM_INTERVAL_NS = 1_000_000_000L;

    private final TcpStack stack;
    private final TcpConfig config;
    private final long tickNs;
    final IpAddress localAddress;
    final IpAddress remoteAddress;
    final int localPort;
    final int remotePort;
    private int pathMtu;
    final TcpStack.FlowKey key;

    private TcpConst constants;
    private TcpCached cached;
    final DelegatedState d = new DelegatedState();
    /** Created when the handshake has negotiated the options (the recovery style depends on SACK). */
    private CongestionControl cc;
    /**
     * RFC 6675 sender scoreboard, present when SACK was negotiated and {@link TcpConfig.LossDetection#RFC6675} is
     * configured (reset on import: SACK info is advisory).
     */
    private SackScoreboard scoreboard;
    /**
     * RFC 8985 RACK-TLP sender state (per-segment transmit records, RACK and TLP variables), present when SACK was
     * negotiated and {@link TcpConfig.LossDetection#RACK_TLP} is configured (the default). Carried by export/import
     * in {@link TcpDelegated#lossRecovery()} with the recovery variables below.
     */
    private RackScoreboard rack;
    /** RACK-TLP connections: open, fast recovery (RACK found a loss) or RTO recovery, until {@code recoveryPoint}. */
    private LossRecoveryState.Phase phase = LossRecoveryState.Phase.OPEN;
    /** SND.MAX when the current RACK-TLP recovery began: it ends when SND.UNA reaches it. */
    private int recoveryPoint;
    /** RFC 6937 PRR for RACK-TLP fast recovery. */
    private final Prr prr = new Prr();
    /**
     * Bytes PRR lets the output send for the event being handled (sndcnt of RFC 6937 §3); it is spent by that
     * event's output pass and dropped after it, so it is never carried (zero between events).
     */
    private long prrAllowance;
    /**
     * RFC 3708 undo of a RACK-TLP loss episode: valid from the episode's start until it is undone or the next one
     * starts; {@code undoMarker} is SND.UNA when it began, {@code undoRetrans} its retransmissions not yet reported
     * as duplicates, {@code priorCwnd}/{@code priorSsthresh} the window before the reduction.
     */
    private boolean undoValid;
    private int undoMarker;
    private int undoRetrans;
    private long priorCwnd;
    private long priorSsthresh;
    /** RFC 3522: our TSval on the episode's first retransmission (valid once one was sent, with timestamps). */
    private boolean undoTsValid;
    private int undoTsVal;
    /** The RACK reordering timer (RFC 8985 §5.4, §6.2 step 5); Long.MAX_VALUE = not armed. */
    private long reorderDeadlineNs = Long.MAX_VALUE;
    /** RACK-TLP: new data went out or SND.UNA advanced, so the PTO is (re)armed once the RTO is set (§7.2). */
    private boolean probeArmRequested;
    /**
     * Fast recovery without PRR just began: its first retransmission goes whatever cwnd − pipe says (RFC 6675 §5 step
     * 4.3). Only within the event that began it (cleared by its output pass).
     */
    private boolean firstRetransmissionDue;
    /** RFC 2883: the duplicate octets [dsackStart, dsackEnd) received, to report in the next ACK's first block. */
    private boolean dsackPending;
    private int dsackStart;
    private int dsackEnd;
    private final int[] sackBlocks = new int[2 * TcpSegment.MAX_SACK_BLOCKS];
    private final SendBuffer sendBuffer;
    private final ReceiveBuffer receiveBuffer;
    private final OutOfOrderRanges outOfOrder;

    // --- engine-internal helpers (see class Javadoc for why each is safe to rebuild on import) ---
    private int iss;
    private int irs;
    private int sndWl2;
    private int lastAckSent;
    private int recover;
    private boolean inRecovery;
    private boolean rttTiming;
    private int rttSeq;
    private long rttStartNs;
    private boolean ackNow;
    /** When data was last sent (ns), for the RFC 5681 §4.1 restart window; set to "now" on import. */
    private long lastDataSentNs;
    /** One output pass may ignore SWS avoidance and Nagle (the persist/override timer expired). */
    private boolean forceSend;
    /**
     * RFC 8985 §7 tail loss probe (config.tailLossProbe): when the probe timeout fires (Long.MAX_VALUE = not
     * armed), whether a probe is out that no ACK has answered yet (one probe per tail, §7.3), and when SND.UNA last
     * advanced. Engine-internal and derivable: not exported; after import the RTO alone covers the first tail.
     */
    private long probeDeadlineNs = Long.MAX_VALUE;
    /**
     * A recovery probe went out and no ACK has delivered anything since: the next silence is the RTO's. Not part
     * of the delegated state: a moved connection forgets it, which costs at most one more probe.
     */
    private boolean recoveryProbeOut;
    private boolean probeOutstanding;
    private long lastAckAdvanceNs;
    /**
     * Lost-retransmission detection (config.lostRetransmitDetection): SND.MAX when SND.UNA was last retransmitted,
     * valid while headRetransmitted (cleared when SND.UNA advances or the RTO fires). Engine-internal, not exported.
     */
    private boolean headRetransmitted;
    private int headRetransmitSndMax;
    private int unackedBytes;
    /** Largest in-order payload received: the estimate of the peer's full segment size (reset on import). */
    private int largestSegmentReceived;
    /**
     * The receiver's round-trip estimate for receive-buffer autotuning (Linux rcv_rtt_est), 0 until measured: from
     * the echoed timestamps of full-sized data segments, else from how long a window's worth of data takes to
     * arrive (measured from {@code rcvRttStartNs} until RCV.NXT passes {@code rcvRttSeq}). Not carried by export;
     * kept across park and resume (the path is the same).
     */
    private long rcvRttNs;
    private int rcvRttSeq;
    private long rcvRttStartNs = Long.MIN_VALUE;
    private long delayedAckDeadlineNs = Long.MAX_VALUE;
    private long timeWaitDeadlineNs = Long.MAX_VALUE;
    /** The TIME_WAIT deadline last handed to the stack's TIME_WAIT queue (which times it instead of our timer). */
    private long queuedTimeWaitNs = Long.MAX_VALUE;
    private boolean peerFinPending;
    private int peerFinSeq;
    private boolean peerFinReceived;
    private final int[] sackRecent = new int[TcpSegment.MAX_SACK_BLOCKS];
    private int sackRecentCount;
    /** What the retransmit deadline currently means; derivable from the state (see {@link #rtxKind()}). */
    private RtxKind armedKind = RtxKind.NONE;
    private CloseReason softError;
    private long reachabilityConfirmedNs = Long.MIN_VALUE / 4;
    /** A challenge ACK answered an in-window RST and no acceptable segment has arrived since (R-BLIND-3). */
    private boolean rstChallengeSent;
    /** The keepalive timer runs for blind-attack mitigation (spec §6.11.1); an acceptable segment ends it. */
    private boolean mitigationKeepAlive;
    /** When a challenge ACK last answered an in-window SYN (R-BLIND-6). */
    private long synChallengeSentNs = Long.MIN_VALUE / 4;
    /** When an ACK last answered an unacceptable segment without data (see {@link #ackUnacceptable}). */
    private long unacceptableAckSentNs = Long.MIN_VALUE / 4;
    private boolean passive;
    TcpListener owner;
    private boolean appClosed;
    private boolean finAfterHandshake;
    /** Text of a simultaneous-open SYN, stored at RCV.NXT and waiting for ESTABLISHED (RFC 9293 §3.10.7.3). */
    private int queuedSynTextBytes;
    private boolean inInput;
    /**
     * True while the listener's callbacks for an arrived segment run: what they write and close goes out once they
     * return, so a response and its FIN share one segment: one frame less per short connection (issue 9).
     */
    private boolean inInputCallbacks;
    /** An application call during {@link #inInputCallbacks} left output to run when the callbacks return. */
    private boolean outputDeferred;
    private boolean detached;

    // --- parked (offloaded): the chimney host's logical switch, see park() ---
    /** Non-null while parked: the engine is stopped and the application's I/O goes to the offload manager. */
    private DataPath dataPath;
    /** While parked: the sequence number of the first byte in the send buffer (SND.UNA at park + released). */
    private int parkedSendSeq;
    /** While parked: RCV.NXT as the host knows it (at park time, plus every byte and FIN delivered since). */
    private int parkedRcvSeq;
    /** Our TSval at park time: a terminate may not take the timestamp clock back behind it (R-TS-6). */
    private int parkedTsVal;
    /** The manager moved data or state through the chimney: unpark() would lose it, so only resume() may end it. */
    private boolean parkedMoved;
    /** The application shut its output down while parked (the FIN may not have reached the target yet). */
    private boolean parkedFinRequested;
    /** The application aborted while parked (the RST may not have reached the wire yet). */
    private boolean parkedAborted;
    /** Depth of DataPath callbacks made from inside an application call on this connection. */
    private int appCallDepth;
    /** Events raised inside such a callback are dispatched on the next loop turn (created on first use). */
    private LoopCommand deferredDispatch;
    private boolean deferredDispatchQueued;
    /** onClosed was delivered (the "called once" guarantee across parked close paths). */
    private boolean closedReported;

    private Listener listener = NO_LISTENER;
    private int pendingEvents;
    private CloseReason closeReason;
    private final TcpSegment tx = new TcpSegment();
    private final TcpSegment rxAdjusted = new TcpSegment();
    /** Data bytes per TSO super-segment the output takes (0: none); {@link TcpOutput#segmentationOffloadBytes}. */
    private final int segmentationOffloadBytes;

    private final Timer timer = new Timer() {
        @Override
        protected void onExpired(long nowNs) {
            onTimer(nowNs);
        }
    };

    private enum RtxKind { NONE, SYN, RETRANSMIT, PERSIST, FIN_WAIT_2 }

    /** RFC 8985 §7.2 WCDelAckT: how long a peer may hold the ACK of a lone segment (200 ms, as Linux assumes). */
    private static final long WORST_CASE_DELAYED_ACK_NS = 200_000_000L;
    /** Least probe timeout of the opt-in probe ({@link TcpConfig.Builder#tailLossProbe}, RFC 6675 connections). */
    private static final long MIN_PTO_NS = 10_000_000L;
    /**
     * RACK-TLP's lower bound on the probe timeout (RFC 8985 §7.2), added to 2·SRTT. Linux's tcp_schedule_loss_probe
     * adds TCP_TIMEOUT_MIN (2 ms) to 2·SRTT, having replaced an earlier max(2·SRTT, 10 ms): a fixed 10 ms floor makes
     * a LAN path (RTT well below 1 ms) wait ten or more round trips for every tail, which is most of what a 1–5 %
     * loss rate costs there, while an additive 2 ms still covers the peer's ACK processing and timer jitter, and 2·SRTT
     * keeps the probe behind the ACKs of a normal flight. We add the same 2 ms, or one timestamp tick if that is more,
     * because our SRTT is kept in ticks (spec §2.7) and an RTT shorter than a tick reads as zero or one tick.
     */
    private static final long TLP_MIN_SLACK_NS = 2_000_000L;
    /**
     * Fewest TSO super-segments one congestion (or peer) window is cut into while it is small. A window sent as a
     * single 64 KB super-segment is stop-and-wait: one lost frame loses the whole flight (nothing later is SACKed,
     * so RACK cannot see it and only the probe timer finds it, and PRR then rebuilds the flight from one SMSS), and
     * one lost ACK stalls the connection until a timer fires. With four frames a loss leaves three quarters of the
     * flight to be SACKed in the same round trip and each ACK is covered by the next. Once the window exceeds four
     * full super-segments this costs nothing. (Linux reaches the same spread another way: its cwnd stays large, and
     * tcp_tso_autosize sizes frames to about a millisecond of its pacing rate.)
     */
    private static final int TSO_FRAMES_PER_WINDOW = 2;

    TcpConnection(TcpStack stack, IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort,
            int pathMtu, TcpCached cached) {
        this.stack = stack;
        this.config = stack.config();
        this.tickNs = config.tickNs;
        this.localAddress = localAddress;
        this.remoteAddress = remoteAddress;
        this.localPort = localPort;
        this.remotePort = remotePort;
        this.pathMtu = pathMtu;
        this.key = new TcpStack.FlowKey(localAddress, localPort, remoteAddress, remotePort);
        this.cached = cached;
        // Buffers start small and grow with use up to their maxima (TcpConfig); storage comes from the stack's pool.
        // An InitialRcvWnd above the configured maximum is an explicit size (spec §2.6, SO_RCVBUF; an offload
        // target configures a 1-byte maximum so that each connection gets exactly its InitialRcvWnd): used as is.
        boolean explicitReceive = cached.initialRcvWnd() > config.receiveBufferBytes;
        int maxReceive = explicitReceive ? cached.initialRcvWnd() : config.receiveBufferBytes;
        this.sendBuffer = new SendBuffer(config.initialSendBufferBytes, config.sendBufferBytes, stack.bufferPool());
        this.receiveBuffer = new ReceiveBuffer(explicitReceive ? maxReceive : config.initialReceiveBufferBytes,
                maxReceive, stack.bufferPool());
        this.outOfOrder = new OutOfOrderRanges(config.maxOutOfOrderRanges);
        this.segmentationOffloadBytes = Math.max(0, stack.output().segmentationOffloadBytes(localAddress,
                remoteAddress));
        // provisional constants until the handshake negotiates the real ones
        this.constants = new TcpConst(localPort, remotePort, false, false, false, 0, 0, defaultMss(), 0);
    }

    // =============================================================================================================
    // Public accessors
    // =============================================================================================================

    public TcpState state() {
        return d.state;
    }

    public IpAddress localAddress() {
        return localAddress;
    }

    public IpAddress remoteAddress() {
        return remoteAddress;
    }

    public int localPort() {
        return localPort;
    }

    public int remotePort() {
        return remotePort;
    }

    public TcpConst constants() {
        return constants;
    }

    public TcpCached cached() {
        return cached;
    }

    public int pathMtu() {
        return pathMtu;
    }

    /** The reason the connection closed, or null while it is open. */
    public CloseReason closeReason() {
        return closeReason;
    }

    public void listener(Listener l) {
        this.listener = l == null ? NO_LISTENER : l;
    }

    /** Bytes of send and receive buffer storage this connection holds now (taken on first use, given back empty). */
    public long bufferBytesAllocated() {
        return (long) sendBuffer.allocatedBytes() + receiveBuffer.allocatedBytes();
    }

    /** The receive buffer's size now: what the advertised window may cover (autotuned, see TcpConfig). */
    public int receiveBufferCapacity() {
        return receiveBuffer.capacity();
    }

    /** The send buffer's size now: most bytes written and not yet acknowledged (autotuned, see TcpConfig). */
    public int sendBufferCapacity() {
        return sendBuffer.capacity();
    }

    /** Bytes the application can read now. */
    public int readableBytes() {
        return receiveBuffer.readable();
    }

    /** Bytes the application can write now. */
    public int writableBytes() {
        expandSendBuffer();
        return d.state.canSend() && !finAfterHandshake ? sendBuffer.free() : 0;
    }

    /** Bytes written and not yet acknowledged by the peer. */
    public int unacknowledgedBytes() {
        return sendBuffer.length();
    }

    /** True once the peer's FIN arrived and all data before it has been read. */
    public boolean isEndOfStream() {
        return peerFinReceived && receiveBuffer.readable() == 0;
    }

    /** Effective send MSS: payload bytes per full segment (RFC 9293 §3.7.1 Eff.snd.MSS minus fixed options). */
    public int sendMss() {
        int ipHeader = localAddress.isIpv4() ? 20 : 40;
        int mss = Math.min(constants.remoteMss(), pathMtu - ipHeader - TCP_HEADER);
        if (constants.timestamps()) {
            mss -= TIMESTAMP_OPTION_BYTES;
        }
        return Math.max(mss, 1);
    }

    /** Current retransmission timeout before backoff (RFC 6298 §2). */
    public long rtoNs() {
        if (d.sRtt8 == 0) {
            return config.initialRtoNs;
        }
        long rtoTicks = d.sRtt8 / 8 + Math.max(1, d.rttVar4);
        return Math.min(config.maxRtoNs, Math.max(config.minRtoNs, rtoTicks * tickNs));
    }

    /** Current congestion window (bytes). */
    public long cwnd() {
        return cc == null ? 0 : cc.cwnd();
    }

    /**
     * Retransmissions of the oldest unacknowledged segment since it was last acknowledged (the RFC 6298 §5.5
     * backoff count; the delegated RetransmitCount of spec §2.7). Diagnostics.
     */
    public int retransmitCount() {
        return d.retransmitCount;
    }

    /**
     * Data bytes the peer has acknowledged on this connection (SYN and FIN not counted), modulo 2^32: sequence
     * space is all the engine keeps. While parked it counts the bytes the offload target completed (spec §4.1.3).
     * Diagnostics: control tools accumulate deltas for totals beyond 4 GiB.
     */
    public long bytesAcknowledged() {
        if (!d.state.isSynchronized()) {
            return 0;
        }
        int una = dataPath != null ? parkedSendSeq : d.sndUna;
        int fin = d.state == TcpState.FIN_WAIT_2 || d.state == TcpState.TIME_WAIT ? 1 : 0;
        return Integer.toUnsignedLong(una - iss - 1 - fin);
    }

    /**
     * Data bytes received in order on this connection (SYN and FIN not counted), modulo 2^32; while parked, the
     * bytes the offload target delivered. Diagnostics.
     */
    public long bytesReceived() {
        if (!d.state.isSynchronized()) {
            return 0;
        }
        int nxt = dataPath != null ? parkedRcvSeq : d.rcvNxt;
        return Integer.toUnsignedLong(nxt - irs - 1 - (peerFinReceived ? 1 : 0));
    }

    /** Snapshot of the delegated send/receive sequence variables, for tests and diagnostics. */
    public int sndUna() {
        return d.sndUna;
    }

    public int sndNxt() {
        return d.sndNxt;
    }

    public int rcvNxt() {
        return d.rcvNxt;
    }

    public long sndWnd() {
        return d.sndWnd;
    }

    public int rcvWnd() {
        return d.rcvWnd;
    }

    /** Diagnostic summary (state, sequence variables, timers) for logs and assertion messages. */
    @Override
    public String toString() {
        long now = stack.nowNs();
        return "TcpConnection[" + localAddress + ":" + localPort + "->" + remoteAddress + ":" + remotePort + " "
                + d.state + " sndUna=" + Integer.toUnsignedString(d.sndUna) + " sndNxt=+" + (d.sndNxt - d.sndUna)
                + " sndMax=+" + (d.sndMax - d.sndUna) + " sndWnd=" + d.sndWnd + " buffered=" + sendBuffer.length()
                + " rcvNxt=" + Integer.toUnsignedString(d.rcvNxt) + " rcvWnd=" + d.rcvWnd + " cwnd=" + cwnd()
                + " rtx=" + armedKind + (d.retransmitDeadlineNs == Long.MAX_VALUE ? "" : "@+"
                + (d.retransmitDeadlineNs - now) / 1_000_000 + "ms") + " rtxCount=" + d.retransmitCount
                + " timerArmed=" + timer.isArmed() + " mss=" + sendMss() + "]";
    }

    // =============================================================================================================
    // Application API
    // =============================================================================================================

    /**
     * Queues bytes for sending; returns how many fitted in the send buffer (0 when it is full: wait for
     * {@link Listener#onWritable}).
     *
     * @throws IllegalStateException if the send side was shut down or the connection is closed
     */
    public int write(MemorySegment src, long offset, int length) {
        checkWritable();
        expandSendBuffer();
        return afterWrite(sendBuffer.write(src, offset, length));
    }

    /**
     * As {@link #write(MemorySegment, long, int)} from a heap array, copied straight into the send buffer (no
     * per-call wrapper object, so a steady writer allocates nothing).
     *
     * @throws IndexOutOfBoundsException if {@code offset}/{@code length} lie outside {@code src}
     * @throws IllegalStateException if the send side was shut down or the connection is closed
     */
    public int write(byte[] src, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        checkWritable();
        expandSendBuffer();
        return afterWrite(sendBuffer.write(src, offset, length));
    }

    /**
     * Send-buffer autotuning (Linux tcp_sndbuf_expand): room for twice the congestion window — one window in flight
     * and one queued behind it, so the sender never waits for the application — up to TcpConfig.sendBufferBytes.
     * Asked for when the application writes, so an idle connection's buffer stays as it is.
     */
    private void expandSendBuffer() {
        if (dataPath != null) {
            // Parked: the offload target runs the congestion window (this engine's is frozen at the park) and this
            // buffer holds every byte until the target reports it acknowledged (spec §4.1): the whole path's
            // in-flight and queue are here, so it may use its full size, as the target's own buffer grows with its
            // window. Kept to 2·cwnd it would clock the transfer at one small buffer per round trip.
            sendBuffer.expandTo(config.sendBufferBytes);
        } else if (cc != null) {
            sendBuffer.expandTo((int) Math.min(Integer.MAX_VALUE, 2 * cc.cwnd()));
        }
    }

    private void checkWritable() {
        if (!d.state.canSend() || finAfterHandshake) {
            throw new IllegalStateException("cannot write in state " + d.state
                    + ": the send side is shut down or the connection closed; check writableBytes() first");
        }
    }

    private int afterWrite(int n) {
        if (n > 0 && dataPath != null) {
            callDataPath(CALL_SEND_QUEUED); // parked: the offload manager carries the bytes to the target
            return n;
        }
        if (n > 0 && d.state.isSynchronized()) {
            afterApiCall();
        }
        return n;
    }

    public int write(byte[] src) {
        return write(src, 0, src.length);
    }

    /**
     * Reads up to {@code length} bytes; returns the count, 0 when nothing is available yet, -1 at end of stream.
     */
    public int read(byte[] dst, int offset, int length) {
        if (receiveBuffer.readable() == 0) {
            return peerFinReceived || d.state == TcpState.CLOSED ? -1 : 0;
        }
        int n = receiveBuffer.read(dst, offset, length);
        if (dataPath != null) {
            if (n > 0) {
                callDataPath(CALL_RECEIVE_SPACE); // parked: the target's window is the manager's business
            }
            return n;
        }
        if (d.state.isSynchronized() && d.state != TcpState.TIME_WAIT && !peerFinReceived) {
            receiveBuffer.autotune(stack.nowNs(), receiveRttNs(), ourMss()); // a larger window, if it reads fast
            if (windowUpdateWorthSending()) {
                ackNow = true;
                afterApiCall();
            }
        }
        return n;
    }

    /** Sends FIN after the queued data (half-close, RFC 9293 §3.10.4). Idempotent. */
    public void shutdownOutput() {
        if (dataPath != null) {
            shutdownOutputParked();
            return;
        }
        switch (d.state) {
            case SYN_SENT -> terminate(CloseReason.NORMAL, false);
            // RFC 9293 §3.10.4 SYN-RECEIVED: the FIN is queued until the handshake completes
            case SYN_RECEIVED -> finAfterHandshake = true;
            case ESTABLISHED -> {
                setState(TcpState.FIN_WAIT_1);
                afterApiCall();
            }
            case CLOSE_WAIT -> {
                setState(TcpState.LAST_ACK);
                afterApiCall();
            }
            default -> {
                // FIN already queued or connection closed: nothing to do (RFC 9293 §3.10.4 "already closing")
            }
        }
    }

    /**
     * Closes the connection: FIN after queued data; if unread received data would be discarded, resets instead
     * (RFC 2525 §2.17, RFC 1122 §4.2.2.13). Data arriving afterwards is acknowledged and dropped.
     */
    public void close() {
        appClosed = true;
        if (receiveBuffer.readable() > 0 && d.state.isSynchronized() && d.state != TcpState.TIME_WAIT) {
            abort();
            return;
        }
        shutdownOutput();
    }

    /** Aborts: sends RST (in synchronized states) and closes with {@link CloseReason#ABORTED} (RFC 9293 §3.10.5). */
    public void abort() {
        if (d.state == TcpState.CLOSED) {
            return;
        }
        if (dataPath != null) {
            abortParked();
            return;
        }
        if (d.state.isSynchronized() || d.state == TcpState.SYN_RECEIVED) {
            if (d.state != TcpState.TIME_WAIT) {
                emitControl(d.sndNxt, d.rcvNxt, TcpFlags.RST | TcpFlags.ACK);
            }
        }
        terminate(CloseReason.ABORTED, true);
        dispatchEvents();
    }

    /**
     * Replaces the cached variables (spec §3.3 update offload), applying the spec §2.6 update rules. A larger
     * InitialRcvWnd grows the receive buffer and is advertised at once (TCP_FLAG_UPDATE_RCV_WND, R-STATE-11), up to
     * what the negotiated window scale can express; a smaller one keeps the buffer, since a window must not shrink
     * (RFC 9293 §3.8.6.2.2).
     *
     * @throws IllegalArgumentException if InitialRcvWnd exceeds 2^30 bytes (the largest window TCP can express)
     */
    public void updateCached(TcpCached newCached, boolean keepAliveRestart, boolean maxRtRestart) {
        if (newCached.initialRcvWnd() > MAX_RECEIVE_WINDOW_BYTES) {
            throw new IllegalArgumentException("initialRcvWnd " + newCached.initialRcvWnd() + " exceeds the largest "
                    + "TCP window (2^30 bytes, RFC 7323 §2.3); use at most " + MAX_RECEIVE_WINDOW_BYTES);
        }
        TcpCached old = this.cached;
        this.cached = newCached;
        long now = stack.nowNs();
        if (maxRtRestart) {
            d.firstRetransmitNs = now; // TCP_FLAG_MAX_RT_RESTART: TotalRT = 0
        }
        if (keepAliveRestart || newCached.keepAliveEnabled() != old.keepAliveEnabled()
                || newCached.kaTimeoutTicks() != old.kaTimeoutTicks()) {
            d.keepAliveProbeCount = 0;
            restartKeepAlive(now);
        }
        if (newCached.initialRcvWnd() != old.initialRcvWnd()) {
            receiveBuffer.grow(newCached.initialRcvWnd());
            receiveBuffer.fix(); // an explicit size, as SO_RCVBUF: autotuning stops (Linux SOCK_RCVBUF_LOCK)
            ackNow = true; // TCP_FLAG_UPDATE_RCV_WND: advertise the new window
        }
        if (dataPath != null) {
            // parked: the target runs the connection; the manager carries the change there (spec §3.3)
            DataPath p = dataPath;
            appCallDepth++;
            try {
                p.onCachedUpdated(this, keepAliveRestart, maxRtRestart);
            } finally {
                appCallDepth--;
            }
            return;
        }
        afterApiCall();
    }

    // =============================================================================================================
    // ICMP hooks
    // =============================================================================================================

    /** ICMP "packet too big" / fragmentation needed (RFC 1191, RFC 8201): re-segment what is in flight. */
    public void onPathMtuDecrease(int newMtu) {
        int minMtu = localAddress.isIpv4() ? 68 : 1280;
        if (newMtu >= pathMtu || newMtu < minMtu) {
            return;
        }
        pathMtu = newMtu;
        if (cc != null && d.state.isSynchronized()) {
            cc.onMssChange(sendMss());
        }
        if (scoreboard != null) {
            scoreboard.setSmss(sendMss());
        }
        if (rack != null) {
            rack.smss(sendMss());
        }
        if (d.state.isSynchronized() && d.sndNxt != d.sndUna) {
            // RFC 1191 §6.5 "retransmit": resend everything in flight with the smaller segments
            d.sndNxt = d.sndUna;
            rttTiming = false;
            if (rack != null) {
                rack.markLostFrom(d.sndUna); // out of the flight: the go-back resends it (RFC 8985 §6.1 retransmit)
            }
        }
        afterApiCall();
    }

    /** A soft ICMP error (RFC 1122 §4.2.3.9): remembered, reported if the connection later times out. */
    public void onSoftError(CloseReason reason) {
        softError = reason;
    }

    /** A hard ICMP error (port/protocol unreachable): aborts a connection still in SYN_SENT (RFC 1122 §4.2.3.9). */
    public void onHardError(CloseReason reason) {
        if (d.state == TcpState.SYN_SENT) {
            terminate(reason, true);
            dispatchEvents();
        } else {
            softError = reason;
        }
    }

    // =============================================================================================================
    // Opening
    // =============================================================================================================

    /** Active open (RFC 9293 §3.10.1): chooses the ISN and sends SYN. */
    void openActive(long nowNs, int isn) {
        iss = isn;
        recover = isn;
        d.sndUna = isn;
        d.sndNxt = isn;
        d.sndMax = isn;
        d.tsOffsetTicks = stack.random().nextInt();
        d.rcvWnd = initialWindow();
        setState(TcpState.SYN_SENT);
        sendSyn(nowNs, false);
        rearmTimer();
    }

    /** Passive open from a listener that received {@code syn} (RFC 9293 §3.10.7.2 LISTEN, third check). */
    void openPassive(long nowNs, TcpSegment syn, int isn) {
        passive = true;
        iss = isn;
        recover = isn;
        d.sndUna = isn;
        d.sndNxt = isn;
        d.sndMax = isn;
        d.tsOffsetTicks = stack.random().nextInt();
        irs = syn.seq();
        d.rcvNxt = irs + 1;
        lastAckSent = d.rcvNxt;
        negotiateOptions(nowNs, syn);
        d.rcvWnd = initialWindow();
        // RFC 7323 §2.2: the window in a SYN is never scaled
        d.sndWnd = syn.window();
        d.maxSndWnd = d.sndWnd;
        d.sndWl1 = syn.seq();
        sndWl2 = syn.ack();
        setState(TcpState.SYN_RECEIVED);
        sendSyn(nowNs, true);
        rearmTimer();
    }

    private int initialWindow() {
        int scale = constants.rcvWindScale();
        long w = Math.min(receiveBuffer.free(), 65535L << scale);
        return (int) ((w >> scale) << scale);
    }

    private int ourScale() {
        int scale = 0;
        // from the largest the buffer may grow to: the scale is fixed at the handshake (RFC 7323 §2.2)
        while (scale < 14 && (65535L << scale) < receiveBuffer.maxCapacity()) {
            scale++;
        }
        return scale;
    }

    private int ourMss() {
        return pathMtu - (localAddress.isIpv4() ? 20 : 40) - TCP_HEADER;
    }

    private int defaultMss() {
        return localAddress.isIpv4() ? DEFAULT_MSS_IPV4 : DEFAULT_MSS_IPV6;
    }

    /** Agrees the options of the SYN exchange (RFC 9293 §3.7.1, RFC 7323 §1.3, RFC 2018 §2). */
    private void negotiateOptions(long nowNs, TcpSegment peerSyn) {
        boolean ws = config.windowScaling && peerSyn.windowScale() >= 0;
        boolean ts = config.timestamps && peerSyn.hasTimestamp();
        boolean sack = config.sack && peerSyn.sackPermitted();
        // a tiny advertised MSS would multiply our per-byte work (CVE-2019-11479 style); Linux floors it at 48,
        // we at MIN_SEND_MSS
        int remoteMss = peerSyn.mss() > 0 ? Math.max(MIN_SEND_MSS, peerSyn.mss()) : defaultMss();
        constants = new TcpConst(localPort, remotePort, ts, sack, ws,
                ws ? Math.min(14, peerSyn.windowScale()) : 0, ws ? ourScale() : 0, remoteMss,
                stack.hashOf(key));
        if (ts) {
            d.tsRecent = peerSyn.tsVal();
            d.tsRecentNs = nowNs;
        }
        cc = config.newCongestionControl(sack);
    }

    // =============================================================================================================
    // Input: RFC 9293 §3.10.7 SEGMENT ARRIVES
    // =============================================================================================================

    /** Processes one segment addressed to this connection (the stack has already demultiplexed it). */
    public void onSegment(long nowNs, TcpSegment seg) {
        if (dataPath != null) {
            // parked: the engine does not process it; the offload manager forwards or buffers it (spec §4.7)
            stack.count(TcpCounter.PARKED_SEGMENTS);
            dataPath.onSegment(this, nowNs, seg);
            return;
        }
        if (d.state == TcpState.CLOSED || detached) {
            return;
        }
        inInput = true;
        try {
            switch (d.state) {
                case SYN_SENT -> synSentInput(nowNs, seg);
                case SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT ->
                        synchronizedInput(nowNs, seg);
                default -> throw new IllegalStateException("connection in " + d.state + " has no input path");
            }
        } finally {
            inInput = false;
        }
        if (d.state == TcpState.TIME_WAIT && (rack != null || scoreboard != null)) {
            // Everything we sent, FIN included, is acknowledged and nothing will be sent again but ACKs: the loss
            // recovery records are dead weight a TIME_WAIT connection would hold for 2·MSL — and a server that
            // closes first holds tens of thousands under ApacheBench (issue 9), each surviving young GCs. Dropped
            // here, once the segment that got us here is fully processed (its ACK processing still used them).
            rack = null;
            scoreboard = null;
        }
        if (d.state != TcpState.CLOSED) {
            output(nowNs);
            updateRetransmitTimer(nowNs);
            rearmTimer();
        }
        dispatchInputEvents();
    }

    /**
     * Runs the listener's callbacks for an arrived segment with the output of their writes, shutdowns and reads
     * (window updates) held back until they return, then sends it all at once: an HTTP/1.0 server's response and
     * FIN leave in one segment instead of two. Callbacks made by that output (none usually) run the same way.
     */
    private void dispatchInputEvents() {
        if (inInputCallbacks) {
            dispatchEvents(); // re-entered from a callback (e.g. a nested onSegment): the outer loop flushes
            return;
        }
        inInputCallbacks = true;
        try {
            do {
                dispatchEvents();
                if (outputDeferred) {
                    outputDeferred = false;
                    if (!detached && dataPath == null && d.state != TcpState.CLOSED) {
                        long now = stack.nowNs();
                        output(now);
                        updateRetransmitTimer(now);
                        rearmTimer();
                    }
                }
            } while (pendingEvents != 0 || outputDeferred);
        } finally {
            inInputCallbacks = false;
        }
    }

    /** RFC 9293 §3.10.7.3: SYN-SENT. */
    private void synSentInput(long nowNs, TcpSegment seg) {
        boolean hasAck = seg.has(TcpFlags.ACK);
        // first: check the ACK bit
        if (hasAck && (leq(seg.ack(), iss) || gt(seg.ack(), d.sndMax))) {
            stack.count(TcpCounter.DROP_BAD_ACK);
            if (!seg.has(TcpFlags.RST)) {
                emitControl(seg.ack(), 0, TcpFlags.RST);
            }
            return;
        }
        // second: check the RST bit (RFC 5961 §3.2: in SYN-SENT the RST is acceptable if it acknowledges the SYN)
        if (seg.has(TcpFlags.RST)) {
            if (hasAck) {
                stack.count(TcpCounter.RESETS_RECEIVED);
                terminate(CloseReason.REFUSED, true);
            }
            return;
        }
        // fourth: check the SYN bit
        if (!seg.has(TcpFlags.SYN)) {
            return;
        }
        irs = seg.seq();
        d.rcvNxt = irs + 1;
        negotiateOptions(nowNs, seg);
        d.rcvWnd = initialWindow();
        if (hasAck) {
            // our SYN is acknowledged: ESTABLISHED
            d.sndUna = seg.ack();
            if (constants.timestamps() && seg.hasTimestamp() && seg.tsEcr() != 0) {
                rttSample(tsNow(nowNs) - seg.tsEcr());
            } else if (rttTiming && geq(seg.ack(), rttSeq) && d.retransmitCount == 0) {
                rttSample((nowNs - rttStartNs) / tickNs);
            }
            rttTiming = false;
            d.sndWnd = seg.window(); // RFC 7323 §2.2: never scaled in a SYN
            d.maxSndWnd = d.sndWnd;
            d.sndWl1 = seg.seq();
            sndWl2 = seg.ack();
            d.retransmitCount = 0;
            d.retransmitDeadlineNs = Long.MAX_VALUE;
            armedKind = RtxKind.NONE;
            establish(nowNs);
            ackNow = true;
            // RFC 9293 §3.10.7.3: "if there are other controls or text in the segment, then continue processing at
            // the sixth step" — text carried by the SYN,ACK is received now (it starts one after the SYN)
            // (a FIN cannot be here: the stack drops SYN+FIN as an impossible header)
            if (seg.payloadLength() > 0) {
                TcpSegment text = rxAdjusted.set(seg);
                text.flags(text.flags() & ~TcpFlags.SYN).seq(irs + 1);
                receiveData(nowNs, text);
            }
        } else {
            // simultaneous open (RFC 9293 §3.5 figure 7): SYN_RECEIVED, send SYN,ACK with our original ISN
            d.sndWnd = seg.window();
            d.maxSndWnd = d.sndWnd;
            d.sndWl1 = seg.seq();
            sndWl2 = seg.ack();
            setState(TcpState.SYN_RECEIVED);
            queueSynText(seg);
            sendSyn(nowNs, true);
        }
    }

    /**
     * RFC 9293 §3.10.7.3 simultaneous open: text on the peer's SYN is "queued for processing after the
     * ESTABLISHED state has been reached". It is stored at RCV.NXT now but neither acknowledged nor readable until
     * {@link #processQueuedSynText}. Only active opens get here: a listener's embryos keep no SYN text, so a SYN
     * flood cannot make each half-open connection allocate a receive buffer (the peer resends unacknowledged data).
     */
    private void queueSynText(TcpSegment syn) {
        int len = Math.min(syn.payloadLength(), d.rcvWnd);
        receiveBuffer.store(0, syn.payloadMemory(), syn.payloadOffset(), len);
        queuedSynTextBytes = len;
    }

    /** Delivers the text queued by {@link #queueSynText} once ESTABLISHED (RFC 9293 §3.10.7.4 seventh step). */
    private void processQueuedSynText() {
        int len = queuedSynTextBytes;
        queuedSynTextBytes = 0;
        if (len > 0) {
            advanceRcvNxt(len);
            pendingEvents |= EVENT_READABLE;
            ackNow = true;
        }
    }

    /** RFC 9293 §3.10.7.4: SYN-RECEIVED and every synchronized state. */
    private void synchronizedInput(long nowNs, TcpSegment segment) {
        TcpSegment seg = segment;
        if (d.state == TcpState.SYN_RECEIVED && seg.has(TcpFlags.SYN) && !seg.has(TcpFlags.RST)
                && seg.seq() == irs) {
            if (!seg.has(TcpFlags.ACK) || !(lt(d.sndUna, seg.ack()) && leq(seg.ack(), d.sndMax))) {
                // a retransmitted SYN: our SYN,ACK was lost; answer with it again (RFC 9293 §3.10.7.4 note)
                sendSyn(nowNs, true);
                return;
            }
            // simultaneous open (RFC 9293 §3.5 figure 7): the peer's SYN,ACK; its SYN is already counted, so
            // process the rest as a plain ACK one sequence number later
            seg = rxAdjusted.set(seg);
            seg.flags(seg.flags() & ~TcpFlags.SYN).seq(irs + 1);
        }
        boolean rst = seg.has(TcpFlags.RST);
        // RFC 7323 §3.2: once negotiated, a non-RST segment without timestamps SHOULD be dropped
        if (constants.timestamps() && !seg.hasTimestamp() && !rst) {
            stack.count(TcpCounter.DROP_MISSING_TIMESTAMP);
            return;
        }
        // RFC 7323 §5.3 R1: PAWS, before the sequence check
        if (constants.timestamps() && seg.hasTimestamp() && !rst && lt(seg.tsVal(), d.tsRecent)) {
            if (nowNs - d.tsRecentNs <= PAWS_IDLE_NS) {
                stack.count(TcpCounter.DROP_PAWS);
                noteOldDuplicate(seg); // a network duplicate of data we hold: report it (RFC 2883 §4, as Linux)
                ackUnacceptable(nowNs, seg); // RFC 7323 §5.3 R1: send an acknowledgment and drop
                return;
            }
            // RFC 7323 §5.5: TS.Recent idle for more than 24 days is invalid; accept and let R3 refresh it
        }
        int segLen = seg.sequenceLength();
        // first: check the sequence number (RFC 5961 §3.2: an RST is judged by SEG.SEQ alone, whatever it carries)
        if (!sequenceAcceptable(seg.seq(), rst ? 0 : segLen, d.rcvWnd) && !bareFinAtZeroWindow(seg)) {
            stack.count(TcpCounter.DROP_UNACCEPTABLE_SEQ);
            if (rst) {
                return;
            }
            noteOldDuplicate(seg); // RFC 2883 §4: data wholly below RCV.NXT is a duplicate; say so in the ACK
            if (d.state == TcpState.TIME_WAIT && seg.has(TcpFlags.FIN)) {
                // RFC 9293 §3.10.7.4 eighth step, TIME-WAIT: acknowledge and restart the 2 MSL timeout
                timeWaitDeadlineNs = nowNs + 2 * config.mslNs;
            }
            if (unacceptableOnlyForTheWindow(seg, segLen) && !takeAckBeyondWindow(nowNs, seg)) {
                return;
            }
            ackUnacceptable(nowNs, seg);
            return;
        }
        // RFC 7323 §4.3 (R3): TS.Recent update rule for acceptable segments
        if (constants.timestamps() && seg.hasTimestamp() && geq(seg.tsVal(), d.tsRecent)
                && leq(seg.seq(), lastAckSent)) {
            d.tsRecent = seg.tsVal();
            d.tsRecentNs = nowNs;
        }
        // second: check the RST bit (RFC 5961 §3.2)
        if (rst) {
            if (seg.seq() != d.rcvNxt) {
                // R-BLIND-3: one challenge ACK per RST validation period, which an acceptable segment ends
                if (rstChallengeSent) {
                    stack.count(TcpCounter.CHALLENGE_ACKS_SUPPRESSED);
                } else if (challengeAck(nowNs)) {
                    rstChallengeSent = true;
                    armMitigationKeepAlive(nowNs);
                }
                return;
            }
            stack.count(TcpCounter.RESETS_RECEIVED);
            switch (d.state) {
                case SYN_RECEIVED -> {
                    // passive open: back to LISTEN, i.e. forget this embryo; active (simultaneous) open: refused
                    terminate(passive ? CloseReason.RESET : CloseReason.REFUSED, !passive);
                }
                case TIME_WAIT -> {
                    // RFC 1337 §3 (TIME-WAIT assassination): ignore RST in TIME-WAIT
                }
                case CLOSING, LAST_ACK -> terminate(CloseReason.NORMAL, true);
                default -> terminate(CloseReason.RESET, true);
            }
            return;
        }
        // fourth: check the SYN bit (RFC 5961 §4.2: any SYN in a synchronized state gets a challenge ACK)
        if (seg.has(TcpFlags.SYN)) {
            // R-BLIND-6: at most one challenge ACK per synChallengeAckIntervalNs for in-window SYNs
            long intervalNs = config.synChallengeAckIntervalNs;
            if (intervalNs > 0 && nowNs - synChallengeSentNs < intervalNs) {
                stack.count(TcpCounter.CHALLENGE_ACKS_SUPPRESSED);
            } else if (challengeAck(nowNs)) {
                synChallengeSentNs = nowNs;
                armMitigationKeepAlive(nowNs);
            }
            return;
        }
        rstChallengeSent = false; // an acceptable segment ends the RST validation period (spec §6.11.1)
        // fifth: check the ACK field
        if (!seg.has(TcpFlags.ACK)) {
            return;
        }
        if (d.state == TcpState.SYN_RECEIVED) {
            if (!(lt(d.sndUna, seg.ack()) && leq(seg.ack(), d.sndMax))) {
                stack.count(TcpCounter.DROP_BAD_ACK);
                emitControl(seg.ack(), 0, TcpFlags.RST);
                return;
            }
            if (owner != null && !owner.admit(this)) {
                return; // accept backlog full: dropped or reset by the listener's policy
            }
            d.sndUna = seg.ack();
            if (constants.timestamps() && seg.tsEcr() != 0) {
                rttSample(tsNow(nowNs) - seg.tsEcr());
            }
            d.sndWnd = (long) seg.window() << constants.sndWindScale();
            d.maxSndWnd = Math.max(d.maxSndWnd, d.sndWnd);
            d.sndWl1 = seg.seq();
            sndWl2 = seg.ack();
            d.retransmitCount = 0;
            d.retransmitDeadlineNs = Long.MAX_VALUE;
            armedKind = RtxKind.NONE;
            establish(nowNs);
            processQueuedSynText();
            if (owner != null) {
                owner.established(this);
            }
        } else if (!ackAcceptable(nowNs, seg, seg.seq())) {
            return;
        }
        restartKeepAlive(nowNs);
        if (d.state == TcpState.FIN_WAIT_2) {
            // spec §6.5: each acceptable segment restarts the FIN_WAIT_2 timer
            d.retransmitDeadlineNs = nowNs + config.finWait2TimeoutNs;
            armedKind = RtxKind.FIN_WAIT_2;
        }
        if (d.state == TcpState.CLOSED) {
            return;
        }
        // sixth: URG — urgent data is delivered inline and the pointer ignored (RFC 6093 §5 recommends inline)
        // seventh: process the segment text
        switch (d.state) {
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2 -> receiveData(nowNs, seg);
            default -> {
                // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: a FIN was received, text is ignored
                if (seg.payloadLength() > 0) {
                    ackNow = true;
                }
            }
        }
    }

    /** RFC 9293 §3.10.7.4 first check: the four-case acceptability table, for a receive window of {@code wnd}. */
    private boolean sequenceAcceptable(int seq, int segLen, int wnd) {
        if (segLen == 0) {
            return wnd == 0 ? seq == d.rcvNxt : Seq.inRange(seq, d.rcvNxt, d.rcvNxt + wnd);
        }
        if (wnd == 0) {
            return false;
        }
        int last = seq + segLen - 1;
        return Seq.inRange(seq, d.rcvNxt, d.rcvNxt + wnd) || Seq.inRange(last, d.rcvNxt, d.rcvNxt + wnd);
    }

    /**
     * A FIN at RCV.NXT with no new data, while RCV.WND = 0. The table above refuses it (a FIN occupies a sequence
     * number), but it needs no buffer space, and a peer whose only pending octet is its FIN would otherwise have to
     * probe until our application reads; Linux takes such a FIN too (tcp_data_queue, "bare FIN" at zero window).
     */
    private boolean bareFinAtZeroWindow(TcpSegment seg) {
        return d.rcvWnd == 0 && seg.has(TcpFlags.FIN) && !seg.has(TcpFlags.SYN) && !seg.has(TcpFlags.RST)
                && seg.seq() + seg.payloadLength() == d.rcvNxt;
    }

    /**
     * RFC 9293 §3.10.7.4: "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be
     * made to accept valid ACKs, URGs, and RSTs." Generalised to any segment that only the window refuses: one that
     * would be acceptable were the window as large as our buffer can ever make it (it is not old, nor implausibly far
     * ahead). A peer probing our zero window sends such segments — its probe octet, and (if it counts that octet as
     * sent) every later ACK at RCV.NXT + 1 — and when its ACKs are what would free our send buffer so our
     * application can read again, dropping them unread deadlocks both ends (issue 9). RSTs at a zero window need no
     * allowance here: RCV.NXT, the only sequence number an RST may carry (RFC 5961 §3.2), is acceptable. URG is
     * delivered inline and its pointer ignored (RFC 6093 §5), so there is nothing to take from it.
     */
    private boolean unacceptableOnlyForTheWindow(TcpSegment seg, int segLen) {
        if (!seg.has(TcpFlags.ACK) || seg.has(TcpFlags.SYN)) {
            return false;
        }
        switch (d.state) {
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK -> {
                return sequenceAcceptable(seg.seq(), segLen, Math.max(receiveBuffer.maxCapacity(), d.rcvWnd));
            }
            default -> {
                return false; // SYN-RECEIVED (the ACK completes a handshake) and TIME-WAIT have nothing to take
            }
        }
    }

    /**
     * The fifth step (the ACK field and the window it carries) for a segment {@link #unacceptableOnlyForTheWindow};
     * its text and FIN are dropped. Returns false when the segment needs no further answer (its ACK was refused and
     * answered, or it closed the connection).
     */
    private boolean takeAckBeyondWindow(long nowNs, TcpSegment seg) {
        // for SND.WL1, the segment counts as arriving at our right edge: recording a sequence number beyond it would
        // make later in-window segments look older than this one and lose their window updates
        int edge = d.rcvNxt + d.rcvWnd;
        if (!ackAcceptable(nowNs, seg, gt(seg.seq(), edge) ? edge : seg.seq())) {
            return false;
        }
        stack.count(TcpCounter.OUT_OF_WINDOW_ACKS);
        restartKeepAlive(nowNs);
        return d.state != TcpState.CLOSED;
    }

    /**
     * RFC 9293 §3.10.7.4 fifth check in ESTABLISHED and later, with the RFC 5961 §5.2 acceptable range
     * [SND.UNA − MAX.SND.WND, SND.MAX]; processes the acknowledgment. Returns false when the segment must be
     * dropped. {@code windowSeq} is the sequence number the window-update rule records as SND.WL1.
     */
    private boolean ackAcceptable(long nowNs, TcpSegment seg, int windowSeq) {
        int ack = seg.ack();
        if (gt(ack, d.sndMax)) {
            // acknowledges something not yet sent: send an ACK and drop
            stack.count(TcpCounter.DROP_BAD_ACK);
            ackUnacceptable(nowNs, seg);
            return false;
        }
        if (lt(ack, d.sndUna - (int) Math.min(d.maxSndWnd, Integer.MAX_VALUE))) {
            stack.count(TcpCounter.DROP_BAD_ACK);
            challengeAck(nowNs);
            return false;
        }
        processAck(nowNs, seg, windowSeq);
        return true;
    }

    private void processAck(long nowNs, TcpSegment seg, int windowSeq) {
        int ack = seg.ack();
        long peerWindow = (long) seg.window() << constants.sndWindScale();
        int acked = ack - d.sndUna;
        long flightBefore = flightSize();
        SackScoreboard sb = scoreboard;
        RackScoreboard rk = rack;
        if (rk != null) {
            // RFC 8985 §6.2 steps 1-3: what this ACK delivered, cumulatively or by SACK (RFC 2018 §3), and D-SACK
            int n = seg.sackCount();
            for (int i = 0; i < n; i++) {
                sackBlocks[2 * i] = seg.sackLeft(i);
                sackBlocks[2 * i + 1] = seg.sackRight(i);
            }
            boolean ts = constants.timestamps() && seg.hasTimestamp() && seg.tsEcr() != 0;
            rk.onAck(ack, sackBlocks, n, nowNs, ts, seg.tsEcr(), tickNs, d.tsOffsetTicks);
        }
        if (sb != null) {
            // RFC 6675 §5 Update(): cumulative ACK plus SACK blocks (RFC 2018 §3)
            int n = seg.sackCount();
            for (int i = 0; i < n; i++) {
                sackBlocks[2 * i] = seg.sackLeft(i);
                sackBlocks[2 * i + 1] = seg.sackRight(i);
            }
            sb.update(ack, sackBlocks, n);
            if (config.lostRetransmitDetection && headRetransmitted && ack == d.sndUna && sb.inRecovery()
                    && sb.highestSackedEnd() - headRetransmitSndMax >= SackScoreboard.DUP_THRESH * sendMss()) {
                // Segments sent after our retransmission of SND.UNA arrived, the retransmission did not: it was
                // lost too (RFC 8985 §6 time ordering, with DupThresh segments of reordering allowance).
                stack.count(TcpCounter.LOST_RETRANSMITS);
                retransmitHead(nowNs);
            }
        }
        if (acked > 0) {
            int bufLen = sendBuffer.length();
            int dataAcked = Math.min(acked, bufLen);
            boolean finAcked = d.state.finUnacknowledged() && acked > bufLen;
            sendBuffer.consume(dataAcked);
            d.sndUna = ack;
            probeOutstanding = false;
            lastAckAdvanceNs = nowNs;
            headRetransmitted = false;
            if (nowNs - reachabilityConfirmedNs >= REACHABILITY_CONFIRM_INTERVAL_NS) {
                reachabilityConfirmedNs = nowNs;
                stack.output().forwardProgress(localAddress, remoteAddress, nowNs);
            }
            if (lt(d.sndNxt, d.sndUna)) {
                d.sndNxt = d.sndUna;
            }
            long rttNs = -1;
            // RFC 7323 §4.1 / RFC 6298 §3: RTT from the echoed timestamp, else from the one timed segment (Karn)
            if (constants.timestamps() && seg.hasTimestamp() && seg.tsEcr() != 0) {
                long ticks = tsNow(nowNs) - seg.tsEcr();
                if (ticks >= 0 && ticks < Integer.MAX_VALUE) {
                    rttSample(ticks);
                    rttNs = ticks * tickNs;
                }
            } else if (rttTiming && gt(ack, rttSeq)) {
                rttTiming = false;
                rttNs = nowNs - rttStartNs;
                rttSample(rttNs / tickNs);
            }
            d.retransmitCount = 0;
            d.dupAckCount = 0;
            if (rk != null) {
                if (phase == LossRecoveryState.Phase.FAST_RECOVERY) {
                    cc.onRecoveryAck(dataAcked, nowNs); // PRR, not the controller, paces fast recovery
                } else {
                    // open, or the slow start that follows an RTO (RFC 5681 §3.1)
                    cc.onAck(dataAcked, flightBefore, rttNs, nowNs);
                }
                probeArmRequested = true; // RFC 8985 §7.2: an ACK that advances SND.UNA restarts the PTO
            } else if (sb != null) {
                if (sb.lastAckEndedRecovery()) {
                    cc.onRecoveryExit(flightSize(), nowNs); // RFC 6675 §5 step A
                } else if (sb.inRecovery()) {
                    cc.onRecoveryAck(dataAcked, nowNs);
                } else {
                    cc.onAck(dataAcked, flightBefore, rttNs, nowNs);
                }
            } else if (inRecovery) {
                if (geq(ack, recover)) {
                    inRecovery = false; // RFC 6582 §3.2 step 3: full acknowledgment
                    cc.onRecoveryExit(flightSize(), nowNs);
                } else {
                    // RFC 6582 §3.2 step 4: partial acknowledgment — retransmit the first unacknowledged segment
                    cc.onRecoveryAck(dataAcked, nowNs);
                    retransmitHead(nowNs);
                }
            } else {
                cc.onAck(dataAcked, flightBefore, rttNs, nowNs);
            }
            // RFC 6298 §5.2/5.3: stop the timer when everything is acknowledged, else restart it
            armedKind = RtxKind.NONE;
            d.retransmitDeadlineNs = Long.MAX_VALUE;
            if (dataAcked > 0) {
                pendingEvents |= EVENT_WRITABLE;
            }
            if (finAcked) {
                onFinAcked(nowNs);
            }
        } else if (acked == 0 && seg.payloadLength() == 0 && !seg.has(TcpFlags.FIN) && peerWindow == d.sndWnd
                && d.sndMax != d.sndUna && d.sndWnd > 0 && armedKind != RtxKind.PERSIST) {
            // RFC 5681 §2 duplicate ACK
            d.dupAckCount++;
            if (rk != null) {
                // RACK-TLP counts no duplicate ACKs: time, not a DupAck threshold, finds losses (RFC 8985 §3.1)
            } else if (sb != null) {
                if (seg.sackCount() == 0) {
                    sb.countDuplicateAck();
                }
            } else if (!inRecovery && d.dupAckCount == 3 && lt(recover, ack)) {
                // RFC 6582 §3.2 step 2 / RFC 5681 §3.2 step 2-3: enter fast recovery, retransmit the lost segment
                inRecovery = true;
                recover = d.sndMax;
                stack.count(TcpCounter.FAST_RETRANSMITS);
                stack.count(TcpCounter.LOSS_EPISODES);
                cc.onFastRetransmit(flightSize(), nowNs);
                retransmitHead(nowNs);
            } else if (inRecovery) {
                cc.onRecoveryAck(0, nowNs); // RFC 5681 §3.2 step 4: cwnd inflation by the controller
            }
        }
        if (sb != null && sb.shouldEnterRecovery()) {
            // RFC 6675 §5 steps 4.1-4.4: enter loss recovery and retransmit the first hole
            stack.count(TcpCounter.FAST_RETRANSMITS);
            stack.count(TcpCounter.LOSS_EPISODES);
            cc.onFastRetransmit(flightSize(), nowNs);
            int len = sb.enterRecovery();
            if (len > 0) {
                sendRange(nowNs, sb.nextSegStart(), len, SackScoreboard.Rule.FAST_RETRANSMIT);
            }
        }
        if (rk != null && !rk.lastAckRejected()) {
            boolean pureDuplicate = acked == 0 && seg.payloadLength() == 0 && !seg.has(TcpFlags.FIN)
                    && peerWindow == d.sndWnd && rk.lastNewlySackedBytes() == 0;
            boolean echo = constants.timestamps() && seg.hasTimestamp() && seg.tsEcr() != 0;
            rackAfterAck(nowNs, ack, pureDuplicate, acked > 0 && echo, seg.tsEcr());
        }
        // RFC 9293 §3.10.7.4: if SND.UNA =< SEG.ACK, update the send window when the segment is newer (SND.WL1 /
        // SND.WL2). An ACK that advances SND.UNA is newer whatever its sequence number — a retransmission from the
        // peer carries its current window — and is taken too, as Linux's tcp_may_update_window does: ignoring it
        // leaves SND.UNA + SND.WND beyond the peer's real right edge, so we would send into a window it has closed.
        // SND.WL1 never moves back, so a reordered older segment cannot undo the update.
        if (geq(ack, d.sndUna) && (acked > 0 || lt(d.sndWl1, windowSeq)
                || (d.sndWl1 == windowSeq && leq(sndWl2, ack)))) {
            long old = d.sndWnd;
            d.sndWnd = peerWindow;
            if (gt(windowSeq, d.sndWl1)) {
                d.sndWl1 = windowSeq;
            }
            sndWl2 = ack;
            d.maxSndWnd = Math.max(d.maxSndWnd, d.sndWnd);
            if (old == 0 && d.sndWnd == 0 && armedKind == RtxKind.PERSIST && acked >= 0 && d.retransmitCount > 0) {
                // spec §6.3 step 5: a probe of this round was answered with a zero window — next round. Only an
                // answer counts: zero-window segments the peer sends anyway (its data) would otherwise push the
                // probe interval to its maximum within a few segments.
                d.sndWndProbeCount++;
                d.retransmitCount = 0;
                d.retransmitDeadlineNs = nowNs + backedOff(d.sndWndProbeCount);
            }
            if (d.sndWnd > 0 && armedKind == RtxKind.PERSIST) {
                armedKind = RtxKind.NONE; // window opened: persist ends (spec §6.3)
                d.retransmitDeadlineNs = Long.MAX_VALUE;
                d.retransmitCount = 0;
                d.sndWndProbeCount = 0;
            }
        }
        if (d.sndWnd == 0 && d.sndNxt != d.sndUna && armedKind != RtxKind.PERSIST && d.state.isSynchronized()) {
            // The window closed with data in flight beyond it (the peer shrank it, or a probe octet went out with
            // SND.NXT): RFC 9293 §3.8.6 says probe it like any zero window (MUST-35) and do not time out for data
            // beyond the right edge (SHLD-16). Go back to SND.UNA — what lay beyond is sent again when the window
            // opens — so the persist timer (spec §6.3), whose answered probes never exhaust it, runs instead of the
            // retransmission timer, and so SND.NXT stays inside the peer's window.
            d.sndNxt = d.sndUna;
            rttTiming = false;
            armedKind = RtxKind.NONE;
            d.retransmitDeadlineNs = Long.MAX_VALUE;
            if (rk != null) {
                rk.markLostFrom(d.sndUna); // sent again from SND.UNA when the window opens: out of the flight
            }
        }
    }

    // =============================================================================================================
    // RACK-TLP loss detection (RFC 8985), PRR (RFC 6937), spurious-retransmission undo (RFC 3708)
    // =============================================================================================================

    /** SRTT in nanoseconds (RFC 6298 §2; 0 before the first sample). Public for diagnostics (control tools). */
    public long srttNs() {
        return d.sRtt8 * tickNs / 8;
    }

    /**
     * The rest of RFC 8985 §6.2 for an acceptable ACK that {@link RackScoreboard#onAck} took: the end of a recovery
     * whose RecoveryPoint it covers, the D-SACK part of the reordering window (step 4), undo (RFC 3708), the verdict
     * on a loss probe (§7.4.2), then loss detection with the reordering timer (step 5) and PRR's share (RFC 6937).
     */
    private void rackAfterAck(long nowNs, int ack, boolean pureDuplicate, boolean advanced, int tsEcr) {
        RackScoreboard rk = rack;
        long delivered = rk.lastAckedBytes() + rk.lastNewlySackedBytes();
        if (advanced && undoValid && undoTsValid && phase == LossRecoveryState.Phase.RTO_RECOVERY
                && lt(tsEcr, undoTsVal)) {
            // RFC 3522 §3.2 (Eifel detection): the first ACK of new data after the timeout echoes a timestamp older
            // than the retransmission — it answers the original, which was delayed, not lost: undo at once
            // (RFC 4015 §3.2), no D-SACK needed
            undo(nowNs, phase);
        }
        boolean exiting = false;
        if (phase != LossRecoveryState.Phase.OPEN && geq(d.sndUna, recoveryPoint)) {
            exiting = true;
            endRecovery(nowNs);
        }
        rk.updateReoWndOnAck(d.sndUna, d.sndMax, exiting);
        if (rk.lastDsack()) {
            stack.count(TcpCounter.DSACKS_RECEIVED);
            undoOnDsack(nowNs);
        }
        if (rk.processProbeAck(ack, pureDuplicate) && phase == LossRecoveryState.Phase.OPEN) {
            // RFC 8985 §7.4.2: the probe repaired a loss nothing else saw; react once, as to any loss (CWR: ssthresh
            // from the controller, cwnd down to it)
            stack.count(TcpCounter.TLP_LOSS_REPAIRS);
            stack.count(TcpCounter.LOSS_EPISODES);
            cc.onFastRetransmit(flightSize(), nowNs);
            cc.onReductionEnd(nowNs);
        }
        rackDetectLosses(nowNs, delivered, true);
    }

    /**
     * RACK_detect_loss_and_arm_timer (RFC 8985 §6.2 step 5): marks what is lost, arms or stops the reordering timer,
     * enters fast recovery on a first loss, and sets PRR's allowance (RFC 6937 §3) for an ACK ({@code onAck}) or
     * for losses the timer found (DeliveredData 0: the reduction bound then still lets one segment out).
     */
    private void rackDetectLosses(long nowNs, long delivered, boolean onAck) {
        RackScoreboard rk = rack;
        long timeout = rk.detectLoss(nowNs, rk.reoWndNs(phase != LossRecoveryState.Phase.OPEN, srttNs()));
        reorderDeadlineNs = timeout > 0 ? nowNs + timeout : Long.MAX_VALUE;
        int lost = rk.lastNewlyLost();
        if (lost > 0) {
            stack.count(TcpCounter.RACK_LOST_SEGMENTS, lost);
            stack.count(TcpCounter.LOST_RETRANSMITS, rk.lastNewlyLostRetransmissions());
            if (phase == LossRecoveryState.Phase.OPEN) {
                enterFastRecovery(nowNs);
            }
        }
        if (phase == LossRecoveryState.Phase.FAST_RECOVERY && config.prr && (onAck || lost > 0)) {
            prrAllowance = prr.onAck(delivered, rk.inFlight(), cc.ssthresh(), sendMss());
        }
        if (phase == LossRecoveryState.Phase.FAST_RECOVERY && onAck && (delivered > 0 || lost > 0)) {
            probeArmRequested = true; // the recovery probe's PTO counts from the last ACK that moved anything
            recoveryProbeOut = false;
        }
    }

    /** RFC 8985 §3.1 / RFC 5681 §3.2: RACK found a loss while open — one window reduction for the episode. */
    private void enterFastRecovery(long nowNs) {
        stack.count(TcpCounter.FAST_RETRANSMITS);
        stack.count(TcpCounter.LOSS_EPISODES);
        beginEpisode();
        cc.onFastRetransmit(flightSize(), nowNs);
        phase = LossRecoveryState.Phase.FAST_RECOVERY;
        recoveryPoint = d.sndMax;
        prr.start(flightSize()); // RFC 6937 §3: RecoverFS = snd.nxt - snd.una
        firstRetransmissionDue = !config.prr;
        rack.clearProbe();
        probeDeadlineNs = Long.MAX_VALUE;
    }

    /** Remembers what an undo would restore (RFC 3708 with the RFC 4015 §3.2 response). */
    private void beginEpisode() {
        undoValid = config.undo;
        undoMarker = d.sndUna;
        undoRetrans = 0;
        undoTsValid = false;
        priorCwnd = cc.cwnd();
        priorSsthresh = cc.ssthresh();
        rack.forgetAckedRetransmissions();
    }

    /**
     * SND.UNA reached RecoveryPoint. Fast recovery hands cwnd back to the controller (RFC 6582 §3.2 step 3 as the
     * controller applies it); an episode none of whose retransmissions is still unexplained is undone instead (Linux's
     * tcp_try_undo_recovery: every retransmission was D-SACKed, or none was needed because the "lost" segments
     * arrived first). RTO recovery leaves the controller in its slow start.
     */
    private void endRecovery(long nowNs) {
        LossRecoveryState.Phase ended = phase;
        phase = LossRecoveryState.Phase.OPEN;
        prrAllowance = 0;
        if (undoValid && undoRetrans <= 0) {
            undo(nowNs, ended);
        } else if (ended == LossRecoveryState.Phase.FAST_RECOVERY) {
            if (config.prr) {
                cc.onReductionEnd(nowNs); // RFC 6937: PRR brought the flight to ssthresh; cwnd = ssthresh
            } else {
                cc.onRecoveryExit(flightSize(), nowNs);
            }
        }
    }

    /**
     * RFC 3708 §2: a D-SACK reporting a retransmission of the current (or just ended) episode means that
     * retransmission was unnecessary; when every one of them was, the reduction is taken back.
     */
    private void undoOnDsack(long nowNs) {
        RackScoreboard rk = rack;
        if (!undoValid || !rk.lastDsackCoversRetransmission() || !lt(rk.lastDsackStart(), recoveryPoint)
                || !gt(rk.lastDsackEnd(), undoMarker)) {
            return;
        }
        undoRetrans--;
        if (undoRetrans <= 0) {
            undo(nowNs, phase);
        }
    }

    /** Takes a spurious reduction back (RFC 4015 §3.2, Linux tcp_undo_cwnd_reduction). */
    private void undo(long nowNs, LossRecoveryState.Phase during) {
        stack.count(TcpCounter.SPURIOUS_RECOVERIES_UNDONE);
        undoValid = false;
        cc.onUndo(priorCwnd, priorSsthresh, nowNs);
        if (during == LossRecoveryState.Phase.RTO_RECOVERY) {
            rack.clearLost(); // the timeout was spurious: what it marked lost was not
        }
        phase = LossRecoveryState.Phase.OPEN;
        prrAllowance = 0;
    }

    /** The RACK reordering timer fired (RFC 8985 §8): look again for segments now old enough to be lost. */
    private void onReorderTimer(long nowNs) {
        stack.count(TcpCounter.RACK_REORDER_TIMEOUTS);
        rackDetectLosses(nowNs, 0, false);
    }

    /**
     * RFC 8985 §6.3 on an RTO: the episode (a new one if the connection was open) enters RTO recovery with the
     * controller's loss window; a receiver that reneged loses its SACK marks (RFC 2018 §8); the first unacknowledged
     * segment and every one outstanding for RACK.rtt + reo_wnd are lost; the first is sent again at once (RFC 6298
     * §5.4), the others as the window allows.
     */
    private void rackOnRto(long nowNs, boolean newEpisode) {
        if (newEpisode) {
            beginEpisode();
        }
        cc.onRetransmitTimeout(flightSize(), nowNs);
        phase = LossRecoveryState.Phase.RTO_RECOVERY;
        recoveryPoint = d.sndMax;
        prrAllowance = 0;
        rack.clearProbe();
        probeDeadlineNs = Long.MAX_VALUE;
        reorderDeadlineNs = Long.MAX_VALUE;
        rttTiming = false; // Karn's rule
        d.dupAckCount = 0;
        rack.clearSacksIfReneged();
        int lost = rack.markLossesOnRto(nowNs, rack.reoWndNs(true, srttNs()));
        stack.count(TcpCounter.RACK_LOST_SEGMENTS, lost);
        stack.count(TcpCounter.LOST_RETRANSMITS, rack.lastNewlyLostRetransmissions());
        if (rack.count() > 0 && (rack.flags(0) & RackScoreboard.SACKED) == 0) {
            sendRange(nowNs, d.sndUna, Math.min(rack.end(0) - d.sndUna, segmentPayloadLimit()), null);
        }
    }

    /** RACK-TLP: bytes congestion control lets out now — PRR's allowance in fast recovery, else cwnd − in flight. */
    private long rackCongestionRoom() {
        if (phase == LossRecoveryState.Phase.FAST_RECOVERY && config.prr) {
            return prrAllowance;
        }
        return cc.cwnd() - rack.inFlight();
    }

    /** Books a transmission in the RACK record (RFC 8985 §6.1), PRR's prr_out and the episode's retransmissions. */
    private void rackNoteSent(int seq, int length, long nowNs) {
        int retransmitted = rack.onTransmit(seq, length, nowNs);
        if (phase == LossRecoveryState.Phase.FAST_RECOVERY && config.prr) {
            prr.onSent(length);
            prrAllowance -= length;
        }
        if (phase == LossRecoveryState.Phase.FAST_RECOVERY) {
            probeArmRequested = true; // the recovery probe's PTO counts from the last transmission too
        }
        if (retransmitted > 0 && undoValid && phase != LossRecoveryState.Phase.OPEN) {
            undoRetrans++;
            if (!undoTsValid && constants.timestamps()) {
                undoTsValid = true;
                undoTsVal = tsNow(nowNs);
            }
        }
    }

    /**
     * RFC 8985: what RACK (or the RTO) deemed lost goes out first, lowest first, while congestion control allows
     * and inside the peer's window. Only below SND.NXT: after a go-back the output resends the rest in order.
     */
    private boolean rackRetransmitLost(long nowNs) {
        boolean sent = false;
        int from = d.sndUna;
        int rightEdge = d.sndUna + (int) Math.min(d.sndWnd, Integer.MAX_VALUE);
        for (int guard = 0; guard < 1024; guard++) {
            int k = rack.firstLost(from, d.sndNxt);
            if (k < 0) {
                break;
            }
            int start = Seq.max(rack.start(k), from);
            // A lost run goes out again as TSO super-segments where the output takes them, as much of it as
            // congestion control allows in whole segments: one frame (and one ACK back) instead of one per SMSS
            int mss = segmentPayloadLimit();
            int len = Math.min(rack.end(k) - start, tsoBurst(mss));
            len = Math.min(len, rightEdge - start);
            long room = rackCongestionRoom();
            if (len > mss && room < len) {
                len = (int) Math.max(mss, room / mss * mss);
            }
            if (len <= 0 || (room < len && !firstRetransmissionDue)) {
                break;
            }
            firstRetransmissionDue = false;
            sendRange(nowNs, start, len, null);
            sent = true;
            from = start + len;
        }
        return sent;
    }

    /**
     * RFC 8985 §7.2: whether a loss probe may be scheduled — open (no recovery, nothing SACKed or lost), no probe
     * episode open, an RTT measured, data outstanding under a running, not backed-off RTO, and no reordering timer
     * (§8: the timers exclude each other). Not once our FIN is out: see {@link #finInFlight()}.
     */
    private boolean rackProbeAllowed() {
        return phase == LossRecoveryState.Phase.OPEN && !rack.tlpPending() && rack.sackedBytes() == 0
                && rack.lostBytes() == 0 && d.sRtt8 != 0 && d.sndMax != d.sndUna && armedKind == RtxKind.RETRANSMIT
                && d.retransmitCount == 0 && d.retransmitDeadlineNs != Long.MAX_VALUE
                && reorderDeadlineNs == Long.MAX_VALUE && d.state.isSynchronized() && !finInFlight();
    }

    /**
     * True when our FIN has been sent and is not yet acknowledged. A FIN tail is left to the RTO, as the classic TLP
     * leaves it: the probe would be the FIN segment again, and a probe made spurious by a queue (the PTO is only
     * 2·SRTT) arrives after the original FIN — at a peer already in TIME-WAIT when we are in LAST-ACK, which
     * acknowledges it (RFC 9293 §3.10.7.4) after we have closed on its first ACK, so we answer with an RST
     * (§3.10.7.1): a normal close would end in a reset. The RTO, at least 200 ms, is not made spurious by a queue.
     */
    private boolean finInFlight() {
        return d.state.finUnacknowledged() && d.sndMax - d.sndUna == sendBuffer.length() + 1;
    }

    /**
     * RFC 8985 §7.2 TLP_calc_PTO, (re)armed after new data went out or SND.UNA advanced: 2·SRTT, plus the peer's
     * worst-case delayed ACK when one segment is in flight, plus {@link #TLP_MIN_SLACK_NS}; never after the RTO.
     */
    private void rackRearmProbe(long nowNs) {
        boolean requested = probeArmRequested;
        probeArmRequested = false;
        if (phase == LossRecoveryState.Phase.FAST_RECOVERY) {
            // the recovery probe (rackSendRecoveryProbe): a PTO from the last ACK that delivered anything
            if (!recoveryProbeAllowed()) {
                probeDeadlineNs = Long.MAX_VALUE;
            } else if (requested || (probeDeadlineNs == Long.MAX_VALUE && !recoveryProbeOut)) {
                probeDeadlineNs = Math.min(nowNs + 2 * srttNs() + Math.max(TLP_MIN_SLACK_NS, tickNs),
                        d.retransmitDeadlineNs);
            }
            return;
        }
        if (!rackProbeAllowed()) {
            probeDeadlineNs = Long.MAX_VALUE;
            return;
        }
        if (!requested) {
            return;
        }
        long ptoNs = 2 * srttNs();
        if (flightSize() <= sendMss()) {
            ptoNs += WORST_CASE_DELAYED_ACK_NS;
        }
        ptoNs += Math.max(TLP_MIN_SLACK_NS, tickNs);
        probeDeadlineNs = Math.min(nowNs + ptoNs, d.retransmitDeadlineNs);
    }

    /**
     * RFC 8985 §7.3 TLP_send_probe: a probe to provoke an ACK whose SACK lets RACK see the tail — the next new data
     * (up to two SMSS, see below) if the peer's window takes it (whatever cwnd says), else the highest-sequence
     * segment sent again — then the RTO restarts from now.
     */
    private void rackSendProbe(long nowNs) {
        if (phase == LossRecoveryState.Phase.FAST_RECOVERY) {
            rackSendRecoveryProbe(nowNs);
            return;
        }
        if (phase != LossRecoveryState.Phase.OPEN || armedKind != RtxKind.RETRANSMIT || d.sndMax == d.sndUna
                || !d.state.isSynchronized() || rack.tlpPending() || d.retransmitCount > 0 || finInFlight()) {
            return;
        }
        int sent = d.sndNxt - d.sndUna;
        int unsent = sendBuffer.length() - sent;
        if (unsent > 0 && d.sndNxt == d.sndMax && d.sndWnd > sent) {
            // Two full-sized segments where there are that many: a receiver that got the tail and lost only its ACK
            // sees the probe in order, and holds the ACK of a lone segment for its delayed-ACK time (40 ms on Linux,
            // up to 200 ms by RFC 8985 §7.2's WCDelAckT) but must ACK every second full-sized one at once (RFC 5681
            // §4.2; Linux __tcp_ack_snd_check). Linux's probe is one whole skb, often more than one SMSS, too.
            int piece = segmentPayloadLimit();
            int len = (int) Math.min(Math.min(2L * piece, unsent), d.sndWnd - sent);
            int start = d.sndNxt;
            int chunk = segmentationOffloadBytes >= len ? len : Math.min(piece, len); // one TSO frame, or two
            for (int off = 0; off < len; off += chunk) {
                int n = Math.min(chunk, len - off);
                emit(nowNs, start + off, TcpFlags.ACK | (off + n == unsent ? TcpFlags.PSH : 0), sent + off, n);
            }
            rack.onTransmit(start, len, nowNs);
            d.sndNxt += len;
            d.sndMax = d.sndNxt;
            lastDataSentNs = nowNs;
            rack.onProbeSent(start, d.sndNxt, false);
        } else {
            int start = d.sndMax - Math.min(segmentPayloadLimit(), d.sndMax - d.sndUna);
            sendRange(nowNs, start, d.sndMax - start, null);
            rack.onProbeSent(start, d.sndMax, true);
        }
        stack.count(TcpCounter.TAIL_LOSS_PROBES);
        d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
        armedKind = RtxKind.RETRANSMIT;
    }

    /**
     * Whether the recovery probe may be armed: fast recovery with data outstanding under a running, not backed-off
     * RTO, an RTT measured, and not with our FIN out ({@link #finInFlight()}).
     */
    private boolean recoveryProbeAllowed() {
        return d.sRtt8 != 0 && d.sndMax != d.sndUna && armedKind == RtxKind.RETRANSMIT && d.retransmitCount == 0
                && d.retransmitDeadlineNs != Long.MAX_VALUE && d.state.isSynchronized() && !finInFlight();
    }

    /**
     * Fast recovery went a PTO (2·SRTT + 2 ms) after its last transmission without any ACK that delivered
     * anything: the ACK clock stopped. RFC 8985 sends no tail loss
     * probe in recovery and leaves this to the RTO, whose 200 ms floor is hundreds of round trips on a LAN; on a
     * path that drops whole TSO frames it was the largest cost left of a 1 % loss rate (issue 9: a lost
     * retransmission or a lost last flight, with nothing sent after it for RACK to compare against, or a PRR
     * allowance below one segment with every ACK of the flight lost). One segment goes instead: the first one RACK
     * has marked lost, else the one at SND.UNA (what the RTO would resend) — its ACK restarts the clock, and a
     * retransmission it shows lost is found by RACK's time order. No window reduction beyond the recovery's own;
     * the RTO restarts from now, and stays the last resort if the probe's ACK does not come either.
     */
    private void rackSendRecoveryProbe(long nowNs) {
        if (!recoveryProbeAllowed() || armedKind != RtxKind.RETRANSMIT) {
            return;
        }
        int k = rack.firstLost(d.sndUna, d.sndNxt);
        int start = k >= 0 ? Seq.max(rack.start(k), d.sndUna) : d.sndUna;
        int end = k >= 0 ? rack.end(k) : rack.nextSackedStart(d.sndUna);
        int len = Math.min(Math.min(end - start, segmentPayloadLimit()), d.sndMax - start);
        if (len <= 0) {
            return;
        }
        sendRange(nowNs, start, len, null);
        probeArmRequested = false; // the probe itself does not re-arm it: the next silence is the RTO's
        recoveryProbeOut = true;
        stack.count(TcpCounter.RECOVERY_PROBES);
        d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
        armedKind = RtxKind.RETRANSMIT;
    }

    /** The loss-recovery extension of the delegated state (see {@link LossRecoveryState}). */
    private LossRecoveryState lossRecoveryState(long nowNs) {
        if (rack == null) {
            return LossRecoveryState.NONE;
        }
        return new LossRecoveryState(rack, nowNs, phase, recoveryPoint, prr, undoValid, undoMarker, undoRetrans,
                priorCwnd, priorSsthresh, undoTsValid, undoTsVal, probeDeadlineNs, reorderDeadlineNs);
    }

    /** Test hook: the RACK-TLP recovery phase (OPEN for connections without RACK-TLP). */
    LossRecoveryState.Phase recoveryPhase() {
        return phase;
    }

    /** Test hook: the RACK-TLP record, or null. */
    RackScoreboard rackScoreboard() {
        return rack;
    }

    private void onFinAcked(long nowNs) {
        switch (d.state) {
            case FIN_WAIT_1 -> {
                setState(TcpState.FIN_WAIT_2);
                d.retransmitDeadlineNs = nowNs + config.finWait2TimeoutNs;
                armedKind = RtxKind.FIN_WAIT_2;
            }
            case CLOSING -> enterTimeWait(nowNs);
            case LAST_ACK -> terminate(CloseReason.NORMAL, true);
            default -> {
                // FIN_WAIT_2 / TIME_WAIT: already acknowledged
            }
        }
    }

    /** RFC 9293 §3.10.7.4 seventh step: queue in-window data, then the eighth step: the FIN. */
    private void receiveData(long nowNs, TcpSegment seg) {
        int seq = seg.seq();
        int len = seg.payloadLength();
        long off = seg.payloadOffset();
        boolean fin = seg.has(TcpFlags.FIN);
        int finSeq = seq + len;
        // trim what we already have (left edge)
        int dup = d.rcvNxt - seq;
        if (dup > 0) {
            int cut = Math.min(dup, len);
            noteDuplicate(seq, seq + cut); // RFC 2883 §4: the part we already had
            off += cut;
            len -= cut;
            seq += cut;
            if (len == 0 && !(fin && finSeq == d.rcvNxt)) {
                ackNow = true; // duplicate data: acknowledge so the peer learns RCV.NXT
            }
        }
        // trim what does not fit the advertised window (right edge); a FIN beyond it is dropped too
        int right = d.rcvNxt + d.rcvWnd;
        if (len > 0 && gt(seq + len, right)) {
            len = Math.max(0, right - seq);
            fin = false;
            ackNow = true;
        }
        if (appClosed && len > 0) {
            // the application closed and will never read: acknowledge in-order bytes and discard them
            if (seq == d.rcvNxt) {
                d.rcvNxt += len;
                d.rcvWnd = Math.max(0, d.rcvWnd - len);
            }
            ackNow = true;
            len = 0;
        }
        if (len > 0) {
            int distance = seq - d.rcvNxt;
            if (distance == 0) {
                sampleReceiveRtt(nowNs, seg, len);
                receiveBuffer.store(0, seg.payloadMemory(), off, len);
                boolean hadHoles = !outOfOrder.isEmpty();
                int extra = outOfOrder.advance(len);
                advanceRcvNxt(len + extra);
                if (hadHoles) {
                    ackNow = true; // RFC 5681 §4.2: ACK at once when a segment fills (part of) a hole
                } else {
                    unackedBytes += len;
                    // "full-sized" is the peer's segment size, which a smaller path MTU or MSS makes smaller than
                    // ours: estimate it from the largest segment seen (at least the RFC 9293 default of 536)
                    largestSegmentReceived = Math.max(largestSegmentReceived, len);
                    int fullSized = Math.min(ourMss() - (constants.timestamps() ? 12 : 0),
                            Math.max(DEFAULT_MSS_IPV4, largestSegmentReceived));
                    if (unackedBytes >= 2 * fullSized) {
                        ackNow = true; // RFC 5681 §4.2 / RFC 1122 §4.2.3.2: every second full-sized segment
                    } else if (delayedAckDeadlineNs == Long.MAX_VALUE) {
                        delayedAckDeadlineNs = nowNs + config.delayedAckNs;
                    }
                }
                pendingEvents |= EVENT_READABLE;
            } else {
                noteOutOfOrderDuplicate(distance, distance + len);
                if (outOfOrder.add(distance, distance + len)) {
                    receiveBuffer.store(distance, seg.payloadMemory(), off, len);
                    noteSackBlock(seq);
                } else {
                    stack.count(TcpCounter.DROP_OUT_OF_ORDER_FULL);
                }
                ackNow = true; // RFC 5681 §4.2: immediate duplicate ACK for out-of-order data
            }
        }
        if (fin) {
            if (finSeq == d.rcvNxt) {
                receiveFin(nowNs);
            } else if (gt(finSeq, d.rcvNxt)) {
                peerFinPending = true;
                peerFinSeq = finSeq;
            }
        }
        if (peerFinPending && peerFinSeq == d.rcvNxt && !peerFinReceived) {
            receiveFin(nowNs);
        }
    }

    /**
     * Receiver-side RTT sampling for autotuning (Linux tcp_rcv_rtt_measure_ts / tcp_rcv_rtt_measure), for an
     * in-order segment of {@code len} bytes about to be taken. With timestamps, the segment's TSecr is the TSval of
     * an ACK of ours the sender answered, so now − TSecr is a round trip; only full-sized segments count (a small
     * one may answer an old ACK after an idle period), smoothed by 1/8. Without, the time a whole window takes to
     * arrive, least of the samples (a window cannot arrive faster than a round trip, only slower).
     */
    private void sampleReceiveRtt(long nowNs, TcpSegment seg, int len) {
        if (constants.timestamps()) {
            int fullSized = Math.min(ourMss() - TIMESTAMP_OPTION_BYTES, Math.max(DEFAULT_MSS_IPV4,
                    largestSegmentReceived));
            if (seg.hasTimestamp() && seg.tsEcr() != 0 && len >= fullSized) {
                long ticks = tsNow(nowNs) - seg.tsEcr();
                if (ticks >= 0 && ticks < Integer.MAX_VALUE) {
                    long sample = Math.max(1, ticks) * tickNs; // a tick is the clock's resolution
                    rcvRttNs = rcvRttNs == 0 ? sample : rcvRttNs + (sample - rcvRttNs) / 8;
                }
            }
            return;
        }
        if (rcvRttStartNs != Long.MIN_VALUE && geq(d.rcvNxt + len, rcvRttSeq)) {
            long sample = Math.max(1, nowNs - rcvRttStartNs);
            rcvRttNs = rcvRttNs == 0 ? sample : Math.min(rcvRttNs, sample);
            rcvRttStartNs = Long.MIN_VALUE;
        }
        if (rcvRttStartNs == Long.MIN_VALUE) {
            rcvRttStartNs = nowNs;
            rcvRttSeq = d.rcvNxt + Math.max(d.rcvWnd, ourMss()); // the window's right edge now
        }
    }

    /** The round trip receive-buffer autotuning measures over: the receiver's own estimate, else the sender's. */
    private long receiveRttNs() {
        if (rcvRttNs > 0) {
            return rcvRttNs;
        }
        return d.sRtt8 > 0 ? Math.max(1, d.sRtt8 / 8) * tickNs : 0;
    }

    /**
     * RFC 2883 §4: octets [start, end) arrived a second time; the next ACK reports them in its first SACK block
     * (D-SACK), the latest duplicate winning, so the sender can tell a spurious retransmission (RFC 3708) and
     * reordering (RFC 8985 §6.2 step 4) from a loss. That ACK goes at once, not delayed: a duplicate means the
     * sender retransmitted, and the report is what its undo and reordering window wait for.
     */
    private void noteDuplicate(int start, int end) {
        if (constants.sack() && config.dsack && lt(start, end)) {
            dsackPending = true;
            dsackStart = start;
            dsackEnd = end;
            ackNow = true;
        }
    }

    /** A segment refused as old: its data, if it lies wholly below RCV.NXT (not far), is a duplicate. */
    private void noteOldDuplicate(TcpSegment seg) {
        int len = seg.payloadLength();
        int end = seg.seq() + len;
        if (len > 0 && leq(end, d.rcvNxt) && d.rcvNxt - seg.seq() <= MAX_RECEIVE_WINDOW_BYTES) {
            noteDuplicate(seg.seq(), end);
        }
    }

    /** Out-of-order octets [from, to) (offsets from RCV.NXT): the part already held is a duplicate. */
    private void noteOutOfOrderDuplicate(int from, int to) {
        for (int i = 0; i < outOfOrder.count(); i++) {
            int start = Math.max(from, outOfOrder.start(i));
            int end = Math.min(to, outOfOrder.end(i));
            if (start < end) {
                noteDuplicate(d.rcvNxt + start, d.rcvNxt + end);
                return;
            }
        }
    }

    private void advanceRcvNxt(int n) {
        receiveBuffer.commit(n);
        d.rcvNxt += n;
        d.rcvWnd = Math.max(0, d.rcvWnd - n);
    }

    /** RFC 9293 §3.10.7.4 eighth step: the FIN bit, in order. */
    private void receiveFin(long nowNs) {
        peerFinPending = false;
        peerFinReceived = true;
        d.rcvNxt += 1;
        d.rcvWnd = Math.max(0, d.rcvWnd - 1);
        ackNow = true;
        pendingEvents |= EVENT_READABLE;
        switch (d.state) {
            case SYN_RECEIVED, ESTABLISHED -> setState(TcpState.CLOSE_WAIT);
            case FIN_WAIT_1 -> setState(TcpState.CLOSING); // our FIN not yet acknowledged (else FIN_WAIT_2)
            case FIN_WAIT_2 -> enterTimeWait(nowNs);
            default -> {
                // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT remain
            }
        }
    }

    private void enterTimeWait(long nowNs) {
        setState(TcpState.TIME_WAIT);
        d.retransmitDeadlineNs = Long.MAX_VALUE;
        probeDeadlineNs = Long.MAX_VALUE;
        reorderDeadlineNs = Long.MAX_VALUE;
        armedKind = RtxKind.NONE;
        d.keepAliveDeadlineNs = Long.MAX_VALUE;
        timeWaitDeadlineNs = nowNs + 2 * config.mslNs;
        pendingEvents |= EVENT_CLOSED;
        closeReason = CloseReason.NORMAL;
    }

    private void establish(long nowNs) {
        setState(TcpState.ESTABLISHED);
        stack.count(TcpCounter.ESTABLISHED);
        cc.init(sendMss(), nowNs);
        if (constants.sack() && config.lossDetection == TcpConfig.LossDetection.RACK_TLP) {
            rack = new RackScoreboard();
            rack.rebuild(d.sndUna, d.sndMax, sendMss(), nowNs);
        } else if (constants.sack()) {
            scoreboard = new SackScoreboard();
            scoreboard.reset(d.sndUna, d.sndMax, sendMss());
        }
        phase = LossRecoveryState.Phase.OPEN;
        recoveryPoint = d.sndMax;
        restartKeepAlive(nowNs);
        pendingEvents |= EVENT_CONNECTED | EVENT_WRITABLE;
        if (finAfterHandshake) {
            setState(TcpState.FIN_WAIT_1);
        }
        stack.established(this);
    }

    /**
     * RFC 9293 §3.10.7.4 "send an acknowledgment" for an unacceptable segment, throttled per connection: two ends
     * that each find the other's pure ACKs unacceptable (a desynchronized peer, a middlebox rewriting sequence
     * numbers) would otherwise answer each other at line rate. Only segments without data or FIN are throttled —
     * a retransmission of data we already hold means our ACK was lost, and its sender needs the answer to move on.
     * Linux does the same (tcp_oow_rate_limited, tcp_invalid_ratelimit).
     */
    private void ackUnacceptable(long nowNs, TcpSegment seg) {
        long intervalNs = config.unacceptableAckIntervalNs;
        // a SYN is never throttled here: R-BLIND-4 wants every out-of-window SYN answered, and nobody sends a SYN
        // in answer to an ACK, so SYNs cannot feed an ACK storm
        if (intervalNs > 0 && seg.payloadLength() == 0 && !seg.has(TcpFlags.FIN) && !seg.has(TcpFlags.SYN)) {
            if (nowNs - unacceptableAckSentNs < intervalNs) {
                stack.count(TcpCounter.UNACCEPTABLE_ACKS_SUPPRESSED);
                return;
            }
            unacceptableAckSentNs = nowNs;
        }
        ackNow = true;
    }

    /**
     * RFC 5961 §3.2/§4.2/§5.2 challenge ACK, under the stack-wide rate limit of RFC 5961 §7; returns whether it was
     * sent.
     */
    private boolean challengeAck(long nowNs) {
        if (stack.allowChallengeAck(nowNs)) {
            stack.count(TcpCounter.CHALLENGE_ACKS);
            sendAck();
            return true;
        }
        stack.count(TcpCounter.CHALLENGE_ACKS_SUPPRESSED);
        return false;
    }

    // =============================================================================================================
    // RTT (RFC 6298 §2, in ticks; SRTT kept ×8 and RTTVAR ×4 exactly as spec §2.7 carries them)
    // =============================================================================================================

    private void rttSample(long rttTicks) {
        long r = Math.max(0, rttTicks);
        if (d.sRtt8 == 0) {
            d.sRtt8 = Math.max(1, r * 8); // RFC 6298 §2.2
            d.rttVar4 = r * 2;
        } else {
            // RFC 6298 §2.3: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT − R'|, SRTT = 7/8 SRTT + 1/8 R'
            long err = Math.abs(d.sRtt8 - r * 8); // 8 × |SRTT − R'|
            d.rttVar4 = d.rttVar4 - d.rttVar4 / 4 + err / 8;
            d.sRtt8 = Math.max(1, d.sRtt8 - d.sRtt8 / 8 + r);
        }
    }

    private long backedOff(int shift) {
        long rto = rtoNs();
        for (int i = 0; i < shift && rto < config.maxRtoNs; i++) {
            rto <<= 1;
        }
        return Math.min(rto, config.maxRtoNs);
    }

    // =============================================================================================================
    // Output
    // =============================================================================================================

    private long flightSize() {
        return Integer.toUnsignedLong(d.sndMax - d.sndUna);
    }

    /**
     * Most data bytes one emitted segment carries: with segmentation offload (TSO) a whole number of {@code mss}
     * pieces up to what the offload takes, but at most half of min(cwnd, peer window) and at least two pieces
     * ({@link #TSO_FRAMES_PER_WINDOW}); without it one {@code mss}.
     */
    private int tsoBurst(int mss) {
        int burst = segmentationOffloadBytes > mss ? segmentationOffloadBytes / mss * mss : mss;
        if (burst > 2 * mss) {
            long window = Math.min(cc.cwnd(), d.sndWnd) / TSO_FRAMES_PER_WINDOW;
            burst = (int) Math.max(2L * mss, Math.min(burst, window / mss * mss));
        }
        return burst;
    }

    /** Sends whatever the windows, Nagle and SWS avoidance allow, then a pending ACK if nothing carried it. */
    private void output(long nowNs) {
        if (inInput) {
            return;
        }
        boolean sentSomething = false;
        if (scoreboard != null && scoreboard.inRecovery() && d.state.isSynchronized()
                && armedKind != RtxKind.PERSIST) {
            sentSomething = sackRecoveryOutput(nowNs);
        } else if (d.state.isSynchronized() && d.state != TcpState.TIME_WAIT && armedKind != RtxKind.PERSIST) {
            int mss = segmentPayloadLimit();
            // With segmentation offload one emitted segment may stand for several full-sized ones (TSO); the
            // offload cuts it back into MSS pieces, so Nagle and SWS below still reason in MSS units.
            int burst = tsoBurst(mss);
            if (d.sndMax == d.sndUna && sendBuffer.length() > 0 && nowNs - lastDataSentNs > rtoNs()
                    && lastDataSentNs != 0) {
                cc.onIdleRestart(nowNs); // RFC 5681 §4.1: idle longer than an RTO → restart window
                lastDataSentNs = nowNs;
            }
            if (rack != null) {
                sentSomething = rackRetransmitLost(nowNs); // RFC 8985: lost segments before new data
            }
            while (true) {
                if (rack != null && lt(d.sndNxt, d.sndMax)) {
                    // a go-back resends in order, but not what the peer SACKed
                    int skip = rack.sackedRunEnd(d.sndNxt);
                    if (skip != d.sndNxt) {
                        d.sndNxt = skip;
                        continue;
                    }
                }
                int sent = d.sndNxt - d.sndUna;
                int bufLen = sendBuffer.length();
                int unsent = Math.max(0, bufLen - sent);
                boolean finPending = d.state.finUnacknowledged() && sent <= bufLen;
                long usable;
                if (rack != null) {
                    // RFC 8985 counts the flight without SACKed and lost segments (as Linux's packets_in_flight)
                    usable = Math.max(0, Math.min(d.sndWnd - Integer.toUnsignedLong(sent), rackCongestionRoom()));
                } else {
                    long wnd = Math.min(d.sndWnd, cc.cwnd());
                    usable = Math.max(0, wnd - Integer.toUnsignedLong(sent));
                }
                if (forceSend && usable == 0 && !sentSomething) {
                    usable = 1; // a timeout into a zero window: one octet (or the FIN) probes it
                }
                int len = (int) Math.min(Math.min(burst, unsent), usable);
                boolean retransmitting = lt(d.sndNxt, d.sndMax);
                if (rack != null && retransmitting) {
                    len = Math.min(len, rack.nextSackedStart(d.sndNxt) - d.sndNxt);
                }
                boolean fin = finPending && len == unsent && usable > len;
                if (len == 0 && !fin) {
                    break;
                }
                if (len < mss && !fin && !retransmitting && !forceSend) {
                    // RFC 1122 §4.2.3.4: send a short segment only if it is all we have and Nagle allows it
                    // (nothing unacknowledged, or Nagle off), or it is at least half the largest window seen
                    boolean all = len == unsent;
                    boolean nagleOk = !cached.naglingEnabled() || d.sndNxt == d.sndUna;
                    boolean swsOk = d.maxSndWnd > 0 && len >= d.maxSndWnd / 2;
                    if (!((all && nagleOk) || swsOk)) {
                        break;
                    }
                }
                int flags = TcpFlags.ACK | (fin ? TcpFlags.FIN : 0) | (len > 0 && len == unsent ? TcpFlags.PSH : 0);
                if (retransmitting) {
                    stack.count(TcpCounter.RETRANSMITTED_SEGMENTS);
                } else if (!rttTiming && !constants.timestamps() && len > 0 && d.retransmitCount == 0) {
                    rttTiming = true; // RFC 6298 §3: time one segment per RTT (not a retransmission: Karn)
                    rttSeq = d.sndNxt;
                    rttStartNs = nowNs;
                }
                emit(nowNs, d.sndNxt, flags, sent, len);
                if (len > 0) {
                    lastDataSentNs = nowNs;
                }
                if (scoreboard != null) {
                    scoreboard.onTransmit(d.sndNxt, len + (fin ? 1 : 0));
                } else if (rack != null) {
                    rackNoteSent(d.sndNxt, len + (fin ? 1 : 0), nowNs);
                    if (!retransmitting) {
                        probeArmRequested = true; // RFC 8985 §7.2: new data (re)starts the PTO
                    }
                }
                d.sndNxt += len + (fin ? 1 : 0);
                if (gt(d.sndNxt, d.sndMax)) {
                    d.sndMax = d.sndNxt;
                }
                sentSomething = true;
                if (fin) {
                    break;
                }
            }
        }
        if (!sentSomething && ackNow && d.state != TcpState.CLOSED) {
            sendAck();
        }
        ackNow = false;
        forceSend = false;
        prrAllowance = 0; // PRR's sndcnt is for the event that computed it (RFC 6937 §3: per ACK)
        firstRetransmissionDue = false;
    }

    /**
     * RFC 6675 §5 step C: while cwnd − pipe ≥ SMSS, send what NextSeg() picks (lost holes first, then new data,
     * then other unSACKed data, then one rescue retransmission).
     */
    private boolean sackRecoveryOutput(long nowNs) {
        SackScoreboard sb = scoreboard;
        int mss = sendMss();
        boolean sent = false;
        for (int guard = 0; guard < 1024 && cc.cwnd() - sb.pipe() >= mss; guard++) {
            int bufLen = sendBuffer.length();
            int sentBytes = d.sndMax - d.sndUna;
            long windowRoom = Math.max(0, d.sndWnd - Integer.toUnsignedLong(sentBytes));
            long newAllowed = Math.max(0, Math.min(bufLen - sentBytes, windowRoom));
            SackScoreboard.Rule rule = sb.nextSeg(newAllowed);
            if (rule == SackScoreboard.Rule.NONE) {
                break;
            }
            sendRange(nowNs, sb.nextSegStart(), sb.nextSegLength(), rule);
            sent = true;
        }
        return sent;
    }

    /**
     * Sends sequence range [start, start+len) from the send buffer (a FIN octet included if the range covers it);
     * {@code rule} is the RFC 6675 NextSeg() rule for the SACK scoreboard (null for RACK-TLP).
     */
    private void sendRange(long nowNs, int start, int len, SackScoreboard.Rule rule) {
        int bufLen = sendBuffer.length();
        int index = start - d.sndUna;
        int limit = segmentPayloadLimit();
        if (rule == null && rack != null) {
            limit = tsoBurst(limit); // RACK retransmits lost runs as super-segments of limit-sized pieces
        }
        if (len > limit) {
            len = limit; // SACK option bytes leave less room than the scoreboard's SMSS
        }
        int dataLen = Math.max(0, Math.min(len, bufLen - index));
        boolean fin = d.state.finUnacknowledged() && start + len == d.sndUna + bufLen + 1;
        if (dataLen == 0 && !fin) {
            return;
        }
        boolean retransmission = lt(start, d.sndMax);
        if (retransmission) {
            stack.count(TcpCounter.RETRANSMITTED_SEGMENTS);
            rttTiming = false; // Karn
            if (start == d.sndUna) {
                headRetransmitted = true;
                headRetransmitSndMax = d.sndMax;
            }
        }
        emit(nowNs, start, TcpFlags.ACK | (fin ? TcpFlags.FIN : 0), index, dataLen);
        if (scoreboard != null) {
            scoreboard.onTransmit(start, dataLen + (fin ? 1 : 0), rule);
        } else if (rack != null) {
            rackNoteSent(start, dataLen + (fin ? 1 : 0), nowNs);
        }
        int end = start + dataLen + (fin ? 1 : 0);
        if (gt(end, d.sndMax)) {
            d.sndMax = end;
        }
        if (gt(end, d.sndNxt)) {
            d.sndNxt = end;
        }
        if (d.retransmitDeadlineNs == Long.MAX_VALUE) {
            d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
            armedKind = RtxKind.RETRANSMIT;
        }
    }

    /**
     * Payload bytes that fit one segment now: the send MSS less the SACK option this segment will carry (RFC 2018
     * §3: 2 + 8·n bytes, padded), so the IP packet never exceeds the path MTU.
     */
    private int segmentPayloadLimit() {
        int mss = sendMss();
        if (constants.sack() && (!outOfOrder.isEmpty() || dsackPending)) {
            int blocks = Math.min(outOfOrder.count() + (dsackPending ? 1 : 0), constants.timestamps() ? 3 : 4);
            mss -= 4 + 8 * blocks;
        }
        return Math.max(1, mss);
    }

    /** Retransmits one segment at SND.UNA (fast retransmit, partial ACK), without moving SND.NXT. */
    private void retransmitHead(long nowNs) {
        int bufLen = sendBuffer.length();
        int len = Math.min(segmentPayloadLimit(), bufLen);
        boolean fin = d.state.finUnacknowledged() && len == bufLen && gt(d.sndMax, d.sndUna + bufLen);
        if (len == 0 && !fin) {
            return;
        }
        stack.count(TcpCounter.RETRANSMITTED_SEGMENTS);
        rttTiming = false; // Karn
        headRetransmitted = true;
        headRetransmitSndMax = d.sndMax;
        emit(nowNs, d.sndUna, TcpFlags.ACK | (fin ? TcpFlags.FIN : 0), 0, len);
        d.retransmitDeadlineNs = nowNs + rtoNs();
        armedKind = RtxKind.RETRANSMIT;
    }

    private void sendSyn(long nowNs, boolean withAck) {
        emitSyn(nowNs, withAck);
        d.sndNxt = iss + 1;
        if (gt(d.sndNxt, d.sndMax)) {
            d.sndMax = d.sndNxt;
        }
        if (armedKind != RtxKind.SYN) {
            armedKind = RtxKind.SYN;
            d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
        }
        if (!withAck && !rttTiming && d.retransmitCount == 0) {
            rttTiming = true;
            rttSeq = iss;
            rttStartNs = nowNs;
        }
    }

    private void emitSyn(long nowNs, boolean withAck) {
        tx.clear();
        tx.sourcePort(localPort).destinationPort(remotePort).seq(iss).flags(TcpFlags.SYN
                | (withAck ? TcpFlags.ACK : 0));
        if (withAck) {
            tx.ack(d.rcvNxt);
        }
        tx.window(Math.min(65535, d.rcvWnd)); // RFC 7323 §2.2: the SYN's window is never scaled
        tx.mss(ourMss());
        // RFC 7323 §1.3 / RFC 2018 §2: offer in SYN; answer in SYN,ACK only what the peer offered
        boolean ws = withAck ? constants.windowScaling() : config.windowScaling;
        boolean ts = withAck ? constants.timestamps() : config.timestamps;
        boolean sack = withAck ? constants.sack() : config.sack;
        if (ws) {
            tx.windowScale(withAck ? constants.rcvWindScale() : ourScale());
        }
        if (sack) {
            tx.sackPermitted(true);
        }
        if (ts) {
            tx.timestamp(tsNow(nowNs), withAck ? d.tsRecent : 0);
        }
        lastAckSent = d.rcvNxt;
        transmit();
    }

    /** A pure ACK (see the comment inside for its sequence number). */
    private void sendAck() {
        // After a go-back (RTO, PMTU decrease) SND.NXT lies behind what the peer already holds; a pure ACK with that
        // sequence number fails the peer's acceptability test (RFC 9293 §3.10.7.4) and is dropped unread — its ACK
        // and window ignored, an ACK sent back — and two retransmitting ends can lock each other in an ACK war.
        // Pure ACKs carry SND.MAX, the next new octet, as BSD's tcp_output does — but never beyond the peer's right
        // edge, SND.UNA + SND.WND (as Linux's tcp_acceptable_seq): a zero-window probe octet, or data sent before
        // the peer shrank its window, puts SND.MAX past it, and a peer whose window is zero accepts only SEG.SEQ =
        // RCV.NXT. An ACK it drops unread is an ACK that never frees its send buffer (issue 9).
        int rightEdge = d.sndUna + (int) Math.min(d.sndWnd, Integer.MAX_VALUE);
        int seq = d.state.isSynchronized() && gt(d.sndMax, rightEdge) ? rightEdge : d.sndMax;
        emit(stack.nowNs(), seq, TcpFlags.ACK, 0, 0);
    }

    /** A segment with header only, for RSTs on behalf of this connection. */
    private void emitControl(int seq, int ack, int flags) {
        tx.clear();
        tx.sourcePort(localPort).destinationPort(remotePort).seq(seq).ack(ack).flags(flags);
        if ((flags & TcpFlags.RST) != 0) {
            stack.count(TcpCounter.RESETS_SENT);
        }
        if (constants.timestamps() && (flags & TcpFlags.ACK) != 0) {
            tx.timestamp(tsNow(stack.nowNs()), d.tsRecent);
        }
        transmit();
    }

    /**
     * Builds and sends one segment with the ACK flag: {@code len} payload bytes from send-buffer index {@code
     * index}, the current window, timestamps and SACK blocks (RFC 2018 §4) as negotiated.
     */
    private void emit(long nowNs, int seq, int flags, int index, int len) {
        tx.clear();
        tx.sourcePort(localPort).destinationPort(remotePort).seq(seq).ack(d.rcvNxt).flags(flags);
        tx.window(advertiseWindow());
        if (constants.timestamps()) {
            tx.timestamp(tsNow(nowNs), d.tsRecent);
        }
        if (constants.sack() && (!outOfOrder.isEmpty() || dsackPending)) {
            // RFC 9293 §3.7.1: options and data together must fit the MSS (sendMss() already leaves room for
            // timestamps); a full-sized segment carries only the SACK blocks that fit (RFC 2018 §4 — pure ACKs
            // still carry them all), so it never exceeds the path MTU. A TSO super-segment repeats its options in
            // every piece, so it carries no D-SACK (each would be counted as another duplicate).
            int room = sendMss() - len;
            int fit = room < 12 ? 0 : (room - 4) / 8;
            addSackBlocks(Math.min(fit, constants.timestamps() ? 3 : 4), len <= segmentPayloadLimit());
        }
        if (len > 0) {
            if (sendBuffer.contiguous(index, len)) {
                tx.payload(sendBuffer.memory(), sendBuffer.offsetOf(index), len);
            } else {
                // The ring wraps inside the segment: one stack-wide scratch (the loop is single-threaded and the
                // output copies before returning) instead of a per-connection copy buffer.
                sendBuffer.copyTo(index, len, stack.scratch(len), 0);
                tx.payload(stack.scratchMemory(), 0, len);
            }
            int pieceBytes = segmentPayloadLimit();
            if (len > pieceBytes) {
                // A TSO super-segment: the output cuts it into pieces that each carry these options (SACK blocks
                // included) and this much data, so each piece fits the path MTU.
                tx.segmentBytes(pieceBytes);
            }
        }
        lastAckSent = d.rcvNxt;
        ackNow = false;
        unackedBytes = 0;
        delayedAckDeadlineNs = Long.MAX_VALUE;
        transmit();
    }

    private void transmit() {
        stack.count(TcpCounter.SEGMENTS_OUT);
        stack.output().transmit(localAddress, remoteAddress, tx, cached);
        // the payload points into the send ring, which goes back to the pool when it empties: keep no reference
        tx.payload(MemorySegment.NULL, 0, 0);
    }

    /**
     * The window to advertise (RFC 9293 §3.8.6.2.2 receiver SWS avoidance, RFC 7323 §2.3 scaling): the right edge
     * moves right only by at least min(buffer/2, MSS), and never moves left.
     */
    private int advertiseWindow() {
        int scale = constants.rcvWindScale();
        long candidate = Math.min(receiveBuffer.free(), 65535L << scale);
        candidate = (candidate >> scale) << scale;
        long current = d.rcvWnd;
        long threshold = Math.min(receiveBuffer.capacity() / 2, ourMss());
        if (candidate - current >= threshold || (candidate > current && candidate == receiveBuffer.capacity())) {
            current = candidate;
        }
        // RFC 7323 §2.3: the scaled field loses the low bits; round up when the buffer can hold the rounded-up
        // edge (so the peer's view and ours agree exactly), else down
        long units = Math.min(65535, (current + (1L << scale) - 1) >> scale);
        if ((units << scale) > receiveBuffer.free()) {
            units = current >> scale;
        }
        d.rcvWnd = (int) Math.max(current, Math.min(units << scale, receiveBuffer.free()));
        return (int) units;
    }

    private boolean windowUpdateWorthSending() {
        int scale = constants.rcvWindScale();
        long candidate = (Math.min(receiveBuffer.free(), 65535L << scale) >> scale) << scale;
        long threshold = Math.min(receiveBuffer.capacity() / 2, ourMss());
        // RFC 1122 §4.2.3.3: update once the window can grow by a full MSS or half the buffer, and only when the
        // current one is small enough that the peer may be waiting for it
        return candidate - d.rcvWnd >= threshold && d.rcvWnd < receiveBuffer.capacity() / 2;
    }

    private void noteSackBlock(int seq) {
        // RFC 2018 §4: the first block reports the most recently received segment; keep a most-recent-first list
        int n = Math.min(sackRecentCount, sackRecent.length - 1);
        System.arraycopy(sackRecent, 0, sackRecent, 1, n);
        sackRecent[0] = seq;
        sackRecentCount = n + 1;
    }

    private void addSackBlocks(int max, boolean dsackAllowed) {
        int used = 0;
        long usedMask = 0;
        if (dsackPending && dsackAllowed && max > 0) {
            // RFC 2883 §4: the D-SACK block first, then the block holding it if the duplicate lies beyond RCV.NXT
            tx.addSack(dsackStart, dsackEnd);
            used++;
            dsackPending = false;
            stack.count(TcpCounter.DSACKS_SENT);
            int r = gt(dsackStart, d.rcvNxt) ? outOfOrder.find(dsackStart - d.rcvNxt) : -1;
            if (r >= 0 && r < 64 && used < max) {
                usedMask |= 1L << r;
                tx.addSack(d.rcvNxt + outOfOrder.start(r), d.rcvNxt + outOfOrder.end(r));
                used++;
            }
        }
        for (int i = 0; i < sackRecentCount && used < max; i++) {
            int r = outOfOrder.find(sackRecent[i] - d.rcvNxt);
            if (r >= 0 && (usedMask & (1L << r)) == 0) {
                usedMask |= 1L << r;
                tx.addSack(d.rcvNxt + outOfOrder.start(r), d.rcvNxt + outOfOrder.end(r));
                used++;
            }
        }
        for (int r = outOfOrder.count() - 1; r >= 0 && used < max; r--) {
            if (r < 64 && (usedMask & (1L << r)) == 0) {
                usedMask |= 1L << r;
                tx.addSack(d.rcvNxt + outOfOrder.start(r), d.rcvNxt + outOfOrder.end(r));
                used++;
            }
        }
    }

    /** Our timestamp clock (spec §6.10: ticks of TicksPerSecond plus this connection's delta). */
    private int tsNow(long nowNs) {
        return (int) (nowNs / tickNs + d.tsOffsetTicks);
    }

    // =============================================================================================================
    // Timers: one wheel entry per connection, armed for the earliest of its deadlines
    // =============================================================================================================

    /** Which meaning the retransmit timer should have now (spec §6.1, §6.3, §6.5 share one timer). */
    private RtxKind rtxKind() {
        switch (d.state) {
            case SYN_SENT, SYN_RECEIVED -> {
                return RtxKind.SYN;
            }
            case FIN_WAIT_2 -> {
                return RtxKind.FIN_WAIT_2;
            }
            case CLOSED, LISTEN, TIME_WAIT -> {
                return RtxKind.NONE;
            }
            default -> {
                int bufLen = sendBuffer.length();
                int sent = d.sndNxt - d.sndUna;
                boolean somethingToSend = bufLen - sent > 0 || (d.state.finUnacknowledged() && sent <= bufLen);
                // nothing outstanding (a zero-window probe byte aside) yet data waits: the window is zero or too
                // small for SWS avoidance to use — persist, or nobody would ever speak again if the peer's window
                // update is lost (RFC 9293 §3.8.6.1, RFC 1122 §4.2.3.4 override timeout). With a zero window, what
                // is outstanding lies beyond it (processAck went back to SND.UNA): persist too (RFC 9293 §3.8.6)
                if (d.sndNxt == d.sndUna && somethingToSend
                        && (Integer.toUnsignedLong(d.sndMax - d.sndUna) <= 1 || d.sndWnd == 0)) {
                    return RtxKind.PERSIST;
                }
                return d.sndMax != d.sndUna ? RtxKind.RETRANSMIT : RtxKind.NONE;
            }
        }
    }

    private void updateRetransmitTimer(long nowNs) {
        RtxKind kind = rtxKind();
        if (kind == armedKind && (kind == RtxKind.NONE || d.retransmitDeadlineNs != Long.MAX_VALUE)) {
            return;
        }
        switch (kind) {
            case NONE -> d.retransmitDeadlineNs = Long.MAX_VALUE;
            case RETRANSMIT -> d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
            case PERSIST -> {
                // spec §6.3 step 1: zero window seen — round 0, persist = RTO
                d.sndWndProbeCount = 0;
                d.retransmitCount = 0;
                d.retransmitDeadlineNs = nowNs + backedOff(0);
            }
            case FIN_WAIT_2 -> d.retransmitDeadlineNs = nowNs + config.finWait2TimeoutNs;
            case SYN -> d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
        }
        armedKind = kind;
    }

    private void restartKeepAlive(long nowNs) {
        mitigationKeepAlive = false;
        d.keepAliveProbeCount = 0;
        if (cached.keepAliveEnabled() && d.state.isSynchronized() && d.state != TcpState.TIME_WAIT) {
            d.keepAliveDeadlineNs = nowNs + cached.kaTimeoutTicks() * tickNs;
        } else {
            d.keepAliveDeadlineNs = Long.MAX_VALUE;
        }
    }

    /**
     * RFC 8985 §7.2: (re)arms the probe timeout after new data went out or SND.UNA advanced — PTO = 2·SRTT, plus
     * a worst-case delayed ACK when one segment is in flight, at least {@link #MIN_PTO_NS} — unless the RTO comes
     * first anyway, a probe is already out, the connection is recovering (SACK/NewReno or after an RTO), or no RTT
     * was measured yet.
     */
    private void armTailLossProbe() {
        if (!config.tailLossProbe || armedKind != RtxKind.RETRANSMIT || d.retransmitCount > 0 || probeOutstanding
                || inRecovery || (scoreboard != null && scoreboard.inRecovery()) || d.sRtt8 == 0
                || d.sndMax == d.sndUna || d.retransmitDeadlineNs == Long.MAX_VALUE) {
            probeDeadlineNs = Long.MAX_VALUE;
            return;
        }
        long srttNs = d.sRtt8 * tickNs / 8;
        long ptoNs = 2 * srttNs;
        if (Integer.toUnsignedLong(d.sndMax - d.sndUna) <= sendMss()) {
            ptoNs += WORST_CASE_DELAYED_ACK_NS; // RFC 8985 §7.2: the peer may hold a lone segment's ACK
        }
        long deadline = Math.max(lastDataSentNs, lastAckAdvanceNs) + Math.max(ptoNs, MIN_PTO_NS);
        probeDeadlineNs = deadline < d.retransmitDeadlineNs ? deadline : Long.MAX_VALUE;
    }

    /**
     * RFC 8985 §7.3: the probe timeout fired — send one segment to provoke an ACK: new data if there is some and the
     * peer's window takes it, else the last segment sent again. Its ACK (with SACK) lets ordinary recovery repair
     * the tail instead of waiting for the RTO, which is restarted from now. A FIN tail is left to the RTO.
     */
    private void onTailLossProbe(long nowNs) {
        if (armedKind != RtxKind.RETRANSMIT || d.sndMax == d.sndUna || d.retransmitCount > 0
                || !d.state.isSynchronized() || d.state.finUnacknowledged()) {
            return;
        }
        int sent = d.sndNxt - d.sndUna;
        int inFlight = d.sndMax - d.sndUna;
        int unsent = sendBuffer.length() - sent;
        if (unsent > 0 && d.sndNxt == d.sndMax && d.sndWnd > sent) {
            int len = (int) Math.min(Math.min(segmentPayloadLimit(), unsent), d.sndWnd - sent);
            emit(nowNs, d.sndNxt, TcpFlags.ACK | (len == unsent ? TcpFlags.PSH : 0), sent, len);
            if (scoreboard != null) {
                scoreboard.onTransmit(d.sndNxt, len);
            }
            d.sndNxt += len;
            d.sndMax = d.sndNxt;
            lastDataSentNs = nowNs;
        } else if (inFlight > 0 && inFlight <= sendBuffer.length()) {
            int len = Math.min(segmentPayloadLimit(), inFlight);
            int index = inFlight - len;
            stack.count(TcpCounter.RETRANSMITTED_SEGMENTS);
            rttTiming = false; // Karn
            emit(nowNs, d.sndUna + index, TcpFlags.ACK, index, len);
        } else {
            return;
        }
        stack.count(TcpCounter.TAIL_LOSS_PROBES);
        probeOutstanding = true;
        d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
    }

    private void rearmTimer() {
        if (detached || dataPath != null) {
            return; // parked: no timers run here (spec §1.2), the deadlines wait in d for unpark()/resume()
        }
        if (rack != null) {
            rackRearmProbe(stack.nowNs());
        } else {
            armTailLossProbe();
        }
        long next = Math.min(Math.min(Math.min(d.retransmitDeadlineNs, probeDeadlineNs), d.keepAliveDeadlineNs),
                Math.min(delayedAckDeadlineNs, reorderDeadlineNs));
        if (timeWaitDeadlineNs != Long.MAX_VALUE && timeWaitDeadlineNs != queuedTimeWaitNs
                && d.state != TcpState.CLOSED) {
            queuedTimeWaitNs = timeWaitDeadlineNs; // the stack's TIME_WAIT queue times it (TcpStack.queueTimeWait)
            stack.queueTimeWait(this, timeWaitDeadlineNs);
        }
        if (next == Long.MAX_VALUE || d.state == TcpState.CLOSED) {
            stack.loop().timers().cancel(timer);
        } else if (!timer.isArmed() || timer.deadlineNs() != next) {
            stack.loop().timers().schedule(timer, next);
        }
    }

    /** The stack's TIME_WAIT queue reached {@code deadlineNs}, a deadline this connection queued. */
    void onTimeWaitDeadline(long deadlineNs, long nowNs) {
        if (d.state != TcpState.TIME_WAIT || detached || dataPath != null || timeWaitDeadlineNs != deadlineNs) {
            return; // left TIME_WAIT, or restarted it (a newer entry is queued)
        }
        onTimer(nowNs);
    }

    private void onTimer(long nowNs) {
        if (d.state == TcpState.CLOSED || detached || dataPath != null) {
            return;
        }
        if (timeWaitDeadlineNs <= nowNs) {
            timeWaitDeadlineNs = Long.MAX_VALUE;
            terminate(CloseReason.NORMAL, false); // RFC 9293 §3.10.8: TIME-WAIT timeout
            dispatchEvents();
            return;
        }
        if (delayedAckDeadlineNs <= nowNs) {
            delayedAckDeadlineNs = Long.MAX_VALUE;
            stack.count(TcpCounter.DELAYED_ACKS);
            sendAck();
        }
        if (reorderDeadlineNs <= nowNs) {
            reorderDeadlineNs = Long.MAX_VALUE;
            if (rack != null) {
                onReorderTimer(nowNs);
            }
        }
        if (probeDeadlineNs <= nowNs) {
            probeDeadlineNs = Long.MAX_VALUE;
            if (rack != null) {
                rackSendProbe(nowNs); // RFC 8985 §7.2: a PTO never later than the RTO replaces it
            } else if (d.retransmitDeadlineNs > nowNs) {
                onTailLossProbe(nowNs);
            }
        }
        if (d.retransmitDeadlineNs <= nowNs) {
            d.retransmitDeadlineNs = Long.MAX_VALUE;
            onRetransmitTimer(nowNs);
        }
        if (d.state != TcpState.CLOSED && !detached && d.keepAliveDeadlineNs <= nowNs) {
            onKeepAliveTimer(nowNs);
        }
        if (d.state != TcpState.CLOSED && !detached) { // detached: a timeout handed the connection over
            output(nowNs);
            updateRetransmitTimer(nowNs);
            rearmTimer();
        }
        dispatchEvents();
    }

    private void onRetransmitTimer(long nowNs) {
        switch (armedKind) {
            case SYN -> {
                if (d.retransmitCount >= config.synRetries) {
                    timeOut(nowNs, true);
                    return;
                }
                d.retransmitCount++;
                rttTiming = false; // Karn
                stack.count(TcpCounter.RETRANSMITTED_SEGMENTS);
                d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
                emitSyn(nowNs, d.state == TcpState.SYN_RECEIVED);
            }
            case FIN_WAIT_2 -> {
                armedKind = RtxKind.NONE;
                timeOut(nowNs, true); // spec §6.5: FIN_WAIT_2 timer expiry closes the connection
            }
            case PERSIST -> {
                // spec §6.3 steps 2-4: send a window probe, back off within the round
                if (persistBudgetExhausted(nowNs)) {
                    timeOut(nowNs, true);
                    return;
                }
                if (d.sndWnd > 0) {
                    // a small window SWS avoidance refused: send what it allows (RFC 1122 §4.2.3.4 override)
                    armedKind = RtxKind.NONE;
                    d.retransmitCount = 0;
                    d.sndWndProbeCount = 0;
                    forceSend = true;
                    return;
                }
                if (d.retransmitCount == 0) {
                    d.firstRetransmitNs = nowNs; // TotalRT of this round: its probes are unanswered since then
                }
                d.retransmitCount++;
                stack.count(TcpCounter.WINDOW_PROBES);
                sendWindowProbe(nowNs);
                d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount - 1);
            }
            case RETRANSMIT -> {
                if (retransmitBudgetExhausted(nowNs)) {
                    timeOut(nowNs, true);
                    return;
                }
                if (d.retransmitCount == 0) {
                    d.firstRetransmitNs = nowNs;
                }
                // a new loss episode unless one is being repaired (fast recovery, or an earlier RTO's recovery)
                boolean newEpisode = rack != null ? phase == LossRecoveryState.Phase.OPEN
                        : !inRecovery && !(scoreboard != null && scoreboard.inRecovery())
                                && !(phase == LossRecoveryState.Phase.RTO_RECOVERY && lt(d.sndUna, recoveryPoint));
                d.retransmitCount++;
                stack.count(TcpCounter.RTO_EXPIRATIONS);
                if (newEpisode) {
                    stack.count(TcpCounter.LOSS_EPISODES);
                }
                if (rack != null && d.sndWnd > 0) {
                    rackOnRto(nowNs, newEpisode); // RFC 8985 §6.3
                    d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
                    armedKind = RtxKind.RETRANSMIT;
                    return;
                }
                if (rack != null) {
                    // a zero window: the go-back below resends from SND.UNA as a window probe
                    if (newEpisode) {
                        beginEpisode();
                    }
                    rack.clearProbe();
                    rack.markLostFrom(d.sndUna);
                    probeDeadlineNs = Long.MAX_VALUE;
                    reorderDeadlineNs = Long.MAX_VALUE;
                }
                phase = LossRecoveryState.Phase.RTO_RECOVERY;
                recoveryPoint = d.sndMax;
                probeOutstanding = false;
                headRetransmitted = false;
                // RFC 5681 §3.1 eq. 4 and RFC 6582 §4: loss window, recovery point = highest sequence sent
                cc.onRetransmitTimeout(flightSize(), nowNs);
                if (scoreboard != null) {
                    scoreboard.onRetransmitTimeout(); // RFC 6675 §5.1
                }
                inRecovery = false;
                recover = d.sndMax;
                d.dupAckCount = 0;
                rttTiming = false; // Karn's rule
                d.sndNxt = d.sndUna; // go back: resend from the first unacknowledged byte
                if (d.sndWnd == 0) {
                    // the window closed with data in flight and its reopening may have been lost: the
                    // retransmission must go out anyway as a window probe (RFC 9293 §3.8.6.1), else nothing
                    // would ever be sent again and the connection would time out against a live peer
                    forceSend = true;
                }
                // RFC 6298 §5.5-5.6: back off and restart
                d.retransmitDeadlineNs = nowNs + backedOff(d.retransmitCount);
            }
            case NONE -> {
                // stale deadline
            }
        }
    }

    /** Spec §6.1 MaxRT: 0 → retransmission count limit, -1 → none, else a time budget against TotalRT. */
    private boolean retransmitBudgetExhausted(long nowNs) {
        long maxRt = cached.maxRtTicks();
        if (maxRt == -1) {
            return false;
        }
        if (maxRt == 0) {
            return d.retransmitCount >= config.maxRetransmissions;
        }
        return d.retransmitCount > 0 && (nowNs - d.firstRetransmitNs) / tickNs >= maxRt;
    }

    /**
     * Spec §6.3: more probes in one round than TcpMaximumRetransmissions end the connection. A non-zero MaxRT
     * overrides that count with a time budget (spec §6.1), here the time the round's probes have gone unanswered
     * (an answer starts a new round), as Linux's TCP_USER_TIMEOUT bounds unanswered probes; MaxRT = -1 is no limit
     * (R-TIMER-5). A peer that answers keeps the connection open however long its window stays shut (RFC 1122
     * §4.2.2.17).
     */
    private boolean persistBudgetExhausted(long nowNs) {
        long maxRt = cached.maxRtTicks();
        if (maxRt == -1) {
            return false;
        }
        if (maxRt == 0) {
            return d.retransmitCount > config.maxRetransmissions;
        }
        return d.retransmitCount > 0 && (nowNs - d.firstRetransmitNs) / tickNs >= maxRt;
    }

    private void sendWindowProbe(long nowNs) {
        int sent = d.sndNxt - d.sndUna;
        if (sendBuffer.length() > sent) {
            // one byte beyond the zero window (RFC 9293 §3.8.6.1); it advances SND.MAX, not SND.NXT
            emit(nowNs, d.sndNxt, TcpFlags.ACK, sent, 1);
            if (scoreboard != null) {
                scoreboard.onTransmit(d.sndNxt, 1);
            } else if (rack != null) {
                rack.onTransmit(d.sndNxt, 1, nowNs);
            }
            if (gt(d.sndNxt + 1, d.sndMax)) {
                d.sndMax = d.sndNxt + 1;
            }
        } else {
            // Only a FIN waits for the window. A pure ACK at SND.NXT would be acceptable and taken silently, and
            // nothing would tell us the window; an old sequence number (SND.UNA − 1, no data, as Linux's
            // tcp_xmit_probe_skb and RFC 1122 §4.2.3.6 keepalives do) is unacceptable, so the peer must answer
            // with an ACK carrying its window (RFC 9293 §3.10.7.4).
            emit(nowNs, d.sndUna - 1, TcpFlags.ACK, 0, 0);
        }
    }

    private void onKeepAliveTimer(long nowNs) {
        int maxProbes = cached.kaProbeCount();
        long intervalNs = cached.kaIntervalTicks() * tickNs;
        if (mitigationKeepAlive && maxProbes == 0 && intervalNs == 0) {
            // spec §6.11.1 (R-BLIND-8): with both unset, mitigation probes 10 times, 1 s apart
            maxProbes = MITIGATION_DEFAULT_PROBES;
            intervalNs = MITIGATION_DEFAULT_INTERVAL_NS;
        }
        if (d.sndMax != d.sndUna) {
            // data outstanding: the retransmission timer watches the peer
            d.keepAliveDeadlineNs = nowNs + (mitigationKeepAlive ? intervalNs : cached.kaTimeoutTicks() * tickNs);
            return;
        }
        if (d.keepAliveProbeCount >= maxProbes) {
            timeOut(nowNs, false);
            return;
        }
        d.keepAliveProbeCount++;
        stack.count(TcpCounter.KEEPALIVE_PROBES);
        // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT − 1 with no data, which elicits an ACK
        emit(nowNs, d.sndNxt - 1, TcpFlags.ACK, 0, 0);
        d.keepAliveDeadlineNs = nowNs + intervalNs;
    }

    /**
     * Spec §6.11.1 (R-BLIND-7): after a challenge ACK the keepalive timer expires within {@link
     * TcpConfig.Builder#challengeKeepAliveNs} — started if idle, shortened if it would expire later — so a peer
     * that really reset (and whose RSTs we doubt) is found dead by unanswered probes; any acceptable segment ends it
     * (R-BLIND-9, {@link #restartKeepAlive}).
     */
    private void armMitigationKeepAlive(long nowNs) {
        long delayNs = config.challengeKeepAliveNs;
        if (delayNs <= 0 || !d.state.isSynchronized() || d.state == TcpState.TIME_WAIT) {
            return;
        }
        long deadlineNs = nowNs + delayNs;
        if (d.keepAliveDeadlineNs > deadlineNs) {
            d.keepAliveDeadlineNs = deadlineNs;
            mitigationKeepAlive = true;
        }
    }

    /** A limit ran out on the retransmit-class timer ({@code retransmitTimer}) or on keepalive. */
    private void timeOut(long nowNs, boolean retransmitTimer) {
        stack.count(TcpCounter.TIMEOUTS);
        if (listener.onTimeout(this, !retransmitTimer && mitigationKeepAlive)) {
            // handed over (Listener#onTimeout): stop here with the expired timer due, so an export says delta 0
            if (retransmitTimer) {
                d.retransmitDeadlineNs = nowNs;
            } else {
                d.keepAliveDeadlineNs = nowNs;
            }
            detached = true;
            stack.loop().timers().cancel(timer);
            return;
        }
        terminate(softError != null ? softError : CloseReason.TIMED_OUT, true);
    }

    // =============================================================================================================
    // Lifecycle
    // =============================================================================================================

    private void setState(TcpState s) {
        d.state = s;
        // a buffer that can no longer fill gives its storage back once empty: TIME_WAIT holds none
        switch (s) {
            case FIN_WAIT_1, FIN_WAIT_2 -> sendBuffer.finish();
            case CLOSE_WAIT -> receiveBuffer.finish();
            case CLOSING, LAST_ACK, TIME_WAIT, CLOSED -> {
                sendBuffer.finish();
                receiveBuffer.finish();
            }
            default -> {
                // SYN_SENT, SYN_RECEIVED, ESTABLISHED: both directions open
            }
        }
    }

    /** Moves to CLOSED, releases the timer and the 4-tuple, and queues the closed event if {@code notify}. */
    private void terminate(CloseReason reason, boolean notify) {
        boolean wasTimeWait = d.state == TcpState.TIME_WAIT;
        setState(TcpState.CLOSED);
        d.retransmitDeadlineNs = Long.MAX_VALUE;
        d.keepAliveDeadlineNs = Long.MAX_VALUE;
        delayedAckDeadlineNs = Long.MAX_VALUE;
        timeWaitDeadlineNs = Long.MAX_VALUE;
        probeDeadlineNs = Long.MAX_VALUE;
        reorderDeadlineNs = Long.MAX_VALUE;
        armedKind = RtxKind.NONE;
        stack.loop().timers().cancel(timer);
        stack.remove(this);
        if (closeReason == null) {
            closeReason = reason;
        }
        if (notify && !wasTimeWait) {
            pendingEvents |= EVENT_CLOSED;
        }
    }

    /** Runs output and timers after an application call made outside input processing. */
    private void afterApiCall() {
        if (inInput || detached || dataPath != null || d.state == TcpState.CLOSED) {
            return;
        }
        if (inInputCallbacks) {
            outputDeferred = true; // sent when the callbacks return (dispatchInputEvents)
            return;
        }
        long now = stack.nowNs();
        output(now);
        updateRetransmitTimer(now);
        rearmTimer();
        dispatchEvents();
    }

    private void dispatchEvents() {
        int ev = pendingEvents;
        if (ev == 0) {
            return;
        }
        pendingEvents = 0;
        if ((ev & EVENT_CONNECTED) != 0) {
            listener.onConnected(this);
        }
        if ((ev & EVENT_READABLE) != 0) {
            listener.onReadable(this);
        }
        if ((ev & EVENT_WRITABLE) != 0 && d.state.canSend() && sendBuffer.free() > 0) {
            listener.onWritable(this);
        }
        if ((ev & EVENT_CLOSED) != 0 && !closedReported) {
            closedReported = true;
            Listener l = listener;
            // no callback follows onClosed: let go of the application's objects, which a TIME_WAIT connection
            // would otherwise keep alive for 2·MSL (a channel, its handler, its request buffer: issue 9)
            listener = NO_LISTENER;
            l.onClosed(this, closeReason);
        }
    }

    /** TIME_WAIT ends early because a new SYN reuses the 4-tuple (RFC 9293 §3.10.7.4 note, RFC 6191). */
    void killTimeWait() {
        timeWaitDeadlineNs = Long.MAX_VALUE;
        terminate(CloseReason.NORMAL, false);
    }

    /** For a new SYN to a TIME_WAIT connection: is it clearly a new incarnation (RFC 6191 §2)? */
    boolean acceptsNewIncarnation(TcpSegment syn) {
        if (constants.timestamps() && syn.hasTimestamp()) {
            return gt(syn.tsVal(), d.tsRecent);
        }
        return gt(syn.seq(), d.rcvNxt);
    }

    // =============================================================================================================
    // Export / import (chimney offload and upload)
    // =============================================================================================================

    /**
     * Captures the connection for moving it to another engine. Legal in every synchronized state; TIME_WAIT (never
     * offloaded, spec §1.2) and CLOSED after the connection was synchronized serve the upload direction only: a
     * target's terminate returns the delegated state whatever it is (spec §3.2.6), which {@link #resume} accepts and
     * {@link #importFrom} refuses. A pending delayed ACK is sent first (spec §3.2.5 item 3: delayed-ACK state is not
     * carried). The connection keeps running; call {@link #detach()} when the snapshot has been imported elsewhere.
     *
     * @throws IllegalStateException before the handshake completed, or while parked
     */
    public TcpSnapshot export() {
        TcpState s = d.state;
        if (dataPath != null) {
            throw new IllegalStateException("connection is parked: its live state is on the offload target; export "
                    + "it there, then resume() this one");
        }
        if (!s.isSynchronized() && !(s == TcpState.CLOSED && cc != null)) {
            throw new IllegalStateException("export needs a synchronized connection, this one is " + s
                    + "; wait for ESTABLISHED");
        }
        long now = stack.nowNs();
        if (s != TcpState.CLOSED && flushPendingAck()) {
            rearmTimer();
        }
        stack.count(TcpCounter.EXPORTS);
        return snapshot(now, true);
    }

    /**
     * The connection's current state in any state, CLOSED and TIME_WAIT included, without side effects (no ACK is
     * flushed, nothing counted): what an offload target reports for a query (spec §3.5).
     */
    public TcpSnapshot snapshot() {
        return snapshot(stack.nowNs(), true);
    }

    /** Sends the ACK a delayed-ACK timer or an ackNow would have sent; true if there was one. */
    private boolean flushPendingAck() {
        if (delayedAckDeadlineNs != Long.MAX_VALUE || ackNow) {
            sendAck();
            return true;
        }
        return false;
    }

    /**
     * The path identity and the const, cached and delegated records as of {@code now}: the send buffer from SND.UNA
     * (spec §3.1.6), the unread received bytes if {@code withReceived} (spec §3.1.5) and the out-of-order data.
     */
    private TcpSnapshot snapshot(long now, boolean withReceived) {
        byte[] send = new byte[sendBuffer.length()];
        sendBuffer.copyTo(0, send.length, send, 0);
        byte[] received = new byte[withReceived ? receiveBuffer.readable() : 0];
        receiveBuffer.peek(0, received.length, received, 0);
        List<TcpDelegated.OutOfOrderData> ooo = new ArrayList<>();
        for (int i = 0; i < outOfOrder.count(); i++) {
            int start = outOfOrder.start(i);
            byte[] data = new byte[outOfOrder.end(i) - start];
            receiveBuffer.peek(receiveBuffer.readable() + start, data.length, data, 0);
            ooo.add(new TcpDelegated.OutOfOrderData(d.rcvNxt + start, data));
        }
        long tsRecentAge = constants.timestamps() ? (now - d.tsRecentNs) / tickNs : 0;
        long totalRt = d.retransmitCount > 0 && (armedKind == RtxKind.RETRANSMIT || armedKind == RtxKind.PERSIST)
                ? (now - d.firstRetransmitNs) / tickNs : 0;
        TcpDelegated del = new TcpDelegated(d.state, d.rcvNxt, d.rcvWnd, d.sndUna, d.sndNxt, d.sndMax, d.sndWnd,
                d.maxSndWnd, d.sndWl1, cc.cwnd(), cc.ssthresh(), d.sRtt8, d.rttVar4, d.tsRecent, tsRecentAge,
                tsNow(now), totalRt, d.dupAckCount, d.sndWndProbeCount, d.keepAliveProbeCount,
                deltaTicks(d.keepAliveDeadlineNs, now), d.retransmitCount, deltaTicks(d.retransmitDeadlineNs, now), 0,
                send, received, ooo, lossRecoveryState(now));
        return new TcpSnapshot(localAddress, remoteAddress, pathMtu, constants, cached, del);
    }

    private long deltaTicks(long deadlineNs, long nowNs) {
        if (deadlineNs == Long.MAX_VALUE) {
            return -1;
        }
        long delta = Math.max(0, deadlineNs - nowNs);
        return (delta + tickNs - 1) / tickNs;
    }

    /**
     * Copies up to {@code length} readable bytes, starting {@code skip} bytes after the first one, without
     * consuming them (an offload target indicates data to its host and consumes only what the host took, spec
     * §4.3.2); returns the count.
     */
    public int peek(int skip, byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        int n = Math.min(length, receiveBuffer.readable() - skip);
        if (skip < 0 || n <= 0) {
            return 0;
        }
        receiveBuffer.peek(skip, n, dst, offset);
        return n;
    }

    /**
     * Sends now whatever the windows allow, as after an application call: an offload target calls it right after
     * {@link #importFrom}, so the data handed over goes out at once (spec §3.1.6), retransmission range first.
     */
    public void flush() {
        afterApiCall();
    }

    /** Consumes up to {@code length} readable bytes as {@link #read} does, without copying them; returns the count. */
    public int skip(int length) {
        int n = receiveBuffer.skip(length);
        if (n > 0 && d.state.isSynchronized() && d.state != TcpState.TIME_WAIT && !peerFinReceived) {
            receiveBuffer.autotune(stack.nowNs(), receiveRttNs(), ourMss()); // as read()
            if (windowUpdateWorthSending()) {
                ackNow = true; // as read(): the window the application freed is worth announcing
                afterApiCall();
            }
        }
        return n;
    }

    /**
     * Stops this engine's copy of a connection that now lives elsewhere: no RST, no FIN, no callbacks; its
     * 4-tuple is released in the stack. A parked connection is dropped the same way (no callbacks either).
     */
    public void detach() {
        detached = true;
        dataPath = null;
        stack.loop().timers().cancel(timer);
        stack.remove(this);
    }

    /**
     * Rebuilds a connection from {@code snapshot} in {@code stack} (on that stack's loop and clock: timer deltas
     * are relative, spec §6.0) and carries on where the exporter stopped.
     *
     * @throws IllegalArgumentException if the snapshot does not fit this stack (buffers too small, tuple in use)
     */
    public static TcpConnection importFrom(TcpSnapshot snapshot, TcpStack stack, Listener listener) {
        TcpDelegated del = snapshot.delegated();
        TcpConst k = snapshot.constants();
        if (!del.state().isSynchronized() || del.state() == TcpState.TIME_WAIT) {
            throw new IllegalArgumentException("cannot import a connection in " + del.state());
        }
        TcpConnection c = new TcpConnection(stack, snapshot.localAddress(), k.localPort(), snapshot.remoteAddress(),
                k.remotePort(), snapshot.pathMtu(), snapshot.cached());
        long needRcv = (long) del.receivedDataLength() + Integer.toUnsignedLong(del.rcvWnd());
        if (needRcv > c.receiveBuffer.maxCapacity() || del.sendDataLength() > c.sendBuffer.maxCapacity()) {
            throw new IllegalArgumentException("snapshot needs " + needRcv + " receive / " + del.sendDataLength()
                    + " send buffer bytes, this stack has " + c.receiveBuffer.maxCapacity() + " / "
                    + c.sendBuffer.maxCapacity() + "; raise receiveBufferBytes/sendBufferBytes");
        }
        // the window the exporter advertised must stay covered (RFC 9293 §3.8.6.2.2), the data it held must fit
        c.receiveBuffer.grow((int) needRcv);
        c.sendBuffer.expandTo(del.sendDataLength());
        c.constants = k;
        byte[] send = del.sendData();
        c.sendBuffer.write(send, 0, send.length);
        byte[] received = del.receivedData();
        c.receiveBuffer.append(received, 0, received.length);
        c.applyDelegated(del, stack.nowNs());
        c.listener(listener);
        stack.add(c);
        stack.count(TcpCounter.IMPORTS);
        c.rearmTimer();
        return c;
    }

    /**
     * Applies every delegated variable of {@code del} in place — the one routine behind {@link #importFrom} (a fresh
     * engine) and {@link #resume} (the host engine taking its connection back, spec §3.2.10): timer deltas become
     * deadlines on this loop's clock (−1 = off, 0 = due now), TsTime sets this engine's timestamp offset (StackDelta
     * = TsTime − StackTime, spec §6.10), SRtt and RttVar stay scaled ×8 and ×4 as kept, the out-of-order data goes
     * after the readable bytes, and every engine helper the spec does not carry is rebuilt as the class Javadoc
     * says. The send and receive buffers already hold their data; {@link #constants} are set.
     */
    private void applyDelegated(TcpDelegated del, long now) {
        DelegatedState s = d;
        s.state = del.state();
        s.rcvNxt = del.rcvNxt();
        s.rcvWnd = del.rcvWnd();
        s.sndUna = del.sndUna();
        s.sndNxt = del.sndNxt();
        s.sndMax = del.sndMax();
        s.sndWnd = del.sndWnd();
        s.maxSndWnd = del.maxSndWnd();
        s.sndWl1 = del.sndWl1();
        s.sRtt8 = del.sRtt();
        s.rttVar4 = del.rttVar();
        s.tsRecent = del.tsRecent();
        s.tsRecentNs = now - del.tsRecentAge() * tickNs;
        s.tsOffsetTicks = (long) del.tsTime() - now / tickNs;
        s.firstRetransmitNs = now - del.totalRt() * tickNs;
        s.dupAckCount = del.dupAckCount();
        s.sndWndProbeCount = del.sndWndProbeCount();
        s.keepAliveProbeCount = del.keepAliveProbeCount();
        s.keepAliveDeadlineNs = del.keepAliveTimeoutDelta() < 0 ? Long.MAX_VALUE
                : now + del.keepAliveTimeoutDelta() * tickNs;
        s.retransmitCount = del.retransmitCount();
        s.retransmitDeadlineNs = del.retransmitTimeoutDelta() < 0 ? Long.MAX_VALUE
                : now + del.retransmitTimeoutDelta() * tickNs;
        cc = config.newCongestionControl(constants.sack());
        cc.init(sendMss(), now);
        cc.restore(del.cWnd(), del.ssThresh(), now);
        outOfOrder.clear();
        sackRecentCount = 0;
        for (TcpDelegated.OutOfOrderData o : del.outOfOrder()) {
            int distance = o.seq() - s.rcvNxt;
            if (distance > 0 && (long) distance + o.length() <= receiveBuffer.free()
                    && outOfOrder.add(distance, distance + o.length())) {
                receiveBuffer.store(distance, MemorySegment.ofArray(o.data()), 0, o.length());
                noteSackBlock(o.seq());
            }
        }
        // derivable helpers (class Javadoc)
        sndWl2 = s.sndUna;
        lastDataSentNs = now;
        lastAckSent = s.rcvNxt;
        // Without SACK, a delegated DupAckCount at the threshold means the exporter entered NewReno fast recovery
        // (RFC 6582 §3.2 step 2) and saw no new ACK since (one resets the count): recover on, so a partial ACK
        // retransmits the next hole at once (step 4). RFC 6582's careful variant guards SND.MAX after a timeout,
        // which the delegated retransmit count shows. Otherwise nothing sent so far is under a recovery's guard,
        // and three duplicate ACKs for SND.UNA start fast retransmit here as they would have there.
        boolean recovering = !constants.sack() && s.dupAckCount >= 3 && s.sndMax != s.sndUna;
        recover = recovering || s.retransmitCount > 0 ? s.sndMax : s.sndUna - 1;
        inRecovery = recovering;
        rttTiming = false;
        ackNow = false;
        forceSend = false;
        probeDeadlineNs = Long.MAX_VALUE;
        probeOutstanding = false;
        lastAckAdvanceNs = 0;
        headRetransmitted = false;
        unackedBytes = 0;
        largestSegmentReceived = 0;
        delayedAckDeadlineNs = Long.MAX_VALUE;
        peerFinPending = false;
        rstChallengeSent = false;
        synChallengeSentNs = Long.MIN_VALUE / 4;
        unacceptableAckSentNs = Long.MIN_VALUE / 4;
        reachabilityConfirmedNs = Long.MIN_VALUE / 4;
        softError = null;
        // a keepalive timer running with keepalive disabled can only be blind-attack mitigation (spec §6.11.1)
        mitigationKeepAlive = !cached.keepAliveEnabled() && s.keepAliveDeadlineNs != Long.MAX_VALUE;
        peerFinReceived = switch (s.state) {
            case CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT -> true;
            default -> false;
        };
        timeWaitDeadlineNs = Long.MAX_VALUE;
        if (s.state == TcpState.TIME_WAIT) {
            // only a terminate returns TIME_WAIT (spec §1.2: it stays with the host): a full 2 MSL from here
            s.retransmitDeadlineNs = Long.MAX_VALUE;
            s.keepAliveDeadlineNs = Long.MAX_VALUE;
            timeWaitDeadlineNs = now + 2 * config.mslNs;
        }
        armedKind = s.retransmitDeadlineNs == Long.MAX_VALUE ? RtxKind.NONE : rtxKind();
        prrAllowance = 0;
        probeArmRequested = false;
        dsackPending = false; // a D-SACK owed went out with the ACK export/park flushed
        reorderDeadlineNs = Long.MAX_VALUE;
        phase = LossRecoveryState.Phase.OPEN;
        recoveryPoint = s.sndMax;
        undoValid = false;
        if (constants.sack() && config.lossDetection == TcpConfig.LossDetection.RACK_TLP) {
            scoreboard = null;
            if (rack == null) {
                rack = new RackScoreboard();
            }
            applyLossRecovery(del.lossRecovery(), now);
        } else if (constants.sack()) {
            rack = null;
            if (scoreboard == null) {
                scoreboard = new SackScoreboard();
            }
            scoreboard.reset(s.sndUna, s.sndMax, sendMss());
        } else {
            rack = null;
            scoreboard = null;
        }
    }

    /**
     * Takes the carried loss recovery (RACK-TLP records and variables, PRR, undo, the PTO and reordering timers) as
     * it was, times relative to {@code now}; without one (or with one that does not fit SND.UNA..SND.MAX) rebuilds a
     * conservative record as the class comment says.
     */
    private void applyLossRecovery(LossRecoveryState ls, long now) {
        if (!ls.present() || !rack.restore(ls, d.sndUna, d.sndMax, sendMss(), now)) {
            rack.rebuild(d.sndUna, d.sndMax, sendMss(), now);
            probeDeadlineNs = Long.MAX_VALUE;
            return;
        }
        phase = ls.phase();
        recoveryPoint = ls.recoveryPoint();
        if (phase == LossRecoveryState.Phase.RTO_RECOVERY) {
            // derivable controller state of an RTO's recovery: backed off until new data is acknowledged (which
            // also zeroes Retransmit.Count), and in the slow start that follows the timeout while below ssthresh
            cc.restoreTimeoutState(d.retransmitCount > 0, true);
        }
        prr.restore(ls.prrRecoverFs(), ls.prrDelivered(), ls.prrOut());
        undoValid = ls.undoValid() && config.undo;
        undoMarker = ls.undoMarker();
        undoRetrans = ls.undoRetrans();
        priorCwnd = ls.priorCwnd();
        priorSsthresh = ls.priorSsthresh();
        undoTsValid = ls.undoTsValid();
        undoTsVal = ls.undoTsVal();
        probeDeadlineNs = ls.probeTimeoutDeltaNs() < 0 ? Long.MAX_VALUE : now + ls.probeTimeoutDeltaNs();
        reorderDeadlineNs = ls.reorderTimeoutDeltaNs() < 0 ? Long.MAX_VALUE : now + ls.reorderTimeoutDeltaNs();
    }

    // =============================================================================================================
    // Parked: the host side of the chimney's logical switch (spec §1.1)
    // =============================================================================================================

    private static final int CALL_SEND_QUEUED = 0;
    private static final int CALL_RECEIVE_SPACE = 1;
    private static final int CALL_SHUTDOWN = 2;
    private static final int CALL_ABORT = 3;
    private static final byte[] NO_BYTES = new byte[0];

    /**
     * Parks the connection for an offload (spec §3.1): returns the state to hand to the offload target and stops
     * this engine — no timers, no segment processing, no output — while the object stays what the application and
     * socket layer talk to: same listener, same send and receive buffers, same 4-tuple reserved in the stack, whose
     * segments now go to {@link DataPath#onSegment}. Application calls while parked: {@code write} appends to the
     * send buffer and calls {@link DataPath#onSendQueued}; {@code read} reads the receive buffer and calls {@link
     * DataPath#onReceiveSpace}; {@code shutdownOutput}/{@code close}/{@code abort} go to {@link
     * DataPath#onShutdownOutput}/{@link DataPath#onAbort} (close with unread data still aborts, RFC 2525 §2.17);
     * {@link #state()} reports the state as last known here (application steps and the manager's notes).
     *
     * <p>Before stopping, a pending delayed ACK is sent (R-HOST-2, spec §3.1.2; this engine has no separate push or
     * SWS timer to stop) and every timer is stopped; their deadlines are kept for {@link #unpark()}. The snapshot
     * carries the const, cached and delegated records with sendData = the whole send buffer from SND.UNA (spec
     * §3.1.6: sent-unacknowledged, then unsent), receivedData empty (the unread bytes stay here and the application
     * keeps reading them: they count as delivered) and the out-of-order data.
     *
     * <p>The offload either fails — {@link #unpark()} — or succeeds and later ends with {@link #resume} (terminate
     * completed) or {@link #closeParked} (the connection ended on the target and nothing comes back).
     *
     * @throws IllegalStateException unless ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING or LAST_ACK (spec
     *     §1.2, R-HOST-1), or when already parked or detached
     */
    public TcpSnapshot park(DataPath path) {
        Objects.requireNonNull(path, "path");
        if (dataPath != null) {
            throw new IllegalStateException("connection is already parked; unpark() or resume() it before parking it "
                    + "again (R-HOST-3)");
        }
        if (detached) {
            throw new IllegalStateException("connection was detached (it lives on another engine); park that one");
        }
        TcpState s = d.state;
        switch (s) {
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK -> {
                // offloadable (spec §1.2)
            }
            default -> throw new IllegalStateException("a connection is offloaded only in ESTABLISHED, FIN_WAIT_1, "
                    + "FIN_WAIT_2, CLOSE_WAIT, CLOSING or LAST_ACK (spec §1.2, R-HOST-1); this one is " + s
                    + (s == TcpState.TIME_WAIT || s == TcpState.CLOSED ? ", which stays with the host"
                            : "; wait for ESTABLISHED"));
        }
        long now = stack.nowNs();
        flushPendingAck(); // R-HOST-2: the ACK owed goes out now, delayed-ACK state is not carried
        TcpSnapshot snap = snapshot(now, false);
        // Parked, the receive ring is where the target's indications land (the application's buffer, spec §1.1) and
        // no longer backs an advertised window; autotuning, which follows this engine's own segments and RTT, would
        // keep it at its size now and cap every indication there: let it hold what the connection may buffer (an
        // explicit size stays as it is). The send side does the same as the application writes (expandSendBuffer).
        receiveBuffer.grow(receiveBuffer.maxCapacity());
        dataPath = path;
        parkedSendSeq = d.sndUna;
        parkedRcvSeq = d.rcvNxt;
        parkedTsVal = tsNow(now);
        parkedMoved = false;
        parkedFinRequested = false;
        parkedAborted = false;
        stack.loop().timers().cancel(timer);
        stack.count(TcpCounter.PARKS);
        return snap;
    }

    /** An ACK is owed (delayed-ACK timer running or due now): exporting or parking now would send it. Tests. */
    boolean ackPending() {
        return delayedAckDeadlineNs != Long.MAX_VALUE || ackNow;
    }

    /** True between {@link #park} and {@link #unpark()}/{@link #resume}/{@link #closeParked}. */
    public boolean isParked() {
        return dataPath != null;
    }

    /**
     * The offload failed (spec §3.1.4: "the data remains the HS's"): the engine carries on from exactly its state at
     * park time — timers re-armed at their parked deadlines (due at once if they passed), bytes written while parked
     * sent, a FIN asked for while parked sent, a window update sent if reads opened the window, an abort's RST sent —
     * as if it had never stopped.
     *
     * @throws IllegalStateException if not parked, or if the manager already moved data or state (releaseSendData,
     *     deliverReceived, peerFinReceived, finAcknowledged): the offload succeeded, terminate it and {@link #resume}
     */
    public void unpark() {
        requireParked("unpark");
        if (parkedMoved) {
            throw new IllegalStateException("unpark() undoes a failed offload, but data or state already moved "
                    + "through this connection's chimney; terminate the offload and resume(...) instead");
        }
        dataPath = null;
        stack.count(TcpCounter.UNPARKS);
        if (parkedAborted) {
            // the application aborted while parked and the RST never left: send it now (RFC 9293 §3.10.5)
            emitControl(d.sndNxt, d.rcvNxt, TcpFlags.RST | TcpFlags.ACK);
            terminate(CloseReason.ABORTED, false);
            dispatchEvents();
            return;
        }
        if (!peerFinReceived && windowUpdateWorthSending()) {
            ackNow = true; // the application read while parked: tell the peer the window opened (RFC 1122 §4.2.3.3)
        }
        restartEngine();
    }

    /**
     * Starts the engine again after a park: a timer whose deadline passed meanwhile fires first (then output runs,
     * as after any timer), else output runs now; either way the timer is re-armed for the next deadline.
     */
    private void restartEngine() {
        long now = stack.nowNs();
        long due = Math.min(Math.min(Math.min(d.retransmitDeadlineNs, d.keepAliveDeadlineNs),
                Math.min(delayedAckDeadlineNs, timeWaitDeadlineNs)), Math.min(probeDeadlineNs, reorderDeadlineNs));
        if (due <= now) {
            onTimer(now);
        } else {
            afterApiCall();
        }
    }

    /**
     * The offload's terminate completed (spec §3.2.5-§3.2.6, §3.2.10): applies every delegated variable of {@code
     * returned} in place (the routine {@link #importFrom} uses: timer deltas, StackDelta = TsTime − StackTime, SRtt
     * ×8 / RttVar ×4, out-of-order data), then resumes the engine: timers re-armed, output run, so bytes the
     * application queued while parked go out after the returned send data.
     *
     * <ul>
     *   <li>Send side: the host's send buffer is the data (the target's {@code sendData} is only checked for size):
     *       its head is trimmed to the returned SND.UNA, so it holds exactly [SndUna, end) — bytes the target had
     *       acknowledged without completing their request are dropped here (R-TERM-10).
     *   <li>Receive side: {@code bufferedReceiveData} (may be null; spec §3.2.5 item 4) goes after the bytes the
     *       application has not read yet, before anything newer (R-TERM-12). The ring grows when readable bytes plus
     *       the returned window do not fit, so the right edge the target advertised never moves left (RFC 9293
     *       §3.8.6.2.2). After {@code close()} the data is dropped (it was acknowledged; nobody will read it).
     *   <li>Timestamps: TSvals never go backwards (R-TS-6): a TsTime behind our TSval at park time is raised to it.
     *   <li>A FIN the application asked for while parked that the target did not send yet is queued now; a peer
     *       FIN the returned state shows is an end of stream for the application.
     *   <li>TIME_WAIT: the host runs a full 2 MSL (spec §1.2). CLOSED (the target timed out, or an RST or a SYN at
     *       RCV.NXT ended it): the connection closes; the reason is one already known (an abort, a FIN handshake),
     *       else NORMAL if both FINs were exchanged, TIMED_OUT if the returned state shows retransmissions or
     *       keepalive probes or our acknowledged FIN waited alone (FIN_WAIT_2 timer), else RESET. A manager that
     *       knows better (TcpIndicateAbort) calls {@link #closeParked} instead.
     *   <li>After an abort while parked: if the returned state is still synchronized the RST never left, so it is
     *       sent here; then the 4-tuple is released.
     * </ul>
     *
     * @throws IllegalArgumentException if {@code returned} does not fit what this host holds (SND.UNA outside the
     *     send buffer, more send data than it holds, a window beyond 2^31 bytes, a state a terminate cannot return)
     */
    public void resume(TcpDelegated returned, byte[] bufferedReceiveData) {
        Objects.requireNonNull(returned, "returned");
        requireParked("resume");
        byte[] buffered = bufferedReceiveData == null ? NO_BYTES : bufferedReceiveData;
        TcpState rs = returned.state();
        if (!rs.isSynchronized() && rs != TcpState.CLOSED) {
            throw new IllegalArgumentException("a terminate returns a synchronized state or CLOSED (spec §3.2.6), "
                    + "got " + rs);
        }
        int held = sendBuffer.length();
        int acked = returned.sndUna() - parkedSendSeq;
        boolean discard = appClosed || parkedAborted;
        boolean closing = rs == TcpState.CLOSED || d.state == TcpState.CLOSED;
        if (!closing) {
            if (acked < 0 || acked > held + 1) {
                throw new IllegalArgumentException("returned SndUna " + Integer.toUnsignedString(returned.sndUna())
                        + " is not within the " + held + " send bytes the host holds from "
                        + Integer.toUnsignedString(parkedSendSeq) + " (+1 for a FIN); release only bytes the target "
                        + "completed (R-TERM-10)");
            }
            int remaining = held - Math.min(acked, held);
            if (returned.sendDataLength() > remaining
                    || Integer.toUnsignedLong(returned.sndMax() - returned.sndUna()) > remaining + 1L) {
                throw new IllegalArgumentException("the target returned " + returned.sendDataLength() + " send bytes "
                        + "(SndMax " + Integer.toUnsignedLong(returned.sndMax() - returned.sndUna()) + " past SndUna)"
                        + " but the host holds " + remaining + " from SndUna; a target sends only what it was given");
            }
            long need = receiveBuffer.readable() + (discard ? 0L : buffered.length)
                    + Integer.toUnsignedLong(returned.rcvWnd());
            if (need > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("returned window " + Integer.toUnsignedString(returned.rcvWnd())
                        + " plus " + buffered.length + " buffered bytes exceed what a receive buffer can hold");
            }
            receiveBuffer.grow((int) need);
        } else if (!discard && (long) receiveBuffer.readable() + buffered.length > receiveBuffer.capacity()) {
            receiveBuffer.grow(receiveBuffer.readable() + buffered.length);
        }
        long now = stack.nowNs();
        boolean finKnown = peerFinReceived;
        int dataAcked = acked >= 0 && acked <= held + 1 ? Math.min(acked, held) : 0;
        boolean bothFins = finKnown || returned.rcvNxt() - (parkedRcvSeq + buffered.length) == 1;
        sendBuffer.consume(dataAcked);
        parkedSendSeq += dataAcked;
        if (!discard) {
            receiveBuffer.append(buffered, 0, buffered.length);
        }
        dataPath = null;
        stack.count(TcpCounter.RESUMES);
        int events = (dataAcked > 0 ? EVENT_WRITABLE : 0) | (!discard && buffered.length > 0 ? EVENT_READABLE : 0);
        if (closing) {
            if (parkedAborted && rs.isSynchronized() && rs != TcpState.TIME_WAIT) {
                // the abort never reached the wire: the target returned a live connection, so reset it from here
                applyDelegated(returned, now);
                emitControl(d.sndNxt, d.rcvNxt, TcpFlags.RST | TcpFlags.ACK);
            }
            CloseReason reason = closeReason;
            if (reason == null) {
                boolean ourFinAcked = acked == held + 1;
                bothFins &= ourFinAcked;
                reason = bothFins ? CloseReason.NORMAL
                        : returned.retransmitCount() > 0 || returned.keepAliveProbeCount() > 0 || ourFinAcked
                                ? CloseReason.TIMED_OUT : CloseReason.RESET;
            }
            pendingEvents |= events & EVENT_READABLE;
            terminate(reason, true);
            dispatchEvents();
            return;
        }
        applyDelegated(returned, now);
        if (Seq.lt(tsNow(now), parkedTsVal)) {
            d.tsOffsetTicks = (long) parkedTsVal - now / tickNs; // R-TS-6: never behind what the peer has seen
        }
        if (parkedFinRequested) {
            // the application's FIN had not reached the target: queue it after the data (RFC 9293 §3.10.4)
            if (d.state == TcpState.ESTABLISHED) {
                setState(TcpState.FIN_WAIT_1);
            } else if (d.state == TcpState.CLOSE_WAIT) {
                setState(TcpState.LAST_ACK);
            }
        }
        if (peerFinReceived && !finKnown) {
            events |= EVENT_READABLE; // end of stream
        }
        if (d.state == TcpState.TIME_WAIT) {
            if (closeReason == null) {
                closeReason = CloseReason.NORMAL;
            }
            events |= EVENT_CLOSED;
        }
        pendingEvents |= events;
        restartEngine();
    }

    /**
     * The connection ended while offloaded and no state comes back (or none is wanted): a peer RST
     * (TcpIndicateAbort → {@link CloseReason#RESET}), a timeout, a failed terminate. The connection closes — the
     * listener's {@code onClosed} runs once, with the reason already known (an abort, a FIN handshake) or {@code
     * reason} — and its 4-tuple is released. Readable bytes stay readable.
     */
    public void closeParked(CloseReason reason) {
        Objects.requireNonNull(reason, "reason");
        requireParked("closeParked");
        dataPath = null;
        terminate(reason, true);
        dispatchParkedEvents();
    }

    /** Bytes held in the send buffer (written, not yet released): the data of the manager's send requests. */
    public int sendBytes() {
        requireParked("sendBytes");
        return sendBuffer.length();
    }

    /**
     * Copies {@code length} send bytes starting {@code offset} bytes after the first byte not yet released into
     * {@code dst} (the payload of a send request).
     *
     * @throws IndexOutOfBoundsException outside the bytes held or outside {@code dst}
     */
    public void copySendData(int offset, int length, byte[] dst, int dstOffset) {
        requireParked("copySendData");
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        if (offset < 0 || length < 0 || offset > sendBuffer.length() - length) {
            throw new IndexOutOfBoundsException("send bytes [" + offset + ", " + offset + "+" + length + ") are "
                    + "outside the " + sendBuffer.length() + " held; offsets count from the first byte not released");
        }
        sendBuffer.copyTo(offset, length, dst, dstOffset);
    }

    /**
     * The target completed {@code n} bytes (the peer acknowledged them, spec §4.1.3): they leave the head of the
     * send buffer and the application hears {@code onWritable}.
     *
     * @throws IllegalArgumentException if {@code n} is negative or more than {@link #sendBytes()}
     */
    public void releaseSendData(int n) {
        requireParked("releaseSendData");
        if (n < 0 || n > sendBuffer.length()) {
            throw new IllegalArgumentException("cannot release " + n + " send bytes, " + sendBuffer.length()
                    + " are held; release only bytes the target completed");
        }
        if (n == 0) {
            return;
        }
        sendBuffer.consume(n);
        parkedSendSeq += n;
        parkedMoved = true;
        raiseParked(EVENT_WRITABLE);
    }

    /**
     * Bytes {@link #deliverReceived} takes now: the free space of the receive ring (it never grows for delivery;
     * the rest waits on the target, whose window closes as a slow reader's would). After {@code close()} or an
     * abort everything is taken and dropped.
     */
    public int receiveSpace() {
        requireParked("receiveSpace");
        return appClosed || parkedAborted ? receiveBuffer.capacity() : receiveBuffer.free();
    }

    /**
     * Appends in-order bytes the target received (a receive completion or indication, spec §4.2-§4.4) after the
     * readable bytes, raising {@code onReadable}; returns how many were taken, at most {@link #receiveSpace()}.
     *
     * @throws IllegalStateException after {@link #peerFinReceived()}: no data follows a FIN
     */
    public int deliverReceived(byte[] src, int offset, int length) {
        requireParked("deliverReceived");
        Objects.checkFromIndexSize(offset, length, src.length);
        int n = deliverable(length);
        if (n > 0 && !(appClosed || parkedAborted)) {
            receiveBuffer.append(src, offset, n);
            raiseParked(EVENT_READABLE);
        }
        return n;
    }

    /** As {@link #deliverReceived(byte[], int, int)} from a memory segment. */
    public int deliverReceived(MemorySegment src, long offset, int length) {
        requireParked("deliverReceived");
        Objects.checkFromIndexSize(offset, length, src.byteSize());
        int n = deliverable(length);
        if (n > 0 && !(appClosed || parkedAborted)) {
            receiveBuffer.store(0, src, offset, n);
            receiveBuffer.commit(n);
            raiseParked(EVENT_READABLE);
        }
        return n;
    }

    private int deliverable(int length) {
        if (length > 0 && peerFinReceived) {
            throw new IllegalStateException("data after the peer's FIN; deliver every byte before peerFinReceived()");
        }
        int n = appClosed || parkedAborted ? length : Math.min(length, receiveBuffer.free());
        parkedRcvSeq += n;
        parkedMoved |= n > 0;
        return n;
    }

    /**
     * The peer's FIN arrived and every byte before it was delivered (TcpIndicateDisconnect, spec §4.6, §5.3): reads
     * return -1 once the readable bytes are read; the state moves as RFC 9293 §3.10.7.4 eighth step says
     * (ESTABLISHED → CLOSE_WAIT, FIN_WAIT_1 → CLOSING, FIN_WAIT_2 → TIME_WAIT with onClosed NORMAL). Idempotent.
     */
    public void peerFinReceived() {
        requireParked("peerFinReceived");
        if (peerFinReceived || d.state == TcpState.CLOSED) {
            return;
        }
        peerFinReceived = true;
        parkedRcvSeq += 1;
        parkedMoved = true;
        int events = EVENT_READABLE;
        switch (d.state) {
            case ESTABLISHED -> setState(TcpState.CLOSE_WAIT);
            case FIN_WAIT_1 -> setState(TcpState.CLOSING);
            case FIN_WAIT_2 -> {
                setState(TcpState.TIME_WAIT);
                closeReason = CloseReason.NORMAL;
                events |= EVENT_CLOSED;
            }
            default -> {
                // CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT already past the peer's FIN
            }
        }
        raiseParked(events);
    }

    /**
     * Our FIN and every byte before it were acknowledged (a graceful disconnect completed with success, spec
     * §4.5.3): FIN_WAIT_1 → FIN_WAIT_2, CLOSING → TIME_WAIT and LAST_ACK → CLOSED, the last two with onClosed NORMAL
     * (the 4-tuple stays reserved until {@link #resume} or {@link #closeParked}). Idempotent.
     *
     * @throws IllegalStateException if no FIN was asked for, or send bytes are still held (release them first)
     */
    public void finAcknowledged() {
        requireParked("finAcknowledged");
        switch (d.state) {
            case FIN_WAIT_1, CLOSING, LAST_ACK -> {
                // FIN outstanding
            }
            case FIN_WAIT_2, TIME_WAIT, CLOSED -> {
                return; // noted already, or the application aborted
            }
            default -> throw new IllegalStateException("no FIN to acknowledge in " + d.state
                    + ": the application has not shut its output down");
        }
        if (sendBuffer.length() > 0) {
            throw new IllegalStateException("release the " + sendBuffer.length() + " send bytes still held "
                    + "(releaseSendData) first: the FIN is acknowledged after them");
        }
        parkedMoved = true;
        switch (d.state) {
            case FIN_WAIT_1 -> setState(TcpState.FIN_WAIT_2);
            case CLOSING -> {
                setState(TcpState.TIME_WAIT);
                closeReason = CloseReason.NORMAL;
                raiseParked(EVENT_CLOSED);
            }
            default -> {
                setState(TcpState.CLOSED); // LAST_ACK: the close is complete
                closeReason = CloseReason.NORMAL;
                raiseParked(EVENT_CLOSED);
            }
        }
    }

    private void requireParked(String operation) {
        if (dataPath == null) {
            throw new IllegalStateException(operation + " is for a parked connection (see park()); this one is "
                    + (detached ? "detached" : d.state + " on its own engine"));
        }
    }

    private void shutdownOutputParked() {
        switch (d.state) {
            case ESTABLISHED -> setState(TcpState.FIN_WAIT_1);
            case CLOSE_WAIT -> setState(TcpState.LAST_ACK);
            default -> {
                return; // FIN already asked for, or closed (RFC 9293 §3.10.4)
            }
        }
        parkedFinRequested = true;
        callDataPath(CALL_SHUTDOWN);
    }

    private void abortParked() {
        parkedAborted = true;
        if (d.state != TcpState.TIME_WAIT) {
            // as abort() on the engine: the application sees the close now; the RST is the target's to send
            closeReason = CloseReason.ABORTED;
            pendingEvents |= EVENT_CLOSED;
        }
        setState(TcpState.CLOSED);
        callDataPath(CALL_ABORT);
        dispatchEvents();
    }

    /** Tells the data path about an application call; events it raises meanwhile wait for the next loop turn. */
    private void callDataPath(int call) {
        DataPath p = dataPath;
        appCallDepth++;
        try {
            switch (call) {
                case CALL_SEND_QUEUED -> p.onSendQueued(this);
                case CALL_RECEIVE_SPACE -> p.onReceiveSpace(this);
                case CALL_SHUTDOWN -> p.onShutdownOutput(this);
                default -> p.onAbort(this);
            }
        } finally {
            appCallDepth--;
        }
    }

    private void raiseParked(int events) {
        pendingEvents |= events;
        dispatchParkedEvents();
    }

    /**
     * Dispatches pending events now, or — inside an application call on this connection (a read whose {@link
     * DataPath#onReceiveSpace} delivered more data) — on the next loop turn, so the application is never re-entered
     * from its own call.
     */
    private void dispatchParkedEvents() {
        if (pendingEvents == 0) {
            return;
        }
        if (appCallDepth == 0) {
            dispatchEvents();
            return;
        }
        if (deferredDispatch == null) {
            deferredDispatch = new LoopCommand() {
                @Override
                public void run() {
                    deferredDispatchQueued = false;
                    dispatchEvents();
                }
            };
        }
        if (!deferredDispatchQueued) {
            deferredDispatchQueued = true;
            stack.loop().execute(deferredDispatch);
        }
    }
}
