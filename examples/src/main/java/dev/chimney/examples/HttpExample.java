package dev.chimney.examples;

import dev.chimney.apps.HttpFileServer;
import dev.chimney.host.NetworkStack;
import dev.chimney.host.VirtualNetwork;
import dev.chimney.socket.TcpSocket;
import dev.chimney.wire.IpAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An HTTP file server on one host of an in-memory network and a client on another that fetches a file over IPv4
 * and over IPv6 with a blocking socket. The server is the loop-side {@link HttpFileServer}; the client speaks
 * HTTP/1.1 by hand.
 *
 * <p>Run: {@code java -cp core/target/classes:examples/target/classes dev.chimney.examples.HttpExample}.
 */
public final class HttpExample {
    private HttpExample() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Files.createTempDirectory("chimney-http");
        Path file = Files.writeString(root.resolve("hello.txt"), "Hello from a user-space TCP/IP stack\n");
        try (VirtualNetwork net = VirtualNetwork.realTime().hosts("web", "browser").build().start()) {
            NetworkStack web = net.host("web");
            NetworkStack browser = net.host("browser");
            // @start region="call-on-loop"
            // Loop-side apps start on their host's loop: callOnLoop runs the task there and returns its result.
            HttpFileServer http = web.callOnLoop(() -> HttpFileServer.start(web.sockets(), 80, root));
            // @end
            for (InetSocketAddress server : new InetSocketAddress[] {web.socketAddress(80),
                    new InetSocketAddress(web.addresses().get(1).toInetAddress(), 80)}) {
                String response = get(browser, server, "/hello.txt");
                String status = response.substring(0, response.indexOf("\r\n"));
                String body = response.substring(response.indexOf("\r\n\r\n") + 4);
                System.out.printf("GET http://%s/hello.txt -> %s, body: %s", authority(server), status, body);
            }
            System.out.println("server answered " + web.callOnLoop(http::requests) + " requests");
            web.callOnLoop(() -> {
                http.close();
                return null;
            });
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(root);
        }
    }

    /** Fetches {@code path} with one HTTP/1.1 request on a new connection and returns the raw response. */
    static String get(NetworkStack host, InetSocketAddress server, String path) throws IOException {
        try (TcpSocket socket = host.connect(server)) {
            String request = "GET " + path + " HTTP/1.1\r\nHost: " + authority(server)
                    + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** host:port as a URL writes it (RFC 3986 §3.2.2: an IPv6 address in brackets). */
    static String authority(InetSocketAddress address) {
        IpAddress ip = IpAddress.of(address.getAddress());
        return (ip.isIpv4() ? ip.toString() : "[" + ip + "]") + ":" + address.getPort();
    }
}
