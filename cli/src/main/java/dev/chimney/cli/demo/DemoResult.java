package dev.chimney.cli.demo;

import dev.chimney.chimney.StatusIndication;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * The figures of a finished demo. Under the simulator every one of them but the wall time follows from the settings
 * and the seed alone (the same seed prints the same summary).
 *
 * @param indications status indications alice's offload manager heard, indexed by {@link StatusIndication#ordinal}
 * @param framesLost  frames the lossy link dropped, both ways
 * @param queueDrops  frames the switch ports' full queues dropped
 * @param elapsedNs   run time by the run's clock (virtual under the simulator)
 * @param wallNs      wall-clock time of the whole run, set-up included
 * @param skipped     phases that did not run because the transfer was over first
 * @param failure     null when every byte was verified and every connection closed normally, else why not
 */
public record DemoResult(ChimneyDemo.Settings settings, int connections, int ipv6Connections, long verified,
        long expected, long offloads, long uploads, long retrieves, long lost, long offloadsFailed,
        long protocolViolations,
        long[] indications, long failovers, long aliceHostRetransmits, long nic0Retransmits, long nic1Retransmits,
        long bobRetransmits, long framesLost, long queueDrops, long elapsedNs, long wallNs, long framesCaptured,
        List<ChimneyDemo.Phase> skipped, String failure) {

    public boolean passed() {
        return failure == null;
    }

    /** The summary; every line but the last ("wall clock ...") is deterministic under the simulator. */
    public void print(PrintWriter out) {
        out.println("summary");
        line(out, "connections", "%d (%d over IPv4, %d over IPv6)%s", connections, connections - ipv6Connections,
                ipv6Connections, failure == null ? ", every one closed normally" : "");
        line(out, "bytes verified", "%,d of %,d (%s each way on each connection, checked byte by byte)", verified,
                expected, size(settings.bytes()));
        line(out, "offloads", "%d connections offloaded, %d uploaded back to the host (%d at the NIC's request)%s",
                offloads, uploads, retrieves,
                lost + offloadsFailed + protocolViolations == 0 ? "" : String.format(Locale.ROOT,
                        " (%d lost, %d initiates failed, %d protocol violations)", lost, offloadsFailed,
                        protocolViolations));
        line(out, "indications", "PAUSE %d, UPLOAD_ALL %d, RESUME %d", indications[StatusIndication.OFFLOAD_PAUSE
                .ordinal()], indications[StatusIndication.UPLOAD_ALL.ordinal()],
                indications[StatusIndication.OFFLOAD_RESUME.ordinal()]);
        line(out, "failovers", "%d", failovers);
        line(out, "retransmits", "%,d segments (alice's stack %,d, nic0 %,d, nic1 %,d, bob %,d)",
                aliceHostRetransmits + nic0Retransmits + nic1Retransmits + bobRetransmits, aliceHostRetransmits,
                nic0Retransmits, nic1Retransmits, bobRetransmits);
        line(out, "frames dropped", "%,d by bob's link (%s%% loss each way), %,d by full switch queues", framesLost,
                trim(settings.lossPercent()), queueDrops);
        double seconds = elapsedNs / 1e9;
        line(out, "throughput", "%.2f Gbit/s verified over %.3f s of %s time", seconds <= 0 ? 0
                : verified * 8 / seconds / 1e9, seconds, settings.realTime() ? "real" : "virtual");
        line(out, "capture", "%s: %,d frames of bob's link (first %d bytes of each)", settings.pcap(),
                framesCaptured, ChimneyDemo.SNAPLEN);
        if (!skipped.isEmpty()) {
            line(out, "not reached", "%s (the transfer was over first: give more --bytes)", skipped.stream()
                    .map(p -> p.label).toList());
        }
        line(out, "result", "%s", failure == null ? "PASS: every byte verified, every connection closed normally"
                : "FAIL: " + failure);
        out.printf(Locale.ROOT, "wall clock %.1f s%n", wallNs / 1e9);
    }

    private static void line(PrintWriter out, String label, String format, Object... args) {
        out.printf(Locale.ROOT, "  %-15s %s%n", label, String.format(Locale.ROOT, format, args));
    }

    static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.4f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    /** {@code bytes} the way --bytes takes it: 4 MiB, 512 KiB, 1000 B (one decimal when not a whole unit). */
    public static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB"};
        int u = 0;
        while (u < units.length - 1 && bytes >= 1L << (10 * (u + 1))) {
            u++;
        }
        long unit = 1L << (10 * u);
        return bytes % unit == 0 ? bytes / unit + " " + units[u]
                : String.format(Locale.ROOT, "%.1f %s", (double) bytes / unit, units[u]);
    }
}
