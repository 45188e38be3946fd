package dev.chimney.chimney.target;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadHost;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.PathOffloadState;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.UploadReason;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.PortPollable;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpConst;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpSegment;
import dev.chimney.tcp.TcpSnapshot;
import dev.chimney.tcp.TcpStack;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.TcpOptions;
import dev.chimney.wire.TcpView;
import dev.chimney.wire.WireFormatException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A software offload target (spec §1.1): the host's NIC, on its own {@link EventLoop}, running offloaded connections
 * with the same TCP engine as the host.
 *
 * <h2>Frames</h2>
 * It owns the link port and polls it on its loop; the host's IP stack gets {@link #hostPort()} instead. Frames from
 * the host go out on the link unchanged; frames from the link that belong to no offloaded connection go up
 * unchanged, so with nothing offloaded it is a pass-through. Offloaded connections are found by 4-tuple and run by
 * the target's own {@link TcpStack}, whose segments are framed from the connection → path → neighbor links (see
 * {@link TargetFrames}).
 *
 * <h2>Requests</h2>
 * Every {@link OffloadTarget} method is called on the host's loop (the {@code upperLoop} of {@link #attach}) and only
 * posts the request to the target loop; every completion and indication is posted back to the upper loop, never
 * run inside the request call (R-INIT-5). The five state operations follow spec §3 (traversal, per-node checks,
 * partial success, terminate's returned state), the data requests spec §4 (see {@link TargetConnection}).
 *
 * <h2>Choices where the spec is open (spec §9)</h2>
 * <ul>
 *   <li>Root failure (WA 23): everything after a failed root BL gets FAILURE, siblings included. A parent's status
 *       looks at its immediate dependents only (WA 24).</li>
 *   <li>Terminate returns unacknowledged send requests as the chain (never both ways, WA 25) and undelivered data
 *       as BufferedData; posted receives complete SUCCESS if they hold data, else UPLOAD_IN_PROGRESS (WA 26).</li>
 *   <li>Invalidation (WA 22): dependents stop sending at once; the first time one tries, it asks for the upload
 *       with InvalidState. A relink to a valid neighbor before that lets it carry on.</li>
 *   <li>Upload reasons (WA 29): UploadRequested for TIME_WAIT and for an in-order SYN (reported CLOSED);
 *       TimeoutExpiration for every timer limit, FIN_WAIT_2 expiry and mitigation exhaustion reported CLOSED.</li>
 *   <li>Initiates that arrive while paused wait for RESUME (R-PAUSE-2/3). When an UPLOAD_ALL follows, the queued
 *       ones are processed at once, as any initiate during an upload-all (WA 31: "process them normally once the
 *       current step allows"): what is offloaded gets UPLOAD_IN_PROGRESS for new I/O and is uploaded by the host
 *       with the rest; what cannot be offloaded fails with the usual status. So the upload-all can drain.</li>
 *   <li>Status indications are raised by tasks on the target loop, and an initiate is processed within one task, so
 *       no indication is ever raised in the middle of an offload (R-PAUSE-7, WA 30): one requested meanwhile reaches
 *       the host after that initiate's completion.</li>
 *   <li>A RESUME asked for while an upload-all still has objects to give back is held until the last terminate
 *       has completed (R-RESUME-4).</li>
 *   <li>Own triggers ({@link #linkStatus}, {@link #changeCapabilities}, {@link Builder#pauseAtObjects}): a link going
 *       down, a capability change and context exhaustion each hold admission closed with a PAUSE; RESUME follows
 *       when no trigger holds it any more. A link down uploads nothing by itself: media-disconnect uploads are the
 *       host's decision (R-HOST-13), and the offloaded connections retransmit on the target meanwhile. A capability
 *       change that the objects offloaded now no longer fit adds an UPLOAD_ALL, and the RESUME carrying the new
 *       capabilities follows the last terminate (spec §7.3, §7.5).</li>
 *   <li>SendBacklogSize, when enabled ({@link Builder#sendBacklog}), is min(cwnd, peer window), indicated on a
 *       change of at least 25 % at most once a second (WA 44); otherwise 0xFFFFFFFF. ReceiveBacklogSize is
 *       reported.</li>
 *   <li>A mandatory Retrieve the target raises itself stops normal processing: segments are held unprocessed and
 *       unacknowledged and go up after the terminate (the urgent-data procedure, spec §6.11.3, applied to every
 *       mandatory reason), and I/O gets UPLOAD_IN_PROGRESS (spec §3.2.7).</li>
 *   <li>When the peer's FIN has been delivered, receive requests still posted complete SUCCESS with what they
 *       hold, before TcpIndicateDisconnect, so completions keep posting order.</li>
 * </ul>
 * The engine's ACK frequency and duplicate-ACK threshold are its own (every second full segment, 3), not the
 * parameters' {@code TcpAckFrequency} / {@code TcpDuplicateAckThreshold}.
 */
public final class SoftOffloadTarget implements OffloadTarget {

    /** What a target built without {@link Builder#capabilities} reports. */
    public static final OffloadCapabilities DEFAULT_CAPABILITIES = new OffloadCapabilities(true, true, false, true,
            4096, 4096, 1024, 16 << 20, 9000, true, true);

    /** The target's side of spec §5.1.4 (DRAINED is UPLOADING_ALL with nothing left offloaded). */
    private enum Admission { OPEN, PAUSED, UPLOADING_ALL }

    /** What holds admission closed on the target's own initiative: bits of {@link #holds}. */
    private static final int HOLD_LINK = 1;
    private static final int HOLD_CAPABILITIES = 2;
    private static final int HOLD_RESOURCES = 4;

    /** One terminate waiting for its connections' calls with the host to return (R-TERM-5). */
    private record PendingTerminate(BlockList root, List<TargetConnection> connections) {
    }

    private final String name;
    private final EventLoop loop;
    private final NetworkPort link;
    private final HostLink hostLink;
    final TargetFrames frames;
    final FlowTable flows = new FlowTable();
    private final OffloadCounters counters = new OffloadCounters();
    private final long interfaceMac;
    private final int[] interfaceVlans;
    private final int maxObjects;
    private final int maxVlanEntries;
    private final int maxSourceAddresses;
    private final TcpConfig baseTcpConfig;
    private final SeededRandom random;
    private final long nicClockOffsetTicks;
    private final int indicationBufferBytes;
    private final int maxIndicationBuffers;
    private final boolean sendBacklog;

    private volatile OffloadCapabilities reported;
    private OffloadCapabilities enabled;
    private OffloadParameters parameters = OffloadParameters.DEFAULTS;
    private TcpStack stack;
    private OffloadHost host;
    private EventLoop upperLoop;

    private final IdentityHashMap<OffloadHandle, Object> live = new IdentityHashMap<>();
    /** Offloaded connections in the order they came (a set: an upload-all removes 100,000 of them, each in O(1)). */
    private final LinkedHashSet<TargetConnection> connections = new LinkedHashSet<>();
    private int neighborCount;
    private int pathCount;
    private final List<TargetNeighbor> neighbors = new ArrayList<>();
    private final List<TargetPath> paths = new ArrayList<>();
    private Admission admission = Admission.OPEN;
    /** The target's own triggers holding admission closed (HOLD_* bits); RESUME follows when none is left. */
    private int holds;
    /** A RESUME is owed once the upload-all has drained (R-RESUME-4). */
    private boolean resumeWhenDrained;
    private boolean linkUp = true;
    private final int pauseAtObjects;
    private final int resumeBelowObjects;
    /** Status indications raised so far, by kind (read on the target loop; tests). */
    private final long[] indicationsRaised = new long[StatusIndication.values().length];
    private final ArrayDeque<BlockList> queuedInitiates = new ArrayDeque<>();
    private final List<PendingTerminate> pendingTerminates = new ArrayList<>();
    /** Free indication buffers by size class: class k holds buffers of indicationBufferBytes << k bytes. */
    private final ArrayDeque<byte[]>[] freeIndicationBuffers;
    /** Indication buffers with the host and allocated (with the host or free), in smallest-buffer units. */
    private int indicationUnitsOut;
    private int indicationUnitsAllocated;
    private final ArrayDeque<TargetConnection> waitingForBuffers = new ArrayDeque<>();
    /** Connections that received data this turn: their delivery runs once, at the end of the turn. */
    private final ArrayList<TargetConnection> deliveriesDue = new ArrayList<>();
    private final byte[] copyScratch = new byte[64 * 1024];
    private boolean rootFailed;

    private SoftOffloadTarget(Builder b) {
        this.name = b.name;
        this.loop = b.loop;
        this.link = b.link;
        this.interfaceMac = Objects.requireNonNull(b.mac, "mac (the interface MAC: the NIC's own address)").bits();
        this.interfaceVlans = b.vlanIds.clone();
        this.maxObjects = b.maxObjects;
        this.maxVlanEntries = b.maxVlanEntries;
        this.maxSourceAddresses = b.maxSourceAddresses;
        this.baseTcpConfig = b.tcpConfig;
        this.random = b.random != null ? b.random : new SeededRandom(0x50F7);
        this.nicClockOffsetTicks = b.nicClockOffsetTicks;
        this.indicationBufferBytes = b.indicationBufferBytes;
        this.maxIndicationBuffers = b.maxIndicationBuffers;
        int classes = 1;
        while ((long) indicationBufferBytes << classes <= b.largestIndicationBytes
                && 1 << classes <= maxIndicationBuffers) {
            classes++;
        }
        @SuppressWarnings("unchecked")
        ArrayDeque<byte[]>[] free = new ArrayDeque[classes];
        for (int k = 0; k < classes; k++) {
            free[k] = new ArrayDeque<>();
        }
        this.freeIndicationBuffers = free;
        this.sendBacklog = b.sendBacklog;
        this.pauseAtObjects = b.pauseAtObjects;
        this.resumeBelowObjects = b.resumeBelowObjects;
        this.reported = b.capabilities;
        this.enabled = b.capabilities;
        this.hostLink = HostLink.create(name + "-host", b.hostLoop, loop, link);
        this.frames = new TargetFrames(this, link, hostLink.targetEnd(), counters, random.nextInt());
        this.stack = newStack(parameters);
        loop.register(PortPollable.of(link, frames::onLinkFrame));
        loop.register(PortPollable.of(hostLink.targetEnd(), frames::fromHost));
        loop.onFlush(this::flushDeliveries);
    }

    /**
     * Starts configuring a target on {@code loop} (a loop of the host's Simulator, or its own thread) that owns
     * {@code link}, the port to the wire (a TAP, a virtual wire end).
     */
    public static Builder builder(EventLoop loop, NetworkPort link) {
        return new Builder(loop, link);
    }

    /** The port the host's IP stack uses in place of the link: everything it sends goes through this target. */
    public NetworkPort hostPort() {
        return hostLink.hostEnd();
    }

    /** The target's own loop. */
    public EventLoop loop() {
        return loop;
    }

    // ======================================================================================== OffloadTarget

    @Override
    public void attach(OffloadHost host, EventLoop upperLoop) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(upperLoop, "upperLoop");
        synchronized (this) {
            if (this.host != null) {
                throw new IllegalStateException("target " + name + " is already attached; attach once");
            }
            this.host = host;
            this.upperLoop = upperLoop;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public OffloadCapabilities capabilities() {
        return reported;
    }

    @Override
    public void configure(OffloadCapabilities enabledCaps, OffloadParameters params) {
        Objects.requireNonNull(enabledCaps, "enabled capabilities");
        Objects.requireNonNull(params, "parameters");
        submit(() -> {
            this.enabled = intersect(reported, enabledCaps);
            this.parameters = params;
            // connections offloaded before keep the stack (and parameters) they were imported into
            this.stack = newStack(params);
        });
    }

    @Override
    public void initiateOffload(BlockList root) {
        Objects.requireNonNull(root, "root");
        submit(() -> {
            if (admission == Admission.PAUSED) {
                queuedInitiates.add(root); // spec §5.1.1: accepted and queued while paused (R-PAUSE-2/3)
            } else {
                initiate(root);
            }
        });
    }

    @Override
    public void terminateOffload(BlockList root) {
        Objects.requireNonNull(root, "root");
        submit(() -> terminate(root));
    }

    @Override
    public void updateOffload(BlockList root) {
        Objects.requireNonNull(root, "root");
        submit(() -> {
            update(root, null);
            toHost(() -> host.updateOffloadComplete(root));
        });
    }

    @Override
    public void invalidateOffload(BlockList root) {
        Objects.requireNonNull(root, "root");
        submit(() -> {
            root.forEachDepthFirst(this::invalidate);
            toHost(() -> host.invalidateOffloadComplete(root));
        });
    }

    @Override
    public void queryOffload(BlockList root) {
        Objects.requireNonNull(root, "root");
        submit(() -> {
            root.forEachDepthFirst(this::query);
            toHost(() -> host.queryOffloadComplete(root));
        });
    }

    @Override
    public void tcpSend(Object connection, SendRequest chain) {
        Objects.requireNonNull(chain, "chain");
        submit(() -> {
            TargetConnection c = live(connection);
            OffloadStatus misuse = misuse(connection, c);
            if (misuse != null) {
                for (SendRequest r = chain; r != null; r = r.next()) {
                    r.complete(misuse, 0);
                }
                postSendComplete(chain);
            } else {
                c.onSend(chain);
            }
        });
    }

    @Override
    public void tcpReceive(Object connection, ReceiveRequest chain) {
        Objects.requireNonNull(chain, "chain");
        submit(() -> {
            TargetConnection c = live(connection);
            OffloadStatus misuse = misuse(connection, c);
            if (misuse != null) {
                for (ReceiveRequest r = chain; r != null; r = r.next()) {
                    r.complete(misuse);
                }
                toHost(() -> host.receiveComplete(chain));
            } else {
                c.onReceive(chain);
            }
        });
    }

    @Override
    public void tcpDisconnect(Object connection, DisconnectRequest request) {
        Objects.requireNonNull(request, "request");
        submit(() -> {
            TargetConnection c = live(connection);
            OffloadStatus misuse = misuse(connection, c);
            if (misuse != null) {
                request.complete(misuse, 0);
                postDisconnectComplete(request);
            } else {
                c.onDisconnect(request);
            }
        });
    }

    @Override
    public void tcpForward(Object connection, ForwardRequest chain) {
        Objects.requireNonNull(chain, "chain");
        submit(() -> forward(connection, chain));
    }

    @Override
    public void tcpReceiveReturn(ReceiveIndication chain) {
        // synchronous for the caller (spec §4.3.4); the buffers go back to the pool on the target loop
        submit(() -> {
            for (ReceiveIndication r = chain; r != null; r = r.next()) {
                releaseIndication(r);
            }
        });
    }

    @Override
    public void queryStatistics(Consumer<OffloadStatistics> result) {
        Objects.requireNonNull(result, "result");
        submit(() -> {
            long est4 = 0;
            long est6 = 0;
            for (TargetConnection c : connections) {
                TcpState s = c.engine.state();
                if (s == TcpState.ESTABLISHED || s == TcpState.CLOSE_WAIT) {
                    if (c.v6) {
                        est6++;
                    } else {
                        est4++;
                    }
                }
            }
            OffloadStatistics stats = counters.snapshot(est4, est6);
            toHost(() -> result.accept(stats));
        });
    }

    /**
     * The target's drop counters by reason, beyond the spec's statistics (spec §5.4 counts only what offloaded
     * connections received): frames of an offloaded connection dropped for a VLAN mismatch (R-VLAN-4), for urgent
     * data or an invalid segment, or because too many were held during an initiate or terminate, then the target
     * engine's own protocol drops (its {@link TcpCounter} {@code DROP_*} counters). {@code result} runs on the host
     * loop, as a statistics query's does.
     */
    public void queryDrops(Consumer<Map<String, Long>> result) {
        Objects.requireNonNull(result, "result");
        submit(() -> {
            Map<String, Long> drops = new LinkedHashMap<>();
            drops.put("VLAN_MISMATCH", frames.droppedVlan);
            drops.put("URGENT_OR_INVALID", frames.droppedUrgentInvalid);
            drops.put("HELD_OVERFLOW", frames.droppedHeldOverflow);
            for (TcpCounter c : TcpCounter.values()) {
                if (c.name().startsWith("DROP")) {
                    drops.put("tcp." + c.name(), stack == null ? 0 : stack.counter(c));
                }
            }
            toHost(() -> result.accept(drops));
        });
    }

    @Override
    public void resetStatistics(OffloadStatistics.Family family) {
        Objects.requireNonNull(family, "family");
        submit(() -> counters.reset(family));
    }

    // ================================================================================== target-side API

    /**
     * Raises an adapter-wide status indication (spec §5.1) on demand: PAUSE queues later initiates, UPLOAD_ALL makes
     * every connection's new I/O complete UPLOAD_IN_PROGRESS until its terminate and processes the queued initiates
     * (WA 31), RESUME (with the capabilities reported now) processes the queued initiates — or, while an upload-all
     * still has objects to give back, is held until the last terminate completed (R-RESUME-4). Callable from any
     * thread.
     */
    public void indicate(StatusIndication indication) {
        Objects.requireNonNull(indication, "indication");
        submit(() -> raise(indication));
    }

    /**
     * The link's carrier changed (the PHY's report; a test or the driver calls it). Down: a PAUSE, since nothing
     * offloaded now could reach the wire; the offloaded connections run on and retransmit (the upload decision is
     * the host's, R-HOST-13). Up: a RESUME once no other trigger holds admission. Callable from any thread.
     */
    public void linkStatus(boolean up) {
        submit(() -> {
            if (up == linkUp) {
                return;
            }
            linkUp = up;
            if (up) {
                release(HOLD_LINK);
            } else {
                hold(HOLD_LINK);
            }
        });
    }

    /**
     * Changes the capabilities the target reports, the way spec §7.3 / §7.5 allows: PAUSE; then, if what is
     * offloaded now does not fit {@code capabilities} (more connections, paths or neighbors, an IP version dropped),
     * UPLOAD_ALL; and RESUME carrying the new set once the last terminate has completed (at once without an
     * upload-all), unless another trigger still holds admission. Callable from any thread.
     */
    public void changeCapabilities(OffloadCapabilities capabilities) {
        Objects.requireNonNull(capabilities, "capabilities");
        submit(() -> {
            hold(HOLD_CAPABILITIES);
            reported = capabilities;
            boolean fits = connections.size() <= capabilities.tcpConnectionOffloadCapacity()
                    && pathCount <= capabilities.maxPaths() && neighborCount <= capabilities.maxNeighbors();
            for (TargetPath p : paths) {
                fits &= p.v6 ? capabilities.supportIpv6() : capabilities.supportIpv4();
            }
            if (!fits) {
                raise(StatusIndication.UPLOAD_ALL);
            }
            release(HOLD_CAPABILITIES); // RESUME now, or when the upload-all has drained
        });
    }

    /** Whether the link is up as far as the target was told ({@link #linkStatus}). */
    public boolean linkUp() {
        return linkUp;
    }

    /** Status indications of {@code kind} raised so far (read on the target loop, or after the simulator ran). */
    public long indicationsRaised(StatusIndication kind) {
        return indicationsRaised[kind.ordinal()];
    }

    /** A trigger closes admission: PAUSE unless it is closed already. */
    private void hold(int trigger) {
        boolean wasOpen = holds == 0 && admission == Admission.OPEN;
        holds |= trigger;
        if (wasOpen) {
            raise(StatusIndication.OFFLOAD_PAUSE);
        }
    }

    /** A trigger lets go: RESUME when none is left (held until the upload-all drained, R-RESUME-4). */
    private void release(int trigger) {
        if ((holds & trigger) == 0) {
            return;
        }
        holds &= ~trigger;
        if (holds == 0 && admission != Admission.OPEN) {
            raise(StatusIndication.OFFLOAD_RESUME);
        }
    }

    /** Raises {@code indication} on the target loop, moving the target's admission state (spec §5.1.4). */
    private void raise(StatusIndication indication) {
        switch (indication) {
            case OFFLOAD_PAUSE -> {
                if (admission == Admission.OPEN) {
                    admission = Admission.PAUSED;
                }
            }
            case UPLOAD_ALL -> {
                admission = Admission.UPLOADING_ALL;
                for (TargetConnection c : connections) {
                    c.uploadAll = true; // R-PAUSE-5, R-UPLOAD-5: new I/O gets UPLOAD_IN_PROGRESS, never PAUSED
                }
            }
            case OFFLOAD_RESUME -> {
                if (admission == Admission.UPLOADING_ALL && !drained()) {
                    resumeWhenDrained = true; // R-RESUME-4: after the last terminate completion
                    return;
                }
                resumeWhenDrained = false;
                admission = Admission.OPEN;
                for (TargetConnection c : connections) {
                    c.uploadAll = false;
                }
            }
        }
        indicationsRaised[indication.ordinal()]++;
        OffloadCapabilities caps = indication == StatusIndication.OFFLOAD_RESUME ? reported : null;
        toHost(() -> host.statusIndication(indication, caps));
        if (indication != StatusIndication.OFFLOAD_PAUSE) {
            // RESUME: the queued initiates are processed now; UPLOAD_ALL: now too (WA 31), so the upload-all drains
            while (!queuedInitiates.isEmpty()) {
                initiate(queuedInitiates.poll());
            }
        }
    }

    /** Nothing offloaded and no terminate outstanding. */
    private boolean drained() {
        return connections.isEmpty() && pathCount == 0 && neighborCount == 0 && pendingTerminates.isEmpty()
                && queuedInitiates.isEmpty();
    }

    /** After a terminate: a held RESUME may go now; the context-exhaustion trigger may let go. */
    private void afterTerminate() {
        if (resumeWhenDrained && drained() && holds == 0) {
            raise(StatusIndication.OFFLOAD_RESUME);
        }
        if ((holds & HOLD_RESOURCES) != 0 && objectCount() < resumeBelowObjects) {
            release(HOLD_RESOURCES);
        }
    }

    /** After an initiate: context exhaustion closes admission before the host fills the last areas. */
    private void afterInitiate() {
        if (pauseAtObjects > 0 && objectCount() >= pauseAtObjects) {
            hold(HOLD_RESOURCES);
        }
    }

    /**
     * Changes the capabilities reported from now on (a RESUME carries them, spec §5.1.2); the enabled set is
     * narrowed to them at once. Callable from any thread. {@link #changeCapabilities} also tells the host.
     */
    public void reportCapabilities(OffloadCapabilities capabilities) {
        Objects.requireNonNull(capabilities, "capabilities");
        reported = capabilities;
        submit(() -> enabled = intersect(capabilities, enabled));
    }

    /**
     * The target asks for the upload of one connection (spec §3.2.1, §3.2.8): {@code connection} is the context this
     * target wrote into its handle. A mandatory reason stops normal processing (R-TERM-13/14), an optional one
     * does not (R-TERM-16). Callable from any thread; ignored for an unknown or terminated connection.
     */
    public void requestUpload(Object connection, UploadReason reason) {
        Objects.requireNonNull(reason, "reason");
        submit(() -> {
            TargetConnection c = live(connection);
            if (c != null && !c.terminated) {
                c.requestUpload(reason, !reason.isMandatory());
            }
        });
    }

    /** Offloaded TCP connections now (read on the target loop). */
    public int offloadedConnections() {
        return connections.size();
    }

    /** Offloaded path objects now (read on the target loop). */
    public int offloadedPaths() {
        return pathCount;
    }

    /** Offloaded neighbor objects now (read on the target loop). */
    public int offloadedNeighbors() {
        return neighborCount;
    }

    /** Initiates accepted while paused and not processed yet (R-PAUSE-2/3; read on the target loop). */
    public int queuedInitiates() {
        return queuedInitiates.size();
    }

    /** Frames passed up the non-offload path so far (read on the target loop). */
    public long framesPassedUp() {
        return frames.passedUp;
    }

    @Override
    public String toString() {
        return "SoftOffloadTarget[" + name + " connections=" + connections.size() + " paths=" + pathCount
                + " neighbors=" + neighborCount + " " + admission + "]";
    }

    // ======================================================================================== plumbing

    private void submit(Runnable r) {
        if (host == null) {
            throw new IllegalStateException("target " + name + " is not attached: call attach(host, upperLoop) "
                    + "before any request");
        }
        loop.execute(r);
    }

    private void toHost(Runnable r) {
        upperLoop.execute(r);
    }

    OffloadCapabilities enabled() {
        return enabled;
    }

    long tickNs() {
        return parameters.tickNs();
    }

    long pushTimeoutNs() {
        return parameters.tcpPushTicks() * parameters.tickNs();
    }

    /** NCT: the NIC's clock in host ticks, unsigned 32-bit (spec §5.2.1, R-NRQ-5). */
    int nct() {
        return (int) (loop.nowNs() / parameters.tickNs() + nicClockOffsetTicks);
    }

    boolean sendBacklog() {
        return sendBacklog;
    }

    byte[] copyScratch() {
        return copyScratch;
    }

    private TcpStack newStack(OffloadParameters p) {
        long tickNs = p.tickNs();
        TcpConfig config = baseTcpConfig.toBuilder().ticksPerSecond(p.ticksPerSecond())
                .maxRetransmissions(p.tcpMaximumRetransmissions())
                .delayedAckNs(Math.max(tickNs, p.tcpDelayedAckTicks() * tickNs)).build();
        return new TcpStack(loop, config, frames, random.fork("tcp"));
    }

    private static OffloadCapabilities intersect(OffloadCapabilities a, OffloadCapabilities b) {
        return new OffloadCapabilities(a.supportIpv4() && b.supportIpv4(), a.supportIpv6() && b.supportIpv6(),
                a.supportIpv6ExtensionHeaders() && b.supportIpv6ExtensionHeaders(), a.supportSack() && b.supportSack(),
                Math.min(a.tcpConnectionOffloadCapacity(), b.tcpConnectionOffloadCapacity()),
                Math.min(a.maxPaths(), b.maxPaths()), Math.min(a.maxNeighbors(), b.maxNeighbors()),
                Math.min(a.maxInitialRcvWnd(), b.maxInitialRcvWnd()), Math.min(a.maxPathMtu(), b.maxPathMtu()),
                a.configurableSourceMac() && b.configurableSourceMac(), a.supports8021p() && b.supports8021p());
    }

    /** The live connection a data request names, or null. */
    private TargetConnection live(Object context) {
        return context instanceof TargetConnection c && c.target == this && !c.terminated ? c : null;
    }

    /** The status for a data request on a context that is not a live connection of this target, or null. */
    private OffloadStatus misuse(Object context, TargetConnection c) {
        if (c != null) {
            return null;
        }
        if (context instanceof TargetConnection t && t.target == this) {
            return OffloadStatus.INVALID_STATE; // terminated: the host posts nothing after a terminate (R-HOST-7)
        }
        return OffloadStatus.FAILURE; // not a connection of this target
    }

    void postEvent(TargetConnection c, TcpEvent event) {
        OffloadHandle h = c.handle;
        toHost(() -> host.tcpEvent(h, event));
    }

    void postSendComplete(SendRequest chain) {
        toHost(() -> host.sendComplete(chain));
    }

    void postDisconnectComplete(DisconnectRequest d) {
        toHost(() -> host.disconnectComplete(d));
    }

    /** A receive completion; the connection counts it as a call with the host until it has returned. */
    void postReceiveComplete(TargetConnection c, ReceiveRequest chain) {
        toHost(() -> {
            try {
                host.receiveComplete(chain);
            } finally {
                loop.execute(c::onReceiveCompleteReturned);
            }
        });
    }

    /** A receive indication; the host's answer comes back to the connection as a message (spec §4.4 busy). */
    void postIndication(TargetConnection c, ReceiveIndication ind) {
        OffloadHandle h = c.handle;
        toHost(() -> {
            ReceiveIndication.Result result = null;
            try {
                result = host.receiveIndicate(h, ind);
            } finally {
                ReceiveIndication.Result r = result;
                loop.execute(() -> c.onIndicationResult(ind, r));
            }
        });
    }

    /**
     * A buffer for an indication of about {@code size} bytes, or null when the budget is all with the host. Buffers
     * come in size classes from the smallest ({@link Builder#indicationBuffers}) up to the largest ({@link
     * Builder#largestIndication}), doubling: a connection with much data ready gets it to the host in one
     * indication — one round trip between the loops — instead of many small ones, since a connection has one
     * indication with the host at a time (spec §4.4). The budget counts smallest-buffer units: a class-k buffer costs
     * 2^k, and what is allocated (with the host or pooled) stays within it, pooled buffers of other sizes making room.
     */
    byte[] indicationBuffer(int size) {
        int k = 0;
        while (k + 1 < freeIndicationBuffers.length && (long) indicationBufferBytes << k < size) {
            k++;
        }
        for (; k >= 0; k--) {
            int units = 1 << k;
            if (indicationUnitsOut + units > maxIndicationBuffers) {
                continue; // not that much left with the host's share: a smaller buffer
            }
            byte[] b = freeIndicationBuffers[k].poll();
            if (b == null) {
                evictPooledIndicationBuffers(units);
                b = new byte[indicationBufferBytes << k];
                indicationUnitsAllocated += units;
            }
            indicationUnitsOut += units;
            return b;
        }
        return null;
    }

    /** Drops pooled buffers, largest first, until {@code units} more fit the budget (or none are pooled). */
    private void evictPooledIndicationBuffers(int units) {
        for (int k = freeIndicationBuffers.length - 1; k >= 0
                && indicationUnitsAllocated + units > maxIndicationBuffers; k--) {
            while (!freeIndicationBuffers[k].isEmpty() && indicationUnitsAllocated + units > maxIndicationBuffers) {
                freeIndicationBuffers[k].poll();
                indicationUnitsAllocated -= 1 << k;
            }
        }
    }

    /**
     * Delivers {@code c}'s received data at the end of this loop turn rather than now: a turn takes a batch of frames,
     * and since a connection has one indication with the host at a time (spec §4.4) the first segment of a batch
     * would otherwise go up alone while the rest waited for the host's answer — a round trip per few segments.
     */
    void deliverAtEndOfTurn(TargetConnection c) {
        if (!c.deliveryDue) {
            c.deliveryDue = true;
            deliveriesDue.add(c);
        }
    }

    private void flushDeliveries() {
        for (int i = 0; i < deliveriesDue.size(); i++) {
            TargetConnection c = deliveriesDue.get(i);
            c.deliveryDue = false;
            if (!c.terminated) {
                c.deliver();
            }
        }
        deliveriesDue.clear();
    }

    /** A connection waits for an indication buffer to come back. */
    void waitForIndicationBuffer(TargetConnection c) {
        if (!waitingForBuffers.contains(c)) {
            waitingForBuffers.add(c);
        }
    }

    void releaseIndication(ReceiveIndication ind) {
        int k = ind.targetScratch instanceof byte[] b ? indicationClass(b.length) : -1;
        if (k >= 0) {
            byte[] b = (byte[]) ind.targetScratch;
            ind.targetScratch = null;
            indicationUnitsOut -= 1 << k;
            freeIndicationBuffers[k].add(b);
            TargetConnection waiting = waitingForBuffers.poll();
            if (waiting != null && !waiting.terminated) {
                waiting.deliver();
            }
        }
    }

    /** The size class of a buffer of {@code length} bytes, or -1 when it is none of this target's. */
    private int indicationClass(int length) {
        for (int k = 0; k < freeIndicationBuffers.length; k++) {
            if (indicationBufferBytes << k == length) {
                return k;
            }
        }
        return -1;
    }

    void forwardProgress(TargetNeighbor n) {
        n.nrt = nct();
    }

    void countResetEstablished(TargetConnection c) {
        counters.tcp(c.v6, OffloadCounters.TCP_RESET_ESTABLISHED);
    }

    /**
     * Spec §5.2.3 (R-NRQ-2): before a datagram goes out through {@code n}, if both the target's and the host's last
     * confirmation are older than NceStaleTicks (unsigned, modulo 2^32), ask the host; its answer (HRD) sets HRT.
     */
    void reachabilityCheck(TargetNeighbor n) {
        if (n.queryOutstanding) {
            return;
        }
        int nct = nct();
        int stale = parameters.nceStaleTicks();
        if (Integer.compareUnsigned(nct - n.nrt, stale) <= 0 || Integer.compareUnsigned(nct - n.hrt, stale) <= 0) {
            return;
        }
        n.queryOutstanding = true;
        BlockList bl = BlockList.newNeighbor(n.handle, n.constants,
                new NeighborOffloadState.Cached(new MacAddress(n.destinationMac), nct - n.hrt),
                new NeighborOffloadState.Delegated(nct - n.nrt));
        bl.status(OffloadStatus.SUCCESS); // spec §5.2.3 BL layout (R-NRQ-3)
        OffloadHandle h = n.handle;
        toHost(() -> {
            int hrd = 0;
            try {
                hrd = host.neighborReachabilityQuery(h, bl);
            } finally {
                int answer = hrd;
                loop.execute(() -> {
                    n.queryOutstanding = false;
                    n.hrt = nct() - answer; // R-NRQ-4: HRT = NCT − HRD
                    checkPendingTerminates();
                });
            }
        });
    }

    // ======================================================================================== initiate (§3.1)

    private void initiate(BlockList root) {
        List<TargetConnection> added = new ArrayList<>();
        rootFailed = false;
        initiateList(root, root, null, added);
        toHost(() -> host.initiateOffloadComplete(root));
        afterInitiate();
        // the connections are live since their own state was offloaded; from now on they may indicate (R-OFF-13)
        for (TargetConnection c : added) {
            c.completionPosted = true;
            if (admission == Admission.UPLOADING_ALL) {
                c.uploadAll = true;
            }
            c.engine.flush(); // spec §3.1.6: [SndNxt, SndMax) first, then the rest, at once
            c.afterInput(false);
        }
    }

    /** Depth first, then breadth (spec §2.14, R-TREE-1): a node, its whole dependent list, then its next. */
    private void initiateList(BlockList first, BlockList root, Object parent, List<TargetConnection> added) {
        for (BlockList b = first; b != null; b = b.next()) {
            if (rootFailed) {
                failSubtree(b); // spec §3.1.4 / §9 WA 23: the root failed, nothing more is attempted
                continue;
            }
            boolean newNode = b.isNewOffload();
            Object object;
            OffloadStatus status;
            if (b.isPlaceholder()) {
                object = null;
                status = OffloadStatus.SUCCESS; // R-TREE-3
            } else if (!newNode) {
                object = linkerObject(b);
                status = object == null ? OffloadStatus.FAILURE : OffloadStatus.SUCCESS;
            } else {
                status = offloadNew(b, parent, added);
                object = status == OffloadStatus.SUCCESS ? b.context() : null;
            }
            b.status(status);
            if (!status.isOffloaded()) {
                if (b == root) {
                    rootFailed = true; // R-OFF-5
                }
                failDependents(b); // R-OFF-6: not attempted
                continue;
            }
            if (b.dependents() != null) {
                initiateList(b.dependents(), root, object, added);
                int total = 0;
                int offloaded = 0;
                for (BlockList d = b.dependents(); d != null; d = d.next()) {
                    total++;
                    if (d.status().isOffloaded()) {
                        offloaded++;
                    }
                }
                if (newNode) {
                    // R-OFF-2/3: SUCCESS only if every immediate dependent was offloaded
                    if (offloaded < total) {
                        b.status(OffloadStatus.OFFLOAD_PARTIAL_SUCCESS);
                    }
                } else if (!b.isPlaceholder()) {
                    // R-TREE-4: a linker is SUCCESS, PARTIAL_SUCCESS or FAILURE by its dependents
                    b.status(offloaded == total ? OffloadStatus.SUCCESS : offloaded == 0 ? OffloadStatus.FAILURE
                            : OffloadStatus.OFFLOAD_PARTIAL_SUCCESS);
                }
            }
        }
    }

    private static void failSubtree(BlockList b) {
        b.status(b.isPlaceholder() ? OffloadStatus.SUCCESS : OffloadStatus.FAILURE);
        failDependents(b);
    }

    private static void failDependents(BlockList b) {
        for (BlockList d = b.dependents(); d != null; d = d.next()) {
            d.status(d.isPlaceholder() ? OffloadStatus.SUCCESS : OffloadStatus.FAILURE); // R-TREE-2/3
            failDependents(d);
        }
    }

    /** The existing object a linker names, if it is a live object of this target on the node's layer. */
    private Object linkerObject(BlockList b) {
        Object ctx = b.context();
        if (live.get(b.handle()) != ctx) {
            return null;
        }
        return switch (b.layer()) {
            case NEIGHBOR -> ctx instanceof TargetNeighbor n && !n.invalid ? n : null;
            case IPV4_PATH, IPV6_PATH -> ctx instanceof TargetPath p && !p.invalidated()
                    && p.v6 == (b.layer() == StateLayer.IPV6_PATH) ? p : null;
            case TCP -> ctx instanceof TargetConnection c ? c : null;
        };
    }

    private int objectCount() {
        return neighborCount + pathCount + connections.size();
    }

    /** Offloads one new-offload node under {@code parent} (spec §3.1.1 step 2, checks of §3.1.3). */
    private OffloadStatus offloadNew(BlockList b, Object parent, List<TargetConnection> added) {
        if (live.containsKey(b.handle())) {
            return OffloadStatus.FAILURE; // a second initiate of an object already offloaded: misuse
        }
        // each layer checks the request, then its table, then memory for the context area (RESOURCES)
        return switch (b.layer()) {
            case NEIGHBOR -> offloadNeighbor(b);
            case IPV4_PATH, IPV6_PATH -> parent instanceof TargetNeighbor n ? offloadPath(b, n)
                    : OffloadStatus.FAILURE; // a path needs its neighbor: a tree with a missing parent
            case TCP -> parent instanceof TargetPath p ? offloadConnection(b, p, added) : OffloadStatus.FAILURE;
        };
    }

    private OffloadStatus offloadNeighbor(BlockList b) {
        NeighborOffloadState.Const k = b.neighborConst();
        NeighborOffloadState.Cached c = b.neighborCached();
        NeighborOffloadState.Delegated d = b.neighborDelegated();
        if (k == null || c == null || d == null) {
            return OffloadStatus.FAILURE;
        }
        if (neighborCount >= enabled.maxNeighbors()) {
            return OffloadStatus.OFFLOAD_NEIGHBOR_ENTRIES;
        }
        if (k.dlSourceAddress() != null && !enabled.configurableSourceMac()) {
            return OffloadStatus.OFFLOAD_HW_ADDRESS_ENTRIES;
        }
        int vlan = k.vlanId();
        if (vlan != 0) {
            // spec §6.12 admission (R-VLAN-2): only a non-zero VLAN the interface has, when it has any
            boolean configured = false;
            boolean match = false;
            for (int v : interfaceVlans) {
                configured |= v != 0;
                match |= v == vlan;
            }
            if (configured && !match) {
                return OffloadStatus.OFFLOAD_VLAN_MISMATCH;
            }
            Set<Integer> tracked = new HashSet<>();
            for (TargetNeighbor n : neighbors) {
                if (n.constants.vlanId() != 0) {
                    tracked.add(n.constants.vlanId());
                }
            }
            if (!tracked.contains(vlan) && tracked.size() >= maxVlanEntries) {
                return OffloadStatus.OFFLOAD_VLAN_ENTRIES;
            }
        }
        if (objectCount() >= maxObjects) {
            return OffloadStatus.RESOURCES;
        }
        long source = k.dlSourceAddress() != null ? k.dlSourceAddress().bits() : interfaceMac;
        TargetNeighbor n = new TargetNeighbor(this, b.handle(), k, c.dlDestinationAddress().bits(), source);
        int nct = nct();
        n.hrt = nct - c.hostReachabilityDelta(); // spec §5.2.1
        n.nrt = nct - d.nicReachabilityDelta();
        neighbors.add(n);
        neighborCount++;
        adopt(b, n);
        return OffloadStatus.SUCCESS;
    }

    private OffloadStatus offloadPath(BlockList b, TargetNeighbor n) {
        PathOffloadState.Const k = b.pathConst();
        PathOffloadState.Cached c = b.pathCached();
        if (k == null || c == null || n.terminated || n.invalid) {
            return OffloadStatus.FAILURE;
        }
        if (!enabled.supports(b.layer())) {
            return OffloadStatus.FAILURE; // this IP version is not offloaded (R-CAP-1)
        }
        if (pathCount >= enabled.maxPaths()) {
            return OffloadStatus.OFFLOAD_PATH_ENTRIES;
        }
        if (c.pathMtu() > Math.min(enabled.maxPathMtu(), link.mtu())) {
            return OffloadStatus.OFFLOAD_PATH_MTU; // R-OFF-9
        }
        Set<Object> sources = new HashSet<>();
        for (TargetPath p : paths) {
            sources.add(p.constants.sourceAddress());
        }
        if (!sources.contains(k.sourceAddress()) && sources.size() >= maxSourceAddresses) {
            return OffloadStatus.OFFLOAD_IP_ADDRESS_ENTRIES;
        }
        if (objectCount() >= maxObjects) {
            return OffloadStatus.RESOURCES;
        }
        TargetPath p = new TargetPath(this, b.handle(), k, c.pathMtu(), n);
        n.livePaths++;
        paths.add(p);
        pathCount++;
        adopt(b, p);
        return OffloadStatus.SUCCESS;
    }

    private OffloadStatus offloadConnection(BlockList b, TargetPath p, List<TargetConnection> added) {
        TcpConst k = b.tcpConst();
        TcpCached cached = b.tcpCached();
        TcpDelegated d = b.tcpDelegated();
        if (k == null || cached == null || d == null || p.terminated || p.invalidated()) {
            return OffloadStatus.FAILURE;
        }
        if (connections.size() >= enabled.tcpConnectionOffloadCapacity()) {
            return OffloadStatus.OFFLOAD_TCP_ENTRIES; // R-OFF-10
        }
        if (Integer.toUnsignedLong(cached.initialRcvWnd()) > enabled.maxInitialRcvWnd()) {
            return OffloadStatus.OFFLOAD_TCP_RCV_WINDOW; // R-OFF-8
        }
        TcpState state = d.state();
        if (!state.isSynchronized() || state == TcpState.TIME_WAIT) {
            return OffloadStatus.FAILURE; // offloadable only in ESTABLISHED .. LAST_ACK (spec §1.2)
        }
        if (objectCount() >= maxObjects) {
            return OffloadStatus.RESOURCES;
        }
        TargetConnection conn = new TargetConnection(this, b.handle(), p, k.localPort(), k.remotePort());
        if (flows.find(conn.v6, conn.localHi, conn.localLo, conn.localPort, conn.remoteHi, conn.remoteLo,
                conn.remotePort) != null) {
            return OffloadStatus.FAILURE; // that 4-tuple is offloaded already
        }
        SendRequest chain = b.sendChain();
        long chainBytes = chain == null ? 0 : chain.chainLength();
        long flight = Integer.toUnsignedLong(d.sndMax() - d.sndUna());
        boolean finQueued = state.finQueued();
        if (chainBytes < flight - (finQueued ? 1 : 0)) {
            return OffloadStatus.FAILURE; // the chain must hold every byte in flight (spec §3.1.6)
        }
        int sendBuffer = stack.config().sendBufferBytes();
        if (flight > sendBuffer || (finQueued && chainBytes > sendBuffer)) {
            return OffloadStatus.OFFLOAD_TCP_XMIT_BUFFER;
        }
        int inEngine = (int) Math.min(chainBytes, sendBuffer);
        byte[] sendData = new byte[inEngine];
        int at = 0;
        for (SendRequest r = chain; r != null && at < inEngine; r = r.next()) {
            int n = Math.min(r.length(), inEngine - at);
            System.arraycopy(r.buffer(), r.offset(), sendData, at, n);
            at += n;
        }
        TcpConst constants = k.sack() && !enabled.supportSack()
                ? new TcpConst(k.localPort(), k.remotePort(), k.timestamps(), false, k.windowScaling(),
                        k.sndWindScale(), k.rcvWindScale(), k.remoteMss(), k.hashValue())
                : k; // without SACK support the option is ignored and never generated (R-RXS-8)
        // the host's out-of-order data (what it SACKed) is kept, so the peer need not resend it (RFC 2018 §8 would
        // allow reneging, but nothing here needs it: the engine queues it as if it had arrived here)
        TcpDelegated imported = withData(d, state, sendData, d.receivedData(), d.outOfOrder());
        TcpSnapshot snapshot = new TcpSnapshot(p.constants.sourceAddress(), p.constants.destinationAddress(),
                p.pathMtu, constants, cached, imported);
        try {
            conn.engine = TcpConnection.importFrom(snapshot, stack, conn);
        } catch (IllegalArgumentException e) {
            return OffloadStatus.FAILURE; // R-OFF-15: no room for the buffered data (or the send data)
        }
        flows.add(conn);
        conn.adoptSendChain(chain, inEngine);
        p.liveConnections++;
        connections.add(conn);
        adopt(b, conn);
        added.add(conn);
        return OffloadStatus.SUCCESS;
    }

    /** Writes the context into the handle's slot (R-TREE-6) and records the object. */
    private void adopt(BlockList b, Object object) {
        live.put(b.handle(), object);
        b.handle().miniportContext(object);
    }

    /**
     * A copy of {@code d} with another state, send data and buffered data, and no out-of-order data (or the given);
     * the sender's loss-recovery extension ({@link TcpDelegated#lossRecovery()}) is kept, so a connection moved in
     * the middle of a loss episode goes on with it on either side.
     */
    static TcpDelegated withData(TcpDelegated d, TcpState state, byte[] sendData, byte[] receivedData) {
        return withData(d, state, sendData, receivedData, List.of());
    }

    static TcpDelegated withData(TcpDelegated d, TcpState state, byte[] sendData, byte[] receivedData,
            List<TcpDelegated.OutOfOrderData> outOfOrder) {
        return new TcpDelegated(state, d.rcvNxt(), d.rcvWnd(), d.sndUna(), d.sndNxt(), d.sndMax(), d.sndWnd(),
                d.maxSndWnd(), d.sndWl1(), d.cWnd(), d.ssThresh(), d.sRtt(), d.rttVar(), d.tsRecent(),
                d.tsRecentAge(), d.tsTime(), d.totalRt(), d.dupAckCount(), d.sndWndProbeCount(),
                d.keepAliveProbeCount(), d.keepAliveTimeoutDelta(), d.retransmitCount(), d.retransmitTimeoutDelta(),
                d.dWnd(), sendData, receivedData, outOfOrder, d.lossRecovery());
    }

    // ======================================================================================= terminate (§3.2)

    private void terminate(BlockList root) {
        List<TargetConnection> conns = new ArrayList<>();
        for (BlockList b : root.nodes()) {
            if (b.layer() == StateLayer.TCP && live.get(b.handle()) instanceof TargetConnection c
                    && c == b.context() && !c.terminatePending) {
                // from now on its segments go up raw (R-TERM-7) and its I/O gets UPLOAD_IN_PROGRESS
                c.terminatePending = true;
                conns.add(c);
            }
        }
        pendingTerminates.add(new PendingTerminate(root, conns));
        checkPendingTerminates();
    }

    /** Completes every terminate whose connections have no call outstanding with the host (R-TERM-5). */
    void checkPendingTerminates() {
        for (int i = 0; i < pendingTerminates.size(); i++) {
            PendingTerminate p = pendingTerminates.get(i);
            if (ready(p)) {
                pendingTerminates.remove(i--);
                finishTerminate(p);
            }
        }
    }

    private boolean ready(PendingTerminate p) {
        for (TargetConnection c : p.connections()) {
            if (!c.quiescent()) {
                return false;
            }
        }
        for (BlockList b : p.root().nodes()) {
            if (b.context() instanceof TargetNeighbor n && n.queryOutstanding) {
                return false;
            }
        }
        return true;
    }

    private void finishTerminate(PendingTerminate p) {
        BlockList root = p.root();
        List<BlockList> nodes = root.nodes();
        List<ArrayDeque<byte[]>> held = new ArrayList<>();
        // dependents before their parents: connections, then paths, then neighbors (spec §3.2.3 reference counts)
        for (BlockList b : nodes) {
            if (b.layer() == StateLayer.TCP && !b.isPlaceholder()) {
                TargetConnection c = live.get(b.handle()) instanceof TargetConnection t && t == b.context()
                        && p.connections().contains(t) ? t : null;
                if (c == null) {
                    b.status(OffloadStatus.FAILURE); // unknown, or already terminated
                } else {
                    ArrayDeque<byte[]> h = terminateConnection(c, b);
                    if (h != null) {
                        held.add(h);
                    }
                    b.status(OffloadStatus.SUCCESS);
                }
            }
        }
        for (BlockList b : nodes) {
            if (b.layer().isPath() && !b.isPlaceholder()) {
                if (live.get(b.handle()) instanceof TargetPath t && t == b.context() && t.liveConnections == 0) {
                    t.terminated = true;
                    t.neighbor.livePaths--;
                    paths.remove(t);
                    pathCount--;
                    live.remove(b.handle());
                    b.status(OffloadStatus.SUCCESS);
                } else {
                    b.status(OffloadStatus.FAILURE); // unknown, or live dependents remain
                }
            }
        }
        for (BlockList b : nodes) {
            if (b.layer() == StateLayer.NEIGHBOR && !b.isPlaceholder()) {
                if (live.get(b.handle()) instanceof TargetNeighbor n && n == b.context() && n.livePaths == 0) {
                    n.terminated = true;
                    neighbors.remove(n);
                    neighborCount--;
                    live.remove(b.handle());
                    b.neighborDelegated(new NeighborOffloadState.Delegated(nct() - n.nrt)); // spec §3.2.6
                    b.status(OffloadStatus.SUCCESS);
                } else {
                    b.status(OffloadStatus.FAILURE);
                }
            }
        }
        for (BlockList b : nodes) {
            if (b.isPlaceholder()) {
                b.status(OffloadStatus.SUCCESS);
            }
        }
        toHost(() -> host.terminateOffloadComplete(root));
        afterTerminate();
        // spec §6.11.3 step 6 / §3.2.7: what was held goes up the non-offload path after the terminate
        for (ArrayDeque<byte[]> h : held) {
            for (byte[] frame : h) {
                frames.passUpCopy(frame);
            }
        }
    }

    /** Spec §3.2.5: completes or returns everything, fills the delegated state (§3.2.6), frees the context. */
    private ArrayDeque<byte[]> terminateConnection(TargetConnection c, BlockList b) {
        c.failDisconnect(c.aborted ? OffloadStatus.REQUEST_ABORTED : OffloadStatus.UPLOAD_IN_PROGRESS);
        c.completeReceivesAtTerminate(OffloadStatus.UPLOAD_IN_PROGRESS);
        SendRequest chain = c.returnSendChain();
        TcpConnection e = c.engine;
        TcpState s = e.state();
        // export sends the ACK still owed (R-TERM-6) and stops the delayed-ACK timer
        c.exporting = true;
        TcpSnapshot snap = s.isSynchronized() && s != TcpState.TIME_WAIT ? e.export() : e.snapshot();
        c.exporting = false;
        TcpDelegated d = snap.delegated();
        TcpState reportedState = c.reportClosed || c.aborted ? TcpState.CLOSED : d.state();
        byte[] buffered = c.aborted ? new byte[0] : d.receivedData();
        b.tcpDelegated(withData(d, reportedState, new byte[0], buffered)); // SACK-only data dropped (R-TERM-9)
        b.sendChain(chain);
        e.detach();
        flows.remove(c);
        c.terminated = true;
        c.terminatePending = false;
        c.path.liveConnections--;
        connections.remove(c);
        waitingForBuffers.remove(c);
        live.remove(b.handle());
        return c.takeHeld();
    }

    // ========================================================================================= update (§3.3)

    /** Applies the cached parts of every node (R-UPD-1) and relinks paths under a neighbor node (R-UPD-2). */
    private void update(BlockList first, Object parent) {
        for (BlockList b = first; b != null; b = b.next()) {
            Object object = b.isPlaceholder() ? null : b.context();
            OffloadStatus status;
            if (b.isPlaceholder()) {
                status = OffloadStatus.SUCCESS;
            } else if (object == null || live.get(b.handle()) != object) {
                status = OffloadStatus.FAILURE;
                object = null;
            } else {
                status = updateNode(b, object, parent) ? OffloadStatus.SUCCESS : OffloadStatus.FAILURE;
            }
            b.status(status);
            if (b.dependents() != null) {
                update(b.dependents(), object);
            }
        }
    }

    private boolean updateNode(BlockList b, Object object, Object parent) {
        switch (object) {
            case TargetNeighbor n -> {
                if (n.invalid || b.layer() != StateLayer.NEIGHBOR) {
                    return false; // the host never updates an invalidated object (spec §3.3.5)
                }
                if (b.has(BlockList.CACHED) && b.neighborCached() != null) {
                    NeighborOffloadState.Cached c = b.neighborCached();
                    n.destinationMac = c.dlDestinationAddress().bits(); // R-UPD-4, every dependent (R-TREE-9)
                    n.hrt = nct() - c.hostReachabilityDelta();
                }
                return true;
            }
            case TargetPath p -> {
                if (p.invalid || !b.layer().isPath()) {
                    return false;
                }
                if (parent instanceof TargetNeighbor n && n != p.neighbor) {
                    if (n.invalid || n.terminated) {
                        return false;
                    }
                    // spec §3.3.3: the path and all its connections move under the new neighbor (R-UPD-2)
                    p.neighbor.livePaths--;
                    p.neighbor = n;
                    n.livePaths++;
                }
                if (b.has(BlockList.CACHED) && b.pathCached() != null) {
                    int mtu = b.pathCached().pathMtu();
                    if (mtu > Math.min(enabled.maxPathMtu(), link.mtu())) {
                        return false;
                    }
                    int old = p.pathMtu;
                    p.pathMtu = mtu;
                    if (mtu < old) {
                        for (TargetConnection c : new ArrayList<>(connections)) {
                            if (c.path == p && !c.terminatePending) {
                                c.engine.onPathMtuDecrease(mtu); // R-UPD-5: new segments respect it
                            }
                        }
                    }
                }
                return true;
            }
            case TargetConnection c -> {
                if (c.invalid || c.terminatePending || b.layer() != StateLayer.TCP) {
                    return false;
                }
                if (b.has(BlockList.CACHED) && b.tcpCached() != null) {
                    TcpCached cached = b.tcpCached();
                    if (Integer.toUnsignedLong(cached.initialRcvWnd()) > enabled.maxInitialRcvWnd()) {
                        return false;
                    }
                    int flags = b.tcpUpdateFlags();
                    try {
                        c.engine.updateCached(cached, (flags & BlockList.TCP_FLAG_KEEP_ALIVE_RESTART) != 0,
                                (flags & BlockList.TCP_FLAG_MAX_RT_RESTART) != 0);
                    } catch (IllegalArgumentException e) {
                        return false;
                    }
                    c.afterInput(false);
                }
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    // ====================================================================================== invalidate (§3.4)

    private void invalidate(BlockList b) {
        if (b.isPlaceholder()) {
            b.status(OffloadStatus.SUCCESS);
            return;
        }
        Object o = b.context();
        if (o == null || live.get(b.handle()) != o) {
            b.status(OffloadStatus.FAILURE);
            return;
        }
        switch (o) {
            case TargetNeighbor n -> n.invalid = true;
            case TargetPath p -> p.invalid = true;
            case TargetConnection c -> c.invalid = true;
            default -> {
                b.status(OffloadStatus.FAILURE);
                return;
            }
        }
        // R-INV-2: dependents stop sending at once (TargetFrames checks the links per datagram); R-INV-4: the
        // object stays until the host terminates it
        b.status(OffloadStatus.SUCCESS);
    }

    // =========================================================================================== query (§3.5)

    private void query(BlockList b) {
        if (b.isPlaceholder()) {
            b.status(OffloadStatus.SUCCESS);
            return;
        }
        Object o = b.context();
        if (o == null || live.get(b.handle()) != o) {
            b.status(OffloadStatus.FAILURE);
            return;
        }
        int nct = nct();
        switch (o) {
            case TargetNeighbor n -> {
                if (b.has(BlockList.CONST)) {
                    b.neighborConst(n.constants);
                }
                if (b.has(BlockList.CACHED)) {
                    b.neighborCached(new NeighborOffloadState.Cached(new MacAddress(n.destinationMac), nct - n.hrt));
                }
                if (b.has(BlockList.DELEGATED)) {
                    b.neighborDelegated(new NeighborOffloadState.Delegated(nct - n.nrt)); // R-NRQ-1
                }
            }
            case TargetPath p -> {
                if (b.has(BlockList.CONST)) {
                    b.pathConst(p.constants);
                }
                if (b.has(BlockList.CACHED)) {
                    b.pathCached(new PathOffloadState.Cached(p.pathMtu));
                }
            }
            case TargetConnection c -> {
                if (b.has(BlockList.CONST)) {
                    b.tcpConst(c.engine.constants());
                }
                if (b.has(BlockList.CACHED)) {
                    b.tcpCached(c.engine.cached()); // never changed but by an update (R-STATE-1)
                }
                if (b.has(BlockList.DELEGATED)) {
                    TcpDelegated d = c.engine.snapshot().delegated();
                    // R-STATE-3: current values; BufferedData and the send chain only travel at initiate/terminate
                    b.tcpDelegated(withData(d, c.reportClosed ? TcpState.CLOSED : d.state(), new byte[0],
                            new byte[0]));
                    b.backlogSizes(c.sendBacklogSize(), c.receiveBacklog()); // R-STATE-9/10
                }
            }
            default -> {
                b.status(OffloadStatus.FAILURE);
                return;
            }
        }
        b.status(OffloadStatus.SUCCESS);
    }

    // ============================================================================================ forward (§4.7)

    private void forward(Object context, ForwardRequest chain) {
        TargetConnection c = live(context);
        OffloadStatus misuse = misuse(context, c);
        TcpView view = new TcpView();
        TcpOptions options = new TcpOptions();
        TcpSegment seg = new TcpSegment();
        for (ForwardRequest r = chain; r != null; r = r.next()) {
            if (misuse != null) {
                r.complete(misuse);
                continue;
            }
            OffloadStatus refuse = c.ioRefusal();
            if (refuse != null || !c.processesInput()) {
                r.complete(refuse != null ? refuse : OffloadStatus.REQUEST_ABORTED);
                continue;
            }
            MemorySegment m = MemorySegment.ofArray(r.segment());
            try {
                view.wrap(m, 0, m.byteSize()).check();
                if (view.headerLen() > TcpView.HEADER_LENGTH) {
                    view.readOptions(options);
                } else {
                    options.clear();
                }
            } catch (WireFormatException e) {
                r.complete(OffloadStatus.FAILURE); // not a TCP segment
                continue;
            }
            TargetFrames.fill(view, options, seg, m, 0, (int) m.byteSize());
            if (seg.sourcePort() != c.remotePort || seg.destinationPort() != c.localPort) {
                r.complete(OffloadStatus.FAILURE); // another connection's segment
                continue;
            }
            int screened = c.screen(seg);
            if (screened == TargetConnection.SCREEN_PROCESS) {
                c.input(seg); // as if it had just arrived (R-FWD-1)
                r.complete(OffloadStatus.SUCCESS);
            } else {
                // urgent data or an in-order SYN: the host keeps the segment and processes it after the upload
                r.complete(screened == TargetConnection.SCREEN_DROP ? OffloadStatus.SUCCESS
                        : OffloadStatus.UPLOAD_IN_PROGRESS);
            }
        }
        toHost(() -> host.forwardComplete(chain));
    }

    /** Configuration of a {@link SoftOffloadTarget}. */
    public static final class Builder {
        private final EventLoop loop;
        private final NetworkPort link;
        private String name = "soft-target";
        private EventLoop hostLoop;
        private MacAddress mac;
        private int[] vlanIds = new int[0];
        private OffloadCapabilities capabilities = DEFAULT_CAPABILITIES;
        private int maxObjects = Integer.MAX_VALUE;
        private int maxVlanEntries = 64;
        private int maxSourceAddresses = 256;
        /**
         * Receive buffer 1 byte: an imported connection's buffer is then its InitialRcvWnd (the engine takes the
         * larger), so the target never advertises more than the host can take back at a terminate.
         */
        private TcpConfig tcpConfig = TcpConfig.builder().sendBufferBytes(1 << 20).receiveBufferBytes(1).build();
        private SeededRandom random;
        private long nicClockOffsetTicks;
        private int indicationBufferBytes = 64 * 1024;
        private int maxIndicationBuffers = 1024;
        private int largestIndicationBytes = 1024 * 1024;

        private Builder(EventLoop loop, NetworkPort link) {
            this.loop = Objects.requireNonNull(loop, "loop (the target's own loop)");
            this.link = Objects.requireNonNull(link, "link (the port to the wire)");
        }

        public Builder name(String v) {
            this.name = Objects.requireNonNull(v, "name");
            return this;
        }

        /** The loop of the host stack that will use {@link #hostPort()} (required). */
        public Builder hostLoop(EventLoop v) {
            this.hostLoop = Objects.requireNonNull(v, "hostLoop");
            return this;
        }

        /** The interface MAC (required): the source of frames through neighbors without DlSourceAddress. */
        public Builder mac(MacAddress v) {
            this.mac = Objects.requireNonNull(v, "mac");
            return this;
        }

        /** The interface's VLAN IDs (spec §6.12); none = no VLAN configured. */
        public Builder vlanIds(int... v) {
            for (int id : v) {
                if (id < 0 || id > 0xFFF) {
                    throw new IllegalArgumentException("VLAN IDs are 12 bits (0..4095), got " + id);
                }
            }
            this.vlanIds = v.clone();
            return this;
        }

        /** What the target reports and, until the host configures less, allows (spec §7.3). */
        public Builder capabilities(OffloadCapabilities v) {
            this.capabilities = Objects.requireNonNull(v, "capabilities");
            return this;
        }

        /** Context areas (neighbors, paths and connections together) before an offload fails with RESOURCES. */
        public Builder maxObjects(int v) {
            this.maxObjects = positive(v, "maxObjects");
            return this;
        }

        /** Distinct non-zero VLAN IDs tracked before OFFLOAD_VLAN_ENTRIES. */
        public Builder maxVlanEntries(int v) {
            this.maxVlanEntries = positive(v, "maxVlanEntries");
            return this;
        }

        /** Distinct path source addresses before OFFLOAD_IP_ADDRESS_ENTRIES. */
        public Builder maxSourceAddresses(int v) {
            this.maxSourceAddresses = positive(v, "maxSourceAddresses");
            return this;
        }

        /** The engine's buffers and other defaults; ticks, retransmissions and delayed ACK come from parameters. */
        public Builder tcpConfig(TcpConfig v) {
            this.tcpConfig = Objects.requireNonNull(v, "tcpConfig");
            return this;
        }

        public Builder random(SeededRandom v) {
            this.random = Objects.requireNonNull(v, "random");
            return this;
        }

        /** Where the NIC's tick clock starts relative to the loop's (its own epoch; tests use it to wrap 2^32). */
        public Builder nicClockOffsetTicks(long v) {
            this.nicClockOffsetTicks = v;
            return this;
        }

        /**
         * Whether the target offers SendBacklogSize (queries and throttled TcpIndicateSendBacklogChange events,
         * spec §5.3); off by default: SendBacklogSize reads 0xFFFFFFFF.
         */
        public Builder sendBacklog(boolean v) {
            this.sendBacklog = v;
            return this;
        }

        private boolean sendBacklog;
        private int pauseAtObjects;
        private int resumeBelowObjects;

        /**
         * Context exhaustion as a trigger (spec §5.1.1): once {@code pauseAt} context areas (neighbors, paths and
         * connections together) are in use the target indicates PAUSE, and RESUME once fewer than {@code
         * resumeBelow} are; off by default (the host then meets RESOURCES failures at {@link #maxObjects}).
         */
        public Builder pauseAtObjects(int pauseAt, int resumeBelow) {
            if (pauseAt < 1 || resumeBelow < 1 || resumeBelow > pauseAt) {
                throw new IllegalArgumentException("pauseAtObjects needs 1 <= resumeBelow <= pauseAt, got pauseAt="
                        + pauseAt + " resumeBelow=" + resumeBelow);
            }
            this.pauseAtObjects = pauseAt;
            this.resumeBelowObjects = resumeBelow;
            return this;
        }

        /**
         * Size of one receive-indication buffer and how many may be with the host at once; the buffers then all have
         * that size unless {@link #largestIndication} is called after this. Default: 1024 buffers of 64 KiB, and
         * indications of up to 1 MiB (a 1 MiB buffer counts as 16).
         */
        public Builder indicationBuffers(int count, int bytes) {
            this.maxIndicationBuffers = positive(count, "indication buffer count");
            this.indicationBufferBytes = positive(bytes, "indication buffer bytes");
            this.largestIndicationBytes = bytes;
            return this;
        }

        /**
         * Lets one indication carry up to {@code bytes} (buffers doubling from the smallest): a connection with much
         * data ready needs fewer round trips to the host. Each large buffer counts as as many of the smallest as it
         * holds against {@link #indicationBuffers}' count.
         */
        public Builder largestIndication(int bytes) {
            if (bytes < indicationBufferBytes) {
                throw new IllegalArgumentException("the largest indication (" + bytes + " bytes) must be at least "
                        + "the indication buffer size (" + indicationBufferBytes + ")");
            }
            this.largestIndicationBytes = bytes;
            return this;
        }

        public SoftOffloadTarget build() {
            return new SoftOffloadTarget(this);
        }

        private static int positive(int v, String what) {
            if (v < 1) {
                throw new IllegalArgumentException(what + " must be at least 1, got " + v);
            }
            return v;
        }
    }
}
