package dev.chimney.cli.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.cli.Main;
import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code chimney ctl} (issue 8 item 2): every read prints its view (or the API's JSON with {@code --json}), every
 * action what happened, exit 0; every failure — nothing listening, an unknown connection id, a refusal, bad
 * arguments — is one line on stderr and a non-zero exit, never a stack trace. Also {@code chimney run --control}
 * with the port in use.
 */
class CtlCommandTest {

    record Outcome(int exitCode, String out, String err) {
    }

    static Outcome run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    static void assertOneLineError(Outcome o, int exitCode, String prefix, String fragment) {
        assertEquals(exitCode, o.exitCode(), o.toString());
        String err = o.err().strip();
        assertEquals(1, err.lines().count(), "one line on stderr, got: " + err);
        assertTrue(err.startsWith(prefix) && err.contains(fragment), err);
        assertTrue(!err.contains("Exception") && !err.contains("\tat "), "no stack trace: " + err);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void nothingListeningIsOneLineAndExitOne() throws IOException {
        int port = freePort();
        for (String command : List.of("status", "connections", "upload-all")) {
            assertOneLineError(run("ctl", "--control", String.valueOf(port), command), 1, "chimney ctl " + command
                    + ": ", "nothing is listening on 127.0.0.1:" + port);
        }
    }

    @Test
    void badArgumentsAreOneLineAndExitTwo() {
        assertOneLineError(run("ctl", "status"), 2, "chimney ctl", "--control");
        assertOneLineError(run("ctl", "--control", "7070"), 2, "chimney ctl", "name a command");
        assertOneLineError(run("ctl", "--control", "70000", "status"), 2, "chimney ctl", "1..65535");
        assertOneLineError(run("ctl", "--control", "x", "status"), 2, "chimney ctl", "--control");
        assertOneLineError(run("ctl", "--control", "7070", "offload"), 2, "chimney ctl offload", "ID");
        assertOneLineError(run("ctl", "--control", "7070", "terminate", "abc"), 2, "chimney ctl terminate", "abc");
        assertOneLineError(run("ctl", "--control", "7070", "frobnicate"), 2, "chimney ctl", "frobnicate");
        assertOneLineError(run("ctl", "--control", "7070", "pause", "--json"), 2, "chimney ctl pause", "--json");
    }

    /** Help works on every command without a port (the port is required only to connect). */
    @Test
    void helpNeedsNoControlPort() {
        for (String command : List.of("status", "connections", "pause", "offload")) {
            Outcome o = run("ctl", command, "--help");
            assertEquals(0, o.exitCode(), o.err());
            assertTrue(o.out().contains("Usage: chimney ctl " + command), o.out());
        }
    }

    /** The port is bound before the TAP opens: no privilege needed to see the error, nothing left behind. */
    @Test
    void runWithTheControlPortInUseIsOneLineAndExitOne() throws IOException {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String port = String.valueOf(busy.getLocalPort());
            assertOneLineError(run("run", "--tap", "chy-ctl0", "--address", "10.77.0.2/24", "--control", port), 1,
                    "chimney run: ", "control port " + port + " on 127.0.0.1 is in use");
        }
        assertOneLineError(run("run", "--tap", "chy-ctl0", "--address", "10.77.0.2/24", "--control", "70000"), 2,
                "chimney run: ", "--control must be 0..65535");
    }

    /** With {@code --netns} the API lives on 127.0.0.1 of that namespace only; ctl reaches it with the same flag. */
    @Test
    void theControlPortIsInTheStacksNetworkNamespaceOnly() {
        Interop.requireRoot();
        try (NetNs ns = NetNs.create();
                OffloadRig rig = new OffloadRig(OffloadPolicy.explicit());
                ControlServer server = ControlServer.bind(0, ns.name())) {
            server.attach(rig.host);
            String port = String.valueOf(server.port());
            Outcome o = run("ctl", "--netns", ns.name(), "--control", port, "status");
            assertEquals(0, o.exitCode(), o.toString());
            assertTrue(o.out().contains("policy explicit"), o.out());
            assertOneLineError(run("ctl", "--control", port, "status"), 1, "chimney ctl status: ",
                    "nothing is listening on 127.0.0.1:" + port);
            assertOneLineError(run("ctl", "--netns", "chy-no-such-ns", "--control", port, "status"), 1,
                    "chimney ctl status: ", "network namespace 'chy-no-such-ns' does not exist");
        }
    }

    @Test
    void readsAndActionsAgainstALiveStack() {
        try (OffloadRig rig = new OffloadRig(OffloadPolicy.allEstablished());
                ControlServer server = ControlServer.bind(0, null)) {
            rig.connect(3, true);
            server.attach(rig.host);
            String port = String.valueOf(server.port());

            Outcome o = run("ctl", "--control", port, "status");
            assertEquals(0, o.exitCode(), o.toString());
            assertTrue(o.out().contains("connections 3: 3 Offloaded, 0 InHost"), o.out());
            assertTrue(o.out().contains("target soft0, admission OPEN, policy all"), o.out());

            o = run("ctl", "--control", port, "connections");
            assertEquals(0, o.exitCode(), o.toString());
            List<String> lines = o.out().lines().toList();
            assertTrue(lines.get(0).matches("ID +State +Local +Remote +Offload State +Runs on +Send-Q +Recv-Q "
                    + "+Bytes-Out +Bytes-In +cwnd +srtt-ms +rtx"), lines.get(0));
            assertEquals(4, lines.size(), o.out());
            for (String line : lines.subList(1, 4)) {
                assertTrue(line.matches("\\d +ESTABLISHED +10\\.77\\.0\\.1:\\d+ +10\\.77\\.0\\.2:5001 +Offloaded "
                        + "+soft0 .*"), line);
            }

            o = run("ctl", "--control", port, "connections", "--json");
            assertEquals(0, o.exitCode(), o.toString());
            assertEquals(3, ((List<?>) Json.at(Json.parse(o.out()), "connections")).size());

            o = run("ctl", "--control", port, "objects");
            assertEquals(0, o.exitCode(), o.toString());
            assertTrue(o.out().startsWith("neighbor 10.77.0.2 " + OffloadRig.MAC_PEER), o.out());
            assertTrue(o.out().contains("  path 10.77.0.1 -> 10.77.0.2 mtu 1500  Offloaded"), o.out());
            assertEquals(3, o.out().lines().filter(l -> l.startsWith("    tcp #")).count(), o.out());

            o = run("ctl", "--control", port, "stats");
            assertEquals(0, o.exitCode(), o.toString());
            assertTrue(o.out().contains("CONNECTIONS_OFFLOADED = 3"), o.out());
            assertTrue(o.out().contains("target soft0 tcp4 (spec §5.4):"), o.out());

            o = run("ctl", "--control", port, "upload-all");
            assertEquals(0, o.exitCode(), o.toString());
            assertTrue(o.out().startsWith("uploaded"), o.out());
            o = run("ctl", "--control", port, "connections", "--json");
            assertEquals(3, Json.parse(o.out()).toString().split("offloadState=InHost").length - 1, o.out());
            o = run("ctl", "--control", port, "resume");
            assertEquals(0, o.exitCode(), o.toString());
            assertEquals("resumed: admission OPEN; 3 connection(s) offloaded, 0 in host", o.out().strip());
            assertEquals(0, run("ctl", "--control", port, "pause").exitCode());
            assertEquals(0, run("ctl", "--control", port, "resume").exitCode());

            o = run("ctl", "--control", port, "terminate", "2");
            assertEquals(0, o.exitCode(), o.toString());
            assertEquals("connection 2 InHost", o.out().strip());
            assertEquals("connection 2 Offloaded", run("ctl", "--control", port, "offload", "2").out().strip());

            assertOneLineError(run("ctl", "--control", port, "terminate", "42"), 1, "chimney ctl terminate: ",
                    "no connection 42");
            assertOneLineError(run("ctl", "--control", port, "offload", "1"), 1, "chimney ctl offload: ",
                    "already offloaded");
            assertOneLineError(run("ctl", "--control", port, "failover"), 1, "chimney ctl failover: ",
                    "no team configured");
            assertEquals(0, rig.mismatches(), "no byte lost through the moves");
        }
    }
}
