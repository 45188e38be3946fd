package dev.chimney.tcp.cc;

import java.util.Locale;

/**
 * Creates congestion controllers by configuration name, with the options every window-based algorithm shares.
 *
 * <pre>{@code
 * CongestionControl cc = CongestionControls.create("cubic", mss);               // RFC 5681 IW, SACK recovery
 * CongestionControl cc = CongestionControls.create(Algorithm.NEWRENO, mss,
 *         new Options(10, false));                                                // RFC 6928 IW10, RFC 6582
 * }</pre>
 */
public final class CongestionControls {

    private CongestionControls() {
    }

    /** The available algorithms, by their configuration names. */
    public enum Algorithm {
        /** RFC 5681 + RFC 6582 ({@link NewReno}). */
        NEWRENO("newreno"),
        /** RFC 9438 ({@link Cubic}). */
        CUBIC("cubic");

        private final String configName;

        Algorithm(final String configName) {
            this.configName = configName;
        }

        /** The name used in configuration and returned by {@link CongestionControl#name()}. */
        public String configName() {
            return configName;
        }

        /** Parses a configuration name ("newreno", "reno", "cubic"; case-insensitive). */
        public static Algorithm of(final String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "newreno", "reno" -> NEWRENO;
                case "cubic" -> CUBIC;
                default -> throw new IllegalArgumentException("unknown congestion control '" + name
                        + "'; use one of: newreno, cubic");
            };
        }
    }

    /**
     * Options shared by the window-based algorithms.
     *
     * @param initialWindowSegments 0 for the RFC 5681 §3.1 rule (2-4 segments by MSS), or a fixed count such as
     *     10 for RFC 6928 ({@code min(10*MSS, max(2*MSS, 14600))} is applied when 10 is chosen); 1..64
     * @param sackRecovery true when the engine runs RFC 6675 pipe-based loss recovery: entering recovery sets
     *     {@code cwnd = ssthresh} (RFC 6675 §5 step 4.2) and duplicate ACKs do not inflate it. False for RFC 6582
     *     NewReno recovery: {@code cwnd = ssthresh + 3*SMSS}, inflated by one SMSS per duplicate ACK and deflated
     *     on partial ACKs (RFC 6582 §3.2 steps 2, 4, 5).
     */
    public record Options(int initialWindowSegments, boolean sackRecovery) {
        /** RFC 5681 initial window, SACK-based recovery. */
        public static final Options DEFAULT = new Options(0, true);

        public Options {
            if (initialWindowSegments < 0 || initialWindowSegments > 64) {
                throw new IllegalArgumentException("initialWindowSegments must be 0 (RFC 5681 rule) or 1..64, got "
                        + initialWindowSegments);
            }
        }
    }

    /** A controller for {@code name} ("newreno" or "cubic"), initialised for {@code mss}, default options. */
    public static CongestionControl create(final String name, final int mss) {
        return create(Algorithm.of(name), mss, Options.DEFAULT);
    }

    /** A controller of the given algorithm, already {@link CongestionControl#init initialised} for {@code mss}. */
    public static CongestionControl create(final Algorithm algorithm, final int mss, final Options options) {
        final CongestionControl cc = switch (algorithm) {
            case NEWRENO -> new NewReno(options);
            case CUBIC -> new Cubic(options);
        };
        cc.init(mss, 0L);
        return cc;
    }
}
