package dev.chimney.cli;

import dev.chimney.apps.ChargenServer;
import dev.chimney.apps.DiscardServer;
import dev.chimney.apps.EchoServer;
import dev.chimney.apps.HttpFileServer;
import dev.chimney.apps.Iperf3Server;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Starts the built-in applications of {@code dev.chimney.apps} for {@code --serve} specifications. */
public final class Apps {
    private Apps() {
    }

    /** One served application: its specification, how to stop it, and what it did. */
    public sealed interface Running {
        ServeSpec spec();

        /** Stops listening; connections in progress go on until closed. */
        void stopAccepting();

        /** What it did so far, e.g. "echo:7 2 connections, 1024 bytes echoed" (call on the loop). */
        String traffic();
    }

    /** An RFC 862 echo server. */
    public record Echo(ServeSpec spec, EchoServer server) implements Running {
        @Override
        public void stopAccepting() {
            server.close();
        }

        @Override
        public String traffic() {
            return spec + " " + connections(server.connections()) + ", " + server.bytesEchoed() + " bytes echoed";
        }
    }

    /** An RFC 863 discard server. */
    public record Discard(ServeSpec spec, DiscardServer server) implements Running {
        @Override
        public void stopAccepting() {
            server.close();
        }

        @Override
        public String traffic() {
            return spec + " " + connections(server.connections()) + ", " + server.bytesDiscarded()
                    + " bytes discarded";
        }
    }

    /** An RFC 864 character generator (the classic 72-column pattern, until the client closes). */
    public record Chargen(ServeSpec spec, ChargenServer server) implements Running {
        @Override
        public void stopAccepting() {
            server.close();
        }

        @Override
        public String traffic() {
            return spec + " " + connections(server.connections()) + ", " + server.bytesSent() + " bytes sent";
        }
    }

    /** A static-file HTTP/1.1 server. */
    public record Http(ServeSpec spec, HttpFileServer server) implements Running {
        @Override
        public void stopAccepting() {
            server.close();
        }

        @Override
        public String traffic() {
            return "http:" + spec.port() + " " + server.requests() + (server.requests() == 1 ? " request, "
                    : " requests, ") + server.bytesSent() + " bytes sent";
        }
    }

    /** An iperf3 server (TCP, forward and reverse, one test at a time). */
    public record Iperf3(ServeSpec spec, Iperf3Server server) implements Running {
        @Override
        public void stopAccepting() {
            server.close();
        }

        @Override
        public String traffic() {
            long tests = server.testsCompleted();
            return spec + " " + tests + (tests == 1 ? " test" : " tests") + " (" + server.testsAborted()
                    + " aborted), " + connections(server.connections()) + " (" + server.deniedConnections()
                    + " denied, " + server.connectionsReset() + " reset), " + server.bytesReceived()
                    + " bytes received, " + server.bytesSent() + " bytes sent, " + server.malformedInputs()
                    + " malformed";
        }
    }

    private static String connections(long n) {
        return n + (n == 1 ? " connection" : " connections");
    }

    /** Starts {@code spec} on every local address (call on the loop). */
    static Running start(SocketStack sockets, ServeSpec spec) {
        SocketOptions options = SocketOptions.defaults();
        return switch (spec.kind()) {
            case ECHO -> new Echo(spec, EchoServer.start(sockets, null, spec.port(), options));
            case DISCARD -> new Discard(spec, DiscardServer.start(sockets, null, spec.port(), options));
            case CHARGEN -> new Chargen(spec, ChargenServer.start(sockets, null, spec.port(), options,
                    ChargenServer.Pattern.classic(), 0));
            case IPERF3 -> new Iperf3(spec, Iperf3Server.start(sockets, null, spec.port(), options,
                    Iperf3Server.Config.defaults()));
            case HTTP -> {
                try {
                    yield new Http(spec, HttpFileServer.start(sockets, null, spec.port(), spec.directory(), options,
                            HttpFileServer.Config.defaults()));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot serve " + spec.directory() + ": " + e.getMessage(), e);
                }
            }
        };
    }
}
