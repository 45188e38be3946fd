package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.wire.MacAddress;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code chimney run} argument handling: every mistake is one line on stderr and exit 2, before any TAP opens. */
class RunCommandTest {

    private record Outcome(int exitCode, String out, String err) {
    }

    private static Outcome run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private static void assertUsageError(String expectedFragment, String... args) {
        Outcome o = run(args);
        assertEquals(2, o.exitCode(), "exit code for " + String.join(" ", args) + ": " + o);
        String err = o.err().strip();
        assertEquals(1, err.lines().count(), "one line on stderr, got: " + err);
        assertTrue(err.startsWith("chimney run: ") && err.contains(expectedFragment), err);
        assertTrue(!err.contains("Exception") && !err.contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void badArgumentsAreOneLineErrorsWithExitTwo(@TempDir Path dir) {
        assertUsageError("--tap", "run", "--address", "10.77.0.2/24");
        assertUsageError("--address", "run", "--tap", "chy0");
        assertUsageError("prefix length", "run", "--tap", "chy0", "--address", "10.77.0.2/33");
        assertUsageError("--address nonsense", "run", "--tap", "chy0", "--address", "nonsense");
        assertUsageError("not on any --address subnet", "run", "--tap", "chy0", "--address", "10.77.0.2/24",
                "--gateway", "10.78.0.1");
        assertUsageError("at most one --gateway", "run", "--tap", "chy0", "--address", "10.77.0.2/24",
                "--gateway", "10.77.0.1", "--gateway", "10.77.0.3");
        assertUsageError("unknown application 'ftp'", "run", "--tap", "chy0", "--address", "10.77.0.2/24",
                "--serve", "ftp:21");
        assertUsageError("outside 1..65535", "run", "--tap", "chy0", "--address", "10.77.0.2/24",
                "--serve", "echo:70000");
        assertUsageError("not a directory", "run", "--tap", "chy0", "--address", "10.77.0.2/24",
                "--serve", "http:8080:" + dir.resolve("missing"));
        assertUsageError("served twice", "run", "--tap", "chy0", "--address", "10.77.0.2/24",
                "--serve", "echo:7", "--serve", "discard:7");
        assertUsageError("--mtu", "run", "--tap", "chy0", "--address", "10.77.0.2/24", "--mtu", "40");
        assertUsageError("unicast", "run", "--tap", "chy0", "--address", "10.77.0.2/24", "--mac",
                "01:00:5e:00:00:01");
        assertUsageError("--idle idle strategy 'fast' is not one of park, spin, backoff", "run", "--tap", "chy0",
                "--address", "10.77.0.2/24", "--idle", "fast");
        assertUsageError("--tap-queue-len must be 0 (keep the device's) or 1..", "run", "--tap", "chy0",
                "--address", "10.77.0.2/24", "--tap-queue-len", "-5");
        for (String bad : new String[] {"some", "after-bytes:", "after-bytes:lots", "after-bytes:-1", "ALL", ""}) {
            assertUsageError("--offload must be none, all, after-bytes:N (N bytes >= 0) or explicit, got '" + bad
                    + "'", "run", "--tap", "chy0", "--address", "10.77.0.2/24", "--offload", bad);
        }
    }

    @Test
    void offloadIsNoneByDefaultAndTakesAllAfterBytesOrExplicit() {
        RunSettings plain = parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24");
        assertEquals("none", plain.offload());
        assertTrue(!plain.offloadTarget(), "no target in the path by default");
        RunSettings all = parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24", "--offload", "all");
        assertTrue(all.offloadTarget());
        assertEquals(dev.chimney.chimney.host.OffloadPolicy.Mode.ALL_ESTABLISHED, all.offloadPolicy().mode());
        RunSettings after = parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24", "--offload",
                "after-bytes:1048576");
        assertEquals(dev.chimney.chimney.host.OffloadPolicy.Mode.AFTER_BYTES, after.offloadPolicy().mode());
        assertEquals(1048576, after.offloadPolicy().afterBytes());
        RunSettings explicit = parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24", "--offload", "explicit");
        assertTrue(explicit.offloadTarget(), "explicit: the target is in the path as a pass-through");
        assertEquals(dev.chimney.chimney.host.OffloadPolicy.Mode.EXPLICIT, explicit.offloadPolicy().mode());
        assertEquals("all", plain.withOffload("all").inNetns("x").withIdle("spin").offload(), "kept by with*");
        assertThrows(IllegalArgumentException.class, () -> plain.withOffload("sometimes"));
    }

    @Test
    void teamTakesASecondTapAndNeedsAnOffloadTarget() {
        RunSettings team = parsed("run", "--tap", "chy0", "--team", "chy1", "--address", "10.77.0.2/24", "--offload",
                "all");
        assertEquals("chy1", team.teamTap());
        assertEquals("chy1", team.withIdle("spin").withOffload("explicit").teamTap(), "kept by with*");
        assertEquals(null, parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24").teamTap());
        assertUsageError("--team chy1 bonds two offload targets: give --offload", "run", "--tap", "chy0", "--team",
                "chy1", "--address", "10.77.0.2/24");
        assertUsageError("--team must name another TAP than --tap", "run", "--tap", "chy0", "--team", "chy0",
                "--address", "10.77.0.2/24", "--offload", "all");
        Outcome help = run("run", "--help");
        assertTrue(help.out().contains("--team") && help.out().contains("failover"), help.out());
    }

    @Test
    void helpDocumentsTheOffloadOption() {
        Outcome o = run("run", "--help");
        assertTrue(o.out().contains("--offload") && o.out().contains("after-bytes:N"), o.out());
    }

    @Test
    void helpExplainsTheKernelSideAddress() {
        Outcome o = run("run", "--help");
        assertEquals(0, o.exitCode(), o.toString());
        assertTrue(o.out().contains("ip addr add") && o.out().contains("--serve"), o.out());
        assertTrue(o.out().contains("iperf3:PORT"), o.out());
    }

    @Test
    void serveSpecsParse(@TempDir Path dir) {
        assertEquals(new ServeSpec(ServeSpec.Kind.ECHO, 7, null), ServeSpec.parse("echo:7"));
        assertEquals(new ServeSpec(ServeSpec.Kind.CHARGEN, 19, null), ServeSpec.parse("CHARGEN:19"));
        assertEquals(new ServeSpec(ServeSpec.Kind.IPERF3, 5201, null), ServeSpec.parse("iperf3:5201"));
        assertThrows(IllegalArgumentException.class, () -> ServeSpec.parse("iperf3:5201:/tmp"));
        ServeSpec http = ServeSpec.parse("http:8080:" + dir);
        assertEquals(ServeSpec.Kind.HTTP, http.kind());
        assertEquals(dir.toAbsolutePath().normalize(), http.directory());
        assertThrows(IllegalArgumentException.class, () -> ServeSpec.parse("echo"));
        assertThrows(IllegalArgumentException.class, () -> ServeSpec.parse("echo:7:/tmp"));
        assertThrows(IllegalArgumentException.class, () -> ServeSpec.parse("http:80"));
        assertThrows(IllegalArgumentException.class, () -> ServeSpec.parse("discard:0"));
    }

    @Test
    void derivedMacIsLocallyAdministeredUnicastStablePerSeedAndDevice() {
        for (long seed = 0; seed < 200; seed++) {
            MacAddress mac = RunSettings.derivedMac(seed, "chy0");
            long firstOctet = mac.bits() >>> 40;
            assertEquals(0x02, firstOctet & 0x03, "seed " + seed + ": locally administered unicast " + mac);
            assertEquals(mac, RunSettings.derivedMac(seed, "chy0"), "seed " + seed);
        }
        assertNotEquals(RunSettings.derivedMac(1, "chy0"), RunSettings.derivedMac(1, "chy1"));
        assertNotEquals(RunSettings.derivedMac(1, "chy0"), RunSettings.derivedMac(2, "chy0"));
    }

    private static RunSettings parsed(String... args) {
        CommandLine cli = Main.commandLine();
        CommandLine.ParseResult result = cli.parseArgs(args);
        RunCommand run = (RunCommand) result.subcommand().commandSpec().userObject();
        return run.settings();
    }

    @Test
    void tsoIsOnByDefaultOffWithNoTsoAndWithACapture(@TempDir Path dir) {
        RunSettings plain = parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24");
        assertTrue(plain.tso() && plain.tsoInEffect(), plain.toString());
        RunSettings off = parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24", "--no-tso");
        assertTrue(!off.tso() && !off.tsoInEffect(), off.toString());
        RunSettings captured = parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24", "--pcap",
                dir.resolve("x.pcap").toString());
        assertTrue(captured.tso() && !captured.tsoInEffect(), "a capture records real frames: " + captured);
        assertEquals(RunSettings.derivedMac(1, "chy0"), plain.mac(), "default MAC from seed 1 and the TAP name");
        assertEquals(MacAddress.parse("02:00:00:00:00:07"),
                parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24", "--mac", "02:00:00:00:00:07").mac());
    }

    @Test
    void tapQueueLengthAndIdleStrategyHaveDefaultsAndCanBeSet() {
        RunSettings plain = parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24");
        assertEquals(dev.chimney.link.tap.TapOptions.RECOMMENDED_TX_QUEUE_LENGTH, plain.tapQueueLength());
        assertEquals("backoff", plain.idle());
        RunSettings set = parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24", "--tap-queue-len", "0",
                "--idle", "backoff:10:20");
        assertEquals(0, set.tapQueueLength(), "0 keeps the device's queue length");
        assertEquals("backoff:10:20", set.idle());
        assertEquals("spin", parsed("run", "--tap", "chy0", "--address", "10.77.0.2/24", "--idle", "spin").idle());
        assertThrows(IllegalArgumentException.class, () -> plain.withIdle("backoff:1"));
        assertThrows(IllegalArgumentException.class, () -> plain.withTapQueueLength(-1));
        assertEquals(300, plain.withTapQueueLength(300).inNetns("x").tapQueueLength(), "kept by inNetns");
    }

    @Test
    void helpDocumentsTheQueueAndIdleOptions() {
        Outcome o = run("run", "--help");
        assertTrue(o.out().contains("--tap-queue-len") && o.out().contains("tx_dropped"), o.out());
        assertTrue(o.out().contains("--idle") && o.out().contains("backoff:SPIN_US:YIELD_US"), o.out());
    }
}
