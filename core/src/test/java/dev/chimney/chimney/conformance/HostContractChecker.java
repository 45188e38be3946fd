package dev.chimney.chimney.conformance;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadHost;
import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.runtime.EventLoop;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An intermediate layer (spec §2.15) between any host and any target that checks, independently of the host's own
 * bookkeeping, every promise the host makes (spec §3.0 item 4, §3.8): no operation on an object being offloaded and
 * no second offload (R-HOST-3); no update of an object being updated or invalidated (R-HOST-4); a path or neighbor
 * terminated only without dependents or with all of them (R-HOST-5); no terminate while an update, query or
 * invalidate is outstanding (R-HOST-6); no send, receive, disconnect or forward on a connection being offloaded or
 * after its terminate was called (R-HOST-3, R-HOST-7, R-HOST-8); send and receive calls never overlapping on one
 * connection (R-HOST-12); no urgent data (R-HOST-11: a send request is plain bytes, so this is the absence of any
 * other path). Status indications (spec §5.1): after a PAUSE or UPLOAD_ALL reached the host, no initiate carries a
 * new offload until a RESUME reached it (R-PAUSE-4, R-RESUME-1, R-UPLOAD-1). Everything passes through unchanged;
 * {@link #violations()} lists what broke a rule.
 *
 * <p>The target's side of the same conversation is checked too, into {@link #targetViolations()}: a RESUME after an
 * UPLOAD_ALL comes only once every object is back (R-RESUME-4, with R-UPLOAD-2/3 for the host: it terminated
 * everything); every request — state operation, send (including the send chain an initiate carries), receive,
 * disconnect, forward — is completed exactly once (a send either completed or returned by its terminate, never
 * both, spec §9 item 25), with a status its kind allows (never PAUSED, R-PAUSE-5); {@link #outstandingRequests()}
 * says how many are still open.
 */
public final class HostContractChecker implements OffloadTarget, OffloadHost {

    private enum Phase { INITIATING, OFFLOADED, TERMINATING }

    /** What the checker knows of one object, by its handle. */
    private static final class Obj {
        final StateLayer layer;
        /** The object this one hangs on (its path, or its neighbor: a relink changes it). */
        OffloadHandle parent;
        Phase phase = Phase.INITIATING;
        boolean updating;
        int queries;
        boolean invalidating;
        boolean invalidated;
        boolean inSend;
        boolean inReceive;

        Obj(StateLayer layer, OffloadHandle parent) {
            this.layer = layer;
            this.parent = parent;
        }
    }

    private final OffloadTarget inner;
    private OffloadHost host;
    private final Map<OffloadHandle, Obj> objects = new IdentityHashMap<>();
    private final Map<Object, OffloadHandle> byContext = new IdentityHashMap<>();
    private final List<String> violations = new ArrayList<>();
    private final List<String> targetViolations = new ArrayList<>();
    private final List<StatusIndication> indications = new ArrayList<>();
    private long checkedRequests;
    /** A PAUSE or UPLOAD_ALL reached the host and no RESUME since. */
    private boolean admissionClosed;
    /** An UPLOAD_ALL reached the host and no RESUME since. */
    private boolean uploadAllSinceResume;
    private int terminatesOutstanding;
    /** Every request the target owns now, by identity, with its kind. */
    private final Map<Object, String> open = new IdentityHashMap<>();

    public HostContractChecker(OffloadTarget inner) {
        this.inner = inner;
    }

    /** Every broken host rule seen so far, with its spec id. */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** Every broken target rule seen so far (R-RESUME-4 and the like), with its spec id. */
    public List<String> targetViolations() {
        return List.copyOf(targetViolations);
    }

    /** The status indications that passed up, in order. */
    public List<StatusIndication> indications() {
        return List.copyOf(indications);
    }

    /** Objects the target holds or is being given or is giving back, as far as the requests and completions say. */
    public int heldObjects() {
        return objects.size();
    }

    /** Objects of {@code layer} the target holds (offloaded or being terminated). */
    public int held(StateLayer layer) {
        int n = 0;
        for (Obj o : objects.values()) {
            if (o.phase != Phase.INITIATING && (o.layer == layer || layer.isPath() && o.layer.isPath())) {
                n++;
            }
        }
        return n;
    }

    /** Requests handed to the target and not completed yet (state operations and data requests). */
    public int outstandingRequests() {
        return open.size();
    }

    /** Objects of {@code layer} known to the target in any phase (being offloaded, offloaded, being terminated). */
    public int known(StateLayer layer) {
        int n = 0;
        for (Obj o : objects.values()) {
            if (o.layer == layer || layer.isPath() && o.layer.isPath()) {
                n++;
            }
        }
        return n;
    }

    private static final java.util.Set<dev.chimney.chimney.OffloadStatus> SEND_STATUSES = java.util.EnumSet.of(
            dev.chimney.chimney.OffloadStatus.SUCCESS, dev.chimney.chimney.OffloadStatus.UPLOAD_IN_PROGRESS,
            dev.chimney.chimney.OffloadStatus.REQUEST_ABORTED, dev.chimney.chimney.OffloadStatus.REQUEST_UPLOAD,
            dev.chimney.chimney.OffloadStatus.UPLOAD_REQUESTED);
    private static final java.util.Set<dev.chimney.chimney.OffloadStatus> RECEIVE_STATUSES = java.util.EnumSet.of(
            dev.chimney.chimney.OffloadStatus.SUCCESS, dev.chimney.chimney.OffloadStatus.UPLOAD_IN_PROGRESS,
            dev.chimney.chimney.OffloadStatus.REQUEST_ABORTED, dev.chimney.chimney.OffloadStatus.INVALID_STATE);
    private static final java.util.Set<dev.chimney.chimney.OffloadStatus> DISCONNECT_STATUSES = java.util.EnumSet.of(
            dev.chimney.chimney.OffloadStatus.SUCCESS, dev.chimney.chimney.OffloadStatus.UPLOAD_IN_PROGRESS,
            dev.chimney.chimney.OffloadStatus.REQUEST_ABORTED);
    private static final java.util.Set<dev.chimney.chimney.OffloadStatus> FORWARD_STATUSES = java.util.EnumSet.of(
            dev.chimney.chimney.OffloadStatus.SUCCESS, dev.chimney.chimney.OffloadStatus.UPLOAD_IN_PROGRESS,
            dev.chimney.chimney.OffloadStatus.REQUEST_ABORTED, dev.chimney.chimney.OffloadStatus.FAILURE);

    private void opened(Object request, String kind) {
        if (open.put(request, kind) != null) {
            targetViolations.add("a " + kind + " request handed to the target while it already owned it");
        }
    }

    private void closed(Object request, String kind, dev.chimney.chimney.OffloadStatus status,
            java.util.Set<dev.chimney.chimney.OffloadStatus> legal) {
        String was = open.remove(request);
        if (was == null) {
            targetViolations.add("a " + kind + " completion for a request the target did not own (completed twice, "
                    + "or never made)");
        } else if (!was.equals(kind)) {
            targetViolations.add("a " + was + " request completed as a " + kind);
        }
        if (legal != null && (status == null || !legal.contains(status))) {
            targetViolations.add((status == dev.chimney.chimney.OffloadStatus.PAUSED ? "R-PAUSE-5: " : "")
                    + "a " + kind + " completed with " + status);
        }
    }

    private void closedOperation(BlockList root, OffloadOperation op) {
        closed(root, op.name(), null, null);
        for (BlockList b : root.nodes()) {
            if (b.status() == null || !b.status().allowedFor(op)) {
                targetViolations.add("a " + op + " node completed with " + b.status() + " (R-TREE-2, spec §3.0)");
                break;
            }
        }
    }

    /** Requests checked (so a test can tell the checker saw traffic). */
    public long checkedRequests() {
        return checkedRequests;
    }

    private void violation(String id, String what) {
        if (violations.size() < 100) {
            violations.add(id + ": " + what);
        }
    }

    // --------------------------------------------------------------------------------------------- OffloadTarget

    @Override
    public void attach(OffloadHost h, EventLoop upperLoop) {
        this.host = h;
        inner.attach(this, upperLoop);
    }

    @Override
    public String name() {
        return "checked " + inner.name();
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
        checkedRequests++;
        if (admissionClosed) {
            for (BlockList b : root.nodes()) {
                if (b.handle() != null && b.isNewOffload()) {
                    violation("R-PAUSE-4/R-RESUME-1/R-UPLOAD-1", "a new offload of " + b + " after " + indications
                            .getLast() + " and before RESUME");
                    break;
                }
            }
        }
        initiateLevel(root, null);
        opened(root, OffloadOperation.INITIATE.name());
        for (BlockList b : root.nodes()) {
            for (SendRequest r = b.sendChain(); r != null && b.isNewOffload(); r = r.next()) {
                opened(r, "send"); // spec §3.1.6: completed like any send, or returned at terminate
            }
        }
        inner.initiateOffload(root);
    }

    private void initiateLevel(BlockList first, OffloadHandle parent) {
        for (BlockList b = first; b != null; b = b.next()) {
            OffloadHandle h = b.handle();
            if (h != null) {
                Obj o = objects.get(h);
                if (b.isNewOffload()) {
                    if (o != null) {
                        violation("R-HOST-3", "a second offload of " + b + " while it is " + o.phase);
                    } else {
                        objects.put(h, new Obj(b.layer(), parent));
                    }
                } else if (o == null || o.phase != Phase.OFFLOADED) {
                    violation("R-HOST-3", "a linker to " + b + " which is " + (o == null ? "not offloaded"
                            : o.phase));
                }
            }
            if (b.dependents() != null) {
                initiateLevel(b.dependents(), h != null ? h : parent);
            }
        }
    }

    @Override
    public void terminateOffload(BlockList root) {
        checkedRequests++;
        List<OffloadHandle> inTree = new ArrayList<>();
        for (BlockList b : root.nodes()) {
            if (b.handle() != null) {
                inTree.add(b.handle());
            }
        }
        for (OffloadHandle h : inTree) {
            Obj o = objects.get(h);
            if (o == null || o.phase != Phase.OFFLOADED) {
                violation("R-HOST-3/7", "terminate of an object that is " + (o == null ? "not offloaded" : o.phase));
                continue;
            }
            if (o.updating || o.queries > 0 || o.invalidating) {
                violation("R-HOST-6", "terminate of a " + o.layer + " with an update, query or invalidate outstanding");
            }
            if (o.inSend || o.inReceive) {
                violation("R-HOST-6", "terminate of a connection inside a send or receive call");
            }
            for (var e : o.layer == StateLayer.TCP ? List.<Map.Entry<OffloadHandle, Obj>>of()
                    : objects.entrySet()) { // a connection has no dependents
                if (e.getValue().parent == h && e.getValue().phase != Phase.INITIATING
                        && !inTree.contains(e.getKey())) {
                    violation("R-HOST-5", "terminate of a " + o.layer + " with a live dependent "
                            + e.getValue().layer + " outside the tree");
                }
                if (e.getValue().parent == h && e.getValue().phase == Phase.INITIATING) {
                    violation("R-HOST-5", "terminate of a " + o.layer + " with a dependent being offloaded");
                }
            }
            o.phase = Phase.TERMINATING;
        }
        terminatesOutstanding++;
        opened(root, OffloadOperation.TERMINATE.name());
        inner.terminateOffload(root);
    }

    @Override
    public void updateOffload(BlockList root) {
        checkedRequests++;
        for (BlockList b : root.nodes()) {
            Obj o = b.handle() == null ? null : objects.get(b.handle());
            if (b.handle() == null) {
                continue;
            }
            if (o == null || o.phase != Phase.OFFLOADED) {
                violation("R-HOST-3/4", "update of an object that is " + (o == null ? "not offloaded" : o.phase));
            } else if (o.updating) {
                violation("R-HOST-4", "a second update of a " + o.layer + " while one is outstanding");
            } else if (o.invalidating || o.invalidated) {
                violation("R-HOST-4", "update of an invalidated " + o.layer);
            } else {
                o.updating = true;
            }
        }
        opened(root, OffloadOperation.UPDATE.name());
        inner.updateOffload(root);
    }

    @Override
    public void invalidateOffload(BlockList root) {
        checkedRequests++;
        for (BlockList b : root.nodes()) {
            Obj o = b.handle() == null ? null : objects.get(b.handle());
            if (b.handle() == null) {
                continue;
            }
            if (o == null || o.phase != Phase.OFFLOADED) {
                violation("R-HOST-3/7", "invalidate of an object that is " + (o == null ? "not offloaded"
                        : o.phase));
            } else {
                o.invalidating = true;
            }
        }
        opened(root, OffloadOperation.INVALIDATE.name());
        inner.invalidateOffload(root);
    }

    @Override
    public void queryOffload(BlockList root) {
        checkedRequests++;
        for (BlockList b : root.nodes()) {
            Obj o = b.handle() == null ? null : objects.get(b.handle());
            if (b.handle() == null) {
                continue;
            }
            if (o == null || o.phase != Phase.OFFLOADED) {
                violation("R-HOST-3/7", "query of an object that is " + (o == null ? "not offloaded" : o.phase));
            } else {
                o.queries++;
            }
        }
        opened(root, OffloadOperation.QUERY.name());
        inner.queryOffload(root);
    }

    private Obj dataRequest(Object context, String what) {
        checkedRequests++;
        OffloadHandle h = byContext.get(context);
        Obj o = h == null ? null : objects.get(h);
        if (o == null) {
            violation("R-HOST-3", what + " on a connection the target has not offloaded (context " + context + ")");
        } else if (o.phase == Phase.TERMINATING) {
            violation("R-HOST-7", what + " after the terminate of its connection was called");
        }
        return o;
    }

    @Override
    public void tcpSend(Object connection, SendRequest chain) {
        Obj o = dataRequest(connection, "send");
        if (o != null && o.inSend) {
            violation("R-HOST-12", "overlapping send calls on one connection");
        }
        if (o != null) {
            o.inSend = true;
        }
        for (SendRequest r = chain; r != null; r = r.next()) {
            opened(r, "send");
        }
        try {
            inner.tcpSend(connection, chain);
        } finally {
            if (o != null) {
                o.inSend = false;
            }
        }
    }

    @Override
    public void tcpReceive(Object connection, ReceiveRequest chain) {
        Obj o = dataRequest(connection, "receive post");
        if (o != null && o.inReceive) {
            violation("R-HOST-12", "overlapping receive calls on one connection");
        }
        if (o != null) {
            o.inReceive = true;
        }
        for (ReceiveRequest r = chain; r != null; r = r.next()) {
            opened(r, "receive");
        }
        try {
            inner.tcpReceive(connection, chain);
        } finally {
            if (o != null) {
                o.inReceive = false;
            }
        }
    }

    @Override
    public void tcpDisconnect(Object connection, DisconnectRequest request) {
        dataRequest(connection, "disconnect");
        opened(request, "disconnect");
        inner.tcpDisconnect(connection, request);
    }

    @Override
    public void tcpForward(Object connection, ForwardRequest chain) {
        dataRequest(connection, "forward (R-HOST-8)");
        for (ForwardRequest r = chain; r != null; r = r.next()) {
            opened(r, "forward");
        }
        inner.tcpForward(connection, chain);
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

    // ----------------------------------------------------------------------------------------------- OffloadHost

    @Override
    public void initiateOffloadComplete(BlockList root) {
        closedOperation(root, OffloadOperation.INITIATE);
        for (BlockList b : root.nodes()) {
            if (b.status() == null || !b.status().isOffloaded()) {
                for (SendRequest r = b.sendChain(); r != null && open.get(r) != null; r = r.next()) {
                    closed(r, "send", null, null); // a failed offload leaves its send data with the host
                }
            }
        }
        for (BlockList b : root.nodes()) {
            Obj o = b.handle() == null ? null : objects.get(b.handle());
            if (o == null || o.phase != Phase.INITIATING) {
                continue;
            }
            Object ctx = b.handle().miniportContext();
            if (b.status() != null && b.status().isOffloaded() && ctx != null) {
                o.phase = Phase.OFFLOADED;
                byContext.put(ctx, b.handle());
            } else {
                objects.remove(b.handle());
            }
        }
        host.initiateOffloadComplete(root);
    }

    @Override
    public void terminateOffloadComplete(BlockList root) {
        terminatesOutstanding--;
        closedOperation(root, OffloadOperation.TERMINATE);
        for (BlockList b : root.nodes()) {
            for (SendRequest r = b.sendChain(); r != null; r = r.next()) {
                closed(r, "send", null, null); // returned, not completed (spec §9 item 25: one way only)
            }
        }
        for (BlockList b : root.nodes()) {
            if (b.handle() != null && objects.get(b.handle()) != null
                    && objects.get(b.handle()).phase == Phase.TERMINATING) {
                byContext.values().remove(b.handle());
                objects.remove(b.handle());
            }
        }
        host.terminateOffloadComplete(root);
    }

    @Override
    public void updateOffloadComplete(BlockList root) {
        closedOperation(root, OffloadOperation.UPDATE);
        for (BlockList b : root.nodes()) {
            Obj o = b.handle() == null ? null : objects.get(b.handle());
            if (o != null) {
                o.updating = false;
            }
            // a relink (spec §3.3.3): paths under a neighbor reference now hang on that neighbor
            for (BlockList d = b.dependents(); d != null && b.handle() != null; d = d.next()) {
                Obj moved = d.handle() == null ? null : objects.get(d.handle());
                if (moved != null && d.status() == dev.chimney.chimney.OffloadStatus.SUCCESS) {
                    moved.parent = b.handle();
                }
            }
        }
        host.updateOffloadComplete(root);
    }

    @Override
    public void invalidateOffloadComplete(BlockList root) {
        closedOperation(root, OffloadOperation.INVALIDATE);
        for (BlockList b : root.nodes()) {
            Obj o = b.handle() == null ? null : objects.get(b.handle());
            if (o != null && o.invalidating) {
                o.invalidating = false;
                o.invalidated = true;
            }
        }
        host.invalidateOffloadComplete(root);
    }

    @Override
    public void queryOffloadComplete(BlockList root) {
        closedOperation(root, OffloadOperation.QUERY);
        for (BlockList b : root.nodes()) {
            Obj o = b.handle() == null ? null : objects.get(b.handle());
            if (o != null && o.queries > 0) {
                o.queries--;
            }
        }
        host.queryOffloadComplete(root);
    }

    @Override
    public void sendComplete(SendRequest chain) {
        for (SendRequest r = chain; r != null; r = r.next()) {
            closed(r, "send", r.status(), SEND_STATUSES);
        }
        host.sendComplete(chain);
    }

    @Override
    public void receiveComplete(ReceiveRequest chain) {
        for (ReceiveRequest r = chain; r != null; r = r.next()) {
            closed(r, "receive", r.status(), RECEIVE_STATUSES);
        }
        host.receiveComplete(chain);
    }

    @Override
    public void disconnectComplete(DisconnectRequest request) {
        closed(request, "disconnect", request.status(), DISCONNECT_STATUSES);
        host.disconnectComplete(request);
    }

    @Override
    public void forwardComplete(ForwardRequest chain) {
        for (ForwardRequest r = chain; r != null; r = r.next()) {
            closed(r, "forward", r.status(), FORWARD_STATUSES);
        }
        host.forwardComplete(chain);
    }

    @Override
    public ReceiveIndication.Result receiveIndicate(OffloadHandle connection, ReceiveIndication data) {
        return host.receiveIndicate(connection, data);
    }

    @Override
    public void tcpEvent(OffloadHandle connection, TcpEvent event) {
        host.tcpEvent(connection, event);
    }

    @Override
    public int neighborReachabilityQuery(OffloadHandle neighbor, BlockList state) {
        return host.neighborReachabilityQuery(neighbor, state);
    }

    @Override
    public void statusIndication(StatusIndication indication, OffloadCapabilities capabilities) {
        indications.add(indication);
        switch (indication) {
            case OFFLOAD_PAUSE -> admissionClosed = true;
            case UPLOAD_ALL -> {
                admissionClosed = true;
                uploadAllSinceResume = true;
            }
            case OFFLOAD_RESUME -> {
                // initiates the host made before it saw the UPLOAD_ALL may reach the target after its RESUME: only
                // what the target completed offloading, or is giving back, counts
                int given = 0;
                for (Obj o : objects.values()) {
                    given += o.phase == Phase.INITIATING ? 0 : 1;
                }
                if (uploadAllSinceResume && (terminatesOutstanding > 0 || given > 0)) {
                    targetViolations.add("R-RESUME-4: RESUME after UPLOAD_ALL with " + terminatesOutstanding
                            + " terminates outstanding and " + given + " objects still offloaded");
                }
                admissionClosed = false;
                uploadAllSinceResume = false;
            }
        }
        host.statusIndication(indication, capabilities);
    }
}
