package dev.chimney.chimney;

import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpConst;
import dev.chimney.tcp.TcpDelegated;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One node of an offload state tree ({@code NDIS_MINIPORT_OFFLOAD_BLOCK_LIST}, spec §2.9-§2.11): a state object of
 * one {@link StateLayer}, linked to the next node of the same layer ({@link #next}) and to the first node of the
 * layer above ({@link #dependents}: neighbor → path → TCP).
 *
 * <p>The role of a node in an initiate tree (spec §2.11) follows from its {@link #handle}:
 * <ul>
 *   <li>no handle: a <b>placeholder</b>, a node only to hang dependents on; it always completes SUCCESS;</li>
 *   <li>a handle whose {@link OffloadHandle#miniportContext()} is set: a <b>linker</b> (initiate) or a reference to
 *       an offloaded object (terminate, update, invalidate, query);</li>
 *   <li>a handle with an empty slot: a <b>new offload</b>, carrying its full state.</li>
 * </ul>
 * Which state records accompany the node is given by {@link #parts()} (spec §2.8): the full state on new offloads,
 * cached on updates, the requested parts on queries (the target fills them in), delegated on terminates (the target
 * fills it in), nothing on invalidates.
 *
 * <p>For a TCP node, {@link TcpDelegated#receivedData()} is the {@code BufferedData} (spec §3.1.5: received,
 * acknowledged, not delivered) and {@link TcpDelegated#sendData()} is always empty: the outstanding send data travels
 * as {@link #sendChain} (spec §3.1.6), whose first byte is SND.UNA. {@link TcpDelegated#outOfOrder()} may carry data
 * the host already SACKed (an extension the spec lacks; a target returns none, R-TERM-9).
 *
 * <p>Ownership: the caller builds the tree and hands it over with the request; the target owns it until it calls
 * the completion with the same root (spec §3.0 item 1), after writing a {@link #status} into every node (R-TREE-2).
 */
public final class BlockList {
    /** {@link #parts()} bits. */
    public static final int CONST = 1;
    public static final int CACHED = 2;
    public static final int DELEGATED = 4;
    public static final int ALL = CONST | CACHED | DELEGATED;

    /**
     * {@link #tcpUpdateFlags()} bits: the TCP cached {@code Flags} that only mean something on an update (spec §2.6,
     * §3.3.4); keepalive and Nagle on/off travel in {@link TcpCached} itself.
     */
    public static final int TCP_FLAG_KEEP_ALIVE_RESTART = 1;
    /** TotalRT back to 0 (MaxRT changed, spec §6.1). */
    public static final int TCP_FLAG_MAX_RT_RESTART = 2;
    /** InitialRcvWnd changed: advertise the new window if it differs from RcvWnd (R-STATE-11). */
    public static final int TCP_FLAG_UPDATE_RCV_WND = 4;
    /** {@code SendBacklogSize} / {@code ReceiveBacklogSize} value of a target without the feature (spec §2.7). */
    public static final int BACKLOG_UNSUPPORTED = 0xFFFF_FFFF;

    private final StateLayer layer;
    private int parts;
    private BlockList next;
    /**
     * The last node this node's {@link #link} reached: lists only grow at their end, so the next append walks on
     * from there instead of from this node (a tree of N connections is built in O(N), not O(N²)).
     */
    private BlockList tail;
    private BlockList dependents;
    private OffloadStatus status;
    private final OffloadHandle handle;

    private NeighborOffloadState.Const neighborConst;
    private NeighborOffloadState.Cached neighborCached;
    private NeighborOffloadState.Delegated neighborDelegated;
    private PathOffloadState.Const pathConst;
    private PathOffloadState.Cached pathCached;
    private TcpConst tcpConst;
    private TcpCached tcpCached;
    private TcpDelegated tcpDelegated;
    private SendRequest sendChain;
    private int tcpUpdateFlags;
    private int sendBacklogSize = BACKLOG_UNSUPPORTED;
    private int receiveBacklogSize = BACKLOG_UNSUPPORTED;

    /** Scratch space for the target while it owns the node ({@code MiniportReserved}/{@code Scratch}). */
    public Object targetScratch;

    private BlockList(StateLayer layer, OffloadHandle handle, int parts) {
        this.layer = Objects.requireNonNull(layer, "layer");
        this.handle = handle;
        this.parts = parts;
    }

    // ---------------------------------------------------------------------------------------------------- builders

    /** A placeholder of {@code layer}: no state, only a place to hang dependents (spec §2.11). */
    public static BlockList placeholder(StateLayer layer) {
        return new BlockList(layer, null, 0);
    }

    /** A node referring to the offloaded object of {@code handle} (linker, or the subject of a later operation). */
    public static BlockList reference(StateLayer layer, OffloadHandle handle, int parts) {
        Objects.requireNonNull(handle, "handle (a reference names an offloaded object; use placeholder() for none)");
        return new BlockList(layer, handle, parts);
    }

    /** A new neighbor offload with its full state. */
    public static BlockList newNeighbor(OffloadHandle handle, NeighborOffloadState.Const k,
            NeighborOffloadState.Cached c, NeighborOffloadState.Delegated d) {
        BlockList b = new BlockList(StateLayer.NEIGHBOR, Objects.requireNonNull(handle, "handle"), ALL);
        b.neighborConst = Objects.requireNonNull(k, "const");
        b.neighborCached = Objects.requireNonNull(c, "cached");
        b.neighborDelegated = Objects.requireNonNull(d, "delegated");
        return b;
    }

    /** A new path offload with its full state (IPv4 or IPv6 from the addresses). */
    public static BlockList newPath(OffloadHandle handle, PathOffloadState.Const k, PathOffloadState.Cached c) {
        BlockList b = new BlockList(Objects.requireNonNull(k, "const").layer(), Objects.requireNonNull(handle,
                "handle"), ALL);
        b.pathConst = k;
        b.pathCached = Objects.requireNonNull(c, "cached");
        return b;
    }

    /** A new TCP offload: its full state and its outstanding send data (may be null: none). */
    public static BlockList newTcp(OffloadHandle handle, TcpConst k, TcpCached c, TcpDelegated d,
            SendRequest sendChain) {
        BlockList b = new BlockList(StateLayer.TCP, Objects.requireNonNull(handle, "handle"), ALL);
        b.tcpConst = Objects.requireNonNull(k, "const");
        b.tcpCached = Objects.requireNonNull(c, "cached");
        b.tcpDelegated = Objects.requireNonNull(d, "delegated");
        if (d.sendDataLength() != 0) {
            throw new IllegalArgumentException("a TCP block list carries its send data as sendChain, not in "
                    + "TcpDelegated.sendData (spec §3.1.6); pass the bytes as SendRequests");
        }
        b.sendChain = sendChain;
        return b;
    }

    /** Appends {@code sibling} at the end of this node's same-layer list; returns this. */
    public BlockList link(BlockList sibling) {
        if (sibling.layer.isPath() != layer.isPath() || (!layer.isPath() && sibling.layer != layer)) {
            throw new IllegalArgumentException("next blocks must be of the same layer: " + layer + " then "
                    + sibling.layer);
        }
        BlockList last = tail != null ? tail : this;
        while (last.next != null) {
            last = last.next;
        }
        last.next = sibling;
        tail = sibling;
        return this;
    }

    /** Appends {@code child} to this node's dependent list (one layer up); returns this. */
    public BlockList dependent(BlockList child) {
        if (!layer.canParent(child.layer)) {
            throw new IllegalArgumentException("a " + layer + " block list cannot have a " + child.layer
                    + " dependent (neighbor -> path -> TCP, spec §2.10)");
        }
        if (dependents == null) {
            dependents = child;
        } else {
            dependents.link(child);
        }
        return this;
    }

    // ---------------------------------------------------------------------------------------------------- accessors

    public StateLayer layer() {
        return layer;
    }

    public int parts() {
        return parts;
    }

    public boolean has(int part) {
        return (parts & part) != 0;
    }

    public BlockList next() {
        return next;
    }

    public BlockList dependents() {
        return dependents;
    }

    public OffloadHandle handle() {
        return handle;
    }

    public boolean isPlaceholder() {
        return handle == null;
    }

    /** A node whose handle slot is empty: new state to offload (initiate only). */
    public boolean isNewOffload() {
        return handle != null && handle.miniportContext() == null;
    }

    /** The target's context for the object this node names, or null. */
    public Object context() {
        return handle == null ? null : handle.miniportContext();
    }

    public OffloadStatus status() {
        return status;
    }

    /** Written by the target for every node before it completes (R-TREE-2). */
    public void status(OffloadStatus s) {
        this.status = Objects.requireNonNull(s, "status");
    }

    public NeighborOffloadState.Const neighborConst() {
        return neighborConst;
    }

    public NeighborOffloadState.Cached neighborCached() {
        return neighborCached;
    }

    public NeighborOffloadState.Delegated neighborDelegated() {
        return neighborDelegated;
    }

    public PathOffloadState.Const pathConst() {
        return pathConst;
    }

    public PathOffloadState.Cached pathCached() {
        return pathCached;
    }

    public TcpConst tcpConst() {
        return tcpConst;
    }

    public TcpCached tcpCached() {
        return tcpCached;
    }

    public TcpDelegated tcpDelegated() {
        return tcpDelegated;
    }

    /** Outstanding send data ({@code NetBufferListChain}): host → target at initiate, target → host at terminate. */
    public SendRequest sendChain() {
        return sendChain;
    }

    // ------------------------------------------------- setters for updates (host) and query / terminate (target)

    public BlockList neighborConst(NeighborOffloadState.Const v) {
        neighborConst = v;
        parts |= CONST;
        return this;
    }

    public BlockList neighborCached(NeighborOffloadState.Cached v) {
        neighborCached = v;
        parts |= CACHED;
        return this;
    }

    public BlockList neighborDelegated(NeighborOffloadState.Delegated v) {
        neighborDelegated = v;
        parts |= DELEGATED;
        return this;
    }

    public BlockList pathConst(PathOffloadState.Const v) {
        pathConst = v;
        parts |= CONST;
        return this;
    }

    public BlockList pathCached(PathOffloadState.Cached v) {
        pathCached = v;
        parts |= CACHED;
        return this;
    }

    public BlockList tcpConst(TcpConst v) {
        tcpConst = v;
        parts |= CONST;
        return this;
    }

    public BlockList tcpCached(TcpCached v) {
        tcpCached = v;
        parts |= CACHED;
        return this;
    }

    public BlockList tcpDelegated(TcpDelegated v) {
        tcpDelegated = v;
        parts |= DELEGATED;
        return this;
    }

    /** The target returns send data at terminate (R-TERM-10), or null when it returns none (R-TERM-11). */
    public void sendChain(SendRequest chain) {
        this.sendChain = chain;
    }

    /** Update flags of a TCP node ({@link #TCP_FLAG_KEEP_ALIVE_RESTART} ...), 0 unless set (spec §3.3.4). */
    public int tcpUpdateFlags() {
        return tcpUpdateFlags;
    }

    /** Sets the update flags that go with the cached record of a TCP update node; returns this. */
    public BlockList tcpUpdateFlags(int flags) {
        this.tcpUpdateFlags = flags;
        return this;
    }

    /**
     * {@code SendBacklogSize} from a TCP delegated query (spec §2.7, R-STATE-9): the bytes the host should keep
     * outstanding, unsigned; {@link #BACKLOG_UNSUPPORTED} when the target has no such feature (and before a query).
     */
    public int sendBacklogSize() {
        return sendBacklogSize;
    }

    /**
     * {@code ReceiveBacklogSize} from a TCP delegated query (spec §2.7, R-STATE-10): received bytes the target holds
     * for the connection, unsigned; {@link #BACKLOG_UNSUPPORTED} when unsupported (and before a query).
     */
    public int receiveBacklogSize() {
        return receiveBacklogSize;
    }

    /** Written by the target with the delegated part of a TCP query. */
    public void backlogSizes(int sendBacklog, int receiveBacklog) {
        this.sendBacklogSize = sendBacklog;
        this.receiveBacklogSize = receiveBacklog;
    }

    // ---------------------------------------------------------------------------------------------------- traversal

    /**
     * Visits every node of the tree rooted here in the initiate order, depth-first then breadth (spec §2.14): a
     * node, then its whole dependent subtree, then its next sibling.
     */
    public void forEachDepthFirst(Consumer<BlockList> visitor) {
        for (BlockList b = this; b != null; b = b.next) {
            visitor.accept(b);
            if (b.dependents != null) {
                b.dependents.forEachDepthFirst(visitor);
            }
        }
    }

    /** Every node in {@link #forEachDepthFirst} order (tests and diagnostics). */
    public List<BlockList> nodes() {
        List<BlockList> out = new ArrayList<>();
        forEachDepthFirst(out::add);
        return out;
    }

    @Override
    public String toString() {
        String role = isPlaceholder() ? "placeholder" : isNewOffload() ? "new" : "ref";
        return "BlockList[" + layer + " " + role + (status == null ? "" : " " + status) + (handle == null ? ""
                : " " + handle.owner()) + "]";
    }
}
