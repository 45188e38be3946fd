package dev.chimney.tcp;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Timer;
import dev.chimney.wire.IpAddress;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;

/**
 * The TCP layer of one event loop: demultiplexes segments to connections by 4-tuple (a hash map, no scans) and
 * to listeners by (local address, port), answers segments for no connection with RST (RFC 9293 §3.10.7.1),
 * allocates ephemeral ports (RFC 6056 §3.3.1, random start from the seeded random) and keeps the per-stack
 * counters. A parked (offloaded) connection keeps its 4-tuple here; its segments go to its {@link
 * TcpConnection.DataPath} instead of the engine (spec §1.1 logical switch).
 */
public final class TcpStack {

    /**
     * Told about connection life events a layer above wants without being called by every connection (the chimney's
     * offload policy offloads connections as they become established); tcp itself knows nothing of that layer.
     */
    public interface ConnectionObserver {
        /**
         * {@code connection} reached ESTABLISHED (its handshake completed, actively or passively). Called from
         * inside input processing: do not call back into the connection here, queue the work for later.
         */
        void onEstablished(TcpConnection connection);
    }

    /** A 4-tuple used as map key; stored keys are never mutated, the stack reuses one probe key for lookups. */
    static final class FlowKey {
        IpAddress local;
        int localPort;
        IpAddress remote;
        int remotePort;

        FlowKey(IpAddress local, int localPort, IpAddress remote, int remotePort) {
            set(local, localPort, remote, remotePort);
        }

        FlowKey set(IpAddress local, int localPort, IpAddress remote, int remotePort) {
            this.local = local;
            this.localPort = localPort;
            this.remote = remote;
            this.remotePort = remotePort;
            return this;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FlowKey k && k.localPort == localPort && k.remotePort == remotePort
                    && Objects.equals(k.local, local) && Objects.equals(k.remote, remote);
        }

        @Override
        public int hashCode() {
            // no spreading here: HashMap xors the high half into the low one itself, and doing it twice cancels
            // out — the bucket then depended on the remote port alone, so a client's N connections to one server
            // port shared a handful of (tree) bins
            int h = Objects.hashCode(local) * 31 + Objects.hashCode(remote);
            return h * 31 + (localPort << 16 | remotePort);
        }
    }

    private final EventLoop loop;
    private final TcpConfig config;
    private final TcpOutput output;
    private final SeededRandom random;
    private final IsnSource isnSource;
    /** Insertion-ordered: tools list connections in the order they entered the table, whatever their hashes. */
    private final LinkedHashMap<FlowKey, TcpConnection> connections = new LinkedHashMap<>();
    private final HashMap<FlowKey, TcpListener> listeners = new HashMap<>();
    private final FlowKey probe = new FlowKey(null, 0, null, 0);
    private final long[] counters = new long[TcpCounter.values().length];
    private final TcpSegment rst = new TcpSegment();
    private RateLimiter challengeAcks;
    private ConnectionObserver observer;
    /** Ring storage recycled between this loop's connections (TcpConfig.bufferPoolBytes). */
    private final BufferPool bufferPool;
    /** The cached variables every new connection starts with: one immutable record, not one per connection. */
    private final TcpCached defaultCached;
    /** Copy space for a segment whose data wraps a send ring; shared by all connections of this loop. */
    private byte[] scratch = new byte[0];
    private MemorySegment scratchMemory = MemorySegment.ofArray(scratch);
    /**
     * TIME_WAIT deadlines (RFC 9293 §3.10.8: 2·MSL after the last FIN) in the order they were set, a ring of
     * (connection, deadline). Each is "now + the same 2·MSL", so the ring is sorted by deadline and one loop timer
     * serves them all: a TIME_WAIT connection takes no place in the loop's timer heap, where the tens of thousands a
     * server closing first holds under ApacheBench (issue 9) made every other timer operation slower. An entry whose
     * connection left TIME_WAIT or restarted its 2·MSL since (a retransmitted FIN: a newer entry) is skipped.
     */
    private TcpConnection[] timeWaitConnections = new TcpConnection[16];
    /**
     * How late a TIME_WAIT may end (RFC 9293 §3.10.8 asks for at least 2·MSL, never at most): one loop wake-up then
     * ends every TIME_WAIT due within this window, so the tens of thousands ending after an ApacheBench run cost at
     * most 100 wake-ups a second, each followed by the idle strategy's spin and yield, instead of one per connection
     * (31.6 % of a core for an idle stack after 40,000 short connections, measured with bench/run-loss.sh).
     */
    public static final long TIME_WAIT_SLACK_NS = 10_000_000L;
    private long[] timeWaitDeadlines = new long[16];
    private int timeWaitHead;
    private int timeWaitCount;
    private final Timer timeWaitTimer = new Timer() {
        @Override
        protected void onExpired(long nowNs) {
            expireTimeWaits(nowNs);
        }
    };

    /** A stack with RFC 6528 initial sequence numbers ({@link IsnGenerator} keyed from {@code random}). */
    public TcpStack(EventLoop loop, TcpConfig config, TcpOutput output, SeededRandom random) {
        this(loop, config, output, random, new IsnGenerator(random.fork("isn"))::isn);
    }

    /**
     * @param loop the loop that owns every connection of this stack (its clock and timer queue are used)
     * @param random the stack's random stream (ephemeral ports, timestamp offsets)
     * @param isnSource initial sequence numbers (RFC 6528)
     */
    public TcpStack(EventLoop loop, TcpConfig config, TcpOutput output, SeededRandom random, IsnSource isnSource) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.config = Objects.requireNonNull(config, "config");
        this.output = Objects.requireNonNull(output, "output");
        this.random = Objects.requireNonNull(random, "random");
        this.isnSource = Objects.requireNonNull(isnSource, "isnSource");
        this.bufferPool = new BufferPool(config.bufferPoolBytes);
        this.defaultCached = TcpCached.defaults(config);
    }

    public TcpConfig config() {
        return config;
    }

    /** Installs the observer of connection life events (one per stack; null removes it). */
    public void observer(ConnectionObserver o) {
        this.observer = o;
    }

    void established(TcpConnection c) {
        if (observer != null) {
            observer.onEstablished(c);
        }
    }

    EventLoop loop() {
        return loop;
    }

    TcpOutput output() {
        return output;
    }

    SeededRandom random() {
        return random;
    }

    BufferPool bufferPool() {
        return bufferPool;
    }

    /**
     * An array of at least {@code minLength} bytes from this stack's buffer pool, for a copy of send data the stack
     * lends out (a chimney send request the offload target holds until it completes); give it back with {@link
     * #recycleArray} once nobody reads it any more. On the stack's loop only; the array's contents are undefined.
     */
    public byte[] takeArray(int minLength) {
        if (minLength < 0) {
            throw new IllegalArgumentException("minLength " + minLength + " < 0");
        }
        return bufferPool.take(minLength, Integer.MAX_VALUE - 8);
    }

    /**
     * Gives an array back to this stack's buffer pool (kept if the pool has room, {@link
     * TcpConfig.Builder#bufferPoolBytes}); the caller must not touch it afterwards. On the stack's loop only.
     */
    public void recycleArray(byte[] array) {
        if (array.length >= BufferPool.MIN_BYTES) {
            bufferPool.offer(array, null);
        }
    }

    TcpCached defaultCached() {
        return defaultCached;
    }

    /** Bytes of buffer storage kept for reuse by this stack's connections now (see TcpConfig.bufferPoolBytes). */
    public long pooledBufferBytes() {
        return bufferPool.pooledBytes();
    }

    long nowNs() {
        return loop.clock().nanoTime();
    }

    public long counter(TcpCounter c) {
        return counters[c.ordinal()];
    }

    void count(TcpCounter c) {
        counters[c.ordinal()]++;
    }

    void count(TcpCounter c, long n) {
        counters[c.ordinal()] += n;
    }

    /** {@code c} entered TIME_WAIT or restarted it: it ends at {@code deadlineNs} unless that changes again. */
    void queueTimeWait(TcpConnection c, long deadlineNs) {
        int capacity = timeWaitConnections.length;
        if (timeWaitCount == capacity) {
            TcpConnection[] cs = new TcpConnection[2 * capacity];
            long[] ds = new long[2 * capacity];
            for (int i = 0; i < timeWaitCount; i++) {
                int from = (timeWaitHead + i) & (capacity - 1);
                cs[i] = timeWaitConnections[from];
                ds[i] = timeWaitDeadlines[from];
            }
            timeWaitConnections = cs;
            timeWaitDeadlines = ds;
            timeWaitHead = 0;
            capacity *= 2;
        }
        int tail = (timeWaitHead + timeWaitCount) & (capacity - 1);
        timeWaitConnections[tail] = c;
        timeWaitDeadlines[tail] = deadlineNs;
        timeWaitCount++;
        if (!timeWaitTimer.isArmed()) {
            loop.timers().schedule(timeWaitTimer, timeWaitDeadlines[timeWaitHead] + TIME_WAIT_SLACK_NS);
        }
    }

    private void expireTimeWaits(long nowNs) {
        int mask = timeWaitConnections.length - 1;
        while (timeWaitCount > 0 && timeWaitDeadlines[timeWaitHead] <= nowNs) {
            TcpConnection c = timeWaitConnections[timeWaitHead];
            long deadline = timeWaitDeadlines[timeWaitHead];
            timeWaitConnections[timeWaitHead] = null;
            timeWaitHead = (timeWaitHead + 1) & mask;
            timeWaitCount--;
            c.onTimeWaitDeadline(deadline, nowNs);
        }
        if (timeWaitCount > 0 && !timeWaitTimer.isArmed()) {
            loop.timers().schedule(timeWaitTimer, timeWaitDeadlines[timeWaitHead] + TIME_WAIT_SLACK_NS);
        }
    }

    /** Number of connections in the demux table (SYN_RECEIVED through TIME_WAIT). */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Connections this engine runs now in ESTABLISHED or CLOSE_WAIT (tcpCurrEstab, RFC 4022), parked ones left out:
     * while a connection is parked another engine (an offload target) runs it and counts it. Walks the table.
     */
    public int establishedCount() {
        int n = 0;
        for (TcpConnection c : connections.values()) {
            TcpState s = c.state();
            if ((s == TcpState.ESTABLISHED || s == TcpState.CLOSE_WAIT) && !c.isParked()) {
                n++;
            }
        }
        return n;
    }

    /**
     * The connections in the demux table now (SYN_RECEIVED through TIME_WAIT, parked ones included), in the order
     * they entered it: a copy, for diagnostics and control tools (call on the loop).
     */
    public List<TcpConnection> connections() {
        return List.copyOf(connections.values());
    }

    int isn(IpAddress local, int localPort, IpAddress remote, int remotePort, long nowNs) {
        return isnSource.isn(local, localPort, remote, remotePort, nowNs);
    }

    int hashOf(FlowKey key) {
        return key.hashCode();
    }

    /**
     * Listens on {@code port} at {@code localAddress} (null = every address).
     *
     * @throws IllegalStateException if something already listens there
     */
    public TcpListener listen(IpAddress localAddress, int port, TcpListener.Handler handler) {
        return listen(localAddress, port, config.acceptBacklog, handler);
    }

    /**
     * Listens with an accept backlog of at most {@code backlog} established connections (listen(2)); values above
     * {@link TcpConfig}'s {@code acceptBacklog} are capped by it, so the configured limit always holds.
     *
     * @throws IllegalStateException if something already listens there
     */
    public TcpListener listen(IpAddress localAddress, int port, int backlog, TcpListener.Handler handler) {
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        FlowKey k = new FlowKey(localAddress, port, null, 0);
        if (listeners.containsKey(k)) {
            throw new IllegalStateException("already listening on " + localAddress + ":" + port
                    + "; close that listener first");
        }
        TcpListener l = new TcpListener(this, localAddress, port, Math.min(backlog, config.acceptBacklog), handler);
        listeners.put(k, l);
        return l;
    }

    void unlisten(TcpListener l) {
        listeners.remove(new FlowKey(l.localAddress(), l.localPort(), null, 0));
    }

    /**
     * Active open (RFC 9293 §3.10.1) from an ephemeral port.
     *
     * @throws IllegalStateException if every ephemeral port towards that peer is in use
     */
    public TcpConnection connect(IpAddress local, IpAddress remote, int remotePort, TcpConnection.Listener l) {
        int first = config.ephemeralPortFirst;
        int range = config.ephemeralPortLast - first + 1;
        int start = random.nextInt(range);
        for (int i = 0; i < range; i++) {
            int port = first + (start + i) % range; // RFC 6056 §3.3.1 (Algorithm 1): random start, step 1
            if (!connections.containsKey(probe.set(local, port, remote, remotePort))) {
                return connect(local, port, remote, remotePort, l);
            }
        }
        count(TcpCounter.DROP_NO_CONNECTION);
        throw new IllegalStateException("no free ephemeral port towards " + remote + ":" + remotePort
                + "; widen ephemeralPorts(...) or close connections");
    }

    /** Active open from a given local port. */
    public TcpConnection connect(IpAddress local, int localPort, IpAddress remote, int remotePort,
            TcpConnection.Listener l) {
        if (connections.containsKey(probe.set(local, localPort, remote, remotePort))) {
            throw new IllegalStateException("4-tuple " + local + ":" + localPort + " -> " + remote + ":"
                    + remotePort + " is in use");
        }
        TcpConnection c = new TcpConnection(this, local, localPort, remote, remotePort,
                output.pathMtu(local, remote), defaultCached);
        c.listener(l);
        add(c);
        count(TcpCounter.ACTIVE_OPENS);
        long now = nowNs();
        c.openActive(now, isn(local, localPort, remote, remotePort, now));
        return c;
    }

    /** The connection for a 4-tuple, or null. */
    public TcpConnection find(IpAddress local, int localPort, IpAddress remote, int remotePort) {
        return connections.get(probe.set(local, localPort, remote, remotePort));
    }

    void add(TcpConnection c) {
        TcpConnection old = connections.putIfAbsent(c.key, c);
        if (old != null && old != c) {
            throw new IllegalArgumentException("4-tuple " + c.localAddress + ":" + c.localPort + " -> "
                    + c.remoteAddress + ":" + c.remotePort + " is already in use by a " + old.state()
                    + " connection");
        }
    }

    void remove(TcpConnection c) {
        if (connections.get(c.key) == c) {
            connections.remove(c.key);
        }
        if (c.owner != null) {
            c.owner.embryoGone();
            c.owner = null;
        }
    }

    /**
     * Input from the IP layer: one TCP segment from {@code source} to {@code destination}. Never throws on bad
     * input; bad segments are counted and dropped.
     */
    public void onSegment(long nowNs, IpAddress source, IpAddress destination, TcpSegment seg) {
        count(TcpCounter.SEGMENTS_IN);
        int flags = seg.flags();
        if (seg.sourcePort() == 0 || seg.destinationPort() == 0
                || (flags & (TcpFlags.SYN | TcpFlags.FIN)) == (TcpFlags.SYN | TcpFlags.FIN)
                || (flags & (TcpFlags.SYN | TcpFlags.RST)) == (TcpFlags.SYN | TcpFlags.RST)) {
            count(TcpCounter.DROP_BAD_HEADER);
            return;
        }
        TcpConnection c = connections.get(probe.set(destination, seg.destinationPort(), source, seg.sourcePort()));
        if (c != null) {
            if (c.isParked()) {
                // offloaded: the engine is stopped and whatever arrives here goes to the offload manager (it was
                // passed up by the target, or came in on a host port); it must not be answered or reset here
                c.onSegment(nowNs, seg);
                return;
            }
            if (c.state() == TcpState.TIME_WAIT && seg.has(TcpFlags.SYN) && !seg.has(TcpFlags.ACK)
                    && c.acceptsNewIncarnation(seg)) {
                c.killTimeWait(); // RFC 9293 §3.10.7.4 note / RFC 6191: a new SYN may reopen a TIME-WAIT tuple
            } else {
                c.onSegment(nowNs, seg);
                return;
            }
        }
        TcpListener l = listeners.get(probe.set(destination, seg.destinationPort(), null, 0));
        if (l == null) {
            l = listeners.get(probe.set(null, seg.destinationPort(), null, 0));
        }
        if (l != null) {
            l.onSegment(nowNs, source, destination, seg);
            return;
        }
        count(TcpCounter.DROP_NO_CONNECTION);
        sendReset(destination, source, seg);
    }

    /** RFC 9293 §3.10.7.1: the reset answering {@code seg} for which no connection exists; never for a RST. */
    void sendReset(IpAddress local, IpAddress remote, TcpSegment seg) {
        if (seg.has(TcpFlags.RST)) {
            return;
        }
        rst.clear();
        rst.sourcePort(seg.destinationPort()).destinationPort(seg.sourcePort());
        if (seg.has(TcpFlags.ACK)) {
            rst.seq(seg.ack()).flags(TcpFlags.RST);
        } else {
            rst.seq(0).ack(seg.seq() + seg.sequenceLength()).flags(TcpFlags.RST | TcpFlags.ACK);
        }
        count(TcpCounter.RESETS_SENT);
        count(TcpCounter.SEGMENTS_OUT);
        output.transmit(local, remote, rst, null);
    }

    /**
     * A copy buffer of at least {@code len} bytes, grown on demand (to 64 KiB with TSO) and reused for every
     * segment: valid until the next call, i.e. during one {@link TcpOutput#transmit}.
     */
    byte[] scratch(int len) {
        if (scratch.length < len) {
            scratch = new byte[Math.max(len, 2048)];
            scratchMemory = MemorySegment.ofArray(scratch);
        }
        return scratch;
    }

    /** {@link #scratch(int)}'s buffer as a segment. */
    MemorySegment scratchMemory() {
        return scratchMemory;
    }

    /** RFC 5961 §7: a stack-wide budget of challenge ACKs per second. */
    boolean allowChallengeAck(long nowNs) {
        if (challengeAcks == null) {
            challengeAcks = RateLimiter.perSecond(config.challengeAcksPerSecond, nowNs);
        }
        return challengeAcks.tryAcquire(nowNs);
    }
}
