package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code chimney bench} with a stand-in harness (no JVMs started): the table's rows come from the harness's RESULT
 * fields and every ratio is chimney / baseline of those. The bench module's {@code BenchCommandQuickTest} runs the
 * real harness.
 */
class BenchCommandTest {
    private static final Pattern ROW = Pattern.compile("^(.+?)\\s+\\|\\s+([0-9.]+)\\s+\\|\\s+([0-9.]+)\\s+\\|"
            + "\\s+([0-9.]+)$", Pattern.MULTILINE);

    /** Answers each case with figures that depend on the case, and records the calls. */
    private static final class FakeHarness implements BenchCommand.Harness {
        final List<String> calls = new ArrayList<>();

        @Override
        public Map<String, String> run(String mainClass, List<String> jvmOptions, List<String> args) {
            calls.add(mainClass.substring(mainClass.lastIndexOf('.') + 1) + " " + String.join(" ", args));
            if (mainClass.equals(BenchCommand.SOCKET_BENCH)) {
                return Map.of("blocking_mbps", "300.0", "kernel_mbps", "1200.0", "blocking_rtt_us", "45.0",
                        "kernel_rtt_us", "30.0");
            }
            if (args.getFirst().equals("heap")) {
                return Map.of("host_only_bytes", "2000", "offloaded_bytes", "7000");
            }
            String mode = args.get(args.indexOf("--mode") + 1);
            boolean send = args.contains("send");
            double gbps = switch (mode) {
                case "offload" -> send ? 3.0 : 2.4;
                case "host" -> send ? 1.5 : 3.2;
                default -> 4.0;
            };
            // the run number changes the figure so the median is a real choice among several
            gbps += 0.001 * (calls.size() % 3);
            return Map.of("gbps", Double.toString(gbps));
        }
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(BenchCommand.Harness harness, String... args) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine cli = Main.commandLine(new CommandLine.IFactory() {
            @Override
            @SuppressWarnings("unchecked")
            public <K> K create(Class<K> type) throws Exception {
                return type == BenchCommand.class ? (K) new BenchCommand(harness) : defaults.create(type);
            }
        });
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of("bench"));
        all.addAll(List.of(args));
        int code = cli.execute(all.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void everyRatioIsTheChimneyFigureOverItsBaselineFromTheHarness() {
        FakeHarness harness = new FakeHarness();
        Result r = run(harness, "--quick");
        assertEquals(0, r.code(), r.err());
        assertTrue(Pattern.compile("^figure\\s+\\|\\s+chimney\\s+\\|\\s+baseline\\s+\\|\\s+ratio$",
                Pattern.MULTILINE).matcher(r.out()).find(), r.out());
        Matcher m = ROW.matcher(r.out());
        int rows = 0;
        while (m.find()) {
            rows++;
            double chimney = Double.parseDouble(m.group(2));
            double baseline = Double.parseDouble(m.group(3));
            assertEquals(chimney / baseline, Double.parseDouble(m.group(4)), 0.006, m.group());
        }
        assertEquals(7, rows, r.out()); // 2 send + 2 receive + heap + 2 socket
        assertTrue(r.out().contains("A sends, Gbit/s: offloaded vs host path") && r.out().contains("2.00"), r.out());
        assertTrue(r.out().contains("7000") && r.out().contains("3.50"), r.out());
        assertTrue(r.out().contains("0.25"), "300 / 1200 MB/s: " + r.out());
        assertTrue(r.out().contains("need root: chimney bench --tap"), r.out());
        assertEquals(3 * 2 + 2, harness.calls.size(), harness.calls.toString()); // quick: one run per case
    }

    @Test
    void repeatTakesTheMedianOfTheRuns() {
        FakeHarness harness = new FakeHarness();
        Result r = run(harness, "--only", "memory-send", "--repeat", "3", "--bytes", "2000000");
        assertEquals(0, r.code(), r.err());
        assertEquals(9, harness.calls.size(), harness.calls.toString());
        assertTrue(harness.calls.getFirst().contains("--bytes 2000000"), harness.calls.toString());
        // offload runs are calls 1..3, figures 3.001, 3.002, 3.000: the median is 3.001
        assertTrue(r.out().contains("3.001"), r.out());
        assertTrue(!r.out().contains("A receives"), r.out());
    }

    @Test
    void onlySelectsByNameOrPrefix() {
        FakeHarness harness = new FakeHarness();
        Result r = run(harness, "--quick", "--only", "memory,heap");
        assertEquals(0, r.code(), r.err());
        assertEquals(7, harness.calls.size(), harness.calls.toString());
        assertTrue(!r.out().contains("sockets, bulk"), r.out());
    }

    @Test
    void anUnknownCaseIsOneLineAndExit2() {
        Result r = run(new FakeHarness(), "--only", "warp");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown case 'warp'") && r.err().strip().lines().count() == 1, r.err());
    }

    @Test
    void aFailedCaseIsOneLineAndExit1() {
        Result r = run((main, jvm, args) -> {
            throw new IllegalStateException("ChimneyBench memory failed (exit 1): transfer incomplete");
        }, "--quick");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("transfer incomplete") && r.err().strip().lines().count() == 1, r.err());
    }

    @Test
    void aMissingHarnessIsOneLineBeforeAnyOutput() {
        BenchCommand.Harness missing = new BenchCommand.Harness() {
            @Override
            public Map<String, String> run(String mainClass, List<String> jvmOptions, List<String> args) {
                throw new AssertionError("must not run");
            }

            @Override
            public void checkAvailable() {
                throw new IllegalStateException("the bench harness is not on the class path; run ./chimney bench");
            }
        };
        Result r = run(missing, "--quick");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().contains("not on the class path") && r.err().strip().lines().count() == 1, r.err());
    }

    @Test
    void theResultLineIsParsedIntoFields() {
        Map<String, String> f = BenchCommand.parseResult("warming up\nRESULT memory mode=host gbps=1.250 x\n");
        assertEquals("1.250", f.get("gbps"));
        assertEquals("host", f.get("mode"));
        assertNull(BenchCommand.parseResult("no result here\n"));
    }
}
