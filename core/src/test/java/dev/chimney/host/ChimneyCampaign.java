package dev.chimney.host;

import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.UploadReason;
import dev.chimney.chimney.host.ConnectionRecord;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadState;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.ip.NeighborCache;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One seed of the status-indication campaign (issue 7 item 4): a {@link TeamScenario} whose size, impairments and
 * faults the seed chooses, and a schedule of events at random moments of the transfers — the active member's PAUSE,
 * RESUME and UPLOAD_ALL, a team failover, a link going down or up, a target-requested retrieve with any reason, the
 * host terminating or offloading one connection, the host's own terminate-all and resume, a capability change, a
 * neighbor MAC change with the next update failing — after which every trigger is released and the transfers must
 * finish. The invariants are checked after every event and at least every millisecond of virtual time between:
 * <ul>
 *   <li>every byte delivered once and in order ({@link StreamEndpoint} checks each byte on arrival);</li>
 *   <li>every request completed exactly once with a legal status, and no target rule broken (the contract checker's
 *       target findings: R-RESUME-4, R-PAUSE-5, spec §9 item 25);</li>
 *   <li>no host rule broken (the checker: nothing offloaded while paused or uploading, R-PAUSE-4 / R-UPLOAD-1; no
 *       object terminated before its dependents, R-HOST-5; R-HOST-3..8, R-HOST-12);</li>
 *   <li>every state object's offload state legal and the same on both sides: a connection is parked exactly when its
 *       record is INITIATING, OFFLOADED or TERMINATING, and the manager's connection, path and neighbor counts equal
 *       the objects the checker saw go to the target;</li>
 *   <li>no protocol violation or lost connection counted by the manager; at the end every exchange closed normally,
 *       nothing is offloaded and no request is outstanding.</li>
 * </ul>
 */
final class ChimneyCampaign {

    /** Size class of the seeds. */
    record Size(int maxConnections, int maxBytes, int maxEvents) {
        static final Size SMALL = new Size(6, 24_000, 8);
        static final Size LARGE = new Size(24, 200_000, 20);
    }

    /** The outcome of one seed: null {@code violation} when every invariant held. */
    record Result(long seed, String violation, int events, long simulatedNs, long failovers) {
    }

    private final long seed;
    private final Size size;
    private final boolean verbose;
    private final List<String> log = new ArrayList<>();
    private TeamScenario s;
    private long lastCheckNs = -1;
    private String violation;
    private int eventsFired;

    private ChimneyCampaign(long seed, Size size, boolean verbose) {
        this.seed = seed;
        this.size = size;
        this.verbose = verbose;
    }

    /** Runs one seed; never throws for a broken invariant (it is the result), only for a harness bug. */
    static Result run(long seed, Size size, boolean verbose) {
        return new ChimneyCampaign(seed, size, verbose).go();
    }

    /** The one command that replays {@code seed} with its event log. */
    static String replayCommand(long seed, Size size) {
        return "mvn -B -ntp -pl core test -Dtest='ChimneyCampaignTest#replay' -Dcampaign.seed=" + seed
                + (size == Size.LARGE ? " -Dcampaign.size=large" : "");
    }

    private Result go() {
        SeededRandom r = new SeededRandom(seed ^ 0x5EED_CA4A_1A7EL);
        TeamScenario.Params p = TeamScenario.params().seed(seed)
                .connections(2 + r.nextInt(size.maxConnections() - 1))
                .maxBytes(1_000 + r.nextInt(size.maxBytes()))
                .ipv6Share(r.nextDouble() * 0.6)
                .rate(5_000_000L + r.nextInt(40) * 1_000_000L)
                .batch(1 + r.nextInt(4));
        if (r.chance(0.4)) {
            p.lossy(r.nextDouble() * 0.02);
        }
        if (r.chance(0.4)) {
            p.faults(r.nextInt(3) * TeamScenario.MS, r.chance(0.5) ? r.nextDouble() * 0.15 : 0);
        }
        s = p.build();
        note("params " + p);
        // events over the expected transfer time (the slowest link rate, both directions share it)
        long transferNs = s.expected() * 8 * 1_000_000_000L / p.rateBitsPerSecond + 50 * TeamScenario.MS;
        int n = 1 + r.nextInt(size.maxEvents());
        long[] at = new long[n];
        for (int i = 0; i < n; i++) {
            at[i] = r.nextLong(transferNs);
        }
        java.util.Arrays.sort(at);
        for (int i = 0; i < n && violation == null; i++) {
            runTo(at[i]);
            if (violation == null) {
                fire(r);
                check();
            }
        }
        if (violation == null) {
            heal();
        }
        if (violation == null) {
            long limit = s.sim.nowNs() + 300 * TeamScenario.S;
            s.sim.runUntil(() -> {
                checkNow();
                return violation != null || s.allClosed();
            }, limit);
            s.sim.runFor(500 * TeamScenario.MS); // the last uploads of closing connections, the idle paths
            check();
            if (violation == null && !s.allClosed()) {
                violation("liveness: the transfers did not finish: " + s.failures());
            }
        }
        if (violation == null) {
            String f = s.failures();
            if (f != null) {
                violation("streams: " + f);
            } else if (s.checker.outstandingRequests() != 0) {
                violation("requests still outstanding at the end: " + s.checker.outstandingRequests());
            } else if (s.checker.heldObjects() != 0) {
                violation("objects still offloaded after every connection closed: " + s.checker.heldObjects());
            }
        }
        return new Result(seed, violation == null ? null : violation + (verbose ? "" : "\n" + String.join("\n",
                log.subList(Math.max(0, log.size() - 12), log.size()))), eventsFired, s.sim.nowNs(),
                s.team.failovers());
    }

    private void note(String what) {
        String line = (s == null ? 0 : s.sim.nowNs() / 1000) + "us " + what;
        log.add(line);
        if (verbose) {
            System.out.println(line);
        }
    }

    private void violation(String what) {
        if (violation == null) {
            violation = what + "\n  at " + s.sim.nowNs() / 1000 + "us; " + s.report();
        }
    }

    private void runTo(long atNs) {
        s.sim.runUntil(() -> {
            checkNow();
            return violation != null;
        }, atNs);
    }

    /** Checks at most once per virtual millisecond while running (every call after an event). */
    private void checkNow() {
        long now = s.sim.nowNs();
        if (now - lastCheckNs >= TeamScenario.MS) {
            check();
        }
    }

    private void check() {
        lastCheckNs = s.sim.nowNs();
        if (violation != null) {
            return;
        }
        String bad = s.streamViolation();
        if (bad != null) {
            violation("a byte out of place (lost, duplicated, reordered or corrupted): " + bad);
            return;
        }
        if (!s.checker.violations().isEmpty()) {
            violation("host rule broken: " + s.checker.violations());
            return;
        }
        if (!s.checker.targetViolations().isEmpty()) {
            violation("target rule broken: " + s.checker.targetViolations());
            return;
        }
        OffloadManager m = s.manager;
        if (m.counter(OffloadCounter.PROTOCOL_VIOLATIONS) != 0) {
            violation("the manager counted protocol violations");
            return;
        }
        if (m.counter(OffloadCounter.CONNECTIONS_LOST) != 0) {
            violation("a connection was lost");
            return;
        }
        for (StreamEndpoint c : s.clients) {
            OffloadState st = m.state(c.connection);
            boolean moving = st != OffloadState.NOT_OFFLOADED;
            if (moving != c.connection.isParked()) {
                violation("connection " + c.id + " is " + st + " but " + (c.connection.isParked() ? "" : "not ")
                        + "parked");
                return;
            }
        }
        if (m.offloadedConnections() != s.checker.known(StateLayer.TCP)
                || m.offloadedPaths() != s.checker.known(StateLayer.IPV4_PATH)
                || m.offloadedNeighbors() != s.checker.known(StateLayer.NEIGHBOR)) {
            violation("counts differ: manager " + m.offloadedConnections() + "/" + m.offloadedPaths() + "/"
                    + m.offloadedNeighbors() + ", at the target " + s.checker.known(StateLayer.TCP) + "/"
                    + s.checker.known(StateLayer.IPV4_PATH) + "/" + s.checker.known(StateLayer.NEIGHBOR));
        }
    }

    private SoftOffloadTarget activeNic() {
        return s.team.active() == 0 ? s.nic0 : s.nic1;
    }

    private final boolean[] down = new boolean[2];

    private void fire(SeededRandom r) {
        eventsFired++;
        int kind = r.nextInt(13);
        switch (kind) {
            case 0 -> indicate(StatusIndication.OFFLOAD_PAUSE);
            case 1 -> indicate(StatusIndication.OFFLOAD_RESUME);
            case 2 -> indicate(StatusIndication.UPLOAD_ALL);
            case 3 -> {
                note("team failover");
                s.team.failover();
            }
            case 4, 5 -> {
                int i = kind == 4 ? s.team.active() : 1 - s.team.active();
                note("link " + i + " down");
                down[i] = true;
                s.link(i, false);
            }
            case 6 -> {
                for (int i = 0; i < 2; i++) {
                    if (down[i]) {
                        note("link " + i + " up");
                        down[i] = false;
                        s.link(i, true);
                        return;
                    }
                }
                indicate(StatusIndication.OFFLOAD_RESUME);
            }
            case 7 -> {
                ConnectionRecord cr = randomRecord(r, OffloadState.OFFLOADED);
                if (cr != null) {
                    UploadReason reason = UploadReason.values()[r.nextInt(UploadReason.values().length)];
                    Object ctx = s.team.memberContext(cr.handle().miniportContext());
                    note("target asks to upload connection " + idOf(cr.connection()) + " (" + reason + ")");
                    activeNic().requestUpload(ctx, reason);
                }
            }
            case 8 -> {
                ConnectionRecord cr = randomRecord(r, OffloadState.OFFLOADED);
                if (cr != null) {
                    note("host terminates connection " + idOf(cr.connection()));
                    s.manager.terminate(cr.connection());
                }
            }
            case 9 -> {
                List<TcpConnection> host = new ArrayList<>();
                for (StreamEndpoint c : s.clients) {
                    if (!c.connection.isParked() && c.connection.state() == TcpState.ESTABLISHED) {
                        host.add(c.connection);
                    }
                }
                if (!host.isEmpty()) {
                    TcpConnection c = host.get(r.nextInt(host.size()));
                    note("host offloads connection " + idOf(c) + ": " + s.manager.offload(c));
                }
            }
            case 10 -> {
                if (s.manager.admission() == OffloadManager.Admission.DRAINED
                        || s.manager.admission() == OffloadManager.Admission.UPLOADING_ALL) {
                    note("host resume");
                    try {
                        s.manager.resume();
                    } catch (IllegalStateException e) {
                        note("  refused: the target holds admission");
                    }
                } else {
                    note("host terminateAll");
                    s.manager.terminateAll(() -> note("host terminateAll drained"));
                }
            }
            case 11 -> {
                var caps = SoftOffloadTarget.DEFAULT_CAPABILITIES.withCapacity(1 + r.nextInt(8))
                        .withIp(true, r.chance(0.5));
                note("capabilities of the active member -> capacity " + caps.tcpConnectionOffloadCapacity()
                        + (caps.supportIpv6() ? "" : " no IPv6"));
                activeNic().changeCapabilities(caps);
            }
            default -> {
                NeighborCache arp = s.a.ip().neighbors(s.a.interfaces().getFirst(), false);
                if (s.faults != null) {
                    s.faults.failNextOperation(OffloadOperation.UPDATE);
                }
                note("neighbor MAC flaps" + (s.faults != null ? " (the update fails)" : ""));
                arp.onAdvertisement(TeamScenario.B4, MacAddress.parse("02:77:00:00:00:0e"), true, true,
                        s.sim.nowNs());
                s.sim.runFor(r.nextInt(3) * TeamScenario.MS);
                arp.onAdvertisement(TeamScenario.B4, TeamScenario.MAC_B, true, true, s.sim.nowNs());
            }
        }
    }

    private void indicate(StatusIndication i) {
        note("active member raises " + i);
        activeNic().indicate(i);
    }

    private ConnectionRecord randomRecord(SeededRandom r, OffloadState state) {
        List<ConnectionRecord> in = new ArrayList<>();
        for (StreamEndpoint c : s.clients) {
            ConnectionRecord cr = s.manager.record(c.connection);
            if (cr != null && cr.state() == state) {
                in.add(cr);
            }
        }
        return in.isEmpty() ? null : in.get(r.nextInt(in.size()));
    }

    private int idOf(TcpConnection c) {
        for (StreamEndpoint e : s.clients) {
            if (e.connection == c) {
                return e.id;
            }
        }
        return -1;
    }

    /** Every trigger lets go: links up, both members resume, the host resumes what it holds itself. */
    private void heal() {
        note("heal");
        for (int i = 0; i < 2; i++) {
            if (down[i]) {
                down[i] = false;
                s.link(i, true);
            }
        }
        s.sim.runUntil(() -> {
            checkNow();
            return s.team.phase() == dev.chimney.chimney.team.TeamTarget.Phase.NONE;
        }, s.sim.nowNs() + 30 * TeamScenario.S);
        s.nic0.indicate(StatusIndication.OFFLOAD_RESUME);
        s.nic1.indicate(StatusIndication.OFFLOAD_RESUME);
        s.sim.runUntil(() -> {
            checkNow();
            return s.manager.admission() == OffloadManager.Admission.OPEN
                    || s.manager.admission() == OffloadManager.Admission.DRAINED;
        }, s.sim.nowNs() + 30 * TeamScenario.S);
        if (s.manager.admission() == OffloadManager.Admission.DRAINED) {
            try {
                s.manager.resume(); // the host's own terminateAll
            } catch (IllegalStateException e) {
                note("host resume refused: " + e.getMessage());
            }
        }
    }
}
