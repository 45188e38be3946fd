package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's first command: {@code chimney demo} pings over IPv4 and IPv6 and writes a replayable pcap. */
class DemoCommandTest {

    private static String run(String... args) {
        StringWriter text = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(text));
        int code = cli.execute(args);
        assertEquals(0, code, () -> "demo exited " + code + ":\n" + text);
        return text.toString();
    }

    @Test
    void everyPingIsAnsweredOverBothFamiliesIncludingFragmentedOnes(@TempDir Path dir) {
        String out = run("demo", "--pcap", dir.resolve("a.pcap").toString(), "--count", "3");
        assertTrue(out.contains("6 requests, 6 replies"), out);
        assertTrue(out.contains("bob reassembled 2 datagrams"), out);
        assertTrue(out.contains("from fd77::2: icmp_seq=3"), out);
    }

    @Test
    void theSameSeedWritesTheSamePcapByteForByte(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.pcap");
        Path b = dir.resolve("b.pcap");
        Path c = dir.resolve("c.pcap");
        run("demo", "--seed", "7", "--loss", "0.2", "--pcap", a.toString());
        run("demo", "--seed", "7", "--loss", "0.2", "--pcap", b.toString());
        run("demo", "--seed", "8", "--loss", "0.2", "--pcap", c.toString());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)), "another seed, another run");
    }

    @Test
    void badArgumentsGiveAUsageErrorAndNonZeroExit() {
        CommandLine cli = new CommandLine(new Main());
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        assertEquals(2, cli.execute("demo", "--loss", "1.5"));
        assertTrue(err.toString().contains("--loss"), err.toString());
    }
}
