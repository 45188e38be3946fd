package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.jfr.OffloadFailoverEvent;
import dev.chimney.chimney.jfr.OffloadIndicationEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A team's failover as JDK Flight Recorder sees it (issue 8 item 4): one {@code dev.chimney.OffloadFailover} event
 * per failover, naming the team, both members, the reason and how many connections it moved, from the decision to
 * the RESUME; the PAUSE, UPLOAD_ALL and RESUME it raised are recorded as indications.
 */
class TeamFailoverJfrTest {
    static final long S = 1_000_000_000L;

    @Test
    void aFailoverOnCommandAndOneForALinkDownAreRecorded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("failover.jfr");
        TeamScenario s;
        try (Recording recording = new Recording()) {
            recording.enable(OffloadFailoverEvent.NAME).withThreshold(Duration.ZERO);
            recording.enable(OffloadIndicationEvent.NAME);
            recording.start();
            s = TeamScenario.params().seed(907).connections(6).maxBytes(300_000).rate(100_000_000).build();
            long want = s.expected() / 4;
            assertTrue(s.sim.runUntil(() -> s.received() >= want, s.sim.nowNs() + 60 * S), s.report());
            int offloaded = s.nic0.offloadedConnections();
            assertTrue(offloaded > 0, s.report());
            s.team.failover();
            assertTrue(s.sim.runUntil(() -> s.team.failovers() == 1, s.sim.nowNs() + 30 * S), s.report());
            assertTrue(s.sim.runUntil(() -> s.nic1.offloadedConnections() > 0, s.sim.nowNs() + 5 * S), s.report());
            s.team.linkStatus(1, false); // the new active link goes down: back to member 0
            assertTrue(s.sim.runUntil(() -> s.team.failovers() == 2, s.sim.nowNs() + 30 * S), s.report());
            recording.stop();
            recording.dump(file);
        }
        List<String> failovers = new ArrayList<>();
        List<String> indications = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals(OffloadFailoverEvent.NAME)) {
                failovers.add(e.getString("team") + " " + e.getString("from") + "->" + e.getString("to") + " ("
                        + e.getString("reason") + ")");
                assertTrue(e.getInt("connections") > 0, "connections moved: " + e);
                assertTrue(!e.getDuration().isNegative(), e.toString());
            } else if (e.getEventType().getName().equals(OffloadIndicationEvent.NAME)
                    && e.getString("kind").equals(OffloadIndicationEvent.STATUS)) {
                indications.add(e.getString("indication"));
            }
        }
        assertEquals(List.of("team nic0->nic1 (asked for)", "team nic1->nic0 (link of nic1 down)"), failovers);
        assertEquals(List.of("OFFLOAD_PAUSE", "UPLOAD_ALL", "OFFLOAD_RESUME", "OFFLOAD_PAUSE", "UPLOAD_ALL",
                "OFFLOAD_RESUME"), indications.subList(0, 6));
    }
}
