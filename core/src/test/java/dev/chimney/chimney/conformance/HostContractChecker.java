package dev.chimney.chimney.conformance;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadHost;
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
 * other path). Everything passes through unchanged; {@link #violations()} lists what broke a rule.
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
    private long checkedRequests;

    public HostContractChecker(OffloadTarget inner) {
        this.inner = inner;
    }

    /** Every broken host rule seen so far, with its spec id. */
    public List<String> violations() {
        return List.copyOf(violations);
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
        initiateLevel(root, null);
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
            for (var e : objects.entrySet()) {
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
        inner.tcpDisconnect(connection, request);
    }

    @Override
    public void tcpForward(Object connection, ForwardRequest chain) {
        dataRequest(connection, "forward (R-HOST-8)");
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
        host.sendComplete(chain);
    }

    @Override
    public void receiveComplete(ReceiveRequest chain) {
        host.receiveComplete(chain);
    }

    @Override
    public void disconnectComplete(DisconnectRequest request) {
        host.disconnectComplete(request);
    }

    @Override
    public void forwardComplete(ForwardRequest chain) {
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
        host.statusIndication(indication, capabilities);
    }
}
