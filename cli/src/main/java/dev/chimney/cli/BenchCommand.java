package dev.chimney.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code chimney bench}: the end-to-end benchmarks that need no root, each figure printed beside the baseline it is
 * measured against in the same run, as {@code figure | chimney | baseline | ratio} (ratio = chimney / baseline).
 *
 * <p>The cases are the bench module's harness mains ({@code ChimneyBench}, {@code SocketBench}), each run in a JVM
 * of its own, exactly as {@code bench/run-chimney.sh} and {@code bench/run-socket.sh} run them: a fresh JVM per case
 * keeps one case's heap and JIT state out of the next one's figure, and the harness stays in one place, so the
 * scripts and this command measure the same thing. The harness classes come from the class path ({@code ./chimney
 * bench} builds {@code bench/target/benchmarks.jar} and adds it); this module does not depend on the bench module,
 * so the command-line jar carries no JMH. The TAP figures need root and Linux peers in namespaces; {@code --tap}
 * runs the scripts that measure them.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run the in-memory end-to-end benchmarks; print each figure beside its baseline.")
public final class BenchCommand implements Callable<Integer> {
    static final String CHIMNEY_BENCH = "dev.chimney.bench.host.ChimneyBench";
    static final String SOCKET_BENCH = "dev.chimney.bench.socket.SocketBench";
    /** Case groups, in the order they run; {@code --only} takes one of these or a prefix before a dash. */
    static final List<String> GROUPS = List.of("memory-send", "memory-receive", "heap", "socket");

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "Small sizes, one run per case: a smoke run of 10-20 seconds whose "
            + "figures show the shape, not the speed.")
    boolean quick;

    @Option(names = "--only", split = ",", paramLabel = "NAME", description = "Run only these cases: "
            + "memory-send, memory-receive, heap, socket (memory = both memory cases); repeatable.")
    List<String> only = new ArrayList<>();

    @Option(names = "--repeat", paramLabel = "N", description = "Runs per throughput case, the median is shown "
            + "(default 3; 1 with --quick).")
    Integer repeat;

    @Option(names = "--bytes", paramLabel = "N", description = "Bytes per in-memory transfer (default 500000000; "
            + "10000000 with --quick).")
    Long bytes;

    @Option(names = "--tap", description = "Also run the TAP figures (needs root): bench/run-throughput.sh and "
            + "bench/run-chimney.sh, Linux peers in namespaces of their own, with --repeat and --bytes passed on.")
    boolean tap;

    private final Harness harness;

    public BenchCommand() {
        this(new OwnJvm());
    }

    /** For tests: a harness that does not start JVMs. */
    BenchCommand(Harness harness) {
        this.harness = harness;
    }

    /** Runs one harness case and returns the fields of its {@code RESULT} line. */
    @FunctionalInterface
    interface Harness {
        Map<String, String> run(String mainClass, List<String> jvmOptions, List<String> args) throws Exception;

        /** Fails with a one-line reason when the harness cannot run at all (checked before anything is printed). */
        default void checkAvailable() {
        }
    }

    /** The harness mains in JVMs of their own, on this JVM's class path. */
    private static final class OwnJvm implements Harness {
        @Override
        public Map<String, String> run(String mainClass, List<String> jvmOptions, List<String> args)
                throws Exception {
            return runInOwnJvm(mainClass, jvmOptions, args);
        }

        @Override
        public void checkAvailable() {
            for (String main : List.of(CHIMNEY_BENCH, SOCKET_BENCH)) {
                try {
                    Class.forName(main, false, BenchCommand.class.getClassLoader());
                } catch (ClassNotFoundException e) {
                    throw new IllegalStateException("the bench harness (" + main + ") is not on the class path; "
                            + "run ./chimney bench, which builds bench/target/benchmarks.jar and adds it", e);
                }
            }
        }
    }

    /** One printed row: the chimney's figure, its baseline and what the baseline is. */
    record Row(String figure, String format, double chimney, double baseline) {
        double ratio() {
            return chimney / baseline;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        for (String name : only) {
            if (GROUPS.stream().noneMatch(g -> selects(name, g))) {
                throw new ParameterException(spec.commandLine(), "--only: unknown case '" + name + "'; use one of "
                        + String.join(", ", GROUPS) + " or memory");
            }
        }
        int runs = repeat != null ? repeat : quick ? 1 : 3;
        long transfer = bytes != null ? bytes : quick ? 10_000_000L : 500_000_000L;
        if (runs < 1 || transfer < 1_000_000) {
            throw new ParameterException(spec.commandLine(), "--repeat must be >= 1 and --bytes >= 1000000");
        }
        harness.checkAvailable();
        if (tap && !isRoot()) {
            throw new IllegalStateException("--tap needs root (CAP_NET_ADMIN) for the namespaces and TAP devices; "
                    + "run without --tap for the in-memory figures");
        }
        out.printf(Locale.ROOT, "chimney bench%s: in memory, no root needed; %d run%s per throughput case (median), "
                + "%d bytes per transfer%n", quick ? " --quick" : "", runs, runs == 1 ? "" : "s", transfer);
        out.printf(Locale.ROOT, "%-66s | %10s | %10s | %6s%n", "figure", "chimney", "baseline", "ratio");
        out.println("-".repeat(66) + "-+-" + "-".repeat(10) + "-+-" + "-".repeat(10) + "-+-" + "-".repeat(6));
        out.flush();
        List<Row> rows = new ArrayList<>();
        for (String group : GROUPS) {
            if (!only.isEmpty() && only.stream().noneMatch(n -> selects(n, group))) {
                continue;
            }
            for (Row row : measure(group, runs, transfer)) {
                rows.add(row);
                out.printf(Locale.ROOT, "%-66s | %10s | %10s | %6.2f%n", row.figure(),
                        String.format(Locale.ROOT, row.format(), row.chimney()),
                        String.format(Locale.ROOT, row.format(), row.baseline()), row.ratio());
                out.flush();
            }
        }
        out.println("ratio = chimney / baseline, each pair measured the same way in the same run. 'host path': the "
                + "same");
        out.println("connection through the soft target as a pass-through NIC; 'no target': the host alone; "
                + "'kernel':");
        out.println("java.net sockets over the kernel's loopback. Figures and what limits them: bench/CHIMNEY.md.");
        if (!tap) {
            out.println("TAP figures (Linux peers over a TAP device) need root: chimney bench --tap, or "
                    + "bench/run-throughput.sh and bench/run-chimney.sh.");
            out.flush();
            return 0;
        }
        out.println("TAP figures (root): bench/run-throughput.sh, then bench/run-chimney.sh");
        out.flush();
        for (String script : List.of("bench/run-throughput.sh", "bench/run-chimney.sh")) {
            int code = runScript(script, runs, bytes);
            if (code != 0) {
                throw new IllegalStateException(script + " exited " + code);
            }
        }
        return 0;
    }

    /** {@code name} selects {@code group} when it is the group or the part of it before a dash ("memory"). */
    static boolean selects(String name, String group) {
        return group.equals(name) || group.startsWith(name + "-");
    }

    private List<Row> measure(String group, int runs, long transfer) throws Exception {
        List<String> jvm = quick ? List.of("-Xms256m", "-Xmx512m") : List.of("-Xms1g", "-Xmx1g",
                "-XX:+UseParallelGC");
        switch (group) {
            case "memory-send", "memory-receive" -> {
                String direction = group.substring("memory-".length());
                String who = direction.equals("send") ? "A sends" : "A receives";
                Map<String, Double> gbps = new LinkedHashMap<>();
                for (String mode : List.of("offload", "host", "none")) {
                    double[] values = new double[runs];
                    for (int i = 0; i < runs; i++) {
                        values[i] = number(harness.run(CHIMNEY_BENCH, jvm, List.of("memory", "--mode", mode,
                                "--direction", direction, "--bytes", Long.toString(transfer))), "gbps");
                    }
                    gbps.put(mode, median(values));
                }
                return List.of(
                        new Row("in memory, " + who + ", Gbit/s: offloaded vs host path", "%.3f",
                                gbps.get("offload"), gbps.get("host")),
                        new Row("in memory, " + who + ", Gbit/s: offloaded vs no target", "%.3f",
                                gbps.get("offload"), gbps.get("none")));
            }
            case "heap" -> {
                int connections = quick ? 500 : 4000;
                List<String> heapJvm = quick ? jvm : List.of("-Xms2g", "-Xmx2g");
                Map<String, String> r = harness.run(CHIMNEY_BENCH, heapJvm, List.of("heap", "--connections",
                        Integer.toString(connections)));
                return List.of(new Row("heap per connection, bytes: offloaded vs host only (lower: better)",
                        "%.0f", number(r, "offloaded_bytes"), number(r, "host_only_bytes")));
            }
            case "socket" -> {
                List<String> args = quick ? List.of("--bytes", Integer.toString(4 << 20), "--rounds", "1",
                        "--pings", "1000") : List.of();
                Map<String, String> r = harness.run(SOCKET_BENCH, jvm, args);
                return List.of(
                        new Row("sockets, bulk MB/s: blocking TcpSocket vs kernel", "%.1f",
                                number(r, "blocking_mbps"), number(r, "kernel_mbps")),
                        new Row("sockets, round trip, us: TcpSocket vs kernel (lower: better)", "%.1f",
                                number(r, "blocking_rtt_us"), number(r, "kernel_rtt_us")));
            }
            default -> throw new IllegalArgumentException("no case " + group);
        }
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(sorted.length - 1) / 2];
    }

    static double number(Map<String, String> result, String field) {
        String value = result.get(field);
        if (value == null) {
            throw new IllegalStateException("the harness's RESULT line has no " + field + ": " + result);
        }
        return Double.parseDouble(value);
    }

    /** The fields of the last {@code RESULT case key=value ...} line of a harness's output. */
    static Map<String, String> parseResult(String output) {
        Map<String, String> fields = null;
        for (String line : output.split("\n")) {
            if (line.startsWith("RESULT ")) {
                fields = new LinkedHashMap<>();
                for (String token : line.trim().split("\\s+")) {
                    int eq = token.indexOf('=');
                    if (eq > 0) {
                        fields.put(token.substring(0, eq), token.substring(eq + 1));
                    }
                }
            }
        }
        return fields;
    }

    /**
     * Runs a harness main in a JVM of its own on this JVM's class path (./chimney puts the bench jar there), and
     * returns its RESULT fields; a failed case is one line naming the case and the harness's last complaint.
     */
    static Map<String, String> runInOwnJvm(String mainClass, List<String> jvmOptions, List<String> args)
            throws Exception {
        String classPath = System.getProperty("java.class.path");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath, mainClass));
        command.addAll(args);
        Path err = Files.createTempFile("chimney-bench", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
            Map<String, String> result = parseResult(output);
            String what = mainClass.substring(mainClass.lastIndexOf('.') + 1) + " " + String.join(" ", args);
            if (p.exitValue() != 0 || result == null) {
                List<String> lines = Files.readAllLines(err).stream().filter(l -> !l.isBlank()).toList();
                String reason = lines.stream().filter(l -> l.startsWith("Exception") || l.contains("Exception: "))
                        .findFirst().orElse(lines.isEmpty() ? "no RESULT line" : lines.getLast());
                throw new IllegalStateException(what + " failed (exit " + p.exitValue() + "): " + reason.strip());
            }
            return result;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Runs a bench script from the checkout (./chimney sets chimney.home), its output straight to ours: REPEAT runs
     * per figure, and {@code --bytes} as the script's bytes per transfer when given.
     */
    private static int runScript(String script, int runs, Long bytes) throws Exception {
        Path home = Path.of(System.getProperty("chimney.home", "."));
        Path file = home.resolve(script);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " not found: run ./chimney bench --tap from the checkout");
        }
        List<String> command = new ArrayList<>(List.of("bash", file.toString()));
        if (bytes != null) {
            command.add(Long.toString(bytes));
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).inheritIO();
        pb.environment().put("REPEAT", Integer.toString(runs));
        return pb.start().waitFor();
    }
}
