package dev.chimney.cli;

import dev.chimney.cli.control.ControlServer;
import dev.chimney.ip.IpCidr;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code chimney run}: the stack on a real TAP device, serving the built-in applications until SIGINT or SIGTERM,
 * then closing its connections cleanly (FINs out, bounded wait) and exiting 0.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run the stack on a TAP device and serve applications until Ctrl-C / SIGTERM.",
            "",
            "The TAP is created if missing, in the current network namespace, and set up. The kernel reaches the "
                    + "stack only if the TAP's kernel side has an address in the same subnet: add one yourself "
                    + "with 'ip addr add'. Example, all inside a throw-away namespace:",
            "",
            "  ip netns add demo",
            "  ip netns exec demo ./chimney run --tap chy0 --address 10.77.0.2/24 \\",
            "      --serve http:8080:/srv &",
            "  ip netns exec demo ip addr add 10.77.0.1/24 dev chy0",
            "  ip netns exec demo curl http://10.77.0.2:8080/",
            "",
            "Stop it with SIGTERM (kill) or Ctrl-C: connections close with FIN, then exit 0.",
            ""},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:stopped by SIGINT/SIGTERM after a clean shutdown", "1:could not start (privilege, busy "
                + "device, ...)", "2:bad arguments"})
public final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--tap", required = true, paramLabel = "NAME",
            description = "TAP interface to use (created if missing, at most 15 characters).")
    String tap;

    @Option(names = "--netns", paramLabel = "NAME",
            description = "Open the TAP inside this named network namespace (ip netns add NAME) instead of the "
                    + "current one.")
    String netns;

    @Option(names = "--address", required = true, paramLabel = "CIDR",
            description = "An address of the stack with its prefix, IPv4 or IPv6 (repeatable), e.g. 10.77.0.2/24, "
                    + "fd77::2/64.")
    List<String> addresses = new ArrayList<>();

    @Option(names = "--gateway", paramLabel = "IP",
            description = "Default gateway, one per address family (repeatable).")
    List<String> gateways = new ArrayList<>();

    @Option(names = "--mtu", paramLabel = "N", description = "MTU of the TAP and the stack (default ${DEFAULT-VALUE}).")
    int mtu = 1500;

    @Option(names = "--mac", paramLabel = "MAC",
            description = "The stack's MAC (default: a locally administered one derived from the seed and TAP name).")
    String mac;

    @Option(names = "--serve", paramLabel = "APP",
            description = "Serve an application (repeatable): echo:PORT, discard:PORT, chargen:PORT, "
                    + "http:PORT:DIR (static files), iperf3:PORT (for 'iperf3 -c ADDRESS -p PORT', TCP, -R, -P, -t, "
                    + "-n, -b; one test at a time).")
    List<String> serve = new ArrayList<>();

    @Option(names = "--pcap", paramLabel = "FILE", description = "Record every frame in and out to this pcap file.")
    Path pcap;

    @Option(names = "--seed", paramLabel = "N", description = "Root seed of the stack's randomness "
            + "(default ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--tso", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Let the kernel segment and checksum TCP super-frames (virtio-net header, TSO); on by "
                    + "default, off with --no-tso or --pcap. (\"Offload\" in Chimney means the TCP chimney.)")
    boolean tso = true;

    @Option(names = "--tap-queue-len", paramLabel = "FRAMES",
            description = "The kernel's queue of frames towards the stack (the TAP's txqueuelen), set when the TAP "
                    + "opens; 0 keeps the device's. The kernel drops what does not fit while the stack is busy "
                    + "(tx_dropped, reported at shutdown). Default ${DEFAULT-VALUE}.")
    int tapQueueLength = dev.chimney.link.tap.TapOptions.RECOMMENDED_TX_QUEUE_LENGTH;

    @Option(names = "--idle", paramLabel = "STRATEGY",
            description = "What the loop does when it has no work: park (sleep in ppoll until a frame; least CPU, "
                    + "one wake-up per request), spin (a core busy all the time; lowest latency), backoff "
                    + "(spin 50 us, yield 200 us after the last work, then park) or backoff:SPIN_US:YIELD_US. "
                    + "Default ${DEFAULT-VALUE}.")
    String idle = RunSettings.DEFAULT_IDLE;

    @Option(names = "--congestion", paramLabel = "ALGORITHM",
            description = "The congestion controller of every connection: cubic (RFC 9438, Linux's default) or "
                    + "newreno (RFC 5681 / RFC 6582). Default ${DEFAULT-VALUE}.")
    String congestion = "cubic";

    @Option(names = "--offload", paramLabel = "MODE",
            description = "The TCP chimney: none (no offload target; the default), all (a soft offload target on "
                    + "its own thread sits between the TAP and the stack, as a NIC, and runs every connection once "
                    + "its handshake is done), after-bytes:N (connections move to it once they carried N bytes) "
                    + "or explicit (the target in the path as a pass-through, nothing moved). Default "
                    + "${DEFAULT-VALUE}.")
    String offload = RunSettings.DEFAULT_OFFLOAD;

    @Option(names = "--team", paramLabel = "NAME",
            description = "A second TAP bonded with --tap in a team (active-backup, one MAC): each TAP gets a soft "
                    + "offload target on its own thread, and the team moves the chimney from one to the other with "
                    + "PAUSE, UPLOAD_ALL and RESUME ('chimney ctl failover', or by itself when the active TAP's "
                    + "link goes down), announcing the move with gratuitous ARP and unsolicited neighbor "
                    + "advertisements. Needs --offload.")
    String team;

    @Option(names = "--control", paramLabel = "PORT",
            description = "Serve the control API and the live dashboard on 127.0.0.1:PORT of the stack's network "
                    + "namespace (0: any free port, printed at start); see 'chimney ctl'.")
    Integer controlPort;

    @Option(names = "--shutdown-timeout-ms", paramLabel = "MS",
            description = "How long shutdown waits for the peers to acknowledge our FINs (default ${DEFAULT-VALUE}).")
    long shutdownTimeoutMs = 3000;

    /** Builds validated settings from the options; a bad value becomes a usage error naming the option. */
    RunSettings settings() {
        CommandLine cl = spec.commandLine();
        List<IpCidr> cidrs = new ArrayList<>();
        for (String a : addresses) {
            try {
                cidrs.add(IpCidr.parse(a));
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(cl, "--address " + a + ": " + e.getMessage()
                        + " (expected ADDRESS/PREFIX, e.g. 10.77.0.2/24 or fd77::2/64)");
            }
        }
        List<IpAddress> gws = new ArrayList<>();
        for (String g : gateways) {
            try {
                gws.add(IpAddress.parse(g));
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(cl, "--gateway " + g + ": " + e.getMessage());
            }
        }
        List<ServeSpec> specs = new ArrayList<>();
        for (String s : serve) {
            try {
                specs.add(ServeSpec.parse(s));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--serve " + e.getMessage());
            }
        }
        MacAddress macAddress;
        try {
            macAddress = mac == null ? RunSettings.derivedMac(seed, tap) : MacAddress.parse(mac);
        } catch (RuntimeException e) {
            throw new CommandLine.ParameterException(cl, "--mac " + mac + ": " + e.getMessage());
        }
        if (mtu < 68 || mtu > 65535) {
            throw new CommandLine.ParameterException(cl, "--mtu must be 68..65535, got " + mtu);
        }
        try {
            dev.chimney.runtime.IdleStrategy.parse(idle);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--idle " + e.getMessage());
        }
        if (!offload.strip().equals(RunSettings.DEFAULT_OFFLOAD)) {
            try {
                dev.chimney.chimney.host.OffloadPolicy.parse(offload);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--offload must be none, all, after-bytes:N (N bytes "
                        + ">= 0) or explicit, got '" + offload + "'");
            }
        }
        if (tapQueueLength < 0 || tapQueueLength > dev.chimney.link.tap.TapOptions.MAX_TX_QUEUE_LENGTH) {
            throw new CommandLine.ParameterException(cl, "--tap-queue-len must be 0 (keep the device's) or 1.."
                    + dev.chimney.link.tap.TapOptions.MAX_TX_QUEUE_LENGTH + " frames, got " + tapQueueLength);
        }
        dev.chimney.tcp.cc.CongestionControls.Algorithm algorithm = switch (congestion.trim().toLowerCase(
                java.util.Locale.ROOT)) {
            case "cubic" -> dev.chimney.tcp.cc.CongestionControls.Algorithm.CUBIC;
            case "newreno", "reno" -> dev.chimney.tcp.cc.CongestionControls.Algorithm.NEWRENO;
            default -> throw new CommandLine.ParameterException(cl, "--congestion must be cubic or newreno, got '"
                    + congestion + "'");
        };
        try {
            return new RunSettings(tap, netns, cidrs, gws, mtu, macAddress, specs, pcap, seed,
                    Duration.ofMillis(shutdownTimeoutMs), tso, tapQueueLength, idle, offload, team, algorithm);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        RunSettings settings = settings();
        if (controlPort != null && (controlPort < 0 || controlPort > 65535)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--control must be 0..65535, got "
                    + controlPort);
        }
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        // the control port is bound before the TAP opens, so a port in use fails with nothing to undo
        try (ControlServer control = controlPort == null ? null : ControlServer.bind(controlPort, settings.netns());
                StackRunner runner = StackRunner.start(settings)) {
            out.println(runner.describe());
            if (control != null) {
                control.attach(runner.stack());
                out.println("chimney run: control API and dashboard on " + control.url() + " (chimney ctl --control "
                        + control.port() + (settings.netns() == null ? "" : " --netns " + settings.netns()) + ")");
            }
            out.flush();
            stop.await();
            boolean clean = runner.shutdown();
            out.println((clean ? "chimney run: stopped, all connections closed"
                    : "chimney run: stopped, some connections did not close within " + settings.shutdownTimeout())
                    + (runner.summary().isEmpty() ? "" : "; " + runner.summary()));
            out.flush();
        }
        return 0;
    }
}
