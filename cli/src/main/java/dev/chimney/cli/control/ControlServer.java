package dev.chimney.cli.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.host.ConnectionRecord;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.host.OffloadState;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.host.NetworkStack;
import dev.chimney.link.ffm.NetNamespace;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpDelegated;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The control API of a running stack ({@code chimney run --control PORT}): JSON over HTTP on 127.0.0.1 of the
 * stack's network namespace, and the live dashboard on the same port. Reads: {@code GET /api/status}, {@code
 * /api/connections} ({@code ?query=0} skips the delegated queries that fetch offloaded connections' live cwnd and
 * SRTT from the target, spec §3.5), {@code /api/objects}, {@code /api/stats}, {@code /api/events?since=SEQ}, {@code
 * /api/throughput}. Actions ({@code POST}): {@code /api/pause}, {@code /api/resume}, {@code /api/upload-all},
 * {@code /api/failover}, {@code /api/connections/ID/offload}, {@code /api/connections/ID/terminate}; each waits
 * (boundedly) until it took effect and answers {@code {"ok":true,"message":...}}, or an error status with {@code
 * {"error":...}}: 404 unknown connection or endpoint, 409 not possible now, 405 wrong method.
 *
 * <p>Threading: the HTTP threads never touch stack state; every read and action is a task on the stack's loop
 * ({@link NetworkStack#callOnLoop}), done by a {@link StackInspector} that the loop owns.
 *
 * <p>Pause, resume and upload-all ask the soft target to raise the status indication (spec §5.1) as a NIC would,
 * so the host's handling runs exactly as for a real target; resume then re-offloads, as the policy would have,
 * the connections UPLOAD_ALL took back.
 */
public final class ControlServer implements AutoCloseable {
    /** How long an action waits for its effect before answering with what it sees. */
    static final long ACTION_TIMEOUT_MS = 10_000;
    /** How long the connections listing waits for the target's answers to its delegated queries. */
    static final long QUERY_TIMEOUT_MS = 2_000;

    private static final Pattern CONNECTION_ACTION = Pattern.compile("/api/connections/([^/]+)/(offload|terminate)");

    private final HttpServer server;
    private final ExecutorService executor;
    private final int port;
    private volatile NetworkStack stack;
    private volatile StackInspector inspector;

    private ControlServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        this.port = server.getAddress().getPort();
    }

    /**
     * Binds 127.0.0.1:{@code port} (0: any free port) in network namespace {@code netns} (null: the current one)
     * and starts answering; until {@link #attach} every API call answers 503.
     *
     * @throws IllegalStateException with a one-line reason when the port is in use or cannot be bound
     */
    public static ControlServer bind(int port, String netns) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("control port must be 0..65535, got " + port);
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        HttpServer server;
        try {
            // the listening socket belongs to the namespace of the thread that creates it (NetNamespace)
            server = netns == null ? HttpServer.create(address, 16) : NetNamespace.callIn(netns, () -> {
                try {
                    return HttpServer.create(address, 16);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (BindException e) {
            throw new IllegalStateException(inUse(port, netns));
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof BindException) {
                throw new IllegalStateException(inUse(port, netns));
            }
            throw new IllegalStateException("cannot open control port " + port + ": " + e.getCause().getMessage());
        } catch (IOException e) {
            throw new IllegalStateException("cannot open control port " + port + ": " + e.getMessage());
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "chimney-control-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        ControlServer control = new ControlServer(server, executor);
        server.createContext("/", control::handle);
        server.start();
        return control;
    }

    private static String inUse(int port, String netns) {
        return "control port " + port + " on 127.0.0.1" + (netns == null ? "" : " (netns " + netns + ")")
                + " is in use (another chimney run?); choose another --control port";
    }

    /** Starts serving {@code host}: installs the inspector on its loop (waits for that). */
    public void attach(NetworkStack host) {
        StackInspector i = new StackInspector(host);
        host.callOnLoop(() -> {
            i.start();
            return null;
        });
        this.stack = host;
        this.inspector = i;
    }

    /** The port bound (the one chosen when bound with 0). */
    public int port() {
        return port;
    }

    /** The dashboard's address. */
    public String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        StackInspector i = inspector;
        NetworkStack s = stack;
        if (i != null && s != null) {
            try {
                s.loop().execute(i::stop);
            } catch (RuntimeException ignored) {
                // the loop stopped already: nothing samples any more
            }
        }
    }

    // ============================================================================================ HTTP plumbing

    /** An answer other than 200: its status and one-line reason. */
    static final class ControlError extends RuntimeException {
        final int status;

        ControlError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            int status = 200;
            String type = "application/json";
            byte[] body;
            try {
                checkHost(ex);
                Object r = route(ex);
                if (r instanceof Resource res) {
                    type = res.type;
                    body = res.bytes;
                } else {
                    body = ((String) r).getBytes(StandardCharsets.UTF_8);
                }
            } catch (ControlError e) {
                status = e.status;
                body = error(e.getMessage());
            } catch (NoSuchElementException e) {
                status = 404;
                body = error(e.getMessage());
            } catch (IllegalStateException | IllegalArgumentException e) {
                status = 409;
                body = error(e.getMessage());
            } catch (RuntimeException e) {
                status = 500;
                body = error("internal error: " + e);
            }
            ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                ex.getResponseBody().write(body);
            }
        }
    }

    private static byte[] error(String message) {
        return (new JsonWriter().beginObject().field("error", message == null ? "failed" : message).endObject()
                + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Only requests addressed to the loopback name are served: a web page elsewhere whose name an attacker points
     * at 127.0.0.1 (DNS rebinding) sends its own host name, and must not reach the actions.
     */
    private void checkHost(HttpExchange ex) {
        String host = ex.getRequestHeaders().getFirst("Host");
        if (host == null) {
            return; // HTTP/1.0 without Host: not from a browser
        }
        String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                : host.contains(":") ? host.substring(0, host.indexOf(':')) : host;
        if (!name.equals("127.0.0.1") && !name.equals("localhost") && !name.equals("[::1]")) {
            throw new ControlError(403, "the control API answers requests for 127.0.0.1 or localhost only");
        }
    }

    private record Resource(String type, byte[] bytes) {
    }

    private Object route(HttpExchange ex) {
        String method = ex.getRequestMethod();
        URI uri = ex.getRequestURI();
        String path = uri.getPath();
        Map<String, String> query = parseQuery(uri.getRawQuery());
        if (path.equals("/") || path.equals("/index.html")) {
            requireMethod(method, "GET");
            return resource("dashboard.html", "text/html");
        }
        if (path.equals("/dashboard.js")) {
            requireMethod(method, "GET");
            return resource("dashboard.js", "text/javascript");
        }
        if (!path.startsWith("/api/")) {
            throw new ControlError(404, "no such page " + path + " (the dashboard is at /, the API under /api/)");
        }
        NetworkStack s = stack;
        StackInspector i = inspector;
        if (s == null || i == null) {
            throw new ControlError(503, "the stack is starting; try again in a moment");
        }
        Matcher m = CONNECTION_ACTION.matcher(path);
        if (m.matches()) {
            requireMethod(method, "POST");
            int id;
            try {
                id = Integer.parseInt(m.group(1));
            } catch (NumberFormatException e) {
                throw new ControlError(400, "connection id must be a number, got '" + m.group(1) + "'");
            }
            return post(method, () -> m.group(2).equals("offload") ? offload(s, i, id) : terminate(s, i, id));
        }
        return switch (path) {
            case "/api/status" -> get(method, () -> s.callOnLoop(i::statusJson));
            case "/api/connections" -> get(method, () -> connections(s, i, !"0".equals(query.get("query"))));
            case "/api/objects" -> get(method, () -> s.callOnLoop(i::objectsJson));
            case "/api/stats" -> get(method, () -> stats(s, i));
            case "/api/events" -> get(method, () -> s.callOnLoop(() -> i.eventsJson(since(query))));
            case "/api/throughput" -> get(method, () -> s.callOnLoop(i::throughputJson));
            case "/api/pause" -> post(method, () -> pause(s, i));
            case "/api/resume" -> post(method, () -> resume(s, i));
            case "/api/upload-all" -> post(method, () -> uploadAll(s, i));
            case "/api/failover" -> post(method, () -> failover(s, i));
            default -> throw new ControlError(404, "no such endpoint " + path);
        };
    }

    private static long since(Map<String, String> query) {
        String v = query.get("since");
        try {
            return v == null ? 0 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ControlError(400, "since must be a number, got '" + v + "'");
        }
    }

    private static String get(String method, java.util.function.Supplier<String> read) {
        requireMethod(method, "GET");
        return read.get() + "\n";
    }

    private static String post(String method, java.util.function.Supplier<String> action) {
        requireMethod(method, "POST");
        return new JsonWriter().beginObject().field("ok", true).field("message", action.get()).endObject() + "\n";
    }

    private static void requireMethod(String method, String wanted) {
        if (!method.equals(wanted) && !(wanted.equals("GET") && method.equals("HEAD"))) {
            throw new ControlError(405, "use " + wanted + " here, not " + method);
        }
    }

    private static Map<String, String> parseQuery(String raw) {
        Map<String, String> m = new java.util.HashMap<>();
        if (raw == null) {
            return m;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq);
            String v = eq < 0 ? "" : kv.substring(eq + 1);
            m.put(java.net.URLDecoder.decode(k, StandardCharsets.UTF_8),
                    java.net.URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return m;
    }

    private Resource resource(String name, String type) {
        try (InputStream in = ControlServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new ControlError(500, "the dashboard resource " + name + " is missing from the build");
            }
            return new Resource(type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ============================================================================================ reads

    /** Queries every offloaded connection's delegated state (spec §3.5) for live cwnd/SRTT, then lists them. */
    private static String connections(NetworkStack s, StackInspector i, boolean query) {
        Map<TcpConnection, TcpDelegated> live = new IdentityHashMap<>(); // filled and read on the loop only
        if (query) {
            CompletableFuture<Void> all = s.callOnLoop(() -> {
                List<ConnectionRecord> records = i.queryable();
                CompletableFuture<Void> done = new CompletableFuture<>();
                int[] remaining = {records.size()};
                if (records.isEmpty()) {
                    done.complete(null);
                }
                for (ConnectionRecord r : records) {
                    try {
                        i.manager().query(r, BlockList.DELEGATED, b -> {
                            if (b.tcpDelegated() != null) {
                                live.put(r.connection(), b.tcpDelegated());
                            }
                            if (--remaining[0] == 0) {
                                done.complete(null);
                            }
                        });
                    } catch (IllegalStateException e) {
                        if (--remaining[0] == 0) { // being terminated meanwhile: the host's values will do
                            done.complete(null);
                        }
                    }
                }
                return done;
            });
            try {
                all.get(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // a target that does not answer in time: list what came back, the rest with the host's values
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        return s.callOnLoop(() -> i.connectionsJson(live));
    }

    private static String stats(NetworkStack s, StackInspector i) {
        CompletableFuture<OffloadStatistics> target = new CompletableFuture<>();
        CompletableFuture<Map<String, Long>> targetDrops = new CompletableFuture<>();
        s.callOnLoop(() -> {
            OffloadManager m = s.offload();
            if (m == null) {
                target.complete(null);
            } else {
                m.target().queryStatistics(target::complete); // completes on the host loop (spec §5.4)
            }
            if (m != null && m.target() instanceof SoftOffloadTarget soft) {
                soft.queryDrops(targetDrops::complete);
            } else {
                targetDrops.complete(Map.of());
            }
            return null;
        });
        OffloadStatistics stats = awaitAnswer(target, null);
        Map<String, Long> drops = awaitAnswer(targetDrops, Map.of());
        return s.callOnLoop(() -> i.statsJson(stats, drops));
    }

    /** The target's answer, or {@code otherwise} when it does not come within the query timeout. */
    private static <T> T awaitAnswer(CompletableFuture<T> answer, T otherwise) {
        try {
            return answer.get(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            return otherwise;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return otherwise;
        }
    }

    // ============================================================================================ actions

    /** Polls {@code condition} on the loop until true or the action timeout; returns whether it became true. */
    private static boolean await(NetworkStack s, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACTION_TIMEOUT_MS);
        while (true) {
            if (s.callOnLoop(condition::getAsBoolean)) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static SoftOffloadTarget indicator(NetworkStack s, StackInspector i, String what) {
        SoftOffloadTarget t = s.callOnLoop(i::indicator);
        if (t == null) {
            throw new IllegalStateException("the offload target " + s.callOnLoop(() -> i.manager().target().name())
                    + " cannot raise " + what + " from here");
        }
        return t;
    }

    private static String pause(NetworkStack s, StackInspector i) {
        SoftOffloadTarget t = indicator(s, i, "OFFLOAD_PAUSE");
        s.callOnLoop(() -> {
            i.note("action", "pause asked for");
            return null;
        });
        t.indicate(StatusIndication.OFFLOAD_PAUSE);
        await(s, () -> i.manager().admission() != OffloadManager.Admission.OPEN);
        return s.callOnLoop(() -> "paused: admission " + i.manager().admission() + "; no new offloads, "
                + i.manager().offloadedConnections() + " connection(s) stay offloaded");
    }

    private static String uploadAll(NetworkStack s, StackInspector i) {
        SoftOffloadTarget t = indicator(s, i, "UPLOAD_ALL");
        s.callOnLoop(() -> {
            i.note("action", "upload-all asked for");
            return null;
        });
        t.indicate(StatusIndication.UPLOAD_ALL);
        boolean drained = await(s, () -> i.manager().admission() == OffloadManager.Admission.DRAINED);
        return s.callOnLoop(() -> drained ? "uploaded: every connection runs on the host (admission DRAINED until "
                + "resume)" : "still uploading after " + ACTION_TIMEOUT_MS / 1000 + " s: "
                + i.manager().offloadedConnections() + " connection(s) left on the target");
    }

    private static String resume(NetworkStack s, StackInspector i) {
        SoftOffloadTarget t = indicator(s, i, "OFFLOAD_RESUME");
        s.callOnLoop(() -> {
            i.note("action", "resume asked for");
            return null;
        });
        t.indicate(StatusIndication.OFFLOAD_RESUME);
        if (!await(s, () -> i.manager().admission() == OffloadManager.Admission.OPEN)) {
            throw new IllegalStateException("the host did not reopen admission within " + ACTION_TIMEOUT_MS / 1000
                    + " s (admission " + s.callOnLoop(() -> i.manager().admission()) + ")");
        }
        int n = s.callOnLoop(i::reoffloadPerPolicy);
        if (n > 0) {
            await(s, () -> i.connectionCount("Offloading") == 0);
        }
        return s.callOnLoop(() -> "resumed: admission OPEN; " + n + " connection(s) offloaded again, "
                + i.connectionCount("Offloaded") + " offloaded, " + i.connectionCount("InHost") + " in host");
    }

    private static String failover(NetworkStack s, StackInspector i) {
        String name = s.callOnLoop(() -> i.manager().target().name());
        throw new ControlError(409, "no team configured: the offload target " + name + " is a single target (start "
                + "'chimney run' with --team to fail over)");
    }

    private static String offload(NetworkStack s, StackInspector i, int id) {
        TcpConnection c = s.callOnLoop(() -> i.connection(id));
        boolean started = s.callOnLoop(() -> {
            i.note("action", "offload of " + i.describe(c) + " asked for");
            return i.manager().offload(c);
        });
        if (!started) {
            throw new IllegalStateException(s.callOnLoop(() -> "connection " + id + " stays on the host: admission "
                    + i.manager().admission() + ", " + c.state() + "; the target's capabilities, the admission "
                    + "state or an unresolved next hop do not allow an offload now"));
        }
        await(s, () -> i.state(c) != OffloadState.INITIATING && !(i.state(c) == OffloadState.NOT_OFFLOADED
                && i.manager().record(c) != null));
        OffloadState st = s.callOnLoop(() -> i.state(c));
        if (st == OffloadState.NOT_OFFLOADED) {
            throw new IllegalStateException("the target refused connection " + id + ": it carries on in the host");
        }
        return "connection " + id + " " + StackInspector.offloadColumn(st);
    }

    private static String terminate(NetworkStack s, StackInspector i, int id) {
        TcpConnection c = s.callOnLoop(() -> i.connection(id));
        s.callOnLoop(() -> {
            if (i.state(c) == OffloadState.NOT_OFFLOADED) {
                throw new IllegalStateException("connection " + id + " is not offloaded: it runs in the host already");
            }
            i.note("action", "terminate of " + i.describe(c) + " asked for");
            i.manager().terminate(c);
            return null;
        });
        await(s, () -> i.state(c) == OffloadState.NOT_OFFLOADED);
        return "connection " + id + " " + StackInspector.offloadColumn(s.callOnLoop(() -> i.state(c)));
    }
}
