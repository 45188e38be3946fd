package dev.chimney.link;

/**
 * What one direction of a virtual link does to the frames it carries. Immutable; build with {@link #builder()}
 * or derive with the {@code withXxx} methods from {@link #NONE}.
 *
 * <p>Processing order for each transmitted frame (see {@link ImpairedChannel}):
 * <ol>
 *   <li>MTU: a frame whose Ethernet payload exceeds {@link #mtuBytes} is dropped ({@link DropReason#MTU}); this
 *       models a narrower hop in the middle of the path (a PMTU black hole), not a local error.</li>
 *   <li>Loss: dropped with probability {@link #lossProbability} ({@link DropReason#LOSS}).</li>
 *   <li>Rate limit: when {@link #rateBitsPerSecond} is positive the frame waits behind earlier frames for the
 *       line to be free, then takes its serialization time ({@code bits / rate}). If the bytes still waiting to
 *       be serialized plus this frame exceed {@link #queueLimitBytes} the frame is tail-dropped
 *       ({@link DropReason#QUEUE}).</li>
 *   <li>Delay: {@link #delayNs} plus a uniform jitter in {@code [0, jitterNs]}. Jitter alone never reorders:
 *       like a real queue with variable latency, an in-order frame never arrives before the in-order frame
 *       sent before it.</li>
 *   <li>Reordering: with probability {@link #reorderProbability} a frame is held back by an extra
 *       {@link #reorderDelayNs}, so frames sent after it can overtake it.</li>
 *   <li>Corruption: with probability {@link #corruptProbability} exactly one uniformly chosen bit of the frame
 *       is flipped (the frame is still delivered; receivers must catch it by checksum).</li>
 *   <li>Duplication: with probability {@link #duplicateProbability} a second, identical copy arrives right after
 *       the first.</li>
 * </ol>
 * Every random choice comes from the channel's own {@code SeededRandom}, so a run replays exactly.
 *
 * @param lossProbability      probability in [0, 1] that a frame is silently lost
 * @param delayNs              fixed one-way propagation delay, ns (non-negative)
 * @param jitterNs             extra uniform delay in [0, jitterNs], ns (non-negative; order preserving)
 * @param reorderProbability   probability in [0, 1] that a frame is held back by {@code reorderDelayNs}
 * @param reorderDelayNs       extra delay of a held-back frame, ns (positive when reordering is enabled)
 * @param duplicateProbability probability in [0, 1] that a frame is delivered twice
 * @param corruptProbability   probability in [0, 1] that one bit of a frame is flipped
 * @param rateBitsPerSecond    line rate in bits/s, or 0 for unlimited (no serialization delay)
 * @param queueLimitBytes      bytes that may wait for serialization behind a rate limit before tail drop
 * @param mtuBytes             largest Ethernet payload carried, or 0 for no MTU check beyond the port's
 */
public record Impairments(
        double lossProbability,
        long delayNs,
        long jitterNs,
        double reorderProbability,
        long reorderDelayNs,
        double duplicateProbability,
        double corruptProbability,
        long rateBitsPerSecond,
        int queueLimitBytes,
        int mtuBytes) {

    /** Default tail-drop limit of a rate-limited queue: 256 KiB, a typical switch port buffer. */
    public static final int DEFAULT_QUEUE_LIMIT_BYTES = 256 * 1024;

    /** A perfect link: no loss, no delay, unlimited rate. */
    public static final Impairments NONE = new Impairments(0, 0, 0, 0, 0, 0, 0, 0, DEFAULT_QUEUE_LIMIT_BYTES, 0);

    /** Validates every field; a bad value is a configuration bug, reported with the field name. */
    public Impairments {
        checkProbability("lossProbability", lossProbability);
        checkProbability("reorderProbability", reorderProbability);
        checkProbability("duplicateProbability", duplicateProbability);
        checkProbability("corruptProbability", corruptProbability);
        checkNonNegative("delayNs", delayNs);
        checkNonNegative("jitterNs", jitterNs);
        checkNonNegative("reorderDelayNs", reorderDelayNs);
        checkNonNegative("rateBitsPerSecond", rateBitsPerSecond);
        checkNonNegative("mtuBytes", mtuBytes);
        if (queueLimitBytes <= 0) {
            throw new IllegalArgumentException("queueLimitBytes must be positive, got " + queueLimitBytes);
        }
        if (reorderProbability > 0 && reorderDelayNs == 0) {
            throw new IllegalArgumentException("reorderProbability > 0 needs a positive reorderDelayNs (how long a "
                    + "held-back frame waits); set it with withReordering(probability, delayNs)");
        }
    }

    private static void checkProbability(String name, double p) {
        if (!(p >= 0.0 && p <= 1.0)) {
            throw new IllegalArgumentException(name + " must be a probability in [0, 1], got " + p);
        }
    }

    private static void checkNonNegative(String name, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(name + " must be non-negative, got " + v);
        }
    }

    /** A builder starting from {@link #NONE}. */
    public static Builder builder() {
        return new Builder(NONE);
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public Impairments withLoss(double probability) {
        return toBuilder().loss(probability).build();
    }

    public Impairments withDelay(long delayNs, long jitterNs) {
        return toBuilder().delay(delayNs, jitterNs).build();
    }

    public Impairments withReordering(double probability, long extraDelayNs) {
        return toBuilder().reordering(probability, extraDelayNs).build();
    }

    public Impairments withDuplication(double probability) {
        return toBuilder().duplication(probability).build();
    }

    public Impairments withCorruption(double probability) {
        return toBuilder().corruption(probability).build();
    }

    public Impairments withRate(long bitsPerSecond, int queueLimitBytes) {
        return toBuilder().rate(bitsPerSecond, queueLimitBytes).build();
    }

    public Impairments withMtu(int mtuBytes) {
        return toBuilder().mtu(mtuBytes).build();
    }

    /** True when a frame's fate depends on random draws (so two seeds can give different runs). */
    public boolean isRandom() {
        return lossProbability > 0 || jitterNs > 0 || reorderProbability > 0 || duplicateProbability > 0
                || corruptProbability > 0;
    }

    /** Mutable builder for {@link Impairments}; {@link #build()} validates. */
    public static final class Builder {
        private double loss;
        private long delayNs;
        private long jitterNs;
        private double reorder;
        private long reorderDelayNs;
        private double duplicate;
        private double corrupt;
        private long rateBitsPerSecond;
        private int queueLimitBytes;
        private int mtuBytes;

        private Builder(Impairments from) {
            loss = from.lossProbability;
            delayNs = from.delayNs;
            jitterNs = from.jitterNs;
            reorder = from.reorderProbability;
            reorderDelayNs = from.reorderDelayNs;
            duplicate = from.duplicateProbability;
            corrupt = from.corruptProbability;
            rateBitsPerSecond = from.rateBitsPerSecond;
            queueLimitBytes = from.queueLimitBytes;
            mtuBytes = from.mtuBytes;
        }

        public Builder loss(double probability) {
            loss = probability;
            return this;
        }

        public Builder delay(long delayNs, long jitterNs) {
            this.delayNs = delayNs;
            this.jitterNs = jitterNs;
            return this;
        }

        public Builder reordering(double probability, long extraDelayNs) {
            reorder = probability;
            reorderDelayNs = extraDelayNs;
            return this;
        }

        public Builder duplication(double probability) {
            duplicate = probability;
            return this;
        }

        public Builder corruption(double probability) {
            corrupt = probability;
            return this;
        }

        public Builder rate(long bitsPerSecond, int queueLimitBytes) {
            rateBitsPerSecond = bitsPerSecond;
            this.queueLimitBytes = queueLimitBytes;
            return this;
        }

        public Builder mtu(int mtuBytes) {
            this.mtuBytes = mtuBytes;
            return this;
        }

        public Impairments build() {
            return new Impairments(loss, delayNs, jitterNs, reorder, reorderDelayNs, duplicate, corrupt,
                    rateBitsPerSecond, queueLimitBytes, mtuBytes);
        }
    }
}
