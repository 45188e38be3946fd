package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Linux {@code iperf3 -c} (the Debian package, 3.x) against {@code chimney run --serve iperf3:5201} on a TAP in a
 * test namespace, 4 parallel streams for 5 s each way: Linux sending, then the stack sending ({@code -R}), once on
 * the host stack and once with every connection offloaded ({@code --offload all}). Each run exits 0 without error;
 * the sender's and the receiver's byte totals in the client's JSON are equal (one of them is the stack server's
 * count); a Linux sender reports its retransmissions; the stack's summary counts the tests with none aborted and no
 * connection reset. Figures printed. Needs root and iperf3; skips with the reason otherwise (fails when CI=true).
 */
class Iperf3InteropTest {
    static final Pattern SERVED = Pattern.compile("iperf3:5201 (\\d+) tests? \\((\\d+) aborted\\), \\d+ connections? "
            + "\\((\\d+) denied, (\\d+) reset\\), (\\d+) bytes received, (\\d+) bytes sent, (\\d+) malformed");

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
        Interop.requireTool("iperf3", "iperf3");
    }

    @Test
    void iperf3BothDirectionsFourStreamsOnTheHostStack() throws Exception {
        bothDirections("10.77.41", List.of());
    }

    @Test
    void iperf3BothDirectionsFourStreamsOffloaded() throws Exception {
        bothDirections("10.77.42", List.of("--offload", "all"));
    }

    private static void bothDirections(String net, List<String> extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--tap", "chy0", "--address", net + ".2/24", "--serve",
                "iperf3:5201"));
        args.addAll(extra);
        try (NetNs ns = NetNs.create();
             ChimneyProcess run = ChimneyProcess.start(ns, Duration.ofSeconds(120), args.toArray(String[]::new))) {
            String started = run.awaitStarted(Duration.ofSeconds(30));
            assertTrue(started.contains("iperf3:5201"), started);
            ns.execOk("ip", "addr", "add", net + ".1/24", "dev", "chy0");
            Iperf3Report forward = Iperf3Report.run(ns, 60, net + ".2", "-t", "5", "-P", "4").assertExact(4);
            assertTrue(forward.retransmits() >= 0, "a Linux sender reports retransmissions: " + forward);
            System.out.println(String.join(" ", extra) + " " + forward.figures());
            Iperf3Report reverse = Iperf3Report.run(ns, 60, net + ".2", "-t", "5", "-P", "4", "-R").assertExact(4);
            assertTrue(reverse.reverse(), reverse.toString());
            System.out.println(String.join(" ", extra) + " " + reverse.figures());

            assertEquals(0, run.terminate(Duration.ofSeconds(20)), run.stderr());
            String stopped = run.stdout();
            Matcher m = SERVED.matcher(stopped);
            assertTrue(m.find(), stopped);
            assertEquals("2", m.group(1), "tests completed: " + stopped);
            assertEquals("0", m.group(2), "aborted: " + stopped);
            assertEquals("0", m.group(4), "connections reset: " + stopped);
            assertEquals("0", m.group(7), "malformed: " + stopped);
            assertEquals(forward.receivedBytes(), Long.parseLong(m.group(5)), "the server counted what it reported");
            assertEquals(reverse.sentBytes(), Long.parseLong(m.group(6)), "the server counted what it reported");
            assertTrue(stopped.contains("all connections closed"), stopped);
            assertTrue(stopped.contains("resets out 0,"), stopped);
            System.out.println("chimney run: " + m.group());
        }
    }
}
