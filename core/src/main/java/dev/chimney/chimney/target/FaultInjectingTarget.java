package dev.chimney.chimney.target;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadHost;
import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.UploadReason;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Timer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * An intermediate target (spec §2.15) that wraps any {@link OffloadTarget} and injects faults for tests, from a
 * seeded random stream so a run replays. With nothing configured it passes everything through unchanged.
 *
 * <ul>
 *   <li><b>Allocation failures</b> ({@link #failAllocations}, {@link #allocationBudget}, {@link #failNodes}): chosen
 *       new-offload nodes of an initiate tree fail with a resource status. The wrapper hands the target a copy of
 *       the tree without them (an IM rebuilds the block lists it passes down anyway), then writes the statuses
 *       spec §3.1.4 gives: the node's status, FAILURE on its unattempted dependents, PARTIAL_SUCCESS (or, for a
 *       linker, FAILURE when nothing under it was offloaded) on its parent; a failed root fails everything. Nodes
 *       are chosen in traversal order (spec §2.14), so a budget of k offloads exactly the first k.</li>
 *   <li><b>Delays and reordering</b> ({@link #delayCompletions}): every completion and event reaches the host after
 *       a random delay, so completions of different connections interleave differently; per connection (and per
 *       state object) the order the target produced is kept, and a state operation's completion stays after
 *       everything before it about the objects in its tree. A receive indication for a connection whose earlier
 *       callbacks are still delayed is refused for the host, and a zero-byte receive re-enables indications once
 *       the delayed callbacks are delivered (spec §4.3.3), so data never overtakes data.</li>
 *   <li><b>Operation failures</b> ({@link #failOperations}, {@link #failNextOperation}): a query or invalidate
 *       completes FAILURE, a terminate fails without reaching the target, and the hardware-failure sequence of
 *       spec §3.6 follows for the connections involved: Retrieve/HardwareFailure, Abort, and at the host's next
 *       terminate every outstanding send and receive completes REQUEST_ABORTED. A failed update completes FAILURE
 *       without reaching the target (spec §3.3.5: no hardware-failure sequence).</li>
 * </ul>
 * Status indications are adapter-wide barriers: a delayed one waits behind every callback still delayed when it
 * was raised, and every callback made while one is delayed waits behind it.
 * Configure it on the upper loop (or before use). Threading is the wrapped target's: every call here and every
 * callback from the target runs on the upper loop.
 */
public final class FaultInjectingTarget implements OffloadTarget, OffloadHost {
    private final OffloadTarget inner;
    private final SeededRandom random;
    private OffloadHost host;
    private EventLoop upperLoop;

    private double allocationFailureProbability;
    private OffloadStatus allocationFailureStatus = OffloadStatus.RESOURCES;
    private int allocationBudget = -1;
    private Predicate<BlockList> failNode = b -> false;
    private OffloadStatus failNodeStatus = OffloadStatus.RESOURCES;
    private long maxDelayNs;
    private double operationFailureProbability;
    private final List<OffloadOperation> failNext = new ArrayList<>();

    /** The connection handle each data request is about (its delivery lane; the hardware-failure sequence). */
    private final IdentityHashMap<Object, OffloadHandle> requestLane = new IdentityHashMap<>();
    /** Connection context → its handle, learned from initiate completions. */
    private final IdentityHashMap<Object, OffloadHandle> handleOf = new IdentityHashMap<>();
    /** Child handle → parent handle, from initiate trees and relinks. */
    private final IdentityHashMap<OffloadHandle, OffloadHandle> parentOf = new IdentityHashMap<>();
    /** Connections in the hardware-failure sequence (by handle). */
    private final Set<OffloadHandle> hardwareFailed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Zero-byte receives the wrapper posted on the host's behalf; their completions are not passed up. */
    private final Set<ReceiveRequest> ownReceives = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Connections (by handle) whose indication was refused while delayed callbacks were pending. */
    private final Set<OffloadHandle> refusedWhileDelayed = java.util.Collections.newSetFromMap(
            new IdentityHashMap<>());

    // delayed delivery: a queue ordered by (release time, sequence); each lane's release times never decrease
    private record Delayed(long atNs, long seq, Runnable action, List<Object> lanes) {
    }

    private final PriorityQueue<Delayed> delayed = new PriorityQueue<>((a, b) -> a.atNs != b.atNs
            ? Long.compare(a.atNs, b.atNs) : Long.compare(a.seq, b.seq));
    private final Map<Object, Long> laneLast = new HashMap<>();
    /** The lane of status indications (spec §5.1), which also wait for every lane pending when they are raised. */
    private static final Object STATUS_LANE = new Object();
    private final Map<Object, Integer> lanePending = new HashMap<>();
    private long sequence;
    private final Timer releaseTimer = new Timer() {
        @Override
        protected void onExpired(long nowNs) {
            release(nowNs);
        }
    };

    /** Counters of what was injected (tests assert that faults really happened). */
    public int allocationsFailed;
    public int operationsFailed;
    public int completionsDelayed;
    public int indicationsRefused;

    public FaultInjectingTarget(OffloadTarget inner, SeededRandom random) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** The wrapped target. */
    public OffloadTarget inner() {
        return inner;
    }

    /** Each new-offload node fails with {@code status} (a resource status, spec §3.1.3) with {@code probability}. */
    public FaultInjectingTarget failAllocations(double probability, OffloadStatus status) {
        checkInitiateStatus(status);
        this.allocationFailureProbability = probability;
        this.allocationFailureStatus = status;
        return this;
    }

    /** The next {@code n} new-offload nodes (traversal order) succeed as far as the wrapper goes; later ones fail. */
    public FaultInjectingTarget allocationBudget(int n) {
        this.allocationBudget = n;
        return this;
    }

    /** New-offload nodes matching {@code which} fail with {@code status}. */
    public FaultInjectingTarget failNodes(Predicate<BlockList> which, OffloadStatus status) {
        checkInitiateStatus(status);
        this.failNode = Objects.requireNonNull(which, "which");
        this.failNodeStatus = status;
        return this;
    }

    /** Completions and events reach the host after a random delay of up to {@code maxDelayNs} (0 = none). */
    public FaultInjectingTarget delayCompletions(long maxDelayNs) {
        this.maxDelayNs = maxDelayNs;
        return this;
    }

    /** Each query, invalidate, update or terminate fails with {@code probability} (spec §3.6 follows). */
    public FaultInjectingTarget failOperations(double probability) {
        this.operationFailureProbability = probability;
        return this;
    }

    /** The next operation of this kind fails. */
    public FaultInjectingTarget failNextOperation(OffloadOperation operation) {
        if (operation == OffloadOperation.INITIATE) {
            throw new IllegalArgumentException("initiate failures are allocation failures: use failNodes or "
                    + "allocationBudget");
        }
        failNext.add(operation);
        return this;
    }

    /**
     * The next send call cannot be passed down (an intermediate driver's allocation failure, spec §2.15): its first
     * request completes REQUEST_UPLOAD, every later one UPLOAD_REQUESTED, and nothing reaches the target.
     */
    public FaultInjectingTarget failNextSend() {
        failNextSend = true;
        return this;
    }

    private boolean failNextSend;

    /** Turns every fault off (delays already scheduled still run). */
    public FaultInjectingTarget off() {
        allocationFailureProbability = 0;
        allocationBudget = -1;
        failNode = b -> false;
        maxDelayNs = 0;
        operationFailureProbability = 0;
        failNext.clear();
        failNextSend = false;
        return this;
    }

    private static void checkInitiateStatus(OffloadStatus status) {
        if (!status.allowedFor(OffloadOperation.INITIATE) || status.isOffloaded()) {
            throw new IllegalArgumentException("an allocation failure is an initiate failure status (spec §3.1.3),"
                    + " got " + status);
        }
    }

    // ======================================================================================== OffloadTarget

    @Override
    public void attach(OffloadHost host, EventLoop upperLoop) {
        if (this.host != null) {
            throw new IllegalStateException("already attached; attach once");
        }
        this.host = Objects.requireNonNull(host, "host");
        this.upperLoop = Objects.requireNonNull(upperLoop, "upperLoop");
        inner.attach(this, upperLoop);
    }

    @Override
    public String name() {
        return "faulty(" + inner.name() + ")";
    }

    @Override
    public OffloadCapabilities capabilities() {
        return inner.capabilities();
    }

    @Override
    public void configure(OffloadCapabilities enabled, OffloadParameters parameters) {
        inner.configure(enabled, parameters);
    }

    @Override
    public void initiateOffload(BlockList root) {
        learnTree(root);
        Set<BlockList> newNodes = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (BlockList b : root.nodes()) {
            if (b.isNewOffload()) {
                newNodes.add(b);
            }
            if (b.layer() == dev.chimney.chimney.StateLayer.TCP && b.handle() != null) {
                for (SendRequest r = b.sendChain(); r != null; r = r.next()) {
                    requestLane.put(r, b.handle());
                }
            }
        }
        Map<BlockList, OffloadStatus> failures = chooseAllocationFailures(root);
        if (failures.isEmpty()) {
            inner.initiateOffload(root);
            return;
        }
        allocationsFailed += failures.size();
        if (failures.containsKey(root)) {
            // spec §3.1.4 / R-OFF-5: the root failed, nothing is attempted
            for (BlockList b : root.nodes()) {
                b.status(b.isPlaceholder() ? OffloadStatus.SUCCESS : OffloadStatus.FAILURE);
            }
            root.status(failures.get(root));
            deliverLater(() -> host.initiateOffloadComplete(root), lanesOf(root));
            return;
        }
        IdentityHashMap<BlockList, BlockList> originalOf = new IdentityHashMap<>();
        BlockList shadowRoot = shadow(root, failures, originalOf);
        pendingShadows.put(shadowRoot, new Shadow(root, failures, originalOf, newNodes));
        inner.initiateOffload(shadowRoot);
    }

    private record Shadow(BlockList root, Map<BlockList, OffloadStatus> failures,
            IdentityHashMap<BlockList, BlockList> originalOf, Set<BlockList> newNodes) {
    }

    private final IdentityHashMap<BlockList, Shadow> pendingShadows = new IdentityHashMap<>();

    /** Picks failing new-offload nodes in traversal order, skipping the dependents of nodes already failing. */
    private Map<BlockList, OffloadStatus> chooseAllocationFailures(BlockList root) {
        Map<BlockList, OffloadStatus> chosen = new IdentityHashMap<>();
        chooseIn(root, chosen);
        return chosen;
    }

    private void chooseIn(BlockList first, Map<BlockList, OffloadStatus> chosen) {
        for (BlockList b = first; b != null; b = b.next()) {
            if (b.isNewOffload()) {
                OffloadStatus fail = null;
                if (failNode.test(b)) {
                    fail = failNodeStatus;
                } else if (allocationBudget == 0) {
                    fail = OffloadStatus.RESOURCES;
                } else if (allocationFailureProbability > 0 && random.chance(allocationFailureProbability)) {
                    fail = allocationFailureStatus;
                }
                if (fail != null) {
                    chosen.put(b, fail);
                    continue; // its dependents are not attempted
                }
                if (allocationBudget > 0) {
                    allocationBudget--;
                }
            }
            if (b.dependents() != null) {
                chooseIn(b.dependents(), chosen);
            }
        }
    }

    /** A copy of the tree without the failing nodes, sharing handles, state records and send chains. */
    private static BlockList shadow(BlockList first, Map<BlockList, OffloadStatus> failures,
            IdentityHashMap<BlockList, BlockList> originalOf) {
        BlockList head = null;
        for (BlockList b = first; b != null; b = b.next()) {
            if (failures.containsKey(b)) {
                continue;
            }
            BlockList copy;
            if (b.isPlaceholder()) {
                copy = BlockList.placeholder(b.layer());
            } else if (!b.isNewOffload()) {
                copy = BlockList.reference(b.layer(), b.handle(), b.parts());
            } else {
                copy = switch (b.layer()) {
                    case NEIGHBOR -> BlockList.newNeighbor(b.handle(), b.neighborConst(), b.neighborCached(),
                            b.neighborDelegated());
                    case IPV4_PATH, IPV6_PATH -> BlockList.newPath(b.handle(), b.pathConst(), b.pathCached());
                    case TCP -> BlockList.newTcp(b.handle(), b.tcpConst(), b.tcpCached(), b.tcpDelegated(),
                            b.sendChain());
                };
            }
            originalOf.put(copy, b);
            if (b.dependents() != null) {
                BlockList deps = shadow(b.dependents(), failures, originalOf);
                if (deps != null) {
                    copy.dependent(deps);
                }
            }
            if (head == null) {
                head = copy;
            } else {
                head.link(copy);
            }
        }
        return head;
    }

    @Override
    public void terminateOffload(BlockList root) {
        if (shouldFail(OffloadOperation.TERMINATE) && !involvesHardwareFailed(root)) {
            // spec §3.6: the terminate cannot complete; the host terminates again (§9 WA 27)
            operationsFailed++;
            failTree(root);
            List<OffloadHandle> affected = affectedConnections(root);
            deliverLater(() -> host.terminateOffloadComplete(root), lanesOf(root));
            startHardwareFailure(affected);
            return;
        }
        inner.terminateOffload(root);
    }

    @Override
    public void updateOffload(BlockList root) {
        if (shouldFail(OffloadOperation.UPDATE)) {
            operationsFailed++;
            failTree(root); // spec §3.3.5: FAILURE, the connection carries on; no hardware-failure sequence
            deliverLater(() -> host.updateOffloadComplete(root), lanesOf(root));
            return;
        }
        learnRelinks(root, null);
        inner.updateOffload(root);
    }

    @Override
    public void invalidateOffload(BlockList root) {
        if (shouldFail(OffloadOperation.INVALIDATE)) {
            operationsFailed++;
            failedOperations.put(root, Boolean.TRUE);
        }
        inner.invalidateOffload(root);
    }

    @Override
    public void queryOffload(BlockList root) {
        if (shouldFail(OffloadOperation.QUERY)) {
            operationsFailed++;
            failedOperations.put(root, Boolean.TRUE);
        }
        inner.queryOffload(root);
    }

    private final IdentityHashMap<BlockList, Boolean> failedOperations = new IdentityHashMap<>();

    private boolean shouldFail(OffloadOperation op) {
        if (failNext.remove(op)) {
            return true;
        }
        return operationFailureProbability > 0 && random.chance(operationFailureProbability);
    }

    @Override
    public void tcpSend(Object connection, SendRequest chain) {
        OffloadHandle lane = handleOf.get(connection);
        if (isHardwareFailed(connection)) {
            for (SendRequest r = chain; r != null; r = r.next()) {
                r.complete(OffloadStatus.REQUEST_ABORTED, 0);
            }
            deliverLater(() -> host.sendComplete(chain), lanes(lane));
            return;
        }
        if (failNextSend) {
            failNextSend = false;
            for (SendRequest r = chain; r != null; r = r.next()) {
                r.complete(r == chain ? OffloadStatus.REQUEST_UPLOAD : OffloadStatus.UPLOAD_REQUESTED, 0);
            }
            deliverLater(() -> host.sendComplete(chain), lanes(lane));
            return;
        }
        for (SendRequest r = chain; r != null; r = r.next()) {
            if (lane != null) {
                requestLane.put(r, lane);
            }
        }
        inner.tcpSend(connection, chain);
    }

    @Override
    public void tcpReceive(Object connection, ReceiveRequest chain) {
        OffloadHandle lane = handleOf.get(connection);
        if (isHardwareFailed(connection)) {
            for (ReceiveRequest r = chain; r != null; r = r.next()) {
                r.complete(OffloadStatus.REQUEST_ABORTED);
            }
            deliverLater(() -> host.receiveComplete(chain), lanes(lane));
            return;
        }
        for (ReceiveRequest r = chain; r != null; r = r.next()) {
            if (lane != null) {
                requestLane.put(r, lane);
            }
        }
        inner.tcpReceive(connection, chain);
    }

    @Override
    public void tcpDisconnect(Object connection, DisconnectRequest request) {
        OffloadHandle lane = handleOf.get(connection);
        if (isHardwareFailed(connection)) {
            request.complete(OffloadStatus.REQUEST_ABORTED, 0);
            deliverLater(() -> host.disconnectComplete(request), lanes(lane));
            return;
        }
        if (lane != null) {
            requestLane.put(request, lane);
        }
        inner.tcpDisconnect(connection, request);
    }

    @Override
    public void tcpForward(Object connection, ForwardRequest chain) {
        OffloadHandle lane = handleOf.get(connection);
        if (lane != null) {
            requestLane.put(chain, lane);
        }
        inner.tcpForward(connection, chain);
    }

    private static List<Object> lanes(OffloadHandle lane) {
        return lane == null ? List.of() : List.of(lane);
    }

    @Override
    public void tcpReceiveReturn(ReceiveIndication chain) {
        inner.tcpReceiveReturn(chain);
    }

    @Override
    public void queryStatistics(Consumer<OffloadStatistics> result) {
        inner.queryStatistics(result);
    }

    @Override
    public void resetStatistics(OffloadStatistics.Family family) {
        inner.resetStatistics(family);
    }

    // ========================================================================================= OffloadHost

    @Override
    public void initiateOffloadComplete(BlockList root) {
        Shadow s = pendingShadows.remove(root);
        BlockList original = root;
        if (s != null) {
            for (Map.Entry<BlockList, BlockList> e : s.originalOf().entrySet()) {
                e.getValue().status(e.getKey().status());
            }
            for (Map.Entry<BlockList, OffloadStatus> f : s.failures().entrySet()) {
                f.getKey().status(f.getValue());
                markDependentsFailed(f.getKey());
            }
            recompute(s.root(), s.newNodes());
            original = s.root();
        }
        for (BlockList b : original.nodes()) {
            if (b.layer() == dev.chimney.chimney.StateLayer.TCP && b.status() != null && b.status().isOffloaded()
                    && b.context() != null) {
                handleOf.put(b.context(), b.handle());
            }
        }
        BlockList done = original;
        deliver(() -> host.initiateOffloadComplete(done), lanesOf(done));
    }

    private static void markDependentsFailed(BlockList b) {
        for (BlockList d = b.dependents(); d != null; d = d.next()) {
            d.status(d.isPlaceholder() ? OffloadStatus.SUCCESS : OffloadStatus.FAILURE);
            markDependentsFailed(d);
        }
    }

    /**
     * Spec §3.1.4 again over the original tree, dependents first: an offloaded new node is SUCCESS only if every
     * immediate dependent was offloaded, else PARTIAL_SUCCESS; a linker SUCCESS, PARTIAL_SUCCESS or FAILURE by its
     * dependents; a placeholder SUCCESS. The target applied the same rule to the nodes it saw.
     */
    private static void recompute(BlockList first, Set<BlockList> newNodes) {
        for (BlockList b = first; b != null; b = b.next()) {
            if (b.dependents() == null || !b.status().isOffloaded()) {
                continue;
            }
            recompute(b.dependents(), newNodes);
            int total = 0;
            int ok = 0;
            for (BlockList d = b.dependents(); d != null; d = d.next()) {
                total++;
                if (d.status().isOffloaded()) {
                    ok++;
                }
            }
            if (b.isPlaceholder()) {
                b.status(OffloadStatus.SUCCESS);
            } else if (newNodes.contains(b)) {
                b.status(ok == total ? OffloadStatus.SUCCESS : OffloadStatus.OFFLOAD_PARTIAL_SUCCESS);
            } else {
                b.status(ok == total ? OffloadStatus.SUCCESS : ok == 0 ? OffloadStatus.FAILURE
                        : OffloadStatus.OFFLOAD_PARTIAL_SUCCESS);
            }
        }
    }

    @Override
    public void terminateOffloadComplete(BlockList root) {
        List<SendRequest> aborted = new ArrayList<>();
        for (BlockList b : root.nodes()) {
            for (SendRequest r = b.sendChain(); r != null; r = r.next()) {
                requestLane.remove(r); // handed back, never completed: forget it
            }
            if (b.layer() == dev.chimney.chimney.StateLayer.TCP && hardwareFailed.remove(b.handle())) {
                // spec §3.6 step 4: the returned send data is aborted, not handed back
                for (SendRequest r = b.sendChain(); r != null; r = r.next()) {
                    aborted.add(r);
                }
                b.sendChain(null);
            }
            if (b.context() != null && b.status() == OffloadStatus.SUCCESS) {
                handleOf.remove(b.context());
            }
        }
        if (!aborted.isEmpty()) {
            SendRequest first = aborted.getFirst();
            for (int i = 0; i < aborted.size(); i++) {
                SendRequest r = aborted.get(i);
                r.next(i + 1 < aborted.size() ? aborted.get(i + 1) : null);
                r.complete(OffloadStatus.REQUEST_ABORTED, r.bytesTransferred());
            }
            deliver(() -> host.sendComplete(first), lanesOf(root));
        }
        deliver(() -> host.terminateOffloadComplete(root), lanesOf(root));
    }

    @Override
    public void updateOffloadComplete(BlockList root) {
        deliver(() -> host.updateOffloadComplete(root), lanesOf(root));
    }

    @Override
    public void invalidateOffloadComplete(BlockList root) {
        completeMaybeFailed(root, () -> host.invalidateOffloadComplete(root));
    }

    @Override
    public void queryOffloadComplete(BlockList root) {
        completeMaybeFailed(root, () -> host.queryOffloadComplete(root));
    }

    private void completeMaybeFailed(BlockList root, Runnable complete) {
        if (failedOperations.remove(root) != null) {
            failTree(root); // spec §3.6 step 1
            deliver(complete, lanesOf(root));
            startHardwareFailure(affectedConnections(root));
        } else {
            deliver(complete, lanesOf(root));
        }
    }

    @Override
    public void sendComplete(SendRequest chain) {
        OffloadHandle lane = requestLane.get(chain);
        for (SendRequest r = chain; r != null; r = r.next()) {
            requestLane.remove(r);
            if (lane != null && hardwareFailed.contains(lane) && r.status() != OffloadStatus.SUCCESS) {
                r.complete(OffloadStatus.REQUEST_ABORTED, r.bytesTransferred());
            }
        }
        deliver(() -> host.sendComplete(chain), lanes(lane));
    }

    @Override
    public void receiveComplete(ReceiveRequest chain) {
        OffloadHandle lane = requestLane.get(chain);
        ReceiveRequest first = null;
        ReceiveRequest last = null;
        for (ReceiveRequest r = chain; r != null; ) {
            ReceiveRequest next = r.next();
            requestLane.remove(r);
            if (ownReceives.remove(r)) {
                r = next; // our own zero-byte receive: the host never posted it
                continue;
            }
            if (lane != null && hardwareFailed.contains(lane) && r.status() != OffloadStatus.SUCCESS) {
                r.complete(OffloadStatus.REQUEST_ABORTED);
            }
            r.next(null);
            if (first == null) {
                first = r;
            } else {
                last.next(r);
            }
            last = r;
            r = next;
        }
        if (first != null) {
            ReceiveRequest out = first;
            deliver(() -> host.receiveComplete(out), lanes(lane));
        }
    }

    @Override
    public void disconnectComplete(DisconnectRequest request) {
        OffloadHandle lane = requestLane.remove(request);
        if (lane != null && hardwareFailed.contains(lane) && request.status() != OffloadStatus.SUCCESS) {
            request.complete(OffloadStatus.REQUEST_ABORTED, request.bytesTransferred());
        }
        deliver(() -> host.disconnectComplete(request), lanes(lane));
    }

    @Override
    public void forwardComplete(ForwardRequest chain) {
        OffloadHandle lane = requestLane.remove(chain);
        deliver(() -> host.forwardComplete(chain), lanes(lane));
    }

    @Override
    public ReceiveIndication.Result receiveIndicate(OffloadHandle connection, ReceiveIndication data) {
        if (hardwareFailed.contains(connection) || lanePending.getOrDefault(connection, 0) > 0) {
            // earlier callbacks for this connection are still delayed: the data must not overtake them
            indicationsRefused++;
            if (!hardwareFailed.contains(connection)) {
                refusedWhileDelayed.add(connection);
            }
            return ReceiveIndication.Result.NONE;
        }
        return host.receiveIndicate(connection, data);
    }

    @Override
    public void tcpEvent(OffloadHandle connection, TcpEvent event) {
        deliver(() -> host.tcpEvent(connection, event), List.of(connection));
    }

    @Override
    public int neighborReachabilityQuery(OffloadHandle neighbor, BlockList state) {
        if (lanePending.getOrDefault(neighbor, 0) > 0) {
            return 0; // the host does not know the neighbor yet: "stale", ask again later (spec §5.2.4)
        }
        return host.neighborReachabilityQuery(neighbor, state);
    }

    @Override
    public void statusIndication(StatusIndication indication, OffloadCapabilities capabilities) {
        // adapter-wide: it waits behind everything the target produced before it (a RESUME after the last
        // terminate completion stays after it, R-RESUME-4), and status indications keep their order
        List<Object> lanes = new ArrayList<>(lanePending.keySet());
        lanes.add(STATUS_LANE);
        deliver(() -> host.statusIndication(indication, capabilities), lanes);
    }

    // ================================================================================ hardware failure (§3.6)

    private static void failTree(BlockList root) {
        for (BlockList b : root.nodes()) {
            b.status(b.isPlaceholder() ? OffloadStatus.SUCCESS : OffloadStatus.FAILURE);
        }
    }

    private boolean isHardwareFailed(Object context) {
        OffloadHandle h = handleOf.get(context);
        return h != null && hardwareFailed.contains(h);
    }

    private boolean involvesHardwareFailed(BlockList root) {
        for (BlockList b : root.nodes()) {
            if (b.handle() != null && hardwareFailed.contains(b.handle())) {
                return true;
            }
        }
        return false;
    }

    /** The TCP connections a tree names, directly or through a named path or neighbor. */
    private List<OffloadHandle> affectedConnections(BlockList root) {
        List<OffloadHandle> out = new ArrayList<>();
        Set<OffloadHandle> named = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (BlockList b : root.nodes()) {
            if (b.handle() != null) {
                named.add(b.handle());
            }
        }
        for (OffloadHandle tcp : handleOf.values()) {
            for (OffloadHandle h = tcp; h != null; h = parentOf.get(h)) {
                if (named.contains(h)) {
                    out.add(tcp);
                    break;
                }
            }
        }
        return out;
    }

    /** Spec §3.6 steps 2 and 3 for each connection; step 4 happens at its next terminate. */
    private void startHardwareFailure(List<OffloadHandle> connections) {
        for (OffloadHandle h : connections) {
            if (hardwareFailed.add(h)) {
                deliverLater(() -> host.tcpEvent(h, TcpEvent.retrieve(UploadReason.HARDWARE_FAILURE)), List.of(h));
                deliverLater(() -> host.tcpEvent(h, TcpEvent.ABORT), List.of(h));
            }
        }
    }

    private void learnTree(BlockList root) {
        learnRelinks(root, null);
    }

    private void learnRelinks(BlockList first, OffloadHandle parent) {
        for (BlockList b = first; b != null; b = b.next()) {
            if (b.handle() != null && parent != null) {
                parentOf.put(b.handle(), parent);
            }
            if (b.dependents() != null) {
                learnRelinks(b.dependents(), b.handle());
            }
        }
    }

    // ============================================================================================ delivery

    /** The lanes of a state operation: every object its tree names (by handle and by context). */
    private List<Object> lanesOf(BlockList root) {
        List<Object> lanes = new ArrayList<>();
        for (BlockList b : root.nodes()) {
            if (b.handle() != null) {
                lanes.add(b.handle());
            }
        }
        return lanes;
    }

    /**
     * A callback from the target (already on the upper loop, outside any request call): passed on at once when no
     * delay is configured and nothing is waiting in its lanes, else queued.
     */
    private void deliver(Runnable action, List<Object> lanes) {
        lanes = behindStatus(lanes);
        if (maxDelayNs == 0 && idle(lanes)) {
            action.run();
            reenableRefused();
            return;
        }
        enqueue(action, lanes);
    }

    /** A completion the wrapper makes itself inside a request call: always later (R-INIT-5). */
    private void deliverLater(Runnable action, List<Object> lanes) {
        enqueue(action, behindStatus(lanes));
    }

    /** Made while a status indication is still delayed: it stays behind it (the indication is adapter-wide). */
    private List<Object> behindStatus(List<Object> lanes) {
        if (!lanePending.containsKey(STATUS_LANE) || lanes.contains(STATUS_LANE)) {
            return lanes;
        }
        List<Object> l = new ArrayList<>(lanes);
        l.add(STATUS_LANE);
        return l;
    }

    private boolean idle(List<Object> lanes) {
        for (Object lane : lanes) {
            if (lanePending.getOrDefault(lane, 0) > 0) {
                return false;
            }
        }
        return true;
    }

    /** Queues {@code action} after a random delay (if configured), behind everything queued in its lanes. */
    private void enqueue(Runnable action, List<Object> lanes) {
        long now = upperLoop.nowNs();
        long at = now;
        if (maxDelayNs > 0) {
            at += random.nextLong(maxDelayNs + 1);
            completionsDelayed++;
        }
        for (Object lane : lanes) {
            Long last = laneLast.get(lane);
            if (last != null && last > at) {
                at = last;
            }
        }
        for (Object lane : lanes) {
            laneLast.put(lane, at);
            lanePending.merge(lane, 1, Integer::sum);
        }
        delayed.add(new Delayed(at, sequence++, action, lanes));
        if (delayed.peek().atNs() <= now) {
            upperLoop.execute(() -> release(upperLoop.nowNs()));
        } else {
            upperLoop.timers().schedule(releaseTimer, delayed.peek().atNs());
        }
    }

    private void release(long nowNs) {
        while (!delayed.isEmpty() && delayed.peek().atNs() <= nowNs) {
            Delayed d = delayed.poll();
            for (Object lane : d.lanes()) {
                lanePending.merge(lane, -1, Integer::sum);
                if (lanePending.get(lane) <= 0) {
                    lanePending.remove(lane);
                    laneLast.remove(lane);
                }
            }
            d.action().run();
            reenableRefused();
        }
        if (!delayed.isEmpty()) {
            upperLoop.timers().schedule(releaseTimer, delayed.peek().atNs());
        }
    }

    /** Spec §4.3.3: a zero-byte receive re-enables the indications the wrapper refused for the host. */
    private void reenableRefused() {
        if (refusedWhileDelayed.isEmpty()) {
            return;
        }
        for (OffloadHandle h : new ArrayList<>(refusedWhileDelayed)) {
            Object ctx = h.miniportContext();
            if (ctx == null || lanePending.getOrDefault(h, 0) > 0) {
                continue;
            }
            refusedWhileDelayed.remove(h);
            ReceiveRequest zero = new ReceiveRequest(new byte[0], 0, 0, false, 0);
            ownReceives.add(zero);
            requestLane.put(zero, h);
            inner.tcpReceive(ctx, zero);
        }
    }
}
