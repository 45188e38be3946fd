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
import java.util.regex.Matcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's interop: {@code chimney run --tap chy0 --team chy1 --offload all} in a test-made namespace whose Linux
 * side bridges the two TAPs (br0, STP off). While curl downloads from the HTTP server and socat pushes data through
 * the echo server over IPv4 and IPv6 (Linux → stack shaped to 40 Mbit/s on br0 and curl's download rate-limited, so
 * the transfers last seconds), {@code chimney ctl} has the active member raise PAUSE, then UPLOAD_ALL, then RESUME,
 * then makes the team fail over to the other TAP: every transfer is SHA-256 exact and exits 0 (no reset), and the
 * shutdown summary shows the failover and no lost connection. The Linux bridge learns the team's MAC on the new
 * port from the gratuitous ARP / unsolicited NA. Needs root; skips with the reason otherwise (fails when CI=true).
 * iperf3 through the same steps: {@link TeamIperfInteropTest}.
 */
class TeamInteropTest {
    static final long DOWNLOAD_BYTES = 24L << 20;
    static final long ECHO_BYTES = 16L << 20;
    static final String CONTROL_PORT = "7079";

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
        Interop.requireTool("curl", "curl");
        Interop.requireTool("socat", "socat");
        Interop.requireTool("tc", "iproute2");
    }

    @Test
    void pauseUploadAllResumeAndATeamFailoverMidTransferKeepEveryByte(@TempDir Path dir) throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        Path big = InteropFiles.random(www.resolve("big.bin"), DOWNLOAD_BYTES, 0x7EA1L);
        Path echo4 = InteropFiles.random(dir.resolve("echo4.bin"), ECHO_BYTES, 0x7EA2L);
        Path echo6 = InteropFiles.random(dir.resolve("echo6.bin"), ECHO_BYTES, 0x7EA3L);
        try (NetNs ns = NetNs.create();
             ChimneyProcess run = ChimneyProcess.start(ns, Duration.ofSeconds(200), "--tap", "chy0", "--team",
                     "chy1", "--address", "10.77.30.2/24", "--address", "fd77:30::2/64", "--serve",
                     "http:8080:" + www, "--serve", "echo:7", "--offload", "all", "--control", CONTROL_PORT)) {
            String started = run.awaitStarted(Duration.ofSeconds(30));
            assertTrue(started.contains(" team chy1 "), started);
            TeamBridge.up(ns, "10.77.30.1/24", "fd77:30::1/64", true);

            List<Process> transfers = new ArrayList<>();
            Path got = dir.resolve("big.out");
            transfers.add(ns.spawn(Duration.ofSeconds(120), "curl", "-sS", "--max-time", "110", "--limit-rate", "4M",
                    "-o", got.toString(), "http://10.77.30.2:8080/big.bin"));
            Path out4 = dir.resolve("echo4.out");
            Path out6 = dir.resolve("echo6.out");
            transfers.add(ns.spawn(Duration.ofSeconds(120), "sh", "-c", "socat -b65536 -t60 TCP4:10.77.30.2:7 STDIO < "
                    + echo4 + " > " + out4));
            transfers.add(ns.spawn(Duration.ofSeconds(120), "sh", "-c", "socat -b65536 -t60 TCP6:[fd77:30::2]:7 "
                    + "STDIO < " + echo6 + " > " + out6));
            Thread.sleep(1000);
            TeamBridge.ctl(ns, CONTROL_PORT, "pause");
            Thread.sleep(700);
            TeamBridge.ctl(ns, CONTROL_PORT, "upload-all");
            Thread.sleep(700);
            TeamBridge.ctl(ns, CONTROL_PORT, "resume");
            Thread.sleep(700);
            String moved = TeamBridge.ctl(ns, CONTROL_PORT, "failover");
            assertTrue(moved.startsWith("failed over from team-chy0-chy1/nic-chy0 to team-chy0-chy1/nic-chy1;"),
                    moved);
            for (Process p : transfers) {
                assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "a transfer did not finish");
                assertEquals(0, p.exitValue(), "a transfer failed: " + new String(p.getErrorStream()
                        .readAllBytes()));
            }
            assertEquals(InteropFiles.sha256(big), InteropFiles.sha256(got), "the download");
            assertEquals(InteropFiles.sha256(echo4), InteropFiles.sha256(out4), "the IPv4 echo");
            assertEquals(InteropFiles.sha256(echo6), InteropFiles.sha256(out6), "the IPv6 echo");
            // the bridge learned the team's MAC on the new port (the announcements, then the traffic)
            TeamBridge.assertMacOnChy1(ns, started);

            assertEquals(0, run.terminate(Duration.ofSeconds(20)), run.stderr());
            String stopped = run.stdout();
            Matcher m = TeamBridge.assertOneCleanFailover(stopped, 9, "3 connections offloaded at least 3 times "
                    + "each (start, after RESUME, after the failover)");
            assertEquals("0", m.group(4), "failed offloads: " + stopped);
        }
    }
}
