package dev.chimney.cli.control;

import dev.chimney.link.ffm.NetNamespace;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * The client side of the control API for {@code chimney ctl}: one HTTP/1.1 request per connection to
 * 127.0.0.1:PORT, in a named network namespace if asked (the socket is created there, as the server's was). Every
 * failure is an {@link IllegalStateException} whose message is the one line {@code ctl} prints.
 */
public final class ControlClient {
    /** A response: its HTTP status and body. */
    public record Response(int status, String body) {
        public boolean ok() {
            return status == 200;
        }

        /** The server's one-line reason for a failure (the {@code error} member), or the status. */
        public String error() {
            try {
                Object e = Json.at(Json.parse(body), "error");
                if (e instanceof String s) {
                    return s;
                }
            } catch (IllegalArgumentException ignored) {
                // not JSON: fall through
            }
            return "HTTP " + status;
        }
    }

    private final int port;
    private final String netns;
    private final int timeoutMs;

    public ControlClient(int port, String netns, int timeoutMs) {
        this.port = port;
        this.netns = netns;
        this.timeoutMs = timeoutMs;
    }

    public Response get(String path) {
        return request("GET", path);
    }

    public Response post(String path) {
        return request("POST", path);
    }

    private Response request(String method, String path) {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        try (Socket socket = new Socket()) {
            if (netns != null) {
                // binding creates the socket, and a socket belongs to the namespace of the thread that created it
                NetNamespace.callIn(netns, () -> {
                    try {
                        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return null;
                });
            }
            socket.connect(address, Math.min(timeoutMs, 5_000));
            socket.setSoTimeout(timeoutMs);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n"
                    + "Content-Length: 0\r\nAccept: application/json\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return parse(all.toString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new IllegalStateException(nothingListening());
        } catch (SocketTimeoutException e) {
            throw new IllegalStateException("no answer from the control API on 127.0.0.1:" + port + " within "
                    + timeoutMs / 1000 + " s");
        } catch (UncheckedIOException e) {
            throw new IllegalStateException("cannot reach the control API: " + e.getCause().getMessage());
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach the control API on 127.0.0.1:" + port + ": "
                    + e.getMessage());
        }
    }

    private String nothingListening() {
        return "nothing is listening on 127.0.0.1:" + port + (netns == null ? "" : " in netns " + netns)
                + " (is 'chimney run --control " + port + "' running" + (netns == null ? " in this network namespace"
                : "") + "?)";
    }

    private Response parse(String raw) {
        int end = raw.indexOf("\r\n\r\n");
        if (!raw.startsWith("HTTP/1.") || end < 0) {
            throw new IllegalStateException("127.0.0.1:" + port + " does not speak the control API (no HTTP "
                    + "response)");
        }
        String statusLine = raw.substring(0, raw.indexOf("\r\n"));
        String[] parts = statusLine.split(" ", 3);
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (RuntimeException e) {
            throw new IllegalStateException("bad HTTP status line from 127.0.0.1:" + port + ": " + statusLine);
        }
        String headers = raw.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        String body = raw.substring(end + 4);
        if (headers.contains("transfer-encoding: chunked")) {
            body = unchunk(body);
        }
        return new Response(status, body);
    }

    private static String unchunk(String s) {
        StringBuilder b = new StringBuilder();
        int at = 0;
        while (at < s.length()) {
            int eol = s.indexOf("\r\n", at);
            if (eol < 0) {
                break;
            }
            int size = Integer.parseInt(s.substring(at, eol).split(";")[0].trim(), 16);
            if (size == 0) {
                break;
            }
            b.append(s, eol + 2, Math.min(s.length(), eol + 2 + size));
            at = eol + 2 + size + 2;
        }
        return b.toString();
    }
}
