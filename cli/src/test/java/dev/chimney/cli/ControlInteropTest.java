package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.cli.control.Json;
import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chimney run --offload all --team chy1 --control PORT} on two TAPs bridged in a test namespace, steered with
 * {@code chimney ctl} while Linux curl downloads a file from it (issue 8 acceptance): pause, upload-all, resume and
 * failover, with {@code ctl connections --json} showing the download's connection go from Offloaded to InHost and
 * back, and from the first NIC to the second at the failover; the download is SHA-256 exact. Needs root; skips with
 * the reason otherwise and fails instead when CI=true.
 */
class ControlInteropTest {
    static final long BYTES = 48L << 20;
    static final String PORT = "7070";

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
        Interop.requireTool("curl", "curl");
    }

    record Ctl(int exitCode, String out, String err) {
    }

    static Ctl ctl(NetNs ns, String... args) {
        List<String> all = new ArrayList<>(List.of("ctl", "--netns", ns.name(), "--control", PORT));
        all.addAll(List.of(args));
        picocli.CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(all.toArray(String[]::new));
        return new Ctl(code, out.toString(), err.toString());
    }

    /** The offload states {@code ctl connections --json} lists for connections to the HTTP port. */
    static List<String> httpStates(NetNs ns) {
        return httpField(ns, "offloadState");
    }

    /** One field of {@code ctl connections --json} for each connection to the HTTP port. */
    static List<String> httpField(NetNs ns, String field) {
        Ctl c = ctl(ns, "connections", "--json");
        assertEquals(0, c.exitCode(), c.toString());
        List<String> values = new ArrayList<>();
        for (Object o : (List<?>) Json.at(Json.parse(c.out()), "connections")) {
            Map<?, ?> m = (Map<?, ?>) o;
            if (((String) m.get("local")).endsWith(":8080")) {
                values.add(String.valueOf(m.get(field)));
            }
        }
        return values;
    }

    static void awaitStates(NetNs ns, String what, Predicate<List<String>> condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<String> last = List.of();
        while (System.nanoTime() < deadline) {
            last = httpStates(ns);
            if (condition.test(last)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("ctl connections never showed " + what + "; last: " + last);
    }

    @Test
    void ctlPausesUploadsResumesAndFailsOverWhileCurlDownloadsByteExact(@TempDir Path dir) throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        Path file = InteropFiles.random(www.resolve("big.bin"), BYTES, 0x8c71L);
        Path out = dir.resolve("big.out");
        try (NetNs ns = NetNs.create();
             ChimneyProcess run = ChimneyProcess.start(ns, Duration.ofSeconds(200), "--tap", "chy0", "--address",
                     "10.77.9.2/24", "--serve", "http:8080:" + www, "--offload", "all", "--team", "chy1",
                     "--control", PORT)) {
            run.awaitStarted(Duration.ofSeconds(30));
            TeamBridge.up(ns, "10.77.9.1/24", null, false);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (ctl(ns, "status").exitCode() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(50); // the control line follows the start line
            }
            assertTrue(run.stdout().contains("control API and dashboard on http://127.0.0.1:" + PORT), run.stdout());

            // about 8 s at 6 MB/s: time for every step below while the bytes flow
            Process curl = ns.spawn(Duration.ofSeconds(120), "curl", "-sS", "--limit-rate", "6M", "-o",
                    out.toString(), "-w", "%{http_code} %{size_download}", "http://10.77.9.2:8080/big.bin");
            awaitStates(ns, "the download offloaded", s -> s.equals(List.of("Offloaded")));

            Ctl pause = ctl(ns, "pause");
            assertEquals(0, pause.exitCode(), pause.toString());
            assertTrue(ctl(ns, "status").out().contains("admission PAUSED"));
            assertEquals(List.of("Offloaded"), httpStates(ns), "PAUSE leaves offloaded connections alone");

            Ctl upload = ctl(ns, "upload-all");
            assertEquals(0, upload.exitCode(), upload.toString());
            assertEquals(List.of("InHost"), httpStates(ns));

            Ctl resume = ctl(ns, "resume");
            assertEquals(0, resume.exitCode(), resume.toString());
            awaitStates(ns, "the download offloaded again", s -> s.equals(List.of("Offloaded")));

            assertEquals(List.of("team-chy0-chy1/nic-chy0"), httpField(ns, "runsOn"));
            Ctl failover = ctl(ns, "failover");
            assertEquals(0, failover.exitCode(), failover.toString());
            assertTrue(failover.out().startsWith("failed over from team-chy0-chy1/nic-chy0 to team-chy0-chy1/nic-chy1"),
                    failover.out());
            awaitStates(ns, "the download offloaded on the new NIC", s -> s.equals(List.of("Offloaded")));
            assertEquals(List.of("team-chy0-chy1/nic-chy1"), httpField(ns, "runsOn"), "the failover moved it");

            assertTrue(curl.waitFor(100, TimeUnit.SECONDS), "curl finished");
            String result = new String(curl.getInputStream().readAllBytes()).strip();
            assertEquals(0, curl.exitValue(), result + new String(curl.getErrorStream().readAllBytes()));
            assertEquals("200 " + BYTES, result);
            assertEquals(InteropFiles.sha256(file), InteropFiles.sha256(out), "byte-exact through every move");
            assertEquals(0, run.terminate(Duration.ofSeconds(20)), run.stderr());
        }
    }
}
