package dev.chimney.apps;

import dev.chimney.runtime.Timer;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.socket.TcpChannelHandler;
import dev.chimney.wire.IpAddress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A loop-side iperf3 client for tests, behaving as iperf3 3.x's does on the wire (src/iperf_client_api.c): cookie,
 * parameters after PARAM_EXCHANGE, the streams opened one after the other after CREATE_STREAMS (each sending the
 * cookie), its timer started at TEST_START, data sent (or, reverse, read and counted only while the test runs), then
 * TEST_END, its results after EXCHANGE_RESULTS, the server's results read, IPERF_DONE after DISPLAY_RESULTS, and
 * every connection closed. Everything it saw is kept for the test to check.
 */
final class ScriptedIperf3Client {
    final SocketStack sockets;
    final IpAddress server;
    final int port;
    final byte[] cookie;
    final String params;
    final int parallel;
    final boolean reverse;
    final long durationNs;
    final long numBytes;

    TcpChannel control;
    final List<Stream> streams = new ArrayList<>();
    final ByteArrayOutputStream controlIn = new ByteArrayOutputStream();
    final List<Byte> states = new ArrayList<>();
    boolean running;
    boolean ended;
    boolean done;
    boolean closed;
    IOException controlError;
    /** The server's results: stream id to bytes. */
    final Map<Integer, Long> serverBytes = new HashMap<>();
    Map<String, Object> serverResults;
    private final Timer timer = Timer.of(this::end);
    private int consumed;
    private boolean awaitingResults;
    /** ACCESS_DENIED or SERVER_ERROR arrived: what follows is not states. */
    boolean refused;
    private final byte[] payload = new byte[8192];
    private final byte[] sink = new byte[16384];

    /** One data stream: what it sent or counted. */
    final class Stream implements TcpChannelHandler {
        TcpChannel channel;
        int id;
        long bytes;
        long lateBytes;
        boolean eof;
        IOException error;

        @Override
        public void onConnected(TcpChannel ch) {
            ch.write(cookie, 0, cookie.length); // fits: a fresh send buffer
            if (streams.size() < parallel) {
                openStream(); // iperf_create_streams connects them one after the other
            }
        }

        @Override
        public void onReadable(TcpChannel ch) {
            if (!running && !ended) {
                return; // iperf3 reads streams only once TEST_RUNNING arrived
            }
            int n;
            while ((n = ch.read(sink, 0, sink.length)) > 0) {
                if (running) {
                    bytes += n; // iperf_tcp_recv counts only in TEST_RUNNING
                } else {
                    lateBytes += n;
                }
            }
            if (n < 0) {
                eof = true;
            }
            if (reverse && running && numBytes > 0 && totalBytes() >= numBytes) {
                end();
            }
        }

        @Override
        public void onWritable(TcpChannel ch) {
            send();
        }

        void send() {
            while (running && !reverse && channel.writableBytes() > 0) {
                int n = channel.write(payload, 0, (int) Math.min(payload.length,
                        numBytes > 0 ? numBytes - totalBytes() : payload.length));
                if (n <= 0) {
                    break;
                }
                bytes += n;
                if (numBytes > 0 && totalBytes() >= numBytes) {
                    end();
                    return;
                }
            }
        }

        @Override
        public void onClosed(TcpChannel ch, IOException e) {
            error = e;
        }
    }

    ScriptedIperf3Client(SocketStack sockets, IpAddress server, int port, String cookieText, int parallel,
            boolean reverse, long seconds, long numBytes, String extraParams) {
        this.sockets = sockets;
        this.server = server;
        this.port = port;
        this.cookie = (cookieText + "\0").getBytes(StandardCharsets.US_ASCII);
        this.parallel = parallel;
        this.reverse = reverse;
        this.durationNs = seconds * 1_000_000_000L;
        this.numBytes = numBytes;
        this.params = "{\"tcp\":true,\"omit\":0,\"time\":" + seconds + ",\"num\":" + numBytes
                + ",\"blockcount\":0,\"parallel\":" + parallel + (reverse ? ",\"reverse\":true" : "")
                + ",\"len\":131072" + extraParams + ",\"client_version\":\"3.12\"}";
    }

    /** A 36-character cookie made of {@code c} (iperf3 draws it at random; tests name theirs). */
    static String cookie(char c) {
        return String.valueOf(c).repeat(36);
    }

    ScriptedIperf3Client start() {
        control = sockets.connect(server, port, SocketOptions.defaults().withNoDelay(true), new TcpChannelHandler() {
            @Override
            public void onConnected(TcpChannel ch) {
                ch.write(cookie, 0, cookie.length);
            }

            @Override
            public void onReadable(TcpChannel ch) {
                byte[] b = new byte[4096];
                int n;
                while ((n = ch.read(b, 0, b.length)) > 0) {
                    controlIn.write(b, 0, n);
                }
                handle();
                if (n < 0 && !ch.isClosed()) {
                    ch.close();
                }
            }

            @Override
            public void onClosed(TcpChannel ch, IOException e) {
                controlError = e;
                closed = true;
                running = false;
                sockets.loop().timers().cancel(timer);
                for (Stream s : streams) { // the iperf3 process exits: its sockets close
                    if (s.channel != null && !s.channel.isClosed()) {
                        s.channel.shutdownInput();
                        s.channel.close();
                    }
                }
            }
        });
        return this;
    }

    long totalBytes() {
        return streams.stream().mapToLong(s -> s.bytes).sum();
    }

    private void openStream() {
        Stream s = new Stream();
        // iperf_add_stream numbers the first stream 1 and the k-th (k >= 2) k + 1
        s.id = streams.isEmpty() ? 1 : streams.size() + 2;
        streams.add(s);
        s.channel = sockets.connect(server, port, SocketOptions.defaults(), s);
    }

    private void handle() {
        byte[] in = controlIn.toByteArray();
        while (consumed < in.length && !refused) {
            if (awaitingResults) {
                if (in.length - consumed < 4) {
                    return;
                }
                int len = ((in[consumed] & 0xff) << 24) | ((in[consumed + 1] & 0xff) << 16)
                        | ((in[consumed + 2] & 0xff) << 8) | (in[consumed + 3] & 0xff);
                if (in.length - consumed - 4 < len) {
                    return;
                }
                String json = new String(in, consumed + 4, len, StandardCharsets.US_ASCII);
                consumed += 4 + len;
                awaitingResults = false;
                try {
                    serverResults = SmallJson.parseObject(json);
                } catch (SmallJson.Malformed e) {
                    throw new AssertionError("the server's results do not parse: " + json, e);
                }
                for (Object o : (List<?>) serverResults.get("streams")) {
                    Map<?, ?> m = (Map<?, ?>) o;
                    serverBytes.put(((BigDecimal) m.get("id")).intValue(), ((BigDecimal) m.get("bytes")).longValue());
                }
                continue;
            }
            byte state = in[consumed++];
            states.add(state);
            switch (state) {
                case Iperf3Server.PARAM_EXCHANGE -> writeJson(params);
                case Iperf3Server.CREATE_STREAMS -> openStream();
                case Iperf3Server.TEST_START -> sockets.loop().timers().schedule(timer,
                        durationNs > 0 ? sockets.loop().nowNs() + durationNs : Long.MAX_VALUE);
                case Iperf3Server.TEST_RUNNING -> {
                    running = true;
                    for (Stream s : streams) {
                        if (reverse) {
                            s.onReadable(s.channel);
                        } else {
                            s.send();
                        }
                    }
                }
                case Iperf3Server.EXCHANGE_RESULTS -> {
                    StringBuilder sb = new StringBuilder("{\"cpu_util_total\":1.5,\"cpu_util_user\":0.5,"
                            + "\"cpu_util_system\":1,\"sender_has_retransmits\":" + (reverse ? -1 : 1)
                            + ",\"streams\":[");
                    for (int i = 0; i < streams.size(); i++) {
                        Stream s = streams.get(i);
                        sb.append(i == 0 ? "" : ",").append("{\"id\":").append(s.id).append(",\"bytes\":")
                                .append(s.bytes).append(",\"retransmits\":0,\"jitter\":0,\"errors\":0,"
                                + "\"packets\":0,\"start_time\":0,\"end_time\":2.0001}");
                    }
                    writeJson(sb.append("]}").toString());
                    awaitingResults = true;
                }
                case Iperf3Server.DISPLAY_RESULTS -> {
                    control.write(new byte[] {Iperf3Server.IPERF_DONE}, 0, 1);
                    done = true;
                    for (Stream s : streams) {
                        if (!s.channel.isClosed()) {
                            s.channel.shutdownInput();
                            s.channel.close();
                        }
                    }
                    control.close();
                }
                case Iperf3Server.ACCESS_DENIED, Iperf3Server.SERVER_ERROR -> refused = true; // the rest: an errno
                default -> {
                    // other states: the test reads them
                }
            }
        }
    }

    /** The client's timer (or byte count) ended the test: TEST_END. */
    void end() {
        if (!running || control.isClosed()) {
            return;
        }
        running = false;
        ended = true;
        sockets.loop().timers().cancel(timer);
        control.write(new byte[] {Iperf3Server.TEST_END}, 0, 1);
    }

    private void writeJson(String json) {
        byte[] b = json.getBytes(StandardCharsets.US_ASCII);
        byte[] m = new byte[4 + b.length];
        m[0] = (byte) (b.length >>> 24);
        m[1] = (byte) (b.length >>> 16);
        m[2] = (byte) (b.length >>> 8);
        m[3] = (byte) b.length;
        System.arraycopy(b, 0, m, 4, b.length);
        int n = control.write(m, 0, m.length);
        if (n != m.length) {
            throw new AssertionError("control send buffer too small for " + m.length + " bytes");
        }
    }
}
