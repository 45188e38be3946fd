package dev.chimney.cli;

import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpSocket;
import dev.chimney.wire.IpAddress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The Chimney stack as a client, through its blocking socket API (called from a test thread, never the loop):
 * a minimal HTTP/1.1 GET that hashes the body as it streams, and a file upload.
 */
final class StackClient {
    private StackClient() {
    }

    /** Status, Content-Length and SHA-256 of the body actually received (bodyBytes of it). */
    record HttpResult(int status, long contentLength, long bodyBytes, String sha256) {
    }

    static HttpResult get(SocketStack sockets, IpAddress server, int port, String path, Duration timeout)
            throws IOException {
        try (TcpSocket s = sockets.newSocket()) {
            s.setSoTimeout(timeout);
            s.connect(server, port, timeout);
            String host = server.isIpv4() ? server.toString() : "[" + server + "]";
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String head = readHead(in);
            String[] lines = head.split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            long length = -1;
            for (String line : lines) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(15).trim());
                }
            }
            MessageDigest md = sha256();
            byte[] buf = new byte[1 << 16];
            long got = 0;
            int n;
            while ((length < 0 || got < length) && (n = in.read(buf, 0, buf.length)) > 0) {
                md.update(buf, 0, n);
                got += n;
            }
            return new HttpResult(status, length, got, HexFormat.of().formatHex(md.digest()));
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside the response head: " + head);
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > 16384) {
                throw new IOException("response head longer than 16 KiB");
            }
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** Sends the whole file to {@code server}:{@code port}, then closes (FIN); returns the bytes sent. */
    static long upload(SocketStack sockets, IpAddress server, int port, Path file, Duration timeout)
            throws IOException {
        try (TcpSocket s = sockets.newSocket(); InputStream in = Files.newInputStream(file)) {
            s.setSoTimeout(timeout);
            s.connect(server, port, timeout);
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[1 << 16];
            long sent = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                sent += n;
            }
            s.shutdownOutput();
            // Wait for the listener's FIN so the close below is graceful and everything was delivered.
            while (s.getInputStream().read(buf) >= 0) {
                // socat -u sends nothing
            }
            return sent;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
