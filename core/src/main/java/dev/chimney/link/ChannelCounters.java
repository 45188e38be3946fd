package dev.chimney.link;

/**
 * Counters of one direction of a virtual link. Written only by the owner of the channel (no atomics); read them
 * from the same thread or after the run.
 */
public final class ChannelCounters {
    private static final DropReason[] REASONS = DropReason.values();

    long framesSent;
    long bytesSent;
    long framesDelivered;
    long bytesDelivered;
    long framesCorrupted;
    long framesDuplicated;
    long framesReordered;
    long framesInjected;
    final long[] dropped = new long[REASONS.length];

    /** Frames offered to the channel by {@code transmit} (including those then dropped). */
    public long framesSent() {
        return framesSent;
    }

    /** Bytes offered to the channel by {@code transmit}. */
    public long bytesSent() {
        return bytesSent;
    }

    /** Frames handed to a receiver (duplicates and injected frames included). */
    public long framesDelivered() {
        return framesDelivered;
    }

    public long bytesDelivered() {
        return bytesDelivered;
    }

    /** Frames that had one bit flipped. */
    public long framesCorrupted() {
        return framesCorrupted;
    }

    /**
     * Extra copies made by duplication (each then delivered or dropped), so that
     * {@code framesSent + framesDuplicated == framesDelivered - framesInjected + droppedTotal + in flight}.
     */
    public long framesDuplicated() {
        return framesDuplicated;
    }

    /** Frames held back so that later frames could overtake them. */
    public long framesReordered() {
        return framesReordered;
    }

    /** Frames placed directly into the receive queue by a test ({@code inject}). */
    public long framesInjected() {
        return framesInjected;
    }

    public long dropped(DropReason reason) {
        return dropped[reason.ordinal()];
    }

    public long droppedTotal() {
        long sum = 0;
        for (long d : dropped) {
            sum += d;
        }
        return sum;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append("sent=").append(framesSent).append('/').append(bytesSent).append('B')
                .append(" delivered=").append(framesDelivered).append('/').append(bytesDelivered).append('B')
                .append(" corrupted=").append(framesCorrupted).append(" duplicated=").append(framesDuplicated)
                .append(" reordered=").append(framesReordered).append(" injected=").append(framesInjected);
        for (DropReason r : REASONS) {
            if (dropped[r.ordinal()] != 0) {
                sb.append(" drop.").append(r.name().toLowerCase()).append('=').append(dropped[r.ordinal()]);
            }
        }
        return sb.toString();
    }
}
