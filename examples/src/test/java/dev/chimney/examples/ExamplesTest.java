package dev.chimney.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs every example program as a user would (its {@code main}, with a time limit) and checks what it prints, so
 * the examples — and the javadoc snippets quoted from them — keep working. After each, no loop thread is left.
 */
class ExamplesTest {
    private static final Duration LIMIT = Duration.ofSeconds(120);

    @FunctionalInterface
    interface Main {
        void run(String[] args) throws Exception;
    }

    /** Runs {@code main} with its standard output captured; fails if it throws or outlives the limit. */
    private static List<String> run(Main main, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertTimeoutPreemptively(LIMIT, () -> main.run(args));
        } finally {
            System.setOut(original);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        original.print(text); // kept in the test report
        return text.lines().toList();
    }

    @AfterEach
    void noLoopThreadIsLeft() throws InterruptedException {
        // close() joins the threads it stops: none may still run once main returned.
        List<String> left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(Thread::getName).filter(n -> n.startsWith("chimney-")).toList();
        assertEquals(List.of(), left, "loop threads still running after the example closed its network");
    }

    private static void assertMatches(String regex, String line) {
        assertTrue(Pattern.matches(regex, line), "expected /" + regex + "/, got: " + line);
    }

    @Test
    void echoOverBlockingSocketsBetweenTwoHostThreads() {
        List<String> lines = run(EchoExample::main, String.valueOf(3 << 20));
        assertEquals(2, lines.size(), lines.toString());
        assertMatches("echo: 3145728 bytes from 10\\.0\\.0\\.2 to 10\\.0\\.0\\.1:7 and back, byte-exact, in \\d+ ms",
                lines.get(0));
        assertEquals("network closed", lines.get(1));
    }

    @Test
    void simulatedTransferIsByteExactAndReplaysFromItsSeed() {
        List<String> first = run(SimulatedTransferExample::main, "42", String.valueOf(1 << 20));
        List<String> again = run(SimulatedTransferExample::main, "42", String.valueOf(1 << 20));
        List<String> other = run(SimulatedTransferExample::main, "43", String.valueOf(1 << 20));
        String line = "transfer: 1048576 bytes under 1%% loss, byte-exact \\(crc32 [0-9a-f]{8}\\), in [0-9.]+ s of "
                + "virtual time, \\d+ segments retransmitted, seed %d";
        assertMatches(line.formatted(42), first.get(0));
        assertMatches(line.formatted(43), other.get(0));
        assertEquals(first, again, "the same seed gives the same run, to the nanosecond of virtual time");
        assertNotEquals(first, other, "another seed loses other frames");
    }

    @Test
    void httpFileServerAnswersAClientOverIpv4AndIpv6() {
        List<String> lines = run(HttpExample::main);
        assertEquals(List.of(
                "GET http://10.0.0.1:80/hello.txt -> HTTP/1.1 200 OK, body: Hello from a user-space TCP/IP stack",
                "GET http://[fd00::1]:80/hello.txt -> HTTP/1.1 200 OK, body: Hello from a user-space TCP/IP stack",
                "server answered 2 requests"), lines);
    }

    @Test
    void handBuiltStacksOnABridgeAndOnASharedLoopWire() {
        List<String> lines = run(ManualStacksExample::main);
        assertEquals(List.of("bridge: pong to 'ping from 10.1.0.1'", "wire: pong to 'ping from 10.2.0.1'"), lines);
    }
}
