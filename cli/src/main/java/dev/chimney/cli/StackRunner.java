package dev.chimney.cli;

import dev.chimney.chimney.host.ChimneyStatistics;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.chimney.team.TeamTarget;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.IpCidr;
import dev.chimney.host.NetworkStack;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpState;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.PcapTap;
import dev.chimney.link.PcapWriter;
import dev.chimney.link.tap.KernelCounters;
import dev.chimney.link.tap.TapDevice;
import dev.chimney.link.tap.TapOptions;
import dev.chimney.runtime.Clock;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.IdleStrategy;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Timer;
import dev.chimney.wire.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A Chimney stack running for real on a TAP device: what {@code chimney run} starts. {@link #start} opens (or
 * creates) the TAP, sets it up, attaches an IP stack with the given addresses and routes, starts the served
 * applications and runs everything on one {@link LoopThread} whose idle wait is ppoll(2) on the TAP. {@link #close}
 * shuts down cleanly: listeners close, every connection sends its FIN after its queued bytes, and the loop keeps
 * running until every FIN is acknowledged or the shutdown timeout passes; then the TAP and the capture file are
 * closed.
 *
 * <p>With {@code --offload} other than none ({@link RunSettings#offloadTarget()}) the TCP chimney runs: a {@link
 * SoftOffloadTarget} — the NIC — owns the TAP on a second loop and {@link LoopThread} (ppoll on the TAP is that
 * loop's idle wait), the host stack sits on the target's host port (a {@link dev.chimney.link.LoopBridge}, TSO
 * passed through) on its own loop and thread, and the stack's {@link OffloadManager} moves connections to the target
 * as the policy says. With nothing offloaded the target is a pass-through. {@code --offload none} (the default)
 * leaves the target out: measured over the TAP, the pass-through costs a thread hop and a frame copy each way for no
 * gain (bench/CHIMNEY.md).
 *
 * <p>With {@code --team NAME} a second TAP gets a second soft target on a third loop and thread, both with the one
 * MAC, and a {@link TeamTarget} on the stack's loop bonds them (active-backup): the stack's interface is the team's
 * port, its offload manager drives the team, and the team fails over on command ({@link #failover()}).
 */
public final class StackRunner implements AutoCloseable {
    /** How often the capture file is flushed to disk while running (a crash loses at most this much). */
    private static final long PCAP_FLUSH_INTERVAL_NS = 1_000_000_000L;

    private final RunSettings settings;
    private final TapDevice tap;
    private final EventLoop loop;
    private final NetworkStack stack;
    private final SocketStack sockets;
    private final LoopThread thread;
    /** The soft offload target between the TAP and the stack (--offload other than none), else null. */
    private final SoftOffloadTarget target;
    /** The target's own loop thread, which polls the TAP, else null. */
    private final LoopThread targetThread;
    /** The port the target owns (the TAP, or the capture in front of it), closed after its loop stops; else null. */
    private final NetworkPort linkPort;
    /** With --team: the team, its second TAP and the second target's loop thread; else null. */
    private final TeamTarget team;
    private final TapDevice teamTap;
    private final LoopThread teamThread;
    /** The running applications, in --serve order (touched only on the loop). */
    private final List<Apps.Running> apps = new ArrayList<>();
    private boolean closed;
    private String summary = "";

    private StackRunner(RunSettings settings, TapDevice tap, NetworkStack stack, SocketStack sockets,
                        LoopThread thread, SoftOffloadTarget target, LoopThread targetThread, NetworkPort linkPort,
                        TeamTarget team, TapDevice teamTap, LoopThread teamThread) {
        this.team = team;
        this.teamTap = teamTap;
        this.teamThread = teamThread;
        this.target = target;
        this.linkPort = linkPort;
        this.targetThread = targetThread;
        this.sockets = sockets;
        this.settings = settings;
        this.tap = tap;
        this.stack = stack;
        this.loop = stack.loop();
        this.thread = thread;
    }

    /**
     * Brings the stack up. Throws {@link dev.chimney.link.tap.TapException} when the device cannot be opened (no
     * privilege, busy, bad name) and {@link IllegalArgumentException} for settings the stack rejects; nothing is
     * left open then.
     */
    public static StackRunner start(RunSettings settings) {
        TapOptions options = TapOptions.named(settings.tapName()).withMtu(settings.mtuBytes())
                .withVnetHeader(settings.tsoInEffect()).withTxQueueLength(settings.tapQueueLength());
        TapDevice tap = settings.netns() == null ? TapDevice.open(options)
                : TapDevice.openInNamespace(settings.netns(), options);
        List<AutoCloseable> opened = new ArrayList<>(List.of(tap));
        try {
            tap.setLinkUp(true);
            Clock clock = Clock.system();
            EventLoop loop = new EventLoop("run-" + tap.name(), clock);
            loop.idleStrategy(IdleStrategy.parse(settings.idle()));
            loop.pollBudget(TapDevice.RECOMMENDED_POLL_BUDGET); // drain the TAP in large batches (issue 9)
            // With an offload target the TAP belongs to the target's loop (the NIC); otherwise to the stack's.
            EventLoop tapLoop = loop;
            if (settings.offloadTarget()) {
                tapLoop = new EventLoop("nic-" + tap.name(), clock);
                tapLoop.idleStrategy(IdleStrategy.parse(settings.idle()));
                tapLoop.pollBudget(TapDevice.RECOMMENDED_POLL_BUDGET);
            }
            tapLoop.ioWaiter(tap.ioWaiter());
            NetworkPort port = tap;
            PcapTap pcapTap = null;
            if (settings.pcap() != null) {
                // Wall-clock timestamps: the loop's clock is monotonic, so add the offset to the Unix epoch once.
                long epochOffsetNs = System.currentTimeMillis() * 1_000_000L - clock.nanoTime();
                PcapWriter writer = new PcapWriter(java.nio.file.Files.newOutputStream(settings.pcap()), clock,
                        epochOffsetNs, PcapWriter.DEFAULT_SNAPLEN);
                pcapTap = new PcapTap(tap, writer);
                opened.addFirst(pcapTap);
                port = pcapTap;
            }
            // On a TAP the RTT is well under a millisecond, so the 200 ms minimum RTO would dominate every transfer
            // that loses the tail of a flight or a retransmission. SACK peers get RACK-TLP (RFC 8985, the default:
            // tail probes and lost retransmissions found anywhere); these opt-ins give peers without SACK the tail
            // probe too (and apply to the RFC 6675 recovery if that is chosen instead).
            TcpConfig tcpConfig = TcpConfig.builder().tailLossProbe(true).lostRetransmitDetection(true)
                    .congestionAlgorithm(settings.congestion()).build();
            SoftOffloadTarget target = null;
            NetworkPort linkPort = null;
            TeamTarget team = null;
            TapDevice teamTap = null;
            EventLoop teamLoop = null;
            if (settings.offloadTarget()) {
                // The soft target is the NIC (spec §1.1): it owns the TAP on its loop and gives the host stack its
                // host port; its engine runs offloaded connections with the host's TCP settings.
                target = SoftOffloadTarget.builder(tapLoop, port).name("nic-" + tap.name()).hostLoop(loop)
                        .mac(settings.mac()).tcpConfig(tcpConfig)
                        .random(new SeededRandom(settings.seed()).fork("nic")).build();
                linkPort = port;
                port = target.hostPort();
            }
            if (settings.teamTap() != null) {
                // the second NIC of the team: its own TAP, loop and thread, the same MAC (active-backup bonding)
                TapOptions teamOptions = TapOptions.named(settings.teamTap()).withMtu(settings.mtuBytes())
                        .withVnetHeader(settings.tsoInEffect()).withTxQueueLength(settings.tapQueueLength());
                teamTap = settings.netns() == null ? TapDevice.open(teamOptions)
                        : TapDevice.openInNamespace(settings.netns(), teamOptions);
                opened.add(teamTap);
                teamTap.setLinkUp(true);
                teamLoop = new EventLoop("nic-" + teamTap.name(), clock);
                teamLoop.idleStrategy(IdleStrategy.parse(settings.idle()));
                teamLoop.pollBudget(TapDevice.RECOMMENDED_POLL_BUDGET);
                teamLoop.ioWaiter(teamTap.ioWaiter());
                SoftOffloadTarget second = SoftOffloadTarget.builder(teamLoop, teamTap).name("nic-" + teamTap.name())
                        .hostLoop(loop).mac(settings.mac()).tcpConfig(tcpConfig)
                        .random(new SeededRandom(settings.seed()).fork("nic-team")).build();
                team = TeamTarget.builder(loop, settings.mac()).name("team-" + tap.name() + "-" + teamTap.name())
                        .member(target).member(second).build();
                port = team.hostPort();
            }
            InterfaceConfig config = InterfaceConfig.of(tap.name(), settings.mac()).withMtu(settings.mtuBytes());
            for (IpCidr cidr : settings.addresses()) {
                config = cidr.isIpv4() ? config.withIpv4(cidr.toString()) : config.withIpv6(cidr.toString());
            }
            NetworkStack.Builder builder = NetworkStack.builder(loop).seed(settings.seed()).tcpConfig(tcpConfig)
                    .iface(port, config);
            for (IpAddress gateway : settings.gateways()) {
                builder.gateway(gateway);
            }
            if (team != null) {
                builder.offload(team, settings.offloadPolicy());
            } else if (target != null) {
                builder.offload(target, settings.offloadPolicy());
            }
            NetworkStack stack = builder.build();
            SocketStack sockets = SocketStack.of(stack);
            if (pcapTap != null) {
                PcapTap flushed = pcapTap;
                EventLoop owner = tapLoop; // the capture is written by the loop that owns the TAP
                Timer flush = new Timer() {
                    @Override
                    protected void onExpired(long nowNs) {
                        flushed.flush();
                        owner.timers().schedule(this, nowNs + PCAP_FLUSH_INTERVAL_NS);
                    }
                };
                owner.timers().schedule(flush, clock.nanoTime() + PCAP_FLUSH_INTERVAL_NS);
            }
            // The link watch (issue 7: failover when the active link fails): each NIC polls its TAP's flags and
            // reports a change as its PHY would: a team fails over, a single target pauses offloading until it is up
            if (team != null) {
                TeamTarget watched = team;
                watchLink(tapLoop, tap, up -> watched.linkStatus(0, up));
                watchLink(teamLoop, teamTap, up -> watched.linkStatus(1, up));
            } else if (target != null) {
                watchLink(tapLoop, tap, target::linkStatus);
            }
            LoopThread targetThread = target == null ? null : LoopThread.start(tapLoop);
            LoopThread teamThread = teamLoop == null ? null : LoopThread.start(teamLoop);
            LoopThread thread;
            try {
                thread = stack.start();
            } catch (RuntimeException | Error e) {
                if (targetThread != null) {
                    targetThread.close();
                }
                if (teamThread != null) {
                    teamThread.close();
                }
                throw e;
            }
            StackRunner runner = new StackRunner(settings, tap, stack, sockets, thread, target, targetThread,
                    target == null ? null : linkPort, team, teamTap, teamThread);
            try {
                runner.onLoop(() -> {
                    for (ServeSpec spec : settings.serve()) {
                        runner.apps.add(Apps.start(sockets, spec));
                    }
                    return null;
                });
            } catch (RuntimeException | Error e) {
                runner.stack.close();
                runner.stopTarget();
                throw e;
            }
            return runner;
        } catch (java.io.IOException e) {
            closeAll(opened);
            throw new java.io.UncheckedIOException("cannot create capture file " + settings.pcap() + ": " + e, e);
        } catch (RuntimeException | Error e) {
            closeAll(opened);
            throw e;
        }
    }

    /** How often a NIC looks at its TAP's link state (an ioctl): a failover starts within this of a link loss. */
    static final long LINK_WATCH_INTERVAL_NS = 100_000_000L;

    /** Polls {@code tap}'s link state on {@code owner} (the loop that owns the device) and reports changes. */
    private static void watchLink(EventLoop owner, TapDevice tap, java.util.function.Consumer<Boolean> report) {
        Timer watch = new Timer() {
            private boolean up = true; // the device was set up at open

            @Override
            protected void onExpired(long nowNs) {
                boolean now;
                try {
                    now = tap.linkUp();
                } catch (RuntimeException closed) {
                    return; // the device is closing: stop watching
                }
                if (now != up) {
                    up = now;
                    System.err.println("chimney run: link of " + tap.name() + (now ? " up" : " down"));
                    report.accept(now);
                }
                owner.timers().schedule(this, nowNs + LINK_WATCH_INTERVAL_NS);
            }
        };
        owner.timers().schedule(watch, owner.clock().nanoTime() + LINK_WATCH_INTERVAL_NS);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable c : resources) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already failing: the original exception is the one to report
            }
        }
    }

    /** One line saying what runs where, printed by {@code chimney run} at start. */
    public String describe() {
        StringBuilder sb = new StringBuilder("chimney run: ").append(tap.name());
        if (settings.netns() != null) {
            sb.append(" (netns ").append(settings.netns()).append(')');
        }
        sb.append(" mac ").append(settings.mac()).append(" mtu ").append(tap.mtu())
                .append(" qlen ").append(tap.txQueueLength()).append(" idle ").append(loop.idleStrategy())
                .append(tap.offloads().tso() ? " tso" : "").append(" congestion ")
                .append(settings.congestion().name().toLowerCase(java.util.Locale.ROOT)).append(" addresses ")
                .append(settings.addresses());
        if (!settings.gateways().isEmpty()) {
            sb.append(" via ").append(settings.gateways());
        }
        sb.append(settings.serve().isEmpty() ? " serving nothing (ping only)" : " serving " + settings.serve());
        if (settings.pcap() != null) {
            sb.append(" capture ").append(settings.pcap());
        }
        if (target != null) {
            sb.append(" offload ").append(settings.offload()).append(" (soft target ").append(target.name())
                    .append(" on its own thread)");
        }
        if (team != null) {
            sb.append(" team ").append(teamTap.name()).append(" (").append(team.name()).append(": ")
                    .append(target.name()).append(" active, ").append(team.member(1).name()).append(" standby)");
        }
        return sb.append(" seed ").append(settings.seed()).toString();
    }

    public RunSettings settings() {
        return settings;
    }

    public TapDevice tap() {
        return tap;
    }

    public EventLoop loop() {
        return loop;
    }

    /** The host stack (IP, TCP); reach it only on its loop ({@link #onLoop}). */
    public NetworkStack stack() {
        return stack;
    }

    /** The soft offload target between the TAP and the stack (--offload other than none), or null. */
    public SoftOffloadTarget target() {
        return target;
    }

    /** The team of two targets (--team), or null. */
    public TeamTarget team() {
        return team;
    }

    /**
     * Fails the team over to its standby member and waits (up to 10 s) until the host offloads to it; returns the
     * index of the active member then.
     *
     * @throws IllegalStateException without a team
     */
    public int failover() {
        if (team == null) {
            throw new IllegalStateException("no team: start chimney run with --team to fail over");
        }
        long before = onLoop(team::failovers);
        team.failover();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (onLoop(team::failovers) == before && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return onLoop(team::active);
    }

    /** The target's loop (it owns the TAP), or null without a target; reach the target's state only there. */
    public EventLoop targetLoop() {
        return target == null ? null : target.loop();
    }

    /** The socket layer the applications run on; reach it only on its loop ({@link #onLoop}). */
    public SocketStack sockets() {
        return sockets;
    }

    /** The application serving {@code port}, or null (call on the loop). */
    public Apps.Running app(int port) {
        for (Apps.Running a : apps) {
            if (a.spec().port() == port) {
                return a;
            }
        }
        return null;
    }

    /** Runs {@code query} on the stack's loop thread and waits for its result (state is owned by the loop). */
    public <T> T onLoop(Supplier<T> query) {
        return onLoop(loop, query);
    }

    /** Runs {@code query} on {@code owner}'s thread (the stack's or the target's loop) and waits for its result. */
    static <T> T onLoop(EventLoop owner, Supplier<T> query) {
        CompletableFuture<T> result = new CompletableFuture<>();
        owner.execute(() -> {
            try {
                result.complete(query.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return await(owner, result);
    }

    private static <T> T await(EventLoop owner, CompletableFuture<T> result) {
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the loop", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re; // as if called here: its message is what the user needs (e.g. an unreadable --serve dir)
            }
            throw new IllegalStateException("query on the loop failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("loop " + owner.name() + " did not answer within 10 s", e);
        }
    }

    /**
     * The host's TCP/IP statistics merged with the offload target's (spec §5.4.4; host figures only without a
     * target), asked on the stack's loop; waits for the target's answer. Safe from any thread but the loops'.
     */
    public ChimneyStatistics statistics() {
        CompletableFuture<ChimneyStatistics> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                stack.statistics(result::complete);
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return await(loop, result);
    }

    /** The offload manager's counter {@code c} (0 without a target); safe from any thread but the loops'. */
    public long offloadCounter(OffloadCounter c) {
        return onLoop(() -> stack.offload() == null ? 0L : stack.offload().counter(c));
    }

    /**
     * Shuts down cleanly (see the class comment); idempotent.
     *
     * @return true if every connection closed within the shutdown timeout
     */
    public boolean shutdown() {
        if (closed) {
            return true;
        }
        closed = true;
        boolean clean;
        try {
            clean = closeConnections();
            summary = onLoop(this::describeTraffic);
        } catch (RuntimeException e) {
            clean = false; // the loop died: nothing left to close cleanly
        }
        try {
            String offload = describeOffload();
            summary = summary.isEmpty() ? offload : summary + "; " + offload;
        } catch (RuntimeException e) {
            // a loop died: the figures so far are all there is
        }
        try {
            String link = onLoop(tapLoop(), this::describeLink);
            summary = summary.isEmpty() ? link : summary + "; " + link;
        } catch (RuntimeException e) {
            // the loop died: the application summary (if any) is all there is
        }
        try {
            // Stops the loop thread, then closes the port (the PcapTap closes the TAP and the capture file).
            stack.close();
        } finally {
            try {
                stopTarget();
            } finally {
                closeAll(List.of(tap));
            }
        }
        return clean;
    }

    /** The loop that owns the TAP: the target's with an offload target, else the stack's. */
    private EventLoop tapLoop() {
        return target == null ? loop : target.loop();
    }

    /** Stops the targets' threads, then closes the ports they owned (TAPs or capture); nothing without a target. */
    private void stopTarget() {
        try {
            if (targetThread != null) {
                try {
                    targetThread.close();
                } finally {
                    if (linkPort != null) {
                        closeAll(List.of(linkPort));
                    }
                }
            }
        } finally {
            if (teamThread != null) {
                try {
                    teamThread.close();
                } finally {
                    closeAll(List.of(teamTap));
                }
            }
        }
    }

    /**
     * "offload all: N connections offloaded (F failed, S stayed on the host), U uploaded back, L lost; tcp in ..."
     * with a target, "tcp in ..." (the host's own statistics) without one.
     */
    private String describeOffload() {
        ChimneyStatistics stats = statistics();
        if (target == null) {
            return stats.summary();
        }
        String counts = onLoop(() -> {
            OffloadManager om = stack.offload();
            return (team == null ? "" : "team: " + team.failovers() + " failovers, member " + team.active()
                    + " active; ") + "offload " + settings.offload() + ": "
                    + om.counter(OffloadCounter.CONNECTIONS_OFFLOADED)
                    + " connections offloaded (" + om.counter(OffloadCounter.CONNECTIONS_OFFLOAD_FAILED)
                    + " failed, " + om.counter(OffloadCounter.STAYED_ON_HOST) + " stayed on the host), "
                    + om.counter(OffloadCounter.CONNECTIONS_UPLOADED) + " uploaded back, "
                    + om.counter(OffloadCounter.CONNECTIONS_LOST) + " lost, " + om.offloadedConnections()
                    + " still offloaded";
        });
        return counts + "; " + stats.summary();
    }

    /** Per application, what it did: "echo:7 1 connection, 100 bytes echoed; ..." (on the loop). */
    private String describeTraffic() {
        StringBuilder sb = new StringBuilder();
        for (Apps.Running a : apps) {
            sb.append(sb.isEmpty() ? "" : "; ").append(a.traffic());
        }
        return sb.toString();
    }

    /**
     * The TAP as both sides count it (call on the loop): frames the stack read and wrote, and the kernel's drops —
     * above all frames it dropped towards the stack because the stack did not drain the TAP in time.
     */
    String describeLink() {
        StringBuilder sb = new StringBuilder("tap ").append(tap.name()).append(": stack read ")
                .append(tap.rxFrames()).append(" frames, wrote ").append(tap.txFrames()).append(" (")
                .append(tap.txDropsFull()).append(" refused: kernel busy)");
        try {
            KernelCounters k = tap.kernelCounters();
            sb.append("; kernel dropped ").append(k.txDropped()).append(" frames towards the stack (queue ")
                    .append(tap.txQueueLength()).append("), ").append(k.rxDropped()).append(" from it");
        } catch (RuntimeException e) {
            sb.append("; kernel counters unavailable (").append(e.getMessage()).append(')');
        }
        return sb.toString();
    }

    /**
     * The kernel's counters for the TAP now (safe from any thread), e.g. {@link KernelCounters#txDropped()}: frames
     * the kernel dropped because the stack did not read them in time.
     */
    public KernelCounters kernelCounters() {
        return tap.kernelCounters();
    }

    /**
     * After {@link #shutdown()}: what each application did (connections, bytes), the offload figures and the merged
     * TCP/IP statistics, then the TAP counters of both sides.
     */
    public String summary() {
        return summary;
    }

    /**
     * Stops accepting, closes every connection with a FIN after its queued bytes, and lets the loop run until they
     * are all closed (TIME_WAIT counts as closed) or the shutdown timeout passes.
     */
    private boolean closeConnections() {
        onLoop(() -> {
            for (Apps.Running a : apps) {
                a.stopAccepting();
            }
            sockets.closeAll();
            return null;
        });
        long deadlineNs = System.nanoTime() + settings.shutdownTimeout().toNanos();
        while (true) {
            int open = onLoop(this::channelsNotDone);
            if (open == 0) {
                return true;
            }
            if (System.nanoTime() - deadlineNs >= 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /**
     * Connections whose FIN the peer has not acknowledged yet. FIN_WAIT_2 counts as done: everything we sent,
     * FIN included, arrived; the peer may keep its half open as long as it likes (RFC 9293 §3.6), and a shutdown
     * must not wait for that.
     */
    private int channelsNotDone() {
        int n = 0;
        for (TcpChannel ch : sockets.openChannelList()) {
            TcpState state = ch.state();
            if (state != TcpState.FIN_WAIT_2 && state != TcpState.TIME_WAIT && state != TcpState.CLOSED) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        shutdown();
    }
}
