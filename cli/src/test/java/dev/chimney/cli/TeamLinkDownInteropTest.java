package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7: the team fails over by itself when the active link fails. {@code chimney run --tap chy0 --team chy1
 * --offload all} in a test-made namespace whose Linux side bridges the two TAPs; while curl downloads and socat pushes
 * data through the echo server, the test pulls the active "cable" ({@code ip link set chy0 down} on the kernel side).
 * The NIC's link watch sees the TAP go down and the team runs PAUSE → UPLOAD_ALL → switch → RESUME onto chy1, with no
 * command: both transfers stay SHA-256 exact and exit 0, the bridge learns the team's MAC on chy1, the shutdown line
 * counts one failover and no lost connection. Putting chy0 back up fails nothing (it becomes the standby). Needs root;
 * skips with the reason otherwise (fails when CI=true).
 */
class TeamLinkDownInteropTest {
    static final long DOWNLOAD_BYTES = 16L << 20;
    static final long ECHO_BYTES = 8L << 20;

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
        Interop.requireTool("curl", "curl");
        Interop.requireTool("socat", "socat");
        Interop.requireTool("tc", "iproute2");
    }

    @Test
    void pullingTheActiveLinkFailsTheTeamOverMidTransferWithEveryByteKept(@TempDir Path dir) throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        Path big = InteropFiles.random(www.resolve("big.bin"), DOWNLOAD_BYTES, 0x11D1L);
        Path echo4 = InteropFiles.random(dir.resolve("echo4.bin"), ECHO_BYTES, 0x11D2L);
        try (NetNs ns = NetNs.create();
             ChimneyProcess run = ChimneyProcess.start(ns, Duration.ofSeconds(120), "--tap", "chy0", "--team",
                     "chy1", "--address", "10.77.31.2/24", "--serve", "http:8080:" + www, "--serve", "echo:7",
                     "--offload", "all")) {
            String started = run.awaitStarted(Duration.ofSeconds(30));
            TeamBridge.up(ns, "10.77.31.1/24", null, true);

            List<Process> transfers = new ArrayList<>();
            Path got = dir.resolve("big.out");
            transfers.add(ns.spawn(Duration.ofSeconds(90), "curl", "-sS", "--max-time", "80", "--limit-rate", "4M",
                    "-o", got.toString(), "http://10.77.31.2:8080/big.bin"));
            Path out4 = dir.resolve("echo4.out");
            transfers.add(ns.spawn(Duration.ofSeconds(90), "sh", "-c", "socat -b65536 -t60 TCP4:10.77.31.2:7 STDIO < "
                    + echo4 + " > " + out4));
            Thread.sleep(1500);
            ns.execOk("ip", "link", "set", "chy0", "down"); // the active member's cable, pulled
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!run.stderr().contains("link of chy0 down") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(run.stderr().contains("link of chy0 down"), "the link watch saw chy0 go down: "
                    + run.stderr());
            Thread.sleep(1500);
            ns.execOk("ip", "link", "set", "chy0", "up"); // back, as the standby now
            for (Process p : transfers) {
                assertTrue(p.waitFor(90, TimeUnit.SECONDS), "a transfer did not finish");
                assertEquals(0, p.exitValue(), "a transfer failed: " + new String(p.getErrorStream()
                        .readAllBytes()));
            }
            assertEquals(InteropFiles.sha256(big), InteropFiles.sha256(got), "the download");
            assertEquals(InteropFiles.sha256(echo4), InteropFiles.sha256(out4), "the IPv4 echo");
            TeamBridge.assertMacOnChy1(ns, started);

            assertEquals(0, run.terminate(Duration.ofSeconds(20)), run.stderr());
            String stopped = run.stdout();
            // one failover, by the link watch
            TeamBridge.assertOneCleanFailover(stopped, 4, "2 connections offloaded at least twice each");
        }
    }
}
