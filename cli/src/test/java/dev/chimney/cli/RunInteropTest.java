package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import dev.chimney.testkit.Tshark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chimney run} as a user runs it: a separate process on a TAP inside a namespace the test creates, the
 * kernel side addressed with {@code ip addr add} as --help says, stopped with SIGTERM. Needs root; skips with the
 * reason otherwise and fails instead when CI=true.
 */
class RunInteropTest {

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
        Interop.requireTool("ping", "iputils-ping");
        Interop.requireTool("tshark", "tshark");
    }

    @Test
    void runAnswersPingsOverBothFamiliesAndExitsZeroOnSigterm(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("run.pcap");
        Path kernelPcap = dir.resolve("kernel.pcap");
        try (NetNs ns = NetNs.create();
             ChimneyProcess run = ChimneyProcess.start(ns, Duration.ofSeconds(60), "--tap", "chy0", "--address",
                     "10.77.3.2/24", "--address", "fd77:3::2/64", "--pcap", pcap.toString(), "--seed", "5")) {
            String started = run.awaitStarted(Duration.ofSeconds(30));
            assertTrue(started.contains("chy0") && started.contains("10.77.3.2/24") && started.contains("fd77:3::2/64"),
                    started);
            ns.execOk("ip", "addr", "add", "10.77.3.1/24", "dev", "chy0");
            ns.execOk("ip", "-6", "addr", "add", "fd77:3::1/64", "dev", "chy0", "nodad");
            try (Tshark.Capture capture = Tshark.capture(ns, "chy0", kernelPcap, Duration.ofSeconds(30))) {
                NetNs.Result ping4 = ns.exec(Duration.ofSeconds(10), "ping", "-c", "3", "-i", "0.2", "-W", "2",
                        "10.77.3.2");
                assertEquals(0, ping4.exitCode(), "IPv4 ping of chimney run: " + ping4 + " " + run.stderr());
                NetNs.Result ping6 = ns.exec(Duration.ofSeconds(10), "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2",
                        "fd77:3::2");
                assertEquals(0, ping6.exitCode(), "IPv6 ping of chimney run: " + ping6 + " " + run.stderr());
            }
            int exit = run.terminate(Duration.ofSeconds(20));
            assertEquals(0, exit, "exit status after SIGTERM; stdout: " + run.stdout() + " stderr: " + run.stderr());
            assertTrue(run.stdout().contains("stopped"), "stdout: " + run.stdout() + " stderr: " + run.stderr());
            assertEquals("", run.stderr().strip(), "nothing on stderr");
        }
        assertEquals("", Tshark.problems(kernelPcap), "malformed frames or bad checksums seen by the kernel");
        // --pcap recorded both directions: at least 3 requests and 3 replies per family.
        assertTrue(Files.size(pcap) > 24, "capture written");
        assertTrue(Tshark.count(pcap, "icmp.type == 8") >= 3 && Tshark.count(pcap, "icmp.type == 0") >= 3,
                Tshark.read(pcap, "icmp || icmpv6"));
        assertTrue(Tshark.count(pcap, "icmpv6.type == 128") >= 3 && Tshark.count(pcap, "icmpv6.type == 129") >= 3,
                Tshark.read(pcap, "icmpv6"));
        assertEquals("", Tshark.problems(pcap), "malformed frames or bad checksums in --pcap");
    }

    /**
     * The issue's bulk check: socat sends 256 MiB ({@code -Dchimney.interop.echoBytes=N} to change) to discard and
     * through echo, over IPv4 and IPv6, with the default TSO/checksum offload; every byte comes back (SHA-256) and
     * discard counts every byte.
     */
    @Test
    void socatGetsEveryByteBackFromEchoAndDiscardCountsThemOverBothFamilies(@TempDir Path dir) throws Exception {
        Interop.requireTool("socat", "socat");
        long bytes = Long.getLong("chimney.interop.echoBytes", 256L << 20);
        Path big = InteropFiles.random(dir.resolve("in.bin"), bytes, 0xEC0L);
        String[] targets = {"TCP4:10.77.5.2", "TCP6:[fd77:5::2]"};
        try (NetNs ns = NetNs.create();
             ChimneyProcess run = ChimneyProcess.start(ns, Duration.ofSeconds(400), "--tap", "chy0", "--address",
                     "10.77.5.2/24", "--address", "fd77:5::2/64", "--serve", "echo:7", "--serve", "discard:9")) {
            run.awaitStarted(Duration.ofSeconds(30));
            ns.execOk("ip", "addr", "add", "10.77.5.1/24", "dev", "chy0");
            ns.execOk("ip", "-6", "addr", "add", "fd77:5::1/64", "dev", "chy0", "nodad");
            for (String target : targets) {
                discardAndEcho(ns, target, big, dir, true);
            }
            assertEquals(0, run.terminate(Duration.ofSeconds(20)), run.stderr());
            String stopped = run.stdout();
            long total = 2 * bytes;
            assertTrue(stopped.contains("all connections closed"), stopped);
            assertTrue(stopped.contains("discard:9 2 connections, " + total + " bytes discarded"), stopped);
            assertTrue(stopped.contains("echo:7 2 connections, " + total + " bytes echoed"), stopped);
            // The start line names the TAP queue and idle strategy in effect; the shutdown summary puts the
            // kernel's drop counters next to the stack's own (R-TAP fast path: issue 9).
            assertTrue(stopped.contains(" qlen " + dev.chimney.link.tap.TapOptions.RECOMMENDED_TX_QUEUE_LENGTH
                    + " idle backoff:50:200 "), stopped);
            assertTrue(stopped.contains(" congestion cubic addresses "), "CUBIC by default, as Linux: " + stopped);
            assertTrue(stopped.matches("(?s).*tap chy0: stack read [1-9][0-9]* frames, wrote [1-9][0-9]* \\(0 "
                    + "refused: kernel busy\\); kernel dropped [0-9]+ frames towards the stack \\(queue "
                    + dev.chimney.link.tap.TapOptions.RECOMMENDED_TX_QUEUE_LENGTH + "\\), [0-9]+ from it.*"),
                    stopped);
        }
    }

    /**
     * The same services without offload, so a tshark capture on the kernel's side of the TAP can check every
     * checksum (with offload the kernel's own frames carry partial ones). Text payloads: random binary can look
     * like another protocol to tshark's heuristics.
     */
    @Test
    void echoAndDiscardTrafficIsCleanInATsharkCapture(@TempDir Path dir) throws Exception {
        Interop.requireTool("socat", "socat");
        long smallBytes = 256 << 10;
        Path small = InteropFiles.randomText(dir.resolve("in.txt"), smallBytes, 0xEC1L);
        Path kernelPcap = dir.resolve("kernel.pcap");
        String[] targets = {"TCP4:10.77.16.2", "TCP6:[fd77:16::2]"};
        try (NetNs ns = NetNs.create();
             ChimneyProcess run = ChimneyProcess.start(ns, Duration.ofSeconds(170), "--tap", "chy0", "--address",
                     "10.77.16.2/24", "--address", "fd77:16::2/64", "--serve", "echo:7", "--serve", "discard:9",
                     "--no-tso")) {
            run.awaitStarted(Duration.ofSeconds(30));
            ns.execOk("ip", "addr", "add", "10.77.16.1/24", "dev", "chy0");
            ns.execOk("ip", "-6", "addr", "add", "fd77:16::1/64", "dev", "chy0", "nodad");
            try (Tshark.Capture capture = Tshark.capture(ns, "chy0", kernelPcap, Duration.ofSeconds(60))) {
                for (String target : targets) {
                    discardAndEcho(ns, target, small, dir, false);
                }
            }
            assertEquals(0, run.terminate(Duration.ofSeconds(20)), run.stderr());
            String stopped = run.stdout();
            long total = 2 * smallBytes;
            assertTrue(stopped.contains("discard:9 2 connections, " + total + " bytes discarded"), stopped);
            assertTrue(stopped.contains("echo:7 2 connections, " + total + " bytes echoed"), stopped);
        }
        assertEquals("", Tshark.problems(kernelPcap), "malformed frames or bad checksums seen by the kernel");
    }

    /** socat sends {@code file} to discard (port 9), then through echo (port 7) and checks what comes back. */
    static void discardAndEcho(NetNs ns, String target, Path file, Path dir, boolean report)
            throws Exception {
        long bytes = Files.size(file);
        NetNs.Result discard = ns.exec(Duration.ofSeconds(150), "socat", "-u", "OPEN:" + file, target + ":9");
        assertEquals(0, discard.exitCode(), "socat to discard over " + target + ": " + discard);
        Path out = dir.resolve("echoed");
        long t0 = System.nanoTime();
        // -t: after our EOF socat keeps reading until the echo server's FIN (it closes after echoing everything).
        NetNs.Result echo = ns.exec(Duration.ofSeconds(150), "sh", "-c", "socat -b65536 -t60 " + target
                + ":7 STDIO < " + file + " > " + out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, echo.exitCode(), "socat to echo over " + target + ": " + echo);
        assertEquals(bytes, Files.size(out), "bytes echoed back over " + target);
        assertEquals(InteropFiles.sha256(file), InteropFiles.sha256(out), "SHA-256 of the echo over " + target);
        if (report) {
            System.out.printf("echo over %s: %d MiB each way in %.2f s (%.1f MiB/s)%n", target, bytes >> 20,
                    seconds, (bytes >> 20) / seconds);
        }
    }

    @Test
    void aBusyDeviceOrAMissingPrivilegeIsOneLineAndExitOne() throws Exception {
        Interop.requireTool("setpriv", "util-linux");
        try (NetNs ns = NetNs.create()) {
            // A persistent TAP made beforehand (ip tuntap add) is opened, not recreated.
            ns.execOk("ip", "tuntap", "add", "chy0", "mode", "tap");
            busyAndUnprivileged(ns);
        }
    }

    private static void busyAndUnprivileged(NetNs ns) throws Exception {
        try (ChimneyProcess first = ChimneyProcess.start(ns, Duration.ofSeconds(60), "--tap", "chy0", "--address",
                "10.77.10.2/24")) {
            first.awaitStarted(Duration.ofSeconds(30));
            try (ChimneyProcess second = ChimneyProcess.start(ns, Duration.ofSeconds(30), "--tap", "chy0",
                    "--address", "10.77.10.3/24")) {
                assertEquals(1, second.awaitExit(Duration.ofSeconds(25)), second.stdout() + second.stderr());
                String err = second.stderr().strip();
                assertEquals(1, err.lines().count(), "one line: " + err);
                assertTrue(err.startsWith("chimney run: ") && err.contains("busy"), err);
            }
            // Root without CAP_NET_ADMIN (dropped from the bounding set) cannot create a TAP.
            try (ChimneyProcess unprivileged = ChimneyProcess.startWrapped(ns, Duration.ofSeconds(30),
                    List.of("setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin"), "--tap", "chy1",
                    "--address", "10.77.11.2/24")) {
                assertEquals(1, unprivileged.awaitExit(Duration.ofSeconds(25)),
                        unprivileged.stdout() + unprivileged.stderr());
                String err = unprivileged.stderr().strip();
                assertEquals(1, err.lines().count(), "one line: " + err);
                assertTrue(err.startsWith("chimney run: ") && err.contains("CAP_NET_ADMIN"), err);
            }
            assertEquals(0, first.terminate(Duration.ofSeconds(20)), first.stderr());
        }
    }

    @Test
    void sigtermClosesOpenConnectionsWithFinAndExitsZero() throws Exception {
        Interop.requireTool("socat", "socat");
        try (NetNs ns = NetNs.create();
             ChimneyProcess run = ChimneyProcess.start(ns, Duration.ofSeconds(60), "--tap", "chy0", "--address",
                     "10.77.12.2/24", "--serve", "chargen:19", "--serve", "echo:7")) {
            run.awaitStarted(Duration.ofSeconds(30));
            ns.execOk("ip", "addr", "add", "10.77.12.1/24", "dev", "chy0");
            // Two clients that would never stop by themselves: an endless chargen stream and an idle echo session.
            Process chargen = ns.spawn(Duration.ofSeconds(40), "socat", "-u", "TCP4:10.77.12.2:19", "OPEN:/dev/null");
            Process echo = ns.spawn(Duration.ofSeconds(40), "socat", "-t30", "TCP4:10.77.12.2:7", "EXEC:sleep 30");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!ns.exec("ss", "-Htn", "state", "established", "dst", "10.77.12.2").stdout().contains(":7")
                    || !ns.exec("ss", "-Htn", "state", "established", "dst", "10.77.12.2").stdout().contains(":19")) {
                assertTrue(System.nanoTime() < deadline, "both clients connected");
                Thread.sleep(50);
            }
            assertEquals(0, run.terminate(Duration.ofSeconds(20)), run.stderr());
            assertTrue(run.stdout().contains("all connections closed"), run.stdout());
            // The chargen client read our FIN as end of stream: socat ends by itself with status 0 (a reset would
            // make it fail with "Connection reset by peer").
            assertTrue(chargen.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "chargen client ended");
            assertEquals(0, chargen.exitValue(), new String(chargen.getErrorStream().readAllBytes()));
            assertTrue(run.stdout().contains("chargen:19 1 connection"), run.stdout());
            assertTrue(run.stdout().contains("echo:7 1 connection"), run.stdout());
            echo.destroy();
        }
    }

    @Test
    void gatewayOptionLetsARoutedClientFetchFromTheStack(@TempDir Path dir) throws Exception {
        Interop.requireTool("curl", "curl");
        Path www = Files.createDirectories(dir.resolve("www"));
        Path file = InteropFiles.random(www.resolve("routed.bin"), 2L << 20, 0x6A7EL);
        try (NetNs a = NetNs.create(); NetNs b = NetNs.create()) {
            // Interfaces created from now on skip IPv6 duplicate address detection: the router's link-local address
            // on chy0 would otherwise stay tentative for a second or two, and the kernel holds forwarded packets
            // until it can send neighbor solicitations from it.
            a.execOk("sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0");
            routedFetch(a, b, www, file, dir);
        }
    }

    private static void routedFetch(NetNs a, NetNs b, Path www, Path file, Path dir) throws Exception {
        try (ChimneyProcess run = ChimneyProcess.start(a, Duration.ofSeconds(60), "--tap", "chy0", "--address",
                "10.77.13.2/24", "--address", "fd77:13::2/64", "--gateway", "10.77.13.1", "--gateway", "fd77:13::1",
                "--serve", "http:8080:" + www)) {
            run.awaitStarted(Duration.ofSeconds(30));
            a.execOk("ip", "addr", "add", "10.77.13.1/24", "dev", "chy0");
            a.execOk("ip", "-6", "addr", "add", "fd77:13::1/64", "dev", "chy0", "nodad");
            // Namespace B sits behind A (a router): its packets reach the stack only through A, and the stack's
            // replies to B's subnet find their way back only through --gateway.
            NetNs.vethPair(a, "va", b, "vb");
            a.execOk("ip", "addr", "add", "10.77.14.1/24", "dev", "va");
            a.execOk("ip", "-6", "addr", "add", "fd77:14::1/64", "dev", "va", "nodad");
            b.execOk("ip", "addr", "add", "10.77.14.2/24", "dev", "vb");
            b.execOk("ip", "-6", "addr", "add", "fd77:14::2/64", "dev", "vb", "nodad");
            b.execOk("ip", "route", "add", "default", "via", "10.77.14.1");
            b.execOk("ip", "-6", "route", "add", "default", "via", "fd77:14::1");
            a.execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            a.execOk("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
            HttpInteropTest.curl(b, "http://10.77.13.2:8080/routed.bin", file, dir.resolve("routed4.out"));
            HttpInteropTest.curl(b, "http://[fd77:13::2]:8080/routed.bin", file, dir.resolve("routed6.out"));
            assertEquals(0, run.terminate(Duration.ofSeconds(20)), run.stderr());
            assertTrue(run.stdout().contains("via [10.77.13.1, fd77:13::1]"), run.stdout());
        }
    }
}
