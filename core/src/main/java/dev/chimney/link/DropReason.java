package dev.chimney.link;

/** Why a virtual link dropped a frame. Each reason has its own counter in {@link ChannelCounters}. */
public enum DropReason {
    /** Random loss ({@link Impairments#lossProbability}). Invisible to the sender. */
    LOSS,
    /** Payload larger than the path MTU ({@link Impairments#mtuBytes}); a black hole in the middle of the path. */
    MTU,
    /** Tail drop: the rate-limited queue already held {@link Impairments#queueLimitBytes}. */
    QUEUE,
    /** Payload larger than the port's own MTU: refused locally, {@code transmit} returns false. */
    OVERSIZE,
    /** Shorter than an Ethernet header (14 bytes): refused locally, {@code transmit} returns false. */
    RUNT,
    /** The link's bounded in-flight buffer pool is exhausted: refused locally, {@code transmit} returns false. */
    IN_FLIGHT_LIMIT,
    /** The sending or receiving port is closed. */
    CLOSED,
    /** A switch had no port to forward the frame to (e.g. destination learned on the ingress port). */
    FILTERED
}
