package dev.chimney.chimney.host;

import java.util.Objects;

/**
 * Which connections the host offloads, and how it answers a target's optional upload requests. Whatever the policy,
 * a connection is offloaded only when the target's capabilities admit it (capacity, IP version, SACK, receive window,
 * path MTU) and only in ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING or LAST_ACK (R-HOST-1); beyond that
 * it simply stays on the host (fail closed).
 *
 * @param mode                    when connections are offloaded
 * @param afterBytes              {@link Mode#AFTER_BYTES}: bytes a connection must have carried (sent and
 *                                acknowledged plus received, both directions) before it is offloaded
 * @param pollIntervalNs          {@link Mode#AFTER_BYTES}: how often candidates are checked against the threshold
 * @param acceptOptionalRetrieve  whether an upload request with an optional reason (spec §3.2.2: high drop rate, low
 *                                activity...) is honoured; mandatory reasons always are (R-HOST-14). Default true:
 *                                the target knows its own resources, and a declined request only leaves it running a
 *                                connection it would rather not (R-TERM-16)
 */
public record OffloadPolicy(Mode mode, long afterBytes, long pollIntervalNs, boolean acceptOptionalRetrieve) {

    public enum Mode {
        /** Only connections named by {@link OffloadManager#offload} (and {@code offloadAll}). */
        EXPLICIT,
        /** Every connection as soon as it is ESTABLISHED (after its handshake, on the host). */
        ALL_ESTABLISHED,
        /** Every established connection once it has carried {@link #afterBytes} bytes. */
        AFTER_BYTES
    }

    /** The default poll interval for {@link Mode#AFTER_BYTES}: 10 ms. */
    public static final long DEFAULT_POLL_INTERVAL_NS = 10_000_000L;

    public OffloadPolicy {
        Objects.requireNonNull(mode, "mode");
        if (afterBytes < 0 || pollIntervalNs <= 0) {
            throw new IllegalArgumentException("afterBytes must be >= 0 and pollIntervalNs > 0, got " + afterBytes
                    + " and " + pollIntervalNs);
        }
    }

    /** Offload nothing by itself: {@link OffloadManager#offload} decides per connection. */
    public static OffloadPolicy explicit() {
        return new OffloadPolicy(Mode.EXPLICIT, 0, DEFAULT_POLL_INTERVAL_NS, true);
    }

    /** Offload every connection when it becomes ESTABLISHED. */
    public static OffloadPolicy allEstablished() {
        return new OffloadPolicy(Mode.ALL_ESTABLISHED, 0, DEFAULT_POLL_INTERVAL_NS, true);
    }

    /** Offload every established connection once it has carried {@code bytes} bytes. */
    public static OffloadPolicy afterBytes(long bytes) {
        return new OffloadPolicy(Mode.AFTER_BYTES, bytes, DEFAULT_POLL_INTERVAL_NS, true);
    }

    public OffloadPolicy withAcceptOptionalRetrieve(boolean accept) {
        return new OffloadPolicy(mode, afterBytes, pollIntervalNs, accept);
    }

    public OffloadPolicy withPollIntervalNs(long ns) {
        return new OffloadPolicy(mode, afterBytes, ns, acceptOptionalRetrieve);
    }

    /** Parses the CLI form: {@code none} (explicit), {@code all}, {@code after-bytes:N}. */
    public static OffloadPolicy parse(String text) {
        String t = Objects.requireNonNull(text, "text").trim();
        if (t.equals("none") || t.equals("explicit")) {
            return explicit();
        }
        if (t.equals("all")) {
            return allEstablished();
        }
        if (t.startsWith("after-bytes:")) {
            try {
                return afterBytes(Long.parseLong(t.substring("after-bytes:".length())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("after-bytes:N needs a byte count, got '" + t + "'", e);
            }
        }
        throw new IllegalArgumentException("offload policy must be none, all or after-bytes:N, got '" + t + "'");
    }
}
