package dev.chimney.cli.control;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.IpOffloadStats;
import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.TcpOffloadStats;
import dev.chimney.chimney.host.ConnectionRecord;
import dev.chimney.chimney.host.NeighborRecord;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.host.OffloadState;
import dev.chimney.chimney.host.PathRecord;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.host.NetworkStack;
import dev.chimney.ip.IpCounter;
import dev.chimney.ip.NeighborEntry;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Timer;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpIpCounter;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The loop-side half of the control API: everything it reads of the stack and every action it takes runs here, on
 * the stack's loop (the HTTP threads only ever hand it work through {@code callOnLoop}). It names connections with
 * small stable ids, keeps their byte totals beyond the 4 GiB of sequence space, samples throughput every {@link
 * #SAMPLE_INTERVAL_NS}, and keeps a timeline of the offload manager's operations and the target's indications.
 */
final class StackInspector implements OffloadManager.Listener {
    static final long SAMPLE_INTERVAL_NS = 500_000_000L;
    /** Throughput samples kept: two minutes. */
    static final int THROUGHPUT_POINTS = 240;
    /** Timeline entries kept. */
    static final int TIMELINE_CAPACITY = 512;

    /** Windows {@code netstat -t}'s Offload State column for an {@link OffloadState}. */
    static String offloadColumn(OffloadState s) {
        return switch (s) {
            case NOT_OFFLOADED -> "InHost";
            case INITIATING -> "Offloading";
            case TERMINATING -> "Uploading";
            default -> "Offloaded"; // OFFLOADED, and updates, queries and invalidates running beside it
        };
    }

    private static final class Tracked {
        final int id;
        final TcpConnection connection;
        long lastAcked;
        long lastReceived;
        long totalAcked;
        long totalReceived;
        boolean seen;

        Tracked(int id, TcpConnection c) {
            this.id = id;
            this.connection = c;
            this.lastAcked = c.bytesAcknowledged();
            this.lastReceived = c.bytesReceived();
            this.totalAcked = lastAcked;
            this.totalReceived = lastReceived;
        }
    }

    private record TimelineEntry(long seq, long timeMs, String kind, String text) {
    }

    private final NetworkStack stack;
    private final OffloadManager manager;
    private final EventLoop loop;
    private final long startNs;
    private final long tickNs;
    private final IdentityHashMap<TcpConnection, Tracked> tracked = new IdentityHashMap<>();
    private int nextId = 1;

    private final TimelineEntry[] timeline = new TimelineEntry[TIMELINE_CAPACITY];
    private long timelineNext = 1;

    /** Throughput ring: time (ms since start), bytes per second in and out, of which through the target. */
    private final long[][] points = new long[THROUGHPUT_POINTS][5];
    private int pointCount;
    private int pointNext;
    private long lastSampleNs;
    private final long[] deltas = new long[4];
    private final Timer sampler = Timer.of(this::sample);
    private boolean closed;

    StackInspector(NetworkStack stack) {
        this.stack = stack;
        this.manager = stack.offload();
        this.loop = stack.loop();
        this.startNs = loop.nowNs();
        this.lastSampleNs = startNs;
        this.tickNs = 1_000_000_000L / stack.tcp().config().ticksPerSecond();
    }

    /** Starts listening and sampling (on the loop). */
    void start() {
        if (manager != null) {
            manager.addListener(this);
        }
        refresh();
        loop.timers().schedule(sampler, loop.nowNs() + SAMPLE_INTERVAL_NS);
        note("control", "control API attached to " + stack.name());
    }

    /** Stops sampling; the manager keeps the listener (it cannot be removed), which then records nothing. */
    void stop() {
        closed = true;
        loop.timers().cancel(sampler);
    }

    // ================================================================================================ tracking

    /** Brings ids and byte totals up to date; adds the bytes moved since the last call to {@link #deltas}. */
    private void refresh() {
        for (Tracked t : tracked.values()) {
            t.seen = false;
        }
        for (TcpConnection c : stack.tcp().connections()) {
            Tracked t = tracked.get(c);
            if (t == null) {
                t = new Tracked(nextId++, c);
                tracked.put(c, t);
            }
            t.seen = true;
            long acked = c.bytesAcknowledged();
            long received = c.bytesReceived();
            long dOut = (acked - t.lastAcked) & 0xFFFF_FFFFL; // modulo 2^32, like the sequence space
            long dIn = (received - t.lastReceived) & 0xFFFF_FFFFL;
            t.lastAcked = acked;
            t.lastReceived = received;
            t.totalAcked += dOut;
            t.totalReceived += dIn;
            boolean viaTarget = manager != null && manager.state(c) != OffloadState.NOT_OFFLOADED;
            deltas[0] += dIn;
            deltas[1] += dOut;
            if (viaTarget) {
                deltas[2] += dIn;
                deltas[3] += dOut;
            }
        }
        tracked.values().removeIf(t -> !t.seen);
    }

    private void sample() {
        if (closed) {
            return;
        }
        refresh();
        long now = loop.nowNs();
        long elapsed = Math.max(1, now - lastSampleNs);
        long[] p = points[pointNext];
        p[0] = (now - startNs) / 1_000_000L;
        for (int i = 0; i < 4; i++) {
            p[i + 1] = deltas[i] * 1_000_000_000L / elapsed;
            deltas[i] = 0;
        }
        pointNext = (pointNext + 1) % THROUGHPUT_POINTS;
        pointCount = Math.min(pointCount + 1, THROUGHPUT_POINTS);
        lastSampleNs = now;
        loop.timers().schedule(sampler, now + SAMPLE_INTERVAL_NS);
    }

    private List<Tracked> sortedConnections() {
        refresh();
        List<Tracked> list = new ArrayList<>(tracked.values());
        list.sort(Comparator.comparingInt(t -> t.id));
        return list;
    }

    /** The connection with {@code id}, or NoSuchElementException with what to do. */
    TcpConnection connection(int id) {
        refresh();
        for (Tracked t : tracked.values()) {
            if (t.id == id) {
                return t.connection;
            }
        }
        throw new NoSuchElementException("no connection " + id + " (list them with 'chimney ctl connections')");
    }

    private int idOf(TcpConnection c) {
        Tracked t = tracked.get(c);
        return t == null ? 0 : t.id;
    }

    // ================================================================================================ timeline

    void note(String kind, String text) {
        TimelineEntry e = new TimelineEntry(timelineNext, (loop.nowNs() - startNs) / 1_000_000L, kind, text);
        timeline[(int) (timelineNext % TIMELINE_CAPACITY)] = e;
        timelineNext++;
    }

    @Override
    public void onOffloadFailed(TcpConnection connection, dev.chimney.chimney.OffloadStatus status) {
        if (!closed) {
            note("connection", "offload of " + label(connection) + " failed (" + status + "): it stays on the host");
        }
    }

    @Override
    public void onOperationIssued(OffloadOperation operation, int neighbors, int paths, int connections) {
        if (!closed) {
            note("operation", operation + " issued: " + plural(neighbors, "neighbor") + ", " + plural(paths, "path")
                    + ", " + plural(connections, "connection"));
        }
    }

    @Override
    public void onOperationCompleted(OffloadOperation operation, int succeeded, int failed, long durationNs) {
        if (!closed) {
            note("operation", operation + " completed: " + succeeded + " ok, " + failed + " failed in "
                    + String.format("%.1f ms", durationNs / 1e6));
        }
    }

    @Override
    public void onStatusIndication(StatusIndication indication, OffloadManager.Admission admission) {
        if (!closed) {
            note("indication", indication + " (admission now " + admission + ")");
        }
    }

    @Override
    public void onTcpEvent(TcpConnection connection, TcpEvent event) {
        if (!closed && event.type() != dev.chimney.chimney.TcpEventType.SEND_BACKLOG_CHANGE) {
            note("indication", event.type() + (event.reason() != null ? " (" + event.reason() + ")" : "") + " on "
                    + label(connection));
        }
    }

    private String label(TcpConnection c) {
        int id = idOf(c);
        return (id > 0 ? "#" + id + " " : "") + endpoint(c.localAddress(), c.localPort()) + " -> "
                + endpoint(c.remoteAddress(), c.remotePort());
    }

    private static String plural(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    static String endpoint(IpAddress a, int port) {
        return a.isIpv4() ? a + ":" + port : "[" + a + "]:" + port;
    }

    // ================================================================================================ reads

    String statusJson() {
        refresh();
        JsonWriter w = new JsonWriter().beginObject();
        w.field("host", stack.name());
        w.name("addresses").beginArray();
        for (IpAddress a : stack.addresses()) {
            w.value(a.toString());
        }
        w.endArray();
        w.field("uptimeMs", (loop.nowNs() - startNs) / 1_000_000L);
        int[] byColumn = new int[4];
        for (Tracked t : tracked.values()) {
            OffloadState s = manager == null ? OffloadState.NOT_OFFLOADED : manager.state(t.connection);
            byColumn[switch (offloadColumn(s)) {
                case "InHost" -> 0;
                case "Offloading" -> 1;
                case "Offloaded" -> 2;
                default -> 3;
            }]++;
        }
        w.name("connections").beginObject().field("total", tracked.size()).field("InHost", byColumn[0])
                .field("Offloading", byColumn[1]).field("Offloaded", byColumn[2]).field("Uploading", byColumn[3])
                .endObject();
        if (manager == null) {
            w.name("offload").nullValue();
        } else {
            OffloadPolicy p = manager.policy();
            w.name("offload").beginObject()
                    .field("target", manager.target().name())
                    .field("admission", manager.admission().name())
                    .field("policy", p.mode() == OffloadPolicy.Mode.AFTER_BYTES ? "after-bytes:" + p.afterBytes()
                            : p.mode() == OffloadPolicy.Mode.ALL_ESTABLISHED ? "all" : "explicit")
                    .field("connections", manager.offloadedConnections())
                    .field("paths", manager.offloadedPaths())
                    .field("neighbors", manager.offloadedNeighbors())
                    .field("outstandingOperations", manager.outstandingOperations())
                    .field("team", false)
                    .endObject();
        }
        long[] last = lastPoint();
        w.name("throughput").beginObject().field("inBytesPerSecond", last[1]).field("outBytesPerSecond", last[2])
                .endObject();
        return w.endObject().toString();
    }

    private long[] lastPoint() {
        return pointCount == 0 ? new long[5] : points[(pointNext - 1 + THROUGHPUT_POINTS) % THROUGHPUT_POINTS];
    }

    /** The offloaded connections whose live state a delegated query may fetch now (spec §3.5). */
    List<ConnectionRecord> queryable() {
        List<ConnectionRecord> out = new ArrayList<>();
        if (manager == null) {
            return out;
        }
        for (TcpConnection c : stack.tcp().connections()) {
            ConnectionRecord r = manager.record(c);
            if (r != null && r.isOffloaded()) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * The connections as {@code ss -ti} would list them. {@code live} holds, for offloaded connections, the
     * delegated state a query just returned (their cwnd, SRTT and retransmissions live on the target); the others
     * show what the host's engine holds.
     */
    String connectionsJson(Map<TcpConnection, TcpDelegated> live) {
        JsonWriter w = new JsonWriter().beginObject();
        w.name("connections").beginArray();
        String targetName = manager == null ? "" : manager.target().name();
        for (Tracked t : sortedConnections()) {
            TcpConnection c = t.connection;
            OffloadState s = manager == null ? OffloadState.NOT_OFFLOADED : manager.state(c);
            String column = offloadColumn(s);
            w.beginObject();
            w.field("id", t.id);
            w.field("local", endpoint(c.localAddress(), c.localPort()));
            w.field("remote", endpoint(c.remoteAddress(), c.remotePort()));
            w.field("state", c.state().name());
            w.field("offloadState", column);
            w.field("offloadDetail", s.name());
            w.field("runsOn", switch (column) {
                case "InHost" -> "host";
                case "Offloading" -> "host->" + targetName;
                case "Uploading" -> targetName + "->host";
                default -> targetName;
            });
            w.field("bytesAcked", t.totalAcked);
            w.field("bytesReceived", t.totalReceived);
            w.field("sendQueue", c.unacknowledgedBytes());
            w.field("recvQueue", c.readableBytes());
            TcpDelegated d = live.get(c);
            if (d != null) {
                w.field("cwnd", d.cWnd());
                w.field("srttUs", d.sRtt() / 8 * tickNs / 1000);
                w.field("retransmits", d.retransmitCount());
                w.field("liveFrom", "target");
            } else {
                w.field("cwnd", c.cwnd());
                w.field("srttUs", c.srttNs() / 1000);
                w.field("retransmits", c.retransmitCount());
                w.field("liveFrom", s == OffloadState.NOT_OFFLOADED ? "host" : "host (parked)");
            }
            w.field("mss", c.sendMss());
            w.endObject();
        }
        return w.endArray().endObject().toString();
    }

    String objectsJson() {
        refresh();
        JsonWriter w = new JsonWriter().beginObject();
        w.name("neighbors").beginArray();
        if (manager != null) {
            List<PathRecord> paths = manager.paths();
            List<ConnectionRecord> records = new ArrayList<>();
            for (Tracked t : sortedConnections()) {
                ConnectionRecord r = manager.record(t.connection);
                if (r != null) {
                    records.add(r);
                }
            }
            for (NeighborRecord n : manager.neighbors()) {
                NeighborEntry e = n.entry();
                w.beginObject().field("ip", n.ip().toString())
                        .field("mac", e == null || e.linkAddress() == null ? null : e.linkAddress().toString())
                        .field("cacheState", e == null ? "NONE" : e.state().name())
                        .field("offloadState", offloadColumn(n.state())).field("offloadDetail", n.state().name())
                        .field("dependents", n.dependents());
                w.name("paths").beginArray();
                for (PathRecord p : paths) {
                    if (p.neighbor() != n) {
                        continue;
                    }
                    w.beginObject().field("source", p.source().toString())
                            .field("destination", p.destination().toString())
                            .field("pathMtu", stack.ip().pathMtu(p.destination()))
                            .field("offloadState", offloadColumn(p.state())).field("offloadDetail", p.state().name())
                            .field("dependents", p.dependents());
                    w.name("connections").beginArray();
                    for (ConnectionRecord r : records) {
                        if (r.path() != p) {
                            continue;
                        }
                        TcpConnection c = r.connection();
                        w.beginObject().field("id", idOf(c))
                                .field("local", endpoint(c.localAddress(), c.localPort()))
                                .field("remote", endpoint(c.remoteAddress(), c.remotePort()))
                                .field("state", c.state().name())
                                .field("offloadState", offloadColumn(r.state())).field("offloadDetail",
                                        r.state().name())
                                .endObject();
                    }
                    w.endArray().endObject();
                }
                w.endArray().endObject();
            }
        }
        w.endArray();
        int inHost = 0;
        for (Tracked t : tracked.values()) {
            if (manager == null || manager.state(t.connection) == OffloadState.NOT_OFFLOADED) {
                inHost++;
            }
        }
        w.field("connectionsInHost", inHost);
        return w.endObject().toString();
    }

    /**
     * Host counters, the target's statistics (spec §5.4; null when none) and every drop counter by reason, the
     * target's own ({@code targetDrops}) included.
     */
    String statsJson(OffloadStatistics target, Map<String, Long> targetDrops) {
        JsonWriter w = new JsonWriter().beginObject();
        Map<IpCounter, Long> ip = stack.ip().counters().snapshot();
        w.name("host").beginObject();
        w.name("ip").beginObject();
        for (IpCounter c : IpCounter.values()) {
            w.field(c.name(), ip.getOrDefault(c, 0L));
        }
        w.endObject();
        w.name("tcpip").beginObject();
        for (TcpIpCounter c : TcpIpCounter.values()) {
            w.field(c.name(), stack.binding().counter(c));
        }
        w.endObject();
        w.name("tcp").beginObject();
        for (TcpCounter c : TcpCounter.values()) {
            w.field(c.name(), stack.tcp().counter(c));
        }
        w.endObject();
        if (manager != null) {
            w.name("offload").beginObject();
            for (OffloadCounter c : OffloadCounter.values()) {
                w.field(c.name(), manager.counter(c));
            }
            w.endObject();
        }
        w.endObject();
        if (target == null) {
            w.name("target").nullValue();
        } else {
            w.name("target").beginObject().field("name", manager.target().name());
            ipStats(w.name("ipv4"), target.ipv4());
            ipStats(w.name("ipv6"), target.ipv6());
            tcpStats(w.name("tcp4"), target.tcp4());
            tcpStats(w.name("tcp6"), target.tcp6());
            w.endObject();
        }
        // Drops by reason: every counter that stands for a dropped frame, packet or segment, by layer
        w.name("drops").beginObject();
        long total = 0;
        for (IpCounter c : IpCounter.values()) {
            if (c.name().contains("DROP") || c == IpCounter.NEIGHBOR_TABLE_FULL) {
                long v = ip.getOrDefault(c, 0L);
                w.field("ip." + c.name(), v);
                total += v;
            }
        }
        for (TcpIpCounter c : TcpIpCounter.values()) {
            if (c.name().contains("DROP")) {
                long v = stack.binding().counter(c);
                w.field("tcpip." + c.name(), v);
                total += v;
            }
        }
        for (TcpCounter c : TcpCounter.values()) {
            if (c.name().startsWith("DROP")) {
                long v = stack.tcp().counter(c);
                w.field("tcp." + c.name(), v);
                total += v;
            }
        }
        if (manager != null) {
            long held = manager.counter(OffloadCounter.HELD_SEGMENTS_DROPPED);
            long violations = manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS);
            w.field("offload." + OffloadCounter.HELD_SEGMENTS_DROPPED.name(), held);
            w.field("offload." + OffloadCounter.PROTOCOL_VIOLATIONS.name(), violations);
            total += held + violations;
        }
        if (target != null) {
            for (String family : new String[] {"ipv4", "ipv6"}) {
                IpOffloadStats s = family.equals("ipv4") ? target.ipv4() : target.ipv6();
                w.field("target." + family + ".inHeaderErrors", s.inHeaderErrors());
                w.field("target." + family + ".inTruncatedPackets", s.inTruncatedPackets());
                w.field("target." + family + ".inDiscards", s.inDiscards());
                w.field("target." + family + ".outDiscards", s.outDiscards());
                w.field("target." + family + ".outNoRoutes", s.outNoRoutes());
                total += s.inHeaderErrors() + s.inTruncatedPackets() + s.inDiscards() + s.outDiscards()
                        + s.outNoRoutes();
            }
            for (Map.Entry<String, Long> d : targetDrops.entrySet()) {
                w.field("target." + d.getKey(), d.getValue());
                total += d.getValue();
            }
            w.field("target.tcp4.inErrors", target.tcp4().inErrors());
            w.field("target.tcp6.inErrors", target.tcp6().inErrors());
            total += target.tcp4().inErrors() + target.tcp6().inErrors();
        }
        w.endObject();
        w.field("dropsTotal", total);
        return w.endObject().toString();
    }

    private static void ipStats(JsonWriter w, IpOffloadStats s) {
        w.beginObject().field("inReceives", s.inReceives()).field("inOctets", s.inOctets())
                .field("inDelivers", s.inDelivers()).field("outRequests", s.outRequests())
                .field("outOctets", s.outOctets()).field("inHeaderErrors", s.inHeaderErrors())
                .field("inTruncatedPackets", s.inTruncatedPackets()).field("inDiscards", s.inDiscards())
                .field("outDiscards", s.outDiscards()).field("outNoRoutes", s.outNoRoutes()).endObject();
    }

    private static void tcpStats(JsonWriter w, TcpOffloadStats s) {
        w.beginObject().field("inSegments", s.inSegments()).field("outSegments", s.outSegments())
                .field("currentlyEstablished", s.currentlyEstablished())
                .field("resetEstablished", s.resetEstablished())
                .field("retransmittedSegments", s.retransmittedSegments()).field("inErrors", s.inErrors())
                .field("outResets", s.outResets()).endObject();
    }

    String eventsJson(long since) {
        JsonWriter w = new JsonWriter().beginObject();
        long first = Math.max(Math.max(1, since + 1), timelineNext - TIMELINE_CAPACITY);
        w.field("next", timelineNext - 1);
        w.name("events").beginArray();
        for (long seq = first; seq < timelineNext; seq++) {
            TimelineEntry e = timeline[(int) (seq % TIMELINE_CAPACITY)];
            w.beginObject().field("seq", e.seq()).field("timeMs", e.timeMs()).field("kind", e.kind())
                    .field("text", e.text()).endObject();
        }
        return w.endArray().endObject().toString();
    }

    String throughputJson() {
        JsonWriter w = new JsonWriter().beginObject();
        w.field("intervalMs", SAMPLE_INTERVAL_NS / 1_000_000L);
        w.name("points").beginArray();
        for (int i = 0; i < pointCount; i++) {
            long[] p = points[(pointNext - pointCount + i + THROUGHPUT_POINTS) % THROUGHPUT_POINTS];
            w.beginObject().field("timeMs", p[0]).field("inBytesPerSecond", p[1]).field("outBytesPerSecond", p[2])
                    .field("offloadedInBytesPerSecond", p[3]).field("offloadedOutBytesPerSecond", p[4]).endObject();
        }
        return w.endArray().endObject().toString();
    }

    // ================================================================================================ actions

    OffloadManager manager() {
        if (manager == null) {
            throw new IllegalStateException("this stack has no offload target: nothing to offload to");
        }
        return manager;
    }

    /** The soft target that can raise status indications, or null. */
    SoftOffloadTarget indicator() {
        OffloadTarget t = manager().target();
        return t instanceof SoftOffloadTarget s ? s : null;
    }

    OffloadState state(TcpConnection c) {
        return manager == null ? OffloadState.NOT_OFFLOADED : manager.state(c);
    }

    /**
     * After RESUME: the policy offloads connections as they become established (or carry enough bytes), so the
     * ones uploaded by UPLOAD_ALL would otherwise stay on the host for good. Offloads every connection the policy
     * would have offloaded and that is on the host now; returns how many went into the initiate.
     */
    int reoffloadPerPolicy() {
        OffloadManager m = manager();
        if (m.policy().mode() == OffloadPolicy.Mode.EXPLICIT) {
            return 0;
        }
        List<TcpConnection> batch = new ArrayList<>();
        for (TcpConnection c : stack.tcp().connections()) {
            TcpState s = c.state();
            boolean open = s == TcpState.ESTABLISHED || s == TcpState.FIN_WAIT_1 || s == TcpState.FIN_WAIT_2
                    || s == TcpState.CLOSE_WAIT;
            if (open && m.state(c) == OffloadState.NOT_OFFLOADED && !c.isParked()) {
                batch.add(c);
            }
        }
        return batch.isEmpty() ? 0 : m.offload(batch);
    }

    int connectionCount(String column) {
        refresh();
        int n = 0;
        for (Tracked t : tracked.values()) {
            if (offloadColumn(state(t.connection)).equals(column)) {
                n++;
            }
        }
        return n;
    }

    String describe(TcpConnection c) {
        return label(c);
    }
}
