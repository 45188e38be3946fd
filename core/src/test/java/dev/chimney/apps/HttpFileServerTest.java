package dev.chimney.apps;

import static dev.chimney.socket.TwoHosts.B;
import static dev.chimney.socket.TwoHosts.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.TwoHosts;
import dev.chimney.tcp.TcpConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The static-file HTTP/1.1 server on a simulated host, exercised by an in-test client on the other host. */
class HttpFileServerTest {
    static final long SEED = 9110L;

    @TempDir
    Path dir;
    Path root;
    byte[] small;

    @BeforeEach
    void files() throws IOException {
        root = Files.createDirectories(dir.resolve("www"));
        small = "hello, chimney\n".getBytes(StandardCharsets.UTF_8);
        Files.write(root.resolve("hello.txt"), small);
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/index.html"), "<h1>sub</h1>");
        Files.writeString(dir.resolve("secret.txt"), "outside the root");
    }

    /** Runs one client with {@code requests} against a fresh server; returns the client after both sides end. */
    HttpTestClient exchange(List<String> requests, List<Boolean> isHead, boolean halfClose) throws IOException {
        return exchange(TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS), requests, isHead, halfClose);
    }

    HttpTestClient exchange(TwoHosts h, List<String> requests, List<Boolean> isHead, boolean halfClose)
            throws IOException {
        HttpFileServer server = HttpFileServer.start(h.b, 80, root);
        HttpTestClient client = new HttpTestClient(requests, isHead, halfClose);
        h.a.connect(B, 80, SocketOptions.defaults(), client);
        assertTrue(h.runUntil(() -> client.responses.size() == requests.size() && (!halfClose || client.eof),
                3_600_000 * MS), "got " + client.responses.size() + " of " + requests.size() + " responses; seed "
                + SEED);
        lastServer = server;
        return client;
    }

    HttpFileServer lastServer;

    @Test
    void getReturnsTheFileWithContentLength() throws IOException {
        HttpTestClient c = exchange(List.of(HttpTestClient.get("/hello.txt")), List.of(false), true);
        HttpTestClient.Response r = c.responses.getFirst();
        assertEquals(200, r.status());
        assertEquals(String.valueOf(small.length), r.headers().get("content-length"));
        assertEquals("text/plain; charset=utf-8", r.headers().get("content-type"));
        assertArrayEquals(small, r.body());
        assertNull(c.error);
    }

    @Test
    void headReturnsHeadersOnly() throws IOException {
        HttpTestClient c = exchange(List.of("HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
                HttpTestClient.get("/hello.txt")), List.of(true, false), true);
        assertEquals(200, c.responses.get(0).status());
        assertEquals(String.valueOf(small.length), c.responses.get(0).headers().get("content-length"));
        assertEquals(0, c.responses.get(0).body().length);
        // the next response starts right after the head: HEAD sent no body bytes
        assertArrayEquals(small, c.responses.get(1).body());
    }

    @Test
    void keepAliveServesPipelinedRequestsInOrderOnOneConnection() throws IOException {
        HttpTestClient c = exchange(List.of(HttpTestClient.get("/hello.txt"), HttpTestClient.get("/sub/"),
                HttpTestClient.get("/nope"), HttpTestClient.get("/hello.txt")), List.of(false, false, false, false),
                false);
        assertEquals(List.of(200, 200, 404, 200), c.responses.stream().map(HttpTestClient.Response::status).toList());
        assertEquals("<h1>sub</h1>", c.responses.get(1).bodyText());
        assertEquals("text/html; charset=utf-8", c.responses.get(1).headers().get("content-type"));
        assertTrue(!c.closed, "HTTP/1.1 keeps the connection open");
        assertEquals(4, lastServer.requests());
        assertEquals(1, lastServer.openConnections());
    }

    @Test
    void connectionCloseEndsTheConnectionAfterTheResponse() throws IOException {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpTestClient c = exchange(h, List.of("GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n"),
                List.of(false), false);
        assertEquals("close", c.responses.getFirst().headers().get("connection"));
        assertTrue(h.runUntil(() -> c.eof, 1000 * MS), "server sent FIN after the response");
        assertArrayEquals(small, c.responses.getFirst().body());
    }

    @Test
    void http10ClosesByDefault() throws IOException {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpTestClient c = exchange(h, List.of("GET /hello.txt HTTP/1.0\r\n\r\n"), List.of(false), false);
        assertTrue(h.runUntil(() -> c.eof, 1000 * MS));
        assertEquals(200, c.responses.getFirst().status());
    }

    @Test
    void missingFileIs404AndOtherMethodsAre405() throws IOException {
        HttpTestClient c = exchange(List.of(HttpTestClient.get("/missing.txt"),
                "POST /hello.txt HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde", "DELETE /hello.txt HTTP/1.1\r\n\r\n",
                HttpTestClient.get("/hello.txt")), List.of(false, false, false, false), true);
        assertEquals(404, c.responses.get(0).status());
        assertEquals(405, c.responses.get(1).status());
        assertEquals("GET, HEAD", c.responses.get(1).headers().get("allow"));
        assertEquals(405, c.responses.get(2).status());
        assertEquals(200, c.responses.get(3).status(), "the POST body was skipped, framing kept");
        assertEquals(1, lastServer.responses(404));
        assertEquals(2, lastServer.responses(405));
    }

    @Test
    void pathTraversalIsRejected() throws IOException {
        for (String target : List.of("/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt",
                "/sub/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt", "/..", "/sub/..")) {
            HttpTestClient c = exchange(List.of(HttpTestClient.get(target)), List.of(false), true);
            HttpTestClient.Response r = c.responses.getFirst();
            assertEquals(400, r.status(), target);
            assertTrue(!r.bodyText().contains("outside"), target);
        }
    }

    @Test
    void symlinkOutOfTheRootIsNotFollowed() throws IOException {
        Files.createSymbolicLink(root.resolve("escape.txt"), dir.resolve("secret.txt"));
        HttpTestClient c = exchange(List.of(HttpTestClient.get("/escape.txt")), List.of(false), true);
        assertEquals(404, c.responses.getFirst().status());
    }

    /** Serves {@code target} to a new client of {@code server}'s host and returns the one response. */
    static HttpTestClient.Response fetch(TwoHosts h, String target) {
        HttpTestClient c = new HttpTestClient(List.of(HttpTestClient.get(target)), List.of(false), true);
        h.a.connect(B, 80, SocketOptions.defaults(), c);
        assertTrue(h.runUntil(() -> c.responses.size() == 1 && c.eof, 10_000 * MS), "no response for " + target);
        return c.responses.getFirst();
    }

    @Test
    void aRememberedFileReplacedByASymlinkOutOfTheRootIsRefused() throws IOException {
        // the real-path check is reused for a second (issue 9: realpath per request was a large share of a short
        // connection's cost); the file is then opened with O_NOFOLLOW, so a link swapped in meanwhile is refused
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpFileServer server = HttpFileServer.start(h.b, 80, root);
        assertEquals(200, fetch(h, "/hello.txt").status());
        assertEquals(200, fetch(h, "/hello.txt").status());
        assertEquals(1, server.resolveCacheHits(), "the second request reused the first one's check");
        Files.delete(root.resolve("hello.txt"));
        Files.createSymbolicLink(root.resolve("hello.txt"), dir.resolve("secret.txt"));
        HttpTestClient.Response r = fetch(h, "/hello.txt");
        assertEquals(404, r.status());
        assertTrue(!r.bodyText().contains("outside"));
        assertEquals(2, server.resolveCacheHits(), "refused on the remembered path, not by a new check");
        assertEquals(404, fetch(h, "/hello.txt").status(), "forgotten, then refused by the full check");
        assertEquals(2, server.resolveCacheHits());
    }

    @Test
    void aRememberedCheckExpiresAfterResolveCacheNs() throws IOException {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpFileServer server = HttpFileServer.start(h.b, null, 80, root, SocketOptions.defaults(),
                new HttpFileServer.Config(8192, 16, 60_000 * MS, 4096, 500 * MS));
        assertEquals(200, fetch(h, "/hello.txt").status());
        h.sim.runFor(600 * MS);
        assertEquals(200, fetch(h, "/hello.txt").status());
        assertEquals(0, server.resolveCacheHits(), "checked again after the window");
        assertEquals(200, fetch(h, "/hello.txt").status());
        assertEquals(1, server.resolveCacheHits());
    }

    @Test
    void malformedRequestsAre400AndClose() throws IOException {
        for (String bad : List.of("GARBAGE\r\n\r\n", "GET /hello.txt\r\n\r\n", "GET hello.txt HTTP/1.1\r\n\r\n",
                "GET /hello.txt HTTP/2.0\r\n\r\n", "GET /hello.txt HTTP/1.1\r\nBad Header : x\r\n\r\n",
                "GET /%zz HTTP/1.1\r\n\r\n")) {
            TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
            HttpTestClient c = exchange(h, List.of(bad), List.of(false), false);
            assertEquals(400, c.responses.getFirst().status(), bad);
            assertTrue(h.runUntil(() -> c.eof, 1000 * MS), "closed after 400: " + bad);
        }
    }

    @Test
    void aLongRequestHeadWithinTheLimitIsServed() throws IOException {
        // the head buffer starts at 1 KiB and grows on demand up to maxRequestHeadBytes (8 KiB by default)
        String longHead = "GET /hello.txt HTTP/1.1\r\nX-Pad: " + "a".repeat(6_000) + "\r\n\r\n";
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpTestClient c = exchange(h, List.of(longHead, HttpTestClient.get("/hello.txt")), List.of(false, false),
                true);
        assertEquals(200, c.responses.get(0).status());
        assertEquals(200, c.responses.get(1).status(), "the next request on the same connection too");
    }

    @Test
    void oversizedRequestHeadIs431() throws IOException {
        String huge = "GET /hello.txt HTTP/1.1\r\nX-Pad: " + "a".repeat(10_000) + "\r\n\r\n";
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpTestClient c = exchange(h, List.of(huge), List.of(false), false);
        assertEquals(431, c.responses.getFirst().status());
        assertTrue(h.runUntil(() -> c.eof, 10_000 * MS), "the server ends the connection after 431");
    }

    @Test
    void idleKeepAliveConnectionIsClosedAfterTheTimeout() throws IOException {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpFileServer.start(h.b, null, 80, root, SocketOptions.defaults(),
                new HttpFileServer.Config(8192, 16, 5_000 * MS, 4096));
        HttpTestClient c = new HttpTestClient(List.of(HttpTestClient.get("/hello.txt")), List.of(false), false);
        h.a.connect(B, 80, SocketOptions.defaults(), c);
        assertTrue(h.runUntil(() -> c.responses.size() == 1, 1000 * MS));
        long t = h.sim.nowNs();
        assertTrue(h.runUntil(() -> c.eof, 60_000 * MS));
        long idleMs = (h.sim.nowNs() - t) / MS;
        // armed when the response was handed to TCP, one one-way delay (2 ms) before the client parsed it
        assertTrue(idleMs >= 4_990 && idleMs <= 5_010, "closed after " + idleMs + " ms idle");
    }

    @Test
    void largeFileStreamsByteExact() throws Exception {
        streamLargeFile(24L << 20, TwoHosts.smallBuffers());
    }

    @Test
    @Tag("slow")
    void file256MiBStreamsByteExact() throws Exception {
        streamLargeFile(256L << 20, TcpConfig.builder().build());
    }

    private void streamLargeFile(long size, TcpConfig config) throws Exception {
        Path big = root.resolve("big.bin");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[1 << 20];
        SeededRandom r = new SeededRandom(SEED);
        try (OutputStream out = Files.newOutputStream(big)) {
            for (long left = size; left > 0; left -= block.length) {
                r.nextBytes(block);
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                sha.update(block, 0, n);
            }
        }
        TwoHosts h = TwoHosts.simulated(SEED, config, MS);
        HttpTestClient c = exchange(h, List.of(HttpTestClient.get("/big.bin"), HttpTestClient.get("/hello.txt")),
                List.of(false, false), true);
        HttpTestClient.Response r0 = c.responses.get(0);
        assertEquals(200, r0.status());
        assertEquals(size, r0.bodyLength());
        assertArrayEquals(sha.digest(), r0.sha256(), "body hash; seed " + SEED);
        assertArrayEquals(small, c.responses.get(1).body(), "keep-alive after a large body");
    }
}
