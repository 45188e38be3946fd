package dev.chimney.cli.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.host.OffloadPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The control API against a live stack (issue 8 items 2 and 4): a host with the soft offload target and four
 * offloaded connections streaming from a peer, all on their own loop threads. Checks the JSON of every read, that
 * every action takes effect (and loses no byte: the host checks every byte the peer sent), and that every mistake
 * is an error status with a one-line reason.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControlServerTest {
    static final int CONNECTIONS = 4;
    static OffloadRig rig;
    static ControlServer server;
    static ControlClient client;

    @BeforeAll
    static void start() {
        rig = new OffloadRig(OffloadPolicy.allEstablished());
        rig.connect(CONNECTIONS, true);
        server = ControlServer.bind(0, null);
        server.attach(rig.host);
        client = new ControlClient(server.port(), null, 20_000);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (rig != null) {
            rig.close();
        }
    }

    static Object get(String path) {
        ControlClient.Response r = client.get(path);
        assertEquals(200, r.status(), path + ": " + r.body());
        return Json.parse(r.body());
    }

    static String post(String path) {
        ControlClient.Response r = client.post(path);
        assertEquals(200, r.status(), path + ": " + r.body());
        return (String) Json.at(Json.parse(r.body()), "message");
    }

    static List<Map<String, Object>> connections(boolean query) {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> list = (List<Map<String, Object>>) Json.at(get("/api/connections"
                + (query ? "" : "?query=0")), "connections");
        return list;
    }

    static long column(String column) {
        return connections(false).stream().filter(c -> column.equals(c.get("offloadState"))).count();
    }

    @Test
    @Order(1)
    void statusCountsConnectionsByOffloadState() {
        Object s = get("/api/status");
        assertEquals("host", Json.at(s, "host"));
        assertEquals(List.of("10.77.0.1"), Json.at(s, "addresses"));
        assertEquals((long) CONNECTIONS, Json.at(s, "connections.total"));
        assertEquals((long) CONNECTIONS, Json.at(s, "connections.Offloaded"));
        assertEquals(0L, Json.at(s, "connections.InHost"));
        assertEquals("soft0", Json.at(s, "offload.target"));
        assertEquals("OPEN", Json.at(s, "offload.admission"));
        assertEquals("all", Json.at(s, "offload.policy"));
        assertEquals((long) CONNECTIONS, Json.at(s, "offload.connections"));
        assertEquals(1L, Json.at(s, "offload.paths"));
        assertEquals(1L, Json.at(s, "offload.neighbors"));
    }

    /** Offloaded connections' cwnd and SRTT come from the target through a delegated query (spec §3.5). */
    @Test
    @Order(2)
    void connectionsShowTheOffloadStateAndTheTargetsLiveValues() {
        List<Map<String, Object>> list = connections(true);
        assertEquals(CONNECTIONS, list.size());
        for (Map<String, Object> c : list) {
            assertEquals("10.77.0.1", ((String) c.get("local")).split(":")[0]);
            assertEquals("10.77.0.2:" + OffloadRig.PORT, c.get("remote"));
            assertEquals("ESTABLISHED", c.get("state"));
            assertEquals("Offloaded", c.get("offloadState"));
            assertEquals("soft0", c.get("runsOn"));
            assertEquals("target", c.get("liveFrom"), c.toString());
            assertTrue((Long) c.get("cwnd") > 0, c.toString());
            assertTrue((Long) c.get("bytesReceived") > 0, "the peer streams: " + c);
        }
        List<Object> ids = list.stream().map(c -> c.get("id")).toList();
        assertEquals(List.of(1L, 2L, 3L, 4L), ids, "small stable ids in order of first sight");
        long before = (Long) list.get(0).get("bytesReceived");
        OffloadRig.await("bytes keep arriving", () -> (Long) connections(false).get(0).get("bytesReceived") > before);
    }

    @Test
    @Order(3)
    void objectsAreTheNeighborPathTcpTree() {
        Object o = get("/api/objects");
        List<?> neighbors = (List<?>) Json.at(o, "neighbors");
        assertEquals(1, neighbors.size());
        Map<?, ?> n = (Map<?, ?>) neighbors.get(0);
        assertEquals("10.77.0.2", n.get("ip"));
        assertEquals(OffloadRig.MAC_PEER.toString(), n.get("mac"));
        assertEquals("Offloaded", n.get("offloadState"));
        List<?> paths = (List<?>) n.get("paths");
        assertEquals(1, paths.size());
        Map<?, ?> p = (Map<?, ?>) paths.get(0);
        assertEquals("10.77.0.1", p.get("source"));
        assertEquals("10.77.0.2", p.get("destination"));
        assertEquals(1500L, p.get("pathMtu"));
        assertEquals((long) CONNECTIONS, p.get("dependents"));
        List<?> tcp = (List<?>) p.get("connections");
        assertEquals(CONNECTIONS, tcp.size());
        for (Object c : tcp) {
            assertEquals("Offloaded", ((Map<?, ?>) c).get("offloadState"));
        }
        assertEquals(0L, Json.at(o, "connectionsInHost"));
    }

    /** Counters for the spec's statistics (§5.4, from the target) and the host's, and drops by reason. */
    @Test
    @Order(4)
    void statsHaveHostAndTargetCountersAndDropsByReason() {
        Object s = get("/api/stats");
        assertEquals((long) CONNECTIONS, Json.at(s, "host.offload.CONNECTIONS_OFFLOADED"));
        assertTrue((Long) Json.at(s, "host.tcp.SEGMENTS_IN") > 0);
        assertTrue((Long) Json.at(s, "host.ip.FRAMES_RECEIVED") > 0);
        assertEquals("soft0", Json.at(s, "target.name"));
        assertTrue((Long) Json.at(s, "target.tcp4.inSegments") > 0, "the target counts offloaded traffic");
        assertTrue((Long) Json.at(s, "target.ipv4.inOctets") > (Long) Json.at(s, "target.tcp4.inSegments") * 40);
        assertEquals((long) CONNECTIONS, Json.at(s, "target.tcp4.currentlyEstablished"), "R-STAT-4 gauge");
        assertEquals(0L, Json.at(s, "target.ipv6.inReceives"));
        Map<?, ?> drops = (Map<?, ?>) Json.at(s, "drops");
        for (String key : List.of("ip.FRAME_DROP_NOT_FOR_US", "tcpip.DROP_BAD_CHECKSUM", "tcp.DROP_PAWS",
                "offload.HELD_SEGMENTS_DROPPED", "target.ipv4.inDiscards", "target.tcp4.inErrors", "target.VLAN_MISMATCH",
                "target.HELD_OVERFLOW", "target.tcp.DROP_PAWS")) {
            assertNotNull(drops.get(key), "drop counter " + key + " in " + drops.keySet());
        }
        long sum = drops.values().stream().mapToLong(v -> (Long) v).sum();
        assertEquals(sum, Json.at(s, "dropsTotal"));
    }

    /** UPLOAD_ALL takes every connection to the host, RESUME offloads them again, no byte lost (spec §5.1). */
    @Test
    @Order(5)
    void uploadAllThenResumeMovesEveryConnectionAndBack() {
        String m = post("/api/upload-all");
        assertTrue(m.startsWith("uploaded"), m);
        assertEquals((long) CONNECTIONS, column("InHost"));
        assertEquals("DRAINED", Json.at(get("/api/status"), "offload.admission"));
        for (Map<String, Object> c : connections(false)) {
            assertEquals("host", c.get("runsOn"));
            assertEquals("host", c.get("liveFrom"));
        }
        assertEquals(List.of(), Json.at(get("/api/objects"), "neighbors"), "paths and neighbors terminated too");
        m = post("/api/resume");
        assertTrue(m.contains("4 offloaded, 0 in host"), m); // RESUME itself re-offloads what UPLOAD_ALL took (issue 7)
        assertEquals((long) CONNECTIONS, column("Offloaded"));
        assertEquals("OPEN", Json.at(get("/api/status"), "offload.admission"));
        assertEquals(0, rig.mismatches());
    }

    @Test
    @Order(6)
    void pauseStopsNewOffloadsAndResumeReopens() {
        assertTrue(post("/api/pause").startsWith("paused"));
        assertEquals("PAUSED", Json.at(get("/api/status"), "offload.admission"));
        assertEquals((long) CONNECTIONS, column("Offloaded"), "PAUSE leaves offloaded connections alone");
        post("/api/connections/2/terminate");
        ControlClient.Response r = client.post("/api/connections/2/offload");
        assertEquals(409, r.status(), r.body());
        assertTrue(r.error().contains("stays on the host") && r.error().contains("PAUSED"), r.error());
        post("/api/resume");
        assertEquals((long) CONNECTIONS, column("Offloaded"), "resume offloads the policy's connections again");
    }

    @Test
    @Order(7)
    void terminateAndOffloadOneConnectionById() {
        assertEquals("connection 3 InHost", post("/api/connections/3/terminate"));
        Map<String, Object> c3 = connections(false).get(2);
        assertEquals(3L, c3.get("id"));
        assertEquals("InHost", c3.get("offloadState"));
        assertEquals((long) CONNECTIONS - 1, column("Offloaded"));
        assertEquals("connection 3 Offloaded", post("/api/connections/3/offload"));
        assertEquals((long) CONNECTIONS, column("Offloaded"));
    }

    @Test
    @Order(8)
    void mistakesAreErrorStatusesWithOneLineReasons() {
        ControlClient.Response r = client.post("/api/connections/9999/terminate");
        assertEquals(404, r.status());
        assertEquals("no connection 9999 (list them with 'chimney ctl connections')", r.error());
        r = client.post("/api/connections/abc/offload");
        assertEquals(400, r.status());
        r = client.post("/api/connections/1/offload");
        assertEquals(409, r.status(), "already offloaded");
        assertTrue(r.error().contains("already offloaded") && r.error().contains("R-HOST-3"), r.error());
        r = client.post("/api/failover");
        assertEquals(409, r.status());
        assertTrue(r.error().startsWith("no team configured"), r.error());
        r = client.get("/api/pause");
        assertEquals(405, r.status());
        r = client.post("/api/status");
        assertEquals(405, r.status());
        r = client.get("/api/nothing");
        assertEquals(404, r.status());
        r = client.get("/api/events?since=x");
        assertEquals(400, r.status());
        for (ControlClient.Response any : List.of(r, client.get("/api/nothing"))) {
            assertEquals(1, any.error().lines().count(), any.error());
        }
    }

    @Test
    @Order(9)
    void theTimelineHasTheOperationsAndIndications() {
        Object e = get("/api/events");
        List<?> events = (List<?>) Json.at(e, "events");
        List<String> texts = events.stream().map(x -> (String) ((Map<?, ?>) x).get("text")).toList();
        assertTrue(texts.stream().anyMatch(t -> t.startsWith("UPLOAD_ALL (admission now UPLOADING_ALL)")), texts
                .toString());
        assertTrue(texts.stream().anyMatch(t -> t.startsWith("OFFLOAD_RESUME")), texts.toString());
        assertTrue(texts.stream().anyMatch(t -> t.startsWith("OFFLOAD_PAUSE")), texts.toString());
        assertTrue(texts.stream().anyMatch(t -> t.startsWith("TERMINATE issued: 1 neighbor, 1 path, 4 connections")),
                texts.toString());
        assertTrue(texts.stream().anyMatch(t -> t.startsWith("INITIATE completed: ")), texts.toString());
        assertTrue(texts.stream().anyMatch(t -> t.equals("upload-all asked for")), texts.toString());
        long next = (Long) Json.at(e, "next");
        assertEquals(List.of(), Json.at(get("/api/events?since=" + next), "events"), "nothing new since 'next'");
    }

    @Test
    @Order(10)
    void throughputIsSampledWhileThePeerStreams() {
        OffloadRig.await("a few samples", () -> ((List<?>) Json.at(get("/api/throughput"), "points")).size() >= 3);
        List<?> points = (List<?>) Json.at(get("/api/throughput"), "points");
        Map<?, ?> last = (Map<?, ?>) points.getLast();
        // 4 connections x 16 KiB every 20 ms is about 3.2 MB/s; sampling jitter and moves allow a wide band
        long in = (Long) last.get("inBytesPerSecond");
        assertTrue(in > 500_000 && in < 20_000_000, "in " + in + " B/s");
        assertTrue((Long) last.get("offloadedInBytesPerSecond") <= in);
    }

    /** The byte totals the API reports are exactly what the host's reader received (live while parked). */
    @Test
    @Order(11)
    void byteTotalsMatchWhatTheApplicationReceived() {
        rig.stopStreaming();
        List<Map<String, Object>> list = connections(false);
        List<Long> read = rig.host.callOnLoop(() -> rig.readers.stream().map(x -> x.received).toList());
        for (int i = 0; i < CONNECTIONS; i++) {
            assertEquals(read.get(i), list.get(i).get("bytesReceived"), "connection " + (i + 1));
        }
        assertEquals(0, rig.mismatches(), "no byte lost, duplicated or reordered through every move");
        // the other direction: bytes the host writes on an offloaded connection count once the peer acknowledged them
        assertEquals("Offloaded", list.get(0).get("offloadState"));
        assertEquals(0L, list.get(0).get("bytesAcked"));
        rig.host.callOnLoop(() -> rig.readers.get(0).connection.write(new byte[10_000]));
        OffloadRig.await("the peer acknowledged 10,000 bytes", () -> Long.valueOf(10_000).equals(
                connections(false).get(0).get("bytesAcked")));
        assertEquals(0L, connections(false).get(1).get("bytesAcked"));
    }

    @Test
    @Order(12)
    void theDashboardIsServedAndForeignHostNamesAreRefused() throws IOException {
        ControlClient.Response page = client.get("/");
        assertEquals(200, page.status());
        assertTrue(page.body().contains("<canvas id=\"throughput\"") && page.body().contains("btn-upload-all"));
        assertTrue(client.get("/dashboard.js").body().contains("function poll"));
        // a request naming another host (DNS rebinding) is refused
        try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.getOutputStream().write(("POST /api/upload-all HTTP/1.1\r\nHost: evil.example:" + server.port()
                    + "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").getBytes());
            String answer = new String(s.getInputStream().readAllBytes());
            assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
        }
        assertEquals("OPEN", Json.at(get("/api/status"), "offload.admission"));
    }

    @Test
    void aControlPortInUseIsAOneLineError() throws IOException {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ControlServer.bind(busy.getLocalPort(), null));
            assertEquals("control port " + busy.getLocalPort() + " on 127.0.0.1 is in use (another chimney run?); "
                    + "choose another --control port", e.getMessage());
        }
    }
}
