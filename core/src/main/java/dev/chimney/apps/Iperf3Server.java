package dev.chimney.apps;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Timer;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A server for the iperf3 3.x client over TCP: {@code iperf3 -c HOST [-p PORT] [-t S | -n BYTES | -k BLOCKS]
 * [-P N] [-R [-b RATE]]} measures the stack in either direction (with {@code -b} in reverse the server paces each
 * stream to RATE bits per second, as iperf3 does). One test at a time, as iperf3's own server.
 *
 * <p>The protocol, as the iperf3 client speaks it: the client opens a control connection and sends a 37-byte cookie
 * (36 printable characters and a NUL). The server answers with one-byte states: PARAM_EXCHANGE (9), after which the
 * client sends its parameters as a 4-byte big-endian length and a JSON object; CREATE_STREAMS (10), after which the
 * client opens {@code parallel} data connections to the same port, each starting with the same cookie; once all are
 * in, TEST_START (1) and TEST_RUNNING (2). Data flows — client to server, or server to client with {@code
 * reverse} — until the client sends TEST_END (4). The server sends EXCHANGE_RESULTS (13), reads the client's
 * results (length + JSON), sends its own (per stream: id, bytes, retransmits, jitter, errors, packets, start and end
 * time) and DISPLAY_RESULTS (14); the client answers IPERF_DONE (16) and closes. A connection arriving while a test
 * runs that is not one of its streams gets ACCESS_DENIED (-1); options this server does not implement (UDP, SCTP,
 * --bidir, --omit) get SERVER_ERROR (-2) with iperf3's "not implemented" error code. Stream ids follow the client's
 * own numbering (1, 3, 4, 5...), so its per-stream figures pair up with ours.
 *
 * <p>Byte counts are exact, so sender and receiver report the same totals:
 * <ul>
 *   <li>forward: the server counts every byte read from each stream. The client's results say how many it sent on
 *       each; the server waits (at most {@link Config#drainTimeoutNs}) until it has read that many before sending
 *       its own, so bytes still in flight at TEST_END are counted (iperf3's own server closes the streams at
 *       TEST_END and loses them).</li>
 *   <li>reverse: the client counts only bytes it reads before its own timer ends the test. For {@code -t}, the
 *       server therefore stops writing when the bytes it has queued would take longer to be acknowledged (at the rate
 *       seen so far) than the time left, less {@link Config#reverseGuardNs}: every byte it reports sent was read by
 *       the client in time. For {@code -n}/{@code -k} it sends exactly that many bytes. At TEST_END it half-closes
 *       the streams (FIN, so a client blocked in a read wakes) and waits for them to be acknowledged before the
 *       results, so the client has read everything before it closes (no reset for unread data).</li>
 * </ul>
 * Retransmissions are reported only by a Linux sender (forward): the stack keeps no per-connection count across
 * offload, so in reverse the server reports "no retransmission figure" as iperf3's own receiver does.
 *
 * <p>Malformed control input (a bad cookie, a length beyond {@link Config#maxMessageBytes}, JSON that does not
 * parse, an unknown state byte) is counted and the test's connections closed; nothing crashes the loop. A test
 * that does not reach TEST_RUNNING within {@link Config#setupTimeoutNs} is abandoned.
 */
public final class Iperf3Server extends TcpService {
    /** iperf3's default port. */
    public static final int PORT = 5201;

    // iperf3 3.x states (src/iperf_api.h), one signed byte on the control connection
    static final byte TEST_START = 1;
    static final byte TEST_RUNNING = 2;
    static final byte TEST_END = 4;
    static final byte PARAM_EXCHANGE = 9;
    static final byte CREATE_STREAMS = 10;
    static final byte CLIENT_TERMINATE = 12;
    static final byte EXCHANGE_RESULTS = 13;
    static final byte DISPLAY_RESULTS = 14;
    static final byte IPERF_DONE = 16;
    static final byte ACCESS_DENIED = -1;
    static final byte SERVER_ERROR = -2;
    /** iperf3's IEUNIMP: "an option you are trying to set is not implemented yet". */
    static final int ERROR_NOT_IMPLEMENTED = 13;
    /** A cookie: 36 characters and a terminating NUL (iperf3 COOKIE_SIZE). */
    static final int COOKIE_BYTES = 37;

    /**
     * @param maxStreams      most parallel streams a test may ask for (iperf3's client allows 128)
     * @param maxMessageBytes longest parameters or results JSON accepted
     * @param setupTimeoutNs  a connection must send its cookie, and a test reach TEST_RUNNING, within this
     * @param drainTimeoutNs  longest wait after TEST_END for in-flight bytes (see the class comment)
     * @param reverseGuardNs  reverse {@code -t}: stop writing this long before the bytes queued could be
     *                        acknowledged by the end of the test
     */
    public record Config(int maxStreams, int maxMessageBytes, long setupTimeoutNs, long drainTimeoutNs,
            long reverseGuardNs) {
        public Config {
            if (maxStreams < 1 || maxMessageBytes < 256 || setupTimeoutNs <= 0 || drainTimeoutNs <= 0
                    || reverseGuardNs < 0) {
                throw new IllegalArgumentException("bad iperf3 config: maxStreams=" + maxStreams + " (>= 1), "
                        + "maxMessageBytes=" + maxMessageBytes + " (>= 256), setupTimeoutNs=" + setupTimeoutNs
                        + " (> 0), drainTimeoutNs=" + drainTimeoutNs + " (> 0), reverseGuardNs=" + reverseGuardNs
                        + " (>= 0)");
            }
        }

        public static Config defaults() {
            return new Config(128, 64 * 1024, 10_000_000_000L, 30_000_000_000L, 100_000_000L);
        }
    }

    /**
     * What the last finished test measured.
     *
     * @param reverse     true if the server sent
     * @param streamIds   the iperf3 stream ids, in connection order
     * @param serverBytes per stream, what this server received (forward) or sent (reverse)
     * @param clientBytes per stream, what the client's results said it sent or received (-1 if it named no figure)
     * @param durationNs  TEST_RUNNING to TEST_END
     */
    public record TestResult(boolean reverse, int[] streamIds, long[] serverBytes, long[] clientBytes,
            long durationNs) {
        public long serverTotal() {
            return Arrays.stream(serverBytes).sum();
        }

        public long clientTotal() {
            return Arrays.stream(clientBytes).sum();
        }
    }

    private enum Phase { PARAMS, STREAMS, RUNNING, ENDING, RESULTS, FINISHING, DISPLAY, DONE }

    private enum Role { PENDING, CONTROL, STREAM, DENIED }

    private static final int BLOCK_BYTES = 64 * 1024;
    private static final long POLL_NS = 5_000_000L;
    /** Reverse -b: bytes a stream may send ahead of its rate (one burst per pacing wake-up). */
    private static final int PACING_BURST_BYTES = 16 * 1024;
    /** Reverse -b: the pacing timer's shortest wait (iperf3's default pacing timer is 1 ms). */
    private static final long PACING_MIN_WAIT_NS = 1_000_000L;

    private final SocketStack sockets;
    private final Config config;
    /** Reverse-mode payload: a seeded pattern (the client does not check content), written again and again. */
    private final byte[] block = new byte[BLOCK_BYTES];
    private final byte[] sink = new byte[BLOCK_BYTES];
    private Test active;
    private TestResult lastResult;
    private long testsCompleted;
    private long testsAborted;
    private long denied;
    private long malformed;
    private long unsupported;
    private long bytesReceived;
    private long bytesSent;
    private long connectionsReset;

    private Iperf3Server(SocketStack sockets, IpAddress local, int port, SocketOptions options, Config config) {
        this.sockets = sockets;
        this.config = java.util.Objects.requireNonNull(config, "config");
        super(sockets, local, port, options);
        new SeededRandom(0x1E3L).nextBytes(block); // field initializers run after super(): fill it here
    }

    /** Starts an iperf3 server on {@code port} at {@code local} (null = every address). Call on the stack's loop. */
    public static Iperf3Server start(SocketStack sockets, IpAddress local, int port, SocketOptions options,
            Config config) {
        return new Iperf3Server(sockets, local, port, options, config);
    }

    /** Starts an iperf3 server on port 5201 on every address with the default limits. */
    public static Iperf3Server start(SocketStack sockets) {
        return start(sockets, null, PORT, SocketOptions.defaults(), Config.defaults());
    }

    /** Tests that ran to IPERF_DONE. */
    public long testsCompleted() {
        return testsCompleted;
    }

    /** Tests abandoned: the client went away or terminated, malformed input, a timeout, an unsupported option. */
    public long testsAborted() {
        return testsAborted;
    }

    /** Connections refused with ACCESS_DENIED (a test was running and they were not its streams). */
    public long deniedConnections() {
        return denied;
    }

    /** Malformed control inputs (each closed its test or connection). */
    public long malformedInputs() {
        return malformed;
    }

    /** Tests refused with SERVER_ERROR for an option this server does not implement. */
    public long unsupportedTests() {
        return unsupported;
    }

    /** Data bytes read from forward streams, all tests. */
    public long bytesReceived() {
        return bytesReceived;
    }

    /** Data bytes written to reverse streams, all tests. */
    public long bytesSent() {
        return bytesSent;
    }

    /** Connections (control or data) that ended with an error: a reset, a timeout. */
    public long connectionsReset() {
        return connectionsReset;
    }

    /** The last test that reached the results exchange, or null. */
    public TestResult lastResult() {
        return lastResult;
    }

    /** True while a test holds the server (others are denied). */
    public boolean busy() {
        return active != null;
    }

    @Override
    protected Connection newConnection() {
        return new Handler();
    }

    private long now() {
        return sockets.loop().nowNs();
    }

    /** One test: its control connection, parameters, streams and phase. */
    private final class Test {
        final Handler control;
        final byte[] cookie;
        final List<Handler> streams = new ArrayList<>();
        final Timer timer = Timer.of(this::onTimer);
        Phase phase = Phase.PARAMS;
        int parallel;
        boolean reverse;
        long durationNs;
        /** Reverse: bytes to send in all (-n, or -k blocks of len), 0 = until the time is up. */
        long sendLimit;
        /** Reverse: -b, bits per second per stream (iperf3's "bandwidth"), 0 = as fast as the path takes. */
        long bitsPerSecond;
        long sentTotal;
        long runningSinceNs;
        long endedAtNs;
        long waitUntilNs;
        final Map<Integer, Long> clientBytes = new HashMap<>();

        Test(Handler control, byte[] cookie) {
            this.control = control;
            this.cookie = cookie;
            sockets.loop().timers().schedule(timer, now() + config.setupTimeoutNs());
        }

        void onTimer() {
            switch (phase) {
                case PARAMS, STREAMS -> abort(false); // the client never finished setting up
                case ENDING -> tryExchange();
                case FINISHING -> trySendResults();
                default -> {
                    // nothing waits on the timer in the other phases
                }
            }
        }

        /** Ends the test early; {@code malformedInput} counts it as malformed. */
        void abort(boolean malformedInput) {
            if (phase == Phase.DONE) {
                return;
            }
            if (malformedInput) {
                malformed++;
            }
            testsAborted++;
            finish();
            control.channel.close(); // resets if unread input is left: a client that misbehaved
            for (Handler s : streams) {
                s.closeQuietly();
            }
        }

        void finish() {
            phase = Phase.DONE;
            sockets.loop().timers().cancel(timer);
            if (active == this) {
                active = null;
            }
        }

        void onParams(Map<String, Object> p) throws SmallJson.Malformed {
            boolean tcp = !SmallJson.flagMember(p, "udp") && !SmallJson.flagMember(p, "sctp");
            long omit = SmallJson.longMember(p, "omit", 0);
            long time = SmallJson.longMember(p, "time", 0);
            long num = SmallJson.longMember(p, "num", 0);
            long blocks = SmallJson.longMember(p, "blockcount", 0);
            long len = SmallJson.longMember(p, "len", 128 * 1024);
            long streamCount = SmallJson.longMember(p, "parallel", 1);
            long bandwidth = SmallJson.longMember(p, "bandwidth", 0);
            if (omit < 0 || time < 0 || num < 0 || blocks < 0 || len < 1 || streamCount < 1 || bandwidth < 0) {
                throw new SmallJson.Malformed("negative or zero figure in the parameters " + p);
            }
            if (!tcp || SmallJson.flagMember(p, "bidirectional") || omit > 0 || streamCount > config.maxStreams()) {
                refuse(); // what iperf3 itself would accept but we do not implement
                return;
            }
            parallel = (int) streamCount;
            reverse = SmallJson.flagMember(p, "reverse");
            durationNs = time * 1_000_000_000L;
            bitsPerSecond = bandwidth;
            if (num > 0) {
                sendLimit = num;
            } else if (blocks > 0) {
                sendLimit = blocks > Long.MAX_VALUE / len ? Long.MAX_VALUE : blocks * len;
            }
            phase = Phase.STREAMS;
            control.send(new byte[] {CREATE_STREAMS});
        }

        /** SERVER_ERROR, then iperf3's error code and errno (both 4 bytes big-endian), then close. */
        void refuse() {
            unsupported++;
            control.send(new byte[] {SERVER_ERROR, 0, 0, 0, ERROR_NOT_IMPLEMENTED, 0, 0, 0, 0});
            testsAborted++;
            finish();
            control.channel.shutdownInput();
            control.channel.close();
        }

        void addStream(Handler s) {
            s.role = Role.STREAM;
            s.test = this;
            // iperf_add_stream numbers the first stream 1 and the k-th (k >= 2) stream k + 1; both sides do
            s.streamId = streams.isEmpty() ? 1 : streams.size() + 2;
            streams.add(s);
            if (streams.size() == parallel) {
                phase = Phase.RUNNING;
                runningSinceNs = now();
                sockets.loop().timers().cancel(timer);
                control.send(new byte[] {TEST_START, TEST_RUNNING});
                if (reverse) {
                    for (Handler h : streams) {
                        h.fill();
                    }
                }
            }
        }

        void onState(byte state) {
            switch (state) {
                case TEST_END -> {
                    if (phase != Phase.RUNNING) {
                        abort(true);
                        return;
                    }
                    phase = Phase.ENDING;
                    endedAtNs = now();
                    waitUntilNs = endedAtNs + config.drainTimeoutNs();
                    if (reverse) {
                        for (Handler s : streams) {
                            if (!s.channel.isClosed()) {
                                s.channel.shutdownOutput();
                            }
                        }
                    }
                    tryExchange();
                }
                case CLIENT_TERMINATE -> abort(false);
                case IPERF_DONE -> {
                    if (phase != Phase.DISPLAY) {
                        abort(true);
                        return;
                    }
                    testsCompleted++;
                    finish();
                    control.channel.close();
                }
                case TEST_START, TEST_RUNNING -> {
                    // iperf3's server ignores a client echoing these
                }
                default -> abort(true);
            }
        }

        /** Reverse: waits until every stream's bytes and FIN are acknowledged (or the drain timeout). */
        void tryExchange() {
            if (phase != Phase.ENDING) {
                return;
            }
            if (reverse && now() < waitUntilNs) {
                for (Handler s : streams) {
                    if (!s.deliveredAll()) {
                        sockets.loop().timers().schedule(timer, now() + POLL_NS);
                        return;
                    }
                }
            }
            phase = Phase.RESULTS;
            control.send(new byte[] {EXCHANGE_RESULTS});
        }

        void onClientResults(Map<String, Object> r) throws SmallJson.Malformed {
            if (!(r.get("streams") instanceof List<?> list)) {
                throw new SmallJson.Malformed("results without a streams array");
            }
            for (Object o : list) {
                if (!(o instanceof Map<?, ?> m)) {
                    throw new SmallJson.Malformed("a stream result is not an object: " + o);
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> stream = (Map<String, Object>) m;
                long id = SmallJson.longMember(stream, "id", Long.MIN_VALUE);
                long bytes = SmallJson.longMember(stream, "bytes", -1);
                if (id == Long.MIN_VALUE || bytes < 0) {
                    throw new SmallJson.Malformed("a stream result without id or bytes: " + stream);
                }
                clientBytes.put((int) id, bytes);
            }
            phase = Phase.FINISHING;
            waitUntilNs = now() + config.drainTimeoutNs();
            trySendResults();
        }

        /** Forward: sends the results once every stream read what the client says it sent (or EOF, or timeout). */
        void trySendResults() {
            if (phase != Phase.FINISHING) {
                return;
            }
            if (!reverse && now() < waitUntilNs) {
                for (Handler s : streams) {
                    Long sent = clientBytes.get(s.streamId);
                    if (sent != null && s.bytes < sent && !s.eof && !s.channel.isClosed()) {
                        sockets.loop().timers().schedule(timer, now() + Math.min(POLL_NS * 20, waitUntilNs - now()));
                        return; // a stream's read wakes us earlier
                    }
                }
            }
            sockets.loop().timers().cancel(timer);
            record();
            byte[] json = resultsJson().getBytes(StandardCharsets.US_ASCII);
            byte[] message = new byte[4 + json.length + 1];
            message[0] = (byte) (json.length >>> 24);
            message[1] = (byte) (json.length >>> 16);
            message[2] = (byte) (json.length >>> 8);
            message[3] = (byte) json.length;
            System.arraycopy(json, 0, message, 4, json.length);
            message[message.length - 1] = DISPLAY_RESULTS;
            phase = Phase.DISPLAY;
            control.send(message);
        }

        private void record() {
            int n = streams.size();
            int[] ids = new int[n];
            long[] ours = new long[n];
            long[] theirs = new long[n];
            for (int i = 0; i < n; i++) {
                Handler s = streams.get(i);
                ids[i] = s.streamId;
                ours[i] = s.bytes;
                theirs[i] = clientBytes.getOrDefault(s.streamId, -1L);
            }
            lastResult = new TestResult(reverse, ids, ours, theirs, endedAtNs - runningSinceNs);
        }

        /** Our results in iperf3's send_results form (cJSON reads every member below; no CPU figures are kept). */
        private String resultsJson() {
            String seconds = Double.toString((endedAtNs - runningSinceNs) / 1e9);
            StringBuilder sb = new StringBuilder("{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,"
                    + "\"sender_has_retransmits\":").append(reverse ? 0 : -1).append(",\"streams\":[");
            for (int i = 0; i < streams.size(); i++) {
                Handler s = streams.get(i);
                sb.append(i == 0 ? "" : ",").append("{\"id\":").append(s.streamId).append(",\"bytes\":")
                        .append(s.bytes).append(",\"retransmits\":-1,\"jitter\":0,\"errors\":0,\"packets\":0,"
                        + "\"start_time\":0,\"end_time\":").append(seconds).append('}');
            }
            return sb.append("]}").toString();
        }
    }

    /** One accepted connection: first its cookie, then the control connection of a test or one of its streams. */
    private final class Handler extends Connection {
        Role role = Role.PENDING;
        TcpChannel channel;
        Test test;
        int streamId;
        /** Stream: bytes received (forward) or sent (reverse). */
        long bytes;
        boolean eof;
        /** Reverse stream: stopped writing for good (the time is nearly up). */
        boolean stopped;
        /** Cookie, then (control) the message being read. */
        byte[] in = new byte[COOKIE_BYTES];
        int inLength;
        /** Control output the send buffer did not take yet. */
        byte[] out;
        int outOffset;
        final Timer cookieTimer = Timer.of(this::onCookieTimeout);
        /** Reverse with -b: wakes the stream when its rate allows more bytes. */
        final Timer pacingTimer = Timer.of(this::fill);

        @Override
        protected void connected(TcpChannel ch) {
            channel = ch;
            sockets.loop().timers().schedule(cookieTimer, now() + config.setupTimeoutNs());
        }

        private void onCookieTimeout() {
            if (role == Role.PENDING && !channel.isClosed()) {
                channel.abort(); // never said who it is
            }
        }

        @Override
        public void onReadable(TcpChannel ch) {
            switch (role) {
                case PENDING -> readCookie(ch);
                case CONTROL -> readControl(ch);
                case STREAM -> readStream(ch);
                case DENIED -> {
                    // input shut down: the channel discards it
                }
            }
        }

        @Override
        public void onWritable(TcpChannel ch) {
            flush();
            if (role == Role.STREAM) {
                fill();
            }
        }

        @Override
        protected void closed(TcpChannel ch, IOException error) {
            sockets.loop().timers().cancel(cookieTimer);
            sockets.loop().timers().cancel(pacingTimer);
            if (error != null) {
                connectionsReset++;
            }
            if (role == Role.CONTROL && test != null && test.phase != Phase.DONE) {
                test.abort(false); // the client went away mid-test
            } else if (role == Role.STREAM && test != null) {
                test.trySendResults();
            }
        }

        private void readCookie(TcpChannel ch) {
            int n = ch.read(in, inLength, COOKIE_BYTES - inLength);
            if (n < 0) {
                ch.close();
                return;
            }
            inLength += n;
            if (inLength < COOKIE_BYTES) {
                return;
            }
            sockets.loop().timers().cancel(cookieTimer);
            byte[] cookie = in;
            in = null; // a control connection takes a message buffer below; a stream needs none
            inLength = 0;
            if (!validCookie(cookie)) {
                malformed++;
                ch.abort();
                return;
            }
            if (active == null) {
                role = Role.CONTROL;
                in = new byte[512];
                test = new Test(this, cookie);
                active = test;
                // control messages are single bytes: Nagle would hold each behind the last one's ACK
                ch.options(ch.options().withNoDelay(true));
                send(new byte[] {PARAM_EXCHANGE});
                readControl(ch);
            } else if (active.phase == Phase.STREAMS && Arrays.equals(cookie, active.cookie)) {
                active.addStream(this);
                readStream(ch);
            } else {
                role = Role.DENIED;
                denied++;
                ch.shutdownInput();
                ch.write(new byte[] {ACCESS_DENIED}, 0, 1);
                ch.close();
            }
        }

        /** 36 printable ASCII characters and a NUL, as iperf3's make_cookie writes. */
        private static boolean validCookie(byte[] c) {
            for (int i = 0; i < COOKIE_BYTES - 1; i++) {
                if (c[i] < 0x21 || c[i] > 0x7e) {
                    return false;
                }
            }
            return c[COOKIE_BYTES - 1] == 0;
        }

        private void readControl(TcpChannel ch) {
            while (!ch.isClosed() && test.phase != Phase.DONE) {
                if (inLength == in.length) {
                    in = Arrays.copyOf(in, Math.min(2 * in.length, config.maxMessageBytes() + 4));
                }
                int n = ch.read(in, inLength, in.length - inLength);
                if (n < 0) {
                    if (test.phase != Phase.DONE) {
                        test.abort(false);
                    } else {
                        ch.close();
                    }
                    return;
                }
                if (n == 0) {
                    return;
                }
                inLength += n;
                try {
                    parseControl();
                } catch (SmallJson.Malformed e) {
                    test.abort(true);
                    return;
                }
            }
        }

        /** Consumes complete control messages from {@code in}. */
        private void parseControl() throws SmallJson.Malformed {
            int pos = 0;
            while (test.phase != Phase.DONE && pos < inLength) {
                Phase phase = test.phase;
                if (phase == Phase.PARAMS || phase == Phase.RESULTS) {
                    if (inLength - pos < 4) {
                        break;
                    }
                    int length = ((in[pos] & 0xff) << 24) | ((in[pos + 1] & 0xff) << 16)
                            | ((in[pos + 2] & 0xff) << 8) | (in[pos + 3] & 0xff);
                    if (length < 2 || length > config.maxMessageBytes()) {
                        throw new SmallJson.Malformed("JSON length " + Integer.toUnsignedString(length));
                    }
                    if (inLength - pos - 4 < length) {
                        break;
                    }
                    String text = new String(in, pos + 4, length, StandardCharsets.UTF_8);
                    pos += 4 + length;
                    Map<String, Object> json = SmallJson.parseObject(text);
                    if (phase == Phase.PARAMS) {
                        test.onParams(json);
                    } else {
                        test.onClientResults(json);
                    }
                } else if (phase == Phase.STREAMS) {
                    throw new SmallJson.Malformed("control input while the streams connect");
                } else {
                    test.onState(in[pos++]);
                }
            }
            System.arraycopy(in, pos, in, 0, inLength - pos);
            inLength -= pos;
        }

        /** Queues control output, writing what the send buffer takes now. */
        void send(byte[] message) {
            if (out == null) {
                out = message;
                outOffset = 0;
            } else {
                byte[] joined = Arrays.copyOf(out, out.length - outOffset + message.length);
                System.arraycopy(out, outOffset, joined, 0, out.length - outOffset);
                System.arraycopy(message, 0, joined, out.length - outOffset, message.length);
                out = joined;
                outOffset = 0;
            }
            flush();
        }

        private void flush() {
            if (out == null || channel.isClosed() || channel.writableBytes() == 0) {
                return;
            }
            outOffset += channel.write(out, outOffset, out.length - outOffset);
            if (outOffset == out.length) {
                out = null;
            }
        }

        private void readStream(TcpChannel ch) {
            int n;
            while ((n = ch.read(sink, 0, sink.length)) > 0) {
                bytes += n;
                bytesReceived += n;
            }
            if (n < 0) {
                eof = true;
                ch.close(); // the client closed its side (reverse: we half-closed already)
            }
            if (test != null && test.phase == Phase.FINISHING) {
                test.trySendResults();
            }
        }

        /** Reverse: writes the pattern while the test runs and the time or byte budget allows. */
        void fill() {
            Test t = test;
            if (t == null || !t.reverse || t.phase != Phase.RUNNING || stopped) {
                return;
            }
            TcpChannel ch = channel;
            while (!ch.isClosed()) {
                int room = ch.writableBytes();
                if (room == 0) {
                    return;
                }
                long want = Math.min(room, BLOCK_BYTES - (int) (bytes % BLOCK_BYTES));
                if (t.sendLimit > 0) {
                    want = Math.min(want, t.sendLimit - t.sentTotal);
                    if (want == 0) {
                        stopped = true;
                        return;
                    }
                } else if (timeIsUp(t)) {
                    stopped = true;
                    return;
                }
                if (t.bitsPerSecond > 0) {
                    want = Math.min(want, paced(t));
                    if (want <= 0) {
                        return; // the pacing timer writes the next burst
                    }
                }
                int n = ch.write(block, (int) (bytes % BLOCK_BYTES), (int) want);
                if (n == 0) {
                    return;
                }
                bytes += n;
                t.sentTotal += n;
                bytesSent += n;
            }
        }

        /**
         * Reverse {@code -b}: bytes the stream may send now so its average since TEST_RUNNING stays at the rate
         * (iperf3 paces each stream so, in bursts of its pacing timer); when none, arms the timer for the next.
         */
        private long paced(Test t) {
            long now = now();
            double bytesPerNs = t.bitsPerSecond / 8e9;
            double allowed = (now - t.runningSinceNs) * bytesPerNs + PACING_BURST_BYTES - bytes;
            if (allowed >= 1) {
                return (long) Math.min(allowed, Integer.MAX_VALUE);
            }
            long wait = (long) Math.ceil((1 - allowed) / bytesPerNs);
            sockets.loop().timers().schedule(pacingTimer, now + Math.max(wait, PACING_MIN_WAIT_NS));
            return 0;
        }

        /**
         * Reverse {@code -t}: true when what is queued and unacknowledged would, at the rate acknowledged so far,
         * not reach the client before its timer ends the test (it does not count bytes read after that).
         */
        private boolean timeIsUp(Test t) {
            if (t.durationNs == 0) {
                return false;
            }
            long now = now();
            long elapsed = now - t.runningSinceNs;
            TcpConnection c = channel.connection();
            long queued = c == null ? 0 : c.unacknowledgedBytes();
            long acknowledged = bytes - queued;
            double drainNs = acknowledged <= 0 ? 0 : (double) queued * elapsed / acknowledged;
            return now + drainNs + config.reverseGuardNs() >= t.runningSinceNs + t.durationNs;
        }

        /** Reverse stream after TEST_END: every byte and the FIN acknowledged (or the channel ended). */
        boolean deliveredAll() {
            if (channel.isClosed()) {
                return true;
            }
            TcpConnection c = channel.connection();
            if (c == null || c.unacknowledgedBytes() > 0) {
                return c == null;
            }
            TcpState s = channel.state();
            return s == TcpState.FIN_WAIT_2 || s == TcpState.TIME_WAIT || s == TcpState.CLOSED;
        }

        /** Closes a stream of an abandoned test without a reset: unread input is discarded first. */
        void closeQuietly() {
            if (!channel.isClosed()) {
                channel.shutdownInput();
                channel.close();
            }
        }
    }
}
