package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 7's interop acceptance with iperf3, beside {@link TeamInteropTest} and in its topology: {@code chimney run
 * --tap chy0 --team chy1 --offload all --control PORT} in a test-made namespace whose Linux side bridges the two
 * TAPs (br0, STP off, a 40 Mbit/s tbf on br0 for Linux → stack). Two Linux {@code iperf3 -c -t 8} run at once, one
 * sending to the stack (port 5201) and one {@code -R} with the stack sending, paced to 20 Mbit/s with {@code -b}
 * (port 5202; a server runs one test at a time). While they run, {@code chimney ctl} raises PAUSE, UPLOAD_ALL,
 * RESUME and a team failover to the other TAP. Both iperf3 runs exit 0 without error, the sender's and the
 * receiver's byte totals are equal in each, and the shutdown summary shows the failover, both tests completed, no
 * connection reset, lost or aborted, no RST sent. Needs root; skips with the reason otherwise (fails when CI=true).
 */
class TeamIperfInteropTest {
    static final String CONTROL_PORT = "7081";
    static final int SECONDS = 8;

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
        Interop.requireTool("iperf3", "iperf3");
        Interop.requireTool("tc", "iproute2");
    }

    @Test
    void iperf3BothWaysStaysExactThroughPauseUploadAllResumeAndATeamFailover() throws Exception {
        try (NetNs ns = NetNs.create();
             ChimneyProcess run = ChimneyProcess.start(ns, Duration.ofSeconds(120), "--tap", "chy0", "--team",
                     "chy1", "--address", "10.77.31.2/24", "--serve", "iperf3:5201", "--serve", "iperf3:5202",
                     "--offload", "all", "--control", CONTROL_PORT)) {
            String started = run.awaitStarted(Duration.ofSeconds(30));
            assertTrue(started.contains(" team chy1 "), started);
            TeamBridge.up(ns, "10.77.31.1/24", null, true);

            // a thread each: the common pool may have one worker on a 2-core machine, which would run them in turn
            ExecutorService clients = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory());
            CompletableFuture<Iperf3Report> toStack = CompletableFuture.supplyAsync(() -> Iperf3Report.run(ns, 60,
                    "10.77.31.2", "-p", "5201", "-t", String.valueOf(SECONDS)), clients);
            CompletableFuture<Iperf3Report> fromStack = CompletableFuture.supplyAsync(() -> Iperf3Report.run(ns, 60,
                    "10.77.31.2", "-p", "5202", "-t", String.valueOf(SECONDS), "-R", "-b", "20M"), clients);
            Thread.sleep(1500);
            // both tests run: their control connections and data streams (2 each) are all on the target
            String listed = TeamBridge.ctl(ns, CONTROL_PORT, "connections");
            assertEquals(4, listed.lines().filter(l -> l.contains(" ESTABLISHED ") && l.contains(" Offloaded ")
                    && l.contains("team-chy0-chy1/nic-chy0")).count(), listed);
            assertTrue(listed.contains("10.77.31.2:5201 ") && listed.contains("10.77.31.2:5202 "), listed);
            TeamBridge.ctl(ns, CONTROL_PORT, "pause");
            Thread.sleep(700);
            TeamBridge.ctl(ns, CONTROL_PORT, "upload-all");
            Thread.sleep(700);
            TeamBridge.ctl(ns, CONTROL_PORT, "resume");
            Thread.sleep(700);
            String moved;
            try {
                moved = TeamBridge.ctl(ns, CONTROL_PORT, "failover");
            } catch (AssertionError e) {
                // what the stack was doing (this is how the heap exhaustion of 122,864 tiny send requests was found)
                System.out.println("chimney run stderr:\n" + run.stderr() + "\nstdout:\n" + run.stdout()
                        + "\nthreads:\n" + run.threadDump());
                throw e;
            }
            assertTrue(moved.startsWith("failed over from team-chy0-chy1/nic-chy0 to team-chy0-chy1/nic-chy1;"),
                    moved);
            Iperf3Report forward = toStack.get().assertExact(1);
            Iperf3Report reverse = fromStack.get().assertExact(1);
            assertTrue(forward.retransmits() >= 0, "the Linux sender reports retransmissions: " + forward);
            System.out.println("team " + forward.figures());
            System.out.println("team " + reverse.figures());

            assertEquals(0, run.terminate(Duration.ofSeconds(20)), run.stderr());
            String stopped = run.stdout();
            Matcher m = TeamBridge.assertOneCleanFailover(stopped, 12, "4 connections offloaded at least 3 times "
                    + "each (start, after RESUME, after the failover)");
            assertEquals("0", m.group(4), "failed offloads: " + stopped);
            for (String port : new String[] {"5201", "5202"}) {
                Matcher served = Pattern.compile(Iperf3InteropTest.SERVED.pattern().replace("5201", port))
                        .matcher(stopped);
                assertTrue(served.find(), stopped);
                assertEquals("1", served.group(1), "iperf3:" + port + " test completed: " + stopped);
                assertEquals("0", served.group(2), "iperf3:" + port + " aborted: " + stopped);
                assertEquals("0", served.group(4), "iperf3:" + port + " connections reset: " + stopped);
                System.out.println("chimney run --team: " + served.group());
            }
            assertEquals(forward.receivedBytes(), Long.parseLong(Pattern.compile("iperf3:5201 .*?, (\\d+) bytes "
                    + "received").matcher(stopped).results().findFirst().orElseThrow().group(1)), stopped);
            assertTrue(stopped.contains("all connections closed"), stopped);
            assertTrue(stopped.contains("resets out 0,"), "no RST sent: " + stopped);
        }
    }
}
