package dev.chimney.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * One {@code --serve} argument of {@code chimney run}: an application and the TCP port it listens on, plus the
 * document root for {@code http}. Forms: {@code echo:PORT} (RFC 862), {@code discard:PORT} (RFC 863),
 * {@code chargen:PORT} (RFC 864), {@code http:PORT:DIR} (static files over HTTP/1.1), {@code iperf3:PORT} (a
 * server for the iperf3 client, TCP, either direction).
 *
 * @param kind      which application
 * @param port      TCP port, 1..65535
 * @param directory document root for {@link Kind#HTTP}, null otherwise
 */
public record ServeSpec(Kind kind, int port, Path directory) {
    /** The built-in applications {@code chimney run} can serve. */
    public enum Kind {
        ECHO, DISCARD, CHARGEN, HTTP, IPERF3;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ServeSpec {
        Objects.requireNonNull(kind, "kind");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        if ((kind == Kind.HTTP) != (directory != null)) {
            throw new IllegalArgumentException(kind == Kind.HTTP ? "http needs a directory: http:PORT:DIR"
                    : kind.label() + " takes no directory: " + kind.label() + ":PORT");
        }
    }

    /**
     * Parses {@code KIND:PORT} or {@code http:PORT:DIR}; the message of the exception says what form was expected.
     * The directory must exist (checked here so a typo fails at start, not at the first request).
     */
    public static ServeSpec parse(String text) {
        String usage = "expected echo:PORT, discard:PORT, chargen:PORT, iperf3:PORT or http:PORT:DIR, got '" + text
                + "'";
        String[] parts = text.split(":", 3);
        if (parts.length < 2) {
            throw new IllegalArgumentException(usage);
        }
        Kind kind;
        try {
            kind = Kind.valueOf(parts[0].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown application '" + parts[0] + "': " + usage);
        }
        int port;
        try {
            port = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + parts[1] + "' is not a number: " + usage);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 1..65535: " + usage);
        }
        Path dir = null;
        if (kind == Kind.HTTP) {
            if (parts.length < 3 || parts[2].isEmpty()) {
                throw new IllegalArgumentException("http needs a document root: http:PORT:DIR, got '" + text + "'");
            }
            dir = Path.of(parts[2]).toAbsolutePath().normalize();
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("http document root " + dir + " is not a directory");
            }
        } else if (parts.length == 3) {
            throw new IllegalArgumentException(kind.label() + " takes no directory: " + usage);
        }
        return new ServeSpec(kind, port, dir);
    }

    @Override
    public String toString() {
        return kind.label() + ":" + port + (directory == null ? "" : ":" + directory);
    }
}
