package dev.chimney.cli;

import dev.chimney.cli.demo.ChimneyDemo;
import dev.chimney.cli.demo.DemoResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code chimney demo}: the TCP chimney at work on the in-memory network ({@link ChimneyDemo}). Alice offloads her
 * connections to a team of two soft NICs; bob, behind a lossy link, is the peer; every connection carries seeded
 * content both ways, checked byte by byte, while the NIC raises PAUSE, UPLOAD_ALL and RESUME and the team fails over.
 * A live progress line while it runs, a summary at the end, a capture of bob's link. Exit 0 only when every byte was
 * verified and every connection closed normally; 1 with a one-line reason otherwise. {@code chimney demo ping} is
 * the first demo: two stacks pinging each other.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, subcommands = PingDemoCommand.class,
        description = {"Show the TCP chimney: many connections both ways, offloaded mid-stream to a team of two "
                + "soft NICs, through PAUSE, UPLOAD_ALL, RESUME and a team failover under loss; every byte verified.",
            "'chimney demo ping' runs the ping demo instead."})
public final class DemoCommand implements Callable<Integer> {
    static final long MAX_BYTES = 1L << 30;
    static final int MAX_CONNECTIONS = 10_000;
    static final double MAX_LOSS_PERCENT = 50;

    @Spec
    CommandSpec spec;

    @Option(names = "--connections", paramLabel = "N",
            description = "Connections alice opens to bob (1..10000, default ${DEFAULT-VALUE}).")
    int connections = 32;

    @Option(names = "--bytes", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Bytes each way on each connection, e.g. 4M, 512K, 100000 (default 4M).")
    long bytes = 4L << 20;

    @Option(names = "--loss", paramLabel = "PCT",
            description = "Frame loss on bob's link, each way, in percent (0..50, default ${DEFAULT-VALUE}).")
    double lossPercent = 0.5;

    @Option(names = "--seed", paramLabel = "S", description = "Root seed of the run (default ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--pcap", paramLabel = "FILE",
            description = "Capture file of bob's link, headers only (default ${DEFAULT-VALUE}).")
    Path pcap = Path.of("demo.pcap");

    @Option(names = "--real-time",
            description = "Run each host, NIC and the switch on a thread with the real clock (default: virtual time "
                    + "under the simulator: deterministic, as fast as the CPU allows).")
    boolean realTime;

    /** Test hook: alice sends this byte of connection 0's upload inverted; the verification must catch it. */
    @Option(names = "--tamper-at", hidden = true, paramLabel = "OFFSET")
    long tamperAt = -1;

    @Override
    public Integer call() {
        if (connections < 1 || connections > MAX_CONNECTIONS) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--connections must be 1.."
                    + MAX_CONNECTIONS + ", got " + connections);
        }
        if (bytes < 1 || bytes > MAX_BYTES) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--bytes must be 1 byte..1G, got " + bytes);
        }
        if (!(lossPercent >= 0 && lossPercent <= MAX_LOSS_PERCENT)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--loss is a percentage of frames, 0.."
                    + (int) MAX_LOSS_PERCENT + ", got " + lossPercent);
        }
        Path dir = pcap.toAbsolutePath().getParent();
        if (dir != null && !java.nio.file.Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pcap " + pcap + ": there is no directory "
                    + dir);
        }
        PrintWriter out = spec.commandLine().getOut();
        ChimneyDemo.Settings settings = new ChimneyDemo.Settings(connections, bytes, lossPercent, seed, pcap,
                realTime, tamperAt);
        out.printf(Locale.ROOT, "chimney demo: alice offloads to a team of two soft NICs (nic0, nic1) on a virtual "
                + "switch; bob is on a link losing %s%% of frames each way%n", trim(lossPercent));
        out.printf(Locale.ROOT, "%d connections, %s each way on each, content seeded by %d and checked byte by byte; "
                + "%s%n", connections, DemoResult.size(bytes), seed, realTime ? "real time, loops on threads"
                : "virtual time (the same seed gives the same run)");
        out.flush();
        DemoResult result;
        try (ChimneyDemo demo = new ChimneyDemo(settings)) {
            result = demo.run(new DemoProgress(out, isTerminal(), connections));
        }
        result.print(out);
        out.flush();
        if (!result.passed()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("chimney demo: " + result.failure());
            err.flush();
            return 1;
        }
        return 0;
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    /** A terminal gets one progress line rewritten in place; a pipe or file a line per phase and per second. */
    private static boolean isTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** Parses 4M, 512K, 1G, 100000 (binary units, an optional B or iB after the letter). */
    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String v = value.trim().toUpperCase(Locale.ROOT);
            if (v.endsWith("IB")) {
                v = v.substring(0, v.length() - 2);
            } else if (v.endsWith("B")) {
                v = v.substring(0, v.length() - 1);
            }
            int shift = 0;
            if (!v.isEmpty()) {
                switch (v.charAt(v.length() - 1)) {
                    case 'K' -> shift = 10;
                    case 'M' -> shift = 20;
                    case 'G' -> shift = 30;
                    default -> shift = -1;
                }
                if (shift >= 0) {
                    v = v.substring(0, v.length() - 1);
                } else {
                    shift = 0;
                }
            }
            try {
                long n = Long.parseLong(v.trim());
                if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
                    throw new NumberFormatException();
                }
                return n << shift;
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size; give bytes, or a "
                        + "number with K, M or G (e.g. 4M)");
            }
        }
    }
}
