package dev.chimney.cli.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.host.OffloadPolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Failover through the control API and {@code chimney ctl} (issue 8 item 2): a host whose NIC is a team of two soft
 * targets on a virtual switch, three connections streaming from a peer. {@code failover} moves every connection to
 * the standby member and back again, the status names the active member, and no byte is lost.
 */
class TeamControlTest {

    @Test
    void failoverMovesEveryConnectionToTheStandbyMemberAndBack() {
        try (OffloadRig rig = new OffloadRig(OffloadPolicy.allEstablished(), true);
                ControlServer server = ControlServer.bind(0, null)) {
            rig.connect(3, true);
            server.attach(rig.host);
            ControlClient client = new ControlClient(server.port(), null, 30_000);
            Object status = Json.parse(client.get("/api/status").body());
            assertEquals("team", Json.at(status, "offload.team.name"));
            assertEquals(List.of("nic0", "nic1"), Json.at(status, "offload.team.members"));
            assertEquals("nic0", Json.at(status, "offload.team.active"));
            assertEquals("team", Json.at(status, "offload.target"));
            assertEquals(List.of("team/nic0", "team/nic0", "team/nic0"), runsOn(client));

            CtlCommandTest.Outcome o = CtlCommandTest.run("ctl", "--control", String.valueOf(server.port()),
                    "failover");
            assertEquals(0, o.exitCode(), o.toString());
            assertEquals("failed over from team/nic0 to team/nic1; 3 connection(s) offloaded, 0 in host",
                    o.out().strip());
            assertEquals(List.of("team/nic1", "team/nic1", "team/nic1"), runsOn(client));
            status = Json.parse(client.get("/api/status").body());
            assertEquals("nic1", Json.at(status, "offload.team.active"));
            assertEquals(1L, Json.at(status, "offload.team.failovers"));
            assertEquals("NONE", Json.at(status, "offload.team.phase"));
            assertTrue(CtlCommandTest.run("ctl", "--control", String.valueOf(server.port()), "status").out()
                    .contains("team       team: members [nic0, nic1], active nic1, NONE, 1 failover(s)"));

            ControlClient.Response back = client.post("/api/failover");
            assertEquals(200, back.status(), back.body());
            assertEquals(List.of("team/nic0", "team/nic0", "team/nic0"), runsOn(client));
            String timeline = client.get("/api/events").body();
            assertTrue(timeline.contains("failover asked for") && timeline.contains("OFFLOAD_PAUSE")
                    && timeline.contains("UPLOAD_ALL") && timeline.contains("OFFLOAD_RESUME"), timeline);

            // pause and upload-all reach the host through the active member (the team drops the standby's)
            assertEquals(200, client.post("/api/upload-all").status());
            assertEquals(List.of("host", "host", "host"), runsOn(client));
            assertEquals(200, client.post("/api/resume").status());
            assertEquals(List.of("team/nic0", "team/nic0", "team/nic0"), runsOn(client));
            rig.stopStreaming();
            assertEquals(0, rig.mismatches(), "no byte lost, duplicated or reordered through the failovers");
        }
    }

    private static List<Object> runsOn(ControlClient client) {
        List<?> list = (List<?>) Json.at(Json.parse(client.get("/api/connections").body()), "connections");
        return list.stream().<Object>map(c -> ((Map<?, ?>) c).get("runsOn")).toList();
    }
}
