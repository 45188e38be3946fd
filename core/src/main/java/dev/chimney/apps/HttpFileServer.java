package dev.chimney.apps;

import dev.chimney.runtime.Timer;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.socket.TcpChannelHandler;
import dev.chimney.socket.TcpChannelServer;
import dev.chimney.wire.IpAddress;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A small static-file HTTP/1.1 server (RFC 9110, RFC 9112) on the loop: GET and HEAD of regular files under a root
 * directory, {@code Content-Length} framing, persistent connections (keep-alive, pipelined requests answered in
 * order), 400 / 404 / 405 / 431 / 501 errors, and no way out of the root ({@code ..} segments are rejected, and the
 * real path of every file must stay under the root's real path, so symbolic links cannot escape either).
 *
 * <p>Large files are streamed: each time the connection's send buffer has room, that many bytes are read from a
 * {@link FileChannel} at the current position into one server-wide staging buffer and written out, so a file of any
 * size costs one open channel per connection, never its size in memory. File reads happen on the loop thread (the
 * page cache makes them short; a server for cold disks would hand them to another thread). A file of at least
 * {@link #MAP_THRESHOLD_BYTES} is mapped instead (mmap(2), read-only, unmapped when the response ends): its pages are
 * copied straight from the page cache into the send buffer, without a read(2) per chunk and the copy through the
 * staging buffer — about a fifth of the loop's time in a bulk download (issue 9). A mapped file that another process
 * truncates under a response faults on access; the JVM turns that into an {@link InternalError}, and the connection
 * is reset, as for a read error.
 *
 * <p>Per request the real path of the target is found (every component's symbolic links resolved) and checked to
 * lie under the root — several system calls per request, a large share of a short connection's cost (issue 9,
 * ApacheBench). A checked target is therefore reused for {@link Config#resolveCacheNs} (default 1 s, of the loop's
 * clock) without resolving it again, and its file is then opened with {@code O_NOFOLLOW}, so a file replaced by a
 * symbolic link in that time is refused (404); a directory on the way replaced by a link within that second is
 * the window this trades for it (set {@link Config#resolveCacheNs} to 0 to close it).
 * Only found files are remembered; a file gone is forgotten at its next request.
 *
 * <p>Limits (fail closed): request head at most {@link Config#maxRequestHeadBytes} (else 431 and close), at most
 * {@link Config#maxConnections} open connections (more are reset), idle connections closed after
 * {@link Config#idleTimeoutNs}. No {@code Date} header: the loop clock is monotonic, not a calendar (RFC 9110
 * §6.6.1 lets a server without a reliable clock omit it).
 */
public final class HttpFileServer implements AutoCloseable {
    /** Files at least this large are sent from a read-only mapping rather than read in chunks (see above). */
    public static final long MAP_THRESHOLD_BYTES = 1 << 20;

    /**
     * @param maxRequestHeadBytes longest request line + header section accepted
     * @param maxConnections most open connections; beyond it new connections are reset
     * @param idleTimeoutNs a connection with no request in progress is closed after this long
     * @param chunkBytes most bytes read from a file per write (the staging buffer size)
     * @param resolveCacheNs how long a target's checked real path is reused without checking it again (0: every
     *     request resolves its path); see {@link HttpFileServer}
     */
    public record Config(int maxRequestHeadBytes, int maxConnections, long idleTimeoutNs, int chunkBytes,
            long resolveCacheNs) {
        /** Default {@link #resolveCacheNs}: one second. */
        public static final long DEFAULT_RESOLVE_CACHE_NS = 1_000_000_000L;

        public Config {
            if (maxRequestHeadBytes < 64 || maxConnections < 1 || idleTimeoutNs <= 0 || chunkBytes < 512
                    || resolveCacheNs < 0) {
                throw new IllegalArgumentException("bad HTTP server config: maxRequestHeadBytes=" + maxRequestHeadBytes
                        + " (>= 64) maxConnections=" + maxConnections + " (>= 1) idleTimeoutNs=" + idleTimeoutNs
                        + " (> 0) chunkBytes=" + chunkBytes + " (>= 512) resolveCacheNs=" + resolveCacheNs + " (>= 0)");
            }
        }

        public Config(int maxRequestHeadBytes, int maxConnections, long idleTimeoutNs, int chunkBytes) {
            this(maxRequestHeadBytes, maxConnections, idleTimeoutNs, chunkBytes, DEFAULT_RESOLVE_CACHE_NS);
        }

        public static Config defaults() {
            return new Config(8192, 1024, 60_000_000_000L, 64 * 1024);
        }
    }

    /** A target whose real path was found under the root and to be a regular file, and when. */
    private record Resolved(Path file, long checkedNs) {
    }

    /** Most targets remembered in {@link #resolved}; past it the cache starts over (a bound, not an LRU). */
    private static final int RESOLVED_LIMIT = 256;

    /** First size of a connection's request-head buffer. */
    private static final int INITIAL_REQUEST_BYTES = 1024;
    /** Header lines end in CRLF or a bare LF (RFC 9112 §2.2); compiled once, not per request. */
    private static final Pattern LINE_BREAK = Pattern.compile("\r?\n");

    private final SocketStack sockets;
    private final TcpChannelServer server;
    private final Path root;
    private final Config config;
    private final ByteBuffer staging;
    private final java.lang.foreign.MemorySegment stagingMemory;
    private int open;
    private long requests;
    private long bytesSent;
    private long resolveCacheHits;
    private final long[] statusCounts = new long[600];
    private final HashMap<String, Resolved> resolved = new HashMap<>();

    private HttpFileServer(SocketStack sockets, IpAddress local, int port, Path root, SocketOptions options,
            Config config) throws IOException {
        this.sockets = sockets;
        this.root = root.toRealPath();
        if (!Files.isDirectory(this.root)) {
            throw new IllegalArgumentException("HTTP root " + root + " is not a directory");
        }
        this.config = config;
        this.staging = ByteBuffer.allocateDirect(config.chunkBytes());
        this.stagingMemory = java.lang.foreign.MemorySegment.ofBuffer(staging);
        this.server = sockets.serve(local, port, options, ch -> {
            if (open >= config.maxConnections()) {
                return null; // fail closed: reset
            }
            return new Connection();
        });
    }

    /**
     * Serves files under {@code root} on {@code port} (call on the stack's loop).
     *
     * @throws IOException if {@code root} cannot be resolved
     */
    public static HttpFileServer start(SocketStack sockets, IpAddress local, int port, Path root,
            SocketOptions options, Config config) throws IOException {
        return new HttpFileServer(sockets, local, port, root, options, config);
    }

    public static HttpFileServer start(SocketStack sockets, int port, Path root) throws IOException {
        return start(sockets, null, port, root, SocketOptions.defaults(), Config.defaults());
    }

    /** Requests answered (any status). */
    public long requests() {
        return requests;
    }

    /** Responses sent with {@code status}. */
    public long responses(int status) {
        return status >= 0 && status < statusCounts.length ? statusCounts[status] : 0;
    }

    /** Requests whose target's real path was reused from an earlier check ({@link Config#resolveCacheNs}). */
    public long resolveCacheHits() {
        return resolveCacheHits;
    }

    /** Header and body bytes handed to connections. */
    public long bytesSent() {
        return bytesSent;
    }

    public int openConnections() {
        return open;
    }

    public int port() {
        return server.localPort();
    }

    @Override
    public void close() {
        server.close();
    }

    private final class Connection implements TcpChannelHandler {
        /**
         * The request head read so far: small at first (a typical head is a few hundred bytes), doubled as a longer
         * one arrives, up to maxRequestHeadBytes — a short connection does not cost a full-size buffer.
         */
        private byte[] request = new byte[Math.min(INITIAL_REQUEST_BYTES, config.maxRequestHeadBytes())];
        private int requestLength;
        /** Bytes of a request body still to skip (a GET with Content-Length). */
        private long skipBody;
        private ByteBuffer head;
        private FileChannel file;
        /** The body's file mapped (files of at least {@link #MAP_THRESHOLD_BYTES}), else null. */
        private MemorySegment mapped;
        private Arena mapping;
        private long filePosition;
        private long fileEnd;
        private boolean responding;
        private boolean closeAfterResponse;
        private boolean draining;
        /** True while {@link #onReadable} runs: a response finished inside it lets its loop go on, no recursion. */
        private boolean inReadLoop;
        private TcpChannel channel;
        private final Timer idle = Timer.of(this::onIdle);
        /** When the idle timeout runs out; the timer may fire earlier and is then re-armed for this. */
        private long idleDeadlineNs;

        @Override
        public void onConnected(TcpChannel ch) {
            channel = ch;
            open++;
            armIdle();
        }

        /**
         * Pushes the idle deadline back. The timer itself is armed once and moved only when it fires early, not on
         * every request and read: re-arming costs a heap operation among every timer of the loop.
         */
        private void armIdle() {
            idleDeadlineNs = sockets.loop().nowNs() + config.idleTimeoutNs();
            if (!idle.isArmed()) {
                sockets.loop().timers().schedule(idle, idleDeadlineNs);
            }
        }

        private void onIdle() {
            if (channel.isClosed()) {
                return;
            }
            long now = sockets.loop().nowNs();
            if (now < idleDeadlineNs) {
                sockets.loop().timers().schedule(idle, idleDeadlineNs); // activity since it was armed
            } else if (!responding) {
                channel.close();
            }
        }

        @Override
        public void onReadable(TcpChannel ch) {
            if (draining) {
                drainAfterClose(ch);
                return;
            }
            if (inReadLoop) {
                return; // the running loop below picks up what is new
            }
            inReadLoop = true;
            try {
                readRequests(ch);
            } finally {
                inReadLoop = false;
            }
        }

        /** Parses and answers buffered requests until one waits for send-buffer room or input runs dry. */
        private void readRequests(TcpChannel ch) {
            while (!responding && !ch.isClosed() && !draining) {
                if (skipBody > 0 && requestLength > 0) {
                    int k = (int) Math.min(skipBody, requestLength); // body bytes read along with the head
                    System.arraycopy(request, k, request, 0, requestLength - k);
                    requestLength -= k;
                    skipBody -= k;
                    continue;
                }
                if (skipBody > 0) {
                    int n = ch.read(request, 0, (int) Math.min(skipBody, request.length));
                    if (n <= 0) {
                        if (n < 0) {
                            ch.close();
                        }
                        return;
                    }
                    skipBody -= n;
                    continue;
                }
                if (tryRequest(ch)) {
                    continue;
                }
                if (requestLength == request.length && request.length < config.maxRequestHeadBytes()) {
                    request = Arrays.copyOf(request, Math.min(2 * request.length, config.maxRequestHeadBytes()));
                }
                if (requestLength == request.length) {
                    respondError(ch, 431, "Request Header Fields Too Large", true);
                    return;
                }
                int n = ch.read(request, requestLength, request.length - requestLength);
                if (n == 0) {
                    return;
                }
                if (n < 0) {
                    ch.close(); // the client is done (a partial request is abandoned with it)
                    return;
                }
                requestLength += n;
                armIdle();
            }
        }

        /** Parses and starts one buffered request if a complete head is there; returns whether it did. */
        private boolean tryRequest(TcpChannel ch) {
            skipLeadingEmptyLines();
            int end = headEnd();
            if (end < 0) {
                return false;
            }
            String text = new String(request, 0, end, StandardCharsets.ISO_8859_1);
            int consumed = end + (request[end] == '\r' ? 4 : 2);
            System.arraycopy(request, consumed, request, 0, requestLength - consumed);
            requestLength -= consumed;
            handle(ch, text);
            return true;
        }

        /** RFC 9112 §2.2: a server ignores empty lines (CRLF or LF) received before the request line. */
        private void skipLeadingEmptyLines() {
            int skip = 0;
            while (true) {
                if (skip < requestLength && request[skip] == '\n') {
                    skip++;
                } else if (skip + 1 < requestLength && request[skip] == '\r' && request[skip + 1] == '\n') {
                    skip += 2;
                } else {
                    break;
                }
            }
            if (skip > 0) {
                System.arraycopy(request, skip, request, 0, requestLength - skip);
                requestLength -= skip;
            }
        }

        /** Index of the blank line ending the head (CRLF CRLF, or bare LF LF per RFC 9112 §2.2), or -1. */
        private int headEnd() {
            for (int i = 0; i + 1 < requestLength; i++) {
                if (request[i] == '\n' && request[i + 1] == '\n') {
                    return i;
                }
                if (i + 3 < requestLength && request[i] == '\r' && request[i + 1] == '\n' && request[i + 2] == '\r'
                        && request[i + 3] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        private void handle(TcpChannel ch, String head) {
            String[] lines = LINE_BREAK.split(head);
            String[] parts = lines[0].split(" ");
            if (parts.length != 3 || parts[0].isEmpty() || !parts[2].startsWith("HTTP/1.")) {
                respondError(ch, 400, "Bad Request", true);
                return;
            }
            String method = parts[0];
            String target = parts[1];
            boolean http11 = parts[2].equals("HTTP/1.1");
            if (!http11 && !parts[2].equals("HTTP/1.0")) {
                respondError(ch, 400, "Bad Request", true);
                return;
            }
            boolean keepAlive = http11;
            long contentLength = 0;
            boolean contentLengthSeen = false;
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                int colon = line.indexOf(':');
                // RFC 9112 §5.2: obsolete line folding (a line starting with SP/HTAB) is rejected
                if (colon <= 0 || Character.isWhitespace(line.charAt(colon - 1)) || line.charAt(0) == ' '
                        || line.charAt(0) == '\t') {
                    respondError(ch, 400, "Bad Request", true); // RFC 9112 §5.1: no space before the colon
                    return;
                }
                String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                switch (name) {
                    case "connection" -> {
                        String v = value.toLowerCase(Locale.ROOT);
                        if (v.contains("close")) {
                            keepAlive = false;
                        } else if (v.contains("keep-alive")) {
                            keepAlive = true;
                        }
                    }
                    case "content-length" -> {
                        // RFC 9112 §6.3: Content-Length is 1*DIGIT ("+5", "5, 5" are not), and differing values
                        // leave the framing ambiguous: an unrecoverable error, answered with 400 and close
                        long v = digits(value);
                        if (v < 0 || (contentLengthSeen && v != contentLength)) {
                            respondError(ch, 400, "Bad Request", true);
                            return;
                        }
                        contentLength = v;
                        contentLengthSeen = true;
                    }
                    case "transfer-encoding" -> {
                        // RFC 9112 §6.1: a coding we do not implement → 501, and the framing is lost: close
                        respondError(ch, 501, "Not Implemented", true);
                        return;
                    }
                    default -> {
                        // other fields do not change a static file response
                    }
                }
            }
            requests++;
            skipBody = contentLength;
            closeAfterResponse = !keepAlive;
            boolean isHead = method.equals("HEAD");
            if (!isHead && !method.equals("GET")) {
                respondWith(ch, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", false);
                return;
            }
            long now = sockets.loop().nowNs();
            Resolved known = resolved.get(target);
            Path real;
            if (known != null && now - known.checkedNs() < config.resolveCacheNs()) {
                real = known.file();
                resolveCacheHits++;
            } else {
                Path path = resolve(target);
                if (path == null) {
                    closeAfterResponse = true; // a client sending such targets is not one to keep talking to
                    respondWith(ch, 400, "Bad Request", "", isHead);
                    return;
                }
                real = checkedFile(path);
                if (real == null) {
                    resolved.remove(target);
                    respondWith(ch, 404, "Not Found", "", isHead);
                    return;
                }
                if (config.resolveCacheNs() > 0) {
                    if (resolved.size() >= RESOLVED_LIMIT && !resolved.containsKey(target)) {
                        resolved.clear();
                    }
                    resolved.put(target, new Resolved(real, now));
                }
            }
            try {
                // O_NOFOLLOW: a checked file replaced by a symbolic link since is refused (ELOOP: 404)
                FileChannel fc = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                long size = fc.size();
                startResponse(ch, 200, "OK", "Content-Type: " + contentType(real) + "\r\n", size);
                if (isHead) {
                    fc.close();
                } else {
                    file = fc;
                    filePosition = 0;
                    fileEnd = size;
                    if (size >= MAP_THRESHOLD_BYTES) {
                        mapping = Arena.ofConfined(); // the loop thread maps, sends and unmaps
                        mapped = fc.map(FileChannel.MapMode.READ_ONLY, 0, size, mapping);
                    }
                }
                send(ch);
            } catch (IOException e) {
                resolved.remove(target);
                respondWith(ch, 404, "Not Found", "", isHead);
            }
        }

        /**
         * The real path of {@code path} (of its index.html for a directory) if it lies under the root and is a
         * regular file, else null. One lstat after realpath: the real path has no links left to follow.
         */
        private Path checkedFile(Path path) {
            try {
                Path real = path.toRealPath();
                BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                if (attributes.isDirectory()) {
                    real = real.resolve("index.html").toRealPath();
                    attributes = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                }
                return real.startsWith(root) && attributes.isRegularFile() ? real : null;
            } catch (IOException e) {
                return null;
            }
        }

        /** The file for an origin-form target, or null for a target we refuse (RFC 9112 §3.2.1, no traversal). */
        private Path resolve(String target) {
            if (!target.startsWith("/")) {
                return null;
            }
            int cut = target.length();
            int q = target.indexOf('?');
            int f = target.indexOf('#');
            if (q >= 0) {
                cut = q;
            }
            if (f >= 0) {
                cut = Math.min(cut, f);
            }
            String decoded = percentDecode(target.substring(0, cut));
            if (decoded == null || decoded.indexOf('\0') >= 0 || decoded.indexOf('\\') >= 0) {
                return null;
            }
            StringBuilder relative = new StringBuilder();
            for (String segment : decoded.split("/")) {
                if (segment.isEmpty() || segment.equals(".")) {
                    continue;
                }
                if (segment.equals("..")) {
                    return null; // never climb, not even inside the root: a request naming ".." is refused
                }
                if (!relative.isEmpty()) {
                    relative.append('/');
                }
                relative.append(segment);
            }
            Path p = root.resolve(relative.toString()).normalize();
            return p.startsWith(root) ? p : null;
        }

        private void respondError(TcpChannel ch, int status, String reason, boolean close) {
            requests++;
            closeAfterResponse |= close;
            skipBody = 0;
            requestLength = 0;
            respondWith(ch, status, reason, "", false);
        }

        private void respondWith(TcpChannel ch, int status, String reason, String extraHeaders, boolean isHead) {
            byte[] body = (status + " " + reason + "\n").getBytes(StandardCharsets.US_ASCII);
            startResponse(ch, status, reason, extraHeaders + "Content-Type: text/plain\r\n", body.length);
            if (!isHead) {
                ByteBuffer withBody = ByteBuffer.allocate(head.remaining() + body.length);
                withBody.put(head).put(body).flip();
                head = withBody;
            }
            send(ch);
        }

        private void startResponse(TcpChannel ch, int status, String reason, String headers, long contentLength) {
            statusCounts[status]++;
            String text = "HTTP/1.1 " + status + " " + reason + "\r\nServer: chimney\r\n" + headers
                    + "Content-Length: " + contentLength + "\r\n"
                    + (closeAfterResponse ? "Connection: close\r\n" : "") + "\r\n";
            head = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
            responding = true;
        }

        @Override
        public void onWritable(TcpChannel ch) {
            if (responding) {
                send(ch);
            }
        }

        /** Writes as much of the response as the send buffer takes now. */
        private void send(TcpChannel ch) {
            try {
                while (!ch.isClosed()) {
                    boolean headLeft = head != null && head.hasRemaining();
                    boolean bodyLeft = file != null && filePosition < fileEnd;
                    if (!headLeft && !bodyLeft) {
                        finishResponse(ch);
                        return;
                    }
                    int room = ch.writableBytes();
                    if (room == 0) {
                        return; // resume on onWritable
                    }
                    // head and the first body bytes go in one write, so Nagle never holds the body back waiting
                    // for the ACK of a lone head segment (RFC 1122 §4.2.3.4 meets delayed ACK, §4.2.3.2)
                    int limit = Math.min(room, staging.capacity());
                    staging.clear();
                    if (headLeft) {
                        int h = Math.min(head.remaining(), limit);
                        staging.put(staging.position(), head, head.position(), h);
                        head.position(head.position() + h);
                        staging.position(h);
                    }
                    if (mapped != null && !headLeft) {
                        // straight from the page cache into the send buffer
                        int n = ch.write(mapped, filePosition, (int) Math.min(room, fileEnd - filePosition));
                        bytesSent += n;
                        filePosition += n;
                        continue;
                    }
                    if (bodyLeft && staging.position() < limit) {
                        int want = (int) Math.min(limit - staging.position(), fileEnd - filePosition);
                        int n;
                        if (mapped != null) {
                            MemorySegment.copy(mapped, filePosition, stagingMemory, staging.position(), want);
                            staging.position(staging.position() + want);
                            n = want;
                        } else {
                            staging.limit(staging.position() + want);
                            n = file.read(staging, filePosition);
                        }
                        if (n <= 0) {
                            ch.abort(); // the file shrank: the promised Content-Length cannot be met
                            return;
                        }
                        filePosition += n;
                    }
                    int total = staging.position();
                    bytesSent += ch.write(stagingMemory, 0, total); // fits: total <= room
                }
            } catch (IOException | InternalError e) {
                // a read error mid-body, or a mapped file truncated under us (the JVM's fault on access): the
                // framing is broken, reset (RFC 9112 §9.6 incomplete)
                ch.abort();
            }
        }

        private void finishResponse(TcpChannel ch) {
            closeFile();
            head = null;
            responding = false;
            armIdle();
            if (closeAfterResponse) {
                // FIN after the response, then read until the client's FIN: closing with unread bytes would
                // reset and could destroy the response still in flight (RFC 9112 §9.6, RFC 2525 §2.17)
                ch.shutdownOutput();
                draining = true;
                drainAfterClose(ch);
                return;
            }
            if (!inReadLoop) {
                onReadable(ch); // resumed by onWritable: the next (pipelined) request may already be buffered
            } // else the read loop that started this response goes on with the next request (no recursion)
        }

        private void drainAfterClose(TcpChannel ch) {
            int n;
            while ((n = ch.read(request, 0, request.length)) > 0) {
                // discarded: we answered our last request
            }
            if (n < 0 && !ch.isClosed()) {
                ch.close();
            }
        }

        private void closeFile() {
            if (mapping != null) {
                mapped = null;
                mapping.close(); // munmap
                mapping = null;
            }
            if (file != null) {
                try {
                    file.close();
                } catch (IOException e) {
                    // nothing was lost: the body was already sent
                }
                file = null;
            }
        }

        @Override
        public void onClosed(TcpChannel ch, IOException error) {
            open--;
            closeFile();
            sockets.loop().timers().cancel(idle);
        }
    }

    /** The value of a non-empty run of at most 18 ASCII digits, or -1 for anything else. */
    static long digits(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** Decodes %XX escapes (RFC 3986 §2.1) as UTF-8; null when an escape is malformed. */
    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String contentType(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        return switch (ext) {
            case "html", "htm" -> "text/html; charset=utf-8";
            case "txt" -> "text/plain; charset=utf-8";
            case "css" -> "text/css";
            case "js" -> "text/javascript";
            case "json" -> "application/json";
            case "png" -> "image/png";
            case "jpg", "jpeg" -> "image/jpeg";
            case "svg" -> "image/svg+xml";
            default -> "application/octet-stream";
        };
    }
}
