package dev.chimney.link;

import java.lang.foreign.MemorySegment;

/**
 * One end of a link that carries Ethernet frames: a TAP device, an end of a virtual wire, a switch port.
 * A port is owned by exactly one event loop, which calls {@link #receive} and {@link #transmit} from its
 * thread only (no locks on the data path).
 */
public interface NetworkPort extends AutoCloseable {

    /** Human-readable name, used in logs, pcap comments and counters. */
    String name();

    /** Largest L3 packet (Ethernet payload, without the 14/18-byte header) the link carries. */
    int mtu();

    /**
     * Sends one frame. The bytes are copied (or written to the device) before this returns, so the caller may
     * reuse the segment at once.
     *
     * @return false if the frame was dropped locally (queue full, larger than the MTU allows, port closed);
     *         the drop is counted
     */
    boolean transmit(MemorySegment frame);

    /**
     * Hands up to {@code budget} frames that have arrived (are due at the port's clock) to the sink.
     *
     * @return the number of frames delivered
     */
    int receive(FrameSink sink, int budget);

    /**
     * Time (same base as the loop's clock) at which {@link #receive} will next have a frame, for virtual links
     * that schedule deliveries; {@link Long#MAX_VALUE} when nothing is scheduled or the port cannot tell (a real
     * device is polled or waited on instead).
     */
    default long nextArrivalNs() {
        return Long.MAX_VALUE;
    }

    @Override
    void close();
}
