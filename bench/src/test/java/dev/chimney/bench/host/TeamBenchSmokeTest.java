package dev.chimney.bench.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The team harness runs end to end with tiny sizes (its figures are taken by bench/run-team.sh, not here): every
 * phase of the upload sequence completes and checks itself (all N offloaded, all uploaded, back established, none
 * lost), and every failover transfer arrives byte-exact with the connection moved to the other member.
 */
class TeamBenchSmokeTest {

    @Test
    void uploadSequenceRunsEveryPhaseWithTwoHundredConnections() {
        List<String> out = TeamBench.upload(Map.of("connections", "200", "warmup", "0"));
        List<String> results = out.stream().filter(l -> l.startsWith("RESULT")).toList();
        assertEquals(5, results.size(), String.join("\n", out));
        assertTrue(results.get(1).startsWith("RESULT phase=UPLOAD_ALL") && results.get(1).contains("connections=200"),
                results.get(1));
    }

    @Test
    void failoverTransfersArriveExactInEveryRun() {
        List<String> out = TeamBench.failover(Map.of("bytes", "2000000", "rate", "100000000", "bucket-ms", "5"));
        long rows = out.stream().filter(l -> l.startsWith("| A ")).count();
        assertEquals(12, rows, String.join("\n", out)); // 2 directions x (2 baselines + 4 failover runs)
        assertEquals(8, out.stream().filter(l -> l.startsWith("RESULT failover")).count());
    }
}
