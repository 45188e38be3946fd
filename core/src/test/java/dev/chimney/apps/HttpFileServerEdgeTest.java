package dev.chimney.apps;

import static dev.chimney.socket.TwoHosts.B;
import static dev.chimney.socket.TwoHosts.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.TwoHosts;
import dev.chimney.tcp.TcpConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Edge cases of the HTTP server found in review; each test failed before its fix. */
class HttpFileServerEdgeTest {
    static final long SEED = 9112L;

    @TempDir
    Path dir;
    Path root;
    byte[] small;

    @BeforeEach
    void files() throws IOException {
        root = Files.createDirectories(dir.resolve("www"));
        small = "hello, chimney\n".getBytes(StandardCharsets.UTF_8);
        Files.write(root.resolve("hello.txt"), small);
    }

    HttpFileServer server;

    HttpTestClient run(TwoHosts h, HttpTestClient client, int expected) throws IOException {
        server = HttpFileServer.start(h.b, 80, root);
        h.a.connect(B, 80, SocketOptions.defaults(), client);
        assertTrue(h.runUntil(() -> client.responses.size() == expected && client.eof, 600_000 * MS),
                "got " + client.responses.size() + " of " + expected + " responses; seed " + SEED);
        return client;
    }

    /**
     * Thousands of small pipelined requests arriving in one large segment (a 64 KiB MTU stands for GRO/LRO on a
     * real NIC or TAP) are answered in order. Before, each answered request recursed into the next (finishResponse
     * -> onReadable -> handle -> send -> finishResponse ...), so the loop's stack grew with the pipeline depth.
     */
    @Test
    void thousandsOfPipelinedRequestsInOneSegmentDoNotRecurse() throws IOException {
        TcpConfig config = TcpConfig.builder().sendBufferBytes(8 << 20).receiveBufferBytes(8 << 20).build();
        TwoHosts h = TwoHosts.simulated(SEED, config, 2 * MS, 65_535);
        int n = 20_000;
        String request = "GET /hello.txt HTTP/1.1\n\n"; // bare-LF form (RFC 9112 §2.2): shortest valid request
        HttpTestClient c = run(h, new HttpTestClient(Collections.nCopies(n, request),
                Collections.nCopies(n, false), true), n);
        for (int i = 0; i < n; i++) {
            assertEquals(200, c.responses.get(i).status(), "response " + i + "; seed " + SEED);
            assertArrayEquals(small, c.responses.get(i).body(), "response " + i + "; seed " + SEED);
        }
        assertNull(c.error);
    }

    /**
     * A request with "Connection: close" followed by more pipelined requests: the server answers the first, sends
     * FIN and ignores the rest (RFC 9112 §9.6). Before, the read loop went on parsing the buffered requests after
     * the FIN: it opened the next file, counted a 200 it could never send, and was left "responding" forever.
     */
    @Test
    void requestsPipelinedAfterConnectionCloseAreIgnored() throws IOException {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        List<String> requests = List.of("GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n",
                HttpTestClient.get("/hello.txt"), HttpTestClient.get("/hello.txt"));
        HttpTestClient c = new HttpTestClient(requests, List.of(false, false, false), true);
        run(h, c, 1);
        assertEquals(1, c.responses.size());
        assertEquals("close", c.responses.getFirst().headers().get("connection"));
        assertArrayEquals(small, c.responses.getFirst().body());
        assertTrue(h.runUntil(() -> c.closed, 60_000 * MS), "the connection ends; seed " + SEED);
        assertEquals(0, h.loopB.errors(), "no exception on the server's loop");
        assertEquals(1, server.requests(), "only the request answered counts");
        assertEquals(1, server.responses(200));
        assertTrue(h.runUntil(() -> server.openConnections() == 0, 600_000 * MS),
                "the server's side ends too (after TIME_WAIT); seed " + SEED);
    }

    /**
     * Framing that two parsers could read differently is refused with 400 and close (RFC 9112 §6.3: conflicting
     * Content-Length values are an unrecoverable error; Content-Length is 1*DIGIT, so "+5" is not one; §5.2: a
     * server rejects obsolete line folding or replaces it). Before, the last Content-Length won, "+5" parsed as 5 and
     * a folded line was taken as a header: a request-smuggling gap when a proxy reads the other way.
     */
    @Test
    void ambiguousFramingIs400AndClose() throws IOException {
        for (String bad : List.of(
                "GET /hello.txt HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcdefg",
                "GET /hello.txt HTTP/1.1\r\nContent-Length: +5\r\n\r\nabcde",
                "GET /hello.txt HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nabcde",
                "GET /hello.txt HTTP/1.1\r\nX-A: a\r\n b: c\r\n\r\n")) {
            TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
            HttpTestClient c = new HttpTestClient(List.of(bad), List.of(false), false);
            HttpFileServer s = HttpFileServer.start(h.b, 80, root);
            h.a.connect(B, 80, SocketOptions.defaults(), c);
            assertTrue(h.runUntil(() -> c.responses.size() == 1 && c.eof, 10_000 * MS), "answered: " + bad);
            assertEquals(400, c.responses.getFirst().status(), bad);
            assertEquals(1, s.responses(400), bad);
        }
    }

    /** RFC 9112 §2.2: empty lines before a request line are ignored (some clients send CRLF after a body). */
    @Test
    void emptyLinesBeforeTheRequestLineAreIgnored() throws IOException {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        List<String> requests = List.of("\r\n" + HttpTestClient.get("/hello.txt"),
                "\r\n\n" + HttpTestClient.get("/hello.txt"));
        HttpTestClient c = run(h, new HttpTestClient(requests, List.of(false, false), true), 2);
        assertEquals(200, c.responses.get(0).status());
        assertEquals(200, c.responses.get(1).status());
        assertArrayEquals(small, c.responses.get(1).body());
    }

    /** HEAD of a large file answers its length and no body; the next request on the connection still works. */
    @Test
    void headOfALargeFileSendsNoBodyAndKeepsTheConnectionUsable() throws IOException {
        byte[] big = new byte[8 << 20];
        new dev.chimney.runtime.SeededRandom(SEED).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpTestClient c = run(h, new HttpTestClient(List.of("HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n",
                HttpTestClient.get("/hello.txt")), List.of(true, false), true), 2);
        assertEquals(200, c.responses.get(0).status());
        assertEquals(String.valueOf(big.length), c.responses.get(0).headers().get("content-length"));
        assertEquals(0, c.responses.get(0).body().length);
        assertArrayEquals(small, c.responses.get(1).body(), "the body after HEAD is the next response's");
        assertTrue(server.bytesSent() < 4096, "HEAD sent only headers: " + server.bytesSent());
    }

    /**
     * Connects and asks for /big.bin, reading whatever comes; after each read {@code afterRead} gets the channel and
     * the bytes received so far ({@code received[0]}).
     */
    private static dev.chimney.socket.TcpChannel getBig(TwoHosts h, long[] received,
            java.util.function.ObjLongConsumer<dev.chimney.socket.TcpChannel> afterRead) {
        return h.a.connect(B, 80, SocketOptions.defaults(), new dev.chimney.socket.TcpChannelHandler() {
            @Override
            public void onConnected(dev.chimney.socket.TcpChannel c) {
                byte[] req = HttpTestClient.get("/big.bin").getBytes(StandardCharsets.ISO_8859_1);
                c.write(req, 0, req.length);
            }

            @Override
            public void onReadable(dev.chimney.socket.TcpChannel c) {
                byte[] buf = new byte[16384];
                int n;
                while (!c.isClosed() && (n = c.read(buf, 0, buf.length)) > 0) {
                    received[0] += n;
                    afterRead.accept(c, received[0]);
                }
            }
        });
    }

    /** A client that resets the connection in the middle of a large body: the server forgets it cleanly. */
    @Test
    void aClientResettingMidResponseIsForgotten() throws IOException {
        Files.write(root.resolve("big.bin"), new byte[16 << 20]);
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpFileServer s = HttpFileServer.start(h.b, 80, root);
        long[] received = new long[1];
        dev.chimney.socket.TcpChannel ch = getBig(h, received, (c, total) -> {
            if (total > 1 << 20) {
                c.abort();
            }
        });
        assertTrue(h.runUntil(() -> ch.isClosed() && s.openConnections() == 0, 60_000 * MS),
                "the server let go of the reset connection; seed " + SEED);
        assertEquals(0, h.loopB.errors());
        assertTrue(s.bytesSent() < 4 << 20, "it stopped sending: " + s.bytesSent());
        // and it still serves
        HttpTestClient c = new HttpTestClient(List.of(HttpTestClient.get("/hello.txt")), List.of(false), true);
        h.a.connect(B, 80, SocketOptions.defaults(), c);
        assertTrue(h.runUntil(() -> c.responses.size() == 1, 60_000 * MS));
        assertArrayEquals(small, c.responses.getFirst().body());
    }

    /**
     * A large file is sent from a mapping ({@link HttpFileServer#MAP_THRESHOLD_BYTES}); truncated by someone else
     * in the middle of the response, its pages beyond the new end fault when touched. The JVM turns that fault into
     * an InternalError; the server resets that one connection (the promised Content-Length cannot be met), its loop
     * carries on, and it serves the next request.
     */
    @Test
    void aMappedFileTruncatedMidResponseResetsThatConnectionOnly() throws IOException {
        Path big = root.resolve("big.bin");
        Files.write(big, new byte[16 << 20]);
        assertTrue(Files.size(big) >= HttpFileServer.MAP_THRESHOLD_BYTES);
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        HttpFileServer s = HttpFileServer.start(h.b, 80, root);
        long[] received = new long[1];
        boolean[] truncated = new boolean[1];
        dev.chimney.socket.TcpChannel ch = getBig(h, received, (c, total) -> {
            if (total > 1 << 20 && !truncated[0]) {
                truncated[0] = true;
                try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(big,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    f.truncate(0);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        assertTrue(h.runUntil(() -> ch.isClosed() && s.openConnections() == 0, 60_000 * MS),
                "the server reset the connection it could not finish; seed " + SEED);
        assertTrue(truncated[0]);
        assertTrue(received[0] < 16 << 20, "the body was cut short: " + received[0]);
        assertEquals(0, h.loopB.errors());
        HttpTestClient c = new HttpTestClient(List.of(HttpTestClient.get("/hello.txt")), List.of(false), true);
        h.a.connect(B, 80, SocketOptions.defaults(), c);
        assertTrue(h.runUntil(() -> c.responses.size() == 1, 60_000 * MS));
        assertArrayEquals(small, c.responses.getFirst().body());
    }

    /** A request arriving one byte per segment (a blocking client with Nagle off) is parsed like a whole one. */
    @Test
    void aRequestSplitIntoOneByteSegmentsIsAnswered() throws Exception {
        try (TwoHosts h = TwoHosts.realTime(SEED, TwoHosts.smallBuffers())) {
            h.onLoop(() -> {
                try {
                    HttpFileServer.start(h.b, 80, root);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (dev.chimney.socket.TcpSocket s = h.a.newSocket()) {
                s.connect(B, 80);
                s.setTcpNoDelay(true);
                byte[] req = "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1);
                for (byte b : req) {
                    s.getOutputStream().write(b);
                }
                String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
                assertTrue(response.endsWith("\r\n\r\n" + new String(small, StandardCharsets.UTF_8)), response);
            }
        }
    }
}
