package dev.chimney.chimney.host;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadHost;
import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.PathOffloadState;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.jfr.OffloadIndicationEvent;
import dev.chimney.chimney.jfr.OffloadOperationEvent;
import dev.chimney.ip.IpStack;
import dev.chimney.ip.NeighborCache;
import dev.chimney.ip.NeighborEntry;
import dev.chimney.ip.NeighborState;
import dev.chimney.ip.NetInterface;
import dev.chimney.ip.PathEntry;
import dev.chimney.ip.Route;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopCommand;
import dev.chimney.runtime.Timer;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpSegment;
import dev.chimney.tcp.TcpSnapshot;
import dev.chimney.tcp.TcpStack;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.TcpOptions;
import dev.chimney.wire.TcpView;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The host side of the chimney (spec §1.1, §3, §4, §5): on the host's event loop it decides which connections go to
 * the offload target, builds the state trees that carry them (neighbor → path → TCP), tracks every state object's
 * offload state and dependents, carries the socket user's I/O of offloaded connections as chimney requests — the
 * logical switch, invisible to the user — and takes connections back.
 *
 * <h2>Objects and trees</h2>
 * Every offloaded neighbor, path and connection has an {@link OffloadObject} record with its handle and state
 * machine (spec §3.0 item 4, R-HOST-3 to R-HOST-7: illegal steps are refused with an exception saying what to do, or
 * — for steps the manager takes by itself — queued until legal). Connections offloaded together share one initiate
 * tree (spec §2.10): a new neighbor or path node where the object is not offloaded yet, a linker where it is, a
 * placeholder neighbor above paths that are all offloaded already. A connection whose path or neighbor is being
 * initiated or terminated by another tree waits for that to finish. Paths and neighbors count their dependents and
 * are terminated when the count drops to zero (R-HOST-5), in the same tree as their last dependent when that one is
 * terminated. Partial failures follow spec §3.1.4: every connection whose node failed is unparked and carries on
 * on the host as if nothing had happened; the objects that succeeded are recorded.
 *
 * <h2>The logical switch (spec §1.1)</h2>
 * An offloaded connection's {@link TcpConnection} stays the socket user's object, parked ({@link
 * TcpConnection#park}); the manager is its {@link TcpConnection.DataPath}:
 * <ul>
 *   <li>Writes: the bytes the application queued are posted as one send request per write (R-HOST-12: a send call
 *       returns at once, so calls on one connection never overlap). SUCCESS releases them from the send buffer;
 *       UPLOAD_IN_PROGRESS (and REQUEST_UPLOAD / UPLOAD_REQUESTED from an intermediate target) keeps them there and
 *       stops posting: the host engine sends them after the terminate, which the manager asks for (R-HOST-9);
 *       REQUEST_ABORTED data is discarded with the connection.</li>
 *   <li>Reads (spec §9 choice, documented here): an indication is taken up to the free space of the connection's
 *       receive ring (SUCCESS, PARTIALLY_ACCEPTED or NOT_ACCEPTED beyond it). After a refusal, when the application
 *       reads, the manager posts one <b>zero-byte</b> receive request to re-enable indications (spec §4.3.3) rather
 *       than a sized one: the ring is the only receive buffer, and a partly filled push-mode request would wait for a
 *       PSH or the push timer (spec §4.2.2) while data sat ready. Indicated buffers are returned in one
 *       receive-return per loop turn.</li>
 *   <li>Closes: {@code shutdownOutput}/{@code close} become a graceful disconnect after the posted bytes, {@code
 *       abort} an abortive one. TcpIndicateDisconnect is the reader's end of stream. Once both FINs are through,
 *       the connection is terminated so that the host finishes it (TIME_WAIT stays with the host, spec §1.2).</li>
 *   <li>Events: TcpIndicateAbort → terminate, then close with RESET (R-HOST-14); TcpIndicateRetrieve → terminate
 *       for a mandatory reason always (R-HOST-14), for an optional one as {@link OffloadPolicy#acceptOptionalRetrieve}
 *       says.</li>
 *   <li>Segments the host stack sees for an offloaded connection (passed up by the target, spec §6.11.2) are
 *       forwarded (spec §4.7); while the initiate is outstanding they are held and forwarded after it; while a
 *       terminate is outstanding they are held and processed by the host engine after it (R-HOST-8).</li>
 *   <li>Terminate completion: the engine resumes from the returned delegated state and BufferedData (in order,
 *       before anything newer), trims its send buffer to the returned SND.UNA and sends what remains, its timers
 *       running from the returned deltas (R-HOST-10, {@link TcpConnection#resume}).</li>
 *   <li>Urgent data is never sent through the chimney (R-HOST-11): the host's TCP has no API to send it.</li>
 * </ul>
 *
 * <h2>Updates and neighbor reachability</h2>
 * Cached values that change while offloaded are carried by an update (spec §3.3): the path MTU (the path cache's
 * listener), the next hop's MAC (the neighbor cache's listener), and TCP cached values set through {@link
 * TcpConnection#updateCached} (socket options: TTL, TOS, flow label, keepalive, receive window). One update per
 * object at a time; a change while one is outstanding is sent when it completes. A next-hop change (a route added
 * or removed, an ICMP redirect) relinks the offloaded paths it moves to their new neighbor (spec §3.3.3). A
 * NeighborReachabilityQuery is
 * answered at once from the neighbor cache (R-HOST-15): a non-zero HRD when the entry is REACHABLE, else 0 and the
 * spec §5.2.4 follow-up — a query of the NRD after DELAY_FIRST_PROBE_TIME: progress makes the entry REACHABLE, none
 * starts the cache's unicast probes, whose failure invalidates the offloaded neighbor and uploads its connections.
 *
 * <h2>Admission (spec §5.1, §5.1.4)</h2>
 * An explicit state machine, {@link Admission}:
 * <pre>
 *   state          PAUSE          UPLOAD_ALL / terminateAll   RESUME / resume()             last terminate done
 *   OPEN           PAUSED         UPLOADING_ALL               OPEN (capabilities re-read)   -
 *   PAUSED         PAUSED         UPLOADING_ALL               OPEN (capabilities re-read)   -
 *   UPLOADING_ALL  UPLOADING_ALL  UPLOADING_ALL (re-swept)    noted; OPEN when drained      DRAINED, or OPEN if noted
 *   DRAINED        DRAINED        DRAINED                     OPEN (capabilities re-read)   -
 * </pre>
 * Nothing new is offloaded outside OPEN (R-PAUSE-4, R-RESUME-1, R-UPLOAD-1): no initiate tree, no new neighbor for
 * a relink. Offloaded connections run on in every state (R-PAUSE-1, R-PAUSE-6). The choices where the spec is open:
 * <ul>
 *   <li><b>UPLOAD_ALL in batches</b> ({@link #uploadAllBatchSize}): every offloaded connection is marked for
 *       terminate at once (so the application's new writes stay with the host engine), then terminated in trees of
 *       at most that many connections grouped by path, one tree outstanding at a time; a path or neighbor goes in
 *       the tree of its last dependents or, failing that, in its own tree as soon as its count drops to zero
 *       (R-UPLOAD-2/3, R-HOST-5). A connection busy with an update, query or invalidate follows when idle
 *       (R-HOST-6).</li>
 *   <li><b>Initiates in flight</b> when PAUSE arrives are not cancelled (spec §5.1.1): their completions are
 *       handled as always. When UPLOAD_ALL arrives they are marked too: a connection whose initiate completes with
 *       success is terminated at once, one whose initiate fails simply stays on the host (spec §9 item 31 from the
 *       host's side: whichever the target chooses, no byte is lost).</li>
 *   <li><b>An indication while an offload is in progress</b> (spec §9 item 30) changes only what the host does next:
 *       the outstanding initiate completes normally, and the admission state decides what happens to its
 *       connections afterwards (kept when PAUSED; terminated when UPLOADING_ALL).</li>
 *   <li><b>UPLOAD_ALL closes admission until RESUME</b> (spec §9 item 32), with or without a PAUSE before it
 *       (R-UPLOAD-8). A RESUME that arrives before the upload-all the target asked for finished breaks R-RESUME-4:
 *       it is counted as a protocol violation and takes effect when the last terminate completes (during the host's
 *       own {@link #terminateAll} it is no violation, and admission then waits for {@link #resume()} too).</li>
 *   <li><b>RESUME</b> re-reads the capabilities (the ones it carries, else {@link OffloadTarget#capabilities()};
 *       R-RESUME-2) and adapts to them (R-RESUME-3): connections still offloaded that the new set no longer admits
 *       (IP version, SACK, receive window, path MTU, or beyond the new connection, path or neighbor counts — the
 *       most recently offloaded first) are terminated, and the new set is enabled with {@link
 *       OffloadTarget#configure} once they are back (spec §7.1: a capability is disabled only after the connections
 *       that use it are terminated). Then the connections the upload-all took back and those the policy chose while
 *       admission was closed are offloaded again, within the new capabilities.</li>
 *   <li>{@link #terminateAll} is the host's own upload-all (power transitions, R-PM-2; media disconnect,
 *       R-HOST-13), reopened by {@link #resume()}; a target's PAUSE or UPLOAD_ALL is reopened only by its RESUME
 *       (R-PAUSE-4), and admission opens when neither side holds it closed.</li>
 * </ul>
 *
 * <p>Threading: every method runs on the host's loop; a target on another loop posts its completions there.
 */
public final class OffloadManager implements OffloadHost, TcpConnection.DataPath {

    /** The chimney admission state the host keeps per target (spec §5.1.4). */
    public enum Admission {
        /** New offloads are made. */
        OPEN,
        /** The target indicated PAUSE: no new offloads; the offloaded ones run on. */
        PAUSED,
        /** Everything is being terminated (UPLOAD_ALL, or the host's own terminateAll). */
        UPLOADING_ALL,
        /** Everything was terminated; nothing is offloaded until RESUME ({@link #resume()}). */
        DRAINED
    }

    /** Told about connections moving to and from the target (tests, diagnostics, statistics). */
    public interface Listener {
        default void onOffloaded(TcpConnection connection) {
        }

        /** The initiate failed for this connection (its node's status); it carries on on the host. */
        default void onOffloadFailed(TcpConnection connection, OffloadStatus status) {
        }

        /** The terminate completed: the connection is the host's again (resumed or closed). */
        default void onUploaded(TcpConnection connection) {
        }

        /**
         * A state operation was issued to the target: a tree with these many neighbor, path and connection nodes
         * (new offloads, linkers and references alike; placeholders not counted).
         */
        default void onOperationIssued(OffloadOperation operation, int neighbors, int paths, int connections) {
        }

        /**
         * A state operation completed, before the manager acts on it: {@code succeeded} nodes with SUCCESS, {@code
         * failed} with another status, {@code durationNs} by the host loop's clock since it was issued.
         */
        default void onOperationCompleted(OffloadOperation operation, int succeeded, int failed, long durationNs) {
        }

        /**
         * The target raised a status indication (spec §5.1), before the host acts on it (the operations it causes
         * follow); {@code admission} is the state it found the host in.
         */
        default void onStatusIndication(StatusIndication indication, Admission admission) {
        }

        /** The target raised a TCP chimney event for {@code connection} (spec §5.3), before the manager acts on it. */
        default void onTcpEvent(TcpConnection connection, TcpEvent event) {
        }
    }

    /** Connections per terminate tree during an upload-all unless {@link #uploadAllBatchSize(int)} says otherwise. */
    public static final int DEFAULT_UPLOAD_ALL_BATCH = 256;

    /** Segments held per connection while an initiate or terminate is outstanding; beyond, the peer retransmits. */
    static final int MAX_HELD_SEGMENTS = 256;

    private record NeighborKey(NeighborCache cache, IpAddress ip) {
    }

    private record PathKey(IpAddress source, IpAddress destination) {
    }

    /** An operation issued and not completed; {@code event} is null when no recording wants it. */
    private record Pending(OffloadOperation operation, Consumer<BlockList> result, long issuedNs,
            OffloadOperationEvent event) {
    }

    private final EventLoop loop;
    private final IpStack ip;
    private final TcpStack tcp;
    private final OffloadTarget target;
    private final OffloadPolicy policy;
    private final OffloadParameters parameters;
    private final long tickNs;
    private OffloadCapabilities capabilities;
    private Admission admission = Admission.OPEN;
    /** The target's PAUSE or UPLOAD_ALL holds admission closed until its RESUME (R-PAUSE-4, spec §9 item 32). */
    private boolean targetHold;
    /** {@link #terminateAll} holds admission closed until {@link #resume()}. */
    private boolean hostHold;
    /** The running upload-all was asked for by the target (its RESUME must wait for the end, R-RESUME-4). */
    private boolean targetUploadAll;
    private int uploadAllBatch = DEFAULT_UPLOAD_ALL_BATCH;
    /** Connections an upload-all still has to terminate, grouped by path; polled one batch at a time. */
    private final LinkedHashSet<ConnectionRecord> sweep = new LinkedHashSet<>();
    /** The upload-all batch outstanding, or null. */
    private BlockList sweepRoot;
    /** Connections a RESUME found beyond the new capabilities; the new set is enabled when they are all back. */
    private final List<ConnectionRecord> adapting = new ArrayList<>();
    private boolean reconfigurePending;
    /**
     * Connections to offload when admission reopens: the ones an upload-all took back and the ones the policy chose
     * while admission was closed (filtered at reopening: still open, not parked, not offloaded).
     */
    private final LinkedHashSet<TcpConnection> deferred = new LinkedHashSet<>();

    private final Map<TcpConnection, ConnectionRecord> connections = new LinkedHashMap<>();
    private final Map<PathKey, PathRecord> paths = new LinkedHashMap<>();
    private final Map<NeighborKey, NeighborRecord> neighbors = new LinkedHashMap<>();
    private final IdentityHashMap<BlockList, Pending> pending = new IdentityHashMap<>();
    /** Connections, paths and neighbors the target holds or is about to hold (capacity, spec §7.3). */
    private int heldConnections;
    private int heldPaths;
    private int heldNeighbors;

    private final long[] counters = new long[OffloadCounter.values().length];
    private final List<Listener> listeners = new ArrayList<>();
    private final List<Runnable> drainedWaiters = new ArrayList<>();

    /** Connections that became ESTABLISHED this turn (all-established policy), offloaded as one tree. */
    private final List<TcpConnection> established = new ArrayList<>();
    /**
     * At least the number of records with {@code waitingForLower} set: raised when one is flagged, recounted by
     * {@link #retryWaiting} (flags cleared elsewhere only make it an overestimate), so 0 means none is.
     */
    private int mayBeWaiting;
    private boolean establishedQueued;
    private final LoopCommand flushEstablished = new LoopCommand() {
        @Override
        public void run() {
            establishedQueued = false;
            List<TcpConnection> batch = new ArrayList<>(established);
            established.clear();
            initiate(batch, true);
        }
    };
    /** After-bytes policy: established connections watched until they carried enough. */
    private final Map<TcpConnection, long[]> watched = new LinkedHashMap<>();
    private final Timer watchTimer = Timer.of(this::checkWatched);

    /** Indicated buffers to give back (spec §4.3.4), returned in one call at the end of the turn. */
    private ReceiveIndication returnHead;
    private ReceiveIndication returnTail;
    private final LoopCommand flushReturns = new LoopCommand() {
        @Override
        public void run() {
            ReceiveIndication chain = returnHead;
            returnHead = null;
            returnTail = null;
            if (chain != null) {
                target.tcpReceiveReturn(chain);
            }
        }
    };

    private final TcpView txView = new TcpView();
    private final TcpOptions txOptions = new TcpOptions();

    private OffloadManager(IpStack ip, TcpStack tcp, OffloadTarget target, OffloadPolicy policy,
            OffloadParameters parameters) {
        this.ip = Objects.requireNonNull(ip, "ip");
        this.tcp = Objects.requireNonNull(tcp, "tcp");
        this.target = Objects.requireNonNull(target, "target");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.parameters = Objects.requireNonNull(parameters, "parameters");
        this.loop = ip.loop();
        this.tickNs = parameters.tickNs();
        if (tcp.config().ticksPerSecond() != parameters.ticksPerSecond()) {
            throw new IllegalArgumentException("the TCP engine ticks " + tcp.config().ticksPerSecond() + " times a "
                    + "second and the offload parameters " + parameters.ticksPerSecond() + "; every delegated time "
                    + "value is in ticks, so set TcpConfig ticksPerSecond and OffloadParameters.ticksPerSecond alike");
        }
    }

    /**
     * Creates the manager for a host stack and binds it to {@code target}: attaches to the target on the host's
     * loop, reads its capabilities and enables them with {@code parameters} (spec §1.3, §7), and listens to the path
     * cache, every interface's neighbor caches and the TCP engine. Call on the host's loop, after the interfaces are
     * attached.
     *
     * @throws IllegalArgumentException if the TCP engine's tick differs from {@code parameters}' tick
     */
    public static OffloadManager install(IpStack ip, TcpStack tcp, OffloadTarget target, OffloadPolicy policy,
            OffloadParameters parameters) {
        OffloadManager m = new OffloadManager(ip, tcp, target, policy, parameters);
        target.attach(m, m.loop);
        m.capabilities = target.capabilities();
        target.configure(m.capabilities, parameters);
        ip.paths().addListener(m::onPathMtuChanged);
        ip.routes().addListener(m::onRoutesChanged);
        for (NetInterface iface : ip.interfaces()) {
            m.watchNeighbors(ip.neighbors(iface, false));
            m.watchNeighbors(ip.neighbors(iface, true));
        }
        tcp.observer(m::onEstablished);
        return m;
    }

    /** As {@link #install(IpStack, TcpStack, OffloadTarget, OffloadPolicy, OffloadParameters)} with the defaults. */
    public static OffloadManager install(IpStack ip, TcpStack tcp, OffloadTarget target, OffloadPolicy policy) {
        return install(ip, tcp, target, policy, OffloadParameters.DEFAULTS);
    }

    private void watchNeighbors(NeighborCache cache) {
        if (cache == null) {
            return;
        }
        cache.addListener(new NeighborCache.Listener() {
            @Override
            public void onLinkAddressChanged(NeighborEntry entry) {
                NeighborRecord nr = neighbors.get(new NeighborKey(cache, entry.ip()));
                if (nr != null && entry.linkAddress() != null && !entry.linkAddress().equals(nr.offloadedMac)) {
                    requestUpdate(nr); // spec §3.3.1: DlDestinationAddress after ARP / ND
                }
            }

            @Override
            public void onUnreachable(NeighborEntry entry) {
                NeighborRecord nr = neighbors.get(new NeighborKey(cache, entry.ip()));
                if (nr != null && nr.isOffloaded() && !nr.isInvalidated() && nr.state() != OffloadState.INVALIDATING) {
                    invalidate(nr); // spec §5.2.4: no answer to the probes: invalidate the NCE and the target's copy
                }
            }
        });
        // spec §5.2.4: in DELAY the host consults the forward progress the target saw before it probes
        cache.reachabilityOracle(entry -> {
            NeighborRecord nr = neighbors.get(new NeighborKey(cache, entry.ip()));
            return nr == null ? Long.MIN_VALUE : nr.nicProgressNs;
        });
    }

    // =============================================================================================================
    // Public API
    // =============================================================================================================

    public OffloadTarget target() {
        return target;
    }

    public OffloadPolicy policy() {
        return policy;
    }

    /** The capabilities the manager offloads within (read at install and at every RESUME). */
    public OffloadCapabilities capabilities() {
        return capabilities;
    }

    public Admission admission() {
        return admission;
    }

    public void addListener(Listener l) {
        listeners.add(Objects.requireNonNull(l, "listener"));
    }

    public long counter(OffloadCounter c) {
        return counters[c.ordinal()];
    }

    /**
     * Asks the target for its offload statistics and hands {@code result}, on this loop, the host's own figures
     * merged with them (spec §5.4.4, {@link ChimneyStatistics}); the host's figures are read when the target's answer
     * arrives, so a connection moved in between is counted by one side or the other, never twice.
     */
    public void queryStatistics(Consumer<ChimneyStatistics> result) {
        Objects.requireNonNull(result, "result");
        target.queryStatistics(stats -> result.accept(new ChimneyStatistics(
                ChimneyStatistics.HostStatistics.of(ip, tcp), stats)));
    }

    private void count(OffloadCounter c) {
        counters[c.ordinal()]++;
    }

    private void count(OffloadCounter c, long n) {
        counters[c.ordinal()] += n;
    }

    /** Connections the target holds or is being given or is giving back. */
    public int offloadedConnections() {
        return heldConnections;
    }

    public int offloadedPaths() {
        return heldPaths;
    }

    public int offloadedNeighbors() {
        return heldNeighbors;
    }

    /** Requests issued to the target and not completed yet (state operations; data requests not counted). */
    public int outstandingOperations() {
        return pending.size();
    }

    /** The offload state of {@code connection} (NOT_OFFLOADED when the manager has no record of it). */
    public OffloadState state(TcpConnection connection) {
        ConnectionRecord cr = connections.get(connection);
        return cr == null ? OffloadState.NOT_OFFLOADED : cr.state();
    }

    /** The record of {@code connection} while it is offloaded or on its way, else null. */
    public ConnectionRecord record(TcpConnection connection) {
        return connections.get(connection);
    }

    /** The record of the path {@code source} → {@code destination}, or null. */
    public PathRecord path(IpAddress source, IpAddress destination) {
        return paths.get(new PathKey(source, destination));
    }

    /** Every path record (offloaded or on its way), in creation order. */
    public List<PathRecord> paths() {
        return List.copyOf(paths.values());
    }

    /** Every neighbor record (offloaded or on its way), in creation order. */
    public List<NeighborRecord> neighbors() {
        return List.copyOf(neighbors.values());
    }

    /**
     * Offloads {@code connection} (explicit policy, or on top of any policy). Returns true when it went into an
     * initiate, false when it stays on the host because the admission state, the target's capabilities or an
     * unresolved next hop do not allow it (fail closed), and for a connection in CLOSING or LAST_ACK (see {@link
     * #worthOffloading}); a connection whose path or neighbor is in the middle of its own initiate or terminate is
     * offloaded when that completes (true).
     *
     * @throws IllegalStateException if the connection is already offloaded or being offloaded (R-HOST-3), or is
     *     not in ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING or LAST_ACK (R-HOST-1)
     */
    public boolean offload(TcpConnection connection) {
        return offload(List.of(connection)) == 1;
    }

    /**
     * Offloads {@code batch} in one initiate tree (bulk offload, spec §2.10): returns how many went into it or are
     * waiting for a path or neighbor; the others stay on the host (fail closed).
     *
     * @throws IllegalStateException as {@link #offload(TcpConnection)}, before anything was issued
     */
    public int offload(Collection<TcpConnection> batch) {
        for (TcpConnection c : batch) {
            ConnectionRecord cr = connections.get(c);
            if (cr != null && cr.isOffloadedOrPending()) {
                cr.beginInitiate(); // throws the R-HOST-3 refusal, changes nothing
            }
            if (!offloadable(c.state())) {
                throw new IllegalStateException("cannot offload " + c.localAddress() + ":" + c.localPort() + " -> "
                        + c.remoteAddress() + ":" + c.remotePort() + " in " + c.state() + ": a connection is "
                        + "offloaded only in ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING or LAST_ACK "
                        + "(R-HOST-1)" + (c.state().isSynchronized() ? "" : "; wait for ESTABLISHED"));
            }
        }
        return initiate(new ArrayList<>(batch), false);
    }

    /**
     * Takes {@code connection} back to the host (an upload the host decides, spec §3.2.3). When an update, query or
     * invalidate of it is outstanding the terminate is issued as soon as they complete (R-HOST-6); a second call
     * while the terminate is outstanding does nothing.
     *
     * @throws IllegalStateException if the connection is not offloaded, or its initiate is still outstanding
     *     (R-HOST-3: wait for {@link Listener#onOffloaded})
     */
    public void terminate(TcpConnection connection) {
        ConnectionRecord cr = connections.get(connection);
        if (cr == null || !cr.isOffloadedOrPending()) {
            throw new IllegalStateException("cannot terminate " + connection + ": it is not offloaded");
        }
        if (cr.isInitiating()) {
            throw new IllegalStateException("cannot terminate " + cr.describe() + " (INITIATING): it is being "
                    + "offloaded; terminate it after the initiate completes (R-HOST-3, Listener.onOffloaded)");
        }
        requestTerminate(cr);
    }

    /**
     * Takes {@code batch} back to the host in one terminate tree (bulk upload, spec §2.10): their paths and
     * neighbors go in the same tree when no other connection depends on them (R-HOST-5). A connection busy with an
     * update, query or invalidate follows when that completes (R-HOST-6); one already terminating is left alone.
     *
     * @throws IllegalStateException as {@link #terminate(TcpConnection)}, before anything was issued
     */
    public void terminate(Collection<TcpConnection> batch) {
        List<ConnectionRecord> records = new ArrayList<>(batch.size());
        for (TcpConnection c : batch) {
            ConnectionRecord cr = connections.get(c);
            if (cr == null || !cr.isOffloadedOrPending()) {
                throw new IllegalStateException("cannot terminate " + c + ": it is not offloaded");
            }
            if (cr.isInitiating()) {
                throw new IllegalStateException("cannot terminate " + cr.describe() + " (INITIATING): it is being "
                        + "offloaded; terminate it after the initiate completes (R-HOST-3, Listener.onOffloaded)");
            }
            records.add(cr);
        }
        List<ConnectionRecord> idle = new ArrayList<>(records.size());
        for (ConnectionRecord cr : records) {
            if (cr.isTerminating() || cr.terminatePending) {
                continue;
            }
            cr.terminatePending = true;
            if (cr.isIdle()) {
                idle.add(cr);
            }
        }
        if (!idle.isEmpty()) {
            terminateTree(idle, List.of(), List.of());
        }
    }

    /**
     * Terminates every offloaded connection, then every path and neighbor (spec §5.1.3), and offloads nothing more
     * until {@link #resume()}: before a power transition (R-PM-2, spec §3.7) or when the host decides a media
     * disconnect (R-HOST-13). {@code whenDrained} runs once nothing is offloaded (at once if nothing is).
     */
    public void terminateAll(Runnable whenDrained) {
        drainedWaiters.add(Objects.requireNonNull(whenDrained, "whenDrained"));
        hostHold = true;
        startUploadAll();
    }

    /**
     * Reopens admission after {@link #terminateAll}, re-reading the capabilities and offloading again what the
     * upload-all took back (see the class docs). Called while the upload-all is still running, it takes effect
     * when the last terminate completes.
     *
     * @throws IllegalStateException if the target's PAUSE or UPLOAD_ALL holds admission closed: only the target's
     *     RESUME reopens it (R-PAUSE-4, R-RESUME-1)
     */
    public void resume() {
        if (targetHold) {
            throw new IllegalStateException("cannot resume offloading to " + target.name() + ": the target "
                    + "indicated PAUSE or UPLOAD_ALL, and only its RESUME reopens admission (R-PAUSE-4, R-RESUME-1)");
        }
        hostHold = false;
        if (admission != Admission.UPLOADING_ALL) {
            reopen(target.capabilities());
        }
    }

    /**
     * Connections per terminate tree while an upload-all runs (spec §5.1.3: "once or several times"); at least 1.
     *
     * @throws IllegalArgumentException if {@code connections} is below 1
     */
    public OffloadManager uploadAllBatchSize(int connections) {
        if (connections < 1) {
            throw new IllegalArgumentException("an upload-all batch needs at least 1 connection, got " + connections);
        }
        this.uploadAllBatch = connections;
        return this;
    }

    public int uploadAllBatchSize() {
        return uploadAllBatch;
    }

    /** Connections waiting to be offloaded (again) when admission reopens. */
    public int deferredConnections() {
        return deferred.size();
    }

    /**
     * The host decides a media disconnect on {@code iface} (spec §3.2.3, R-HOST-13: the target reports link status,
     * the host decides): every connection offloaded through it is uploaded, so the host's own timers and
     * retransmissions run it while the link is down. Other interfaces' connections stay offloaded.
     */
    public void mediaDisconnected(NetInterface iface) {
        List<ConnectionRecord> affected = new ArrayList<>();
        for (ConnectionRecord cr : connections.values()) {
            Route r = ip.routes().lookup(cr.connection.remoteAddress());
            if (cr.isOffloadedOrPending() && r != null && r.iface() == iface) {
                affected.add(cr);
            }
        }
        for (ConnectionRecord cr : affected) {
            requestTerminate(cr);
        }
    }

    /**
     * Invalidates an offloaded object (spec §3.4): the target stops sending on it and on everything that depends on
     * it. When the invalidate completes, every connection depending on it is uploaded (the host re-resolves the next
     * hop and carries on), after which the object itself is terminated by its dependent count.
     *
     * @throws IllegalStateException if the object is not offloaded, is being offloaded or terminated, or is already
     *     invalidated
     */
    public void invalidate(OffloadObject object) {
        object.beginInvalidate();
        BlockList root = BlockList.reference(object.layer(), object.handle(), 0);
        count(OffloadCounter.INVALIDATES);
        issue(root, OffloadOperation.INVALIDATE, null);
        target.invalidateOffload(root);
    }

    /**
     * Queries the current state of an offloaded object (spec §3.5): {@code parts} of {@link BlockList#CONST},
     * {@link BlockList#CACHED}, {@link BlockList#DELEGATED}; {@code result} receives the completed block list (its
     * status SUCCESS or FAILURE; on FAILURE the object is terminated as spec §3.5 says).
     *
     * @throws IllegalStateException if the object is not offloaded, or being offloaded or terminated
     */
    public void query(OffloadObject object, int parts, Consumer<BlockList> result) {
        Objects.requireNonNull(result, "result");
        object.beginQuery();
        BlockList root = BlockList.reference(object.layer(), object.handle(), parts);
        count(OffloadCounter.QUERIES);
        issue(root, OffloadOperation.QUERY, result);
        target.queryOffload(root);
    }

    private void issue(BlockList root, OffloadOperation op, Consumer<BlockList> result) {
        int neighborNodes = 0;
        int pathNodes = 0;
        int tcpNodes = 0;
        for (BlockList b : root.nodes()) {
            if (b.isPlaceholder()) {
                continue;
            }
            switch (b.layer()) {
                case NEIGHBOR -> neighborNodes++;
                case IPV4_PATH, IPV6_PATH -> pathNodes++;
                case TCP -> tcpNodes++;
            }
        }
        OffloadOperationEvent event = new OffloadOperationEvent();
        if (event.isEnabled()) {
            event.begin();
            event.host = loop.name();
            event.operation = op.name();
            event.neighbors = neighborNodes;
            event.paths = pathNodes;
            event.connections = tcpNodes;
        } else {
            event = null;
        }
        pending.put(root, new Pending(op, result, loop.nowNs(), event));
        for (Listener l : listeners) {
            l.onOperationIssued(op, neighborNodes, pathNodes, tcpNodes);
        }
    }

    // =============================================================================================================
    // Policy
    // =============================================================================================================

    /** The states the spec allows a connection to be offloaded in (spec §1.2, R-HOST-1). */
    private static boolean offloadable(TcpState s) {
        return switch (s) {
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK -> true;
            default -> false;
        };
    }

    /**
     * The states this host offloads in: CLOSING and LAST_ACK are left out (a choice the spec leaves open: R-HOST-1
     * only forbids the others). Both FINs are then under way and all that remains is the acknowledgment of ours,
     * which no chimney completion or event would report (there is no disconnect request to complete, and the
     * peer's FIN was delivered before), so the host could not tell when to take the connection back.
     */
    private static boolean worthOffloading(TcpState s) {
        return s == TcpState.ESTABLISHED || s == TcpState.FIN_WAIT_1 || s == TcpState.FIN_WAIT_2
                || s == TcpState.CLOSE_WAIT;
    }

    /** TcpStack observer: a connection completed its handshake (inside input processing: queue the work). */
    private void onEstablished(TcpConnection c) {
        switch (policy.mode()) {
            case ALL_ESTABLISHED -> {
                established.add(c);
                if (!establishedQueued) {
                    establishedQueued = true;
                    loop.execute(flushEstablished);
                }
            }
            case AFTER_BYTES -> {
                watched.put(c, new long[] {c.sndUna(), c.rcvNxt()});
                if (!watchTimer.isArmed()) {
                    loop.timers().schedule(watchTimer, loop.nowNs() + policy.pollIntervalNs());
                }
            }
            case EXPLICIT -> {
            }
        }
    }

    /**
     * After-bytes policy: bytes carried = bytes acknowledged plus bytes received since ESTABLISHED, from SND.UNA and
     * RCV.NXT (modulo 2^32 per direction, so a threshold above 4 GiB per direction is not measurable).
     */
    private void checkWatched() {
        List<TcpConnection> ready = new ArrayList<>();
        var it = watched.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            TcpConnection c = e.getKey();
            if (!offloadable(c.state()) || c.isParked()) {
                if (!c.state().isSynchronized() || c.state() == TcpState.TIME_WAIT || c.isParked()) {
                    it.remove();
                }
                continue;
            }
            long carried = Integer.toUnsignedLong(c.sndUna() - (int) e.getValue()[0])
                    + Integer.toUnsignedLong(c.rcvNxt() - (int) e.getValue()[1]);
            if (carried >= policy.afterBytes()) {
                ready.add(c);
                it.remove();
            }
        }
        if (!ready.isEmpty()) {
            initiate(ready, true);
        }
        if (!watched.isEmpty()) {
            loop.timers().schedule(watchTimer, loop.nowNs() + policy.pollIntervalNs());
        }
    }

    // =============================================================================================================
    // Initiate (spec §3.1)
    // =============================================================================================================

    /**
     * Offloads what it can of {@code candidates} in one tree; returns how many went into it or wait for a lower
     * object. Candidates the capabilities or the admission state exclude stay on the host; with {@code remember},
     * those the admission state excludes are offloaded when it reopens (the policy's choices; an explicit {@link
     * #offload} call is answered false instead).
     */
    private int initiate(List<TcpConnection> candidates, boolean remember) {
        Map<NeighborRecord, Map<PathRecord, List<ConnectionRecord>>> groups = new LinkedHashMap<>();
        List<ConnectionRecord> chosen = new ArrayList<>();
        int accepted = 0;
        int newPaths = 0;
        int newNeighbors = 0;
        for (TcpConnection c : candidates) {
            ConnectionRecord existing = connections.get(c);
            if (existing != null && existing.isOffloadedOrPending() || c.isParked() || !offloadable(c.state())) {
                continue; // already moving (the policy and an explicit call may name it twice), or no longer open
            }
            if (!worthOffloading(c.state())) {
                count(OffloadCounter.STAYED_ON_HOST);
                continue;
            }
            if (admission != Admission.OPEN) {
                count(OffloadCounter.STAYED_ON_HOST);
                if (remember) {
                    defer(c);
                }
                continue;
            }
            if (!admits(c, chosen.size())) {
                count(OffloadCounter.STAYED_ON_HOST);
                continue;
            }
            Route r = ip.routes().lookup(c.remoteAddress());
            NeighborCache cache = r == null ? null : ip.neighbors(r.iface(), !c.remoteAddress().isIpv4());
            IpAddress nextHop = r == null ? null : r.nextHop(c.remoteAddress());
            NeighborEntry entry = cache == null ? null : cache.lookup(nextHop);
            if (entry == null || entry.linkAddress() == null) {
                count(OffloadCounter.STAYED_ON_HOST); // the next hop is not resolved: nothing to offload it on
                continue;
            }
            PathKey pk = new PathKey(c.localAddress(), c.remoteAddress());
            PathRecord pr = paths.get(pk);
            NeighborRecord nr;
            boolean newPath = pr == null || !pr.isOffloadedOrPending();
            if (!newPath) {
                nr = pr.neighbor;
                if (!pr.isOffloaded()) {
                    waitForLower(c);
                    accepted++;
                    continue;
                }
                if (pr.isInvalidated() || nr.isInvalidated()) {
                    count(OffloadCounter.STAYED_ON_HOST);
                    continue;
                }
            } else {
                NeighborKey nk = new NeighborKey(cache, nextHop);
                nr = neighbors.get(nk);
                boolean newNeighbor = nr == null || !nr.isOffloadedOrPending();
                if (!newNeighbor && !nr.isOffloaded()) {
                    waitForLower(c);
                    accepted++;
                    continue;
                }
                if (!newNeighbor && nr.isInvalidated()) {
                    count(OffloadCounter.STAYED_ON_HOST);
                    continue;
                }
                boolean pathCounted = pr != null && groupsContain(groups, pr);
                boolean neighborCounted = nr != null && groups.containsKey(nr);
                if (!pathCounted && heldPaths + newPaths >= capabilities.maxPaths()
                        || newNeighbor && !neighborCounted
                                && heldNeighbors + newNeighbors >= capabilities.maxNeighbors()
                        || ip.pathMtu(c.remoteAddress()) > capabilities.maxPathMtu()) {
                    count(OffloadCounter.STAYED_ON_HOST);
                    continue;
                }
                if (nr == null) {
                    nr = new NeighborRecord(cache, nextHop, this::reachabilityFollowUp);
                    neighbors.put(nk, nr);
                }
                if (pr == null) {
                    pr = new PathRecord(c.localAddress(), c.remoteAddress());
                    paths.put(pk, pr);
                }
                if (!pathCounted) {
                    newPaths++;
                }
                if (newNeighbor && !neighborCounted) {
                    newNeighbors++;
                }
            }
            ConnectionRecord cr = existing != null ? existing : new ConnectionRecord(c);
            connections.put(c, cr);
            groups.computeIfAbsent(nr, k -> new LinkedHashMap<>()).computeIfAbsent(pr, k -> new ArrayList<>()).add(cr);
            chosen.add(cr);
            accepted++;
        }
        if (!chosen.isEmpty()) {
            issueInitiate(groups);
        }
        return accepted;
    }

    private static boolean groupsContain(Map<NeighborRecord, Map<PathRecord, List<ConnectionRecord>>> groups,
            PathRecord pr) {
        for (Map<PathRecord, List<ConnectionRecord>> m : groups.values()) {
            if (m.containsKey(pr)) {
                return true;
            }
        }
        return false;
    }

    /** The admission state and the target's capabilities allow offloading {@code c} (fail closed). */
    private boolean admits(TcpConnection c, int alreadyChosen) {
        OffloadCapabilities k = capabilities;
        return admission == Admission.OPEN
                && (c.remoteAddress().isIpv4() ? k.supportIpv4() : k.supportIpv6())
                && heldConnections + alreadyChosen < k.tcpConnectionOffloadCapacity()
                && (!c.constants().sack() || k.supportSack())
                && c.cached().initialRcvWnd() <= k.maxInitialRcvWnd();
    }

    private void waitForLower(TcpConnection c) {
        ConnectionRecord cr = connections.computeIfAbsent(c, ConnectionRecord::new);
        cr.waitingForLower = true;
        mayBeWaiting++;
        count(OffloadCounter.WAITED_FOR_LOWER);
    }

    private void issueInitiate(Map<NeighborRecord, Map<PathRecord, List<ConnectionRecord>>> groups) {
        long now = loop.nowNs();
        BlockList root = null;
        for (var ng : groups.entrySet()) {
            NeighborRecord nr = ng.getKey();
            boolean anyNewPath = false;
            for (PathRecord pr : ng.getValue().keySet()) {
                anyNewPath |= !pr.isOffloaded();
            }
            BlockList nNode;
            if (!anyNewPath) {
                nNode = BlockList.placeholder(StateLayer.NEIGHBOR); // the paths are linked already (spec §2.11)
            } else if (nr.isOffloaded()) {
                nNode = BlockList.reference(StateLayer.NEIGHBOR, nr.handle(), 0); // linker
            } else {
                nNode = newNeighborNode(nr, now);
            }
            for (var pg : ng.getValue().entrySet()) {
                PathRecord pr = pg.getKey();
                BlockList pNode;
                if (pr.isOffloaded()) {
                    pNode = BlockList.reference(pr.layer(), pr.handle(), 0); // linker
                } else {
                    int mtu = ip.pathMtu(pr.destination());
                    pNode = BlockList.newPath(pr.beginInitiate(), new PathOffloadState.Const(pr.source(),
                            pr.destination()), new PathOffloadState.Cached(mtu));
                    pr.offloadedMtu = mtu;
                    pr.neighbor = nr;
                    nr.addDependent();
                    heldPaths++;
                }
                for (ConnectionRecord cr : pg.getValue()) {
                    pNode.dependent(newTcpNode(cr, pr));
                }
                nNode.dependent(pNode);
            }
            root = root == null ? nNode : root.link(nNode);
        }
        count(OffloadCounter.INITIATES);
        issue(root, OffloadOperation.INITIATE, null);
        target.initiateOffload(root);
    }

    private BlockList newNeighborNode(NeighborRecord nr, long now) {
        NeighborEntry e = nr.entry();
        int hrd = ticks(e.hostReachabilityDeltaNs(now));
        // DlSourceAddress: null = the interface's own MAC (R-STATE-5); a target that can be told another one gets
        // the entry's, which is the interface MAC too, so both mean the same source (spec §2.3).
        NeighborOffloadState.Const k = new NeighborOffloadState.Const(
                capabilities.configurableSourceMac() ? e.constState().dlSourceAddress() : null,
                e.constState().vlanId());
        nr.offloadedMac = e.linkAddress();
        heldNeighbors++;
        // spec §5.2.1: HRD and NRD are equal at offload time
        return BlockList.newNeighbor(nr.beginInitiate(), k, new NeighborOffloadState.Cached(e.linkAddress(), hrd),
                new NeighborOffloadState.Delegated(hrd));
    }

    private BlockList newTcpNode(ConnectionRecord cr, PathRecord pr) {
        TcpConnection c = cr.connection;
        cr.resetDataPath();
        TcpSnapshot s = c.park(this); // R-HOST-2: flushes the owed ACK, stops every timer
        TcpDelegated d = s.delegated();
        cr.finInSnapshot = d.state().finQueued();
        cr.peerFin = d.state() == TcpState.CLOSE_WAIT || d.state() == TcpState.CLOSING
                || d.state() == TcpState.LAST_ACK;
        SendRequest chain = null;
        SendRequest last = null;
        int most = sendRequestBytes(c);
        for (int at = 0; at < d.sendDataLength(); ) {
            // spec §3.1.6: the outstanding bytes from SND.UNA as the send chain; completed like any later send, in
            // requests of postSends' size (a whole buffer in one request waits for its last byte's ACK to free any)
            int k = Math.min(most, d.sendDataLength() - at);
            byte[] data = new byte[k];
            c.copySendData(at, k, data, 0); // one copy, straight from the send buffer
            SendRequest r = SendRequest.of(data);
            r.hostContext = cr;
            cr.outstandingSends.add(r);
            if (last == null) {
                chain = r;
            } else {
                last.next(r);
            }
            last = r;
            at += k;
        }
        cr.postedBytes = d.sendDataLength();
        cr.offloadedRcvWnd = s.cached().initialRcvWnd();
        cr.path = pr;
        pr.addDependent();
        heldConnections++;
        TcpCached cached = s.cached();
        long window = Integer.toUnsignedLong(d.rcvWnd()) + d.receivedDataLength();
        if (window > Integer.toUnsignedLong(cached.initialRcvWnd()) && window <= capabilities.maxInitialRcvWnd()) {
            // the host advertises more than its InitialRcvWnd: its buffer grew when a terminate returned a window
            // plus buffered data (an upload-all, then RESUME). The target sizes its buffer from InitialRcvWnd and
            // must keep the advertised window covered (RFC 9293 §3.8.6.2.2, R-OFF-15), so it is told the buffer
            // the host really has; a later update carries the application's value as before
            cached = cached.withInitialRcvWnd((int) window);
        }
        return BlockList.newTcp(cr.beginInitiate(), s.constants(), cached,
                d.withData(new byte[0], d.receivedData()), chain);
    }

    private int ticks(long ns) {
        return (int) Math.min(Math.max(0, ns) / tickNs, Integer.MAX_VALUE);
    }

    @Override
    public void initiateOffloadComplete(BlockList root) {
        if (!takePending(root, OffloadOperation.INITIATE)) {
            return;
        }
        List<OffloadObject> done = new ArrayList<>();
        List<OffloadStatus> statuses = new ArrayList<>();
        completeInitiate(root, true, done, statuses);
        List<OffloadObject> parents = new ArrayList<>();
        for (int i = 0; i < done.size(); i++) {
            OffloadObject o = done.get(i);
            boolean ok = o.isOffloaded();
            switch (o) {
                case NeighborRecord nr -> {
                    if (ok) {
                        count(OffloadCounter.NEIGHBORS_OFFLOADED);
                    } else {
                        heldNeighbors--;
                    }
                    parents.add(nr);
                    driveRelinksTo(nr);
                }
                case PathRecord pr -> {
                    if (ok) {
                        count(OffloadCounter.PATHS_OFFLOADED);
                    } else {
                        heldPaths--;
                        pr.neighbor.removeDependent();
                    }
                    parents.add(pr);
                    parents.add(pr.neighbor);
                }
                case ConnectionRecord cr -> {
                    if (ok) {
                        connectionOffloaded(cr);
                    } else {
                        heldConnections--;
                        cr.path.removeDependent();
                        parents.add(cr.path);
                        parents.add(cr.path.neighbor);
                        connectionOffloadFailed(cr, statuses.get(i));
                    }
                }
            }
        }
        for (OffloadObject p : parents) {
            retireIfUseless(p);
        }
        retryWaiting();
    }

    /**
     * Walks a completed initiate tree depth-first, ending each new offload's initiate: it is offloaded when its
     * status says so, the target wrote its context (R-TREE-6) and its parent is offloaded (spec §3.1.4: a failed
     * node's dependents are failed). Anything else the target claims is a protocol violation and fails the node on
     * the host side, so the connection keeps working here.
     */
    private void completeInitiate(BlockList first, boolean parentOk, List<OffloadObject> done,
            List<OffloadStatus> statuses) {
        for (BlockList b = first; b != null; b = b.next()) {
            boolean ok;
            if (b.isPlaceholder()) {
                ok = true; // its dependents are linked to objects already offloaded
            } else {
                OffloadObject o = owner(b.handle());
                if (o == null) {
                    count(OffloadCounter.PROTOCOL_VIOLATIONS);
                    ok = false;
                } else if (o.isInitiating() && o.handle() == b.handle()) {
                    OffloadStatus st = b.status();
                    boolean legal = st != null && st.allowedFor(OffloadOperation.INITIATE);
                    boolean claimed = legal && st.isOffloaded();
                    boolean hasContext = b.handle().miniportContext() != null;
                    if (!legal || claimed != hasContext || claimed && !parentOk) {
                        count(OffloadCounter.PROTOCOL_VIOLATIONS);
                    }
                    ok = claimed && hasContext && parentOk;
                    o.endInitiate(ok);
                    done.add(o);
                    statuses.add(st == null ? OffloadStatus.FAILURE : st);
                } else {
                    ok = o.isOffloaded() && parentOk; // a linker: the object was offloaded before this tree
                }
            }
            if (b.dependents() != null) {
                completeInitiate(b.dependents(), ok, done, statuses);
            }
        }
    }

    /** The record a handle stands for, or null for a handle this manager did not make. */
    private static OffloadObject owner(OffloadHandle h) {
        return h != null && h.owner() instanceof OffloadObject o ? o : null;
    }

    private void connectionOffloaded(ConnectionRecord cr) {
        count(OffloadCounter.CONNECTIONS_OFFLOADED);
        for (Listener l : listeners) {
            l.onOffloaded(cr.connection);
        }
        if (cr.terminatePending) {
            drive(cr); // held segments wait for the host engine after the terminate (R-HOST-8)
            return;
        }
        // what the application did while the initiate was outstanding (R-HOST-3: nothing was posted meanwhile)
        if (cr.abortWanted) {
            postAbort(cr);
        } else {
            postSends(cr);
            if (cr.finWanted) {
                postDisconnect(cr);
            }
            postReceiveIfRefused(cr); // an indication refused during the initiate (a target's mistake)
        }
        // R-HOST-8: segments that arrived during the initiate are forwarded now that it completed (spec §4.7)
        if (!cr.heldSegments.isEmpty()) {
            ForwardRequest chain = null;
            for (TcpSegment s : cr.heldSegments) {
                ForwardRequest f = new ForwardRequest(encode(s));
                chain = chain == null ? f : chain.append(f);
            }
            cr.heldSegments.clear();
            count(OffloadCounter.FORWARDS);
            target.tcpForward(cr.context(), chain);
        }
        drive(cr);
    }

    private void connectionOffloadFailed(ConnectionRecord cr, OffloadStatus status) {
        count(OffloadCounter.CONNECTIONS_OFFLOAD_FAILED);
        connections.remove(cr.connection);
        TcpConnection c = cr.connection;
        // spec §3.1.4: the send data remains the host's; the engine carries on from its parked state (sending what
        // was written meanwhile, a FIN or RST asked for meanwhile), then processes what arrived meanwhile
        if (c.isParked()) {
            c.unpark();
        }
        replayHeld(cr);
        for (Listener l : listeners) {
            l.onOffloadFailed(c, status);
        }
    }

    private void replayHeld(ConnectionRecord cr) {
        long now = loop.nowNs();
        for (TcpSegment s : cr.heldSegments) {
            cr.connection.onSegment(now, s);
        }
        cr.heldSegments.clear();
    }

    /** Offloads the connections that waited for a path or neighbor whose operation has completed. */
    private void retryWaiting() {
        if (mayBeWaiting == 0) {
            return; // nothing flagged since the last scan found none: no walk over every connection per completion
        }
        List<TcpConnection> retry = null;
        int stillFlagged = 0;
        var it = connections.values().iterator();
        while (it.hasNext()) {
            ConnectionRecord cr = it.next();
            if (cr.waitingForLower && !cr.isOffloadedOrPending()) {
                if (retry == null) {
                    retry = new ArrayList<>();
                }
                retry.add(cr.connection);
                it.remove();
            } else if (cr.waitingForLower) {
                stillFlagged++;
            }
        }
        mayBeWaiting = stillFlagged;
        if (retry != null) {
            initiate(retry, true);
        }
    }

    // =============================================================================================================
    // Terminate (spec §3.2)
    // =============================================================================================================

    /** Terminates as soon as it is legal (R-HOST-3, R-HOST-6); idempotent. */
    private void requestTerminate(ConnectionRecord cr) {
        if (!cr.isOffloadedOrPending() || cr.isTerminating() || cr.terminatePending && sweep.contains(cr)) {
            return; // a connection the upload-all will take in one of its batches waits for it
        }
        cr.terminatePending = true;
        drive(cr);
    }

    /** Whatever an object waits for, issued when it is legal: a terminate first, else an update. */
    private void drive(OffloadObject o) {
        if (!o.isOffloaded()) {
            return;
        }
        boolean parent = !(o instanceof ConnectionRecord);
        if (o.terminatePending && o instanceof PathRecord pr) {
            cancelRelink(pr); // a path on its way out is not moved
        }
        if (o.terminatePending && (!parent || o.dependents() == 0)) {
            if (o.isIdle()) {
                terminateTree(o instanceof ConnectionRecord cr ? List.of(cr) : List.of(),
                        o instanceof PathRecord pr ? List.of(pr) : List.of(),
                        o instanceof NeighborRecord nr ? List.of(nr) : List.of());
            }
            return;
        }
        if (o instanceof PathRecord pr && pr.relinkTo != null) {
            if (pr.relinkTo.isOffloaded() && !pr.relinkTo.isUpdating() && canUpdate(pr)) {
                issueRelink(pr);
            }
            return; // its cached update follows the relink
        }
        if (o.updatePending && canUpdate(o)) {
            issueUpdate(o);
        }
    }

    private static boolean canUpdate(OffloadObject o) {
        return o.isOffloaded() && !o.isUpdating() && !o.isInvalidated() && o.state() != OffloadState.INVALIDATING;
    }

    /** A path or neighbor without dependents is useless: terminate it (spec §3.2.3), now or when idle. */
    private void retireIfUseless(OffloadObject o) {
        if (o == null || o.dependents() > 0) {
            return;
        }
        if (o.isOffloaded()) {
            o.terminatePending = true;
            drive(o);
        } else if (!o.isOffloadedOrPending()) {
            forget(o);
        }
    }

    private void forget(OffloadObject o) {
        switch (o) {
            case PathRecord pr -> paths.remove(new PathKey(pr.source(), pr.destination()), pr);
            case NeighborRecord nr -> {
                loop.timers().cancel(nr.followUp);
                neighbors.remove(new NeighborKey(nr.cache, nr.ip()), nr);
            }
            case ConnectionRecord cr -> connections.remove(cr.connection, cr);
        }
    }

    /**
     * Issues one terminate tree for idle {@code conns} and whichever of the candidate parents — their paths and
     * neighbors, plus {@code parentPaths} and {@code parentNeighbors} — become useless with them and are idle: each
     * parent goes in only with all of its dependents (R-HOST-5, spec §3.2.3), the rest are terminated later by their
     * counts. A tree with only connections is a plain chain of TCP nodes; otherwise placeholders stand in for the
     * parents that stay.
     */
    private void terminateTree(List<ConnectionRecord> conns, List<PathRecord> parentPaths,
            List<NeighborRecord> parentNeighbors) {
        Map<PathRecord, List<ConnectionRecord>> byPath = new LinkedHashMap<>();
        for (ConnectionRecord cr : conns) {
            byPath.computeIfAbsent(cr.path, k -> new ArrayList<>()).add(cr);
        }
        for (PathRecord pr : parentPaths) {
            byPath.computeIfAbsent(pr, k -> new ArrayList<>());
        }
        Map<NeighborRecord, List<PathRecord>> byNeighbor = new LinkedHashMap<>();
        boolean anyParent = false;
        for (var e : byPath.entrySet()) {
            PathRecord pr = e.getKey();
            boolean in = pr.isIdle() && pr.dependents() == e.getValue().size();
            List<PathRecord> ps = byNeighbor.computeIfAbsent(pr.neighbor, k -> new ArrayList<>());
            if (in) {
                ps.add(pr);
                anyParent = true;
            }
        }
        for (NeighborRecord nr : parentNeighbors) {
            byNeighbor.computeIfAbsent(nr, k -> new ArrayList<>());
        }
        List<NeighborRecord> neighborsIn = new ArrayList<>();
        for (var e : byNeighbor.entrySet()) {
            NeighborRecord nr = e.getKey();
            if (nr.isIdle() && nr.dependents() == e.getValue().size()) {
                neighborsIn.add(nr);
                anyParent = true;
            }
        }
        BlockList root = null;
        if (!anyParent) {
            for (ConnectionRecord cr : conns) {
                BlockList t = tcpTerminateNode(cr);
                root = root == null ? t : root.link(t);
            }
        } else {
            for (var ne : byNeighbor.entrySet()) {
                NeighborRecord nr = ne.getKey();
                boolean nIn = neighborsIn.contains(nr);
                BlockList nNode = null;
                if (nIn) {
                    nr.beginTerminate(ne.getValue().size());
                    nr.terminatePending = false;
                    nNode = BlockList.reference(StateLayer.NEIGHBOR, nr.handle(), BlockList.DELEGATED);
                }
                for (var pe : byPath.entrySet()) {
                    PathRecord pr = pe.getKey();
                    if (pr.neighbor != nr) {
                        continue;
                    }
                    boolean pIn = ne.getValue().contains(pr);
                    if (!pIn && pe.getValue().isEmpty()) {
                        continue;
                    }
                    BlockList pNode;
                    if (pIn) {
                        pr.beginTerminate(pe.getValue().size());
                        pr.terminatePending = false;
                        pNode = BlockList.reference(pr.layer(), pr.handle(), 0);
                    } else {
                        pNode = BlockList.placeholder(pr.layer());
                    }
                    for (ConnectionRecord cr : pe.getValue()) {
                        pNode.dependent(tcpTerminateNode(cr));
                    }
                    if (nNode == null) {
                        nNode = BlockList.placeholder(StateLayer.NEIGHBOR);
                    }
                    nNode.dependent(pNode);
                }
                if (nNode != null) {
                    root = root == null ? nNode : root.link(nNode);
                }
            }
        }
        if (root == null) {
            return;
        }
        count(OffloadCounter.TERMINATES);
        issue(root, OffloadOperation.TERMINATE, null);
        lastTerminateIssued = root;
        target.terminateOffload(root);
    }

    private BlockList tcpTerminateNode(ConnectionRecord cr) {
        cr.beginTerminate(0);
        cr.terminatePending = false;
        return BlockList.reference(StateLayer.TCP, cr.handle(), BlockList.DELEGATED);
    }

    @Override
    public void terminateOffloadComplete(BlockList root) {
        if (!takePending(root, OffloadOperation.TERMINATE)) {
            return;
        }
        List<OffloadObject> parents = new ArrayList<>();
        for (BlockList b : root.nodes()) {
            if (b.isPlaceholder()) {
                continue;
            }
            OffloadObject o = owner(b.handle());
            if (o == null || !o.isTerminating() || o.handle() != b.handle()) {
                count(OffloadCounter.PROTOCOL_VIOLATIONS);
                continue;
            }
            if (b.status() == null || !b.status().allowedFor(OffloadOperation.TERMINATE)) {
                count(OffloadCounter.PROTOCOL_VIOLATIONS);
            }
            o.endTerminate(); // SUCCESS or FAILURE, the target no longer has it (spec §3.2.9)
            switch (o) {
                case ConnectionRecord cr -> {
                    heldConnections--;
                    cr.path.removeDependent();
                    parents.add(cr.path);
                    parents.add(cr.path.neighbor);
                    connectionUploaded(cr, b);
                }
                case PathRecord pr -> {
                    heldPaths--;
                    count(OffloadCounter.PATHS_TERMINATED);
                    pr.neighbor.removeDependent();
                    parents.add(pr);
                    parents.add(pr.neighbor);
                }
                case NeighborRecord nr -> {
                    heldNeighbors--;
                    count(OffloadCounter.NEIGHBORS_TERMINATED);
                    if (b.status() == OffloadStatus.SUCCESS && b.neighborDelegated() != null) {
                        // spec §3.2.6: the returned NRD is forward progress the host may use (§5.2)
                        noteNicProgress(nr, b.neighborDelegated().nicReachabilityDelta());
                    }
                    parents.add(nr);
                }
            }
        }
        for (OffloadObject p : parents) {
            retireIfUseless(p);
        }
        retryWaiting();
        afterTerminate(root);
        checkDrained();
    }

    private void connectionUploaded(ConnectionRecord cr, BlockList b) {
        TcpConnection c = cr.connection;
        connections.remove(c, cr);
        TcpDelegated del = b.tcpDelegated();
        if (b.status() != OffloadStatus.SUCCESS || del == null) {
            // spec §3.2.9 FAILURE: the connection's state is lost on the target; the host cannot carry it on
            count(OffloadCounter.CONNECTIONS_LOST);
            cr.heldSegments.clear();
            c.closeParked(CloseReason.RESET);
        } else if (cr.resetAfterTerminate) {
            count(OffloadCounter.CONNECTIONS_LOST); // the peer reset it (TcpIndicateAbort): close, do not resume
            cr.heldSegments.clear();
            c.closeParked(CloseReason.RESET);
        } else if (cr.abortSent) {
            cr.heldSegments.clear(); // the target sent the application's RST: nothing to resume
            c.closeParked(CloseReason.ABORTED);
        } else {
            try {
                c.resume(del, del.receivedData()); // R-HOST-10, spec §3.2.10
                count(OffloadCounter.CONNECTIONS_UPLOADED);
                replayHeld(cr); // R-HOST-8: what arrived during the terminate, processed by the host engine
            } catch (IllegalArgumentException e) {
                // the returned state does not fit what the host holds: a target bug; the connection cannot go on
                count(OffloadCounter.PROTOCOL_VIOLATIONS);
                count(OffloadCounter.CONNECTIONS_LOST);
                cr.heldSegments.clear();
                c.closeParked(CloseReason.RESET);
            }
        }
        for (Listener l : listeners) {
            l.onUploaded(c);
        }
    }

    // =============================================================================================================
    // Admission (spec §5.1.4; the state table is in the class docs)
    // =============================================================================================================

    /**
     * UPLOAD_ALL or {@link #terminateAll}: admission closes (UPLOADING_ALL) and every connection offloaded or on its
     * way is marked for terminate, then swept in batches (R-UPLOAD-1/2/3). Again while UPLOADING_ALL, it sweeps
     * what was offloaded since; in DRAINED nothing is offloaded, so it only re-checks that.
     */
    private void startUploadAll() {
        if (admission == Admission.OPEN || admission == Admission.PAUSED) {
            admission = Admission.UPLOADING_ALL;
        }
        established.clear();
        Map<PathRecord, List<ConnectionRecord>> byPath = new LinkedHashMap<>();
        for (ConnectionRecord cr : connections.values()) {
            cr.waitingForLower = false;
            if (!cr.isOffloadedOrPending() || cr.isTerminating()) {
                continue;
            }
            cr.terminatePending = true; // new writes stay with the host engine; an initiate in flight ends in one
            defer(cr.connection); // offloaded again when admission reopens
            if (cr.isOffloaded()) {
                byPath.computeIfAbsent(cr.path, k -> new ArrayList<>()).add(cr);
            }
        }
        sweep.clear();
        for (List<ConnectionRecord> l : byPath.values()) {
            sweep.addAll(l); // by path, so a batch takes whole paths with it (spec §3.2.3 counts)
        }
        for (PathRecord pr : paths.values()) {
            if (pr.isOffloadedOrPending() && !pr.isTerminating()) {
                pr.terminatePending = true;
            }
        }
        for (NeighborRecord nr : neighbors.values()) {
            if (nr.isOffloadedOrPending() && !nr.isTerminating()) {
                nr.terminatePending = true;
            }
        }
        if (sweepRoot == null) {
            nextSweepBatch(true);
        }
        checkDrained();
    }

    /**
     * Issues the next upload-all batch: up to {@link #uploadAllBatch} idle connections still to terminate, with the
     * paths and neighbors that become useless with them; on the first batch also the idle paths and neighbors that
     * have no dependents left. Busy connections are terminated by {@link #drive} when they become idle.
     */
    private void nextSweepBatch(boolean first) {
        List<ConnectionRecord> batch = new ArrayList<>();
        var it = sweep.iterator();
        while (batch.size() < uploadAllBatch && it.hasNext()) {
            ConnectionRecord cr = it.next();
            it.remove();
            if (cr.isOffloaded() && cr.terminatePending && cr.isIdle()) {
                batch.add(cr);
            } // a busy one is terminated by drive() when its operation completes (R-HOST-6)
        }
        List<PathRecord> ps = new ArrayList<>();
        List<NeighborRecord> ns = new ArrayList<>();
        if (first) {
            for (PathRecord pr : paths.values()) {
                if (pr.isOffloaded() && pr.dependents() == 0) {
                    ps.add(pr);
                }
            }
            for (NeighborRecord nr : neighbors.values()) {
                if (nr.isOffloaded() && nr.dependents() == 0) {
                    ns.add(nr);
                }
            }
        }
        if (batch.isEmpty() && ps.isEmpty() && ns.isEmpty()) {
            return;
        }
        BlockList before = lastTerminateIssued;
        terminateTree(batch, ps, ns);
        if (lastTerminateIssued != before) {
            sweepRoot = lastTerminateIssued;
        }
    }

    /** The root of the last terminate tree issued (to recognize the upload-all batch). */
    private BlockList lastTerminateIssued;

    /** A terminate completed: the upload-all goes on with its next batch, and admission may change. */
    private void afterTerminate(BlockList root) {
        if (root == sweepRoot) {
            sweepRoot = null;
            if (admission == Admission.UPLOADING_ALL) {
                nextSweepBatch(false);
            }
        }
        if (reconfigurePending) {
            adapting.removeIf(cr -> !cr.isOffloadedOrPending());
            if (adapting.isEmpty()) {
                reconfigurePending = false;
                target.configure(capabilities, parameters); // spec §7.1: disabled once nothing uses it
            }
        }
    }

    private void checkDrained() {
        if (admission == Admission.UPLOADING_ALL && heldConnections == 0 && heldPaths == 0 && heldNeighbors == 0
                && pending.isEmpty()) {
            sweep.clear();
            targetUploadAll = false;
            if (targetHold || hostHold) {
                admission = Admission.DRAINED;
            } else {
                admission = Admission.DRAINED; // a RESUME came early (counted): it takes effect now
                reopen(capabilities);
            }
        }
        if (admission != Admission.UPLOADING_ALL && !drainedWaiters.isEmpty()) {
            List<Runnable> w = new ArrayList<>(drainedWaiters);
            drainedWaiters.clear();
            for (Runnable r : w) {
                r.run();
            }
        }
    }

    /**
     * Admission opens (RESUME, {@link #resume()}): the capabilities are {@code newCapabilities} (R-RESUME-2), what
     * they no longer admit is terminated (R-RESUME-3), and the deferred connections are offloaded within them.
     */
    private void reopen(OffloadCapabilities newCapabilities) {
        capabilities = newCapabilities;
        admission = Admission.OPEN;
        targetUploadAll = false;
        adaptToCapabilities();
        List<TcpConnection> again = new ArrayList<>();
        for (TcpConnection c : deferred) {
            ConnectionRecord cr = connections.get(c);
            if ((cr == null || !cr.isOffloadedOrPending()) && !c.isParked() && worthOffloading(c.state())) {
                again.add(c);
            }
        }
        deferred.clear();
        if (!again.isEmpty()) {
            initiate(again, false);
        }
    }

    /**
     * Spec §5.1.2 / §7.3: the target reported new capabilities. Connections still offloaded (or on their way) that
     * they no longer admit are terminated — the most recently offloaded first beyond the counts — and the new set
     * is enabled once they are back.
     */
    private void adaptToCapabilities() {
        OffloadCapabilities k = capabilities;
        int kept = 0;
        java.util.Set<PathRecord> keptPaths = new java.util.HashSet<>();
        java.util.Set<NeighborRecord> keptNeighbors = new java.util.HashSet<>();
        List<ConnectionRecord> out = new ArrayList<>();
        for (ConnectionRecord cr : connections.values()) {
            if (!cr.isOffloadedOrPending() || cr.isTerminating() || cr.terminatePending || cr.path == null) {
                continue;
            }
            TcpConnection c = cr.connection;
            boolean newPath = !keptPaths.contains(cr.path);
            boolean newNeighbor = !keptNeighbors.contains(cr.path.neighbor);
            boolean fits = (c.remoteAddress().isIpv4() ? k.supportIpv4() : k.supportIpv6())
                    && (!c.constants().sack() || k.supportSack())
                    && Integer.toUnsignedLong(cr.offloadedRcvWnd) <= k.maxInitialRcvWnd()
                    && cr.path.offloadedMtu <= k.maxPathMtu()
                    && kept < k.tcpConnectionOffloadCapacity()
                    && (!newPath || keptPaths.size() < k.maxPaths())
                    && (!newNeighbor || keptNeighbors.size() < k.maxNeighbors());
            if (fits) {
                kept++;
                keptPaths.add(cr.path);
                keptNeighbors.add(cr.path.neighbor);
            } else {
                out.add(cr);
            }
        }
        for (ConnectionRecord cr : out) {
            count(OffloadCounter.CAPABILITY_UPLOADS);
            requestTerminate(cr);
        }
        adapting.clear();
        adapting.addAll(out);
        if (out.isEmpty()) {
            target.configure(k, parameters);
        } else {
            reconfigurePending = true;
        }
    }

    /**
     * Whether the target holds an object whose offload it completed, or is giving one back: a target that raises
     * RESUME once its last terminate completed (R-RESUME-4) leaves none, because it completes any initiate it
     * took up before then before its RESUME, and the host terminates it before the RESUME arrives. Only initiates
     * the host issued before it saw the UPLOAD_ALL, which reached the target after its RESUME, may still be out.
     */
    private boolean anyGivenOrGivingBack() {
        for (ConnectionRecord cr : connections.values()) {
            if (cr.isOffloaded() || cr.isTerminating()) {
                return true;
            }
        }
        for (PathRecord pr : paths.values()) {
            if (pr.isOffloaded() || pr.isTerminating()) {
                return true;
            }
        }
        for (NeighborRecord nr : neighbors.values()) {
            if (nr.isOffloaded() || nr.isTerminating()) {
                return true;
            }
        }
        return false;
    }

    /** Remembers {@code c} for reopening; drops connections that closed meanwhile when the set grows large. */
    private void defer(TcpConnection c) {
        deferred.add(c);
        if (deferred.size() > 4 * Math.max(1024, capabilities.tcpConnectionOffloadCapacity())) {
            deferred.removeIf(d -> !d.state().isSynchronized() || d.state() == TcpState.TIME_WAIT);
        }
    }

    // =============================================================================================================
    // Update, invalidate, query completions (spec §3.3-§3.5)
    // =============================================================================================================

    private void requestUpdate(OffloadObject o) {
        if (!o.isOffloadedOrPending() || o.isTerminating() || o.isInvalidated()) {
            return; // the next offload takes the current values
        }
        o.updatePending = true;
        drive(o);
    }

    private void issueUpdate(OffloadObject o) {
        o.updatePending = false;
        BlockList node = BlockList.reference(o.layer(), o.handle(), 0);
        switch (o) {
            case NeighborRecord nr -> {
                NeighborEntry e = nr.entry();
                if (e == null || e.linkAddress() == null) {
                    return; // nothing new to say: the entry is gone (its failure invalidates the object)
                }
                nr.offloadedMac = e.linkAddress();
                node.neighborCached(new NeighborOffloadState.Cached(e.linkAddress(),
                        ticks(e.hostReachabilityDeltaNs(loop.nowNs()))));
            }
            case PathRecord pr -> {
                int mtu = ip.pathMtu(pr.destination());
                if (mtu <= 0) {
                    return;
                }
                pr.offloadedMtu = mtu;
                node.pathCached(new PathOffloadState.Cached(mtu));
            }
            case ConnectionRecord cr -> {
                TcpCached k = cr.connection.cached();
                node.tcpCached(k).tcpUpdateFlags(
                        (cr.keepAliveRestartPending ? BlockList.TCP_FLAG_KEEP_ALIVE_RESTART : 0)
                        | (cr.maxRtRestartPending ? BlockList.TCP_FLAG_MAX_RT_RESTART : 0)
                        | (k.initialRcvWnd() != cr.offloadedRcvWnd ? BlockList.TCP_FLAG_UPDATE_RCV_WND : 0));
                cr.keepAliveRestartPending = false;
                cr.maxRtRestartPending = false;
                cr.offloadedRcvWnd = k.initialRcvWnd();
            }
        }
        o.beginUpdate();
        count(OffloadCounter.UPDATES);
        issue(node, OffloadOperation.UPDATE, null);
        target.updateOffload(node);
    }

    @Override
    public void updateOffloadComplete(BlockList root) {
        Pending p = pending.get(root);
        if (!takePending(root, OffloadOperation.UPDATE)) {
            return;
        }
        if (p.result() != null) {
            // a relink (spec §3.3.3): its statuses decide the move, not the fate of the objects
            for (BlockList b : root.nodes()) {
                OffloadObject o = owner(b.handle());
                if (o != null && o.isUpdating()) {
                    o.endUpdate();
                }
            }
            p.result().accept(root);
            for (BlockList b : root.nodes()) {
                OffloadObject o = owner(b.handle());
                if (o != null) {
                    drive(o);
                    if (o instanceof NeighborRecord nr) {
                        driveRelinksTo(nr);
                    }
                }
            }
            return;
        }
        for (BlockList b : root.nodes()) {
            OffloadObject o = owner(b.handle());
            if (o == null || !o.isUpdating()) {
                if (!b.isPlaceholder()) {
                    count(OffloadCounter.PROTOCOL_VIOLATIONS);
                }
                continue;
            }
            o.endUpdate();
            if (b.status() != OffloadStatus.SUCCESS) {
                // spec §3.3.5: the target runs on with the old values; the host terminates what it could not update
                if (b.status() != OffloadStatus.FAILURE) {
                    count(OffloadCounter.PROTOCOL_VIOLATIONS);
                }
                count(OffloadCounter.UPDATES_FAILED);
                uploadDependentsAndSelf(o);
            }
            drive(o);
            if (o instanceof NeighborRecord nr) {
                driveRelinksTo(nr);
            }
        }
    }

    @Override
    public void invalidateOffloadComplete(BlockList root) {
        if (!takePending(root, OffloadOperation.INVALIDATE)) {
            return;
        }
        for (BlockList b : root.nodes()) {
            OffloadObject o = owner(b.handle());
            if (o == null || o.state() != OffloadState.INVALIDATING) {
                if (!b.isPlaceholder()) {
                    count(OffloadCounter.PROTOCOL_VIOLATIONS);
                }
                continue;
            }
            o.endInvalidate(); // FAILURE too: corrupt hardware, the object is gone either way (spec §3.4.4)
            uploadDependentsAndSelf(o);
        }
    }

    @Override
    public void queryOffloadComplete(BlockList root) {
        Pending p = pending.get(root);
        if (!takePending(root, OffloadOperation.QUERY)) {
            return;
        }
        for (BlockList b : root.nodes()) {
            OffloadObject o = owner(b.handle());
            if (o == null || o.state() == OffloadState.NOT_OFFLOADED || o.isInitiating() || o.isTerminating()) {
                if (!b.isPlaceholder()) {
                    count(OffloadCounter.PROTOCOL_VIOLATIONS);
                }
                continue;
            }
            o.endQuery();
            if (b.status() != OffloadStatus.SUCCESS) {
                uploadDependentsAndSelf(o); // spec §3.5: FAILURE = corrupt hardware state: terminate it
            }
            drive(o);
        }
        if (p.result() != null) {
            p.result().accept(root);
        }
    }

    /** Terminates {@code o} and everything depending on it (spec §3.3.5, §3.4, §3.5 failure handling). */
    private void uploadDependentsAndSelf(OffloadObject o) {
        List<ConnectionRecord> affected = new ArrayList<>();
        for (ConnectionRecord cr : connections.values()) {
            if (cr.isOffloadedOrPending() && (cr == o || cr.path == o || cr.path != null && cr.path.neighbor == o)) {
                affected.add(cr);
            }
        }
        for (ConnectionRecord cr : affected) {
            requestTerminate(cr);
        }
        if (!(o instanceof ConnectionRecord)) {
            o.terminatePending = true;
            if (o instanceof NeighborRecord nr) {
                List<PathRecord> moving = new ArrayList<>();
                for (PathRecord pr : paths.values()) {
                    if (pr.relinkTo == nr) {
                        moving.add(pr);
                    }
                }
                for (PathRecord pr : moving) {
                    cancelRelink(pr); // it will not be moved to a neighbor on its way out
                    uploadDependentsAndSelf(pr);
                }
                List<PathRecord> linked = new ArrayList<>();
                for (PathRecord pr : paths.values()) {
                    if (pr.neighbor == nr && pr.isOffloaded()) {
                        linked.add(pr);
                    }
                }
                for (PathRecord pr : linked) {
                    pr.terminatePending = true;
                    drive(pr);
                }
            }
            drive(o);
        }
    }

    private boolean takePending(BlockList root, OffloadOperation op) {
        Pending p = root == null ? null : pending.get(root);
        if (p == null || p.operation() != op) {
            count(OffloadCounter.PROTOCOL_VIOLATIONS); // a completion for a request this host did not issue
            return false;
        }
        pending.remove(root);
        int succeeded = 0;
        int failed = 0;
        for (BlockList b : root.nodes()) {
            if (!b.isPlaceholder()) {
                if (b.status() == OffloadStatus.SUCCESS) {
                    succeeded++;
                } else {
                    failed++;
                }
            }
        }
        long durationNs = loop.nowNs() - p.issuedNs();
        OffloadOperationEvent event = p.event();
        if (event != null) {
            event.end();
            if (event.shouldCommit()) {
                event.succeeded = succeeded;
                event.failed = failed;
                event.loopDuration = durationNs;
                event.commit();
            }
        }
        for (Listener l : listeners) {
            l.onOperationCompleted(op, succeeded, failed, durationNs);
        }
        return true;
    }

    // =============================================================================================================
    // Next-hop changes (spec §3.3.3)
    // =============================================================================================================

    /**
     * The route table changed (a route added or removed, an ICMP redirect): every offloaded path whose next hop is
     * now another neighbor is relinked to it — the neighbor offloaded first if it is not, then an update tree whose
     * root references the new neighbor and whose dependents reference the paths (spec §3.3.3); the old neighbor is
     * terminated when its last path has left (R-HOST-5). A path whose destination has no route, or whose new next
     * hop is unresolved, invalidated or beyond the target's capacity, is uploaded with its connections instead: the
     * host resolves and reports as for any connection of its own.
     */
    private void onRoutesChanged() {
        List<PathRecord> affected = new ArrayList<>();
        for (PathRecord pr : paths.values()) {
            if (!pr.isOffloaded() || pr.neighbor == null || pr.terminatePending) {
                continue;
            }
            NeighborRecord wanted = pr.relinkTo != null ? pr.relinkTo : pr.neighbor;
            Route r = ip.routes().lookup(pr.destination());
            if (r == null || r.iface() == null || ip.neighbors(r.iface(), !pr.destination().isIpv4()) != wanted.cache
                    || !r.nextHop(pr.destination()).equals(wanted.ip())) {
                affected.add(pr);
            }
        }
        for (PathRecord pr : affected) {
            relinkOrUpload(pr);
        }
    }

    private void relinkOrUpload(PathRecord pr) {
        Route r = ip.routes().lookup(pr.destination());
        NeighborCache cache = r == null ? null : ip.neighbors(r.iface(), !pr.destination().isIpv4());
        IpAddress hop = r == null ? null : r.nextHop(pr.destination());
        NeighborEntry e = cache == null ? null : cache.lookup(hop);
        if (cache == pr.neighbor.cache && hop.equals(pr.neighbor.ip())) {
            cancelRelink(pr); // back to where it is linked
            return;
        }
        cancelRelink(pr);
        NeighborKey k = cache == null ? null : new NeighborKey(cache, hop);
        NeighborRecord nr = k == null ? null : neighbors.get(k);
        boolean fresh = nr == null || !nr.isOffloadedOrPending();
        if (e == null || e.linkAddress() == null || nr != null && (nr.isTerminating() || nr.isInvalidated()
                || nr.state() == OffloadState.INVALIDATING)
                || fresh && (admission != Admission.OPEN || heldNeighbors >= capabilities.maxNeighbors())) {
            uploadDependentsAndSelf(pr);
            return;
        }
        if (nr == null) {
            nr = new NeighborRecord(cache, hop, this::reachabilityFollowUp);
            neighbors.put(k, nr);
        }
        pr.relinkTo = nr;
        nr.addDependent();
        if (fresh) {
            BlockList root = newNeighborNode(nr, loop.nowNs()); // a new neighbor with no dependents of its own
            count(OffloadCounter.INITIATES);
            issue(root, OffloadOperation.INITIATE, null);
            target.initiateOffload(root);
            return; // the relink follows its initiate
        }
        drive(pr);
    }

    private void cancelRelink(PathRecord pr) {
        NeighborRecord nr = pr.relinkTo;
        if (nr != null) {
            pr.relinkTo = null;
            nr.removeDependent();
            retireIfUseless(nr);
        }
    }

    private void issueRelink(PathRecord pr) {
        NeighborRecord nr = pr.relinkTo;
        BlockList root = BlockList.reference(StateLayer.NEIGHBOR, nr.handle(), 0);
        root.dependent(BlockList.reference(pr.layer(), pr.handle(), 0));
        nr.beginUpdate();
        pr.beginUpdate();
        count(OffloadCounter.UPDATES);
        issue(root, OffloadOperation.UPDATE, done -> relinkCompleted(pr, nr, done.dependents()));
        target.updateOffload(root);
    }

    private void relinkCompleted(PathRecord pr, NeighborRecord nr, BlockList pathNode) {
        if (pr.relinkTo != nr) {
            return; // given up meanwhile
        }
        if (pathNode != null && pathNode.status() == OffloadStatus.SUCCESS) {
            NeighborRecord old = pr.neighbor;
            pr.neighbor = nr; // the reservation becomes the dependency
            pr.relinkTo = null;
            old.removeDependent();
            retireIfUseless(old);
            count(OffloadCounter.RELINKS);
        } else {
            cancelRelink(pr); // spec §3.3.5: the target runs on with the old link; the host takes the path back
            uploadDependentsAndSelf(pr);
        }
    }

    /** Paths waiting to move to {@code nr}: after its initiate (moved or given up) or its update. */
    private void driveRelinksTo(NeighborRecord nr) {
        List<PathRecord> waiting = new ArrayList<>();
        for (PathRecord pr : paths.values()) {
            if (pr.relinkTo == nr) {
                waiting.add(pr);
            }
        }
        for (PathRecord pr : waiting) {
            if (nr.isOffloaded()) {
                drive(pr);
            } else if (!nr.isOffloadedOrPending()) {
                cancelRelink(pr); // the new neighbor could not be offloaded
                uploadDependentsAndSelf(pr);
            }
        }
    }

    // =============================================================================================================
    // Cached-value changes
    // =============================================================================================================

    private void onPathMtuChanged(PathEntry entry, int oldMtu, int newMtu) {
        List<PathRecord> changed = new ArrayList<>();
        for (PathRecord pr : paths.values()) {
            if (pr.destination().equals(entry.destinationAddress()) && pr.offloadedMtu != newMtu) {
                changed.add(pr);
            }
        }
        for (PathRecord pr : changed) {
            requestUpdate(pr); // spec §3.3.1: PathMtu after an ICMP message (or PMTU aging)
        }
    }

    @Override
    public void onCachedUpdated(TcpConnection connection, boolean keepAliveRestart, boolean maxRtRestart) {
        ConnectionRecord cr = connections.get(connection);
        if (cr == null) {
            return;
        }
        cr.keepAliveRestartPending |= keepAliveRestart;
        cr.maxRtRestartPending |= maxRtRestart;
        requestUpdate(cr);
    }

    // =============================================================================================================
    // Neighbor reachability (spec §5.2)
    // =============================================================================================================

    @Override
    public int neighborReachabilityQuery(OffloadHandle neighbor, BlockList state) {
        count(OffloadCounter.REACHABILITY_QUERIES);
        if (!(owner(neighbor) instanceof NeighborRecord nr) || !nr.owns(neighbor)) {
            count(OffloadCounter.PROTOCOL_VIOLATIONS);
            return 0;
        }
        long now = loop.nowNs();
        int nrd = state != null && state.neighborDelegated() != null
                ? state.neighborDelegated().nicReachabilityDelta() : -1;
        noteNicProgress(nr, nrd);
        NeighborEntry e = nr.entry();
        if (e != null && (e.state() == NeighborState.REACHABLE || e.state() == NeighborState.PERMANENT)) {
            // R-HOST-15: REACHABLE → a non-zero HRD: ticks since the host's confirmation, at least 1 (0 means
            // stale) and below NceStaleTicks — a REACHABLE entry is as good as confirmed now, and a larger HRD
            // would make the target ask again at its next datagram
            long hrd = ticks(now - e.lastConfirmedNs());
            int answer = (int) Math.max(1, Math.min(hrd, Math.max(1, parameters.nceStaleTicks() / 2)));
            recordIndication(OffloadIndicationEvent.REACHABILITY_QUERY, "NEIGHBOR_REACHABILITY_QUERY", "HRD "
                    + answer, nr.describe());
            return answer;
        }
        // R-HOST-15: stale → 0, and the §5.2.4 follow-up: query the NRD later to see whether progress happened
        count(OffloadCounter.REACHABILITY_STALE);
        recordIndication(OffloadIndicationEvent.REACHABILITY_QUERY, "NEIGHBOR_REACHABILITY_QUERY", "HRD 0 (stale)",
                nr.describe());
        nr.indicatedNrdTicks = nrd;
        if (e != null) {
            loop.timers().schedule(nr.followUp, now + nr.cache.config().delayFirstProbeTimeNs());
        }
        return 0;
    }

    /**
     * The spec §5.2.4 follow-up: the neighbor's NRD now. Smaller than indicated: forward progress happened, the host
     * takes it as its own confirmation. Not smaller: the host probes (NUD from STALE), and a neighbor that answers
     * no probe fails, which invalidates the offloaded object ({@link #watchNeighbors}).
     */
    private void reachabilityFollowUp(NeighborRecord nr) {
        if (!nr.isOffloaded() || nr.isTerminating()) {
            return;
        }
        query(nr, BlockList.DELEGATED, b -> {
            NeighborEntry e = nr.entry();
            if (b.status() != OffloadStatus.SUCCESS || b.neighborDelegated() == null || e == null) {
                return;
            }
            int nrd = b.neighborDelegated().nicReachabilityDelta();
            if (Integer.compareUnsigned(nrd, nr.indicatedNrdTicks) < 0) {
                noteNicProgress(nr, nrd);
                nr.cache.confirmReachable(nr.ip(), loop.nowNs() - Integer.toUnsignedLong(nrd) * tickNs);
            } else {
                nr.cache.probe(nr.ip(), loop.nowNs());
            }
        });
    }

    private void noteNicProgress(NeighborRecord nr, int nrdTicks) {
        if (nrdTicks == -1) {
            return;
        }
        long at = loop.nowNs() - Integer.toUnsignedLong(nrdTicks) * tickNs;
        nr.nicProgressNs = Math.max(nr.nicProgressNs, at);
    }

    // =============================================================================================================
    // Status indications (spec §5.1)
    // =============================================================================================================

    @Override
    public void statusIndication(StatusIndication indication, OffloadCapabilities newCapabilities) {
        count(OffloadCounter.STATUS_INDICATIONS);
        // observers hear it before the host acts, so what it causes (terminates, initiates) follows it in order
        recordIndication(OffloadIndicationEvent.STATUS, indication.name(), admission.name(), "");
        for (Listener l : listeners) {
            l.onStatusIndication(indication, admission);
        }
        switch (indication) {
            case OFFLOAD_PAUSE -> {
                targetHold = true; // R-PAUSE-4: nothing new until RESUME; offloaded ones run on (R-PAUSE-1)
                if (admission == Admission.OPEN) {
                    admission = Admission.PAUSED;
                }
            }
            case UPLOAD_ALL -> {
                targetHold = true; // closed until RESUME, with or without a PAUSE before (spec §9 item 32)
                targetUploadAll = true;
                startUploadAll(); // R-HOST-14, R-UPLOAD-1/2/3/8
            }
            case OFFLOAD_RESUME -> {
                targetHold = false;
                // spec §5.1.2: the capabilities may have changed; NDIS 6 carries them in the indication
                OffloadCapabilities k = newCapabilities != null ? newCapabilities : target.capabilities();
                if (admission == Admission.UPLOADING_ALL) {
                    if (targetUploadAll && anyGivenOrGivingBack()) {
                        count(OffloadCounter.PROTOCOL_VIOLATIONS); // R-RESUME-4: before its last terminate completed
                    } // else only initiates that crossed the RESUME are out, or the upload-all is the host's own
                    capabilities = k; // takes effect when the upload-all has drained (checkDrained)
                } else if (hostHold) {
                    targetUploadAll = false; // the target's upload-all, if any, is over
                    capabilities = k; // terminateAll holds it closed until resume()
                } else {
                    reopen(k);
                }
            }
        }
    }

    /** A JFR event for an indication (cheap when no recording enables it). */
    private void recordIndication(String kind, String indication, String detail, String object) {
        OffloadIndicationEvent event = new OffloadIndicationEvent();
        if (event.shouldCommit()) {
            event.host = loop.name();
            event.kind = kind;
            event.indication = indication;
            event.detail = detail;
            event.object = object;
            event.commit();
        }
    }

    // =============================================================================================================
    // Data path: application side (TcpConnection.DataPath)
    // =============================================================================================================

    @Override
    public void onSendQueued(TcpConnection connection) {
        ConnectionRecord cr = connections.get(connection);
        if (cr != null && cr.isOffloaded()) {
            postSends(cr);
        } // INITIATING: posted when it completes; TERMINATING: the host engine sends them after resume (R-HOST-7)
    }

    /** Posts the bytes the application queued since the last post as send requests (R-HOST-12). */
    private void postSends(ConnectionRecord cr) {
        if (cr.sendsStopped || cr.abortWanted || cr.terminatePending || !cr.isOffloaded()) {
            return;
        }
        TcpConnection c = cr.connection;
        int n = c.sendBytes() - cr.postedBytes;
        if (n < MIN_SEND_REQUEST_BYTES && !cr.outstandingSends.isEmpty() && !cr.finWanted) {
            // Sender SWS avoidance at the request level (RFC 1122 §4.2.3.4's reasoning, one layer up): while a
            // request is out, a few bytes wait for its completion, which posts them (completeSend). Posting every
            // write as it came let a sender that refills what each completion freed turn into a stream of
            // requests of a few bytes each, each holding a pooled array of at least 4 KiB: an iperf3 -R sender ran
            // a team's chimney run out of its 512 MiB heap after a failover (122,864 requests outstanding).
            return;
        }
        // a quarter of the send buffer at most per request: the target completes a request once all of it is
        // acknowledged (spec §4.1.4), and the host frees buffer space only then — one request as large as the
        // buffer drained the pipe every round and waited for the peer's delayed ACK of its last segment (an
        // offloaded 128 KiB-buffer send ran at 25 Mbit/s over a 1 Gbit/s link, bench/TEAM.md)
        int most = sendRequestBytes(c);
        while (n > 0) {
            int k = Math.min(n, most);
            // the copy the target reads until it completes the request lives in a pooled array, recycled at the
            // completion: a bulk offloaded send allocates nothing per request once the pool is warm
            byte[] data = tcp.takeArray(k);
            c.copySendData(cr.postedBytes, k, data, 0);
            SendRequest r = new SendRequest(data, 0, k);
            r.hostContext = cr;
            cr.postedBytes += k;
            n -= k;
            cr.outstandingSends.add(r);
            count(OffloadCounter.SEND_REQUESTS);
            target.tcpSend(cr.context(), r);
        }
    }

    /** Least bytes a send request is cut to (see {@link #postSends}). */
    private static final int MIN_SEND_REQUEST_BYTES = 4 * 1024;

    /** Most bytes in one send request for {@code c}: a quarter of its send buffer (see {@link #postSends}). */
    private static int sendRequestBytes(TcpConnection c) {
        return Math.max(MIN_SEND_REQUEST_BYTES, c.sendBufferCapacity() / 4);
    }

    @Override
    public void onReceiveSpace(TcpConnection connection) {
        ConnectionRecord cr = connections.get(connection);
        if (cr != null) {
            postReceiveIfRefused(cr);
        }
    }

    /** After a refused indication, one zero-byte receive request re-enables indications (spec §4.3.3). */
    private void postReceiveIfRefused(ConnectionRecord cr) {
        if (!cr.receiveRefused || cr.receivePosted || !cr.isOffloaded() || cr.terminatePending || cr.peerFin
                || cr.connection.receiveSpace() == 0) {
            return;
        }
        cr.receiveRefused = false;
        cr.receivePosted = true;
        ReceiveRequest r = new ReceiveRequest(new byte[0], 0, 0, false, 0);
        r.hostContext = cr;
        count(OffloadCounter.RECEIVE_REQUESTS);
        target.tcpReceive(cr.context(), r);
    }

    @Override
    public void onShutdownOutput(TcpConnection connection) {
        ConnectionRecord cr = connections.get(connection);
        if (cr == null) {
            return;
        }
        cr.finWanted = true;
        if (cr.isOffloaded() && !cr.terminatePending) {
            postSends(cr);
            postDisconnect(cr);
        } // INITIATING: after it completes; TERMINATING: resume queues the FIN (TcpConnection.resume)
    }

    private void postDisconnect(ConnectionRecord cr) {
        if (cr.disconnectPosted || cr.abortPosted || cr.sendsStopped) {
            return; // after a failed send the host engine sends data and FIN after the terminate
        }
        cr.disconnectPosted = true;
        DisconnectRequest d = DisconnectRequest.graceful();
        d.hostContext = cr;
        count(OffloadCounter.DISCONNECTS);
        target.tcpDisconnect(cr.context(), d);
    }

    @Override
    public void onAbort(TcpConnection connection) {
        ConnectionRecord cr = connections.get(connection);
        if (cr == null) {
            return;
        }
        cr.abortWanted = true;
        if (cr.isOffloaded() && !cr.terminatePending) {
            postAbort(cr);
        } // INITIATING: after it completes (or unpark sends the RST); TERMINATING: resume sends the RST
    }

    private void postAbort(ConnectionRecord cr) {
        if (cr.abortPosted) {
            return;
        }
        cr.abortPosted = true;
        DisconnectRequest d = DisconnectRequest.abortive();
        d.hostContext = cr;
        count(OffloadCounter.DISCONNECTS);
        target.tcpDisconnect(cr.context(), d);
    }

    @Override
    public void onSegment(TcpConnection connection, long nowNs, TcpSegment segment) {
        ConnectionRecord cr = connections.get(connection);
        if (cr == null) {
            return;
        }
        if (cr.isOffloaded() && !cr.terminatePending) {
            ForwardRequest f = new ForwardRequest(encode(segment)); // spec §4.7: header, options, payload
            count(OffloadCounter.FORWARDS);
            target.tcpForward(cr.context(), f);
            return;
        }
        // R-HOST-8: during the initiate, forwarded after it; during the terminate, processed by the host after it
        if (cr.heldSegments.size() >= MAX_HELD_SEGMENTS) {
            count(OffloadCounter.HELD_SEGMENTS_DROPPED);
            return;
        }
        count(OffloadCounter.HELD_SEGMENTS);
        cr.heldSegments.add(segment.copy());
    }

    /**
     * One TCP segment as the forward request carries it (spec §4.7): header and options as received, then the
     * payload; no IP header. The checksum field is 0: without the IP addresses it could not be verified, and the
     * host already verified the segment.
     */
    private byte[] encode(TcpSegment s) {
        TcpOptions o = txOptions.clear();
        if (s.mss() >= 0) {
            o.maxSegmentSize(s.mss());
        }
        if (s.windowScale() >= 0) {
            o.windowScale(s.windowScale());
        }
        o.sackPermitted(s.sackPermitted());
        if (s.hasTimestamp()) {
            o.timestamps(s.tsVal(), s.tsEcr());
        }
        for (int i = 0; i < s.sackCount(); i++) {
            o.addSack(s.sackLeft(i), s.sackRight(i));
        }
        int header = TcpView.HEADER_LENGTH + o.length();
        byte[] bytes = new byte[header + s.payloadLength()];
        TcpView v = txView.wrap(MemorySegment.ofArray(bytes), 0, bytes.length);
        v.srcPort(s.sourcePort()).dstPort(s.destinationPort()).seqNumber(s.seq()).ackNumber(s.ack());
        v.writeOptions(o, s.flags());
        v.window(s.window()).urgentPointer(s.urgentPointer()).checksum(0);
        if (s.payloadLength() > 0) {
            MemorySegment.copy(s.payloadMemory(), s.payloadOffset(), MemorySegment.ofArray(bytes), header,
                    s.payloadLength());
        }
        return bytes;
    }

    // =============================================================================================================
    // Data path: completions and indications from the target (OffloadHost)
    // =============================================================================================================

    @Override
    public void sendComplete(SendRequest chain) {
        SendRequest r = chain;
        while (r != null) {
            SendRequest next = r.next();
            r.next(null);
            completeSend(r);
            r = next;
        }
    }

    private void completeSend(SendRequest r) {
        if (!(r.hostContext instanceof ConnectionRecord cr) || !cr.isOffloadedOrPending()
                || !cr.outstandingSends.contains(r)) {
            count(OffloadCounter.PROTOCOL_VIOLATIONS); // not ours, completed twice, or after the terminate
            return;
        }
        if (cr.outstandingSends.peekFirst() != r) {
            count(OffloadCounter.PROTOCOL_VIOLATIONS); // spec §4.1.3: completions come in posting order
        }
        if (cr.isInitiating()) {
            // a request of the initiate's send chain completed before the initiate did: not allowed (spec §3.1.4:
            // a failed initiate leaves its send data alone). Ignored: the bytes stay, a terminate trims them
            count(OffloadCounter.PROTOCOL_VIOLATIONS);
            return;
        }
        cr.outstandingSends.remove(r);
        cr.postedBytes -= r.length(); // no longer at the target, whatever the status
        // completed: the target reads the request no more (spec §4.1.3), and the bytes the host still needs stay in
        // its own send buffer, so the array (ours: postSends or the initiate's chain) goes back to the pool
        tcp.recycleArray(r.buffer());
        OffloadStatus st = r.status();
        TcpConnection c = cr.connection;
        if (cr.sendsStopped) {
            if (st == OffloadStatus.SUCCESS) {
                count(OffloadCounter.PROTOCOL_VIOLATIONS); // spec §4.1.3: every request after a failed one fails
            }
            return; // the bytes stay for the host engine; resume trims the buffer to the returned SND.UNA
        }
        int acked = st == OffloadStatus.SUCCESS ? r.length() : Math.min(Math.max(0, r.bytesTransferred()),
                r.length());
        if (st != OffloadStatus.SUCCESS) {
            // the rest of this request was not acknowledged: it stays in the send buffer, and so does everything
            // after it, for the host engine after the terminate (R-HOST-9); nothing more is posted
            cr.sendsStopped = true;
        }
        if (acked > 0) {
            count(OffloadCounter.SEND_BYTES_COMPLETED, acked);
            c.releaseSendData(Math.min(acked, c.sendBytes())); // spec §4.1.3: acknowledged bytes leave the buffer
        }
        if (st == OffloadStatus.SUCCESS) {
            postSends(cr); // what postSends held back while this request was out
            return;
        }
        if (st == OffloadStatus.REQUEST_ABORTED) {
            count(OffloadCounter.SEND_ABORTED); // RST or abort: the data is discarded with the connection
        } else {
            if (st != OffloadStatus.UPLOAD_IN_PROGRESS && st != OffloadStatus.REQUEST_UPLOAD
                    && st != OffloadStatus.UPLOAD_REQUESTED) {
                count(OffloadCounter.PROTOCOL_VIOLATIONS);
            }
            count(OffloadCounter.SEND_UPLOAD_IN_PROGRESS);
            requestTerminate(cr); // the target is uploading (or cannot send): the host takes the bytes back
        }
    }

    @Override
    public void receiveComplete(ReceiveRequest chain) {
        ReceiveRequest r = chain;
        while (r != null) {
            ReceiveRequest next = r.next();
            r.next(null);
            if (!(r.hostContext instanceof ConnectionRecord cr) || !cr.receivePosted) {
                count(OffloadCounter.PROTOCOL_VIOLATIONS);
            } else {
                cr.receivePosted = false;
                if (r.bytesTransferred() > 0 && cr.isOffloadedOrPending()) {
                    deliver(cr, r.buffer(), r.offset(), r.bytesTransferred()); // only zero-byte requests are posted
                }
                postReceiveIfRefused(cr);
            }
            r = next;
        }
    }

    private int deliver(ConnectionRecord cr, byte[] buf, int off, int len) {
        if (cr.peerFin) {
            count(OffloadCounter.PROTOCOL_VIOLATIONS); // data after TcpIndicateDisconnect
            return 0;
        }
        int n = cr.connection.deliverReceived(buf, off, len);
        count(OffloadCounter.RECEIVE_BYTES, n);
        return n;
    }

    @Override
    public ReceiveIndication.Result receiveIndicate(OffloadHandle handle, ReceiveIndication data) {
        count(OffloadCounter.RECEIVE_INDICATIONS);
        if (!(owner(handle) instanceof ConnectionRecord cr) || !cr.owns(handle) || data == null) {
            count(OffloadCounter.PROTOCOL_VIOLATIONS);
            return ReceiveIndication.Result.NONE;
        }
        int len = data.length();
        if (cr.isInitiating()) {
            // spec §3.1.7: no indication before the initiate completed. Refused, not taken: should the initiate
            // still fail, the connection must carry on on the host exactly as parked (a zero-byte receive request
            // re-enables indications once it succeeded)
            count(OffloadCounter.PROTOCOL_VIOLATIONS);
            cr.receiveRefused = true;
            return ReceiveIndication.Result.NONE;
        }
        int n = deliver(cr, data.buffer(), data.offset(), len);
        if (n == len) {
            if (len > 0) {
                queueReturn(data);
            }
            return ReceiveIndication.Result.all(len);
        }
        // spec §4.3.2: the target keeps the rest and indicates nothing more until a receive request is posted
        cr.receiveRefused = true;
        count(OffloadCounter.RECEIVE_REFUSED);
        postReceiveIfRefusedLater(cr);
        return n == 0 ? ReceiveIndication.Result.NONE
                : new ReceiveIndication.Result(OffloadStatus.OFFLOAD_DATA_PARTIALLY_ACCEPTED, n);
    }

    /**
     * A refusal with space left (the application read meanwhile, or a ring that never fills) would wait for a read
     * that may not come: post the re-enabling request on the next turn, after the target has seen the refusal.
     */
    private void postReceiveIfRefusedLater(ConnectionRecord cr) {
        if (cr.connection.receiveSpace() > 0) {
            loop.execute(() -> postReceiveIfRefused(cr));
        }
    }

    private void queueReturn(ReceiveIndication data) {
        data.next(null);
        if (returnHead == null) {
            returnHead = data;
            loop.execute(flushReturns);
        } else {
            returnTail.next(data);
        }
        returnTail = data;
    }

    @Override
    public void disconnectComplete(DisconnectRequest request) {
        if (!(request.hostContext instanceof ConnectionRecord cr) || !cr.isOffloadedOrPending()) {
            count(OffloadCounter.PROTOCOL_VIOLATIONS);
            return;
        }
        OffloadStatus st = request.status();
        if (request.isAbortive()) {
            cr.abortSent = st == OffloadStatus.SUCCESS;
            requestTerminate(cr); // the RST is out (or the host sends it after the terminate)
            return;
        }
        if (st == OffloadStatus.SUCCESS) {
            TcpConnection c = cr.connection;
            if (c.sendBytes() > 0) {
                count(OffloadCounter.PROTOCOL_VIOLATIONS); // spec §4.5.3: every send completes before the disconnect
                requestTerminate(cr);
                return;
            }
            cr.finAcknowledged = true;
            c.finAcknowledged();
            if (cr.peerFin) {
                requestTerminate(cr); // both FINs through: the host finishes the connection (TIME_WAIT, spec §1.2)
            }
        } else {
            requestTerminate(cr); // UPLOAD_IN_PROGRESS or REQUEST_ABORTED: the host takes over (spec §4.5.3)
        }
    }

    @Override
    public void forwardComplete(ForwardRequest chain) {
        // spec §9 item 35: SUCCESS processed, UPLOAD_IN_PROGRESS / REQUEST_ABORTED not; a segment that was not
        // processed is one the peer retransmits (it was never acknowledged), so there is nothing to do
    }

    @Override
    public void tcpEvent(OffloadHandle handle, TcpEvent event) {
        if (!(owner(handle) instanceof ConnectionRecord cr) || !cr.owns(handle) || event == null) {
            count(OffloadCounter.PROTOCOL_VIOLATIONS);
            return;
        }
        recordIndication(OffloadIndicationEvent.TCP_EVENT, event.type().name(), event.reason() != null
                ? event.reason().name() : "", cr.describe());
        for (Listener l : listeners) {
            l.onTcpEvent(cr.connection, event);
        }
        if (cr.isInitiating() && event.type() != dev.chimney.chimney.TcpEventType.ABORT) {
            // spec §3.1.7: no event before the initiate completed; one now could not be undone if it failed
            count(OffloadCounter.PROTOCOL_VIOLATIONS);
            return;
        }
        switch (event.type()) {
            case DISCONNECT -> {
                count(OffloadCounter.PEER_DISCONNECTS);
                if (cr.peerFin) {
                    return;
                }
                cr.peerFin = true;
                cr.connection.peerFinReceived(); // end of stream for the reader (spec §4.6)
                if (cr.finAcknowledged || cr.finInSnapshot) {
                    requestTerminate(cr); // both FINs through
                }
            }
            case ABORT -> {
                count(OffloadCounter.ABORTS);
                cr.resetAfterTerminate = true;
                requestTerminate(cr); // R-HOST-14
            }
            case RETRIEVE -> {
                count(OffloadCounter.RETRIEVES);
                if (event.reason().isMandatory() || policy.acceptOptionalRetrieve()) {
                    requestTerminate(cr); // R-HOST-14 (mandatory), or the policy's choice (optional)
                } else {
                    count(OffloadCounter.RETRIEVES_DECLINED); // R-TERM-16: the target carries on normally
                }
            }
            case SEND_BACKLOG_CHANGE -> {
                // advice for how much to keep posted; every byte the application writes is posted at once anyway
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("OffloadManager{" + admission + " conns=" + heldConnections + " paths="
                + heldPaths + " neighbors=" + heldNeighbors + " pending=" + pending.size());
        for (OffloadCounter c : OffloadCounter.values()) {
            if (counters[c.ordinal()] != 0) {
                b.append(' ').append(c).append('=').append(counters[c.ordinal()]);
            }
        }
        return b.append('}').toString();
    }
}
