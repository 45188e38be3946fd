package dev.chimney.chimney.team;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.NeighborOffloadState;
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
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.jfr.OffloadFailoverEvent;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An intermediate offload target (spec §2.15) that bonds two member targets on two links in active-backup mode and
 * fails over between them with the status indications of spec §5.1: PAUSE → UPLOAD_ALL → switch → RESUME. The host
 * sees one target and one NIC: {@link #hostPort()} sends through the active member's port and receives from it, and
 * both members use the team's one MAC.
 *
 * <h2>An intermediate driver (spec §2.15)</h2>
 * Every object offloaded through the team has an {@link Entry}: the upper handle (the host's) and the team's own
 * handle, which is what the member sees (R-IM-1). A state operation is passed down as a copy of the tree with the
 * team's handles and the same state records and send requests; its completion copies the statuses and returned
 * state back into the host's tree before the host's completion runs (R-IM-2: the host gets back exactly the
 * block lists it passed). Data requests go down with the member's context and the same request objects, and their
 * completions come up unchanged (R-IM-3); indications come up with the upper handle substituted (R-IM-1). The team
 * allocates nothing per send, so it never completes a send itself (R-IM-4 does not arise); built with {@link
 * Builder#chimney chimney(false)} it reports no chimney capability and still passes every set down (R-IM-5).
 *
 * <h2>Failover</h2>
 * On {@link #failover()} (a command) or when the active link goes down ({@link #linkStatus}) while the other is up:
 * <ol>
 *   <li>New initiates from the host are queued by the team from now on (R-PAUSE-2/3). Initiates already passed to
 *       the active member are allowed to complete first, so no status indication reaches the host while an offload
 *       through the team is in progress (R-PAUSE-7, spec §9 item 30).</li>
 *   <li>PAUSE and UPLOAD_ALL go up; the host terminates every connection, path and neighbor, which the team passes
 *       to the member holding them. Segments that member passes up meanwhile still reach the host.
 *       The old member is told UPLOAD_ALL as well, so it processes the initiates it queued itself (a member paused
 *       on its own) and refuses new I/O; the team's queued initiates go down to it now, and any that still arrive
 *       (spec §9 item 31: processed normally once the step allows — they may link to paths and neighbors offloaded
 *       there, which the host cannot terminate before them); the host terminates what they offloaded.</li>
 *   <li>When nothing is left offloaded through the team: the other member becomes active, and the team announces
 *       the move on the new link — a gratuitous ARP request for every IPv4 address the host uses (RFC 5227 §3) and
 *       an unsolicited Neighbor Advertisement with the override flag for every IPv6 address (RFC 4861 §7.2.6) — so
 *       a switch learns the team's MAC on the new port at once. The old member is told RESUME (ready for a
 *       failback), and RESUME goes up carrying the new member's capabilities (R-RESUME-4). The host
 *       re-offloads.</li>
 * </ol>
 * Status indications a member raises itself (its own triggers) go up as they are when that member is active and no
 * failover runs; the standby's are dropped (nothing is offloaded there).
 *
 * <h2>Addresses to announce</h2>
 * The host's addresses are learned from what it sends through {@link #hostPort()} (the source addresses of its ARP,
 * IPv4 and IPv6 frames with the team's MAC) and can be given with {@link Builder#announce}.
 *
 * <p>Threading: everything runs on the host's loop, the {@code upperLoop} of {@link #attach}; the members are
 * attached with it too, so their completions arrive there. {@link #failover()} and {@link #linkStatus} may be called
 * from any thread: they post to that loop.
 */
public final class TeamTarget implements OffloadTarget {

    /**
     * One bonded member: its target, the port the host would use with it, where its link status goes, and how the
     * team tells it that a failover takes everything back (UPLOAD_ALL: process what you queued, refuse new I/O) and
     * that it is done (RESUME) — the member's own indications about them come back to the team and stop there.
     */
    public record Member(OffloadTarget target, NetworkPort hostPort, Consumer<Boolean> linkStatus,
            Consumer<StatusIndication> indicate) {
        public Member {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(hostPort, "hostPort");
            Objects.requireNonNull(linkStatus, "linkStatus (use b -> { } if the member needs no report)");
            Objects.requireNonNull(indicate, "indicate (use i -> { } for a member that queues nothing)");
        }

        /** A member that needs no link report and queues no initiate. */
        public Member(OffloadTarget target, NetworkPort hostPort) {
            this(target, hostPort, up -> { }, i -> { });
        }

        /** A soft target as a member: its host port; link reports and failover steps go to its own triggers. */
        public static Member of(SoftOffloadTarget t) {
            return new Member(t, t.hostPort(), t::linkStatus, t::indicate);
        }
    }

    /** Where a failover is. */
    public enum Phase {
        /** No failover running. */
        NONE,
        /** Waiting for initiates passed to the active member to complete before PAUSE (R-PAUSE-7). */
        WAITING_FOR_INITIATES,
        /** PAUSE and UPLOAD_ALL are up; the host is terminating everything. */
        UPLOADING
    }

    /** The team's record of one offloaded object (spec §2.15 "IM offload entry"). */
    static final class Entry {
        final OffloadHandle upper;
        /** The team's handle, passed down; its owner is this entry. */
        final OffloadHandle lower;
        final StateLayer layer;
        final int member;

        Entry(OffloadHandle upper, StateLayer layer, int member) {
            this.upper = upper;
            this.lower = new OffloadHandle(this);
            this.layer = layer;
            this.member = member;
        }

        Object lowerContext() {
            return lower.miniportContext();
        }

        @Override
        public String toString() {
            return "team-entry[" + layer + " member " + member + "]";
        }
    }

    /** One state operation passed down (spec §2.15 "IM call entry"): the host's tree and the copy, node by node. */
    private record Call(OffloadOperation operation, BlockList upperRoot, List<BlockList> upper, List<BlockList> lower,
            int member, List<Object[]> hidden) {
    }

    private final String name;
    private final MacAddress mac;
    private final EventLoop loop;
    private final Member[] members;
    private final Lower[] lowers;
    private final boolean chimney;
    private final TeamPort port;
    private OffloadHost host;
    private int active;
    private final boolean[] linkUp;

    private final IdentityHashMap<BlockList, Call> calls = new IdentityHashMap<>();
    /** Live entries by the host's handle: a second initiate of one is passed down as the member's own misuse. */
    private final IdentityHashMap<OffloadHandle, Entry> byUpper = new IdentityHashMap<>();
    /** Entries whose member context is hidden while a misused initiate is down (restored at its completion). */
    private List<Object[]> hiding;
    private int liveEntries;
    /** The JFR event of the failover running, when a recording wants it. */
    private OffloadFailoverEvent failoverEvent;
    private int initiatesDown;
    private final ArrayDeque<BlockList> queued = new ArrayDeque<>();
    private Phase phase = Phase.NONE;
    private final IdentityHashMap<ReceiveIndication, Integer> indicatedBy = new IdentityHashMap<>();

    /** Counters (read on the host loop). */
    private long failovers;
    private long announcements;
    private long memberIndicationsDropped;

    private TeamTarget(Builder b) {
        this.name = b.name;
        this.mac = b.mac;
        this.loop = b.loop;
        this.members = b.members.toArray(new Member[0]);
        this.chimney = b.chimney;
        this.linkUp = new boolean[members.length];
        java.util.Arrays.fill(linkUp, true);
        this.lowers = new Lower[members.length];
        for (int i = 0; i < members.length; i++) {
            lowers[i] = new Lower(i);
        }
        this.port = new TeamPort(this, b.loop, b.name, mac, members, b.announce, b.oldPortGraceNs);
    }

    /** Starts a team on the host's loop {@code hostLoop} with the team's MAC (every member must use it too). */
    public static Builder builder(EventLoop hostLoop, MacAddress mac) {
        return new Builder(hostLoop, mac);
    }

    /** The port the host's IP stack uses: the active member's, switched at a failover. */
    public NetworkPort hostPort() {
        return port;
    }

    /** Index of the active member. */
    public int active() {
        return active;
    }

    public Phase phase() {
        return phase;
    }

    /** Completed failovers. */
    public long failovers() {
        return failovers;
    }

    /** Gratuitous ARPs and unsolicited NAs sent. */
    public long announcements() {
        return announcements;
    }

    /** Status indications from a member that did not go up (the standby's, or during a failover). */
    public long memberIndicationsDropped() {
        return memberIndicationsDropped;
    }

    /** Objects offloaded through the team now (or on their way, or being terminated). */
    public int liveEntries() {
        return liveEntries;
    }

    /**
     * The member's context behind a context this team wrote into a host handle (for target-side hooks such as a
     * member's requestUpload), or null.
     */
    public Object memberContext(Object teamContext) {
        return teamContext instanceof Entry e ? e.lowerContext() : null;
    }

    /** The member target at {@code index}. */
    public OffloadTarget member(int index) {
        return members[index].target();
    }

    /** The host's addresses the team announces after a failover. */
    public List<IpAddress> addresses() {
        return port.addresses();
    }

    /**
     * Fails over to the other member (PAUSE → UPLOAD_ALL → switch → RESUME), if its link is up; otherwise nothing
     * happens. Callable from any thread.
     */
    public void failover() {
        loop.execute(() -> {
            int other = other();
            if (phase == Phase.NONE && linkUp[other]) {
                startFailover("asked for");
            }
        });
    }

    /**
     * The carrier of member {@code index}'s link changed (its PHY, or a test). The member is told too. When the active
     * link is down and the other is up, the team fails over. Callable from any thread.
     */
    public void linkStatus(int index, boolean up) {
        Objects.checkIndex(index, members.length);
        loop.execute(() -> {
            linkUp[index] = up;
            if (phase == Phase.NONE && !linkUp[active] && linkUp[other()]) {
                startFailover("link of " + members[active].target().name() + " down"); // before its own PAUSE
            }
            members[index].linkStatus().accept(up);
        });
    }

    private int other() {
        return (active + 1) % members.length;
    }

    // ================================================================================================ failover

    private void startFailover(String reason) {
        phase = Phase.WAITING_FOR_INITIATES;
        OffloadFailoverEvent event = new OffloadFailoverEvent();
        if (event.isEnabled()) {
            event.begin();
            event.team = name;
            event.from = members[active].target().name();
            event.reason = reason;
            for (Entry e : byUpper.values()) {
                if (e.layer == StateLayer.TCP) {
                    event.connections++;
                }
            }
            failoverEvent = event;
        }
        advance();
    }

    /**
     * Moves the failover on as far as its conditions allow; called after every completion. The initiates queued
     * while waiting go down to the old member together with the UPLOAD_ALL (spec §9 item 31: processed normally
     * once the step allows; the host, uploading all, then terminates what they offloaded): they may link to paths
     * and neighbors offloaded there, which the host cannot terminate before them.
     */
    private void advance() {
        if (phase == Phase.WAITING_FOR_INITIATES && initiatesDown == 0) {
            phase = Phase.UPLOADING;
            host.statusIndication(StatusIndication.OFFLOAD_PAUSE, null);
            host.statusIndication(StatusIndication.UPLOAD_ALL, null);
            members[active].indicate().accept(StatusIndication.UPLOAD_ALL); // its own queue, its new I/O
            List<BlockList> q = new ArrayList<>(queued);
            queued.clear();
            for (BlockList root : q) {
                passInitiate(root);
            }
        }
        if (phase == Phase.UPLOADING && liveEntries == 0 && calls.isEmpty()) {
            int old = active;
            active = other();
            port.switchTo(active, loop.nowNs());
            announcements += port.announce();
            members[old].indicate().accept(StatusIndication.OFFLOAD_RESUME); // ready for a failback
            phase = Phase.NONE;
            failovers++;
            OffloadFailoverEvent event = failoverEvent;
            failoverEvent = null;
            if (event != null) {
                event.end();
                if (event.shouldCommit()) {
                    event.to = members[active].target().name();
                    event.commit();
                }
            }
            host.statusIndication(StatusIndication.OFFLOAD_RESUME, capabilities()); // R-RESUME-4: all back
        }
    }

    // =========================================================================================== OffloadTarget

    @Override
    public void attach(OffloadHost h, EventLoop upperLoop) {
        Objects.requireNonNull(h, "host");
        if (upperLoop != loop) {
            throw new IllegalArgumentException("team " + name + " runs on the host loop it was built with; attach it "
                    + "with that loop");
        }
        if (this.host != null) {
            throw new IllegalStateException("team " + name + " is already attached; attach once");
        }
        this.host = h;
        for (int i = 0; i < members.length; i++) {
            members[i].target().attach(lowers[i], loop);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public OffloadCapabilities capabilities() {
        // R-IM-5: a team that allows no chimney offload reports none (NOT_SUPPORTED)
        return chimney ? members[active].target().capabilities() : OffloadCapabilities.NONE;
    }

    @Override
    public void configure(OffloadCapabilities enabledCaps, OffloadParameters params) {
        Objects.requireNonNull(enabledCaps, "enabled");
        Objects.requireNonNull(params, "parameters");
        for (Member m : members) {
            m.target().configure(enabledCaps, params); // R-IM-5: the set always goes down
        }
    }

    @Override
    public void initiateOffload(BlockList root) {
        Objects.requireNonNull(root, "root");
        if (phase == Phase.WAITING_FOR_INITIATES) {
            queued.add(root); // spec §5.1.1: accepted and queued during the failover (R-PAUSE-2/3)
        } else {
            passInitiate(root); // during UPLOADING the old member takes it, and the host terminates it (WA 31)
        }
    }

    private void passInitiate(BlockList root) {
        List<BlockList> up = new ArrayList<>();
        List<BlockList> down = new ArrayList<>();
        hiding = new ArrayList<>();
        BlockList lowerRoot = copyList(root, OffloadOperation.INITIATE, active, up, down);
        calls.put(lowerRoot, new Call(OffloadOperation.INITIATE, root, up, down, active, hiding));
        hiding = null;
        initiatesDown++;
        members[active].target().initiateOffload(lowerRoot);
    }

    @Override
    public void terminateOffload(BlockList root) {
        pass(root, OffloadOperation.TERMINATE);
    }

    @Override
    public void updateOffload(BlockList root) {
        pass(root, OffloadOperation.UPDATE);
    }

    @Override
    public void invalidateOffload(BlockList root) {
        pass(root, OffloadOperation.INVALIDATE);
    }

    @Override
    public void queryOffload(BlockList root) {
        pass(root, OffloadOperation.QUERY);
    }

    /** Passes a reference operation to the member holding its objects (all of one tree are on one member). */
    private void pass(BlockList root, OffloadOperation op) {
        Objects.requireNonNull(root, "root");
        int member = memberOf(root);
        List<BlockList> up = new ArrayList<>();
        List<BlockList> down = new ArrayList<>();
        BlockList lowerRoot = copyList(root, op, member, up, down);
        calls.put(lowerRoot, new Call(op, root, up, down, member, List.of()));
        OffloadTarget t = members[member].target();
        switch (op) {
            case TERMINATE -> t.terminateOffload(lowerRoot);
            case UPDATE -> t.updateOffload(lowerRoot);
            case INVALIDATE -> t.invalidateOffload(lowerRoot);
            case QUERY -> t.queryOffload(lowerRoot);
            default -> throw new IllegalArgumentException(op.toString());
        }
    }

    private int memberOf(BlockList root) {
        for (BlockList b : root.nodes()) {
            if (b.handle() != null && b.handle().miniportContext() instanceof Entry e) {
                return e.member;
            }
        }
        return active; // nothing of ours named: the member fails what it does not know
    }

    @Override
    public void tcpSend(Object connection, SendRequest chain) {
        Entry e = entry(connection);
        if (e == null) {
            refuse(connection, chain);
            return;
        }
        members[e.member].target().tcpSend(e.lowerContext(), chain); // R-IM-3: the same requests go down
    }

    @Override
    public void tcpReceive(Object connection, ReceiveRequest chain) {
        Entry e = entry(connection);
        if (e == null) {
            for (ReceiveRequest r = chain; r != null; r = r.next()) {
                r.complete(misuse(connection));
            }
            loop.execute(() -> host.receiveComplete(chain));
            return;
        }
        members[e.member].target().tcpReceive(e.lowerContext(), chain);
    }

    @Override
    public void tcpDisconnect(Object connection, DisconnectRequest request) {
        Entry e = entry(connection);
        if (e == null) {
            request.complete(misuse(connection), 0);
            loop.execute(() -> host.disconnectComplete(request));
            return;
        }
        members[e.member].target().tcpDisconnect(e.lowerContext(), request);
    }

    @Override
    public void tcpForward(Object connection, ForwardRequest chain) {
        Entry e = entry(connection);
        if (e == null) {
            for (ForwardRequest r = chain; r != null; r = r.next()) {
                r.complete(misuse(connection));
            }
            loop.execute(() -> host.forwardComplete(chain));
            return;
        }
        members[e.member].target().tcpForward(e.lowerContext(), chain);
    }

    @Override
    public void tcpReceiveReturn(ReceiveIndication chain) {
        // each buffer goes back to the member that indicated it (a chain mixes members only around a failover)
        ReceiveIndication[] heads = new ReceiveIndication[members.length];
        ReceiveIndication[] tails = new ReceiveIndication[members.length];
        for (ReceiveIndication r = chain; r != null; ) {
            ReceiveIndication next = r.next();
            Integer m = indicatedBy.remove(r);
            int i = m == null ? active : m;
            r.next(null);
            if (heads[i] == null) {
                heads[i] = r;
            } else {
                tails[i].next(r);
            }
            tails[i] = r;
            r = next;
        }
        for (int i = 0; i < members.length; i++) {
            if (heads[i] != null) {
                members[i].target().tcpReceiveReturn(heads[i]);
            }
        }
    }

    @Override
    public void queryStatistics(Consumer<OffloadStatistics> result) {
        members[active].target().queryStatistics(result); // the counters of the NIC carrying the chimney now
    }

    @Override
    public void resetStatistics(OffloadStatistics.Family family) {
        for (Member m : members) {
            m.target().resetStatistics(family);
        }
    }

    private static Entry entry(Object connection) {
        return connection instanceof Entry e && e.lowerContext() != null ? e : null;
    }

    /** The status for a data request whose context is no live object of the team (as a member would answer). */
    private static OffloadStatus misuse(Object connection) {
        // terminated: the host posts nothing after a terminate (R-HOST-7); anything else is not ours
        return connection instanceof Entry ? OffloadStatus.INVALID_STATE : OffloadStatus.FAILURE;
    }

    private void refuse(Object connection, SendRequest chain) {
        for (SendRequest r = chain; r != null; r = r.next()) {
            r.complete(misuse(connection), 0);
        }
        loop.execute(() -> host.sendComplete(chain));
    }

    // ============================================================================================ tree copies

    /**
     * Copies a same-layer list and everything under it with the team's handles (spec §2.15 "rebuilds a PBL"): a new
     * offload gets a fresh {@link Entry}, a reference the entry's lower handle, a placeholder a placeholder. The
     * state records and send chains are shared, not copied: they are immutable or owned by the request's owner.
     */
    private BlockList copyList(BlockList first, OffloadOperation op, int member, List<BlockList> up,
            List<BlockList> down) {
        BlockList head = null;
        for (BlockList b = first; b != null; b = b.next()) {
            BlockList c = copyNode(b, op, member);
            up.add(b);
            down.add(c);
            if (b.dependents() != null) {
                c.dependent(copyList(b.dependents(), op, member, up, down));
            }
            head = head == null ? c : head.link(c);
        }
        return head;
    }

    private BlockList copyNode(BlockList b, OffloadOperation op, int member) {
        if (b.isPlaceholder()) {
            return BlockList.placeholder(b.layer());
        }
        if (b.isNewOffload()) {
            if (op != OffloadOperation.INITIATE) {
                // not one of ours: a reference nobody offloaded; the member fails it
                return BlockList.reference(b.layer(), new OffloadHandle(null), b.parts());
            }
            Entry live = byUpper.get(b.handle());
            if (live != null && live.lowerContext() != null) {
                // the host initiates an object it has offloaded (its slot cleared): the member sees the same
                // misuse, its own handle with an empty slot, and fails it; the slot is restored at the completion
                hiding.add(new Object[] {live, live.lowerContext()});
                live.lower.miniportContext(null);
                return copyNew(b, live.lower);
            }
            Entry e = new Entry(b.handle(), b.layer(), member);
            byUpper.put(b.handle(), e);
            liveEntries++;
            return copyNew(b, e.lower);
        }
        OffloadHandle lower = b.context() instanceof Entry e ? e.lower : new OffloadHandle(null);
        BlockList c = BlockList.reference(b.layer(), lower, b.parts());
        if (op == OffloadOperation.UPDATE) {
            if (b.neighborCached() != null) {
                c.neighborCached(b.neighborCached());
            }
            if (b.pathCached() != null) {
                c.pathCached(b.pathCached());
            }
            if (b.tcpCached() != null) {
                c.tcpCached(b.tcpCached()).tcpUpdateFlags(b.tcpUpdateFlags());
            }
        }
        return c;
    }

    private static BlockList copyNew(BlockList b, OffloadHandle lower) {
        return switch (b.layer()) {
            case NEIGHBOR -> BlockList.newNeighbor(lower, b.neighborConst(), b.neighborCached(),
                    b.neighborDelegated());
            case IPV4_PATH, IPV6_PATH -> BlockList.newPath(lower, b.pathConst(), b.pathCached());
            case TCP -> BlockList.newTcp(lower, b.tcpConst(), b.tcpCached(), b.tcpDelegated(), b.sendChain());
        };
    }

    /** A member completed {@code lowerRoot}: statuses and returned state go back into the host's tree (R-IM-2). */
    private void complete(BlockList lowerRoot, OffloadOperation op) {
        Call call = calls.remove(lowerRoot);
        if (call == null || call.operation() != op) {
            return; // not a call of ours: a member's mistake, dropped
        }
        for (Object[] h : call.hidden()) {
            ((Entry) h[0]).lower.miniportContext(h[1]);
        }
        for (int i = 0; i < call.upper().size(); i++) {
            BlockList u = call.upper().get(i);
            BlockList d = call.lower().get(i);
            u.status(d.status());
            switch (op) {
                case INITIATE -> {
                    if (u.isNewOffload() && d.handle() != null && d.handle().owner() instanceof Entry e
                            && e.upper == u.handle() && byUpper.get(u.handle()) == e && !isHidden(call, e)) {
                        if (d.status() != null && d.status().isOffloaded() && d.handle().miniportContext() != null) {
                            u.handle().miniportContext(e); // R-TREE-6 for the layer above: only on success
                        } else {
                            liveEntries--;
                            byUpper.remove(u.handle());
                        }
                    }
                }
                case TERMINATE -> {
                    if (d.tcpDelegated() != null) {
                        u.tcpDelegated(d.tcpDelegated());
                    }
                    u.sendChain(d.sendChain());
                    if (d.neighborDelegated() != null) {
                        u.neighborDelegated(d.neighborDelegated());
                    }
                    // a terminate completed with FAILURE leaves the object on the member: it runs the hardware-failure
                    // sequence and the host terminates again (R-HWF-1, §9 WA 27), so the entry stays for that call
                    if (!u.isPlaceholder() && u.context() instanceof Entry e && e.lowerContext() != null
                            && d.status() != OffloadStatus.FAILURE) {
                        e.lower.miniportContext(null); // the member no longer has it
                        liveEntries--;
                        byUpper.remove(e.upper, e);
                    }
                }
                case QUERY -> copyState(d, u);
                default -> {
                }
            }
        }
        if (op == OffloadOperation.INITIATE) {
            initiatesDown--;
        }
        BlockList root = call.upperRoot();
        switch (op) {
            case INITIATE -> host.initiateOffloadComplete(root);
            case TERMINATE -> host.terminateOffloadComplete(root);
            case UPDATE -> host.updateOffloadComplete(root);
            case INVALIDATE -> host.invalidateOffloadComplete(root);
            case QUERY -> host.queryOffloadComplete(root);
        }
        advance();
    }

    private static boolean isHidden(Call call, Entry e) {
        for (Object[] h : call.hidden()) {
            if (h[0] == e) {
                return true;
            }
        }
        return false;
    }

    private static void copyState(BlockList from, BlockList to) {
        if (from.neighborConst() != null) {
            to.neighborConst(from.neighborConst());
        }
        if (from.neighborCached() != null) {
            to.neighborCached(from.neighborCached());
        }
        if (from.neighborDelegated() != null) {
            to.neighborDelegated(from.neighborDelegated());
        }
        if (from.pathConst() != null) {
            to.pathConst(from.pathConst());
        }
        if (from.pathCached() != null) {
            to.pathCached(from.pathCached());
        }
        if (from.tcpConst() != null) {
            to.tcpConst(from.tcpConst());
        }
        if (from.tcpCached() != null) {
            to.tcpCached(from.tcpCached());
        }
        if (from.tcpDelegated() != null) {
            to.tcpDelegated(from.tcpDelegated());
        }
        to.backlogSizes(from.sendBacklogSize(), from.receiveBacklogSize());
    }

    /** The upper handle for a handle the team passed down (R-IM-1), or null. */
    private static OffloadHandle upper(OffloadHandle lower) {
        return lower != null && lower.owner() instanceof Entry e ? e.upper : null;
    }

    // ================================================================================ the members' host side

    /** What one member sees as its host: completions and indications, translated and passed up. */
    private final class Lower implements OffloadHost {
        private final int index;

        Lower(int index) {
            this.index = index;
        }

        @Override
        public void initiateOffloadComplete(BlockList root) {
            complete(root, OffloadOperation.INITIATE);
        }

        @Override
        public void terminateOffloadComplete(BlockList root) {
            complete(root, OffloadOperation.TERMINATE);
        }

        @Override
        public void updateOffloadComplete(BlockList root) {
            complete(root, OffloadOperation.UPDATE);
        }

        @Override
        public void invalidateOffloadComplete(BlockList root) {
            complete(root, OffloadOperation.INVALIDATE);
        }

        @Override
        public void queryOffloadComplete(BlockList root) {
            complete(root, OffloadOperation.QUERY);
        }

        @Override
        public void sendComplete(SendRequest chain) {
            host.sendComplete(chain); // R-IM-3: unchanged
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
            OffloadHandle u = upper(connection);
            if (u == null) {
                return ReceiveIndication.Result.NONE;
            }
            ReceiveIndication.Result r = host.receiveIndicate(u, data);
            if (r != null && r.status() == OffloadStatus.SUCCESS) {
                for (ReceiveIndication i = data; i != null; i = i.next()) {
                    indicatedBy.put(i, index); // the host returns it to us; we return it to this member
                }
            }
            return r;
        }

        @Override
        public void tcpEvent(OffloadHandle connection, TcpEvent event) {
            OffloadHandle u = upper(connection);
            if (u != null) {
                host.tcpEvent(u, event);
            }
        }

        @Override
        public int neighborReachabilityQuery(OffloadHandle neighbor, BlockList state) {
            OffloadHandle u = upper(neighbor);
            if (u == null) {
                return 0;
            }
            BlockList up = BlockList.newNeighbor(u, state.neighborConst(), state.neighborCached(),
                    state.neighborDelegated());
            up.status(state.status());
            return host.neighborReachabilityQuery(u, up);
        }

        @Override
        public void statusIndication(StatusIndication indication, OffloadCapabilities capabilities) {
            if (index != active || phase != Phase.NONE) {
                memberIndicationsDropped++;
                return;
            }
            host.statusIndication(indication, capabilities);
        }
    }

    // ============================================================================================ builder

    /** Configuration of a {@link TeamTarget}. */
    public static final class Builder {
        private final EventLoop loop;
        private final MacAddress mac;
        private String name = "team";
        private final List<Member> members = new ArrayList<>();
        private final List<IpAddress> announce = new ArrayList<>();
        private boolean chimney = true;
        private long oldPortGraceNs = 1_000_000_000L;

        private Builder(EventLoop loop, MacAddress mac) {
            this.loop = Objects.requireNonNull(loop, "hostLoop");
            this.mac = Objects.requireNonNull(mac, "mac (the team's one MAC)");
        }

        public Builder name(String v) {
            this.name = Objects.requireNonNull(v, "name");
            return this;
        }

        /** Adds a member; the first is active. A team has exactly two. */
        public Builder member(Member m) {
            members.add(Objects.requireNonNull(m, "member"));
            return this;
        }

        public Builder member(SoftOffloadTarget t) {
            return member(Member.of(t));
        }

        /** Addresses to announce after a failover besides those learned from the host's frames. */
        public Builder announce(IpAddress... addresses) {
            announce.addAll(List.of(addresses));
            return this;
        }

        /** Whether the team allows chimney offload (R-IM-5: without it, capabilities are NONE). */
        public Builder chimney(boolean v) {
            this.chimney = v;
            return this;
        }

        /**
         * How long after a switch frames the old member passes up still reach the host (segments of connections
         * it terminated, spec §3.2.7); later ones are dropped like any frame on the standby link.
         */
        public Builder oldPortGraceNs(long v) {
            if (v < 0) {
                throw new IllegalArgumentException("oldPortGraceNs must be >= 0, got " + v);
            }
            this.oldPortGraceNs = v;
            return this;
        }

        public TeamTarget build() {
            if (members.size() != 2) {
                throw new IllegalStateException("a team bonds exactly two members, got " + members.size()
                        + "; add them with member(...)");
            }
            return new TeamTarget(this);
        }
    }

    @Override
    public String toString() {
        return "TeamTarget[" + name + " active=" + active + " " + phase + " entries=" + liveEntries + " calls="
                + calls.size() + " queued=" + queued.size() + " failovers=" + failovers + "]";
    }
}
