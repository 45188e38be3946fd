package dev.chimney.apps;

import dev.chimney.socket.TcpChannel;
import dev.chimney.socket.TcpChannelHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An in-test HTTP/1.1 client on the loop: sends its requests back to back (pipelined) and parses the responses
 * incrementally (status line, headers, Content-Length body). Bodies up to {@link #KEEP_BODY_BYTES} are kept; every
 * body is hashed (SHA-256) so a large file is checked without holding it.
 */
final class HttpTestClient implements TcpChannelHandler {
    static final int KEEP_BODY_BYTES = 1 << 20;

    record Response(int status, Map<String, String> headers, long bodyLength, byte[] body, byte[] sha256) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final ArrayDeque<Boolean> expectBody = new ArrayDeque<>();
    private final byte[] out;
    private int written;
    final List<Response> responses = new ArrayList<>();
    boolean eof;
    boolean closed;
    IOException error;
    TcpChannel channel;
    private final boolean halfCloseAfterSending;

    // parser state
    private final ByteArrayOutputStream headBuf = new ByteArrayOutputStream();
    private Map<String, String> headers;
    private int status;
    private long bodyRemaining;
    private long bodyLength;
    private ByteArrayOutputStream body;
    private MessageDigest digest;
    private final byte[] buf = new byte[16 * 1024];

    /** @param requests raw request heads; for each, whether it is a HEAD request (no body in the response) */
    HttpTestClient(List<String> requests, List<Boolean> isHead, boolean halfCloseAfterSending) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < requests.size(); i++) {
            sb.append(requests.get(i));
            expectBody.add(!isHead.get(i));
        }
        this.out = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        this.halfCloseAfterSending = halfCloseAfterSending;
    }

    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
    }

    @Override
    public void onConnected(TcpChannel ch) {
        channel = ch;
        pump(ch);
    }

    @Override
    public void onWritable(TcpChannel ch) {
        pump(ch);
    }

    private void pump(TcpChannel ch) {
        while (written < out.length && !ch.isClosed()) {
            int n = ch.write(out, written, out.length - written);
            if (n == 0) {
                return;
            }
            written += n;
        }
        if (written == out.length && halfCloseAfterSending && !ch.isClosed()) {
            ch.shutdownOutput();
        }
    }

    @Override
    public void onReadable(TcpChannel ch) {
        int n;
        while ((n = ch.read(buf, 0, buf.length)) > 0) {
            feed(buf, 0, n);
        }
        if (n < 0) {
            eof = true;
        }
    }

    @Override
    public void onClosed(TcpChannel ch, IOException e) {
        closed = true;
        error = e;
    }

    private void feed(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            if (headers == null) {
                headBuf.write(b[i++]);
                byte[] h = headBuf.toByteArray();
                int l = h.length;
                if (l >= 4 && h[l - 4] == '\r' && h[l - 3] == '\n' && h[l - 2] == '\r' && h[l - 1] == '\n') {
                    parseHead(new String(h, 0, l - 4, StandardCharsets.ISO_8859_1));
                    headBuf.reset();
                    if (bodyRemaining == 0) {
                        finish();
                    }
                }
            } else {
                int n = (int) Math.min(end - i, bodyRemaining);
                digest.update(b, i, n);
                if (bodyLength <= KEEP_BODY_BYTES) {
                    body.write(b, i, n);
                }
                bodyRemaining -= n;
                i += n;
                if (bodyRemaining == 0) {
                    finish();
                }
            }
        }
    }

    private void parseHead(String head) {
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        status = Integer.parseInt(statusLine[1]);
        headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, c).toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
        }
        boolean hasBody = Boolean.TRUE.equals(expectBody.poll());
        bodyLength = Long.parseLong(headers.getOrDefault("content-length", "0"));
        bodyRemaining = hasBody ? bodyLength : 0;
        body = new ByteArrayOutputStream();
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private void finish() {
        responses.add(new Response(status, headers, bodyLength, body.toByteArray(), digest.digest()));
        headers = null;
    }
}
