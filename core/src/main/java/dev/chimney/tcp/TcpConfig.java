package dev.chimney.tcp;

import dev.chimney.tcp.cc.CongestionControl;
import dev.chimney.tcp.cc.CongestionControls;
import java.util.function.Supplier;

/**
 * Every limit and timer of the TCP engine, with defaults. Immutable; build with {@link #builder()}.
 *
 * <p>Choices that differ from an RFC default are documented on the builder method that sets them.
 */
public final class TcpConfig {
    /** What a listener does with a handshake completing while its accept backlog is full. */
    public enum BacklogFullAction {
        /** Ignore the final ACK; the peer retransmits and may get in once the application accepts (Linux). */
        DROP,
        /** Answer with RST (RFC 9293 §3.10.7.3 style refusal); the peer sees REFUSED/RESET at once. */
        RESET
    }

    /** How a SACK connection detects lost segments (connections without SACK use RFC 5681 / RFC 6582). */
    public enum LossDetection {
        /**
         * RFC 8985 RACK-TLP (the default): time-based loss detection from per-segment transmit times, with a
         * reordering window adapted by D-SACK, lost retransmissions detected anywhere in the scoreboard, tail loss
         * probes, and the RTO only as the last resort.
         */
        RACK_TLP,
        /**
         * RFC 6675 conservative SACK recovery (DupThresh duplicate ACKs or IsLost), kept for comparison; the opt-in
         * {@link Builder#tailLossProbe} and {@link Builder#lostRetransmitDetection} apply only here.
         */
        RFC6675
    }

    final int ticksPerSecond;
    final long tickNs;
    final int sendBufferBytes;
    final int receiveBufferBytes;
    final int initialSendBufferBytes;
    final int initialReceiveBufferBytes;
    final long bufferPoolBytes;
    final boolean windowScaling;
    final boolean timestamps;
    final boolean sack;
    final long initialRtoNs;
    final long minRtoNs;
    final long maxRtoNs;
    final int maxRetransmissions;
    final int synRetries;
    final long delayedAckNs;
    final boolean nagle;
    final boolean keepAlive;
    final long keepAliveIdleNs;
    final long keepAliveIntervalNs;
    final int keepAliveProbes;
    final long finWait2TimeoutNs;
    final long mslNs;
    final int challengeAcksPerSecond;
    final long unacceptableAckIntervalNs;
    final long synChallengeAckIntervalNs;
    final long challengeKeepAliveNs;
    final int maxOutOfOrderRanges;
    final int synQueueLimit;
    final int acceptBacklog;
    final BacklogFullAction backlogFullAction;
    final int ephemeralPortFirst;
    final int ephemeralPortLast;
    final int ttl;
    final Supplier<CongestionControl> congestionControl;
    final CongestionControls.Algorithm congestionAlgorithm;
    final int initialWindowSegments;
    final boolean tailLossProbe;
    final boolean lostRetransmitDetection;
    final LossDetection lossDetection;
    final boolean prr;
    final boolean undo;
    final boolean dsack;

    private TcpConfig(Builder b) {
        this.ticksPerSecond = b.ticksPerSecond;
        this.tickNs = 1_000_000_000L / b.ticksPerSecond;
        this.sendBufferBytes = b.sendBufferBytes;
        this.receiveBufferBytes = b.receiveBufferBytes;
        this.initialSendBufferBytes = b.initialSendBufferBytes; // as set: capped where used, so toBuilder keeps it
        this.initialReceiveBufferBytes = b.initialReceiveBufferBytes;
        this.bufferPoolBytes = b.bufferPoolBytes;
        this.windowScaling = b.windowScaling;
        this.timestamps = b.timestamps;
        this.sack = b.sack;
        this.initialRtoNs = b.initialRtoNs;
        this.minRtoNs = b.minRtoNs;
        this.maxRtoNs = b.maxRtoNs;
        this.maxRetransmissions = b.maxRetransmissions;
        this.synRetries = b.synRetries;
        this.delayedAckNs = b.delayedAckNs;
        this.nagle = b.nagle;
        this.keepAlive = b.keepAlive;
        this.keepAliveIdleNs = b.keepAliveIdleNs;
        this.keepAliveIntervalNs = b.keepAliveIntervalNs;
        this.tailLossProbe = b.tailLossProbe;
        this.lostRetransmitDetection = b.lostRetransmitDetection;
        this.lossDetection = b.lossDetection;
        this.prr = b.prr;
        this.undo = b.undo;
        this.dsack = b.dsack;
        this.keepAliveProbes = b.keepAliveProbes;
        this.finWait2TimeoutNs = b.finWait2TimeoutNs;
        this.mslNs = b.mslNs;
        this.challengeAcksPerSecond = b.challengeAcksPerSecond;
        this.unacceptableAckIntervalNs = b.unacceptableAckIntervalNs;
        this.synChallengeAckIntervalNs = b.synChallengeAckIntervalNs;
        this.challengeKeepAliveNs = b.challengeKeepAliveNs;
        this.maxOutOfOrderRanges = b.maxOutOfOrderRanges;
        this.synQueueLimit = b.synQueueLimit;
        this.acceptBacklog = b.acceptBacklog;
        this.backlogFullAction = b.backlogFullAction;
        this.ephemeralPortFirst = b.ephemeralPortFirst;
        this.ephemeralPortLast = b.ephemeralPortLast;
        this.ttl = b.ttl;
        this.congestionControl = b.congestionControl;
        this.congestionAlgorithm = b.congestionAlgorithm;
        this.initialWindowSegments = b.initialWindowSegments;
    }

    /**
     * A controller for a new connection: the custom factory if one was set, else the configured algorithm with the
     * recovery arithmetic matching the engine's loss recovery: RFC 6675 pipe-based when SACK was negotiated, else
     * RFC 6582 NewReno window inflation.
     */
    CongestionControl newCongestionControl(boolean sackRecovery) {
        if (congestionControl != null) {
            return congestionControl.get();
        }
        CongestionControls.Options options = new CongestionControls.Options(initialWindowSegments, sackRecovery);
        return switch (congestionAlgorithm) {
            case NEWRENO -> new dev.chimney.tcp.cc.NewReno(options);
            case CUBIC -> new dev.chimney.tcp.cc.Cubic(options);
        };
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder preloaded with this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.ticksPerSecond = ticksPerSecond;
        b.sendBufferBytes = sendBufferBytes;
        b.receiveBufferBytes = receiveBufferBytes;
        b.initialSendBufferBytes = initialSendBufferBytes;
        b.initialReceiveBufferBytes = initialReceiveBufferBytes;
        b.bufferPoolBytes = bufferPoolBytes;
        b.windowScaling = windowScaling;
        b.timestamps = timestamps;
        b.sack = sack;
        b.initialRtoNs = initialRtoNs;
        b.minRtoNs = minRtoNs;
        b.maxRtoNs = maxRtoNs;
        b.maxRetransmissions = maxRetransmissions;
        b.synRetries = synRetries;
        b.delayedAckNs = delayedAckNs;
        b.nagle = nagle;
        b.keepAlive = keepAlive;
        b.keepAliveIdleNs = keepAliveIdleNs;
        b.keepAliveIntervalNs = keepAliveIntervalNs;
        b.keepAliveProbes = keepAliveProbes;
        b.finWait2TimeoutNs = finWait2TimeoutNs;
        b.mslNs = mslNs;
        b.challengeAcksPerSecond = challengeAcksPerSecond;
        b.unacceptableAckIntervalNs = unacceptableAckIntervalNs;
        b.synChallengeAckIntervalNs = synChallengeAckIntervalNs;
        b.challengeKeepAliveNs = challengeKeepAliveNs;
        b.maxOutOfOrderRanges = maxOutOfOrderRanges;
        b.synQueueLimit = synQueueLimit;
        b.acceptBacklog = acceptBacklog;
        b.backlogFullAction = backlogFullAction;
        b.ephemeralPortFirst = ephemeralPortFirst;
        b.ephemeralPortLast = ephemeralPortLast;
        b.ttl = ttl;
        b.congestionControl = congestionControl;
        b.congestionAlgorithm = congestionAlgorithm;
        b.initialWindowSegments = initialWindowSegments;
        b.tailLossProbe = tailLossProbe;
        b.lostRetransmitDetection = lostRetransmitDetection;
        b.lossDetection = lossDetection;
        b.prr = prr;
        b.undo = undo;
        b.dsack = dsack;
        return b;
    }

    public int ticksPerSecond() {
        return ticksPerSecond;
    }

    public int sendBufferBytes() {
        return sendBufferBytes;
    }

    public int receiveBufferBytes() {
        return receiveBufferBytes;
    }

    /** Retransmissions of one segment before the connection gives up (RFC 1122 §4.2.3.5 R2, as a count). */
    public int maxRetransmissions() {
        return maxRetransmissions;
    }

    /** The send buffer's starting size (at most {@link #sendBufferBytes()}); see the builder method. */
    public int initialSendBufferBytes() {
        return Math.min(initialSendBufferBytes, sendBufferBytes);
    }

    /** The receive buffer's starting size (at most {@link #receiveBufferBytes()}); see the builder method. */
    public int initialReceiveBufferBytes() {
        return Math.min(initialReceiveBufferBytes, receiveBufferBytes);
    }

    public long bufferPoolBytes() {
        return bufferPoolBytes;
    }

    public long delayedAckNs() {
        return delayedAckNs;
    }

    /** Whether tail loss probes (RFC 8985 §7) are sent; see {@link Builder#tailLossProbe(boolean)}. */
    public boolean tailLossProbe() {
        return tailLossProbe;
    }

    /** Whether a lost retransmission of SND.UNA is retransmitted again; see the builder method. */
    public boolean lostRetransmitDetection() {
        return lostRetransmitDetection;
    }

    /** The loss detection of SACK connections; see {@link Builder#lossDetection}. */
    public LossDetection lossDetection() {
        return lossDetection;
    }

    /** Whether RFC 6937 proportional rate reduction paces fast recovery; see {@link Builder#prr}. */
    public boolean prr() {
        return prr;
    }

    /** Whether a loss episode whose retransmissions were all spurious is undone; see {@link Builder#undo}. */
    public boolean undo() {
        return undo;
    }

    /** Whether the receiver reports duplicate segments with D-SACK blocks; see {@link Builder#dsack}. */
    public boolean dsack() {
        return dsack;
    }

    public long minRtoNs() {
        return minRtoNs;
    }

    public long initialRtoNs() {
        return initialRtoNs;
    }

    public long mslNs() {
        return mslNs;
    }

    public long finWait2TimeoutNs() {
        return finWait2TimeoutNs;
    }

    public long unacceptableAckIntervalNs() {
        return unacceptableAckIntervalNs;
    }

    /** Fluent builder; {@link #build()} validates and fails with a message naming the bad setting. */
    public static final class Builder {
        private int ticksPerSecond = 1000;
        private int sendBufferBytes = 256 * 1024;
        private int receiveBufferBytes = 256 * 1024;
        private int initialSendBufferBytes = 16 * 1024;
        private int initialReceiveBufferBytes = 64 * 1024;
        private long bufferPoolBytes = 16L << 20;
        private boolean windowScaling = true;
        private boolean timestamps = true;
        private boolean sack = true;
        private long initialRtoNs = 1_000_000_000L;
        private long minRtoNs = 200_000_000L;
        private long maxRtoNs = 60_000_000_000L;
        private int maxRetransmissions = 15;
        private int synRetries = 6;
        private long delayedAckNs = 40_000_000L;
        private boolean nagle = true;
        private boolean keepAlive;
        private long keepAliveIdleNs = 7_200_000_000_000L;
        private long keepAliveIntervalNs = 75_000_000_000L;
        private int keepAliveProbes = 9;
        private long finWait2TimeoutNs = 120_000_000_000L;
        private long mslNs = 30_000_000_000L;
        private int challengeAcksPerSecond = 1000;
        private long unacceptableAckIntervalNs = 500_000_000L;
        private long synChallengeAckIntervalNs = 3_000_000_000L;
        private long challengeKeepAliveNs = 300_000_000_000L;
        private int maxOutOfOrderRanges = 16;
        private int synQueueLimit = 128;
        private int acceptBacklog = 128;
        private BacklogFullAction backlogFullAction = BacklogFullAction.DROP;
        private int ephemeralPortFirst = 49152;
        private int ephemeralPortLast = 65535;
        private int ttl = 64;
        private Supplier<CongestionControl> congestionControl;
        private CongestionControls.Algorithm congestionAlgorithm = CongestionControls.Algorithm.NEWRENO;
        private int initialWindowSegments;
        private boolean tailLossProbe;
        private boolean lostRetransmitDetection;
        private LossDetection lossDetection = LossDetection.RACK_TLP;
        private boolean prr = true;
        private boolean undo = true;
        private boolean dsack = true;

        /**
         * Loss detection for connections that negotiated SACK (default {@link LossDetection#RACK_TLP}, RFC 8985;
         * {@link LossDetection#RFC6675} restores the DupThresh-based recovery this engine used before). RACK-TLP
         * needs SACK (RFC 8985 §4), so connections without it always use RFC 5681 / RFC 6582 fast recovery.
         */
        public Builder lossDetection(LossDetection v) {
            this.lossDetection = v;
            return this;
        }

        /**
         * RFC 6937 proportional rate reduction (PRR-SSRB, default on): during fast recovery the sender sends in
         * proportion to what the peer delivers, so one loss episode brings the flight down to ssthresh smoothly
         * instead of stopping for half a window (RFC 6675 step C) or bursting. Off: RFC 6675 §5 step C (send while
         * cwnd − pipe ≥ SMSS).
         */
        public Builder prr(boolean v) {
            this.prr = v;
            return this;
        }

        /**
         * Spurious-retransmission undo (default on, RACK-TLP connections): when every retransmission of a loss
         * episode is reported as a duplicate by D-SACK (RFC 3708 detection), or — after an RTO, with timestamps —
         * the first ACK of new data echoes a timestamp older than the retransmission (RFC 3522 Eifel detection), the
         * window reduction of that episode is taken back (cwnd and ssthresh restored, as Linux's undo and RFC
         * 4015's response do), so reordering and lost or late ACKs do not halve the window for nothing.
         */
        public Builder undo(boolean v) {
            this.undo = v;
            return this;
        }

        /**
         * D-SACK generation (RFC 2883, default on, SACK connections): an ACK answering a duplicate segment reports
         * it in its first SACK block, which is what lets a RACK-TLP sender widen its reordering window (RFC 8985
         * §6.2 step 4) and detect spurious retransmissions (RFC 3708).
         */
        public Builder dsack(boolean v) {
            this.dsack = v;
            return this;
        }

        /**
         * Tail loss probe for {@link LossDetection#RFC6675} and connections without SACK (RFC 8985 §7 timing, off by
         * default; RACK-TLP connections always probe, as part of RFC 8985): when the last segments of a flight or
         * their ACKs are lost, nothing triggers fast retransmit and only the RTO (at least 200 ms) would repair the
         * tail. With this on,
         * after a probe timeout of about two smoothed RTTs (at least 10 ms) without an ACK the sender transmits one
         * segment — new data if the peer's window allows, else the last segment again — so the ACK it provokes
         * starts SACK recovery. On a link with a sub-millisecond RTT and random loss this turns most 200 ms stalls
         * into 10 ms ones.
         */
        public Builder tailLossProbe(boolean v) {
            this.tailLossProbe = v;
            return this;
        }

        /**
         * Lost retransmission detection for {@link LossDetection#RFC6675} (off by default; RACK-TLP detects lost
         * retransmissions anywhere by itself), the time-ordering idea of RFC 8985 (RACK) applied to the
         * first hole: RFC 6675 retransmits a hole once, so a lost retransmission otherwise waits for the RTO. With
         * this on, when the peer SACKs at least DupThresh (3) segments that were sent after SND.UNA was last
         * retransmitted while SND.UNA itself is still missing, that retransmission is taken as lost and SND.UNA is
         * sent again.
         */
        public Builder lostRetransmitDetection(boolean v) {
            this.lostRetransmitDetection = v;
            return this;
        }

        /** Timer and timestamp granularity (spec §6.0: 10, 100 or 1000; default 1000). */
        public Builder ticksPerSecond(int v) {
            this.ticksPerSecond = v;
            return this;
        }

        /**
         * Largest send buffer (SO_SNDBUF; Linux tcp_wmem[2]): most bytes a connection holds written and not yet
         * acknowledged. A connection starts at {@link #initialSendBufferBytes} and grows towards twice its congestion
         * window (Linux's tcp_sndbuf_expand: a window in flight plus a window queued behind it, so the sender never
         * waits for the application) up to this. Default 256 KiB, as before autotuning: enough for a LAN (about
         * 250 MB/s at a 1 ms round trip). Linux allows 4 MiB; with autotuning a larger maximum costs memory only on
         * the connections whose window grows that far, so raise it for long fat paths.
         */
        public Builder sendBufferBytes(int v) {
            this.sendBufferBytes = v;
            return this;
        }

        /**
         * Largest receive buffer (Linux tcp_rmem[2]); the advertised window comes from its free space (spec §2.6
         * InitialRcvWnd), and the SYN's window scale from this maximum, since the scale cannot change later (RFC
         * 7323 §2.2). A connection starts at {@link #initialReceiveBufferBytes} and autotuning (dynamic
         * right-sizing, as Linux's tcp_rcv_space_adjust) grows it to twice what the application reads per round trip,
         * up to this. Default 256 KiB, as before autotuning (Linux allows 6 MiB): raising it costs memory only on
         * connections whose application reads fast enough to need the window.
         */
        public Builder receiveBufferBytes(int v) {
            this.receiveBufferBytes = v;
            return this;
        }

        /**
         * Starting send buffer (Linux tcp_wmem[1], also 16 KiB by default): what an application may queue before the
         * congestion window has grown. Enough for a typical response in one write; a bulk writer's buffer follows
         * its congestion window from there. Capped by {@link #sendBufferBytes}. Memory is taken only for what is
         * queued, whatever the size.
         */
        public Builder initialSendBufferBytes(int v) {
            this.initialSendBufferBytes = v;
            return this;
        }

        /**
         * Starting receive buffer, i.e. the first window offered (default 64 KiB, Linux's initial window with its
         * default tcp_rmem[1] of 128 KiB): large enough that a sender's first round trips of slow start are never
         * window-limited (autotuning takes over from there), small enough that a connection whose application does
         * not read holds little. It is a promise of room, not memory: storage is taken only for bytes that arrive.
         * Capped by {@link #receiveBufferBytes}.
         */
        public Builder initialReceiveBufferBytes(int v) {
            this.initialReceiveBufferBytes = v;
            return this;
        }

        /**
         * Most bytes of buffer storage the stack keeps for reuse (default 16 MiB, 0 = none): connections give their
         * ring arrays back when they empty for good (FIN, close, TIME_WAIT) and take recycled ones for new data, so
         * short connections allocate no buffers. 16 MiB holds 4096 rings of 4 KiB or 64 of 256 KiB — a loop's
         * concurrent short connections, or a few bulk ones, without holding memory a quiet loop does not need.
         */
        public Builder bufferPoolBytes(long v) {
            this.bufferPoolBytes = v;
            return this;
        }

        public Builder windowScaling(boolean v) {
            this.windowScaling = v;
            return this;
        }

        public Builder timestamps(boolean v) {
            this.timestamps = v;
            return this;
        }

        public Builder sack(boolean v) {
            this.sack = v;
            return this;
        }

        /** RFC 6298 §2.1: 1 s. */
        public Builder initialRtoNs(long v) {
            this.initialRtoNs = v;
            return this;
        }

        /**
         * Lower bound of the RTO. RFC 6298 §2.4 says 1 s; the default here is 200 ms as Linux uses, because a 1 s
         * floor makes every loss on a LAN cost a second. Set 1 s for strict RFC behaviour.
         */
        public Builder minRtoNs(long v) {
            this.minRtoNs = v;
            return this;
        }

        /** Upper bound of the RTO after backoff (RFC 6298 §2.5 allows ≥ 60 s). */
        public Builder maxRtoNs(long v) {
            this.maxRtoNs = v;
            return this;
        }

        /** TcpMaximumRetransmissions (spec §6.1), used when the connection's MaxRT is 0. */
        public Builder maxRetransmissions(int v) {
            this.maxRetransmissions = v;
            return this;
        }

        /** SYN / SYN-ACK retransmissions before giving up with TIMED_OUT. */
        public Builder synRetries(int v) {
            this.synRetries = v;
            return this;
        }

        /** Delayed-ACK timeout (RFC 1122 §4.2.3.2: at most 500 ms; RFC 9293 recommends ≤ 200 ms). */
        public Builder delayedAckNs(long v) {
            this.delayedAckNs = v;
            return this;
        }

        /** Default of the per-connection NAGLING_ENABLED flag (RFC 1122 §4.2.3.4). */
        public Builder nagle(boolean v) {
            this.nagle = v;
            return this;
        }

        /** Default of the per-connection KEEP_ALIVE_ENABLED flag (RFC 1122 §4.2.3.6: off by default). */
        public Builder keepAlive(boolean v) {
            this.keepAlive = v;
            return this;
        }

        /** KaTimeout: idle time before the first probe (RFC 1122 §4.2.3.6: ≥ 2 h). */
        public Builder keepAliveIdleNs(long v) {
            this.keepAliveIdleNs = v;
            return this;
        }

        public Builder keepAliveIntervalNs(long v) {
            this.keepAliveIntervalNs = v;
            return this;
        }

        public Builder keepAliveProbes(int v) {
            this.keepAliveProbes = v;
            return this;
        }

        /** FIN_WAIT_2 timer (spec §6.5: SHOULD be 120 s). */
        public Builder finWait2TimeoutNs(long v) {
            this.finWait2TimeoutNs = v;
            return this;
        }

        /** Maximum segment lifetime; TIME_WAIT lasts 2·MSL. Default 30 s (TIME_WAIT 60 s, as Linux). */
        public Builder mslNs(long v) {
            this.mslNs = v;
            return this;
        }

        /** RFC 5961 §7: stack-wide cap on challenge ACKs per second. */
        public Builder challengeAcksPerSecond(int v) {
            this.challengeAcksPerSecond = v;
            return this;
        }

        /**
         * Least time between two ACKs one connection sends in answer to unacceptable segments without data (RFC
         * 9293 §3.10.7.4: out-of-window, PAWS-rejected, or acknowledging unsent data). The RFC answers each with an
         * ACK; two ends that disagree about the window would then bounce ACKs at line rate, so further answers
         * within the interval are suppressed and counted ({@link TcpCounter#UNACCEPTABLE_ACKS_SUPPRESSED}).
         * Segments carrying data or a FIN are always answered: their sender needs the ACK to make progress. Default
         * 500 ms (Linux tcp_invalid_ratelimit); 0 answers every one. RFC 5961 challenge ACKs have their own
         * stack-wide limit ({@link #challengeAcksPerSecond}).
         */
        public Builder unacceptableAckIntervalNs(long v) {
            this.unacceptableAckIntervalNs = v;
            return this;
        }

        /**
         * Least time between two challenge ACKs one connection sends for in-window SYNs (RFC 5961 §4.2; chimney spec
         * §6.11.1 / R-BLIND-6: one per 3 s, the default). 0 leaves only the stack-wide {@link
         * #challengeAcksPerSecond}. In-window RSTs get one challenge ACK per validation period, which the next
         * acceptable segment ends (R-BLIND-3).
         */
        public Builder synChallengeAckIntervalNs(long v) {
            this.synChallengeAckIntervalNs = v;
            return this;
        }

        /**
         * Blind-attack mitigation (chimney spec §6.11.1, R-BLIND-7..9): after a challenge ACK for an RST or SYN, the
         * keepalive timer expires within this time (started if idle, shortened if later), then probes every
         * KaInterval up to KaProbeCount (10 probes 1 s apart when both are 0) and closes TIMED_OUT if none is
         * answered; any acceptable segment ends it. Default 5 min as the spec; 0 turns it off (plain RFC 5961).
         */
        public Builder challengeKeepAliveNs(long v) {
            this.challengeKeepAliveNs = v;
            return this;
        }

        /** Out-of-order ranges kept per connection; a segment needing one more is dropped (never ACKed). */
        public Builder maxOutOfOrderRanges(int v) {
            this.maxOutOfOrderRanges = v;
            return this;
        }

        /** Connections in SYN_RECEIVED per listener; further SYNs are dropped and counted. */
        public Builder synQueueLimit(int v) {
            this.synQueueLimit = v;
            return this;
        }

        /** Established connections waiting for accept() per listener. */
        public Builder acceptBacklog(int v) {
            this.acceptBacklog = v;
            return this;
        }

        public Builder backlogFullAction(BacklogFullAction v) {
            this.backlogFullAction = v;
            return this;
        }

        /** Ephemeral port range (RFC 6056 §2.1 suggests 1024–65535; default 49152–65535 as IANA). */
        public Builder ephemeralPorts(int first, int last) {
            this.ephemeralPortFirst = first;
            this.ephemeralPortLast = last;
            return this;
        }

        /**
         * Default TtlOrHopLimit (spec §2.6) of a new connection's packets, 1..255; change one connection's with
         * {@link TcpConnection#updateCached}. Segments sent for no connection (RST to a closed port) use the IP
         * stack's default.
         */
        public Builder ttl(int v) {
            this.ttl = v;
            return this;
        }

        /** A custom congestion controller factory (overrides {@link #congestionAlgorithm}); null = none. */
        public Builder congestionControl(Supplier<CongestionControl> v) {
            this.congestionControl = v;
            return this;
        }

        /** NewReno (default, RFC 5681/6582) or CUBIC (RFC 9438). */
        public Builder congestionAlgorithm(CongestionControls.Algorithm v) {
            this.congestionAlgorithm = v;
            return this;
        }

        /** 0 = RFC 5681 §3.1 initial window (default), 10 = RFC 6928 IW10. */
        public Builder initialWindowSegments(int v) {
            this.initialWindowSegments = v;
            return this;
        }

        public TcpConfig build() {
            if (ticksPerSecond != 10 && ticksPerSecond != 100 && ticksPerSecond != 1000) {
                throw new IllegalArgumentException("ticksPerSecond must be 10, 100 or 1000 (spec §6.0), got "
                        + ticksPerSecond);
            }
            if (sendBufferBytes < 1 || receiveBufferBytes < 1 || receiveBufferBytes > (1 << 30)) {
                throw new IllegalArgumentException("buffer sizes must be in 1..2^30 bytes, got send="
                        + sendBufferBytes + " receive=" + receiveBufferBytes);
            }
            if (initialSendBufferBytes < 1 || initialReceiveBufferBytes < 1) {
                throw new IllegalArgumentException("initial buffer sizes must be at least 1 byte (they are capped by "
                        + "sendBufferBytes/receiveBufferBytes), got send=" + initialSendBufferBytes + " receive="
                        + initialReceiveBufferBytes);
            }
            if (bufferPoolBytes < 0) {
                throw new IllegalArgumentException("bufferPoolBytes must be >= 0 (0 = no pool), got "
                        + bufferPoolBytes);
            }
            if (minRtoNs <= 0 || initialRtoNs < minRtoNs || maxRtoNs < initialRtoNs) {
                throw new IllegalArgumentException("need 0 < minRtoNs <= initialRtoNs <= maxRtoNs, got " + minRtoNs
                        + ", " + initialRtoNs + ", " + maxRtoNs);
            }
            if (ttl < 1 || ttl > 255) {
                throw new IllegalArgumentException("ttl (IPv4 TTL / IPv6 hop limit) must be 1..255, got " + ttl);
            }
            if (challengeKeepAliveNs < 0) {
                throw new IllegalArgumentException("challengeKeepAliveNs must be >= 0 (0 = no mitigation keepalive), "
                        + "got " + challengeKeepAliveNs);
            }
            if (synChallengeAckIntervalNs < 0) {
                throw new IllegalArgumentException("synChallengeAckIntervalNs must be >= 0 (0 = only the stack-wide "
                        + "limit), got " + synChallengeAckIntervalNs);
            }
            if (unacceptableAckIntervalNs < 0) {
                throw new IllegalArgumentException("unacceptableAckIntervalNs must be >= 0 (0 = no throttling), got "
                        + unacceptableAckIntervalNs);
            }
            if (maxOutOfOrderRanges < 1 || synQueueLimit < 1 || acceptBacklog < 1) {
                throw new IllegalArgumentException("maxOutOfOrderRanges, synQueueLimit and acceptBacklog must be "
                        + ">= 1");
            }
            if (ephemeralPortFirst < 1 || ephemeralPortLast > 65535 || ephemeralPortFirst > ephemeralPortLast) {
                throw new IllegalArgumentException("ephemeral port range must lie in 1..65535, got "
                        + ephemeralPortFirst + ".." + ephemeralPortLast);
            }
            if (lossDetection == null) {
                throw new IllegalArgumentException("lossDetection must not be null (RACK_TLP or RFC6675)");
            }
            if (congestionAlgorithm == null) {
                throw new IllegalArgumentException("congestionAlgorithm must not be null (NEWRENO or CUBIC)");
            }
            new CongestionControls.Options(initialWindowSegments, false); // validates 0..64
            return new TcpConfig(this);
        }
    }
}
