package dev.chimney.cli;

import dev.chimney.apps.DiscardServer;
import dev.chimney.apps.EchoServer;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;

/** Starts the built-in applications of {@code dev.chimney.apps} for {@code --serve} specifications. */
public final class Apps {
    private Apps() {
    }

    /** One served application: its specification, a counter for the start/stop lines, and how to stop it. */
    public sealed interface Running {
        ServeSpec spec();

        /** Stops listening; connections in progress go on until closed. */
        void stopAccepting();

        /** Bytes received from clients (discard), echoed (echo), or sent (chargen, http). */
        long bytes();

        /** What {@link #bytes()} counts, as a past participle ("echoed", "discarded", "sent"). */
        String bytesVerb();

        /** Connections accepted. */
        long connections();
    }

    /** An RFC 862 echo server. */
    public record Echo(ServeSpec spec, EchoServer server) implements Running {
        @Override
        public void stopAccepting() {
            server.close();
        }

        @Override
        public long bytes() {
            return server.bytesEchoed();
        }

        @Override
        public String bytesVerb() {
            return "echoed";
        }

        @Override
        public long connections() {
            return server.connections();
        }
    }

    /** An RFC 863 discard server. */
    public record Discard(ServeSpec spec, DiscardServer server) implements Running {
        @Override
        public void stopAccepting() {
            server.close();
        }

        @Override
        public long bytes() {
            return server.bytesDiscarded();
        }

        @Override
        public String bytesVerb() {
            return "discarded";
        }

        @Override
        public long connections() {
            return server.connections();
        }
    }

    /** Starts {@code spec} on every local address (call on the loop). */
    static Running start(SocketStack sockets, ServeSpec spec) {
        SocketOptions options = SocketOptions.defaults();
        return switch (spec.kind()) {
            case ECHO -> new Echo(spec, EchoServer.start(sockets, null, spec.port(), options));
            case DISCARD -> new Discard(spec, DiscardServer.start(sockets, null, spec.port(), options));
            case CHARGEN, HTTP -> throw new IllegalArgumentException("--serve " + spec.kind().label()
                    + " is not available in this build");
        };
    }
}
