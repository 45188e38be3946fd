package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.cli.control.Json;
import dev.chimney.testkit.NetNs;
import java.util.List;
import java.util.Locale;

/**
 * What Linux {@code iperf3 -c ... -J} printed: its error (null when none), the end summary's sent and received bytes
 * (the sender's and the receiver's own counts: one side is the client's, the other the stack's iperf3 server's
 * results), the sender's retransmissions (-1 when the sender reported none) and the streams.
 */
record Iperf3Report(String command, int exitCode, String error, boolean reverse, int streams, long sentBytes,
        long receivedBytes, long retransmits, double receivedBitsPerSecond, String json) {

    /** Runs {@code iperf3 -c ARGS -J} in {@code ns} (the test's timeout wraps it) and parses what it printed. */
    static Iperf3Report run(NetNs ns, int timeoutSeconds, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("timeout", String.valueOf(timeoutSeconds), "iperf3",
                "-c"));
        cmd.addAll(List.of(args));
        cmd.add("-J");
        NetNs.Result r = ns.exec(java.time.Duration.ofSeconds(timeoutSeconds + 5), cmd.toArray(String[]::new));
        return parse(String.join(" ", cmd), r.exitCode(), r.stdout() + (r.stderr().isBlank() ? ""
                : "\nstderr: " + r.stderr()));
    }

    static Iperf3Report parse(String command, int exitCode, String output) {
        int start = output.indexOf('{');
        int end = output.lastIndexOf('}');
        if (start < 0 || end < start) {
            return new Iperf3Report(command, exitCode, "no JSON: " + output, false, 0, -1, -1, -1, 0, output);
        }
        String json = output.substring(start, end + 1);
        Object root = Json.parse(json);
        Object error = Json.at(root, "error");
        Object reverse = Json.at(root, "start.test_start.reverse");
        Object streams = Json.at(root, "start.test_start.num_streams");
        Object retransmits = Json.at(root, "end.sum_sent.retransmits");
        Object bps = Json.at(root, "end.sum_received.bits_per_second");
        return new Iperf3Report(command, exitCode, error == null ? null : error.toString(),
                reverse instanceof Number n && n.longValue() != 0, streams instanceof Number n ? n.intValue() : 0,
                number(Json.at(root, "end.sum_sent.bytes")), number(Json.at(root, "end.sum_received.bytes")),
                retransmits instanceof Number n ? n.longValue() : -1, bps instanceof Number n ? n.doubleValue() : 0,
                json);
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : -1;
    }

    /** Exit 0, no error, sender's and receiver's totals equal and non-zero, {@code streams} streams. */
    Iperf3Report assertExact(int expectedStreams) {
        assertEquals(0, exitCode, this::toString);
        assertNull(error, this::toString);
        assertEquals(expectedStreams, streams, this::toString);
        assertTrue(sentBytes > 0, this::toString);
        assertEquals(sentBytes, receivedBytes, () -> "sender and receiver count the same bytes: " + this);
        return this;
    }

    /** One line for the test log: direction, streams, bytes both sides, rate, retransmissions. */
    String figures() {
        return String.format(Locale.ROOT, "iperf3 %s -P %d: sent %d bytes, received %d bytes, %.1f Mbit/s, %s",
                reverse ? "-R (stack sends)" : "(Linux sends)", streams, sentBytes, receivedBytes,
                receivedBitsPerSecond / 1e6, retransmits < 0 ? "no retransmission figure (stack sender)"
                        : retransmits + " retransmits (Linux sender)");
    }

    @Override
    public String toString() {
        return command + " exit " + exitCode + " error " + error + " sent " + sentBytes + " received "
                + receivedBytes + (json.length() > 4000 ? " json " + json.substring(json.length() - 4000)
                : " json " + json);
    }
}
