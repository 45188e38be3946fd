package dev.chimney.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Packet capture with tshark inside a test namespace, and checks on the resulting pcap.
 *
 * <pre>{@code
 * try (Tshark.Capture cap = Tshark.capture(ns, "tap0", pcapFile, Duration.ofSeconds(30))) {
 *     ... generate traffic ...
 * }   // stopped and flushed here
 * assertEquals("", Tshark.problems(pcapFile));
 * }</pre>
 */
public final class Tshark {
    /**
     * Display filter for frames tshark considers broken: malformed (a dissector ran off the end or found
     * impossible fields) or any expert error, which includes bad IPv4/TCP/UDP/ICMP checksums once checking is on.
     */
    public static final String PROBLEM_FILTER = "_ws.malformed || _ws.expert.severity == error";
    /** Preferences turning on checksum validation (names checked against {@code tshark -G defaultprefs}). */
    public static final List<String> CHECKSUM_PREFS = List.of(
            "-o", "ip.check_checksum:TRUE",
            "-o", "tcp.check_checksum:TRUE",
            "-o", "udp.check_checksum:TRUE");
    private static final Duration START_LIMIT = Duration.ofSeconds(15);
    /** How long a capture keeps running after the test's last frame before it is stopped (see Capture#close). */
    private static final Duration SETTLE = Duration.ofMillis(800);

    private Tshark() {
    }

    /**
     * Starts capturing on {@code iface} in {@code ns} into {@code pcap} and returns once tshark reports it is
     * capturing, so traffic generated afterwards is seen. Stops by itself after {@code maxDuration}.
     */
    public static Capture capture(NetNs ns, String iface, Path pcap, Duration maxDuration) {
        Interop.requireTool("tshark", "tshark");
        Process p = ns.spawn(maxDuration, "tshark", "-n", "-i", iface, "-w", pcap.toString());
        StringBuilder log = new StringBuilder();
        CompletableFuture<Boolean> started = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (log) {
                        log.append(line).append('\n');
                    }
                    // "Capturing on" is printed before dumpcap has attached; tshark's "Capture started"
                    // message comes once dumpcap reports it is capturing. Versions without the latter get a
                    // grace period after the former.
                    if (line.contains("Capture started")) {
                        started.complete(true);
                    } else if (line.contains("Capturing on")) {
                        CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> started.complete(true));
                    }
                }
            } catch (IOException ignored) {
                // the process went away; the completion below reports it
            }
            started.complete(false);
        });
        boolean ok;
        try {
            ok = started.get(START_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            ok = false;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        if (!ok) {
            p.destroyForcibly();
            synchronized (log) {
                throw new IllegalStateException("tshark did not start capturing on " + iface + " in " + ns + ": "
                        + log);
            }
        }
        return new Capture(p, pcap, log);
    }

    /** A running capture; {@link #close()} stops tshark (SIGTERM, so it flushes the file) and waits. */
    public static final class Capture implements AutoCloseable {
        private final Process process;
        private final Path pcap;
        private final StringBuilder log;

        Capture(Process process, Path pcap, StringBuilder log) {
            this.process = process;
            this.pcap = pcap;
            this.log = log;
        }

        /** The file being written. */
        public Path pcap() {
            return pcap;
        }

        /** What tshark printed on stderr so far (start-up lines, packet count, errors). */
        public String log() {
            synchronized (log) {
                return log.toString();
            }
        }

        @Override
        public void close() {
            // dumpcap gets frames from the kernel's capture ring only when a ring block retires (a timeout of some
            // hundred milliseconds); stopping sooner loses the last frames sent. Measured: a ping 0 ms before
            // SIGTERM is lost, 300 ms before it is kept.
            try {
                Thread.sleep(SETTLE.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // SIGTERM only to timeout(1), which forwards it to tshark; tshark stops dumpcap, flushes and exits.
            // Signalling dumpcap directly would lose the buffered tail of the capture.
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Lists the frames of {@code pcap} that are malformed or carry a checksum/expert error, one per line
     * ("number protocols info"); an empty string means the capture is clean.
     */
    public static String problems(Path pcap) {
        return read(pcap, PROBLEM_FILTER);
    }

    /** How many frames of {@code pcap} match the display filter. */
    public static int count(Path pcap, String displayFilter) {
        String out = read(pcap, displayFilter).strip();
        return out.isEmpty() ? 0 : out.split("\n").length;
    }

    /** Frames matching {@code displayFilter}, one line each ("number protocols info"), checksums checked. */
    public static String read(Path pcap, String displayFilter) {
        Interop.requireTool("tshark", "tshark");
        if (!Files.exists(pcap)) {
            throw new IllegalStateException("no capture file " + pcap + ": was the capture started and stopped?");
        }
        List<String> cmd = new java.util.ArrayList<>(List.of("timeout", "30", "tshark", "-n", "-r",
                pcap.toString()));
        cmd.addAll(CHECKSUM_PREFS);
        cmd.addAll(List.of("-Y", displayFilter, "-T", "fields", "-e", "frame.number", "-e", "frame.protocols",
                "-e", "_ws.col.Info"));
        NetNs.Result r = NetNs.run(Duration.ofSeconds(35), cmd.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new IllegalStateException("tshark -r " + pcap + " failed: " + r);
        }
        return r.stdout();
    }
}
