package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.link.PcapReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command. {@code chimney demo}: connections both ways through alice's TCP chimney (a team of two
 * soft NICs), offloaded by policy mid-stream, through PAUSE, UPLOAD_ALL, RESUME (spec §5.1, R-PAUSE-1, R-UPLOAD-1,
 * R-RESUME-4) and a team failover under loss, every byte verified; {@code chimney demo ping}: the ping demo.
 */
class DemoCommandTest {

    /** What one run printed and returned. */
    private record Run(int code, String out, String err) {
        /** The summary's "label value" lines, by label. */
        Map<String, String> summary() {
            Map<String, String> m = new LinkedHashMap<>();
            String text = out.substring(out.indexOf("\nsummary\n") + 1);
            for (String line : text.split("\n")) {
                if (line.startsWith("  ")) {
                    m.put(line.substring(2, 17).trim(), line.substring(18));
                }
            }
            return m;
        }

        /** The summary without its wall-clock line: what the seed alone decides under the simulator. */
        String deterministicSummary() {
            String text = out.substring(out.indexOf("\nsummary\n") + 1);
            return text.replaceAll("(?m)^wall clock .*$", "");
        }
    }

    private static Run execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static Run pass(String... args) {
        Run r = execute(args);
        assertEquals(0, r.code(), () -> "demo exited " + r.code() + ":\n" + r.out() + r.err());
        return r;
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), () -> "no '" + regex + "' in: " + text);
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    @Test
    void theDefaultDemoVerifiesEveryByteThroughPauseUploadAllResumeAndAFailover(@TempDir Path dir) {
        Path pcap = dir.resolve("demo.pcap");
        Run r = pass("demo", "--pcap", pcap.toString());
        Map<String, String> s = r.summary();
        long expected = 2L * 32 * (4 << 20);
        assertEquals("32 (24 over IPv4, 8 over IPv6), every one closed normally", s.get("connections"));
        assertEquals(expected, number(s.get("bytes verified"), "^([\\d,]+) of"));
        assertEquals(expected, number(s.get("bytes verified"), "of ([\\d,]+)"));
        assertTrue(s.get("bytes verified").contains("4 MiB each way"), s.toString());
        // the NIC's PAUSE / UPLOAD_ALL / RESUME and the team's own three for the failover reached the host
        assertEquals("PAUSE 2, UPLOAD_ALL 2, RESUME 2", s.get("indications"));
        assertEquals("1", s.get("failovers"));
        // offloaded by the policy, again after RESUME, again on the new NIC: each time nearly every connection
        long offloads = number(s.get("offloads"), "^(\\d+) connections offloaded");
        long uploads = number(s.get("offloads"), "(\\d+) uploaded");
        assertTrue(offloads >= 2 * 32 && uploads >= 2 * 32, s.get("offloads"));
        assertTrue(number(s.get("frames dropped"), "^([\\d,]+) by bob's link") > 0, "0.5% loss drops frames");
        assertTrue(number(s.get("retransmits"), "^([\\d,]+) segments") > 0, s.get("retransmits"));
        assertTrue(s.get("result").startsWith("PASS"), s.get("result"));
        assertFalse(s.containsKey("not reached"), r.out());
        // every phase was shown, and the capture holds what the summary says
        for (String phase : List.of("CONNECTING", "OFFLOADING", "PAUSED", "UPLOAD_ALL", "RESUMED", "FAILOVER",
                "FINISHING")) {
            assertTrue(r.out().contains("] " + phase), phase + " in:\n" + r.out());
        }
        assertTrue(r.out().contains("admission DRAINED"), r.out());
        assertTrue(r.out().contains("| nic1"), r.out());
        PcapReader.Capture capture = PcapReader.read(pcap);
        assertEquals(number(s.get("capture"), ": ([\\d,]+) frames"), capture.records().size());
        assertEquals(128, capture.snaplen());
    }

    @Test
    void theSummaryFollowsTheOptions(@TempDir Path dir) {
        Run r = pass("demo", "--connections", "6", "--bytes", "300K", "--loss", "1.5", "--seed", "3", "--pcap",
                dir.resolve("x.pcap").toString());
        Map<String, String> s = r.summary();
        assertTrue(s.get("connections").startsWith("6 (5 over IPv4, 1 over IPv6)"), s.get("connections"));
        assertEquals(2L * 6 * 300 * 1024, number(s.get("bytes verified"), "of ([\\d,]+)"));
        assertTrue(s.get("bytes verified").contains("300 KiB each way"), s.get("bytes verified"));
        assertTrue(s.get("frames dropped").contains("(1.5% loss each way)"), s.get("frames dropped"));
        assertTrue(s.get("capture").startsWith(dir.resolve("x.pcap").toString()), s.get("capture"));
        assertTrue(r.out().contains("content seeded by 3"), r.out());
    }

    @Test
    void theSameSeedGivesTheSameSummaryAndCaptureInVirtualTime(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("d.pcap");
        String[] args = {"demo", "--connections", "8", "--bytes", "512K", "--seed", "11", "--pcap", pcap.toString()};
        Run a = pass(args);
        byte[] first = Files.readAllBytes(pcap);
        Run b = pass(args);
        assertEquals(a.deterministicSummary(), b.deterministicSummary());
        assertArrayEquals(first, Files.readAllBytes(pcap));
        args[6] = "12";
        Run c = pass(args);
        assertNotEquals(a.deterministicSummary(), c.deterministicSummary(), "another seed, another run");
        assertFalse(Arrays.equals(first, Files.readAllBytes(pcap)));
    }

    @Test
    void inRealTimeLoopsRunOnThreadsAndEveryByteIsStillVerified(@TempDir Path dir) {
        Run r = pass("demo", "--real-time", "--connections", "4", "--bytes", "1M", "--pcap",
                dir.resolve("r.pcap").toString());
        Map<String, String> s = r.summary();
        assertEquals(2L * 4 * (1 << 20), number(s.get("bytes verified"), "^([\\d,]+) of"));
        assertTrue(s.get("throughput").contains("of real time"), s.get("throughput"));
        assertTrue(s.get("result").startsWith("PASS"), s.get("result"));
    }

    @Test
    void aByteSentWrongIsCaughtAndTheDemoFailsWithOneLine(@TempDir Path dir) {
        // the test hook inverts one byte of connection 0's upload before alice's stack gets it: TCP carries it
        // faithfully, so only the end-to-end check can see it
        Run r = execute("demo", "--connections", "4", "--bytes", "64K", "--tamper-at", "5000", "--pcap",
                dir.resolve("t.pcap").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.contains("byte 5000") && err.contains("connection 0"), err);
        assertTrue(r.summary().get("result").startsWith("FAIL"), r.out());
    }

    @Test
    void badArgumentsGiveOneLineAndExit2WithoutAStackTrace() {
        for (String[] bad : List.of(new String[] {"--connections", "0"}, new String[] {"--loss", "150"},
                new String[] {"--bytes", "x"}, new String[] {"--bytes", "0"}, new String[] {"--loss", "-1"})) {
            String[] args = new String[bad.length + 1];
            args[0] = "demo";
            System.arraycopy(bad, 0, args, 1, bad.length);
            Run r = execute(args);
            assertEquals(2, r.code(), Arrays.toString(bad) + ": " + r.err());
            String err = r.err().strip();
            assertFalse(err.contains("\n"), err);
            assertTrue(err.contains(bad[0]), err);
            assertFalse(err.contains("Exception") || err.contains("\tat "), err);
            assertFalse(r.out().contains("summary"), r.out());
        }
    }

    @Test
    void sizesTakeBinaryUnits() {
        DemoCommand.SizeConverter c = new DemoCommand.SizeConverter();
        assertEquals(4L << 20, c.convert("4M"));
        assertEquals(512L << 10, c.convert("512k"));
        assertEquals(1L << 30, c.convert("1GiB"));
        assertEquals(100_000L, c.convert("100000"));
        assertEquals(3L << 20, c.convert("3MB"));
        for (String bad : List.of("x", "", "M", "-1K", "4T", "99999999999G")) {
            assertThrows(picocli.CommandLine.TypeConversionException.class, () -> c.convert(bad), bad);
        }
    }

    // ------------------------------------------------------------------------------------------- demo ping

    private static String ping(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "demo";
        all[1] = "ping";
        System.arraycopy(args, 0, all, 2, args.length);
        return pass(all).out();
    }

    @Test
    void pingEveryPingIsAnsweredOverBothFamiliesIncludingFragmentedOnes(@TempDir Path dir) {
        String out = ping("--pcap", dir.resolve("a.pcap").toString(), "--count", "3");
        assertTrue(out.contains("6 requests, 6 replies"), out);
        assertTrue(out.contains("bob reassembled 2 datagrams"), out);
        assertTrue(out.contains("from fd77::2: icmp_seq=3"), out);
    }

    @Test
    void pingTheSameSeedWritesTheSamePcapByteForByte(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.pcap");
        Path b = dir.resolve("b.pcap");
        Path c = dir.resolve("c.pcap");
        ping("--seed", "7", "--loss", "0.2", "--pcap", a.toString());
        ping("--seed", "7", "--loss", "0.2", "--pcap", b.toString());
        ping("--seed", "8", "--loss", "0.2", "--pcap", c.toString());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)), "another seed, another run");
    }

    @Test
    void pingBadArgumentsGiveAUsageErrorAndNonZeroExit() {
        Run r = execute("demo", "ping", "--loss", "1.5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--loss"), r.err());
    }
}
