package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.host.ChimneyStatistics;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.ip.IpCidr;
import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import dev.chimney.testkit.Tshark;
import dev.chimney.wire.IpAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stack as a client of Linux: it downloads a file from nginx and uploads one to a socat listener, over IPv4 and
 * IPv6, byte-exact (SHA-256), while tshark on the TAP sees no malformed frame or bad checksum. The stack runs
 * in-process (StackRunner, the code behind chimney run) on a TAP inside a namespace the test creates. Needs root;
 * skips with the reason otherwise and fails instead when CI=true.
 */
class ClientInteropTest {
    static final long SEED = 0xC11E47L;
    static final int UPLOAD_PORT = 9;

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
        Interop.requireTool("nginx", "nginx");
        Interop.requireTool("socat", "socat");
        Interop.requireTool("tshark", "tshark");
    }

    /** A stack on chy0 in {@code ns} at .2 of 10.77.N.0/24 and fd77:N::/64; the kernel side gets .1. */
    static StackRunner stackIn(NetNs ns, int subnet, long seed) {
        RunSettings settings = new RunSettings("chy0", ns.name(),
                List.of(IpCidr.parse("10.77." + subnet + ".2/24"), IpCidr.parse("fd77:" + subnet + "::2/64")),
                List.of(), 1500, RunSettings.derivedMac(seed, "chy0"), List.of(), null, seed, Duration.ofSeconds(3),
                false); // no TSO: tshark on chy0 then sees complete checksums in both directions
        StackRunner runner = StackRunner.start(settings);
        ns.execOk("ip", "addr", "add", "10.77." + subnet + ".1/24", "dev", "chy0");
        ns.execOk("ip", "-6", "addr", "add", "fd77:" + subnet + "::1/64", "dev", "chy0", "nodad");
        return runner;
    }

    @Test
    void stackDownloadsFromNginxAndUploadsToSocatByteExact(@TempDir Path dir) throws Exception {
        long bytes = Long.getLong("chimney.interop.clientBytes", 16L << 20);
        Path www = Files.createDirectories(dir.resolve("www"));
        Path big = InteropFiles.random(www.resolve("blob.bin"), bytes, SEED);
        Path small = InteropFiles.randomText(www.resolve("small.txt"), 1L << 20, SEED);
        Path pcap = dir.resolve("client.pcap");
        try (NetNs ns = NetNs.create(); StackRunner stack = stackIn(ns, 6, SEED)) {
            LinuxPeers.nginx(ns, dir, www, 8080, Duration.ofSeconds(150), "10.77.6.1", "[fd77:6::1]");
            for (String server : new String[] {"10.77.6.1", "fd77:6::1"}) {
                downloadAndUpload(ns, stack, IpAddress.parse(server), big, dir, true);
            }
            // A capture of smaller transfers (reading back a large one takes tshark too long on a busy machine).
            try (Tshark.Capture capture = Tshark.capture(ns, "chy0", pcap, Duration.ofSeconds(60))) {
                for (String server : new String[] {"10.77.6.1", "fd77:6::1"}) {
                    downloadAndUpload(ns, stack, IpAddress.parse(server), small, dir, false);
                }
            }
        }
        assertEquals("", Tshark.problems(pcap), "malformed frames or bad checksums on chy0");
        assertTrue(Tshark.count(pcap, "http.response.code == 200") >= 2, "two HTTP responses captured");
    }

    /**
     * The same with {@code --offload all}: the stack's connections to nginx and socat run on the soft offload target
     * once their handshakes are done (asserted from the offload manager's counters and the merged statistics: the
     * target carried the bytes), and tshark on the TAP sees the target's own frames clean too.
     */
    @Test
    void offloadedStackDownloadsFromNginxAndUploadsToSocatByteExact(@TempDir Path dir) throws Exception {
        long bytes = Long.getLong("chimney.interop.clientBytes", 16L << 20);
        Path www = Files.createDirectories(dir.resolve("www"));
        Path big = InteropFiles.random(www.resolve("blob.bin"), bytes, SEED + 2);
        Path small = InteropFiles.randomText(www.resolve("small.txt"), 1L << 20, SEED + 3);
        Path pcap = dir.resolve("offloaded.pcap");
        try (NetNs ns = NetNs.create(); StackRunner stack = stackIn(ns, 21, SEED, "all")) {
            LinuxPeers.nginx(ns, dir, www, 8080, Duration.ofSeconds(150), "10.77.21.1", "[fd77:21::1]");
            for (String server : new String[] {"10.77.21.1", "fd77:21::1"}) {
                downloadAndUpload(ns, stack, IpAddress.parse(server), big, dir, true);
            }
            try (Tshark.Capture capture = Tshark.capture(ns, "chy0", pcap, Duration.ofSeconds(60))) {
                for (String server : new String[] {"10.77.21.1", "fd77:21::1"}) {
                    downloadAndUpload(ns, stack, IpAddress.parse(server), small, dir, false);
                }
            }
            // a GET and an upload per file and family: 8 connections, each offloaded after its handshake
            assertEquals(8, stack.offloadCounter(OffloadCounter.CONNECTIONS_OFFLOADED));
            assertEquals(0, stack.offloadCounter(OffloadCounter.CONNECTIONS_OFFLOAD_FAILED));
            assertEquals(0, stack.offloadCounter(OffloadCounter.STAYED_ON_HOST));
            ChimneyStatistics st = stack.statistics();
            long moved = 2 * (bytes + small.toFile().length()); // per family: downloaded and uploaded
            assertTrue(st.target().ipv4().inOctets() > moved / 2 && st.target().ipv4().outOctets() > moved / 2
                    && st.target().ipv6().inOctets() > moved / 2 && st.target().ipv6().outOctets() > moved / 2,
                    st.summary());
            System.out.println("offloaded client: " + st.summary());
        }
        assertEquals("", Tshark.problems(pcap), "malformed frames or bad checksums on chy0 (target's frames)");
        assertTrue(Tshark.count(pcap, "http.response.code == 200") >= 2, "two HTTP responses captured");
    }

    /** A stack as {@link #stackIn(NetNs, int, long)} with {@code --offload offload}. */
    static StackRunner stackIn(NetNs ns, int subnet, long seed, String offload) {
        RunSettings settings = new RunSettings("chy0", ns.name(),
                List.of(IpCidr.parse("10.77." + subnet + ".2/24"), IpCidr.parse("fd77:" + subnet + "::2/64")),
                List.of(), 1500, RunSettings.derivedMac(seed, "chy0"), List.of(), null, seed, Duration.ofSeconds(3),
                false).withOffload(offload); // no TSO: tshark on chy0 then sees complete checksums both ways
        StackRunner runner = StackRunner.start(settings);
        ns.execOk("ip", "addr", "add", "10.77." + subnet + ".1/24", "dev", "chy0");
        ns.execOk("ip", "-6", "addr", "add", "fd77:" + subnet + "::1/64", "dev", "chy0", "nodad");
        return runner;
    }

    /** GET {@code file} from nginx on {@code server}, then upload it to a socat listener there; SHA-256 checked. */
    static void downloadAndUpload(NetNs ns, StackRunner stack, IpAddress server, Path file, Path dir, boolean report)
            throws Exception {
        downloadAndUpload(ns, stack, server, file, dir, report, 8080);
    }

    /** As above with nginx on {@code httpPort}. */
    static void downloadAndUpload(NetNs ns, StackRunner stack, IpAddress server, Path file, Path dir, boolean report,
            int httpPort) throws Exception {
        long bytes = Files.size(file);
        String sha = InteropFiles.sha256(file);
        long t0 = System.nanoTime();
        StackClient.HttpResult got = StackClient.get(stack.sockets(), server, httpPort, "/" + file.getFileName(),
                Duration.ofSeconds(60));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(200, got.status(), "GET from nginx at " + server);
        assertEquals(bytes, got.bodyBytes(), "body bytes from nginx at " + server);
        assertEquals(sha, got.sha256(), "SHA-256 of the download from " + server);
        if (report) {
            System.out.printf("download from nginx %s: %d MiB in %.2f s (%.1f MiB/s)%n", server, bytes >> 20,
                    seconds, (bytes >> 20) / seconds);
        }
        Path uploaded = dir.resolve("upload.bin");
        // Port 9 (discard): tshark shows the payload there as opaque data.
        Process socat = ns.spawn(Duration.ofSeconds(90), "socat", "-u",
                "TCP-LISTEN:" + UPLOAD_PORT + ",reuseaddr" + (server.isIpv4() ? ",pf=ip4" : ",pf=ip6"),
                "OPEN:" + uploaded + ",creat,trunc");
        LinuxPeers.awaitListening(ns, UPLOAD_PORT, socat, null);
        t0 = System.nanoTime();
        long sent = StackClient.upload(stack.sockets(), server, UPLOAD_PORT, file, Duration.ofSeconds(60));
        assertEquals(0, socat.waitFor(), "socat listener exit");
        seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(bytes, sent);
        assertEquals(bytes, Files.size(uploaded), "bytes socat wrote from " + server);
        assertEquals(sha, InteropFiles.sha256(uploaded), "SHA-256 of the upload to " + server);
        if (report) {
            System.out.printf("upload to socat %s: %d MiB in %.2f s (%.1f MiB/s)%n", server, bytes >> 20, seconds,
                    (bytes >> 20) / seconds);
        }
    }
}
